package run

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Recording is one real run of a command: its argument vector, exit code
// and output, and where it came from.
//
// Its file form (Format, ParseRecording) is plain text, one file per run:
//
//	# provenance: what ran it, where, when (one or more "#" lines)
//	exit: 0
//	-- argv --
//	/usr/bin/dpkg-query
//	-W
//	-- stdout --
//	...
//	-- stderr --
//	...
//
// Arguments are one per line (commands hold no control characters). Output
// is kept byte for byte; a section whose data does not end in a newline is
// marked "-- stdout (no final newline) --".
type Recording struct {
	Provenance string
	Argv       []string
	Exit       int
	Stdout     []byte
	Stderr     []byte
}

// Format returns the file form of r. It fails when output contains a line
// that would read as a section marker.
func (r Recording) Format() ([]byte, error) {
	var b bytes.Buffer
	prov := strings.TrimSpace(r.Provenance)
	if prov == "" {
		return nil, fmt.Errorf("run: recording of %v has no provenance", r.Argv)
	}
	for _, l := range strings.Split(prov, "\n") {
		b.WriteString("# " + strings.TrimSpace(l) + "\n")
	}
	fmt.Fprintf(&b, "exit: %d\n-- argv --\n", r.Exit)
	for _, a := range r.Argv {
		if controlChar(a) != "" {
			return nil, fmt.Errorf("run: recording argument %q has a control character", a)
		}
		b.WriteString(a + "\n")
	}
	for _, sec := range []struct {
		name string
		data []byte
	}{{"stdout", r.Stdout}, {"stderr", r.Stderr}} {
		for _, l := range bytes.Split(sec.data, []byte("\n")) {
			if isMarker(l) {
				return nil, fmt.Errorf("run: %s of %v holds a line that reads as a section marker: %q", sec.name, r.Argv, l)
			}
		}
		if len(sec.data) > 0 && sec.data[len(sec.data)-1] != '\n' {
			fmt.Fprintf(&b, "-- %s (no final newline) --\n", sec.name)
			b.Write(sec.data)
			b.WriteByte('\n')
		} else {
			fmt.Fprintf(&b, "-- %s --\n", sec.name)
			b.Write(sec.data)
		}
	}
	return b.Bytes(), nil
}

func isMarker(l []byte) bool {
	return bytes.HasPrefix(l, []byte("-- ")) && bytes.HasSuffix(l, []byte(" --"))
}

// RecordingError reports a recording file that does not follow the format.
type RecordingError struct {
	File   string
	Line   int
	Reason string
}

func (e *RecordingError) Error() string {
	return fmt.Sprintf("run: recording %s:%d: %s", e.File, e.Line, e.Reason)
}

// ParseRecording reads the file form of a recording; name is used in errors.
func ParseRecording(name string, data []byte) (Recording, error) {
	var r Recording
	fail := func(line int, reason string) (Recording, error) {
		return Recording{}, &RecordingError{File: name, Line: line, Reason: reason}
	}
	lines := strings.SplitAfter(string(data), "\n")
	i := 0
	var prov []string
	for ; i < len(lines) && strings.HasPrefix(lines[i], "#"); i++ {
		prov = append(prov, strings.TrimSpace(strings.TrimPrefix(lines[i], "#")))
	}
	r.Provenance = strings.Join(prov, "\n")
	if strings.TrimSpace(r.Provenance) == "" {
		return fail(1, "no provenance (\"# ...\" lines first)")
	}
	if i >= len(lines) || !strings.HasPrefix(lines[i], "exit: ") {
		return fail(i+1, "want \"exit: N\"")
	}
	code, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(lines[i], "exit: ")))
	if err != nil {
		return fail(i+1, "exit code is not a number")
	}
	r.Exit = code
	i++
	want := []string{"argv", "stdout", "stderr"}
	for _, sec := range want {
		if i >= len(lines) {
			return fail(i+1, "missing -- "+sec+" -- section")
		}
		m := strings.TrimRight(lines[i], "\n")
		noNL := false
		switch m {
		case "-- " + sec + " --":
		case "-- " + sec + " (no final newline) --":
			noNL = sec != "argv"
		default:
			return fail(i+1, fmt.Sprintf("want -- %s --, found %q", sec, m))
		}
		i++
		start := i
		for i < len(lines) && !isMarker([]byte(strings.TrimRight(lines[i], "\n"))) {
			i++
		}
		body := strings.Join(lines[start:i], "")
		if noNL {
			body = strings.TrimSuffix(body, "\n")
		}
		switch sec {
		case "argv":
			for _, a := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
				if a != "" || body != "" {
					r.Argv = append(r.Argv, a)
				}
			}
			if len(r.Argv) == 0 || !strings.HasPrefix(r.Argv[0], "/") {
				return fail(start+1, "argv must start with an absolute program path")
			}
		case "stdout":
			r.Stdout = []byte(body)
		case "stderr":
			r.Stderr = []byte(body)
		}
	}
	if i < len(lines) {
		return fail(i+1, "unexpected text after the stderr section")
	}
	return r, nil
}

