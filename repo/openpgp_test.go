package repo_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

func readFixture(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repotest.Fixtures(t), p))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestVerifyClearSignedAndDetached(t *testing.T) {
	kr, err := repo.ParseKeyring("a", readFixture(t, "keys/archive-a.gpg"))
	if err != nil {
		t.Fatal(err)
	}
	opt := repo.VerifyOptions{Now: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	in := readFixture(t, "apt/v1/dists/stable/InRelease")
	rel := readFixture(t, "apt/v1/dists/stable/Release")
	content, v, err := repo.VerifyClearSigned("InRelease", in, kr, opt)
	if err != nil || len(v.Signers) != 1 || v.Signers[0] != kr.Fingerprints()[0] {
		t.Fatalf("%v %+v", err, v)
	}
	if string(content) != string(rel) {
		t.Fatal("signed content differs from the Release file")
	}
	if _, err := repo.VerifyDetached("Release.gpg", rel, readFixture(t, "apt/v1/dists/stable/Release.gpg"), kr, opt); err != nil {
		t.Fatal(err)
	}
	// Any changed byte of the signed text fails.
	bad := []byte(strings.Replace(string(in), "Codename: pk", "Codename: pj", 1))
	if _, _, err := repo.VerifyClearSigned("InRelease", bad, kr, opt); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("changed text: %v", err)
	}
	if _, err := repo.VerifyDetached("Release.gpg", append(rel, 'x'), readFixture(t, "apt/v1/dists/stable/Release.gpg"), kr, opt); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("changed data: %v", err)
	}
	// An empty keyring verifies nothing.
	if _, _, err := repo.VerifyClearSigned("InRelease", in, nil, opt); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("nil keyring: %v", err)
	}
	// Binary detached signatures are accepted too (dearmoured by gpg).
}

func TestSplitClearSignedStrict(t *testing.T) {
	in := string(readFixture(t, "apt/v1/dists/stable/InRelease"))
	for name, doc := range map[string]string{
		"unescaped dash": strings.Replace(in, "\nCodename: pk\n", "\n-Codename: pk\n", 1),
		"extra header":   strings.Replace(in, "Hash: SHA256\n", "Hash: SHA256\nComment: x\n", 1),
		"no END":         strings.Replace(in, "-----END PGP SIGNATURE-----", "", 1),
		"prefix":         "\n" + in,
		"NUL":            strings.Replace(in, "Codename", "Code\x00name", 1),
	} {
		if _, err := repo.SplitClearSigned([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	cs, err := repo.SplitClearSigned([]byte(in + "\n\n"))
	if err != nil || len(cs.Signature) == 0 || cs.Hashes[0] != "SHA256" {
		t.Fatalf("trailing blank lines: %v", err)
	}
}

// Debian's real InRelease files, signed by several archive keys, verify
// against the host's archive keyring when present.
func TestRealDebianInRelease(t *testing.T) {
	const keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
	files, _ := filepath.Glob("/var/lib/apt/lists/*_InRelease")
	data, err := os.ReadFile(keyring)
	if err != nil || len(files) == 0 {
		t.Skip("no Debian keyring or lists on this machine")
	}
	kr, err := repo.ParseKeyring(keyring, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.Contains(f, "debian.org") {
			continue
		}
		in, _ := os.ReadFile(f)
		_, v, err := repo.VerifyClearSigned(f, in, kr, repo.VerifyOptions{Now: time.Now()})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(v.Signers) < 1 || len(v.KeyIDs) < 2 {
			t.Fatalf("%s: %+v", f, v)
		}
	}
}
