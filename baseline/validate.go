package baseline

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
)

// FieldError is one problem in a baseline, with the path of the field in
// the GetPatchBaseline shape, e.g. "ApprovalRules.PatchRules[2].ApproveAfterDays".
// It matches patchkit.ErrInvalid.
type FieldError struct {
	Path   string
	Reason string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == patchkit.ErrInvalid }

// ValidationError lists every problem found in a baseline.
type ValidationError struct {
	Baseline string // the baseline's name or ID, if it has one
	Errors   []*FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid patch baseline")
	if e.Baseline != "" {
		b.WriteString(" " + e.Baseline)
	}
	for _, fe := range e.Errors {
		b.WriteString("\n  " + fe.Error())
	}
	return b.String()
}

// Unwrap returns the field errors, so errors.As finds a *FieldError.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		out[i] = fe
	}
	return out
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == patchkit.ErrInvalid }

// osKind groups operating systems that share filter keys and list formats.
type osKind int

const (
	kindRPM osKind = iota
	kindSUSE
	kindApt
	kindMacOS
	kindWindows
)

func kindOf(os patchkit.OperatingSystem) osKind {
	switch os {
	case patchkit.OSSUSE:
		return kindSUSE
	case patchkit.OSUbuntu, patchkit.OSDebian, patchkit.OSRaspbian:
		return kindApt
	case patchkit.OSMacOS:
		return kindMacOS
	case patchkit.OSWindows:
		return kindWindows
	}
	return kindRPM
}

// baselineKeys are the filter keys DescribePatchProperties documents per OS
// (plus SECTION on apt and PATCH_SET on Windows, which AWS's own baselines and
// the console use).
var baselineKeys = map[osKind][]FilterKey{
	kindRPM:     {KeyProduct, KeyClassification, KeySeverity},
	kindSUSE:    {KeyProduct, KeyClassification, KeySeverity},
	kindApt:     {KeyProduct, KeyPriority, KeySection},
	kindMacOS:   {KeyProduct, KeyClassification},
	kindWindows: {KeyProduct, KeyProductFamily, KeyClassification, KeyMsrcSeverity, KeyPatchSet},
}

// extendedKeys are accepted with AllowExtendedFilterKeys.
var extendedKeys = map[osKind][]FilterKey{
	kindRPM:     {KeyArch, KeyName, KeyVersion, KeyRelease, KeyEpoch, KeyRepository, KeyAdvisoryID, KeyCVEID, KeyBugzillaID},
	kindSUSE:    {KeyArch, KeyName, KeyVersion, KeyRelease, KeyEpoch, KeyRepository, KeyAdvisoryID, KeyCVEID, KeyBugzillaID},
	kindApt:     {KeyArch, KeyName, KeyVersion, KeyRepository},
	kindMacOS:   {KeyName, KeyVersion},
	kindWindows: {KeyPatchID},
}

// knownValues are the values patchkit knows for the keys with a closed set
// (compared without regard to case). PRODUCT, SECTION and PRODUCT_FAMILY
// take any value.
var knownValues = map[osKind]map[FilterKey][]string{
	kindRPM: {
		KeyClassification: {"Security", "Bugfix", "Enhancement", "Recommended", "Newpackage"},
		// Oracle's AWS baseline uses Moderate; Amazon Linux 2023 also has None.
		KeySeverity: {"Critical", "Important", "Medium", "Moderate", "Low", "None"},
	},
	kindSUSE: {
		KeyClassification: {"Security", "Recommended", "Optional", "Feature", "Document", "Yast"},
		KeySeverity:       {"Critical", "Important", "Moderate", "Low"},
	},
	kindApt: {
		KeyPriority: {"Required", "Important", "Standard", "Optional", "Extra"},
	},
	kindMacOS: {
		KeyClassification: {"softwareupdate", "installer", "brew", "brew_cask"},
	},
	kindWindows: {
		KeyClassification: {"CriticalUpdates", "DefinitionUpdates", "Drivers", "FeaturePacks", "SecurityUpdates",
			"ServicePacks", "Tools", "UpdateRollups", "Updates", "Upgrades"},
		KeyMsrcSeverity: {"Critical", "Important", "Moderate", "Low", "Unspecified"},
		KeyPatchSet:     {"OS", "APPLICATION"},
	},
}

