package install

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/run"
)

// applyExecutor fails every transaction that holds a broken target (in
// its commit, as a failing scriptlet does), and one with any target (in
// its download run) when lockedAfter transactions have run; it reports its
// runs as the family executors do.
type applyExecutor struct {
	depExecutor
	broken      string
	lockedAfter int
	lockedErr   error // what a locked run returns (default: a *plan.LockedError's sentinel)
	applied     [][]string
}

func (a *applyExecutor) apply(_ context.Context, ts []plan.Target, progress func(plan.Progress)) (plan.Outcome, error) {
	var names []string
	for _, t := range ts {
		names = append(names, t.Version.Name)
	}
	a.applied = append(a.applied, names)
	progress(plan.Progress{Stage: plan.StageDownloading})
	if a.lockedAfter > 0 && len(a.applied) > a.lockedAfter {
		if a.lockedErr != nil {
			return plan.Outcome{ExitCode: 1}, a.lockedErr
		}
		return plan.Outcome{ExitCode: 1}, fmt.Errorf("dnf: %w", plan.ErrLocked)
	}
	progress(plan.Progress{Stage: plan.StageInstalling, Packages: len(ts)})
	for _, n := range names {
		if n == a.broken {
			return plan.Outcome{ExitCode: 1, Failures: []plan.Failure{{Name: n, Reason: "scriptlet failed"}}}, errors.New("dnf: transaction failed")
		}
	}
	return plan.Outcome{Command: fmt.Sprint(names)}, nil
}

// TestApplyTargetsFallback: a failed transaction is followed by one per
// target, so that one broken update does not hold back the rest; every
// invocation's outcome is kept, and a lock held by someone else stops at
// once instead of going on target by target.
func TestApplyTargetsFallback(t *testing.T) {
	ctx := context.Background()
	ts := []plan.Target{
		{Version: rpmPkg("tb-hello", "0:1.1-1"), KBID: "tb-hello.noarch"},
		{Version: rpmPkg("tb-broken", "0:2.0-1"), KBID: "tb-broken.noarch"},
		{Version: rpmPkg("tb-lib", "1:2.0-2"), KBID: "tb-lib.noarch"},
	}
	o := options{logger: slog.New(slog.DiscardHandler)}
	var events []ProgressEvent
	progress := func(e ProgressEvent) { events = append(events, e) }

	x := &applyExecutor{broken: "tb-broken"}
	var res Result
	require.NoError(t, o.applyTargets(ctx, x, ts, &res, progress, nil))
	assert.Equal(t, [][]string{{"tb-hello", "tb-broken", "tb-lib"}, {"tb-hello"}, {"tb-broken"}, {"tb-lib"}}, x.applied)
	require.Len(t, res.Outcomes, 4)
	assert.Equal(t, "tb-broken", res.Outcomes[2].Failures[0].Name)
	assert.Equal(t, []ProgressEvent{
		{Step: "download", Total: 3}, {Step: "install", Total: 3},
		{Step: "download", N: 1, Total: 3, Detail: "tb-hello.noarch"}, {Step: "install", N: 1, Total: 3, Detail: "tb-hello.noarch"},
		{Step: "download", N: 2, Total: 3, Detail: "tb-broken.noarch"}, {Step: "install", N: 2, Total: 3, Detail: "tb-broken.noarch"},
		{Step: "download", N: 3, Total: 3, Detail: "tb-lib.noarch"}, {Step: "install", N: 3, Total: 3, Detail: "tb-lib.noarch"},
	}, events)

	// All in one transaction when nothing is broken.
	x, res = &applyExecutor{}, Result{}
	require.NoError(t, o.applyTargets(ctx, x, ts, &res, func(ProgressEvent) {}, nil))
	assert.Len(t, x.applied, 1)
	assert.Len(t, res.Outcomes, 1)

	// The lock taken by another package manager between two targets: stop.
	x, res = &applyExecutor{broken: "tb-hello", lockedAfter: 2}, Result{}
	err := o.applyTargets(ctx, x, ts, &res, func(ProgressEvent) {}, nil)
	require.ErrorIs(t, err, plan.ErrLocked)
	assert.Len(t, x.applied, 3, "the transaction, tb-hello alone, then tb-broken finds the lock held")

	// The same when the runner reports the lock (a locked exit of the
	// package manager, run.ErrLocked) rather than the executor.
	x, res = &applyExecutor{broken: "tb-hello", lockedAfter: 2,
		lockedErr: &run.ExitError{Command: "dnf upgrade", Code: 200, Locked: true}}, Result{}
	err = o.applyTargets(ctx, x, ts, &res, func(ProgressEvent) {}, nil)
	require.ErrorIs(t, err, run.ErrLocked)
	assert.Len(t, x.applied, 3)

	// The failed transaction installed tb-hello and tb-lib all the same,
	// and left tb-broken's files at its version (a failing postinst):
	// nothing is run again.
	after := func(context.Context) ([]patchkit.Package, error) {
		hello, broken, lib := rpmPkg("tb-hello", "0:1.1-1"), rpmPkg("tb-broken", "0:2.0-1"), rpmPkg("tb-lib", "1:2.0-1")
		hello.State, broken.State, lib.State = patchkit.StateInstalled, patchkit.StateHalfConfigured, patchkit.StateInstalled
		return []patchkit.Package{hello, broken, lib}, nil
	}
	x, res = &applyExecutor{broken: "tb-broken"}, Result{}
	require.NoError(t, o.applyTargets(ctx, x, ts, &res, func(ProgressEvent) {}, after))
	assert.Equal(t, [][]string{{"tb-hello", "tb-broken", "tb-lib"}, {"tb-lib"}}, x.applied,
		"only tb-lib, still at 1:2.0-1, is tried alone")
	require.Len(t, res.Outcomes, 2)

	// The package database cannot be read: an error, nothing more run.
	x, res = &applyExecutor{broken: "tb-broken"}, Result{}
	err = o.applyTargets(ctx, x, ts, &res, func(ProgressEvent) {}, func(context.Context) ([]patchkit.Package, error) {
		return nil, errors.New("rpmdb: damaged")
	})
	require.ErrorContains(t, err, "rpmdb: damaged")
	assert.Len(t, x.applied, 1)
}

