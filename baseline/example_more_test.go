package baseline_test

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// The AWS-owned default baseline of an operating system, as Patch Manager
// uses it when no custom default is registered.
func ExamplePredefined() {
	b, err := baseline.Predefined(patchkit.OSDebian)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Name)
	for _, r := range b.ApprovalRules.PatchRules {
		for _, f := range r.PatchFilterGroup.PatchFilters {
			fmt.Println(f.Key, f.Values)
		}
		fmt.Println("approve after", *r.ApproveAfterDays, "day(s)")
	}
	// Output:
	// AWS-DebianDefaultPatchBaseline
	// PRIORITY [Required Important Standard Optional Extra]
	// approve after 7 day(s)
}

func ExamplePredefinedNames() {
	names := baseline.PredefinedNames()
	fmt.Println(names[0])
	_, err := baseline.PredefinedByName("AWS-NoSuchBaseline")
	fmt.Println(errors.Is(err, patchkit.ErrInvalid))
	// Output:
	// AWS-DefaultPatchBaseline
	// true
}

// Compile once, evaluate many candidate lists; Compile reports every
// problem of a baseline at once.
func ExampleCompile() {
	b := baseline.Baseline{
		Name:            "web-servers",
		OperatingSystem: patchkit.OSAmazonLinux2023,
		ApprovedPatches: []string{"nginx*"},
		RejectedPatches: []string{"kernel*"},
	}
	c, err := baseline.Compile(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Baseline().Name)

	b.OperatingSystem = "AMAZON_LINUX_2025"
	_, err = baseline.Compile(b)
	fmt.Println(err)
	// Output:
	// web-servers
	// invalid patch baseline web-servers
	//   OperatingSystem: unknown value "AMAZON_LINUX_2025"
}

func ExampleCompiled_Evaluate() {
	b, _ := baseline.Predefined(patchkit.OSAmazonLinux2023)
	c, err := baseline.Compile(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	node := baseline.Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"}
	released := time.Date(2025, 11, 16, 12, 0, 0, 0, time.UTC)
	ds, err := c.Evaluate(node, []patchkit.Patch{{
		Package:        patchkit.Package{Name: "openssl-libs", Version: "3.0.8", Release: "1.amzn2023.0.20", Arch: "x86_64"},
		Classification: "Security", Severity: "Important", Security: true, ReleaseDate: released,
	}}, released.Add(8*24*time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ds[0].Approved, ds[0].Status, ds[0].Reason, ds[0].Rules.Indexes(), ds[0].ComplianceLevel)

	_, err = c.Evaluate(baseline.Node{OperatingSystem: patchkit.OSUbuntu}, nil, released)
	fmt.Println(err)
	// Output:
	// true APPROVED Rule [0] UNSPECIFIED
	// baseline: the baseline is for another operating system: baseline AMAZON_LINUX_2023, node UBUNTU
}

// Validate checks a baseline read from a file before it is used.
func ExampleBaseline_Validate() {
	f, err := os.Open("../testdata/baseline/custom/awsdocs-userguide-get-patch-baseline-output.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	bs, err := baseline.Load(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	b := bs[0]
	fmt.Println(b.Name, b.Validate())

	b.ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[0].Values = []string{"Urgent"}
	err = b.Validate()
	var ve *baseline.ValidationError
	fmt.Println(errors.As(err, &ve), len(ve.Errors))
	fmt.Println(err)
	// Output:
	// Windows-Server-2012R2 <nil>
	// true 1
	// invalid patch baseline Windows-Server-2012R2
	//   ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[0].Values[0]: "Urgent" is not a MSRC_SEVERITY value for this operating system (known: Critical, Important, Moderate, Low, Unspecified)
}

// MatchesEntry is the matcher of ApprovedPatches and RejectedPatches
// entries: a package form, globs allowed.
func ExampleMatchesEntry() {
	p, _ := patchkit.ParseNEVRA("openssl-libs-1:3.0.8-1.amzn2023.0.20.x86_64")
	for _, entry := range []string{"openssl*", "openssl-libs.x86_64", "openssl-libs-3.0.8-1.amzn2023.0.20", "openssl-libs.aarch64", "ALAS2023-2025-1234"} {
		fmt.Println(entry, baseline.MatchesEntry(patchkit.OSAmazonLinux2023, entry, p))
	}
	// Output:
	// openssl* true
	// openssl-libs.x86_64 true
	// openssl-libs-3.0.8-1.amzn2023.0.20 true
	// openssl-libs.aarch64 false
	// ALAS2023-2025-1234 false
}
