package policy_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/baseline/policy"
)

// TestReadPatchGroupsCLIExample reads the AWS CLI's example output.
func TestReadPatchGroupsCLIExample(t *testing.T) {
	r := policy.NewRegistry()
	if err := r.ReadPatchGroups(open(t, fixtures+"awscli-describe-patch-groups.json")); err != nil {
		t.Fatal(err)
	}
	if g := r.PatchGroups(); strings.Join(g, ",") != "Development,Production" {
		t.Errorf("groups %v", g)
	}
	in, ok := r.PatchGroup("Production", patchkit.OSWindows)
	if !ok || in.BaselineID != "pb-0123456789abcdef0" || in.BaselineName != "ProdPatching" || in.BaselineDescription != "Patches for Production" {
		t.Errorf("Production: %+v %v", in, ok)
	}
	if _, ok := r.PatchGroup("Production", patchkit.OSUbuntu); ok {
		t.Error("Production has an Ubuntu baseline")
	}
	// DevPatching is marked the default: it is the registered WINDOWS default.
	if d, ok := r.Default(patchkit.OSWindows); !ok || d.BaselineID != "pb-0713accee01234567" {
		t.Errorf("default %+v %v", d, ok)
	}
	// Written back, it is the same output.
	var out bytes.Buffer
	if err := r.WritePatchGroups(&out); err != nil {
		t.Fatal(err)
	}
	r2 := policy.NewRegistry()
	if err := r2.ReadPatchGroups(bytes.NewReader(out.Bytes())); err != nil {
		t.Fatal(err)
	}
	var out2 bytes.Buffer
	if err := r2.WritePatchGroups(&out2); err != nil {
		t.Fatal(err)
	}
	if out.String() != out2.String() {
		t.Errorf("not stable:\n%s\n%s", out.String(), out2.String())
	}
	if !strings.Contains(out.String(), `"BaselineName": "DevPatching",`) || strings.Count(out.String(), `"DefaultBaseline": true`) != 1 {
		t.Errorf("written:\n%s", out.String())
	}
}

// TestReadPatchGroupsOldCLIExample: the older example has no
// OperatingSystem; a baseline's operating system defaults to WINDOWS.
func TestReadPatchGroupsOldCLIExample(t *testing.T) {
	r := policy.NewRegistry()
	if err := r.ReadPatchGroups(open(t, fixtures+"awscli-describe-patch-groups-old.json")); err != nil {
		t.Fatal(err)
	}
	if in, ok := r.PatchGroup("Production", patchkit.OSWindows); !ok || in.BaselineID != "pb-045f10b4f382baeda" {
		t.Errorf("%+v %v", in, ok)
	}
	if _, ok := r.Default(patchkit.OSWindows); ok {
		t.Error("DefaultBaseline false registered a default")
	}
}

func TestReadDefaultBaselineCLIExamples(t *testing.T) {
	r := policy.NewRegistry()
	if err := r.ReadDefaultBaseline(open(t, fixtures+"awscli-get-default-patch-baseline-amazon-linux.json")); err != nil {
		t.Fatal(err)
	}
	if d, ok := r.Default(patchkit.OSAmazonLinux); !ok || d.BaselineID != "pb-047c6eb9c8fc12345" {
		t.Errorf("%+v %v", d, ok)
	}
	// Without OperatingSystem: the command without --operating-system
	// returns the WINDOWS default.
	if err := r.ReadDefaultBaseline(open(t, fixtures+"awscli-get-default-patch-baseline-old.json")); err != nil {
		t.Fatal(err)
	}
	if d, ok := r.Default(patchkit.OSWindows); !ok || d.BaselineID != "arn:aws:ssm:us-west-1:812345678901:patchbaseline/pb-0ca44a362f8afc725" {
		t.Errorf("%+v %v", d, ok)
	}
	var out bytes.Buffer
	if err := r.WriteDefaultBaselines(&out); err != nil {
		t.Fatal(err)
	}
	want := `[
    {
        "BaselineId": "arn:aws:ssm:us-west-1:812345678901:patchbaseline/pb-0ca44a362f8afc725",
        "OperatingSystem": "WINDOWS"
    },
    {
        "BaselineId": "pb-047c6eb9c8fc12345",
        "OperatingSystem": "AMAZON_LINUX"
    }
]
`
	if out.String() != want {
		t.Errorf("written:\n%s", out.String())
	}
	r2 := policy.NewRegistry()
	if err := r2.ReadDefaultBaseline(bytes.NewReader(out.Bytes())); err != nil {
		t.Fatal(err)
	}
	for _, os := range []patchkit.OperatingSystem{patchkit.OSWindows, patchkit.OSAmazonLinux} {
		a, _ := r.Default(os)
		b, _ := r2.Default(os)
		if a.BaselineID != b.BaselineID {
			t.Errorf("%s: %s after the round trip, %s before", os, b.BaselineID, a.BaselineID)
		}
	}
}

