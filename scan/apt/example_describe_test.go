package apt_test

import (
	"context"
	"fmt"
	"os"

	"github.com/patchkit/patchkit/scan/apt"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// Replaying a native scan of the testbed's private root with
// NativeDescribe: every version apt-get -s and apt-cache policy gave is
// looked up with one apt-cache show, for its Section and Priority (which
// the AWS-owned Debian baseline filters on).
func ExampleNativeDescribe() {
	load := func(name string) run.Recording {
		b, err := os.ReadFile("../../testdata/apt/" + name + ".txt")
		if err != nil {
			panic(err)
		}
		r, err := run.ParseRecording(name, b)
		if err != nil {
			panic(err)
		}
		return r
	}
	replay := run.NewReplay(load("testbed-private-describe-dpkg-query"), load("testbed-private-describe-apt-get"),
		load("testbed-private-describe-apt-cache-policy"), load("testbed-private-describe-apt-cache"))
	installed, err := dpkg.Query(context.Background(), replay, dpkg.QueryAdmindir("/tmp/pm-testbed/apt-private/var/lib/dpkg"))
	if err != nil {
		fmt.Println(err)
		return
	}
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
