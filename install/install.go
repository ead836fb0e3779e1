// Package install performs Patch Manager's Install operation: it scans the
// node, installs the approved missing updates (or an InstallOverrideList's)
// through the node's own package manager at exactly the approved versions,
// only as upgrades of installed packages, verifies by scanning again, and
// reports with the Install semantics (what is still missing is Failed),
// then reboots as RebootOption says.
//
// Before anything changes, the package manager's own plan (apt-get -s, dnf
// --assumeno, zypper --dry-run) is parsed and checked: a removal, a
// downgrade or a package not asked for stops the run with a typed error
// naming it (plan.RefusedError); so does an interrupted earlier run
// (plan.RepairError) and a plan that needs more disk space than is free.
// Under RejectedPatchesAction BLOCK an update whose plan brings in a
// rejected version is left out (Result.Blocked; it ends Failed) and the
// others are installed, as Patch Manager blocks "packages that include
// rejected packages as dependencies" without failing the rest. A dry run returns the
// plan unchanged. The install is one transaction; if it fails, each target
// it did not install is tried on its own so that one broken update does
// not hold back the rest. A package the package manager fails on (a
// failing maintainer script or scriptlet, a failed download) is not an
// error of Install: the Outcome names it (plan.Failure, with the
// package's state after the run), and the report has it Failed, unless
// the package database has the approved version installed all the same
// (rpm keeps a package whose %post failed). Install returns an error when
// the run cannot go on (a lock held, a refused plan, a repair needed, a
// cancellation). An approved version an earlier run left half-done (dpkg's
// half-configured or unpacked) is a target too: the check before the
// install asks for repair, which WithRepair performs. No weakening flag
// (--allow-unauthenticated, --nogpgcheck, --allow-downgrades, ...) is ever
// passed unless the caller names it.
//
// Only one patchkit operation runs on a node at a time: Install holds a lock
// file in the root (var/lib/patchkit/operation.lock) for its duration.
package install

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan"
)

// Rebooter reboots the node. The default, SystemRebooter, is real; tests
// inject their own.
type Rebooter interface {
	Reboot(ctx context.Context) error
}

// Hooks are called around the install, as AWS-RunPatchBaselineWithHooks
// runs its hook documents: PreInstall before anything is installed,
// PostInstall after, OnExit always, last. With nothing to install (and,
// under NoReboot, even with reboots pending) only OnExit runs; under
// RebootIfNeeded with reboots pending, PreInstall (with an empty plan) and
// PostInstall (with an empty outcome) run before the reboot. A dry run
// runs only OnExit. A hook's error stops the run (OnExit's is returned).
// Unlike the AWS document, whose on-exit hook runs after the reboot,
// OnExit runs once the rebooter has returned: SystemRebooter schedules the
// reboot a minute ahead so that it can finish.
type Hooks struct {
	PreInstall  func(ctx context.Context, p plan.Plan) error
	PostInstall func(ctx context.Context, o plan.Outcome) error
	OnExit      func(ctx context.Context, r Result) error
}

// ProgressEvent reports the run's steps.
type ProgressEvent struct {
	// Step: "scan", "plan", "download" (the package manager resolves the
	// transaction and fetches the packages; nothing has changed yet),
	// "install" (the committing run), "verify", "reboot".
	Step string
	// Total is the number of targets for "plan", "download" and
	// "install" as each starts (N 0). During the transaction of them all,
	// "download" and "install" events follow with the package manager's
	// own progress, one per package as it starts on it (plan.Progress):
	// N counts them from 1, Total is the package manager's count of the
	// run's packages (dependencies included; 0 when it does not say, and
	// never below N otherwise) and Detail names the package as the
	// package manager writes it; they come when the runner streams output
	// (run.Command.OnLine; run.Local does). When the transaction failed
	// and the targets are installed one by one, N counts the targets
	// instead (from 1, of Total targets), with the target's KBID in
	// Detail, once per step.
	N, Total int
	Detail   string
}