// Validate checks the baseline against the API's limits and the filter keys
// and values of its operating system, and reports every problem at once as
// a *ValidationError.
func (b Baseline) Validate(opts ...Option) error {
	o, err := buildOptions(opts)
	if err != nil {
		return err
	}
	return b.validate(o)
}

func (b Baseline) validate(o options) error {
	v := validator{}
	if b.BaselineID != "" && !matchChars(b.BaselineID, 20, 128, "_-:/") {
		v.add("BaselineId", "must be 20 to 128 letters, digits or _-:/")
	}
	if b.Name != "" && !matchChars(b.Name, 3, 128, "_-.") {
		v.add("Name", "must be 3 to 128 letters, digits or _-.")
	}
	if !b.OperatingSystem.Valid() {
		v.add("OperatingSystem", fmt.Sprintf("unknown value %q", b.OperatingSystem))
	}
	if n := len(b.Description); b.Description != "" && n > 1024 {
		v.add("Description", fmt.Sprintf("%d characters, at most 1024", n))
	}
	kind := kindOf(b.OperatingSystem)
	v.filterGroup("GlobalFilters", b.GlobalFilters, kind, o)
	if n := len(b.ApprovalRules.PatchRules); n > 10 {
		v.add("ApprovalRules.PatchRules", fmt.Sprintf("%d rules, at most 10", n))
	}
	for i, r := range b.ApprovalRules.PatchRules {
		p := fmt.Sprintf("ApprovalRules.PatchRules[%d]", i)
		v.filterGroup(p+".PatchFilterGroup", r.PatchFilterGroup, kind, o)
		if r.ComplianceLevel > patchkit.ComplianceCritical {
			v.add(p+".ComplianceLevel", "unknown value")
		}
		switch {
		case r.ApproveAfterDays != nil && r.ApproveUntilDate != nil:
			v.add(p, "has both ApproveAfterDays and ApproveUntilDate; a rule takes one of them")
		case r.ApproveAfterDays == nil && r.ApproveUntilDate == nil && kind != kindApt && !o.undatedRulesImmediate:
			v.add(p, "has neither ApproveAfterDays nor ApproveUntilDate; the API requires one")
		}
		if d := r.ApproveAfterDays; d != nil && (*d < 0 || *d > 360) {
			v.add(p+".ApproveAfterDays", fmt.Sprintf("%d is outside 0..360", *d))
		}
		if d := r.ApproveUntilDate; d != nil {
			if _, err := time.Parse("2006-01-02", *d); err != nil {
				v.add(p+".ApproveUntilDate", fmt.Sprintf("%q is not a date in the form YYYY-MM-DD", *d))
			}
		}
		if r.EnableNonSecurity && kind == kindWindows {
			v.add(p+".EnableNonSecurity", "applies to Linux only")
		}
	}
	// Wildcards are not supported on macOS.
	v.list("ApprovedPatches", b.ApprovedPatches, kind == kindMacOS)
	v.list("RejectedPatches", b.RejectedPatches, kind == kindMacOS)
	if b.ApprovedPatchesComplianceLevel > patchkit.ComplianceCritical {
		v.add("ApprovedPatchesComplianceLevel", "unknown value")
	}
	if b.ApprovedPatchesEnableNonSecurity && kind == kindWindows {
		v.add("ApprovedPatchesEnableNonSecurity", "applies to Linux only")
	}
	switch b.RejectedPatchesAction {
	case AllowAsDependency, Block, "":
	default:
		v.add("RejectedPatchesAction", fmt.Sprintf("unknown value %q", b.RejectedPatchesAction))
	}
	if n := len(b.Sources); n > 20 {
		v.add("Sources", fmt.Sprintf("%d sources, at most 20", n))
	}
	if len(b.Sources) > 0 && (kind == kindWindows || kind == kindMacOS) {
		v.add("Sources", "alternative sources apply to Linux only")
	}
	for i, s := range b.Sources {
		p := fmt.Sprintf("Sources[%d]", i)
		if !matchChars(s.Name, 3, 50, "_-.") {
			v.add(p+".Name", "must be 3 to 50 letters, digits or _-.")
		}
		if n := len(s.Products); n < 1 || n > 20 {
			v.add(p+".Products", fmt.Sprintf("%d products, 1 to 20 allowed", n))
		}
		for j, pr := range s.Products {
			if n := len(pr); n < 1 || n > 128 {
				v.add(fmt.Sprintf("%s.Products[%d]", p, j), fmt.Sprintf("%d characters, 1 to 128 allowed", n))
			}
		}
		if n := len(s.Configuration); n < 1 || n > 1024 {
			v.add(p+".Configuration", fmt.Sprintf("%d characters, 1 to 1024 allowed", n))
		}
	}
	switch b.AvailableSecurityUpdatesComplianceStatus {
	case "":
	case patchkit.Compliant, patchkit.NonCompliant:
		if kind != kindWindows {
			v.add("AvailableSecurityUpdatesComplianceStatus", "applies to Windows only")
		}
	default:
		v.add("AvailableSecurityUpdatesComplianceStatus", fmt.Sprintf("unknown value %q", b.AvailableSecurityUpdatesComplianceStatus))
	}
	if len(v.errs) == 0 {
		return nil
	}
	name := b.Name
	if name == "" {
		name = b.BaselineID
	}
	return &ValidationError{Baseline: name, Errors: v.errs}
}