// TestReadBaselineIdentities reads the describe-patch-baselines dump of the
// AWS-owned baselines: the defaults it marks are AWS's own.
func TestReadBaselineIdentities(t *testing.T) {
	r := policy.NewRegistry()
	if err := r.ReadBaselineIdentities(open(t, baselineFixtures+"aws/describe-patch-baselines.json")); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, os := range patchkit.OperatingSystems() {
		d, ok := r.Default(os)
		if !ok {
			continue
		}
		n++
		aws, err := baseline.Predefined(os)
		if err != nil || d.BaselineID != aws.BaselineID {
			t.Errorf("%s: default %s, AWS-owned %s", os, d.BaselineID, aws.BaselineID)
		}
	}
	if n != 14 {
		t.Errorf("%d defaults, want the dump's 14 (every system but WINDOWS)", n)
	}
	res, err := policy.Resolve(policy.Node{OperatingSystem: patchkit.OSUbuntu}, r, policy.Sources{})
	if err != nil || res.Step != policy.StepAWSDefault || !strings.Contains(res.Reason, "registered default for UBUNTU is the AWS-owned default AWS-UbuntuDefaultPatchBaseline") {
		t.Errorf("%+v %v", res, err)
	}
}

// TestReadBaselinesRegistersGroups: a get-patch-baseline output lists its
// patch groups; reading it registers them.
func TestReadBaselinesRegistersGroups(t *testing.T) {
	r := policy.NewRegistry()
	if err := r.ReadBaselines(open(t, baselineFixtures+"custom/awsdocs-userguide-get-patch-baseline-output.json")); err != nil {
		t.Fatal(err)
	}
	in, ok := r.PatchGroup("Web Servers", patchkit.OSWindows)
	if !ok || in.BaselineID != "pb-0c10e65780EXAMPLE" || in.BaselineName != "Windows-Server-2012R2" {
		t.Errorf("%+v %v", in, ok)
	}
	b, err := r.Lookup("arn:aws:ssm:us-east-2:111122223333:patchbaseline/pb-0c10e65780EXAMPLE")
	if err != nil || b.Name != "Windows-Server-2012R2" {
		t.Errorf("lookup by ARN: %v %v", b.Name, err)
	}
	// Another baseline claiming the group for WINDOWS is refused.
	other := b
	other.BaselineID, other.Name = "pb-0aaaaaaaaaaaaaaaa", "Other"
	wantField(t, r.AddBaseline(other), "PatchGroups[0]", `group "Web Servers" already has baseline pb-0c10e65780EXAMPLE for WINDOWS`)
	other.PatchGroups = nil
	if err := r.AddBaseline(other); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterPatchGroup("Web Servers", other.BaselineID); err == nil {
		t.Error("a second WINDOWS baseline for one group was registered")
	}
	if err := r.RegisterPatchGroup("Web Servers", "pb-0c10e65780EXAMPLE"); err != nil {
		t.Errorf("registering the same pair again: %v", err)
	}
	if err := r.RegisterPatchGroup("Web Servers", "AWS-UbuntuDefaultPatchBaseline"); !errors.As(err, new(*policy.UnknownBaselineError)) {
		t.Errorf("a name is not an ID: %v", err)
	}
	// An AWS-owned baseline is known by its ID in any account and Region.
	if err := r.RegisterPatchGroup("Web Servers", "arn:aws:ssm:eu-west-1:123456789012:patchbaseline/pb-0c7e89f711c3095f4"); err != nil {
		t.Fatal(err)
	}
	if in, ok := r.PatchGroup("Web Servers", patchkit.OSUbuntu); !ok || in.BaselineName != "AWS-UbuntuDefaultPatchBaseline" {
		t.Errorf("%+v %v", in, ok)
	}
}

