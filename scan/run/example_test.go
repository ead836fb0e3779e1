package run_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/patchkit/patchkit/scan/run"
)

// A local runner runs a program with its options and operands; the operands
// follow a "--" so that none is read as an option.
func ExampleLocal_Run() {
	l, err := run.NewLocal()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := l.Run(context.Background(), run.Command{
		Path:     "/bin/sh",
		Args:     []string{"-c", `echo "$LC_ALL"; shift; echo "$@"`, "sh"},
		Operands: []string{"tb-lib", "tb-tool"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(res.Stdout))
	// Output:
	// C
	// tb-lib tb-tool
}

// An exit code is data, with the meaning the program documents; a held
// package-manager lock is an error callers can branch on. The recording is
// a real zypper run while another zypper held the lock.
func ExampleExitError() {
	recs, err := run.LoadRecordings(os.DirFS("../../testdata/run"), "zypper-refresh-locked.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := run.NewReplay(recs...)
	_, err = r.Run(context.Background(), run.Command{Path: "/usr/bin/zypper", Args: []string{"--root", "/tmp/zr", "--non-interactive", "refresh"}})
	var ee *run.ExitError
	if errors.As(err, &ee) {
		fmt.Println(ee.Code, errors.Is(err, run.ErrLocked))
		fmt.Println(ee.Meaning)
	}
	// Output:
	// 7 true
	// locked: the zypp lock is held by another process (ZYPPER_EXIT_ZYPP_LOCKED)
}

// A Replay answers from recordings and remembers every argument vector it
// was asked to run, so that a test can assert them.
func ExampleReplay() {
	recs, err := run.LoadRecordings(os.DirFS("../../testdata/run"), "*.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := run.NewReplay(recs...)
	_, err = r.Run(context.Background(), run.Command{Path: "/usr/bin/zypper", Args: []string{"--root", "/tmp/zr", "--non-interactive", "refresh"}})
	fmt.Println(err != nil)
	fmt.Println(r.Calls()[0].Argv())
	// Output:
	// true
	// [/usr/bin/zypper --root /tmp/zr --non-interactive refresh]
}