type validator struct{ errs []*FieldError }

func (v *validator) add(path, reason string) {
	v.errs = append(v.errs, &FieldError{Path: path, Reason: reason})
}

func (v *validator) filterGroup(path string, g FilterGroup, kind osKind, o options) {
	if n := len(g.PatchFilters); n > 4 {
		v.add(path+".PatchFilters", fmt.Sprintf("%d filters, at most 4", n))
	}
	seen := map[FilterKey]bool{}
	for i, f := range g.PatchFilters {
		p := fmt.Sprintf("%s.PatchFilters[%d]", path, i)
		if !keyAllowed(f.Key, kind, o) {
			v.add(p+".Key", fmt.Sprintf("%s is not a filter key for this operating system", keyName(f.Key)))
		}
		if seen[f.Key] {
			v.add(p+".Key", fmt.Sprintf("%s appears twice in the group", f.Key))
		}
		seen[f.Key] = true
		if n := len(f.Values); n < 1 || n > 20 {
			v.add(p+".Values", fmt.Sprintf("%d values, 1 to 20 allowed", n))
		}
		known := knownValues[kind][f.Key]
		for j, val := range f.Values {
			vp := fmt.Sprintf("%s.Values[%d]", p, j)
			if n := len(val); n < 1 || n > 64 {
				v.add(vp, fmt.Sprintf("%d characters, 1 to 64 allowed", n))
				continue
			}
			if val == "*" || known == nil || o.allowUnknownValues {
				continue
			}
			if !containsFold(known, val) && !prefixOfAny(known, val) {
				v.add(vp, fmt.Sprintf("%q is not a %s value for this operating system (known: %s)", val, f.Key, strings.Join(known, ", ")))
			}
		}
	}
}

func keyName(k FilterKey) string {
	if k == "" {
		return "the empty key"
	}
	return string(k)
}

func keyAllowed(k FilterKey, kind osKind, o options) bool {
	for _, a := range baselineKeys[kind] {
		if a == k {
			return true
		}
	}
	if o.allowExtendedKeys {
		for _, a := range extendedKeys[kind] {
			if a == k {
				return true
			}
		}
	}
	return false
}

func (v *validator) list(path string, entries []string, noWildcards bool) {
	if n := len(entries); n > 50 {
		v.add(path, fmt.Sprintf("%d entries, at most 50", n))
	}
	for i, e := range entries {
		p := fmt.Sprintf("%s[%d]", path, i)
		if n := len(e); n < 1 || n > 100 {
			v.add(p, fmt.Sprintf("%d characters, 1 to 100 allowed", n))
		}
		if noWildcards && strings.ContainsAny(e, "*?[") {
			v.add(p, "wildcards are not supported on this operating system")
		}
	}
}

// prefixOfAny reports whether a prefix value ("Sec*") can match a known
// value.
func prefixOfAny(list []string, v string) bool {
	p, ok := strings.CutSuffix(v, "*")
	if !ok {
		return false
	}
	for _, l := range list {
		if len(l) >= len(p) && strings.EqualFold(l[:len(p)], p) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// matchChars checks a length range and letters, digits and the extra bytes.
func matchChars(s string, min, max int, extra string) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0 {
			continue
		}
		return false
	}
	return true
}

var errNoBaselines = errors.New("no baseline in the input")
