// Package plan holds the values that the install packages share: the
// versions to install (Target), the package manager's own plan for them
// (Plan, Action), and what a real run did (Outcome). The family executors
// (install/apt, install/dnf, install/zypper) produce them; package install
// checks and orchestrates them. It imports only the vocabulary (and
// scan/run, whose ErrLocked a *LockedError matches too).
package plan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/run"
)

// Target is one update to install: an installed package (Name, Arch) to
// move to exactly Version (an approved candidate of a scan, or an entry of
// an install override list).
type Target struct {
	// Version is the version to install, with its scheme and epoch; Name
	// and Arch name the installed package it upgrades.
	Version patchkit.Package `json:"Version"`
	// Installed is the version installed before.
	Installed patchkit.Package `json:"Installed"`
	// KBID is the compliance item the target comes from (name.arch).
	KBID string `json:"KBId,omitempty"`
	// Advisory names the zypper patch to install instead of the package,
	// when the target comes from one (SUSE).
	Advisory string `json:"Advisory,omitempty"`
}

// ActionKind is what a plan does to one package.
type ActionKind string

// The action kinds.
const (
	Upgrade   ActionKind = "upgrade"   // an installed package to a newer version
	Install   ActionKind = "install"   // a package not installed before (a new dependency, or an installonly kernel beside the old one)
	Remove    ActionKind = "remove"    // a package removed (conflict, obsoleted)
	Downgrade ActionKind = "downgrade" // an installed package to an older version
	Reinstall ActionKind = "reinstall" // the same version again
)

// Action is one step of a package manager's plan.
type Action struct {
	Kind ActionKind `json:"Kind"`
	// Package is the version after the action (for Remove, the version
	// removed).
	Package patchkit.Package `json:"Package"`
	// From is the version installed before, "" for Install.
	From string `json:"From,omitempty"`
}

// String returns "upgrade tb-lib:all 1:2.0-1 -> 1:2.0-2".
func (a Action) String() string {
	s := string(a.Kind) + " " + a.Package.QualifiedName() + " "
	if a.From != "" {
		s += a.From + " -> "
	}
	return s + a.Package.EVR()
}

// Plan is what the package manager said it would do, parsed, with its own
// output kept unchanged.
type Plan struct {
	Actions []Action `json:"Actions"`
	// DownloadSize and InstalledSizeChange are in bytes, as the package
	// manager gives them; -1 when it does not.
	DownloadSize        int64 `json:"DownloadSize"`
	InstalledSizeChange int64 `json:"InstalledSizeChange"`
	// Command is the dry run that was asked, Output its standard output.
	Command string `json:"Command"`
	Output  string `json:"Output"`
}

// Outcome is what a real run did.
type Outcome struct {
	Command  string `json:"Command"`
	ExitCode int    `json:"ExitCode"`
	Output   string `json:"Output"`
	Stderr   string `json:"Stderr"`
	// Failures are the packages the package manager reported it could not
	// install or configure, with its reason.
	Failures []Failure `json:"Failures,omitempty"`
	// RebootRequired is set when the package manager said so (zypper's
	// exit 102).
	RebootRequired bool `json:"RebootRequired,omitempty"`
}

// Progress is told to a family's WithProgress callback as each phase of
// Apply (and, for zypper, Plan and Repair) starts, with N 0, and then, as
// the package manager reports its own progress during the phase's run,
// once per package it works on, with N from 1.
type Progress struct {
	// Stage is StageDownloading or StageInstalling for Apply; zypper also
	// reports "checking patches", "planning", "verifying" and "repairing".
	Stage string
	// Packages is the number of packages the transaction changes, when
	// the phase before said so, else 0.
	Packages int
	// N counts the packages of the phase's run as the package manager
	// starts on each (downloading or installing it): 1 for the first, one
	// more for each next package, each package once, 0 in the event that
	// starts the phase. Total is how many the package manager said the
	// run has (its own count, which includes the dependencies it pulls
	// in): 0 while the package manager has not said, and never below N
	// otherwise. Package names the package the way the package manager writes
	// it (apt: name[:arch]; dnf: name-[epoch:]version-release.arch, or
	// the file it downloads; zypper: name-[epoch:]version-release.arch),
	// for display. These events come only from a runner that streams
	// output (run.Command.OnLine); they are progress, not a record of
	// what was installed (the Outcome and a rescan are).
	N, Total int
	Package  string
}

// Counter turns a package manager's per-package progress lines into
// Progress events: each package once, N counting from 1, Total never
// below N. A family executor keeps one per run.
type Counter struct {
	stage  string
	report func(Progress)
	seen   map[string]bool
	n      int
	total  int
}

