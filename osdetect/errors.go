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

// ErrNoRoot is returned (wrapped, with the file system's own error) when
// the root directory itself does not exist or is not a directory, which is
// not the same as a root without release information.
var ErrNoRoot = errors.New("osdetect: no such directory for the root")

// ParseError reports a release file that is damaged or cannot be used: a
// line that does not follow the file's grammar, a value that cannot be what
// it claims to be, an empty file, a name that is not a regular file or a
// file too large. DetectFS returns it when nothing usable is left, and lists
// it in OS.Ignored otherwise. It matches patchkit.ErrInvalid.
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

// UnsupportedError reports an operating system that osdetect identified but
// patchkit cannot patch: its family and package manager are unknown (Alpine,
// Arch, Void, ...; Scientific Linux, named only by its redhat-release, has
// no ID). DetectFS returns the identified OS with it.
type UnsupportedError struct {
	ID, Name string
	File     string // the file that identified it
}

func (e *UnsupportedError) Error() string {
	if e.ID == "" {
		// A release file naming a distribution without an os-release ID
		// osdetect knows ("Scientific Linux release 7.9").
		return fmt.Sprintf("osdetect: %s (from %s) is not a supported operating system", e.Name, e.File)
	}
	return fmt.Sprintf("osdetect: %s (ID %q, from %s) is not a supported operating system", e.Name, e.ID, e.File)
}

// ErrUnsupported is matched by *UnsupportedError.
var ErrUnsupported = errors.New("osdetect: unsupported operating system")

// Is reports whether target is ErrUnsupported.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }
