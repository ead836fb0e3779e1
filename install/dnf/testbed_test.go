package dnf_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/groupwatch"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// actionStrings renders actions with their repository, one string each.
func actionStrings(as []plan.Action) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.String()+" @"+a.Package.Repository)
	}
	return out
}

// rpmSize is the installed size (rpm's SIZE tag) of a package file.
func rpmSize(t *testing.T, file string) int64 {
	t.Helper()
	out := testutil.Run(t, "", nil, "rpm", "-qp", "--nosignature", "--queryformat", "%{SIZE}", file)
	n, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatalf("rpm -qp %s: %q", file, out)
	}
	return n
}

func fileSize(t *testing.T, file string) int64 {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func inventoryOf(t testing.TB, root string) []patchkit.Package {
	t.Helper()
	_, pkgs, err := rpmdb.Read(context.Background(), os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func nevras(ps []patchkit.Package) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.NEVRA())
	}
	slices.Sort(out)
	return out
}

// testbedTargets are the testbed's pending updates, as targets for the
// installed packages of root.
func testbedTargets(t testing.TB, root string) []plan.Target {
	t.Helper()
	want := map[string][2]string{"tb-hello": {"1.1", "1"}, "tb-lib": {"2.0", "2"}, "kernel-tb": {"5.1", "1"}, "tb-multi": {"1.3", "1"}}
	var ts []plan.Target
	for _, p := range inventoryOf(t, root) {
		if v, ok := want[p.Name]; ok {
			n := patchkit.Package{Name: p.Name, Epoch: p.Epoch, Version: v[0], Release: v[1], Arch: p.Arch, Scheme: patchkit.RPM}
			ts = append(ts, plan.Target{Version: n, Installed: p, KBID: p.Name + "." + p.Arch})
		}
	}
	if len(ts) != len(want) {
		t.Fatalf("the testbed root lacks some of %v", want)
	}
	slices.SortFunc(ts, func(a, b plan.Target) int { return strings.Compare(a.Version.Name, b.Version.Name) })
	return ts
}

func rootOpts(root string, extra ...dnf.Option) []dnf.Option {
	return append([]dnf.Option{dnf.WithInstallRoot(root), dnf.WithReleasever("1")}, extra...)
}

