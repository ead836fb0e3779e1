//go:build linux

package install

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
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
	"github.com/patchkit/patchkit/internal/debrepo"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan"
)

// Rows of the fault matrix at the Install level that the family
// executors' own tests cover but no Install test did: a failing %post on
// dnf (H5), a root without room for the plan on apt and zypper (H4), and
// an update that brings in a package nobody asked for (F3), on apt, dnf
// and zypper. Each runs the whole install.Install on a copy of a testbed
// root.

// dnfAddRepo is zypperAddRepo for the dnf root of env: it adds the local
// repository dir as tb-local (unsigned packages and index, gpgcheck=0 in
// the .repo file, as an administrator's own repository may be) and
// builds dnf's cache of it, which the scans read.
func dnfAddRepo(t *testing.T, env testbed.Env, dir string) {
	t.Helper()
	dnf := testutil.NeedTool(t, "dnf", "dnf")
	require.NoError(t, os.WriteFile(filepath.Join(env.RPMRoot, "etc/yum.repos.d/tb-local.repo"),
		[]byte(fmt.Sprintf("[tb-local]\nname=patchkit local test packages\nbaseurl=file://%s\ngpgcheck=0\nmetadata_expire=0\n", dir)), 0o644))
	out, err := exec.CommandContext(t.Context(), dnf, append(env.DNFArgs(), "-q", "makecache", "--repo", "tb-local")...).CombinedOutput()
	require.NoError(t, err, "dnf makecache: %s", out)
}

// amazonApproving approves the named packages (every version, security or
// not) on Amazon Linux 2023 and nothing else.
func amazonApproving(names ...string) baseline.Baseline {
	return baseline.Baseline{OperatingSystem: patchkit.OSAmazonLinux2023, Name: "approve-by-name", ApprovedPatches: names,
		ApprovedPatchesEnableNonSecurity: true, ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{}}}
}

// TestTestbedDnfInstallFailingPostOperation (row H5 at the Install level,
// dnf's side): tb-fail 1.1's %post exits 29. dnf upgrades tb-fail and
// tb-lib in one transaction, rpm keeps tb-fail 1.1 installed, and dnf
// exits 0 ("Complete!"; zypper exits 107 for the same package): only its
// output tells of the failure (rpm's "warning: %post(...) scriptlet
// failed, exit status 29", dnf's "Error in POSTIN scriptlet" on standard
// error). Install returns no error and runs nothing again; the outcome
// names tb-fail with rpm's reason and its state "installed", and the
// report, following rpm's database, has tb-fail at 1.1 Installed like
// tb-lib (RebootIfNeeded: the node is rebooted), nothing Failed. The next
// Install has nothing to do: nothing is left to repair.
func TestTestbedDnfInstallFailingPostOperation(t *testing.T) {
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	root := env.RPMRoot
	rpms := buildRPMs(t, shellSpec, rpmSpec{name: "tb-fail", version: "1.0"},
		rpmSpec{name: "tb-fail", version: "1.1", post: "echo tb-fail post failing >&2\nexit 29"})
	rpmInstall(t, root, rpms["tb-sh-1.0"], rpms["tb-fail-1.0"])
	dnfAddRepo(t, env, rpmRepo(t, rpms["tb-fail-1.1"]))

	ctx := context.Background()
	rec := localRunner(t)
	reb := &recordingRebooter{}
	opts := []Option{At(time.Now().UTC()), WithRunner(rec), Root(root), WithOS(releaseOS(t, "amzn-2023")),
		WithBaseline(amazonApproving("tb-fail", "tb-lib")), WithRebooter(reb)}
	res, err := Install(ctx, os.DirFS(root), opts...)
	require.NoError(t, err)
	noWeakening(t, rec)
	var targets []string
	for _, tg := range res.Targets {
		targets = append(targets, tg.KBID+" "+tg.Version.EVR())
	}
	assert.ElementsMatch(t, []string{"tb-fail.noarch 0:1.1-1", "tb-lib.noarch 1:2.0-2"}, targets)
	require.Len(t, res.Outcomes, 1, "dnf's transaction succeeded: nothing is run again")
	out := res.Outcomes[0]
	assert.Contains(t, out.Command, " -C ", "the committing run")
	assert.Equal(t, 0, out.ExitCode, "dnf exits 0 when only a %post failed")
	assert.Contains(t, out.Stderr, "Error in POSTIN scriptlet in rpm package tb-fail")
	assert.Equal(t, []plan.Failure{{Name: "tb-fail", Arch: "noarch", Reason: "%post scriptlet failed, exit status 29; installed",
		State: patchkit.StateInstalled}}, out.Failures, "the outcome names the failure dnf's exit code does not show")
	require.NotNil(t, res.After)
	assert.Equal(t, []string{"1.1-1 installed"}, inventoryOf(t, *res.After, "tb-fail"), "rpm's database has the new version")
	st := states(res.Report)
	assert.Equal(t, compliance.Installed, st["tb-fail.noarch"])
	assert.Equal(t, compliance.Installed, st["tb-lib.noarch"])
	assert.Zero(t, res.Report.Summary.FailedCount)
	assert.Equal(t, 1, reb.n)
	assert.True(t, res.Rebooted)
	golden(t, "dnf-failing-post", res.Report)

	res, err = Install(ctx, os.DirFS(root), opts...)
	require.NoError(t, err, "nothing to repair: rpm finished the package")
	assert.Empty(t, res.Targets)
	assert.Equal(t, 1, reb.n)
}

