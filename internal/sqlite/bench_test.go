package sqlite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkScan reads every row of the Packages table of Fedora 35's
// rpmdb.sqlite (138 packages, 6.5 MB): from the file, and from memory (the
// reader's own cost). Bytes per second count the blob bytes read.
func BenchmarkScan(b *testing.B) {
	dir := setupRPMDB(b, "fedora35")
	path := filepath.Join(dir, "rpmdb.sqlite")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	scan := func(b *testing.B, db *DB) int64 {
		var n, total int64
		err := db.Scan(ctx, "Packages", func(_ int64, cols []Value) error {
			n++
			total += int64(len(cols[1].Bytes))
			return nil
		})
		if err != nil || n != 138 {
			b.Fatalf("%d rows, %v", n, err)
		}
		return total
	}
	b.Run("file", func(b *testing.B) {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		b.ReportAllocs()
		var total int64
		for b.Loop() {
			db, err := Open(ctx, f, int64(len(data)), nil, 0)
			if err != nil {
				b.Fatal(err)
			}
			total = scan(b, db)
		}
		b.SetBytes(total)
	})
	b.Run("memory", func(b *testing.B) {
		b.ReportAllocs()
		var total int64
		for b.Loop() {
			db, err := Open(ctx, bytes.NewReader(data), int64(len(data)), nil, 0)
			if err != nil {
				b.Fatal(err)
			}
			total = scan(b, db)
		}
		b.SetBytes(total)
	})
	b.Run("scan-only", func(b *testing.B) {
		db, err := Open(ctx, bytes.NewReader(data), int64(len(data)), nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		var total int64
		for b.Loop() {
			total = scan(b, db)
		}
		b.SetBytes(total)
	})
}
