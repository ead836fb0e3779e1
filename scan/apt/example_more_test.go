package apt_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/patchkit/patchkit/scan/apt"
	"github.com/patchkit/patchkit/scan/run"
)

// Check holds what apt-get -s printed against its own summary line: here
// a real simulation on the testbed's private root, then the same output
// with one Inst line lost.
func ExampleSimulation_Check() {
	data, err := os.ReadFile("../../testdata/apt/testbed-private-apt-get.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := run.ParseRecording("testbed-private-apt-get.txt", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	sim, err := apt.ParseSimulation(rec.Stdout)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(sim.Actions), "actions,", sim.Summary.Upgraded, "upgraded:", sim.Check())

	short := strings.Replace(string(rec.Stdout), "Inst tb-multi [1.0-1] (1.3-1 Testbed:testbed-updates [all])\n", "", 1)
	sim, err = apt.ParseSimulation([]byte(short))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sim.Check())
	// Output:
	// 8 actions, 4 upgraded: <nil>
	// apt-get -s output line 7: 3 upgrades listed, the summary says 4
}
