package rpmmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/repocache/cachetest"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// Tests of defences that were not guarded by any test before issue 11:
// each fails when its defence is taken out (the comment says which).

// cacheEntry rewrites one file of the only repository in the cache dir:
// content is stored as a new object and the manifest's entry points to it,
// with its SHA-256 and size, so that the manifest and the objects agree
// and only the checks against the signed metadata can tell.
func cacheEntry(t *testing.T, dir, file string, content []byte) {
	t.Helper()
	cachetest.EditManifest(t, dir, func(m *repocache.Manifest) {
		e := m.Files[file]
		e.SHA256, e.Size = cachetest.Entry(content).SHA256, int64(len(content))
		m.Files[file] = e
	}, content)
}

// cachedObject returns the path of the cached object of file.
func cachedObject(t *testing.T, dir, file string) string {
	t.Helper()
	m, path := cachetest.Manifest(t, dir)
	return repocache.ObjectPath(filepath.Dir(path), m.Files[file].SHA256)
}

func readAll(s *Snapshot) (int, []error) {
	d := repotest.Drain(s.Packages(context.Background()))
	return d.N, d.Errs
}

// Open checks the cached repomd.xml's signature again, against the
// keyring given now: a keyring without the signing key, a cached
// repomd.xml changed after it was verified (manifest and object
// consistent), and a key revoked since the update all fail with
// ErrSignature. (Defence: repo.VerifyDetached in Open.)
func TestOpenVerifiesSignatureAgain(t *testing.T) {
	c, dir, _ := newClient(t, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	r := signedRepo(fixture(t, "updates-gz"), rpmKey(t))
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	other := r
	data, _ := os.ReadFile(filepath.Join(repotest.Fixtures(t), "keys", "archive-b.gpg"))
	other.Keyring, _ = repo.ParseKeyring("archive-b.gpg", data)
	other.RequireSignature = false // the cache says it was signed
	if _, err := Open(context.Background(), c, other); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("other keyring: %v", err)
	}
	md, _ := os.ReadFile(fixture(t, "updates-gz/repodata/repomd.xml"))
	cacheEntry(t, dir, "repomd.xml", bytes.Replace(md, []byte("<revision>"), []byte("<revision>9"), 1))
	if _, err := Open(context.Background(), c, r); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("tampered cache: %v", err)
	}

	// A key revoked after the update: Open refuses what Update accepted.
	c2, _, clk2 := newClient(t, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	rv := sigRepo(t, "revoked")
	if _, err := Update(context.Background(), c2, rv); err != nil {
		t.Fatal(err)
	}
	clk2.now = time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)
	if _, err := Open(context.Background(), c2, rv); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("revoked since: %v", err)
	}
}

// The cached data files are checked again before they are read: a changed
// byte of the cached primary (defence: the re-hash of the object,
// repocache.ReadVerified), and a manifest entry pointing to another object that
// matches the manifest but not repomd.xml (defence: the comparison with
// repomd.xml's checksum), give ErrHashMismatch and no record.
func TestCachedDataCheckedAgain(t *testing.T) {
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	r := signedRepo(fixture(t, "updates-gz"), rpmKey(t))
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	obj := cachedObject(t, dir, "primary")
	orig, _ := os.ReadFile(obj)
	flipped := append([]byte{}, orig...)
	flipped[len(flipped)/2] ^= 1
	os.WriteFile(obj, flipped, 0o644)
	snap, err := Open(context.Background(), c, r)
	if err != nil {
		t.Fatal(err)
	}
	if n, errs := readAll(snap); n != 0 || len(errs) != 1 || !errors.Is(errs[0], repo.ErrHashMismatch) {
		t.Fatalf("changed object: %d records, %v", n, errs)
	}
	os.WriteFile(obj, orig, 0o644)
	cacheEntry(t, dir, "primary", flipped)
	snap, err = Open(context.Background(), c, r)
	if err != nil {
		t.Fatal(err)
	}
	if n, errs := readAll(snap); n != 0 || len(errs) != 1 || !errors.Is(errs[0], repo.ErrHashMismatch) {
		t.Fatalf("other object: %d records, %v", n, errs)
	}
}

