package policy_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline/policy"
)

// awsParams returns the parameter map of AWS's own example.
func awsParams(t testing.TB) map[string]string {
	t.Helper()
	data, err := os.ReadFile(awsExample)
	if err != nil {
		t.Fatal(err)
	}
	var def struct{ Parameters map[string]string }
	if err := json.Unmarshal(data, &def); err != nil {
		t.Fatal(err)
	}
	return def.Parameters
}

// TestAWSExample reads the configuration definition of the Quick Setup API
// example as AWS gives it.
func TestAWSExample(t *testing.T) {
	p, err := policy.LoadQuickSetup(open(t, awsExample))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "dev-patch-policy" || p.Operation != policy.ScanAndInstall ||
		p.ScanSchedule != "cron(0 1 * * ? *)" || p.InstallSchedule != "cron(0 2 ? * SAT#1 *)" ||
		p.ScanNextInterval || !p.InstallNextInterval || p.RebootOption != policy.RebootIfNeeded ||
		p.Concurrency != "5" || p.ErrorThreshold != "0%" || p.BaselineRegion != "us-east-1" ||
		p.UseDefault != "custom" || !p.IsPolicyAttachAllowed || p.HasDeletedBaseline || p.Output.LogEnableS3 {
		t.Errorf("policy: %+v", p)
	}
	wantTarget := policy.Target{Type: "Tags", TagKey: "Patch", TagValue: "true",
		OrganizationalUnits: []string{"ou-9utf-example"}, Regions: []string{"us-east-1", "us-east-2"}}
	if !reflect.DeepEqual(p.Target, wantTarget) {
		t.Errorf("target %+v, want %+v", p.Target, wantTarget)
	}
	if len(p.Defaulted) != 0 || p.Extra != nil {
		t.Errorf("defaulted %v, extra %v: the example gives every parameter it uses", p.Defaulted, p.Extra)
	}
	if len(p.Selected) != 10 {
		t.Errorf("%d selected baselines, want 10", len(p.Selected))
	}
	if s := p.Selected[patchkit.OSUbuntu]; s.Value != "pb-06e3563bd35503f2b" || s.Label != "custom-UbuntuServer-Blog-Baseline" || s.Disabled {
		t.Errorf("UBUNTU: %+v", s)
	}
	if s := p.Selected[patchkit.OSWindows]; s.Value != "pb-016889927b2bb8542" || s.Description != "" {
		t.Errorf("WINDOWS: %+v", s)
	}
	if _, ok := p.Selected[patchkit.OSSUSE]; ok {
		t.Error("the example selects no SUSE baseline")
	}
	// Its eight AWS-owned selections are the us-east-1 AWS-owned baselines
	// of the dump (by pb- ID under the example account's ARN).
	aws := 0
	for os, s := range p.Selected {
		if !strings.HasPrefix(s.Label, "AWS-") {
			continue
		}
		aws++
		b, err := policy.NewRegistry().Lookup(s.Value)
		if err != nil || b.Name != s.Label || b.OperatingSystem != os {
			t.Errorf("%s: %s is %q (%s), %v", os, s.Value, b.Name, b.OperatingSystem, err)
		}
	}
	if aws != 8 {
		t.Errorf("%d AWS-owned selections, want 8", aws)
	}
}

// TestParametersRoundTrip: Parameters writes what ParseParameters reads to
// the same policy, and the map is AWS's minus its empty strings.
func TestParametersRoundTrip(t *testing.T) {
	in := awsParams(t)
	p, err := policy.ParseParameters(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Parameters()
	if err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(in)
	maps.DeleteFunc(want, func(k, v string) bool { return v == "" })
	// SelectedPatchBaselines is JSON: compare it as a value.
	var a, b any
	if err := json.Unmarshal([]byte(want["SelectedPatchBaselines"]), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out["SelectedPatchBaselines"]), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("SelectedPatchBaselines\n%s\nwant\n%s", out["SelectedPatchBaselines"], want["SelectedPatchBaselines"])
	}
	if out["SelectedPatchBaselines"] != want["SelectedPatchBaselines"] {
		t.Errorf("SelectedPatchBaselines not written byte for byte as AWS's example:\n%s", out["SelectedPatchBaselines"])
	}
	if !maps.Equal(out, want) {
		for k := range maps.Keys(want) {
			if out[k] != want[k] {
				t.Errorf("%s = %q, want %q", k, out[k], want[k])
			}
		}
		for k := range maps.Keys(out) {
			if _, ok := want[k]; !ok {
				t.Errorf("extra %s = %q", k, out[k])
			}
		}
	}
	again, err := policy.ParseParameters(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, p) {
		t.Errorf("round trip changed the policy:\n%+v\n%+v", again, p)
	}
}

