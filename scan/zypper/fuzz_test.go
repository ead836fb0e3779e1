package zypper

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchkit/patchkit"
)

// seedOutputs adds every recorded zypper output and public capture.
func seedOutputs(f *testing.F, xml bool) {
	f.Helper()
	for _, sc := range scenarios() {
		_, recs, _ := loadScenario(f, sc.name)
		for _, r := range recs {
			f.Add(r.Stdout)
		}
	}
	names := []string{"osconfig/sles_12_zypper_list_updates.stdout", "osconfig/sles_15_zypper_patches"}
	if xml {
		names = []string{"salt/zypper-updates.xml", "salt/zypper-patches.xml"}
	}
	for _, n := range names {
		f.Add(readTestdata(f, n))
	}
}

// typed fails unless err is nil or reports invalid input.
func typed(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, patchkit.ErrInvalid) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

func FuzzParseStream(f *testing.F) {
	seedOutputs(f, true)
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStream("fuzz", bytes.NewReader(data))
		typed(t, err)
		if err == nil && st == nil {
			t.Fatal("nil stream without an error")
		}
		_, err = ParseListPatches("fuzz", bytes.NewReader(data))
		typed(t, err)
		_, err = ParseListUpdates("fuzz", bytes.NewReader(data))
		typed(t, err)
		ps, err := ParseInfoPatches("fuzz", bytes.NewReader(data))
		typed(t, err)
		for _, p := range ps {
			for _, e := range p.Packages {
				if e.Name == "" || e.Version == "" {
					t.Fatalf("patch %s names an empty package %+v", p.Name, e)
				}
			}
		}
	})
}

func FuzzParseTables(f *testing.F) {
	seedOutputs(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		us, err := ParseListUpdatesTable("fuzz", bytes.NewReader(data))
		typed(t, err)
		for _, u := range us {
			if u.Name == "" {
				t.Fatal("row without a name")
			}
		}
		_, err = ParseListPatchesTable("fuzz", bytes.NewReader(data))
		typed(t, err)
	})
}

func FuzzParseLocks(f *testing.F) {
	b, err := os.ReadFile(filepath.Join(scenarioDir, "locks", "root/etc/zypp/locks"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("solvable_name: ^lib.*$\nmatch_type: regex\nversion: < 1.2-3\n\nsolvable_name: tb-tool >= 3\ntype: patch\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		locks, err := parseLocks("fuzz", data)
		typed(t, err)
		p := patchkit.Package{Name: "tb-hello", Version: "1.0", Release: "1", Arch: "noarch", Scheme: patchkit.RPM}
		for i := range locks {
			locks[i].applies("package", p.Name, p.Arch, p, "tb-updates", false)
		}
	})
}

func FuzzParseEdition(f *testing.F) {
	for _, s := range []string{"1:2.0-2", "5.1-1", "1", "1.4.0~git0.b0f7c25bfdfa-150500.3.6.1", "0:1^2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseEdition(s)
		if err != nil {
			return
		}
		if edition(p) != s && !(p.Epoch.String() == "0" && s[0] == '0') {
			// "0:1-1" is written back without its zero epoch
			q, err := parseEdition(edition(p))
			if err != nil || cmpEVR(p, q) != 0 {
				t.Fatalf("%q -> %+v -> %q", s, p, edition(p))
			}
		}
		if cmpEVR(p, p) != 0 {
			t.Fatalf("%q is not equal to itself", s)
		}
	})
}
