package patchkit_test

import (
	"encoding/json"
	"fmt"

	"github.com/patchkit/patchkit"
)

// The package manager writes a package's name with its architecture in its
// own way: dpkg as name:arch, rpm as name.arch.
func ExamplePackage_QualifiedName() {
	deb, _ := patchkit.ParseDpkg("libc6:amd64", "2.36-9+deb12u10")
	rpm, _ := patchkit.ParseNEVRA("bash-5.2.15-2.amzn2023.0.2.x86_64")
	noArch := patchkit.Package{Name: "tzdata", Version: "2025b", Release: "0+deb12u1", Scheme: patchkit.Deb}
	for _, p := range []patchkit.Package{deb, rpm, noArch} {
		fmt.Println(p.QualifiedName())
	}
	// Output:
	// libc6:amd64
	// bash.x86_64
	// tzdata
}

// An rpm NEVRA without an epoch leaves it unknown; dpkg defines a missing
// epoch as 0. An unknown epoch is left out of the JSON form.
func ExampleEpoch_Value() {
	rpm, _ := patchkit.ParseNEVRA("openssl-libs-3.0.8-1.amzn2023.0.14.x86_64")
	deb, _ := patchkit.ParseDpkg("openssl", "3.0.15-1~deb12u1")
	for _, p := range []patchkit.Package{rpm, deb} {
		n, known := p.Epoch.Value()
		fmt.Println(p.Name, n, known, p.Epoch.IsZero())
	}
	out, _ := json.Marshal(struct {
		Epoch patchkit.Epoch `json:",omitzero"`
	}{rpm.Epoch})
	fmt.Println(string(out))
	// Output:
	// openssl-libs 0 false true
	// openssl 0 true false
	// {}
}

// dpkg keeps a package it did not finish configuring as half-configured:
// its files are there, and dpkg --configure -a has work left to do.
func ExampleInstallState() {
	for _, s := range []patchkit.InstallState{
		patchkit.StateInstalled, patchkit.StateHalfConfigured, patchkit.StateHalfInstalled,
		patchkit.StateConfigFiles, "purged",
	} {
		fmt.Printf("%-16s valid=%-5v files=%-5v repair=%v\n", s, s.Valid(), s.FilesPresent(), s.NeedsRepair())
	}
	// Output:
	// installed        valid=true  files=true  repair=false
	// half-configured  valid=true  files=true  repair=true
	// half-installed   valid=true  files=false repair=true
	// config-files     valid=true  files=false repair=false
	// purged           valid=false files=false repair=false
}

// OperatingSystem values are Patch Manager's names; a value built by
// conversion is checked with Valid, one read from text with
// ParseOperatingSystem.
func ExampleOperatingSystem_Valid() {
	fmt.Println(patchkit.OSDebian.Valid(), patchkit.OperatingSystem("Debian").Valid())
	os, err := patchkit.ParseOperatingSystem("AMAZON_LINUX_2023")
	fmt.Println(os, os.Valid(), err)
	// Output:
	// true false
	// AMAZON_LINUX_2023 true <nil>
}
