package apt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// Apply installs the targets in one apt-get transaction, as upgrades of
// the installed packages, without asking anything:
//
//	DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a APT_LISTCHANGES_FRONTEND=none UCF_FORCE_CONFFOLD=1
//	apt-get -o quiet=1 -o APT::Get::Show-Upgraded=true --no-install-recommends
//	        -o DPkg::Lock::Timeout=N -o Dpkg::Use-Pty=0
//	        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
//	        -y [--download-only] --no-remove install --only-upgrade -- NAME:ARCH=VERSION ...
//
// It runs twice. First with --download-only: apt resolves the same plan as
// Plan and fetches the archives, and nothing on the system changes, so
// this run is cancellable (cancelling ctx stops its whole process group
// and Apply returns ctx's error). Then the commit, a run.Command with
// Committing set: apt finds the archives in its cache and runs dpkg, and
// the runner never signals it, whatever happens to ctx, because a dpkg
// killed mid-way leaves the system half-configured. A cancelled ctx
// between the two stops Apply before the commit.
//
// Weakening flags (--allow-downgrades, --allow-unauthenticated) are passed
// only when the caller opts in by name (AllowDowngrades,
// AllowUnauthenticated); --no-remove is left out only with AllowRemovals.
// Without them apt refuses a downgrade, a package from an unauthenticated
// repository, and a removal, and Apply returns that error.
//
// The Outcome is the commit's (or, when the download failed, the
// download's): the command, exit code, outputs, and the Failures: each
// package dpkg reported an error for ("dpkg: error processing package X
// (--configure):" and its reason, "Errors were encountered while
// processing:"), and each archive apt could not fetch. When apt-get exits
// with an error the Outcome comes with a non-nil error: a
// *plan.LockedError when a lock stayed held beyond LockTimeout (naming
// the holder when apt does, "It is held by process N (name)"; no lock
// file is ever removed), a *plan.RepairError when apt says an earlier dpkg
// run was interrupted, or the wrapped *run.ExitError otherwise (a failing
// maintainer script: the package's state is then dpkg's half-configured or
// unpacked, which Check reports). apt does not say whether a reboot is
// needed: maintainer scripts write /var/run/reboot-required in the root,
// which the caller reads; Outcome.RebootRequired stays false.
func Apply(ctx context.Context, r run.Runner, targets []plan.Target, opts ...Option) (plan.Outcome, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return plan.Outcome{}, err
	}
	ops, err := operands(targets)
	if err != nil {
		return plan.Outcome{}, err
	}
	start := time.Now()
	deadline := start.Add(o.lockWait)
	o.report(plan.StageDownloading)
	c, res, err := o.runLocked(ctx, r, deadline, func(wait time.Duration) run.Command {
		return o.withProgress(o.installCommand(ops, true, wait), plan.StageDownloading)
	})
	if err != nil {
		out := outcome(c, res)
		return out, o.runError("downloading", "apt", res, err, time.Since(start))
	}
	if err := ctx.Err(); err != nil {
		return outcome(c, res), fmt.Errorf("install/apt: cancelled after the download, before anything was installed: %w", err)
	}
	o.report(plan.StageInstalling)
	c, res, err = o.runLocked(ctx, r, deadline, func(wait time.Duration) run.Command {
		return o.withProgress(o.installCommand(ops, false, wait), plan.StageInstalling)
	})
	out := outcome(c, res)
	if err != nil {
		return out, o.runError("installing", "apt", res, err, time.Since(start))
	}
	return out, nil
}

// outcome is what a run did, with the failures it reported.
func outcome(c run.Command, res run.Result) plan.Outcome {
	return plan.Outcome{
		Command:  c.String(),
		ExitCode: res.ExitCode,
		Output:   string(res.Stdout),
		Stderr:   string(res.Stderr),
		Failures: parseFailures(res.Stderr, res.Stdout),
	}
}

// runLocked runs the command build makes for the time left until
// deadline, again once a second while the command fails because a lock is
// held and time is left: apt waits for the dpkg locks itself (and uses up
// the time), but not for the archives directory's lock, and dpkg never
// waits. A cancelled ctx ends the waiting.
func (o *options) runLocked(ctx context.Context, r run.Runner, deadline time.Time, build func(time.Duration) run.Command) (run.Command, run.Result, error) {
	for {
		c := build(max(time.Until(deadline), 0))
		res, err := r.Run(ctx, c)
		if err == nil || ctx.Err() != nil {
			return c, res, err
		}
		if _, locked := parseLock(res.Stderr, res.Stdout); !locked {
			return c, res, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return c, res, err
		}
		t := time.NewTimer(min(left, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return c, res, err
		case <-t.C:
		}
	}
}

// runError turns a failed run into the error the caller branches on: a
// held lock, an interrupted dpkg, or the runner's error wrapped.
func (o *options) runError(what, tool string, res run.Result, err error, waited time.Duration) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("install/apt: %s on %s: %w", what, o.rootName(), err)
	}
	var ee *run.ExitError
	if errors.As(err, &ee) && ee.Signal == "" {
		if li, locked := parseLock(res.Stderr, res.Stdout); locked {
			le := &plan.LockedError{Tool: tool, Path: li.path, PID: li.pid, Holder: li.holder}
			if o.chroot != "" && strings.HasPrefix(li.path, "/") {
				// apt names the file as it sees it inside the chroot; the
				// caller sees the root from outside, as dnf's and zypper's
				// lock paths are given.
				le.Path = filepath.Join(o.chroot, li.path)
			}
			if waited > 0 {
				le.Waited = waited.Round(100 * time.Millisecond).String()
			}
			return le
		}
		if strings.Contains(string(res.Stderr), aptInterrupted) {
			return &plan.RepairError{Tool: "dpkg", Packages: []string{"an unfinished dpkg run (apt: \"dpkg was interrupted\")"}, Repair: o.repairDescription()}
		}
	}
	return fmt.Errorf("install/apt: %s on %s: %w", what, o.rootName(), err)
}
