package rpmdb_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/scan/rpmdb"
)

// An image kept as an archive: the files of a zip.Reader cannot be read at
// an offset, so Read copies the database into a private file in the
// temporary directory and removes it before it returns. WithMaxSize bounds
// what it is willing to read (and copy). The database is a real Berkeley
// DB Packages file (testdata/SOURCES.md).
func ExampleWithTempDir() {
	data, err := decompress.ReadFile("../../testdata/rpmdb/bdb/hello-epoch.Packages.zst", decompress.Zstd, decompress.Limits{Output: 64 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	var archive bytes.Buffer
	zw := zip.NewWriter(&archive)
	w, err := zw.Create("var/lib/rpm/Packages")
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	image, err := zip.NewReader(bytes.NewReader(archive.Bytes()), int64(archive.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	tmp, err := os.MkdirTemp("", "rpmdb-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(tmp)

	ctx := context.Background()
	db, pkgs, err := rpmdb.Read(ctx, image, rpmdb.WithTempDir(tmp), rpmdb.WithMaxSize(1<<20))
	if err != nil {
		fmt.Println(err)
		return
	}
	left, err := os.ReadDir(tmp)
	fmt.Println(db.Format, db.Path, len(left), err)
	for _, p := range pkgs {
		fmt.Println(p.NEVRA())
	}

	// The copy needs the directory: one that does not exist fails the read.
	_, _, err = rpmdb.Read(ctx, image, rpmdb.WithTempDir(filepath.Join(tmp, "missing")))
	fmt.Println(errors.Is(err, fs.ErrNotExist))

	_, _, err = rpmdb.Read(ctx, image, rpmdb.WithTempDir(tmp), rpmdb.WithMaxSize(4096))
	fmt.Println(err)
	// Output:
	// bdb var/lib/rpm/Packages 0 <nil>
	// hello-1:0.0.1-rls.x86_64
	// true
	// rpmdb: var/lib/rpm/Packages (bdb): open var/lib/rpm/Packages: rpmdb: database file is larger than the limit: 20480 bytes, limit 4096
}

// rpm installed elsewhere than /usr/bin (a toolbox, a build of a newer
// rpm that reads a newer database format) is named by its absolute path.
func ExampleWithRPM() {
	c, err := rpmdb.QueryCommand(rpmdb.WithRPM("/opt/rpm-4.19/bin/rpm"), rpmdb.WithRoot("/srv/image"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Argv()[:4])
	_, err = rpmdb.QueryCommand(rpmdb.WithRPM("rpm"))
	fmt.Println(err)
	// Output:
	// [/opt/rpm-4.19/bin/rpm --root /srv/image -qa]
	// rpmdb: WithRPM("rpm"): not an absolute path
}