// Result is what an Install did.
type Result struct {
	// Before is the scan taken first; After the one that verified.
	Before scan.Result  `json:"Before"`
	After  *scan.Result `json:"After,omitempty"`
	// Targets are the versions the run set out to install.
	Targets []plan.Target `json:"Targets"`
	// Blocked are the targets left out under RejectedPatchesAction BLOCK
	// because installing them brings in a rejected version; they are not
	// installed and the report has them Failed.
	Blocked []Blocked `json:"Blocked,omitempty"`
	// Plan is the package manager's plan; Outcomes what each package
	// manager invocation did (one, or one per target after a failed
	// transaction).
	Plan     plan.Plan      `json:"Plan"`
	Outcomes []plan.Outcome `json:"Outcomes,omitempty"`
	// Report is the compliance report of the Install operation.
	Report compliance.Report `json:"Report"`
	// DryRun is set when nothing was installed on purpose.
	DryRun bool `json:"DryRun,omitempty"`
	// Rebooted is set when the rebooter was called.
	Rebooted bool `json:"Rebooted,omitempty"`
	// RebootNeeded is set when the node needs a reboot this run did not
	// perform: NoReboot with patches InstalledPendingReboot, a dry run
	// that would reboot, or a Root without a rebooter.
	RebootNeeded bool `json:"RebootNeeded,omitempty"`
}

// Blocked is a target left out under RejectedPatchesAction BLOCK.
type Blocked struct {
	Target plan.Target `json:"Target"`
	// Action is the rejected version the target's own plan brings in, and
	// Entry the RejectedPatches entry that matches it.
	Action plan.Action `json:"Action"`
	Entry  string      `json:"Entry"`
}

