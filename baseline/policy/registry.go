package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// maxInput bounds every JSON input: registries, parameter maps and override
// files are kilobytes; a whole account's baselines a few megabytes.
const maxInput = 8 << 20

// Identity is a PatchBaselineIdentity, as describe-patch-groups and
// describe-patch-baselines print it.
type Identity struct {
	BaselineID          string                   `json:"BaselineId"`
	BaselineName        string                   `json:"BaselineName,omitempty"`
	OperatingSystem     patchkit.OperatingSystem `json:"OperatingSystem"`
	BaselineDescription string                   `json:"BaselineDescription,omitempty"`
	DefaultBaseline     bool                     `json:"DefaultBaseline"`
}

// Mapping is one PatchGroupPatchBaselineMapping of describe-patch-groups.
type Mapping struct {
	PatchGroup       string   `json:"PatchGroup"`
	BaselineIdentity Identity `json:"BaselineIdentity"`
}

// Registry holds what an account and Region register for patching: custom
// baselines (as get-patch-baseline prints them), the tags of those
// baselines, patch groups (one baseline per operating system per group) and
// the default baseline of each operating system. The zero value is not
// usable; make one with NewRegistry. A Registry is not safe for concurrent
// modification; reading it (Resolve, Lookup) from several goroutines is.
type Registry struct {
	baselines map[string]baseline.Baseline // by ID key
	known     map[string]Identity          // identities read from describe outputs, by ID key
	groups    map[string]map[patchkit.OperatingSystem]Identity
	defaults  map[patchkit.OperatingSystem]Identity
	tags      map[string]map[string]string // by ID key
	aws       map[string]string            // AWS-owned baselines' names by ID key; never changed
}

// NewRegistry returns an empty registry: every operating system's default
// is the AWS-owned one.
func NewRegistry() *Registry {
	return &Registry{
		baselines: map[string]baseline.Baseline{},
		known:     map[string]Identity{},
		groups:    map[string]map[patchkit.OperatingSystem]Identity{},
		defaults:  map[patchkit.OperatingSystem]Identity{},
		tags:      map[string]map[string]string{},
		aws:       awsIDs(),
	}
}