// TestTargetsHalfDone: an approved version an earlier run left
// half-configured is Missing and a target (finishing it is the install,
// which the check asks to repair first), although no candidate is newer
// than it; a Missing item at a plainly installed version is not (nothing
// to finish, and no candidate).
func TestTargetsHalfDone(t *testing.T) {
	pkg := func(name, v string, st patchkit.InstallState) patchkit.Package {
		p, err := patchkit.ParseDpkg(name+":all", v)
		require.NoError(t, err)
		p.State = st
		return p
	}
	half := pkg("tb-fail", "1.1-1", patchkit.StateHalfConfigured)
	r := scan.Result{}
	r.Inventory.Packages = []patchkit.Package{half, pkg("tb-odd", "2.0-1", patchkit.StateInstalled)}
	r.Report.Items = []compliance.Item{
		{KBID: "tb-fail.all", Name: "tb-fail", Arch: "all", State: compliance.Missing, InstalledVersion: "1.1-1",
			InstallState: patchkit.StateHalfConfigured, CandidateVersion: "1.1-1"},
		{KBID: "tb-odd.all", Name: "tb-odd", Arch: "all", State: compliance.Missing, InstalledVersion: "2.0-1", CandidateVersion: "2.0-1"},
	}
	ts := targets(r, options{})
	require.Len(t, ts, 1)
	assert.Equal(t, "tb-fail.all", ts[0].KBID)
	assert.Equal(t, "1.1-1", ts[0].Version.EVR())
	assert.Empty(t, ts[0].Version.State, "the version to install, not the half-done package")
	assert.Equal(t, patchkit.StateHalfConfigured, ts[0].Installed.State)
}