// Install runs the Install operation on the root fsys (os.DirFS("/") for the
// live host); the package manager runs through the runner on the root
// given with Root (the live system without it).
func Install(ctx context.Context, fsys fs.FS, opts ...Option) (Result, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return Result{}, err
	}
	unlock, err := lockNode(o.rootDir)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	progress := func(e ProgressEvent) {
		if o.progress != nil {
			o.progress(e)
		}
	}

	var res Result
	progress(ProgressEvent{Step: "scan"})
	before, err := scan.Scan(ctx, fsys, o.scanOptions("scan")...)
	if err != nil {
		return res, err
	}
	res.Before = before
	// Until the install reports, the report is the scan's (a dry run
	// keeps it).
	res.Report = before.Report
	exec, err := executorFor(before.OS, o)
	if err != nil {
		return res, err
	}
	res.Targets = targets(before, o)

	exit := func(err error) (Result, error) {
		if o.hooks.OnExit != nil {
			if herr := o.hooks.OnExit(ctx, res); herr != nil && err == nil {
				err = fmt.Errorf("install: on-exit hook: %w", herr)
			}
		}
		return res, err
	}
	pending := before.Report.Summary.InstalledPendingRebootCount > 0
	// An interrupted earlier run first, whether or not anything is to be
	// installed: installing over it would make it worse, and a node left
	// half-done is not one with nothing to do.
	repaired := false
	if err := exec.check(ctx, fsys, before.Inventory.Packages); err != nil {
		if !errors.Is(err, plan.ErrNeedsRepair) || !o.repair {
			return exit(err)
		}
		out, rerr := exec.repair(ctx)
		res.Outcomes = append(res.Outcomes, out)
		if rerr != nil {
			return exit(fmt.Errorf("install: repair: %w", rerr))
		}
		repaired = true
	}
	if len(res.Targets) == 0 && !repaired && (o.reboot == compliance.NoReboot || !pending || o.dryRun) {
		// Nothing to install: straight to the on-exit hook, with the
		// report of an Install that installed nothing (AWS-RunPatchBaselineWithHooks
		// does the same; under RebootIfNeeded with reboots pending it goes
		// on to reboot, below).
		rep, err := o.installReport(before, before)
		res.Report = rep
		res.DryRun = o.dryRun
		res.RebootNeeded = pending
		if err != nil {
			return exit(err)
		}
		return exit(nil)
	}

	var kept []plan.Target
	if len(res.Targets) > 0 {
		progress(ProgressEvent{Step: "plan", Total: len(res.Targets)})
		p, k, blocked, err := o.planTargets(ctx, exec, res.Targets, before)
		res.Plan, res.Blocked, kept = p, blocked, k
		if err != nil {
			return exit(err)
		}
		if err := checkSpace(o.rootDir, p); err != nil {
			return exit(err)
		}
		if o.dryRun {
			res.DryRun = true
			res.RebootNeeded = o.reboot == compliance.NoReboot && pending || o.reboot == compliance.RebootIfNeeded && (pending || len(kept) > 0)
			return exit(nil)
		}
	}
	// The hooks run whenever the flow does not go straight to the on-exit
	// hook: also when nothing is left to install but a reboot is pending
	// under RebootIfNeeded, or every target was blocked.
	if o.hooks.PreInstall != nil {
		if err := o.hooks.PreInstall(ctx, res.Plan); err != nil {
			return exit(fmt.Errorf("install: pre-install hook: %w", err))
		}
	}
	if len(kept) > 0 {
		installed := func(ctx context.Context) ([]patchkit.Package, error) {
			inv, err := scan.ReadInventory(ctx, fsys, before.OS)
			return inv.Packages, err
		}
		if err := o.applyTargets(ctx, exec, kept, &res, progress, installed); err != nil {
			return exit(err)
		}
	}
	if o.hooks.PostInstall != nil {
		var last plan.Outcome
		if len(res.Outcomes) > 0 {
			last = res.Outcomes[len(res.Outcomes)-1]
		}
		if err := o.hooks.PostInstall(ctx, last); err != nil {
			return exit(fmt.Errorf("install: post-install hook: %w", err))
		}
	}

	progress(ProgressEvent{Step: "verify"})
	after, err := scan.Scan(ctx, fsys, o.scanOptions("verify")...)
	if err != nil {
		return exit(fmt.Errorf("install: verifying scan: %w", err))
	}
	res.After = &after
	failureStates(res.Outcomes, after.Inventory.Packages)
	rep, err := o.installReport(after, before)
	res.Report = rep
	if err != nil {
		return exit(err)
	}

	// RebootIfNeeded: reboot when this run installed anything, or patches
	// are pending a reboot (docs/semantics.md §10.4). NoReboot leaves what
	// this run installed InstalledPendingReboot.
	installed := rep.Summary.InstalledPendingRebootCount > 0 || installedSomething(before, after)
	switch {
	case o.reboot == compliance.NoReboot:
		res.RebootNeeded = rep.Summary.InstalledPendingRebootCount > 0
	case !installed && !pending:
	case o.rebooter == nil:
		res.RebootNeeded = true
	default:
		progress(ProgressEvent{Step: "reboot"})
		if err := o.rebooter.Reboot(ctx); err != nil {
			return exit(fmt.Errorf("install: reboot: %w", err))
		}
		res.Rebooted = true
	}
	return exit(nil)
}

// failureStates fills each failure's State from the package's entries in
// the inventory after the run (the newest when there are several).
func failureStates(outs []plan.Outcome, pkgs []patchkit.Package) {
	for i := range outs {
		for j := range outs[i].Failures {
			f := &outs[i].Failures[j]
			var cur *patchkit.Package
			for k := range pkgs {
				p := &pkgs[k]
				if p.Name != f.Name || f.Arch != "" && p.Arch != f.Arch {
					continue
				}
				if cur == nil || newer(*p, *cur) {
					cur = p
				}
			}
			f.State = patchkit.StateNotInstalled
			if cur != nil && cur.State != "" {
				f.State = cur.State
			}
		}
	}
}

