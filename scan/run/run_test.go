//go:build unix

package run

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
)

func newLocal(t *testing.T, opts ...LocalOption) *Local {
	t.Helper()
	l, err := NewLocal(opts...)
	require.NoError(t, err)
	return l
}

// TestCheckRefusesInjection is row F1: hostile operands never reach a
// program. Each is refused before anything runs, and the marker file that
// the injected option would create is absent.
func TestCheckRefusesInjection(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	l := newLocal(t)
	for _, op := range []string{
		"-oAPT::Update::Pre-Invoke::=touch " + marker,
		"--nogpgcheck",
		"-",
		"",
		"a\nb",
		"tb-lib\x00",
		"x\x7f",
	} {
		c := Command{Path: "/usr/bin/touch", Operands: []string{op}}
		_, err := l.Run(context.Background(), c)
		var ic *InvalidCommandError
		require.ErrorAs(t, err, &ic, "operand %q", op)
		assert.Equal(t, "Operands[0]", ic.Field)
		assert.ErrorIs(t, err, patchkit.ErrInvalid, "a refused command is bad input")
	}
	for _, c := range []Command{
		{Path: "touch", Operands: []string{marker}},
		{Path: "/usr/bin/touch", Args: []string{"-d\n"}, Operands: []string{marker}},
		{Path: "/usr/bin/touch", Env: []string{"NOEQUALS"}, Operands: []string{marker}},
	} {
		_, err := l.Run(context.Background(), c)
		var ic *InvalidCommandError
		require.ErrorAs(t, err, &ic, "%v", c)
	}
	assert.NoFileExists(t, marker)
}

// TestOperandsFollowDoubleDash shows the argument vector the program sees:
// options, then "--", then the operands, even one that looks like a path or
// glob (the package grammar, patchkit.ValidateName, refuses those earlier).
func TestOperandsFollowDoubleDash(t *testing.T) {
	l := newLocal(t)
	c := sh(`for a; do printf '%s\n' "$a"; done`, "tb-lib", "./x.rpm", "*")
	assert.Equal(t, []string{"/bin/sh", "-c", c.Args[1], "sh", "--", "tb-lib", "./x.rpm", "*"}, c.Argv())
	res, err := l.Run(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, "--\ntb-lib\n./x.rpm\n*\n", string(res.Stdout))

	// No operands, no "--".
	assert.Equal(t, []string{"/usr/bin/true"}, Command{Path: "/usr/bin/true"}.Argv())
}

// TestLocaleIsC is row F2: whatever the caller's locale, the child runs
// with LC_ALL=C, LANG=C and an empty LANGUAGE.
func TestLocaleIsC(t *testing.T) {
	t.Setenv("LANG", "de_DE.UTF-8")
	t.Setenv("LANGUAGE", "fr")
	t.Setenv("LC_MESSAGES", "ja_JP.UTF-8")
	t.Setenv("LC_ALL", "de_DE.UTF-8")
	l := newLocal(t, WithEnv("PATCHKIT_A=1"))
	c := sh(`printf '%s|%s|%s|%s|%s|%s\n' "$LC_ALL" "$LANG" "${LANGUAGE-unset}" "${LC_MESSAGES-unset}" "$PATCHKIT_A" "$PATCHKIT_B"`)
	c.Env = []string{"PATCHKIT_B=2"}
	res, err := l.Run(context.Background(), c)
	require.NoError(t, err)
	assert.Equal(t, "C|C||unset|1|2\n", string(res.Stdout))

	// A real program's messages stay untranslated: dpkg-query on an
	// unknown package says so in English.
	if _, err := exec.LookPath("dpkg-query"); err == nil {
		_, err := l.Run(context.Background(), Command{Path: "/usr/bin/dpkg-query", Args: []string{"-W"}, Operands: []string{"no-such-package-patchkit"}})
		var ee *ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 1, ee.Code)
		assert.Contains(t, string(ee.Result.Stderr), "no packages found matching no-such-package-patchkit")
	}

	l = newLocal(t, WithCleanEnv())
	res, err = l.Run(context.Background(), sh(`printf '%s|%s\n' "${HOME-unset}" "$LC_ALL"`))
	require.NoError(t, err)
	assert.Equal(t, "unset|C\n", string(res.Stdout))
}

