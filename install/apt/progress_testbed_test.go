//go:build linux

package apt

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/debrepo"
	"github.com/patchkit/patchkit/internal/progresstest"
)

// gatedPackages: tb-gate 1.1-1's preinst says it started (a file in the
// root's /tmp) and waits, at most a minute, until the test creates the
// root's /tmp/tb-gate-go.
var gatedPackages = []debrepo.Package{
	{Name: "tb-gate", Version: "1.0-1"},
	{Name: "tb-gate", Version: "1.1-1", Preinst: `touch "$DPKG_ROOT/tmp/tb-gate-started"
n=0; while [ ! -e "$DPKG_ROOT/tmp/tb-gate-go" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done`},
}

// checkCounts checks a stage's per-package events: N is 1, 2, ... Total,
// every event has the final Total, and the packages are want in some
// order.
func checkCounts(t *testing.T, events []plan.Progress, stage string, want []string) {
	t.Helper()
	got := progresstest.PackageEvents(t, events, stage, len(want))
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s packages %q, want %q", stage, got, want)
	}
}

// TestTestbedAptInstallProgress: Apply of the testbed's four updates and
// tb-gate on a copy of the private root, with a callback. apt's and
// dpkg's lines stream through run.Local: while tb-gate's preinst holds
// dpkg, the packages dpkg has started on, tb-gate last, are already
// reported; in the end each stage reported N from 1 to its Total, the
// five packages once each: the five archives fetched, the five packages
// dpkg unpacked.
func TestTestbedAptInstallProgress(t *testing.T) {
	t.Parallel()
	root, _ := repoRoot(t, gatedPackages, "tb-gate=1.0-1")
	ctx := t.Context()
	inv := root.inventory()
	targets := append(upgradeTargets(t, inv), target(t, inv, "tb-gate", "1.1-1"))
	if err := os.MkdirAll(root.path("tmp"), 0o1777); err != nil { // a private root has no /tmp
		t.Fatal(err)
	}
	var log progresstest.Log
	r := newRunner(t, "private-progress", "a copy of the testbed's private apt root with a test repository whose tb-gate 1.1-1 preinst waits for the test")
	type result struct {
		out plan.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := Apply(ctx, r, targets, append(slices.Clone(root.opts), WithProgress(log.Add))...)
		done <- result{out, err}
	}()
	var early *result
	waitFor(t, time.Minute, "tb-gate's preinst", func() bool {
		select {
		case res := <-done:
			early = &res
			return true
		default:
		}
		_, err := os.Stat(root.path("tmp/tb-gate-started"))
		return err == nil
	})
	if early != nil {
		t.Fatalf("Apply returned before tb-gate's preinst ran: %v\n%s\n%s", early.err, early.out.Output, early.out.Stderr)
	}
	during := log.Events()
	writeFile(t, root.path("tmp/tb-gate-go"), "")
	res := <-done
	if res.err != nil {
		t.Fatalf("%v\n%s\n%s", res.err, res.out.Output, res.out.Stderr)
	}

	last := during[len(during)-1]
	if last.Stage != plan.StageInstalling || last.Package != "tb-gate" || last.N == 0 {
		t.Errorf("while tb-gate's preinst ran, the last event was %+v, want tb-gate being installed\n%+v", last, during)
	}
	events := log.Events()
	if len(events) <= len(during) {
		t.Errorf("no event after tb-gate's preinst: %d, then %d", len(during), len(events))
	}
	want := []string{"tb-gate", "tb-hello", "tb-kernel", "tb-lib", "tb-multi"}
	checkCounts(t, events, plan.StageDownloading, want)
	checkCounts(t, events, plan.StageInstalling, want)
	// the phases start before their packages
	var stages []string
	for _, e := range events {
		if e.N == 0 {
			stages = append(stages, e.Stage)
		}
	}
	if !slices.Equal(stages, []string{plan.StageDownloading, plan.StageInstalling}) || events[0].N != 0 {
		t.Errorf("phase events %q", stages)
	}
	for _, tg := range targets {
		if p := root.pkg(root.inventory(), tg.Version.Name); p.EVR() != tg.Version.EVR() {
			t.Errorf("%s is %s", p.Name, p.EVR())
		}
	}
	t.Logf("%d events, %d of them while tb-gate's preinst waited", len(events), len(during))
}

// TestTestbedAptInstallProgressChanges: a transaction that removes
// tb-tool (tb-conf 1.1-1 conflicts with it; AllowRemovals), installs the
// new tb-newdep (tb-dep 1.1-1 depends on it) and upgrades both, with
// tb-dep's and tb-newdep's archives fetched beforehand. The download run
// fetches only tb-conf's archive, and, since apt then does not say how
// many it fetches, its Total stays 0; the commit counts the removal, the
// new package and the upgrades, 1 to 4 of 4.
func TestTestbedAptInstallProgressChanges(t *testing.T) {
	t.Parallel()
	root, _ := repoRoot(t, []debrepo.Package{
		{Name: "tb-dep", Version: "1.0-1"},
		{Name: "tb-dep", Version: "1.1-1", Control: []string{"Depends: tb-newdep (>= 1.0)"}},
		{Name: "tb-newdep", Version: "1.0-1"},
		{Name: "tb-conf", Version: "1.0-1"},
		{Name: "tb-conf", Version: "1.1-1", Control: []string{"Conflicts: tb-tool"}},
	}, "tb-dep=1.0-1", "tb-conf=1.0-1")
	root.run("/usr/bin/apt-get", "-q", "-y", "--download-only", "install", "--", "tb-dep=1.1-1")
	inv := root.inventory()
	targets := []plan.Target{target(t, inv, "tb-conf", "1.1-1"), target(t, inv, "tb-dep", "1.1-1")}
	var log progresstest.Log
	r := newRunner(t, "private-progress-changes", "a copy of the testbed's private apt root with a test repository whose tb-conf 1.1-1 conflicts with the installed tb-tool and whose tb-dep 1.1-1 depends on the new tb-newdep, tb-dep's and tb-newdep's archives fetched beforehand", "removals")
	out, err := Apply(t.Context(), r, targets, append(slices.Clone(root.opts), AllowRemovals(), WithProgress(log.Add))...)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.Output, out.Stderr)
	}
	want := []plan.Progress{
		{Stage: plan.StageDownloading},
		{Stage: plan.StageDownloading, N: 1, Package: "tb-conf"},
		{Stage: plan.StageInstalling},
	}
	got := log.Events()
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Fatalf("events %+v, want first %+v", got, want)
	}
	checkCounts(t, got[len(want)-1:], plan.StageInstalling, []string{"tb-conf", "tb-dep", "tb-newdep", "tb-tool"})
	for _, p := range root.inventory() {
		if p.Name == "tb-tool" {
			t.Errorf("tb-tool still installed (%s)", p.State)
		}
	}
}
