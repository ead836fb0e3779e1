package repo_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

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

// freshKey makes a signing key at the instant at, as a repository's
// owner makes one, and returns it with the keyring of its public part.
func freshKey(t *testing.T, at time.Time) (*openpgp.Entity, *repo.Keyring) {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return at }}
	e, err := openpgp.NewEntity("fresh repository key", "", "repo@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	kr, err := repo.ParseKeyring("fresh.gpg", pub.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return e, kr
}

// A repository whose key and signature were made "now", read by a clock a
// few seconds behind: within the allowed skew the signature and its key
// are checked as of the signature's time and verify; beyond it the error
// names the clock. (Before: the key was checked at the clock's time,
// before it existed: "no valid self signature found", UNSIGNED.)
func TestVerifyFreshSignatureClockBehind(t *testing.T) {
	made := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	e, kr := freshKey(t, made)
	data := []byte("Origin: fresh\nDate: Mon, 30 Nov 2026 12:00:00 UTC\n")
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, []*openpgp.Entity{e}, bytes.NewReader(data),
		&openpgp.SignParams{Config: &packet.Config{Time: func() time.Time { return made }}}); err != nil {
		t.Fatal(err)
	}
	pol := repo.DefaultPolicy() // 10 s of skew
	for _, tc := range []struct {
		name   string
		opt    repo.VerifyOptions
		future string // the error's "made ... in the future" part; "" for success
	}{
		{"clock on time", pol.VerifyOptions(made), ""},
		{"clock 5 s behind", pol.VerifyOptions(made.Add(-5 * time.Second)), ""},
		{"clock at the skew", pol.VerifyOptions(made.Add(-repo.DefaultMaxFutureSkew)), ""},
		{"clock 11 s behind", pol.VerifyOptions(made.Add(-11 * time.Second)), "signature made 11s in the future of the scan's clock"},
		{"no skew allowed", repo.VerifyOptions{Now: made.Add(-time.Second)}, "signature made 1s in the future of the scan's clock"},
		{"a day behind", pol.VerifyOptions(made.Add(-24 * time.Hour)), "signature made 24h0m0s in the future of the scan's clock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := repo.VerifyDetached("repomd.xml.asc", data, sig.Bytes(), kr, tc.opt)
			if tc.future == "" {
				if err != nil || len(v.Signers) != 1 || v.Signers[0] != kr.Fingerprints()[0] {
					t.Fatalf("%v %+v", err, v)
				}
				return
			}
			var fs *repo.FutureSignatureError
			if !errors.As(err, &fs) || !strings.Contains(err.Error(), tc.future) || !fs.Made.Equal(made) {
				t.Fatalf("got %v, want %q", err, tc.future)
			}
			if !errors.Is(err, repo.ErrFutureDate) || !errors.Is(err, repo.ErrSignature) || repo.HealthOf(err) != repo.HealthExpired {
				t.Fatalf("%v: matches ErrFutureDate %v, ErrSignature %v; health %s", err,
					errors.Is(err, repo.ErrFutureDate), errors.Is(err, repo.ErrSignature), repo.HealthOf(err))
			}
		})
	}
}
