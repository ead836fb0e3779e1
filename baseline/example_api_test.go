package baseline_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// A baseline written for a newer API, or with keys only
// DescribeAvailablePatches documents, is refused by default; three options
// open the door one question at a time.
func ExampleAllowUnknownFields() {
	const doc = `{
	  "Name": "web-servers",
	  "OperatingSystem": "AMAZON_LINUX_2023",
	  "AutoApproveCritical": true,
	  "ApprovalRules": {"PatchRules": [{
	    "PatchFilterGroup": {"PatchFilters": [
	      {"Key": "NAME", "Values": ["nginx*"]},
	      {"Key": "CLASSIFICATION", "Values": ["Security", "Hotfix"]}
	    ]},
	    "ApproveAfterDays": 3
	  }]}
	}`
	_, err := baseline.Load(strings.NewReader(doc))
	fmt.Println(errors.Is(err, patchkit.ErrInvalid), err)
	_, err = baseline.Load(strings.NewReader(doc), baseline.AllowUnknownFields())
	fmt.Println(err)
	bs, err := baseline.Load(strings.NewReader(doc),
		baseline.AllowUnknownFields(), baseline.AllowExtendedFilterKeys(), baseline.AllowUnknownFilterValues())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bs[0].Name, bs[0].ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters)
	// Output:
	// true baseline: at byte 75 (line 4): json: unknown field "AutoApproveCritical"
	// invalid patch baseline web-servers
	//   ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[0].Key: NAME is not a filter key for this operating system
	//   ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[1].Values[1]: "Hotfix" is not a CLASSIFICATION value for this operating system (known: Security, Bugfix, Enhancement, Recommended, Newpackage)
	// web-servers [{NAME [nginx*]} {CLASSIFICATION [Security Hotfix]}]
}

// ApproveAfterDays counts UTC calendar days by default; ExactInstants
// counts 24-hour periods from the release instant instead.
func ExampleExactInstants() {
	days := 7
	b := baseline.Baseline{
		OperatingSystem: patchkit.OSAmazonLinux2023,
		ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{{
			PatchFilterGroup: baseline.FilterGroup{PatchFilters: []baseline.Filter{
				{Key: baseline.KeyClassification, Values: []string{"Security"}}}},
			ApproveAfterDays: &days,
		}}},
	}
	node := baseline.Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"}
	p := patchkit.Patch{
		Package:        patchkit.Package{Name: "curl", Version: "8.11.1", Release: "4.amzn2023.0.1", Arch: "x86_64"},
		Classification: "Security", Severity: "Medium", Security: true,
		ReleaseDate: time.Date(2025, 11, 16, 12, 0, 0, 0, time.UTC),
	}
	now := time.Date(2025, 11, 23, 6, 0, 0, 0, time.UTC) // 6 days 18 hours later
	for _, opts := range [][]baseline.Option{nil, {baseline.ExactInstants()}} {
		ds, err := baseline.Evaluate(b, node, []patchkit.Patch{p}, now, opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ds[0].Approved, ds[0].Reason, ds[0].ApprovalDate.Format(time.RFC3339))
	}
	// Output:
	// true Rule 2025-11-23T00:00:00Z
	// false TooNew 2025-11-23T12:00:00Z
}

// A rule that filters on SEVERITY ignores the filter for a patch without a
// severity, as the documentation says; MissingSeverityFails rejects it.
func ExampleMissingSeverityFails() {
	b, err := baseline.Predefined(patchkit.OSAmazonLinux2023)
	if err != nil {
		fmt.Println(err)
		return
	}
	node := baseline.Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"}
	released := time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC)
	p := patchkit.Patch{
		Package:        patchkit.Package{Name: "libxml2", Version: "2.10.4", Release: "1.amzn2023.0.12", Arch: "x86_64"},
		Classification: "Security", Security: true, ReleaseDate: released,
	}
	for _, opts := range [][]baseline.Option{nil, {baseline.MissingSeverityFails()}} {
		c, err := baseline.Compile(b, opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		ds, err := c.Evaluate(node, []patchkit.Patch{p}, released.AddDate(0, 0, 30))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ds[0].Approved, ds[0].Reason)
	}
	// Output:
	// true Rule
	// false Filter
}

