package baseline

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/patchkit/patchkit"
)

// maxInput bounds what Load reads: a baseline is a few kilobytes, a
// BaselineOverride file one baseline per operating system.
const maxInput = 8 << 20

// LoadError reports JSON that is not a baseline in any accepted shape, with
// the position of the problem. It matches patchkit.ErrInvalid.
type LoadError struct {
	// Name is the input's name, when Load knows it (a reader with a Name
	// method, such as an *os.File); empty otherwise.
	Name  string
	Index int // position in a JSON array, or -1
	// Offset is the 1-based byte position in the input (leading white
	// space included) of the problem, 0 when unknown: of a syntax error's
	// offending byte, the end of a value of the wrong type (as
	// encoding/json counts them), or the opening quote of an unknown
	// field's name. Line is its 1-based line.
	Offset int64
	Line   int
	Err    error
}

func (e *LoadError) Error() string {
	s := "baseline: "
	if e.Name != "" {
		s += e.Name + ": "
	}
	if e.Index >= 0 {
		s += fmt.Sprintf("element %d: ", e.Index)
	}
	if e.Offset > 0 {
		s += fmt.Sprintf("at byte %d", e.Offset)
		if e.Line > 0 {
			s += fmt.Sprintf(" (line %d)", e.Line)
		}
		s += ": "
	}
	return s + e.Err.Error()
}

func (e *LoadError) Unwrap() error { return e.Err }

