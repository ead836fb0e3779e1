package apt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

var (
	d1 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) // v1's Date
	d2 = time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC) // v2's Date
)

func keyring(t testing.TB, name string) *repo.Keyring {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repotest.Fixtures(t), "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	k, err := repo.ParseKeyring(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newClient(t testing.TB, now time.Time, opts ...repo.Option) (*repo.Client, string, *clock) {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{now: now}
	c, err := repo.NewClient(append([]repo.Option{repo.WithCacheDir(dir), repo.WithClock(clk.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, dir, clk
}

func fixture(t testing.TB, name string) string {
	return filepath.Join(repotest.Fixtures(t), "apt", name)
}

func testRepo(url string, kr *repo.Keyring) Repo {
	return Repo{URI: url, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Keyring: kr}
}

// updated serves fixture fx, makes a client at now and updates the test
// repository (archive-a's keyring, changed by edit) from it.
func updated(t *testing.T, fx string, now time.Time, edit ...func(*Repo)) (*repotest.Server, *repo.Client, string, Repo) {
	t.Helper()
	srv := repotest.Serve(t, fixture(t, fx))
	c, dir, _ := newClient(t, now)
	r := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
	for _, e := range edit {
		e(&r)
	}
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	return srv, c, dir, r
}

// refused checks that updating the test repository from srv (at d1 + 1 h)
// fails with want and leaves nothing in a new cache.
func refused(t *testing.T, srv *repotest.Server, want error) {
	t.Helper()
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	refusedBy(t, c, dir, testRepo(srv.URL, keyring(t, "archive-a.gpg")), want)
}

// refusedBy checks that updating r with c, whose cache dir is empty,
// fails with want and leaves it empty.
func refusedBy(t *testing.T, c *repo.Client, dir string, r Repo, want error) {
	t.Helper()
	snap, err := Update(context.Background(), c, r)
	if !errors.Is(err, want) || snap != nil {
		t.Fatalf("got %v; want %v", err, want)
	}
	if files := repotest.Files(t, dir); len(files) != 0 {
		t.Fatalf("cache holds %v", files)
	}
}

// kept checks that a refused update left the cache as it was (its tree
// hashed before) and that Open still gives the verified Release of date.
func kept(t *testing.T, c *repo.Client, dir, before string, r Repo, date time.Time) {
	t.Helper()
	if repotest.TreeHash(t, dir) != before {
		t.Fatal("cache changed")
	}
	s, err := Open(context.Background(), c, r)
	if err != nil || !s.Verified || !s.Release.Date.Equal(date) {
		t.Fatalf("previous cache: %v", err)
	}
}

func collect(t testing.TB, snap *Snapshot) []Package {
	t.Helper()
	var out []Package
	for p, err := range snap.Packages(context.Background()) {
		if err != nil {
			t.Fatalf("Packages: %v", err)
		}
		out = append(out, p)
	}
	return out
}

func names(ps []Package) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Package+"="+p.Version)
	}
	slices.Sort(out)
	return out
}

func TestUpdateVerifiesAndStreams(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	c, _, _ := newClient(t, d1.Add(time.Hour))
	snap, err := Update(context.Background(), c, testRepo(srv.URL, keyring(t, "archive-a.gpg")))
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Verified || len(snap.Signers) != 1 {
		t.Fatalf("verified %v signers %v", snap.Verified, snap.Signers)
	}
	if snap.Release.Suite != "stable" || snap.Release.Codename != "pk" || !snap.Release.Date.Equal(d1) {
		t.Fatalf("release %+v", snap.Release)
	}
	ps := collect(t, snap)
	want := []string{"pk-doc=3.0-1", "pk-hello=1.0-1", "pk-lib-dev=1:2.0-1", "pk-lib=1:2.0-1"}
	if got := names(ps); !slices.Equal(got, want) {
		t.Fatalf("packages %v, want %v", got, want)
	}
	for _, p := range ps {
		if p.Origin == nil || p.Origin.Origin != "Patchkit" || p.Origin.Suite != "stable" || p.Origin.Codename != "pk" || p.Origin.Label != "Patchkit" {
			t.Fatalf("origin of %s: %+v", p.Package, p.Origin)
		}
		if p.Priority != "optional" || p.Section == "" || p.SHA256 == "" || p.Size == 0 {
			t.Fatalf("fields of %s: %+v", p.Package, p)
		}
		if p.Package == "pk-lib" {
			if p.Source != "pk-src" || p.SourceVersion != "1:2.0-1" || p.Architecture != "amd64" || p.Section != "libs" {
				t.Fatalf("pk-lib: %+v", p)
			}
			q, err := p.ToPatchkit()
			if err != nil {
				t.Fatal(err)
			}
			if e, _ := q.Epoch.Value(); e != 1 || q.Version != "2.0" || q.Release != "1" || q.Scheme != patchkit.Deb || q.Repository != "Patchkit:stable" || q.SourceName != "pk-src" || q.Section != "libs" || q.Priority != "optional" {
				t.Fatalf("patchkit package %+v", q)
			}
		}
	}
	// The by-hash path was used (Acquire-By-Hash: yes).
	if srv.Hits("/dists/stable/main/binary-amd64/Packages.zst") != 0 {
		t.Error("canonical path fetched although the Release offers by-hash")
	}
	// Open reads the same from the cache, verified again.
	again, err := Open(context.Background(), c, testRepo(srv.URL, keyring(t, "archive-a.gpg")))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(collect(t, again)); !slices.Equal(got, want) {
		t.Fatalf("cached packages %v", got)
	}
}

// Every compression apt uses is read: the server offers only one variant at
// a time (404 for the others) and the client falls back through the list.
func TestUpdateEachCompression(t *testing.T) {
	for _, ext := range []string{"", ".gz", ".xz", ".bz2", ".lz4", ".zst"} {
		t.Run("Packages"+ext, func(t *testing.T) {
			srv := repotest.Serve(t, fixture(t, "v1"))
			rel, err := os.ReadFile(fixture(t, "v1/dists/stable/Release"))
			if err != nil {
				t.Fatal(err)
			}
			r, err := ParseRelease("Release", rel)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range []string{"", ".gz", ".xz", ".bz2", ".lz4", ".zst"} {
				if e == ext {
					continue
				}
				fi := r.Files["main/binary-amd64/Packages"+e]
				srv.Status("/dists/stable/main/binary-amd64/Packages"+e, 404)
				srv.Status("/dists/stable/main/binary-amd64/by-hash/SHA256/"+fi.SHA256, 404)
			}
			c, _, _ := newClient(t, d1.Add(time.Hour))
			snap, err := Update(context.Background(), c, testRepo(srv.URL, keyring(t, "archive-a.gpg")))
			if err != nil {
				t.Fatal(err)
			}
			if snap.Indexes[0].Path != "main/binary-amd64/Packages"+ext {
				t.Fatalf("read %s", snap.Indexes[0].Path)
			}
			if n := len(collect(t, snap)); n != 4 {
				t.Fatalf("%d packages", n)
			}
		})
	}
}

// A1: unsigned data appended after a valid InRelease, and armour with
// mangled whitespace, are refused; nothing is returned, the cache is kept.
func TestMatrixA1AppendedData(t *testing.T) {
	good, err := os.ReadFile(fixture(t, "v1/dists/stable/InRelease"))
	if err != nil {
		t.Fatal(err)
	}
	rel2, _ := os.ReadFile(fixture(t, "v2/dists/stable/Release"))
	cases := map[string][]byte{
		"appended Release":           append(append([]byte{}, good...), rel2...),
		"appended after blank":       append(append(append([]byte{}, good...), '\n'), rel2...),
		"trailing space on BEGIN":    []byte(strings.Replace(string(good), "-----BEGIN PGP SIGNED MESSAGE-----\n", "-----BEGIN PGP SIGNED MESSAGE----- \n", 1)),
		"leading space on SIGNATURE": []byte(strings.Replace(string(good), "\n-----BEGIN PGP SIGNATURE-----", "\n -----BEGIN PGP SIGNATURE-----", 1)),
		"second signed message":      append(append([]byte{}, good...), good...),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			srv, c, dir, r := updated(t, "v1", d1.Add(time.Hour))
			before := repotest.TreeHash(t, dir)
			srv.Bytes("/dists/stable/InRelease", data)
			srv.Status("/dists/stable/Release", 404)
			snap, err := Update(context.Background(), c, r)
			if !errors.Is(err, repo.ErrSignature) || snap != nil {
				t.Fatalf("got %v, %v; want ErrSignature", snap, err)
			}
			if after := repotest.TreeHash(t, dir); after != before {
				t.Fatal("cache changed")
			}
			// The parsed view excludes the extra data: the cached snapshot
			// still has v1's Release only.
			s, err := Open(context.Background(), c, r)
			if err != nil || !s.Release.Date.Equal(d1) {
				t.Fatalf("cached snapshot: %v %v", s, err)
			}
		})
	}
}