// planOnly checks that every command the runner ran was a query or a
// simulation: apt-get -s or --print-uris, dnf --assumeno or repoquery,
// rpm -q, zypper --dry-run. Nothing ran that could change the root.
func planOnly(t *testing.T, rec *argvRecorder) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.NotEmpty(t, rec.argv)
	for _, argv := range rec.argv {
		prog := ""
		for _, a := range argv {
			if b := path.Base(a); b == "apt-get" || b == "dnf" || b == "rpm" || b == "zypper" {
				prog = b
				break
			}
		}
		var ok bool
		switch prog {
		case "apt-get":
			ok = slices.Contains(argv, "-s") || slices.Contains(argv, "--print-uris")
		case "dnf":
			ok = slices.Contains(argv, "--assumeno") || slices.Contains(argv, "repoquery")
		case "rpm":
			ok = slices.Contains(argv, "-q")
		case "zypper":
			ok = slices.Contains(argv, "--dry-run")
		}
		assert.True(t, ok, "a command that is no query or simulation ran: %q", argv)
	}
}

// newDepCase is one family's root for the F3 tests: tb-needy 1.0 is
// installed; its update 1.1, which the baseline approves, requires
// tb-newdep, which is not installed, and which the caller did not ask
// for.
type newDepCase struct {
	dir   string
	os    osdetect.OS
	opts  []Option
	needy string // tb-needy's KBID
	// newdep is the version of tb-newdep the plan installs, as the
	// package manager spells it; dbFile the package database's main file
	// (compared byte for byte when reading it leaves it alone).
	newdep, newVersion, dbFile string
}