// TestTestbedDnfInstall: the happy path on a copy of the testbed's dnf
// root. Plan lists the four upgrades with the versions they replace, and
// its sizes are the packages' own (the files the server holds, rpm's SIZE
// of each); Apply installs them in one transaction; the rpm database then
// holds exactly the target versions, and neither Check nor dnf finds a
// duplicate. A target that is already installed is not planned.
func TestTestbedDnfInstall(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	testutil.NeedTool(t, "rpm", "rpm")
	c := env.Clone(t)
	root := c.RPMRoot
	targets := testbedTargets(t, root)
	before := inventoryOf(t, root)
	g := newGuard(t, "upgrade")

	p, err := dnf.Plan(t.Context(), g, targets, rootOpts(root)...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"upgrade kernel-tb.noarch 0:5.0-1 -> 0:5.1-1 @tb-updates",
		"upgrade tb-hello.noarch 0:1.0-1 -> 0:1.1-1 @tb-updates",
		"upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2 @tb-updates",
		"upgrade tb-multi.noarch 0:1.0-1 -> 0:1.3-1 @tb-updates",
	}
	if got := actionStrings(p.Actions); !slices.Equal(got, want) {
		t.Fatalf("plan:\n%q\nwant\n%q\n%s", got, want, p.Output)
	}
	var dl, grow int64
	for _, f := range []string{"kernel-tb-5.1-1", "tb-hello-1.1-1", "tb-lib-2.0-2", "tb-multi-1.3-1"} {
		file := filepath.Join(env.Dir, "rpmrepo/updates", f+".noarch.rpm")
		dl += fileSize(t, file)
		grow += rpmSize(t, file)
	}
	for _, f := range []string{"kernel-tb-5.0-1", "tb-hello-1.0-1", "tb-lib-2.0-1", "tb-multi-1.0-1"} {
		grow -= rpmSize(t, filepath.Join(env.Dir, "rpmrepo/base", f+".noarch.rpm"))
	}
	if p.DownloadSize != dl || p.InstalledSizeChange != grow {
		t.Errorf("sizes: download %d, installed change %d; the packages say %d and %d", p.DownloadSize, p.InstalledSizeChange, dl, grow)
	}
	if !strings.Contains(p.Command, "--assumeno") || !strings.Contains(p.Output, "Transaction Summary") {
		t.Errorf("plan command %q, output %q", p.Command, p.Output)
	}
	if !slices.Equal(nevras(inventoryOf(t, root)), nevras(before)) {
		t.Fatal("Plan changed the rpm database")
	}

	out, err := dnf.Apply(t.Context(), g, targets, rootOpts(root)...)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.Output, out.Stderr)
	}
	if out.ExitCode != 0 || len(out.Failures) != 0 || !strings.Contains(out.Command, " -C ") {
		t.Errorf("outcome: exit %d, failures %v, command %s", out.ExitCode, out.Failures, out.Command)
	}
	got := map[string]string{}
	for _, p := range inventoryOf(t, root) {
		got[p.Name] += p.EVR() + " "
	}
	for _, tg := range targets {
		if got[tg.Version.Name] != tg.Version.EVR()+" " {
			t.Errorf("%s installed: %q, want %s", tg.Version.Name, got[tg.Version.Name], tg.Version.EVR())
		}
	}
	if err := dnf.Check(t.Context(), os.DirFS(root), inventoryOf(t, root)); err != nil {
		t.Error(err)
	}
	if err := dnf.CheckNative(t.Context(), g, rootOpts(root)...); err != nil {
		t.Error(err)
	}
	// The upgrade, then nothing: dnf says "Nothing to do".
	_, err = dnf.Plan(t.Context(), g, targets[:1], rootOpts(root, dnf.WithCacheOnly(true))...)
	if !errors.Is(err, dnf.ErrNotPlanned) {
		t.Errorf("planning an installed version: %v, want ErrNotPlanned", err)
	}
	// plan, size query, rpm's query, download, commit, check, plan
	cmds := g.commands()
	if len(cmds) != 7 {
		t.Fatalf("%d commands ran, want 7", len(cmds))
	}
	for i, c := range cmds {
		if c.Committing != (i == 4) {
			t.Errorf("command %d %s: committing %v", i, c.String(), c.Committing)
		}
	}
}

