//go:build linux

package apt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/debrepo"
	"github.com/patchkit/patchkit/internal/groupwatch"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/run"
)

// upgradeTargets are the testbed's pending updates, each at an exact
// version: tb-multi to 1.2-1 from testbed-security although apt's
// candidate is 1.3-1 from testbed-updates.
func upgradeTargets(t testing.TB, inv []patchkit.Package) []plan.Target {
	return []plan.Target{
		target(t, inv, "tb-hello", "1.1-1"),
		target(t, inv, "tb-kernel", "1.1-1"),
		target(t, inv, "tb-lib", "1:2.0-2"),
		target(t, inv, "tb-multi", "1.2-1"),
	}
}

// checkUpgraded runs Plan and Apply of upgradeTargets on root and checks
// the plan, the outcome and the inventory afterwards.
func checkUpgraded(t *testing.T, root *testRoot, r interface {
	Plan([]plan.Target) (plan.Plan, error)
	Apply([]plan.Target) (plan.Outcome, error)
}) {
	t.Helper()
	before := root.inventory()
	targets := upgradeTargets(t, before)
	p, err := r.Plan(targets)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Actions {
		got = append(got, a.String())
	}
	want := []string{
		"upgrade tb-hello:all 1.0-1 -> 1.1-1",
		"upgrade tb-kernel:all 1.0-1 -> 1.1-1",
		"upgrade tb-lib:all 1:2.0-1 -> 1:2.0-2",
		"upgrade tb-multi:all 1.0-1 -> 1.2-1",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan actions\n got %q\nwant %q\n%s", got, want, p.Output)
	}
	if repo := p.Actions[1].Package.Repository; repo != "Testbed-Security:testbed-security" {
		t.Errorf("tb-kernel's origin %q", repo)
	}
	if p.InstalledSizeChange != 0 {
		t.Errorf("InstalledSizeChange %d, want 0 (no Installed-Size fields)", p.InstalledSizeChange)
	}
	if !strings.Contains(p.Command, " -s ") || !strings.Contains(p.Command, "--print-uris") || !strings.Contains(p.Output, "Inst tb-lib [1:2.0-1] (1:2.0-2") {
		t.Errorf("plan command/output:\n%s\n%s", p.Command, p.Output)
	}
	if after := root.inventory(); !slices.EqualFunc(before, after, samePackage) {
		t.Fatal("Plan changed the inventory")
	}

	out, err := r.Apply(targets)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.Output, out.Stderr)
	}
	if out.ExitCode != 0 || len(out.Failures) > 0 || strings.Contains(out.Command, "--download-only") {
		t.Fatalf("outcome %+v", out)
	}
	inv := root.inventory()
	for _, tg := range targets {
		p := root.pkg(inv, tg.Version.Name)
		if p.EVR() != tg.Version.EVR() || p.State != patchkit.StateInstalled {
			t.Errorf("%s is %s (%s) after Apply, want %s installed", p.Name, p.EVR(), p.State, tg.Version.EVR())
		}
		b, err := os.ReadFile(root.path("usr/share/testbed/" + p.Name + ".txt"))
		if err != nil || strings.TrimSpace(string(b)) != p.Name+" "+tg.Version.EVR() {
			t.Errorf("%s's file holds %q (%v)", p.Name, b, err)
		}
	}
	// the download size is the archives apt fetched, to the byte
	var size int64
	for _, a := range p.Actions {
		fi, err := os.Stat(root.path("var/cache/apt/archives/" + strings.ReplaceAll(a.Package.Name+"_"+a.Package.EVR()+"_all.deb", ":", "%3a")))
		if err != nil {
			t.Fatal(err)
		}
		size += fi.Size()
	}
	if p.DownloadSize != size {
		t.Errorf("DownloadSize %d, the archives fetched are %d bytes", p.DownloadSize, size)
	}
	// tb-kernel's postinst asks for a reboot, as kernel hooks do
	if _, err := os.Stat(root.path(root.rebootRequired())); err != nil {
		t.Errorf("tb-kernel's postinst did not run: %v", err)
	}
}

func samePackage(a, b patchkit.Package) bool {
	return a.Name == b.Name && a.Arch == b.Arch && a.EVR() == b.EVR() && a.State == b.State
}

// boundRunner binds a runner and options for checkUpgraded.
type boundRunner struct {
	plan func([]plan.Target) (plan.Plan, error)
	appl func([]plan.Target) (plan.Outcome, error)
}

func (b boundRunner) Plan(t []plan.Target) (plan.Plan, error)     { return b.plan(t) }
func (b boundRunner) Apply(t []plan.Target) (plan.Outcome, error) { return b.appl(t) }

// TestTestbedAptInstallPrivateRoot plans and applies the testbed's
// updates on a copy of its private apt root, then checks the inventory,
// the files, the reboot request of tb-kernel's postinst, and that nothing
// is left to repair.
func TestTestbedAptInstallPrivateRoot(t *testing.T) {
	t.Parallel()
	root := privateRoot(t)
	r := newRunner(t, "private-upgrade", "a copy of the testbed's private apt root (APT_CONFIG)")
	ctx := t.Context()
	checkUpgraded(t, root, boundRunner{
		plan: func(tg []plan.Target) (plan.Plan, error) { return Plan(ctx, r, tg, root.opts...) },
		appl: func(tg []plan.Target) (plan.Outcome, error) { return Apply(ctx, r, tg, root.opts...) },
	})
	if err := Check(ctx, root.fsys(), nil, root.opts...); err != nil {
		t.Fatal(err)
	}
	// again: nothing left to do, and apt says so
	inv := root.inventory()
	p, err := Plan(ctx, newRunner(t, "", ""), []plan.Target{target(t, inv, "tb-lib", "1:2.0-2")}, root.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Actions) != 0 || p.DownloadSize != 0 || p.InstalledSizeChange != 0 || !strings.Contains(p.Output, "tb-lib is already the newest version (1:2.0-2)") {
		t.Errorf("second plan: %+v", p)
	}
}

