package dnf

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// ErrNotPlanned is matched by every *UnplannedError.
var ErrNotPlanned = errors.New("install/dnf: dnf does not plan a target")

// UnplannedError reports a target that dnf's plan does not move to exactly
// its version: dnf skips it (broken dependencies, conflicts), plans
// another version, or does not plan it at all (already installed, not
// available, older than the installed version).
type UnplannedError struct {
	Target plan.Target
	Reason string
}

func (e *UnplannedError) Error() string {
	return "install/dnf: " + e.Target.Version.NEVRA() + ": " + e.Reason
}

// Is reports whether target is ErrNotPlanned.
func (e *UnplannedError) Is(target error) bool { return target == ErrNotPlanned }

// Plan asks dnf for its plan to upgrade each installed package to exactly
// its target version, without changing anything: `dnf -v --assumeno
// upgrade -- NEVRA...` (never install, which does nothing for an installed
// package), read with ParsePlan. dnf resolves dependencies as it would
// when installing: a target whose new version requires a package that is
// not installed gives an Install action for it, an obsoleted package a
// Remove, and an installonly package (a kernel) an Install beside the
// installed versions.
//
// The sizes are exact: the download and installed sizes of every package
// the plan installs come from dnf's repository metadata (`dnf -q -C
// repoquery` with SizeFormat, from the metadata the plan used), the
// installed sizes of the packages it replaces or removes from the rpm
// database (`rpm -q` with InstalledSizeFormat). DownloadSize counts every
// package the plan installs (also one already in dnf's cache);
// InstalledSizeChange is what the installed packages grow by (negative
// when they shrink), -1 for a plan with a downgrade (dnf does not say
// which version a downgrade replaces). Both are checked against dnf's own
// rounded totals.
//
// With --assumeno dnf answers no to every question, also to importing a
// repository's key for repo_gpgcheck: a repository whose metadata key dnf
// has not imported yet makes Plan fail with dnf's signature error. dnf
// imports it, from the repository's gpgkey setting, on its first run with
// -y (Apply's download phase, or `dnf -y makecache`).
//
// Every target must be in the plan at exactly its version (an Upgrade, or
// an Install of an installonly package); otherwise Plan returns the plan it
// parsed together with an *UnplannedError. A lock held beyond the wait is
// a *plan.LockedError; a dnf error is the runner's *run.ExitError.
func Plan(ctx context.Context, r run.Runner, targets []plan.Target, opts ...Option) (plan.Plan, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return plan.Plan{}, err
	}
	specs, err := targetSpecs(targets)
	if err != nil {
		return plan.Plan{}, err
	}
	cmds := o.commands(specs)
	p := plan.Plan{Command: cmds.Plan.String(), DownloadSize: -1, InstalledSizeChange: -1}
	res, err := o.runLocked(ctx, r, cmds.Plan)
	if err != nil {
		return p, err
	}
	p.Output = string(res.Stdout)
	if res.ExitCode == 1 && lastLine(res.Stderr) != "Operation aborted." {
		return p, run.NewExitError(cmds.Plan, res)
	}
	tx, err := ParsePlan(res.Stdout)
	if err != nil {
		return p, err
	}
	if (res.ExitCode == 0) != tx.NothingToDo {
		return p, &InconsistentError{Command: "plan", Reason: fmt.Sprintf("dnf exited %d and said nothing to do: %v", res.ExitCode, tx.NothingToDo)}
	}
	p.Actions = tx.Actions
	if err := o.sizes(ctx, r, cmds, tx, &p); err != nil {
		return p, err
	}
	return p, checkTargets(targets, tx, problems(res.Stderr))
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

