package apt_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/apt"
)

// A root with one repository (unsigned, so marked trusted=yes in its
// sources) whose -security suite has a newer curl, and a preference that
// keeps a package from being upgraded.
func ExampleUpdates() {
	packages := "Package: curl\nVersion: 7.88.1-10+deb12u8\nArchitecture: amd64\nPriority: optional\nSection: web\n" +
		"Filename: pool/c/curl_7.88.1-10+deb12u8_amd64.deb\n\n" +
		"Package: tzdata\nVersion: 2025b-0+deb12u1\nArchitecture: all\nPriority: required\nSection: localization\n" +
		"Filename: pool/t/tzdata_2025b-0+deb12u1_all.deb\n"
	sum := sha256.Sum256([]byte(packages))
	release := "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nCodename: bookworm-security\nVersion: 12\n" +
		"Date: Sat, 01 Nov 2025 00:00:00 UTC\nArchitectures: amd64\nComponents: main\nSHA256:\n " +
		hex.EncodeToString(sum[:]) + fmt.Sprintf(" %d main/binary-amd64/Packages\n", len(packages))
	lists := "var/lib/apt/lists/security.debian.org_debian-security_dists_bookworm-security_"
	root := fstest.MapFS{
		"etc/apt/sources.list":               {Data: []byte("deb [trusted=yes] http://security.debian.org/debian-security bookworm-security main\n")},
		"etc/apt/preferences.d/tzdata":       {Data: []byte("Package: tzdata\nPin: version 2025b*\nPin-Priority: -1\n")},
		lists + "Release":                    {Data: []byte(release)},
		lists + "main_binary-amd64_Packages": {Data: []byte(packages)},
	}
	installed := []patchkit.Package{}
	for _, p := range [][3]string{{"curl", "amd64", "7.88.1-10+deb12u7"}, {"tzdata", "all", "2025a-0+deb12u1"}} {
		pkg, _ := patchkit.ParseDpkg(p[0]+":"+p[1], p[2])
		pkg.State = patchkit.StateInstalled
		installed = append(installed, pkg)
	}
	now := time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC)
	patches, statuses, err := apt.Updates(context.Background(), root, installed,
		apt.WithArch("x86_64"), apt.WithNow(now), apt.WithProduct("Debian12"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range statuses {
		fmt.Println(s.Name, s.Health, "verified:", s.Verified)
	}
	for _, p := range patches {
		fmt.Println(p.Name, p.EVR(), p.Repository, p.Classification, p.Priority, "candidate:", p.Candidate)
	}
	// Output:
	// http://security.debian.org/debian-security bookworm-security OK verified: false
	// curl 7.88.1-10+deb12u8 Debian-Security:12/stable-security Security optional candidate: true
	// tzdata 2025b-0+deb12u1 Debian-Security:12/stable-security Security required candidate: false
}

// Replaying what dpkg-query and apt-get -s printed on the testbed's
// private root.
func ExampleNativeUpdates() {
	replay, installed := recordedRun("testbed-private", "apt-get")
	patches, err := apt.NativeUpdates(context.Background(), replay, installed,
		apt.NativeAptConfig("/tmp/pm-testbed/apt-private/apt.conf"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		fmt.Println(p.Name, p.EVR(), p.Repository, p.Security)
	}
	// Output:
	// tb-hello 1.1-1 Testbed:testbed-updates false
	// tb-kernel 1.1-1 Testbed-Security:testbed-security true
	// tb-lib 1:2.0-2 Testbed-Security:testbed-security true
	// tb-multi 1.3-1 Testbed:testbed-updates false
}

func ExampleParseSimulation() {
	out := "The following packages will be upgraded:\n  libgcrypt20\n" +
		"1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n" +
		"Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64]) []\n" +
		"Conf libgcrypt20 (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])\n"
	sim, err := apt.ParseSimulation([]byte(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("consistent:", sim.Check() == nil)
	a := sim.Actions[0]
	fmt.Println(a.Kind, a.Name, a.Old, "->", a.New, a.Arch, a.Upgrade())
	for _, o := range a.Origins {
		fmt.Printf("%s: label %q, version %q, archive %q\n", o.Text, o.Label, o.Version, o.Archive)
	}
	// Output:
	// consistent: true
	// Inst libgcrypt20 1.10.1-3 -> 1.10.1-3+deb12u1 amd64 true
	// Debian:12.15/oldstable: label "Debian", version "12.15", archive "oldstable"
	// Debian-Security:12/oldstable-security: label "Debian-Security", version "12", archive "oldstable-security"
}

func ExampleParseCachePolicy() {
	out := "tb-multi:\n  Installed: 1.0-1\n  Candidate: 1.3-1\n  Version table:\n" +
		"     1.3-1 500\n        500 http://127.0.0.1:18080 testbed-updates/main amd64 Packages\n" +
		" *** 1.0-1 500\n        500 http://127.0.0.1:18080 testbed/main amd64 Packages\n" +
		"        100 /var/lib/dpkg/status\n"
	pols, err := apt.ParseCachePolicy([]byte(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := pols[0]
	fmt.Println(p.Name, "installed", p.Installed, "candidate", p.Candidate)
	for _, v := range p.Versions {
		for _, s := range v.Sources {
			fmt.Println(v.Version, v.Priority, s.Priority, s.Dist(), s.Status())
		}
	}
	// Output:
	// tb-multi installed 1.0-1 candidate 1.3-1
	// 1.3-1 500 500 testbed-updates false
	// 1.0-1 500 500 testbed false
	// 1.0-1 500 100  true
}

func ExampleSimulateCommand() {
	c, err := apt.SimulateCommand(apt.NativeAptConfig("/srv/node/apt.conf"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Env, c)
	// Output:
	// [LC_ALL=C LANG=C LANGUAGE= APT_CONFIG=/srv/node/apt.conf] /usr/bin/apt-get -o Debug::NoLocking=1 -o quiet=1 -s -o APT::Get::Show-Upgraded=true --ignore-hold dist-upgrade
}

// Every version the repositories offer of a package that is not
// installed goes to the callback, classified as an update would be: here
// the inventory has curl, so only tzdata's versions (one offered by both
// suites) are passed, in version order.
func ExampleWithNotInstalled() {
	lists := "var/lib/apt/lists/"
	root := fstest.MapFS{
		"etc/apt/sources.list": {Data: []byte("deb [trusted=yes] http://deb.debian.org/debian bookworm main\n" +
			"deb [trusted=yes] http://security.debian.org/debian-security bookworm-security main\n")},
	}
	suite := func(prefix, release, packages string) {
		sum := sha256.Sum256([]byte(packages))
		root[lists+prefix+"Release"] = &fstest.MapFile{Data: []byte(release + "Date: Sat, 01 Nov 2025 00:00:00 UTC\n" +
			"Architectures: amd64\nComponents: main\nSHA256:\n " + hex.EncodeToString(sum[:]) +
			fmt.Sprintf(" %d main/binary-amd64/Packages\n", len(packages)))}
		root[lists+prefix+"main_binary-amd64_Packages"] = &fstest.MapFile{Data: []byte(packages)}
	}
	suite("deb.debian.org_debian_dists_bookworm_",
		"Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nVersion: 12.12\n",
		"Package: curl\nVersion: 7.88.1-10+deb12u12\nArchitecture: amd64\nPriority: optional\nSection: web\n\n"+
			"Package: tzdata\nVersion: 2025b-0+deb12u1\nArchitecture: all\nPriority: required\nSection: localization\n\n"+
			"Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\nPriority: required\nSection: localization\n")
	suite("security.debian.org_debian-security_dists_bookworm-security_",
		"Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nCodename: bookworm-security\nVersion: 12\n",
		"Package: tzdata\nVersion: 2025b-0+deb12u1\nArchitecture: all\nPriority: required\nSection: localization\n")
	curl, _ := patchkit.ParseDpkg("curl:amd64", "7.88.1-10+deb12u12")
	curl.State = patchkit.StateInstalled
	now := time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC)
	_, _, err := apt.Updates(context.Background(), root, []patchkit.Package{curl},
		apt.WithArch("x86_64"), apt.WithNow(now), apt.WithProduct("Debian12"),
		apt.WithNotInstalled(func(p patchkit.Patch) {
			fmt.Println(p.Name, p.Arch, p.EVR(), p.Repository, p.Classification, "candidate:", p.Candidate)
		}))
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// tzdata all 2024a-0+deb12u1 Debian:12.12/stable  candidate: false
	// tzdata all 2025b-0+deb12u1 Debian:12.12/stable, Debian-Security:12/stable-security Security candidate: false
}
