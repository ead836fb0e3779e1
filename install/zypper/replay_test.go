package zypper

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
	scanzypper "github.com/patchkit/patchkit/scan/zypper"
)

// replayCase loads the recordings of one case of the testbed tests (made
// with -update) and returns a guarded replaying runner and the root the
// recorded commands ran on.
func replayCase(t *testing.T, name string) (*guard, *run.Replay, string) {
	t.Helper()
	dir := filepath.Join(recordDir, name)
	recs, err := run.LoadRecordings(os.DirFS(dir), "*.txt")
	if err != nil {
		t.Fatalf("%v (record with go test -run TestTestbedZypperInstall -update ./install/zypper)", err)
	}
	root := ""
	for i, a := range recs[0].Argv {
		if a == "--root" {
			root = recs[0].Argv[i+1]
		}
	}
	if root == "" {
		t.Fatalf("%s: the first recording has no --root", dir)
	}
	rp := run.NewReplay(recs...)
	return newGuard(t, rp), rp, root
}

func rpmPkg(name string, epoch int, ver, rel string) patchkit.Package {
	p := patchkit.Package{Name: name, Version: ver, Release: rel, Arch: "noarch", Scheme: patchkit.RPM}
	if epoch >= 0 {
		p.Epoch = patchkit.EpochOf(uint32(epoch))
	}
	return p
}

func upgrade(name string, epoch int, from, to string) plan.Target {
	fv, fr, _ := strings.Cut(from, "-")
	tv, tr, _ := strings.Cut(to, "-")
	return plan.Target{Installed: rpmPkg(name, epoch, fv, fr), Version: rpmPkg(name, epoch, tv, tr)}
}

// TestReplayHappy replays the happy path: the interactive patch refused,
// then allowed; zypper's plan; the transaction with exit 102; a second
// Apply with nothing to do.
func TestReplayHappy(t *testing.T) {
	g, _, root := replayCase(t, "happy")
	ctx := t.Context()
	kernel := upgrade("kernel-tb", -1, "5.0-1", "5.1-1")
	kernel.Advisory = "TBSA-2026:0003"
	targets := []plan.Target{upgrade("tb-lib", 1, "2.0-1", "2.0-2"), upgrade("tb-hello", -1, "1.0-1", "1.1-1"), kernel}
	if _, err := Plan(ctx, g, targets, WithRoot(root)); !errors.Is(err, ErrInteractive) {
		t.Fatalf("Plan of the interactive patch: %v", err)
	}
	opts := []Option{WithRoot(root), AllowInteractivePatches()}
	p, err := Plan(ctx, g, targets, opts...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"upgrade kernel-tb.noarch 0:5.0-1 -> 0:5.1-1", "upgrade tb-hello.noarch 0:1.0-1 -> 0:1.1-1", "upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2"}
	if got := actionStrings(p.Actions); !slices.Equal(got, want) {
		t.Errorf("actions %q", got)
	}
	if p.DownloadSize != 18416 || p.InstalledSizeChange != 0 {
		t.Errorf("sizes %d %d", p.DownloadSize, p.InstalledSizeChange)
	}
	out, err := Apply(ctx, g, targets, append(opts, WithPlan(p))...)
	if err != nil || out.ExitCode != 102 || !out.RebootRequired || len(out.Failures) != 0 {
		t.Errorf("Apply: %+v %v", out, err)
	}
	out, err = Apply(ctx, g, targets, opts...)
	if err != nil || out.ExitCode != 0 || !strings.Contains(out.Command, "--download-only") {
		t.Errorf("second Apply: exit %d, %s, %v", out.ExitCode, out.Command, err)
	}
	if n := len(committing(g.commands())); n != 1 {
		t.Errorf("%d committing commands, want 1", n)
	}
}

// TestReplayLocked replays zypper refusing while another zypper held the
// lock.
func TestReplayLocked(t *testing.T) {
	g, _, root := replayCase(t, "locked")
	targets := []plan.Target{upgrade("tb-hello", -1, "1.0-1", "1.1-1")}
	_, err := Plan(t.Context(), g, targets, WithRoot(root))
	var le *plan.LockedError
	if !errors.As(err, &le) || le.PID <= 0 || le.Holder != "zypper" || le.Path != root+"/run/zypp.pid" {
		t.Fatalf("Plan: %v", err)
	}
	if !strings.Contains(le.Error(), "zypper is locked ("+root+"/run/zypp.pid) by process") {
		t.Errorf("message %q", le.Error())
	}
	if _, err := Apply(t.Context(), g, targets, WithRoot(root)); !errors.Is(err, plan.ErrLocked) {
		t.Errorf("Apply: %v", err)
	}
}

