package run_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/patchkit/patchkit/scan/run"
)

// A local runner with a clean environment (nothing inherited from this
// process but PATH; the C locale is always set) and bounded output: a
// command that prints more than the limit is stopped with
// ErrOutputTooLarge instead of filling memory.
func ExampleNewLocal() {
	l, err := run.NewLocal(run.WithCleanEnv(), run.WithEnv("DEBIAN_FRONTEND=noninteractive"), run.WithOutputLimit(1024, 1024))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	res, err := l.Run(ctx, run.Command{Path: "/bin/sh", Args: []string{"-c", `echo "$LC_ALL $DEBIAN_FRONTEND HOME=$HOME"`}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(res.Stdout))
	_, err = l.Run(ctx, run.Command{Path: "/bin/sh", Args: []string{"-c", "head -c 4096 /dev/zero"}})
	fmt.Println(errors.Is(err, run.ErrOutputTooLarge), err)
	// Output:
	// C noninteractive HOME=
	// true run: /bin/sh -c "head -c 4096 /dev/zero": stopped: command output is larger than the limit
}

// Check refuses a command before anything runs.
func ExampleCommand_Check() {
	for _, c := range []run.Command{
		{Path: "/usr/bin/apt-get", Args: []string{"-s", "install"}, Operands: []string{"tb-lib"}},
		{Path: "apt-get", Args: []string{"-s", "install"}},
		{Path: "/usr/bin/apt-get", Args: []string{"-s", "install"}, Operands: []string{"-oAPT::Get::Trivial-Only=false"}},
		{Path: "/usr/bin/apt-get", Args: []string{"-s", "install\nrm"}},
	} {
		fmt.Println(c.Check())
	}
	// Output:
	// <nil>
	// run: refusing apt-get -s install: Path not an absolute path
	// run: refusing /usr/bin/apt-get -s install -- -oAPT::Get::Trivial-Only=false: Operands[0] starts with '-'
	// run: refusing /usr/bin/apt-get -s "install\nrm": Args[1] contains control character 0x0a at byte 7
}

// What an exit code means for the program that returned it.
func ExampleMeaning() {
	fmt.Println(run.Meaning("zypper", 104, nil))
	fmt.Println(run.Meaning("dnf", 200, nil))
	fmt.Println(run.Meaning("apt-get", 100, []byte("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 26161 (python3)\n")))
	fmt.Println(run.Meaning("apt-get", 100, []byte("E: Unable to locate package tb-nosuch\n")))
	// Output:
	// zypper: a requested capability was not found (ZYPPER_EXIT_INF_CAP_NOT_FOUND) false
	// locked: another dnf holds the lock (exit_on_lock) true
	// locked: another process holds the apt or dpkg lock true
	// apt error false
}

// A runner of one's own (here a stand-in for a remote shell) reports a
// failed command with NewExitError, so that callers see the same errors as
// from the local runner: a held lock matches ErrLocked.
func ExampleNewExitError() {
	remote := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		// ... run c.Argv() on the node, collect its output and exit code ...
		res := run.Result{ExitCode: 100, Stderr: []byte("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 26161 (python3)\n")}
		if !c.OK(res.ExitCode) {
			return res, run.NewExitError(c, res)
		}
		return res, nil
	})
	_, err := remote.Run(context.Background(), run.Command{Path: "/usr/bin/apt-get", Args: []string{"-y", "install"}, Operands: []string{"tb-lib"}})
	fmt.Println(errors.Is(err, run.ErrLocked))
	fmt.Println(err)
	// Output:
	// true
	// /usr/bin/apt-get -y install -- tb-lib: exit status 100 (locked: another process holds the apt or dpkg lock): E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 26161 (python3)
}

// A RunnerFunc wraps another runner: here one that refuses anything but
// the read-only commands it is given, in front of a replay.
func ExampleRunnerFunc_Run() {
	recs, err := run.LoadRecordings(os.DirFS("../../testdata/run"), "*.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	inner := run.NewReplay(recs...)
	readOnly := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		if c.Committing {
			return run.Result{}, fmt.Errorf("refusing %s: it changes the system", c)
		}
		return inner.Run(ctx, c)
	})
	_, err = readOnly.Run(context.Background(), run.Command{Path: "/usr/bin/dpkg", Args: []string{"--configure", "-a"}, Committing: true})
	fmt.Println(err)
	// Output:
	// refusing /usr/bin/dpkg --configure -a: it changes the system
}

