package repo_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// Every option given a value it does not take, and every unmet
// precondition, is an *InvalidError matching patchkit.ErrInvalid and naming
// the option or function.
func TestOptionsAreInvalid(t *testing.T) {
	for name, tc := range map[string]struct {
		opt   repo.Option
		func_ string
	}{
		"nil option":      {nil, "repo.NewClient"},
		"nil HTTP client": {repo.WithHTTPClient(nil), "repo.WithHTTPClient"},
		"nil logger":      {repo.WithLogger(nil), "repo.WithLogger"},
		"empty cache dir": {repo.WithCacheDir(""), "repo.WithCacheDir"},
		"nil clock":       {repo.WithClock(nil), "repo.WithClock"},
		"redirects -1":    {repo.WithMaxRedirects(-1), "repo.WithMaxRedirects"},
		"redirects 21":    {repo.WithMaxRedirects(21), "repo.WithMaxRedirects"},
		"negative rate":   {repo.WithMinThroughput(-1, time.Second), "repo.WithMinThroughput"},
		"zero window":     {repo.WithMinThroughput(1, 0), "repo.WithMinThroughput"},
		"zero file size":  {repo.WithMaxFileSize(0), "repo.WithMaxFileSize"},
		"negative skew":   {repo.WithMaxFutureSkew(-time.Second), "repo.WithMaxFutureSkew"},
		"user agent CRLF": {repo.WithUserAgent("a\r\nX-Injected: 1"), "repo.WithUserAgent"},
		"policy skew":     {repo.WithPolicy(repo.Policy{MaxFutureSkew: -1}), "repo.WithPolicy"},
		"policy size":     {repo.WithPolicy(repo.Policy{MaxFileSize: -1}), "repo.WithPolicy"},
	} {
		c, err := repo.NewClient(tc.opt)
		var ie *repo.InvalidError
		if c != nil || !errors.Is(err, patchkit.ErrInvalid) || !errors.As(err, &ie) || ie.Func != tc.func_ {
			t.Errorf("%s: got %v; want an InvalidError of %s", name, err, tc.func_)
		}
	}
	c := client(t)
	for name, call := range map[string]func() error{
		"Fetch nil writer": func() error {
			_, err := c.Fetch(context.Background(), "http://127.0.0.1:1/x", 1, nil, nil)
			return err
		},
		"Fetch ftp": func() error {
			_, err := c.Fetch(context.Background(), "ftp://mirror.example/x", 1, &bytes.Buffer{}, nil)
			return err
		},
		"Fetch file URL with a host": func() error {
			_, err := c.Fetch(context.Background(), "file://host.example/etc/passwd", 1, &bytes.Buffer{}, nil)
			return err
		},
		"LoadKeyring of nothing": func() error {
			_, err := repo.LoadKeyring(context.Background(), nil)
			return err
		},
	} {
		if err := call(); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%s: got %v; want patchkit.ErrInvalid", name, err)
		}
	}
}

// The Client's policy is what its options set, and WithPolicy sets them
// at once; a zero policy's Now and MaxFileSize fall back to the defaults.
func TestClientPolicy(t *testing.T) {
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	c := client(t, repo.WithClock(clock), repo.WithMaxFutureSkew(time.Minute), repo.WithMaxFileSize(1<<20), repo.WithWeakDigests(true))
	p := c.Policy()
	if !p.Time().Equal(at) || p.MaxFutureSkew != time.Minute || p.FileLimit() != 1<<20 || !p.AllowWeakDigests {
		t.Fatalf("policy %+v", p)
	}
	if d := client(t).Policy(); d.MaxFutureSkew != repo.DefaultMaxFutureSkew || d.FileLimit() != repo.DefaultMaxFileSize || d.AllowWeakDigests || d.Now == nil {
		t.Fatalf("default policy %+v", d)
	}
	w := client(t, repo.WithPolicy(repo.Policy{MaxFutureSkew: time.Hour}), repo.WithWeakDigests(true)).Policy()
	if w.Now == nil || w.MaxFutureSkew != time.Hour || w.FileLimit() != repo.DefaultMaxFileSize || !w.AllowWeakDigests {
		t.Fatalf("WithPolicy %+v", w)
	}
	var zero repo.Policy
	if zero.Validate() != nil || zero.FileLimit() != repo.DefaultMaxFileSize || time.Since(zero.Time()) > time.Minute {
		t.Fatal("zero policy")
	}
	if o := zero.VerifyOptions(at); !o.Now.Equal(at) || o.AllowWeakDigest {
		t.Fatalf("verify options %+v", o)
	}
}
