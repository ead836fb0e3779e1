package install

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/run"
)

// recordingRebooter counts reboots instead of rebooting.
type recordingRebooter struct {
	mu sync.Mutex
	n  int
}

func (r *recordingRebooter) Reboot(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	return nil
}

func releaseOS(t *testing.T, fixture string) osdetect.OS {
	o, err := osdetect.DetectFS(os.DirFS(filepath.Join("../testdata/osdetect", fixture)))
	require.NoError(t, err)
	o.Arch = "x86_64"
	return o
}

// argvRecorder wraps a runner and keeps every command and its argument
// vector, for rows F2 and F4.
type argvRecorder struct {
	r    run.Runner
	mu   sync.Mutex
	argv [][]string
	cmds []run.Command
}

func (a *argvRecorder) Run(ctx context.Context, c run.Command) (run.Result, error) {
	a.mu.Lock()
	a.argv = append(a.argv, c.Argv())
	a.cmds = append(a.cmds, c)
	a.mu.Unlock()
	return a.r.Run(ctx, c)
}

// noWeakening is row F4: no invocation weakens the package manager's
// checks unless the caller asked by name. It also checks row F2 for
// runners that set no locale (run.Local does): every command whose output
// is read carries the C locale in its own environment.
func noWeakening(t *testing.T, rec *argvRecorder) {
	t.Helper()
	require.NotEmpty(t, rec.argv)
	for _, c := range rec.cmds {
		switch path.Base(c.Path) {
		case "mktemp", "rm", "shutdown": // their output is not parsed
			continue
		}
		assert.Subset(t, c.Env, run.CLocale(), "%s", c)
	}
	for _, argv := range rec.argv {
		for _, a := range argv {
			for _, bad := range []string{"--allow-unauthenticated", "--nogpgcheck", "--no-gpg-checks", "--gpg-auto-import-keys",
				"--allow-downgrades", "--oldpackage", "--force-yes", "gpgcheck=0", "gpgcheck=False"} {
				assert.NotContains(t, a, bad, "%v", argv)
			}
		}
	}
}

func states(r compliance.Report) map[string]compliance.State {
	m := map[string]compliance.State{}
	for _, it := range r.Items {
		if strings.HasPrefix(it.Name, "tb-") || it.Name == "kernel-tb" {
			m[it.KBID] = it.State
		}
	}
	return m
}

func localRunner(t *testing.T) *argvRecorder {
	l, err := run.NewLocal()
	require.NoError(t, err)
	return &argvRecorder{r: l}
}