func minimal() map[string]string {
	return map[string]string{
		"PatchPolicyName":           "min",
		"PatchBaselineRegion":       "eu-west-1",
		"SelectedPatchBaselines":    `{"UBUNTU":{"value":"arn:aws:ssm:eu-west-1:123456789012:patchbaseline/pb-0c7e89f711c3095f4","label":"AWS-UbuntuDefaultPatchBaseline","disabled":false}}`,
		"TargetRegions":             "eu-west-1",
		"TargetAccounts":            "123456789012",
		"RateControlConcurrency":    "10%",
		"RateControlErrorThreshold": "2%",
	}
}

func TestParameterDefaults(t *testing.T) {
	p, err := policy.ParseParameters(minimal())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ConfigurationOptionsPatchOperation", "ConfigurationOptionsScanNextInterval",
		"ConfigurationOptionsScanValue", "HasDeletedBaseline", "IsPolicyAttachAllowed", "OutputLogEnableS3", "RebootOption"}
	if !reflect.DeepEqual(p.Defaulted, want) {
		t.Errorf("defaulted %v, want %v", p.Defaulted, want)
	}
	if p.Operation != policy.Scan || p.ScanSchedule != policy.DefaultScanSchedule || p.InstallSchedule != "" ||
		p.RebootOption != policy.RebootIfNeeded || p.ScanNextInterval || p.Target.Type != "" {
		t.Errorf("%+v", p)
	}
	m := minimal()
	m["ConfigurationOptionsPatchOperation"] = "ScanAndInstall"
	p, err = policy.ParseParameters(m)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"ConfigurationOptionsInstallNextInterval", "ConfigurationOptionsInstallValue", "ConfigurationOptionsScanNextInterval",
		"ConfigurationOptionsScanValue", "HasDeletedBaseline", "IsPolicyAttachAllowed", "OutputLogEnableS3", "RebootOption"}
	if !reflect.DeepEqual(p.Defaulted, want) || p.InstallSchedule != policy.DefaultInstallSchedule || p.InstallNextInterval {
		t.Errorf("defaulted %v, install %q %v", p.Defaulted, p.InstallSchedule, p.InstallNextInterval)
	}
}

func TestUnknownParameters(t *testing.T) {
	m := minimal()
	m["RateControlConcurency"] = "5"
	m["Zeta"] = "z"
	_, err := policy.ParseParameters(m)
	wantField(t, err, "RateControlConcurency", "unknown parameter")
	wantField(t, err, "Zeta", "unknown parameter")
	p, err := policy.ParseParameters(m, policy.AllowUnknownParameters())
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(p.Extra, map[string]string{"RateControlConcurency": "5", "Zeta": "z"}) {
		t.Errorf("extra %v", p.Extra)
	}
	out, err := p.Parameters()
	if err != nil || out["Zeta"] != "z" {
		t.Errorf("Parameters: %v, %v", out, err)
	}
}

// TestParameterValidation: each bad value is reported with its parameter.
func TestParameterValidation(t *testing.T) {
	for _, c := range []struct {
		set        map[string]string
		del        []string
		path, want string
	}{
		{set: map[string]string{"ConfigurationOptionsScanValue": "cron(0 1 * * *)"}, path: "ConfigurationOptionsScanValue", want: "6 (or 7"},
		{set: map[string]string{"ConfigurationOptionsScanValue": "rate(5 minutes)"}, path: "ConfigurationOptionsScanValue", want: "30 minutes"},
		{set: map[string]string{"ConfigurationOptionsScanValue": "cron(0 1 * JAN ? *)"}, path: "ConfigurationOptionsScanValue", want: "Month"},
		{set: map[string]string{"ConfigurationOptionsPatchOperation": "ScanAndInstall", "ConfigurationOptionsInstallValue": "at(2025-01-01T00:00:00)"}, path: "ConfigurationOptionsInstallValue", want: "maintenance windows only"},
		{set: map[string]string{"ConfigurationOptionsInstallValue": "cron(0 2 ? * SUN *)"}, path: "ConfigurationOptionsInstallValue", want: "ScanAndInstall"},
		{set: map[string]string{"ConfigurationOptionsInstallNextInterval": "true"}, path: "ConfigurationOptionsInstallNextInterval", want: "ScanAndInstall"},
		{set: map[string]string{"ConfigurationOptionsPatchOperation": "Install"}, path: "ConfigurationOptionsPatchOperation", want: "neither Scan nor ScanAndInstall"},
		{set: map[string]string{"ConfigurationOptionsScanNextInterval": "True"}, path: "ConfigurationOptionsScanNextInterval", want: `"True" is neither`},
		{set: map[string]string{"RebootOption": "Reboot"}, path: "RebootOption", want: "neither RebootIfNeeded nor NoReboot"},
		{set: map[string]string{"RateControlConcurrency": "0"}, path: "RateControlConcurrency", want: "zero"},
		{set: map[string]string{"RateControlConcurrency": "101%"}, path: "RateControlConcurrency", want: "more than 100%"},
		{set: map[string]string{"RateControlErrorThreshold": "-1"}, path: "RateControlErrorThreshold", want: "not a count"},
		{del: []string{"RateControlErrorThreshold"}, path: "RateControlErrorThreshold", want: "required"},
		{del: []string{"PatchPolicyName"}, path: "PatchPolicyName", want: "required"},
		{del: []string{"SelectedPatchBaselines"}, path: "SelectedPatchBaselines", want: "required"},
		{set: map[string]string{"SelectedPatchBaselines": `{"UBUNTU_LINUX":{"value":"pb-0c7e89f711c3095f4","label":"x"}}`}, path: "SelectedPatchBaselines.UBUNTU_LINUX", want: "not an OperatingSystem"},
		{set: map[string]string{"SelectedPatchBaselines": `{"UBUNTU":{"value":"pb-1","label":"x"}}`}, path: "SelectedPatchBaselines.UBUNTU.value", want: "not a baseline ID"},
		{set: map[string]string{"SelectedPatchBaselines": `{"UBUNTU":{"value":"pb-0c7e89f711c3095f4","label":"x","colour":"red"}}`}, path: "SelectedPatchBaselines.UBUNTU", want: "colour"},
		{set: map[string]string{"SelectedPatchBaselines": `[]`}, path: "SelectedPatchBaselines", want: "not a JSON object"},
		{set: map[string]string{"SelectedPatchBaselines": `{}`}, path: "SelectedPatchBaselines", want: "selects no baseline"},
		{set: map[string]string{"PatchBaselineUseDefault": "default", "SelectedPatchBaselines": `{"UBUNTU":{"value":"pb-06e3563bd35503f2b","label":"custom-UbuntuServer-Blog-Baseline"}}`}, path: "SelectedPatchBaselines.UBUNTU.value", want: "not an AWS-owned baseline"},
		{set: map[string]string{"PatchBaselineUseDefault": "yes"}, path: "PatchBaselineUseDefault", want: "neither default nor custom"},
		{set: map[string]string{"TargetType": "Tags"}, path: "TargetTagKey", want: "required with TargetType Tags"},
		{set: map[string]string{"TargetType": "InstanceIds"}, path: "TargetInstances", want: "required"},
		{set: map[string]string{"TargetType": "InstanceIds", "TargetInstances": "i-1234567890abcdef0,i-12"}, path: "TargetInstances", want: `item 2, "i-12"`},
		{set: map[string]string{"TargetType": "ResourceGroups"}, path: "ResourceGroupName", want: "required"},
		{set: map[string]string{"TargetType": "All"}, path: "TargetType", want: "not *, InstanceIds"},
		{set: map[string]string{"TargetAccounts": "1234"}, path: "TargetAccounts", want: "12-digit"},
		{del: []string{"TargetAccounts"}, path: "TargetAccounts", want: "or TargetOrganizationalUnits is required"},
		{set: map[string]string{"TargetRegions": "us-east-1,,eu-west-1"}, path: "TargetRegions", want: "empty item"},
		{set: map[string]string{"TargetRegions": "US East"}, path: "TargetRegions", want: "not a Region"},
		{set: map[string]string{"PatchBaselineRegion": "useast1"}, path: "PatchBaselineRegion", want: "not a Region"},
		{set: map[string]string{"OutputLogEnableS3": "true"}, path: "OutputS3BucketName", want: "no bucket"},
		{set: map[string]string{"PatchPolicyName": strings.Repeat("p", 257)}, path: "PatchPolicyName", want: "at most 256"},
	} {
		m := minimal()
		maps.Copy(m, c.set)
		for _, k := range c.del {
			delete(m, k)
		}
		_, err := policy.ParseParameters(m)
		wantField(t, err, c.path, c.want)
	}
}