func registryForRoundTrip(t *testing.T) *policy.Registry {
	r := policy.NewRegistry()
	if err := r.ReadBaselines(open(t, baselineFixtures+"custom/awsdocs-userguide-get-patch-baseline-output.json")); err != nil {
		t.Fatal(err)
	}
	if err := r.ReadBaselines(open(t, baselineFixtures+"override/awsdocs-user-guide-baselineoverride.json")); err == nil {
		t.Fatal("baselines without IDs were registered")
	}
	if err := r.ReadPatchGroups(open(t, fixtures+"awscli-describe-patch-groups.json")); err != nil {
		t.Fatal(err)
	}
	if err := r.ReadDefaultBaseline(open(t, fixtures+"awscli-get-default-patch-baseline-amazon-linux.json")); err != nil {
		t.Fatal(err)
	}
	if err := r.SetBaselineTags("pb-0c10e65780EXAMPLE", map[string]string{"Env": "prod", "Team": "web"}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetBaselineTags("pb-0123456789abcdef0", nil); err == nil {
		t.Error("tags set on a baseline the registry does not hold")
	}
	return r
}

// TestRegistryRoundTrip: the one-file form reads back to the same registry,
// written byte for byte the same.
func TestRegistryRoundTrip(t *testing.T) {
	r := registryForRoundTrip(t)
	var a bytes.Buffer
	if err := r.WriteJSON(&a); err != nil {
		t.Fatal(err)
	}
	r2, err := policy.ReadRegistry(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, a.String())
	}
	var b bytes.Buffer
	if err := r2.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("round trip differs:\n%s\n----\n%s", a.String(), b.String())
	}
	for _, want := range []string{`"PatchGroups": [`, `"Web Servers"`, `"ResourceId": "pb-0c10e65780EXAMPLE"`, `"Key": "Env"`, `"BaselineId": "pb-047c6eb9c8fc12345"`, `"PatchGroup": "Development"`} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("registry file lacks %s:\n%s", want, a.String())
		}
	}
	// Same answers from both.
	node := policy.Node{OperatingSystem: patchkit.OSWindows, Tags: map[string]string{"Patch Group": "Web Servers"}}
	x, err1 := policy.Resolve(node, r, policy.Sources{})
	y, err2 := policy.Resolve(node, r2, policy.Sources{})
	if err1 != nil || err2 != nil || x.Explain() != y.Explain() || x.Baseline.Name != "Windows-Server-2012R2" {
		t.Errorf("%v %v\n%s\n%s", err1, err2, x.Explain(), y.Explain())
	}
}

// TestRegistryErrors: each problem names its field.
func TestRegistryErrors(t *testing.T) {
	id := func(group, os, pb string, def bool) string {
		d := "false"
		if def {
			d = "true"
		}
		return `{"PatchGroup":"` + group + `","BaselineIdentity":{"BaselineId":"` + pb + `","OperatingSystem":"` + os + `","DefaultBaseline":` + d + `}}`
	}
	groups := func(ms ...string) string { return `{"Mappings":[` + strings.Join(ms, ",") + `]}` }
	for _, c := range []struct{ in, path, want string }{
		{groups(id("web#1", "UBUNTU", "pb-0123456789abcdef0", false)), "Mappings[0].PatchGroup", `character '#' at byte 3`},
		{groups(id("", "UBUNTU", "pb-0123456789abcdef0", false)), "Mappings[0].PatchGroup", "0 characters"},
		{groups(id("web", "UBUNTU", "pb-1", false)), "Mappings[0].BaselineIdentity.BaselineId", "not 20 to 128"},
		{groups(id("web", "Ubuntu", "pb-0123456789abcdef0", false)), "Mappings[0].BaselineIdentity.OperatingSystem", `unknown value "Ubuntu"`},
		{groups(id("web", "UBUNTU", "pb-0123456789abcdef0", false), id("web", "UBUNTU", "pb-0123456789abcdef1", false)), "Mappings[1]", `group "web" has two baselines for UBUNTU`},
		{groups(id("a", "UBUNTU", "pb-0123456789abcdef0", true), id("b", "UBUNTU", "pb-0123456789abcdef1", true)), "Mappings[1].BaselineIdentity.DefaultBaseline", "both"},
		{`{"Mappings":[{"PatchGroup":"web"}]}`, "Mappings[0].BaselineIdentity", "missing"},
		{`{"Mappings":[{"BaselineIdentity":{"BaselineId":"pb-0123456789abcdef0"}}]}`, "Mappings[0].PatchGroup", "missing"},
		{`{}`, "Mappings", "missing"},
		{`{"Mappings":[],"NextToken":"AAEA"}`, "NextToken", "one page of the output"},
		{`{"Mappings":[],"NextToken":""}`, "", ""},
		{`{"Mappings":[],"Extra":1}`, "$", `unknown field "Extra"`},
		{`{"Mappings":{}}`, "Mappings", "object where"},
		{`{"Mappings":[`, "$", "unexpected EOF"},
		{`{"Mappings":[]} x`, "$", "data after the JSON value"},
		{`{"Mappings":[]`, "$", "unexpected EOF"},
		{`{"Mappings":[] x}`, "$ (byte 16)", "invalid character"},
	} {
		r := policy.NewRegistry()
		err := r.ReadPatchGroups(strings.NewReader(c.in))
		if c.path == "" {
			if err != nil {
				t.Errorf("%s: %v", c.in, err)
			}
			continue
		}
		wantField(t, err, c.path, c.want)
		if len(r.PatchGroups()) != 0 {
			t.Errorf("%s: registered %v despite the error", c.in, r.PatchGroups())
		}
	}
	for _, c := range []struct{ in, path, want string }{
		{`{"OperatingSystem":"UBUNTU"}`, "BaselineId", "missing"},
		{`[{"BaselineId":"pb-0123456789abcdef0","OperatingSystem":"UBUNTU"},{"BaselineId":"pb-0123456789abcdef1","OperatingSystem":"UBUNTU"}]`, "[1].BaselineId", "a second default for UBUNTU"},
		{`{"BaselineId":"arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0c7e89f711c3095f4","OperatingSystem":"DEBIAN"}`, "OperatingSystem", "is for UBUNTU, not DEBIAN"},
	} {
		err := policy.NewRegistry().ReadDefaultBaseline(strings.NewReader(c.in))
		wantField(t, err, c.path, c.want)
	}
	err := policy.NewRegistry().ReadBaselineIdentities(strings.NewReader(`{"BaselineIdentities":[{"BaselineId":"pb-0123456789abcdef0","OperatingSystem":"UBUNTU","DefaultBaseline":true},{"BaselineId":"pb-0123456789abcdef1","OperatingSystem":"UBUNTU","DefaultBaseline":true}]}`))
	wantField(t, err, "BaselineIdentities[1].DefaultBaseline", "both")
	err = policy.NewRegistry().ReadBaselineIdentities(strings.NewReader(`{"BaselineIdentities":[],"NextToken":"AAEA"}`))
	wantField(t, err, "NextToken", "one page")
	_, err = policy.ReadRegistry(strings.NewReader(`{"BaselineTags":[{"ResourceId":"pb-0123456789abcdef0","TagList":[]}]}`))
	if !errors.As(err, new(*policy.UnknownBaselineError)) || !strings.Contains(err.Error(), "BaselineTags[0]") {
		t.Errorf("tags of an unknown baseline: %v", err)
	}
	_, err = policy.ReadRegistry(strings.NewReader(`{"PatchGroups":{"Mappings":[{"PatchGroup":"a#"}]}}`))
	if !errors.Is(err, patchkit.ErrInvalid) || !strings.Contains(err.Error(), "registry member PatchGroups") {
		t.Errorf("%v", err)
	}
	if _, err := policy.ReadRegistry(strings.NewReader(strings.Repeat(" ", 8<<20+1))); !errors.Is(err, patchkit.ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized input: %v", err)
	}
}