// Is reports whether target is patchkit.ErrInvalid.
func (e *LoadError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Load reads patch baselines from JSON in any of the shapes people hold: one
// baseline object or an array of them, each either
//
//   - the GetPatchBaseline output ("aws ssm get-patch-baseline") or a
//     CreatePatchBaseline request (PascalCase; Tags and ClientToken are
//     accepted and dropped),
//   - an element of a BaselineOverride file (baseline_overrides.json: an
//     array, one baseline per operating system), or
//   - the camelCase snapshot a node downloads (the whole snapshot, whose
//     patchBaseline is taken, or the patchBaseline object alone).
//
// Missing fields get the API's defaults (OperatingSystem WINDOWS,
// RejectedPatchesAction ALLOW_AS_DEPENDENCY, levels UNSPECIFIED, empty
// lists). Unknown fields are an error unless AllowUnknownFields is given.
// Every baseline is validated; all problems are reported at once. An input
// that is not a baseline is a *LoadError naming the input when r has a
// Name method (an *os.File does), the array element, and the byte offset
// and line of the problem when known (an unknown field's name included).
func Load(r io.Reader, opts ...Option) ([]Baseline, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	var name string
	if n, ok := r.(interface{ Name() string }); ok {
		name = n.Name()
	}
	in, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(in) > maxInput {
		return nil, &LoadError{Name: name, Index: -1, Err: fmt.Errorf("input is larger than %d bytes", maxInput)}
	}
	lead := len(in) - len(bytes.TrimLeftFunc(in, unicode.IsSpace)) // as TrimSpace trims
	data := bytes.TrimSpace(in)
	// at makes a *LoadError of err at position off (1-based, in data; 0
	// when unknown).
	at := func(idx int, off int64, err error) *LoadError {
		e := &LoadError{Name: name, Index: idx, Err: err}
		if off > 0 {
			e.Offset = off + int64(lead)
			e.Line = 1 + bytes.Count(in[:min(e.Offset-1, int64(len(in)))], []byte("\n"))
		}
		return e
	}
	var (
		raws   []json.RawMessage
		starts []int64 // each raw's offset (0-based) in data
	)
	switch {
	case len(data) == 0:
		return nil, at(-1, 0, errNoBaselines)
	case data[0] == '[':
		if err := json.Unmarshal(data, &raws); err != nil {
			return nil, at(-1, syntaxOffset(err), err)
		}
		if len(raws) == 0 {
			return nil, at(-1, 0, errNoBaselines)
		}
		starts = elementStarts(data, len(raws))
	case data[0] == '{':
		raws, starts = []json.RawMessage{data}, []int64{0}
	default:
		return nil, at(-1, 0, errors.New("not a JSON object or array"))
	}
	out := make([]Baseline, 0, len(raws))
	var errs []error
	for i, raw := range raws {
		idx := i
		if data[0] != '[' {
			idx = -1
		}
		b, off, err := decodeOne(raw, o)
		if err != nil {
			if off > 0 {
				off += starts[i]
			}
			errs = append(errs, at(idx, off, err))
			continue
		}
		if err := b.validate(o); err != nil {
			if idx >= 0 || name != "" {
				err = at(idx, 0, err)
			}
			errs = append(errs, err)
			continue
		}
		out = append(out, b)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// elementStarts returns the offsets (0-based) in data, a JSON array that
// decodes, of its first n elements.
func elementStarts(data []byte, n int) []int64 {
	starts := make([]int64, n)
	d := json.NewDecoder(bytes.NewReader(data))
	if _, err := d.Token(); err != nil { // '['
		return starts
	}
	for i := 0; i < n && d.More(); i++ {
		starts[i] = skipSpace(data, d.InputOffset())
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			break
		}
	}
	return starts
}

// skipSpace returns the offset of the first byte at or after off that is
// neither white space nor a comma or colon (the decoder's offsets stop
// before them).
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func syntaxOffset(err error) int64 {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Offset
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Offset
	}
	return 0
}

// decodeOne decodes one baseline object in whichever shape it has. On an
// error it also returns the position (1-based) in raw of the problem, 0
// when unknown.
func decodeOne(raw json.RawMessage, o options) (Baseline, int64, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return Baseline{}, syntaxOffset(err), err
	}
	base := int64(0) // the offset (0-based) in raw of the baseline object
	if pb, ok := keys["patchBaseline"]; ok {
		// A whole snapshot: check its other members, then take the baseline.
		var snap snapshotWire
		if off, err := strictDecode(raw, &snap, o); err != nil {
			return Baseline{}, off, err
		}
		base = memberOffset(raw, "patchBaseline")
		raw = pb
		keys = nil
	}
	camel := keys == nil
	for _, k := range []string{"baselineId", "operatingSystem", "approvalRules", "globalFilters", "approvedPatches", "rejectedPatches", "name"} {
		if _, ok := keys[k]; ok {
			camel = true
		}
	}
	var b Baseline
	if camel {
		var w camelWire
		if off, err := strictDecode(raw, &w, o); err != nil {
			return Baseline{}, base + off, err
		}
		b = w.baseline()
	} else {
		var w pascalWire
		if off, err := strictDecode(raw, &w, o); err != nil {
			return Baseline{}, base + off, err
		}
		b = w.baseline()
	}
	b.normalize()
	return b, 0, nil
}

// strictDecode decodes raw into v, refusing unknown fields unless o allows
// them. On an error it also returns the position (1-based) in raw of the
// problem (the unknown field's name, a syntax or type error), 0 when
// unknown.
func strictDecode(raw []byte, v any, o options) (int64, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	if !o.allowUnknownFields {
		d.DisallowUnknownFields()
	}
	if err := d.Decode(v); err != nil {
		off := syntaxOffset(err)
		if off == 0 && !o.allowUnknownFields {
			off = unknownFieldOffset(raw, reflect.TypeOf(v))
		}
		return off, err
	}
	if d.More() {
		return skipSpace(raw, d.InputOffset()) + 1, errors.New("data after the JSON value")
	}
	return 0, nil
}

// memberOffset returns the offset (0-based) in obj, a JSON object that
// decodes, of the value of its member key, 0 when it has none.
func memberOffset(obj []byte, key string) int64 {
	d := json.NewDecoder(bytes.NewReader(obj))
	if _, err := d.Token(); err != nil {
		return 0
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return 0
		}
		if k, _ := t.(string); k == key {
			return skipSpace(obj, d.InputOffset())
		}
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return 0
		}
	}
	return 0
}

