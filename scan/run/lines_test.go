//go:build unix

package run

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collect returns an OnLine callback that keeps every line, and a function
// returning them.
func collect() (func(Line), func() []Line) {
	var mu sync.Mutex
	var got []Line
	return func(l Line) {
			mu.Lock()
			got = append(got, l)
			mu.Unlock()
		}, func() []Line {
			mu.Lock()
			defer mu.Unlock()
			return append([]Line(nil), got...)
		}
}

func texts(ls []Line, s Stream) []string {
	var out []string
	for _, l := range ls {
		if l.Stream == s {
			out = append(out, l.Text)
		}
	}
	return out
}

// TestOnLineStreams: the callback gets a line while the child is still
// running. The child prints "ready", then waits (at most 10 s) for a file
// that only the callback creates when it sees "ready"; if the line came
// only at the end, the child would time out and say so.
func TestOnLineStreams(t *testing.T) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "gate")
	l := newLocal(t)
	c := sh(`echo ready; n=0; while [ ! -e "$2" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n+1)); done; if [ -e "$2" ]; then echo "saw the gate after $n"; else echo timeout; fi`, gate)
	var seen []string
	c.OnLine = func(ln Line) {
		seen = append(seen, ln.Text)
		if ln.Text == "ready" {
			require.NoError(t, os.WriteFile(gate, nil, 0o644))
		}
	}
	start := time.Now()
	res, err := l.Run(context.Background(), c)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 8*time.Second)
	require.Len(t, seen, 2, "%q", seen)
	assert.Equal(t, "ready", seen[0])
	assert.True(t, strings.HasPrefix(seen[1], "saw the gate"), "%q", seen[1])
	// the output is captured all the same
	assert.Equal(t, "ready\n"+seen[1]+"\n", string(res.Stdout))
}

// TestOnLineShapes: both streams, empty lines, a carriage return kept, a
// last line without a newline, and a line longer than MaxLineBytes cut
// and marked, the next line whole again; Local and Replay agree, and
// both report the output unchanged in the Result.
func TestOnLineShapes(t *testing.T) {
	long := strings.Repeat("x", MaxLineBytes+100)
	script := `printf 'one\n\ntwo\r\n'; printf '%s\n' "$2"; printf 'after\nlast'; printf 'e1\ne2' >&2`
	c := sh(script, long)
	fn, got := collect()
	c.OnLine = fn
	res, err := newLocal(t).Run(context.Background(), c)
	require.NoError(t, err)
	check := func(name string, ls []Line) {
		t.Helper()
		assert.Equal(t, []string{"one", "", "two\r", long[:MaxLineBytes], "after", "last"}, texts(ls, Stdout), name)
		assert.Equal(t, []string{"e1", "e2"}, texts(ls, Stderr), name)
		for _, l := range ls {
			assert.Equal(t, l.Text == long[:MaxLineBytes], l.Truncated, "%s: %.20q", name, l.Text)
			assert.Zero(t, l.Dropped, name)
		}
	}
	check("local", got())
	assert.Equal(t, "one\n\ntwo\r\n"+long+"\nafter\nlast", string(res.Stdout))
	assert.Equal(t, "e1\ne2", string(res.Stderr))

	rp := NewReplay(Recording{Provenance: "test", Argv: c.Argv(), Stdout: res.Stdout, Stderr: res.Stderr})
	fn2, got2 := collect()
	c.OnLine = fn2
	res2, err := rp.Run(context.Background(), c)
	require.NoError(t, err)
	check("replay", got2())
	// replay sends standard output first, then standard error
	ls := got2()
	assert.Equal(t, Stderr, ls[len(ls)-1].Stream)
	assert.Equal(t, res.Stdout, res2.Stdout)

	// nothing at all: no line
	fn3, got3 := collect()
	ReplayLines(Command{OnLine: fn3}, Result{})
	assert.Empty(t, got3())
	ReplayLines(Command{}, Result{Stdout: []byte("no callback\n")}) // does nothing
}

