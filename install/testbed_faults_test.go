//go:build linux

package install

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/debrepo"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan"
)

// The faults of issue 10 §3 at the Install level, on copies of the
// testbed's roots: a package manager lock held by another process (rows
// G1-G3), and an install killed earlier, which the next Install detects
// before it runs the package manager (rows H1, H2).

// faultsLockWait is the lock wait the LockHeld tests give Install.
const faultsLockWait = 2 * time.Second

// faultsInventory lists the root's packages with their versions and
// states, read from its package database.
func faultsInventory(t *testing.T, root string, o osdetect.OS) []string {
	t.Helper()
	inv, err := scan.ReadInventory(context.Background(), os.DirFS(root), o)
	require.NoError(t, err)
	var out []string
	for _, p := range inv.Packages {
		out = append(out, p.QualifiedName()+" "+p.EVR()+" "+string(p.State))
	}
	slices.Sort(out)
	return out
}

// faultsLocked checks that Install gave up on a held lock after about the
// wait it was given, with a *plan.LockedError naming pid as the holder and
// a lock file whose path ends in suffix; it returns the error.
func faultsLocked(t *testing.T, err error, took time.Duration, pid int, suffix string) *plan.LockedError {
	t.Helper()
	var le *plan.LockedError
	require.ErrorAs(t, err, &le)
	require.ErrorIs(t, err, plan.ErrLocked)
	assert.Equal(t, pid, le.PID, "the holder: %v", le)
	assert.True(t, strings.HasSuffix(le.Path, suffix), "lock file %q, want …%s", le.Path, suffix)
	assert.GreaterOrEqual(t, took, faultsLockWait-100*time.Millisecond, "Install gave up before the lock wait")
	assert.Less(t, took, faultsLockWait+20*time.Second, "Install waited far past the lock wait")
	t.Logf("%v (Install returned after %v)", err, took.Round(time.Millisecond))
	return le
}

// committed lists the recorded invocations that ran the package manager's
// install or repair (anything but a dry run, a simulation or a query).
func committed(rec *argvRecorder) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, argv := range rec.argv {
		s := strings.Join(argv, " ")
		if strings.Contains(s, "--dry-run") || strings.Contains(s, "--assumeno") || slices.Contains(argv, "-s") ||
			strings.Contains(s, "repoquery") || strings.Contains(s, " check ") {
			continue
		}
		out = append(out, s)
	}
	return out
}

// killWhenStarted starts argv in a process group of its own, waits for the
// file started (a scriptlet's sign that it runs) and kills the whole group
// with SIGKILL, as a crash or an impatient supervisor would.
func killWhenStarted(t *testing.T, started string, argv ...string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(started); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("%v ended before %s appeared: %v", argv, started, err)
		default:
		}
		if time.Now().After(deadline) {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Fatalf("%s did not appear", started)
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL))
	err := <-done
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	ws, _ := ee.Sys().(syscall.WaitStatus)
	require.Equal(t, syscall.SIGKILL, ws.Signal(), "%v", err)
}

// holdFcntl takes write locks (fcntl, as apt and dpkg do) on the files
// and returns their release (also run when the test ends).
func holdFcntl(t *testing.T, paths ...string) (release func()) {
	t.Helper()
	var files []*os.File
	release = func() {
		for _, f := range files {
			f.Close()
		}
		files = nil
	}
	t.Cleanup(release)
	for _, p := range paths {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o640)
		require.NoError(t, err)
		files = append(files, f)
		lk := syscall.Flock_t{Type: syscall.F_WRLCK}
		require.NoError(t, syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk), "locking %s", p)
	}
	return release
}

