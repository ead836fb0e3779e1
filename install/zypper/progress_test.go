package zypper

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// TestReplayProgress reads the per-package progress of recorded runs
// (Replay sends each recording's lines to the command's OnLine), from
// zypper's own counts: the packages retrieved in the download run, then
// rpm's work in the commit; the happy path's patch is not a package
// zypper counts; in the newdep case, after an Apply refused for a
// narrower plan, the download run finds the packages in zypper's cache
// ("In cache FILE.rpm"); Repair's commit removes a
// package ("(1/1) Removing ...", no colon); a %pre that fails still
// reports the package rpm started on.
func TestReplayProgress(t *testing.T) {
	dl, in := plan.StageDownloading, plan.StageInstalling
	p := func(stage string, n, total int, pkg string) plan.Progress {
		return plan.Progress{Stage: stage, N: n, Total: total, Package: pkg}
	}
	kernel := upgrade("kernel-tb", -1, "5.0-1", "5.1-1")
	kernel.Advisory = "TBSA-2026:0003"
	for _, tc := range []struct {
		name    string
		targets []plan.Target
		opts    []Option
		refused bool // an Apply refused after its download run comes first, as recorded
		want    []plan.Progress
	}{
		{"progress", []plan.Target{upgrade("tb-dep", -1, "1.0-1", "1.1-1"), upgrade("tb-slow", -1, "1.0-1", "1.1-1")}, nil, false, []plan.Progress{
			{Stage: dl}, p(dl, 1, 3, "tb-newdep-1.0-1.noarch"), p(dl, 2, 3, "tb-slow-1.1-1.noarch"), p(dl, 3, 3, "tb-dep-1.1-1.noarch"),
			{Stage: in, Packages: 3}, p(in, 1, 3, "tb-newdep-1.0-1.noarch"), p(in, 2, 3, "tb-slow-1.1-1.noarch"), p(in, 3, 3, "tb-dep-1.1-1.noarch"),
		}},
		{"happy", []plan.Target{upgrade("tb-lib", 1, "2.0-1", "2.0-2"), upgrade("tb-hello", -1, "1.0-1", "1.1-1"), kernel}, []Option{AllowInteractivePatches()}, false, []plan.Progress{
			{Stage: dl}, p(dl, 1, 3, "kernel-tb-5.1-1.noarch"), p(dl, 2, 3, "tb-hello-1.1-1.noarch"), p(dl, 3, 3, "tb-lib-1:2.0-2.noarch"),
			{Stage: in, Packages: 3}, p(in, 1, 3, "kernel-tb-5.1-1.noarch"), p(in, 2, 3, "tb-hello-1.1-1.noarch"), p(in, 3, 3, "tb-lib-1:2.0-2.noarch"),
		}},
		{"newdep", []plan.Target{upgrade("tb-dep", -1, "1.0-1", "1.1-1")}, nil, true, []plan.Progress{
			// the refused Apply had fetched them: "In cache tb-dep-1.1-1.noarch.rpm (2/2)"
			{Stage: dl}, p(dl, 1, 2, "tb-newdep-1.0-1.noarch"), p(dl, 2, 2, "tb-dep-1.1-1.noarch"),
			{Stage: in, Packages: 2}, p(in, 1, 2, "tb-newdep-1.0-1.noarch"), p(in, 2, 2, "tb-dep-1.1-1.noarch"),
		}},
		{"scriptlet-pre", []plan.Target{upgrade("tb-prefail", -1, "1.0-1", "1.1-1")}, nil, false, []plan.Progress{
			{Stage: dl}, p(dl, 1, 1, "tb-prefail-1.1-1.noarch"),
			{Stage: in, Packages: 1}, p(in, 1, 1, "tb-prefail-1.1-1.noarch"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, _, root := replayCase(t, tc.name)
			if tc.refused {
				p, err := Plan(t.Context(), g, tc.targets, WithRoot(root))
				if err != nil {
					t.Fatal(err)
				}
				p.Actions = p.Actions[1:]
				if _, err := Apply(t.Context(), g, tc.targets, WithRoot(root), WithPlan(p)); !errors.Is(err, plan.ErrPlanRefused) {
					t.Fatalf("the narrower plan: %v", err)
				}
			}
			var got []plan.Progress
			opts := append([]Option{WithRoot(root), WithProgress(func(e plan.Progress) { got = append(got, e) })}, tc.opts...)
			_, _ = Apply(t.Context(), g, tc.targets, opts...)
			var steps []plan.Progress
			for _, e := range got {
				if e.Stage == dl || e.Stage == in {
					steps = append(steps, e)
				}
			}
			if !slices.Equal(steps, tc.want) {
				t.Errorf("\n got %+v\nwant %+v", steps, tc.want)
			}
		})
	}

	g, _, root := replayCase(t, "repair")
	vp, err := VerifyPlan(t.Context(), g, WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	var got []plan.Progress
	if _, err := Repair(t.Context(), g, WithRoot(root), WithPlan(vp), WithProgress(func(e plan.Progress) { got = append(got, e) })); err != nil {
		t.Fatal(err)
	}
	want := []plan.Progress{{Stage: "verifying"}, {Stage: "repairing", Packages: 1}, p("repairing", 1, 1, "tb-slow-1.0-1.noarch")}
	if !slices.Equal(got, want) {
		t.Errorf("repair:\n got %+v\nwant %+v", got, want)
	}
}

// TestProgressWithoutStreaming: a runner that does not stream output
// (it drops OnLine) gives only the events that start each phase, and the
// same outcome.
func TestProgressWithoutStreaming(t *testing.T) {
	g, _, root := replayCase(t, "progress")
	quiet := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		c.OnLine = nil
		return g.Run(ctx, c)
	})
	var got []plan.Progress
	out, err := Apply(t.Context(), quiet, []plan.Target{upgrade("tb-dep", -1, "1.0-1", "1.1-1"), upgrade("tb-slow", -1, "1.0-1", "1.1-1")},
		WithRoot(root), WithProgress(func(e plan.Progress) { got = append(got, e) }))
	if err != nil || out.ExitCode != 0 {
		t.Fatal(err, out)
	}
	if want := []plan.Progress{{Stage: plan.StageDownloading}, {Stage: plan.StageInstalling, Packages: 3}}; !slices.Equal(got, want) {
		t.Errorf("%+v", got)
	}
}