// Record real runs to replay in tests: the file form keeps the argument
// vector, exit code and output byte for byte.
func ExampleNewRecorder() {
	l, err := run.NewLocal()
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := run.NewRecorder(l, func(run.Command) string { return "sh on this machine, for the example" })
	_, err = rec.Run(context.Background(), run.Command{Path: "/bin/sh", Args: []string{"-c", "echo installed; echo warning >&2; exit 3"}})
	fmt.Println(err)
	data, err := rec.Recordings()[0].Format()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(data))
	// Output:
	// /bin/sh -c "echo installed; echo warning >&2; exit 3": exit status 3: warning
	// # sh on this machine, for the example
	// exit: 3
	// -- argv --
	// /bin/sh
	// -c
	// echo installed; echo warning >&2; exit 3
	// -- stdout --
	// installed
	// -- stderr --
	// warning
}

// Run runs the command through the wrapped runner and keeps the outcome,
// failures included.
func ExampleRecorder_Run() {
	l, err := run.NewLocal()
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := run.NewRecorder(l, func(c run.Command) string { return "example: " + c.String() })
	ctx := context.Background()
	for _, script := range []string{"echo one", "echo two; exit 1"} {
		_, err := rec.Run(ctx, run.Command{Path: "/bin/sh", Args: []string{"-c", script}})
		fmt.Println(err != nil)
	}
	for _, r := range rec.Recordings() {
		fmt.Println(r.Exit, strings.TrimSpace(string(r.Stdout)), r.Provenance)
	}
	// Output:
	// false
	// true
	// 0 one example: /bin/sh -c "echo one"
	// 1 two example: /bin/sh -c "echo two; exit 1"
}

func ExampleParseRecording() {
	data, err := os.ReadFile("../../testdata/run/dnf-upgrade-locked.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := run.ParseRecording("dnf-upgrade-locked.txt", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Exit, r.Argv[0], r.Argv[len(r.Argv)-1])
	fmt.Println(strings.SplitN(string(r.Stderr), "\n", 2)[0])

	_, err = run.ParseRecording("broken.txt", []byte("exit: zero\n"))
	fmt.Println(err)
	// Output:
	// 200 /usr/bin/dnf tb-lib
	// metadata already locked by 27586
	// run: recording broken.txt:1: no provenance ("# ..." lines first)
}

func ExampleLoadRecordings() {
	recs, err := run.LoadRecordings(os.DirFS("../../testdata/run"), "*-locked.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range recs {
		fmt.Println(r.Argv[0], r.Exit)
	}
	// Output:
	// /usr/bin/apt-get 100
	// /usr/bin/dnf 200
	// /usr/bin/dpkg 2
	// /usr/bin/zypper 7
}

// A replay from recordings made in code: the stand-in for a package
// manager in a test.
func ExampleNewReplay() {
	r := run.NewReplay(run.Recording{
		Provenance: "written for the example",
		Argv:       []string{"/usr/bin/rpm", "-q", "--", "bash"},
		Stdout:     []byte("bash-5.2.15-2.amzn2023.0.2.x86_64\n"),
	})
	res, err := r.Run(context.Background(), run.Command{Path: "/usr/bin/rpm", Args: []string{"-q"}, Operands: []string{"bash"}})
	fmt.Print(string(res.Stdout))
	fmt.Println(err)
	// Output:
	// bash-5.2.15-2.amzn2023.0.2.x86_64
	// <nil>
}

// A command that was not recorded is an error, never an empty success.
func ExampleReplay_Run() {
	recs, err := run.LoadRecordings(os.DirFS("../../testdata/run"), "*.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := run.NewReplay(recs...)
	_, err = r.Run(context.Background(), run.Command{Path: "/usr/bin/dnf", Args: []string{"-y", "upgrade"}})
	fmt.Println(err)
	// Output:
	// run: no recording of ["/usr/bin/dnf" "-y" "upgrade"]
}

// A command carries the C locale in its own environment, so that a runner
// of the embedder's (sudo, SSH, a container exec) runs it untranslated as
// Local does; extra entries follow.
func ExampleCLocale() {
	c := run.Command{Path: "/usr/bin/dnf", Args: []string{"-q", "check-update"}, Env: run.CLocale("TZ=UTC")}
	fmt.Println(c.Env)
	// Output:
	// [LC_ALL=C LANG=C LANGUAGE= TZ=UTC]
}