// TestTestbedAptInstallLockHeld (row G1 through Install): this test
// process holds dpkg's frontend lock and lock in a copy of the chroot.
// Install scans, plans (apt-get -s needs no lock), then apt waits its
// DPkg::Lock::Timeout (WithLockWait) and Install returns the
// *plan.LockedError naming this process. Nothing is installed, both lock
// files are still there, and once they are free the same Install goes
// through.
func TestTestbedAptInstallLockHeld(t *testing.T) {
	root, opts := aptChroot(t)
	t.Parallel()
	o, err := osdetect.DetectFS(os.DirFS(root.Dir))
	require.NoError(t, err)
	frontend, lock := filepath.Join(root.Dir, "var/lib/dpkg/lock-frontend"), filepath.Join(root.Dir, "var/lib/dpkg/lock")
	ctx := context.Background()
	release := holdFcntl(t, frontend, lock)
	before := faultsInventory(t, root.Dir, o)
	rec := localRunner(t)
	start := time.Now()
	res, err := Install(ctx, os.DirFS(root.Dir), append(opts, At(time.Now().UTC()), WithRunner(rec),
		WithBaseline(debianApproving("tb-lib")), WithRebooter(&recordingRebooter{}), WithLockWait(faultsLockWait))...)
	le := faultsLocked(t, err, time.Since(start), os.Getpid(), "var/lib/dpkg/lock-frontend")
	assert.Contains(t, []string{"apt", "dpkg"}, le.Tool)
	require.Len(t, res.Targets, 1)
	assert.Equal(t, "tb-lib.all 1:2.0-2", res.Targets[0].KBID+" "+res.Targets[0].Version.EVR())
	assert.Nil(t, res.After, "no verifying scan after a lock error")
	assert.Equal(t, before, faultsInventory(t, root.Dir, o), "nothing installed while the lock was held")
	for _, f := range []string{frontend, lock} {
		_, err := os.Stat(f)
		assert.NoError(t, err, "the lock file is still there")
	}
	noWeakening(t, rec)

	release()
	rec = localRunner(t)
	res, err = Install(ctx, os.DirFS(root.Dir), append(opts, At(time.Now().UTC()), WithRunner(rec),
		WithBaseline(debianApproving("tb-lib")), WithRebooter(&recordingRebooter{}), WithLockWait(faultsLockWait))...)
	require.NoError(t, err, "the locks are free")
	require.NotNil(t, res.After)
	assert.Equal(t, []string{"1:2.0-2 installed"}, inventoryOf(t, *res.After, "tb-lib"))
	assert.Equal(t, compliance.Installed, states(res.Report)["tb-lib.all"])
}

// TestTestbedAptInstallKilledEarlier (rows H1 and H2 for apt): an apt-get
// upgrading tb-slow in a copy of the chroot is killed, with its whole
// process group, while tb-slow 1.1-1's postinst runs: dpkg's journal has
// entries and tb-slow 1.1-1 is half-configured. The next Install stops
// with plan.ErrNeedsRepair naming both before it runs apt at all; the root
// and the journal are unchanged. With WithRepair, dpkg --configure -a
// applies the journal and configures tb-slow, and the report has it
// installed, nothing Failed.
func TestTestbedAptInstallKilledEarlier(t *testing.T) {
	root, opts := aptChroot(t)
	t.Parallel()
	o := killAptUpgradeIn(t, root, "postinst")
	journal, err := os.ReadDir(filepath.Join(root.Dir, "var/lib/dpkg/updates"))
	require.NoError(t, err)
	require.NotEmpty(t, journal, "the killed dpkg left its journal")

	ctx := context.Background()
	rec := localRunner(t)
	opts = append(opts, At(time.Now().UTC()), WithRunner(rec), WithBaseline(debianApproving("tb-slow")),
		WithRebootOption(compliance.NoReboot), WithRebooter(&recordingRebooter{}), WithLockWait(faultsLockWait))
	before := faultsInventory(t, root.Dir, o)
	assert.Contains(t, before, "tb-slow:all 1.1-1 half-configured")
	res, err := Install(ctx, os.DirFS(root.Dir), opts...)
	require.ErrorIs(t, err, plan.ErrNeedsRepair)
	var re *plan.RepairError
	require.ErrorAs(t, err, &re)
	t.Log(err)
	require.Len(t, re.Packages, 2, "%q", re.Packages)
	assert.Contains(t, re.Packages[0], "entries of dpkg's journal in var/lib/dpkg/updates")
	assert.Equal(t, "tb-slow:all 1.1-1 (half-configured)", re.Packages[1])
	assert.Contains(t, re.Repair, "dpkg --configure -a")
	require.Len(t, res.Targets, 1)
	assert.Equal(t, "tb-slow.all 1.1-1", res.Targets[0].KBID+" "+res.Targets[0].Version.EVR())
	assert.Empty(t, rec.argv, "apt and dpkg were not run")
	assert.Equal(t, before, faultsInventory(t, root.Dir, o), "the check changed nothing")
	after, err := os.ReadDir(filepath.Join(root.Dir, "var/lib/dpkg/updates"))
	require.NoError(t, err)
	assert.Len(t, after, len(journal), "the journal is left alone")

	res, err = Install(ctx, os.DirFS(root.Dir), append(opts, WithRepair())...)
	require.NoError(t, err)
	require.NotEmpty(t, res.Outcomes)
	assert.Contains(t, res.Outcomes[0].Command, "--configure -a", "the repair runs first")
	require.NotNil(t, res.After)
	assert.Equal(t, []string{"1.1-1 installed"}, inventoryOf(t, *res.After, "tb-slow"))
	assert.Contains(t, []compliance.State{compliance.Installed, compliance.InstalledPendingReboot}, states(res.Report)["tb-slow.all"])
	assert.Zero(t, res.Report.Summary.FailedCount)
	noWeakening(t, rec)
}

