package apt

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// journalDir is dpkg's journal in its database directory: a dpkg run
// that did not finish leaves files named by digits there, which the next
// dpkg run applies to the status file. apt refuses to run while there are
// any ("dpkg was interrupted").
const journalDir = "updates"

// Check looks for what an interrupted or failed earlier dpkg run left,
// before anything is installed: entries in dpkg's journal
// (var/lib/dpkg/updates) and packages in a state dpkg left mid-way
// (half-installed, unpacked, half-configured) or with triggers not yet
// run (triggers-pending, triggers-awaited). It returns a
// *plan.RepairError listing them (errors.Is plan.ErrNeedsRepair), or nil.
// It changes nothing.
//
// fsys is the root whose var/lib/dpkg is the database (Admindir names
// another directory): the directory given to Chroot, the private root an
// AptConfig file names, or os.DirFS("/"). installed is its inventory as
// scan/dpkg.Read gives it (Read applies the journal, as dpkg does); when
// nil, Check reads it. The options also give the repair command the
// error names.
//
// `dpkg --configure -a` (Repair) applies the journal and configures
// unpacked and half-configured packages; a half-installed package (killed
// while being unpacked) is finished by installing it again, which an Apply
// that upgrades it does.
func Check(ctx context.Context, fsys fs.FS, installed []patchkit.Package, opts ...Option) error {
	o, err := buildOptions(opts)
	if err != nil {
		return err
	}
	journal, err := journalEntries(fsys, o.admindir)
	if err != nil {
		return err
	}
	if installed == nil {
		if installed, err = dpkg.Read(ctx, fsys, dpkg.WithAdmindir(o.admindir)); err != nil {
			return fmt.Errorf("install/apt: reading dpkg's database: %w", err)
		}
	}
	var left []string
	if len(journal) > 0 {
		left = append(left, fmt.Sprintf("%d entries of dpkg's journal in %s (%s)", len(journal), path.Join(o.admindir, journalDir), strings.Join(journal, ", ")))
	}
	for _, p := range installed {
		if p.Scheme != patchkit.Deb {
			return fmt.Errorf("install/apt: Check: installed package %s has version scheme %s, not deb: %w", p.QualifiedName(), p.Scheme, patchkit.ErrInvalid)
		}
		switch {
		case p.State.NeedsRepair(), p.State == patchkit.StateTriggersPending, p.State == patchkit.StateTriggersAwaited:
			left = append(left, fmt.Sprintf("%s %s (%s)", p.QualifiedName(), p.EVR(), p.State))
		}
	}
	if len(left) == 0 {
		return nil
	}
	return &plan.RepairError{Tool: "dpkg", Packages: left, Repair: o.repairDescription()}
}

// journalEntries lists the journal files, named by digits, as apt's check
// does; dpkg's temporary tmp.i is not an entry.
func journalEntries(fsys fs.FS, admindir string) ([]string, error) {
	dir := path.Join(admindir, journalDir)
	// an absolute link in the root names a file of the root, not of the host
	p, err := rootfs.Resolve(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("install/apt: %s: %w", dir, err)
	}
	ents, err := fs.ReadDir(fsys, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("install/apt: %s: %w", dir, err)
	}
	var names []string
	for _, e := range ents {
		if allDigits(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Repair finishes what an interrupted dpkg run left, as apt tells the
// administrator to:
//
//	dpkg [DPkg::Options] --force-confdef --force-confold --configure -a
//
// with the environment of Apply. The dpkg options are the ones apt passes
// to dpkg (apt-config dump DPkg::Options; for a private root, its --root
// and friends), so that dpkg acts on the same root apt does. The run is
// committing: ctx does not stop it. dpkg does not wait for its lock, so
// Repair retries once a second up to LockTimeout, then returns a
// *plan.LockedError. A maintainer script that fails again gives Failures
// and the wrapped *run.ExitError. Call it only when the caller asks: it
// runs maintainer scripts.
func Repair(ctx context.Context, r run.Runner, opts ...Option) (plan.Outcome, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return plan.Outcome{}, err
	}
	dc := o.dpkgOptionsCommand()
	res, err := r.Run(ctx, dc)
	if err != nil {
		return plan.Outcome{}, o.runError("reading apt's DPkg::Options", "apt", res, err, 0)
	}
	dpkgOpts, err := parseDpkgOptions(dc.String(), res.Stdout)
	if err != nil {
		return plan.Outcome{}, err
	}
	start := time.Now()
	c, res, err := o.runLocked(ctx, r, start.Add(o.lockWait), func(time.Duration) run.Command {
		return o.repairCommand(dpkgOpts)
	})
	out := outcome(c, res)
	if err != nil {
		return out, o.runError("configuring unfinished packages", "dpkg", res, err, time.Since(start))
	}
	return out, nil
}
