package zypper

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
	scanzypper "github.com/patchkit/patchkit/scan/zypper"
)

// DefaultLockTimeout is how long zypper waits for the zypp lock held by
// another process before it gives up (exit 7), unless WithLockTimeout says
// otherwise. libzypp's own default is 0 (fail at once).
const DefaultLockTimeout = 10 * time.Minute

// Option configures Plan, Apply, Check, VerifyPlan and Repair. Options are
// checked when a function is called; an invalid one is an *OptionError and
// nothing runs.
type Option func(*options) error

type options struct {
	program     string
	root        string
	lockTimeout time.Duration
	refresh     bool
	recommends  bool
	env         []string
	expected    *plan.Plan
	progress    func(plan.Progress)

	// named opt-ins that weaken zypper's defaults
	interactive   bool // install patches flagged interactive (reboot, message, licence)
	downgrades    bool // --oldpackage
	noGPGChecks   bool // --no-gpg-checks
	autoImport    bool // --gpg-auto-import-keys
	agreeLicenses bool // --auto-agree-with-licenses
}

// WithProgram sets zypper's absolute path (default /usr/bin/zypper).
func WithProgram(path string) Option {
	return func(o *options) error {
		if !filepath.IsAbs(path) {
			return &OptionError{Option: "WithProgram", Reason: fmt.Sprintf("%q is not an absolute path", path)}
		}
		o.program = path
		return nil
	}
}

// WithRoot makes zypper act on the root directory dir (zypper --root DIR):
// its repositories, its rpm database, its zypp lock (DIR/run/zypp.pid).
// Without it zypper acts on the live system.
func WithRoot(dir string) Option {
	return func(o *options) error {
		if !filepath.IsAbs(dir) || filepath.Clean(dir) != dir || dir == "/" {
			return &OptionError{Option: "WithRoot", Reason: fmt.Sprintf("%q is not a clean absolute path other than /", dir)}
		}
		o.root = dir
		return nil
	}
}

// WithLockTimeout bounds how long zypper waits for the zypp lock
// (ZYPP_LOCK_TIMEOUT in its environment, in whole seconds, rounded up; 0
// fails at once). Default DefaultLockTimeout. A lock still held after it is
// a *plan.LockedError naming the holder.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 || d > 24*time.Hour {
			return &OptionError{Option: "WithLockTimeout", Reason: fmt.Sprintf("%v is not between 0 and 24h", d)}
		}
		o.lockTimeout = d
		return nil
	}
}

// WithRefresh lets zypper refresh repositories whose metadata it considers
// out of date (their autorefresh setting) before it resolves. By default
// every command runs with --no-refresh: the plan and the transaction use
// the metadata the scan used.
func WithRefresh(refresh bool) Option {
	return func(o *options) error { o.refresh = refresh; return nil }
}

// WithRecommends lets zypper install the packages that a new version
// recommends (--recommends). By default it installs only what the new
// versions require (--no-recommends): Patch Manager installs a package not
// asked for only as a dependency.
func WithRecommends(recommends bool) Option {
	return func(o *options) error { o.recommends = recommends; return nil }
}

// WithEnv adds KEY=value entries to zypper's environment (ZYPP_CONF to
// point libzypp at another zypp.conf). ZYPP_LOCK_TIMEOUT is set by
// WithLockTimeout and cannot be given here.
func WithEnv(env ...string) Option {
	return func(o *options) error {
		for _, e := range env {
			k, _, ok := strings.Cut(e, "=")
			if !ok || k == "" || strings.ContainsAny(e, "\x00\n\r") {
				return &OptionError{Option: "WithEnv", Reason: fmt.Sprintf("%q is not KEY=value", e)}
			}
			if k == "ZYPP_LOCK_TIMEOUT" {
				return &OptionError{Option: "WithEnv", Reason: "ZYPP_LOCK_TIMEOUT is set with WithLockTimeout"}
			}
		}
		o.env = append(o.env, env...)
		return nil
	}
}

// WithPlan gives Apply (and Repair) the plan the caller checked and
// approved. Before anything is committed, the transaction zypper is about
// to run (the install summary of its download phase) must do exactly the
// plan's package actions; otherwise Apply returns a *plan.RefusedError
// naming the first difference and commits nothing. Without it Apply
// commits whatever zypper resolves for the targets.
func WithPlan(p plan.Plan) Option {
	return func(o *options) error { o.expected = &p; return nil }
}

// WithProgress sets a callback called as each phase starts: "checking
// patches" (Plan, Apply), "planning" (Plan), plan.StageDownloading and
// plan.StageInstalling (Apply, with the number of packages the download
// run's summary gave), "verifying" and "repairing" (Repair). During the
// download run, the commit and Repair's run, when the runner streams
// output (run.Command.OnLine; run.Local does), it is called again for each
// package zypper reports, with N, Total and Package: each package
// retrieved (or found in the cache), then each package rpm installs or
// removes ("(1/3) Installing: NAME-VERSION.ARCH").
func WithProgress(f func(plan.Progress)) Option {
	return func(o *options) error { o.progress = f; return nil }
}

