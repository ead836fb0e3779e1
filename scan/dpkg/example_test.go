package dpkg_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// Read the database of a root file system: here a copy of a database
// captured from a testbed where real dpkg left packages in several states.
func ExampleRead() {
	root := os.DirFS("../../testdata/dpkg/db/testbed-states")
	pkgs, err := dpkg.Read(context.Background(), root, dpkg.WithAdmindir("."))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range pkgs {
		if p.State != patchkit.StateInstalled {
			fmt.Println(p.QualifiedName(), p.EVR(), p.State, p.Want)
		}
	}
	// Output:
	// tb-cf:all 4.0-1 config-files deinstall
	// tb-failpost:amd64 2.0 half-configured install
	// tb-rmfail:all 5.0 half-installed deinstall
	// tb-slow:all 13.0-1 half-configured install
	// tb-trigact:all 7.0 triggers-awaited install
	// tb-trigint:all 6.0 triggers-pending install
	// tb-unpack:amd64 1:3.0-2 unpacked install
}

// Stream the packages of one status file.
func ExampleParseStatus() {
	status := `Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Description: GNU C Library: Shared libraries

Package: bash
Status: hold ok installed
Architecture: amd64
Version: 5.2.15-2+b2
Source: bash (5.2.15-2)
Maintainer: Matthias Klose <doko@debian.org>
Description: GNU Bourne Again SHell
`
	err := dpkg.ParseStatus(context.Background(), "status", strings.NewReader(status), func(p patchkit.Package) error {
		fmt.Printf("%s %s %s source=%s %s multiarch=%q\n", p.QualifiedName(), p.EVR(), p.Want, p.SourceName, p.SourceVersion, p.MultiArch)
		return nil
	})
	fmt.Println(err)
	// Output:
	// libc6:amd64 2.36-9+deb12u4 install source=glibc 2.36-9+deb12u4 multiarch="same"
	// bash:amd64 5.2.15-2+b2 hold source=bash 5.2.15-2 multiarch=""
	// <nil>
}

// Query a live system through a runner; here a recording of a real
// dpkg-query run replays it.
func ExampleQuery() {
	b, err := os.ReadFile("../../testdata/dpkg/query/debian-13-minbase.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := run.ParseRecording("debian-13-minbase.txt", b)
	if err != nil {
		fmt.Println(err)
		return
	}
	pkgs, err := dpkg.Query(context.Background(), run.NewReplay(rec),
		dpkg.QueryAdmindir("/tmp/patchkit-dpkg-testdata/db/debian-13-minbase"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(pkgs), pkgs[0].QualifiedName(), pkgs[0].EVR())
	// Output:
	// 78 apt:amd64 3.0.4
}

// Parse dpkg-query output captured elsewhere.
func ExampleParseQuery() {
	out := "openssl\tamd64\t3.0.17-1~deb12u2\tinstall\tok\tinstalled\tno\toptional\tutils\topenssl\t3.0.17-1~deb12u2\t1747728000\n"
	pkgs, err := dpkg.ParseQuery([]byte(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := pkgs[0]
	fmt.Println(p.Name, p.Arch, p.Version, p.Release, p.State, p.InstallTime.Format("2006-01-02"))
	// Output:
	// openssl amd64 3.0.17 1~deb12u2 installed 2025-05-20
}
