// Package run is the seam through which patchkit runs package-manager
// commands (dpkg-query, rpm, apt-get, dnf, zypper). Everything in scan and
// install that executes a program goes through a Runner, so that an embedder
// can run the commands with sudo, over SSH, inside a chroot or container, or
// from a recording, by implementing one method.
//
// Local runs processes on this machine the careful way: an absolute program
// path, an argument vector without a shell, "--" before operands, LC_ALL=C
// and an empty LANGUAGE in the child's environment, its own process group,
// cancellation that sends SIGTERM to the whole group and waits, output
// captured with size bounds, and the exit status returned as data with a
// typed error that says what it means. Replay answers from recordings of
// real runs and is what patchkit's own unit tests use; Record makes such
// recordings.
//
// A command can also have its output line by line while it runs
// (Command.OnLine), which the install executors read for per-package
// progress. Local streams the lines without ever letting the callback
// hold up the child; Replay sends a recording's lines; a Runner that
// cannot stream may ignore the callback, as it is advisory.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
)

// Command is one program invocation.
type Command struct {
	// Path is the program's absolute path ("/usr/bin/dpkg-query").
	Path string
	// Args are the options, in order, without the program name.
	Args []string
	// Operands follow the options after a "--" that the runner inserts, so
	// that no operand is read as an option. Each must be non-empty, must not
	// start with '-' and must not contain control characters; callers check
	// package names against their format's grammar before building one
	// (patchkit.ValidateName).
	Operands []string
	// Env holds extra "KEY=value" entries for the child's environment, on
	// top of the runner's own (Local: the parent's environment with LC_ALL=C
	// and LANGUAGE= set). Commands that scan and install build begin it
	// with CLocale, for runners that set no locale of their own.
	Env []string
	// OKCodes are exit codes, besides 0, that are outcomes rather than
	// failures (dnf check-update exits 100 when updates exist; zypper 102
	// means "installed, reboot needed").
	OKCodes []int
	// Committing marks a command that changes the system (a dpkg or rpm
	// transaction). Cancellation never signals it: Run waits for its end, as
	// killing a package manager in its commit phase leaves the system broken.
	Committing bool
	// OnLine, when set, is called with each line of the command's output
	// as it arrives, for progress reports: standard output and standard
	// error, each line once, in order within its stream, from one
	// goroutine at a time (never concurrently), the last call returning
	// before Run does. The output is captured in the Result all the same.
	// A line longer than MaxLineBytes is cut (Line.Truncated). It is
	// advisory: Local never lets a slow callback hold up the child (lines
	// that find MaxQueuedLines lines waiting are dropped and counted in
	// the next Line's Dropped), Replay sends a recording's lines (all of
	// standard output, then of standard error) before it returns, and a
	// Runner that cannot stream may ignore it (ReplayLines sends a
	// finished command's lines late), so a caller must not rely on it for
	// anything but progress. The callback must return promptly and must
	// not call Run.
	OnLine func(Line)
}

// Stream names a command's output stream.
type Stream uint8

// The output streams.
const (
	Stdout Stream = 1
	Stderr Stream = 2
)

func (s Stream) String() string {
	switch s {
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	}
	return fmt.Sprintf("Stream(%d)", uint8(s))
}

// Line is one line of a command's output, as Command.OnLine receives it.
type Line struct {
	Stream Stream
	// Text is the line without its "\n" (a "\r" before it is kept). A
	// last line without a newline is sent when the stream ends.
	Text string
	// Truncated is set when the line was longer than MaxLineBytes: Text
	// holds its first MaxLineBytes bytes, and the rest is not sent.
	Truncated bool
	// Dropped counts the lines of either stream before this one that
	// were not sent because the callback fell behind. A Line with
	// Dropped > 0, no Stream and no Text may come last.
	Dropped int
}

// Bounds of line streaming (Command.OnLine).
const (
	// MaxLineBytes is the longest Line.Text.
	MaxLineBytes = 8 << 10
	// MaxQueuedLines is how many lines Local keeps waiting for a slow
	// callback (and at most 1 MiB of them) before it drops lines.
	MaxQueuedLines = 4096
)

