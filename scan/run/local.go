package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Local runs commands as child processes of this program. Create it with
// NewLocal; the zero value is not usable.
type Local struct {
	o localOptions
}

type localOptions struct {
	maxStdout, maxStderr int64
	waitDelay            time.Duration
	env                  []string
	inherit              bool
}

// LocalOption configures NewLocal.
type LocalOption func(*localOptions) error

// WithOutputLimit bounds what is kept of a command's standard output and
// standard error (defaults: 256 MiB and 4 MiB). A command that writes more is
// stopped (unless committing) and Run returns ErrOutputTooLarge.
func WithOutputLimit(stdout, stderr int64) LocalOption {
	return func(o *localOptions) error {
		if stdout <= 0 || stderr <= 0 {
			return &OptionError{Option: "WithOutputLimit", Reason: fmt.Sprintf("limits must be positive, got %d and %d", stdout, stderr)}
		}
		o.maxStdout, o.maxStderr = stdout, stderr
		return nil
	}
}

// WithWaitDelay sets how long Run waits after SIGTERM to the process group of
// a cancelled command before it sends SIGKILL (default 30 s).
func WithWaitDelay(d time.Duration) LocalOption {
	return func(o *localOptions) error {
		if d <= 0 {
			return &OptionError{Option: "WithWaitDelay", Reason: fmt.Sprintf("%v is not positive", d)}
		}
		o.waitDelay = d
		return nil
	}
}

// WithEnv adds "KEY=value" entries to every child's environment, after the
// runner's own and before the command's.
func WithEnv(env ...string) LocalOption {
	return func(o *localOptions) error {
		for i, e := range env {
			if k, _, ok := strings.Cut(e, "="); !ok || k == "" || controlChar(e) != "" {
				return &OptionError{Option: "WithEnv", Reason: fmt.Sprintf("entry %d %q is not KEY=value without control characters", i, e)}
			}
		}
		o.env = append(o.env, env...)
		return nil
	}
}

// WithCleanEnv starts children from an empty environment instead of this
// process's, except PATH (set to a standard system value when this process
// has none).
func WithCleanEnv() LocalOption {
	return func(o *localOptions) error {
		o.inherit = false
		return nil
	}
}

