package baseline

import "time"

// Option changes how baselines are loaded, validated and evaluated. Options
// choose the other side of the questions Patch Manager's sources leave open;
// the defaults follow the current AWS documentation (see the package
// documentation).
type Option func(*options) error

type options struct {
	allowUnknownFields    bool
	allowExtendedKeys     bool
	allowUnknownValues    bool
	exactInstants         bool
	missingSeverityFails  bool
	aptGlobalFiltersFirst bool
	aptExtendedForms      bool
	susePackageForms      bool
	undatedRulesImmediate bool
	asOf                  time.Time
}

func buildOptions(opts []Option) (options, error) {
	var o options
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// AllowUnknownFields makes Load accept JSON fields no baseline shape has;
// they are ignored.
func AllowUnknownFields() Option {
	return func(o *options) error { o.allowUnknownFields = true; return nil }
}

// AllowExtendedFilterKeys accepts in baseline filters the PatchFilterKey
// values that the API documents for DescribeAvailablePatches only (ARCH,
// NAME, VERSION, RELEASE, EPOCH, REPOSITORY, ADVISORY_ID, CVE_ID,
// BUGZILLA_ID; PATCH_ID on Windows) and evaluates them against the
// matching Patch fields. By default they are a validation error, since
// whether baselines accept them is not documented.
func AllowExtendedFilterKeys() Option {
	return func(o *options) error { o.allowExtendedKeys = true; return nil }
}

// AllowUnknownFilterValues accepts CLASSIFICATION, SEVERITY, PRIORITY,
// MSRC_SEVERITY and PATCH_SET values outside the lists patchkit knows. The
// authoritative lists exist only in DescribePatchProperties at run time.
func AllowUnknownFilterValues() Option {
	return func(o *options) error { o.allowUnknownValues = true; return nil }
}

// ExactInstants makes ApproveAfterDays compare instants, as the 2021 node
// payload did: a patch is approved when its release is strictly before now
// minus N×24 hours. By default the comparison is by UTC calendar day, as the
// current documentation says: released on day D, approved from 00:00 UTC of
// day D+N.
func ExactInstants() Option {
	return func(o *options) error { o.exactInstants = true; return nil }
}

// MissingSeverityFails makes a rule that filters on SEVERITY (with values
// other than "*") reject a patch that has no severity, as the 2021 payload
// did. By default the severity filter is ignored for such a patch, as the
// current documentation says.
func MissingSeverityFails() Option {
	return func(o *options) error { o.missingSeverityFails = true; return nil }
}

// AptGlobalFiltersBeforeApprovedList makes the approved list on Ubuntu,
// Debian and Raspberry Pi OS approve only patches that pass the global
// filters, as the 2021 apt payload did. By default the approved list
// bypasses the global filters on every OS, as the documentation says.
func AptGlobalFiltersBeforeApprovedList() Option {
	return func(o *options) error { o.aptGlobalFiltersFirst = true; return nil }
}

// AptExtendedForms lets approved and rejected entries on apt systems match
// name.arch, name-version, arch:version and name.arch:version and a bare
// version, as the 2021 payload did. By default an entry matches the package
// name only, as the documentation says.
func AptExtendedForms() Option {
	return func(o *options) error { o.aptExtendedForms = true; return nil }
}

// SUSEPackageForms lets approved and rejected entries on SUSE also match the
// rpm package forms (name, name.arch, name-version-release, ...). By default
// an entry matches a zypper patch name or an rpm file name
// (name-version-release.arch.rpm), the two forms the documentation shows.
func SUSEPackageForms() Option {
	return func(o *options) error { o.susePackageForms = true; return nil }
}

// UndatedRulesApproveImmediately accepts rules that have neither
// ApproveAfterDays nor ApproveUntilDate on every OS and treats them as
// ApproveAfterDays 0, as the 2021 payload did. By default such a rule is a
// validation error (the API requires one of the two) except on Ubuntu,
// Debian and Raspberry Pi OS, where dates are not used.
func UndatedRulesApproveImmediately() Option {
	return func(o *options) error { o.undatedRulesImmediate = true; return nil }
}

// AsOf selects the predefined baselines as AWS defined them at t. Only the
// Oracle Linux baseline has changed: AWS re-created it on 2025-12-10 with
// Critical added to its security rule; before that the rule approved
// Important and Moderate only.
func AsOf(t time.Time) Option {
	return func(o *options) error { o.asOf = t; return nil }
}
