package patchkit_test

import (
	"errors"
	"fmt"

	"github.com/patchkit/patchkit"
)

// A package read from an advisory may leave the epoch out; one read from
// the rpm database knows it. They are not compared as if both were 0.
func ExamplePackage_CompareVersion() {
	fromDB, _ := patchkit.ParseNEVRA("openssl-libs-1:3.0.8-1.amzn2023.0.10.x86_64")
	fromAdvisory, _ := patchkit.ParseNEVRA("openssl-libs-3.0.8-1.amzn2023.0.14.x86_64")
	_, err := fromDB.CompareVersion(fromAdvisory)
	fmt.Println(errors.Is(err, patchkit.ErrEpochUnknown))

	fromAdvisory.Epoch = patchkit.EpochOf(1)
	c, err := fromDB.CompareVersion(fromAdvisory)
	fmt.Println(c, err)
	// Output:
	// true
	// -1 <nil>
}

func ExampleEpochOf() {
	p := patchkit.Package{Name: "bash", Version: "5.2.15", Release: "2.amzn2023.0.2", Arch: "x86_64", Scheme: patchkit.RPM}
	fmt.Println(p.NEVRA(), p.Epoch.Known())
	p.Epoch = patchkit.EpochOf(0)
	fmt.Println(p.NEVRA(), p.Epoch.Known())
	// Output:
	// bash-5.2.15-2.amzn2023.0.2.x86_64 false
	// bash-0:5.2.15-2.amzn2023.0.2.x86_64 true
}

func ExampleParseNEVR() {
	p, err := patchkit.ParseNEVR("kernel-6.1.158-180.294.amzn2023")
	fmt.Println(p.Name, p.Version, p.Release, p.Arch == "", err)
	p, err = patchkit.ParseNEVR("1:dbus-1.12.28-1.amzn2023.0.1")
	fmt.Println(p.Name, p.EVR(), err)
	// Output:
	// kernel 6.1.158 180.294.amzn2023 true <nil>
	// dbus 1:1.12.28-1.amzn2023.0.1 <nil>
}

func ExampleParseAdvisoryType() {
	t, err := patchkit.ParseAdvisoryType("BugFix")
	fmt.Println(t, t.Classification(), err)
	_, err = patchkit.ParseAdvisoryType("hotfix")
	fmt.Println(errors.Is(err, patchkit.ErrInvalid), err)
	// Output:
	// bugfix Bugfix <nil>
	// true unknown AdvisoryType "hotfix"
}

func ExampleComplianceLevels() {
	fmt.Println(patchkit.ComplianceLevels())
	// Output:
	// [UNSPECIFIED INFORMATIONAL LOW MEDIUM HIGH CRITICAL]
}

func ExampleOperatingSystems() {
	for _, os := range patchkit.OperatingSystems()[:3] {
		fmt.Println(os)
	}
	fmt.Println(len(patchkit.OperatingSystems()), "values")
	// Output:
	// WINDOWS
	// AMAZON_LINUX
	// AMAZON_LINUX_2
	// 15 values
}

func ExampleParseOperatingSystem() {
	os, err := patchkit.ParseOperatingSystem("AMAZON_LINUX_2023")
	fmt.Println(os, err)
	_, err = patchkit.ParseOperatingSystem("ubuntu")
	fmt.Println(err)
	// Output:
	// AMAZON_LINUX_2023 <nil>
	// unknown OperatingSystem "ubuntu"
}

func ExampleParseVersionScheme() {
	s, err := patchkit.ParseVersionScheme("deb")
	fmt.Println(s, err, s.Compare("1.0~rc1", "1.0"))
	_, err = patchkit.ParseVersionScheme("apk")
	fmt.Println(err)
	// Output:
	// deb <nil> -1
	// unknown VersionScheme "apk"
}

func ExampleValidateName() {
	fmt.Println(patchkit.ValidateName(patchkit.Deb, "libc6"))
	fmt.Println(patchkit.ValidateName(patchkit.Deb, "-oAPT::Get=1"))
	fmt.Println(patchkit.ValidateName(patchkit.RPM, "python3.11-pip"))
	// Output:
	// <nil>
	// invalid deb package name "-oAPT::Get=1": does not start with a letter or digit
	// <nil>
}

func ExampleValidateArch() {
	fmt.Println(patchkit.ValidateArch(patchkit.RPM, "x86_64"))
	fmt.Println(patchkit.ValidateArch(patchkit.Deb, "x86_64"))
	fmt.Println(patchkit.ValidateArch(patchkit.Deb, "arm64"))
	// Output:
	// <nil>
	// invalid deb architecture "x86_64": contains '_'
	// <nil>
}