// refusesNewDependency runs the F3 case on c: Install without
// AllowNewDependencies stops at the plan with a *plan.RefusedError naming
// tb-newdep, before the pre-install hook and before any command that could
// change the root, and the package database reads the same afterwards;
// with AllowNewDependencies the same Install installs tb-needy 1.1 and
// tb-newdep with it.
func refusesNewDependency(t *testing.T, c newDepCase) {
	t.Helper()
	ctx := context.Background()
	readInv := func() []patchkit.Package {
		inv, err := scan.ReadInventory(ctx, os.DirFS(c.dir), c.os)
		require.NoError(t, err)
		return inv.Packages
	}
	before := readInv()
	var db []byte
	if c.dbFile != "" {
		var err error
		db, err = os.ReadFile(filepath.Join(c.dir, c.dbFile))
		require.NoError(t, err)
	}
	var hooks []string
	rec := localRunner(t)
	reb := &recordingRebooter{}
	opts := append(c.opts[:len(c.opts):len(c.opts)], At(time.Now().UTC()), WithRunner(rec), WithRebooter(reb),
		WithHooks(Hooks{
			PreInstall: func(context.Context, plan.Plan) error { hooks = append(hooks, "pre"); return nil },
			OnExit:     func(context.Context, Result) error { hooks = append(hooks, "exit"); return nil },
		}))

	res, err := Install(ctx, os.DirFS(c.dir), opts...)
	require.ErrorIs(t, err, plan.ErrPlanRefused)
	var re *plan.RefusedError
	require.ErrorAs(t, err, &re)
	t.Log(err)
	assert.Equal(t, plan.Install, re.Action.Kind)
	assert.Equal(t, "tb-newdep", re.Action.Package.Name, "the error names the new package")
	assert.Equal(t, c.newVersion, re.Action.Package.EVR())
	assert.Contains(t, re.Reason, "not asked for")
	assert.Contains(t, err.Error(), "tb-newdep")
	require.Len(t, res.Targets, 1)
	assert.Equal(t, c.needy, res.Targets[0].KBID)
	var planned []string
	for _, a := range res.Plan.Actions {
		planned = append(planned, a.String())
	}
	assert.Contains(t, planned, c.newdep, "the package manager's own plan brings it in")
	assert.Empty(t, res.Outcomes, "nothing was installed")
	assert.Nil(t, res.After)
	assert.Equal(t, []string{"exit"}, hooks, "stopped before the pre-install hook")
	assert.Zero(t, reb.n)
	assert.Equal(t, compliance.Missing, states(res.Report)[c.needy], "the scan's report: the update is still missing")
	planOnly(t, rec)
	assert.Equal(t, before, readInv(), "the package database is unchanged")
	if db != nil {
		now, err := os.ReadFile(filepath.Join(c.dir, c.dbFile))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(db, now), "%s changed", c.dbFile)
	}

	// Asked for: the same Install brings tb-newdep in.
	hooks = nil
	res, err = Install(ctx, os.DirFS(c.dir), append(opts, AllowNewDependencies())...)
	require.NoError(t, err)
	noWeakening(t, rec)
	assert.Equal(t, []string{"pre", "exit"}, hooks)
	require.NotEmpty(t, res.Outcomes)
	assert.Empty(t, res.Outcomes[0].Failures)
	require.NotNil(t, res.After)
	assert.Equal(t, []string{"1.1-1 installed"}, inventoryOf(t, *res.After, "tb-needy"))
	assert.Equal(t, []string{"1.0-1 installed"}, inventoryOf(t, *res.After, "tb-newdep"))
	st := states(res.Report)
	assert.Equal(t, compliance.Installed, st[c.needy])
	assert.Equal(t, compliance.InstalledOther, st[strings.Replace(c.needy, "tb-needy", "tb-newdep", 1)], "installed, not approved")
	assert.Equal(t, 1, reb.n, "RebootIfNeeded")
}

// TestTestbedAptInstallRefusesNewDependency (row F3 at the Install level,
// apt in a copy of the chroot): tb-needy 1.1-1 Depends: tb-newdep. Without
// AllowNewDependencies Install refuses apt's plan ("Inst tb-newdep")
// naming tb-newdep, and dpkg's status file is the same bytes afterwards;
// with it, apt installs tb-newdep and tb-needy 1.1-1.
func TestTestbedAptInstallRefusesNewDependency(t *testing.T) {
	root, opts := aptChroot(t)
	t.Parallel()
	aptWithRepo(t, root, []debrepo.Package{
		{Name: "tb-needy", Version: "1.0-1"},
		{Name: "tb-needy", Version: "1.1-1", Control: []string{"Depends: tb-newdep"}},
		{Name: "tb-newdep", Version: "1.0-1"},
	}, "tb-needy=1.0-1")
	o, err := osdetect.DetectFS(os.DirFS(root.Dir))
	require.NoError(t, err)
	refusesNewDependency(t, newDepCase{dir: root.Dir, os: o, opts: append(opts, WithBaseline(debianApproving("tb-needy"))),
		needy: "tb-needy.all", newdep: "install tb-newdep:all 1.0-1", newVersion: "1.0-1", dbFile: "var/lib/dpkg/status"})
}

// TestTestbedDnfInstallRefusesNewDependency is the F3 case on dnf (a copy
// of the dnf root): tb-needy 1.1 Requires: tb-newdep, which dnf's plan
// (--assumeno) installs; refused without AllowNewDependencies, installed
// with it. The rpm database (sqlite, with its write-ahead log) is compared
// by what it holds: every package's version, state and install time.
func TestTestbedDnfInstallRefusesNewDependency(t *testing.T) {
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	rpms := buildRPMs(t, rpmSpec{name: "tb-needy", version: "1.0"},
		rpmSpec{name: "tb-needy", version: "1.1", requires: []string{"tb-newdep"}}, rpmSpec{name: "tb-newdep", version: "1.0"})
	rpmInstall(t, env.RPMRoot, rpms["tb-needy-1.0"])
	dnfAddRepo(t, env, rpmRepo(t, rpms["tb-needy-1.1"], rpms["tb-newdep-1.0"]))
	o := releaseOS(t, "amzn-2023")
	refusesNewDependency(t, newDepCase{dir: env.RPMRoot, os: o,
		opts:  []Option{Root(env.RPMRoot), WithOS(o), WithBaseline(amazonApproving("tb-needy"))},
		needy: "tb-needy.noarch", newdep: "install tb-newdep.noarch 0:1.0-1", newVersion: "0:1.0-1"})
}