// idKey is the part of a baseline ID that identifies it whatever the ARN
// around it: "pb-0123…" for "arn:aws:ssm:us-east-1:…:patchbaseline/pb-0123…".
func idKey(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// UnknownBaselineError reports a baseline ID that is neither a custom
// baseline of the registry nor an AWS-owned baseline. It matches
// patchkit.ErrInvalid.
type UnknownBaselineError struct{ BaselineID string }

func (e *UnknownBaselineError) Error() string {
	return "policy: baseline " + e.BaselineID + " is neither a custom baseline of the registry nor an AWS-owned baseline"
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *UnknownBaselineError) Is(target error) bool { return target == patchkit.ErrInvalid }

// awsIDs maps the pb- part of every AWS-owned baseline's ID to its name.
// The IDs do not change with baseline.AsOf.
func awsIDs() map[string]string {
	m := map[string]string{}
	for _, name := range baseline.PredefinedNames() {
		if b, err := baseline.PredefinedByName(name); err == nil {
			m[idKey(b.BaselineID)] = name
		}
	}
	return m
}

// predefinedByID finds the AWS-owned baseline with the ID (compared by its
// pb- part, since the ARN differs by account and Region), using the
// registry's table when there is a registry.
func (r *Registry) predefinedByID(id string, opts []baseline.Option) (baseline.Baseline, bool) {
	ids := map[string]string(nil)
	if r != nil {
		ids = r.aws
	} else {
		ids = awsIDs()
	}
	name, ok := ids[idKey(id)]
	if !ok {
		return baseline.Baseline{}, false
	}
	b, err := baseline.PredefinedByName(name, opts...)
	return b, err == nil
}

// Lookup returns the baseline with the ID: a custom baseline of the
// registry, else an AWS-owned baseline. IDs are compared by their pb- part,
// so an ARN of any account names the same baseline. The AWS-owned
// baselines are known by their us-east-1 IDs; in other Regions they have
// other IDs, which the registry recognises once a describe-patch-baselines
// or describe-patch-groups output has named them. opts go to the AWS-owned
// baselines (baseline.AsOf). The baseline is the caller's copy.
func (r *Registry) Lookup(id string, opts ...baseline.Option) (baseline.Baseline, error) {
	if r != nil {
		if b, ok := r.baselines[idKey(id)]; ok {
			return cloneBaseline(b), nil
		}
	}
	if b, ok := r.predefinedByID(id, opts); ok {
		return b, nil
	}
	if r != nil {
		// AWS-owned baselines have other IDs outside us-east-1; a describe
		// output that named one tells which it is.
		if in, ok := r.known[idKey(id)]; ok {
			if b, ok := awsNamed(in, opts); ok {
				b.BaselineID = in.BaselineID
				return b, nil
			}
		}
	}
	return baseline.Baseline{}, &UnknownBaselineError{BaselineID: id}
}

// awsNamed returns the AWS-owned baseline an identity names, when its name
// is one of them and its operating system agrees.
func awsNamed(in Identity, opts []baseline.Option) (baseline.Baseline, bool) {
	if !strings.HasPrefix(in.BaselineName, "AWS-") {
		return baseline.Baseline{}, false
	}
	b, err := baseline.PredefinedByName(in.BaselineName, opts...)
	if err != nil || b.OperatingSystem != in.OperatingSystem {
		return baseline.Baseline{}, false
	}
	return b, true
}

// cloneBaseline copies a baseline through its JSON shape, so that callers
// never share slices with the registry.
func cloneBaseline(b baseline.Baseline) baseline.Baseline {
	data, err := json.Marshal(b)
	if err != nil {
		return b
	}
	var out baseline.Baseline
	if err := json.Unmarshal(data, &out); err != nil {
		return b
	}
	return out
}

// identity finds what the registry knows of a baseline ID: a custom
// baseline, an identity read from a describe output, or an AWS-owned
// baseline.
func (r *Registry) identity(id string) (Identity, bool) {
	key := idKey(id)
	if b, ok := r.baselines[key]; ok {
		return Identity{BaselineID: b.BaselineID, BaselineName: b.Name, OperatingSystem: b.OperatingSystem, BaselineDescription: b.Description}, true
	}
	if in, ok := r.known[key]; ok {
		return in, true
	}
	if b, ok := r.predefinedByID(id, nil); ok {
		return Identity{BaselineID: b.BaselineID, BaselineName: b.Name, OperatingSystem: b.OperatingSystem, BaselineDescription: b.Description}, true
	}
	return Identity{}, false
}

// AddBaseline adds (or replaces) a custom baseline and registers the patch
// groups it lists in PatchGroups. It needs a BaselineId and must validate.
func (r *Registry) AddBaseline(b baseline.Baseline) error {
	if b.BaselineID == "" {
		return &baseline.FieldError{Path: "BaselineId", Reason: "a registered baseline needs an ID"}
	}
	if err := b.Validate(); err != nil {
		return err
	}
	c := collector{input: "baseline " + b.BaselineID}
	c.checkGroups(r, "", b, map[string]map[patchkit.OperatingSystem]string{})
	if err := c.err(); err != nil {
		return err
	}
	r.addBaseline(b)
	return nil
}

// SetBaselineTags sets the tags of a custom baseline of the registry (what
// "aws ssm list-tags-for-resource --resource-type PatchBaseline" lists);
// BaselineTags of AWS-RunPatchBaselineAssociation match them.
func (r *Registry) SetBaselineTags(baselineID string, tags map[string]string) error {
	if _, ok := r.baselines[idKey(baselineID)]; !ok {
		return &UnknownBaselineError{BaselineID: baselineID}
	}
	cp := make(map[string]string, len(tags))
	for k, v := range tags {
		cp[k] = v
	}
	r.tags[idKey(baselineID)] = cp
	return nil
}

// RegisterPatchGroup registers a patch group with a baseline, as
// RegisterPatchBaselineForPatchGroup does: the group name must be valid, the
// baseline known (custom, read from a describe output, or AWS-owned), and
// the group may hold one baseline per operating system. Registering the
// same pair again changes nothing.
func (r *Registry) RegisterPatchGroup(group, baselineID string) error {
	if err := ValidatePatchGroup(group); err != nil {
		return err
	}
	in, ok := r.identity(baselineID)
	if !ok {
		return &UnknownBaselineError{BaselineID: baselineID}
	}
	return r.registerGroup(group, in)
}

func (r *Registry) registerGroup(group string, in Identity) error {
	byOS := r.groups[group]
	if old, ok := byOS[in.OperatingSystem]; ok && idKey(old.BaselineID) != idKey(in.BaselineID) {
		return &baseline.FieldError{Path: "PatchGroup", Reason: fmt.Sprintf("group %q already has baseline %s for %s; a group has one baseline per operating system", group, old.BaselineID, in.OperatingSystem)}
	}
	if byOS == nil {
		byOS = map[patchkit.OperatingSystem]Identity{}
		r.groups[group] = byOS
	}
	in.DefaultBaseline = false
	byOS[in.OperatingSystem] = in
	return nil
}

// RegisterDefault makes a baseline the default of its operating system, as
// RegisterDefaultPatchBaseline does (replacing the previous default).
func (r *Registry) RegisterDefault(baselineID string) error {
	in, ok := r.identity(baselineID)
	if !ok {
		return &UnknownBaselineError{BaselineID: baselineID}
	}
	in.DefaultBaseline = true
	r.defaults[in.OperatingSystem] = in
	return nil
}

// Default returns the registered default of os, if one is registered.
func (r *Registry) Default(os patchkit.OperatingSystem) (Identity, bool) {
	if r == nil {
		return Identity{}, false
	}
	in, ok := r.defaults[os]
	return in, ok
}

// PatchGroup returns the baseline registered for group and os, if any.
func (r *Registry) PatchGroup(group string, os patchkit.OperatingSystem) (Identity, bool) {
	if r == nil {
		return Identity{}, false
	}
	in, ok := r.groups[group][os]
	return in, ok
}

// PatchGroups returns the registered groups' names, sorted.
func (r *Registry) PatchGroups() []string {
	out := make([]string, 0, len(r.groups))
	for g := range r.groups {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// Baselines returns the custom baselines, sorted by ID, each with the
// patch groups registered with it in PatchGroups (as get-patch-baseline
// prints them); each is the caller's copy.
func (r *Registry) Baselines() []baseline.Baseline {
	keys := make([]string, 0, len(r.baselines))
	for k := range r.baselines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]baseline.Baseline, len(keys))
	for i, k := range keys {
		b := cloneBaseline(r.baselines[k])
		b.PatchGroups = []string{}
		for _, g := range r.PatchGroups() {
			if in, ok := r.groups[g][b.OperatingSystem]; ok && idKey(in.BaselineID) == k {
				b.PatchGroups = append(b.PatchGroups, g)
			}
		}
		out[i] = b
	}
	return out
}

// readAll reads at most maxInput bytes.
func readAll(rd io.Reader, input string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInput {
		return nil, &ValidationError{Input: input, Errors: []*baseline.FieldError{{Path: "$", Reason: fmt.Sprintf("larger than %d bytes", maxInput)}}}
	}
	return data, nil
}

// decodeStrict decodes JSON into v, refusing unknown fields and trailing
// data; a syntax or type error names the byte offset.
func decodeStrict(data []byte, v any, input string) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil && d.More() {
		err = errors.New("data after the JSON value")
	}
	if err == nil {
		return nil
	}
	path := "$"
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		path = fmt.Sprintf("$ (byte %d)", se.Offset)
	case errors.As(err, &te):
		path = te.Field
		if path == "" {
			path = "$"
		}
		err = fmt.Errorf("at byte %d: %s where %s belongs", te.Offset, te.Value, te.Type)
	}
	return &ValidationError{Input: input, Errors: []*baseline.FieldError{{Path: path, Reason: err.Error()}}}
}

