package ndb_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchkit/patchkit/internal/ndb"
)

// BenchmarkNDBScan scans the openSUSE Leap 15.5 database (137 packages,
// 4.7 MB), from memory and from a file, checking every blob's Adler-32. The
// throughput counts the file's bytes.
func BenchmarkNDBScan(b *testing.B) {
	data := load(b, "leap15.5")
	path := filepath.Join(b.TempDir(), "Packages.db")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	for _, bc := range []struct {
		name string
		r    io.ReaderAt
	}{{"memory", bytes.NewReader(data)}, {"file", file}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				db, err := ndb.Open(bc.r, int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				if err := db.Scan(context.Background(), func(uint32, []byte) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				if n != 137 {
					b.Fatalf("%d blobs", n)
				}
			}
		})
	}
}
