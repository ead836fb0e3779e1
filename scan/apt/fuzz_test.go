package apt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchkit/patchkit"
)

// seedRecordings adds the standard output of the recordings matching
// pattern, and the osconfig captures, to a fuzz corpus.
func seedRecordings(f *testing.F, pattern string, osconfig bool) {
	f.Helper()
	names, _ := filepath.Glob(filepath.Join(recDir, pattern))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		rec := loadRecordingF(f, n, b)
		f.Add(rec)
	}
	if osconfig {
		caps, _ := filepath.Glob(filepath.Join(recDir, "osconfig", "*"))
		for _, n := range caps {
			b, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

func loadRecordingF(f *testing.F, name string, b []byte) []byte {
	i := bytes.Index(b, []byte("\n-- stdout --\n"))
	j := bytes.Index(b, []byte("\n-- stderr --\n"))
	if i < 0 || j < i {
		f.Fatalf("%s: not a recording", name)
	}
	return b[i+len("\n-- stdout --\n") : j+1]
}

func checkOutputError(t *testing.T, err error, data []byte) {
	t.Helper()
	var oe *OutputError
	if !errors.As(err, &oe) || !errors.Is(err, patchkit.ErrInvalid) {
		t.Fatalf("error %v (%T) is not an *OutputError", err, err)
	}
	if oe.Line < 0 || oe.Line > bytes.Count(data, []byte("\n"))+1 {
		t.Fatalf("error on line %d of %d", oe.Line, bytes.Count(data, []byte("\n"))+1)
	}
}

func FuzzParseSimulation(f *testing.F) {
	seedRecordings(f, "*-apt-get.txt", true)
	f.Add([]byte("Inst a [1] (2 x:1/y, z [all]) [b:amd64 ]\n1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sim, err := ParseSimulation(data)
		if err != nil {
			checkOutputError(t, err, data)
			return
		}
		for _, a := range sim.Actions {
			if patchkit.ValidateName(patchkit.Deb, a.Name) != nil {
				t.Fatalf("invalid name accepted: %+v", a)
			}
			if a.Kind == ActionInstall || a.Kind == ActionConfig {
				if patchkit.Deb.Validate(a.New) != nil || patchkit.ValidateArch(patchkit.Deb, a.Arch) != nil {
					t.Fatalf("invalid version or arch accepted: %+v", a)
				}
			}
			_ = a.Upgrade()
		}
		if err := sim.Check(); err != nil {
			checkOutputError(t, err, data)
		}
	})
}

func FuzzParseCachePolicy(f *testing.F) {
	seedRecordings(f, "testbed-*-apt-cache-policy*.txt", false)
	f.Fuzz(func(t *testing.T, data []byte) {
		pols, err := ParseCachePolicy(data)
		if err != nil {
			checkOutputError(t, err, data)
			return
		}
		for _, p := range pols {
			for _, v := range p.Versions {
				for _, s := range v.Sources {
					_, _ = s.URI(), s.Dist()
				}
			}
		}
	})
}

func FuzzParseAptConf(f *testing.F) {
	for _, s := range []string{
		"APT::Default-Release \"stable\";\n",
		"Dir \"/srv/\";\nDir::State::status \"/srv/status\";\n",
		"A { B \"c\"; D { \"e\"; f; }; };\n#clear A::B;\n",
		"A::List:: \"x\";\n/* c */ // d\n# e\nB \"1\" \"2\";\n",
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("/etc/apt/apt.conf.d/docker-clean"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newAptConfig()
		err := parseAptConf("fuzz.conf", data, c, func(string, int) error { return nil })
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.File != "fuzz.conf" || ce.Line < 1 || ce.Line > bytes.Count(data, []byte("\n"))+1 {
				t.Fatalf("error %v", err)
			}
			return
		}
		_ = c.file("dir::etc::sourcelist")
		_ = c.statusFile()
		_ = c.list("apt::architectures")
	})
}

func FuzzParsePreferences(f *testing.F) {
	f.Add([]byte("Package: *\nPin: release a=stable, n=bookworm\nPin-Priority: 900\n\nPackage: src:foo bar:i386 /^lib/\nPin: version 1.2*\nPin-Priority: -1\n"))
	f.Add([]byte("Explanation: x\nPackage: nodejs\nPin: origin deb.nodesource.com\nPin-Priority: 600\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pins, err := parsePreferences("fuzz.pref", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		m := newMatcher()
		p := &policy{native: "amd64", m: m, files: []*pkgFile{{status: true, component: "now"},
			{origin: "Debian", label: "Debian", archive: "stable", codename: "bookworm", version: "12", site: "deb.debian.org", component: "main", arch: "amd64"}}}
		p.pins = pins
		p.filePriorities()
		e := &pkgEntry{name: "foo", arch: "amd64", versions: []*version{{ver: "2", source: "foo", files: []int{1}}, {ver: "1", source: "foo", files: []int{0, 1}, installed: true}}}
		p.versionPins([]*pkgEntry{e})
		_ = p.candidate(e)
	})
}

func FuzzFnmatch(f *testing.F) {
	for _, c := range globCases {
		f.Add(c.pattern, c.s)
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 200 || len(s) > 200 {
			return
		}
		if fnmatchFold(pattern, s) != fnmatchFold(pattern, s) {
			t.Fatal("not deterministic")
		}
		// a pattern without special characters matches exactly itself,
		// without regard to ASCII case
		plain := true
		for i := 0; i < len(pattern); i++ {
			switch pattern[i] {
			case '*', '?', '[', '\\':
				plain = false
			}
		}
		if plain && fnmatchFold(pattern, s) != (lowerASCII(pattern) == lowerASCII(s)) {
			t.Fatalf("%q vs %q", pattern, s)
		}
	})
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = lower(b[i])
	}
	return string(b)
}
