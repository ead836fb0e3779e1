package install

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan"
)

// zypperRoot is a copy of the testbed's zypper root and the options that
// make Install act on it (zypper --root), as SLES 15 SP6 (the root has no
// os-release).
func zypperRoot(t *testing.T) (string, []Option) {
	t.Helper()
	testutil.NeedTool(t, "zypper", "zypper")
	c := testbed.Need(t).Clone(t)
	return c.ZyppRoot, []Option{Root(c.ZyppRoot), WithOS(releaseOS(t, "sles-15.6"))}
}

// zypperAddRepo adds the local repository dir to the root as tb-local,
// without signature checks (the test's packages and index are unsigned,
// as an administrator's own repository may be), and refreshes it: the
// scans read zypper's cache.
func zypperAddRepo(t *testing.T, root, dir string) {
	t.Helper()
	for _, args := range [][]string{{"addrepo", "--no-gpgcheck", "file:" + dir, "tb-local"}, {"refresh", "tb-local"}} {
		out, err := exec.CommandContext(t.Context(), "zypper", append([]string{"--non-interactive", "--quiet", "--root", root}, args...)...).CombinedOutput()
		require.NoError(t, err, "zypper %v: %s", args, out)
	}
}

// suseApproving approves the rpm files named (name-version-release.arch.rpm,
// the package form SUSE's lists take) and nothing else.
func suseApproving(files ...string) baseline.Baseline {
	return baseline.Baseline{OperatingSystem: patchkit.OSSUSE, Name: "approve-by-file-name", ApprovedPatches: files,
		ApprovedPatchesEnableNonSecurity: true, ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{}}}
}

// TestTestbedZypperInstallFailingPostOperation (row H5 at the Install
// level, rpm's side): tb-fail 1.1's %post exits 29. zypper installs it
// (rpm keeps a package whose %post failed) and exits 107; Install returns
// no error, the outcome names tb-fail with rpm's reason and its state
// "installed", and the report, following rpm's database, has tb-fail at
// 1.1 Installed like tb-lib beside it (RebootIfNeeded: the node is
// rebooted): nothing is Failed, and nothing is left to repair (the next
// Install has nothing to do).
func TestTestbedZypperInstallFailingPostOperation(t *testing.T) {
	root, opts := zypperRoot(t)
	t.Parallel()
	rpms := buildRPMs(t, shellSpec, rpmSpec{name: "tb-fail", version: "1.0"},
		rpmSpec{name: "tb-fail", version: "1.1", post: "echo tb-fail post failing >&2\nexit 29"})
	rpmInstall(t, root, rpms["tb-sh-1.0"], rpms["tb-fail-1.0"])
	zypperAddRepo(t, root, rpmRepo(t, rpms["tb-fail-1.1"]))

	ctx := context.Background()
	rec := localRunner(t)
	reb := &recordingRebooter{}
	opts = append(opts, At(time.Now().UTC()), WithRunner(rec), WithBaseline(suseApproving("tb-fail-1.1-1.noarch.rpm", "tb-lib-2.0-2.noarch.rpm")),
		WithRebooter(reb))
	res, err := Install(ctx, os.DirFS(root), opts...)
	require.NoError(t, err)
	noWeakening(t, rec)
	var targets []string
	for _, tg := range res.Targets {
		targets = append(targets, tg.KBID+" "+tg.Version.EVR())
	}
	assert.ElementsMatch(t, []string{"tb-fail.noarch 0:1.1-1", "tb-lib.noarch 1:2.0-2"}, targets)
	require.Len(t, res.Outcomes, 1, "zypper's run succeeded as a transaction: nothing is run again")
	out := res.Outcomes[0]
	assert.Equal(t, 107, out.ExitCode, "ZYPPER_EXIT_INF_RPM_SCRIPT_FAILED")
	require.Len(t, out.Failures, 1)
	f := out.Failures[0]
	assert.Equal(t, "tb-fail", f.Name)
	assert.Contains(t, f.Reason, "%post scriptlet failed, exit status 29")
	assert.Equal(t, patchkit.StateInstalled, f.State, "rpm's database has the new version")
	require.NotNil(t, res.After)
	assert.Equal(t, []string{"1.1-1 installed"}, inventoryOf(t, *res.After, "tb-fail"))
	st := states(res.Report)
	assert.Equal(t, compliance.Installed, st["tb-fail.noarch"])
	assert.Equal(t, compliance.Installed, st["tb-lib.noarch"])
	assert.Zero(t, res.Report.Summary.FailedCount)
	assert.Equal(t, 1, reb.n)
	golden(t, "zypper-failing-post", res.Report)

	res, err = Install(ctx, os.DirFS(root), opts...)
	require.NoError(t, err, "nothing to repair: rpm finished the package")
	assert.Empty(t, res.Targets)
	assert.Equal(t, 1, reb.n)
}