// TestTestbedAptInstallChroot does the same in a copy of the testbed's
// Debian chroot, where apt-get, dpkg and the maintainer scripts are the
// chroot's own (chroot(8)), then holds the chroot's dpkg lock (G1) and
// checks that apt, inside the chroot, names this process as the holder.
func TestTestbedAptInstallChroot(t *testing.T) {
	testutil.Slow(t, "installs every pending Debian upgrade in a copy of the chroot")
	t.Parallel()
	root := chrootRoot(t)
	ctx := t.Context()
	// every pending upgrade of the chroot, Debian's own (perl, libpam,
	// tzdata, ...) and the testbed's, planned at once: real Debian
	// names, versions and origins, and nothing downloaded
	all := pendingUpgrades(t, root)
	p, err := Plan(ctx, newRunner(t, "chroot-all-upgrades", "a copy of the testbed's Debian bookworm chroot (real pending bookworm-security updates), apt run through chroot(8)"), all, root.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Actions) < len(all) || p.DownloadSize <= 0 {
		t.Fatalf("plan of %d upgrades: %d actions, %d bytes\n%s", len(all), len(p.Actions), p.DownloadSize, p.Output)
	}
	for _, a := range p.Actions {
		if a.Kind != plan.Upgrade {
			t.Errorf("%v", a)
		}
	}
	t.Logf("%d upgrades, %d bytes to download, %d bytes more installed", len(p.Actions), p.DownloadSize, p.InstalledSizeChange)

	r := newRunner(t, "chroot-upgrade", "a copy of the testbed's Debian bookworm chroot, apt run through chroot(8)")
	checkUpgraded(t, root, boundRunner{
		plan: func(tg []plan.Target) (plan.Plan, error) { return Plan(ctx, r, tg, root.opts...) },
		appl: func(tg []plan.Target) (plan.Outcome, error) { return Apply(ctx, r, tg, root.opts...) },
	})
	if err := Check(ctx, root.fsys(), nil, root.opts...); err != nil {
		t.Fatal(err)
	}

	t.Run("locked", func(t *testing.T) {
		release := holdLock(t, root.path("var/lib/dpkg/lock-frontend"), root.path("var/lib/dpkg/lock"))
		defer release()
		inv := root.inventory()
		opts := append(slices.Clone(root.opts), LockTimeout(time.Second))
		start := time.Now()
		_, err := Apply(ctx, newRunner(t, "chroot-locked", "a copy of the testbed's Debian bookworm chroot (proc mounted) while this test process held its lock-frontend and lock (fcntl)"),
			[]plan.Target{target(t, inv, "tb-multi", "1.3-1")}, opts...)
		checkLocked(t, err, time.Since(start), time.Second, root.path("var/lib/dpkg/lock-frontend")) // the path from outside the chroot
	})
}

// checkLocked checks a *plan.LockedError naming this process, after a
// wait of at least bound.
func checkLocked(t *testing.T, err error, took, bound time.Duration, path string) {
	t.Helper()
	var le *plan.LockedError
	if !errors.As(err, &le) || !errors.Is(err, plan.ErrLocked) {
		t.Fatalf("want a *plan.LockedError, got %T %v", err, err)
	}
	if le.PID != os.Getpid() {
		t.Errorf("holder PID %d, want this process %d: %v", le.PID, os.Getpid(), le)
	}
	if path != "" && le.Path != path {
		t.Errorf("lock path %q, want %q", le.Path, path)
	}
	if took < bound || took > bound+10*time.Second {
		t.Errorf("returned after %v, the bound is %v", took, bound)
	}
	t.Logf("%v (after %v)", le, took.Round(time.Millisecond))
}

// repoRoot is a copy of the private apt root with a repository of pkgs
// added and the packages base (NAME=VERSION) installed.
func repoRoot(t *testing.T, pkgs []debrepo.Package, base ...string) (*testRoot, *debrepo.Repo) {
	t.Helper()
	root := privateRoot(t)
	repo := debrepo.Build(t, pkgs, debrepo.SignedGood)
	if out, err := root.AddRepo(t, repo, "test", false); err != nil {
		t.Fatalf("apt-get update: %v\n%s", err, out)
	}
	if len(base) > 0 {
		root.Install(t, base...)
	}
	return root, repo
}

// failingPackages: tb-fail 1.1-1's postinst exits 29 when configured
// (apt's own test-failing-maintainer-scripts uses 29 too).
// tb-badpre 1.1-1's preinst exits 3 before anything is unpacked.
var failingPackages = []debrepo.Package{
	{Name: "tb-fail", Version: "1.0-1"},
	{Name: "tb-fail", Version: "1.1-1", Postinst: `if [ "$1" = configure ]; then echo "tb-fail: failing on purpose" >&2; exit 29; fi`},
	{Name: "tb-badpre", Version: "1.0-1"},
	{Name: "tb-badpre", Version: "1.1-1", Preinst: `if [ "$1" = upgrade ]; then exit 3; fi`},
}

