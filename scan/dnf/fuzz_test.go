package dnf_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dnf"
)

// seeds adds the standard output of every recording, and the osconfig
// captures when check is set.
func seeds(f *testing.F, names []string, osconfig bool) {
	for _, n := range names {
		f.Add(loadRecording(f, n).Stdout)
	}
	if osconfig {
		m, _ := filepath.Glob("../../testdata/dnf/osconfig/*.stdout")
		for _, p := range m {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

func FuzzParseRepoquery(f *testing.F) {
	seeds(f, []string{"repoquery-upgrades.txt"}, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, err := dnf.ParseRepoquery(b)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if _, err := patchkit.ParseNEVRA(p.NEVRA()); err != nil || p.Repository == "" || !p.Epoch.Known() {
				t.Fatalf("accepted %+v: %v", p, err)
			}
		}
	})
}

func FuzzParseCheckUpdate(f *testing.F) {
	seeds(f, []string{"check-update.txt", "check-update-verbose.txt", "check-update-priority.txt"}, true)
	f.Fuzz(func(t *testing.T, b []byte) {
		cu, err := dnf.ParseCheckUpdate(b)
		if err != nil {
			return
		}
		for _, p := range cu.Updates {
			if _, err := patchkit.ParseNEVRA(p.NEVRA()); err != nil || p.Repository == "" {
				t.Fatalf("accepted %+v: %v", p, err)
			}
		}
		for _, o := range cu.Obsoleting {
			if o.By.Name == "" || o.Obsoletes.Name == "" {
				t.Fatalf("accepted %+v", o)
			}
		}
	})
}

func FuzzParseUpdateinfoList(f *testing.F) {
	seeds(f, []string{"updateinfo-list.txt", "updateinfo-list-all-v.txt"}, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := dnf.ParseUpdateinfoList(b)
		if err != nil {
			return
		}
		for _, e := range es {
			if e.ID == "" || strings.ContainsAny(e.ID, " \t") || e.Package.Name == "" || !e.Package.Epoch.Known() {
				t.Fatalf("accepted %+v", e)
			}
		}
	})
}

func FuzzParseUpdateinfoInfo(f *testing.F) {
	seeds(f, []string{"updateinfo-info.txt", "updateinfo-info-all-v.txt"}, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		infos, err := dnf.ParseUpdateinfoInfo(b)
		if err != nil {
			return
		}
		for _, in := range infos {
			if in.ID == "" || in.Type == "" {
				t.Fatalf("accepted %+v", in)
			}
		}
	})
}

func FuzzParseKeybox(f *testing.F) {
	fsys := fixtureFS(f)
	f.Add(fsys[cached(f, fsys, "tb-base", "pubring.kbx")].Data)
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := dnf.ParseKeybox("fuzz", b)
		if err == nil && len(out) > len(b) {
			t.Fatalf("%d bytes of keys from %d bytes", len(out), len(b))
		}
	})
}
