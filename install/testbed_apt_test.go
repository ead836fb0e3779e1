package install

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/debrepo"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan"
)

// aptChroot is a copy of the testbed's Debian chroot without the Debian
// archive (debrepo.Root.DropDebianArchive: apt sees the testbed's
// repositories only, and each apt run takes tens of milliseconds instead
// of about a second; TestTestbedAptInstallOperation installs Debian's real
// updates), and the options that make Install act on it: apt and dpkg run
// with chroot(8).
//
// The private apt root (install.AptConfig) is not used: its sources name
// their keyrings by host paths, which Install's scans, reading the root as
// a file system, cannot follow (its repositories come out UNSIGNED).
func aptChroot(t *testing.T) (debrepo.Root, []Option) {
	t.Helper()
	testutil.NeedTool(t, "chroot", "coreutils")
	dir := testbed.NeedChroot(t).CopyChroot(t)
	root := debrepo.Root{Dir: dir}
	root.DropDebianArchive(t)
	o, err := osdetect.DetectFS(os.DirFS(dir))
	require.NoError(t, err)
	return root, []Option{Root(dir), WithOS(o), WithArch("x86_64")}
}

// aptWithRepo adds a repository of pkgs (the suite tb-local, signed by a
// key the root trusts) to root and installs the base versions.
func aptWithRepo(t *testing.T, root debrepo.Root, pkgs []debrepo.Package, base ...string) {
	t.Helper()
	repo := debrepo.BuildSuite(t, pkgs, debrepo.SignedGood, "tb-local")
	out, err := root.AddRepo(t, repo, "tb-local", false)
	require.NoError(t, err, out)
	root.Install(t, base...)
}

// debianApproving approves the named packages (every version, security or
// not) and nothing else.
func debianApproving(names ...string) baseline.Baseline {
	return baseline.Baseline{OperatingSystem: patchkit.OSDebian, Name: "approve-by-name", ApprovedPatches: names,
		ApprovedPatchesEnableNonSecurity: true, ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{}}}
}

// item returns the report's item of a KBID, or fails.
func item(t *testing.T, r compliance.Report, kbid string) compliance.Item {
	t.Helper()
	for _, it := range r.Items {
		if it.KBID == kbid {
			return it
		}
	}
	t.Fatalf("no item %s in the report", kbid)
	return compliance.Item{}
}

// inventoryOf lists a scan's installed versions of name, with their
// states ("1.1-1 half-configured").
func inventoryOf(t *testing.T, r scan.Result, name string) []string {
	t.Helper()
	var out []string
	for _, p := range r.Inventory.Packages {
		if p.Name == name {
			out = append(out, p.EVR()+" "+string(p.State))
		}
	}
	return out
}

