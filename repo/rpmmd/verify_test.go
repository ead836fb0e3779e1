package rpmmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/repocache/cachetest"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// Update and Open check a repomd.xml with one function (verifyRepomd).
// These tests cover where the two paths differed before it: each fails on
// the behaviour Open had then (the comment says which).

// editState rewrites the recorded state, and drops files from the
// manifest, of the only repository in the cache dir.
func editState(t *testing.T, dir string, edit func(st map[string]any), drop ...string) {
	t.Helper()
	cachetest.EditManifest(t, dir, func(m *repocache.Manifest) {
		var st map[string]any
		if err := json.Unmarshal(m.State, &st); err != nil {
			t.Fatal(err)
		}
		edit(st)
		for _, f := range drop {
			delete(m.Files, f)
		}
		m.State, _ = json.Marshal(st)
	})
}

// updatedSigned updates the signed test repository into a new cache at
// d1 + 1 day.
func updatedSigned(t *testing.T) (*Snapshot, *repo.Client, string, *clock, Repo) {
	t.Helper()
	c, dir, clk := newClient(t, d1.Add(24*time.Hour))
	r := signedRepo(fixture(t, "updates-gz"), rpmKey(t))
	snap, err := Update(context.Background(), c, r)
	if err != nil {
		t.Fatal(err)
	}
	return snap, c, dir, clk, r
}

// A cached repomd.xml dated beyond the allowed skew of the clock is
// refused by Open as by Update. (Before: Open checked only MaxAge, so a
// clock set back made a "future" repomd.xml acceptable.)
//
// Its repomd.xml.asc was made at the same time, and is checked first: a
// signature made beyond the skew of the clock is refused as made in the
// future (a *repo.FutureSignatureError, also ErrFutureDate); without the
// signature check, the date is.
func TestOpenRefusesFutureDate(t *testing.T) {
	snap, c, _, clk, r := updatedSigned(t)
	clk.now = snap.Repomd.Generated.Add(-time.Hour)
	var fs *repo.FutureSignatureError
	if _, err := Open(context.Background(), c, r); !errors.As(err, &fs) || !errors.Is(err, repo.ErrFutureDate) || fs.Made.Sub(clk.now) != time.Hour {
		t.Fatalf("got %v; want a FutureSignatureError", err)
	}
	r.Keyring, r.RequireSignature, r.AllowDowngradeToInsecure = nil, false, true
	var fe *repo.FutureDateError
	if _, err := Open(context.Background(), c, r); !errors.As(err, &fe) || !fe.Date.Equal(snap.Repomd.Generated) {
		t.Fatalf("got %v; want a FutureDateError", err)
	}
}

// A repomd.xml.asc the cache holds is verified whenever a keyring is
// given, whatever the recorded state says, as Update verifies every
// signature it finds. (Before: Open checked it only when the state said
// "Signed" or a signature was required, and took a changed repomd.xml
// unverified.)
func TestOpenVerifiesCachedSignature(t *testing.T) {
	_, c, dir, _, r := updatedSigned(t)
	md, _ := os.ReadFile(fixture(t, "updates-gz/repodata/repomd.xml"))
	cacheEntry(t, dir, "repomd.xml", bytes.Replace(md, []byte("<revision>"), []byte("<revision>9"), 1))
	editState(t, dir, func(st map[string]any) { st["Signed"] = false })
	r.RequireSignature = false
	if snap, err := Open(context.Background(), c, r); !errors.Is(err, repo.ErrSignature) || snap != nil {
		t.Fatalf("got %v; want ErrSignature", err)
	}
}

// A cache recorded as signed that holds no signature is a downgrade, as in
// Update. (Before: Open failed with "cache has no repomd.xml.asc", an
// unreadable cache rather than an unsigned one.)
func TestOpenRefusesDowngradedCache(t *testing.T) {
	_, c, dir, _, r := updatedSigned(t)
	editState(t, dir, func(map[string]any) {}, "repomd.xml.asc")
	r.RequireSignature = false
	_, err := Open(context.Background(), c, r)
	if !errors.Is(err, repo.ErrDowngradeToInsecure) || repo.HealthOf(err) != repo.HealthUnsigned {
		t.Fatalf("got %v; want ErrDowngradeToInsecure", err)
	}
	r.AllowDowngradeToInsecure = true
	if snap, err := Open(context.Background(), c, r); err != nil || snap.Verified {
		t.Fatalf("allowed downgrade: %v", err)
	}
}

// A repomd.xml older than the date recorded with it is a rollback, as in
// Update. (Before: Open compared nothing with the recorded state.)
func TestOpenChecksRecordedDate(t *testing.T) {
	snap, c, dir, _, r := updatedSigned(t)
	later := snap.Repomd.Generated.Add(time.Minute)
	editState(t, dir, func(st map[string]any) { st["Generated"] = later.Format(time.RFC3339) })
	var re *repo.RollbackError
	if _, err := Open(context.Background(), c, r); !errors.As(err, &re) || !re.Accepted.Equal(later) {
		t.Fatalf("got %v; want a RollbackError", err)
	}
}

