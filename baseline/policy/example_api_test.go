package policy_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/baseline/policy"
)

// An empty registry knows only the AWS-owned baselines: every operating
// system resolves to its predefined default until a custom one is
// registered.
func ExampleNewRegistry() {
	reg := policy.NewRegistry()
	fmt.Println(len(reg.Baselines()), reg.PatchGroups())
	_, ok := reg.Default(patchkit.OSRockyLinux)
	fmt.Println("custom default registered:", ok)
	res, err := policy.Resolve(policy.Node{OperatingSystem: patchkit.OSRockyLinux}, reg, policy.Sources{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Step, res.Baseline.Name, res.Baseline.BaselineID)
	b, err := reg.Lookup(res.Baseline.BaselineID)
	fmt.Println(b.Name, err)
	// Output:
	// 0 []
	// custom default registered: false
	// AWSDefault AWS-RockyLinuxDefaultPatchBaseline arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-03ec98bc512aa3ac0
	// AWS-RockyLinuxDefaultPatchBaseline <nil>
}

// Parameters a newer Quick Setup adds are refused by default, so that a
// misspelt parameter does not pass unnoticed; AllowUnknownParameters keeps
// them in Extra.
func ExampleAllowUnknownParameters() {
	params := map[string]string{
		"PatchPolicyName":           "fleet",
		"PatchBaselineRegion":       "eu-west-1",
		"SelectedPatchBaselines":    `{"UBUNTU":{"value":"pb-0c7e89f711c3095f4","label":"AWS-UbuntuDefaultPatchBaseline","disabled":false}}`,
		"TargetAccounts":            "123456789012",
		"TargetRegions":             "eu-west-1",
		"RateControlConcurrency":    "10%",
		"RateControlErrorThreshold": "2%",
		"OutputSnsTopicArn":         "arn:aws:sns:eu-west-1:123456789012:patching",
	}
	_, err := policy.ParseParameters(params)
	fmt.Println(err)
	p, err := policy.ParseParameters(params, policy.AllowUnknownParameters())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Name, p.Extra)
	// Output:
	// policy: invalid patch policy parameters: OutputSnsTopicArn: unknown parameter of AWSQuickSetupType-PatchPolicy (AllowUnknownParameters keeps it)
	// fleet map[OutputSnsTopicArn:arn:aws:sns:eu-west-1:123456789012:patching]
}

// A registry's custom baselines saved as a file of "aws ssm
// get-patch-baseline" outputs, and read into another registry.
func ExampleRegistry_WriteBaselines() {
	reg := policy.NewRegistry()
	b, err := baseline.Predefined(patchkit.OSDebian)
	if err != nil {
		fmt.Println(err)
		return
	}
	b.BaselineID, b.Name, b.PatchGroups = "pb-0a1b2c3d4e5f60718", "debian-db", []string{"db"}
	if err := reg.AddBaseline(b); err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if err := reg.WriteBaselines(&buf); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Count(buf.String(), `"BaselineId"`), strings.Contains(buf.String(), `"Name": "debian-db"`))

	again := policy.NewRegistry()
	if err := again.ReadBaselines(&buf); err != nil {
		fmt.Println(err)
		return
	}
	in, ok := again.PatchGroup("db", patchkit.OSDebian)
	fmt.Println(in.BaselineID, ok)
	// Output:
	// 1 true
	// pb-0a1b2c3d4e5f60718 true
}
