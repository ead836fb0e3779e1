//go:build linux

package zypper

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/groupwatch"
	"github.com/patchkit/patchkit/scan/run"
	scanzypper "github.com/patchkit/patchkit/scan/zypper"
)

// TestTestbedZypperInstall is the happy path on a clone of the testbed's
// zypper root: the testbed's three updates, tb-lib (with an epoch) and
// tb-hello as packages and kernel-tb through its security patch
// TBSA-2026:0003, which suggests a reboot. The patch is refused until
// interactive patches are allowed; then Plan gives zypper's plan with its
// sizes, Apply installs exactly it, zypper exits 102 (reboot needed), and
// the rpm database holds the new versions.
func TestTestbedZypperInstall(t *testing.T) {
	t.Parallel()
	z := newRoot(t, nil)
	g, _ := runners(t, "happy", 30*time.Second)
	ctx := t.Context()
	kernel := z.target(t, "kernel-tb", "5.1", "1")
	kernel.Advisory = "TBSA-2026:0003"
	targets := []plan.Target{z.target(t, "tb-lib", "2.0", "2"), z.target(t, "tb-hello", "1.1", "1"), kernel}

	_, err := Plan(ctx, g, targets, WithRoot(z.root))
	var ie *InteractivePatchError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInteractive) || !errors.Is(err, plan.ErrPlanRefused) {
		t.Fatalf("Plan of an interactive patch without AllowInteractivePatches: %v", err)
	}
	if !slices.Equal(ie.Patches, []string{"TBSA-2026:0003"}) || ie.Why[0] != "reboot suggested, interactive" {
		t.Errorf("refused %v because %v", ie.Patches, ie.Why)
	}
	if n := len(g.commands()); n != 1 {
		t.Errorf("%d commands ran before the refusal, want only list-patches", n)
	}
	opts := []Option{WithRoot(z.root), AllowInteractivePatches()}
	p, err := Plan(ctx, g, targets, opts...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"upgrade kernel-tb.noarch 0:5.0-1 -> 0:5.1-1",
		"upgrade tb-hello.noarch 0:1.0-1 -> 0:1.1-1",
		"upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2",
	}
	if got := actionStrings(p.Actions); !slices.Equal(got, want) {
		t.Errorf("plan actions\n got %q\nwant %q", got, want)
	}
	upd := filepath.Join(z.env.Dir, "rpmrepo", "updates")
	dl := fileSize(t, filepath.Join(upd, "kernel-tb-5.1-1.noarch.rpm")) + fileSize(t, filepath.Join(upd, "tb-hello-1.1-1.noarch.rpm")) +
		fileSize(t, filepath.Join(upd, "tb-lib-2.0-2.noarch.rpm"))
	if p.DownloadSize != dl || p.InstalledSizeChange != 0 {
		t.Errorf("sizes: download %d (want %d, the three rpm files), installed size change %d (want 0: same-length files)", p.DownloadSize, dl, p.InstalledSizeChange)
	}
	if !strings.Contains(p.Command, "install --dry-run") || !strings.Contains(p.Output, "<install-summary") {
		t.Errorf("plan command %q, output %.80q", p.Command, p.Output)
	}

	out, err := Apply(ctx, g, targets, append(opts, WithPlan(p))...)
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode != 102 || !out.RebootRequired || len(out.Failures) > 0 {
		t.Errorf("outcome: exit %d, reboot %v, failures %v", out.ExitCode, out.RebootRequired, out.Failures)
	}
	for name, v := range map[string]string{"tb-lib": "tb-lib-1:2.0-2.noarch", "tb-hello": "tb-hello-1.1-1.noarch", "kernel-tb": "kernel-tb-5.1-1.noarch"} {
		if got := z.versions(t, name); !slices.Equal(got, []string{v}) {
			t.Errorf("installed %s: %v, want %s", name, got, v)
		}
	}
	if z.file(t, "usr/share/testbed/tb-lib.txt") != "tb-lib 2.0-2\n" {
		t.Errorf("tb-lib.txt: %q", z.file(t, "usr/share/testbed/tb-lib.txt"))
	}
	if _, err := os.Stat(filepath.Join(z.root, "run/reboot-needed")); err != nil {
		t.Errorf("libzypp's reboot flag: %v", err)
	}
	if err := Check(ctx, os.DirFS(z.root), z.installed(t), WithRoot(z.root)); err != nil {
		t.Errorf("Check after a clean install: %v", err)
	}
	cmds := g.commands()
	if c := committing(cmds); len(c) != 1 || slices.Contains(c[0].Args, "--download-only") || slices.Contains(c[0].Args, "--dry-run") {
		t.Errorf("committing commands: %v", c)
	}

	// Again: the download phase finds nothing to do, and nothing commits.
	n := len(cmds)
	out, err = Apply(ctx, g, targets, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if again := g.commands()[n:]; len(committing(again)) != 0 || len(again) != 1 {
		t.Errorf("second Apply ran %v", again)
	}
	if !strings.Contains(out.Output, "Nothing to do") && !strings.Contains(out.Output, "already installed") {
		t.Errorf("second Apply output: %s", out.Output)
	}
}

