package plan_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// A Counter turns what a package manager prints while it works into
// progress events: each package once (Start reports false for a key it
// has counted), numbered from 1, with the total the package manager
// announced. Here a reader of the dnf transaction recorded on the testbed
// (testdata/install/dnf): the total from the Transaction Summary, then
// each package the first time rpm names it (Upgrading, Cleanup and
// Verifying name each one several times).
func ExampleNewCounter() {
	data, err := os.ReadFile("../../testdata/install/dnf/upgrade-5-dnf.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := run.ParseRecording("upgrade-5-dnf.txt", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := plan.NewCounter(plan.StageInstalling, func(p plan.Progress) {
		fmt.Printf("%s %d/%d %s\n", p.Stage, p.N, p.Total, p.Package)
	})
	repeats := 0
	for line := range strings.Lines(string(rec.Stdout)) {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "Upgrade" && f[2] == "Packages":
			var n int
			fmt.Sscan(f[1], &n)
			c.SetTotal(n)
		case len(f) == 4 && f[1] == ":" && (f[0] == "Upgrading" || f[0] == "Cleanup" || f[0] == "Verifying"):
			p, err := patchkit.ParseNEVRA(f[2])
			if err != nil {
				fmt.Println(err)
				return
			}
			if !c.Start(p.Name, f[2]) {
				repeats++
			}
		}
	}
	fmt.Println(c.N(), "packages;", repeats, "lines named one again")
	// Output:
	// installing 1/4 tb-multi-1.3-1.noarch
	// installing 2/4 tb-lib-1:2.0-2.noarch
	// installing 3/4 tb-hello-1.1-1.noarch
	// installing 4/4 kernel-tb-5.1-1.noarch
	// 4 packages; 12 lines named one again
}
