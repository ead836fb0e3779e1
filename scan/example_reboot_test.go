package scan_test

import (
	"context"
	"fmt"
	"os"
	"testing/fstest"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan"
)

// A root that systemd booted inside systemd-nspawn (the files systemd and
// nspawn left in its /run, testdata/reboot/nspawn): the evidence names the
// manager, and the kernel signal does not apply, whatever kernels are
// installed.
func ExampleContainerSignal() {
	inv := scan.Inventory{Backend: scan.Dpkg, Packages: []patchkit.Package{
		{Name: "linux-image-6.1.0-18-amd64", Version: "6.1.76", Release: "1", Scheme: patchkit.Deb, State: patchkit.StateInstalled},
	}}
	r, err := scan.PendingReboot(context.Background(), os.DirFS("../testdata/reboot/nspawn"), inv,
		scan.HostFacts{KernelRelease: "6.1.0-17-amd64"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range r.ContainerSignals {
		fmt.Println(s.Source, s.Manager)
	}
	fmt.Println(r.Required, r.Skipped)
	// Output:
	// run/systemd/container systemd-nspawn
	// run/host/container-manager systemd-nspawn
	// false [newer-kernel: a container runs its host's kernel]
}

// The newer-kernel signal orders versions as the package scheme does: a
// SUSE kernel-default whose rebuild counter uname -r leaves out is found
// running, and the newer one installed beside it asks for a reboot.
func ExamplePendingReboot_newerKernel() {
	k := func(rel string) patchkit.Package {
		return patchkit.Package{Name: "kernel-default", Version: "5.14.21", Release: rel, Arch: "x86_64",
			Scheme: patchkit.RPM, State: patchkit.StateInstalled}
	}
	inv := scan.Inventory{Backend: scan.RPM, Packages: []patchkit.Package{k("150500.55.39.1"), k("150500.55.44.1")}}
	for _, running := range []string{"5.14.21-150500.55.39-default", "5.14.21-150500.55.44-default"} {
		r, err := scan.PendingReboot(context.Background(), fstest.MapFS{}, inv,
			scan.HostFacts{KernelRelease: running})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(running, r.Required)
		for _, x := range r.Reasons {
			fmt.Println(" ", x.Detail)
		}
	}
	// Output:
	// 5.14.21-150500.55.39-default true
	//   installed kernel kernel-default-5.14.21-150500.55.44.1.x86_64 is newer than the running 5.14.21-150500.55.39-default (kernel-default-5.14.21-150500.55.39.1.x86_64)
	// 5.14.21-150500.55.44-default false
}
