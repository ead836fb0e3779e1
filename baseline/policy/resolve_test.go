package policy_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/baseline/policy"
)

// custom returns a valid custom baseline for os.
func custom(t testing.TB, id, name string, os patchkit.OperatingSystem) baseline.Baseline {
	t.Helper()
	b, err := baseline.Predefined(os)
	if err != nil {
		t.Fatal(err)
	}
	b.BaselineID, b.Name, b.Description = id, name, "custom "+name
	b.PatchGroups = nil
	return b
}

// testRegistry: custom Ubuntu and Windows baselines (the two the AWS policy
// example selects), a custom Ubuntu default, group "web" with an Ubuntu
// baseline and group "db" with an Amazon Linux 2 one.
func testRegistry(t testing.TB) *policy.Registry {
	t.Helper()
	r := policy.NewRegistry()
	for _, b := range []baseline.Baseline{
		custom(t, "pb-06e3563bd35503f2b", "custom-UbuntuServer-Blog-Baseline", patchkit.OSUbuntu),
		custom(t, "pb-016889927b2bb8542", "custom-WindowsServer-Blog-Baseline", patchkit.OSWindows),
		custom(t, "pb-0aaaaaaaaaaaaaaa1", "ubuntu-web", patchkit.OSUbuntu),
		custom(t, "pb-0aaaaaaaaaaaaaaa2", "ubuntu-default", patchkit.OSUbuntu),
		custom(t, "pb-0aaaaaaaaaaaaaaa3", "al2-db", patchkit.OSAmazonLinux2),
	} {
		if err := r.AddBaseline(b); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range [][2]string{{"web", "pb-0aaaaaaaaaaaaaaa1"}, {"db", "pb-0aaaaaaaaaaaaaaa3"}} {
		if err := r.RegisterPatchGroup(g[0], g[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.RegisterDefault("pb-0aaaaaaaaaaaaaaa2"); err != nil {
		t.Fatal(err)
	}
	return r
}

func ubuntu(tags map[string]string) policy.Node {
	return policy.Node{ID: "i-0123456789abcdef0", OperatingSystem: patchkit.OSUbuntu, Tags: tags}
}

func resolveErr(t *testing.T, err error, step policy.Step, code int, want string) {
	t.Helper()
	var re *policy.ResolveError
	if !errors.As(err, &re) || re.Step != step || re.Code != code || !strings.Contains(re.Reason, want) || !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("error %v; want step %s, code %d, …%s…", err, step, code, want)
	}
}

func TestPatchGroupTags(t *testing.T) {
	r := testRegistry(t)
	for _, c := range []struct {
		name  string
		node  policy.Node
		step  policy.Step
		base  string
		group string
		why   string
	}{
		{"Patch Group key", ubuntu(map[string]string{"Patch Group": "web"}), policy.StepPatchGroup, "ubuntu-web", "web", `patch group "web" (tag "Patch Group") is registered with ubuntu-web`},
		{"PatchGroup key", ubuntu(map[string]string{"PatchGroup": "web"}), policy.StepPatchGroup, "ubuntu-web", "web", `(tag "PatchGroup")`},
		{"both keys, one value", ubuntu(map[string]string{"Patch Group": "web", "PatchGroup": "web"}), policy.StepPatchGroup, "ubuntu-web", "web", `tags "Patch Group" and "PatchGroup" both name group "web"`},
		{"key case differs", ubuntu(map[string]string{"patch group": "web"}), policy.StepDefault, "ubuntu-default", "", `tag key "patch group" is not "Patch Group" or "PatchGroup": keys are case-sensitive`},
		{"key case differs 2", ubuntu(map[string]string{"Patchgroup": "web"}), policy.StepDefault, "ubuntu-default", "", `tag key "Patchgroup"`},
		{"value case differs", ubuntu(map[string]string{"PatchGroup": "Web"}), policy.StepDefault, "ubuntu-default", "Web", `patch group "Web" (tag "PatchGroup") is not registered`},
		{"unregistered group", ubuntu(map[string]string{"PatchGroup": "staging"}), policy.StepDefault, "ubuntu-default", "staging", `"staging" (tag "PatchGroup") is not registered`},
		{"group without this OS", ubuntu(map[string]string{"PatchGroup": "db"}), policy.StepDefault, "ubuntu-default", "db", `has no baseline for UBUNTU, only for [AMAZON_LINUX_2]`},
		{"tags in metadata: Patch Group unreadable", policy.Node{OperatingSystem: patchkit.OSUbuntu, TagsInMetadata: true, Tags: map[string]string{"Patch Group": "web"}}, policy.StepDefault, "ubuntu-default", "", `not readable in instance metadata`},
		{"tags in metadata: PatchGroup", policy.Node{OperatingSystem: patchkit.OSUbuntu, TagsInMetadata: true, Tags: map[string]string{"Patch Group": "db", "PatchGroup": "web"}}, policy.StepPatchGroup, "ubuntu-web", "web", `not readable in instance metadata`},
		{"no tags", ubuntu(nil), policy.StepDefault, "ubuntu-default", "", `no "Patch Group" or "PatchGroup" tag`},
	} {
		res, err := policy.Resolve(c.node, r, policy.Sources{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if res.Step != c.step || res.Baseline.Name != c.base || res.PatchGroup != c.group || !strings.Contains(res.Explain(), c.why) {
			t.Errorf("%s: %s %s group %q\n%s", c.name, res.Step, res.Baseline.Name, res.PatchGroup, res.Explain())
		}
	}
	for _, c := range []struct {
		name string
		tags map[string]string
		want string
	}{
		{"two groups", map[string]string{"Patch Group": "web", "PatchGroup": "db"}, `two patch groups: "Patch Group"="web" and "PatchGroup"="db"`},
		{"bad character", map[string]string{"PatchGroup": "web#1"}, `Tags[PatchGroup]: "web#1": character '#'`},
		{"empty value", map[string]string{"Patch Group": ""}, `Tags[Patch Group]: "": 0 characters`},
		{"too long", map[string]string{"PatchGroup": strings.Repeat("w", 257)}, "257 characters"},
	} {
		_, err := policy.Resolve(ubuntu(c.tags), r, policy.Sources{})
		resolveErr(t, err, policy.StepPatchGroup, 0, c.want)
	}
}

func TestBaselineOverride(t *testing.T) {
	r := testRegistry(t)
	bs, err := policy.ReadOverrides(open(t, baselineFixtures+"override/awsdocs-user-guide-baselineoverride.json"))
	if err != nil {
		t.Fatal(err)
	}
	node := policy.Node{OperatingSystem: patchkit.OSAmazonLinux2, Tags: map[string]string{"PatchGroup": "db"}}
	res, err := policy.Resolve(node, r, policy.Sources{BaselineOverride: bs})
	if err != nil || res.Step != policy.StepBaselineOverride || res.Baseline.OperatingSystem != patchkit.OSAmazonLinux2 ||
		!strings.Contains(res.Reason, "BaselineOverride file's baseline for AMAZON_LINUX_2 is the unnamed AMAZON_LINUX_2 baseline") {
		t.Errorf("%+v %v", res, err)
	}
	// The group would have decided without the override; it wins over it.
	if res.PatchGroup != "db" || len(res.Skipped) != 1 || res.Skipped[0].Step != policy.StepPatchPolicy {
		t.Errorf("skipped %+v", res.Skipped)
	}
	_, err = policy.Resolve(ubuntu(nil), r, policy.Sources{BaselineOverride: bs})
	resolveErr(t, err, policy.StepBaselineOverride, 163, "none of its 2 baselines is for UBUNTU")
	_, err = policy.Resolve(ubuntu(nil), r, policy.Sources{BaselineOverride: []baseline.Baseline{}})
	resolveErr(t, err, policy.StepBaselineOverride, 163, "none of its 0 baselines")
	two := []baseline.Baseline{bs[0], bs[1], bs[0]}
	_, err = policy.Resolve(node, r, policy.Sources{BaselineOverride: two})
	resolveErr(t, err, policy.StepBaselineOverride, 165, "2 of its baselines are for AMAZON_LINUX_2 (elements [0 2])")
}

func TestBaselineTags(t *testing.T) {
	r := testRegistry(t)
	if err := r.SetBaselineTags("pb-0aaaaaaaaaaaaaaa1", map[string]string{"Env": "prod"}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetBaselineTags("pb-0aaaaaaaaaaaaaaa3", map[string]string{"Env": "prod"}); err != nil {
		t.Fatal(err)
	}
	tags, err := policy.ParseBaselineTags("Key=Env,Values=prod,qa")
	if err != nil {
		t.Fatal(err)
	}
	res, err := policy.Resolve(ubuntu(map[string]string{"PatchGroup": "db"}), r, policy.Sources{BaselineTags: &tags})
	if err != nil || res.Step != policy.StepBaselineTags || res.Baseline.Name != "ubuntu-web" || !strings.Contains(res.Reason, "with tag Env=prod") {
		t.Errorf("%+v %v", res, err)
	}
	none := policy.BaselineTags{Key: "Env", Values: []string{"dev"}}
	res, err = policy.Resolve(ubuntu(nil), r, policy.Sources{BaselineTags: &none})
	if err != nil || res.Step != policy.StepDefault || !strings.Contains(res.Explain(), "not BaselineTags: no custom UBUNTU baseline has tag Env with a value in [dev]") {
		t.Errorf("%+v %v", res.Explain(), err)
	}
	if err := r.SetBaselineTags("pb-0aaaaaaaaaaaaaaa2", map[string]string{"Env": "qa"}); err != nil {
		t.Fatal(err)
	}
	_, err = policy.Resolve(ubuntu(nil), r, policy.Sources{BaselineTags: &tags})
	resolveErr(t, err, policy.StepBaselineTags, 0, "2 custom UBUNTU baselines carry tag Env")
	onprem := policy.Node{ID: "mi-0123456789abcdef0", OperatingSystem: patchkit.OSUbuntu}
	_, err = policy.Resolve(onprem, r, policy.Sources{BaselineTags: &none})
	resolveErr(t, err, policy.StepBaselineTags, 0, "does not run on on-premises nodes")
	for _, bad := range []string{"", "Env=prod", "Key=,Values=a", "Key=Env", "Key=Env,Values=", "Key=Env,Values=a,,b"} {
		if _, err := policy.ParseBaselineTags(bad); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("ParseBaselineTags(%q): %v", bad, err)
		}
	}
}

func TestDefaultBaselines(t *testing.T) {
	r := testRegistry(t)
	// A custom default.
	res, err := policy.Resolve(ubuntu(nil), r, policy.Sources{})
	if err != nil || res.Step != policy.StepDefault || res.Baseline.Name != "ubuntu-default" {
		t.Errorf("%+v %v", res, err)
	}
	// No default registered: the AWS-owned one.
	res, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSDebian}, r, policy.Sources{})
	if err != nil || res.Step != policy.StepAWSDefault || res.Baseline.Name != "AWS-DebianDefaultPatchBaseline" ||
		!strings.Contains(res.Explain(), "not Default: no default registered for DEBIAN") {
		t.Errorf("%s %v", res.Explain(), err)
	}
	// Nothing registered at all.
	res, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSWindows}, nil, policy.Sources{})
	if err != nil || res.Step != policy.StepAWSDefault || res.Baseline.Name != "AWS-DefaultPatchBaseline" {
		t.Errorf("%+v %v", res, err)
	}
	// An AWS-owned baseline other than the default registered as default.
	if err := r.RegisterDefault("pb-0fafa8379afee7c83"); err != nil {
		t.Fatal(err)
	}
	res, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSWindows}, r, policy.Sources{})
	if err != nil || res.Step != policy.StepDefault || res.Baseline.Name != "AWS-WindowsPredefinedPatchBaseline-OS-Applications" {
		t.Errorf("%+v %v", res, err)
	}
	// Registering the AWS-owned default back is the AWS default.
	if err := r.RegisterDefault("arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-09ca3fb51f0412ec3"); err != nil {
		t.Fatal(err)
	}
	res, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSWindows}, r, policy.Sources{})
	if err != nil || res.Step != policy.StepAWSDefault || !strings.Contains(res.Reason, "registered default for WINDOWS is the AWS-owned default") {
		t.Errorf("%+v %v", res, err)
	}
	// A default whose baseline the registry does not hold.
	if err := r.ReadDefaultBaseline(strings.NewReader(`{"BaselineId":"pb-047c6eb9c8fc12345","OperatingSystem":"AMAZON_LINUX"}`)); err != nil {
		t.Fatal(err)
	}
	_, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSAmazonLinux}, r, policy.Sources{})
	resolveErr(t, err, policy.StepDefault, 0, "baseline pb-047c6eb9c8fc12345 is neither a custom baseline")
	// baseline.AsOf reaches the AWS-owned baselines.
	early, err := policy.Resolve(policy.Node{OperatingSystem: patchkit.OSOracleLinux}, nil, policy.Sources{BaselineOptions: []baseline.Option{baseline.AsOf(mustTime(t, "2025-01-01T00:00:00Z"))}})
	late, err2 := policy.Resolve(policy.Node{OperatingSystem: patchkit.OSOracleLinux}, nil, policy.Sources{})
	if err != nil || err2 != nil || early.Baseline.CreatedDate.Equal(late.Baseline.CreatedDate) {
		t.Errorf("AsOf: %v %v %v %v", early.Baseline.CreatedDate, late.Baseline.CreatedDate, err, err2)
	}
}