// TestTestbedDnfInstallLockHeld (row G2 through Install): dnf's rpmdb
// lock file in a copy of the dnf root names this (live) process, as dnf
// writes it when it holds the lock. Install scans and plans (planning
// needs no rpmdb lock); the commit waits WithLockWait and Install returns
// the *plan.LockedError naming this process and the lock file, which is
// still there with the same PID. Nothing is installed.
func TestTestbedDnfInstallLockHeld(t *testing.T) {
	testutil.NeedTool(t, "dnf", "dnf")
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	o := releaseOS(t, "amzn-2023")
	lockFile := filepath.Join(env.RPMRoot, "var/lib/dnf/rpmdb_lock.pid")
	pid := strconv.Itoa(os.Getpid())
	require.NoError(t, os.WriteFile(lockFile, []byte(pid), 0o644))
	before := faultsInventory(t, env.RPMRoot, o)
	rec := localRunner(t)
	start := time.Now()
	res, err := Install(context.Background(), os.DirFS(env.RPMRoot), At(time.Now().UTC()), WithRunner(rec), Root(env.RPMRoot),
		WithOS(o), WithRebooter(&recordingRebooter{}), WithLockWait(faultsLockWait))
	le := faultsLocked(t, err, time.Since(start), os.Getpid(), "var/lib/dnf/rpmdb_lock.pid")
	assert.Equal(t, "dnf", le.Tool)
	assert.Equal(t, lockFile, le.Path)
	assert.NotEmpty(t, res.Targets)
	assert.NotEmpty(t, res.Plan.Actions, "the plan was made: it needs no rpmdb lock")
	assert.Nil(t, res.After)
	assert.Equal(t, before, faultsInventory(t, env.RPMRoot, o), "nothing installed while the lock was held")
	b, err := os.ReadFile(lockFile)
	require.NoError(t, err, "the lock file is still there")
	assert.Equal(t, pid, string(b), "and still names the holder")
	noWeakening(t, rec)
}

// rpmKilledUpgrade leaves root as an rpm upgrade killed between adding
// the new version and erasing the old one leaves it: tb-dup 1.0 is
// installed (with tb-sh, the root's /bin/sh), then `rpm -U` of tb-dup 1.1
// is killed, with its process group, while 1.1's %post waits on a FIFO.
// The rpm database then holds both versions.
func rpmKilledUpgrade(t *testing.T, root string) {
	t.Helper()
	rpms := buildRPMs(t, shellSpec, rpmSpec{name: "tb-dup", version: "1.0"},
		rpmSpec{name: "tb-dup", version: "1.1", post: "if [ -p /tmp/tb-dup.gate ]; then : > /tmp/tb-dup.post.started; read x < /tmp/tb-dup.gate; fi"})
	rpmInstall(t, root, rpms["tb-sh-1.0"], rpms["tb-dup-1.0"])
	tmp := filepath.Join(root, "tmp")
	require.NoError(t, os.MkdirAll(tmp, 0o1777))
	gate := filepath.Join(tmp, "tb-dup.gate")
	require.NoError(t, syscall.Mkfifo(gate, 0o600))
	killWhenStarted(t, filepath.Join(tmp, "tb-dup.post.started"), "rpm", "--root", root, "-U", rpms["tb-dup-1.1"])
	// A %post still blocked (outside the killed group) is let go.
	if f, err := os.OpenFile(gate, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		f.Close()
	}
	require.NoError(t, os.Remove(gate))
}

