package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/patchkit/patchkit"
)

// maxInput bounds what Load reads: a baseline is a few kilobytes, a
// BaselineOverride file one baseline per operating system.
const maxInput = 8 << 20

// LoadError reports JSON that is not a baseline in any accepted shape, with
// the position of the problem. It matches patchkit.ErrInvalid.
type LoadError struct {
	Index  int   // position in a JSON array, or -1
	Offset int64 // byte offset in the input, when known
	Err    error
}

func (e *LoadError) Error() string {
	s := "baseline: "
	if e.Index >= 0 {
		s += fmt.Sprintf("element %d: ", e.Index)
	}
	if e.Offset > 0 {
		s += fmt.Sprintf("at byte %d: ", e.Offset)
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
// Every baseline is validated; all problems are reported at once.
func Load(r io.Reader, opts ...Option) ([]Baseline, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInput {
		return nil, &LoadError{Index: -1, Err: fmt.Errorf("input is larger than %d bytes", maxInput)}
	}
	data = bytes.TrimSpace(data)
	var raws []json.RawMessage
	switch {
	case len(data) == 0:
		return nil, &LoadError{Index: -1, Err: errNoBaselines}
	case data[0] == '[':
		if err := json.Unmarshal(data, &raws); err != nil {
			return nil, &LoadError{Index: -1, Offset: syntaxOffset(err), Err: err}
		}
		if len(raws) == 0 {
			return nil, &LoadError{Index: -1, Err: errNoBaselines}
		}
	case data[0] == '{':
		raws = []json.RawMessage{data}
	default:
		return nil, &LoadError{Index: -1, Err: errors.New("not a JSON object or array")}
	}
	out := make([]Baseline, 0, len(raws))
	var errs []error
	for i, raw := range raws {
		idx := i
		if data[0] != '[' {
			idx = -1
		}
		b, err := decodeOne(raw, o)
		if err != nil {
			errs = append(errs, &LoadError{Index: idx, Offset: syntaxOffset(err), Err: err})
			continue
		}
		if err := b.validate(o); err != nil {
			if idx >= 0 {
				err = &LoadError{Index: idx, Err: err}
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

// decodeOne decodes one baseline object in whichever shape it has.
func decodeOne(raw json.RawMessage, o options) (Baseline, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return Baseline{}, err
	}
	if pb, ok := keys["patchBaseline"]; ok {
		// A whole snapshot: check its other members, then take the baseline.
		var snap snapshotWire
		if err := strictDecode(raw, &snap, o); err != nil {
			return Baseline{}, err
		}
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
		if err := strictDecode(raw, &w, o); err != nil {
			return Baseline{}, err
		}
		b = w.baseline()
	} else {
		var w pascalWire
		if err := strictDecode(raw, &w, o); err != nil {
			return Baseline{}, err
		}
		b = w.baseline()
	}
	b.normalize()
	return b, nil
}

func strictDecode(raw []byte, v any, o options) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	if !o.allowUnknownFields {
		d.DisallowUnknownFields()
	}
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the JSON value")
	}
	return nil
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
	if err := strictDecode(data, &w, options{}); err != nil {
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
