package apt_test

import (
	"fmt"

	"github.com/patchkit/patchkit/scan/apt"
)

// ParseSummary reads the line with which apt-get sums up what a run
// changes; Installs counts all it changes but the removed.
func ExampleParseSummary() {
	for _, line := range []string{
		"2 upgraded, 1 newly installed, 1 downgraded, 1 to remove and 4 not upgraded.",
		"Need to get 3248 B of archives.",
	} {
		sum, ok := apt.ParseSummary(line)
		fmt.Println(ok, sum.Upgraded, sum.NewlyInstalled, sum.Downgraded, sum.Remove, sum.NotUpgraded, sum.Installs())
	}
	// Output:
	// true 2 1 1 1 4 4
	// false 0 0 0 0 0 0
}