// TestTestbedZypperInstallRefusesNewDependency is the F3 case on zypper (a
// copy of the zypper root), the same packages as the dnf case, planned
// with zypper install --dry-run.
func TestTestbedZypperInstallRefusesNewDependency(t *testing.T) {
	root, opts := zypperRoot(t)
	t.Parallel()
	rpms := buildRPMs(t, rpmSpec{name: "tb-needy", version: "1.0"},
		rpmSpec{name: "tb-needy", version: "1.1", requires: []string{"tb-newdep"}}, rpmSpec{name: "tb-newdep", version: "1.0"})
	rpmInstall(t, root, rpms["tb-needy-1.0"])
	zypperAddRepo(t, root, rpmRepo(t, rpms["tb-needy-1.1"], rpms["tb-newdep-1.0"]))
	refusesNewDependency(t, newDepCase{dir: root, os: releaseOS(t, "sles-15.6"),
		opts:  append(opts, WithBaseline(suseApproving("tb-needy-1.1-1.noarch.rpm"))),
		needy: "tb-needy.noarch", newdep: "install tb-newdep.noarch 0:1.0-1", newVersion: "0:1.0-1"})
}

// smallTmpfs mounts a tmpfs of size (mount's size=, "64m") at parent/small
// for the test and returns it.
func smallTmpfs(t *testing.T, parent, size string) string {
	t.Helper()
	mnt := filepath.Join(parent, "small")
	require.NoError(t, os.MkdirAll(mnt, 0o755))
	mustRun(t, "mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt)
	t.Cleanup(func() { mustRun(t, "umount", mnt) })
	return mnt
}

// fillLeaving fills the file system of mnt with one file until left
// bytes are free.
func fillLeaving(t *testing.T, mnt string, left int64) {
	t.Helper()
	var st syscallStatfs
	require.NoError(t, statfs(mnt, &st))
	require.Greater(t, st.free, left)
	require.NoError(t, os.WriteFile(filepath.Join(mnt, "filler"), make([]byte, st.free-left), 0o644))
	require.NoError(t, statfs(mnt, &st))
	t.Logf("%s: %d bytes free", mnt, st.free)
}

// bigPad is the size of tb-big 1.1's padding file (zeros: its archive
// stays small, its installed size does not), and diskFullLeft the free
// space the disk-full tests leave: room for the scans', the plan's and
// the package managers' logs and caches before the check (a margin the
// dnf test's 20 KiB once lacked), far less than the plan needs.
const (
	bigPad       = 1 << 20
	diskFullLeft = 256 << 10
)

// TestTestbedAptInstallDiskFull (row H4, apt): a copy of the chroot whose
// writes go to a 64 MiB tmpfs (an overlay mount of the testbed's chroot
// with its upper layer on the tmpfs: the copy's free space is the
// tmpfs's), filled until 256 KiB are free. The approved update tb-big
// 1.1-1 grows by 1 MiB (its Installed-Size). Install stops after the plan
// with plan.ErrInsufficientSpace naming the root and the sizes, before
// apt downloads anything, and dpkg's status file is unchanged.
func TestTestbedAptInstallDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs and an overlay needs root")
	}
	testutil.NeedTool(t, "chroot", "coreutils")
	env := testbed.NeedChroot(t)
	t.Parallel()
	parents := filepath.Join(env.Dir, "clones")
	require.NoError(t, os.MkdirAll(parents, 0o755))
	parent, err := os.MkdirTemp(parents, "diskfull-apt-")
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := os.RemoveAll(parent); err != nil {
			t.Error(err)
		}
	})
	require.NoError(t, os.Chmod(parent, 0o755))
	mnt := smallTmpfs(t, parent, "64m")
	upper, work, dir := filepath.Join(mnt, "upper"), filepath.Join(mnt, "work"), filepath.Join(parent, "root")
	for _, d := range []string{upper, work, dir} {
		require.NoError(t, os.Mkdir(d, 0o755))
	}
	mustRun(t, "mount", "-t", "overlay", "overlay", "-o", "lowerdir="+env.DebChroot+",upperdir="+upper+",workdir="+work, dir)
	t.Cleanup(func() { mustRun(t, "umount", dir) })
	mustRun(t, "mount", "-t", "proc", "proc", filepath.Join(dir, "proc"))
	t.Cleanup(func() { mustRun(t, "umount", filepath.Join(dir, "proc")) })
	root := debrepo.Root{Dir: dir}
	root.DropDebianArchive(t)
	// dpkg-deb 1.21 does not compute Installed-Size; the package declares
	// it as a Debian package built with dpkg-gencontrol would (KiB).
	aptWithRepo(t, root, []debrepo.Package{
		{Name: "tb-big", Version: "1.0-1"},
		{Name: "tb-big", Version: "1.1-1", Control: []string{"Installed-Size: 1028"},
			Files: map[string][]byte{"usr/share/testbed/tb-big.pad": make([]byte, bigPad)}},
	}, "tb-big=1.0-1")
	o, err := osdetect.DetectFS(os.DirFS(dir))
	require.NoError(t, err)
	status := filepath.Join(dir, "var/lib/dpkg/status")
	was, err := os.ReadFile(status)
	require.NoError(t, err)
	fillLeaving(t, mnt, diskFullLeft)

	rec := localRunner(t)
	res, err := Install(context.Background(), os.DirFS(dir), Root(dir), WithOS(o), WithArch("x86_64"), At(time.Now().UTC()),
		WithRunner(rec), WithRebooter(&recordingRebooter{}), WithBaseline(debianApproving("tb-big")))
	require.ErrorIs(t, err, plan.ErrInsufficientSpace)
	t.Log(err)
	assert.Contains(t, err.Error(), dir+"/")
	assert.GreaterOrEqual(t, res.Plan.InstalledSizeChange, int64(bigPad), "apt's own figure, from Installed-Size")
	assert.Empty(t, res.Outcomes, "nothing downloaded or installed")
	assert.Nil(t, res.After)
	planOnly(t, rec)
	now, err := os.ReadFile(status)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(was, now), "dpkg's status changed")
	debs, err := filepath.Glob(filepath.Join(dir, "var/cache/apt/archives/tb-big_1.1-1_*.deb"))
	require.NoError(t, err)
	assert.Empty(t, debs, "apt downloaded nothing")
}

