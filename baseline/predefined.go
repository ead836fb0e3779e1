package baseline

import (
	"time"

	"github.com/patchkit/patchkit"
)

// The AWS-owned (predefined) baselines as "aws ssm get-patch-baseline"
// returns them in us-east-1 (dumps of 2025-12-14; testdata/baseline/aws holds
// them and the tests compare). Each is the default baseline of its operating
// system unless a custom default is registered; for Windows the
// documentation names AWS-DefaultPatchBaseline.
//
// Every call builds the baselines afresh: nothing returned shares a slice,
// a map or a pointer with anything returned before or after, so a caller
// may change what it got.

const arnPrefix = "arn:aws:ssm:us-east-1:075727635805:patchbaseline/"

// oracleChange is when AWS re-created the Oracle Linux baseline.
const oracleChange = "2025-12-10T17:35:09.340Z"

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func filter(k FilterKey, v ...string) Filter { return Filter{Key: k, Values: v} }

// rule7 is a rule with the AWS baselines' settings: UNSPECIFIED, seven days.
func rule7(nonSecurity bool, fs ...Filter) Rule {
	days := 7
	return Rule{PatchFilterGroup: FilterGroup{PatchFilters: fs}, ComplianceLevel: patchkit.ComplianceUnspecified,
		ApproveAfterDays: &days, EnableNonSecurity: nonSecurity}
}

func predef(name, id string, os patchkit.OperatingSystem, created, desc string, global []Filter, rules ...Rule) Baseline {
	if global == nil {
		global = []Filter{}
	}
	t := ts(created)
	return Baseline{
		BaselineID: arnPrefix + id, Name: name, OperatingSystem: os,
		GlobalFilters: FilterGroup{PatchFilters: global}, ApprovalRules: RuleGroup{PatchRules: rules},
		ApprovedPatches: []string{}, ApprovedPatchesComplianceLevel: patchkit.ComplianceUnspecified,
		RejectedPatches: []string{}, RejectedPatchesAction: AllowAsDependency, PatchGroups: []string{},
		CreatedDate: t, ModifiedDate: t, Description: desc, Sources: []Source{},
	}
}

// anyProduct is the global filter of most AWS-owned baselines, new for
// every baseline.
func anyProduct() []Filter { return []Filter{filter(KeyProduct, "*")} }

// rpmDefault is the Amazon Linux / RHEL family baseline: security patches
// with severity Critical or Important, and bug fixes, seven days after
// release.
func rpmDefault(name, id string, os patchkit.OperatingSystem, created, desc string) Baseline {
	return predef(name, id, os, created, desc, anyProduct(),
		rule7(false, filter(KeyClassification, "Security"), filter(KeySeverity, "Critical", "Important")),
		rule7(false, filter(KeyClassification, "Bugfix")))
}

func aptDefault(name, id string, os patchkit.OperatingSystem, created, desc string) Baseline {
	return predef(name, id, os, created, desc, anyProduct(),
		rule7(false, filter(KeyPriority, "Required", "Important", "Standard", "Optional", "Extra")))
}

func windowsOS() Filter { return filter(KeyPatchSet, "OS") }

func windowsSecurity(patchSet bool) Rule {
	fs := []Filter{filter(KeyClassification, "CriticalUpdates", "SecurityUpdates"), filter(KeyMsrcSeverity, "Critical", "Important")}
	if patchSet {
		fs = append([]Filter{windowsOS()}, fs...)
	}
	return rule7(false, fs...)
}

