package bdb_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/bdb"
)

// FuzzBDB opens and scans arbitrary bytes. Seeds: two whole real databases
// of one package each, and the first three pages (metadata and both hash
// pages) of a third. Every input must give success or a typed error, in
// bounded time, and a scan never returns more key and value bytes than the
// file holds (each page is used once).
func FuzzBDB(f *testing.F) {
	f.Add(load(f, "centos8-dive"))
	f.Add(load(f, "hello-epoch"))
	f.Add(load(f, "libuuid")[:3*4096])
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := bdb.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			checkTyped(t, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		total := 0
		err = db.Scan(ctx, func(key, value []byte) error {
			total += len(key) + len(value)
			return nil
		})
		if err != nil {
			checkTyped(t, err)
		}
		if total > len(data) {
			t.Fatalf("%d key and value bytes from a file of %d", total, len(data))
		}
	})
}

func checkTyped(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("did not finish: %v", err)
	}
	if !errors.Is(err, bdb.ErrCorrupt) && !errors.Is(err, bdb.ErrUnsupported) {
		t.Fatalf("untyped error: %v", err)
	}
}