// AllowInteractivePatches lets a target's SUSE patch be installed when
// zypper flags it interactive: it suggests a reboot, shows a message or asks
// to accept a licence (`zypper patch` skips such patches unless given
// --with-interactive; `zypper install patch:NAME`, which this package runs,
// does not skip them, so the check is made here). By default such a target
// is an *InteractivePatchError before anything is installed.
func AllowInteractivePatches() Option {
	return func(o *options) error { o.interactive = true; return nil }
}

// AllowDowngrades passes --oldpackage, so that a target older than the
// installed version is installed. Off by default: a target is installed
// only as an upgrade.
func AllowDowngrades() Option {
	return func(o *options) error { o.downgrades = true; return nil }
}

// AllowUnauthenticated passes --no-gpg-checks: zypper then ignores failed
// signature checks of repositories and packages and continues. Off by
// default.
func AllowUnauthenticated() Option {
	return func(o *options) error { o.noGPGChecks = true; return nil }
}

// AllowKeyImport passes --gpg-auto-import-keys: zypper then trusts and
// imports any new repository signing key it meets (trust on first use).
// Off by default.
func AllowKeyImport() Option {
	return func(o *options) error { o.autoImport = true; return nil }
}

// AgreeWithLicenses passes --auto-agree-with-licenses: zypper accepts the
// licence of any package that asks for it. Off by default, when zypper in
// --non-interactive mode declines and the transaction does not run.
func AgreeWithLicenses() Option {
	return func(o *options) error { o.agreeLicenses = true; return nil }
}

func buildOptions(opts []Option) (options, error) {
	o := options{program: "/usr/bin/zypper", lockTimeout: DefaultLockTimeout}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (o *options) report(stage string, n int) {
	if o.progress != nil {
		o.progress(plan.Progress{Stage: stage, Packages: n})
	}
}

// lockSeconds is ZYPP_LOCK_TIMEOUT's value: whole seconds, rounded up.
func (o *options) lockSeconds() string {
	return strconv.FormatInt(int64(math.Ceil(o.lockTimeout.Seconds())), 10)
}

// globals are the global options that weaken zypper's checks, each only
// when the caller opted in by name.
func (o *options) globals() []string {
	var g []string
	if o.noGPGChecks {
		g = append(g, "--no-gpg-checks")
	}
	if o.autoImport {
		g = append(g, "--gpg-auto-import-keys")
	}
	return g
}

// command builds a zypper command the way scan/zypper's native backend
// does (zypper --non-interactive --xmlout [--no-refresh] [--root DIR]
// [weakening globals] SUB... -- OPERANDS), with the lock bound in the
// environment. Committing, OKCodes and the subcommand's own options are
// the caller's.
func (o *options) command(sub, operands []string) (run.Command, error) {
	nopts := []scanzypper.NativeOption{
		scanzypper.NativeProgram(o.program),
		scanzypper.NativeRefresh(o.refresh),
		scanzypper.NativeEnv(append([]string{"ZYPP_LOCK_TIMEOUT=" + o.lockSeconds()}, o.env...)...),
	}
	if o.root != "" {
		nopts = append(nopts, scanzypper.NativeRoot(o.root))
	}
	c, err := scanzypper.Command(append(o.globals(), sub...), operands, nopts...)
	if err != nil {
		return run.Command{}, err
	}
	c.OKCodes = nil
	return c, nil
}

// installArgs are the options of `zypper install` (dry run, download only
// or the real transaction).
func (o *options) installArgs(mode string) []string {
	a := []string{"install"}
	switch mode {
	case "dry-run":
		a = append(a, "--dry-run")
	case "download-only":
		a = append(a, "--download-only")
	}
	// a solver problem is an error, never solved by removing packages
	a = append(a, "--no-force-resolution")
	if o.recommends {
		a = append(a, "--recommends")
	} else {
		a = append(a, "--no-recommends")
	}
	if o.downgrades {
		a = append(a, "--oldpackage")
	}
	if o.agreeLicenses {
		a = append(a, "--auto-agree-with-licenses")
	}
	return a
}

// verifyArgs are the options of `zypper verify`.
func (o *options) verifyArgs(dryRun bool) []string {
	a := []string{"verify"}
	if dryRun {
		a = append(a, "--dry-run")
	}
	if o.recommends {
		a = append(a, "--recommends")
	} else {
		a = append(a, "--no-recommends")
	}
	return a
}

// lockFile is where libzypp keeps the lock of the root.
func (o *options) lockFile() string {
	if o.root == "" {
		return "/run/zypp.pid"
	}
	return filepath.Join(o.root, "run/zypp.pid")
}
