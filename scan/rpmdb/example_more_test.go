package rpmdb_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"testing/fstest"

	"github.com/klauspost/compress/zstd"

	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// Find the database as rpm does: usr/lib/sysimage/rpm first (var/lib/rpm
// is a link to it on current SUSE and Fedora), then var/lib/rpm, and in the
// directory the newest format first. Here a SUSE-style root with a
// Berkeley DB file left behind by the conversion to NDB; Find does not
// read the files.
func ExampleFind() {
	root := fstest.MapFS{
		"var/lib/rpm":                         {Data: []byte("../../usr/lib/sysimage/rpm"), Mode: fs.ModeSymlink},
		"usr/lib/sysimage/rpm/Packages.db":    {Data: []byte("placeholder")},
		"usr/lib/sysimage/rpm/Packages":       {Data: []byte("placeholder")},
		"usr/lib/sysimage/rpm/Index.db":       {Data: []byte("placeholder")},
		"usr/lib/sysimage/rpm/.rpm.lock":      {},
		"usr/lib/sysimage/rpm/Packages.db-lk": {},
	}
	db, err := rpmdb.Find(root)
	fmt.Println(db.Format, db.Path, db.Resolved, db.Others, err)

	_, err = rpmdb.Find(fstest.MapFS{"etc/os-release": {Data: []byte("ID=debian\n")}})
	fmt.Println(err)
	// Output:
	// ndb usr/lib/sysimage/rpm/Packages.db usr/lib/sysimage/rpm/Packages.db [usr/lib/sysimage/rpm/Packages] <nil>
	// rpmdb: no rpm database
}

// Read the database Find chose: here a real SUSE Linux Enterprise 15 BCI
// image's NDB database (Packages.db), kept zstd-compressed in the
// project's test data.
func ExampleReadDatabase() {
	f, err := os.Open("../../testdata/rpmdb/ndb/sle15-bci.Packages.db.zst")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer zr.Close()
	data, err := io.ReadAll(zr)
	if err != nil {
		fmt.Println(err)
		return
	}
	root := fstest.MapFS{"usr/lib/sysimage/rpm/Packages.db": {Data: data}}
	ctx := context.Background()
	db, err := rpmdb.Find(root)
	if err != nil {
		fmt.Println(err)
		return
	}
	pkgs, err := rpmdb.ReadDatabase(ctx, root, db)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(db.Format, len(pkgs), "packages")
	for _, p := range pkgs {
		if p.Name == "glibc" {
			fmt.Println(p.NEVRA(), p.Vendor)
		}
	}
	// Output:
	// ndb 35 packages
	// glibc-2.31-9.3.2.x86_64 SUSE LLC <https://www.suse.com/>
}

// Ask rpm itself, through a runner: here a recording of a real rpm -qa on
// a Berkeley DB database replays it; on a host the runner is run.NewLocal().
func ExampleQuery() {
	b, err := os.ReadFile("../../testdata/rpmdb/query/hello-epoch.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := run.ParseRecording("hello-epoch.txt", b)
	if err != nil {
		fmt.Println(err)
		return
	}
	dbpath := rec.Argv[slices.Index(rec.Argv, "--dbpath")+1]
	pkgs, err := rpmdb.Query(context.Background(), run.NewReplay(rec),
		rpmdb.WithDefine("_db_backend", "bdb_ro"), rpmdb.WithDBPath(dbpath))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range pkgs {
		fmt.Println(p.NEVRA(), p.SourceName, p.InstallTime.UTC().Format("2006-01-02"))
	}
	// Output:
	// hello-1:0.0.1-rls.x86_64 hello 2023-08-30
}

// Parse rpm -qa output captured elsewhere (QueryCommand's query format).
// gpg-pubkey pseudo-packages are left out, as Read leaves them out.
func ExampleParseQuery() {
	out := "bash\t(none)\t5.1.8\t6.el9_1\tx86_64\tbash-5.1.8-6.el9_1.src.rpm\t1684009148\tRocky Enterprise Software Foundation\t(none)\n" +
		"gpg-pubkey\t(none)\t8483c65d\t5ccc5b19\t(none)\t(none)\t1606911092\t(none)\t(none)\n"
	pkgs, err := rpmdb.ParseQuery([]byte(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range pkgs {
		fmt.Println(p.NEVRA(), p.Epoch.Known(), p.SourceName, p.Vendor)
	}
	_, err = rpmdb.ParseQuery([]byte("bash\t(none)\t5.1.8\n"))
	fmt.Println(err)
	// Output:
	// bash-5.1.8-6.el9_1.x86_64 false bash Rocky Enterprise Software Foundation
	// rpmdb: rpm -qa output line 1 "bash\t(none)\t5.1.8": 3 tab-separated fields, want 9
}
