package install

import (
	"context"
	"io/fs"

	"github.com/patchkit/patchkit"
	iapt "github.com/patchkit/patchkit/install/apt"
	idnf "github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/install/plan"
	izypper "github.com/patchkit/patchkit/install/zypper"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/run"
)

// executor is one family's way of checking, planning, applying and
// repairing, with the options of this run bound.
type executor interface {
	check(ctx context.Context, fsys fs.FS, installed []patchkit.Package) error
	plan(ctx context.Context, ts []plan.Target) (plan.Plan, error)
	// apply installs ts, calling progress as its download and commit
	// runs start.
	apply(ctx context.Context, ts []plan.Target, progress func(plan.Progress)) (plan.Outcome, error)
	repair(ctx context.Context) (plan.Outcome, error)
}

// executorFor picks the family executor by the operating system's package
// manager, a plain switch as the scan's.
func executorFor(os osdetect.OS, o options) (executor, error) {
	switch os.PackageManager {
	case osdetect.APT:
		var opts []iapt.Option
		switch {
		case o.aptConfig != "":
			opts = append(opts, iapt.AptConfig(o.aptConfig))
		case o.rootDir != "":
			opts = append(opts, iapt.Chroot(o.rootDir))
		}
		opts = append(opts, iapt.LockTimeout(o.lockWait))
		if o.allowDowngrades {
			opts = append(opts, iapt.AllowDowngrades())
		}
		return aptExec{r: o.runner, opts: opts}, nil
	case osdetect.DNF, osdetect.YUM:
		var opts []idnf.Option
		if o.rootDir != "" {
			opts = append(opts, idnf.WithInstallRoot(o.rootDir))
			if os.VersionID != "" {
				opts = append(opts, idnf.WithReleasever(os.VersionID))
			}
		}
		opts = append(opts, idnf.WithLockWait(o.lockWait))
		return dnfExec{r: o.runner, opts: opts}, nil
	case osdetect.Zypper:
		var opts []izypper.Option
		if o.rootDir != "" {
			opts = append(opts, izypper.WithRoot(o.rootDir))
		}
		opts = append(opts, izypper.WithLockTimeout(o.lockWait))
		if o.allowDowngrades {
			opts = append(opts, izypper.AllowDowngrades())
		}
		return zypperExec{r: o.runner, opts: opts}, nil
	}
	return nil, &scan.UnsupportedError{OS: os.ID, PackageManager: os.PackageManager}
}

type aptExec struct {
	r    run.Runner
	opts []iapt.Option
}

func (e aptExec) check(ctx context.Context, fsys fs.FS, installed []patchkit.Package) error {
	return iapt.Check(ctx, fsys, installed, e.opts...)
}
func (e aptExec) plan(ctx context.Context, ts []plan.Target) (plan.Plan, error) {
	return iapt.Plan(ctx, e.r, ts, e.opts...)
}
func (e aptExec) apply(ctx context.Context, ts []plan.Target, progress func(plan.Progress)) (plan.Outcome, error) {
	return iapt.Apply(ctx, e.r, ts, append(e.opts[:len(e.opts):len(e.opts)], iapt.WithProgress(progress))...)
}
func (e aptExec) repair(ctx context.Context) (plan.Outcome, error) {
	return iapt.Repair(ctx, e.r, e.opts...)
}

type dnfExec struct {
	r    run.Runner
	opts []idnf.Option
}

func (e dnfExec) check(ctx context.Context, fsys fs.FS, installed []patchkit.Package) error {
	return idnf.Check(ctx, fsys, installed, e.opts...)
}
func (e dnfExec) plan(ctx context.Context, ts []plan.Target) (plan.Plan, error) {
	return idnf.Plan(ctx, e.r, ts, e.opts...)
}
func (e dnfExec) apply(ctx context.Context, ts []plan.Target, progress func(plan.Progress)) (plan.Outcome, error) {
	return idnf.Apply(ctx, e.r, ts, append(e.opts[:len(e.opts):len(e.opts)], idnf.WithProgress(progress))...)
}
func (e dnfExec) repair(ctx context.Context) (plan.Outcome, error) {
	return idnf.Repair(ctx, e.r, e.opts...)
}

type zypperExec struct {
	r    run.Runner
	opts []izypper.Option
}

func (e zypperExec) check(ctx context.Context, fsys fs.FS, installed []patchkit.Package) error {
	return izypper.Check(ctx, fsys, installed, e.opts...)
}
func (e zypperExec) plan(ctx context.Context, ts []plan.Target) (plan.Plan, error) {
	return izypper.Plan(ctx, e.r, ts, e.opts...)
}
func (e zypperExec) apply(ctx context.Context, ts []plan.Target, progress func(plan.Progress)) (plan.Outcome, error) {
	return izypper.Apply(ctx, e.r, ts, append(e.opts[:len(e.opts):len(e.opts)], izypper.WithProgress(progress))...)
}
func (e zypperExec) repair(ctx context.Context) (plan.Outcome, error) {
	return izypper.Repair(ctx, e.r, e.opts...)
}