// TestTestbedDnfInstallOperation installs the approved updates of the
// AWS-owned Amazon Linux 2023 baseline on a copy of the dnf root with
// NoReboot, then scans after a simulated reboot.
func TestTestbedDnfInstallOperation(t *testing.T) {
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	o := releaseOS(t, "amzn-2023")
	ctx := context.Background()
	at := time.Now().UTC()
	rec := localRunner(t)
	reb := &recordingRebooter{}
	var events []string
	var hooks []string
	common := []Option{At(at), WithRunner(rec), Root(env.RPMRoot), WithOS(o), WithRebooter(reb),
		WithHooks(Hooks{
			PreInstall:  func(ctx context.Context, p plan.Plan) error { hooks = append(hooks, "pre"); return nil },
			PostInstall: func(ctx context.Context, out plan.Outcome) error { hooks = append(hooks, "post"); return nil },
			OnExit:      func(ctx context.Context, r Result) error { hooks = append(hooks, "exit"); return nil },
		})}

	// A dry run: the plan, nothing installed.
	res, err := Install(ctx, os.DirFS(env.RPMRoot), append(common, DryRun())...)
	require.NoError(t, err)
	assert.True(t, res.DryRun)
	var planned []string
	for _, a := range res.Plan.Actions {
		planned = append(planned, a.String())
	}
	slices.Sort(planned)
	assert.Equal(t, []string{
		"upgrade kernel-tb.noarch 0:5.0-1 -> 0:5.1-1",
		"upgrade tb-hello.noarch 0:1.0-1 -> 0:1.1-1",
		"upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2",
		"upgrade tb-multi.noarch 0:1.0-1 -> 0:1.1-1",
	}, planned, "the best approved version of tb-multi is 1.1-1, not the newest")
	assert.Equal(t, []string{"exit"}, hooks)
	assert.Equal(t, 0, reb.n)

	hooks = nil
	res, err = Install(ctx, os.DirFS(env.RPMRoot), append(common, WithRebootOption(compliance.NoReboot),
		WithProgress(func(e ProgressEvent) { events = append(events, e.Step) }))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"pre", "post", "exit"}, hooks)
	assert.Equal(t, 0, reb.n, "NoReboot")
	assert.Equal(t, compliance.Install, res.Report.Operation)
	assert.Equal(t, map[string]compliance.State{
		"kernel-tb.noarch": compliance.InstalledPendingReboot, "tb-hello.noarch": compliance.InstalledPendingReboot,
		"tb-lib.noarch": compliance.InstalledPendingReboot, "tb-multi.noarch": compliance.InstalledPendingReboot,
		"tb-tool.noarch": compliance.InstalledOther, "tb-extra.noarch": compliance.NotApplicable,
	}, states(res.Report))
	assert.Equal(t, patchkit.NonCompliant, res.Report.Summary.Status, "pending a reboot")
	golden(t, "dnf-noreboot", res.Report)
	// The steps in order (the scans report several events each): the
	// verifying scan after the install.
	assert.Equal(t, []string{"scan", "plan", "download", "install", "verify"}, slices.Compact(events))
	noWeakening(t, rec)

	// After a reboot (a boot time later than the install), a scan with
	// the install's report as the previous one: Installed, compliant.
	later := at.Add(time.Hour)
	after, err := scan.Scan(ctx, os.DirFS(env.RPMRoot), scan.At(later), scan.WithOS(o),
		scan.WithHostFacts(scan.HostFacts{BootTime: later.Add(-time.Minute)}), scan.WithPrevious(&res.Report))
	require.NoError(t, err)
	assert.Equal(t, compliance.Installed, states(after.Report)["tb-lib.noarch"])
	// tb-multi 1.2 (Moderate) and 1.3 (an enhancement) are not approved:
	// with 1.1 installed, nothing approved is missing.
	assert.Equal(t, patchkit.Compliant, after.Report.Summary.Status)

	// Nothing left to install: only the on-exit hook, no reboot.
	hooks = nil
	res, err = Install(ctx, os.DirFS(env.RPMRoot), append(common, At(later), WithPrevious(&after.Report),
		WithHostFacts(scan.HostFacts{BootTime: later.Add(-time.Minute)}))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"exit"}, hooks)
	assert.Equal(t, 0, reb.n)
	assert.Empty(t, res.Targets)
}

// TestTestbedDnfInstallRebootIfNeeded: an install that installs something
// reboots through the rebooter.
func TestTestbedDnfInstallRebootIfNeeded(t *testing.T) {
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	reb := &recordingRebooter{}
	res, err := Install(context.Background(), os.DirFS(env.RPMRoot), At(time.Now().UTC()), WithRunner(localRunner(t)),
		Root(env.RPMRoot), WithOS(releaseOS(t, "amzn-2023")), WithRebooter(reb))
	require.NoError(t, err)
	assert.Equal(t, 1, reb.n)
	assert.True(t, res.Rebooted)
}

// TestTestbedDnfInstallOverrideList installs only what the list names,
// approved or not: tb-multi 1.3 (an enhancement the baseline does not
// approve).
func TestTestbedDnfInstallOverrideList(t *testing.T) {
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	l, err := LoadOverrideList(strings.NewReader("patches:\n  - id: 'tb-multi.noarch'\n"))
	require.NoError(t, err)
	res, err := Install(context.Background(), os.DirFS(env.RPMRoot), At(time.Now().UTC()), WithRunner(localRunner(t)),
		Root(env.RPMRoot), WithOS(releaseOS(t, "amzn-2023")), WithRebooter(&recordingRebooter{}),
		WithRebootOption(compliance.NoReboot), WithOverrideList(l))
	require.NoError(t, err)
	require.Len(t, res.Targets, 1)
	assert.Equal(t, "0:1.3-1", res.Targets[0].Version.EVR())
	st := states(res.Report)
	assert.Equal(t, compliance.Missing, st["tb-lib.noarch"], "not on the list: stays Missing, not Failed")
	// Installed by the list with NoReboot: pending a reboot like anything
	// this run installed (after it, InstalledOther: the baseline does not
	// approve 1.3).
	assert.Equal(t, compliance.InstalledPendingReboot, st["tb-multi.noarch"])

	// Not with a BaselineOverride.
	b, err := baseline.Predefined(patchkit.OSAmazonLinux2023)
	require.NoError(t, err)
	_, err = Install(context.Background(), os.DirFS(env.RPMRoot), At(time.Now().UTC()), WithRunner(localRunner(t)),
		WithOverrideList(l), WithBaselineOverride(b))
	var oe *OptionError
	require.ErrorAs(t, err, &oe)
}

