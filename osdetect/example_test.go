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

// Identify the host the program runs on.
func ExampleDetect() {
	o, err := osdetect.Detect(context.Background())
	if err != nil {
		fmt.Println("cannot tell:", err)
		return
	}
	fmt.Println(o.PrettyName, o.Arch, o.KernelRelease)
}
