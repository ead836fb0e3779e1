package zypper

import (
	"bytes"
	"context"
	"fmt"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// outcomeCodes are the exit codes of a real zypper transaction that are
// outcomes, not failures: 102 installed, reboot needed; 103 installed,
// zypper itself was updated and must run again for the rest; 106 some
// repositories were skipped; 107 installed, but an rpm scriptlet failed.
var outcomeCodes = []int{102, 103, 106, 107}

// Apply installs the targets in one zypper transaction, in two runs:
//
//  1. download: zypper ... install --download-only --no-force-resolution
//     --no-recommends -- OPERANDS, which resolves the transaction and puts
//     its packages in zypper's cache (checking their checksums and, as the
//     repository asks, their signatures). It is not committing:
//     cancelling ctx stops it (SIGTERM to its process group, then SIGKILL
//     after the runner's wait delay) and nothing is installed. With
//     WithPlan, the transaction it resolved must be the approved plan's,
//     else a *plan.RefusedError and nothing is installed.
//  2. commit: the same command without --download-only, run as a
//     committing command (run.Command.Committing): once started it is
//     never signalled, so that a cancelled ctx cannot leave rpm half-way;
//     Apply returns its outcome.
//
// Operands, options and the lock bound are Plan's; --non-interactive
// answers every prompt with its default (a licence is declined unless
// AgreeWithLicenses; a failing package aborts the rest). When the download
// phase finds nothing to change, the commit is not run and the outcome is
// the download run's.
//
// The Outcome carries the commit's command, exit code and output, the
// packages zypper or rpm reported failing (Failures: a failed %pre or
// install aborts with exit 8, a failed %post is exit 107 with the package
// installed, a signature zypper could not verify leaves the package out),
// and RebootRequired for exit 102. Exit codes 102, 103, 106 (with a
// *scanzypper.ReposSkippedError) and 107 return the outcome with it;
// other exit codes return the outcome and the runner's *run.ExitError
// (or this package's typed error for 4 and 104); exit 7 is a
// *plan.LockedError naming the holder. The zypp lock file is never
// touched.
func Apply(ctx context.Context, r run.Runner, targets []plan.Target, opts ...Option) (plan.Outcome, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return plan.Outcome{}, err
	}
	ops, patches, err := operands(targets)
	if err != nil {
		return plan.Outcome{}, err
	}
	if err := checkPatches(ctx, r, &o, patches); err != nil {
		return plan.Outcome{}, err
	}
	dl, err := o.command(o.installArgs("download-only"), ops)
	if err != nil {
		return plan.Outcome{}, err
	}
	commit, err := o.command(o.installArgs(""), ops)
	if err != nil {
		return plan.Outcome{}, err
	}
	return o.twoPhase(ctx, r, plan.StageDownloading, dl, plan.StageInstalling, commit)
}

// Repair runs `zypper --xmlout verify --no-recommends` as a committing
// command: zypper resolves the dependency problems of the installed
// packages and carries out what it proposes. After an upgrade interrupted
// between rpm adding the new version and removing the old one (what Check
// reports), it removes the older version, running that version's removal
// scriptlets as the upgrade would have; the new version's own scriptlets
// that were interrupted are not run again. VerifyPlan shows what it would
// do; with WithPlan, Repair first runs the dry run and refuses
// (*plan.RefusedError) unless zypper proposes exactly that plan. Call it
// only when the caller asks: it may remove packages.
func Repair(ctx context.Context, r run.Runner, opts ...Option) (plan.Outcome, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return plan.Outcome{}, err
	}
	var check run.Command
	if o.expected != nil {
		if check, err = o.command(o.verifyArgs(true), nil); err != nil {
			return plan.Outcome{}, err
		}
	}
	commit, err := o.command(o.verifyArgs(false), nil)
	if err != nil {
		return plan.Outcome{}, err
	}
	return o.twoPhase(ctx, r, "verifying", check, "repairing", commit)
}

// twoPhase runs first (when it has a path: the download or dry run, not
// committing), compares its transaction with the approved plan, and then
// commit (committing) unless first found nothing to do.
func (o *options) twoPhase(ctx context.Context, r run.Runner, firstStage string, first run.Command, commitStage string, commit run.Command) (plan.Outcome, error) {
	n := 0
	if first.Path != "" {
		o.report(firstStage, 0)
		first.OKCodes = outcomeCodes
		res, err := r.Run(ctx, o.withProgress(first, firstStage))
		out := outcome(first, res)
		if err != nil {
			return out, o.runError(first, res, err)
		}
		parsed, err := ParseOutput(first.String(), bytes.NewReader(res.Stdout))
		if err != nil {
			return out, err
		}
		acts, err := parsed.Actions()
		if err != nil {
			return out, err
		}
		if o.expected != nil {
			if err := sameActions(o.expected.Actions, acts); err != nil {
				return out, err
			}
		}
		if len(acts) == 0 {
			if res.ExitCode == 106 {
				return out, reposSkipped(first, parsed, res.Stderr)
			}
			return out, nil
		}
		n = len(acts)
		// Nothing is committed once the caller has given up.
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("install/zypper: cancelled before the commit: %w", err)
		}
	}
	o.report(commitStage, n)
	commit.Committing = true
	commit.OKCodes = outcomeCodes
	res, err := r.Run(ctx, o.withProgress(commit, commitStage))
	out := outcome(commit, res)
	if err != nil {
		return out, o.runError(commit, res, err)
	}
	out.RebootRequired = res.ExitCode == 102
	parsed, perr := ParseOutput(commit.String(), bytes.NewReader(res.Stdout))
	if perr != nil {
		return out, perr
	}
	if res.ExitCode == 106 {
		return out, reposSkipped(commit, parsed, res.Stderr)
	}
	return out, nil
}

// outcome builds the Outcome of a run, with the failures its output names.
// Output that is not well-formed XML (a run cut short) gives the failures
// named on standard error only.
func outcome(c run.Command, res run.Result) plan.Outcome {
	out := plan.Outcome{Command: c.String(), ExitCode: res.ExitCode, Output: string(res.Stdout), Stderr: string(res.Stderr)}
	var texts []string
	if parsed, err := ParseOutput(c.String(), bytes.NewReader(res.Stdout)); err == nil {
		texts = parsed.texts("error", "warning", "info")
	}
	texts = append(texts, string(res.Stderr))
	out.Failures = failures(texts)
	return out
}

// sameActions checks that got does exactly what want does: the same
// package actions (kind, name, architecture, version, version before),
// in any order.
func sameActions(want, got []plan.Action) error {
	key := func(a plan.Action) string { return a.String() }
	w := map[string]bool{}
	for _, a := range want {
		w[key(a)] = true
	}
	g := map[string]bool{}
	for _, a := range got {
		g[key(a)] = true
		if !w[key(a)] {
			return &plan.RefusedError{Action: a, Reason: "zypper's transaction does it, the approved plan does not"}
		}
	}
	for _, a := range want {
		if !g[key(a)] {
			return &plan.RefusedError{Action: a, Reason: "the approved plan does it, zypper's transaction does not"}
		}
	}
	return nil
}
