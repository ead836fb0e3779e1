package run

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sh is a command that runs script with /bin/sh; sh sees the runner's "--"
// as $1, so the operands are $2 and on.
func sh(script string, operands ...string) Command {
	return Command{Path: "/bin/sh", Args: []string{"-c", script, "sh"}, Operands: operands}
}

func TestRecordingRoundTrip(t *testing.T) {
	for _, r := range []Recording{
		{Provenance: "a\nb", Argv: []string{"/usr/bin/x", "-q", "--", "y"}, Exit: 0, Stdout: []byte("one\ntwo\n"), Stderr: nil},
		{Provenance: "p", Argv: []string{"/usr/bin/x"}, Exit: 100, Stdout: []byte("no final newline"), Stderr: []byte("E: x\n")},
		{Provenance: "p", Argv: []string{"/usr/bin/x", ""}, Exit: 1, Stdout: []byte("\n\n"), Stderr: []byte("tail")},
	} {
		b, err := r.Format()
		require.NoError(t, err)
		got, err := ParseRecording("r", b)
		require.NoError(t, err, "%s", b)
		if got.Stderr == nil {
			got.Stderr = nil
		}
		assert.Equal(t, r.Provenance, got.Provenance)
		assert.Equal(t, r.Argv, got.Argv)
		assert.Equal(t, r.Exit, got.Exit)
		assert.Equal(t, string(r.Stdout), string(got.Stdout))
		assert.Equal(t, string(r.Stderr), string(got.Stderr))
	}
	_, err := Recording{Argv: []string{"/x"}}.Format()
	assert.Error(t, err, "no provenance")
	_, err = Recording{Provenance: "p", Argv: []string{"/x"}, Stdout: []byte("-- stderr --\n")}.Format()
	assert.Error(t, err, "marker inside output")
}

func TestParseRecordingErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int
	}{
		{"exit: 0\n-- argv --\n/x\n-- stdout --\n-- stderr --\n", 1},
		{"# p\nexit: zero\n", 2},
		{"# p\nexit: 0\n-- stdout --\n", 3},
		{"# p\nexit: 0\n-- argv --\nx\n-- stdout --\n-- stderr --\n", 4},
		{"# p\nexit: 0\n-- argv --\n/x\n-- stdout --\n", 7},
	} {
		_, err := ParseRecording("f.txt", []byte(tc.in))
		var re *RecordingError
		require.ErrorAs(t, err, &re, "%q", tc.in)
		assert.Equal(t, tc.line, re.Line, "%q: %v", tc.in, err)
	}
}

func TestReplay(t *testing.T) {
	a := Recording{Provenance: "p", Argv: []string{"/usr/bin/rpm", "-qa"}, Stdout: []byte("first\n")}
	b := Recording{Provenance: "p", Argv: []string{"/usr/bin/rpm", "-qa"}, Stdout: []byte("second\n")}
	z := Recording{Provenance: "p", Argv: []string{"/usr/bin/zypper", "lu"}, Exit: 7, Stderr: []byte("System management is locked\n")}
	r := NewReplay(a, b, z)
	ctx := context.Background()
	qa := Command{Path: "/usr/bin/rpm", Args: []string{"-qa"}}
	for _, want := range []string{"first\n", "second\n", "second\n"} {
		res, err := r.Run(ctx, qa)
		require.NoError(t, err)
		assert.Equal(t, want, string(res.Stdout))
	}
	_, err := r.Run(ctx, Command{Path: "/usr/bin/zypper", Args: []string{"lu"}})
	assert.True(t, errors.Is(err, ErrLocked), "%v", err)

	_, err = r.Run(ctx, Command{Path: "/usr/bin/rpm", Args: []string{"-qa"}, Operands: []string{"bash"}})
	var nr *NoRecordingError
	require.ErrorAs(t, err, &nr)
	assert.Equal(t, []string{"/usr/bin/rpm", "-qa", "--", "bash"}, nr.Argv)

	_, err = r.Run(ctx, Command{Path: "/usr/bin/rpm", Operands: []string{"--nodeps"}})
	var ic *InvalidCommandError
	require.ErrorAs(t, err, &ic)
	assert.Len(t, r.Calls(), 5, "a refused command is not a call")
}

// TestRecordThenReplay records a real run and replays it from its file form.
func TestRecordThenReplay(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("runs /bin/sh")
	}
	l, err := NewLocal()
	require.NoError(t, err)
	rec := NewRecorder(l, func(c Command) string { return "TestRecordThenReplay, /bin/sh on this machine" })
	ctx := context.Background()
	c := sh(`printf 'a\nb'; echo warn >&2; exit 4`)
	res1, err1 := rec.Run(ctx, c)
	require.Error(t, err1)
	recs := rec.Recordings()
	require.Len(t, recs, 1)
	b, err := recs[0].Format()
	require.NoError(t, err)
	fsys := fstest.MapFS{"rec/" + recs[0].FileName(): {Data: b}}
	loaded, err := LoadRecordings(fsys, "rec/*.txt")
	require.NoError(t, err)
	res2, err2 := NewReplay(loaded...).Run(ctx, c)
	assert.Equal(t, res1.Stdout, res2.Stdout)
	assert.Equal(t, res1.Stderr, res2.Stderr)
	assert.Equal(t, res1.ExitCode, res2.ExitCode)
	assert.Equal(t, err1.Error(), err2.Error())

	_, err = LoadRecordings(fsys, "none/*")
	assert.Error(t, err)
}
