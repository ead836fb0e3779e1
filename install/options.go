package install

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/run"
)

// Option configures Install.
type Option func(*options) error

type options struct {
	at              time.Time
	end             func() time.Time
	runner          run.Runner
	rootDir         string
	aptConfig       string
	os              *osdetect.OS
	arch            string
	base            *baseline.Baseline
	snapshot        *scan.Snapshot
	override        *OverrideList
	reboot          compliance.RebootOption
	rebooter        Rebooter
	hooks           Hooks
	dryRun          bool
	repair          bool
	lockWait        time.Duration
	allowNewDeps    bool
	allowDowngrades bool
	baseIsOverride  bool
	node            compliance.Node
	previous        *compliance.Report
	host            scan.HostFacts
	buildOpts       compliance.BuildOptions
	logger          *slog.Logger
	progress        func(ProgressEvent)
}

func buildOptions(opts []Option) (options, error) {
	o := options{reboot: compliance.RebootIfNeeded, lockWait: 10 * time.Minute, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	switch {
	case o.at.IsZero():
		return o, &OptionError{Option: "At", Reason: "required: the instant the operation starts (Install never reads the clock)"}
	case o.runner == nil:
		return o, &OptionError{Option: "WithRunner", Reason: "required: the package manager runs through it"}
	case o.override != nil && o.base != nil && o.baseIsOverride:
		return o, &OptionError{Option: "WithOverrideList", Reason: "an InstallOverrideList cannot be combined with a BaselineOverride"}
	case o.dryRun && o.repair:
		return o, &OptionError{Option: "WithRepair", Reason: "cannot be combined with DryRun: a dry run changes nothing, and repairing an interrupted run changes the package database"}
	}
	// On a root (an image, a chroot) the default rebooter would reboot
	// this host, not the root: Install then reports RebootNeeded instead.
	if o.rebooter == nil && o.rootDir == "" {
		o.rebooter = SystemRebooter{Runner: o.runner}
	}
	return o, nil
}

// OptionError reports a missing or invalid option.
type OptionError struct {
	Option string
	Reason string
}

func (e *OptionError) Error() string { return "install: " + e.Option + ": " + e.Reason }

// At sets the instant the operation starts: approval delays count to it.
// Required.
func At(t time.Time) Option {
	return func(o *options) error {
		if t.IsZero() {
			return &OptionError{Option: "At", Reason: "zero"}
		}
		o.at = t.UTC()
		return nil
	}
}

// WithClock gives the report's end time (default: the start, for a
// reproducible report).
func WithClock(now func() time.Time) Option {
	return func(o *options) error { o.end = now; return nil }
}

// WithRunner runs the package manager through r. Required.
func WithRunner(r run.Runner) Option {
	return func(o *options) error { o.runner = r; return nil }
}

// Root makes the package manager act on the root directory dir: apt and
// dpkg in a chroot (chroot dir apt-get ...), dnf with --installroot, zypper
// with --root. dir must be absolute; the fsys given to Install must be the
// same root. Without it the live system is patched. On a root, unless
// WithRebooter gives one, nothing is rebooted: a reboot the run would make
// is reported as Result.RebootNeeded.
func Root(dir string) Option {
	return func(o *options) error {
		if !strings.HasPrefix(dir, "/") {
			return &OptionError{Option: "Root", Reason: fmt.Sprintf("%q is not an absolute path", dir)}
		}
		o.rootDir = strings.TrimRight(dir, "/")
		return nil
	}
}

// AptConfig makes apt use the configuration file path (APT_CONFIG) instead
// of a chroot: a private apt state directory described by such a file.
func AptConfig(path string) Option {
	return func(o *options) error { o.aptConfig = path; return nil }
}

// WithOS, WithArch, WithNode, WithPrevious and WithHostFacts pass the
// corresponding scan options (see package scan).
func WithOS(os osdetect.OS) Option { return func(o *options) error { o.os = &os; return nil } }

// WithArch sets the node's architecture.
func WithArch(a string) Option { return func(o *options) error { o.arch = a; return nil } }

// WithNode sets the node's identity in the report.
func WithNode(n compliance.Node) Option { return func(o *options) error { o.node = n; return nil } }

// WithPrevious passes the node's last report, for the pending-reboot
// bookkeeping.
func WithPrevious(r *compliance.Report) Option {
	return func(o *options) error { o.previous = r; return nil }
}

// WithHostFacts passes the live host's boot time and kernel.
func WithHostFacts(f scan.HostFacts) Option { return func(o *options) error { o.host = f; return nil } }

// WithBaseline approves with b (default: the AWS-owned baseline for the OS).
func WithBaseline(b baseline.Baseline) Option {
	return func(o *options) error { o.base = &b; return nil }
}

// WithBaselineOverride approves with b, given as Patch Manager's
// BaselineOverride parameter: it cannot be combined with an
// InstallOverrideList.
func WithBaselineOverride(b baseline.Baseline) Option {
	return func(o *options) error { o.base = &b; o.baseIsOverride = true; return nil }
}

// WithSnapshot approves with a snapshot's frozen baseline.
func WithSnapshot(s *scan.Snapshot) Option {
	return func(o *options) error { o.snapshot = s; return nil }
}

// WithOverrideList installs what the InstallOverrideList names, approved or
// not (Linux), instead of the approved missing patches. Compliance still
// follows the baseline; after the run, only listed packages still missing
// are Failed.
func WithOverrideList(l OverrideList) Option {
	return func(o *options) error {
		if len(l.Patches) == 0 {
			return &OptionError{Option: "WithOverrideList", Reason: "the list has no patches"}
		}
		o.override = &l
		return nil
	}
}

// WithRebootOption sets RebootIfNeeded (the default) or NoReboot.
func WithRebootOption(r compliance.RebootOption) Option {
	return func(o *options) error {
		switch r {
		case compliance.RebootIfNeeded, compliance.NoReboot:
			o.reboot = r
			return nil
		}
		return &OptionError{Option: "WithRebootOption", Reason: fmt.Sprintf("%q is neither RebootIfNeeded nor NoReboot", r)}
	}
}

// WithRebooter reboots through r (default: SystemRebooter on the live
// system, none on a Root).
func WithRebooter(r Rebooter) Option { return func(o *options) error { o.rebooter = r; return nil } }

// WithHooks runs hooks around the install.
func WithHooks(h Hooks) Option { return func(o *options) error { o.hooks = h; return nil } }

// DryRun stops after the package manager's plan is checked: nothing is
// installed, repaired or rebooted, and no hook runs but OnExit;
// Result.Plan holds the plan, and Result.RebootNeeded says whether the run
// would reboot. It cannot be combined with WithRepair.
func DryRun() Option { return func(o *options) error { o.dryRun = true; return nil } }

// WithRepair lets Install finish an interrupted earlier run (dpkg
// --configure -a, ...) before installing, instead of failing with a
// *plan.RepairError.
func WithRepair() Option { return func(o *options) error { o.repair = true; return nil } }

// WithLockWait bounds how long the package manager waits for its lock
// (default 10 minutes).
func WithLockWait(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return &OptionError{Option: "WithLockWait", Reason: "negative"}
		}
		o.lockWait = d
		return nil
	}
}