// TestTestbedAptInstallFailingScript (H5): one transaction upgrades
// tb-lib and tb-fail, whose new postinst exits 29. The outcome names
// tb-fail with dpkg's reason, tb-lib is upgraded all the same, tb-fail is
// left half-configured at the new version, which Check reports; Repair
// (asked for) runs the postinst again and reports it failing again.
func TestTestbedAptInstallFailingScript(t *testing.T) {
	t.Parallel()
	root, _ := repoRoot(t, failingPackages, "tb-fail=1.0-1", "tb-badpre=1.0-1")
	ctx := t.Context()
	r := newRunner(t, "private-failing-postinst", "a copy of the testbed's private apt root with a test repository whose tb-fail 1.1-1 postinst exits 29")
	inv := root.inventory()
	out, err := Apply(ctx, r, []plan.Target{target(t, inv, "tb-lib", "1:2.0-2"), target(t, inv, "tb-fail", "1.1-1")}, root.opts...)
	if ee := exitError(t, err); ee.Code != 100 {
		t.Errorf("apt-get exit %d, want 100", ee.Code)
	}
	want := []plan.Failure{{Name: "tb-fail", Reason: "installed tb-fail package post-installation script subprocess returned error exit status 29"}}
	if !slices.Equal(out.Failures, want) {
		t.Fatalf("failures %+v, want %+v\n%s", out.Failures, want, out.Stderr)
	}
	if out.ExitCode != 100 || !strings.Contains(out.Command, "install --only-upgrade -- tb-lib=1:2.0-2 tb-fail=1.1-1") {
		t.Errorf("outcome %+v", out)
	}
	inv = root.inventory()
	if p := root.pkg(inv, "tb-lib"); p.EVR() != "1:2.0-2" || p.State != patchkit.StateInstalled {
		t.Errorf("tb-lib %s %s", p.EVR(), p.State)
	}
	if p := root.pkg(inv, "tb-fail"); p.EVR() != "1.1-1" || p.State != patchkit.StateHalfConfigured {
		t.Errorf("tb-fail %s %s, want 1.1-1 half-configured", p.EVR(), p.State)
	}
	err = Check(ctx, root.fsys(), inv, root.opts...)
	var re *plan.RepairError
	if !errors.As(err, &re) || !errors.Is(err, plan.ErrNeedsRepair) || !slices.Equal(re.Packages, []string{"tb-fail:all 1.1-1 (half-configured)"}) {
		t.Fatalf("Check: %v", err)
	}
	rep, err := Repair(ctx, r, root.opts...)
	if ee := exitError(t, err); ee.Code != 1 {
		t.Errorf("dpkg --configure -a exit %d, want 1", ee.Code)
	}
	if !slices.Equal(rep.Failures, want) || !strings.Contains(rep.Command, "--configure -a") {
		t.Errorf("repair outcome %+v", rep)
	}

	// a preinst failing on upgrade: dpkg names the archive, and puts the
	// old version back
	out, err = Apply(ctx, newRunner(t, "private-failing-preinst", "a copy of the testbed's private apt root with a test repository whose tb-badpre 1.1-1 preinst exits 3 on upgrade"),
		[]plan.Target{target(t, inv, "tb-badpre", "1.1-1")}, root.opts...)
	exitError(t, err)
	want = []plan.Failure{{Name: "tb-badpre", Arch: "all", Reason: "new tb-badpre package pre-installation script subprocess returned error exit status 3"}}
	if !slices.Equal(out.Failures, want) {
		t.Fatalf("failures %+v, want %+v\n%s", out.Failures, want, out.Stderr)
	}
	if p := root.pkg(root.inventory(), "tb-badpre"); p.EVR() != "1.0-1" || p.State != patchkit.StateInstalled {
		t.Errorf("tb-badpre %s %s, want 1.0-1 installed", p.EVR(), p.State)
	}
}