// applyTargets installs the targets in one transaction and, when it
// fails, one by one: those the failed transaction did not bring to their
// version, as installed (nil: every target) reads the package database.
func (o options) applyTargets(ctx context.Context, exec executor, ts []plan.Target, res *Result, progress func(ProgressEvent),
	installed func(context.Context) ([]patchkit.Package, error)) error {
	phases := func(n int, detail string) func(plan.Progress) {
		return func(p plan.Progress) {
			step := p.Stage
			switch p.Stage {
			case plan.StageDownloading:
				step = "download"
			case plan.StageInstalling:
				step = "install"
			default:
				return // zypper's "checking patches": part of the plan, already reported
			}
			switch {
			case p.N == 0:
				progress(ProgressEvent{Step: step, N: n, Total: len(ts), Detail: detail})
			case n == 0:
				// the package manager's own progress in the transaction
				progress(ProgressEvent{Step: step, N: p.N, Total: p.Total, Detail: p.Package})
			}
			// one by one, each target is a step of its own: its
			// packages are not counted again
		}
	}
	out, err := exec.apply(ctx, ts, phases(0, ""))
	res.Outcomes = append(res.Outcomes, out)
	if err != nil {
		if errors.Is(err, plan.ErrLocked) || ctx.Err() != nil {
			return err
		}
		// One broken update must not hold back the rest. A target the
		// failed transaction installed all the same (dpkg goes on past
		// another package's failing maintainer script, leaving that one
		// half-configured, and so does rpm) is not run again: that would
		// only run the broken script again (apt configures it in every
		// run) and report the others failed.
		o.logger.Warn("the transaction failed; installing package by package", "err", err)
		var now []patchkit.Package
		if installed != nil {
			if now, err = installed(ctx); err != nil {
				return fmt.Errorf("install: reading the installed packages after the failed transaction: %w", err)
			}
		}
		for i, t := range ts {
			if atVersion(now, t.Version) {
				continue
			}
			one, err := exec.apply(ctx, []plan.Target{t}, phases(i+1, t.KBID))
			res.Outcomes = append(res.Outcomes, one)
			if err != nil && (errors.Is(err, plan.ErrLocked) || ctx.Err() != nil) {
				return err
			}
		}
	}
	return nil
}

// atVersion reports whether pkgs holds v's version of its package with its
// files on the system (installed, or left half-done by a failing script).
func atVersion(pkgs []patchkit.Package, v patchkit.Package) bool {
	for _, p := range pkgs {
		if p.Name == v.Name && p.Arch == v.Arch && p.State.FilesPresent() && evrWithZero(p) == evrWithZero(v) {
			return true
		}
	}
	return false
}

// planTargets asks the package manager for its plan of the targets and
// checks it. Under RejectedPatchesAction BLOCK, when the plan brings in a
// rejected version, each target is planned on its own to find those that
// need it: they are left out (blocked) and the others planned again. What
// it returns is the plan to apply, the targets it installs and the blocked
// ones; a plan that still breaks a rule is a *plan.RefusedError.
func (o options) planTargets(ctx context.Context, exec executor, ts []plan.Target, before scan.Result) (plan.Plan, []plan.Target, []Blocked, error) {
	p, err := exec.plan(ctx, ts)
	if err != nil {
		return p, nil, nil, err
	}
	c, err := o.blockCompiled(before)
	if err != nil {
		return p, nil, nil, err
	}
	if c == nil {
		return p, ts, nil, o.checkPlan(p, ts, before)
	}
	if _, _, found, err := o.rejectedIn(c, p, before); err != nil || !found {
		if err != nil {
			return p, nil, nil, err
		}
		return p, ts, nil, o.checkPlan(p, ts, before)
	}
	var (
		kept    []plan.Target
		blocked []Blocked
	)
	for _, t := range ts {
		one, err := exec.plan(ctx, []plan.Target{t})
		if err != nil {
			return p, nil, nil, fmt.Errorf("install: planning %s alone to find what brings in a rejected version: %w", t.KBID, err)
		}
		a, entry, found, err := o.rejectedIn(c, one, before)
		if err != nil {
			return p, nil, nil, err
		}
		if found {
			o.logger.Warn("left out: it brings in a version the baseline rejects (RejectedPatchesAction BLOCK)",
				"target", t.KBID, "rejected", a.Package.QualifiedName()+" "+a.Package.EVR(), "entry", entry)
			blocked = append(blocked, Blocked{Target: t, Action: a, Entry: entry})
			continue
		}
		kept = append(kept, t)
	}
	if len(kept) == 0 {
		return plan.Plan{}, nil, blocked, nil
	}
	p, err = exec.plan(ctx, kept)
	if err != nil {
		return p, nil, blocked, err
	}
	// Together the kept targets may still need a rejected version (a
	// dependency only their combination chooses): that, like every other
	// rule, refuses the plan.
	return p, kept, blocked, o.checkPlan(p, kept, before)
}

