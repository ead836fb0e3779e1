package apt

import (
	"fmt"

	"github.com/patchkit/patchkit"
)

// ConfigError reports a malformed apt configuration file (apt.conf or a
// file of apt.conf.d, a preferences file, a sources file) or a value apt
// itself refuses (a pin priority out of range, an APT::Default-Release no
// source provides). apt stops with an error on all of these, so the scan
// does too. It matches patchkit.ErrInvalid.
type ConfigError struct {
	File string // the file as apt would name it ("/etc/apt/preferences.d/pin")
	Line int    // 1-based; 0 when the error is not about one line
	Msg  string
	Err  error // an underlying error, if any
}

func (e *ConfigError) Error() string {
	s := "apt configuration"
	if e.File != "" {
		s = e.File
		if e.Line > 0 {
			s += fmt.Sprintf(":%d", e.Line)
		}
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

// OutputError reports output of apt-get or apt-cache that patchkit cannot
// read, or that contradicts itself or the inventory: the line that does not
// follow the format, or a summary line whose counts differ from the actions
// listed. It matches patchkit.ErrInvalid.
type OutputError struct {
	Command string // "apt-get -s dist-upgrade", "apt-cache policy"
	Line    int    // 1-based line of the output; 0 when about the whole output
	Text    string // the line as printed (cut to 200 bytes)
	Reason  string
}

func (e *OutputError) Error() string {
	s := e.Command + " output"
	if e.Line > 0 {
		s += fmt.Sprintf(" line %d", e.Line)
	}
	s += ": " + e.Reason
	if e.Text != "" {
		s += fmt.Sprintf(": %q", e.Text)
	}
	return s
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *OutputError) Is(target error) bool { return target == patchkit.ErrInvalid }

func outputErr(cmd string, line int, text, reason string) *OutputError {
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	return &OutputError{Command: cmd, Line: line, Text: text, Reason: reason}
}

// OptionError reports an option that is missing or invalid. It matches
// patchkit.ErrInvalid.
type OptionError struct {
	Option string // the option's constructor, e.g. "WithArch"
	Reason string
}

func (e *OptionError) Error() string { return "scan/apt: " + e.Option + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *OptionError) Is(target error) bool { return target == patchkit.ErrInvalid }

// InventoryError reports an installed package list that cannot be used: a
// package of another version scheme, a name or architecture dpkg would not
// accept, or one name and architecture listed twice. It matches
// patchkit.ErrInvalid.
type InventoryError struct {
	Package string // name:arch as given
	Reason  string
}

func (e *InventoryError) Error() string {
	return "scan/apt: installed package " + e.Package + ": " + e.Reason
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *InventoryError) Is(target error) bool { return target == patchkit.ErrInvalid }
