package apt_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/apt"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// replay answers from recordings of real runs made on the testbed; a
// caller would pass run.NewLocal() (or its own runner: sudo, SSH).
func replay(pattern string) run.Runner {
	recs, err := run.LoadRecordings(os.DirFS("../../testdata/install/apt"), pattern)
	if err != nil {
		panic(err)
	}
	return run.NewReplay(recs...)
}

func upgrade(nameArch, version string) plan.Target {
	v, err := patchkit.ParseDpkg(nameArch, version)
	if err != nil {
		panic(err)
	}
	return plan.Target{Version: v}
}

// Plan shows what apt would do for four approved updates of a private apt
// root, without changing anything.
func ExamplePlan() {
	r := replay("private-upgrade-0[12]-*.txt")
	targets := []plan.Target{
		upgrade("tb-hello:all", "1.1-1"), upgrade("tb-kernel:all", "1.1-1"),
		upgrade("tb-lib:all", "1:2.0-2"), upgrade("tb-multi:all", "1.2-1"),
	}
	p, err := apt.Plan(context.Background(), r, targets, apt.AptConfig("/tmp/pm-testbed/apt-private/apt.conf"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range p.Actions {
		fmt.Println(a, "from", a.Package.Repository)
	}
	fmt.Println("download:", p.DownloadSize, "bytes; installed size change:", p.InstalledSizeChange)
	// Output:
	// upgrade tb-hello:all 1.0-1 -> 1.1-1 from Testbed:testbed-updates
	// upgrade tb-kernel:all 1.0-1 -> 1.1-1 from Testbed-Security:testbed-security
	// upgrade tb-lib:all 1:2.0-1 -> 1:2.0-2 from Testbed-Security:testbed-security
	// upgrade tb-multi:all 1.0-1 -> 1.2-1 from Testbed-Security:testbed-security
	// download: 3256 bytes; installed size change: 0
}

// Apply installs two updates in one transaction; the postinst of one of
// them fails, and the outcome says which and why.
func ExampleApply() {
	r := replay("private-failing-postinst-0[12]-*.txt")
	out, err := apt.Apply(context.Background(), r,
		[]plan.Target{upgrade("tb-lib:all", "1:2.0-2"), upgrade("tb-fail:all", "1.1-1")},
		apt.AptConfig("/tmp/pm-testbed/apt-private/apt.conf"))
	var ee *run.ExitError
	fmt.Println("apt-get exit:", out.ExitCode, errors.As(err, &ee))
	for _, f := range out.Failures {
		fmt.Printf("%s: %s\n", f.Name, f.Reason)
	}
	// Output:
	// apt-get exit: 100 true
	// tb-fail: installed tb-fail package post-installation script subprocess returned error exit status 29
}

// Check finds what a killed dpkg left in a database: its journal and the
// packages it did not finish.
func ExampleCheck() {
	root := os.DirFS("../../testdata/dpkg/db/testbed-states") // a dpkg database directory
	err := apt.Check(context.Background(), root, nil, apt.Admindir("."))
	var re *plan.RepairError
	if errors.As(err, &re) {
		for _, p := range re.Packages {
			fmt.Println(p)
		}
		fmt.Println(errors.Is(err, plan.ErrNeedsRepair))
	}
	// Output:
	// 5 entries of dpkg's journal in updates (0000, 0001, 0002, 0003, 0004)
	// tb-failpost:amd64 2.0 (half-configured)
	// tb-rmfail:all 5.0 (half-installed)
	// tb-slow:all 13.0-1 (half-configured)
	// tb-trigact:all 7.0 (triggers-awaited)
	// tb-trigint:all 6.0 (triggers-pending)
	// tb-unpack:amd64 1:3.0-2 (unpacked)
	// true
}

// Repair runs dpkg --configure -a with the dpkg options of the private
// root's apt configuration.
func ExampleRepair() {
	r := replay("private-interrupted-0[23]-*.txt")
	out, err := apt.Repair(context.Background(), r, apt.AptConfig("/tmp/pm-testbed/apt-private/apt.conf"))
	fmt.Println(err, out.ExitCode, len(out.Failures))
	// Output:
	// <nil> 0 0
}
