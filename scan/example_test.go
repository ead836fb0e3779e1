package scan_test

import (
	"context"
	"fmt"
	"os"

	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/run"
)

// Read what is installed in a root file system, offline: the backend
// follows from the detected operating system.
func ExampleReadInventory() {
	// A Debian root made by mmdebstrap: its dpkg database.
	fsys := os.DirFS("../testdata/dpkg/db/debian-12-minbase")
	o := osdetect.OS{ID: "debian", PackageManager: osdetect.APT} // what DetectFS says of a Debian root
	inv, err := scan.ReadInventory(context.Background(), fsys, o, scan.WithAdmindir("."))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(inv.Backend, inv.Arch, len(inv.Packages) > 50)
	for _, p := range inv.Packages {
		if p.Name == "dpkg" {
			fmt.Println(p.QualifiedName(), p.State)
		}
	}
	// Output:
	// dpkg x86_64 true
	// dpkg:amd64 installed
}

// Ask the package manager itself, through a runner: run.NewLocal() for
// this host, or an embedder's own run.Runner (sudo, SSH, a container).
// Here the runner replays what dpkg-query printed for the testbed's
// private apt root (testdata/apt), which WithRootDir names.
func ExampleQueryInventory() {
	data, err := os.ReadFile("../testdata/apt/testbed-private-dpkg-query.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := run.ParseRecording("testbed-private-dpkg-query.txt", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	debian := osdetect.OS{ID: "debian", PackageManager: osdetect.APT}
	inv, err := scan.QueryInventory(context.Background(), run.NewReplay(rec), debian,
		scan.WithRootDir("/tmp/pm-testbed/apt-private"))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The testbed's packages are all Architecture: all, which tells no
	// architecture.
	fmt.Printf("%s %q %d packages\n", inv.Backend, inv.Arch, len(inv.Packages))
	for _, p := range inv.Packages {
		fmt.Println(p.QualifiedName(), p.EVR(), p.State)
	}
	// Output:
	// dpkg "" 5 packages
	// tb-hello:all 1.0-1 installed
	// tb-kernel:all 1.0-1 installed
	// tb-lib:all 1:2.0-1 installed
	// tb-multi:all 1.0-1 installed
	// tb-tool:all 3.0-1 installed
}