// TestProgressLines reads line forms one at a time: zypper's elements as
// the recordings hold them, and lines that are not progress (a message
// over several lines, an element cut short, another progress id, a count
// that does not read).
func TestProgressLines(t *testing.T) {
	var got []plan.Progress
	install := &progressParser{c: plan.NewCounter("installing", func(e plan.Progress) { got = append(got, e) })}
	for _, l := range []run.Line{
		{Stream: run.Stdout, Text: `<progress id="fileconflict-check" name="Checking for file conflicts:" value="14"/>`},
		{Stream: run.Stdout, Text: `<message type="info">In cache kernel-tb-5.1-1.noarch.rpm (1/3),   6.0 KiB (   16   B unpacked)</message>`},
		{Stream: run.Stdout, Text: `<progress id="install-resolvable" name="(1/3) Installing: kernel-tb-5.1-1.noarch"/>`},
		{Stream: run.Stdout, Text: `<progress id="install-resolvable" name="(1/3) Installing: kernel-tb-5.1-1.noarch" value="50"/>`},
		{Stream: run.Stdout, Text: `<progress id="install-resolvable" name="(2/3) Installing: tb-hello-1.1-1.noarch"`, Truncated: true},
		{Stream: run.Stderr, Text: `<progress id="install-resolvable" name="(2/3) Installing: tb-hello-1.1-1.noarch"/>`},
		{Stream: run.Stdout, Text: `<progress id="install-resolvable" name="(x/3) Installing: tb-hello-1.1-1.noarch"/>`},
		{Stream: run.Stdout, Text: `<progress id="install-resolvable" name="(4/3) Installing: tb-hello-1.1-1.noarch"/>`},
		{Stream: run.Stdout, Text: `<progress id="remove-resolvable" name="(2/3) Removing tb-slow-1.0-1.noarch"/>`},
	} {
		install.line(l)
	}
	want := []plan.Progress{
		{Stage: "installing", N: 1, Total: 3, Package: "kernel-tb-5.1-1.noarch"},
		{Stage: "installing", N: 2, Total: 3, Package: "tb-slow-1.0-1.noarch"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("install:\n got %+v\nwant %+v", got, want)
	}
	got = nil
	download := &progressParser{c: plan.NewCounter("downloading", func(e plan.Progress) { got = append(got, e) }), download: true}
	for _, l := range []run.Line{
		{Stream: run.Stdout, Text: `<message type="info">Additional rpm output:`},
		{Stream: run.Stdout, Text: `<message type="info">Retrieving package tb-lib-1:2.0-2.noarch (3/3),   6.0 KiB (   13   B unpacked)</message>`},
		{Stream: run.Stdout, Text: `<message type="info">Retrieving package tb-lib-1:2.0-2.noarch (3/3),   6.0 KiB (   13   B unpacked)</message>`},
		{Stream: run.Stdout, Text: `<progress id="install-resolvable" name="(1/3) Installing: kernel-tb-5.1-1.noarch"/>`},
		{Stream: run.Stdout, Text: `<message type="info">Retrieving package broken (1/3</message>`},
	} {
		download.line(l)
	}
	if want := []plan.Progress{{Stage: "downloading", N: 1, Total: 3, Package: "tb-lib-1:2.0-2.noarch"}}; !slices.Equal(got, want) {
		t.Errorf("download:\n got %+v\nwant %+v", got, want)
	}
}