// wire shapes, with strings where the field's grammar is checked by hand.
type identityWire struct {
	BaselineID          *string `json:"BaselineId"`
	BaselineName        string  `json:"BaselineName"`
	OperatingSystem     *string `json:"OperatingSystem"`
	BaselineDescription string  `json:"BaselineDescription"`
	DefaultBaseline     bool    `json:"DefaultBaseline"`
}

// identity checks one identity; a missing OperatingSystem is WINDOWS, the
// API's default for a baseline's operating system.
func (w identityWire) identity(c *collector, path string) (Identity, bool) {
	in := Identity{BaselineName: w.BaselineName, BaselineDescription: w.BaselineDescription, DefaultBaseline: w.DefaultBaseline, OperatingSystem: patchkit.OSWindows}
	ok := true
	if w.BaselineID == nil || *w.BaselineID == "" {
		c.add(join(path, "BaselineId"), "missing")
		ok = false
	} else if !validBaselineID(*w.BaselineID) {
		c.add(join(path, "BaselineId"), "%q is not 20 to 128 letters, digits or _-:/", *w.BaselineID)
		ok = false
	} else {
		in.BaselineID = *w.BaselineID
	}
	if w.OperatingSystem != nil {
		os, err := patchkit.ParseOperatingSystem(*w.OperatingSystem)
		if err != nil {
			c.add(join(path, "OperatingSystem"), "unknown value %q", *w.OperatingSystem)
			ok = false
		}
		in.OperatingSystem = os
	}
	return in, ok
}

