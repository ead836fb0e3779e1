package run_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchkit/patchkit/scan/run"
)

// A command's output line by line while it runs, for progress: here a
// shell prints three lines, two of them on standard error; the callback
// counts the lines of each stream. The Result holds the output all the
// same.
func ExampleCommand_OnLine() {
	l, err := run.NewLocal()
	if err != nil {
		fmt.Println(err)
		return
	}
	counts := map[run.Stream]int{}
	c := run.Command{Path: "/bin/sh", Args: []string{"-c", `echo "(1/2) Installing: a"; echo warning >&2; echo "(2/2) Installing: b" >&2`}}
	c.OnLine = func(ln run.Line) {
		counts[ln.Stream]++
		if strings.HasPrefix(ln.Text, "(") {
			fmt.Printf("%s: %s\n", ln.Stream, ln.Text)
		}
	}
	res, err := l.Run(context.Background(), c)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Run returns after the callback's last call.
	fmt.Println(counts[run.Stdout], "line on stdout,", counts[run.Stderr], "on stderr;", len(res.Stdout), "bytes captured")
	// Unordered output:
	// stdout: (1/2) Installing: a
	// stderr: (2/2) Installing: b
	// 1 line on stdout, 2 on stderr; 20 bytes captured
}

// ReplayLines hands a finished command's output to its OnLine, as Replay
// does with a recording: standard output first, then standard error, a
// last line without a newline included.
func ExampleReplayLines() {
	c := run.Command{Path: "/usr/bin/zypper", OnLine: func(ln run.Line) { fmt.Printf("%s %q\n", ln.Stream, ln.Text) }}
	run.ReplayLines(c, run.Result{Stdout: []byte("one\ntwo"), Stderr: []byte("three\n")})
	// Output:
	// stdout "one"
	// stdout "two"
	// stderr "three"
}
