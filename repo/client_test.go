package repo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchkit/patchkit/repo"
)

func client(t *testing.T, opts ...repo.Option) *repo.Client {
	t.Helper()
	c, err := repo.NewClient(append([]repo.Option{repo.WithCacheDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// E1: a trickle below the minimum throughput fails with ErrTooSlow, a
// server that never answers too, and the context's deadline bounds the
// whole download.
func TestMatrixE1SlowRetrieval(t *testing.T) {
	trickle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		for i := 0; i < 200; i++ { // at most 20 s
			if _, err := w.Write([]byte{'x'}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}))
	defer trickle.Close()
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
	}))
	defer silent.Close()
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 4096)
		for i := 0; i < 2000; i++ { // 8 MB in at most 20 s, well above the minimum
			if _, err := w.Write(buf); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}))
	defer fast.Close()

	c := client(t, repo.WithMinThroughput(1000, 300*time.Millisecond))
	for name, url := range map[string]string{"trickle": trickle.URL, "no answer": silent.URL} {
		start := time.Now()
		_, err := c.Fetch(context.Background(), url+"/InRelease", 1<<20, &bytes.Buffer{}, nil)
		var se *repo.SlowError
		if !errors.As(err, &se) || !errors.Is(err, repo.ErrTooSlow) {
			t.Fatalf("%s: got %v", name, err)
		}
		if d := time.Since(start); d > 5*time.Second { // the server would go on for 20 s
			t.Fatalf("%s: took %s", name, d)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Fetch(ctx, fast.URL+"/big", 1<<30, &bytes.Buffer{}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: got %v", err)
	}
	if d := time.Since(start); d < 600*time.Millisecond || d > 1700*time.Millisecond {
		t.Fatalf("deadline honoured after %s", d)
	}
}

// E2: redirects with (encoded) control characters, from https to http, in
// a loop, or too many, are refused.
func TestMatrixE2Redirects(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "plain")
	}))
	defer plain.Close()
	var hops atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/inject", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dists/x%0aSHA256-Hash:%20deadbeef", http.StatusFound)
	})
	mux.HandleFunc("/inject-cr", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/x?a=%0d%0aLocation:%20evil", http.StatusFound)
	})
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b", http.StatusFound) })
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/a", http.StatusFound) })
	// The chain ends after 50 hops, so that a client whose hop limit broke
	// gets an answer (and the test fails) instead of going on for ever.
	mux.HandleFunc("/chain/", func(w http.ResponseWriter, r *http.Request) {
		if n := hops.Add(1); n <= 50 {
			http.Redirect(w, r, fmt.Sprintf("/chain/%d", n), http.StatusFound)
			return
		}
		fmt.Fprint(w, "end of the chain")
	})
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/final", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "final") })
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/InRelease", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tls := httptest.NewTLSServer(mux)
	defer tls.Close()

	c := client(t, repo.WithHTTPClient(tls.Client()))
	for _, tc := range []struct{ base, path, why string }{
		{srv.URL, "/inject", "encoded control character"},
		{srv.URL, "/inject-cr", "encoded control character"},
		{srv.URL, "/a", "redirect loop"},
		{srv.URL, "/chain/", "more than 5 redirects"},
		{srv.URL, "/file", "scheme file"},
		{tls.URL, "/down", "downgrade from https to http"},
	} {
		var buf bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Fetch(ctx, tc.base+tc.path, 1<<20, &buf, nil)
		cancel()
		var re *repo.RedirectError
		if !errors.As(err, &re) || !errors.Is(err, repo.ErrRedirect) || !strings.Contains(re.Reason, tc.why) || buf.Len() != 0 {
			t.Errorf("%s: got %v (wrote %d bytes); want %q", tc.path, err, buf.Len(), tc.why)
		}
	}
	var buf bytes.Buffer
	f, err := c.Fetch(context.Background(), tls.URL+"/ok", 1<<20, &buf, nil)
	if err != nil || buf.String() != "final" || !strings.HasSuffix(f.URL, "/final") {
		t.Fatalf("good redirect: %v %q", err, buf.String())
	}
	c0 := client(t, repo.WithMaxRedirects(0))
	if _, err := c0.Fetch(context.Background(), srv.URL+"/ok", 1<<20, &bytes.Buffer{}, nil); !errors.Is(err, repo.ErrRedirect) {
		t.Fatalf("no redirects allowed: %v", err)
	}
}

func TestFetchLimitsAndStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write(bytes.Repeat([]byte{'x'}, 2000))
		case "/declared":
			w.Header().Set("Content-Length", "5000000")
			w.Write([]byte("x"))
		case "/gone":
			http.Error(w, "gone", 410)
		case "/err":
			http.Error(w, "oops", 500)
		case "/enc":
			if r.Header.Get("Accept-Encoding") != "identity" {
				t.Errorf("Accept-Encoding %q", r.Header.Get("Accept-Encoding"))
			}
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	c := client(t)
	var te *repo.TooLargeError
	if _, err := c.Fetch(context.Background(), srv.URL+"/big", 1000, &bytes.Buffer{}, nil); !errors.As(err, &te) || te.Limit != 1000 {
		t.Fatalf("big: %v", err)
	}
	if _, err := c.Fetch(context.Background(), srv.URL+"/declared", 1000, &bytes.Buffer{}, nil); !errors.Is(err, repo.ErrTooLarge) {
		t.Fatalf("declared: %v", err)
	}
	if _, err := c.Fetch(context.Background(), srv.URL+"/gone", 1000, &bytes.Buffer{}, nil); !errors.Is(err, repo.ErrNotFound) {
		t.Fatalf("gone: %v", err)
	}
	var he *repo.HTTPError
	if _, err := c.Fetch(context.Background(), srv.URL+"/err", 1000, &bytes.Buffer{}, nil); !errors.As(err, &he) || he.StatusCode != 500 || errors.Is(err, repo.ErrNotFound) {
		t.Fatalf("500: %v", err)
	}
	if _, err := c.Fetch(context.Background(), srv.URL+"/enc", 1000, &bytes.Buffer{}, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("local"), 0o644)
	var buf bytes.Buffer
	if _, err := c.Fetch(context.Background(), "file://"+filepath.ToSlash(dir)+"/f", 10, &buf, nil); err != nil || buf.String() != "local" {
		t.Fatalf("file: %v", err)
	}
	if _, err := c.Fetch(context.Background(), "file://"+filepath.ToSlash(dir)+"/missing", 10, &buf, nil); !errors.Is(err, repo.ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := c.Fetch(context.Background(), "file://"+filepath.ToSlash(dir)+"/f", 3, &bytes.Buffer{}, nil); !errors.Is(err, repo.ErrTooLarge) {
		t.Fatalf("file limit: %v", err)
	}
	if _, err := c.Fetch(context.Background(), "ftp://example.invalid/x", 3, &bytes.Buffer{}, nil); err == nil {
		t.Fatal("ftp accepted")
	}
}
