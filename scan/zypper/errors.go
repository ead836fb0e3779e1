package zypper

import (
	"errors"
	"fmt"
	"strings"

	"github.com/patchkit/patchkit"
)

// ErrReposSkipped is matched by the *ReposSkippedError that NativeUpdates
// and NativePatches return when zypper skipped repositories (exit code 106):
// the list that comes with it lacks whatever those repositories offer.
var ErrReposSkipped = errors.New("zypper skipped repositories")

// OptionError reports an option that is missing or invalid. It matches
// patchkit.ErrInvalid.
type OptionError struct {
	Option string // the option's function name, "WithArch"
	Reason string
}

func (e *OptionError) Error() string { return "zypper: " + e.Option + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *OptionError) Is(target error) bool { return target == patchkit.ErrInvalid }

// ConfigError reports a line of a zypp configuration file (zypp.conf, the
// locks file) that cannot be read, or that asks for something this package
// cannot evaluate. It matches patchkit.ErrInvalid.
type ConfigError struct {
	File string // path inside the root, "/etc/zypp/locks"
	Line int    // 1-based; 0 when the error is about the whole file
	Msg  string
	Err  error
}

func (e *ConfigError) Error() string {
	s := "zypper: " + e.File
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

// OutputError reports zypper output that does not have the expected
// shape: malformed XML, a missing attribute, a value that does not parse,
// a limit exceeded. Source names what was parsed (the command, or the name
// given to a Parse function). It matches patchkit.ErrInvalid.
type OutputError struct {
	Source string
	Line   int // 1-based line of the output; 0 when unknown
	Msg    string
	Err    error
}

func (e *OutputError) Error() string {
	s := "zypper: " + e.Source
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

// PatchError reports a patch whose category or severity cannot be turned
// into Patch Manager's values (an unknown category). It matches
// patchkit.ErrInvalid.
type PatchError struct {
	Patch      string
	Repository string
	Err        error
}

func (e *PatchError) Error() string {
	return fmt.Sprintf("zypper: patch %s of %s: %v", e.Patch, e.Repository, e.Err)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *PatchError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Unwrap returns the underlying error.
func (e *PatchError) Unwrap() error { return e.Err }

// ReposSkippedError reports repositories zypper skipped (it could not
// refresh or verify them) while answering a query. It matches
// ErrReposSkipped.
type ReposSkippedError struct {
	Command string
	// Repos are the aliases zypper named in its "Skipping repository"
	// messages; Messages are its error messages, as printed.
	Repos    []string
	Messages []string
}

func (e *ReposSkippedError) Error() string {
	s := "zypper: " + e.Command + ": skipped repositories"
	if len(e.Repos) > 0 {
		s += " " + strings.Join(e.Repos, ", ")
	}
	if len(e.Messages) > 0 {
		s += ": " + strings.Join(e.Messages, " | ")
	}
	return s
}

// Is reports whether target is ErrReposSkipped.
func (e *ReposSkippedError) Is(target error) bool { return target == ErrReposSkipped }