// TestCheckPlan: a plan that removes or downgrades a package, installs one
// that was not asked for (row F3), or brings in a version the baseline
// rejects under BLOCK is refused before anything changes.
func TestCheckPlan(t *testing.T) {
	mk := func(kind plan.ActionKind, name, evr string) plan.Action {
		p, err := patchkit.ParseNEVRA(name + "-" + evr + ".noarch")
		require.NoError(t, err)
		return plan.Action{Kind: kind, Package: p}
	}
	o := options{at: time.Now()}
	ts := []plan.Target{{Version: mk(plan.Upgrade, "tb-lib", "1:2.0-2").Package}}
	before := scan.Result{Report: compliance.Report{Node: compliance.Node{OperatingSystem: patchkit.OSAmazonLinux2023}}}
	for _, tc := range []struct {
		a      plan.Action
		reason string
	}{
		{mk(plan.Remove, "tb-tool", "0:3.0-1"), "removes"},
		{mk(plan.Downgrade, "tb-hello", "0:0.9-1"), "downgrades"},
		{mk(plan.Install, "evil", "0:1.0-1"), "not asked for"},
	} {
		err := o.checkPlan(plan.Plan{Actions: []plan.Action{mk(plan.Upgrade, "tb-lib", "1:2.0-2"), tc.a}}, ts, before)
		var re *plan.RefusedError
		require.ErrorAs(t, err, &re, tc.reason)
		assert.Contains(t, re.Reason, tc.reason)
		assert.True(t, errors.Is(err, plan.ErrPlanRefused))
	}
	o.allowNewDeps = true
	require.NoError(t, o.checkPlan(plan.Plan{Actions: []plan.Action{mk(plan.Install, "libdep", "0:1.0-1")}}, ts, before))

	// A rejected version pulled in under BLOCK.
	bl := baseline.Baseline{OperatingSystem: patchkit.OSAmazonLinux2023, RejectedPatches: []string{"libdep"},
		RejectedPatchesAction: baseline.Block, ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{}}}
	o.base = &bl
	err := o.checkPlan(plan.Plan{Actions: []plan.Action{mk(plan.Install, "libdep", "0:1.0-1")}}, ts, before)
	var re *plan.RefusedError
	require.ErrorAs(t, err, &re)
	assert.Contains(t, re.Reason, "BLOCK")
	bl.RejectedPatchesAction = baseline.AllowAsDependency
	require.NoError(t, o.checkPlan(plan.Plan{Actions: []plan.Action{mk(plan.Install, "libdep", "0:1.0-1")}}, ts, before))
}

// TestOneOperationPerNode: a second Install on the same root while the
// first holds the node fails at once.
func TestOneOperationPerNode(t *testing.T) {
	root := t.TempDir()
	unlock, err := lockNode(root)
	require.NoError(t, err)
	_, err = lockNode(root)
	assert.ErrorIs(t, err, ErrBusy)
	unlock()
	unlock2, err := lockNode(root)
	require.NoError(t, err)
	unlock2()
}

