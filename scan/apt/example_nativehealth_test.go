package apt_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit/scan/apt"
)

// A native scan's repository health: apt reads the lists apt update
// stored, whatever has become of them since, so NativeHealth judges the
// same lists as Updates does (each Release verified and dated; no
// Packages file read) and leaves out what only a repository that is not OK
// offers. Here the versions apt printed for the testbed's private root
// (replayed), and a root where testbed-updates' Release is gone from the
// lists (its two suites beside it are trusted=yes, so unsigned).
func ExampleNativeHealth() {
	replay, installed := recordedRun("testbed-private-allversions", "apt-get", "apt-cache-policy", "apt-cache-policy2", "apt-cache")
	patches, err := apt.NativeUpdates(context.Background(), replay, installed, apt.NativeAllVersions(true), apt.NativeDescribe(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	root := fstest.MapFS{"etc/apt/sources.list": {Data: []byte(
		"deb [trusted=yes] http://127.0.0.1:18080 testbed main\n" +
			"deb [trusted=yes] http://127.0.0.1:18080 testbed-updates main\n" +
			"deb [trusted=yes] http://127.0.0.1:18080 testbed-security main\n")}}
	packages := "Package: tb-hello\nVersion: 1.0-1\nArchitecture: all\nFilename: pool/main/t/tb-hello_1.0-1_all.deb\n"
	sum := sha256.Sum256([]byte(packages))
	for suite, label := range map[string]string{"testbed": "Testbed", "testbed-security": "Testbed-Security"} {
		lists := "var/lib/apt/lists/127.0.0.1:18080_dists_" + suite + "_"
		root[lists+"Release"] = &fstest.MapFile{Data: []byte("Label: " + label + "\nSuite: " + suite +
			"\nDate: Mon, 30 Nov 2026 18:32:35 UTC\nArchitectures: amd64\nComponents: main\nSHA256:\n " +
			hex.EncodeToString(sum[:]) + fmt.Sprintf(" %d main/binary-amd64/Packages\n", len(packages)))}
		root[lists+"main_binary-amd64_Packages"] = &fstest.MapFile{Data: []byte(packages)}
	}
	now := time.Date(2026, 11, 30, 19, 0, 0, 0, time.UTC)
	kept, statuses, err := apt.NativeHealth(context.Background(), root, patches, apt.WithArch("x86_64"), apt.WithNow(now))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range statuses {
		fmt.Println(s.Name, s.Health)
	}
	fmt.Println(len(patches), "versions apt offers,", len(kept), "kept:")
	for _, p := range kept {
		fmt.Println(" ", p.Name, p.EVR(), p.Repository)
	}
	// Output:
	// http://127.0.0.1:18080 testbed OK
	// http://127.0.0.1:18080 testbed-updates UNREADABLE
	// http://127.0.0.1:18080 testbed-security OK
	// 6 versions apt offers, 3 kept:
	//   tb-kernel 1.1-1 Testbed-Security:testbed-security
	//   tb-lib 1:2.0-2 Testbed-Security:testbed-security
	//   tb-multi 1.2-1 Testbed-Security:testbed-security
}

// With NativeReadOnly apt keeps its binary caches in memory and writes no
// planner log: a scan changes nothing on the node.
func ExampleNativeReadOnly() {
	c, err := apt.SimulateCommand(apt.NativeReadOnly(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c)
	// Output:
	// /usr/bin/apt-get -o Debug::NoLocking=1 -o quiet=1 -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Dir::Log::Planner= -s -o APT::Get::Show-Upgraded=true --ignore-hold dist-upgrade
}
