package dnf_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// The commands for dnf and rpm installed elsewhere, a repository priority
// for every command, a plan from dnf's cache only, and (opted into by
// name) no signature checks. Options that weaken verification are refused
// through WithSetopt.
func ExampleWithSetopt() {
	lib := patchkit.Package{Name: "openssl-libs", Epoch: patchkit.EpochOf(1), Version: "3.0.7", Release: "27.el9", Arch: "x86_64", Scheme: patchkit.RPM}
	c, err := dnf.NewCommands([]plan.Target{{Version: lib}},
		dnf.WithProgram("/usr/bin/yum"), dnf.WithRPM("/opt/rpm/bin/rpm"),
		dnf.WithSetopt("appstream.priority", "10"), dnf.WithCacheOnly(true), dnf.AllowUnauthenticated())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Plan.String())
	fmt.Println(c.InstalledSizeQuery.Argv()[0])
	_, err = dnf.NewCommands(nil, dnf.WithSetopt("gpgcheck", "0"))
	fmt.Println(errors.Is(err, dnf.ErrOption), err)
	// Output:
	// /usr/bin/yum -v --assumeno -C --setopt=exit_on_lock=True --setopt=skip_if_unavailable=False --setopt=appstream.priority=10 --nogpgcheck upgrade -- openssl-libs-1:3.0.7-27.el9.x86_64
	// /opt/rpm/bin/rpm
	// true install/dnf: WithSetopt: "gpgcheck" is set by the executor or weakens verification; it cannot be set here
}

// Another dnf holds the lock: dnf (run with exit_on_lock) exits 200 at
// once, and with WithLockWait(0) the executor gives up at the first
// refusal, naming the holder. The run is a recording of a real dnf on the
// testbed while the test program (dnf.test) held its lock.
func ExampleWithLockWait() {
	data, err := os.ReadFile("../../testdata/install/dnf/locked-7-dnf.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := run.ParseRecording("locked-7-dnf.txt", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	var root string
	for _, a := range rec.Argv {
		if v, ok := strings.CutPrefix(a, "--installroot="); ok {
			root = v
		}
	}
	var operands []plan.Target
	for _, nevra := range rec.Argv[slices.Index(rec.Argv, "--")+1:] {
		p, err := patchkit.ParseNEVRA(nevra)
		if err != nil {
			fmt.Println(err)
			return
		}
		operands = append(operands, plan.Target{Version: p})
	}
	start := time.Now()
	_, err = dnf.Plan(context.Background(), run.NewReplay(rec), operands,
		dnf.WithInstallRoot(root), dnf.WithReleasever("1"), dnf.WithLockWait(0))
	var le *plan.LockedError
	fmt.Println(errors.As(err, &le), errors.Is(err, plan.ErrLocked), time.Since(start) < time.Second)
	fmt.Println(le.Tool, le.PID, le.Holder)
	// Output:
	// true true true
	// dnf 12298 dnf.test
}

// Several installed versions of one package are what a dnf killed in its
// transaction leaves, except for packages installed beside their older
// versions: pass the names a scan found installonly.
func ExampleWithInstallOnly() {
	pkg := func(name, v, r string) patchkit.Package {
		return patchkit.Package{Name: name, Epoch: patchkit.EpochOf(0), Version: v, Release: r, Arch: "noarch", Scheme: patchkit.RPM}
	}
	installed := []patchkit.Package{pkg("kernel-tb", "5.0", "1"), pkg("kernel-tb", "5.1", "1"), pkg("tb-hello", "1.1", "1")}
	root := fstest.MapFS{"etc/dnf/dnf.conf": {Data: []byte("[main]\ngpgcheck=1\n")}}
	for _, opts := range [][]dnf.Option{nil, {dnf.WithInstallOnly("kernel-tb")}} {
		err := dnf.Check(context.Background(), root, installed, opts...)
		var re *plan.RepairError
		if errors.As(err, &re) {
			fmt.Println("needs repair:", re.Packages)
			continue
		}
		fmt.Println(err)
	}
	// Output:
	// needs repair: [kernel-tb.noarch 0:5.0-1 0:5.1-1]
	// <nil>
}

// Progress of an Apply: each run as it starts, then each package dnf
// reports while it runs (a runner that streams output sends the lines;
// Replay sends the recorded ones). Replayed from the download and the
// commit of four updates on the testbed.
func ExampleWithProgress() {
	var recs []run.Recording
	for _, name := range []string{"upgrade-4-dnf.txt", "upgrade-5-dnf.txt"} {
		data, err := os.ReadFile("../../testdata/install/dnf/" + name)
		if err != nil {
			fmt.Println(err)
			return
		}
		rec, err := run.ParseRecording(name, data)
		if err != nil {
			fmt.Println(err)
			return
		}
		recs = append(recs, rec)
	}
	var root string
	for _, a := range recs[0].Argv {
		if v, ok := strings.CutPrefix(a, "--installroot="); ok {
			root = v
		}
	}
	var targets []plan.Target
	for _, nevra := range recs[0].Argv[slices.Index(recs[0].Argv, "--")+1:] {
		p, err := patchkit.ParseNEVRA(nevra)
		if err != nil {
			fmt.Println(err)
			return
		}
		targets = append(targets, plan.Target{Version: p})
	}
	out, err := dnf.Apply(context.Background(), run.NewReplay(recs...), targets,
		dnf.WithInstallRoot(root), dnf.WithReleasever("1"), dnf.WithProgress(func(p plan.Progress) {
			if p.N == 0 {
				fmt.Println(p.Stage) // a run starts
				return
			}
			fmt.Printf("  %d/%d %s\n", p.N, p.Total, p.Package)
		}))
	fmt.Println(out.ExitCode, err)
	// Output:
	// downloading
	//   1/4 tb-hello-1.1-1.noarch.rpm
	//   2/4 kernel-tb-5.1-1.noarch.rpm
	//   3/4 tb-lib-2.0-2.noarch.rpm
	//   4/4 tb-multi-1.3-1.noarch.rpm
	// installing
	//   1/4 tb-multi-1.3-1.noarch
	//   2/4 tb-lib-1:2.0-2.noarch
	//   3/4 tb-hello-1.1-1.noarch
	//   4/4 kernel-tb-5.1-1.noarch
	// 0 <nil>
}
