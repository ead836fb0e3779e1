package bdb_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/patchkit/patchkit/internal/bdb"
	"github.com/patchkit/patchkit/internal/decompress"
)

// Example lists the pairs of a real rpm Packages database: rpm's record
// under key 0, and the header of instance 1. A Packages file in a root file
// system opens the same way, with the *os.File (an io.ReaderAt) and its
// size.
func Example() {
	data, err := decompress.ReadFile("../../testdata/rpmdb/bdb/libuuid.Packages.zst", decompress.Zstd, decompress.Limits{Output: 16 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}

	db, err := bdb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		fmt.Println(err)
		return
	}
	order := db.ByteOrder() // rpm's keys are in the file's byte order
	err = db.Scan(context.Background(), func(key, value []byte) error {
		if n := order.Uint32(key); n != 0 {
			fmt.Printf("instance %d: header blob of %d bytes\n", n, len(value))
		} else {
			fmt.Printf("key 0: last instance number %d\n", order.Uint32(value))
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// key 0: last instance number 1
	// instance 1: header blob of 80880 bytes
}
