package apt_test

import (
	"context"
	"fmt"

	"github.com/patchkit/patchkit/scan/apt"
)

// Replaying a native scan of the testbed's private root with
// NativeDescribe: every version apt-get -s and apt-cache policy gave is
// looked up with one apt-cache show, for its Section and Priority (which
// the AWS-owned Debian baseline filters on).
func ExampleNativeDescribe() {
	replay, installed := recordedRun("testbed-private-describe", "apt-get", "apt-cache-policy", "apt-cache-policy2", "apt-cache")
	patches, err := apt.NativeUpdates(context.Background(), replay, installed,
		apt.NativeAptConfig("/tmp/pm-testbed/apt-private/apt.conf"), apt.NativeInstalledVersions(true), apt.NativeDescribe(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		if p.Candidate {
			fmt.Println(p.Name, p.EVR(), "section:", p.Section, "priority:", p.Priority, "security:", p.Security)
		}
	}
	// Output:
	// tb-hello 1.1-1 section: misc priority: optional security: false
	// tb-kernel 1.1-1 section: misc priority: optional security: true
	// tb-lib 1:2.0-2 section: misc priority: optional security: true
	// tb-multi 1.3-1 section: misc priority: optional security: false
}