func TestOptions(t *testing.T) {
	for _, opts := range [][]Option{
		{WithRunner(nil)},
		{At(time.Now())},
		{At(time.Now()), WithRunner(&argvRecorder{}), Root("relative")},
		{At(time.Now()), WithRunner(&argvRecorder{}), WithRebootOption("Sometimes")},
		{At(time.Now()), WithRunner(&argvRecorder{}), WithOverrideList(OverrideList{})},
		{At(time.Now()), WithRunner(&argvRecorder{}), WithOverrideList(OverrideList{Patches: []OverrideEntry{{ID: "bash.*"}}}),
			WithBaselineOverride(baseline.Baseline{OperatingSystem: patchkit.OSDebian})},
		{At(time.Now()), WithRunner(&argvRecorder{}), DryRun(), WithRepair()},
	} {
		_, err := buildOptions(opts)
		var oe *OptionError
		assert.ErrorAs(t, err, &oe)
	}
	// The same two with a plain baseline, and without the repair, are fine.
	_, err := buildOptions([]Option{At(time.Now()), WithRunner(&argvRecorder{}), WithOverrideList(OverrideList{Patches: []OverrideEntry{{ID: "bash.*"}}}),
		WithBaseline(baseline.Baseline{OperatingSystem: patchkit.OSDebian})})
	assert.NoError(t, err)
	_, err = buildOptions([]Option{At(time.Now()), WithRunner(&argvRecorder{}), DryRun()})
	assert.NoError(t, err)
}

// TestTestbedZypperInstallOperation installs the AWS-owned SUSE baseline's
// approved updates on a copy of the zypper root, as exact versions, and
// reboots through the rebooter (RebootIfNeeded).
func TestTestbedZypperInstallOperation(t *testing.T) {
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	rec := localRunner(t)
	reb := &recordingRebooter{}
	var events []string
	res, err := Install(context.Background(), os.DirFS(env.ZyppRoot), At(time.Now().UTC()), WithRunner(rec),
		Root(env.ZyppRoot), WithOS(releaseOS(t, "sles-15.6")), WithRebooter(reb),
		WithProgress(func(e ProgressEvent) { events = append(events, e.Step) }))
	require.NoError(t, err)
	assert.Equal(t, []string{"scan", "plan", "download", "install", "verify", "reboot"}, slices.Compact(events))
	var got []string
	for _, tg := range res.Targets {
		got = append(got, tg.KBID+" "+tg.Version.EVR())
	}
	slices.Sort(got)
	assert.Equal(t, []string{"kernel-tb.noarch 0:5.1-1", "tb-lib.noarch 1:2.0-2"}, got, "security, Critical and Important")
	st := states(res.Report)
	assert.Equal(t, compliance.Installed, st["tb-lib.noarch"])
	assert.Equal(t, compliance.Installed, st["kernel-tb.noarch"])
	assert.Equal(t, 1, reb.n)
	golden(t, "zypper-rebootifneeded", res.Report)
	noWeakening(t, rec)
}

// TestTestbedAptInstallOperation installs the AWS-owned Debian baseline's
// approved updates (security ones: the testbed's and Debian's real pending
// security updates) in a copy of the Debian chroot, with NoReboot: tb-kernel's
// postinst writes reboot-required, which the verifying scan reports.
func TestTestbedAptInstallOperation(t *testing.T) {
	testutil.Slow(t, "installs Debian's real security updates in a copy of the chroot")
	t.Parallel()
	root := testbed.NeedChroot(t).CopyChroot(t)
	o, err := osdetect.DetectFS(os.DirFS(root))
	require.NoError(t, err)
	rec := localRunner(t)
	var events []string
	res, err := Install(context.Background(), os.DirFS(root), At(time.Now().UTC()), WithRunner(rec), Root(root),
		WithOS(o), WithArch("x86_64"), WithRebootOption(compliance.NoReboot), WithRebooter(&recordingRebooter{}),
		AllowNewDependencies(), WithProgress(func(e ProgressEvent) { events = append(events, e.Step) }))
	require.NoError(t, err)
	assert.Equal(t, []string{"scan", "plan", "download", "install", "verify"}, slices.Compact(events))
	var tb []string
	for _, tg := range res.Targets {
		if strings.HasPrefix(tg.Version.Name, "tb-") {
			tb = append(tb, tg.KBID+" "+tg.Version.EVR())
		}
		assert.True(t, res.Before.Candidates != nil)
	}
	slices.Sort(tb)
	assert.Equal(t, []string{"tb-kernel.all 1.1-1", "tb-lib.all 1:2.0-2", "tb-multi.all 1.2-1"}, tb,
		"the security versions; tb-multi at 1.2-1, not the newer non-security 1.3-1")
	st := states(res.Report)
	assert.Equal(t, compliance.InstalledPendingReboot, st["tb-lib.all"])
	assert.Equal(t, compliance.InstalledOther, st["tb-hello.all"], "not a security update")
	require.NotNil(t, res.After)
	assert.True(t, res.After.Reboot.Required, "tb-kernel's postinst wrote run/reboot-required")
	golden(t, "apt-noreboot", res.Report)
	// Every Debian security update was installed: none is Missing or Failed.
	for _, it := range res.Report.Items {
		assert.NotEqual(t, compliance.Failed, it.State, it.KBID)
		assert.NotEqual(t, compliance.Missing, it.State, it.KBID)
	}
	noWeakening(t, rec)
}

