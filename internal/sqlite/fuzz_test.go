package sqlite

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

// FuzzOpenScan opens a database and its log from arbitrary bytes and scans
// every table: no input may panic or hang, and every error must be typed.
// The seeds are the small fixtures made by SQLite (and the regression inputs
// under testdata/fuzz/FuzzOpenScan).
func FuzzOpenScan(f *testing.F) {
	for _, s := range []struct{ db, wal string }{
		{"tiny.db", ""},
		{"tiny-wal.db", "tiny-wal.db-wal"},
		{"noschema.db", ""},
		{"utf16le.db", ""},
	} {
		db := loadFixture(f, s.db)
		var wal []byte
		if s.wal != "" {
			wal = loadFixture(f, s.wal)
		}
		f.Add(db, wal)
	}
	f.Fuzz(func(t *testing.T, data, walData []byte) {
		var wal io.ReaderAt
		if len(walData) > 0 {
			wal = bytes.NewReader(walData)
		}
		ctx := context.Background()
		db, err := Open(ctx, bytes.NewReader(data), int64(len(data)), wal, int64(len(walData)), WithMaxRecordSize(1<<20))
		if err != nil {
			checkTyped(t, err)
			return
		}
		for _, name := range append(db.Tables(), "sqlite_schema") {
			rows := 0
			err := db.Scan(ctx, name, func(rowid int64, cols []Value) error {
				rows++
				for _, v := range cols {
					if (v.Kind == Text || v.Kind == Blob) != (v.Bytes != nil) && len(v.Bytes) != 0 {
						t.Fatalf("value %+v", v)
					}
				}
				return nil
			})
			if err != nil {
				checkTyped(t, err)
			}
			// A row takes at least 4 bytes of a leaf page.
			if max := int(db.Pages()) * db.PageSize() / 4; rows > max {
				t.Fatalf("%s: %d rows from %d pages", name, rows, db.Pages())
			}
		}
	})
}

func checkTyped(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNoTable) {
		if err.Error() == "" {
			t.Fatal("empty message")
		}
		return
	}
	t.Fatalf("untyped error %T: %v", err, err)
}