// validBaselineID checks the API's pattern ^[a-zA-Z0-9_\-:/]{20,128}$.
func validBaselineID(s string) bool {
	if len(s) < 20 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_-:/", c) >= 0) {
			return false
		}
	}
	return true
}

type describePatchGroupsWire struct {
	Mappings []struct {
		PatchGroup       *string       `json:"PatchGroup"`
		BaselineIdentity *identityWire `json:"BaselineIdentity"`
	} `json:"Mappings"`
	NextToken string `json:"NextToken"`
}

// ReadPatchGroups reads the output of "aws ssm describe-patch-groups" and
// registers every mapping (and, for an identity with DefaultBaseline true,
// the default of its operating system). A mapping without OperatingSystem
// (older outputs) is a WINDOWS baseline. An output with a NextToken is one
// page of several and is refused. Every problem is reported, with its path;
// on error nothing is registered.
func (r *Registry) ReadPatchGroups(rd io.Reader) error {
	const input = "describe-patch-groups output"
	data, err := readAll(rd, input)
	if err != nil {
		return err
	}
	var w describePatchGroupsWire
	if err := decodeStrict(data, &w, input); err != nil {
		return err
	}
	c := collector{input: input}
	if w.Mappings == nil {
		c.add("Mappings", "missing")
	}
	if w.NextToken != "" {
		c.add("NextToken", "set: this is one page of the output; give all of it (the CLI pages by itself unless told not to)")
	}
	type pair struct {
		group string
		in    Identity
	}
	var pairs []pair
	seen := map[string]map[patchkit.OperatingSystem]string{}
	defaults := map[patchkit.OperatingSystem]Identity{}
	for i, m := range w.Mappings {
		path := fmt.Sprintf("Mappings[%d]", i)
		ok := true
		group := ""
		if m.PatchGroup == nil {
			c.add(path+".PatchGroup", "missing")
			ok = false
		} else if err := ValidatePatchGroup(*m.PatchGroup); err != nil {
			c.add(path+".PatchGroup", "%s", err.(*baseline.FieldError).Reason)
			ok = false
		} else {
			group = *m.PatchGroup
		}
		if m.BaselineIdentity == nil {
			c.add(path+".BaselineIdentity", "missing")
			continue
		}
		in, idOK := m.BaselineIdentity.identity(&c, path+".BaselineIdentity")
		if !ok || !idOK {
			continue
		}
		if known, ok := r.identity(in.BaselineID); ok && known.OperatingSystem != in.OperatingSystem {
			c.add(path+".BaselineIdentity.OperatingSystem", "baseline %s is for %s, not %s", in.BaselineID, known.OperatingSystem, in.OperatingSystem)
			continue
		}
		if prev, dup := seen[group][in.OperatingSystem]; dup && idKey(prev) != idKey(in.BaselineID) {
			c.add(path, "group %q has two baselines for %s (%s and %s); a group has one per operating system", group, in.OperatingSystem, prev, in.BaselineID)
			continue
		}
		if seen[group] == nil {
			seen[group] = map[patchkit.OperatingSystem]string{}
		}
		seen[group][in.OperatingSystem] = in.BaselineID
		if in.DefaultBaseline {
			if d, ok := defaults[in.OperatingSystem]; ok && idKey(d.BaselineID) != idKey(in.BaselineID) {
				c.add(path+".BaselineIdentity.DefaultBaseline", "both %s and %s are marked the default for %s", d.BaselineID, in.BaselineID, in.OperatingSystem)
				continue
			}
			defaults[in.OperatingSystem] = in
		}
		pairs = append(pairs, pair{group, in})
	}
	for _, p := range pairs {
		if old, ok := r.groups[p.group][p.in.OperatingSystem]; ok && idKey(old.BaselineID) != idKey(p.in.BaselineID) {
			c.add("Mappings", "group %q already has baseline %s for %s in the registry", p.group, old.BaselineID, p.in.OperatingSystem)
		}
	}
	if err := c.err(); err != nil {
		return err
	}
	for _, p := range pairs {
		if _, ok := r.known[idKey(p.in.BaselineID)]; !ok {
			r.known[idKey(p.in.BaselineID)] = p.in
		}
		if err := r.registerGroup(p.group, p.in); err != nil {
			return err
		}
	}
	for os, in := range defaults {
		r.defaults[os] = in
	}
	return nil
}

