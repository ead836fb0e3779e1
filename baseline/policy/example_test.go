package policy_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/baseline/policy"
)

func ExampleResolve() {
	reg := policy.NewRegistry()
	f, err := os.Open("../../testdata/baseline/custom/awsdocs-userguide-get-patch-baseline-output.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	// The baseline lists patch group "Web Servers"; reading it registers it.
	if err := reg.ReadBaselines(f); err != nil {
		fmt.Println(err)
		return
	}
	for _, tags := range []map[string]string{
		{"Patch Group": "Web Servers"},
		{"patch group": "Web Servers"},
		{"PatchGroup": "Staging"},
	} {
		res, err := policy.Resolve(policy.Node{OperatingSystem: patchkit.OSWindows, Tags: tags}, reg, policy.Sources{})
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(res.Step, res.Baseline.Name)
		fmt.Println(" ", res.Reason)
		fmt.Println("  skipped:", res.Skipped[len(res.Skipped)-1].Reason)
	}
	// Output:
	// PatchGroup Windows-Server-2012R2
	//   patch group "Web Servers" (tag "Patch Group") is registered with Windows-Server-2012R2 (pb-0c10e65780EXAMPLE) for WINDOWS
	//   skipped: no BaselineTags parameter
	// AWSDefault AWS-DefaultPatchBaseline
	//   AWS-DefaultPatchBaseline (pb-09ca3fb51f0412ec3) is the AWS-owned default for WINDOWS
	//   skipped: no default registered for WINDOWS
	// AWSDefault AWS-DefaultPatchBaseline
	//   AWS-DefaultPatchBaseline (pb-09ca3fb51f0412ec3) is the AWS-owned default for WINDOWS
	//   skipped: no default registered for WINDOWS
}

func ExampleResolution_Explain() {
	res, err := policy.Resolve(policy.Node{ID: "mi-0123456789abcdef0", OperatingSystem: patchkit.OSDebian,
		Tags: map[string]string{"PatchGroup": "db"}}, policy.NewRegistry(), policy.Sources{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, part := range strings.Split(res.Explain(), "; ") {
		fmt.Println(part)
	}
	// Output:
	// AWSDefault: on-premises node: AWS-DebianDefaultPatchBaseline (pb-09a5f8eb62bde80b1) is the AWS-owned default for DEBIAN
	// not PatchPolicy: no patch policy
	// not BaselineOverride: no BaselineOverride parameter
	// not BaselineTags: no BaselineTags parameter
	// not PatchGroup: patch group "db" (tag "PatchGroup") is not registered
	// not Default: no default registered for DEBIAN
}

func ExampleRegistry_ReadPatchGroups() {
	reg := policy.NewRegistry()
	f, err := os.Open("../../testdata/policy/awscli-describe-patch-groups.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	if err := reg.ReadPatchGroups(f); err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range reg.PatchGroups() {
		in, _ := reg.PatchGroup(g, patchkit.OSWindows)
		fmt.Println(g, in.BaselineName)
	}
	d, _ := reg.Default(patchkit.OSWindows)
	fmt.Println("default:", d.BaselineName)
	// Output:
	// Development DevPatching
	// Production ProdPatching
	// default: DevPatching
}

func ExampleRegistry_WritePatchGroups() {
	reg := policy.NewRegistry()
	if err := reg.RegisterPatchGroup("Web Servers", "pb-0c7e89f711c3095f4"); err != nil {
		fmt.Println(err)
		return
	}
	if err := reg.WritePatchGroups(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//     "Mappings": [
	//         {
	//             "PatchGroup": "Web Servers",
	//             "BaselineIdentity": {
	//                 "BaselineId": "arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0c7e89f711c3095f4",
	//                 "BaselineName": "AWS-UbuntuDefaultPatchBaseline",
	//                 "OperatingSystem": "UBUNTU",
	//                 "BaselineDescription": "Default Patch Baseline for Ubuntu Provided by AWS.",
	//                 "DefaultBaseline": false
	//             }
	//         }
	//     ]
	// }
}

func ExampleRegistry_ReadDefaultBaseline() {
	reg := policy.NewRegistry()
	// "aws ssm get-default-patch-baseline" without --operating-system
	// answers for WINDOWS and prints no OperatingSystem.
	err := reg.ReadDefaultBaseline(strings.NewReader(`{"BaselineId":"arn:aws:ssm:us-west-1:812345678901:patchbaseline/pb-0ca44a362f8afc725"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := reg.WriteDefaultBaselines(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// [
	//     {
	//         "BaselineId": "arn:aws:ssm:us-west-1:812345678901:patchbaseline/pb-0ca44a362f8afc725",
	//         "OperatingSystem": "WINDOWS"
	//     }
	// ]
}

func ExampleRegistry_ReadBaselineIdentities() {
	reg := policy.NewRegistry()
	f, err := os.Open("../../testdata/baseline/aws/describe-patch-baselines.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	if err := reg.ReadBaselineIdentities(f); err != nil {
		fmt.Println(err)
		return
	}
	d, ok := reg.Default(patchkit.OSRockyLinux)
	fmt.Println(d.BaselineName, ok)
	_, ok = reg.Default(patchkit.OSWindows)
	fmt.Println("WINDOWS default marked:", ok)
	// Output:
	// AWS-RockyLinuxDefaultPatchBaseline true
	// WINDOWS default marked: false
}

func ExampleRegistry_Lookup() {
	// AWS-owned baselines are found by their pb- ID in any account's ARN.
	b, err := policy.NewRegistry().Lookup("arn:aws:ssm:us-east-1:123456789012:patchbaseline/pb-0cb0c4966f86b059b")
	fmt.Println(b.Name, err)
	// Output: AWS-AlmaLinuxDefaultPatchBaseline <nil>
}

func ExampleRegistry_AddBaseline() {
	reg := policy.NewRegistry()
	b, _ := baseline.Predefined(patchkit.OSUbuntu)
	b.BaselineID, b.Name, b.PatchGroups = "pb-0123456789abcdef0", "ubuntu-prod", []string{"prod"}
	if err := reg.AddBaseline(b); err != nil {
		fmt.Println(err)
		return
	}
	if err := reg.SetBaselineTags(b.BaselineID, map[string]string{"Env": "prod"}); err != nil {
		fmt.Println(err)
		return
	}
	if err := reg.RegisterDefault(b.BaselineID); err != nil {
		fmt.Println(err)
		return
	}
	tags, _ := policy.ParseBaselineTags("Key=Env,Values=prod")
	res, err := policy.Resolve(policy.Node{OperatingSystem: patchkit.OSUbuntu}, reg, policy.Sources{BaselineTags: &tags})
	fmt.Println(res.Step, res.Baseline.Name, err)
	res, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSUbuntu}, reg, policy.Sources{})
	fmt.Println(res.Step, res.Baseline.Name, err)
	// Output:
	// BaselineTags ubuntu-prod <nil>
	// Default ubuntu-prod <nil>
}

func ExampleReadRegistry() {
	reg, err := policy.ReadRegistry(strings.NewReader(`{
	  "PatchGroups": {"Mappings": [{"PatchGroup": "web", "BaselineIdentity": {
	    "BaselineId": "pb-0c7e89f711c3095f4", "OperatingSystem": "UBUNTU", "DefaultBaseline": false}}]},
	  "DefaultBaselines": [{"BaselineId": "pb-0ec16280999c5c75e", "OperatingSystem": "RASPBIAN"}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if err := reg.WriteJSON(&buf); err != nil {
		fmt.Println(err)
		return
	}
	again, err := policy.ReadRegistry(&buf)
	fmt.Println(err)
	in, _ := again.PatchGroup("web", patchkit.OSUbuntu)
	d, _ := again.Default(patchkit.OSRaspbian)
	fmt.Println(in.BaselineID, d.BaselineID)
	// Output:
	// <nil>
	// pb-0c7e89f711c3095f4 pb-0ec16280999c5c75e
}

func ExampleLoadQuickSetup() {
	f, err := os.Open("../../testdata/policy/awsdocs-quick-setup-api-patch-policy.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	p, err := policy.LoadQuickSetup(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Name, p.Operation, p.RebootOption)
	fmt.Println("scan", p.ScanSchedule, "next interval", p.ScanNextInterval)
	fmt.Println("install", p.InstallSchedule, "next interval", p.InstallNextInterval)
	fmt.Println("concurrency", p.Concurrency, "error threshold", p.ErrorThreshold)
	fmt.Println(p.Selected[patchkit.OSUbuntu].Label)
	// Output:
	// dev-patch-policy ScanAndInstall RebootIfNeeded
	// scan cron(0 1 * * ? *) next interval false
	// install cron(0 2 ? * SAT#1 *) next interval true
	// concurrency 5 error threshold 0%
	// custom-UbuntuServer-Blog-Baseline
}

func ExampleParseParameters() {
	p, err := policy.ParseParameters(map[string]string{
		"PatchPolicyName":                    "fleet",
		"ConfigurationOptionsPatchOperation": "ScanAndInstall",
		"PatchBaselineRegion":                "eu-west-1",
		"SelectedPatchBaselines":             `{"UBUNTU":{"value":"pb-0c7e89f711c3095f4","label":"AWS-UbuntuDefaultPatchBaseline","disabled":false}}`,
		"TargetAccounts":                     "123456789012",
		"TargetRegions":                      "eu-west-1",
		"RateControlConcurrency":             "10%",
		"RateControlErrorThreshold":          "2%",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.ScanSchedule, p.InstallSchedule, p.RebootOption)
	fmt.Println(strings.Join(p.Defaulted, "\n"))
	_, err = policy.ParseParameters(map[string]string{"PatchPolicyName": "x", "RebootOption": "Always"})
	fmt.Println(strings.Split(err.Error(), "\n")[1])
	// Output:
	// cron(0 1 * * ? *) cron(0 2 ? * SUN *) RebootIfNeeded
	// ConfigurationOptionsInstallNextInterval
	// ConfigurationOptionsInstallValue
	// ConfigurationOptionsScanNextInterval
	// ConfigurationOptionsScanValue
	// HasDeletedBaseline
	// IsPolicyAttachAllowed
	// OutputLogEnableS3
	// RebootOption
	//   RebootOption: "Always" is neither RebootIfNeeded nor NoReboot
}

func ExamplePolicy_Parameters() {
	p, err := policy.ParseParameters(map[string]string{
		"PatchPolicyName":           "fleet",
		"PatchBaselineRegion":       "eu-west-1",
		"SelectedPatchBaselines":    `{"UBUNTU":{"value":"pb-0c7e89f711c3095f4","label":"AWS-UbuntuDefaultPatchBaseline","disabled":false}}`,
		"TargetAccounts":            "123456789012",
		"TargetRegions":             "eu-west-1",
		"RateControlConcurrency":    "10%",
		"RateControlErrorThreshold": "2%",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := p.Parameters()
	fmt.Println(m["ConfigurationOptionsScanValue"], m["RebootOption"], len(m))
	// Output: cron(0 1 * * ? *) RebootIfNeeded 14
}

func ExamplePolicy_Targets() {
	p := &policy.Policy{Target: policy.Target{Type: "Tags", TagKey: "Patch", TagValue: "true", Regions: []string{"us-east-1"}}}
	fmt.Println(p.Targets(policy.Node{Region: "us-east-1", Tags: map[string]string{"Patch": "true"}}))
	fmt.Println(p.Targets(policy.Node{Region: "eu-west-1", Tags: map[string]string{"Patch": "true"}}))
	// Output:
	// true Region us-east-1, tag Patch=true
	// false Region eu-west-1 is not among TargetRegions us-east-1
}

func ExamplePolicy_OverrideBaselines() {
	p, err := policy.ParseParameters(map[string]string{
		"PatchPolicyName":           "fleet",
		"PatchBaselineRegion":       "us-east-1",
		"SelectedPatchBaselines":    `{"DEBIAN":{"value":"pb-09a5f8eb62bde80b1","label":"AWS-DebianDefaultPatchBaseline","disabled":false},"UBUNTU":{"value":"pb-0c7e89f711c3095f4","label":"AWS-UbuntuDefaultPatchBaseline","disabled":false}}`,
		"TargetAccounts":            "123456789012",
		"TargetRegions":             "us-east-1",
		"RateControlConcurrency":    "5",
		"RateControlErrorThreshold": "0%",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The policy's baseline_overrides.json, as Patch Manager generates it.
	bs, err := p.OverrideBaselines(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var file bytes.Buffer
	if err := policy.WriteOverrides(&file, bs); err != nil {
		fmt.Println(err)
		return
	}
	back, err := policy.ReadOverrides(&file)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := p.SetOverrides(back); err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range p.Baselines {
		fmt.Println(b.OperatingSystem, b.Name)
	}
	// Output:
	// UBUNTU AWS-UbuntuDefaultPatchBaseline
	// DEBIAN AWS-DebianDefaultPatchBaseline
}

func ExampleReadOverrides() {
	f, err := os.Open("../../testdata/baseline/override/awsdocs-user-guide-baselineoverride.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	bs, err := policy.ReadOverrides(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := policy.Resolve(policy.Node{OperatingSystem: patchkit.OSCentOS}, nil, policy.Sources{BaselineOverride: bs})
	fmt.Println(res.Step, res.Baseline.OperatingSystem, err)
	_, err = policy.Resolve(policy.Node{ID: "i-0123456789abcdef0", OperatingSystem: patchkit.OSUbuntu}, nil, policy.Sources{BaselineOverride: bs})
	fmt.Println(err)
	// Output:
	// BaselineOverride CENTOS <nil>
	// policy: node i-0123456789abcdef0: BaselineOverride: the BaselineOverride file: none of its 2 baselines is for UBUNTU (payload error 163)
}

func ExampleWriteOverrides() {
	b, _ := baseline.Predefined(patchkit.OSDebian)
	var buf bytes.Buffer
	if err := policy.WriteOverrides(&buf, []baseline.Baseline{b, b}); err != nil {
		fmt.Println(err)
	}
	// Output: policy: invalid baseline override file: [1].OperatingSystem: a second baseline for DEBIAN (the first is element 0); the node would fail with payload error 165
}

func ExampleValidateConcurrency() {
	for _, s := range []string{"5", "10%", "0", "101%"} {
		fmt.Println(s, policy.ValidateConcurrency(s))
	}
	// Output:
	// 5 <nil>
	// 10% <nil>
	// 0 concurrency: "0" is zero; at least 1 or 1% is needed
	// 101% concurrency: "101%" is more than 100%
}

func ExampleValidateErrorThreshold() {
	for _, s := range []string{"0", "0%", "3", "10%", "1.5"} {
		fmt.Println(s, policy.ValidateErrorThreshold(s))
	}
	// Output:
	// 0 <nil>
	// 0% <nil>
	// 3 <nil>
	// 10% <nil>
	// 1.5 error threshold: "1.5" is not a count or a percentage
}

func ExampleValidatePatchGroup() {
	fmt.Println(policy.ValidatePatchGroup("Web Servers"))
	fmt.Println(policy.ValidatePatchGroup("web#1"))
	// Output:
	// <nil>
	// PatchGroup: "web#1": character '#' at byte 3 is not a letter, space, number or one of _.:/=+-@
}

func ExampleParseBaselineTags() {
	t, err := policy.ParseBaselineTags("Key=Env,Values=prod,qa")
	fmt.Println(t.Key, t.Values, err)
	// Output: Env [prod qa] <nil>
}

func ExampleNode_Validate() {
	n := policy.Node{ID: "mi-0123456789abcdef0", OperatingSystem: patchkit.OSUbuntu, TagsInMetadata: true}
	fmt.Println(n.IsOnPremises(), n.Validate())
	// Output: true policy: invalid node mi-0123456789abcdef0: TagsInMetadata: instance-metadata tags are an EC2 setting; an on-premises node has none
}

func ExampleRegistry_ReadBaselines() {
	reg := policy.NewRegistry()
	f, err := os.Open("../../testdata/baseline/custom/awsdocs-userguide-get-patch-baseline-output.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	if err := reg.ReadBaselines(f); err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range reg.Baselines() {
		fmt.Println(b.BaselineID, b.Name, b.OperatingSystem, b.PatchGroups)
	}
	// Output: pb-0c10e65780EXAMPLE Windows-Server-2012R2 WINDOWS [Web Servers]
}

func ExampleRegistry_RegisterPatchGroup() {
	reg := policy.NewRegistry()
	// The API's own examples: group names may hold spaces, not "#".
	fmt.Println(reg.RegisterPatchGroup("Web Servers", "pb-0c7e89f711c3095f4"))
	fmt.Println(reg.RegisterPatchGroup("Web#Servers", "pb-0c7e89f711c3095f4"))
	// One baseline per operating system per group.
	b, _ := baseline.Predefined(patchkit.OSUbuntu)
	b.BaselineID, b.Name = "pb-0123456789abcdef0", "ubuntu-web"
	fmt.Println(reg.AddBaseline(b))
	fmt.Println(reg.RegisterPatchGroup("Web Servers", b.BaselineID))
	// Output:
	// <nil>
	// PatchGroup: "Web#Servers": character '#' at byte 3 is not a letter, space, number or one of _.:/=+-@
	// <nil>
	// PatchGroup: group "Web Servers" already has baseline arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0c7e89f711c3095f4 for UBUNTU; a group has one baseline per operating system
}

func ExampleRegistry_RegisterDefault() {
	reg := policy.NewRegistry()
	// An AWS-owned baseline other than the default, made the default.
	if err := reg.RegisterDefault("pb-096d816473f2bdb03"); err != nil {
		fmt.Println(err)
		return
	}
	res, err := policy.Resolve(policy.Node{OperatingSystem: patchkit.OSWindows}, reg, policy.Sources{})
	fmt.Println(res.Step, res.Baseline.Name, err)
	fmt.Println(reg.RegisterDefault("pb-0000000000000000x"))
	// Output:
	// Default AWS-WindowsPredefinedPatchBaseline-OS <nil>
	// policy: baseline pb-0000000000000000x is neither a custom baseline of the registry nor an AWS-owned baseline
}

func ExampleRegistry_WriteJSON() {
	reg := policy.NewRegistry()
	if err := reg.RegisterDefault("pb-0ec16280999c5c75e"); err != nil {
		fmt.Println(err)
		return
	}
	if err := reg.WriteJSON(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//     "DefaultBaselines": [
	//         {
	//             "BaselineId": "arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0ec16280999c5c75e",
	//             "OperatingSystem": "RASPBIAN"
	//         }
	//     ]
	// }
}

func ExampleStep() {
	for s := policy.StepPatchPolicy; s <= policy.StepAWSDefault; s++ {
		fmt.Print(s, " ")
	}
	fmt.Println()
	// Output: PatchPolicy BaselineOverride BaselineTags PatchGroup Default AWSDefault
}

func ExampleRegistry_WriteBaselineIdentities() {
	reg := policy.NewRegistry()
	if err := reg.RegisterDefault("pb-0ec16280999c5c75e"); err != nil {
		fmt.Println(err)
		return
	}
	if err := reg.WriteBaselineIdentities(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//     "BaselineIdentities": [
	//         {
	//             "BaselineId": "arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0ec16280999c5c75e",
	//             "BaselineName": "AWS-RaspbianDefaultPatchBaseline",
	//             "OperatingSystem": "RASPBIAN",
	//             "BaselineDescription": "Default Patch Baseline for Raspbian Provided by AWS.",
	//             "DefaultBaseline": true
	//         }
	//     ]
	// }
}
