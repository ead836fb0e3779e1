package dnf

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit/internal/testutil"
)

// TestListOptionsAgreeWithDnf reads [main] list options as dnf 4 (libdnf)
// does, compared with dnf's own Python API on the same files: an
// installonlypkgs value adds to dnf's default list, an empty value or one
// that begins with a comma empties it first; a key given twice keeps its
// last value; exclude and excludepkgs are one option, applied in the
// order of the file.
func TestListOptionsAgreeWithDnf(t *testing.T) {
	// dnf runs on the system Python, whatever python3 is first on PATH.
	python := testutil.NeedFile(t, "/usr/bin/python3", "python3")
	testutil.NeedFile(t, "/usr/lib/python3/dist-packages/dnf/__init__.py", "python3-dnf")
	cases := []string{
		"",
		"installonlypkgs=foo bar\n",
		"installonlypkgs=\n",
		"installonlypkgs=,foo\n",
		"installonlypkgs= ,foo\n",
		"installonlypkgs=foo,,bar\n",
		"installonlypkgs=foo,\n",
		"installonlypkgs=foo, kernel\n",
		"installonlypkgs=foo\ninstallonlypkgs=bar\n",
		"installonlypkgs=foo\ninstallonlypkgs=,bar\n",
		"excludepkgs=a\nexcludepkgs=b\n",
		"exclude=a\nexcludepkgs=b\n",
		"excludepkgs=a b\nexclude=,c\n",
		"exclude=,c\nexcludepkgs=a b\n",
		"includepkgs=a\nincludepkgs=b\n",
		"includepkgs=a*, b-1.0\n",
	}
	// One Python process reads every file (importing dnf takes a quarter
	// of a second).
	dir := t.TempDir()
	var files []string
	for i, c := range cases {
		conf := filepath.Join(dir, fmt.Sprintf("dnf-%d.conf", i))
		if err := os.WriteFile(conf, []byte("[main]\n"+c), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, conf)
	}
	out, err := exec.Command(python, append([]string{"-c", `
import dnf, json, sys
res = []
for f in sys.argv[1:]:
    b = dnf.Base()
    b.conf.read(f)
    res.append({"installonly": list(b.conf.installonlypkgs), "exclude": list(b.conf.excludepkgs), "include": list(b.conf.includepkgs)})
print(json.dumps(res))
`}, files...)...).Output()
	if err != nil {
		t.Fatalf("python3-dnf: %v", err)
	}
	var wants []struct{ Installonly, Exclude, Include []string }
	if err := json.Unmarshal(out, &wants); err != nil || len(wants) != len(cases) {
		t.Fatalf("%v: %s", err, out)
	}
	for i, c := range cases {
		want := wants[i]
		o, err := buildOptions([]Option{WithArch("x86_64"), WithNow(time.Now()), WithFlavor(DNF)})
		if err != nil {
			t.Fatal(err)
		}
		fsys := fstest.MapFS{"etc/dnf/dnf.conf": {Data: []byte("[main]\n" + c)}}
		cfg, err := loadConfig(context.Background(), fsys, &o)
		if err != nil {
			t.Fatalf("case %d %q: %v", i, c, err)
		}
		texts := func(ps []pattern) []string {
			out := []string{}
			for _, p := range ps {
				out = append(out, p.text)
			}
			return out
		}
		nz := func(s []string) []string {
			if s == nil {
				return []string{}
			}
			return s
		}
		if got := nz(cfg.main.installOnly); !slices.Equal(got, nz(want.Installonly)) {
			t.Errorf("%q: installonlypkgs %q, dnf %q", c, got, want.Installonly)
		}
		if got := texts(cfg.main.exclude); !slices.Equal(got, nz(want.Exclude)) {
			t.Errorf("%q: excludepkgs %q, dnf %q", c, got, want.Exclude)
		}
		if got := texts(cfg.main.include); !slices.Equal(got, nz(want.Include)) {
			t.Errorf("%q: includepkgs %q, dnf %q", c, got, want.Include)
		}
	}
	t.Logf("%d configurations compared with dnf's own reading", len(cases))
}