func predefined(asOf time.Time) []Baseline {
	oracle := predef("AWS-OracleLinuxDefaultPatchBaseline", "pb-06bff38e95fe85c02", patchkit.OSOracleLinux,
		oracleChange, "Default Patch Baseline for Oracle Linux Server Provided by AWS.", anyProduct(),
		rule7(false, filter(KeyClassification, "Security"), filter(KeySeverity, "Critical", "Important", "Moderate")),
		rule7(false, filter(KeyClassification, "Enhancement", "Bugfix")))
	if !asOf.IsZero() && asOf.Before(ts(oracleChange)) {
		oracle = predef("AWS-OracleLinuxDefaultPatchBaseline", "pb-06bff38e95fe85c02", patchkit.OSOracleLinux,
			"2020-04-29T22:40:27.707Z", "Default Patch Baseline for Oracle Linux Server Provided by AWS.", anyProduct(),
			rule7(false, filter(KeyClassification, "Security"), filter(KeySeverity, "Important", "Moderate")),
			rule7(false, filter(KeyClassification, "Enhancement", "Bugfix")))
	}
	windows := func(name, id, created, desc string, rules ...Rule) Baseline {
		b := predef(name, id, patchkit.OSWindows, created, desc, anyProduct(), rules...)
		b.AvailableSecurityUpdatesComplianceStatus = patchkit.NonCompliant
		return b
	}
	return []Baseline{
		windows("AWS-DefaultPatchBaseline", "pb-09ca3fb51f0412ec3", "2018-05-01T17:13:20.068Z",
			"Default Patch Baseline Provided by AWS.", windowsSecurity(false)),
		windows("AWS-WindowsPredefinedPatchBaseline-OS", "pb-096d816473f2bdb03", "2019-05-07T18:32:23.887Z",
			"Approves all Windows Server operating system patches that are classified as CriticalUpdates or SecurityUpdates and that have an MSRC severity of Critical or Important. Patches are auto-approved seven days after release.",
			windowsSecurity(true)),
		windows("AWS-WindowsPredefinedPatchBaseline-OS-Applications", "pb-0fafa8379afee7c83", "2019-05-07T18:32:23.887Z",
			"For the Windows Server operating system, approves all patches that are classified as CriticalUpdates or SecurityUpdates and that have an MSRC severity of Critical or Important. For Microsoft applications, approves all patches. Patches are auto-approved seven days after release.",
			windowsSecurity(true), rule7(false, filter(KeyPatchSet, "APPLICATION"))),
		rpmDefault("AWS-AmazonLinuxDefaultPatchBaseline", "pb-0c10e657807c7a700", patchkit.OSAmazonLinux,
			"2018-05-01T17:13:20.068Z", "Default Patch Baseline for Amazon Linux Provided by AWS."),
		rpmDefault("AWS-AmazonLinux2DefaultPatchBaseline", "pb-0be8c61cde3be63f3", patchkit.OSAmazonLinux2,
			"2018-06-21T09:27:05.252Z", "Default Patch Baseline for Amazon Linux 2 Provided by AWS."),
		rpmDefault("AWS-AmazonLinux2022DefaultPatchBaseline", "pb-0028ca011460d5eaf", patchkit.OSAmazonLinux2022,
			"2022-08-09T17:18:10.147Z", "Default Patch Baseline for Amazon Linux 2022 Provided by AWS."),
		rpmDefault("AWS-AmazonLinux2023DefaultPatchBaseline", "pb-05c9c9bf778d4c4d0", patchkit.OSAmazonLinux2023,
			"2023-03-14T17:08:36.790Z", "Default Patch Baseline for Amazon Linux 2023 Provided by AWS."),
		aptDefault("AWS-UbuntuDefaultPatchBaseline", "pb-0c7e89f711c3095f4", patchkit.OSUbuntu,
			"2018-05-01T17:13:20.068Z", "Default Patch Baseline for Ubuntu Provided by AWS."),
		rpmDefault("AWS-RedHatDefaultPatchBaseline", "pb-0cbb3a633de00f07c", patchkit.OSRedhatEnterpriseLinux,
			"2018-05-01T17:13:20.068Z", "Default Patch Baseline for Redhat Enterprise Linux Provided by AWS."),
		predef("AWS-SuseDefaultPatchBaseline", "pb-07d8884178197b66b", patchkit.OSSUSE,
			"2018-05-01T17:13:20.069Z", "Default Patch Baseline for Suse Provided by AWS.", anyProduct(),
			rule7(false, filter(KeyClassification, "Security"), filter(KeySeverity, "Critical", "Important"))),
		predef("AWS-CentOSDefaultPatchBaseline", "pb-03e3f588eec25344c", patchkit.OSCentOS,
			"2018-03-29T17:38:12.515Z", "Default Patch Baseline for CentOS Provided by AWS.", nil,
			rule7(true, filter(KeyProduct, "*"))),
		oracle,
		aptDefault("AWS-DebianDefaultPatchBaseline", "pb-09a5f8eb62bde80b1", patchkit.OSDebian,
			"2020-05-05T16:20:30.388Z", "Default Patch Baseline for Debian Provided by AWS."),
		predef("AWS-MacOSDefaultPatchBaseline", "pb-0ee4f94581368c0d4", patchkit.OSMacOS,
			"2020-04-17T02:52:57.992Z", "Default Patch Baseline for MacOS Provided by AWS.", anyProduct(),
			rule7(false, filter(KeyClassification, "softwareupdate", "installer", "brew", "brew_cask"))),
		aptDefault("AWS-RaspbianDefaultPatchBaseline", "pb-0ec16280999c5c75e", patchkit.OSRaspbian,
			"2021-07-21T19:19:22.080Z", "Default Patch Baseline for Raspbian Provided by AWS."),
		rpmDefault("AWS-RockyLinuxDefaultPatchBaseline", "pb-03ec98bc512aa3ac0", patchkit.OSRockyLinux,
			"2022-03-14T20:17:22.806Z", "Default Patch Baseline for Rocky Linux Provided by AWS."),
		rpmDefault("AWS-AlmaLinuxDefaultPatchBaseline", "pb-0cb0c4966f86b059b", patchkit.OSAlmaLinux,
			"2023-03-14T17:08:36.790Z", "Default Patch Baseline for Alma Linux Provided by AWS."),
	}
}

// UnknownBaselineError reports a predefined baseline that does not exist.
type UnknownBaselineError struct {
	Name            string
	OperatingSystem patchkit.OperatingSystem
}

func (e *UnknownBaselineError) Error() string {
	if e.Name != "" {
		return "baseline: no predefined baseline named " + e.Name
	}
	return "baseline: no predefined baseline for " + string(e.OperatingSystem)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *UnknownBaselineError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Predefined returns the AWS-owned default baseline for os: the one Patch
// Manager uses when no custom default is registered (AWS-DefaultPatchBaseline
// for Windows). AsOf selects an earlier definition. The baseline is the
// caller's own: changing it changes nothing any other call returns.
func Predefined(os patchkit.OperatingSystem, opts ...Option) (Baseline, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return Baseline{}, err
	}
	for _, b := range predefined(o.asOf) {
		if b.OperatingSystem == os {
			return b, nil
		}
	}
	return Baseline{}, &UnknownBaselineError{OperatingSystem: os}
}

// PredefinedByName returns the AWS-owned baseline called name, for example
// "AWS-UbuntuDefaultPatchBaseline" or "AWS-WindowsPredefinedPatchBaseline-OS".
// AsOf selects an earlier definition. The baseline is the caller's own.
func PredefinedByName(name string, opts ...Option) (Baseline, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return Baseline{}, err
	}
	for _, b := range predefined(o.asOf) {
		if b.Name == name {
			return b, nil
		}
	}
	return Baseline{}, &UnknownBaselineError{Name: name}
}

// PredefinedNames lists the AWS-owned baselines, defaults first.
func PredefinedNames() []string {
	var out []string
	for _, b := range predefined(time.Time{}) {
		out = append(out, b.Name)
	}
	return out
}
