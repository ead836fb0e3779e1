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

// Ask the package manager itself, through a runner: here the local one on
// this host. An embedder passes its own run.Runner to go through sudo,
// SSH or a container.
func ExampleQueryInventory() {
	host, err := osdetect.Detect(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := run.NewLocal()
	if err != nil {
		fmt.Println(err)
		return
	}
	inv, err := scan.QueryInventory(context.Background(), l, host)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(inv.Packages) > 0)
}
