package apt

import (
	"context"
	"slices"
	"testing"

	"github.com/patchkit/patchkit/install/plan"
	scanapt "github.com/patchkit/patchkit/scan/apt"
	"github.com/patchkit/patchkit/scan/run"
)

// replayProgress applies targets from a scenario's recordings with a
// progress callback and returns the events.
func replayProgress(t *testing.T, scenario string, targets []plan.Target, opts ...Option) ([]plan.Progress, plan.Outcome, error) {
	t.Helper()
	var events []plan.Progress
	r := loadReplay(t, scenario)
	out, err := Apply(t.Context(), r, targets, append(append(slices.Clone(privateOpts), opts...), WithProgress(func(p plan.Progress) { events = append(events, p) }))...)
	return events, out, err
}

// TestRecordedProgress reads the per-package progress of recorded Apply
// runs (Replay sends each recording's lines to the command's OnLine):
// the testbed's updates and tb-gate, in the order apt fetched and dpkg
// unpacked them; a transaction that removes one package, installs a new
// one and upgrades two, after two of its archives were fetched (the
// download's Total unknown); and the four updates on the private root
// and in the chroot.
func TestRecordedProgress(t *testing.T) {
	dl, in := plan.StageDownloading, plan.StageInstalling
	events, _, err := replayProgress(t, "private-progress", []plan.Target{
		recordedTarget(t, "tb-hello", "1.1-1"), recordedTarget(t, "tb-kernel", "1.1-1"), recordedTarget(t, "tb-lib", "1:2.0-2"),
		recordedTarget(t, "tb-multi", "1.2-1"), recordedTarget(t, "tb-gate", "1.1-1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.Progress{
		{Stage: dl},
		{Stage: dl, N: 1, Total: 5, Package: "tb-gate"}, {Stage: dl, N: 2, Total: 5, Package: "tb-hello"},
		{Stage: dl, N: 3, Total: 5, Package: "tb-kernel"}, {Stage: dl, N: 4, Total: 5, Package: "tb-lib"},
		{Stage: dl, N: 5, Total: 5, Package: "tb-multi"},
		{Stage: in},
		{Stage: in, N: 1, Total: 5, Package: "tb-gate"}, {Stage: in, N: 2, Total: 5, Package: "tb-hello"},
		{Stage: in, N: 3, Total: 5, Package: "tb-kernel"}, {Stage: in, N: 4, Total: 5, Package: "tb-lib"},
		{Stage: in, N: 5, Total: 5, Package: "tb-multi"},
	}
	if !slices.Equal(events, want) {
		t.Errorf("private-progress:\n got %+v\nwant %+v", events, want)
	}

	events, _, err = replayProgress(t, "private-progress-changes",
		[]plan.Target{recordedTarget(t, "tb-conf", "1.1-1"), recordedTarget(t, "tb-dep", "1.1-1")}, AllowRemovals())
	if err != nil {
		t.Fatal(err)
	}
	want = []plan.Progress{
		{Stage: dl},
		{Stage: dl, N: 1, Package: "tb-conf"}, // "Need to get 788 B/2352 B": how many archives apt fetches is not said
		{Stage: in},
		{Stage: in, N: 1, Total: 4, Package: "tb-tool"}, // Removing
		{Stage: in, N: 2, Total: 4, Package: "tb-conf"},
		{Stage: in, N: 3, Total: 4, Package: "tb-newdep"}, // Selecting previously unselected package
		{Stage: in, N: 4, Total: 4, Package: "tb-dep"},
	}
	if !slices.Equal(events, want) {
		t.Errorf("private-progress-changes:\n got %+v\nwant %+v", events, want)
	}

	for _, scenario := range []string{"private-upgrade", "chroot-upgrade"} {
		r := loadReplay(t, scenario)
		opts := slices.Clone(privateOpts)
		if scenario == "chroot-upgrade" {
			opts = []Option{Chroot(r.recs[0].Argv[1])}
		}
		var events []plan.Progress
		if _, err := Apply(t.Context(), r, recordedUpgradeTargets(t), append(opts, WithProgress(func(p plan.Progress) { events = append(events, p) }))...); err != nil {
			t.Fatal(err)
		}
		for _, stage := range []string{dl, in} {
			var got []string
			for _, e := range events {
				if e.Stage == stage && e.N > 0 {
					got = append(got, e.Package)
					if e.N != len(got) || e.Total != 4 {
						t.Errorf("%s %s: %+v", scenario, stage, e)
					}
				}
			}
			if want := []string{"tb-hello", "tb-kernel", "tb-lib", "tb-multi"}; !slices.Equal(got, want) {
				t.Errorf("%s %s: %q, want %q", scenario, stage, got, want)
			}
		}
	}
}

// TestRecordedProgressFailures: the recorded runs that failed still report
// what dpkg started on: tb-fail, whose postinst exits 29, was unpacked
// with tb-lib (2 of 2); tb-badpre's preinst failed after dpkg prepared
// its archive (1 of 1); after an interrupted run and its repair, tb-slow
// is unpacked again (1 of 1).
func TestRecordedProgressFailures(t *testing.T) {
	in := plan.StageInstalling
	installs := func(events []plan.Progress) []plan.Progress {
		var out []plan.Progress
		for _, e := range events {
			if e.Stage == in && e.N > 0 {
				out = append(out, e)
			}
		}
		return out
	}
	events, _, err := replayProgress(t, "private-failing-postinst", []plan.Target{recordedTarget(t, "tb-lib", "1:2.0-2"), recordedTarget(t, "tb-fail", "1.1-1")})
	exitError(t, err)
	if got, want := installs(events), []plan.Progress{{Stage: in, N: 1, Total: 2, Package: "tb-fail"}, {Stage: in, N: 2, Total: 2, Package: "tb-lib"}}; !slices.Equal(got, want) {
		t.Errorf("failing postinst: %+v, want %+v", got, want)
	}
	events, _, err = replayProgress(t, "private-failing-preinst", []plan.Target{recordedTarget(t, "tb-badpre", "1.1-1")})
	exitError(t, err)
	if got, want := installs(events), []plan.Progress{{Stage: in, N: 1, Total: 1, Package: "tb-badpre"}}; !slices.Equal(got, want) {
		t.Errorf("failing preinst: %+v, want %+v", got, want)
	}

	r := loadReplay(t, "private-interrupted")
	tg := []plan.Target{recordedTarget(t, "tb-slow", "1.1-1")}
	if _, err := Apply(t.Context(), r, tg, privateOpts...); err == nil {
		t.Fatal("the first recorded Apply was refused")
	}
	if _, err := Repair(t.Context(), r, privateOpts...); err != nil {
		t.Fatal(err)
	}
	events = nil
	if _, err := Apply(t.Context(), r, tg, append(slices.Clone(privateOpts), WithProgress(func(p plan.Progress) { events = append(events, p) }))...); err != nil {
		t.Fatal(err)
	}
	if got, want := installs(events), []plan.Progress{{Stage: in, N: 1, Total: 1, Package: "tb-slow"}}; !slices.Equal(got, want) {
		t.Errorf("after the repair: %+v, want %+v", got, want)
	}
}

// TestProgressWithoutStreaming: a runner that does not stream output
// (it ignores OnLine) gives only the events that start each run, and the
// same outcome.
func TestProgressWithoutStreaming(t *testing.T) {
	r := loadReplay(t, "private-upgrade")
	quiet := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		c.OnLine = nil
		return r.Run(ctx, c)
	})
	var events []plan.Progress
	out, err := Apply(t.Context(), quiet, recordedUpgradeTargets(t), append(slices.Clone(privateOpts), WithProgress(func(p plan.Progress) { events = append(events, p) }))...)
	if err != nil || out.ExitCode != 0 {
		t.Fatal(err, out)
	}
	if want := []plan.Progress{{Stage: plan.StageDownloading}, {Stage: plan.StageInstalling}}; !slices.Equal(events, want) {
		t.Errorf("%+v", events)
	}
}

