package run

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
)

// TestOptionErrors: every bad option of NewLocal, and a nil one, is an
// *OptionError naming the option and matching patchkit.ErrInvalid, as
// scan/dpkg's and scan/rpmdb's option errors do. (Before: plain errors
// from fmt.Errorf, which matched nothing, and a nil option panicked.)
func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		opt    LocalOption
		option string
		msg    string
	}{
		{WithWaitDelay(0), "WithWaitDelay", "run: WithWaitDelay: 0s is not positive"},
		{WithWaitDelay(-time.Second), "WithWaitDelay", "run: WithWaitDelay: -1s is not positive"},
		{WithOutputLimit(0, 1), "WithOutputLimit", "run: WithOutputLimit: limits must be positive, got 0 and 1"},
		{WithOutputLimit(1, -1), "WithOutputLimit", "run: WithOutputLimit: limits must be positive, got 1 and -1"},
		{WithEnv("A=1", "NOEQUALS"), "WithEnv", `run: WithEnv: entry 1 "NOEQUALS" is not KEY=value without control characters`},
		{WithEnv("=1"), "WithEnv", `run: WithEnv: entry 0 "=1" is not KEY=value without control characters`},
		{WithEnv("A=1\n"), "WithEnv", `run: WithEnv: entry 0 "A=1\n" is not KEY=value without control characters`},
		{nil, "NewLocal", "run: NewLocal: option 1 is nil"},
	} {
		l, err := NewLocal(WithCleanEnv(), tc.opt)
		var oe *OptionError
		if l != nil || !errors.As(err, &oe) || oe.Option != tc.option || err.Error() != tc.msg || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%s: %v (%T), want an *OptionError %q matching patchkit.ErrInvalid", tc.option, err, err, tc.msg)
		}
	}
	if _, err := NewLocal(WithWaitDelay(time.Second), WithOutputLimit(1, 1), WithEnv("A=1")); err != nil {
		t.Fatal(err)
	}
}

// TestDedupEnv: the last entry of a key wins and stands at its own place
// (last-seen order), so that Environ lists the process's entries, the C
// locale, WithEnv's and the command's in that order, as it documents.
func TestDedupEnv(t *testing.T) {
	got := dedupEnv([]string{"PATH=/bin", "A=1", "B=1", "A=2", "C", "PATH=/usr/bin", "C=x"})
	want := []string{"B=1", "A=2", "PATH=/usr/bin", "C=x"}
	if !slices.Equal(got, want) {
		t.Fatalf("dedupEnv: %q, want %q", got, want)
	}
	l, err := NewLocal(WithCleanEnv(), WithEnv("LC_ALL=POSIX", "X=runner", "Y=runner"))
	if err != nil {
		t.Fatal(err)
	}
	env := l.Environ(Command{Path: "/bin/true", Env: []string{"X=command", "PATH=/opt/bin"}})
	want = []string{"LANG=C", "LANGUAGE=", "LC_ALL=POSIX", "Y=runner", "X=command", "PATH=/opt/bin"}
	if !slices.Equal(env, want) {
		t.Fatalf("Environ: %q, want %q", env, want)
	}
}