func TestExitCodes(t *testing.T) {
	l := newLocal(t)
	ctx := context.Background()

	res, err := l.Run(ctx, sh(`echo out; echo err >&2; exit 0`))
	require.NoError(t, err)
	assert.Equal(t, "out\n", string(res.Stdout))
	assert.Equal(t, "err\n", string(res.Stderr))
	assert.Equal(t, 0, res.ExitCode)

	c := sh(`echo "updates"; exit 100`)
	c.OKCodes = []int{100}
	res, err = l.Run(ctx, c)
	require.NoError(t, err)
	assert.Equal(t, 100, res.ExitCode)

	res, err = l.Run(ctx, sh(`echo "E: something broke" >&2; exit 3`))
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 3, ee.Code)
	assert.Equal(t, 3, res.ExitCode)
	assert.Contains(t, err.Error(), "exit status 3")
	assert.Contains(t, err.Error(), "E: something broke")
	assert.False(t, errors.Is(err, ErrLocked))

	_, err = l.Run(ctx, Command{Path: "/nonexistent/patchkit-tool"})
	assert.ErrorIs(t, err, ErrNotFound)

	// Standard input is empty: cat ends at once.
	res, err = l.Run(ctx, Command{Path: "/bin/cat"})
	require.NoError(t, err)
	assert.Empty(t, res.Stdout)

	// A child killed by a signal.
	_, err = l.Run(ctx, sh(`kill -KILL $$`))
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "killed", ee.Signal)
}

// TestMeaningByProgramName runs a real process under the names of the
// package managers, so that its exit code is read with each one's meaning.
func TestMeaningByProgramName(t *testing.T) {
	dir := t.TempDir()
	shBytes, err := os.ReadFile("/bin/sh")
	require.NoError(t, err)
	for _, name := range []string{"zypper", "dnf", "apt-get"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), shBytes, 0o755))
	}
	l := newLocal(t)
	ctx := context.Background()
	cases := []struct {
		prog, script string
		locked       bool
		meaning      string
	}{
		{"zypper", "exit 7", true, "ZYPPER_EXIT_ZYPP_LOCKED"},
		{"zypper", "exit 107", false, "rpm scriptlet failed"},
		{"dnf", "exit 200", true, "exit_on_lock"},
		{"dnf", "exit 1", false, "dnf: error"},
		{"apt-get", "exit 100", false, "apt error"},
	}
	for _, tc := range cases {
		_, err := l.Run(ctx, Command{Path: filepath.Join(dir, tc.prog), Args: []string{"-c", tc.script}})
		var ee *ExitError
		require.ErrorAs(t, err, &ee, "%s %s", tc.prog, tc.script)
		assert.Equal(t, tc.locked, errors.Is(err, ErrLocked), "%s %s", tc.prog, tc.script)
		assert.Contains(t, ee.Meaning, tc.meaning)
	}
}