// unsignedCopy copies updates-gz without its signature, with edit applied
// to the primary's <data> block of repomd.xml.
func unsignedCopy(t *testing.T, edit func(block []byte) []byte) string {
	t.Helper()
	tmp := t.TempDir()
	repotest.CopyDir(t, fixture(t, "updates-gz"), tmp)
	os.Remove(filepath.Join(tmp, "repodata/repomd.xml.asc"))
	p := filepath.Join(tmp, "repodata/repomd.xml")
	md, _ := os.ReadFile(p)
	block := regexp.MustCompile(`(?s)<data type="primary">.*?</data>`).Find(md)
	if block == nil {
		t.Fatal("no primary block")
	}
	os.WriteFile(p, bytes.Replace(md, block, edit(append([]byte{}, block...)), 1), 0o644)
	return tmp
}

// The decompressed primary must have repomd.xml's open-size and
// open-checksum: a mismatch ends the records with ErrSize or
// ErrHashMismatch. (Defence: repocache.Expect from the open-checksum and
// open-size in Snapshot.open.)
func TestOpenChecksumAndSize(t *testing.T) {
	for name, tc := range map[string]struct {
		re, to string
		want   error
	}{
		"open-checksum": {`(<open-checksum type="sha256">)[0-9a-f]{8}`, "${1}00000000", repo.ErrHashMismatch},
		"open-size":     {`<open-size>(\d+)</open-size>`, "<open-size>${1}0</open-size>", repo.ErrSize},
	} {
		t.Run(name, func(t *testing.T) {
			dir := unsignedCopy(t, func(b []byte) []byte {
				return regexp.MustCompile(tc.re).ReplaceAll(b, []byte(tc.to))
			})
			c, _, _ := newClient(t, d1.Add(time.Hour))
			snap, err := Update(context.Background(), c, Repo{ID: "u", BaseURLs: []string{dir}})
			if err != nil {
				t.Fatal(err)
			}
			_, errs := readAll(snap)
			if len(errs) != 1 || !errors.Is(errs[0], tc.want) || !strings.Contains(errs[0].Error(), "(decompressed)") {
				t.Fatalf("errors %v", errs)
			}
		})
	}
}

