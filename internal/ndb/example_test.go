package ndb_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/internal/ndb"
)

// Example lists the package indexes and header sizes of a real SUSE
// database. A Packages.db in a root file system opens the same way, with
// the *os.File (an io.ReaderAt) and its size.
func Example() {
	data, err := decompress.ReadFile("../../testdata/rpmdb/ndb/sle15-bci.Packages.db.zst", decompress.Zstd, decompress.Limits{Output: 16 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}

	db, err := ndb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		fmt.Println(err)
		return
	}
	n := 0
	err = db.Scan(context.Background(), func(pkgIdx uint32, blob []byte) error {
		if n++; n <= 3 {
			il, dl := binary.BigEndian.Uint32(blob), binary.BigEndian.Uint32(blob[4:])
			fmt.Printf("package %d: header of %d tags, %d bytes of data\n", pkgIdx, il, dl)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, "packages")
	// Output:
	// package 1: header of 71 tags, 2984 bytes of data
	// package 2: header of 75 tags, 55692 bytes of data
	// package 3: header of 85 tags, 68388 bytes of data
	// 35 packages
}
