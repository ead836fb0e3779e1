package baseline_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// Load a baseline in any of its shapes (here a BaselineOverride file as
// the AWS documentation shows it) and evaluate candidates offline.
func ExampleLoad() {
	f, err := os.Open("../testdata/baseline/override/awsdocs-user-guide-baselineoverride.json")
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
	for _, b := range bs {
		fmt.Println(b.OperatingSystem, len(b.ApprovalRules.PatchRules), "rule(s), approved:", b.ApprovedPatches, "rejected:", b.RejectedPatches)
	}
	// Output:
	// AMAZON_LINUX_2 1 rule(s), approved: [] rejected: []
	// CENTOS 1 rule(s), approved: [open-ssl*] rejected: [python*]
}

func ExampleEvaluate() {
	b, _ := baseline.Predefined(patchkit.OSAmazonLinux2023)
	node := baseline.Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"}
	released := time.Date(2025, 11, 16, 12, 0, 0, 0, time.UTC)
	candidates := []patchkit.Patch{
		{Package: patchkit.Package{Name: "openssl-libs", Version: "3.0.8", Release: "1.amzn2023.0.20", Arch: "x86_64"},
			Classification: "Security", Severity: "Important", Security: true, ReleaseDate: released},
		{Package: patchkit.Package{Name: "curl", Version: "8.5.0", Release: "1.amzn2023.0.5", Arch: "x86_64"},
			Classification: "Security", Severity: "Medium", Security: true, ReleaseDate: released},
		{Package: patchkit.Package{Name: "tzdata", Version: "2025b", Release: "1.amzn2023.0.1", Arch: "noarch"},
			Security: false, ReleaseDate: released},
	}
	for _, now := range []time.Time{released.Add(72 * time.Hour), released.Add(8 * 24 * time.Hour)} {
		ds, err := baseline.Evaluate(b, node, candidates, now)
		if err != nil {
			fmt.Println(err)
			return
		}
		var line []string
		for i, d := range ds {
			line = append(line, fmt.Sprintf("%s=%v/%s", candidates[i].Name, d.Approved, d.Reason))
		}
		fmt.Println(now.Format("2006-01-02"), strings.Join(line, " "))
	}
	// Output:
	// 2025-11-19 openssl-libs=false/TooNew curl=false/Filter tzdata=false/Filter
	// 2025-11-24 openssl-libs=true/Rule curl=false/Filter tzdata=false/Filter
}

func ExamplePredefinedByName() {
	b, err := baseline.PredefinedByName("AWS-OracleLinuxDefaultPatchBaseline")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.BaselineID)
	fmt.Println(b.ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[1].Values)
	old, _ := baseline.PredefinedByName("AWS-OracleLinuxDefaultPatchBaseline", baseline.AsOf(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
	fmt.Println(old.ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[1].Values)
	// Output:
	// arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-06bff38e95fe85c02
	// [Critical Important Moderate]
	// [Important Moderate]
}

func ExampleCompiled_EffectivePatches() {
	b, _ := baseline.Predefined(patchkit.OSUbuntu)
	c, err := baseline.Compile(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	eff, _ := c.EffectivePatches(baseline.Node{OperatingSystem: patchkit.OSUbuntu, Product: "Ubuntu22.04"},
		[]patchkit.Patch{{Package: patchkit.Package{Name: "libssl3", Version: "3.0.2", Release: "0ubuntu1.18"},
			Priority: "important", Security: true}}, time.Now())
	for _, e := range eff {
		fmt.Println(e.Patch.Name, e.PatchStatus.DeploymentStatus, e.PatchStatus.ComplianceLevel)
	}
	// Output:
	// libssl3 APPROVED UNSPECIFIED
}
