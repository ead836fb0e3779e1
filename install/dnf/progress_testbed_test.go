package dnf_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/progresstest"
	"github.com/patchkit/patchkit/internal/testbed"
)

// TestTestbedDnfInstallProgress: Apply of tb-slow 1.1, which pulls in
// tb-dep 1.1 and the new tb-newdep, on a copy of the prepared root, with
// a callback. dnf's lines stream through run.Local (dnf with
// PYTHONUNBUFFERED=1): while tb-slow's %pre holds rpm, the two packages
// rpm has already written are reported; in the end the download reported
// the three files 1 to 3 of 3 and the commit the three packages 1 to 3
// of 3 (dnf's own counter says 1/5 to 5/5, the replaced tb-dep 1.0 and
// tb-slow 1.0 among them).
func TestTestbedDnfInstallProgress(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	g := newGuard(t, "stream")
	var log progresstest.Log
	done := make(chan error, 1)
	go func() {
		_, err := dnf.Apply(t.Context(), g, []plan.Target{r.target(t, "tb-slow", "1.1", "1")}, r.opts(dnf.WithProgress(log.Add))...)
		done <- err
	}()
	r.waitFile(t, "tmp/tb-slow.pre.started", time.Minute)
	// rpm has written tb-newdep and tb-dep (tb-slow 1.1 needs tb-dep 1.1
	// before its %pre); dnf printed each as it finished
	deadline := time.Now().Add(10 * time.Second)
	var during []string
	for time.Now().Before(deadline) {
		during = progresstest.PackageEvents(t, log.Events(), plan.StageInstalling, 3)
		if len(during) >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.touch(t, "tmp/tb-slow.pre.go")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := []string{"tb-newdep-1.0-1.noarch", "tb-dep-1.1-1.noarch"}; !slices.Equal(during, want) {
		t.Errorf("while tb-slow's %%pre waited: %q, want %q", during, want)
	}
	events := log.Events()
	files := progresstest.PackageEvents(t, events, plan.StageDownloading, 3)
	slices.Sort(files)
	if want := []string{"tb-dep-1.1-1.noarch.rpm", "tb-newdep-1.0-1.noarch.rpm", "tb-slow-1.1-1.noarch.rpm"}; !slices.Equal(files, want) {
		t.Errorf("downloaded %q, want %q", files, want)
	}
	if got, want := progresstest.PackageEvents(t, events, plan.StageInstalling, 3), []string{"tb-newdep-1.0-1.noarch", "tb-dep-1.1-1.noarch", "tb-slow-1.1-1.noarch"}; !slices.Equal(got, want) {
		t.Errorf("installed %q, want %q", got, want)
	}
	for _, c := range g.commands() {
		if !slices.Contains(c.Env, "PYTHONUNBUFFERED=1") || c.OnLine == nil {
			t.Errorf("%s: env %q, streamed %v", c.String(), c.Env, c.OnLine != nil)
		}
	}
	if got := r.versions(t, "tb-slow"); !slices.Equal(got, []string{"1.1-1"}) {
		t.Errorf("tb-slow %v", got)
	}
	t.Logf("%d events: %s", len(events), strings.Join(during, ", "))
}

// TestTestbedDnfInstallProgressCached: tb-fail 1.1's file is in dnf's
// cache already (a download-only run of it before); Apply of it and
// tb-hello 1.1 reports the cached file as dnf does ("[SKIPPED] ...:
// Already downloaded") and the fetched one, 1 and 2 of 2, then both
// packages.
func TestTestbedDnfInstallProgressCached(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	args := append(append([]string{"-y", "-q", "--downloadonly"}, testbed.Env{RPMRoot: r.root}.DNFArgs()...), "upgrade", "--", "tb-fail-1.1-1.noarch")
	if out, err := exec.CommandContext(t.Context(), "dnf", args...).CombinedOutput(); err != nil {
		t.Fatalf("dnf %q: %v\n%s", args, err, out)
	}
	g := newGuard(t, "cached")
	var log progresstest.Log
	targets := []plan.Target{r.target(t, "tb-fail", "1.1", "1"), r.target(t, "tb-hello", "1.1", "1")}
	if _, err := dnf.Apply(t.Context(), g, targets, r.opts(dnf.WithProgress(log.Add))...); err != nil {
		t.Fatal(err)
	}
	events := log.Events()
	files := progresstest.PackageEvents(t, events, plan.StageDownloading, 2)
	if want := []string{"tb-fail-1.1-1.noarch.rpm", "tb-hello-1.1-1.noarch.rpm"}; !slices.Equal(files, want) {
		t.Errorf("downloads %q, want %q (the cached one first)\n%+v", files, want, events)
	}
	got := progresstest.PackageEvents(t, events, plan.StageInstalling, 2)
	slices.Sort(got)
	if want := []string{"tb-fail-1.1-1.noarch", "tb-hello-1.1-1.noarch"}; !slices.Equal(got, want) {
		t.Errorf("installs %q, want %q", got, want)
	}
}