// WritePatchGroups writes the registered groups as "aws ssm
// describe-patch-groups" prints them: groups sorted by name, then by
// operating system; DefaultBaseline says whether the baseline is its
// operating system's registered default.
func (r *Registry) WritePatchGroups(w io.Writer) error {
	type out struct {
		Mappings []Mapping `json:"Mappings"`
	}
	o := out{Mappings: []Mapping{}}
	for _, g := range r.PatchGroups() {
		for _, os := range patchkit.OperatingSystems() {
			in, ok := r.groups[g][os]
			if !ok {
				continue
			}
			d, isDefault := r.defaults[os]
			in.DefaultBaseline = isDefault && idKey(d.BaselineID) == idKey(in.BaselineID)
			o.Mappings = append(o.Mappings, Mapping{PatchGroup: g, BaselineIdentity: in})
		}
	}
	return writeJSON(w, o)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

type defaultWire struct {
	BaselineID      *string `json:"BaselineId"`
	OperatingSystem *string `json:"OperatingSystem"`
}

// DefaultBaseline is the output of "aws ssm get-default-patch-baseline".
type DefaultBaseline struct {
	BaselineID      string                   `json:"BaselineId"`
	OperatingSystem patchkit.OperatingSystem `json:"OperatingSystem"`
}

// ReadDefaultBaseline reads the output of "aws ssm
// get-default-patch-baseline" (one object), or a JSON array of such
// outputs (as WriteDefaultBaselines writes them), and registers each
// default. An output without OperatingSystem is the WINDOWS default: the
// command without --operating-system returns it. Two defaults for one
// operating system in one input are an error.
func (r *Registry) ReadDefaultBaseline(rd io.Reader) error {
	const input = "get-default-patch-baseline output"
	data, err := readAll(rd, input)
	if err != nil {
		return err
	}
	data = bytes.TrimSpace(data)
	var ws []defaultWire
	array := len(data) > 0 && data[0] == '['
	if array {
		err = decodeStrict(data, &ws, input)
	} else {
		var one defaultWire
		err = decodeStrict(data, &one, input)
		ws = []defaultWire{one}
	}
	if err != nil {
		return err
	}
	c := collector{input: input}
	got := map[patchkit.OperatingSystem]Identity{}
	for i, w := range ws {
		path := ""
		if array {
			path = fmt.Sprintf("[%d]", i)
		}
		iw := identityWire{BaselineID: w.BaselineID, OperatingSystem: w.OperatingSystem}
		in, ok := iw.identity(&c, path)
		if !ok {
			continue
		}
		if known, ok := r.identity(in.BaselineID); ok {
			if known.OperatingSystem != in.OperatingSystem {
				c.add(join(path, "OperatingSystem"), "baseline %s is for %s, not %s", in.BaselineID, known.OperatingSystem, in.OperatingSystem)
				continue
			}
			known.BaselineID = in.BaselineID
			in = known
		}
		if d, dup := got[in.OperatingSystem]; dup && idKey(d.BaselineID) != idKey(in.BaselineID) {
			c.add(join(path, "BaselineId"), "a second default for %s (%s and %s)", in.OperatingSystem, d.BaselineID, in.BaselineID)
			continue
		}
		in.DefaultBaseline = true
		got[in.OperatingSystem] = in
	}
	if err := c.err(); err != nil {
		return err
	}
	for os, in := range got {
		r.defaults[os] = in
		if _, ok := r.identity(in.BaselineID); !ok {
			r.known[idKey(in.BaselineID)] = in
		}
	}
	return nil
}

// WriteDefaultBaselines writes the registered defaults as a JSON array of
// "aws ssm get-default-patch-baseline" outputs, in the API's order of
// operating systems.
func (r *Registry) WriteDefaultBaselines(w io.Writer) error {
	out := []DefaultBaseline{}
	for _, os := range patchkit.OperatingSystems() {
		if in, ok := r.defaults[os]; ok {
			out = append(out, DefaultBaseline{BaselineID: in.BaselineID, OperatingSystem: os})
		}
	}
	return writeJSON(w, out)
}

// ReadBaselineIdentities reads the output of "aws ssm
// describe-patch-baselines": it learns each baseline's name and operating
// system (so that patch groups and defaults can name it) and registers the
// identities marked DefaultBaseline as their operating systems' defaults.
// Two defaults for one operating system are an error, and so is a
// NextToken (one page of several).
func (r *Registry) ReadBaselineIdentities(rd io.Reader) error {
	const input = "describe-patch-baselines output"
	data, err := readAll(rd, input)
	if err != nil {
		return err
	}
	var w struct {
		BaselineIdentities []identityWire `json:"BaselineIdentities"`
		NextToken          string         `json:"NextToken"`
	}
	if err := decodeStrict(data, &w, input); err != nil {
		return err
	}
	c := collector{input: input}
	if w.BaselineIdentities == nil {
		c.add("BaselineIdentities", "missing")
	}
	if w.NextToken != "" {
		c.add("NextToken", "set: this is one page of the output; give all of it (the CLI pages by itself unless told not to)")
	}
	var ins []Identity
	defaults := map[patchkit.OperatingSystem]Identity{}
	for i, iw := range w.BaselineIdentities {
		path := fmt.Sprintf("BaselineIdentities[%d]", i)
		in, ok := iw.identity(&c, path)
		if !ok {
			continue
		}
		if in.DefaultBaseline {
			if d, dup := defaults[in.OperatingSystem]; dup {
				c.add(path+".DefaultBaseline", "both %s and %s are marked the default for %s", d.BaselineID, in.BaselineID, in.OperatingSystem)
				continue
			}
			defaults[in.OperatingSystem] = in
		}
		ins = append(ins, in)
	}
	if err := c.err(); err != nil {
		return err
	}
	for _, in := range ins {
		r.known[idKey(in.BaselineID)] = in
	}
	for os, in := range defaults {
		r.defaults[os] = in
	}
	return nil
}

// WriteBaselineIdentities writes what the registry knows of baselines as
// "aws ssm describe-patch-baselines" prints it: the custom baselines, the
// identities read from describe outputs and the registered defaults, sorted
// by ID, DefaultBaseline marking each operating system's registered
// default. ReadBaselineIdentities reads it back.
func (r *Registry) WriteBaselineIdentities(w io.Writer) error {
	all := map[string]Identity{}
	for k, in := range r.known {
		all[k] = in
	}
	for _, in := range r.defaults {
		if _, ok := all[idKey(in.BaselineID)]; !ok {
			all[idKey(in.BaselineID)] = in
		}
	}
	for k, b := range r.baselines {
		all[k] = Identity{BaselineID: b.BaselineID, BaselineName: b.Name, OperatingSystem: b.OperatingSystem, BaselineDescription: b.Description}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type out struct {
		BaselineIdentities []Identity `json:"BaselineIdentities"`
	}
	o := out{BaselineIdentities: make([]Identity, 0, len(keys))}
	for _, k := range keys {
		in := all[k]
		d, ok := r.defaults[in.OperatingSystem]
		in.DefaultBaseline = ok && idKey(d.BaselineID) == k
		o.BaselineIdentities = append(o.BaselineIdentities, in)
	}
	return writeJSON(w, o)
}

// ReadBaselines reads custom baselines in any shape baseline.Load reads
// (one "aws ssm get-patch-baseline" output or an array of them) and adds
// them, registering the patch groups each lists in PatchGroups. Each needs
// a BaselineId.
func (r *Registry) ReadBaselines(rd io.Reader, opts ...baseline.Option) error {
	bs, err := baseline.Load(rd, opts...)
	if err != nil {
		return err
	}
	c := collector{input: "patch baselines"}
	seen := map[string]map[patchkit.OperatingSystem]string{}
	for i, b := range bs {
		if b.BaselineID == "" {
			c.add(fmt.Sprintf("[%d].BaselineId", i), "a registered baseline needs an ID")
			continue
		}
		c.checkGroups(r, fmt.Sprintf("[%d]", i), b, seen)
	}
	if err := c.err(); err != nil {
		return err
	}
	for _, b := range bs {
		r.addBaseline(b)
	}
	return nil
}

// checkGroups checks the PatchGroups of a baseline about to be added:
// valid names, and no group that already has another baseline for the
// operating system (in the registry or earlier in the same input).
func (c *collector) checkGroups(r *Registry, path string, b baseline.Baseline, seen map[string]map[patchkit.OperatingSystem]string) {
	for j, g := range b.PatchGroups {
		p := join(path, fmt.Sprintf("PatchGroups[%d]", j))
		if err := ValidatePatchGroup(g); err != nil {
			c.add(p, "%s", err.(*baseline.FieldError).Reason)
			continue
		}
		other := seen[g][b.OperatingSystem]
		if old, ok := r.groups[g][b.OperatingSystem]; ok && other == "" {
			other = old.BaselineID
		}
		if other != "" && idKey(other) != idKey(b.BaselineID) {
			c.add(p, "group %q already has baseline %s for %s", g, other, b.OperatingSystem)
			continue
		}
		if seen[g] == nil {
			seen[g] = map[patchkit.OperatingSystem]string{}
		}
		seen[g][b.OperatingSystem] = b.BaselineID
	}
}

// addBaseline stores a checked baseline and registers its PatchGroups.
func (r *Registry) addBaseline(b baseline.Baseline) {
	b = cloneBaseline(b)
	r.baselines[idKey(b.BaselineID)] = b
	in := Identity{BaselineID: b.BaselineID, BaselineName: b.Name, OperatingSystem: b.OperatingSystem, BaselineDescription: b.Description}
	for _, g := range b.PatchGroups {
		byOS := r.groups[g]
		if byOS == nil {
			byOS = map[patchkit.OperatingSystem]Identity{}
			r.groups[g] = byOS
		}
		byOS[b.OperatingSystem] = in
	}
}

// WriteBaselines writes the custom baselines as a JSON array of "aws ssm
// get-patch-baseline" outputs, sorted by ID; ReadBaselines reads it back.
func (r *Registry) WriteBaselines(w io.Writer) error {
	return writeJSON(w, r.Baselines())
}

// Tag is a resource tag as list-tags-for-resource prints it.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// BaselineTagList is the tags of one baseline: the output of "aws ssm
// list-tags-for-resource --resource-type PatchBaseline --resource-id ID"
// with the ID beside it.
type BaselineTagList struct {
	ResourceID string `json:"ResourceId"`
	TagList    []Tag  `json:"TagList"`
}

// registryFile is the one-file form of a registry.
type registryFile struct {
	Baselines        json.RawMessage   `json:"Baselines,omitempty"`
	BaselineTags     []BaselineTagList `json:"BaselineTags,omitempty"`
	PatchGroups      json.RawMessage   `json:"PatchGroups,omitempty"`
	DefaultBaselines json.RawMessage   `json:"DefaultBaselines,omitempty"`
}

// ReadRegistry reads a registry kept in one JSON object whose members hold
// the CLI's outputs:
//
//	{
//	  "Baselines":        [ get-patch-baseline outputs ],
//	  "BaselineTags":     [ {"ResourceId": ID, "TagList": list-tags-for-resource's TagList} ],
//	  "PatchGroups":      describe-patch-groups output,
//	  "DefaultBaselines": [ get-default-patch-baseline outputs ]
//	}
//
// Every member is optional. Baselines are read first, so that groups and
// defaults may name them. Errors name the member.
func ReadRegistry(rd io.Reader, opts ...baseline.Option) (*Registry, error) {
	const input = "registry"
	data, err := readAll(rd, input)
	if err != nil {
		return nil, err
	}
	var f registryFile
	if err := decodeStrict(data, &f, input); err != nil {
		return nil, err
	}
	r := NewRegistry()
	wrap := func(member string, err error) error {
		return fmt.Errorf("policy: registry member %s: %w", member, err)
	}
	if len(f.Baselines) > 0 {
		if err := r.ReadBaselines(bytes.NewReader(f.Baselines), opts...); err != nil {
			return nil, wrap("Baselines", err)
		}
	}
	for i, t := range f.BaselineTags {
		tags := map[string]string{}
		for _, kv := range t.TagList {
			tags[kv.Key] = kv.Value
		}
		if err := r.SetBaselineTags(t.ResourceID, tags); err != nil {
			return nil, wrap(fmt.Sprintf("BaselineTags[%d]", i), err)
		}
	}
	if len(f.PatchGroups) > 0 {
		if err := r.ReadPatchGroups(bytes.NewReader(f.PatchGroups)); err != nil {
			return nil, wrap("PatchGroups", err)
		}
	}
	if len(f.DefaultBaselines) > 0 {
		if err := r.ReadDefaultBaseline(bytes.NewReader(f.DefaultBaselines)); err != nil {
			return nil, wrap("DefaultBaselines", err)
		}
	}
	return r, nil
}

// WriteJSON writes the registry in the one-file form ReadRegistry reads.
func (r *Registry) WriteJSON(w io.Writer) error {
	var f registryFile
	var buf bytes.Buffer
	if len(r.baselines) > 0 {
		if err := r.WriteBaselines(&buf); err != nil {
			return err
		}
		f.Baselines = append(json.RawMessage(nil), bytes.TrimSpace(buf.Bytes())...)
	}
	keys := make([]string, 0, len(r.tags))
	for k := range r.tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		l := BaselineTagList{ResourceID: r.baselines[k].BaselineID, TagList: []Tag{}}
		for _, tk := range sortedKeys(r.tags[k]) {
			l.TagList = append(l.TagList, Tag{Key: tk, Value: r.tags[k][tk]})
		}
		f.BaselineTags = append(f.BaselineTags, l)
	}
	if len(r.groups) > 0 {
		buf.Reset()
		if err := r.WritePatchGroups(&buf); err != nil {
			return err
		}
		f.PatchGroups = append(json.RawMessage(nil), bytes.TrimSpace(buf.Bytes())...)
	}
	if len(r.defaults) > 0 {
		buf.Reset()
		if err := r.WriteDefaultBaselines(&buf); err != nil {
			return err
		}
		f.DefaultBaselines = append(json.RawMessage(nil), bytes.TrimSpace(buf.Bytes())...)
	}
	return writeJSON(w, f)
}

// join appends a member to a JSON path.
func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}