// unknownFieldOffset finds, in raw, the first object member that the Go
// type t (a pointer to a wire struct) has no field for, walking raw as
// encoding/json decodes it (a member name matches a field's JSON name, or
// its Go name, exactly or without regard to case); it returns the
// position (1-based) of the member name's opening quote, 0 when there is
// none. encoding/json names an unknown field but not where it is.
func unknownFieldOffset(raw []byte, t reflect.Type) int64 {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	off, _ := walkUnknown(d, raw, t)
	return off
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// walkUnknown reads one value from d as type t and returns the position
// (1-based) of the first unknown member name in it (0 when there is none)
// and whether the walk can go on.
func walkUnknown(d *json.Decoder, raw []byte, t reflect.Type) (int64, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	opaque := reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)
	if opaque || (t.Kind() != reflect.Struct && t.Kind() != reflect.Slice && t.Kind() != reflect.Array && t.Kind() != reflect.Map) {
		var skip json.RawMessage
		return 0, d.Decode(&skip) == nil
	}
	tok, err := d.Token()
	if err != nil {
		return 0, false
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return 0, true // null or a scalar where a composite was expected
	}
	switch {
	case delim == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for d.More() {
			if off, ok := walkUnknown(d, raw, t.Elem()); off > 0 || !ok {
				return off, ok
			}
		}
	case delim == '{' && t.Kind() == reflect.Map:
		for d.More() {
			if _, err := d.Token(); err != nil {
				return 0, false
			}
			if off, ok := walkUnknown(d, raw, t.Elem()); off > 0 || !ok {
				return off, ok
			}
		}
	case delim == '{' && t.Kind() == reflect.Struct:
		for d.More() {
			start := skipSpace(raw, d.InputOffset())
			k, err := d.Token()
			if err != nil {
				return 0, false
			}
			name, _ := k.(string)
			f, found := fieldFor(t, name)
			if !found {
				return start + 1, true
			}
			if off, ok := walkUnknown(d, raw, f.Type); off > 0 || !ok {
				return off, ok
			}
		}
	default:
		// Not the shape the type wants: the decoder reports that.
		return 0, false
	}
	_, err = d.Token() // the closing delimiter
	return 0, err == nil
}

// fieldFor finds the field of struct type t that the member name decodes
// into, as encoding/json matches them (the fields of an untagged embedded
// struct count as t's own).
func fieldFor(t reflect.Type, name string) (reflect.StructField, bool) {
	var fold *reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if et := f.Type; f.Anonymous && tag == "" {
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if ef, ok := fieldFor(et, name); ok {
					return ef, true
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if tag == name {
			return f, true
		}
		if fold == nil && strings.EqualFold(tag, name) {
			fold = &f
		}
	}
	if fold != nil {
		return *fold, true
	}
	return reflect.StructField{}, false
}

// normalize applies the API's defaults so that equal baselines compare equal
// whatever shape they were read from.
func (b *Baseline) normalize() {
	if b.OperatingSystem == "" {
		b.OperatingSystem = patchkit.OSWindows
	}
	if b.RejectedPatchesAction == "" {
		b.RejectedPatchesAction = AllowAsDependency
	}
	norm := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	b.ApprovedPatches = norm(b.ApprovedPatches)
	b.RejectedPatches = norm(b.RejectedPatches)
	b.PatchGroups = norm(b.PatchGroups)
	if b.Sources == nil {
		b.Sources = []Source{}
	}
	if b.GlobalFilters.PatchFilters == nil {
		b.GlobalFilters.PatchFilters = []Filter{}
	}
	if b.ApprovalRules.PatchRules == nil {
		b.ApprovalRules.PatchRules = []Rule{}
	}
	for i := range b.ApprovalRules.PatchRules {
		r := &b.ApprovalRules.PatchRules[i]
		if r.PatchFilterGroup.PatchFilters == nil {
			r.PatchFilterGroup.PatchFilters = []Filter{}
		}
	}
	for i := range b.Sources {
		if b.Sources[i].Products == nil {
			b.Sources[i].Products = []string{}
		}
	}
	b.CreatedDate = b.CreatedDate.UTC()
	b.ModifiedDate = b.ModifiedDate.UTC()
}

// UnmarshalJSON reads one baseline in the PascalCase shape (GetPatchBaseline
// output, CreatePatchBaseline request, BaselineOverride element), strictly.
// Use Load for the other shapes, for arrays and for validation.
func (b *Baseline) UnmarshalJSON(data []byte) error {
	var w pascalWire
	if _, err := strictDecode(data, &w, options{}); err != nil {
		return err
	}
	*b = w.baseline()
	b.normalize()
	return nil
}

// awsTime reads the API's timestamps: RFC 3339 strings as the CLI prints
// them ("2018-06-21T20:28:01.452000+00:00") or epoch seconds as numbers, as
// the raw API and the node snapshot carry them.
type awsTime struct{ time.Time }

func (t *awsTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("timestamp %q: %w", s, err)
		}
		t.Time = v.UTC()
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f > 1e11 {
		return fmt.Errorf("timestamp %s is not epoch seconds", b)
	}
	t.Time = time.UnixMilli(int64(math.Round(f * 1000))).UTC()
	return nil
}

