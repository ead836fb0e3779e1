package zypper

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/patchkit/patchkit/repo"
)

// TestFreshSignatureClockBehind: tb-updates' repomd.xml signed again by a
// key made at the same instant ("now"), read with a clock seconds behind:
// within the allowed skew (10 min, as for repomd.xml's date) it is OK;
// beyond it, EXPIRED, the reason naming the clock. (Before: UNSIGNED, "no
// valid self signature found", even 5 s behind.)
func TestFreshSignatureClockBehind(t *testing.T) {
	f := loadFixture(t, "testbed")
	made := f.meta.Now
	key, err := openpgp.NewEntity("tb-updates fresh key", "", "", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return made }})
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
	const raw = "var/cache/zypp/raw/tb-updates/repodata/"
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, []*openpgp.Entity{key}, bytes.NewReader(f.fsys[raw+"repomd.xml"].Data),
		&openpgp.SignParams{Config: &packet.Config{Time: func() time.Time { return made }}}); err != nil {
		t.Fatal(err)
	}
	f.fsys[raw+"repomd.xml.asc"].Data = sig.Bytes()
	for _, tc := range []struct {
		name   string
		now    time.Time
		health repo.Health
		reason string
	}{
		{"clock 5 s behind", made.Add(-5 * time.Second), repo.HealthOK, ""},
		{"clock at the allowed skew", made.Add(-maxFutureSkew), repo.HealthOK, ""},
		{"clock behind more than the skew", made.Add(-11 * time.Minute), repo.HealthExpired, "signature made 11m0s in the future of the scan's clock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := status(t, f.read(t, WithNow(tc.now), WithKeyring(kr)), "tb-updates")
			if st.Health != tc.health || !strings.Contains(st.Reason, tc.reason) || st.Verified != (tc.health == repo.HealthOK) {
				t.Errorf("tb-updates %s verified=%v %q, want %s %q", st.Health, st.Verified, st.Reason, tc.health, tc.reason)
			}
			_, native, err := NativeHealth(t.Context(), f.fsys, nil, WithArch("x86_64"), WithNow(tc.now), WithKeyring(kr))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range native {
				if s.Name == "tb-updates" {
					found = true
					if s.Health != tc.health || !strings.Contains(s.Reason, tc.reason) {
						t.Errorf("NativeHealth: tb-updates %s %q, want %s %q", s.Health, s.Reason, tc.health, tc.reason)
					}
				}
			}
			if !found {
				t.Errorf("NativeHealth: no status of tb-updates in %+v", native)
			}
		})
	}
}