// A cached repomd.xml must name primary data, as Update requires. (Before:
// Open accepted one without, and Packages then read from no file at all.)
func TestOpenNeedsPrimary(t *testing.T) {
	c, dir, _ := newClient(t, d1.Add(24*time.Hour))
	r := Repo{ID: "unsigned", BaseURLs: []string{unsignedCopy(t, func(b []byte) []byte { return b })}}
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(fixture(t, "updates-gz/repodata/repomd.xml"))
	cacheEntry(t, dir, "repomd.xml", regexp.MustCompile(`(?s)<data type="primary">.*?</data>`).ReplaceAll(md, nil))
	snap, err := Open(context.Background(), c, r)
	if !errors.Is(err, patchkit.ErrInvalid) || snap != nil {
		t.Fatalf("got %v; want a SyntaxError", err)
	}
}

// A cached repomd.xml is read with the limit of a fetched one. (Before:
// Open allocated the size the manifest claimed, and panicked at 2^62.)
func TestOpenCachedRepomdLimit(t *testing.T) {
	_, c, dir, _, r := updatedSigned(t)
	cachetest.EditManifest(t, dir, func(m *repocache.Manifest) {
		e := m.Files["repomd.xml"]
		e.Size = 1 << 62
		m.Files["repomd.xml"] = e
	})
	if _, err := Open(context.Background(), c, r); !errors.Is(err, repo.ErrTooLarge) {
		t.Fatalf("got %v; want ErrTooLarge", err)
	}
}

// Bad arguments and unmet preconditions are input errors.
func TestPreconditionsAreInvalid(t *testing.T) {
	c, _, _ := newClient(t, d1)
	ok := Repo{ID: "x", BaseURLs: []string{fixture(t, "updates-gz")}}
	for name, call := range map[string]func() error{
		"Update nil client": func() error { _, err := Update(context.Background(), nil, ok); return err },
		"Open nil client":   func() error { _, err := Open(context.Background(), nil, ok); return err },
		"Update no ID": func() error {
			_, err := Update(context.Background(), c, Repo{BaseURLs: ok.BaseURLs})
			return err
		},
		"Open no ID":    func() error { _, err := Open(context.Background(), c, Repo{}); return err },
		"Update no URL": func() error { _, err := Update(context.Background(), c, Repo{ID: "x"}); return err },
		"metalink only": func() error {
			_, err := FromConfig(context.Background(), c, os.DirFS("/"), repo.RPMRepo{ID: "x", Metalink: "https://mirrors.example/metalink"})
			return err
		},
		"gpgkey scheme": func() error {
			_, err := FromConfig(context.Background(), c, os.DirFS("/"), repo.RPMRepo{ID: "x", BaseURLs: ok.BaseURLs, GPGKeys: []string{"ftp://keys.example/k"}})
			return err
		},
		"http gpgkey without client": func() error {
			_, err := FromConfig(context.Background(), nil, os.DirFS("/"), repo.RPMRepo{ID: "x", BaseURLs: ok.BaseURLs, GPGKeys: []string{"https://keys.example/k"}})
			return err
		},
	} {
		if err := call(); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%s: got %v; want patchkit.ErrInvalid", name, err)
		}
	}
}

// A repository whose key and repomd.xml.asc were made at d1 ("now"),
// updated by a client whose clock is seconds behind: within the policy's
// skew (repo.DefaultMaxFutureSkew) it is accepted; beyond it, refused as
// signed in the future, naming the clock. (Before: "no valid self
// signature found", a bad signature, even 5 s behind.)
func TestUpdateFreshSignatureClockBehind(t *testing.T) {
	key, err := openpgp.NewEntity("fresh key", "", "", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return d1 }})
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	if err := key.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	kr, err := repo.ParseKeyring("fresh.gpg", pub.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "repo")
	repotest.CopyDir(t, fixture(t, "updates-gz"), dir)
	md, err := os.ReadFile(filepath.Join(dir, "repodata/repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, []*openpgp.Entity{key}, bytes.NewReader(md),
		&openpgp.SignParams{Config: &packet.Config{Time: func() time.Time { return d1 }}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "repodata/repomd.xml.asc"), sig.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := repotest.Serve(t, dir)
	c, _, _ := newClient(t, d1.Add(-5*time.Second))
	if _, err := Update(context.Background(), c, signedRepo(srv.URL, kr)); err != nil {
		t.Fatalf("clock 5 s behind: %v", err)
	}
	c, _, _ = newClient(t, d1.Add(-11*time.Second))
	_, err = Update(context.Background(), c, signedRepo(srv.URL, kr))
	var fs *repo.FutureSignatureError
	if !errors.As(err, &fs) || !strings.Contains(err.Error(), "signature made 11s in the future of the scan's clock") {
		t.Fatalf("clock 11 s behind: %v", err)
	}
}
