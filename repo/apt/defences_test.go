package apt

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/repocache/cachetest"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// Tests of defences that were not guarded by any test before issue 11:
// each fails when its defence is taken out (the comment says which).

// Open checks the cached InRelease's signature again: against a keyring
// without the signing key, and after the cached InRelease was changed
// (manifest and object consistent), it fails with ErrSignature.
// (Defence: repo.VerifyClearSigned in Open.)
func TestOpenVerifiesInReleaseAgain(t *testing.T) {
	srv, c, dir, r := updated(t, "v1", d1.Add(time.Hour))
	if _, err := Open(context.Background(), c, testRepo(srv.URL, keyring(t, "archive-b.gpg"))); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("other keyring: %v", err)
	}
	in, _ := os.ReadFile(fixture(t, "v1/dists/stable/InRelease"))
	tampered := bytes.Replace(in, []byte("Label: Patchkit"), []byte("Label: Patchkid"), 1)
	editCache(t, dir, func(files map[string]repocache.ManifestEntry, _ map[string]any) {
		files["InRelease"] = cachetest.Entry(tampered)
	}, tampered)
	if _, err := Open(context.Background(), c, r); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("tampered cache: %v", err)
	}
}

// A cached index is hashed again before it is read: a changed byte of the
// cached Packages file gives ErrHashMismatch and no record. (Defence:
// repocache.ReadVerified in Snapshot.indexPackages.)
func TestCachedIndexHashedAgain(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	c, _, _ := newClient(t, d1.Add(time.Hour))
	r := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
	snap, err := Update(context.Background(), c, r)
	if err != nil {
		t.Fatal(err)
	}
	obj := repocache.ObjectPath(snap.dir, snap.Indexes[0].Info.SHA256)
	data, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	os.WriteFile(obj, data, 0o644)
	for _, s := range []func() (*Snapshot, error){
		func() (*Snapshot, error) { return snap, nil },
		func() (*Snapshot, error) { return Open(context.Background(), c, r) },
	} {
		sn, err := s()
		if err != nil {
			t.Fatal(err)
		}
		p := collectSeq(sn.Packages(context.Background()))
		if len(p.ps) != 0 || len(p.errs) != 1 || !strings.Contains(p.errs[0], "HashMismatchError") {
			t.Fatalf("%d records, errors %v", len(p.ps), p.errs)
		}
	}
}

// trustedRepo serves an unsigned ([trusted=yes]) repository whose Release
// is release and whose only index is fixture v1's Packages.zst.
func trustedRepo(t *testing.T, release []byte, zst []byte) *repotest.Server {
	t.Helper()
	tmp := t.TempDir()
	d := filepath.Join(tmp, "dists/stable/main/binary-amd64")
	os.MkdirAll(d, 0o755)
	os.WriteFile(filepath.Join(tmp, "dists/stable/Release"), release, 0o644)
	os.WriteFile(filepath.Join(d, "Packages.zst"), zst, 0o644)
	return repotest.Serve(t, tmp)
}

func v1Index(t *testing.T) (plain, zst []byte) {
	t.Helper()
	plain, err := os.ReadFile(fixture(t, "v1/dists/stable/main/binary-amd64/Packages"))
	if err != nil {
		t.Fatal(err)
	}
	zst, err = os.ReadFile(fixture(t, "v1/dists/stable/main/binary-amd64/Packages.zst"))
	if err != nil {
		t.Fatal(err)
	}
	return plain, zst
}

