package repo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/patchkit/patchkit/repo"
)

// WithCacheDir keeps the cache in a directory of the caller's (made if
// missing) that outlives the Client.
func ExampleWithCacheDir() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	c, _ := repo.NewClient(repo.WithCacheDir(dir + "/cache"))
	got, err := c.CacheDir()
	fmt.Println(got == dir+"/cache", err)
	c.Close()
	_, err = os.Stat(dir + "/cache")
	fmt.Println(err)
	// Output:
	// true <nil>
	// <nil>
}

// WithClock sets the clock of the Client's Policy: freshness and key
// validity are judged at its time.
func ExampleWithClock() {
	c, _ := repo.NewClient(repo.WithClock(func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }))
	defer c.Close()
	fmt.Println(c.Policy().Time())
	// Output: 2026-11-02 00:00:00 +0000 UTC
}

func ExampleWithMaxFutureSkew() {
	c, _ := repo.NewClient(repo.WithMaxFutureSkew(time.Minute))
	defer c.Close()
	fmt.Println(c.Policy().MaxFutureSkew)
	// Output: 1m0s
}

// WithMaxFileSize bounds downloads without a signed size and decompressed
// data.
func ExampleWithMaxFileSize() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 2048)) }))
	defer srv.Close()
	c, _ := repo.NewClient(repo.WithMaxFileSize(1024))
	defer c.Close()
	_, err := c.Fetch(context.Background(), srv.URL+"/mirrorlist", 0, &bytes.Buffer{}, nil)
	fmt.Println(c.Policy().FileLimit(), errors.Is(err, repo.ErrTooLarge))
	// Output: 1024 true
}

// WithWeakDigests accepts SHA-1 signatures (never MD5).
func ExampleWithWeakDigests() {
	c, _ := repo.NewClient(repo.WithWeakDigests(true))
	defer c.Close()
	fmt.Println(c.Policy().AllowWeakDigests)
	// Output: true
}

// WithMaxRedirects bounds redirect chains; 0 refuses every redirect.
func ExampleWithMaxRedirects() {
	srv := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusFound))
	defer srv.Close()
	c, _ := repo.NewClient(repo.WithMaxRedirects(0))
	defer c.Close()
	_, err := c.Fetch(context.Background(), srv.URL+"/InRelease", 1<<20, &bytes.Buffer{}, nil)
	fmt.Println(errors.Is(err, repo.ErrRedirect))
	// Output: true
}

// WithMinThroughput fails a download that trickles.
func ExampleWithMinThroughput() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("x"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, _ := repo.NewClient(repo.WithMinThroughput(100, 200*time.Millisecond))
	defer c.Close()
	_, err := c.Fetch(context.Background(), srv.URL+"/Packages", 1<<20, &bytes.Buffer{}, nil)
	fmt.Println(errors.Is(err, repo.ErrTooSlow))
	// Output: true
}

// WithUserAgent names the client to servers.
func ExampleWithUserAgent() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.UserAgent()) }))
	defer srv.Close()
	c, _ := repo.NewClient(repo.WithUserAgent("fleet-scanner/2"))
	defer c.Close()
	var buf bytes.Buffer
	c.Fetch(context.Background(), srv.URL, 0, &buf, nil)
	fmt.Println(buf.String())
	// Output: fleet-scanner/2
}

// WithHTTPClient sets the transport (proxies, TLS roots, timeouts); the
// Client follows redirects itself.
func ExampleWithHTTPClient() {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "over TLS") }))
	defer srv.Close()
	c, _ := repo.NewClient(repo.WithHTTPClient(srv.Client()))
	defer c.Close()
	var buf bytes.Buffer
	_, err := c.Fetch(context.Background(), srv.URL, 0, &buf, nil)
	fmt.Println(buf.String(), err)
	// Output: over TLS <nil>
}

// WithLogger receives what the format packages report: refused mirrors,
// unverified repositories, redirects.
func ExampleWithLogger() {
	var logs strings.Builder
	c, _ := repo.NewClient(repo.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	defer c.Close()
	c.Logger().Info("hello")
	fmt.Println(strings.Contains(logs.String(), "msg=hello"))
	// Output: true
}

// Filter keeps the keys a source's Signed-By lists by fingerprint.
func ExampleKeyring_Filter() {
	kr, _ := repo.LoadKeyring(context.Background(), os.DirFS(keysDir), "archive-a.gpg", "archive-b.gpg")
	one := kr.Filter([]string{"9D32E9CC911D338EF0BD086A451287EA0A8B8A24"})
	fmt.Println(kr.Len(), one.Len(), one.Fingerprints())
	// Output: 2 1 [9D32E9CC911D338EF0BD086A451287EA0A8B8A24]
}
