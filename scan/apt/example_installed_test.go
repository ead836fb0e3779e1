package apt_test

import (
	"context"
	"fmt"
	"os"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/apt"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// Replaying a native scan of the testbed's private root with
// NativeInstalledVersions: besides apt's upgrades (Candidate true), the
// installed version of each package, which the base suite offers
// (Candidate false), from one apt-cache policy call, with the origin
// apt-get prints for that suite (from apt-cache policy's package files).
func ExampleNativeInstalledVersions() {
	replay, installed := recordedRun("testbed-private-installed", "apt-get", "apt-cache-policy", "apt-cache-policy2")
	patches, err := apt.NativeUpdates(context.Background(), replay, installed,
		apt.NativeAptConfig("/tmp/pm-testbed/apt-private/apt.conf"), apt.NativeInstalledVersions(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		fmt.Println(p.Name, p.EVR(), "candidate:", p.Candidate, "security:", p.Security, p.Repository)
	}
	// Output:
	// tb-hello 1.0-1 candidate: false security: false Testbed:testbed
	// tb-hello 1.1-1 candidate: true security: false Testbed:testbed-updates
	// tb-kernel 1.0-1 candidate: false security: false Testbed:testbed
	// tb-kernel 1.1-1 candidate: true security: true Testbed-Security:testbed-security
	// tb-lib 1:2.0-1 candidate: false security: false Testbed:testbed
	// tb-lib 1:2.0-2 candidate: true security: true Testbed-Security:testbed-security
	// tb-multi 1.0-1 candidate: false security: false Testbed:testbed
	// tb-multi 1.3-1 candidate: true security: false Testbed:testbed-updates
	// tb-tool 3.0-1 candidate: false security: false Testbed:testbed
}

// recordedRun replays a recorded native scan of the testbed's private root
// (testdata/apt/SCENARIO-PROGRAM.txt for dpkg-query and each program) and
// returns the replay and the inventory read through it.
func recordedRun(scenario string, programs ...string) (*run.Replay, []patchkit.Package) {
	var recs []run.Recording
	for _, prog := range append([]string{"dpkg-query"}, programs...) {
		name := scenario + "-" + prog
		b, err := os.ReadFile("../../testdata/apt/" + name + ".txt")
		if err != nil {
			panic(err)
		}
		r, err := run.ParseRecording(name, b)
		if err != nil {
			panic(err)
		}
		recs = append(recs, r)
	}
	replay := run.NewReplay(recs...)
	installed, err := dpkg.Query(context.Background(), replay, dpkg.QueryAdmindir("/tmp/pm-testbed/apt-private/var/lib/dpkg"))
	if err != nil {
		panic(err)
	}
	return replay, installed
}