// A2: payload before, between or after the signatures of Release.gpg and
// InRelease is refused.
func TestMatrixA2SignaturePayload(t *testing.T) {
	sig, _ := os.ReadFile(fixture(t, "v1/dists/stable/Release.gpg"))
	inrel, _ := os.ReadFile(fixture(t, "v1/dists/stable/InRelease"))
	sigB, _ := os.ReadFile(filepath.Join(repotest.Fixtures(t), "apt/signatures/Release.gpg.keyB"))
	payload := "evil payload\n"
	s := string(sig)
	detached := map[string]string{
		"before":  payload + s,
		"between": s + payload + string(sigB),
		"after":   s + payload,
		"inside":  strings.Replace(s, "\n\n", "\n\n"+payload, 1),
	}
	for where, data := range detached {
		t.Run("Release.gpg/"+where, func(t *testing.T) {
			srv := repotest.Serve(t, fixture(t, "v1"))
			srv.Status("/dists/stable/InRelease", 404)
			srv.Bytes("/dists/stable/Release.gpg", []byte(data))
			refused(t, srv, repo.ErrSignature)
		})
	}
	in := string(inrel)
	i := strings.Index(in, "-----BEGIN PGP SIGNATURE-----")
	j := strings.Index(in, "-----END PGP SIGNATURE-----")
	clear := map[string]string{
		"before":  payload + in,
		"between": in[:i] + strings.Replace(in[i:j], "\n\n", "\n\n"+payload, 1) + in[j:],
		"after":   in + payload,
	}
	for where, data := range clear {
		t.Run("InRelease/"+where, func(t *testing.T) {
			srv := repotest.Serve(t, fixture(t, "v1"))
			srv.Bytes("/dists/stable/InRelease", []byte(data))
			refused(t, srv, repo.ErrSignature)
		})
	}
}

