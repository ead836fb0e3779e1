package rpmdb

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchkit/patchkit/internal/bdb"
	"github.com/patchkit/patchkit/internal/rpmheader"
)

// FuzzHeader feeds header blobs to the header reader: real headers from
// the CentOS 5 database as seeds, mutated. It must never panic, and a
// header it accepts must have the tags rpm requires.
func FuzzHeader(f *testing.F) {
	fx := fixtures()[0]
	data := loadFile(f, fx)
	db, err := bdb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		f.Fatal(err)
	}
	n := 0
	err = db.Scan(context.Background(), func(key, value []byte) error {
		if len(key) == 4 && !isZero(key) && n < 8 {
			f.Add(bytes.Clone(value))
			n++
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 232, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, blob []byte) {
		var flds rpmheader.Fields
		if err := parseHeader("fuzz", blob, &flds); err != nil {
			return
		}
		if flds.Name == nil || flds.Version == nil || flds.Release == nil {
			t.Fatal("accepted a header without name, version or release")
		}
		p := toPackage(&flds, interner{})
		_ = p.NEVRA()
	})
}

// loadFile returns the fixture's database bytes.
func loadFile(tb testing.TB, f fixture) []byte {
	tb.Helper()
	root := f.root(tb)
	db, err := Find(os.DirFS(root))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, db.Resolved))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