// TestTestbedZypperInstallBlocksDependents is the BLOCK case on the real
// zypper: tb-needy 1.1 requires tb-newdep, which the baseline rejects with
// RejectedPatchesAction BLOCK. Install leaves tb-needy out at plan time
// (Result.Blocked) and installs tb-lib; tb-needy ends Failed at 1.0 and
// tb-newdep never reaches the root.
func TestTestbedZypperInstallBlocksDependents(t *testing.T) {
	root, opts := zypperRoot(t)
	t.Parallel()
	rpms := buildRPMs(t, rpmSpec{name: "tb-needy", version: "1.0"},
		rpmSpec{name: "tb-needy", version: "1.1", requires: []string{"tb-newdep"}}, rpmSpec{name: "tb-newdep", version: "1.0"})
	rpmInstall(t, root, rpms["tb-needy-1.0"])
	zypperAddRepo(t, root, rpmRepo(t, rpms["tb-needy-1.1"], rpms["tb-newdep-1.0"]))

	bl := suseApproving("tb-needy-1.1-1.noarch.rpm", "tb-lib-2.0-2.noarch.rpm")
	bl.Name, bl.RejectedPatches, bl.RejectedPatchesAction = "block-newdep", []string{"tb-newdep-1.0-1.noarch.rpm"}, baseline.Block
	rec := localRunner(t)
	res, err := Install(context.Background(), os.DirFS(root), append(opts, At(time.Now().UTC()), WithRunner(rec), WithBaseline(bl),
		WithRebootOption(compliance.NoReboot), WithRebooter(&recordingRebooter{}), AllowNewDependencies())...)
	require.NoError(t, err)
	noWeakening(t, rec)

	var targets []string
	for _, tg := range res.Targets {
		targets = append(targets, tg.KBID)
	}
	assert.ElementsMatch(t, []string{"tb-lib.noarch", "tb-needy.noarch"}, targets)
	require.Len(t, res.Blocked, 1)
	assert.Equal(t, "tb-needy.noarch", res.Blocked[0].Target.KBID)
	assert.Equal(t, "tb-newdep", res.Blocked[0].Action.Package.Name)
	assert.Equal(t, "tb-newdep-1.0-1.noarch.rpm", res.Blocked[0].Entry)
	for _, a := range res.Plan.Actions {
		assert.NotEqual(t, "tb-needy", a.Package.Name, "the applied plan holds no blocked target")
		assert.NotEqual(t, "tb-newdep", a.Package.Name)
	}
	for _, o := range res.Outcomes {
		assert.False(t, strings.Contains(o.Command, "tb-needy"), o.Command)
	}
	st := states(res.Report)
	assert.Equal(t, compliance.InstalledPendingReboot, st["tb-lib.noarch"])
	assert.Equal(t, compliance.Failed, st["tb-needy.noarch"], "approved, blocked, still missing after the Install")
	require.NotNil(t, res.After)
	assert.Equal(t, []string{"1.0-1 installed"}, inventoryOf(t, *res.After, "tb-needy"))
	assert.Empty(t, inventoryOf(t, *res.After, "tb-newdep"), "the rejected package never reached the root")
	golden(t, "zypper-block", res.Report)
}

// TestTestbedZypperInstallNoRebootThenReboot installs the AWS-owned SUSE
// baseline's approved updates (kernel-tb, tb-lib) with NoReboot: they are
// InstalledPendingReboot and the run says a reboot is due. A scan after a
// simulated reboot (a boot time after the install) with the Install's
// report as the previous one has them Installed, compliant; the next
// Install has nothing to do and does not reboot.
func TestTestbedZypperInstallNoRebootThenReboot(t *testing.T) {
	root, opts := zypperRoot(t)
	t.Parallel()
	ctx := context.Background()
	at := time.Now().UTC()
	reb := &recordingRebooter{}
	opts = append(opts, WithRunner(localRunner(t)), WithRebooter(reb))
	res, err := Install(ctx, os.DirFS(root), append(opts, At(at), WithRebootOption(compliance.NoReboot),
		WithHostFacts(scan.HostFacts{BootTime: at.Add(-time.Hour)}))...)
	require.NoError(t, err)
	assert.Zero(t, reb.n)
	assert.True(t, res.RebootNeeded)
	st := states(res.Report)
	assert.Equal(t, compliance.InstalledPendingReboot, st["kernel-tb.noarch"])
	assert.Equal(t, compliance.InstalledPendingReboot, st["tb-lib.noarch"])
	assert.Equal(t, patchkit.NonCompliant, res.Report.Summary.Status, "pending a reboot")
	golden(t, "zypper-noreboot", res.Report)

	later := at.Add(2 * time.Hour)
	facts := scan.HostFacts{BootTime: at.Add(time.Hour)}
	after, err := scan.Scan(ctx, os.DirFS(root), scan.At(later), scan.WithOS(releaseOS(t, "sles-15.6")),
		scan.WithHostFacts(facts), scan.WithPrevious(&res.Report))
	require.NoError(t, err)
	st = states(after.Report)
	assert.Equal(t, compliance.Installed, st["kernel-tb.noarch"])
	assert.Equal(t, compliance.Installed, st["tb-lib.noarch"])
	assert.Equal(t, patchkit.Compliant, after.Report.Summary.Status)

	res, err = Install(ctx, os.DirFS(root), append(opts, At(later), WithPrevious(&after.Report), WithHostFacts(facts))...)
	require.NoError(t, err)
	assert.Empty(t, res.Targets)
	assert.Zero(t, reb.n, "nothing installed, nothing pending")
	assert.False(t, res.RebootNeeded)
	assert.Equal(t, patchkit.Compliant, res.Report.Summary.Status)
}
