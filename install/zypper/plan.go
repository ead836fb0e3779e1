package zypper

import (
	"bytes"
	"context"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// Plan asks zypper, through r, for its own plan to move each target to
// exactly its version, without changing anything:
//
//	zypper --non-interactive --xmlout --no-refresh [--root DIR] install --dry-run
//	    --no-force-resolution --no-recommends -- NAME.ARCH=[E:]V-R ... patch:ID ...
//
// with ZYPP_LOCK_TIMEOUT in its environment. A target with an Advisory is
// installed as that SUSE patch (patch:ID); an interactive or
// reboot-suggesting patch needs AllowInteractivePatches (checked with
// `zypper --xmlout list-patches --all` first). Targets are checked before
// anything runs (*TargetError). The install summary becomes the plan's
// Actions (packages only), DownloadSize (bytes not yet in zypper's cache)
// and InstalledSizeChange; Command and Output are the dry run and its
// XML. Exit codes 102 and 103 (a reboot or a restart of zypper would be
// needed) are outcomes; 106 gives the plan with a
// *scanzypper.ReposSkippedError (errors.Is ErrReposSkipped of scan/zypper);
// 7 a *plan.LockedError; 4 with solver problems a *ProblemError; 104 a
// *NotFoundError.
func Plan(ctx context.Context, r run.Runner, targets []plan.Target, opts ...Option) (plan.Plan, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return plan.Plan{}, err
	}
	ops, patches, err := operands(targets)
	if err != nil {
		return plan.Plan{}, err
	}
	if err := checkPatches(ctx, r, &o, patches); err != nil {
		return plan.Plan{}, err
	}
	o.report("planning", 0)
	c, err := o.command(o.installArgs("dry-run"), ops)
	if err != nil {
		return plan.Plan{}, err
	}
	return o.dryRun(ctx, r, c)
}

// VerifyPlan asks zypper what Repair would do: `zypper --xmlout verify
// --dry-run --no-recommends` (zypper verify checks the dependencies of the
// installed packages and proposes what fixes them; after an interrupted
// upgrade, the removal of the older of two installed versions).
func VerifyPlan(ctx context.Context, r run.Runner, opts ...Option) (plan.Plan, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return plan.Plan{}, err
	}
	c, err := o.command(o.verifyArgs(true), nil)
	if err != nil {
		return plan.Plan{}, err
	}
	return o.dryRun(ctx, r, c)
}

func (o *options) dryRun(ctx context.Context, r run.Runner, c run.Command) (plan.Plan, error) {
	c.OKCodes = []int{102, 103, 106}
	res, err := r.Run(ctx, c)
	if err != nil {
		return plan.Plan{}, o.runError(c, res, err)
	}
	out, err := ParseOutput(c.String(), bytes.NewReader(res.Stdout))
	if err != nil {
		return plan.Plan{}, err
	}
	p, err := out.plan()
	if err != nil {
		return plan.Plan{}, err
	}
	p.Command, p.Output = c.String(), string(res.Stdout)
	if res.ExitCode == 106 {
		return p, reposSkipped(c, out, res.Stderr)
	}
	return p, nil
}