// TestTestbedDnfInstallLocked (G2): another process holds dnf's rpmdb lock
// (its pid file, flock'ed, with a live pid in it, as dnf holds it). Plan
// does not need that lock; Apply downloads, then waits for the lock up to
// the bound (dnf runs with exit_on_lock=True and is run again each second)
// and returns a *plan.LockedError naming the holder's pid and the lock
// file, which is still there, still naming the holder. With the metadata
// lock held, Plan waits and gives up the same way.
func TestTestbedDnfInstallLocked(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	c := env.Clone(t)
	root := c.RPMRoot
	targets := testbedTargets(t, root)[:1]
	lockFile := lockHolder(t, root)
	g := newGuard(t, "locked")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // dnf without exit_on_lock would wait for ever
	defer cancel()

	if _, err := dnf.Plan(ctx, g, targets, rootOpts(root)...); err != nil {
		t.Fatalf("Plan with the rpmdb lock held: %v", err)
	}
	const bound = 3 * time.Second
	start := time.Now()
	out, err := dnf.Apply(ctx, g, targets, rootOpts(root, dnf.WithLockWait(bound))...)
	took := time.Since(start)
	var le *plan.LockedError
	if !errors.As(err, &le) || !errors.Is(err, plan.ErrLocked) {
		t.Fatalf("Apply: %v (%T), want a *plan.LockedError\n%s", err, err, out.Stderr)
	}
	comm, _ := os.ReadFile("/proc/self/comm")
	if le.Tool != "dnf" || le.PID != os.Getpid() || le.Holder != strings.TrimSpace(string(comm)) || le.Path != lockFile || le.Waited == "" {
		t.Errorf("locked error %+v, want pid %d (%s) and %s", *le, os.Getpid(), comm, lockFile)
	}
	if took < bound || took > bound+30*time.Second {
		t.Errorf("Apply took %v with a lock wait of %v", took, bound)
	}
	if b, err := os.ReadFile(lockFile); err != nil || string(b) != strconv.Itoa(os.Getpid()) {
		t.Errorf("the lock file afterwards: %q, %v", b, err)
	}
	commits := 0
	for _, cmd := range g.commands() {
		if cmd.Committing {
			commits++
		}
	}
	if commits < 2 {
		t.Errorf("the commit ran %d times in %v; the lock is retried each second", commits, took)
	}
	if got := testbedTargets(t, root)[0].Installed; got.EVR() != targets[0].Installed.EVR() {
		t.Errorf("%s changed to %s while locked", got.Name, got.EVR())
	}
	t.Logf("Apply gave up after %v (bound %v) with %v", took, bound, err)

	// The metadata lock: Plan itself waits, then gives up.
	mp := filepath.Join(root, "var/cache/dnf/metadata_lock.pid")
	if err := os.WriteFile(mp, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = dnf.Plan(ctx, g, targets, rootOpts(root, dnf.WithLockWait(0))...)
	if !errors.As(err, &le) || le.PID != os.Getpid() || le.Path != mp {
		t.Fatalf("Plan with the metadata lock held: %v", err)
	}
}

// killGroup kills the process group of the dnf process working on root.
func killGroup(t *testing.T, root string) {
	t.Helper()
	for _, p := range processesIn(root) {
		pid, rest, _ := strings.Cut(p, ": ")
		if !strings.HasPrefix(rest, "/usr/bin/python3 /usr/bin/dnf ") && !strings.HasPrefix(rest, "/usr/bin/dnf ") {
			continue
		}
		n, _ := strconv.Atoi(pid)
		if err := killProcessGroup(n); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no dnf process works on %s: %q", root, processesIn(root))
}

// TestTestbedDnfInstallInterrupted (H1/H2): dnf is killed (with its whole
// process group) while tb-slow 1.1's %pre runs, after rpm installed tb-dep
// 1.1 and before it erased tb-dep 1.0. Check finds tb-dep installed twice
// and asks for repair; dnf's own check agrees; nothing is repaired until
// Repair is called, which leaves tb-dep 1.1 alone and Check content.
func TestTestbedDnfInstallInterrupted(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	g := newGuard(t, "interrupted")
	targets := []plan.Target{r.target(t, "tb-slow", "1.1", "1")}
	done := make(chan error, 1)
	go func() {
		_, err := dnf.Apply(context.Background(), g, targets, r.opts()...)
		done <- err
	}()
	r.waitFile(t, "tmp/tb-slow.pre.started", time.Minute)
	killGroup(t, r.root)
	err := <-done
	var ee *run.ExitError
	if !errors.As(err, &ee) || ee.Signal == "" {
		t.Fatalf("Apply of a killed dnf: %v, want an exit by a signal", err)
	}
	if got := r.versions(t, "tb-dep"); !slices.Equal(got, []string{"1.0-1", "1.1-1"}) {
		t.Fatalf("tb-dep after the kill: %v, want both versions", got)
	}
	err = dnf.Check(t.Context(), os.DirFS(r.root), r.installed(t), r.opts()...)
	var re *plan.RepairError
	if !errors.As(err, &re) || !errors.Is(err, plan.ErrNeedsRepair) {
		t.Fatalf("Check after the kill: %v, want a *plan.RepairError", err)
	}
	if want := []string{"tb-dep.noarch 0:1.0-1 0:1.1-1"}; !slices.Equal(re.Packages, want) || !strings.Contains(re.Repair, "--installroot="+r.root+" ") || !strings.HasSuffix(re.Repair, " remove --duplicates") {
		t.Errorf("repair error %+v, want %v", *re, want)
	}
	native := dnf.CheckNative(t.Context(), g, r.opts()...)
	var nre *plan.RepairError
	if !errors.As(native, &nre) || !slices.Equal(nre.Packages, re.Packages) || nre.Repair != re.Repair {
		t.Errorf("dnf check --duplicates: %v, Check: %v", native, err)
	}
	// nothing was repaired on the way
	if got := r.versions(t, "tb-dep"); len(got) != 2 {
		t.Fatalf("tb-dep changed before Repair: %v", got)
	}
	out, err := dnf.Repair(t.Context(), g, r.opts()...)
	if err != nil {
		t.Fatalf("Repair: %v\n%s\n%s", err, out.Output, out.Stderr)
	}
	if got := r.versions(t, "tb-dep"); !slices.Equal(got, []string{"1.1-1"}) {
		t.Errorf("tb-dep after Repair: %v", got)
	}
	if got := r.versions(t, "tb-slow"); !slices.Equal(got, []string{"1.0-1"}) {
		t.Errorf("tb-slow after Repair: %v", got)
	}
	if err := dnf.Check(t.Context(), os.DirFS(r.root), r.installed(t)); err != nil {
		t.Errorf("Check after Repair: %v", err)
	}
	// Repair again: dnf finds nothing to do, which is not an error.
	if out, err := dnf.Repair(t.Context(), g, r.opts()...); err != nil || out.ExitCode != 1 {
		t.Errorf("a second Repair: exit %d, %v", out.ExitCode, err)
	}
	if l := processesIn(r.root); len(l) > 0 {
		t.Errorf("processes left: %q", l)
	}
}

// TestTestbedDnfInstallCancel (H3). During the download (the server stalls
// in the middle of tb-dl 1.1) cancelling the context stops dnf: Apply
// returns the context's error within the runner's wait delay, no process
// of the root is left, none of the cancelled dnf's process group (read
// from /proc right before the cancel) is alive, nothing is installed.
// dnf downloads in its own process (librepo): while the download stalls
// the group holds dnf alone (its gpg children ran before), so this test
// cannot tell a signal to the group from one to dnf; scan/run's
// TestCancelStopsTheGroup does. During the commit (tb-slow 1.1's %pre
// waits) cancelling does not stop dnf: Apply returns only when the
// transaction is done, and tb-slow 1.1 is installed.
func TestTestbedDnfInstallCancel(t *testing.T) {
	t.Run("download", func(t *testing.T) {
		t.Parallel()
		r := newRoot(t)
		g := newGuard(t, "")
		w := groupwatch.New(g)
		const path = "/tb-dl-1.1-1.noarch.rpm"
		hits := r.f.hitCount(path)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := dnf.Apply(ctx, w, []plan.Target{r.target(t, "tb-dl", "1.1", "1")}, r.opts()...)
			done <- err
		}()
		deadline := time.Now().Add(time.Minute)
		for r.f.hitCount(path) == hits {
			if time.Now().After(deadline) {
				t.Fatal("dnf did not start downloading tb-dl 1.1")
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		pgid, before := w.Group(t)
		start := time.Now()
		cancel()
		err := <-done
		took := time.Since(start)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Apply cancelled while downloading: %v", err)
		}
		if took > 6*time.Second { // the guard's runner waits 5 s before SIGKILL
			t.Errorf("Apply returned %v after the cancellation", took)
		}
		if l := processesIn(r.root); len(l) > 0 {
			t.Errorf("processes left after the cancellation: %q", l)
		}
		groupwatch.CheckGone(t, w.Cancelled(t), pgid, before, time.Second)
		if got := r.versions(t, "tb-dl"); !slices.Equal(got, []string{"1.0-1"}) || r.exists("usr/share/tbx/tb-dl-1.1.txt") {
			t.Errorf("tb-dl after a cancelled download: %v", got)
		}
		for _, c := range g.commands() {
			if c.Committing {
				t.Errorf("the commit ran after the cancellation: %s", c.String())
			}
		}
		t.Logf("cancelled download: Apply returned %v after cancel", took)
	})
	t.Run("commit", func(t *testing.T) {
		t.Parallel()
		r := newRoot(t)
		g := newGuard(t, "")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := dnf.Apply(ctx, g, []plan.Target{r.target(t, "tb-slow", "1.1", "1")}, r.opts()...)
			done <- err
		}()
		r.waitFile(t, "tmp/tb-slow.pre.started", time.Minute)
		cancel()
		select {
		case err := <-done:
			t.Fatalf("Apply returned while rpm was in its transaction: %v", err)
		case <-time.After(700 * time.Millisecond):
		}
		r.touch(t, "tmp/tb-slow.pre.go")
		if err := <-done; err != nil {
			t.Fatalf("Apply cancelled in its commit: %v", err)
		}
		if got := r.versions(t, "tb-slow"); !slices.Equal(got, []string{"1.1-1"}) {
			t.Errorf("tb-slow after the commit: %v", got)
		}
	})
}

// TestTestbedDnfInstallScriptFails (H5): tb-fail 1.1's %post exits 29. dnf
// exits 0 and the package is installed; the Outcome names it with rpm's
// reason and its state. tb-prefail 1.1's %pre exits 7: rpm skips it, dnf
// exits 1 (the transaction failed), the Outcome says it is not installed,
// and the update beside it (tb-hello) is installed all the same.
func TestTestbedDnfInstallScriptFails(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	g := newGuard(t, "scriptlet")
	out, err := dnf.Apply(t.Context(), g, []plan.Target{r.target(t, "tb-fail", "1.1", "1")}, r.opts()...)
	if err != nil {
		t.Fatalf("Apply with a failing %%post: %v\n%s", err, out.Stderr)
	}
	want := []plan.Failure{{Name: "tb-fail", Arch: "noarch", Reason: "%post scriptlet failed, exit status 29; installed"}}
	if !slices.Equal(out.Failures, want) {
		t.Errorf("failures %+v, want %+v\n%s\n%s", out.Failures, want, out.Output, out.Stderr)
	}
	if got := r.versions(t, "tb-fail"); !slices.Equal(got, []string{"1.1-1"}) {
		t.Errorf("tb-fail: %v", got)
	}

	targets := []plan.Target{r.target(t, "tb-prefail", "1.1", "1"), r.target(t, "tb-hello", "1.1", "1")}
	out, err = dnf.Apply(t.Context(), g, targets, r.opts()...)
	var ee *run.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || out.ExitCode != 1 {
		t.Fatalf("Apply with a failing %%pre: %v, want exit 1", err)
	}
	want = []plan.Failure{{Name: "tb-prefail", Arch: "noarch", Reason: "%prein scriptlet failed, exit status 7; rpm: install failed; not installed"}}
	if !slices.Equal(out.Failures, want) {
		t.Errorf("failures %+v, want %+v\n%s\n%s", out.Failures, want, out.Output, out.Stderr)
	}
	if got := r.versions(t, "tb-prefail"); !slices.Equal(got, []string{"1.0-1"}) || r.exists("usr/share/tbx/tb-prefail-1.1.txt") {
		t.Errorf("tb-prefail: %v", got)
	}
	if got := r.versions(t, "tb-hello"); !slices.Equal(got, []string{"1.1-1"}) {
		t.Errorf("tb-hello: %v", got)
	}
}

// TestTestbedDnfInstallBadSignature (H6): tb-badsig 1.1 is signed with a
// key the root does not trust (the repository's gpgkey is key A). dnf
// refuses it in the download phase ("GPG check FAILED"), the commit never
// runs, and none of the new version's files exists.
func TestTestbedDnfInstallBadSignature(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	g := newGuard(t, "badsig")
	out, err := dnf.Apply(t.Context(), g, []plan.Target{r.target(t, "tb-badsig", "1.1", "1")}, r.opts()...)
	var ee *run.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("Apply of a package signed by another key: %v", err)
	}
	if len(out.Failures) != 1 || out.Failures[0].Name != "tb-badsig" ||
		!strings.HasPrefix(out.Failures[0].Reason, "GPG check FAILED: The GPG keys listed for the \"patchkit dnf install tests\" repository are already installed but they are not correct for this package.") ||
		!strings.HasSuffix(out.Failures[0].Reason, "; not installed: the transaction did not run") {
		t.Errorf("failures %+v\n%s", out.Failures, out.Stderr)
	}
	if r.exists("usr/share/tbx/tb-badsig-1.1.txt") || !r.exists("usr/share/tbx/tb-badsig-1.0.txt") {
		t.Error("tb-badsig 1.1's file was extracted, or 1.0's is gone")
	}
	if got := r.versions(t, "tb-badsig"); !slices.Equal(got, []string{"1.0-1"}) {
		t.Errorf("tb-badsig: %v", got)
	}
	for _, c := range g.commands() {
		if c.Committing {
			t.Errorf("the commit ran: %s", c.String())
		}
	}
}

