package apt_test

import (
	"context"
	"fmt"

	"github.com/patchkit/patchkit/scan/apt"
)

// Replaying a native scan of the testbed's private root with
// NativeAllVersions: tb-multi's three newer versions, not only apt's
// candidate 1.3-1; its security version 1.2-1 is the one a security-only
// baseline approves. Each carries its origins as apt-get prints them.
func ExampleNativeAllVersions() {
	replay, installed := recordedRun("testbed-private-allversions", "apt-get", "apt-cache-policy", "apt-cache-policy2", "apt-cache")
	patches, err := apt.NativeUpdates(context.Background(), replay, installed,
		apt.NativeAptConfig("/tmp/pm-testbed/apt-private/apt.conf"), apt.NativeAllVersions(true), apt.NativeDescribe(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		if p.Name == "tb-multi" {
			fmt.Println(p.Name, p.EVR(), "candidate:", p.Candidate, "security:", p.Security, "priority:", p.Priority, p.Repository)
		}
	}
	// Output:
	// tb-multi 1.1-1 candidate: false security: false priority: optional Testbed:testbed-updates
	// tb-multi 1.2-1 candidate: false security: true priority: optional Testbed-Security:testbed-security
	// tb-multi 1.3-1 candidate: true security: false priority: optional Testbed:testbed-updates
}
