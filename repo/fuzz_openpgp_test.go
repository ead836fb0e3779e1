package repo

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repotest"
)

func seedGlob(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		files, _ := filepath.Glob(filepath.Join(repotest.Fixtures(f), p))
		if len(files) == 0 {
			f.Fatalf("no seed files for %s", p)
		}
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
}

// Dearmouring detached signatures (Release.gpg, repomd.xml.asc): no panic;
// what dearmorSignatures accepts is the binary of armour blocks (never more
// than the input could hold; an empty block is then "no signature" to the
// verifier); and VerifyDetached fails
// only with ErrSignature, succeeding only for a good signature by the
// keyring over the signed file.
func FuzzDearmorSignatures(f *testing.F) {
	seedGlob(f, "apt/signatures/Release.gpg.*", "apt/v1/dists/stable/Release.gpg", "rpm/*/repodata/repomd.xml.asc", "rpm-sigs/repomd.xml.asc.*")
	f.Add([]byte("-----BEGIN PGP SIGNATURE-----\n\n=twTO\n-----END PGP SIGNATURE-----\n"))
	signed, err := os.ReadFile(filepath.Join(repotest.Fixtures(f), "apt/v1/dists/stable/Release"))
	if err != nil {
		f.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(repotest.Fixtures(f), "keys/archive-a.gpg"))
	if err != nil {
		f.Fatal(err)
	}
	kr, err := ParseKeyring("archive-a.gpg", key)
	if err != nil {
		f.Fatal(err)
	}
	opt := VerifyOptions{Now: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := dearmorSignatures(data)
		if err == nil && len(raw) > len(data) {
			t.Fatalf("dearmoured %d bytes from %d", len(raw), len(data))
		}
		v, err := VerifyDetached("sig", signed, data, kr, opt)
		if err != nil {
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("untyped %T: %v", err, err)
			}
			return
		}
		if len(v.Signers) == 0 || !strings.EqualFold(v.Signers[0], hex.EncodeToString(kr.entities[0].PrimaryKey.Fingerprint)) {
			t.Fatalf("verified without a signer of the keyring: %+v", v)
		}
	})
}

// Keyring parsing (binary keyrings, armoured key blocks): no panic; an
// error is a *SyntaxError (patchkit.ErrInvalid); a keyring returned has
// keys, each with a well-formed fingerprint that Filter finds again.
func FuzzParseKeyring(f *testing.F) {
	seedGlob(f, "keys/*.gpg", "keys/*.asc", "keys/RPM-GPG-KEY-*")
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKeyring("k", data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, patchkit.ErrInvalid) || se.File != "k" {
				t.Fatalf("untyped %T: %v", err, err)
			}
			return
		}
		fprs := k.Fingerprints()
		if k.Len() == 0 || len(fprs) != k.Len() {
			t.Fatalf("%d keys, %d fingerprints", k.Len(), len(fprs))
		}
		for _, fp := range fprs {
			if !IsFingerprint(fp) || fp != strings.ToUpper(fp) {
				t.Fatalf("fingerprint %q", fp)
			}
		}
		if got := k.Filter(fprs).Len(); got != k.Len() {
			t.Fatalf("Filter kept %d of %d keys", got, k.Len())
		}
	})
}
