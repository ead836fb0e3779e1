package rpmdb_test

import (
	"context"
	"fmt"
	"testing/fstest"

	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/scan/rpmdb"
)

// Read the rpm database of a root file system: here a real Rocky Linux 9.2
// database (kept compressed in the project's test data) placed where the
// distribution keeps it.
func ExampleRead() {
	data, err := decompress.ReadFile("../../testdata/rpmdb/sqlite/rockylinux-9.2/rpmdb.sqlite.zst", decompress.Zstd, decompress.Limits{Output: 64 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	root := fstest.MapFS{"var/lib/rpm/rpmdb.sqlite": {Data: data}}
	db, pkgs, err := rpmdb.Read(context.Background(), root)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(db.Path, db.Format, len(pkgs))
	for _, p := range pkgs {
		if p.Name == "bash" {
			fmt.Println(p.NEVRA(), p.SourceName, p.Epoch.Known())
		}
	}
	// Output:
	// var/lib/rpm/rpmdb.sqlite sqlite 141
	// bash-5.1.8-6.el9_1.x86_64 bash false
}

// The same list from rpm itself, for the live host or a root (rpm --root).
func ExampleQueryCommand() {
	c, err := rpmdb.QueryCommand(rpmdb.WithRoot("/srv/image"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Argv()[:4])
	// Output:
	// [/usr/bin/rpm --root /srv/image -qa]
}

// Headers walks the raw header blobs, for tags Read does not turn into
// packages (provides, the keys of gpg-pubkey headers); here it counts them.
func ExampleHeaders() {
	data, err := decompress.ReadFile("../../testdata/rpmdb/sqlite/rockylinux-9.2/rpmdb.sqlite.zst", decompress.Zstd, decompress.Limits{Output: 64 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	root := fstest.MapFS{"var/lib/rpm/rpmdb.sqlite": {Data: data}}
	db, err := rpmdb.Find(root)
	if err != nil {
		fmt.Println(err)
		return
	}
	var first string
	n := 0
	err = rpmdb.Headers(context.Background(), root, db, func(where string, blob []byte) error {
		if n == 0 {
			first = where
		}
		n++
		return nil
	})
	fmt.Println(n, first, err)
	// Output:
	// 141 Packages row 1 <nil>
}
