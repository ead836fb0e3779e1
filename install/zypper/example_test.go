package zypper_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/install/zypper"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// replay answers from the recordings of one real run of the package's
// testbed tests, and returns the root they ran on.
func replay(name string) (run.Runner, string) {
	recs, err := run.LoadRecordings(os.DirFS("../../testdata/install/zypper/"+name), "*.txt")
	if err != nil {
		panic(err)
	}
	i := slices.Index(recs[0].Argv, "--root")
	return run.NewReplay(recs...), recs[0].Argv[i+1]
}

func pkg(name, version, release string) patchkit.Package {
	return patchkit.Package{Name: name, Version: version, Release: release, Arch: "noarch", Scheme: patchkit.RPM}
}

// Plan asks zypper what it would do to move tb-dep to 1.1-1: the new
// version requires tb-newdep, which is not installed, so the plan installs
// it too; the caller decides whether that is acceptable before Apply.
func ExamplePlan() {
	r, root := replay("newdep")
	targets := []plan.Target{{Installed: pkg("tb-dep", "1.0", "1"), Version: pkg("tb-dep", "1.1", "1")}}
	p, err := zypper.Plan(context.Background(), r, targets, zypper.WithRoot(root))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range p.Actions {
		fmt.Println(a)
	}
	fmt.Println("download", p.DownloadSize, "bytes; installed size", p.InstalledSizeChange, "bytes more")
	// Output:
	// upgrade tb-dep.noarch 0:1.0-1 -> 0:1.1-1
	// install tb-newdep.noarch 0:1.0-1
	// download 12298 bytes; installed size 16 bytes more
}

// Apply installs the targets; a %post scriptlet that fails is zypper's
// exit 107: the package is installed, and the outcome says what failed.
func ExampleApply() {
	r, root := replay("scriptlet-post")
	targets := []plan.Target{{Installed: pkg("tb-fail", "1.0", "1"), Version: pkg("tb-fail", "1.1", "1")}}
	out, err := zypper.Apply(context.Background(), r, targets, zypper.WithRoot(root))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("exit", out.ExitCode)
	for _, f := range out.Failures {
		fmt.Printf("%s.%s: %s\n", f.Name, f.Arch, f.Reason)
	}
	// Output:
	// exit 107
	// tb-fail.noarch: %post scriptlet failed, exit status 29 (state: installed; rpm keeps a package whose %post scriptlet fails)
}

// Apply refuses to start while another zypper holds the lock beyond the
// bound, and names the holder.
func ExampleApply_locked() {
	r, root := replay("locked")
	targets := []plan.Target{{Installed: pkg("tb-hello", "1.0", "1"), Version: pkg("tb-hello", "1.1", "1")}}
	_, err := zypper.Apply(context.Background(), r, targets, zypper.WithRoot(root))
	var le *plan.LockedError
	if errors.As(err, &le) {
		fmt.Println(le.Holder, le.PID > 0, errors.Is(err, plan.ErrLocked))
	}
	// Output:
	// zypper true true
}

// Check looks for what an interrupted transaction leaves: two versions of
// a package libzypp does not install side by side. In this root
// kernel-tb is installed twice on purpose: zypp.conf makes it
// multiversion.
func ExampleCheck() {
	root := os.DirFS("../../testdata/zypper/scenarios/multiversion-provides/root")
	_, installed, err := rpmdb.Read(context.Background(), root)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(zypper.Check(context.Background(), root, installed))
	// Output:
	// <nil>
}

// VerifyPlan shows what Repair would do after an upgrade of tb-slow was
// killed in its %post; Repair, run only when asked, does it.
func ExampleRepair() {
	r, root := replay("repair")
	ctx := context.Background()
	p, err := zypper.VerifyPlan(ctx, r, zypper.WithRoot(root))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Actions)
	out, err := zypper.Repair(ctx, r, zypper.WithRoot(root), zypper.WithPlan(p))
	fmt.Println(out.ExitCode, err)
	// Output:
	// [remove tb-slow.noarch 0:1.0-1]
	// 0 <nil>
}

// ParseOutput reads what a `zypper --xmlout` install printed; Actions are
// the package changes of its install summary.
func ExampleParseOutput() {
	data, err := os.ReadFile("../../testdata/install/zypper/newdep/01-zypper-install-dry-run.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := run.ParseRecording("dry run", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := zypper.ParseOutput("dry run", bytes.NewReader(rec.Stdout))
	if err != nil {
		fmt.Println(err)
		return
	}
	acts, err := out.Actions()
	fmt.Println(acts, err)
	fmt.Println(out.Summaries[0].SpaceUsageDiff, "bytes more installed")
	// Output:
	// [upgrade tb-dep.noarch 0:1.0-1 -> 0:1.1-1 install tb-newdep.noarch 0:1.0-1] <nil>
	// 16 bytes more installed
}
