package ndb_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/ndb"
)

// FuzzNDB opens and scans arbitrary bytes. Seeds: the start of a real
// database up to the end of its first blob and up to the end of its third,
// and the same two with the slots of the blobs cut off marked free, so that
// they scan without error and mutations reach the blob checks. Every input
// must give success or a typed error, in bounded time, and the blobs
// returned never add up to more bytes than the file holds.
func FuzzNDB(f *testing.F) {
	d := load(f, "sle15-bci")
	for _, blobs := range []int{1, 3} {
		end := 0
		for s := 32; s < 32+16*blobs; s += 16 {
			end = max(end, int(le.Uint32(d[s+8:])+le.Uint32(d[s+12:]))*16)
		}
		seed := bytes.Clone(d[:end])
		f.Add(bytes.Clone(seed))
		for s := 32 + 16*blobs; s < 4096; s += 16 {
			le.PutUint32(seed[s+8:], 0)
			le.PutUint32(seed[s+12:], 0)
		}
		if err := scanAll(seed); err != nil {
			f.Fatalf("seed of %d blobs: %v", blobs, err)
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := ndb.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			checkTyped(t, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		total := 0
		err = db.Scan(ctx, func(_ uint32, blob []byte) error {
			total += len(blob)
			return nil
		})
		if err != nil {
			checkTyped(t, err)
		}
		if total > len(data) {
			t.Fatalf("%d blob bytes from a file of %d", total, len(data))
		}
	})
}

func checkTyped(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("did not finish: %v", err)
	}
	if !errors.Is(err, ndb.ErrCorrupt) && !errors.Is(err, ndb.ErrUnsupported) {
		t.Fatalf("untyped error: %v", err)
	}
}