// A3: a Release signed by another repository's key fails with the signer's
// key ID, and no index is fetched.
func TestMatrixA3OtherKey(t *testing.T) {
	for _, form := range []string{"InRelease", "Release.gpg"} {
		t.Run(form, func(t *testing.T) {
			srv := repotest.Serve(t, fixture(t, "v1"))
			data, _ := os.ReadFile(filepath.Join(repotest.Fixtures(t), "apt/signatures", form+".keyB"))
			srv.Bytes("/dists/stable/"+form, data)
			if form == "Release.gpg" {
				srv.Status("/dists/stable/InRelease", 404)
			}
			c, dir, _ := newClient(t, d1.Add(time.Hour))
			snap, err := Update(context.Background(), c, testRepo(srv.URL, keyring(t, "archive-a.gpg")))
			var se *repo.SignatureError
			if !errors.As(err, &se) || snap != nil {
				t.Fatalf("got %v; want a SignatureError", err)
			}
			kb := keyring(t, "archive-b.gpg").Fingerprints()[0]
			if len(se.KeyIDs) != 1 || !strings.HasSuffix(kb, se.KeyIDs[0]) {
				t.Fatalf("key IDs %v, want the last 16 digits of %s", se.KeyIDs, kb)
			}
			if n := srv.Hits("/dists/stable/main/binary-amd64/Packages.zst"); n != 0 {
				t.Fatalf("an index was fetched %d times", n)
			}
			if files := repotest.Files(t, dir); len(files) != 0 {
				t.Fatalf("cache holds %v", files)
			}
		})
	}
}