// TestTestbedZypperInstallDiskFull (row H4, zypper): a copy of the zypper
// root on a 32 MiB tmpfs filled until 256 KiB are free; the approved
// update tb-big 1.1 grows by 1 MiB (zypper's space-usage-diff). Install
// stops after the plan with plan.ErrInsufficientSpace, before zypper
// downloads anything, and rpm's database holds the same packages.
func TestTestbedZypperInstallDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	src, opts := zypperRoot(t)
	t.Parallel()
	rpms := buildRPMs(t, rpmSpec{name: "tb-big", version: "1.0"}, rpmSpec{name: "tb-big", version: "1.1", pad: bigPad})
	rpmInstall(t, src, rpms["tb-big-1.0"])
	zypperAddRepo(t, src, rpmRepo(t, rpms["tb-big-1.1"]))
	mnt := smallTmpfs(t, filepath.Dir(src), "32m")
	root := filepath.Join(mnt, "root")
	mustRun(t, "cp", "-a", "--", src, root)
	o := releaseOS(t, "sles-15.6")
	before, err := scan.ReadInventory(context.Background(), os.DirFS(root), o)
	require.NoError(t, err)
	fillLeaving(t, mnt, diskFullLeft)

	rec := localRunner(t)
	res, err := Install(context.Background(), os.DirFS(root), append(opts, Root(root), At(time.Now().UTC()), WithRunner(rec),
		WithRebooter(&recordingRebooter{}), WithBaseline(suseApproving("tb-big-1.1-1.noarch.rpm")))...)
	require.ErrorIs(t, err, plan.ErrInsufficientSpace)
	t.Log(err)
	assert.Contains(t, err.Error(), root+"/")
	assert.Equal(t, int64(bigPad), res.Plan.InstalledSizeChange, "zypper's space-usage-diff")
	assert.Empty(t, res.Outcomes, "nothing downloaded or installed")
	assert.Nil(t, res.After)
	planOnly(t, rec)
	after, err := scan.ReadInventory(context.Background(), os.DirFS(root), o)
	require.NoError(t, err)
	assert.Equal(t, before.Packages, after.Packages, "nothing installed")
}