// checkTargets makes sure dnf plans every target at exactly its version.
func checkTargets(targets []plan.Target, tx *Transaction, problems []string) error {
	for _, t := range targets {
		v := targetVersion(t)
		found := ""
		for _, a := range tx.Actions {
			if a.Package.Name != v.Name || a.Package.Arch != v.Arch {
				continue
			}
			if a.Kind == plan.Upgrade || a.Kind == plan.Install {
				if a.Package.EVR() == v.EVR() {
					found = "ok"
					break
				}
				found = string(a.Kind) + " to " + a.Package.EVR()
			}
		}
		switch {
		case found == "ok":
			continue
		case found != "":
			return &UnplannedError{Target: t, Reason: "dnf plans to " + found + " instead"}
		}
		for _, s := range tx.Skipped {
			if s.Package.Name == v.Name && s.Package.Arch == v.Arch {
				r := "dnf skips it: " + s.Reason
				if len(problems) > 0 {
					r += " (" + strings.Join(problems, "; ") + ")"
				}
				return &UnplannedError{Target: t, Reason: r}
			}
		}
		return &UnplannedError{Target: t, Reason: "dnf does not plan it (installed already, not available, or older than the installed version)"}
	}
	return nil
}

// Size is one line of the size queries: a package (with its repository,
// "@System" or empty for an installed one) and its sizes in bytes.
type Size struct {
	Package patchkit.Package
	// Download is the package file's size (0 for an installed package),
	// Installed what its files take once installed.
	Download, Installed int64
}