// A4: signatures by an expired or revoked key, and SHA-1 signatures, are
// refused; SHA-1 only with the explicit opt-in.
func TestMatrixA4WeakExpiredRevoked(t *testing.T) {
	cases := []struct {
		variant, key string
		optIn        bool
		ok           bool
	}{
		{"expired", "expired.gpg", false, false},
		{"revoked", "revoked.gpg", false, false},
		{"sha1", "rpm.gpg", false, false},
		{"sha1", "rpm.gpg", true, true},
		{"rsa-sha256", "rpm.gpg", false, true}, // the control: same key, SHA-256
	}
	for _, tc := range cases {
		for _, form := range []string{"InRelease", "Release.gpg"} {
			t.Run(fmt.Sprintf("%s/%s/optin=%v", tc.variant, form, tc.optIn), func(t *testing.T) {
				srv := repotest.Serve(t, fixture(t, "v1"))
				data, _ := os.ReadFile(filepath.Join(repotest.Fixtures(t), "apt/signatures", form+"."+tc.variant))
				srv.Bytes("/dists/stable/"+form, data)
				if form == "Release.gpg" {
					srv.Status("/dists/stable/InRelease", 404)
				}
				c, dir, _ := newClient(t, d1.Add(time.Hour), repo.WithWeakDigests(tc.optIn))
				snap, err := Update(context.Background(), c, testRepo(srv.URL, keyring(t, tc.key)))
				if tc.ok {
					if err != nil || !snap.Verified {
						t.Fatalf("got %v", err)
					}
					return
				}
				if !errors.Is(err, repo.ErrSignature) || snap != nil {
					t.Fatalf("got %v; want ErrSignature", err)
				}
				if files := repotest.Files(t, dir); len(files) != 0 {
					t.Fatalf("cache holds %v", files)
				}
			})
		}
	}
}

// A5: a repository that was signed and is now served without InRelease and
// Release.gpg is refused, even with trusted=yes, and the cache is kept.
func TestMatrixA5DowngradeToUnsigned(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		t.Run(fmt.Sprintf("trusted=%v", trusted), func(t *testing.T) {
			srv, c, dir, r := updated(t, "v1", d1.Add(time.Hour), func(r *Repo) { r.Trusted = trusted })
			before := repotest.TreeHash(t, dir)
			srv.SetRoot(fixture(t, "v2"))
			srv.Status("/dists/stable/InRelease", 404)
			srv.Status("/dists/stable/Release.gpg", 404)
			snap, err := Update(context.Background(), c, r)
			if !errors.Is(err, repo.ErrDowngradeToInsecure) || snap != nil {
				t.Fatalf("got %v; want ErrDowngradeToInsecure", err)
			}
			kept(t, c, dir, before, r, d1)
		})
	}
	// Never signed: unsigned is an error unless trusted=yes, which gives an
	// unverified snapshot.
	srv := repotest.Serve(t, fixture(t, "v1"))
	srv.Status("/dists/stable/InRelease", 404)
	srv.Status("/dists/stable/Release.gpg", 404)
	c, _, _ := newClient(t, d1.Add(time.Hour))
	r := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
	if _, err := Update(context.Background(), c, r); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("unsigned: %v", err)
	}
	r.Trusted = true
	snap, err := Update(context.Background(), c, r)
	if err != nil || snap.Verified {
		t.Fatalf("trusted unsigned: %v %+v", err, snap)
	}
}

