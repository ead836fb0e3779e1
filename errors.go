package patchkit

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (with errors.Is) by every error that reports malformed
// input: a version string, a package specification, an unknown enum value.
var ErrInvalid = errors.New("invalid input")

// VersionError reports a version string that its scheme does not accept.
type VersionError struct {
	Scheme  VersionScheme // the scheme that rejected the string
	Version string        // the string as given
	Reason  string        // what is wrong with it
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("invalid %s version %q: %s", e.Scheme, e.Version, e.Reason)
}

// Is reports whether target is ErrInvalid.
func (e *VersionError) Is(target error) bool { return target == ErrInvalid }

// ParseError reports a value that does not follow its grammar, such as an rpm
// NEVRA or a dpkg "name:arch" string. Field names the part that is wrong.
type ParseError struct {
	Kind   string // what was being parsed, e.g. "rpm NEVRA"
	Input  string // the input as given
	Field  string // the part that is wrong, e.g. "epoch", "arch"; may be empty
	Reason string
	Err    error // an underlying error, if any
}

func (e *ParseError) Error() string {
	s := fmt.Sprintf("invalid %s %q", e.Kind, e.Input)
	if e.Field != "" {
		s += ": " + e.Field
	}
	s += ": " + e.Reason
	return s
}

// Is reports whether target is ErrInvalid.
func (e *ParseError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the underlying error, if any.
func (e *ParseError) Unwrap() error { return e.Err }

// UnknownValueError reports a value that is not one of an enumeration's
// spellings. Values are never mapped to a guess.
type UnknownValueError struct {
	Type  string // the enumeration, e.g. "OperatingSystem"
	Value string
}

func (e *UnknownValueError) Error() string {
	return fmt.Sprintf("unknown %s %q", e.Type, e.Value)
}

// Is reports whether target is ErrInvalid.
func (e *UnknownValueError) Is(target error) bool { return target == ErrInvalid }