// rpmVersions lists the installed NEVRAs of name.
func rpmVersions(t *testing.T, root string, o osdetect.OS, name string) []string {
	t.Helper()
	inv, err := scan.ReadInventory(context.Background(), os.DirFS(root), o)
	require.NoError(t, err)
	var out []string
	for _, p := range inv.Packages {
		if p.Name == name {
			out = append(out, p.NEVRA())
		}
	}
	slices.Sort(out)
	return out
}

// TestTestbedDnfInstallKilledEarlier (rows H1 and H2 for dnf): an rpm
// upgrade of tb-dup was killed in 1.1's %post, leaving both versions in
// the rpm database of a copy of the dnf root. Install (the AWS-owned
// Amazon Linux 2023 baseline, which has updates to install) stops with
// plan.ErrNeedsRepair naming tb-dup's versions before it runs dnf, and
// changes nothing. With WithRepair, dnf remove --duplicates leaves tb-dup
// 1.1 alone and the approved updates are installed.
func TestTestbedDnfInstallKilledEarlier(t *testing.T) {
	testutil.NeedTool(t, "dnf", "dnf")
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	o := releaseOS(t, "amzn-2023")
	rpmKilledUpgrade(t, env.RPMRoot)
	both := []string{"tb-dup-1.0-1.noarch", "tb-dup-1.1-1.noarch"}
	require.Equal(t, both, rpmVersions(t, env.RPMRoot, o, "tb-dup"))

	ctx := context.Background()
	rec := localRunner(t)
	opts := []Option{At(time.Now().UTC()), WithRunner(rec), Root(env.RPMRoot), WithOS(o), WithRebooter(&recordingRebooter{}),
		WithRebootOption(compliance.NoReboot), WithLockWait(faultsLockWait)}
	before := faultsInventory(t, env.RPMRoot, o)
	res, err := Install(ctx, os.DirFS(env.RPMRoot), opts...)
	require.ErrorIs(t, err, plan.ErrNeedsRepair)
	var re *plan.RepairError
	require.ErrorAs(t, err, &re)
	t.Log(err)
	assert.Equal(t, []string{"tb-dup.noarch 0:1.0-1 0:1.1-1"}, re.Packages)
	assert.Contains(t, re.Repair, "remove --duplicates")
	assert.NotEmpty(t, res.Targets)
	assert.Empty(t, rec.argv, "dnf was not run")
	assert.Equal(t, before, faultsInventory(t, env.RPMRoot, o), "the check changed nothing")

	res, err = Install(ctx, os.DirFS(env.RPMRoot), append(opts, WithRepair())...)
	require.NoError(t, err)
	require.NotEmpty(t, res.Outcomes)
	assert.Contains(t, res.Outcomes[0].Command, "remove --duplicates", "the repair runs first")
	assert.Equal(t, []string{"tb-dup-1.1-1.noarch"}, rpmVersions(t, env.RPMRoot, o, "tb-dup"))
	require.NotNil(t, res.After)
	st := states(res.Report)
	assert.Equal(t, compliance.InstalledPendingReboot, st["tb-lib.noarch"])
	assert.Zero(t, res.Report.Summary.FailedCount)
	assert.Zero(t, res.Report.Summary.MissingCount)
	noWeakening(t, rec)
}

// holdZyppLock starts `zypper --root R shell`, which holds the root's
// zypp lock (run/zypp.pid) until its standard input closes, and returns
// its PID.
func holdZyppLock(t *testing.T, root string) int {
	t.Helper()
	cmd := exec.Command("zypper", "--root", root, "shell")
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	pid := cmd.Process.Pid
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(filepath.Join(root, "run/zypp.pid")); strings.TrimSpace(string(b)) == strconv.Itoa(pid) {
			return pid
		}
	}
	t.Fatal("zypper shell did not take the lock")
	return 0
}

// TestTestbedZypperInstallLockHeld (row G3 through Install): `zypper
// shell` holds the zypp lock of a copy of the zypper root. Install's plan
// (zypper --dry-run takes the lock) waits WithLockWait and Install
// returns the *plan.LockedError naming zypper shell's PID; run/zypp.pid
// still names it, and nothing is installed.
func TestTestbedZypperInstallLockHeld(t *testing.T) {
	root, opts := zypperRoot(t)
	t.Parallel()
	o := releaseOS(t, "sles-15.6")
	pid := holdZyppLock(t, root)
	before := faultsInventory(t, root, o)
	rec := localRunner(t)
	start := time.Now()
	res, err := Install(context.Background(), os.DirFS(root), append(opts, At(time.Now().UTC()), WithRunner(rec),
		WithRebooter(&recordingRebooter{}), WithLockWait(faultsLockWait))...)
	le := faultsLocked(t, err, time.Since(start), pid, "run/zypp.pid")
	assert.Equal(t, "zypper", le.Tool)
	assert.NotEmpty(t, res.Targets)
	assert.Nil(t, res.After)
	assert.Empty(t, committed(rec), "nothing committing ran while the lock was held")
	assert.Equal(t, before, faultsInventory(t, root, o), "nothing installed while the lock was held")
	b, err := os.ReadFile(filepath.Join(root, "run/zypp.pid"))
	require.NoError(t, err, "the lock file is still there")
	assert.Equal(t, strconv.Itoa(pid), strings.TrimSpace(string(b)))
	noWeakening(t, rec)
}

// TestTestbedZypperInstallKilledEarlier (rows H1 and H2 for zypper): an
// rpm upgrade of tb-dup was killed in 1.1's %post, leaving both versions
// in the rpm database of a copy of the zypper root. Install (the AWS-owned
// SUSE baseline, which has updates to install) stops with
// plan.ErrNeedsRepair naming both before it runs zypper; with WithRepair,
// zypper verify removes tb-dup 1.0 and the approved updates are
// installed.
func TestTestbedZypperInstallKilledEarlier(t *testing.T) {
	root, opts := zypperRoot(t)
	t.Parallel()
	o := releaseOS(t, "sles-15.6")
	rpmKilledUpgrade(t, root)
	both := []string{"tb-dup-1.0-1.noarch", "tb-dup-1.1-1.noarch"}
	require.Equal(t, both, rpmVersions(t, root, o, "tb-dup"))

	ctx := context.Background()
	rec := localRunner(t)
	opts = append(opts, At(time.Now().UTC()), WithRunner(rec), WithRebooter(&recordingRebooter{}),
		WithRebootOption(compliance.NoReboot), WithLockWait(faultsLockWait))
	before := faultsInventory(t, root, o)
	res, err := Install(ctx, os.DirFS(root), opts...)
	require.ErrorIs(t, err, plan.ErrNeedsRepair)
	var re *plan.RepairError
	require.ErrorAs(t, err, &re)
	t.Log(err)
	assert.Equal(t, []string{"tb-dup-1.0-1.noarch", "tb-dup-1.1-1.noarch"}, re.Packages)
	assert.Equal(t, "zypper", re.Tool)
	assert.Contains(t, re.Repair, "verify")
	assert.NotEmpty(t, res.Targets)
	assert.Empty(t, rec.argv, "zypper was not run")
	assert.Equal(t, before, faultsInventory(t, root, o), "the check changed nothing")

	res, err = Install(ctx, os.DirFS(root), append(opts, WithRepair())...)
	require.NoError(t, err)
	require.NotEmpty(t, res.Outcomes)
	assert.Contains(t, res.Outcomes[0].Command, "verify", "the repair runs first")
	assert.Equal(t, []string{"tb-dup-1.1-1.noarch"}, rpmVersions(t, root, o, "tb-dup"))
	require.NotNil(t, res.After)
	st := states(res.Report)
	assert.Equal(t, compliance.InstalledPendingReboot, st["tb-lib.noarch"])
	assert.Equal(t, compliance.InstalledPendingReboot, st["kernel-tb.noarch"])
	assert.Zero(t, res.Report.Summary.FailedCount)
	noWeakening(t, rec)
}

