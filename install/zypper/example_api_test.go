package zypper_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/install/zypper"
	"github.com/patchkit/patchkit/scan/run"
)

// apiReplay answers from the recordings of one real run of the package's
// testbed tests (testdata/install/zypper/name), and returns the root they
// ran on.
func apiReplay(name string) (*run.Replay, string) {
	recs, err := run.LoadRecordings(os.DirFS("../../testdata/install/zypper/"+name), "*.txt")
	if err != nil {
		panic(err)
	}
	i := slices.Index(recs[0].Argv, "--root")
	return run.NewReplay(recs...), recs[0].Argv[i+1]
}

func apiTarget(name string, epoch int, from, to string) plan.Target {
	mk := func(evr string) patchkit.Package {
		v, r, _ := strings.Cut(evr, "-")
		p := patchkit.Package{Name: name, Version: v, Release: r, Arch: "noarch", Scheme: patchkit.RPM}
		if epoch >= 0 {
			p.Epoch = patchkit.EpochOf(uint32(epoch))
		}
		return p
	}
	return plan.Target{Installed: mk(from), Version: mk(to)}
}

// A target that comes from a zypper patch is installed as the patch
// (zypper install patch:NAME). A patch that suggests a reboot, shows a
// message or asks for a licence is interactive: refused unless allowed.
// Replayed from the testbed, where TBSA-2026:0003 updates the kernel.
func ExampleAllowInteractivePatches() {
	r, root := apiReplay("happy")
	kernel := apiTarget("kernel-tb", -1, "5.0-1", "5.1-1")
	kernel.Advisory = "TBSA-2026:0003"
	targets := []plan.Target{apiTarget("tb-lib", 1, "2.0-1", "2.0-2"), apiTarget("tb-hello", -1, "1.0-1", "1.1-1"), kernel}
	_, err := zypper.Plan(context.Background(), r, targets, zypper.WithRoot(root))
	fmt.Println(errors.Is(err, zypper.ErrInteractive), err)
	p, err := zypper.Plan(context.Background(), r, targets, zypper.WithRoot(root), zypper.AllowInteractivePatches())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range p.Actions {
		fmt.Println(a)
	}
	// Output:
	// true install/zypper: interactive patches not allowed (AllowInteractivePatches): TBSA-2026:0003 (reboot suggested, interactive)
	// upgrade kernel-tb.noarch 0:5.0-1 -> 0:5.1-1
	// upgrade tb-hello.noarch 0:1.0-1 -> 0:1.1-1
	// upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2
}

// zypper waits for the zypp lock as long as ZYPP_LOCK_TIMEOUT says, and
// other settings reach it through its environment. The runner here prints
// the environment of each command before it replays a real run on the
// testbed while another zypper held the lock.
func ExampleWithLockTimeout() {
	r, root := apiReplay("locked")
	logging := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		fmt.Println(c.Env)
		return r.Run(ctx, c)
	})
	_, err := zypper.Plan(context.Background(), logging, []plan.Target{apiTarget("tb-hello", -1, "1.0-1", "1.1-1")},
		zypper.WithRoot(root), zypper.WithLockTimeout(1500*time.Millisecond), zypper.WithEnv("ZYPP_CONF="+root+"/etc/zypp/zypp.conf"))
	var le *plan.LockedError
	fmt.Println(errors.As(err, &le), le.Holder, le.PID > 0)
	// Output:
	// [LC_ALL=C LANG=C LANGUAGE= ZYPP_LOCK_TIMEOUT=2 ZYPP_CONF=/tmp/pm-testbed/clones/TestTestbedZypperInstallLocked-2849363204/zyp-root/etc/zypp/zypp.conf]
	// true zypper true
}

// The flags of zypper's opt-ins, which weaken its defaults and are never
// implied. The runner here prints each command it is given and runs none:
// a caller passes run.NewLocal() or its own runner.
func ExampleAllowDowngrades() {
	printOnly := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		fmt.Println(c)
		return run.Result{}, errors.New("not run")
	})
	_, err := zypper.Plan(context.Background(), printOnly, []plan.Target{apiTarget("tb-down", -1, "2.0-1", "1.0-1")},
		zypper.WithProgram("/opt/zypper/bin/zypper"), zypper.WithRoot("/srv/sles"),
		zypper.AllowDowngrades(), zypper.AllowUnauthenticated(), zypper.AllowKeyImport(), zypper.AgreeWithLicenses(),
		zypper.WithRecommends(true), zypper.WithRefresh(true))
	fmt.Println(err != nil)
	// Output:
	// /opt/zypper/bin/zypper --non-interactive --xmlout --root /srv/sles --no-gpg-checks --gpg-auto-import-keys install --dry-run --no-force-resolution --recommends --oldpackage --auto-agree-with-licenses -- tb-down.noarch=1.0-1
	// true
}

// Progress of an Apply: each phase as it starts (the install phase with
// the number of packages the download phase's summary gave), then each
// package zypper reports while it runs (a runner that streams output
// sends the lines; Replay sends the recorded ones). Replayed from the
// testbed, where tb-dep 1.1-1 brings in tb-newdep.
func ExampleWithProgress() {
	r, root := apiReplay("newdep")
	targets := []plan.Target{apiTarget("tb-dep", -1, "1.0-1", "1.1-1")}
	p, err := zypper.Plan(context.Background(), r, targets, zypper.WithRoot(root))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := zypper.Apply(context.Background(), r, targets, zypper.WithRoot(root), zypper.WithPlan(p),
		zypper.WithProgress(func(p plan.Progress) {
			if p.N == 0 {
				fmt.Println(p.Stage, p.Packages) // a phase starts
				return
			}
			fmt.Printf("  %d/%d %s\n", p.N, p.Total, p.Package)
		}))
	fmt.Println(out.ExitCode, err)
	// Output:
	// downloading 0
	//   1/2 tb-newdep-1.0-1.noarch
	//   2/2 tb-dep-1.1-1.noarch
	// installing 2
	//   1/2 tb-newdep-1.0-1.noarch
	//   2/2 tb-dep-1.1-1.noarch
	// 0 <nil>
}