// The decompressed index must have the uncompressed file's size and
// SHA-256 from the Release: a Release whose entry for Packages differs
// (one byte, or its size) from what Packages.zst holds ends the records
// with ErrHashMismatch or ErrSize. (Defence: repocache.Expect from Index.Plain
// in Snapshot.indexPackages.)
func TestUncompressedIndexChecked(t *testing.T) {
	plain, zst := v1Index(t)
	otherByte := append([]byte{}, plain...)
	otherByte[len(otherByte)/2] ^= 1
	for name, tc := range map[string]struct {
		plainEntry []byte
		want       error
	}{
		"checksum": {otherByte, repo.ErrHashMismatch},
		"size":     {append(append([]byte{}, plain...), '\n'), repo.ErrSize},
	} {
		t.Run(name, func(t *testing.T) {
			rel := releaseListing(listEntry{plainPath, tc.plainEntry}, listEntry{plainPath + ".zst", zst})
			srv := trustedRepo(t, rel, zst)
			c, _, _ := newClient(t, d1.Add(time.Hour))
			r := Repo{URI: srv.URL, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Trusted: true}
			snap, err := Update(context.Background(), c, r)
			if err != nil {
				t.Fatal(err)
			}
			errs := repotest.Drain(snap.Packages(context.Background())).Errs
			if len(errs) != 1 || !errors.Is(errs[0], tc.want) || !strings.Contains(errs[0].Error(), "(decompressed)") {
				t.Fatalf("errors %v", errs)
			}
		})
	}
}

// A Release without SHA512 lists: the SHA-256 of a downloaded index is
// checked on its own, and a changed byte is refused before anything is
// cached. (Defence: the SHA-256 comparison in downloadVerified, which
// apt-ftparchive's Release files, listing SHA512 too, never reach alone.)
func TestSHA256AloneChecked(t *testing.T) {
	plain, zst := v1Index(t)
	rel := releaseListing(listEntry{plainPath, plain}, listEntry{plainPath + ".zst", zst})
	if bytes.Contains(rel, []byte("SHA512")) {
		t.Fatal("the Release lists SHA512")
	}
	flipped := append([]byte{}, zst...)
	flipped[len(flipped)/2] ^= 1
	srv := trustedRepo(t, rel, flipped)
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	r := Repo{URI: srv.URL, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Trusted: true}
	snap, err := Update(context.Background(), c, r)
	var he *repo.HashMismatchError
	if !errors.As(err, &he) || he.Algorithm != "SHA256" || snap != nil {
		t.Fatalf("got %v", err)
	}
	if files := repotest.Files(t, dir); len(files) != 0 {
		t.Fatalf("cache holds %v", files)
	}
	// The same Release with the published file is read.
	srv2 := trustedRepo(t, rel, zst)
	r.URI = srv2.URL
	if snap, err := Update(context.Background(), c, r); err != nil || len(collect(t, snap)) != 4 {
		t.Fatalf("published file: %v", err)
	}
}

// The host's lists are held to the Release's dates like a download: past
// Valid-Until is ErrExpired, a Date ahead of the clock ErrFutureDate, and
// a Date older than MaxValidTime ErrExpired. (Defence: CheckFreshness in
// OpenLists.)
func TestListsFreshness(t *testing.T) {
	uri := "http://deb.example.invalid/debian"
	lists := listsFS(t, uri)
	r := Repo{URI: uri, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Keyring: keyring(t, "archive-a.gpg")}
	for _, tc := range []struct {
		now    time.Time
		maxAge time.Duration
		want   error
	}{
		{d1.Add(time.Hour), 0, nil},
		{time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), 0, repo.ErrExpired}, // Valid-Until 2026-11-15
		{d1.Add(-time.Hour), 0, repo.ErrFutureDate},
		{d1.Add(3 * 24 * time.Hour), 48 * time.Hour, repo.ErrExpired},
	} {
		c, _, _ := newClient(t, tc.now)
		rr := r
		rr.MaxValidTime = tc.maxAge
		snap, err := OpenLists(context.Background(), c.Policy(), lists, rr)
		if tc.want == nil {
			if err != nil || len(collect(t, snap)) != 4 {
				t.Fatalf("%s: %v", tc.now, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) || snap != nil {
			t.Fatalf("%s: got %v, want %v", tc.now, err, tc.want)
		}
	}
}