// AllowNewDependencies lets the plan install packages that were not
// installed before, as dependencies the package manager requires (Patch
// Manager installs them). By default such a plan is refused.
func AllowNewDependencies() Option {
	return func(o *options) error { o.allowNewDeps = true; return nil }
}

// AllowDowngrades lets the plan downgrade packages (and passes the package
// manager's own flag for it). Never implied.
func AllowDowngrades() Option { return func(o *options) error { o.allowDowngrades = true; return nil } }

// WithBuildOptions chooses the compliance model's open questions.
func WithBuildOptions(b compliance.BuildOptions) Option {
	return func(o *options) error { o.buildOpts = b; return nil }
}

// WithLogger logs to l (silent by default).
func WithLogger(l *slog.Logger) Option { return func(o *options) error { o.logger = l; return nil } }

// WithProgress calls fn as each step starts, and with the scans' own
// events (under the step "scan" for the first scan, "verify" for the
// verifying one); see ProgressEvent.
func WithProgress(fn func(ProgressEvent)) Option {
	return func(o *options) error { o.progress = fn; return nil }
}

// scanOptions are the options of the scans before and after; step names
// the scan in progress events.
func (o options) scanOptions(step string) []scan.ScanOption {
	s := []scan.ScanOption{scan.At(o.at), scan.WithNode(o.node), scan.WithHostFacts(o.host)}
	if o.os != nil {
		s = append(s, scan.WithOS(*o.os))
	}
	if o.arch != "" {
		s = append(s, scan.WithArch(o.arch))
	}
	if o.previous != nil {
		s = append(s, scan.WithPrevious(o.previous))
	}
	switch {
	case o.snapshot != nil:
		s = append(s, scan.WithSnapshot(o.snapshot))
	case o.base != nil:
		s = append(s, scan.WithBaseline(*o.base))
	}
	if o.progress != nil {
		s = append(s, scan.WithProgress(func(e scan.ProgressEvent) {
			o.progress(ProgressEvent{Step: step, Detail: e.Step + " " + e.Detail})
		}))
	}
	return s
}

// SystemRebooter reboots the machine with /sbin/shutdown -r now through the
// runner. It is real: tests never call it.
type SystemRebooter struct {
	Runner run.Runner
}

// Reboot schedules the system's reboot one minute ahead (shutdown -r +1)
// and returns, so that the on-exit hook and the caller's own reporting
// finish before the node goes down, as Patch Manager's agent reboots only
// after the document's step has exited.
func (s SystemRebooter) Reboot(ctx context.Context) error {
	_, err := s.Runner.Run(ctx, run.Command{Path: "/sbin/shutdown", Args: []string{"-r", "+1"}, Committing: true})
	return err
}