// A7: with two mirrors, each response is verified on its own; a tampered
// mirror never stands in for verification, and nothing tampered is stored.
func TestMatrixA7Mirrors(t *testing.T) {
	tampered := func(t *testing.T) *repotest.Server {
		s := repotest.Serve(t, fixture(t, "v1"))
		in, _ := os.ReadFile(fixture(t, "v1/dists/stable/InRelease"))
		s.Bytes("/dists/stable/InRelease", []byte(strings.Replace(string(in), "Suite: stable", "Suite: stab1e", 1)))
		s.Status("/dists/stable/Release", 404)
		return s
	}
	t.Run("both tampered", func(t *testing.T) {
		m1, m2 := tampered(t), tampered(t)
		c, dir, _ := newClient(t, d1.Add(time.Hour))
		r := testRepo(m1.URL, keyring(t, "archive-a.gpg"))
		r.Mirrors = []string{m2.URL}
		snap, err := Update(context.Background(), c, r)
		if !errors.Is(err, repo.ErrSignature) || snap != nil {
			t.Fatalf("got %v", err)
		}
		if m1.Hits("/dists/stable/InRelease") != 1 || m2.Hits("/dists/stable/InRelease") != 1 {
			t.Fatal("each mirror must be asked once")
		}
		if files := repotest.Files(t, dir); len(files) != 0 {
			t.Fatalf("cache holds %v", files)
		}
	})
	t.Run("second good", func(t *testing.T) {
		m1 := tampered(t)
		m2 := repotest.Serve(t, fixture(t, "v1"))
		c, dir, _ := newClient(t, d1.Add(time.Hour))
		r := testRepo(m1.URL, keyring(t, "archive-a.gpg"))
		r.Mirrors = []string{m2.URL}
		snap, err := Update(context.Background(), c, r)
		if err != nil || !snap.Verified || snap.Release.Suite != "stable" {
			t.Fatalf("got %v", err)
		}
		good, _ := os.ReadFile(fixture(t, "v1/dists/stable/InRelease"))
		// Only verified bytes were stored: the cached InRelease is mirror 2's.
		found := false
		for _, f := range repotest.Files(t, dir) {
			data, _ := os.ReadFile(filepath.Join(dir, f))
			if strings.Contains(string(data), "stab1e") {
				t.Fatalf("tampered bytes stored in %s", f)
			}
			if string(data) == string(good) {
				found = true
			}
		}
		if !found {
			t.Fatal("good InRelease not cached")
		}
	})
	t.Run("index mirror fallback", func(t *testing.T) {
		m1 := repotest.Serve(t, fixture(t, "v1"))
		m2 := repotest.Serve(t, fixture(t, "v1"))
		rel, _ := os.ReadFile(fixture(t, "v1/dists/stable/Release"))
		r0, _ := ParseRelease("Release", rel)
		fi := r0.Files["main/binary-amd64/Packages.zst"]
		m1.Bytes("/dists/stable/main/binary-amd64/by-hash/SHA256/"+fi.SHA256, []byte("tampered"))
		c, _, _ := newClient(t, d1.Add(time.Hour))
		r := testRepo(m1.URL, keyring(t, "archive-a.gpg"))
		r.Mirrors = []string{m2.URL}
		snap, err := Update(context.Background(), c, r)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(collect(t, snap)); n != 4 {
			t.Fatalf("%d packages", n)
		}
	})
}

// B1: a replayed older Release is refused with ErrRollback; the cache keeps
// the newer one.
func TestMatrixB1Rollback(t *testing.T) {
	srv, c, dir, r := updated(t, "v2", d2.Add(time.Hour))
	before := repotest.TreeHash(t, dir)
	srv.SetRoot(fixture(t, "v1"))
	snap, err := Update(context.Background(), c, r)
	var re *repo.RollbackError
	if !errors.As(err, &re) || !errors.Is(err, repo.ErrRollback) || snap != nil || !re.Accepted.Equal(d2) || !re.Date.Equal(d1) {
		t.Fatalf("got %v", err)
	}
	kept(t, c, dir, before, r, d2)
}

// B2: a Release past its Valid-Until is refused (unless check-valid-until
// is turned off for the source); a cached one past it is not returned.
func TestMatrixB2Expired(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	c, dir, clk := newClient(t, d1.Add(15*24*time.Hour+time.Second)) // Valid-Until + 1 s
	r := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
	refusedBy(t, c, dir, r, repo.ErrExpired)
	r.IgnoreValidUntil = true
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatalf("check-valid-until=no: %v", err)
	}
	// A cached copy that expires is not served either.
	r.IgnoreValidUntil = false
	clk.now = d1.Add(20 * 24 * time.Hour)
	if _, err := Open(context.Background(), c, r); !errors.Is(err, repo.ErrExpired) {
		t.Fatalf("cached expired: %v", err)
	}
	// Max-ValidTime caps a Release without (or with a later) Valid-Until.
	r.MaxValidTime = 24 * time.Hour
	clk.now = d1.Add(2 * 24 * time.Hour)
	if _, err := Open(context.Background(), c, r); !errors.Is(err, repo.ErrExpired) {
		t.Fatalf("max valid time: %v", err)
	}
}

// B4: a Date in the future (beyond 10 s of skew) is refused, and the stored
// date does not advance.
func TestMatrixB4FutureDate(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	c, dir, clk := newClient(t, d1.Add(-11*time.Second))
	r := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
	refusedBy(t, c, dir, r, repo.ErrFutureDate)
	clk.now = d1.Add(-9 * time.Second) // within the skew
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	// v2 (a week later) while the clock is still at d1: refused, cache kept.
	before := repotest.TreeHash(t, dir)
	srv.SetRoot(fixture(t, "v2"))
	if _, err := Update(context.Background(), c, r); !errors.Is(err, repo.ErrFutureDate) {
		t.Fatalf("got %v", err)
	}
	if repotest.TreeHash(t, dir) != before {
		t.Fatal("cache changed")
	}
}

// B5: a fresh Release with a stale index (mix-and-match) fails with a
// checksum or size error; the whole update is reverted.
func TestMatrixB5StaleIndex(t *testing.T) {
	srv, c, dir, r := updated(t, "v1", d2.Add(time.Hour))
	before := repotest.TreeHash(t, dir)
	// v2's signed Release, v1's Packages files at every path.
	srv.SetRoot(fixture(t, "v2"))
	v2rel, _ := os.ReadFile(fixture(t, "v2/dists/stable/Release"))
	rel, _ := ParseRelease("Release", v2rel)
	for p, fi := range rel.Files {
		old, err := os.ReadFile(fixture(t, "v1/dists/stable/"+p))
		if err != nil {
			t.Fatal(err)
		}
		srv.Bytes("/dists/stable/"+p, old)
		srv.Bytes("/dists/stable/"+filepath.Dir(p)+"/by-hash/SHA256/"+fi.SHA256, old)
	}
	snap, err := Update(context.Background(), c, r)
	if !(errors.Is(err, repo.ErrHashMismatch) || errors.Is(err, repo.ErrSize)) || snap != nil {
		t.Fatalf("got %v", err)
	}
	kept(t, c, dir, before, r, d1)
}

// B6: a change of Suite is refused unless explicitly accepted.
func TestMatrixB6ReleaseInfoChanged(t *testing.T) {
	srv, c, dir, r := updated(t, "v1", d2.Add(time.Hour))
	before := repotest.TreeHash(t, dir)
	srv.SetRoot(fixture(t, "suite-changed"))
	snap, err := Update(context.Background(), c, r)
	var ce *repo.ReleaseInfoChangedError
	if !errors.As(err, &ce) || ce.Field != "Suite" || ce.Old != "stable" || ce.New != "testing" || snap != nil {
		t.Fatalf("got %v", err)
	}
	if repotest.TreeHash(t, dir) != before {
		t.Fatal("cache changed")
	}
	r.AllowReleaseInfoChange = true
	snap, err = Update(context.Background(), c, r)
	if err != nil || snap.Release.Suite != "testing" {
		t.Fatalf("accepted change: %v", err)
	}
}

// C1: an index with 10 bytes appended, or truncated, fails with ErrSize or
// ErrHashMismatch before it is decompressed; nothing is stored.
func TestMatrixC1IndexTampered(t *testing.T) {
	rel, _ := os.ReadFile(fixture(t, "v1/dists/stable/Release"))
	r0, _ := ParseRelease("Release", rel)
	fi := r0.Files["main/binary-amd64/Packages.zst"]
	orig, _ := os.ReadFile(fixture(t, "v1/dists/stable/main/binary-amd64/Packages.zst"))
	flipped := append([]byte{}, orig...)
	flipped[len(flipped)/2] ^= 1
	cases := map[string]struct {
		data []byte
		want error
	}{
		"appended":  {append(append([]byte{}, orig...), "0123456789"...), repo.ErrSize},
		"truncated": {orig[:len(orig)-10], repo.ErrSize},
		"flipped":   {flipped, repo.ErrHashMismatch},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := repotest.Serve(t, fixture(t, "v1"))
			srv.Bytes("/dists/stable/main/binary-amd64/by-hash/SHA256/"+fi.SHA256, tc.data)
			srv.Bytes("/dists/stable/main/binary-amd64/Packages.zst", tc.data)
			refused(t, srv, tc.want)
		})
	}
}

// C3: an index streamed past its signed size is cut at size+1 and its
// temporary file removed.
func TestMatrixC3EndlessIndex(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	rel, _ := os.ReadFile(fixture(t, "v1/dists/stable/Release"))
	r0, _ := ParseRelease("Release", rel)
	fi := r0.Files["main/binary-amd64/Packages.zst"]
	var sent atomic.Int64
	endless := func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 4096)
		for i := 0; i < 1<<14; i++ { // at most 64 MiB, then the handler gives up
			n, err := w.Write(buf)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
	srv.Handle("/dists/stable/main/binary-amd64/by-hash/SHA256/"+fi.SHA256, endless)
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	snap, err := Update(context.Background(), c, testRepo(srv.URL, keyring(t, "archive-a.gpg")))
	var se *repo.SizeError
	if !errors.As(err, &se) || se.Want != fi.Size || se.Got != fi.Size+1 || snap != nil {
		t.Fatalf("got %v", err)
	}
	if files := repotest.Files(t, dir); len(files) != 0 {
		t.Fatalf("cache holds %v (temporary file left?)", files)
	}
	if sent.Load() >= 64<<20 {
		t.Fatal("the client read the whole endless body")
	}
}

// C5 (apt side): a Filename that leaves the repository is an entry error.
func TestMatrixC5Filename(t *testing.T) {
	for _, bad := range []string{"../../../../etc/passwd", "/etc/passwd", "pool/%2e%2e/%2e%2e/x.deb", "http://evil.invalid/x.deb", "pool\\..\\x.deb"} {
		data := "Package: a\nVersion: 1\nArchitecture: all\nFilename: " + bad + "\n\nPackage: b\nVersion: 1\nArchitecture: all\nFilename: pool/main/b_1_all.deb\n"
		var got []string
		var errs []error
		for p, err := range ParsePackages("Packages", strings.NewReader(data), ParseOptions{}) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			got = append(got, p.Package)
		}
		if len(errs) != 1 || !errors.Is(errs[0], repo.ErrPathTraversal) || !slices.Equal(got, []string{"b"}) {
			t.Fatalf("%q: records %v errors %v", bad, got, errs)
		}
	}
}

