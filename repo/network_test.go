package repo_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// closedPort returns an http URL on 127.0.0.1 whose port nothing listens
// on: it was bound, then closed.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// networkError requires err to be a *NetworkError for url, matching
// ErrNetwork and naming url, and not to pass for the caller's
// cancellation.
func networkError(t *testing.T, err error, url string) *repo.NetworkError {
	t.Helper()
	var ne *repo.NetworkError
	if !errors.As(err, &ne) || !errors.Is(err, repo.ErrNetwork) {
		t.Fatalf("got %T %v, want a *repo.NetworkError", err, err)
	}
	if ne.URL != url || !strings.Contains(err.Error(), url) {
		t.Errorf("error %q names %q, want %q", err, ne.URL, url)
	}
	if errors.Is(err, context.Canceled) {
		t.Errorf("%v matches context.Canceled", err)
	}
	if strings.Contains(err.Error(), "context canceled") {
		t.Errorf("message %q", err)
	}
	if repo.HealthOf(err) != repo.HealthUnreadable {
		t.Errorf("health %s", repo.HealthOf(err))
	}
	return ne
}

// A refused connection and a host name that does not resolve are
// *NetworkErrors naming the URL, with the transport's error inside; they
// were "context canceled" before (the request's own context was cancelled
// before its cause was read).
func TestFetchNetworkErrors(t *testing.T) {
	c := client(t)
	ctx := context.Background()

	t.Run("connection refused", func(t *testing.T) {
		url := closedPort(t) + "/debian/dists/stable/InRelease"
		_, err := c.Fetch(ctx, url, 1<<20, &bytes.Buffer{}, nil)
		networkError(t, err, url)
		var op *net.OpError
		if !errors.As(err, &op) || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("transport error %v is not a refused connection", err)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%v matches context.DeadlineExceeded", err)
		}
	})
	t.Run("no such host", func(t *testing.T) {
		// .invalid never resolves (RFC 6761); with or without a resolver
		// the lookup fails with a *net.DNSError.
		url := "http://nonexistent.invalid/repo/repodata/repomd.xml"
		_, err := c.Fetch(ctx, url, 1<<20, &bytes.Buffer{}, nil)
		networkError(t, err, url)
		var de *net.DNSError
		if !errors.As(err, &de) || de.Name != "nonexistent.invalid" {
			t.Errorf("transport error %v is not a failed lookup", err)
		}
	})
	t.Run("redirected to a closed port", func(t *testing.T) {
		dead := closedPort(t) + "/moved/Release"
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, dead, http.StatusFound)
		}))
		defer srv.Close()
		_, err := c.Fetch(ctx, srv.URL+"/Release", 1<<20, &bytes.Buffer{}, nil)
		networkError(t, err, dead) // the URL that failed, after the redirect
	})
	t.Run("body cut short", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.Write([]byte("only a part"))
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}))
		defer srv.Close()
		url := srv.URL + "/Packages"
		_, err := c.Fetch(ctx, url, 1<<20, &bytes.Buffer{}, nil)
		networkError(t, err, url)
	})
	t.Run("HTTP client timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		ct := client(t, repo.WithHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}))
		url := srv.URL + "/InRelease"
		_, err := ct.Fetch(ctx, url, 1<<20, &bytes.Buffer{}, nil)
		// The HTTP client's own timeout is a network error; it matches
		// context.DeadlineExceeded through the transport's error though
		// the caller's context is alive, so callers test their context.
		networkError(t, err, url)
		if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v", err)
		}
	})
}

// The caller's cancellation and deadline stay theirs: the error matches
// context.Canceled (or context.DeadlineExceeded, and the cause given to
// the context), names the URL, and is no network error.
func TestFetchCallerCancellation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.Header().Set("Content-Length", "1000000")
			w.Write(make([]byte, 1000))
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	c := client(t)
	stop := errors.New("the operator stopped the scan")
	for _, tc := range []struct {
		name, path string
		ctx        func() (context.Context, func())
		want       []error
	}{
		{"cancel awaiting headers", "/headers", func() (context.Context, func()) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, []error{context.Canceled}},
		{"cancel with a cause reading the body", "/body", func() (context.Context, func()) {
			ctx, cancel := context.WithCancelCause(context.Background())
			time.AfterFunc(100*time.Millisecond, func() { cancel(stop) })
			return ctx, func() { cancel(nil) }
		}, []error{context.Canceled, stop}},
		{"deadline", "/headers", func() (context.Context, func()) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, []error{context.DeadlineExceeded}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			url := srv.URL + tc.path
			start := time.Now()
			_, err := c.Fetch(ctx, url, 1<<22, &bytes.Buffer{}, nil)
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("%v does not match %v", err, w)
				}
			}
			if errors.Is(err, repo.ErrNetwork) || !strings.Contains(err.Error(), url) {
				t.Errorf("got %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

// A negative limit is refused; 0 stands for the policy's file limit.
func TestFetchLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 100))
	}))
	defer srv.Close()
	c := client(t, repo.WithMaxFileSize(50))
	var ie *repo.InvalidError
	if _, err := c.Fetch(context.Background(), srv.URL+"/f", -1, &bytes.Buffer{}, nil); !errors.As(err, &ie) || !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("limit -1: %v", err)
	}
	var te *repo.TooLargeError
	if _, err := c.Fetch(context.Background(), srv.URL+"/f", 0, &bytes.Buffer{}, nil); !errors.As(err, &te) || te.Limit != 50 {
		t.Errorf("limit 0 with a policy limit of 50: %v", err)
	}
	var buf bytes.Buffer
	if f, err := c.Fetch(context.Background(), srv.URL+"/f", 100, &buf, nil); err != nil || f.Size != 100 || buf.Len() != 100 {
		t.Errorf("limit 100: %+v %v", f, err)
	}
}