// blockCompiled is the compiled baseline when it blocks rejected versions
// (RejectedPatchesAction BLOCK with a non-empty RejectedPatches), else nil.
func (o options) blockCompiled(before scan.Result) (*baseline.Compiled, error) {
	b := o.definition(before)
	if b == nil || b.RejectedPatchesAction != baseline.Block || len(b.RejectedPatches) == 0 {
		return nil, nil
	}
	return baseline.Compile(*b)
}

// rejectedIn finds the first action of the plan that installs a version
// the baseline's rejected list names.
func (o options) rejectedIn(c *baseline.Compiled, p plan.Plan, before scan.Result) (plan.Action, string, bool, error) {
	def := before.Report
	for _, a := range p.Actions {
		if a.Kind == plan.Remove {
			continue
		}
		ds, err := c.Evaluate(baseline.Node{OperatingSystem: def.Node.OperatingSystem, Product: def.Node.Product},
			[]patchkit.Patch{{Package: a.Package, Product: def.Node.Product}}, o.at)
		if err != nil {
			return a, "", false, err
		}
		if ds[0].Reason == baseline.ReasonRejectedList {
			return a, ds[0].Entry, true, nil
		}
	}
	return plan.Action{}, "", false, nil
}

// installedSomething reports whether any package version changed between
// the scans, or finished installing (dpkg's half-configured to installed,
// as WithRepair's dpkg --configure -a does).
func installedSomething(before, after scan.Result) bool {
	key := func(p patchkit.Package) string { return p.QualifiedName() + " " + p.EVR() + " " + string(p.State) }
	was := map[string]bool{}
	for _, p := range before.Inventory.Packages {
		was[key(p)] = true
	}
	for _, p := range after.Inventory.Packages {
		if !was[key(p)] {
			return true
		}
	}
	return false
}

// targets are the versions to install: with an override list, the newest
// version of each installed package it names, approved or not; otherwise
// each Missing item's candidate (the best approved version).
func targets(r scan.Result, o options) []plan.Target {
	installed := map[string]patchkit.Package{}
	for _, p := range r.Inventory.Packages {
		if p.State.FilesPresent() || p.State.NeedsRepair() {
			k := p.Name + "." + p.Arch
			if cur, ok := installed[k]; !ok || newer(p, cur) {
				installed[k] = p
			}
		}
	}
	var out []plan.Target
	if o.override != nil {
		best := map[string]patchkit.Patch{}
		for _, c := range r.Candidates {
			k := c.Patch.Name + "." + c.Patch.Arch
			if _, ok := installed[k]; !ok || !o.override.Matches(r.Report.Node.OperatingSystem, c.Patch.Package) {
				continue
			}
			if cur, ok := best[k]; !ok || newer(c.Patch.Package, cur.Package) {
				best[k] = c.Patch
			}
		}
		keys := make([]string, 0, len(best))
		for k := range best {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, plan.Target{Version: best[k].Package, Installed: installed[k], KBID: k})
		}
		return out
	}
	for _, it := range r.Report.Items {
		if it.State != compliance.Missing {
			continue
		}
		// The approved version is on the system, left half-done by an
		// earlier run (dpkg's half-configured, unpacked): installing it
		// means finishing it, which the check before the install asks
		// to repair.
		if p, ok := installed[it.Name+"."+it.Arch]; ok && it.InstallState != "" && evrWithZero(p) == it.CandidateVersion {
			v := p
			v.State, v.Want, v.InstallTime = "", "", time.Time{}
			out = append(out, plan.Target{Version: v, Installed: p, KBID: it.KBID})
			continue
		}
		for _, c := range r.Candidates {
			p := c.Patch.Package
			if c.Decision.Approved && p.Name == it.Name && p.Arch == it.Arch && p.EVR() == it.CandidateVersion ||
				c.Decision.Approved && p.Name == it.Name && p.Arch == it.Arch && evrWithZero(p) == it.CandidateVersion {
				out = append(out, plan.Target{Version: p, Installed: installed[it.Name+"."+it.Arch], KBID: it.KBID})
				break
			}
		}
	}
	return out
}

