package repocache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/patchkit/patchkit/repo"
)

func client(t *testing.T, opts ...repo.Option) *repo.Client {
	t.Helper()
	c, err := repo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The manifest is replaced, never rewritten in place: a reader that opened
// it before a commit reads the whole previous manifest, the new one is
// whole, and no temporary file is left. (Defence: the atomic write of the
// manifest in Tx.Commit; written in place, the open file shows the new
// content, or a cut one.)
func TestManifestReplacedAtomically(t *testing.T) {
	dir := t.TempDir()
	c := client(t, repo.WithCacheDir(dir))
	commit := func(gen int) {
		t.Helper()
		tx, err := Begin(context.Background(), c, "k")
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Abort()
		files := map[string]ManifestEntry{}
		for i := range 200 {
			data := []byte(fmt.Sprintf("generation %d file %d\n", gen, i))
			sha, err := tx.Put(data)
			if err != nil {
				t.Fatal(err)
			}
			files[fmt.Sprintf("f%03d", i)] = ManifestEntry{SHA256: sha, Size: int64(len(data))}
		}
		state, _ := json.Marshal(map[string]int{"Generation": gen})
		if err := tx.Commit(&Manifest{Files: files, State: state}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "k", "manifest.json")
	commit(1)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	held, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	commit(2)
	got, err := io.ReadAll(held)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, before) {
		t.Fatalf("the manifest was rewritten in place: a reader of the old one got %d bytes of something else", len(got))
	}
	m, _, err := Load(c, "k")
	var st struct{ Generation int }
	if err != nil || len(m.Files) != 200 || json.Unmarshal(m.State, &st) != nil || st.Generation != 2 {
		t.Fatalf("new manifest: %v %s", err, m.State)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "k"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"manifest.json", "objects"}) {
		t.Fatalf("entry directory holds %v", names)
	}
	objs, _ := os.ReadDir(filepath.Join(dir, "k", "objects"))
	if len(objs) != 200 {
		t.Fatalf("%d objects, want the 200 the new manifest names", len(objs))
	}
}

// Updates of one entry wait for each other, also between two clients on
// one cache directory (as two processes would be): never two transactions
// of a key at once, a waiter gives up when its context ends, and no lock
// file is left behind. (Defence: the lock file of Begin; without it the
// counter goes above one.)
func TestBeginExcludes(t *testing.T) {
	dir := t.TempDir()
	clients := []*repo.Client{client(t, repo.WithCacheDir(dir)), client(t, repo.WithCacheDir(dir))}
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx, err := Begin(context.Background(), clients[i%2], "k")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			sha, err := tx.Put([]byte(fmt.Sprint("update ", i)))
			if err == nil {
				err = tx.Commit(&Manifest{Files: map[string]ManifestEntry{"f": {SHA256: sha, Size: int64(len(fmt.Sprint("update ", i)))}}})
			}
			inside.Add(-1)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d transactions of one key at once", most.Load())
	}
	held, err := Begin(context.Background(), clients[0], "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Begin(ctx, clients[1], "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter: %v", err)
	}
	held.Abort()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"k"}) {
		t.Fatalf("cache directory holds %v", names)
	}
}

// A6 (reading): a reader that fails or returns short reads never yields
// verified data; short reads alone are harmless; a claimed size is not
// allocated before the data arrives.
func TestReadVerified(t *testing.T) {
	data := bytes.Repeat([]byte("abcdefgh"), 1000)
	sum := "dd44e2f4cf0fae1e1ec5c87a3f7ad8f3c67be9d27e58a8fd3fa4be9e0e6b7b1c"
	// The real checksum of data:
	_, err := ReadVerified(bytes.NewReader(data), "x", int64(len(data)), sum)
	var hm *repo.HashMismatchError
	if !errors.As(err, &hm) {
		t.Fatalf("wrong sum accepted: %v", err)
	}
	sum = hm.Got
	for n := 0; n <= len(data); n += 97 {
		r := iotest.DataErrReader(&failAfter{data: data, n: n})
		got, err := ReadVerified(r, "x", int64(len(data)), sum)
		if err == nil || got != nil {
			t.Fatalf("failure after %d bytes: verified %d bytes", n, len(got))
		}
	}
	if got, err := ReadVerified(iotest.OneByteReader(bytes.NewReader(data)), "x", int64(len(data)), sum); err != nil || len(got) != len(data) {
		t.Fatalf("one-byte reads: %v", err)
	}
	if got, err := ReadVerified(iotest.HalfReader(bytes.NewReader(data)), "x", int64(len(data)), sum); err != nil || len(got) != len(data) {
		t.Fatalf("half reads: %v", err)
	}
	if _, err := ReadVerified(iotest.TimeoutReader(bytes.NewReader(data)), "x", int64(len(data)), sum); err == nil {
		t.Fatal("timeout read accepted")
	}
	if _, err := ReadVerified(bytes.NewReader(data), "x", 1<<62, sum); !errors.Is(err, repo.ErrSize) {
		t.Fatalf("claimed size 2^62: %v", err)
	}
	if _, err := ReadObject(t.TempDir(), ManifestEntry{SHA256: sum, Size: 11}, "x", 10); !errors.Is(err, repo.ErrTooLarge) {
		t.Fatalf("object over the limit: %v", err)
	}
}

type failAfter struct {
	data []byte
	n    int
	pos  int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.pos >= f.n {
		return 0, errors.New("EIO: input/output error")
	}
	k := copy(p, f.data[f.pos:min(f.n, len(f.data))])
	f.pos += k
	return k, nil
}
