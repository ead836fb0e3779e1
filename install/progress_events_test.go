package install

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/install/plan"
)

// countingExecutor reports its runs as the family executors do with a
// streaming runner: each phase's start, then each package of the run
// (the targets and one new dependency), counted by a plan.Counter. A
// transaction holding the broken target fails in its commit.
type countingExecutor struct {
	depExecutor
	broken string
}

func (c *countingExecutor) apply(_ context.Context, ts []plan.Target, progress func(plan.Progress)) (plan.Outcome, error) {
	pkgs := []string{"tb-newdep-1.0-1.noarch"}
	for _, t := range ts {
		pkgs = append(pkgs, t.Version.Name+"-"+t.Version.Version+"-"+t.Version.Release+"."+t.Version.Arch)
	}
	for _, stage := range []string{"checking patches", plan.StageDownloading, plan.StageInstalling} {
		progress(plan.Progress{Stage: stage})
		cnt := plan.NewCounter(stage, progress)
		cnt.SetTotal(len(pkgs))
		for _, p := range pkgs {
			cnt.Start(p, p)
		}
	}
	for _, t := range ts {
		if t.Version.Name == c.broken && len(ts) > 1 {
			return plan.Outcome{ExitCode: 1}, errors.New("rpm: transaction failed")
		}
	}
	return plan.Outcome{}, nil
}

// TestApplyTargetsPackageProgress: in the transaction of all targets the
// package manager's own per-package progress becomes "download" and
// "install" events with its N, Total and package; zypper's "checking
// patches" does not; when the targets go one by one after a failed
// transaction, each target is one event per step (N counting targets,
// the KBID in Detail) and the packages of its own run are not reported.
func TestApplyTargetsPackageProgress(t *testing.T) {
	ctx := context.Background()
	ts := []plan.Target{
		{Version: rpmPkg("tb-hello", "0:1.1-1"), KBID: "tb-hello.noarch"},
		{Version: rpmPkg("tb-lib", "1:2.0-2"), KBID: "tb-lib.noarch"},
	}
	o := options{logger: slog.New(slog.DiscardHandler)}
	var events []ProgressEvent
	var res Result
	require.NoError(t, o.applyTargets(ctx, &countingExecutor{}, ts, &res, func(e ProgressEvent) { events = append(events, e) }, nil))
	assert.Equal(t, []ProgressEvent{
		{Step: "download", Total: 2},
		{Step: "download", N: 1, Total: 3, Detail: "tb-newdep-1.0-1.noarch"},
		{Step: "download", N: 2, Total: 3, Detail: "tb-hello-1.1-1.noarch"},
		{Step: "download", N: 3, Total: 3, Detail: "tb-lib-2.0-2.noarch"},
		{Step: "install", Total: 2},
		{Step: "install", N: 1, Total: 3, Detail: "tb-newdep-1.0-1.noarch"},
		{Step: "install", N: 2, Total: 3, Detail: "tb-hello-1.1-1.noarch"},
		{Step: "install", N: 3, Total: 3, Detail: "tb-lib-2.0-2.noarch"},
	}, events)

	events, res = nil, Result{}
	require.NoError(t, o.applyTargets(ctx, &countingExecutor{broken: "tb-lib"}, ts, &res, func(e ProgressEvent) { events = append(events, e) }, nil))
	assert.Equal(t, []ProgressEvent{
		{Step: "download", Total: 2},
		{Step: "download", N: 1, Total: 3, Detail: "tb-newdep-1.0-1.noarch"},
		{Step: "download", N: 2, Total: 3, Detail: "tb-hello-1.1-1.noarch"},
		{Step: "download", N: 3, Total: 3, Detail: "tb-lib-2.0-2.noarch"},
		{Step: "install", Total: 2},
		{Step: "install", N: 1, Total: 3, Detail: "tb-newdep-1.0-1.noarch"},
		{Step: "install", N: 2, Total: 3, Detail: "tb-hello-1.1-1.noarch"},
		{Step: "install", N: 3, Total: 3, Detail: "tb-lib-2.0-2.noarch"},
		// one by one
		{Step: "download", N: 1, Total: 2, Detail: "tb-hello.noarch"}, {Step: "install", N: 1, Total: 2, Detail: "tb-hello.noarch"},
		{Step: "download", N: 2, Total: 2, Detail: "tb-lib.noarch"}, {Step: "install", N: 2, Total: 2, Detail: "tb-lib.noarch"},
	}, events)
}
