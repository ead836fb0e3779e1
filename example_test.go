package patchkit_test

import (
	"errors"
	"fmt"
	"slices"

	"github.com/patchkit/patchkit"
)

// Sort versions the way the package managers do.
func ExampleVersionScheme_Compare() {
	rpms := []string{"1:2.34.1-15.el9_2.10", "2.34.1-15.el9", "1:2.34.1-15.el9_2.3", "1:2.34.1~rc1-1"}
	slices.SortFunc(rpms, patchkit.RPM.Compare)
	fmt.Println(rpms)

	debs := []string{"2.36-9+deb12u10", "2.36-9", "2.36-9+deb12u4", "2.36~rc1-1"}
	slices.SortFunc(debs, patchkit.Deb.Compare)
	fmt.Println(debs)
	// Output:
	// [2.34.1-15.el9 1:2.34.1~rc1-1 1:2.34.1-15.el9_2.3 1:2.34.1-15.el9_2.10]
	// [2.36~rc1-1 2.36-9 2.36-9+deb12u4 2.36-9+deb12u10]
}

func ExampleVersionScheme_Validate() {
	err := patchkit.Deb.Validate("1:")
	var ve *patchkit.VersionError
	fmt.Println(errors.As(err, &ve), ve.Reason)
	fmt.Println(errors.Is(err, patchkit.ErrInvalid))
	// Output:
	// true nothing after colon in version number
	// true
}

func ExampleParseNEVRA() {
	p, err := patchkit.ParseNEVRA("dbus-1:1.12.28-1.amzn2023.0.1.x86_64")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Name, p.Epoch, p.Version, p.Release, p.Arch)

	_, err = patchkit.ParseNEVRA("dbus-1.12.28")
	fmt.Println(err)
	// Output:
	// dbus 1 1.12.28 1.amzn2023.0.1 x86_64
	// invalid rpm NEVRA "dbus-1.12.28": version: missing (no second '-')
}

func ExampleParseDpkg() {
	installed, _ := patchkit.ParseDpkg("libc6:amd64", "2.36-9+deb12u4")
	candidate, _ := patchkit.ParseDpkg("libc6:amd64", "2.36-9+deb12u10")
	c, err := installed.CompareVersion(candidate)
	fmt.Println(installed.EVR(), c, err)
	// Output:
	// 2.36-9+deb12u4 -1 <nil>
}

func ExampleParseComplianceLevel() {
	a, _ := patchkit.ParseComplianceLevel("MEDIUM")
	b, _ := patchkit.ParseComplianceLevel("CRITICAL")
	fmt.Println(max(a, b))
	_, err := patchkit.ParseComplianceLevel("Severe")
	fmt.Println(err)
	// Output:
	// CRITICAL
	// unknown ComplianceLevel "Severe"
}