// pascalWire is the PascalCase shape of GetPatchBaseline, CreatePatchBaseline
// and BaselineOverride.
type pascalWire struct {
	BaselineID                               string                    `json:"BaselineId"`
	Name                                     string                    `json:"Name"`
	OperatingSystem                          patchkit.OperatingSystem  `json:"OperatingSystem"`
	GlobalFilters                            *FilterGroup              `json:"GlobalFilters"`
	ApprovalRules                            *RuleGroup                `json:"ApprovalRules"`
	ApprovedPatches                          []string                  `json:"ApprovedPatches"`
	ApprovedPatchesComplianceLevel           patchkit.ComplianceLevel  `json:"ApprovedPatchesComplianceLevel"`
	ApprovedPatchesEnableNonSecurity         bool                      `json:"ApprovedPatchesEnableNonSecurity"`
	RejectedPatches                          []string                  `json:"RejectedPatches"`
	RejectedPatchesAction                    PatchAction               `json:"RejectedPatchesAction"`
	PatchGroups                              []string                  `json:"PatchGroups"`
	CreatedDate                              awsTime                   `json:"CreatedDate"`
	ModifiedDate                             awsTime                   `json:"ModifiedDate"`
	Description                              string                    `json:"Description"`
	Sources                                  []Source                  `json:"Sources"`
	AvailableSecurityUpdatesComplianceStatus patchkit.ComplianceStatus `json:"AvailableSecurityUpdatesComplianceStatus"`
	// CreatePatchBaseline request members that a baseline does not keep.
	Tags        []struct{ Key, Value string } `json:"Tags"`
	ClientToken string                        `json:"ClientToken"`
}

func (w pascalWire) baseline() Baseline {
	b := Baseline{
		BaselineID: w.BaselineID, Name: w.Name, OperatingSystem: w.OperatingSystem,
		ApprovedPatches: w.ApprovedPatches, ApprovedPatchesComplianceLevel: w.ApprovedPatchesComplianceLevel,
		ApprovedPatchesEnableNonSecurity: w.ApprovedPatchesEnableNonSecurity,
		RejectedPatches:                  w.RejectedPatches, RejectedPatchesAction: w.RejectedPatchesAction,
		PatchGroups: w.PatchGroups, CreatedDate: w.CreatedDate.Time, ModifiedDate: w.ModifiedDate.Time,
		Description: w.Description, Sources: w.Sources,
		AvailableSecurityUpdatesComplianceStatus: w.AvailableSecurityUpdatesComplianceStatus,
	}
	if w.GlobalFilters != nil {
		b.GlobalFilters = *w.GlobalFilters
	}
	if w.ApprovalRules != nil {
		b.ApprovalRules = *w.ApprovalRules
	}
	return b
}
