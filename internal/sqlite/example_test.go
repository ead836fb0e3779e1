package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing/fstest"

	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/internal/sqlite"
)

// unzst reads a zstd-compressed fixture.
func unzst(path string) []byte {
	out, err := decompress.ReadFile(path, decompress.Zstd, decompress.Limits{Output: 64 << 20})
	if err != nil {
		panic(err)
	}
	return out
}

// Reading the installed packages from an rpm database that rpm still had
// open: two of the three packages are only in the write-ahead log.
func ExampleOpenFS() {
	dir := "../../testdata/rpmdb/sqlite/debian-rpm-4.18-open/"
	root := fstest.MapFS{
		"var/lib/rpm/rpmdb.sqlite":     {Data: unzst(dir + "rpmdb.sqlite.zst")},
		"var/lib/rpm/rpmdb.sqlite-wal": {Data: unzst(dir + "rpmdb.sqlite-wal.zst")},
	}
	ctx := context.Background()
	db, err := sqlite.OpenFS(ctx, root, "var/lib/rpm/rpmdb.sqlite")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	fmt.Printf("log: %d of %d frames committed\n", db.WAL().Committed, db.WAL().Frames)
	// Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL):
	// hnum is the rowid, and its column holds NULL.
	err = db.Scan(ctx, "Packages", func(hnum int64, cols []sqlite.Value) error {
		fmt.Printf("hnum %d: %s, %d-byte header blob\n", hnum, cols[1].Kind, len(cols[1].Bytes))
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// log: 41 of 41 frames committed
	// hnum 1: BLOB, 1792-byte header blob
	// hnum 3: BLOB, 2268-byte header blob
	// hnum 4: BLOB, 1772-byte header blob
}

// Open takes the database and its log as io.ReaderAt values; errors are
// typed.
func ExampleOpen() {
	f, err := os.Open("../../testdata/sqlite/mkfixtures.sh") // not a database
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = sqlite.Open(context.Background(), f, fi.Size(), nil, 0, sqlite.WithName("mkfixtures.sh"))
	fmt.Println(err)
	var ce *sqlite.CorruptError
	fmt.Println(errors.As(err, &ce), ce.Offset)
	// Output:
	// sqlite: mkfixtures.sh (offset 0): corrupt: not an SQLite 3 database (no magic string)
	// true 0
}
