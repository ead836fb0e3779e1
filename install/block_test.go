package install

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan"
)

// depExecutor plans like a package manager whose updates have
// dependencies: each target is upgraded, and deps[name] lists the new
// packages that target's update brings in; together[key] the new packages
// only a combination of targets (names joined by "+") brings in.
type depExecutor struct {
	deps     map[string][]string
	together map[string][]string
	fail     string // planning this target alone fails
	plans    [][]string
}

func (d *depExecutor) check(context.Context, fs.FS, []patchkit.Package) error { return nil }

func (d *depExecutor) plan(_ context.Context, ts []plan.Target) (plan.Plan, error) {
	var names []string
	var p plan.Plan
	for _, t := range ts {
		names = append(names, t.Version.Name)
		if len(ts) == 1 && t.Version.Name == d.fail {
			return plan.Plan{}, errors.New("dnf: depsolving failed")
		}
	}
	d.plans = append(d.plans, names)
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			p.Actions = append(p.Actions, plan.Action{Kind: plan.Install, Package: rpmPkg(name, "0:1.0-1")})
		}
	}
	for _, t := range ts {
		p.Actions = append(p.Actions, plan.Action{Kind: plan.Upgrade, Package: t.Version, From: t.Installed.EVR()})
		for _, dep := range d.deps[t.Version.Name] {
			add(dep)
		}
	}
	if deps, ok := d.together[strings.Join(names, "+")]; ok {
		for _, dep := range deps {
			add(dep)
		}
	}
	return p, nil
}

func (d *depExecutor) apply(context.Context, []plan.Target, func(plan.Progress)) (plan.Outcome, error) {
	return plan.Outcome{}, errors.New("not used")
}

func (d *depExecutor) repair(context.Context) (plan.Outcome, error) {
	return plan.Outcome{}, errors.New("not used")
}

func rpmPkg(name, evr string) patchkit.Package {
	p, err := patchkit.ParseNEVRA(name + "-" + evr + ".noarch")
	if err != nil {
		panic(err)
	}
	return p
}

// TestPlanTargetsBlock: under RejectedPatchesAction BLOCK an update whose
// plan brings in a rejected version is left out and the others are
// planned again without it; a rejected version only a combination brings
// in refuses the plan; ALLOW_AS_DEPENDENCY keeps the first plan.
func TestPlanTargetsBlock(t *testing.T) {
	ctx := context.Background()
	ts := []plan.Target{
		{Version: rpmPkg("tb-hello", "0:1.1-1"), Installed: rpmPkg("tb-hello", "0:1.0-1"), KBID: "tb-hello.noarch"},
		{Version: rpmPkg("tb-needy", "0:1.1-1"), Installed: rpmPkg("tb-needy", "0:1.0-1"), KBID: "tb-needy.noarch"},
		{Version: rpmPkg("tb-lib", "1:2.0-2"), Installed: rpmPkg("tb-lib", "1:2.0-1"), KBID: "tb-lib.noarch"},
	}
	before := scan.Result{Report: compliance.Report{Node: compliance.Node{OperatingSystem: patchkit.OSAmazonLinux2023}}}
	bl := baseline.Baseline{OperatingSystem: patchkit.OSAmazonLinux2023, RejectedPatches: []string{"tb-newdep"},
		RejectedPatchesAction: baseline.Block, ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{}}}
	o := options{at: time.Now(), base: &bl, allowNewDeps: true, logger: slog.New(slog.DiscardHandler)}
	names := func(ts []plan.Target) (out []string) {
		for _, t := range ts {
			out = append(out, t.Version.Name)
		}
		return out
	}
	actions := func(p plan.Plan) (out []string) {
		for _, a := range p.Actions {
			out = append(out, a.String())
		}
		return out
	}

	// tb-needy's update needs tb-newdep, which is rejected: left out.
	d := &depExecutor{deps: map[string][]string{"tb-needy": {"tb-newdep", "tb-ok"}}}
	p, kept, blocked, err := o.planTargets(ctx, d, ts, before)
	require.NoError(t, err)
	assert.Equal(t, []string{"tb-hello", "tb-lib"}, names(kept))
	require.Len(t, blocked, 1)
	assert.Equal(t, "tb-needy.noarch", blocked[0].Target.KBID)
	assert.Equal(t, "tb-newdep", blocked[0].Action.Package.Name)
	assert.Equal(t, "tb-newdep", blocked[0].Entry)
	assert.Equal(t, []string{"upgrade tb-hello.noarch 0:1.0-1 -> 0:1.1-1", "upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2"}, actions(p))
	assert.Equal(t, [][]string{{"tb-hello", "tb-needy", "tb-lib"}, {"tb-hello"}, {"tb-needy"}, {"tb-lib"}, {"tb-hello", "tb-lib"}}, d.plans,
		"the whole plan, each target alone, then the kept ones")

	// No rejected version in the plan: one plan, nothing left out.
	d = &depExecutor{deps: map[string][]string{"tb-needy": {"tb-ok"}}}
	p, kept, blocked, err = o.planTargets(ctx, d, ts, before)
	require.NoError(t, err)
	assert.Len(t, kept, 3)
	assert.Empty(t, blocked)
	assert.Len(t, d.plans, 1)
	assert.Len(t, p.Actions, 4)

	// Every target needs it: nothing to install, an empty plan.
	d = &depExecutor{deps: map[string][]string{"tb-hello": {"tb-newdep"}, "tb-needy": {"tb-newdep"}, "tb-lib": {"tb-newdep"}}}
	p, kept, blocked, err = o.planTargets(ctx, d, ts, before)
	require.NoError(t, err)
	assert.Empty(t, kept)
	assert.Len(t, blocked, 3)
	assert.Empty(t, p.Actions)

	// Only tb-hello and tb-lib together choose tb-newdep: no single target
	// is to blame, so the plan is refused as before.
	d = &depExecutor{together: map[string][]string{"tb-hello+tb-needy+tb-lib": {"tb-newdep"}, "tb-hello+tb-needy": {"tb-newdep"}}}
	_, _, blocked, err = o.planTargets(ctx, d, ts[:2], before)
	var re *plan.RefusedError
	require.ErrorAs(t, err, &re)
	assert.Contains(t, re.Reason, "RejectedPatchesAction BLOCK")
	assert.Empty(t, blocked)

	// Planning one target alone fails: the error names it.
	d = &depExecutor{deps: map[string][]string{"tb-needy": {"tb-newdep"}}, fail: "tb-lib"}
	_, _, _, err = o.planTargets(ctx, d, ts, before)
	require.ErrorContains(t, err, "planning tb-lib.noarch alone")

	// ALLOW_AS_DEPENDENCY: the rejected version may come in as a
	// dependency; one plan.
	allow := bl
	allow.RejectedPatchesAction = baseline.AllowAsDependency
	o.base = &allow
	d = &depExecutor{deps: map[string][]string{"tb-needy": {"tb-newdep"}}}
	p, kept, blocked, err = o.planTargets(ctx, d, ts, before)
	require.NoError(t, err)
	assert.Len(t, kept, 3)
	assert.Empty(t, blocked)
	assert.Contains(t, actions(p), "install tb-newdep.noarch 0:1.0-1")
}

