package osdetect_test

import (
	"context"
	"fmt"
	"os"

	"github.com/patchkit/patchkit/osdetect"
)

// Identify a root file system, here a fixture holding Ubuntu 22.04's
// base-files.
func ExampleDetectFS() {
	o, err := osdetect.DetectFS(os.DirFS("../testdata/osdetect/ubuntu-22.04"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(o.PrettyName)
	fmt.Println(o.OperatingSystem(), o.Product(), o.PackageManager)
	// Output:
	// Ubuntu 22.04 LTS
	// UBUNTU Ubuntu22.04 apt
}

// Identify the host the program runs on. Its output depends on that host,
// so the example has no Output comment: go test compiles it and does not
// run it.
func ExampleDetect() {
	o, err := osdetect.Detect(context.Background())
	if err != nil {
		fmt.Println("cannot tell:", err)
		return
	}
	fmt.Println(o.PrettyName, o.Arch, o.KernelRelease)
}

// Detection with a context, on a root whose files disagree: SLES 12 SP1's
// os-release says 12.1, its deprecated SuSE-release patch level 0.
// os-release decides; the disagreement is reported, not an error.
func ExampleDetectFSContext() {
	ctx := context.Background()
	o, err := osdetect.DetectFSContext(ctx, os.DirFS("../testdata/osdetect/odd-sles-12-sp1-mismatch"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(o.Product(), o.Sources)
	for _, c := range o.Conflicts {
		fmt.Println(c)
	}
	// Output:
	// Suse12.1 [etc/os-release etc/SuSE-release]
	// minor version disagrees: etc/os-release says "1", etc/SuSE-release says "0" (etc/os-release kept)
}

// A root whose os-release is empty (an Amazon Linux 2 image as captured in
// ansible's tests): the next source decides, and the empty file is listed.
func ExampleOS_Ignored() {
	o, err := osdetect.DetectFS(os.DirFS("../testdata/osdetect/odd-amzn-2-empty-os-release"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(o.Product(), o.Sources)
	for _, p := range o.Ignored {
		fmt.Println("ignored:", p.Error())
	}
	// Output:
	// AmazonLinux2 [etc/system-release]
	// ignored: osdetect: etc/os-release: empty
}