// TestTestbedDnfInstallPlanNewDependency (F3, H4): tb-dep 1.1 requires
// tb-newdep, which is not installed. Plan shows the upgrade and the Install
// of tb-newdep (the core decides whether to allow it), with the exact
// sizes: the two files' sizes to download, and their installed sizes less
// the one tb-dep 1.0 frees. Nothing changes.
func TestTestbedDnfInstallPlanNewDependency(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	g := newGuard(t, "newdep")
	before := nevras(r.installed(t))
	p, err := dnf.Plan(t.Context(), g, []plan.Target{r.target(t, "tb-dep", "1.1", "1")}, r.opts()...)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Output)
	}
	want := []string{"upgrade tb-dep.noarch 0:1.0-1 -> 0:1.1-1 @tb-extra", "install tb-newdep.noarch 0:1.0-1 @tb-extra"}
	if got := actionStrings(p.Actions); !slices.Equal(got, want) {
		t.Errorf("plan %q, want %q", got, want)
	}
	dep, newdep, old := r.f.rpms["tb-dep-1.1-1"], r.f.rpms["tb-newdep-1.0-1"], r.f.rpms["tb-dep-1.0-1"]
	if dl := fileSize(t, dep) + fileSize(t, newdep); p.DownloadSize != dl {
		t.Errorf("download size %d, the files are %d bytes", p.DownloadSize, dl)
	}
	if grow := rpmSize(t, dep) + rpmSize(t, newdep) - rpmSize(t, old); p.InstalledSizeChange != grow {
		t.Errorf("installed size change %d, rpm says %d", p.InstalledSizeChange, grow)
	}
	if !slices.Equal(nevras(r.installed(t)), before) {
		t.Error("Plan changed the rpm database")
	}
}