// TestOnPremises: an on-premises node uses the custom default when one is
// registered, patch groups as EC2 nodes do, and cannot carry the EC2
// instance-metadata setting.
func TestOnPremises(t *testing.T) {
	r := testRegistry(t)
	for _, n := range []policy.Node{
		{ID: "mi-0123456789abcdef0", OperatingSystem: patchkit.OSUbuntu},
		{OnPremises: true, OperatingSystem: patchkit.OSUbuntu},
	} {
		res, err := policy.Resolve(n, r, policy.Sources{})
		if err != nil || res.Step != policy.StepDefault || res.Baseline.Name != "ubuntu-default" || !strings.HasPrefix(res.Reason, "on-premises node: ") {
			t.Errorf("%+v: %+v %v", n, res, err)
		}
		n.Tags = map[string]string{"PatchGroup": "web"}
		if res, err := policy.Resolve(n, r, policy.Sources{}); err != nil || res.Step != policy.StepPatchGroup {
			t.Errorf("%+v: %+v %v", n, res, err)
		}
		n.TagsInMetadata = true
		_, err = policy.Resolve(n, r, policy.Sources{})
		wantField(t, err, "TagsInMetadata", "EC2 setting")
	}
	res, err := policy.Resolve(policy.Node{ID: "mi-0123456789abcdef0", OperatingSystem: patchkit.OSDebian}, r, policy.Sources{})
	if err != nil || res.Step != policy.StepAWSDefault || !strings.HasPrefix(res.Reason, "on-premises node: AWS-DebianDefaultPatchBaseline") {
		t.Errorf("%+v %v", res, err)
	}
	_, err = policy.Resolve(policy.Node{OperatingSystem: "ubuntu"}, r, policy.Sources{})
	wantField(t, err, "OperatingSystem", `unknown value "ubuntu"`)
}

