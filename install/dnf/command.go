package dnf

import (
	"fmt"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// TargetError reports a target refused before anything runs: a name,
// architecture or version that does not follow rpm's grammar (so that it
// could be read as an option, a path, a glob or a second package), a
// version scheme other than rpm's, a target that names another installed
// package than the one it upgrades, a package given twice, or no target.
type TargetError struct {
	Index  int    // the target's position in the list
	Target string // what was given, quoted in the message
	Reason string
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("install/dnf: target %d %q: %s", e.Index, e.Target, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *TargetError) Is(target error) bool { return target == patchkit.ErrInvalid }

// targetVersion is the version a target names, its epoch 0 when it is not
// known: rpm reads a package without an epoch as epoch 0 (an rpm database
// header without the Epoch tag is read with an unknown epoch).
func targetVersion(t plan.Target) patchkit.Package {
	v := t.Version
	if !v.Epoch.Known() {
		v.Epoch = patchkit.EpochOf(0)
	}
	return v
}

// targetSpec returns the dnf package specification of t: its full NEVRA,
// name-epoch:version-release.arch, built from parts that each passed rpm's
// grammar. The epoch is always written, "0:" when the target's is unknown
// (dnf matches a NEVRA without an epoch against every epoch; with "0:" a
// package of another epoch is not matched, and dnf reports it).
func targetSpec(i int, t plan.Target) (string, error) {
	v := targetVersion(t)
	fail := func(reason string) (string, error) {
		return "", &TargetError{Index: i, Target: v.Name + " " + v.EVR() + " " + v.Arch, Reason: reason}
	}
	if v.Scheme != patchkit.RPM {
		return fail("version scheme is " + v.Scheme.String() + ", not rpm")
	}
	if err := patchkit.ValidateName(patchkit.RPM, v.Name); err != nil {
		return fail("name: " + err.Error())
	}
	if err := patchkit.ValidateArch(patchkit.RPM, v.Arch); err != nil {
		return fail("architecture: " + err.Error())
	}
	if v.Version == "" || v.Release == "" {
		return fail("version and release are required")
	}
	spec := v.Name + "-" + v.EVR() + "." + v.Arch
	// ParseNEVRA checks version and release against rpm's characters and
	// that the string reads back as the same package.
	p, err := patchkit.ParseNEVRA(spec)
	if err != nil {
		return fail(err.Error())
	}
	if p.Name != v.Name || p.Version != v.Version || p.Release != v.Release || p.Arch != v.Arch || p.Epoch != v.Epoch {
		return fail("does not read back as the same package: " + spec)
	}
	if t.Installed.Name != "" && (t.Installed.Name != v.Name || t.Installed.Arch != v.Arch && t.Installed.Arch != "noarch" && v.Arch != "noarch") {
		return fail("upgrades " + t.Installed.NEVRA() + ", another package")
	}
	return spec, nil
}

// targetSpecs validates every target and returns their specifications in
// order. A target given twice (the same name and architecture) is refused:
// dnf would pick one of the two versions.
func targetSpecs(targets []plan.Target) ([]string, error) {
	if len(targets) == 0 {
		return nil, &TargetError{Index: -1, Reason: "no targets"}
	}
	specs := make([]string, 0, len(targets))
	seen := map[string]int{}
	for i, t := range targets {
		s, err := targetSpec(i, t)
		if err != nil {
			return nil, err
		}
		na := t.Version.Name + "." + t.Version.Arch
		if j, dup := seen[na]; dup {
			return nil, &TargetError{Index: i, Target: s, Reason: fmt.Sprintf("%s is also target %d", na, j)}
		}
		seen[na] = i
		specs = append(specs, s)
	}
	return specs, nil
}

// Commands are the commands the executor runs for a set of targets, for a
// caller to log, review or assert. Plan runs Plan (then SizeQuery and
// InstalledSizeQuery with the packages the plan names); Apply runs Download
// then Commit; CheckNative runs Check; Repair runs Repair.
type Commands struct {
	// Plan: dnf -v --assumeno upgrade NEVRA...: dnf's own plan, with its
	// depsolve lines (-v) and its table, changing nothing.
	Plan run.Command
	// SizeQuery: dnf -q -C repoquery with SizeFormat; Plan gives it the
	// NEVRAs its plan installs (operands empty here).
	SizeQuery run.Command
	// InstalledSizeQuery: rpm -q with InstalledSizeFormat; Plan gives it
	// the installed NEVRAs its plan replaces or removes.
	InstalledSizeQuery run.Command
	// Download: dnf -y --downloadonly upgrade NEVRA...: resolves, downloads
	// into dnf's cache and checks the package signatures; not committing,
	// so cancellation stops it.
	Download run.Command
	// Commit: dnf -y -C upgrade NEVRA...: the same transaction from the
	// cache, committing (cancellation never interrupts it).
	Commit run.Command
	// Check: dnf check --duplicates.
	Check run.Command
	// Repair: dnf -y remove --duplicates (committing).
	Repair run.Command
}

// SizeFormat is the repoquery --queryformat of the size query: name, epoch,
// version, release, arch, repository, download size and installed size in
// bytes, separated by tabs (dnf turns \t into a tab).
const SizeFormat = `%{name}\t%{epoch}\t%{version}\t%{release}\t%{arch}\t%{repoid}\t%{downloadsize}\t%{installsize}`

// InstalledSizeFormat is rpm's --queryformat for the installed packages: the
// same fields without the repository and download size.
const InstalledSizeFormat = `%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SIZE}\n`

// base returns the options every dnf command gets: the root, the release,
// exit_on_lock=True (dnf otherwise waits for a lock without end) and
// skip_if_unavailable=False (an unavailable or badly signed repository is
// an error, not a warning), the caller's setopts, and --nogpgcheck only
// with AllowUnauthenticated.
func (o *options) base() []string {
	var a []string
	if o.root != "" {
		a = append(a, "--installroot="+o.root)
	}
	if o.releasever != "" {
		a = append(a, "--releasever="+o.releasever)
	}
	if o.root != "" {
		a = append(a, "--setopt=reposdir="+strings.TrimSuffix(o.root, "/")+"/etc/yum.repos.d")
	}
	a = append(a, "--setopt=exit_on_lock=True", "--setopt=skip_if_unavailable=False")
	for _, s := range o.setopts {
		a = append(a, "--setopt="+s)
	}
	if o.allowUnauth {
		a = append(a, "--nogpgcheck")
	}
	return a
}

func (o *options) dnf(operands []string, committing bool, okCodes []int, pre []string, post ...string) run.Command {
	args := slices.Concat(pre, o.base(), post)
	return run.Command{Path: o.program, Args: args, Operands: operands, Env: run.CLocale(), Committing: committing, OKCodes: okCodes}
}

func (o *options) commands(specs []string) Commands {
	planPre := []string{"-v", "--assumeno"}
	if o.cacheOnly {
		planPre = append(planPre, "-C")
	}
	rpmArgs := []string{}
	if o.root != "" {
		rpmArgs = append(rpmArgs, "--root", o.root)
	}
	rpmArgs = append(rpmArgs, "-q", "--queryformat", InstalledSizeFormat)
	return Commands{
		// --assumeno makes dnf exit 1 after printing its plan ("Operation
		// aborted."); Plan tells that apart from errors.
		Plan:               o.dnf(specs, false, []int{1}, planPre, "upgrade"),
		SizeQuery:          o.dnf(nil, false, nil, []string{"-q", "-C"}, "repoquery", "--queryformat", SizeFormat),
		InstalledSizeQuery: run.Command{Path: o.rpm, Args: rpmArgs, Env: run.CLocale()},
		Download:           o.dnf(specs, false, nil, []string{"-y", "--downloadonly"}, "upgrade"),
		Commit:             o.dnf(specs, true, nil, []string{"-y", "-C"}, "upgrade"),
		// dnf check exits 1 when it found a problem.
		Check:  o.dnf(nil, false, []int{1}, []string{"-q"}, "check", "--duplicates"),
		Repair: o.dnf(nil, true, nil, []string{"-y"}, "remove", "--duplicates"),
	}
}

// NewCommands returns the commands for targets with opts, after checking
// every target as Plan and Apply check them.
func NewCommands(targets []plan.Target, opts ...Option) (Commands, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return Commands{}, err
	}
	specs, err := targetSpecs(targets)
	if err != nil {
		return Commands{}, err
	}
	c := o.commands(specs)
	for _, cmd := range []run.Command{c.Plan, c.SizeQuery, c.InstalledSizeQuery, c.Download, c.Commit, c.Check, c.Repair} {
		if err := cmd.Check(); err != nil {
			return Commands{}, err
		}
	}
	return c, nil
}