// TestTestbedDnfInstallKernelsAndLongNames: a package name and a release
// wider than dnf's table columns, and an installonly package (kernel-tbx,
// in the root's installonlypkgs), planned and applied. The kernel is an
// Install beside 5.0 and both stay installed; Check, which reads the
// installonlypkgs of the root's dnf.conf, does not call them duplicates
// (without that line it does), and neither does dnf.
func TestTestbedDnfInstallKernelsAndLongNames(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	r.setConf(t, "installonlypkgs", "kernel-tbx")
	g := newGuard(t, "kernels")
	targets := []plan.Target{r.target(t, longName, "1.1", longRelease), r.target(t, "kernel-tbx", "5.1", "1"), r.target(t, "tb-lib", "2.0", "2")}
	p, err := dnf.Plan(t.Context(), g, targets, r.opts()...)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Output)
	}
	want := []string{
		"install kernel-tbx.noarch 0:5.1-1 @tb-extra",
		"upgrade " + longName + ".noarch 0:1.0-1 -> 0:1.1-" + longRelease + " @tb-extra",
		"upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2 @tb-updates",
	}
	if got := actionStrings(p.Actions); !slices.Equal(got, want) {
		t.Errorf("plan:\n%q\nwant\n%q\n%s", got, want, p.Output)
	}
	out, err := dnf.Apply(t.Context(), g, targets, r.opts()...)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.Output, out.Stderr)
	}
	if got := r.versions(t, "kernel-tbx"); !slices.Equal(got, []string{"5.0-1", "5.1-1"}) {
		t.Errorf("kernel-tbx: %v", got)
	}
	if got := r.versions(t, longName); !slices.Equal(got, []string{"1.1-" + longRelease}) {
		t.Errorf("%s: %v", longName, got)
	}
	inv := r.installed(t)
	if err := dnf.Check(t.Context(), os.DirFS(r.root), inv); err != nil {
		t.Errorf("Check with kernel-tbx installonly: %v", err)
	}
	if err := dnf.CheckNative(t.Context(), g, r.opts()...); err != nil {
		t.Errorf("dnf check: %v", err)
	}
	var re *plan.RepairError
	if err := dnf.Check(t.Context(), fstest.MapFS{}, inv); !errors.As(err, &re) || !slices.Equal(re.Packages, []string{"kernel-tbx.noarch 0:5.0-1 0:5.1-1"}) {
		t.Errorf("Check without the root's installonlypkgs: %v", err)
	}
	if err := dnf.Check(t.Context(), fstest.MapFS{}, inv, dnf.WithInstallOnly("kernel-tbx")); err != nil {
		t.Errorf("Check with WithInstallOnly: %v", err)
	}
	// With two kernels allowed, the third removes the oldest (as
	// Removing: in dnf's table).
	r.setConf(t, "installonly_limit", "2")
	p, err = dnf.Plan(t.Context(), g, []plan.Target{r.target(t, "kernel-tbx", "5.2", "1")}, r.opts(dnf.WithCacheOnly(true))...)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Output)
	}
	want = []string{"install kernel-tbx.noarch 0:5.2-1 @tb-extra", "remove kernel-tbx.noarch 0:5.0-1 @@tb-extra"}
	if got := actionStrings(p.Actions); !slices.Equal(got, want) {
		t.Errorf("plan with installonly_limit=2:\n%q\nwant\n%q\n%s", got, want, p.Output)
	}
	if want := fileSize(t, r.f.rpms["kernel-tbx-5.2-1"]); p.DownloadSize != want {
		t.Errorf("download size %d, want %d", p.DownloadSize, want)
	}
	if want := rpmSize(t, r.f.rpms["kernel-tbx-5.2-1"]) - rpmSize(t, r.f.rpms["kernel-tbx-5.0-1"]); p.InstalledSizeChange != want {
		t.Errorf("installed size change %d, want %d", p.InstalledSizeChange, want)
	}
}

