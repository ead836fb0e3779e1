package osdetect

import (
	"errors"
	"fmt"

	"github.com/patchkit/patchkit"
)

// ErrUnknownOS is returned when a root holds no release information that
// osdetect recognises (no os-release, no legacy release file, no
// SystemVersion.plist).
var ErrUnknownOS = errors.New("osdetect: no recognised release information")

// ParseError reports a release file that is damaged: a line that does not
// follow the file's grammar, or a value that cannot be what it claims to be.
// It matches patchkit.ErrInvalid.
type ParseError struct {
	File   string // path inside the root, e.g. "etc/os-release"
	Line   int    // 1-based; 0 when the problem is not on one line
	Text   string // the offending line, if any
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("osdetect: %s:%d: %s: %q", e.File, e.Line, e.Reason, e.Text)
	}
	return fmt.Sprintf("osdetect: %s: %s", e.File, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *ParseError) Is(target error) bool { return target == patchkit.ErrInvalid }

// ConflictError reports two release files of the same distribution that
// disagree, for example an os-release saying 12.1 and a SuSE-release saying
// patch level 0. osdetect does not pick one: it cannot know which is true.
type ConflictError struct {
	Field          string // e.g. "VERSION_ID"
	File, Value    string
	Other, OtherAt string // the other value and the file it came from
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("osdetect: %s disagrees: %s says %q, %s says %q", e.Field, e.File, e.Value, e.OtherAt, e.Other)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *ConflictError) Is(target error) bool { return target == patchkit.ErrInvalid }

// UnsupportedError reports an operating system that osdetect identified but
// patchkit cannot patch: its family and package manager are unknown (Alpine,
// Arch, Void, ...). DetectFS returns the identified OS with it.
type UnsupportedError struct {
	ID, Name string
	File     string // the file that identified it
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("osdetect: %s (ID %q, from %s) is not a supported operating system", e.Name, e.ID, e.File)
}

// ErrUnsupported is matched by *UnsupportedError.
var ErrUnsupported = errors.New("osdetect: unsupported operating system")

// Is reports whether target is ErrUnsupported.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }
