package zypper

import (
	"errors"
	"fmt"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
)

// Errors callers branch on with errors.Is, besides install/plan's.
var (
	// ErrInteractive: a target's patch is flagged interactive and the
	// caller did not allow interactive patches.
	ErrInteractive = errors.New("zypper: interactive patch not allowed")
	// ErrNoSolution: zypper's solver found no way to install the targets
	// without giving something up (it would have asked).
	ErrNoSolution = errors.New("zypper: the solver found a problem")
	// ErrNotFound: zypper found no package or patch for a target.
	ErrNotFound = errors.New("zypper: a target was not found")
)

// OptionError reports an invalid option. It matches patchkit.ErrInvalid.
type OptionError struct {
	Option string // the option's function name, "WithRoot"
	Reason string
}

func (e *OptionError) Error() string { return "install/zypper: " + e.Option + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *OptionError) Is(target error) bool { return target == patchkit.ErrInvalid }

// TargetError reports a target refused before anything runs: a name,
// architecture, version or patch name that does not follow rpm's or
// zypper's grammar (and so could be read as an option, a path, a glob or a
// capability expression), or a target that is not an upgrade of an
// installed package. It matches patchkit.ErrInvalid.
type TargetError struct {
	Index  int    // the target's index in the slice given
	Field  string // "Version.Name", "Version.Arch", "Version", "Installed.Name", "Advisory"
	Value  string
	Reason string
	Err    error
}

func (e *TargetError) Error() string {
	s := fmt.Sprintf("install/zypper: target %d: %s %q: %s", e.Index, e.Field, e.Value, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *TargetError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Unwrap returns the underlying error.
func (e *TargetError) Unwrap() error { return e.Err }

// InteractivePatchError reports targets whose SUSE patches zypper flags
// interactive (reboot suggested, a message, a licence) while the caller did
// not pass AllowInteractivePatches. Nothing was installed. It matches
// ErrInteractive and plan.ErrPlanRefused.
type InteractivePatchError struct {
	// Patches are the patch names; Why says for each what makes it
	// interactive ("reboot suggested", "interactive").
	Patches []string
	Why     []string
}

func (e *InteractivePatchError) Error() string {
	var parts []string
	for i, p := range e.Patches {
		parts = append(parts, p+" ("+e.Why[i]+")")
	}
	return "install/zypper: interactive patches not allowed (AllowInteractivePatches): " + strings.Join(parts, ", ")
}

// Is reports whether target is ErrInteractive or plan.ErrPlanRefused.
func (e *InteractivePatchError) Is(target error) bool {
	return target == ErrInteractive || target == plan.ErrPlanRefused
}

// ProblemError reports the problems zypper's solver found (exit 4 with a
// "Problem:" prompt): in --non-interactive mode zypper cancels rather than
// choose a solution. It matches ErrNoSolution and unwraps to the
// *run.ExitError.
type ProblemError struct {
	Command string
	// Problems are zypper's problem descriptions with their proposed
	// solutions, as printed.
	Problems []string
	Err      error
}

func (e *ProblemError) Error() string {
	return "install/zypper: " + e.Command + ": " + strings.Join(e.Problems, " | ")
}

// Is reports whether target is ErrNoSolution.
func (e *ProblemError) Is(target error) bool { return target == ErrNoSolution }

// Unwrap returns the *run.ExitError.
func (e *ProblemError) Unwrap() error { return e.Err }

// NotFoundError reports targets zypper found no provider for (exit 104).
// It matches ErrNotFound and unwraps to the *run.ExitError.
type NotFoundError struct {
	Command string
	// Messages are zypper's error messages ("No provider of 'x=1-1'
	// found."); SkippedRepos the repositories it skipped (a refresh that
	// failed, a key it declined), which may be why.
	Messages     []string
	SkippedRepos []string
	Err          error
}

func (e *NotFoundError) Error() string {
	s := "install/zypper: " + e.Command + ": " + strings.Join(e.Messages, " | ")
	if len(e.SkippedRepos) > 0 {
		s += " (skipped repositories: " + strings.Join(e.SkippedRepos, ", ") + ")"
	}
	return s
}

// Is reports whether target is ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Unwrap returns the *run.ExitError.
func (e *NotFoundError) Unwrap() error { return e.Err }

// OutputError reports zypper output that does not have the expected
// shape: malformed XML, a limit exceeded, an install summary entry that
// does not parse. Source names what was parsed. It matches
// patchkit.ErrInvalid.
type OutputError struct {
	Source string
	Line   int // 1-based; 0 when unknown
	Msg    string
	Err    error
}

func (e *OutputError) Error() string {
	s := "install/zypper: " + e.Source
	if e.Line > 0 {
		s += fmt.Sprintf(" line %d", e.Line)
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *OutputError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Unwrap returns the underlying error.
func (e *OutputError) Unwrap() error { return e.Err }

// ConfigError reports a zypp configuration file of the root that Check
// cannot read (zypp.conf, a multiversion.d file). It matches
// patchkit.ErrInvalid.
type ConfigError struct {
	File string // path inside the root
	Line int    // 1-based; 0 for the whole file
	Msg  string
	Err  error
}

func (e *ConfigError) Error() string {
	s := "install/zypper: " + e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *ConfigError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }
