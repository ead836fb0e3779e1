package apt

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/repocache/cachetest"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// Update, Open and OpenLists check a Release with one function
// (verifyRelease). These tests cover where the three paths differed before
// it: each fails on the behaviour a path had then (the comment says which).

// editCache rewrites the manifest of the only repository in the cache dir:
// edit may change the files and the recorded state; add puts objects.
func editCache(t *testing.T, dir string, edit func(files map[string]repocache.ManifestEntry, st map[string]any), add ...[]byte) {
	t.Helper()
	cachetest.EditManifest(t, dir, func(m *repocache.Manifest) {
		var st map[string]any
		if err := json.Unmarshal(m.State, &st); err != nil {
			t.Fatal(err)
		}
		edit(m.Files, st)
		m.State, _ = json.Marshal(st)
	}, add...)
}

// A cache recorded as signed that now holds an unsigned Release is refused
// by Open as Update refuses a signed repository served unsigned: with a
// DowngradeError, even for a Trusted repository. (Before: Open accepted it
// for a Trusted repository, unverified, and applied no downgrade check.)
func TestOpenRefusesDowngradedCache(t *testing.T) {
	_, c, dir, r := updated(t, "v1", d1.Add(time.Hour), func(r *Repo) { r.Trusted = true })
	rel, _ := os.ReadFile(fixture(t, "v1/dists/stable/Release"))
	editCache(t, dir, func(files map[string]repocache.ManifestEntry, st map[string]any) {
		delete(files, "InRelease")
		files["Release"] = cachetest.Entry(rel)
		st["Detached"] = false
	}, rel)
	snap, err := Open(context.Background(), c, r)
	var de *repo.DowngradeError
	if !errors.As(err, &de) || snap != nil {
		t.Fatalf("got %v; want a DowngradeError", err)
	}
	// As in Update, AllowDowngradeToInsecure with Trusted accepts it,
	// unverified.
	r.AllowDowngradeToInsecure = true
	if snap, err = Open(context.Background(), c, r); err != nil || snap.Verified {
		t.Fatalf("allowed downgrade: %v", err)
	}
}

// A Release.gpg the cache holds is always verified, whatever the recorded
// state says, as Update and OpenLists verify every Release.gpg they find.
// (Before: Open checked Release.gpg only when the state said "Detached",
// and otherwise took the Release of a Trusted repository unverified.)
func TestOpenVerifiesCachedReleaseGpg(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	srv.Status("/dists/stable/InRelease", 404)
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	r := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
	r.Trusted = true
	snap, err := Update(context.Background(), c, r)
	if err != nil || !snap.Verified {
		t.Fatalf("update: %v", err)
	}
	editCache(t, dir, func(files map[string]repocache.ManifestEntry, st map[string]any) {
		st["Detached"], st["Signed"] = false, false
	})
	other := testRepo(srv.URL, keyring(t, "archive-b.gpg"))
	other.Trusted = true
	if snap, err = Open(context.Background(), c, other); !errors.Is(err, repo.ErrSignature) || snap != nil {
		t.Fatalf("Release.gpg by a key outside the keyring: %v", err)
	}
	// The lists path agrees: the same files in a lists directory.
	if _, err := OpenLists(context.Background(), c.Policy(), listsOf(t, srv.URL, "Release", "Release.gpg"), other); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("lists: %v", err)
	}
}

// listsOf is a lists directory with the named files of fixture v1's Release
// for the repository at uri.
func listsOf(t *testing.T, uri string, files ...string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	prefix := ListsFileName(distBase(uri, "stable"))
	for _, f := range files {
		data, err := os.ReadFile(fixture(t, "v1/dists/stable/"+f))
		if err != nil {
			t.Fatal(err)
		}
		out[prefix+strings.ReplaceAll(f, "/", "_")] = &fstest.MapFile{Data: data}
	}
	return out
}

// A Release older than the date recorded with it is refused by Open as
// Update refuses a rollback, and changed release information too. (Before:
// Open compared nothing with the recorded state.)
func TestOpenChecksRecordedState(t *testing.T) {
	_, c, dir, r := updated(t, "v1", d1.Add(time.Hour))
	editCache(t, dir, func(_ map[string]repocache.ManifestEntry, st map[string]any) {
		st["Date"] = d1.Add(time.Minute).Format(time.RFC3339)
	})
	var re *repo.RollbackError
	if _, err := Open(context.Background(), c, r); !errors.As(err, &re) || !re.Accepted.Equal(d1.Add(time.Minute)) {
		t.Fatalf("recorded date later than the cached Release: %v", err)
	}
	editCache(t, dir, func(_ map[string]repocache.ManifestEntry, st map[string]any) {
		st["Date"] = d1.Format(time.RFC3339)
		st["Info"].(map[string]any)["Codename"] = "other"
	})
	if _, err := Open(context.Background(), c, r); !errors.Is(err, repo.ErrReleaseInfoChanged) {
		t.Fatalf("recorded codename differs: %v", err)
	}
	r.AllowReleaseInfoChange = true
	if _, err := Open(context.Background(), c, r); err != nil {
		t.Fatalf("allowed release info change: %v", err)
	}
}

// A cached Release is read with the same size limit as a fetched one: a
// manifest claiming an InRelease of 2^62 bytes is a TooLargeError, not an
// allocation of that size. (Before: Open allocated what the manifest said
// and panicked.)
func TestOpenCachedReleaseLimit(t *testing.T) {
	_, c, dir, r := updated(t, "v1", d1.Add(time.Hour))
	editCache(t, dir, func(files map[string]repocache.ManifestEntry, _ map[string]any) {
		e := files["InRelease"]
		e.Size = 1 << 62
		files["InRelease"] = e
	})
	if _, err := Open(context.Background(), c, r); !errors.Is(err, repo.ErrTooLarge) {
		t.Fatalf("got %v; want ErrTooLarge", err)
	}
}

// Each mirror's Release is checked whole, freshness included, before the
// next is tried: an expired copy on the first mirror does not hide a fresh
// one on the second. (Before: Update took the first Release whose
// signature verified and failed when it was expired.)
func TestUpdateMirrorFreshness(t *testing.T) {
	stale := repotest.Serve(t, fixture(t, "v1"))
	fresh := repotest.Serve(t, fixture(t, "v2"))
	c, _, _ := newClient(t, d1.Add(15*24*time.Hour+time.Second)) // v1's Valid-Until + 1 s
	r := testRepo(stale.URL, keyring(t, "archive-a.gpg"))
	r.Mirrors = []string{fresh.URL}
	snap, err := Update(context.Background(), c, r)
	if err != nil || !snap.Release.Date.Equal(d2) {
		t.Fatalf("got %v", err)
	}
	// With the expired copy alone, the error says so.
	r.Mirrors = nil
	c2, _, _ := newClient(t, d1.Add(15*24*time.Hour+time.Second))
	if _, err := Update(context.Background(), c2, r); !errors.Is(err, repo.ErrExpired) {
		t.Fatalf("expired only: %v", err)
	}
}

// The same unsigned Release is judged alike on the three paths: refused
// unless Trusted, then accepted unverified.
func TestUnsignedAlikeOnEveryPath(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		srv := repotest.Serve(t, fixture(t, "v1"))
		srv.Status("/dists/stable/InRelease", 404)
		srv.Status("/dists/stable/Release.gpg", 404)
		c, _, _ := newClient(t, d1.Add(time.Hour))
		r := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
		r.Trusted = trusted
		up, uerr := Update(context.Background(), c, r)
		li, lerr := OpenLists(context.Background(), c.Policy(), listsOf(t, srv.URL, "Release", "main/binary-amd64/Packages"), r)
		if !trusted {
			if !errors.Is(uerr, repo.ErrSignature) || !errors.Is(lerr, repo.ErrSignature) {
				t.Fatalf("untrusted: update %v, lists %v", uerr, lerr)
			}
			continue
		}
		op, oerr := Open(context.Background(), c, r)
		if uerr != nil || lerr != nil || oerr != nil || up.Verified || li.Verified || op.Verified {
			t.Fatalf("trusted: update %v, lists %v, open %v", uerr, lerr, oerr)
		}
	}
}

// Bad arguments and unmet preconditions are input errors.
func TestPreconditionsAreInvalid(t *testing.T) {
	c, _, _ := newClient(t, d1)
	lists := fstest.MapFS{}
	ok := testRepo("http://127.0.0.1:1", keyring(t, "archive-a.gpg"))
	for name, call := range map[string]func() error{
		"Update nil client": func() error { _, err := Update(context.Background(), nil, ok); return err },
		"Open nil client":   func() error { _, err := Open(context.Background(), nil, ok); return err },
		"OpenLists nil fs":  func() error { _, err := OpenLists(context.Background(), c.Policy(), nil, ok); return err },
		"Update no URI": func() error {
			_, err := Update(context.Background(), c, Repo{Suite: "stable", Components: []string{"main"}})
			return err
		},
		"Open no suite": func() error {
			_, err := Open(context.Background(), c, Repo{URI: "http://x", Components: []string{"main"}})
			return err
		},
		"OpenLists no components": func() error {
			_, err := OpenLists(context.Background(), c.Policy(), lists, Repo{URI: "http://x", Suite: "stable"})
			return err
		},
		"OpenLists negative skew": func() error {
			_, err := OpenLists(context.Background(), repo.Policy{MaxFutureSkew: -1}, lists, ok)
			return err
		},
		"no architectures": func() error {
			r := ok
			r.Architectures = nil
			_, err := OpenLists(context.Background(), c.Policy(), listsOf(t, "http://127.0.0.1:1", "InRelease"), r)
			return err
		},
	} {
		if err := call(); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%s: got %v; want patchkit.ErrInvalid", name, err)
		}
	}
	var ie *repo.InvalidError
	if _, err := Update(context.Background(), c, Repo{}); !errors.As(err, &ie) || ie.Func != "apt.Update" {
		t.Errorf("InvalidError names the function: %v", err)
	}
}

// An index the Release lists for the configured component and
// architecture that apt's lists directory does not hold (apt-get update
// has not fetched it) makes the repository unreadable, naming the index,
// instead of an OK repository offering nothing.
func TestOpenListsNotDownloaded(t *testing.T) {
	c, _, _ := newClient(t, d1.Add(time.Hour))
	r := testRepo("http://127.0.0.1:1", keyring(t, "archive-a.gpg"))
	_, err := OpenLists(context.Background(), c.Policy(), listsOf(t, r.URI, "InRelease"), r)
	var nd *NotDownloadedError
	if !errors.As(err, &nd) || !errors.Is(err, repo.ErrNotFound) || !slices.Equal(nd.Indexes, []string{"main/binary-amd64/Packages"}) {
		t.Fatalf("got %v", err)
	}
	if st := repo.StatusOf(r.Name(), err); st.Health != repo.HealthUnreadable || !strings.Contains(st.Reason, "main/binary-amd64/Packages") {
		t.Fatalf("status %+v", st)
	}
	if _, err := OpenLists(context.Background(), c.Policy(), listsOf(t, r.URI, "InRelease", "main/binary-amd64/Packages"), r); err != nil {
		t.Fatalf("with the index: %v", err)
	}
}

// apt stores no lists file for an index its Release says is empty (seen
// with real apt in scan/apt's TestTestbedAptScanArchives, whose
// local-security suite has no i386 packages): such an index is not
// missing.
func TestEmptyIndexNotMissing(t *testing.T) {
	for _, tc := range []struct {
		ix   Index
		want bool
	}{
		{Index{Info: FileInfo{Path: "main/binary-i386/Packages.gz", Size: 20}, Plain: FileInfo{Path: "main/binary-i386/Packages", Size: 0}}, true},
		{Index{Info: FileInfo{Path: "main/binary-i386/Packages", Size: 0}}, true},
		{Index{Info: FileInfo{Path: "main/binary-i386/Packages.gz", Size: 20}}, false},
		{Index{Info: FileInfo{Path: "main/binary-i386/Packages.xz", Size: 312}, Plain: FileInfo{Path: "main/binary-i386/Packages", Size: 1043}}, false},
	} {
		if got := emptyIndex(tc.ix); got != tc.want {
			t.Errorf("%+v: %v", tc.ix, got)
		}
	}
}
