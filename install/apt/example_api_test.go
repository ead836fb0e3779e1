package apt_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/apt"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// apiReplay answers from the recordings of one scenario of real runs on
// the testbed (testdata/install/apt/SCENARIO-NN-*.txt).
func apiReplay(scenario string) (*run.Replay, []run.Recording) {
	recs, err := run.LoadRecordings(os.DirFS("../../testdata/install/apt"), scenario+"-[0-9][0-9]-*.txt")
	if err != nil {
		panic(err)
	}
	return run.NewReplay(recs...), recs
}

// apiTarget is the upgrade of an Architecture: all package to version.
func apiTarget(name, version string) plan.Target {
	v, err := patchkit.ParseDpkg(name+":all", version)
	if err != nil {
		panic(err)
	}
	return plan.Target{Version: v}
}

// apt and dpkg of a Debian root, run inside it through chroot(8): the
// plan of the testbed's four updates in its Debian bookworm chroot,
// replayed from a real run.
func ExampleChroot() {
	r, recs := apiReplay("chroot-upgrade")
	root := recs[0].Argv[1] // chroot ROOT apt-get ...
	p, err := apt.Plan(context.Background(), r, []plan.Target{
		apiTarget("tb-hello", "1.1-1"), apiTarget("tb-kernel", "1.1-1"), apiTarget("tb-lib", "1:2.0-2"), apiTarget("tb-multi", "1.2-1"),
	}, apt.Chroot(root))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range p.Actions {
		fmt.Println(a)
	}
	fmt.Println(strings.Replace(r.Calls()[0].String(), root, "ROOT", 1))
	_, err = apt.Plan(context.Background(), r, nil, apt.Chroot("/"))
	fmt.Println(err)
	// Output:
	// upgrade tb-hello:all 1.0-1 -> 1.1-1
	// upgrade tb-kernel:all 1.0-1 -> 1.1-1
	// upgrade tb-lib:all 1:2.0-1 -> 1:2.0-2
	// upgrade tb-multi:all 1.0-1 -> 1.2-1
	// /usr/sbin/chroot ROOT /usr/bin/apt-get -o quiet=1 -o APT::Get::Show-Upgraded=true --no-install-recommends -s install --only-upgrade -- tb-hello=1.1-1 tb-kernel=1.1-1 tb-lib=1:2.0-2 tb-multi=1.2-1
	// install/apt: Chroot: "/" is the live system; leave the option out
}

// apt-get waits for dpkg's lock as long as the bound leaves (whole
// seconds, DPkg::Lock::Timeout); a lock still held then is a
// *plan.LockedError naming the holder. LockTimeout(0) makes one attempt.
// Replayed from a real run in the testbed's chroot while the test program
// (apt.test) held the lock; the recording's run was given another number
// of seconds, so the runner here replays it whatever the number is.
func ExampleLockTimeout() {
	r, recs := apiReplay("chroot-locked")
	anySeconds := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		c.Args = slices.Clone(c.Args)
		for i, a := range c.Args {
			if strings.HasPrefix(a, "DPkg::Lock::Timeout=") {
				c.Args[i] = "DPkg::Lock::Timeout=1" // as recorded
			}
		}
		return r.Run(ctx, c)
	})
	_, err := apt.Apply(context.Background(), anySeconds, []plan.Target{apiTarget("tb-multi", "1.3-1")},
		apt.Chroot(recs[0].Argv[1]), apt.LockTimeout(0))
	var le *plan.LockedError
	if errors.As(err, &le) {
		// the lock file as the caller sees it: inside the chroot directory
		fmt.Println(errors.Is(err, plan.ErrLocked), le.Tool, strings.Replace(le.Path, recs[0].Argv[1], "ROOT", 1), le.Holder, le.Waited)
	}
	_, err = apt.Apply(context.Background(), anySeconds, nil, apt.LockTimeout(48*time.Hour))
	fmt.Println(err)
	// Output:
	// true apt ROOT/var/lib/dpkg/lock-frontend apt.test 0s
	// install/apt: LockTimeout: 48h0m0s is not between 0 and 24h0m0s
}

// Progress of an Apply: each run as it starts, then the packages apt
// reports while it runs (a runner that streams output sends them; Replay
// sends the recorded lines). Replayed from the testbed's four updates on
// its private apt root.
func ExampleWithProgress() {
	r, _ := apiReplay("private-upgrade")
	out, err := apt.Apply(context.Background(), r, []plan.Target{
		apiTarget("tb-hello", "1.1-1"), apiTarget("tb-kernel", "1.1-1"), apiTarget("tb-lib", "1:2.0-2"), apiTarget("tb-multi", "1.2-1"),
	}, apt.AptConfig("/tmp/pm-testbed/apt-private/apt.conf"), apt.WithProgress(func(p plan.Progress) {
		if p.N == 0 {
			fmt.Println(p.Stage) // a run starts
			return
		}
		fmt.Printf("  %d/%d %s\n", p.N, p.Total, p.Package)
	}))
	fmt.Println(out.ExitCode, err)
	// Output:
	// downloading
	//   1/4 tb-hello
	//   2/4 tb-kernel
	//   3/4 tb-lib
	//   4/4 tb-multi
	// installing
	//   1/4 tb-hello
	//   2/4 tb-kernel
	//   3/4 tb-lib
	//   4/4 tb-multi
	// 0 <nil>
}

// apt refuses a downgrade, a removal or a package from a repository it
// did not verify unless told; the options tell it. Each refusal is
// replayed from a real run on the testbed's private apt root; the runs
// with the options are shown by a runner that prints the command it is
// given and runs none.
func ExampleAllowDowngrades() {
	private := apt.AptConfig("/tmp/pm-testbed/apt-private/apt.conf")
	printOnly := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		i := slices.Index(c.Args, "-y")
		fmt.Println("  with the option:", strings.Join(c.Args[i:], " "))
		return run.Result{}, errors.New("not run")
	})
	for _, c := range []struct {
		scenario string
		target   plan.Target
		opt      apt.Option
	}{
		{"private-downgrade", apiTarget("tb-down", "1.0-1"), apt.AllowDowngrades()},
		{"private-removal", apiTarget("tb-conf", "1.1-1"), apt.AllowRemovals()},
		{"private-unauthenticated", apiTarget("tb-slow", "9.0-1"), apt.AllowUnauthenticated()},
	} {
		r, _ := apiReplay(c.scenario)
		out, _ := apt.Apply(context.Background(), r, []plan.Target{c.target}, private)
		fmt.Println(c.scenario+": exit", out.ExitCode, strings.TrimSpace(out.Stderr[strings.LastIndex(out.Stderr, "E: "):]))
		apt.Apply(context.Background(), printOnly, []plan.Target{c.target}, private, c.opt)
	}
	// Output:
	// private-downgrade: exit 100 E: Packages were downgraded and -y was used without --allow-downgrades.
	//   with the option: -y --download-only --no-remove --allow-downgrades install --only-upgrade
	// private-removal: exit 100 E: Packages need to be removed but remove is disabled.
	//   with the option: -y --download-only install --only-upgrade
	// private-unauthenticated: exit 100 E: There were unauthenticated packages and -y was used without --allow-unauthenticated
	//   with the option: -y --download-only --no-remove --allow-unauthenticated install --only-upgrade
}