// ReplayLines sends each line of res's standard output, then of its
// standard error, to c.OnLine (when set), cut at MaxLineBytes as Local
// cuts them. Replay calls it; a Runner that gets a command's output only
// when the command has finished (over a connection that does not stream)
// can call it before it returns, so that progress parsers still see every
// line.
func ReplayLines(c Command, res Result) {
	if c.OnLine == nil {
		return
	}
	for _, s := range []struct {
		stream Stream
		data   []byte
	}{{Stdout, res.Stdout}, {Stderr, res.Stderr}} {
		sp := splitter{stream: s.stream, emit: c.OnLine}
		sp.write(s.data)
		sp.end()
	}
}

// splitter cuts one stream into Lines: it keeps at most MaxLineBytes of
// the line in progress and calls emit with each line as its newline
// arrives, and with the unfinished last one at the end.
type splitter struct {
	stream  Stream
	emit    func(Line)
	buf     []byte
	cut     bool // the line in progress is longer than MaxLineBytes
	started bool // the line in progress has any byte
}

func (s *splitter) write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if len(chunk) > 0 {
			s.started = true
			if room := MaxLineBytes - len(s.buf); room < len(chunk) {
				s.buf = append(s.buf, chunk[:max(room, 0)]...)
				s.cut = true
			} else {
				s.buf = append(s.buf, chunk...)
			}
		}
		if i < 0 {
			return
		}
		s.flush()
		p = p[i+1:]
	}
}

func (s *splitter) flush() {
	s.emit(Line{Stream: s.stream, Text: string(s.buf), Truncated: s.cut})
	s.buf, s.cut, s.started = s.buf[:0], false, false
}

// end sends the last line when it has no newline.
func (s *splitter) end() {
	if s.started {
		s.flush()
	}
}

// Argv returns the whole argument vector as it is executed: the path, the
// options, and "--" followed by the operands when there are any.
func (c Command) Argv() []string {
	argv := make([]string, 0, 2+len(c.Args)+len(c.Operands))
	argv = append(argv, c.Path)
	argv = append(argv, c.Args...)
	if len(c.Operands) > 0 {
		argv = append(argv, "--")
		argv = append(argv, c.Operands...)
	}
	return argv
}

