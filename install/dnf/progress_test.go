package dnf_test

import (
	"context"
	"slices"
	"testing"

	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// TestReplayProgress reads the per-package progress of recorded Apply runs
// (Replay sends each recording's lines to the command's OnLine): the
// files in the order dnf finished fetching them, then the packages in the
// order rpm wrote them, against the Transaction Summary's count; a file
// in the cache ("[SKIPPED]"); a lone file (no "(1/1)", and a key fetched
// after the files in the same form);
// a name cut by dnf to its column; a %pre that failed (its package never
// reported) and a commit killed in a %pre (two of three).
func TestReplayProgress(t *testing.T) {
	dl, in := plan.StageDownloading, plan.StageInstalling
	p := func(stage string, n, total int, pkg string) plan.Progress {
		return plan.Progress{Stage: stage, N: n, Total: total, Package: pkg}
	}
	for _, tc := range []struct {
		name     string
		set      string
		from, to int
		fails    bool
		want     []plan.Progress
	}{
		{"streamed", "stream", 0, 2, false, []plan.Progress{
			{Stage: dl}, p(dl, 1, 3, "tb-newdep-1.0-1.noarch.rpm"), p(dl, 2, 3, "tb-dep-1.1-1.noarch.rpm"), p(dl, 3, 3, "tb-slow-1.1-1.noarch.rpm"),
			{Stage: in}, p(in, 1, 3, "tb-newdep-1.0-1.noarch"), p(in, 2, 3, "tb-dep-1.1-1.noarch"), p(in, 3, 3, "tb-slow-1.1-1.noarch"),
		}},
		{"cached", "cached", 0, 2, false, []plan.Progress{
			{Stage: dl}, p(dl, 1, 2, "tb-fail-1.1-1.noarch.rpm"), p(dl, 2, 2, "tb-hello-1.1-1.noarch.rpm"),
			{Stage: in}, p(in, 1, 2, "tb-hello-1.1-1.noarch"), p(in, 2, 2, "tb-fail-1.1-1.noarch"),
		}},
		{"upgrade", "upgrade", 3, 5, false, []plan.Progress{
			{Stage: dl}, p(dl, 1, 4, "tb-hello-1.1-1.noarch.rpm"), p(dl, 2, 4, "kernel-tb-5.1-1.noarch.rpm"), p(dl, 3, 4, "tb-lib-2.0-2.noarch.rpm"), p(dl, 4, 4, "tb-multi-1.3-1.noarch.rpm"),
			// dnf's own counter: 1/8 to 4/8, then the four Cleanup lines
			{Stage: in}, p(in, 1, 4, "tb-multi-1.3-1.noarch"), p(in, 2, 4, "tb-lib-1:2.0-2.noarch"), p(in, 3, 4, "tb-hello-1.1-1.noarch"), p(in, 4, 4, "kernel-tb-5.1-1.noarch"),
		}},
		{"post fails", "scriptlet", 0, 2, false, []plan.Progress{
			{Stage: dl}, p(dl, 1, 1, "tb-fail-1.1-1.noarch.rpm"),
			{Stage: in}, p(in, 1, 1, "tb-fail-1.1-1.noarch"),
		}},
		{"pre fails", "scriptlet", 2, 4, true, []plan.Progress{
			{Stage: dl}, p(dl, 1, 2, "tb-prefail-1.1-1.noarch.rpm"), p(dl, 2, 2, "tb-hello-1.1-1.noarch.rpm"),
			{Stage: in}, p(in, 1, 2, "tb-hello-1.1-1.noarch"),
		}},
		{"long name", "kernels", 3, 5, false, []plan.Progress{
			{Stage: dl}, p(dl, 1, 3, "tb-a-package-name-longer-than-the-name-c"), p(dl, 2, 3, "kernel-tbx-5.1-1.noarch.rpm"), p(dl, 3, 3, "tb-lib-2.0-2.noarch.rpm"),
			{Stage: in}, p(in, 1, 3, "tb-lib-1:2.0-2.noarch"), p(in, 2, 3, "tb-a-package-name-longer-than-the-name-column-of-dnf"), p(in, 3, 3, "kernel-tbx-5.1-1.noarch"),
		}},
		{"bad signature", "badsig", 0, 1, true, []plan.Progress{
			{Stage: dl}, p(dl, 1, 1, "tb-badsig-1.1-1.noarch.rpm"),
		}},
		{"killed", "interrupted", 0, 2, true, []plan.Progress{
			{Stage: dl}, p(dl, 1, 3, "tb-newdep-1.0-1.noarch.rpm"), p(dl, 2, 3, "tb-dep-1.1-1.noarch.rpm"), p(dl, 3, 3, "tb-slow-1.1-1.noarch.rpm"),
			{Stage: in}, p(in, 1, 3, "tb-newdep-1.0-1.noarch"), p(in, 2, 3, "tb-dep-1.1-1.noarch"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := loadSet(t, tc.set)[tc.from:tc.to]
			rp := run.NewReplay(recs...)
			var got []plan.Progress
			progress := dnf.WithProgress(func(p plan.Progress) { got = append(got, p) })
			_, err := dnf.Apply(context.Background(), rp, recTargets(t, recs[0]), rootOpts(recRoot(t, recs[0]), progress)...)
			replayed(t, rp, recs)
			if (err != nil) != tc.fails {
				t.Errorf("Apply: %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tc.want)
			}
			for _, c := range rp.Calls() {
				if !slices.Contains(c.Env, "PYTHONUNBUFFERED=1") {
					t.Errorf("%s: env %q", c.String(), c.Env)
				}
			}
		})
	}
}

// TestReplayProgressWithoutStreaming: a runner that does not stream
// output (it drops OnLine) gives only the events that start each run, the
// same outcome, and dnf's usual environment.
func TestReplayProgressWithoutStreaming(t *testing.T) {
	recs := loadSet(t, "upgrade")[3:5]
	rp := run.NewReplay(recs...)
	quiet := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		c.OnLine = nil
		return rp.Run(ctx, c)
	})
	var got []plan.Progress
	out, err := dnf.Apply(context.Background(), quiet, recTargets(t, recs[0]), rootOpts(recRoot(t, recs[0]), dnf.WithProgress(func(p plan.Progress) { got = append(got, p) }))...)
	if err != nil || out.ExitCode != 0 {
		t.Fatal(err, out)
	}
	if want := []plan.Progress{{Stage: plan.StageDownloading}, {Stage: plan.StageInstalling}}; !slices.Equal(got, want) {
		t.Errorf("%+v", got)
	}
	// without a callback, no OnLine and no environment but the C locale
	rp = run.NewReplay(recs...)
	if _, err := dnf.Apply(context.Background(), rp, recTargets(t, recs[0]), rootOpts(recRoot(t, recs[0]))...); err != nil {
		t.Fatal(err)
	}
	for _, c := range rp.Calls() {
		if c.OnLine != nil || !slices.Equal(c.Env, run.CLocale()) {
			t.Errorf("%s: env %q, OnLine set %v", c.String(), c.Env, c.OnLine != nil)
		}
	}
}
