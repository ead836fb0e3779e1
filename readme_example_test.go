package patchkit_test

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
)

// Example_tour is the code sample of README.md; TestReadmeTour keeps the two
// the same.
func Example_tour() {
	// Which system is this, in Patch Manager's terms?
	host, err := osdetect.Detect(context.Background())
	if err == nil {
		fmt.Fprintln(os.Stderr, "this host:", host.OperatingSystem(), host.Product(), host.PackageManager)
	}

	// The same for an image or a chroot, through io/fs.
	img, err := osdetect.DetectFS(os.DirFS("testdata/osdetect/amzn-2023"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.OperatingSystem(), img.Product(), img.PackageManager)

	// Versions ordered exactly as rpm and dpkg order them, without allocating.
	evrs := []string{"1:2.34.1-15.el9_2.10", "1:2.34.1-15.el9_2.3", "1:2.34.1~rc1-1"}
	slices.SortFunc(evrs, patchkit.RPM.Compare)
	fmt.Println(evrs)

	// Packages with typed parse errors, and epochs that may be unknown.
	p, err := patchkit.ParseNEVRA("dbus-1:1.12.28-1.amzn2023.0.1.x86_64")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Name, p.EVR(), p.Arch)
	// Output:
	// AMAZON_LINUX_2023 AmazonLinux2023 dnf
	// [1:2.34.1~rc1-1 1:2.34.1-15.el9_2.3 1:2.34.1-15.el9_2.10]
	// dbus 1:1.12.28-1.amzn2023.0.1 x86_64
}