// endless serves zeros for at most 64 MiB, then stops: a client whose limit
// broke reads it whole and fails on something else, instead of hanging.
func endless(sent *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		for i := 0; i < 1024; i++ {
			n, err := w.Write(buf)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
}

// An endless repomd.xml is cut at 10 MB + 1 (repo.MaxReleaseSize); an
// endless primary at its size in repomd.xml + 1, or, when repomd.xml gives
// none, at the client's file size limit + 1. Nothing is cached. (Defences:
// the limits passed to Fetch in Update and fetchData.)
func TestEndlessRepomdAndPrimary(t *testing.T) {
	loc := snapLocation(t, "updates-gz", "primary")
	check := func(t *testing.T, srv *repotest.Server, sent *atomic.Int64, r Repo, opts []repo.Option, want func(error) bool) {
		t.Helper()
		dir := t.TempDir()
		c, err := repo.NewClient(append([]repo.Option{repo.WithCacheDir(dir), repo.WithClock(func() time.Time { return d1.Add(time.Hour) })}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		snap, err := Update(context.Background(), c, r)
		if !want(err) || snap != nil {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("took %s", d)
		}
		if sent.Load() >= 64<<20 {
			t.Fatal("the whole endless body was read")
		}
		if files := repotest.Files(t, dir); len(files) != 0 {
			t.Fatalf("cache holds %v", files)
		}
	}
	t.Run("repomd.xml", func(t *testing.T) {
		srv := repotest.Serve(t, fixture(t, "updates-gz"))
		var sent atomic.Int64
		srv.Handle("/repodata/repomd.xml", endless(&sent))
		check(t, srv, &sent, Repo{ID: "e", BaseURLs: []string{srv.URL}}, nil, func(err error) bool {
			var te *repo.TooLargeError
			return errors.As(err, &te) && te.Limit == repo.MaxReleaseSize
		})
	})
	t.Run("primary with a size", func(t *testing.T) {
		srv := repotest.Serve(t, fixture(t, "updates-gz"))
		var sent atomic.Int64
		srv.Handle("/"+loc, endless(&sent))
		md, _ := os.ReadFile(fixture(t, "updates-gz/repodata/repomd.xml"))
		m, _ := ParseRepomd("repomd.xml", bytes.NewReader(md), Limits{})
		size := m.Data["primary"].Size
		check(t, srv, &sent, signedRepo(srv.URL, rpmKey(t)), nil, func(err error) bool {
			var se *repo.SizeError
			return errors.As(err, &se) && se.Want == size && se.Got == size+1
		})
	})
	t.Run("primary without a size", func(t *testing.T) {
		dir := unsignedCopy(t, func(b []byte) []byte {
			return regexp.MustCompile(`<size>\d+</size>`).ReplaceAll(b, nil)
		})
		srv := repotest.Serve(t, dir)
		var sent atomic.Int64
		srv.Handle("/"+loc, endless(&sent))
		check(t, srv, &sent, Repo{ID: "e", BaseURLs: []string{srv.URL}}, []repo.Option{repo.WithMaxFileSize(1 << 20)}, func(err error) bool {
			var te *repo.TooLargeError
			return errors.As(err, &te) && te.Limit == 1<<20
		})
	})
}

// sigRepo is updates-gz with repomd.xml.asc replaced by one of the
// rpm-sigs fixtures, and that fixture's key as the keyring.
func sigRepo(t *testing.T, variant string) Repo {
	t.Helper()
	tmp := t.TempDir()
	repotest.CopyDir(t, fixture(t, "updates-gz"), tmp)
	sig, err := os.ReadFile(filepath.Join(repotest.Fixtures(t), "rpm-sigs", "repomd.xml.asc."+variant))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tmp, "repodata/repomd.xml.asc"), sig, 0o644)
	key, err := os.ReadFile(filepath.Join(repotest.Fixtures(t), "keys", "rpm-"+variant+".gpg"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := repo.ParseKeyring("rpm-"+variant+".gpg", key)
	if err != nil {
		t.Fatal(err)
	}
	return Repo{ID: "sig-" + variant, BaseURLs: []string{tmp}, Keyring: kr, RequireSignature: true}
}

// A repomd.xml signed with SHA-1, by a key that has expired, or by a key
// revoked since it signed, is refused and nothing is cached; SHA-1 is
// accepted with WithWeakDigests, and the revoked key's signature before its
// revocation. (Defences: the rejected hash algorithms of
// repo.VerifyOptions, and the check that the key is valid now, not only
// when it signed.)
func TestRPMSignaturesWeakExpiredRevoked(t *testing.T) {
	for _, tc := range []struct {
		variant string
		now     time.Time
		opts    []repo.Option
		ok      bool
	}{
		{"sha1", d1.Add(time.Hour), nil, false},
		{"sha1", d1.Add(time.Hour), []repo.Option{repo.WithWeakDigests(true)}, true},
		{"expired", d1.Add(time.Hour), nil, false},
		{"revoked", time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC), nil, false},
		{"revoked", time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC), nil, true},
	} {
		t.Run(fmt.Sprintf("%s %s %d", tc.variant, tc.now.Format("01-02"), len(tc.opts)), func(t *testing.T) {
			c, dir, _ := newClient(t, tc.now, tc.opts...)
			snap, err := Update(context.Background(), c, sigRepo(t, tc.variant))
			if tc.ok {
				if err != nil || !snap.Verified {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var se *repo.SignatureError
			if !errors.As(err, &se) || !errors.Is(err, repo.ErrSignature) || snap != nil {
				t.Fatalf("got %v", err)
			}
			if files := repotest.Files(t, dir); len(files) != 0 {
				t.Fatalf("cache holds %v", files)
			}
		})
	}
}