// TestTestbedAptInstallLocked (G1): this test process holds dpkg's locks
// (fcntl, as apt does) on a copy of the private root. Apply waits up to
// LockTimeout (apt's DPkg::Lock::Timeout) and returns a *plan.LockedError
// naming this process; a lock on apt's archives directory, which apt
// itself does not wait for, is retried up to the bound and taken once it
// is free; dpkg --configure -a (Repair) waits the same way. No lock file
// is removed, and nothing is installed while a lock is held.
func TestTestbedAptInstallLocked(t *testing.T) {
	t.Parallel()
	root := privateRoot(t)
	ctx := t.Context()
	inv := root.inventory()
	tg := []plan.Target{target(t, inv, "tb-lib", "1:2.0-2")}
	frontend, dpkgLock, archives := root.path("var/lib/dpkg/lock-frontend"), root.path("var/lib/dpkg/lock"), root.path("var/cache/apt/archives/lock")
	lockFiles := []string{frontend, dpkgLock, archives}

	t.Run("dpkg", func(t *testing.T) {
		release := holdLock(t, frontend, dpkgLock)
		defer release()
		start := time.Now()
		_, err := Apply(ctx, newRunner(t, "private-locked", "a copy of the testbed's private apt root while this test process held lock-frontend and lock (fcntl)"),
			tg, append(slices.Clone(root.opts), LockTimeout(2*time.Second))...)
		checkLocked(t, err, time.Since(start), 2*time.Second, frontend)

		start = time.Now()
		_, err = Repair(ctx, newRunner(t, "private-locked-repair", "dpkg --configure -a on a copy of the testbed's private apt root while this test process held lock-frontend and lock (fcntl)"),
			append(slices.Clone(root.opts), LockTimeout(1500*time.Millisecond))...)
		checkLocked(t, err, time.Since(start), 1500*time.Millisecond, "lock-frontend")
	})

	t.Run("archives", func(t *testing.T) {
		// apt fails at once on this lock; Apply retries up to the bound
		release := holdLock(t, archives)
		start := time.Now()
		_, err := Apply(ctx, newRunner(t, "", ""), tg, append(slices.Clone(root.opts), LockTimeout(1500*time.Millisecond))...)
		checkLocked(t, err, time.Since(start), 1500*time.Millisecond, filepath.Dir(archives)+"/lock")
		// freed while Apply waits: it goes on
		go func() { time.Sleep(1200 * time.Millisecond); release() }()
		start = time.Now()
		out, err := Apply(ctx, newRunner(t, "", ""), tg, append(slices.Clone(root.opts), LockTimeout(20*time.Second))...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out.Stderr)
		}
		if took := time.Since(start); took < time.Second {
			t.Errorf("Apply took %v; the lock was held 1.2 s", took)
		}
	})
	for _, f := range lockFiles {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("lock file: %v", err)
		}
	}
	if p := root.pkg(root.inventory(), "tb-lib"); p.EVR() != "1:2.0-2" {
		t.Errorf("tb-lib %s after the lock was freed", p.EVR())
	}
}

// slowPackages: tb-slow 1.1-1's preinst says it started (a file in the
// root's /tmp) and, while the root's /tmp/tb-slow-wait exists, sleeps, so
// that a test can act while dpkg is in the middle of the package.
func slowPackages(sleep string) []debrepo.Package {
	return []debrepo.Package{
		{Name: "tb-slow", Version: "1.0-1"},
		{Name: "tb-slow", Version: "1.1-1", Preinst: `touch "$DPKG_ROOT/tmp/tb-slow-preinst"
if [ -e "$DPKG_ROOT/tmp/tb-slow-wait" ]; then sleep ` + sleep + `; fi`},
	}
}

