package dnf_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dnf"
)

// TestFreshSignatureClockBehind: tb-updates' repomd.xml signed again by a
// key made at the same instant ("now"), and scanned with a clock a few
// seconds behind: within WithMaxFutureSkew it is OK (Updates and
// NativeHealth alike); beyond it, EXPIRED, the reason naming the clock.
// (Before: UNSIGNED, "no valid self signature found", even 5 s behind.)
func TestFreshSignatureClockBehind(t *testing.T) {
	made := fixtureNow(t)
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
	fsys := fixtureFS(t)
	md := fsys[cached(t, fsys, "tb-updates", "repomd.xml")].Data
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, []*openpgp.Entity{key}, bytes.NewReader(md),
		&openpgp.SignParams{Config: &packet.Config{Time: func() time.Time { return made }}}); err != nil {
		t.Fatal(err)
	}
	fsys[cached(t, fsys, "tb-updates", "repomd.xml.asc")].Data = sig.Bytes()
	delete(fsys, cached(t, fsys, "tb-updates", "pubring.kbx"))
	inv := fixtureInventory(t)
	for _, tc := range []struct {
		name   string
		opts   []dnf.Option
		health repo.Health
		reason string
	}{
		{"clock 5 s behind", []dnf.Option{dnf.WithNow(made.Add(-5 * time.Second))}, repo.HealthOK, ""},
		{"clock at the allowed skew", []dnf.Option{dnf.WithNow(made.Add(-dnf.DefaultMaxFutureSkew))}, repo.HealthOK, ""},
		{"clock behind more than the skew", []dnf.Option{dnf.WithNow(made.Add(-11 * time.Minute))}, repo.HealthExpired,
			"signature made 11m0s in the future of the scan's clock"},
		{"no skew allowed", []dnf.Option{dnf.WithNow(made.Add(-5 * time.Second)), dnf.WithMaxFutureSkew(0)}, repo.HealthExpired,
			"signature made 5s in the future of the scan's clock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]dnf.Option{dnf.WithArch("x86_64"), dnf.WithKeyring(kr)}, tc.opts...)
			rep, err := dnf.Check(context.Background(), fsys, inv, opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, native, err := dnf.NativeHealth(context.Background(), fsys, nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			for what, sts := range map[string][]repo.Status{"Check": rep.Repos, "NativeHealth": native} {
				var st repo.Status
				for _, s := range sts {
					if s.Name == "tb-updates" {
						st = s
					}
				}
				if st.Health != tc.health || !strings.Contains(st.Reason, tc.reason) || st.Verified != (tc.health == repo.HealthOK) {
					t.Errorf("%s: tb-updates %s verified=%v %q, want %s %q", what, st.Health, st.Verified, st.Reason, tc.health, tc.reason)
				}
			}
		})
	}
}