// TestReplayNewDependency replays row F3: the new dependency in the plan,
// the refusal of a plan without it, the transaction with it.
func TestReplayNewDependency(t *testing.T) {
	g, _, root := replayCase(t, "newdep")
	ctx := t.Context()
	targets := []plan.Target{upgrade("tb-dep", -1, "1.0-1", "1.1-1")}
	p, err := Plan(ctx, g, targets, WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	if got := actionStrings(p.Actions); !slices.Equal(got, []string{"install tb-newdep.noarch 0:1.0-1", "upgrade tb-dep.noarch 0:1.0-1 -> 0:1.1-1"}) {
		t.Errorf("actions %q", got)
	}
	if p.DownloadSize != 12298 || p.InstalledSizeChange != 16 {
		t.Errorf("sizes %d %d", p.DownloadSize, p.InstalledSizeChange)
	}
	approved := p
	approved.Actions = slices.DeleteFunc(slices.Clone(p.Actions), func(a plan.Action) bool { return a.Kind == plan.Install })
	_, err = Apply(ctx, g, targets, WithRoot(root), WithPlan(approved))
	var re *plan.RefusedError
	if !errors.As(err, &re) || re.Action.Package.Name != "tb-newdep" || !errors.Is(err, plan.ErrPlanRefused) {
		t.Fatalf("Apply with a narrower plan: %v", err)
	}
	var stages []plan.Progress
	progress := WithProgress(func(p plan.Progress) {
		if p.N == 0 { // a phase starts; N > 0 are its packages (progress_test.go)
			stages = append(stages, p)
		}
	})
	if out, err := Apply(ctx, g, targets, WithRoot(root), WithPlan(p), progress); err != nil || out.ExitCode != 0 {
		t.Errorf("Apply: exit %d, %v", out.ExitCode, err)
	}
	if !slices.Equal(stages, []plan.Progress{{Stage: "downloading"}, {Stage: "installing", Packages: 2}}) {
		t.Errorf("progress %+v", stages)
	}
}

// TestReplayRepair replays zypper verify after an interrupted upgrade.
func TestReplayRepair(t *testing.T) {
	g, _, root := replayCase(t, "repair")
	vp, err := VerifyPlan(t.Context(), g, WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	if got := actionStrings(vp.Actions); !slices.Equal(got, []string{"remove tb-slow.noarch 0:1.0-1"}) || vp.InstalledSizeChange != -14 {
		t.Errorf("verify plan %q, size change %d", got, vp.InstalledSizeChange)
	}
	// a plan that does not match what zypper proposes is refused
	other := vp
	other.Actions = []plan.Action{{Kind: plan.Remove, Package: rpmPkg("tb-slow", 0, "1.1", "1")}}
	if _, err := Repair(t.Context(), g, WithRoot(root), WithPlan(other)); !errors.Is(err, plan.ErrPlanRefused) {
		t.Errorf("Repair with another plan: %v", err)
	}
	out, err := Repair(t.Context(), g, WithRoot(root), WithPlan(vp))
	if err != nil || out.ExitCode != 0 || !strings.HasSuffix(out.Command, " verify --no-recommends") {
		t.Errorf("Repair: %+v %v", out, err)
	}
}

// TestReplayScriptlets replays row H5: a failing %post (107, installed)
// and a failing %pre (8, not installed).
func TestReplayScriptlets(t *testing.T) {
	g, _, root := replayCase(t, "scriptlet-post")
	out, err := Apply(t.Context(), g, []plan.Target{upgrade("tb-fail", -1, "1.0-1", "1.1-1")}, WithRoot(root))
	want := []plan.Failure{{Name: "tb-fail", Arch: "noarch",
		Reason: "%post scriptlet failed, exit status 29 (state: installed; rpm keeps a package whose %post scriptlet fails)"}}
	if err != nil || out.ExitCode != 107 || !slices.Equal(out.Failures, want) {
		t.Errorf("failing %%post: exit %d, %+v, %v", out.ExitCode, out.Failures, err)
	}

	g, _, root = replayCase(t, "scriptlet-pre")
	out, err = Apply(t.Context(), g, []plan.Target{upgrade("tb-prefail", -1, "1.0-1", "1.1-1")}, WithRoot(root))
	var ee *run.ExitError
	want = []plan.Failure{{Name: "tb-prefail", Arch: "noarch",
		Reason: "installation failed: error: %prein(tb-prefail-1.1-1.noarch) scriptlet failed, exit status 30; error: tb-prefail-1.1-1.noarch: install failed; error: tb-prefail-1.0-1.noarch: erase skipped (state: not installed)"}}
	if !errors.As(err, &ee) || ee.Code != 8 || !slices.Equal(out.Failures, want) {
		t.Errorf("failing %%pre: %+v, %v", out.Failures, err)
	}
}

// TestReplaySignatures replays row H6: a package signed by an unknown key
// (refused while downloading) and a repository signed by one (skipped, so
// the target is not found).
func TestReplaySignatures(t *testing.T) {
	g, _, root := replayCase(t, "signature-package")
	out, err := Apply(t.Context(), g, []plan.Target{upgrade("tb-evil", -1, "1.0-1", "1.1-1")}, WithRoot(root))
	want := []plan.Failure{{Name: "tb-evil", Arch: "noarch",
		Reason: "signature verification failed: 4-Signatures public key is not available (repository tbx; state: not installed, the package was not extracted)"}}
	if err == nil || out.ExitCode != 8 || !slices.Equal(out.Failures, want) || len(committing(g.commands())) != 0 {
		t.Errorf("package signature: %+v, %v", out.Failures, err)
	}

	g, _, root = replayCase(t, "signature-repository")
	_, err = Apply(t.Context(), g, []plan.Target{upgrade("tb-evil", -1, "1.0-1", "1.1-1")}, WithRoot(root), WithRefresh(true))
	var nf *NotFoundError
	if !errors.As(err, &nf) || !slices.Equal(nf.SkippedRepos, []string{"tbu"}) || len(nf.Messages) == 0 {
		t.Fatalf("repository signature: %v", err)
	}
	if !strings.Contains(nf.Messages[len(nf.Messages)-1], "No provider of 'tb-evil.noarch=1.1-1' found.") {
		t.Errorf("messages %q", nf.Messages)
	}
}

// TestReplaySkipped replays exit 106: a repository whose key zypper
// declined is skipped, the plan and the transaction come from the other,
// with the skipped repository named.
func TestReplaySkipped(t *testing.T) {
	g, _, root := replayCase(t, "skipped")
	targets := []plan.Target{upgrade("tb-dl", -1, "1.0-1", "1.1-1")}
	opts := []Option{WithRoot(root), WithRefresh(true)}
	p, err := Plan(t.Context(), g, targets, opts...)
	var se *scanzypper.ReposSkippedError
	if !errors.As(err, &se) || !slices.Equal(se.Repos, []string{"tbu"}) || len(se.Messages) == 0 {
		t.Fatalf("Plan: %v", err)
	}
	if got := actionStrings(p.Actions); !slices.Equal(got, []string{"upgrade tb-dl.noarch 0:1.0-1 -> 0:1.1-1"}) {
		t.Errorf("actions %q", got)
	}
	out, err := Apply(t.Context(), g, targets, append(opts, WithPlan(p))...)
	if !errors.As(err, &se) || !slices.Equal(se.Repos, []string{"tbu"}) || out.ExitCode != 106 || len(out.Failures) != 0 {
		t.Errorf("Apply: exit %d, %v", out.ExitCode, err)
	}
}

// TestLockedMessageOnStderr reads the holder from zypper's plain-text lock
// message (without --xmlout zypper prints it on standard error), from the
// recording of a real refusal in testdata/run.
func TestLockedMessageOnStderr(t *testing.T) {
	recs, err := run.LoadRecordings(os.DirFS("../../testdata/run"), "zypper-refresh-locked.txt")
	if err != nil {
		t.Fatal(err)
	}
	c := run.Command{Path: recs[0].Argv[0], Args: recs[0].Argv[1:]}
	res, err := run.NewReplay(recs...).Run(t.Context(), c)
	o, _ := buildOptions([]Option{WithRoot("/tmp/zr"), WithLockTimeout(0)})
	err = o.runError(c, res, err)
	var le *plan.LockedError
	if !errors.As(err, &le) || le.PID != 21463 || le.Holder != "zypper" || le.Path != "/tmp/zr/run/zypp.pid" || le.Waited != "0s" {
		t.Errorf("%v", err)
	}
}
