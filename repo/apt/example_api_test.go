package apt_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing/fstest"

	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/apt"
)

// The test archive's Release (testdata/SOURCES.md).
const apiRelease = "../../testdata/repo/apt/v1/dists/stable/Release"

// Strong picks the checksum a download is verified with; a file listed
// with MD5Sum or SHA1 only has none apt accepts.
func ExampleFileInfo_Strong() {
	data, err := os.ReadFile(apiRelease)
	if err != nil {
		fmt.Println(err)
		return
	}
	rel, err := apt.ParseRelease("Release", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	alg, sum, ok := rel.Files["main/binary-amd64/Packages.xz"].Strong()
	fmt.Println(alg, len(sum), ok)

	old, err := apt.ParseRelease("Release", []byte("Origin: Old\nSuite: stable\nDate: Sat, 01 Jan 2011 00:00:00 UTC\n"+
		"MD5Sum:\n 6b55cece1fc0490e954a26dc7a23c38f 2368 main/binary-amd64/Packages\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fi := old.Files["main/binary-amd64/Packages"]
	_, _, ok = fi.Strong()
	fmt.Println(fi.Weak, ok)
	// Output:
	// SHA512 128 true
	// true false
}

// A Packages record becomes a patchkit.Package, with the repository as apt
// prints its origin.
func ExamplePackage_ToPatchkit() {
	data, err := os.ReadFile(apiRelease)
	if err != nil {
		fmt.Println(err)
		return
	}
	rel, err := apt.ParseRelease("Release", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := os.Open("../../testdata/repo/apt/v1/dists/stable/main/binary-amd64/Packages")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	for p, err := range apt.ParsePackages("Packages", f, apt.ParseOptions{Origin: rel.OriginInfo()}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		q, err := p.ToPatchkit()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(q.QualifiedName(), q.EVR(), q.SourceName, q.Repository, q.Priority)
	}
	// Output:
	// pk-doc:all 3.0-1 pk-doc Patchkit:stable optional
	// pk-hello:amd64 1.0-1 pk-hello Patchkit:stable optional
	// pk-lib-dev:amd64 1:2.0-1 pk-src Patchkit:stable optional
	// pk-lib:amd64 1:2.0-1 pk-src Patchkit:stable optional
}

// A flat repository (a suite that is a path ending in "/") has no dists/
// tree and no components.
func ExampleRepo_Flat() {
	srcs, err := repo.ParseSourcesList("sources.list", strings.NewReader(
		"deb [arch=amd64 trusted=yes] http://deb.example/debian stable main\n"+
			"deb [arch=amd64 trusted=yes] http://builds.example/nightly ./\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, src := range srcs {
		repos, err := apt.ReposFromSource(context.Background(), fstest.MapFS{}, src)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, r := range repos {
			fmt.Println(r.Name(), r.Flat(), r.Components)
		}
	}
	// Output:
	// http://deb.example/debian stable false [main]
	// http://builds.example/nightly ./ true []
}
