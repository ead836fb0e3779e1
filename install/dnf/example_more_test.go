package dnf_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// recording reads one recording of a real dnf or rpm run on the testbed.
func recording(name string) (run.Recording, error) {
	path := "../../testdata/install/dnf/" + name
	data, err := os.ReadFile(path)
	if err != nil {
		return run.Recording{}, err
	}
	return run.ParseRecording(path, data)
}

// Ask dnf itself whether an interrupted transaction left duplicates
// behind. Replayed from a run on the testbed after a dnf was killed in its
// transaction.
func ExampleCheckNative() {
	_, root, err := exampleRecordings("interrupted", 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := recording("interrupted-3-dnf.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	err = dnf.CheckNative(context.Background(), run.NewReplay(rec), dnf.WithInstallRoot(root), dnf.WithReleasever("1"))
	var re *plan.RepairError
	fmt.Println(errors.Is(err, plan.ErrNeedsRepair), errors.As(err, &re))
	fmt.Println(re.Packages)
	// Output:
	// true true
	// [tb-dep.noarch 0:1.0-1 0:1.1-1]
}

// Repair removes the duplicates (dnf remove --duplicates); run again, dnf
// finds none and the Outcome says so.
func ExampleRepair() {
	recs, root, err := exampleRecordings("interrupted", 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	replay := run.NewReplay(recs[3:]...)
	for range 2 {
		out, err := dnf.Repair(context.Background(), replay, dnf.WithInstallRoot(root), dnf.WithReleasever("1"))
		fmt.Printf("exit %d %q %v\n", out.ExitCode, strings.TrimSpace(out.Stderr), err)
	}
	// Output:
	// exit 0 "" <nil>
	// exit 1 "Error: No duplicated packages found for removal." <nil>
}

func ExampleParseDuplicates() {
	rec, err := recording("interrupted-3-dnf.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s", rec.Stdout)
	dups, err := dnf.ParseDuplicates(rec.Stdout)
	fmt.Println(dups, err)
	// Output:
	// tb-dep-1.0-1.noarch is a duplicate with tb-dep-1.1-1.noarch
	// [tb-dep.noarch 0:1.0-1 0:1.1-1] <nil>
}

// The failures of a transaction in which one package's %pre scriptlet
// failed, from dnf's output on the testbed.
func ExampleParseFailures() {
	rec, err := recording("scriptlet-4-dnf.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range dnf.ParseFailures(rec.Stdout, rec.Stderr) {
		fmt.Printf("%s.%s: %s\n", f.Name, f.Arch, f.Reason)
	}
	// Output:
	// tb-prefail.noarch: %prein scriptlet failed, exit status 7; rpm: install failed; not installed
}

// Who holds the lock, from dnf's message when it runs with
// exit_on_lock=True while another dnf holds the rpm database.
func ExampleParseLock() {
	rec, err := recording("locked-5-dnf.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	h, ok := dnf.ParseLock(rec.Stderr)
	fmt.Println(ok, h.Lock, h.PID, h.Holder)
	_, ok = dnf.ParseLock([]byte("Error: Unable to find a match: tb-nosuch\n"))
	fmt.Println(ok)
	// Output:
	// true RPMDB 12298 dnf.test
	// false
}

// dnf's plan for tb-dep 1.1, which needs a package that is not installed.
func ExampleParsePlan() {
	rec, err := recording("newdep-1-dnf.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	tx, err := dnf.ParsePlan(rec.Stdout)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range tx.Actions {
		fmt.Println(a)
	}
	fmt.Println(tx.Summary, "download:", tx.TotalDownloadSize)
	// Output:
	// upgrade tb-dep.noarch 0:1.0-1 -> 0:1.1-1
	// install tb-newdep.noarch 0:1.0-1
	// map[Install:1 Upgrade:1] download: 12288
}

// The sizes of the packages of a plan: dnf repoquery for the new versions,
// rpm -q for the installed ones.
func ExampleParseSizes() {
	for _, r := range []struct {
		file      string
		installed bool
	}{{"newdep-2-dnf.txt", false}, {"newdep-3-rpm.txt", true}} {
		rec, err := recording(r.file)
		if err != nil {
			fmt.Println(err)
			return
		}
		sizes, err := dnf.ParseSizes(rec.Stdout, r.installed)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, s := range sizes {
			fmt.Printf("%s %q %d %d\n", s.Package.NEVRA(), s.Package.Repository, s.Download, s.Installed)
		}
	}
	// Output:
	// tb-dep-0:1.1-1.noarch "tb-extra" 6150 13
	// tb-newdep-0:1.0-1.noarch "tb-extra" 6149 16
	// tb-dep-0:1.0-1.noarch "" 0 13
}