// TestTestbedDnfInstallDiskFull (row H4): on a root whose file system has
// less free space than the plan needs, Install stops before downloading,
// with ErrInsufficientSpace, and nothing is installed.
func TestTestbedDnfInstallDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	mnt := filepath.Join(filepath.Dir(env.RPMRoot), "small")
	require.NoError(t, os.MkdirAll(mnt, 0o755))
	mustRun(t, "mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", mnt)
	t.Cleanup(func() { mustRun(t, "umount", mnt) })
	root := filepath.Join(mnt, "root")
	mustRun(t, "cp", "-a", "--", env.RPMRoot, root)
	before, err := scan.ReadInventory(context.Background(), os.DirFS(root), releaseOS(t, "amzn-2023"))
	require.NoError(t, err)

	// Leave 20 KiB free: the plan downloads four packages of 6-7 KiB each.
	// Before the check, dnf's repoquery appends to its four logs in
	// var/log, a new 4 KiB page each at worst; with 12 KiB free that
	// sometimes failed with ENOSPC before the plan was checked.
	var st syscallStatfs
	require.NoError(t, statfs(mnt, &st))
	filler := filepath.Join(mnt, "filler")
	require.NoError(t, os.WriteFile(filler, make([]byte, st.free-20<<10), 0o644))

	_, err = Install(context.Background(), os.DirFS(root), At(time.Now().UTC()), WithRunner(localRunner(t)), Root(root),
		WithOS(releaseOS(t, "amzn-2023")), WithRebooter(&recordingRebooter{}))
	require.ErrorIs(t, err, plan.ErrInsufficientSpace)
	t.Log(err)
	after, err := scan.ReadInventory(context.Background(), os.DirFS(root), releaseOS(t, "amzn-2023"))
	require.NoError(t, err)
	assert.Equal(t, before.Packages, after.Packages, "nothing installed")
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

var update = flag.Bool("update", false, "rewrite the golden install reports")

// golden compares the testbed's items of an Install report (state, status,
// versions, classification, a half-done install state) and its summary counters with a kept file;
// times and a live distribution's own packages are left out.
func golden(t *testing.T, name string, r compliance.Report) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "operation %s %s\n", r.Operation, r.RebootOption)
	for _, it := range r.Items {
		if strings.HasPrefix(it.Name, "tb-") || it.Name == "kernel-tb" {
			fmt.Fprintf(&b, "item %s %s %s class=%q level=%s installed=%s candidate=%s",
				it.KBID, it.State, it.Status, it.Classification, it.ComplianceLevel, it.InstalledVersion, it.CandidateVersion)
			if it.InstallState != "" {
				fmt.Fprintf(&b, " install-state=%s", it.InstallState)
			}
			b.WriteString("\n")
		}
	}
	if r.Node.OperatingSystem != patchkit.OSDebian {
		s := r.Summary
		fmt.Fprintf(&b, "summary %s installed=%d pending=%d other=%d missing=%d failed=%d\n", s.Status,
			s.InstalledCount, s.InstalledPendingRebootCount, s.InstalledOtherCount, s.MissingCount, s.FailedCount)
	}
	path := filepath.Join("testdata/golden", name+".txt")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./install -run %s -update with the testbed up", t.Name())
	assert.Equal(t, string(want), b.String())
}
