package bdb_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchkit/patchkit/internal/bdb"
)

// BenchmarkBDBScan scans the CentOS 8 database (518 packages, 26.7 MB),
// from memory and from a file. The throughput counts the file's bytes.
func BenchmarkBDBScan(b *testing.B) {
	data := load(b, "centos8-modularitylabel")
	path := filepath.Join(b.TempDir(), "Packages")
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
				db, err := bdb.Open(bc.r, int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				if err := db.Scan(context.Background(), func(key, value []byte) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				if n != 519 {
					b.Fatalf("%d pairs", n)
				}
			}
		})
	}
}
