package apt

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// An index the Release lists as empty (size 0, as Debian lists the
// Packages of an empty component) is fetched with a limit of one byte: a
// server that sends more is cut off at once with ErrSize, not read up to
// the client's 2 GiB default limit (what a limit of 0 means to Fetch).
// (Defence: max(fi.Size, 1) in downloadVerified.)
func TestEmptyIndexBounded(t *testing.T) {
	tmp := t.TempDir()
	if err := os.MkdirAll(filepath.Join(tmp, "dists/stable/main/binary-amd64"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "dists/stable/Release"), releaseListing(listEntry{plainPath, nil}), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := repotest.Serve(t, tmp)
	c, _, _ := newClient(t, d1.Add(time.Hour))
	r := Repo{URI: srv.URL, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Trusted: true}

	// The empty index as listed is read: no records.
	if err := os.WriteFile(filepath.Join(tmp, "dists/stable", plainPath), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := Update(context.Background(), c, r)
	if err != nil {
		t.Fatal(err)
	}
	if d := repotest.Drain(snap.Packages(context.Background())); d.N != 0 || len(d.Errs) != 0 {
		t.Fatalf("empty index: %d records, %v", d.N, d.Errs)
	}

	// A server that streams 64 MiB (no Content-Length) for it.
	var sent atomic.Int64
	srv.Handle("/dists/stable/"+plainPath, func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		for range 1024 {
			n, err := w.Write(buf)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	c2, _, _ := newClient(t, d1.Add(time.Hour))
	_, err = Update(context.Background(), c2, r)
	var se *repo.SizeError
	if !errors.As(err, &se) || se.Want != 0 || se.Got != 1 {
		t.Fatalf("got %v", err)
	}
	if n := sent.Load(); n > 16<<20 {
		t.Errorf("the server sent %d bytes before the client stopped", n)
	}
}