// TestTestbedDnfInstallBlocksDependents is the BLOCK case on the real dnf:
// an update (tb-needy 1.1) that needs a new package the baseline rejects
// (tb-newdep) is not installed, while the other approved update (tb-hello
// 1.1) is; tb-needy ends Failed and tb-newdep never reaches the root.
func TestTestbedDnfInstallBlocksDependents(t *testing.T) {
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	ctx := context.Background()

	// Three packages built here: tb-needy 1.0 (installed), tb-needy 1.1
	// (Requires: tb-newdep) and tb-newdep 1.0, in a local repository the
	// root's configuration names.
	rpms := buildRPMs(t, rpmSpec{name: "tb-needy", version: "1.0"},
		rpmSpec{name: "tb-needy", version: "1.1", requires: []string{"tb-newdep"}}, rpmSpec{name: "tb-newdep", version: "1.0"})
	rpmInstall(t, env.RPMRoot, rpms["tb-needy-1.0"])
	repoDir := rpmRepo(t, rpms["tb-needy-1.1"], rpms["tb-newdep-1.0"])
	require.NoError(t, os.WriteFile(filepath.Join(env.RPMRoot, "etc/yum.repos.d/tb-local.repo"),
		[]byte(fmt.Sprintf("[tb-local]\nname=patchkit local test packages\nbaseurl=file://%s\ngpgcheck=0\nmetadata_expire=0\n", repoDir)), 0o644))

	// The scan reads dnf's cached metadata, as on a node.
	dnf := testutil.NeedTool(t, "dnf", "dnf")
	out, err := exec.CommandContext(ctx, dnf, append(env.DNFArgs(), "-q", "makecache", "--repo", "tb-local")...).CombinedOutput()
	require.NoError(t, err, "%s", out)

	bl := baseline.Baseline{OperatingSystem: patchkit.OSAmazonLinux2023, Name: "block-newdep",
		ApprovedPatches: []string{"tb-needy", "tb-hello"}, ApprovedPatchesEnableNonSecurity: true, RejectedPatches: []string{"tb-newdep"}, RejectedPatchesAction: baseline.Block,
		ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{}}}
	rec := localRunner(t)
	res, err := Install(ctx, os.DirFS(env.RPMRoot), At(time.Now().UTC()), WithRunner(rec), Root(env.RPMRoot),
		WithOS(releaseOS(t, "amzn-2023")), WithBaseline(bl), WithRebootOption(compliance.NoReboot),
		WithRebooter(&recordingRebooter{}), AllowNewDependencies(), WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	noWeakening(t, rec)

	var targets []string
	for _, tg := range res.Targets {
		targets = append(targets, tg.KBID)
	}
	slices.Sort(targets)
	assert.Equal(t, []string{"tb-hello.noarch", "tb-needy.noarch"}, targets)
	require.Len(t, res.Blocked, 1)
	assert.Equal(t, "tb-needy.noarch", res.Blocked[0].Target.KBID)
	assert.Equal(t, "tb-newdep", res.Blocked[0].Action.Package.Name)
	for _, a := range res.Plan.Actions {
		assert.NotEqual(t, "tb-needy", a.Package.Name, "the applied plan holds no blocked target")
		assert.NotEqual(t, "tb-newdep", a.Package.Name)
	}
	st := states(res.Report)
	assert.Equal(t, compliance.InstalledPendingReboot, st["tb-hello.noarch"])
	assert.Equal(t, compliance.Failed, st["tb-needy.noarch"], "approved, blocked, still missing after the Install")
	require.NotNil(t, res.After)
	for _, p := range res.After.Inventory.Packages {
		assert.NotEqual(t, "tb-newdep", p.Name, "the rejected package never reached the root")
		if p.Name == "tb-needy" {
			assert.Equal(t, "1.0-1", p.EVR())
		}
	}
}
