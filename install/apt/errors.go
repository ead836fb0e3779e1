package apt

import (
	"fmt"

	"github.com/patchkit/patchkit"
)

// OptionError reports an invalid option or an invalid combination. It
// matches patchkit.ErrInvalid.
type OptionError struct {
	Option string // the option's constructor, e.g. "Chroot"
	Reason string
}

func (e *OptionError) Error() string { return "install/apt: " + e.Option + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *OptionError) Is(target error) bool { return target == patchkit.ErrInvalid }

// TargetError reports a target refused before anything runs: a version of
// another scheme, or a name, architecture or version that is not in dpkg's
// grammar (and so could be read by apt-get as an option, a file, a release
// or a pattern). It matches patchkit.ErrInvalid.
type TargetError struct {
	Index  int    // position in the targets given
	Target string // the target as given, quoted
	Reason string
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("install/apt: target %d %s: %s", e.Index, e.Target, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *TargetError) Is(target error) bool { return target == patchkit.ErrInvalid }

// OutputError reports output of apt-get, apt-config or dpkg that patchkit
// cannot read, or that contradicts itself: the line that does not follow
// the format, or two runs of one plan that disagree. It matches
// patchkit.ErrInvalid.
type OutputError struct {
	Command string // the command, as run
	Line    int    // 1-based line of its standard output; 0 when about the whole
	Text    string // the line as printed (cut to 200 bytes)
	Reason  string
}

func (e *OutputError) Error() string {
	s := "install/apt: output of " + e.Command
	if e.Line > 0 {
		s += fmt.Sprintf(" line %d", e.Line)
	}
	s += ": " + e.Reason
	if e.Text != "" {
		s += ": " + quote(e.Text)
	}
	return s
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *OutputError) Is(target error) bool { return target == patchkit.ErrInvalid }