// TestAllProblemsAtOnce: one error lists every bad parameter.
func TestAllProblemsAtOnce(t *testing.T) {
	m := minimal()
	m["RebootOption"] = "x"
	m["RateControlConcurrency"] = "0"
	delete(m, "TargetRegions")
	_, err := policy.ParseParameters(m)
	for _, p := range []string{"RebootOption", "RateControlConcurrency", "TargetRegions"} {
		wantField(t, err, p, "")
	}
}

func TestLoadQuickSetupShapes(t *testing.T) {
	data, err := os.ReadFile(awsExample)
	if err != nil {
		t.Fatal(err)
	}
	want, err := policy.LoadQuickSetup(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	params, err := json.Marshal(awsParams(t))
	if err != nil {
		t.Fatal(err)
	}
	other := `{"Type":"AWSQuickSetupType-SSMHostMgmt","Parameters":{"TargetType":"*"}}`
	for name, in := range map[string]string{
		"bare parameter map":      string(params),
		"array of definitions":    "[" + other + "," + string(data) + "]",
		"definition with spacing": "\n  " + string(data) + "\n",
	} {
		got, err := policy.LoadQuickSetup(strings.NewReader(in))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v", name, got)
		}
	}
	for _, c := range []struct{ in, path, want string }{
		{other, "Type", `"AWSQuickSetupType-SSMHostMgmt", not AWSQuickSetupType-PatchPolicy`},
		{"[" + other + "]", "[*].Type", "0 definitions"},
		{`{"Type":"AWSQuickSetupType-PatchPolicy"}`, "Parameters", "missing"},
		{`{"Type":"AWSQuickSetupType-PatchPolicy","Parameters":{"RateControlConcurrency":5}}`, "Parameters.RateControlConcurrency", "5 is not a string"},
		{`{"PatchPolicyName":true}`, "PatchPolicyName", "true is not a string"},
		{`{"Type":"AWSQuickSetupType-PatchPolicy","Parameters":{},"Region":"x"}`, "$", "unknown field"},
		{`{"Type":"AWSQuickSetupType-PatchPolicy",`, "$", "unexpected EOF"},
		{`{} {}`, "$", "data after"},
	} {
		_, err := policy.LoadQuickSetup(strings.NewReader(c.in))
		wantField(t, err, c.path, c.want)
	}
}

func TestTargets(t *testing.T) {
	p, err := policy.LoadQuickSetup(open(t, awsExample))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		node policy.Node
		ok   bool
		why  string
	}{
		{policy.Node{Tags: map[string]string{"Patch": "true"}}, true, "tag Patch=true"},
		{policy.Node{Tags: map[string]string{"Patch": "false"}}, false, `its tag Patch is "false", not "true"`},
		{policy.Node{Tags: map[string]string{"patch": "true"}}, false, "no tag Patch"},
		{policy.Node{Region: "us-east-2", Tags: map[string]string{"Patch": "true"}}, true, "Region us-east-2"},
		{policy.Node{Region: "eu-west-1", Tags: map[string]string{"Patch": "true"}}, false, "Region eu-west-1 is not among TargetRegions us-east-1,us-east-2"},
		{policy.Node{Account: "111122223333", Tags: map[string]string{"Patch": "true"}}, true, "taken to be in ou-9utf-example"},
	} {
		ok, why := p.Targets(c.node)
		if ok != c.ok || !strings.Contains(why, c.why) {
			t.Errorf("%+v: %v %q, want %v …%s…", c.node, ok, why, c.ok, c.why)
		}
	}
	q := &policy.Policy{Target: policy.Target{Type: "InstanceIds", Instances: []string{"i-1234567890abcdef0"}, Accounts: []string{"123456789012"}}}
	if ok, _ := q.Targets(policy.Node{ID: "i-1234567890abcdef0", Account: "123456789012"}); !ok {
		t.Error("listed instance not targeted")
	}
	if ok, why := q.Targets(policy.Node{ID: "i-1234567890abcdef0", Account: "210987654321"}); ok || !strings.Contains(why, "not among TargetAccounts") {
		t.Errorf("other account: %v %s", ok, why)
	}
	q.Target = policy.Target{Type: "ResourceGroups", ResourceGroupName: "web"}
	if ok, _ := q.Targets(policy.Node{ResourceGroups: []string{"db", "web"}}); !ok {
		t.Error("resource group member not targeted")
	}
	if ok, _ := q.Targets(policy.Node{ResourceGroups: []string{"db"}}); ok {
		t.Error("non-member targeted")
	}
}