// ParseSizes parses the output of the size query (SizeFormat: name, epoch,
// version, release, arch, repository, download size, installed size) or,
// with installed set, of rpm's installed size query (InstalledSizeFormat:
// the same without the repository and the download size).
func ParseSizes(out []byte, installed bool) ([]Size, error) {
	cmd, want := "size query", 8
	if installed {
		cmd, want = "installed size query", 6
	}
	var rows []Size
	for i, l := range strings.Split(string(out), "\n") {
		if l == "" {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != want {
			return nil, outErr(cmd, i+1, l, fmt.Sprintf("%d tab-separated fields, want %d", len(f), want))
		}
		e, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil {
			return nil, outErr(cmd, i+1, l, "epoch is not a number")
		}
		p := patchkit.Package{Name: f[0], Epoch: patchkit.EpochOf(uint32(e)), Version: f[2], Release: f[3], Arch: f[4], Scheme: patchkit.RPM}
		if q, err := patchkit.ParseNEVRA(p.NEVRA()); err != nil || q.Name != p.Name || q.Version != p.Version || q.Release != p.Release || q.Arch != p.Arch {
			return nil, outErr(cmd, i+1, l, "not a package: "+p.NEVRA())
		}
		nums := f[5:]
		if !installed {
			p.Repository = f[5]
			nums = f[6:]
		}
		vals := make([]int64, len(nums))
		for j, s := range nums {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 {
				return nil, outErr(cmd, i+1, l, fmt.Sprintf("size %q is not a number", s))
			}
			vals[j] = v
		}
		row := Size{Package: p}
		if installed {
			row.Installed = vals[0]
		} else {
			row.Download, row.Installed = vals[0], vals[1]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// sizes fills p's DownloadSize and InstalledSizeChange from the size
// queries and checks them against dnf's totals.
func (o *options) sizes(ctx context.Context, r run.Runner, cmds Commands, tx *Transaction, p *plan.Plan) error {
	var newSpecs, oldSpecs []string
	type want struct {
		pkg  patchkit.Package
		repo string
	}
	var news, olds []want
	unknownOld := false
	for _, a := range tx.Actions {
		switch a.Kind {
		case plan.Install, plan.Upgrade, plan.Downgrade, plan.Reinstall:
			newSpecs = append(newSpecs, a.Package.NEVRA())
			news = append(news, want{a.Package, a.Package.Repository})
		}
		switch a.Kind {
		case plan.Upgrade:
			from := a.Package
			if err := setEVR(&from, a.From); err != nil {
				return &InconsistentError{Command: "plan", Reason: err.Error()}
			}
			oldSpecs = append(oldSpecs, from.NEVRA())
			olds = append(olds, want{pkg: from})
		case plan.Remove, plan.Reinstall:
			oldSpecs = append(oldSpecs, a.Package.NEVRA())
			olds = append(olds, want{pkg: a.Package})
		case plan.Downgrade:
			// dnf does not say which version a downgrade replaces: the
			// installed size change is not known.
			unknownOld = true
		}
	}
	var dl, grow int64
	if len(newSpecs) > 0 {
		c := cmds.SizeQuery
		c.Operands = newSpecs
		res, err := o.runLocked(ctx, r, c)
		if err != nil {
			return err
		}
		rows, err := ParseSizes(res.Stdout, false)
		if err != nil {
			return err
		}
		for _, w := range news {
			i := findSize(rows, w.pkg, w.repo)
			if i < 0 {
				return &InconsistentError{Command: "size query", Reason: "no size for " + w.pkg.NEVRA() + " from " + w.repo}
			}
			dl += rows[i].Download
			grow += rows[i].Installed
		}
	}
	if len(oldSpecs) > 0 && !unknownOld {
		c := cmds.InstalledSizeQuery
		c.Operands = oldSpecs
		res, err := r.Run(ctx, c)
		if err != nil {
			return err
		}
		rows, err := ParseSizes(res.Stdout, true)
		if err != nil {
			return err
		}
		for _, w := range olds {
			i := findSize(rows, w.pkg, "")
			if i < 0 {
				return &InconsistentError{Command: "installed size query", Reason: "rpm does not list installed " + w.pkg.NEVRA()}
			}
			grow -= rows[i].Installed
		}
	}
	// dnf's totals, rounded to its unit, must agree.
	total := tx.TotalSize
	unit := tx.units["Total size"]
	if total < 0 {
		total, unit = tx.TotalDownloadSize, tx.units["Total download size"]
	}
	if total >= 0 && !near(dl, total, unit) {
		return &InconsistentError{Command: "plan", Reason: fmt.Sprintf("the packages' download sizes add up to %d bytes, dnf's total is %d", dl, total)}
	}
	if unknownOld {
		p.DownloadSize = dl
		return nil
	}
	if tx.InstalledSize >= 0 && len(olds) == 0 && !near(grow, tx.InstalledSize, tx.units["Installed size"]) {
		return &InconsistentError{Command: "plan", Reason: fmt.Sprintf("the packages' installed sizes add up to %d bytes, dnf's is %d", grow, tx.InstalledSize)}
	}
	if tx.FreedSpace >= 0 && len(news) == 0 && !near(-grow, tx.FreedSpace, tx.units["Freed space"]) {
		return &InconsistentError{Command: "plan", Reason: fmt.Sprintf("the removed packages' sizes add up to %d bytes, dnf frees %d", -grow, tx.FreedSpace)}
	}
	p.DownloadSize, p.InstalledSizeChange = dl, grow
	return nil
}

// near reports whether exact agrees with a figure dnf printed rounded
// to units of unit bytes: one decimal below 9.95 units, whole units above,
// so the two differ by at most half a unit.
func near(exact, shown, unit int64) bool {
	d := exact - shown
	if d < 0 {
		d = -d
	}
	return d <= unit/2+1
}

func findSize(rows []Size, p patchkit.Package, repo string) int {
	for i, r := range rows {
		q := r.Package
		if q.Name == p.Name && q.Arch == p.Arch && q.Version == p.Version && q.Release == p.Release &&
			q.Epoch == p.Epoch && (repo == "" || q.Repository == repo) {
			return i
		}
	}
	return -1
}

// setEVR sets p's epoch, version and release from an EVR as
// patchkit.Package.EVR writes it.
func setEVR(p *patchkit.Package, evr string) error {
	q, err := patchkit.ParseNEVRA(p.Name + "-" + evr + "." + p.Arch)
	if err != nil {
		return err
	}
	if !q.Epoch.Known() {
		q.Epoch = patchkit.EpochOf(0)
	}
	p.Epoch, p.Version, p.Release = q.Epoch, q.Version, q.Release
	return nil
}
