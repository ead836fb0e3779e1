//go:build linux

package zypper

import (
	"slices"
	"testing"
	"time"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/progresstest"
)

// TestTestbedZypperInstallProgress: Apply of tb-dep 1.1 (which pulls in
// the new tb-newdep) and tb-slow 1.1, whose %pre and %post wait for the
// test, on a clone of the zypper root, with a callback. zypper's XML
// stream goes through run.Local line by line: while tb-slow's %pre holds
// rpm, zypper's "(N/3) Installing: tb-slow-1.1-1.noarch" has been
// reported, after the packages before it; in the end the download and
// the commit each reported the three packages, 1 to 3 of 3.
func TestTestbedZypperInstallProgress(t *testing.T) {
	t.Parallel()
	z := newRoot(t, []string{"tb-dep", "tb-slow"}, "tbx")
	g, _ := runners(t, "progress", 30*time.Second)
	targets := []plan.Target{z.target(t, "tb-dep", "1.1", "1"), z.target(t, "tb-slow", "1.1", "1")}
	var log progresstest.Log
	done := make(chan error, 1)
	go func() {
		_, err := Apply(t.Context(), g, targets, WithRoot(z.root), WithProgress(log.Add))
		done <- err
	}()
	z.waitFile(t, "tmp/tb-slow.pre.started", time.Minute)
	during := progresstest.PackageEvents(t, log.Events(), plan.StageInstalling, 3)
	z.touch(t, "tmp/tb-slow.pre.go")
	z.touch(t, "tmp/tb-slow.post.go")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(during) == 0 || during[len(during)-1] != "tb-slow-1.1-1.noarch" {
		t.Errorf("while tb-slow's %%pre waited, the packages reported were %q, tb-slow last", during)
	}
	events := log.Events()
	dl := progresstest.PackageEvents(t, events, plan.StageDownloading, 3)
	slices.Sort(dl)
	if want := []string{"tb-dep-1.1-1.noarch", "tb-newdep-1.0-1.noarch", "tb-slow-1.1-1.noarch"}; !slices.Equal(dl, want) {
		t.Errorf("downloaded %q, want %q", dl, want)
	}
	in := progresstest.PackageEvents(t, events, plan.StageInstalling, 3)
	sorted := slices.Sorted(slices.Values(in))
	if want := []string{"tb-dep-1.1-1.noarch", "tb-newdep-1.0-1.noarch", "tb-slow-1.1-1.noarch"}; !slices.Equal(sorted, want) {
		t.Errorf("installed %q, want %q", in, want)
	}
	if slices.Index(in, "tb-newdep-1.0-1.noarch") > slices.Index(in, "tb-dep-1.1-1.noarch") {
		t.Errorf("installed %q: rpm installs tb-newdep before tb-dep, which requires it", in)
	}
	if got := z.versions(t, "tb-slow"); !slices.Equal(got, []string{"tb-slow-1.1-1.noarch"}) {
		t.Errorf("tb-slow %v", got)
	}
	t.Logf("%d events; while tb-slow's %%pre waited: %q", len(events), during)
}