// TestTestbedAptInstallFailingPostinstOperation (row H5 at the Install
// level): tb-fail 1.1-1's postinst exits 29. One apt transaction upgrades
// tb-fail, tb-hello and tb-lib; dpkg installs the other two and leaves
// tb-fail half-configured at 1.1-1. Install returns no error (a package
// the package manager failed on is a Failed item, not an error of the
// operation): the outcome names tb-fail with dpkg's reason and its state,
// the report has it Failed with InstallState half-configured and the
// others Installed (RebootIfNeeded: the node is rebooted), and no target
// is run again alone (the transaction settled them all). The next
// Install stops with plan.ErrNeedsRepair before it changes anything; with
// WithRepair, dpkg --configure -a runs the postinst again and fails again
// (an error naming the repair); once the script is fixed, WithRepair
// finishes the package, the report has nothing Failed, and, as finishing
// it installed it, the node is rebooted.
func TestTestbedAptInstallFailingPostinstOperation(t *testing.T) {
	root, opts := aptChroot(t)
	t.Parallel()
	aptWithRepo(t, root, []debrepo.Package{
		{Name: "tb-fail", Version: "1.0-1"},
		{Name: "tb-fail", Version: "1.1-1", Postinst: `if [ "$1" = configure ]; then echo "tb-fail: failing on purpose" >&2; exit 29; fi`},
	}, "tb-fail=1.0-1")
	ctx := context.Background()
	rec := localRunner(t)
	reb := &recordingRebooter{}
	opts = append(opts, At(time.Now().UTC()), WithRunner(rec), WithBaseline(debianApproving("tb-fail", "tb-lib", "tb-hello")),
		WithRebooter(reb))
	const reason = "installed tb-fail package post-installation script subprocess returned error exit status 29"

	res, err := Install(ctx, os.DirFS(root.Dir), opts...)
	require.NoError(t, err)
	var targets []string
	for _, tg := range res.Targets {
		targets = append(targets, tg.KBID+" "+tg.Version.EVR())
	}
	assert.Equal(t, []string{"tb-fail.all 1.1-1", "tb-hello.all 1.1-1", "tb-lib.all 1:2.0-2"}, targets)
	require.Len(t, res.Outcomes, 1, "the failed transaction installed every target it could: none is run again alone")
	out := res.Outcomes[0]
	assert.Equal(t, 100, out.ExitCode)
	assert.Equal(t, []plan.Failure{{Name: "tb-fail", Reason: reason, State: patchkit.StateHalfConfigured}}, out.Failures)
	fail := item(t, res.Report, "tb-fail.all")
	assert.Equal(t, compliance.Failed, fail.State)
	assert.Equal(t, patchkit.StateHalfConfigured, fail.InstallState)
	assert.Equal(t, "1.1-1", fail.InstalledVersion)
	st := states(res.Report)
	assert.Equal(t, compliance.Installed, st["tb-hello.all"])
	assert.Equal(t, compliance.Installed, st["tb-lib.all"])
	assert.Equal(t, 1, res.Report.Summary.FailedCount)
	assert.Equal(t, 1, reb.n, "RebootIfNeeded: the run installed updates, a failure beside them does not hold the reboot back")
	assert.True(t, res.Rebooted)
	require.NotNil(t, res.After)
	assert.Equal(t, []string{"1.1-1 half-configured"}, inventoryOf(t, *res.After, "tb-fail"))
	golden(t, "apt-failing-postinst", res.Report)
	noWeakening(t, rec)

	// Without WithRepair: stopped before anything runs, naming the package.
	n := len(rec.argv)
	res, err = Install(ctx, os.DirFS(root.Dir), opts...)
	require.ErrorIs(t, err, plan.ErrNeedsRepair)
	var re *plan.RepairError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, []string{"tb-fail:all 1.1-1 (half-configured)"}, re.Packages)
	require.Len(t, res.Targets, 1, "the approved version is there, half-configured: finishing it is the target")
	assert.Equal(t, "1.1-1", res.Targets[0].Version.EVR())
	assert.Len(t, rec.argv, n, "the package manager was not run")

	// WithRepair, the script still failing: dpkg --configure -a fails again.
	res, err = Install(ctx, os.DirFS(root.Dir), append(opts, WithRepair())...)
	require.ErrorContains(t, err, "install: repair:")
	require.Len(t, res.Outcomes, 1)
	assert.Contains(t, res.Outcomes[0].Command, "--configure -a")
	assert.Equal(t, []plan.Failure{{Name: "tb-fail", Reason: reason}}, res.Outcomes[0].Failures)

	// An administrator fixes the script; WithRepair finishes tb-fail.
	require.NoError(t, os.WriteFile(filepath.Join(root.Dir, "var/lib/dpkg/info/tb-fail.postinst"), []byte("#!/bin/sh\nexit 0\n"), 0o755))
	res, err = Install(ctx, os.DirFS(root.Dir), append(opts, WithRepair())...)
	require.NoError(t, err)
	require.NotEmpty(t, res.Outcomes)
	assert.Contains(t, res.Outcomes[0].Command, "--configure -a")
	assert.Empty(t, res.Outcomes[0].Failures)
	require.NotNil(t, res.After)
	assert.Equal(t, []string{"1.1-1 installed"}, inventoryOf(t, *res.After, "tb-fail"))
	fail = item(t, res.Report, "tb-fail.all")
	assert.Contains(t, []compliance.State{compliance.Installed, compliance.InstalledPendingReboot}, fail.State)
	assert.Empty(t, fail.InstallState)
	assert.Zero(t, res.Report.Summary.FailedCount)
	assert.Equal(t, 2, reb.n, "finishing tb-fail installed it: RebootIfNeeded reboots")
	assert.True(t, res.Rebooted)
	noWeakening(t, rec)
}