// evrWithZero writes an rpm version with epoch 0 spelled out, as
// compliance items do.
func evrWithZero(p patchkit.Package) string {
	if p.Scheme == patchkit.RPM && !p.Epoch.Known() {
		p.Epoch = patchkit.EpochOf(0)
	}
	return p.EVR()
}

func newer(a, b patchkit.Package) bool {
	if a.Scheme == patchkit.RPM {
		if !a.Epoch.Known() {
			a.Epoch = patchkit.EpochOf(0)
		}
		if !b.Epoch.Known() {
			b.Epoch = patchkit.EpochOf(0)
		}
	}
	c, err := a.CompareVersion(b)
	return err == nil && c > 0
}

// checkPlan refuses a plan that removes or downgrades a package, installs
// one not asked for (unless new dependencies are allowed), or brings in a
// version the baseline rejects under BLOCK.
func (o options) checkPlan(p plan.Plan, ts []plan.Target, before scan.Result) error {
	asked := map[string]bool{}
	for _, t := range ts {
		asked[t.Version.Name] = true
	}
	c, err := o.blockCompiled(before)
	if err != nil {
		return err
	}
	for _, a := range p.Actions {
		switch a.Kind {
		case plan.Remove:
			return &plan.RefusedError{Action: a, Reason: "removes an installed package"}
		case plan.Downgrade:
			if !o.allowDowngrades {
				return &plan.RefusedError{Action: a, Reason: "downgrades a package (allow with AllowDowngrades)"}
			}
		case plan.Install:
			if !asked[a.Package.Name] && !o.allowNewDeps {
				return &plan.RefusedError{Action: a, Reason: "installs a package that was not asked for (allow with AllowNewDependencies)"}
			}
		}
		if c != nil {
			if _, entry, found, err := o.rejectedIn(c, plan.Plan{Actions: []plan.Action{a}}, before); err != nil {
				return err
			} else if found {
				return &plan.RefusedError{Action: a, Reason: "brings in a version the baseline rejects (" + entry + ", RejectedPatchesAction BLOCK)"}
			}
		}
	}
	return nil
}

// installReport assesses the verifying scan as an Install.
func (o options) installReport(after, before scan.Result) (compliance.Report, error) {
	a := after.Assessment
	a.Operation = compliance.Install
	a.RebootOption = o.reboot
	a.BeforeInstall = &before.Report
	if o.end != nil {
		a.End = o.end().UTC()
	}
	if o.override != nil {
		a.OverrideList = []string{}
		for _, c := range after.Candidates {
			if o.override.Matches(after.Report.Node.OperatingSystem, c.Patch.Package) {
				a.OverrideList = append(a.OverrideList, c.Patch.Name+"."+c.Patch.Arch)
			}
		}
		for _, p := range after.Inventory.Packages {
			if o.override.Matches(after.Report.Node.OperatingSystem, p) {
				a.OverrideList = append(a.OverrideList, p.Name+"."+p.Arch)
			}
		}
	}
	ap, err := o.approver(after)
	if err != nil {
		return compliance.Report{}, err
	}
	rep, _, err := scan.Assess(a, ap, o.previous, o.buildOpts)
	return rep, err
}

// definition returns the baseline the scans used.
func (o options) definition(r scan.Result) *baseline.Baseline {
	if o.snapshot != nil {
		b := o.snapshot.Baseline
		return &b
	}
	if o.base != nil {
		return o.base
	}
	b, err := baseline.Predefined(r.Report.Node.OperatingSystem)
	if err != nil {
		return nil
	}
	return &b
}

func (o options) approver(r scan.Result) (scan.Approver, error) {
	if o.snapshot != nil {
		return o.snapshot, nil
	}
	b := o.definition(r)
	if b == nil {
		return nil, fmt.Errorf("install: no baseline for %s", r.Report.Node.OperatingSystem)
	}
	c, err := baseline.Compile(*b)
	if err != nil {
		return nil, err
	}
	return scan.BaselineAt{Compiled: c, At: o.at}, nil
}