// NewCounter returns a Counter reporting stage's packages to report (which
// may be nil: nothing is reported).
func NewCounter(stage string, report func(Progress)) *Counter {
	return &Counter{stage: stage, report: report, seen: map[string]bool{}}
}

// SetTotal records the package manager's count of the run's packages.
// A count below the packages already started is raised to them.
func (c *Counter) SetTotal(total int) {
	c.total = max(total, c.n)
}

// Start reports pkg as the next package, unless it was started before
// (key tells packages apart; pkg is what is reported). It reports
// whether the package was new.
func (c *Counter) Start(key, pkg string) bool {
	if c.seen[key] {
		return false
	}
	c.seen[key] = true
	c.n++
	if c.total > 0 && c.total < c.n {
		c.total = c.n
	}
	if c.report != nil {
		c.report(Progress{Stage: c.stage, N: c.n, Total: c.total, Package: pkg})
	}
	return true
}

// N is the number of packages started so far.
func (c *Counter) N() int { return c.n }

// The stages of Apply: the download run resolves the transaction and
// fetches and checks the packages without changing the system (it can be
// cancelled); the install run is the committing one.
const (
	StageDownloading = "downloading"
	StageInstalling  = "installing"
)

// Failure is one package the package manager failed on.
type Failure struct {
	Name   string `json:"Name"`
	Arch   string `json:"Arch,omitempty"`
	Reason string `json:"Reason"`
	// State is the package's state after the run (dpkg's half-configured,
	// unpacked, ...; "installed"; "not-installed" when no version is on
	// the system), as install.Install fills it from its verifying scan;
	// the family executors leave it empty.
	State patchkit.InstallState `json:"State,omitempty"`
}

// Errors callers branch on with errors.Is.
var (
	// ErrLocked: the package manager's lock stayed held beyond the wait.
	// It is run.ErrLocked, which means the same (the lock is held by
	// another process): one sentinel for a scan's and an install's errors,
	// which a *LockedError and a runner's locked exit both match.
	ErrLocked = run.ErrLocked
	// ErrNeedsRepair: an earlier run was interrupted (dpkg journal,
	// half-configured packages, duplicate rpm versions).
	ErrNeedsRepair = errors.New("an interrupted package operation needs repair")
	// ErrPlanRefused: the plan does something the caller did not allow.
	ErrPlanRefused = errors.New("the package manager's plan was refused")
	// ErrInsufficientSpace: the plan needs more disk space than is free.
	ErrInsufficientSpace = errors.New("not enough free disk space for the plan")
)

// LockedError reports a lock held by another process. It matches
// ErrLocked (run.ErrLocked).
type LockedError struct {
	Tool string // "apt", "dpkg", "dnf", "rpm", "zypper"
	Path string // the lock file, when known
	PID  int    // the holder, 0 when unknown
	// Holder is the holding program's name when the tool says it.
	Holder string
	Waited string // how long patchkit waited
}

func (e *LockedError) Error() string {
	s := e.Tool + " is locked"
	if e.Path != "" {
		s += " (" + e.Path + ")"
	}
	if e.PID > 0 {
		s += fmt.Sprintf(" by process %d", e.PID)
		if e.Holder != "" {
			s += " (" + e.Holder + ")"
		}
	}
	if e.Waited != "" {
		s += " after waiting " + e.Waited
	}
	return s
}

// Is reports whether target is ErrLocked (run.ErrLocked).
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// RepairError reports an interrupted earlier run: what is left half-done.
type RepairError struct {
	Tool string
	// Packages are the packages left in an unfinished state (dpkg) or
	// installed twice (rpm), with the state.
	Packages []string
	// Repair is the command that would finish or clean up, run only when
	// the caller asks.
	Repair string
}

func (e *RepairError) Error() string {
	return fmt.Sprintf("%s: an interrupted operation left %s; repair with %s", e.Tool, strings.Join(e.Packages, ", "), e.Repair)
}

// Is reports whether target is ErrNeedsRepair.
func (e *RepairError) Is(target error) bool { return target == ErrNeedsRepair }

// RefusedError reports a plan that does something not allowed.
type RefusedError struct {
	Action Action
	Reason string // "removes an installed package", "installs a package not asked for", "pulls in a rejected package (BLOCK)"
}

func (e *RefusedError) Error() string { return "plan refused: " + e.Action.String() + ": " + e.Reason }

// Is reports whether target is ErrPlanRefused.
func (e *RefusedError) Is(target error) bool { return target == ErrPlanRefused }
