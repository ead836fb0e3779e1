package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/baseline/policy"
	"github.com/patchkit/patchkit/compliance/rollout"
)

const (
	awsPolicy = "../../testdata/policy/awsdocs-quick-setup-api-patch-policy.json"
	registry  = "testdata/registry.json"
	fleet     = "testdata/fleet.json"
	now       = "2025-11-24T00:00:00Z"
)

func runArgs(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestTable runs AWS's example policy over the example fleet: every node's
// baseline and the step that chose it, the next runs (2025-11-24 is a
// Monday: scan at 01:00, install on the first Saturday of December), the
// waves of concurrency 5 (1, 2, 4, then the rest) and the stop that error
// threshold 0% puts after the first failure.
func TestTable(t *testing.T) {
	code, out, errs := runArgs("-policy", awsPolicy, "-registry", registry, "-inventory", fleet, "-now", now)
	if code != exitFailure || errs != "policyplan: 1 of 12 nodes have no baseline\n" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 8 && (strings.HasPrefix(f[0], "i-") || strings.HasPrefix(f[0], "mi-")) {
			rows[f[0]] = f[1:]
		}
	}
	want := map[string]string{
		"i-0a00000000000001a":  "UBUNTU custom-UbuntuServer-Blog-Baseline PatchPolicy true 2025-11-24T01:00:00Z 2025-12-06T02:00:00Z 1",
		"i-0a00000000000002a":  "AMAZON_LINUX_2023 AWS-AmazonLinux2023DefaultPatchBaseline PatchPolicy true 2025-11-24T01:00:00Z 2025-12-06T02:00:00Z 2",
		"i-0a00000000000003a":  "WINDOWS custom-WindowsServer-Blog-Baseline PatchPolicy true 2025-11-24T01:00:00Z 2025-12-06T02:00:00Z 2",
		"i-0a00000000000004a":  "SUSE - ERROR true 2025-11-24T01:00:00Z 2025-12-06T02:00:00Z 3",
		"i-0a00000000000005a":  "SUSE suse-web PatchGroup false - - -",
		"i-0a00000000000006a":  "SUSE suse-default Default false - - -",
		"mi-0a000000000000007": "DEBIAN AWS-DebianDefaultPatchBaseline AWSDefault false - - -",
		"i-0a00000000000008a":  "ROCKY_LINUX AWS-RockyLinuxDefaultPatchBaseline PatchPolicy true 2025-11-24T01:00:00Z 2025-12-06T02:00:00Z 3",
		"i-0a00000000000009a":  "REDHAT_ENTERPRISE_LINUX AWS-RedHatDefaultPatchBaseline PatchPolicy true 2025-11-24T01:00:00Z 2025-12-06T02:00:00Z 3",
		"i-0a00000000000010a":  "AMAZON_LINUX_2 AWS-AmazonLinux2DefaultPatchBaseline PatchPolicy true 2025-11-24T01:00:00Z 2025-12-06T02:00:00Z 3",
		"i-0a00000000000011a":  "UBUNTU AWS-UbuntuDefaultPatchBaseline AWSDefault false - - -",
		"i-0a00000000000012a":  "ALMA_LINUX AWS-AlmaLinuxDefaultPatchBaseline PatchPolicy true 2025-11-24T01:00:00Z 2025-12-06T02:00:00Z 4",
	}
	if len(rows) != len(want) {
		t.Errorf("%d rows, want %d:\n%s", len(rows), len(want), out)
	}
	for id, w := range want {
		if got := strings.Join(rows[id], " "); got != w {
			t.Errorf("%s: %s\nwant   %s", id, got, w)
		}
	}
	for _, s := range []string{
		"# patch policy dev-patch-policy: ScanAndInstall, RebootIfNeeded, concurrency 5, error threshold 0%\n",
		"# a node the policy targets is scanned as soon as it joins, then on the scan schedule\n",
		`i-0a00000000000004a: no baseline: PatchPolicy: the policy selects no baseline for SUSE`,
		`(payload error 163)`,
		`not PatchGroup: patch group "db" (tag "Patch Group") is not registered`,
		`mi-0a000000000000007: AWSDefault: on-premises node: AWS-DebianDefaultPatchBaseline`,
		`does not target the node: Region eu-west-1 is not among TargetRegions us-east-1,us-east-2`,
		"Rollout (dry run): 8 targeted nodes, at most 5 at once; dispatching stops at error 1\n",
		"  wave 1: i-0a00000000000001a\n  wave 2: i-0a00000000000002a i-0a00000000000003a\n  wave 3: i-0a00000000000004a i-0a00000000000008a i-0a00000000000009a i-0a00000000000010a\n  wave 4: i-0a00000000000012a\n",
		"  would fail for want of a baseline: i-0a00000000000004a\n  the error threshold would be exceeded in wave 3: no later wave would be dispatched\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	if strings.Contains(out, "installs as soon as it joins") {
		t.Error("ConfigurationOptionsInstallNextInterval is true: installs wait for the schedule")
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestJSON: PascalCase keys, exit 0 when every node has a baseline, a
// percentage concurrency resolved against the targets, and the defaults
// listed.
func TestJSON(t *testing.T) {
	params := map[string]string{
		"PatchPolicyName":               "tens",
		"PatchBaselineRegion":           "us-east-1",
		"SelectedPatchBaselines":        `{"UBUNTU":{"value":"pb-06e3563bd35503f2b","label":"custom-UbuntuServer-Blog-Baseline","disabled":false}}`,
		"TargetAccounts":                "123456789012",
		"TargetRegions":                 "us-east-1",
		"ConfigurationOptionsScanValue": "rate(12 hours)",
		"RateControlConcurrency":        "50%",
		"RateControlErrorThreshold":     "10%",
	}
	data, _ := json.Marshal(params)
	pol := writeFile(t, "policy.json", string(data))
	var nodes []string
	for i := range 10 {
		nodes = append(nodes, `{"ID":"i-0b0000000000000`+string(rune('a'+i))+`1","OperatingSystem":"UBUNTU"}`)
	}
	inv := writeFile(t, "fleet.json", "["+strings.Join(nodes, ",")+"]")
	code, out, errs := runArgs("-policy", pol, "-registry", registry, "-inventory", inv, "-now", "2025-11-24", "-json")
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got output
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Errors != 0 || len(got.Nodes) != 10 || got.Rollout.Targets != 10 || got.Rollout.MaxConcurrency != 5 || got.Rollout.MaxErrors != 1 || len(got.Rollout.Waves) != 4 {
		t.Errorf("%+v", got.Rollout)
	}
	next := time.Date(2025, 11, 24, 12, 0, 0, 0, time.UTC)
	n := got.Nodes[9]
	if n.Baseline == nil || n.Baseline.Name != "custom-UbuntuServer-Blog-Baseline" || n.DecidedBy != "PatchPolicy" || !n.Targeted ||
		n.NextScan == nil || !n.NextScan.Equal(next) || n.NextInstall != nil || n.Wave != 4 {
		t.Errorf("%+v", n)
	}
	wantDefaults := "ConfigurationOptionsPatchOperation ConfigurationOptionsScanNextInterval HasDeletedBaseline IsPolicyAttachAllowed OutputLogEnableS3 RebootOption"
	if strings.Join(got.Policy.Defaulted, " ") != wantDefaults {
		t.Errorf("defaulted %v", got.Policy.Defaulted)
	}
	for _, key := range []string{`"Nodes"`, `"DecidedBy"`, `"NextScan"`, `"MaxConcurrency"`, `"FailingTargets"`, `"ExceededInWave"`, `"BaselineId"`} {
		if !strings.Contains(out, key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

// TestOverrides: with the policy's baseline_overrides.json the baselines
// come from it, and it must agree with the selection.
func TestOverrides(t *testing.T) {
	params := map[string]string{
		"PatchPolicyName":           "al2",
		"PatchBaselineRegion":       "us-east-1",
		"SelectedPatchBaselines":    `{"AMAZON_LINUX_2":{"value":"pb-0be8c61cde3be63f3","label":"AWS-AmazonLinux2DefaultPatchBaseline","disabled":false},"CENTOS":{"value":"pb-03e3f588eec25344c","label":"AWS-CentOSDefaultPatchBaseline","disabled":false}}`,
		"TargetAccounts":            "123456789012",
		"TargetRegions":             "us-east-1",
		"RateControlConcurrency":    "1",
		"RateControlErrorThreshold": "0",
	}
	data, _ := json.Marshal(params)
	pol := writeFile(t, "policy.json", string(data))
	inv := writeFile(t, "fleet.json", `[{"ID":"i-0c00000000000000a","OperatingSystem":"CENTOS"},{"ID":"i-0c00000000000000b","OperatingSystem":"AMAZON_LINUX_2"}]`)
	code, out, errs := runArgs("-policy", pol, "-overrides", "../../testdata/baseline/override/awsdocs-user-guide-baselineoverride.json", "-inventory", inv, "-now", now)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, s := range []string{"its baseline_overrides.json has the unnamed CENTOS baseline for CENTOS", "(unnamed AMAZON_LINUX_2 baseline)", "wave 2: i-0c00000000000000b"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	delete(params, "SelectedPatchBaselines")
	params["SelectedPatchBaselines"] = `{"CENTOS":{"value":"pb-03e3f588eec25344c","label":"AWS-CentOSDefaultPatchBaseline","disabled":false}}`
	data, _ = json.Marshal(params)
	pol = writeFile(t, "policy.json", string(data))
	code, _, errs = runArgs("-policy", pol, "-overrides", "../../testdata/baseline/override/awsdocs-user-guide-baselineoverride.json", "-inventory", inv, "-now", now)
	if code != exitFailure || !strings.Contains(errs, "awsdocs-user-guide-baselineoverride.json: policy: invalid baseline_overrides.json of policy al2: [0].OperatingSystem: the policy selects no baseline for AMAZON_LINUX_2") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

func TestUsageAndFailures(t *testing.T) {
	base := []string{"-policy", awsPolicy, "-registry", registry, "-inventory", fleet}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "-policy is required"},
		{[]string{"-policy", awsPolicy}, exitUsage, "-inventory is required"},
		{append(base, "-now", "tomorrow"), exitUsage, `-now: "tomorrow" is neither RFC 3339`},
		{append(base, "extra"), exitUsage, `unexpected argument "extra"`},
		{[]string{"-bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"-policy", "testdata/none.json", "-inventory", fleet}, exitFailure, "testdata/none.json: no such file"},
		{[]string{"-policy", fleet, "-inventory", fleet}, exitFailure, "testdata/fleet.json: policy: invalid Quick Setup configuration"},
		{[]string{"-policy", awsPolicy, "-registry", fleet, "-inventory", fleet}, exitFailure, "testdata/fleet.json: policy: invalid registry"},
		{[]string{"-policy", awsPolicy, "-inventory", awsPolicy}, exitFailure, "cannot unmarshal object into Go value of type []policy.Node"},
		{[]string{"-policy", awsPolicy, "-inventory", writeFile(t, "f.json", `[{"ID":"i-0a00000000000001a","OperatingSystem":"UBUNTU","Colour":"red"}]`)}, exitFailure, `unknown field "Colour"`},
		{[]string{"-policy", awsPolicy, "-inventory", writeFile(t, "f.json", `[{"ID":"i-0a00000000000001a","OperatingSystem":"Ubuntu"}]`)}, exitFailure, `unknown OperatingSystem "Ubuntu"`},
		{[]string{"-policy", awsPolicy, "-inventory", writeFile(t, "f.json", `[{"ID":"a","OperatingSystem":"UBUNTU"},{"ID":"a","OperatingSystem":"UBUNTU"}]`)}, exitFailure, "nodes 0 and 1 are both a"},
		{[]string{"-policy", awsPolicy, "-inventory", writeFile(t, "f.json", `[{"OperatingSystem":"UBUNTU"}]`)}, exitFailure, "node 0 has no ID"},
		{[]string{"-policy", awsPolicy, "-inventory", writeFile(t, "f.json", `[] []`)}, exitFailure, "data after the array"},
		{[]string{"-policy", awsPolicy, "-inventory", writeFile(t, "f.json", ``)}, exitFailure, "empty, not a JSON array"},
		{[]string{"-policy", awsPolicy, "-inventory", writeFile(t, "f.json", `null`)}, exitFailure, "null, not a JSON array"},
		{[]string{"-policy", awsPolicy, "-inventory", writeFile(t, "f.json", `[{"ID":"x",}]`)}, exitFailure, "byte 12: invalid character"},
	} {
		code, _, errs := runArgs(c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want %d …%s…", c.args, code, errs, c.code, c.want)
		}
	}
}

// TestLimit: an input longer than the limit fails at the limit (a device
// or a pipe would otherwise fill memory), whatever reads it.
func TestLimit(t *testing.T) {
	p := writeFile(t, "big.json", strings.Repeat(" ", 1001))
	if _, err := readWith(p, 1000, readInventory); err == nil || !strings.HasSuffix(err.Error(), "big.json: larger than 1000 bytes") {
		t.Errorf("inventory: %v", err)
	}
	if _, err := readWith(p, 1000, func(r io.Reader) (*policy.Policy, error) { return policy.LoadQuickSetup(r) }); err == nil || !strings.HasSuffix(err.Error(), "big.json: larger than 1000 bytes") {
		t.Errorf("policy: %v", err)
	}
	if v, err := readWith(p, 1001, func(r io.Reader) (int, error) { b, err := io.ReadAll(r); return len(b), err }); err != nil || v != 1001 {
		t.Errorf("at the limit: %d %v", v, err)
	}
	if maxFile != 64<<20 {
		t.Errorf("maxFile %d", maxFile)
	}
}

// TestGrammarsAgree: baseline/policy checks the rate controls itself (it
// may not import compliance/rollout); the two must accept the same strings.
func TestGrammarsAgree(t *testing.T) {
	inputs := []string{"", "0", "1", "5", "9", "10", "50", "100", "1000000", "10000000", "0%", "1%", "9%", "10%", "99%", "100%",
		"101%", "1000%", "00", "01", "05%", "%", "-1", "+1", "1.5", " 1", "1 ", "1%%", "٣", "abc", "9999999", "99999999"}
	for i := range 120 {
		inputs = append(inputs, fmt.Sprint(i), fmt.Sprint(i)+"%")
	}
	for _, s := range inputs {
		_, errC := rollout.ParseConcurrency(s)
		_, errE := rollout.ParseErrorThreshold(s)
		if (errC == nil) != (policy.ValidateConcurrency(s) == nil) {
			t.Errorf("concurrency %q: rollout %v, policy %v", s, errC, policy.ValidateConcurrency(s))
		}
		if (errE == nil) != (policy.ValidateErrorThreshold(s) == nil) {
			t.Errorf("error threshold %q: rollout %v, policy %v", s, errE, policy.ValidateErrorThreshold(s))
		}
	}
}