// TestTestbedAptInstallKilledInPreinst: an apt-get upgrade killed while
// tb-slow 1.1-1's preinst runs leaves tb-slow 1.0-1 half-installed and
// dpkg's journal. The scan reports the package (it is not dropped as not
// installed): Missing, with its state; Install stops with ErrNeedsRepair
// before running anything; with WithRepair it finishes dpkg's work and
// installs the approved version.
func TestTestbedAptInstallKilledInPreinst(t *testing.T) {
	root, opts := aptChroot(t)
	t.Parallel()
	o := killAptUpgradeIn(t, root, "preinst")
	before := faultsInventory(t, root.Dir, o)
	require.Contains(t, before, "tb-slow:all 1.0-1 half-installed")

	ctx := context.Background()
	rec := localRunner(t)
	opts = append(opts, At(time.Now().UTC()), WithRunner(rec), WithBaseline(debianApproving("tb-slow")),
		WithRebootOption(compliance.NoReboot), WithRebooter(&recordingRebooter{}), WithLockWait(faultsLockWait))
	res, err := Install(ctx, os.DirFS(root.Dir), opts...)
	require.ErrorIs(t, err, plan.ErrNeedsRepair)
	assert.Empty(t, rec.argv, "apt and dpkg were not run")
	assert.Equal(t, before, faultsInventory(t, root.Dir, o), "the check changed nothing")
	var item *compliance.Item
	for i := range res.Before.Report.Items {
		if res.Before.Report.Items[i].KBID == "tb-slow.all" {
			item = &res.Before.Report.Items[i]
		}
	}
	require.NotNil(t, item, "the half-installed package is in the scan's report")
	assert.Equal(t, compliance.Missing, item.State)
	assert.Equal(t, patchkit.StateHalfInstalled, item.InstallState)

	res, err = Install(ctx, os.DirFS(root.Dir), append(opts, WithRepair())...)
	require.NoError(t, err)
	require.NotEmpty(t, res.Outcomes)
	assert.Contains(t, res.Outcomes[0].Command, "--configure -a", "the repair runs first")
	require.NotNil(t, res.After)
	assert.Equal(t, []string{"1.1-1 installed"}, inventoryOf(t, *res.After, "tb-slow"))
	assert.Zero(t, res.Report.Summary.FailedCount)
	noWeakening(t, rec)
}

// killAptUpgradeIn puts tb-slow 1.0-1 in root's repository and installs
// it, then kills apt-get (SIGKILL to its process group) while tb-slow
// 1.1-1's maintainer script (script: "preinst" or "postinst") runs in its
// upgrade, and returns the root's OS.
func killAptUpgradeIn(t *testing.T, root debrepo.Root, script string) osdetect.OS {
	t.Helper()
	p := debrepo.Package{Name: "tb-slow", Version: "1.1-1"}
	body := "touch /tmp/tb-slow-" + script + "\nif [ -e /tmp/tb-slow-wait ]; then sleep 60; fi"
	switch script {
	case "preinst":
		p.Preinst = body
	case "postinst":
		p.Postinst = body
	default:
		t.Fatalf("no maintainer script %q", script)
	}
	aptWithRepo(t, root, []debrepo.Package{{Name: "tb-slow", Version: "1.0-1"}, p}, "tb-slow=1.0-1")
	o, err := osdetect.DetectFS(os.DirFS(root.Dir))
	require.NoError(t, err)
	wait := filepath.Join(root.Dir, "tmp/tb-slow-wait")
	require.NoError(t, os.WriteFile(wait, nil, 0o644))
	killWhenStarted(t, filepath.Join(root.Dir, "tmp/tb-slow-"+script),
		"chroot", root.Dir, "apt-get", "-y", "-q", "install", "--only-upgrade", "tb-slow=1.1-1")
	require.NoError(t, os.Remove(wait))
	return o
}