// D3: deb822 abuse in Packages: a 2 MB line, NUL, CRLF, duplicate fields, a
// missing final newline, and a remote Status field.
func TestMatrixD3PackagesAbuse(t *testing.T) {
	parse := func(data string) ([]Package, []error) {
		var ps []Package
		var errs []error
		for p, err := range ParsePackages("Packages", strings.NewReader(data), ParseOptions{}) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ps = append(ps, p)
		}
		return ps, errs
	}
	long := "Package: a\nVersion: 1\nArchitecture: all\nDepends: " + strings.Repeat("x", 2<<20) + "\n"
	if _, errs := parse(long); len(errs) != 1 || !errors.Is(errs[0], patchkit.ErrInvalid) || !errors.Is(errs[0], repo.ErrTooLarge) {
		t.Fatalf("long line: %v", errs)
	}
	var se *repo.SyntaxError
	if _, errs := parse("Package: a\nVersion: 1\nArch\x00itecture: all\n"); len(errs) != 1 || !errors.As(errs[0], &se) || se.Line != 3 {
		t.Fatalf("NUL: %v", errs)
	}
	ps, errs := parse("Package: a\r\nVersion: 1\r\nArchitecture: all\r\n\r\nPackage: b\r\nVersion: 2\r\nArchitecture: all")
	if len(errs) != 0 || len(ps) != 2 || ps[0].Architecture != "all" || ps[1].Version != "2" {
		t.Fatalf("CRLF and no final newline: %v %v", ps, errs)
	}
	ps, errs = parse("Package: a\nVersion: 1\nVersion: 2\nArchitecture: all\n\nPackage: b\nVersion: 1\nArchitecture: all\n")
	if len(errs) != 1 || !errors.As(errs[0], &se) || se.Line != 3 || len(ps) != 1 || ps[0].Package != "b" {
		t.Fatalf("duplicate: %v %v", ps, errs)
	}
	ps, errs = parse("Package: a\nVersion: 1\nArchitecture: all\nStatus: install ok installed\n")
	if len(errs) != 0 || len(ps) != 1 {
		t.Fatalf("status: %v %v", ps, errs)
	}
	// The record has no installed state at all: Status is not read.
	if fmt.Sprintf("%+v", ps[0]) != fmt.Sprintf("%+v", Package{Package: "a", Version: "1", Architecture: "all", Line: 1}) {
		t.Fatalf("remote Status leaked into %+v", ps[0])
	}
}

func TestConditionalRequestsAndNoRefetch(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	srv.Conditional = true
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	r := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	before := repotest.TreeHash(t, dir)
	var ims string
	srv.Handle("/dists/stable/InRelease", func(w http.ResponseWriter, req *http.Request) {
		ims = req.Header.Get("If-Modified-Since")
		http.ServeFile(w, req, fixture(t, "v1/dists/stable/InRelease"))
	})
	snap, err := Update(context.Background(), c, r)
	if err != nil || !snap.Verified {
		t.Fatal(err)
	}
	if ims == "" {
		t.Fatal("second update was not conditional")
	}
	rel, _ := os.ReadFile(fixture(t, "v1/dists/stable/Release"))
	r0, _ := ParseRelease("Release", rel)
	if n := srv.Hits("/dists/stable/main/binary-amd64/by-hash/SHA256/" + r0.Files["main/binary-amd64/Packages.zst"].SHA256); n != 1 {
		t.Fatalf("unchanged index fetched %d times", n)
	}
	if repotest.TreeHash(t, dir) != before {
		t.Fatal("cache changed on a no-op update")
	}
}

func TestPrivateCacheRemovedOnClose(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	c, err := repo.NewClient(repo.WithClock(func() time.Time { return d1.Add(time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := Update(context.Background(), c, testRepo(srv.URL, keyring(t, "archive-a.gpg")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(snap.dir); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := os.Stat(snap.dir); !os.IsNotExist(err) {
		t.Fatalf("private cache left behind: %v", err)
	}
}

// TestArchitecturesRequired: the architecture to read is a fact of the
// system being scanned; without it Update fails with an error naming the
// field, never reading the running machine's.
func TestArchitecturesRequired(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	c, _, _ := newClient(t, d1.Add(time.Hour))
	r := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
	r.Architectures = nil
	_, err := Update(context.Background(), c, r)
	var pe *patchkit.ParseError
	if !errors.As(err, &pe) || pe.Field != "Architectures" || !errors.Is(err, patchkit.ErrInvalid) {
		t.Fatalf("err %v, want a ParseError naming Architectures", err)
	}
	// An arm64 system reads the arm64 index, which this repository lacks:
	// the error says so instead of falling back to this machine's.
	r.Architectures = []string{"arm64"}
	_, err = Update(context.Background(), c, r)
	if err == nil || !strings.Contains(err.Error(), "main/binary-arm64/Packages") {
		t.Fatalf("arm64: err %v, want the missing binary-arm64 index named", err)
	}
	r.Architectures = []string{"amd64"}
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
}