// TestLockedRecordings replays real runs of apt-get, dpkg, dnf and zypper
// while another process held their lock (testdata/run): each is an
// *ExitError matching ErrLocked.
func TestLockedRecordings(t *testing.T) {
	recs, err := LoadRecordings(os.DirFS("../../testdata/run"), "*-locked.txt")
	require.NoError(t, err)
	require.Len(t, recs, 4)
	r := NewReplay(recs...)
	for _, rec := range recs {
		c := Command{Path: rec.Argv[0], Args: rec.Argv[1:]}
		if i := slices.Index(rec.Argv, "--"); i > 0 {
			c = Command{Path: rec.Argv[0], Args: rec.Argv[1:i], Operands: rec.Argv[i+1:]}
		}
		_, err := r.Run(context.Background(), c)
		var ee *ExitError
		require.ErrorAs(t, err, &ee, rec.Argv[0])
		assert.True(t, errors.Is(err, ErrLocked), "%s: %v", rec.Argv[0], err)
		assert.Contains(t, ee.Meaning, "locked")
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// A zombie waiting for its parent is as good as gone.
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

// TestCancelStopsTheGroup: cancelling reaches the child and what it started
// (as dpkg starts maintainer scripts), with SIGTERM first.
func TestCancelStopsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	termFile := filepath.Join(dir, "term")
	l := newLocal(t, WithWaitDelay(5*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	// sh sees the runner's "--" as $1, so the operands are $2 and $3.
	c := sh(`sleep 300 & echo $! > "$2"; trap 'touch "$3"; exit 143' TERM; while :; do sleep 0.05; done`, pidFile, termFile)
	errc := make(chan error, 1)
	go func() { _, err := l.Run(ctx, c); errc <- err }()
	var grandchild int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil || len(b) == 0 {
			return false
		}
		grandchild, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
	start := time.Now()
	cancel()
	err := <-errc
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 4*time.Second, "SIGTERM ends it without waiting for SIGKILL")
	assert.FileExists(t, termFile, "the child got SIGTERM")
	assert.Eventually(t, func() bool { return !alive(grandchild) }, 5*time.Second, 10*time.Millisecond, "grandchild %d survived", grandchild)
}

// TestCancelKillsAfterWaitDelay: a child that ignores SIGTERM is killed
// after the wait delay.
func TestCancelKillsAfterWaitDelay(t *testing.T) {
	l := newLocal(t, WithWaitDelay(300*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := l.Run(ctx, sh(`trap '' TERM; while :; do sleep 0.05; done`))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestCommittingIsNeverKilled: a command marked as committing runs to its
// end even when the context is cancelled while it runs.
func TestCommittingIsNeverKilled(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(dir, "done")
	l := newLocal(t, WithWaitDelay(100*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	c := sh(`sleep 0.6; touch "$2"; echo committed`, done)
	c.Committing = true
	res, err := l.Run(ctx, c)
	require.NoError(t, err)
	assert.Equal(t, "committed\n", string(res.Stdout))
	assert.FileExists(t, done)
	assert.Error(t, ctx.Err(), "the context was cancelled while it ran")
}

func TestOutputLimit(t *testing.T) {
	l := newLocal(t, WithOutputLimit(1<<20, 1<<10))
	start := time.Now()
	res, err := l.Run(context.Background(), sh(`while :; do printf '%01024d\n' 0; done`))
	assert.ErrorIs(t, err, ErrOutputTooLarge)
	assert.Equal(t, 1<<20, len(res.Stdout))
	assert.Less(t, time.Since(start), 10*time.Second)

	_, err = l.Run(context.Background(), sh(`head -c 4096 /dev/zero >&2`))
	assert.ErrorIs(t, err, ErrOutputTooLarge)

	_, err = NewLocal(WithOutputLimit(0, 1))
	assert.Error(t, err)
	_, err = NewLocal(WithWaitDelay(-time.Second))
	assert.Error(t, err)
	_, err = NewLocal(WithEnv("BAD"))
	assert.Error(t, err)
}

// TestLingeringGrandchild: a grandchild that keeps the output pipe open
// (a daemon started by a maintainer script) does not keep Run waiting
// beyond the wait delay once the command itself has exited.
func TestLingeringGrandchild(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	l := newLocal(t, WithWaitDelay(300*time.Millisecond))
	start := time.Now()
	res, err := l.Run(context.Background(), sh(`sleep 30 & echo $! > "$2"; echo started`, pidFile))
	require.NoError(t, err)
	assert.Equal(t, "started\n", string(res.Stdout))
	assert.Less(t, time.Since(start), 10*time.Second)
	if b, err := os.ReadFile(pidFile); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func TestConcurrentRuns(t *testing.T) {
	l := newLocal(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := l.Run(context.Background(), sh(`printf '%s' "$2"`, strconv.Itoa(i)))
			assert.NoError(t, err)
			assert.Equal(t, strconv.Itoa(i), string(res.Stdout))
		}()
	}
	wg.Wait()
}