func TestPatchPolicy(t *testing.T) {
	r := testRegistry(t)
	p, err := policy.LoadQuickSetup(open(t, awsExample))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := policy.ReadOverrides(open(t, baselineFixtures+"override/awsdocs-user-guide-baselineoverride.json"))
	if err != nil {
		t.Fatal(err)
	}
	src := policy.Sources{Policy: p, BaselineOverride: bs}
	tagged := map[string]string{"Patch": "true", "PatchGroup": "web"}
	// The policy wins over the override file and the patch group.
	res, err := policy.Resolve(ubuntu(tagged), r, src)
	if err != nil || res.Step != policy.StepPatchPolicy || res.Baseline.Name != "custom-UbuntuServer-Blog-Baseline" ||
		res.Reason != `patch policy "dev-patch-policy" targets the node (tag Patch=true) and it selects custom-UbuntuServer-Blog-Baseline (pb-06e3563bd35503f2b) for UBUNTU` {
		t.Errorf("%+v %v", res, err)
	}
	// An AWS-owned selection, given as an ARN of another account.
	res, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSAlmaLinux, Tags: tagged}, nil, policy.Sources{Policy: p})
	if err != nil || res.Baseline.Name != "AWS-AlmaLinuxDefaultPatchBaseline" {
		t.Errorf("%+v %v", res, err)
	}
	// Not targeted: the next steps decide.
	res, err = policy.Resolve(ubuntu(map[string]string{"PatchGroup": "web"}), r, policy.Sources{Policy: p})
	if err != nil || res.Step != policy.StepPatchGroup || !strings.Contains(res.Explain(), `not PatchPolicy: patch policy "dev-patch-policy" does not target the node: it has no tag Patch`) {
		t.Errorf("%s %v", res.Explain(), err)
	}
	// No selection for the operating system.
	_, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSSUSE, Tags: tagged}, r, src)
	resolveErr(t, err, policy.StepPatchPolicy, 163, "selects no baseline for SUSE")
	// A custom selection the registry does not hold.
	_, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSWindows, Tags: tagged}, nil, src)
	resolveErr(t, err, policy.StepPatchPolicy, 0, "selects pb-016889927b2bb8542 (custom-WindowsServer-Blog-Baseline) for WINDOWS")

	// With the policy's baseline_overrides.json, its baselines decide.
	over, err := p.OverrideBaselines(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(over) != 10 {
		t.Fatalf("%d baselines", len(over))
	}
	q := *p
	if err := q.SetOverrides(over); err != nil {
		t.Fatal(err)
	}
	res, err = policy.Resolve(ubuntu(tagged), nil, policy.Sources{Policy: &q})
	if err != nil || res.Baseline.Name != "custom-UbuntuServer-Blog-Baseline" || !strings.Contains(res.Reason, "its baseline_overrides.json has custom-UbuntuServer-Blog-Baseline") {
		t.Errorf("%+v %v", res, err)
	}
	_, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSSUSE, Tags: tagged}, nil, policy.Sources{Policy: &q})
	resolveErr(t, err, policy.StepPatchPolicy, 163, "none of its 10 baselines is for SUSE")
	// SetOverrides checks the file against the selection.
	wantField(t, q.SetOverrides(over[:9]), "$", "no baseline for AMAZON_LINUX_2023, which the policy selects")
	wantField(t, q.SetOverrides(bs), "[1].OperatingSystem", "selects no baseline for CENTOS")
	wrong := append([]baseline.Baseline(nil), over...)
	alma := -1
	for i, b := range wrong {
		if b.OperatingSystem == patchkit.OSAlmaLinux {
			alma = i
		}
	}
	wrong[alma] = custom(t, "pb-0bbbbbbbbbbbbbbbb", "other-alma", patchkit.OSAlmaLinux)
	wantField(t, q.SetOverrides(wrong), fmt.Sprintf("[%d].BaselineId", alma), "the policy selects arn:aws:ssm:us-east-1:123456789012:patchbaseline/pb-0cb0c4966f86b059b for ALMA_LINUX")
	wantField(t, q.SetOverrides(append(over, over[3])), "[10].OperatingSystem", "a second baseline for")
}