// TestProgressLines reads the line forms one at a time: dpkg's lines as
// the recordings hold them, and as this machine's /var/log/apt/term.log
// holds them for its own upgrades (a Multi-Arch: same package, which dpkg
// names with its architecture; a trigger's "Removing ...:" message), and
// lines that are not progress.
func TestProgressLines(t *testing.T) {
	var events []plan.Progress
	p := &progressParser{c: plan.NewCounter("installing", func(e plan.Progress) { events = append(events, e) }), unpacked: map[string]bool{}}
	for _, l := range []run.Line{
		{Stream: run.Stdout, Text: "0 upgraded, 0 newly installed, 1 downgraded, 0 to remove and 5 not upgraded."},
		{Stream: run.Stdout, Text: "Preparing to unpack .../tb-lib_1%3a2.0-2_all.deb ..."},
		{Stream: run.Stdout, Text: "Unpacking tb-lib (1:2.0-2) over (1:2.0-1) ..."},
		{Stream: run.Stdout, Text: "Setting up tb-lib (1:2.0-2) ..."},
		{Stream: run.Stdout, Text: "Preparing to unpack .../libsystemd0_252.38-1~deb12u1_amd64.deb ..."},
		{Stream: run.Stdout, Text: "Unpacking libsystemd0:amd64 (252.38-1~deb12u1) over (252.36-1~deb12u1) ..."},
		{Stream: run.Stdout, Text: "Setting up libsystemd0:amd64 (252.38-1~deb12u1) ..."},
		{Stream: run.Stdout, Text: "Setting up libudev1:amd64 (252.38-1~deb12u1) ..."},
		{Stream: run.Stdout, Text: "Setting up libudev1:amd64 (252.38-1~deb12u1) ..."},
		{Stream: run.Stdout, Text: "Processing triggers for dbus (1.14.10-1~deb12u1) ..."},
		{Stream: run.Stdout, Text: "Removing obsolete dictionary files:"},
		{Stream: run.Stderr, Text: "Removing tb-x (1.0-1) ..."},
		{Stream: run.Stdout, Text: "Removing tb-y (1.0-1) ...", Truncated: true},
		{Stream: run.Stdout, Text: "Preparing to unpack .../x.deb"},
		{Stream: run.Stdout, Text: "Setting up"},
		{Stream: run.Stdout, Text: "Removing cmake (3.25.1-1) ..."},
	} {
		p.line(l)
	}
	want := []plan.Progress{
		{Stage: "installing", N: 1, Total: 1, Package: "tb-lib"},
		{Stage: "installing", N: 2, Total: 2, Package: "libsystemd0"},
		{Stage: "installing", N: 3, Total: 3, Package: "libudev1:amd64"}, // configured only
		{Stage: "installing", N: 4, Total: 4, Package: "cmake"},
	}
	if !slices.Equal(events, want) {
		t.Errorf("got  %+v\nwant %+v", events, want)
	}
	for _, tc := range []struct {
		line              string
		changes, installs int
		ok                bool
	}{
		{"4 upgraded, 0 newly installed, 0 to remove and 14 not upgraded.", 4, 4, true},
		{"2 upgraded, 1 newly installed, 1 to remove and 4 not upgraded.", 4, 3, true},
		{"0 upgraded, 0 newly installed, 1 downgraded, 0 to remove and 5 not upgraded.", 1, 1, true},
		{"1 upgraded, 0 newly installed, 1 to remove and 5 not upgraded.", 2, 1, true},
		{"1 not fully installed or removed.", 0, 0, false},
		{"x upgraded, 0 newly installed, 0 to remove and 0 not upgraded.", 0, 0, false},
		{"1 upgraded, 2 frobbed, 0 to remove and 0 not upgraded.", 0, 0, false},
	} {
		sum, ok := scanapt.ParseSummary(tc.line)
		c, i := sum.Installs()+sum.Remove, sum.Installs()
		if c != tc.changes || i != tc.installs || ok != tc.ok {
			t.Errorf("%q: %d %d %v", tc.line, c, i, ok)
		}
	}
}