// TestTestbedAptInstallInterrupted (H1): the whole apt-get process group
// is killed (SIGKILL) while tb-slow's preinst runs, as a crash or an
// impatient timeout would. Check then reports dpkg's journal and tb-slow
// half-installed, and changes nothing; Apply refuses with the
// *plan.RepairError apt's "dpkg was interrupted" maps to; Repair, asked
// for, applies the journal; Apply then reinstalls tb-slow at the new
// version and Check is clean.
func TestTestbedAptInstallInterrupted(t *testing.T) {
	t.Parallel()
	root, _ := repoRoot(t, slowPackages("60"), "tb-slow=1.0-1")
	ctx := t.Context()
	writeFile(t, root.path("tmp/tb-slow-wait"), "")
	inv := root.inventory()
	tg := []plan.Target{target(t, inv, "tb-slow", "1.1-1")}
	done := make(chan error, 1)
	go func() {
		_, err := Apply(ctx, newRunner(t, "", ""), tg, root.opts...)
		done <- err
	}()
	waitFor(t, 20*time.Second, "tb-slow's preinst", func() bool {
		_, err := os.Stat(root.path("tmp/tb-slow-preinst"))
		return err == nil
	})
	pids := processesWithEnv(root.aptEnv())
	if len(pids) == 0 {
		t.Fatal("no process of the install found")
	}
	pgid, err := syscall.Getpgid(pids[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = <-done
	if ee := exitError(t, err); ee.Signal != "killed" {
		t.Fatalf("apt-get ended with %v, want killed", ee)
	}

	status := func() []byte {
		b, err := os.ReadFile(root.path("var/lib/dpkg/status"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := status()
	err = Check(ctx, root.fsys(), nil, root.opts...)
	var re *plan.RepairError
	if !errors.As(err, &re) {
		t.Fatalf("Check: %v", err)
	}
	if len(re.Packages) != 2 || !strings.Contains(re.Packages[0], "entries of dpkg's journal in var/lib/dpkg/updates") ||
		re.Packages[1] != "tb-slow:all 1.0-1 (half-installed)" || !strings.Contains(re.Repair, "dpkg --configure -a") {
		t.Fatalf("Check: %v", err)
	}
	t.Log(err)
	if !slices.Equal(before, status()) {
		t.Fatal("Check changed dpkg's status file")
	}
	if ents, _ := journalEntries(root.fsys(), "var/lib/dpkg"); len(ents) == 0 {
		t.Fatal("Check emptied the journal")
	}

	os.Remove(root.path("tmp/tb-slow-wait"))
	rec := newRunner(t, "private-interrupted", "a copy of the testbed's private apt root after an apt-get install was killed (SIGKILL to its process group) during tb-slow's preinst")
	_, err = Apply(ctx, rec, tg, root.opts...)
	if !errors.As(err, &re) || !errors.Is(err, plan.ErrNeedsRepair) {
		t.Fatalf("Apply after the kill: %v", err)
	}
	out, err := Repair(ctx, rec, root.opts...)
	if err != nil || out.ExitCode != 0 || len(out.Failures) > 0 {
		t.Fatalf("Repair: %v %+v", err, out)
	}
	if ents, _ := journalEntries(root.fsys(), "var/lib/dpkg"); len(ents) != 0 {
		t.Fatalf("journal after Repair: %v", ents)
	}
	// dpkg --configure -a cannot finish a half-installed package: Check
	// still says so, and installing it again does
	if err := Check(ctx, root.fsys(), nil, root.opts...); !errors.As(err, &re) || !slices.Equal(re.Packages, []string{"tb-slow:all 1.0-1 (half-installed)"}) {
		t.Fatalf("Check after Repair: %v", err)
	}
	if out, err := Apply(ctx, rec, tg, root.opts...); err != nil {
		t.Fatalf("%v\n%s", err, out.Stderr)
	}
	if err := Check(ctx, root.fsys(), nil, root.opts...); err != nil {
		t.Fatal(err)
	}
	if p := root.pkg(root.inventory(), "tb-slow"); p.EVR() != "1.1-1" || p.State != patchkit.StateInstalled {
		t.Errorf("tb-slow %s %s", p.EVR(), p.State)
	}
}

// TestTestbedAptInstallCancel (H3). Cancelled during the download: Apply
// returns ctx's error within the runner's wait delay, no process of the
// install is left, not one of the process group of the cancelled apt-get
// (read from /proc right before the cancel), and nothing is installed.
// Twice: with the repository's server holding every .deb request (apt-get
// and its http methods in the group; the methods end by themselves once
// apt-get is gone, so this case alone cannot tell a signal to the group
// from one to apt-get), and with the http method waiting for a slow
// Acquire::http::Proxy-Auto-Detect program (the method, the program and
// its sleep in the group; the method reads the program's answer, not
// apt-get, and stays until it is signalled itself). Cancelled during the
// commit (tb-slow's preinst sleeping): dpkg is not signalled, the install
// completes and Apply returns its outcome.
func TestTestbedAptInstallCancel(t *testing.T) {
	t.Parallel()
	// cancelDownload runs Apply on root, waits for started to say the
	// download has begun, cancels, and checks the outcome. started
	// returns what it saw of the group of the command running then.
	cancelDownload := func(t *testing.T, root *testRoot, started func(w *groupwatch.Watch, done <-chan error) (int, []string)) {
		inv := root.inventory()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		w := groupwatch.New(newRunner(t, "", ""))
		done := make(chan error, 1)
		go func() {
			_, err := Apply(ctx, w, []plan.Target{target(t, inv, "tb-slow", "1.1-1"), target(t, inv, "tb-lib", "1:2.0-2")}, root.opts...)
			done <- err
		}()
		pgid, before := started(w, done)
		if len(before) < 2 {
			t.Fatalf("process group %d has no process besides apt-get before the cancel (%q): the check that the group is gone would have nothing to find", pgid, before)
		}
		cancel()
		start := time.Now()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Apply did not return 10 s after the cancel")
		}
		took := time.Since(start)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Apply: %v", err)
		}
		if took > 5*time.Second+time.Second {
			t.Errorf("Apply returned %v after the cancel; the wait delay is 5 s", took)
		}
		groupwatch.CheckGone(t, w.Cancelled(t), pgid, before, time.Second)
		if left := processesWithEnv(root.aptEnv()); len(left) > 0 {
			t.Errorf("processes of the install left: %v", left)
		}
		if after := root.inventory(); !slices.EqualFunc(inv, after, samePackage) {
			t.Error("the inventory changed")
		}
		t.Logf("returned %v after the cancel: %v", took.Round(time.Millisecond), err)
	}
	t.Run("download", func(t *testing.T) {
		t.Parallel()
		root, repo := repoRoot(t, slowPackages("2"), "tb-slow=1.0-1")
		repo.SlowDebs.Store(true)
		cancelDownload(t, root, func(w *groupwatch.Watch, done <-chan error) (int, []string) {
			select {
			case <-repo.DebRequested:
			case err := <-done:
				t.Fatalf("Apply ended before the download: %v", err)
			case <-time.After(20 * time.Second):
				t.Fatal("no download started")
			}
			return w.Group(t)
		})
	})
	t.Run("download-proxy-detect", func(t *testing.T) {
		t.Parallel()
		root, _ := repoRoot(t, slowPackages("2"), "tb-slow=1.0-1")
		// after apt-get update: only Apply's download meets the program.
		// A detection that takes long, as auto-apt-proxy's probes of
		// unreachable hosts do. The http method runs it as _apt: the
		// clone's directories are world-readable.
		detect := root.path("tmp/tb-proxy-detect")
		writeFile(t, detect, "#!/bin/sh\nsleep 30\necho DIRECT\n")
		if err := os.Chmod(detect, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, root.path("etc/apt/apt.conf.d/90tb-proxy-detect"), fmt.Sprintf("Acquire::http::Proxy-Auto-Detect %q;\n", detect))
		cancelDownload(t, root, func(w *groupwatch.Watch, done <-chan error) (int, []string) {
			return w.WaitMember(t, 20*time.Second, "sleep", done)
		})
	})
	t.Run("commit", func(t *testing.T) {
		t.Parallel()
		root, _ := repoRoot(t, slowPackages("2"), "tb-slow=1.0-1")
		writeFile(t, root.path("tmp/tb-slow-wait"), "")
		inv := root.inventory()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		type res struct {
			out plan.Outcome
			err error
		}
		done := make(chan res, 1)
		go func() {
			out, err := Apply(ctx, newRunner(t, "", ""), []plan.Target{target(t, inv, "tb-slow", "1.1-1")}, root.opts...)
			done <- res{out, err}
		}()
		waitFor(t, 20*time.Second, "tb-slow's preinst", func() bool {
			_, err := os.Stat(root.path("tmp/tb-slow-preinst"))
			return err == nil
		})
		cancel()
		got := <-done
		if got.err != nil || got.out.ExitCode != 0 {
			t.Fatalf("Apply: %v %+v", got.err, got.out)
		}
		if p := root.pkg(root.inventory(), "tb-slow"); p.EVR() != "1.1-1" || p.State != patchkit.StateInstalled {
			t.Errorf("tb-slow %s %s", p.EVR(), p.State)
		}
		if err := Check(t.Context(), root.fsys(), nil, root.opts...); err != nil {
			t.Error(err)
		}
	})
}

// evilPackage is a newer tb-slow that ships a file of its own: the file's
// absence shows nothing of the package was extracted.
var evilPackage = debrepo.Package{Name: "tb-slow", Version: "9.0-1", Files: map[string][]byte{"usr/share/testbed/tb-evil.txt": []byte("extracted\n")}}

// TestTestbedAptInstallUntrusted (H6): packages apt cannot authenticate
// are refused and nothing of them is extracted. An unsigned repository:
// apt-get update refuses it; accepted anyway with
// --allow-insecure-repositories (an administrator's doing), Apply is
// refused by apt because it never passes --allow-unauthenticated, and only
// the explicit AllowUnauthenticated opt-in installs it. A repository
// signed by a key the sources do not trust: apt-get update refuses it, and
// the version is unknown to Plan and Apply. An archive replaced after the
// (signed) index was fetched: the download fails on its checksum and the
// outcome names the package.
func TestTestbedAptInstallUntrusted(t *testing.T) {
	t.Parallel()
	const evil = "usr/share/testbed/tb-evil.txt"
	t.Run("unsigned", func(t *testing.T) {
		t.Parallel()
		root, _ := repoRoot(t, slowPackages("0"), "tb-slow=1.0-1")
		bad := debrepo.Build(t, []debrepo.Package{evilPackage}, debrepo.SignedNone)
		if out, err := root.AddRepo(t, bad, "unsigned", false); err == nil || !strings.Contains(out, "is not signed") {
			t.Fatalf("apt-get update accepted an unsigned repository: %v\n%s", err, out)
		}
		if out, err := root.AddRepo(t, bad, "unsigned", true); err != nil {
			t.Fatalf("apt-get update --allow-insecure-repositories: %v\n%s", err, out)
		}
		inv := root.inventory()
		tg := []plan.Target{target(t, inv, "tb-slow", "9.0-1")}
		out, err := Apply(t.Context(), newRunner(t, "private-unauthenticated", "a copy of the testbed's private apt root with an unsigned repository that apt-get update was told to accept (--allow-insecure-repositories)"), tg, root.opts...)
		if err == nil || !strings.Contains(out.Stderr, "There were unauthenticated packages and -y was used without --allow-unauthenticated") {
			t.Fatalf("Apply of an unauthenticated package: %v\n%s", err, out.Stderr)
		}
		if !strings.Contains(out.Command, "--download-only") {
			t.Errorf("refused in %q, want the download phase", out.Command)
		}
		if _, err := os.Stat(root.path(evil)); err == nil {
			t.Fatal("the unauthenticated package was extracted")
		}
		if p := root.pkg(root.inventory(), "tb-slow"); p.EVR() != "1.0-1" {
			t.Fatalf("tb-slow %s", p.EVR())
		}
		// the refusal is the missing flag: with the opt-in apt installs it
		opts := append(slices.Clone(root.opts), AllowUnauthenticated())
		if out, err := Apply(t.Context(), newRunner(t, "", "", "--allow-unauthenticated"), tg, opts...); err != nil {
			t.Fatalf("with AllowUnauthenticated: %v\n%s", err, out.Stderr)
		}
		if _, err := os.Stat(root.path(evil)); err != nil {
			t.Fatal("AllowUnauthenticated did not install the package")
		}
	})
	t.Run("wrong-key", func(t *testing.T) {
		t.Parallel()
		root, _ := repoRoot(t, slowPackages("0"), "tb-slow=1.0-1")
		bad := debrepo.Build(t, []debrepo.Package{evilPackage}, debrepo.SignedWrongKey)
		if out, err := root.AddRepo(t, bad, "badsig", false); err == nil || !strings.Contains(out, "NO_PUBKEY") {
			t.Fatalf("apt-get update accepted a repository signed by an untrusted key: %v\n%s", err, out)
		}
		inv := root.inventory()
		tg := []plan.Target{target(t, inv, "tb-slow", "9.0-1")}
		r := newRunner(t, "", "")
		if _, err := Plan(t.Context(), r, tg, root.opts...); err == nil || !strings.Contains(err.Error(), "Version '9.0-1' for 'tb-slow' was not found") {
			t.Fatalf("Plan: %v", err)
		}
		if _, err := Apply(t.Context(), r, tg, root.opts...); err == nil {
			t.Fatal("Apply installed a version from a repository with a bad signature")
		}
		if _, err := os.Stat(root.path(evil)); err == nil {
			t.Fatal("the package was extracted")
		}
	})
	t.Run("tampered", func(t *testing.T) {
		t.Parallel()
		root, repo := repoRoot(t, append(slowPackages("0"), debrepo.Package{Name: "tb-slow", Version: "1.2-1"}), "tb-slow=1.0-1")
		// the signed index lists 1.2-1; the archive served is another
		debrepo.BuildDeb(t, t.TempDir(), debrepo.Package{Name: "tb-slow", Version: "1.2-1", Files: evilPackage.Files}, filepath.Join(repo.Dir, "pool", "tb-slow_1.2-1_all.deb"))
		inv := root.inventory()
		out, err := Apply(t.Context(), newRunner(t, "private-tampered", "a copy of the testbed's private apt root; the archive of tb-slow 1.2-1 replaced on the server after the signed index was fetched"),
			[]plan.Target{target(t, inv, "tb-slow", "1.2-1")}, root.opts...)
		exitError(t, err)
		if len(out.Failures) != 1 || out.Failures[0].Name != "tb-slow" || !strings.HasPrefix(out.Failures[0].Reason, "download failed: ") {
			t.Fatalf("failures %+v\n%s", out.Failures, out.Stderr)
		}
		t.Log(out.Failures[0].Reason)
		if _, err := os.Stat(root.path(evil)); err == nil {
			t.Fatal("the tampered package was extracted")
		}
		if p := root.pkg(root.inventory(), "tb-slow"); p.EVR() != "1.0-1" {
			t.Fatalf("tb-slow %s", p.EVR())
		}
	})
}

// TestTestbedAptInstallPlanChanges (F3, F4): plans that do more than
// upgrade the targets are parsed as apt makes them, and apt refuses to
// carry out a removal or a downgrade unless the caller opted in by name.
// tb-dep 1.1-1 depends on tb-newdep, not installed: the plan installs it.
// tb-conf 1.1-1 conflicts with tb-tool: the plan removes tb-tool, and
// Apply (--no-remove) is refused with nothing changed, while AllowRemovals
// lets it through. A target older than the installed version is a
// downgrade, refused without AllowDowngrades.
func TestTestbedAptInstallPlanChanges(t *testing.T) {
	t.Parallel()
	root, _ := repoRoot(t, []debrepo.Package{
		{Name: "tb-dep", Version: "1.0-1"},
		{Name: "tb-dep", Version: "1.1-1", Control: []string{"Depends: tb-newdep (>= 1.0)"}},
		{Name: "tb-newdep", Version: "1.0-1"},
		{Name: "tb-conf", Version: "1.0-1"},
		{Name: "tb-conf", Version: "1.1-1", Control: []string{"Conflicts: tb-tool"}},
		{Name: "tb-down", Version: "1.0-1"},
		{Name: "tb-down", Version: "2.0-1"},
	}, "tb-dep=1.0-1", "tb-conf=1.0-1", "tb-down=2.0-1")
	ctx := t.Context()
	actions := func(p plan.Plan) []string {
		var s []string
		for _, a := range p.Actions {
			s = append(s, a.String())
		}
		return s
	}
	inv := root.inventory()

	p, err := Plan(ctx, newRunner(t, "private-new-dependency", "a copy of the testbed's private apt root with a test repository whose tb-dep 1.1-1 depends on the new package tb-newdep"),
		[]plan.Target{target(t, inv, "tb-dep", "1.1-1")}, root.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(p), []string{"install tb-newdep:all 1.0-1", "upgrade tb-dep:all 1.0-1 -> 1.1-1"}; !slices.Equal(got, want) {
		t.Errorf("plan %q, want %q", got, want)
	}

	rec := newRunner(t, "private-removal", "a copy of the testbed's private apt root with a test repository whose tb-conf 1.1-1 conflicts with the installed tb-tool")
	tg := []plan.Target{target(t, inv, "tb-conf", "1.1-1")}
	p, err = Plan(ctx, rec, tg, root.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(p), []string{"remove tb-tool 3.0-1 -> 3.0-1", "upgrade tb-conf:all 1.0-1 -> 1.1-1"}; !slices.Equal(got, want) {
		t.Errorf("plan %q, want %q", got, want)
	}
	out, err := Apply(ctx, rec, tg, root.opts...)
	if err == nil || !strings.Contains(out.Stderr, "Packages need to be removed but remove is disabled.") {
		t.Fatalf("Apply removed a package: %v\n%s", err, out.Stderr)
	}
	if after := root.inventory(); !slices.EqualFunc(inv, after, samePackage) {
		t.Fatal("the refused Apply changed the inventory")
	}
	if _, err := Apply(ctx, newRunner(t, "", "", "removals"), tg, append(slices.Clone(root.opts), AllowRemovals())...); err != nil {
		t.Fatalf("with AllowRemovals: %v", err)
	}
	for _, p := range root.inventory() {
		if p.Name == "tb-tool" {
			t.Errorf("tb-tool still installed (%s) after AllowRemovals", p.State)
		}
	}

	rec = newRunner(t, "private-downgrade", "a copy of the testbed's private apt root with tb-down 2.0-1 installed and 1.0-1 asked for")
	tg = []plan.Target{target(t, inv, "tb-down", "1.0-1")}
	p, err = Plan(ctx, rec, tg, root.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(p), []string{"downgrade tb-down:all 2.0-1 -> 1.0-1"}; !slices.Equal(got, want) {
		t.Errorf("plan %q, want %q", got, want)
	}
	out, err = Apply(ctx, rec, tg, root.opts...)
	if err == nil || !strings.Contains(out.Stderr, "Packages were downgraded and -y was used without --allow-downgrades") {
		t.Fatalf("Apply downgraded: %v\n%s", err, out.Stderr)
	}
	if p := root.pkg(root.inventory(), "tb-down"); p.EVR() != "2.0-1" {
		t.Fatalf("tb-down %s", p.EVR())
	}
	if _, err := Apply(ctx, newRunner(t, "", "", "--allow-downgrades"), tg, append(slices.Clone(root.opts), AllowDowngrades())...); err != nil {
		t.Fatalf("with AllowDowngrades: %v", err)
	}
	if p := root.pkg(root.inventory(), "tb-down"); p.EVR() != "1.0-1" {
		t.Fatalf("tb-down %s after AllowDowngrades", p.EVR())
	}
}

// TestTestbedAptInstallSizes (H4): the plan's sizes, for a core that
// compares them with free space. tb-big 1.1-1 ships 150 kB of random
// bytes (which xz cannot shrink) and declares 20000 KiB more installed
// size: DownloadSize is the archive's size to the byte and agrees with
// apt's "Need to get ... kB"; InstalledSizeChange is apt's "After this
// operation, 20.5 MB of additional disk space will be used", and a
// smaller new version frees space (negative).
func TestTestbedAptInstallSizes(t *testing.T) {
	t.Parallel()
	root, repo := repoRoot(t, []debrepo.Package{
		{Name: "tb-big", Version: "1.0-1", Control: []string{"Installed-Size: 100"}},
		{Name: "tb-big", Version: "1.1-1", Control: []string{"Installed-Size: 20100"}, Files: map[string][]byte{"usr/share/testbed/tb-big.bin": randomBytes(150_000)}},
		{Name: "tb-small", Version: "1.0-1", Control: []string{"Installed-Size: 5000"}},
		{Name: "tb-small", Version: "1.1-1", Control: []string{"Installed-Size: 1000"}},
	}, "tb-big=1.0-1", "tb-small=1.0-1")
	inv := root.inventory()
	p, err := Plan(t.Context(), newRunner(t, "private-sizes", "a copy of the testbed's private apt root with a test repository whose tb-big 1.1-1 holds 150 kB and declares 20000 KiB more Installed-Size"),
		[]plan.Target{target(t, inv, "tb-big", "1.1-1")}, root.opts...)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(repo.Dir, "pool", "tb-big_1.1-1_all.deb"))
	if err != nil {
		t.Fatal(err)
	}
	if p.DownloadSize != fi.Size() || !strings.Contains(p.Output, "Need to get 15") {
		t.Errorf("DownloadSize %d, the archive is %d bytes\n%s", p.DownloadSize, fi.Size(), p.Output)
	}
	if want := int64(20000 * 1024); p.InstalledSizeChange != 20_500_000 || !strings.Contains(p.Output, "After this operation, 20.5 MB of additional disk space will be used.") {
		t.Errorf("InstalledSizeChange %d (true change %d)\n%s", p.InstalledSizeChange, want, p.Output)
	}
	p, err = Plan(t.Context(), newRunner(t, "", ""), []plan.Target{target(t, inv, "tb-small", "1.1-1")}, root.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if p.InstalledSizeChange != -4_096_000 || !strings.Contains(p.Output, "After this operation, 4096 kB disk space will be freed.") {
		t.Errorf("InstalledSizeChange %d\n%s", p.InstalledSizeChange, p.Output)
	}
}

// TestTestbedAptInstallHostileNames (F1): targets whose name, architecture
// or version could be read by apt-get as an option, a file, a release, a
// pattern or shell syntax are refused before anything runs, on a real
// root: no command is run and the marker file an injected option would
// create is absent.
func TestTestbedAptInstallHostileNames(t *testing.T) {
	t.Parallel()
	root := privateRoot(t)
	marker := root.path("tmp/pwned")
	calls := 0
	inner := newRunner(t, "", "")
	r := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		calls++
		return inner.Run(ctx, c)
	})
	inv := root.inventory()
	good := target(t, inv, "tb-lib", "1:2.0-2")
	for _, tg := range hostileTargets(good, "touch "+marker) {
		if _, err := Plan(t.Context(), r, []plan.Target{good, tg}, root.opts...); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("Plan of %+v: %v", tg.Version, err)
		}
		if _, err := Apply(t.Context(), r, []plan.Target{tg}, root.opts...); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("Apply of %+v: %v", tg.Version, err)
		}
	}
	if calls != 0 {
		t.Errorf("%d commands ran", calls)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("an injected option ran")
	}
	if p := root.pkg(root.inventory(), "tb-lib"); p.EVR() != "1:2.0-1" {
		t.Fatalf("tb-lib %s", p.EVR())
	}
}
