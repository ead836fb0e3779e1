package run_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/patchkit/patchkit/scan/run"
)

// The environment a child gets: a clean one keeps only PATH, then the
// C locale, the runner's entries and the command's own; later ones win.
func ExampleLocal_Environ() {
	l, err := run.NewLocal(run.WithCleanEnv(), run.WithEnv("ZYPP_LOCK_TIMEOUT=60", "DEBIAN_FRONTEND=readline"))
	if err != nil {
		fmt.Println(err)
		return
	}
	env := l.Environ(run.Command{Path: "/usr/bin/apt-get", Args: []string{"update"}, Env: []string{"DEBIAN_FRONTEND=noninteractive"}})
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			e = "PATH=..."
		}
		fmt.Println(e)
	}
	// Output:
	// PATH=...
	// LC_ALL=C
	// LANG=C
	// LANGUAGE=
	// ZYPP_LOCK_TIMEOUT=60
	// DEBIAN_FRONTEND=noninteractive
}

// A cancelled command gets SIGTERM; one that ignores it is killed after
// the wait delay. Here a shell that ignores SIGTERM is cancelled after
// 100 ms and killed 200 ms later.
func ExampleWithWaitDelay() {
	_, err := run.NewLocal(run.WithWaitDelay(0))
	fmt.Println(err)

	l, err := run.NewLocal(run.WithWaitDelay(200 * time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = l.Run(ctx, run.Command{Path: "/bin/sh", Args: []string{"-c", `trap "" TERM; sleep 30`}})
	elapsed := time.Since(start)
	fmt.Println(errors.Is(err, context.DeadlineExceeded), elapsed >= 300*time.Millisecond, elapsed < 10*time.Second)
	// Output:
	// run: WithWaitDelay: 0s is not positive
	// true true true
}

// A recording's suggested file name: the program and a digest of its
// argument vector, so that recordings of one program sit side by side.
func ExampleRecording_FileName() {
	data, err := os.ReadFile("../../testdata/run/dnf-upgrade-locked.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := run.ParseRecording("dnf-upgrade-locked.txt", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec.FileName())
	rec.Argv = append(rec.Argv[:len(rec.Argv):len(rec.Argv)], "tb-tool")
	fmt.Println(rec.FileName())
	// Output:
	// dnf.e9fe98eb.txt
	// dnf.ff079a58.txt
}
