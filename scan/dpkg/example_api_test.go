package dpkg_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dpkg"
)

// dpkg-query from elsewhere than /usr/bin, e.g. inside a toolbox, is named
// by its absolute path.
func ExampleQueryProgram() {
	c, err := dpkg.QueryCommand(dpkg.QueryProgram("/opt/toolbox/usr/bin/dpkg-query"), dpkg.QueryAdmindir("/srv/image/var/lib/dpkg"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Argv()[:3])
	_, err = dpkg.QueryCommand(dpkg.QueryProgram("dpkg-query"))
	fmt.Println(err)
	// Output:
	// [/opt/toolbox/usr/bin/dpkg-query --admindir=/srv/image/var/lib/dpkg --show]
	// dpkg: QueryProgram("dpkg-query"): not an absolute path
}

// A status file with a line longer than the bound fails with a
// *ParseError naming the file and line, never with a shorter list. The
// database is a real Debian 12 one (testdata/SOURCES.md), whose perl-base
// lists its Provides on one line of 2004 bytes.
func ExampleWithMaxLine() {
	root := os.DirFS("../../testdata/dpkg/db/debian-12-minbase")
	pkgs, err := dpkg.Read(context.Background(), root, dpkg.WithAdmindir("."), dpkg.WithMaxLine(4096))
	fmt.Println(len(pkgs), err)
	pkgs, err = dpkg.Read(context.Background(), root, dpkg.WithAdmindir("."), dpkg.WithMaxLine(1024))
	var pe *dpkg.ParseError
	fmt.Println(len(pkgs), errors.As(err, &pe), errors.Is(err, patchkit.ErrInvalid))
	fmt.Println(err)
	_, err = dpkg.Read(context.Background(), root, dpkg.WithMaxLine(79))
	fmt.Println(err)
	// Output:
	// 96 <nil>
	// 0 true true
	// dpkg database status line 1917: line longer than 1024 bytes (dpkg reads this; patchkit refuses it)
	// dpkg: WithMaxLine(79): the bound must be at least 80 bytes
}