// TestTestbedZypperInstallNewDependency is row F3 and H4: tb-dep 1.1-1
// requires tb-newdep, which is not installed. Plan shows the Install of
// tb-newdep beside the upgrade, with zypper's download size (the two rpm
// files) and installed size change (tb-newdep's 16-byte file). Apply given
// a plan without that Install refuses before anything is committed; with
// the full plan it installs both.
func TestTestbedZypperInstallNewDependency(t *testing.T) {
	t.Parallel()
	z := newRoot(t, []string{"tb-dep"}, "tbx")
	g, _ := runners(t, "newdep", 30*time.Second)
	ctx := t.Context()
	targets := []plan.Target{z.target(t, "tb-dep", "1.1", "1")}
	p, err := Plan(ctx, g, targets, WithRoot(z.root))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"install tb-newdep.noarch 0:1.0-1", "upgrade tb-dep.noarch 0:1.0-1 -> 0:1.1-1"}
	if got := actionStrings(p.Actions); !slices.Equal(got, want) {
		t.Errorf("plan actions\n got %q\nwant %q", got, want)
	}
	dl := fileSize(t, filepath.Join(z.b.repo, "tb-dep-1.1-1.noarch.rpm")) + fileSize(t, filepath.Join(z.b.repo, "tb-newdep-1.0-1.noarch.rpm"))
	if p.DownloadSize != dl || p.InstalledSizeChange != int64(len("tb-newdep 1.0-1\n")) {
		t.Errorf("sizes: download %d (want %d), installed size change %d (want 16)", p.DownloadSize, dl, p.InstalledSizeChange)
	}

	// the caller approved only the upgrade
	approved := p
	approved.Actions = slices.DeleteFunc(slices.Clone(p.Actions), func(a plan.Action) bool { return a.Kind == plan.Install })
	_, err = Apply(ctx, g, targets, WithRoot(z.root), WithPlan(approved))
	var re *plan.RefusedError
	if !errors.As(err, &re) || re.Action.Package.Name != "tb-newdep" || re.Action.Kind != plan.Install {
		t.Fatalf("Apply with a plan lacking the new dependency: %v", err)
	}
	if len(committing(g.commands())) != 0 || !slices.Equal(z.versions(t, "tb-dep"), []string{"tb-dep-1.0-1.noarch"}) || len(z.versions(t, "tb-newdep")) != 0 {
		t.Errorf("something was installed after the refusal: %v %v", z.versions(t, "tb-dep"), z.versions(t, "tb-newdep"))
	}
	if _, err := Apply(ctx, g, targets, WithRoot(z.root), WithPlan(p)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(z.versions(t, "tb-newdep"), []string{"tb-newdep-1.0-1.noarch"}) || !slices.Equal(z.versions(t, "tb-dep"), []string{"tb-dep-1.1-1.noarch"}) {
		t.Errorf("after Apply: %v %v", z.versions(t, "tb-dep"), z.versions(t, "tb-newdep"))
	}
}