// NewLocal returns a runner for local processes. A bad option (or a nil
// one) is an *OptionError.
func NewLocal(opts ...LocalOption) (*Local, error) {
	o := localOptions{maxStdout: 256 << 20, maxStderr: 4 << 20, waitDelay: 30 * time.Second, inherit: true}
	for i, opt := range opts {
		if opt == nil {
			return nil, &OptionError{Option: "NewLocal", Reason: fmt.Sprintf("option %d is nil", i)}
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Local{o: o}, nil
}

// Environ returns the environment a child gets for c: this process's (or a
// clean one), with LC_ALL=C, LANG=C and LANGUAGE= set so that every program
// speaks untranslated, parseable output, then the runner's WithEnv entries,
// then c.Env. Later entries win: each key appears once, at the place of
// its last entry.
func (l *Local) Environ(c Command) []string {
	var base []string
	if l.o.inherit {
		base = os.Environ()
	} else if p, ok := os.LookupEnv("PATH"); ok {
		base = []string{"PATH=" + p}
	} else {
		base = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	env := make([]string, 0, len(base)+3+len(l.o.env)+len(c.Env))
	for _, e := range base {
		k, _, _ := strings.Cut(e, "=")
		// LC_* other than LC_ALL are overridden by LC_ALL anyway; dropping
		// them keeps the child's environment plain.
		if k == "LC_ALL" || k == "LANG" || k == "LANGUAGE" || strings.HasPrefix(k, "LC_") {
			continue
		}
		env = append(env, e)
	}
	env = append(env, CLocale()...)
	env = append(env, l.o.env...)
	env = append(env, c.Env...)
	return dedupEnv(env)
}

// dedupEnv keeps the last entry of each key, at its own place (last-seen
// order): an entry that overrides an earlier one moves to the later place,
// so that the result keeps Environ's order (the process's entries, the C
// locale, WithEnv's, c.Env's).
func dedupEnv(env []string) []string {
	last := make(map[string]int, len(env))
	for i, e := range env {
		k, _, _ := strings.Cut(e, "=")
		last[k] = i
	}
	out := env[:0:0]
	for i, e := range env {
		k, _, _ := strings.Cut(e, "=")
		if last[k] == i {
			out = append(out, e)
		}
	}
	return out
}

// Run runs c to its end. See Runner for the result and errors. The child's
// standard input is empty (/dev/null). When ctx is cancelled, a command that
// is not committing gets SIGTERM sent to its process group, then SIGKILL
// after the wait delay, and Run returns ctx's error; a committing command is
// left to finish and Run returns its outcome.
func (l *Local) Run(ctx context.Context, c Command) (Result, error) {
	if err := c.Check(); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if fi, err := os.Stat(c.Path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Result{}, fmt.Errorf("run: %s: %w", c.Path, ErrNotFound)
		}
		return Result{}, fmt.Errorf("run: %w", err)
	} else if fi.IsDir() {
		return Result{}, fmt.Errorf("run: %s: is a directory: %w", c.Path, ErrNotFound)
	}
	argv := c.Argv()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = l.Environ(c)
	// A grandchild that outlives the command (a daemon started by a
	// maintainer script) must not keep Wait blocked on our pipes.
	cmd.WaitDelay = l.o.waitDelay
	setProcessGroup(cmd)

	var stdout, stderr limitedBuffer
	stdout.limit, stderr.limit = l.o.maxStdout, l.o.maxStderr
	overflow := make(chan struct{})
	var once sync.Once
	stdout.onOverflow = func() { once.Do(func() { close(overflow) }) }
	stderr.onOverflow = stdout.onOverflow
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var lines *lineQueue
	if c.OnLine != nil {
		lines = newLineQueue(c.OnLine)
		stdout.lines, stderr.lines = newLineWriter(Stdout, lines), newLineWriter(Stderr, lines)
	}
	// endLines sends the last lines and waits for the callback: Run
	// returns after its last call.
	endLines := func() {
		if lines != nil {
			stdout.lines.end()
			stderr.lines.end()
			lines.close()
		}
	}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		endLines()
		return Result{}, fmt.Errorf("run: starting %s: %w", c.String(), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var (
		waitErr  error
		stopped  error // why we signalled the group, if we did
		finished bool
	)
	ctxDone := ctx.Done()
	if c.Committing {
		ctxDone = nil // never signal a committing command
	}
	for !finished {
		select {
		case waitErr = <-done:
			finished = true
		case <-ctxDone:
			ctxDone = nil
			stopped = ctx.Err()
			waitErr = l.stop(cmd, done)
			finished = true
		case <-overflow:
			overflow = nil
			if c.Committing {
				continue // keep draining (discarding) until it ends
			}
			stopped = ErrOutputTooLarge
			waitErr = l.stop(cmd, done)
			finished = true
		}
	}
	endLines()
	res := Result{Stdout: stdout.buf.Bytes(), Stderr: stderr.buf.Bytes(), Duration: time.Since(start)}
	res.ExitCode = exitCode(cmd)
	switch {
	case stopped != nil:
		return res, fmt.Errorf("run: %s: stopped: %w", c.String(), stopped)
	case stdout.over || stderr.over:
		return res, fmt.Errorf("run: %s: %w (stdout limit %d, stderr limit %d bytes)", c.String(), ErrOutputTooLarge, l.o.maxStdout, l.o.maxStderr)
	}
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return res, fmt.Errorf("run: %s: %w", c.String(), waitErr)
	}
	if sig := signalOf(cmd); sig != "" {
		return res, &ExitError{Command: c.String(), Code: -1, Signal: sig, Result: res}
	}
	if !c.OK(res.ExitCode) {
		return res, NewExitError(c, res)
	}
	return res, nil
}

// stop sends SIGTERM to the command's process group, waits up to the wait
// delay for it to exit, then sends SIGKILL to the group, and returns Wait's
// error.
func (l *Local) stop(cmd *exec.Cmd, done <-chan error) error {
	signalGroup(cmd, false)
	t := time.NewTimer(l.o.waitDelay)
	defer t.Stop()
	select {
	case err := <-done:
		// The leader is gone; make sure no member of its group lingers
		// holding our pipes.
		signalGroup(cmd, true)
		return err
	case <-t.C:
		signalGroup(cmd, true)
		return <-done
	}
}

func exitCode(cmd *exec.Cmd) int {
	if cmd.ProcessState == nil {
		return -1
	}
	return cmd.ProcessState.ExitCode()
}

// limitedBuffer keeps up to limit bytes and notes when more arrive. Writes
// never fail, so that the child is not killed by a broken pipe while it is
// committing. With lines set, everything written (also beyond the limit)
// goes on to the command's OnLine, line by line.
type limitedBuffer struct {
	mu         sync.Mutex
	buf        bytes.Buffer
	limit      int64
	over       bool
	onOverflow func()
	lines      *lineWriter
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.lines != nil {
		b.lines.write(p)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.over {
		return len(p), nil
	}
	if room := b.limit - int64(b.buf.Len()); int64(len(p)) > room {
		b.buf.Write(p[:room])
		b.over = true
		b.onOverflow()
		return len(p), nil
	}
	b.buf.Write(p)
	return len(p), nil
}

var _ io.Writer = (*limitedBuffer)(nil)