// TestTestbedAptInstallBlocksDependents is the BLOCK case on the real apt
// (in the chroot): tb-needy 1.1-1 depends on tb-newdep, which the baseline
// rejects with RejectedPatchesAction BLOCK. Install leaves tb-needy out at
// plan time (Result.Blocked names tb-newdep and the rejected entry), and
// installs tb-hello; tb-needy ends Failed at 1.0-1 and tb-newdep never
// reaches the root.
func TestTestbedAptInstallBlocksDependents(t *testing.T) {
	root, opts := aptChroot(t)
	t.Parallel()
	aptWithRepo(t, root, []debrepo.Package{
		{Name: "tb-needy", Version: "1.0-1"},
		{Name: "tb-needy", Version: "1.1-1", Control: []string{"Depends: tb-newdep"}},
		{Name: "tb-newdep", Version: "1.0-1"},
	}, "tb-needy=1.0-1")
	bl := debianApproving("tb-needy", "tb-hello")
	bl.Name, bl.RejectedPatches, bl.RejectedPatchesAction = "block-newdep", []string{"tb-newdep"}, baseline.Block
	rec := localRunner(t)
	res, err := Install(context.Background(), os.DirFS(root.Dir), append(opts, At(time.Now().UTC()), WithRunner(rec),
		WithBaseline(bl), WithRebootOption(compliance.NoReboot), WithRebooter(&recordingRebooter{}), AllowNewDependencies())...)
	require.NoError(t, err)
	noWeakening(t, rec)

	var targets []string
	for _, tg := range res.Targets {
		targets = append(targets, tg.KBID)
	}
	slices.Sort(targets)
	assert.Equal(t, []string{"tb-hello.all", "tb-needy.all"}, targets)
	require.Len(t, res.Blocked, 1)
	assert.Equal(t, "tb-needy.all", res.Blocked[0].Target.KBID)
	assert.Equal(t, "tb-newdep", res.Blocked[0].Action.Package.Name)
	assert.Equal(t, "tb-newdep", res.Blocked[0].Entry)
	for _, a := range res.Plan.Actions {
		assert.NotEqual(t, "tb-needy", a.Package.Name, "the applied plan holds no blocked target")
		assert.NotEqual(t, "tb-newdep", a.Package.Name)
	}
	for _, o := range res.Outcomes {
		assert.NotContains(t, o.Command, "tb-needy")
	}
	st := states(res.Report)
	assert.Equal(t, compliance.InstalledPendingReboot, st["tb-hello.all"])
	assert.Equal(t, compliance.Failed, st["tb-needy.all"], "approved, blocked, still missing after the Install")
	require.NotNil(t, res.After)
	assert.Equal(t, []string{"1.0-1 installed"}, inventoryOf(t, *res.After, "tb-needy"))
	assert.Empty(t, inventoryOf(t, *res.After, "tb-newdep"), "the rejected package never reached the root")
	golden(t, "apt-block", res.Report)
}

// TestTestbedAptInstallNoRebootThenReboot installs tb-kernel and tb-lib in
// the chroot with NoReboot: tb-kernel's postinst writes reboot-required,
// the items are InstalledPendingReboot and the run says a reboot is due.
// Then a simulated reboot: /run emptied (a tmpfs the reboot clears) and a
// boot time after the install; a scan with the Install's report as the
// previous one has them Installed, compliant, and nothing left to
// install.
func TestTestbedAptInstallNoRebootThenReboot(t *testing.T) {
	root, opts := aptChroot(t)
	t.Parallel()
	ctx := context.Background()
	at := time.Now().UTC()
	boot := at.Add(-time.Hour)
	bl := debianApproving("tb-kernel", "tb-lib")
	reb := &recordingRebooter{}
	opts = append(opts, WithRunner(localRunner(t)), WithBaseline(bl), WithRebooter(reb))
	res, err := Install(ctx, os.DirFS(root.Dir), append(opts, At(at), WithRebootOption(compliance.NoReboot),
		WithHostFacts(scan.HostFacts{BootTime: boot}))...)
	require.NoError(t, err)
	assert.Zero(t, reb.n)
	assert.True(t, res.RebootNeeded)
	st := states(res.Report)
	assert.Equal(t, compliance.InstalledPendingReboot, st["tb-kernel.all"])
	assert.Equal(t, compliance.InstalledPendingReboot, st["tb-lib.all"])
	assert.Equal(t, patchkit.NonCompliant, res.Report.Summary.Status, "pending a reboot")
	require.NotNil(t, res.After)
	assert.True(t, res.After.Reboot.Required, "tb-kernel's postinst wrote run/reboot-required")
	golden(t, "apt-noreboot-tb", res.Report)

	// The reboot: /run is a tmpfs, so its flag files go; the node comes
	// up an hour after the install.
	for _, f := range []string{"run/reboot-required", "run/reboot-required.pkgs"} {
		require.NoError(t, os.Remove(filepath.Join(root.Dir, f)))
	}
	later := at.Add(2 * time.Hour)
	facts := scan.HostFacts{BootTime: at.Add(time.Hour)}
	o, err := osdetect.DetectFS(os.DirFS(root.Dir))
	require.NoError(t, err)
	after, err := scan.Scan(ctx, os.DirFS(root.Dir), scan.At(later), scan.WithOS(o), scan.WithArch("x86_64"), scan.WithBaseline(bl),
		scan.WithHostFacts(facts), scan.WithPrevious(&res.Report))
	require.NoError(t, err)
	assert.False(t, after.Reboot.Required)
	st = states(after.Report)
	assert.Equal(t, compliance.Installed, st["tb-kernel.all"])
	assert.Equal(t, compliance.Installed, st["tb-lib.all"])
	assert.Equal(t, patchkit.Compliant, after.Report.Summary.Status)

	// Nothing left to install, nothing pending: no reboot.
	res, err = Install(ctx, os.DirFS(root.Dir), append(opts, At(later), WithPrevious(&after.Report), WithHostFacts(facts))...)
	require.NoError(t, err)
	assert.Empty(t, res.Targets)
	assert.Zero(t, reb.n)
	assert.False(t, res.RebootNeeded)
	assert.Equal(t, patchkit.Compliant, res.Report.Summary.Status)
}