// TestConcurrentResolve: a registry is read from many goroutines at once
// (run with -race), and every answer is the same.
func TestConcurrentResolve(t *testing.T) {
	r := testRegistry(t)
	p, err := policy.LoadQuickSetup(open(t, awsExample))
	if err != nil {
		t.Fatal(err)
	}
	nodes := []policy.Node{
		ubuntu(map[string]string{"Patch": "true"}), ubuntu(map[string]string{"PatchGroup": "web"}), ubuntu(nil),
		{OperatingSystem: patchkit.OSAlmaLinux, Tags: map[string]string{"Patch": "true"}}, {OperatingSystem: patchkit.OSDebian},
	}
	want := make([]string, len(nodes))
	for i, n := range nodes {
		res, err := policy.Resolve(n, r, policy.Sources{Policy: p})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = res.Explain()
	}
	errs := make(chan string, 8*len(nodes))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, n := range nodes {
				res, err := policy.Resolve(n, r, policy.Sources{Policy: p})
				if err != nil || res.Explain() != want[i] {
					errs <- fmt.Sprintf("%d: %v %s", i, err, res.Explain())
				}
				res.Baseline.ApprovedPatches = append(res.Baseline.ApprovedPatches, "mutated")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	b, err := r.Lookup("pb-06e3563bd35503f2b")
	if err != nil || len(b.ApprovedPatches) != 0 {
		t.Errorf("a caller's change reached the registry: %v %v", b.ApprovedPatches, err)
	}
}

// TestAWSOwnedInOtherRegions: outside us-east-1 the AWS-owned baselines
// have other IDs (the API reference's RegisterDefaultPatchBaseline example
// gives CentOS's in us-east-2); a describe output that names them makes
// them known.
func TestAWSOwnedInOtherRegions(t *testing.T) {
	const centos = "arn:aws:ssm:us-east-2:733109147000:patchbaseline/pb-0574b43a65ea646ed"
	r := policy.NewRegistry()
	if err := r.RegisterDefault(centos); !errors.As(err, new(*policy.UnknownBaselineError)) {
		t.Fatalf("an unknown ID was registered: %v", err)
	}
	if err := r.ReadBaselineIdentities(strings.NewReader(`{"BaselineIdentities":[{"BaselineId":"` + centos + `","BaselineName":"AWS-CentOSDefaultPatchBaseline","OperatingSystem":"CENTOS","BaselineDescription":"Default Patch Baseline for CentOS Provided by AWS.","DefaultBaseline":true}]}`)); err != nil {
		t.Fatal(err)
	}
	res, err := policy.Resolve(policy.Node{OperatingSystem: patchkit.OSCentOS}, r, policy.Sources{})
	if err != nil || res.Step != policy.StepAWSDefault || res.Baseline.Name != "AWS-CentOSDefaultPatchBaseline" {
		t.Errorf("%+v %v", res, err)
	}
	if err := r.RegisterPatchGroup("legacy", centos); err != nil {
		t.Fatal(err)
	}
	res, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSCentOS, Tags: map[string]string{"PatchGroup": "legacy"}}, r, policy.Sources{})
	if err != nil || res.Step != policy.StepPatchGroup || res.Baseline.Name != "AWS-CentOSDefaultPatchBaseline" || res.Baseline.BaselineID != centos {
		t.Errorf("%+v %v", res, err)
	}
	// A name that is not AWS's, or of another system, does not count.
	err = r.ReadPatchGroups(strings.NewReader(`{"Mappings":[{"PatchGroup":"x","BaselineIdentity":{"BaselineId":"pb-0574b43a65ea646ee","BaselineName":"AWS-CentOSDefaultPatchBaseline","OperatingSystem":"DEBIAN"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = policy.Resolve(policy.Node{OperatingSystem: patchkit.OSDebian, Tags: map[string]string{"PatchGroup": "x"}}, r, policy.Sources{})
	resolveErr(t, err, policy.StepPatchGroup, 0, "pb-0574b43a65ea646ee is neither")
}