// TestTestbedDnfInstallUnplanned: a target dnf cannot reach (a version no
// repository has) is dnf's error, and one dnf skips for a missing
// dependency is an *UnplannedError saying why.
func TestTestbedDnfInstallUnplanned(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	g := newGuard(t, "unplanned")
	_, err := dnf.Plan(t.Context(), g, []plan.Target{r.target(t, "tb-hello", "9.9", "1")}, r.opts()...)
	var ee *run.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(string(ee.Result.Stderr), "No packages marked for upgrade") {
		t.Errorf("planning a version no repository has: %v", err)
	}
	// without tb-newdep in any repository, tb-dep 1.1 cannot be installed
	if err := os.WriteFile(filepath.Join(r.root, "etc/dnf/dnf.conf"), []byte("[main]\ngpgcheck=True\ninstall_weak_deps=False\nexcludepkgs=tb-newdep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := dnf.Plan(t.Context(), g, []plan.Target{r.target(t, "tb-dep", "1.1", "1")}, r.opts(dnf.WithCacheOnly(true))...)
	if !errors.Is(err, dnf.ErrNotPlanned) || !strings.Contains(err.Error(), "skips it: skipping packages with broken dependencies") {
		t.Errorf("planning tb-dep without tb-newdep: %v\n%s", err, p.Output)
	}
}