// LoadRecordings parses every file of fsys matching the glob pattern (as
// fs.Glob), in name order.
func LoadRecordings(fsys fs.FS, pattern string) ([]Recording, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("run: no recordings match %q", pattern)
	}
	var recs []Recording
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		r, err := ParseRecording(n, b)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// Replay is a Runner that answers from recordings of real runs, for tests.
// A command matches a recording with the same argument vector; recordings of
// the same vector answer in turn, and the last one answers again when they
// are used up. A command without a recording fails with *NoRecordingError.
// Replay checks commands as Local does, and remembers every command it was
// asked to run (Calls), so that a test can assert each argument vector. A
// command with OnLine gets the recording's lines through it (ReplayLines)
// before Run returns, so that progress parsers can be tested on
// recordings.
type Replay struct {
	mu    sync.Mutex
	recs  map[string][]Recording
	used  map[string]int
	calls []Command
}

// NewReplay returns a Replay answering from recs.
func NewReplay(recs ...Recording) *Replay {
	r := &Replay{recs: map[string][]Recording{}, used: map[string]int{}}
	for _, rec := range recs {
		k := argvKey(rec.Argv)
		r.recs[k] = append(r.recs[k], rec)
	}
	return r
}

func argvKey(argv []string) string { return strings.Join(argv, "\x00") }

// NoRecordingError reports a command that no recording matches.
type NoRecordingError struct {
	Argv []string
}

func (e *NoRecordingError) Error() string {
	return fmt.Sprintf("run: no recording of %q", e.Argv)
}

// Run answers c from its recording.
func (r *Replay) Run(ctx context.Context, c Command) (Result, error) {
	if err := c.Check(); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	k := argvKey(c.Argv())
	recs := r.recs[k]
	if len(recs) == 0 {
		r.mu.Unlock()
		return Result{}, &NoRecordingError{Argv: c.Argv()}
	}
	n := r.used[k]
	r.used[k] = n + 1
	r.mu.Unlock()
	rec := recs[min(n, len(recs)-1)]
	res := Result{Stdout: slices.Clone(rec.Stdout), Stderr: slices.Clone(rec.Stderr), ExitCode: rec.Exit}
	ReplayLines(c, res)
	if !c.OK(res.ExitCode) {
		return res, NewExitError(c, res)
	}
	return res, nil
}

// Calls returns the commands run so far, in order.
func (r *Replay) Calls() []Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Recorder wraps a Runner and keeps a Recording of every command that ran to
// an exit (successful or not), to be saved as test fixtures.
type Recorder struct {
	r          Runner
	provenance func(Command) string
	mu         sync.Mutex
	recs       []Recording
}

// NewRecorder returns a Recorder around r; provenance describes each run
// (tool version, machine, date), as the recording's file form requires.
func NewRecorder(r Runner, provenance func(Command) string) *Recorder {
	return &Recorder{r: r, provenance: provenance}
}

// Run runs c through the wrapped runner and records the outcome. c goes to
// that runner as it is, OnLine included.
func (rec *Recorder) Run(ctx context.Context, c Command) (Result, error) {
	res, err := rec.r.Run(ctx, c)
	if _, isExit := err.(*ExitError); err == nil || isExit {
		rec.mu.Lock()
		rec.recs = append(rec.recs, Recording{Provenance: rec.provenance(c), Argv: c.Argv(),
			Exit: res.ExitCode, Stdout: slices.Clone(res.Stdout), Stderr: slices.Clone(res.Stderr)})
		rec.mu.Unlock()
	}
	return res, err
}

// Recordings returns what was recorded so far.
func (rec *Recorder) Recordings() []Recording {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.recs)
}

// FileName suggests a file name for a recording: the program's base name and
// a short digest of the argument vector, e.g. "dpkg-query.3f2a9c1e.txt".
func (r Recording) FileName() string {
	var h uint32 = 2166136261
	for _, b := range []byte(argvKey(r.Argv)) {
		h ^= uint32(b)
		h *= 16777619
	}
	return fmt.Sprintf("%s.%08x.txt", path.Base(r.Argv[0]), h)
}