// On Debian the approved list bypasses the global filters by default;
// AptGlobalFiltersBeforeApprovedList applies them first, as the 2021 apt
// payload did. AptExtendedForms lets list entries name an architecture.
func ExampleAptGlobalFiltersBeforeApprovedList() {
	b := baseline.Baseline{
		Name:            "debian-minimal",
		OperatingSystem: patchkit.OSDebian,
		GlobalFilters: baseline.FilterGroup{PatchFilters: []baseline.Filter{
			{Key: baseline.KeyPriority, Values: []string{"Required", "Important"}}}},
		ApprovedPatches: []string{"curl"},
		RejectedPatches: []string{"libssl3.i386"},
	}
	node := baseline.Node{OperatingSystem: patchkit.OSDebian, Product: "Debian12"}
	candidates := []patchkit.Patch{
		{Package: patchkit.Package{Name: "curl", Version: "7.88.1", Release: "10+deb12u14", Arch: "amd64", Scheme: patchkit.Deb},
			Priority: "optional", Security: true},
		{Package: patchkit.Package{Name: "libssl3", Version: "3.0.17", Release: "1~deb12u3", Arch: "i386", Scheme: patchkit.Deb},
			Priority: "important", Security: true},
	}
	now := time.Date(2025, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, opts := range [][]baseline.Option{nil, {baseline.AptGlobalFiltersBeforeApprovedList(), baseline.AptExtendedForms()}} {
		ds, err := baseline.Evaluate(b, node, candidates, now, opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		for i, d := range ds {
			fmt.Printf("%s.%s: %v %s %q\n", candidates[i].Name, candidates[i].Arch, d.Approved, d.Reason, d.Entry)
		}
	}
	// Output:
	// curl.amd64: true ApprovedList "curl"
	// libssl3.i386: false NoRules ""
	// curl.amd64: false GlobalFilter ""
	// libssl3.i386: false RejectedList "libssl3.i386"
}

// On SUSE a list entry names a zypper patch or an rpm file by default;
// SUSEPackageForms lets it name packages as on the other rpm systems.
func ExampleSUSEPackageForms() {
	b, err := baseline.Predefined(patchkit.OSSUSE)
	if err != nil {
		fmt.Println(err)
		return
	}
	b.RejectedPatches = []string{"kernel-default.x86_64"}
	node := baseline.Node{OperatingSystem: patchkit.OSSUSE, Product: "SUSE15.6"}
	p := patchkit.Patch{
		Package:        patchkit.Package{Name: "kernel-default", Version: "6.4.0", Release: "150600.23.73.1", Arch: "x86_64"},
		Classification: "security", Severity: "important", Security: true,
		ReleaseDate: time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC),
	}
	now := time.Date(2025, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, opts := range [][]baseline.Option{nil, {baseline.SUSEPackageForms()}} {
		ds, err := baseline.Evaluate(b, node, []patchkit.Patch{p}, now, opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%v %s %q\n", ds[0].Approved, ds[0].Reason, ds[0].Entry)
	}
	// Output:
	// true Rule ""
	// false RejectedList "kernel-default.x86_64"
}

// The API requires ApproveAfterDays or ApproveUntilDate on a rule outside
// the apt systems; UndatedRulesApproveImmediately accepts a rule without
// either and approves at once.
func ExampleUndatedRulesApproveImmediately() {
	b := baseline.Baseline{
		Name:            "al2023-now",
		OperatingSystem: patchkit.OSAmazonLinux2023,
		ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{{
			PatchFilterGroup: baseline.FilterGroup{PatchFilters: []baseline.Filter{
				{Key: baseline.KeySeverity, Values: []string{"Critical"}}}},
			ComplianceLevel: patchkit.ComplianceCritical,
		}}},
	}
	_, err := baseline.Compile(b)
	fmt.Println(err)
	c, err := baseline.Compile(b, baseline.UndatedRulesApproveImmediately())
	if err != nil {
		fmt.Println(err)
		return
	}
	released := time.Date(2025, 11, 30, 9, 0, 0, 0, time.UTC)
	ds, err := c.Evaluate(baseline.Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"},
		[]patchkit.Patch{{
			Package:        patchkit.Package{Name: "sudo", Version: "1.9.15", Release: "1.p5.amzn2023.0.2", Arch: "x86_64"},
			Classification: "Security", Severity: "Critical", Security: true, ReleaseDate: released,
		}}, released.Add(time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ds[0].Approved, ds[0].Reason, ds[0].ComplianceLevel, ds[0].Rules.Has(0), ds[0].Rules.Has(1))
	// Output:
	// invalid patch baseline al2023-now
	//   ApprovalRules.PatchRules[0]: has neither ApproveAfterDays nor ApproveUntilDate; the API requires one
	// true Rule CRITICAL true false
}

// A scan can leave non-security versions unread when the baseline cannot
// approve them.
func ExampleBaseline_ApprovesNonSecurity() {
	for _, os := range []patchkit.OperatingSystem{patchkit.OSAmazonLinux2023, patchkit.OSUbuntu, patchkit.OSSUSE} {
		b, err := baseline.Predefined(os)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(os, b.ApprovesNonSecurity())
	}
	b := baseline.Baseline{OperatingSystem: patchkit.OSAmazonLinux2023,
		ApprovedPatches: []string{"nginx"}, ApprovedPatchesEnableNonSecurity: true}
	fmt.Println("custom", b.ApprovesNonSecurity())
	// Output:
	// AMAZON_LINUX_2023 false
	// UBUNTU false
	// SUSE true
	// custom true
}

// Check a patch policy's schedule before saving it, and look at what it
// parsed to.
func ExampleValidateSchedule() {
	for _, expr := range []string{"cron(0 4 ? * SUN *)", "rate(20 minutes)", "at(2026-12-24T22:00:00)"} {
		fmt.Println(expr, baseline.ValidateSchedule(expr, baseline.Association))
	}
	s, err := baseline.ParseSchedule("rate(12 hours)", baseline.Association)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Kind(), s.Interval(), s.Offset(), s.Location(), s.Target() == baseline.Association)

	w, err := baseline.ParseSchedule("cron(0 23 ? * TUE#2 *)", baseline.MaintenanceWindow)
	if err != nil {
		fmt.Println(err)
		return
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err = w.In(tokyo).WithOffset(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Kind(), w.Interval(), w.Offset(), w.Location(), w.Target() == baseline.MaintenanceWindow)
	// Output:
	// cron(0 4 ? * SUN *) <nil>
	// rate(20 minutes) schedule "rate(20 minutes)": an association's rate is from 30 minutes to under 31 days, not 20m0s
	// at(2026-12-24T22:00:00) schedule "at(2026-12-24T22:00:00)": at() is for maintenance windows only
	// rate 12h0m0s 0 UTC true
	// cron 0s 2 Asia/Tokyo true
}