func TestValidatePatchGroup(t *testing.T) {
	for _, ok := range []string{"Production", "Web Servers", "a:b/c=d+e-f@g_h.i", "Produktion Ü", "生产", "٣", "x\u00a0y", strings.Repeat("g", 256), strings.Repeat("é", 256)} {
		if err := policy.ValidatePatchGroup(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "web#1", "tab\there", "new\nline", "a,b", "quote\"", "semi;", "\xff", strings.Repeat("g", 257), strings.Repeat("é", 257)} {
		err := policy.ValidatePatchGroup(bad)
		var fe *baseline.FieldError
		if !errors.As(err, &fe) || fe.Path != "PatchGroup" || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestBaselineIdentitiesRoundTrip: the describe-patch-baselines dump, read
// and written, reads back to the same identities and defaults.
func TestBaselineIdentitiesRoundTrip(t *testing.T) {
	r := policy.NewRegistry()
	if err := r.ReadBaselineIdentities(open(t, baselineFixtures+"aws/describe-patch-baselines.json")); err != nil {
		t.Fatal(err)
	}
	var a bytes.Buffer
	if err := r.WriteBaselineIdentities(&a); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(a.String(), `"BaselineId"`); n != 17 {
		t.Errorf("%d identities written, want the dump's 17", n)
	}
	if n := strings.Count(a.String(), `"DefaultBaseline": true`); n != 14 {
		t.Errorf("%d defaults written, want 14", n)
	}
	r2 := policy.NewRegistry()
	if err := r2.ReadBaselineIdentities(bytes.NewReader(a.Bytes())); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r2.WriteBaselineIdentities(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("round trip differs:\n%s\n----\n%s", a.String(), b.String())
	}
	// Custom baselines and a registered default come out too.
	r3 := registryForRoundTrip(t)
	var c bytes.Buffer
	if err := r3.WriteBaselineIdentities(&c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"BaselineName": "Windows-Server-2012R2"`, `"BaselineId": "pb-047c6eb9c8fc12345"`, `"BaselineName": "DevPatching"`} {
		if !strings.Contains(c.String(), want) {
			t.Errorf("lacks %s:\n%s", want, c.String())
		}
	}
}