// holdLock starts `zypper --root R shell`, which holds the zypp lock until
// its standard input closes, and returns its PID.
func holdLock(t *testing.T, z *zroot) int {
	t.Helper()
	cmd := exec.Command("zypper", "--root", z.root, "shell")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := false
	release := func() {
		if !done {
			done = true
			in.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(release)
	pid := cmd.Process.Pid
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.TrimSpace(z.file(t, "run/zypp.pid")) == strconv.Itoa(pid) {
			return pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("zypper shell did not take the lock")
	return 0
}

// TestTestbedZypperInstallLocked is row G3: while `zypper shell` holds the
// root's zypp lock, Plan and Apply wait the bound they were given
// (ZYPP_LOCK_TIMEOUT) and then return a *plan.LockedError naming the
// holder's PID; the lock file is left alone. Without the bound zypper
// would fail at once (libzypp's lock_timeout is 0), which the waits
// measured here rule out.
func TestTestbedZypperInstallLocked(t *testing.T) {
	t.Parallel()
	z := newRoot(t, nil)
	g, _ := runners(t, "locked", 30*time.Second)
	ctx := t.Context()
	targets := []plan.Target{z.target(t, "tb-hello", "1.1", "1")}
	pid := holdLock(t, z)
	for _, tc := range []struct {
		name  string
		bound time.Duration
		call  func(...Option) error
	}{
		{"Plan", time.Second, func(o ...Option) error { _, err := Plan(ctx, g, targets, o...); return err }},
		{"Apply", 2 * time.Second, func(o ...Option) error { _, err := Apply(ctx, g, targets, o...); return err }},
	} {
		start := time.Now()
		err := tc.call(WithRoot(z.root), WithLockTimeout(tc.bound))
		waited := time.Since(start)
		var le *plan.LockedError
		if !errors.As(err, &le) || !errors.Is(err, plan.ErrLocked) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if le.PID != pid || le.Holder != "zypper" || le.Tool != "zypper" || le.Path != filepath.Join(z.root, "run/zypp.pid") || le.Waited != tc.bound.String() {
			t.Errorf("%s: %+v, want the holder %d (zypper)", tc.name, *le, pid)
		}
		if waited < tc.bound-100*time.Millisecond || waited > tc.bound+10*time.Second {
			t.Errorf("%s returned after %v, want about the bound %v", tc.name, waited, tc.bound)
		}
		if got := strings.TrimSpace(z.file(t, "run/zypp.pid")); got != strconv.Itoa(pid) {
			t.Errorf("%s: the lock file holds %q after the refusal, want %d", tc.name, got, pid)
		}
	}
	if len(committing(g.commands())) != 0 {
		t.Error("a committing command ran while the lock was held")
	}
	if !slices.Equal(z.versions(t, "tb-hello"), []string{"tb-hello-1.0-1.noarch"}) {
		t.Errorf("tb-hello changed while locked: %v", z.versions(t, "tb-hello"))
	}
}

// runApply starts Apply in the background.
func runApply(ctx context.Context, r run.Runner, targets []plan.Target, opts ...Option) <-chan applied {
	ch := make(chan applied, 1)
	go func() {
		out, err := Apply(ctx, r, targets, opts...)
		ch <- applied{out, err}
	}()
	return ch
}

type applied struct {
	out plan.Outcome
	err error
}

// killZypper kills the process group of the zypper that holds the root's
// lock (run.Local makes it a group leader), as a power loss or an OOM
// kill would.
func killZypper(t *testing.T, z *zroot) {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(z.file(t, "run/zypp.pid")))
	if err != nil {
		t.Fatal(err)
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !strings.Contains(string(cmdline), z.root) {
		t.Fatalf("process %d is not this root's zypper: %q %v", pid, cmdline, err)
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// openGates lets every gated scriptlet of the root go on, so that nothing
// waits when a test ends early.
func openGates(t *testing.T, z *zroot) {
	t.Cleanup(func() {
		for _, g := range []string{"tb-slow.pre", "tb-slow.post"} {
			os.WriteFile(filepath.Join(z.root, "tmp", g+".go"), nil, 0o644)
		}
	})
}

// TestTestbedZypperInstallInterrupted is rows H1 and H2 for zypper:
// zypper is killed (its whole process group, SIGKILL) during the upgrade
// of tb-slow. Killed in the new version's %pre, rpm had not yet added it:
// the old version stays alone and Check finds nothing to repair. Killed in
// the new version's %post, both versions are in the rpm database: Check
// reports a *plan.RepairError naming them with `zypper verify` as the
// repair, and changes nothing; VerifyPlan shows the removal of the old
// version; Repair, when asked, carries it out and Check is clean.
func TestTestbedZypperInstallInterrupted(t *testing.T) {
	t.Parallel()
	z := newRoot(t, []string{"tb-slow"}, "tbx")
	openGates(t, z)
	g, _ := runners(t, "", 30*time.Second)
	ctx := t.Context()
	targets := []plan.Target{z.target(t, "tb-slow", "1.1", "1")}
	opts := []Option{WithRoot(z.root)}

	// killed in %pre
	done := runApply(ctx, g, targets, opts...)
	z.waitFile(t, "tmp/tb-slow.pre.started", 30*time.Second)
	killZypper(t, z)
	res := <-done
	var ee *run.ExitError
	if !errors.As(res.err, &ee) || ee.Signal == "" {
		t.Errorf("Apply of a killed zypper: %v", res.err)
	}
	if err := Check(ctx, os.DirFS(z.root), z.installed(t), opts...); err != nil {
		t.Errorf("Check after a kill in %%pre: %v", err)
	}
	if got := z.versions(t, "tb-slow"); !slices.Equal(got, []string{"tb-slow-1.0-1.noarch"}) || z.file(t, "usr/share/tbx/tb-slow.txt") != "tb-slow 1.0-1\n" {
		t.Errorf("after a kill in %%pre: %v, %q", got, z.file(t, "usr/share/tbx/tb-slow.txt"))
	}

	// killed in %post
	os.Remove(filepath.Join(z.root, "tmp/tb-slow.pre.started"))
	z.touch(t, "tmp/tb-slow.pre.go")
	done = runApply(ctx, g, targets, opts...)
	z.waitFile(t, "tmp/tb-slow.post.started", 30*time.Second)
	killZypper(t, z)
	<-done
	both := []string{"tb-slow-1.0-1.noarch", "tb-slow-1.1-1.noarch"}
	if got := z.versions(t, "tb-slow"); !slices.Equal(got, both) {
		t.Fatalf("after a kill in %%post the rpm database holds %v, want both versions", got)
	}
	for range 2 { // checking twice: Check repairs nothing
		err := Check(ctx, os.DirFS(z.root), z.installed(t), opts...)
		var re *plan.RepairError
		if !errors.As(err, &re) || !errors.Is(err, plan.ErrNeedsRepair) {
			t.Fatalf("Check after a kill in %%post: %v", err)
		}
		if !slices.Equal(re.Packages, both) || re.Tool != "zypper" || !strings.Contains(re.Repair, "--root "+z.root+" verify") {
			t.Errorf("repair error %+v", *re)
		}
	}

	rg, _ := runners(t, "repair", 30*time.Second)
	vp, err := VerifyPlan(ctx, rg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if got := actionStrings(vp.Actions); !slices.Equal(got, []string{"remove tb-slow.noarch 0:1.0-1"}) {
		t.Errorf("verify plan %q", got)
	}
	out, err := Repair(ctx, rg, append(opts, WithPlan(vp))...)
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("Repair: exit %d, %v", out.ExitCode, err)
	}
	if err := Check(ctx, os.DirFS(z.root), z.installed(t), opts...); err != nil {
		t.Errorf("Check after Repair: %v", err)
	}
	if got := z.versions(t, "tb-slow"); !slices.Equal(got, []string{"tb-slow-1.1-1.noarch"}) || z.file(t, "usr/share/tbx/tb-slow.txt") != "tb-slow 1.1-1\n" {
		t.Errorf("after Repair: %v, %q", got, z.file(t, "usr/share/tbx/tb-slow.txt"))
	}
}

// TestTestbedZypperInstallCancelCommit is row H3 in the commit: the
// context is cancelled while tb-slow's %pre runs. The commit is not
// signalled: Apply is still waiting a while later, and once the scriptlets
// may go on zypper completes and Apply returns its outcome with the new
// version installed and nothing to repair.
func TestTestbedZypperInstallCancelCommit(t *testing.T) {
	t.Parallel()
	z := newRoot(t, []string{"tb-slow"}, "tbx")
	openGates(t, z)
	const wait = 500 * time.Millisecond
	g, _ := runners(t, "", wait)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := runApply(ctx, g, []plan.Target{z.target(t, "tb-slow", "1.1", "1")}, WithRoot(z.root))
	z.waitFile(t, "tmp/tb-slow.pre.started", 30*time.Second)
	cancel()
	select {
	case res := <-done:
		t.Fatalf("Apply returned while the commit was still running: %v", res.err)
	case <-time.After(3 * wait): // SIGTERM and SIGKILL would have come by now
	}
	z.touch(t, "tmp/tb-slow.pre.go")
	z.touch(t, "tmp/tb-slow.post.go")
	res := <-done
	if res.err != nil || res.out.ExitCode != 0 {
		t.Fatalf("Apply after a cancel in the commit: exit %d, %v", res.out.ExitCode, res.err)
	}
	if got := z.versions(t, "tb-slow"); !slices.Equal(got, []string{"tb-slow-1.1-1.noarch"}) {
		t.Errorf("installed %v", got)
	}
	if err := Check(t.Context(), os.DirFS(z.root), z.installed(t), WithRoot(z.root)); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// rootProcesses lists the processes whose command line names the root.
func rootProcesses(root string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(b), root) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

// TestTestbedZypperInstallCancelDownload is row H3 in the download: the
// repository is served by a local HTTP server that sends the first bytes
// of the tb-dl update and then stalls. The context is cancelled once
// zypper asks for the package: Apply returns within the runner's wait
// delay with the context's error, no process of the root is left, none
// of the cancelled zypper's process group (read from /proc right before
// the cancel) is alive, no commit was started, and tb-dl is still the old
// version. libzypp downloads in zypper's own process: while the download
// stalls the group holds zypper alone (its gpg children ran before), so
// this test cannot tell a signal to the group from one to zypper;
// scan/run's TestCancelStopsTheGroup does.
func TestTestbedZypperInstallCancelDownload(t *testing.T) {
	t.Parallel()
	z := newRoot(t, []string{"tb-dl"})
	stop := make(chan struct{})
	var stopOnce sync.Once
	release := func() { stopOnce.Do(func() { close(stop) }) }
	hit := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := filepath.Join(z.b.repo, filepath.Clean("/"+r.URL.Path))
		released := false
		select {
		case <-stop:
			released = true
		default:
		}
		if filepath.Base(p) != "tb-dl-1.1-1.noarch.rpm" || released {
			http.ServeFile(w, r, p)
			return
		}
		select {
		case hit <- struct{}{}:
		default:
		}
		data, err := os.ReadFile(p)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:64])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(release)
	z.zypper(t, "addrepo", srv.URL, "tbh")
	z.zypper(t, "refresh", "tbh")

	const wait = 2 * time.Second
	g, _ := runners(t, "", wait)
	w := groupwatch.New(g)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := runApply(ctx, w, []plan.Target{z.target(t, "tb-dl", "1.1", "1")}, WithRoot(z.root))
	select {
	case <-hit:
	case res := <-done:
		t.Fatalf("Apply returned before the download: %+v %v", res.out, res.err)
	case <-time.After(30 * time.Second):
		t.Fatal("zypper did not ask for the package")
	}
	pgid, before := w.Group(t)
	cancel()
	start := time.Now()
	var res applied
	select {
	case res = <-done:
	case <-time.After(wait + 5*time.Second):
		// zypper was not stopped: let the download fail so that the test
		// ends
		release()
		res = <-done
	}
	took := time.Since(start)
	if !errors.Is(res.err, context.Canceled) {
		t.Errorf("Apply after a cancel in the download: %v", res.err)
	}
	if took > wait+2*time.Second { // the wait delay, then SIGKILL and the reaping
		t.Errorf("Apply returned %v after the cancel, beyond the wait delay %v", took, wait)
	}
	if ps := rootProcesses(z.root); len(ps) > 0 {
		t.Errorf("processes of the root left after the cancel: %q", ps)
	}
	groupwatch.CheckGone(t, w.Cancelled(t), pgid, before, time.Second)
	if c := committing(g.commands()); len(c) > 0 {
		t.Errorf("a commit started after the cancel: %v", c)
	}
	if got := z.versions(t, "tb-dl"); !slices.Equal(got, []string{"tb-dl-1.0-1.noarch"}) || z.file(t, "usr/share/tbx/tb-dl.txt") != "tb-dl 1.0-1\n" {
		t.Errorf("after the cancel: %v %q", got, z.file(t, "usr/share/tbx/tb-dl.txt"))
	}
	t.Logf("Apply returned %v after the cancel", took)
}

// TestTestbedZypperInstallScriptletFailure is row H5: tb-fail 1.1-1's
// %post exits 29. zypper installs it and exits 107; the outcome names
// tb-fail with rpm's reason and the package's state, and the rpm database
// has the new version. tb-prefail 1.1-1's %pre exits 30: rpm refuses the
// package, zypper aborts with exit 8, and the old version stays.
func TestTestbedZypperInstallScriptletFailure(t *testing.T) {
	t.Parallel()
	z := newRoot(t, []string{"tb-fail", "tb-prefail"}, "tbx")
	ctx := t.Context()
	g, _ := runners(t, "scriptlet-post", 30*time.Second)
	out, err := Apply(ctx, g, []plan.Target{z.target(t, "tb-fail", "1.1", "1")}, WithRoot(z.root))
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode != 107 || len(out.Failures) != 1 || out.Failures[0].Name != "tb-fail" || out.Failures[0].Arch != "noarch" ||
		!strings.Contains(out.Failures[0].Reason, "%post scriptlet failed, exit status 29") || !strings.Contains(out.Failures[0].Reason, "state: installed") {
		t.Errorf("outcome of a failing %%post: exit %d, failures %+v", out.ExitCode, out.Failures)
	}
	if got := z.versions(t, "tb-fail"); !slices.Equal(got, []string{"tb-fail-1.1-1.noarch"}) {
		t.Errorf("tb-fail after a failing %%post: %v", got)
	}

	g, _ = runners(t, "scriptlet-pre", 30*time.Second)
	out, err = Apply(ctx, g, []plan.Target{z.target(t, "tb-prefail", "1.1", "1")}, WithRoot(z.root))
	var ee *run.ExitError
	if !errors.As(err, &ee) || ee.Code != 8 {
		t.Fatalf("Apply of a package whose %%pre fails: %v", err)
	}
	if out.ExitCode != 8 || len(out.Failures) != 1 || out.Failures[0].Name != "tb-prefail" ||
		!strings.Contains(out.Failures[0].Reason, "%prein(tb-prefail-1.1-1.noarch) scriptlet failed, exit status 30") || !strings.Contains(out.Failures[0].Reason, "state: not installed") {
		t.Errorf("outcome of a failing %%pre: exit %d, failures %+v", out.ExitCode, out.Failures)
	}
	if got := z.versions(t, "tb-prefail"); !slices.Equal(got, []string{"tb-prefail-1.0-1.noarch"}) {
		t.Errorf("tb-prefail after a failing %%pre: %v", got)
	}
}

// TestTestbedZypperInstallBadSignature is row H6, twice. tb-evil 1.1-1 is
// signed by a key the root does not trust, in a repository that asks for
// package signatures (pkg_gpgcheck=1): zypper refuses it while
// downloading, exit 8, the outcome names it, and nothing of it reaches the
// root (its new file is absent, the cache holds no copy). Then a
// repository whose repomd.xml is signed by an unknown key, which it
// publishes: zypper declines the key, skips the repository, and finds no
// tb-evil 1.1-1. Each refusal is shown to come from the check the default
// command keeps: the named opt-in (AllowUnauthenticated, AllowKeyImport)
// that turns it off lets the same package in.
func TestTestbedZypperInstallBadSignature(t *testing.T) {
	t.Parallel()
	t.Run("package", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		z := newRoot(t, []string{"tb-evil"}, "tbx")
		f, err := os.OpenFile(filepath.Join(z.root, "etc/zypp/repos.d/tbx.repo"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("pkg_gpgcheck=1\n")
		f.Close()
		targets := []plan.Target{z.target(t, "tb-evil", "1.1", "1")}
		g, _ := runners(t, "signature-package", 30*time.Second)
		out, err := Apply(ctx, g, targets, WithRoot(z.root))
		var ee *run.ExitError
		if !errors.As(err, &ee) || ee.Code != 8 {
			t.Fatalf("Apply of a package signed by an unknown key: %v", err)
		}
		if len(out.Failures) != 1 || out.Failures[0].Name != "tb-evil" || !strings.Contains(out.Failures[0].Reason, "public key is not available") {
			t.Errorf("failures %+v", out.Failures)
		}
		if len(committing(g.commands())) != 0 {
			t.Error("the refusal came after the commit started")
		}
		if z.file(t, "usr/share/tbx/tb-evil-new.txt") != "" || !slices.Equal(z.versions(t, "tb-evil"), []string{"tb-evil-1.0-1.noarch"}) {
			t.Errorf("tb-evil 1.1-1 reached the root: %v", z.versions(t, "tb-evil"))
		}
		if m, _ := filepath.Glob(filepath.Join(z.root, "var/cache/zypp/packages/*/tb-evil*")); len(m) > 0 {
			t.Errorf("the refused package is kept in the cache: %v", m)
		}
		g, _ = runners(t, "", 30*time.Second, "--no-gpg-checks")
		if _, err := Apply(ctx, g, targets, WithRoot(z.root), AllowUnauthenticated()); err != nil {
			t.Fatalf("with --no-gpg-checks: %v", err)
		}
		if z.file(t, "usr/share/tbx/tb-evil-new.txt") != "new\n" {
			t.Error("with --no-gpg-checks the package was still refused: the test does not show the check")
		}
	})
	t.Run("skipped", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		// the untrusted repository beside a trusted one: zypper skips it
		// (exit 106) and installs from the other
		z := newRoot(t, []string{"tb-dl"}, "tbx", "tbu")
		targets := []plan.Target{z.target(t, "tb-dl", "1.1", "1")}
		g, _ := runners(t, "skipped", 30*time.Second)
		p, err := Plan(ctx, g, targets, WithRoot(z.root), WithRefresh(true))
		var se *scanzypper.ReposSkippedError
		if !errors.As(err, &se) || !slices.Equal(se.Repos, []string{"tbu"}) || len(p.Actions) != 1 {
			t.Fatalf("Plan beside a skipped repository: %v %v", p.Actions, err)
		}
		out, err := Apply(ctx, g, targets, WithRoot(z.root), WithRefresh(true), WithPlan(p))
		if !errors.Is(err, scanzypper.ErrReposSkipped) || out.ExitCode != 106 {
			t.Fatalf("Apply beside a skipped repository: exit %d, %v", out.ExitCode, err)
		}
		if got := z.versions(t, "tb-dl"); !slices.Equal(got, []string{"tb-dl-1.1-1.noarch"}) {
			t.Errorf("tb-dl: %v", got)
		}
	})
	t.Run("repository", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		z := newRoot(t, []string{"tb-evil"}, "tbu")
		targets := []plan.Target{z.target(t, "tb-evil", "1.1", "1")}
		g, _ := runners(t, "signature-repository", 30*time.Second)
		_, err := Apply(ctx, g, targets, WithRoot(z.root), WithRefresh(true))
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Apply from a repository signed by an unknown key: %v", err)
		}
		if z.file(t, "usr/share/tbx/tb-evil-new.txt") != "" || !slices.Equal(z.versions(t, "tb-evil"), []string{"tb-evil-1.0-1.noarch"}) {
			t.Errorf("tb-evil 1.1-1 reached the root: %v", z.versions(t, "tb-evil"))
		}
		g, _ = runners(t, "", 30*time.Second, "--gpg-auto-import-keys")
		if _, err := Apply(ctx, g, targets, WithRoot(z.root), WithRefresh(true), AllowKeyImport()); err != nil {
			t.Fatalf("with --gpg-auto-import-keys: %v", err)
		}
		if z.file(t, "usr/share/tbx/tb-evil-new.txt") != "new\n" {
			t.Error("with --gpg-auto-import-keys the package was still refused: the test does not show the check")
		}
	})
}