// String returns the argument vector quoted for a log line or an error.
func (c Command) String() string {
	argv := c.Argv()
	q := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`*?[]{}()<>|&;#~") {
			q[i] = fmt.Sprintf("%q", a)
		} else {
			q[i] = a
		}
	}
	return strings.Join(q, " ")
}

// Check validates the command before anything runs: an absolute path, no
// control characters in any argument or environment entry, and operands
// that cannot be read as options. The error is an *InvalidCommandError.
func (c Command) Check() error {
	bad := func(field, reason string) error {
		return &InvalidCommandError{Command: c.String(), Field: field, Reason: reason}
	}
	if !strings.HasPrefix(c.Path, "/") {
		return bad("Path", "not an absolute path")
	}
	if r := controlChar(c.Path); r != "" {
		return bad("Path", r)
	}
	for i, a := range c.Args {
		if r := controlChar(a); r != "" {
			return bad(fmt.Sprintf("Args[%d]", i), r)
		}
	}
	for i, o := range c.Operands {
		f := fmt.Sprintf("Operands[%d]", i)
		switch {
		case o == "":
			return bad(f, "empty")
		case o[0] == '-':
			return bad(f, "starts with '-'")
		}
		if r := controlChar(o); r != "" {
			return bad(f, r)
		}
	}
	for i, e := range c.Env {
		f := fmt.Sprintf("Env[%d]", i)
		k, _, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return bad(f, "not KEY=value")
		}
		if r := controlChar(e); r != "" {
			return bad(f, r)
		}
	}
	return nil
}

func controlChar(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return fmt.Sprintf("contains control character %#02x at byte %d", c, i)
		}
	}
	return ""
}

// OK reports whether code is 0 or one of the command's OKCodes.
func (c Command) OK(code int) bool {
	if code == 0 {
		return true
	}
	for _, k := range c.OKCodes {
		if k == code {
			return true
		}
	}
	return false
}

// Result is what a finished command produced.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	// Duration is the wall time from start to exit.
	Duration time.Duration
}

// CLocale returns the environment entries that make a program write
// untranslated output in the C locale (LC_ALL=C, LANG=C, LANGUAGE=),
// followed by extra. Every command patchkit builds carries them in
// Command.Env, because its parsers read English messages and C-locale
// numbers and dates: Local sets them anyway, and any other Runner (sudo,
// SSH, a container exec) passes them on with the command.
func CLocale(extra ...string) []string {
	return append([]string{"LC_ALL=C", "LANG=C", "LANGUAGE="}, extra...)
}

// Runner runs commands. Run returns the result of a command that ran to its
// end with an exit code the command accepts (0 or one of OKCodes) and a nil
// error; otherwise an error: an *ExitError for any other exit code (with
// the result, whose output is also in the error), an *InvalidCommandError
// before anything runs, ErrOutputTooLarge, or the context's error when it was
// cancelled. Implementations must be safe for concurrent use.
type Runner interface {
	Run(ctx context.Context, c Command) (Result, error)
}

// RunnerFunc adapts a function to a Runner.
type RunnerFunc func(ctx context.Context, c Command) (Result, error)

// Run calls f(ctx, c).
func (f RunnerFunc) Run(ctx context.Context, c Command) (Result, error) { return f(ctx, c) }

// Errors that callers branch on with errors.Is.
var (
	// ErrOutputTooLarge: the command wrote more than the runner accepts;
	// it was stopped (unless committing) and its output is not used.
	ErrOutputTooLarge = errors.New("command output is larger than the limit")
	// ErrLocked: the package manager's lock is held by another process
	// (an *ExitError whose meaning is a lock matches it).
	ErrLocked = errors.New("package manager is locked by another process")
	// ErrNotFound: the program does not exist where the command says.
	ErrNotFound = errors.New("program not found")
)

// OptionError reports a bad option of NewLocal (WithOutputLimit,
// WithWaitDelay, WithEnv) or a nil one. It matches patchkit.ErrInvalid.
type OptionError struct {
	Option string // "WithWaitDelay", or "NewLocal" for a nil option
	Reason string
}

func (e *OptionError) Error() string { return "run: " + e.Option + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *OptionError) Is(target error) bool { return target == patchkit.ErrInvalid }

// InvalidCommandError reports a command refused before it ran.
type InvalidCommandError struct {
	Command string
	Field   string // "Path", "Args[2]", "Operands[0]", "Env[1]"
	Reason  string
}

func (e *InvalidCommandError) Error() string {
	return fmt.Sprintf("run: refusing %s: %s %s", e.Command, e.Field, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid: the command was bad
// input (a name outside its format's grammar, a relative program path).
func (e *InvalidCommandError) Is(target error) bool { return target == patchkit.ErrInvalid }

// ExitError reports a command that exited with a code it does not accept,
// or was ended by a signal (Code -1, Signal set).
type ExitError struct {
	Command string // the quoted argument vector
	Code    int
	Signal  string // the signal that ended it, if any
	// Meaning is what the program documents the code to mean, when patchkit
	// knows it ("locked", "error", "rpm scriptlet failed"), else empty.
	Meaning string
	// Locked is true when the code means the package manager's lock is held.
	Locked bool
	Result Result
}

func (e *ExitError) Error() string {
	var b strings.Builder
	if e.Signal != "" {
		fmt.Fprintf(&b, "%s: killed by signal %s", e.Command, e.Signal)
	} else {
		fmt.Fprintf(&b, "%s: exit status %d", e.Command, e.Code)
	}
	if e.Meaning != "" {
		fmt.Fprintf(&b, " (%s)", e.Meaning)
	}
	if tail := lastLines(e.Result.Stderr, 3); tail != "" {
		b.WriteString(": ")
		b.WriteString(tail)
	}
	return b.String()
}

// Is reports whether target is ErrLocked and the code means a lock.
func (e *ExitError) Is(target error) bool { return target == ErrLocked && e.Locked }

// lastLines returns up to n last non-empty lines of b, joined by " | ".
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var out []string
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			out = append(out, l)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return strings.Join(out, " | ")
}