// TestOnLineSlowCallbackNeverBlocksTheChild: a callback stuck on the first
// line until the child has finished (it writes 20,000 lines, far more than
// a pipe holds, then a marker file). The child is not held up; the lines
// beyond the queue are dropped and counted; every line is in the Result;
// Run returns after the callback's last call.
func TestOnLineSlowCallbackNeverBlocksTheChild(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "finished")
	const n = 20000
	c := sh(`i=0; while [ $i -lt `+strconv.Itoa(n)+` ]; do echo "line $i"; i=$((i+1)); done; : > "$2"`, marker)
	var (
		mu        sync.Mutex
		delivered int
		dropped   int
		waited    bool
		sawMarker bool
		last      string
	)
	c.OnLine = func(l Line) {
		if !waited {
			waited = true
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) && !sawMarker {
				_, err := os.Stat(marker)
				sawMarker = err == nil
				time.Sleep(10 * time.Millisecond)
			}
		}
		mu.Lock()
		if l.Stream != 0 {
			delivered++
			last = l.Text
		}
		dropped += l.Dropped
		mu.Unlock()
	}
	res, err := newLocal(t).Run(context.Background(), c)
	require.NoError(t, err)
	assert.True(t, sawMarker, "the child finished while the callback was stuck")
	assert.Equal(t, n, bytes.Count(res.Stdout, []byte("\n")))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, n, delivered+dropped, "every line is sent or counted as dropped")
	assert.Greater(t, dropped, 0)
	// the lines the callback had been handed, then a full queue
	assert.LessOrEqual(t, delivered, 2*MaxQueuedLines, "the queue is bounded")
	t.Logf("%d lines sent, %d dropped, last sent %q", delivered, dropped, last)
}

// TestOnLineCancelAndCommit: lines stream from a cancelled command up to
// its end, and from a committing one that runs on after the
// cancellation; a failing command's lines come too.
func TestOnLineCancelAndCommit(t *testing.T) {
	l := newLocal(t, WithWaitDelay(time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	c := sh(`echo before; while :; do sleep 0.05; done`)
	c.OnLine = func(ln Line) {
		if ln.Text == "before" {
			cancel()
		}
	}
	_, err := l.Run(ctx, c)
	assert.ErrorIs(t, err, context.Canceled)

	ctx2, cancel2 := context.WithCancel(context.Background())
	c = sh(`echo one; sleep 0.3; echo two`)
	c.Committing = true
	fn, got := collect()
	c.OnLine = func(ln Line) {
		cancel2()
		fn(ln)
	}
	_, err = l.Run(ctx2, c)
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "two"}, texts(got(), Stdout))

	fn3, got3 := collect()
	c = sh(`echo failing >&2; exit 3`)
	c.OnLine = fn3
	_, err = l.Run(context.Background(), c)
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, []string{"failing"}, texts(got3(), Stderr))
}

// TestOnLineThroughRecorder: a Recorder hands the command, OnLine
// included, to the runner it wraps, and records the same output.
func TestOnLineThroughRecorder(t *testing.T) {
	rec := NewRecorder(newLocal(t), func(Command) string { return "test" })
	fn, got := collect()
	c := sh(`printf 'a\nb\n'`)
	c.OnLine = fn
	_, err := rec.Run(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, texts(got(), Stdout))
	assert.Equal(t, "a\nb\n", string(rec.Recordings()[0].Stdout))
}

func TestStreamString(t *testing.T) {
	assert.Equal(t, "stdout", Stdout.String())
	assert.Equal(t, "stderr", Stderr.String())
	assert.Equal(t, "Stream(7)", Stream(7).String())
}

// benchLines is 64 MiB of 100-byte lines in a file, for cat to write.
func benchLines(b *testing.B) string {
	b.Helper()
	f := filepath.Join(b.TempDir(), "lines")
	line := strings.Repeat("p", 99) + "\n"
	require.NoError(b, os.WriteFile(f, []byte(strings.Repeat(line, 64<<20/100)), 0o644))
	return f
}

// BenchmarkLocalOutput measures what line streaming costs: cat writes 64
// MiB of 100-byte lines, captured without and with an OnLine callback that
// counts them.
func BenchmarkLocalOutput(b *testing.B) {
	f := benchLines(b)
	l, err := NewLocal()
	require.NoError(b, err)
	for _, stream := range []bool{false, true} {
		name := "captured"
		if stream {
			name = "streamed"
		}
		b.Run(name, func(b *testing.B) {
			var n, dropped int
			c := Command{Path: "/bin/cat", Operands: []string{f}}
			if stream {
				c.OnLine = func(l Line) { n++; dropped += l.Dropped }
			}
			b.SetBytes(64 << 20 / 100 * 100)
			for b.Loop() {
				if _, err := l.Run(context.Background(), c); err != nil {
					b.Fatal(err)
				}
			}
			if stream {
				b.ReportMetric(float64(n)/float64(b.N), "lines/op")
				b.ReportMetric(float64(dropped)/float64(b.N), "dropped/op")
			}
		})
	}
}
