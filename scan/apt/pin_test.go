package apt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/scan/dpkg"
)

// rootOf is the scenario's private root as both backends see it.
func (sc *scenario) rootOf(t *testing.T, mopts []Option, nopts []NativeOption) root {
	return root{
		fsys:      os.DirFS("/"),
		mopts:     append([]Option{WithAptConfig(sc.env.AptConfig)}, mopts...),
		nopts:     append([]NativeOption{NativeAptConfig(sc.env.AptConfig)}, nopts...),
		r:         newLocal(t),
		env:       []string{"APT_CONFIG=" + sc.env.AptConfig},
		dpkgQuery: []dpkg.QueryOption{dpkg.QueryAdmindir(filepath.Join(sc.root, "var/lib/dpkg"))},
	}
}

// candidateOf returns the version apt would upgrade name to, or "" when
// no patch of it is the candidate.
func candidateOf(ps []patchkit.Patch, name string) string {
	for _, p := range ps {
		if p.Name == name && p.Candidate {
			return p.EVR()
		}
	}
	return ""
}

type pinCase struct {
	name    string
	prefs   string // preferences.d/test.pref
	conf    string // apt.conf.d/50test
	sources string // sources.list.d/test.list
	mopts   []Option
	nopts   []NativeOption
	aptArgs []string          // the same for apt-cache
	wantErr bool              // apt refuses the configuration
	want    map[string]string // package -> candidate patch version ("" none)
}

// TestTestbedAptScanPinning writes preferences and apt.conf files into a
// copy of the testbed's private root and requires, for each, apt-cache
// policy's candidates, version priorities and file priorities from the
// metadata backend, and the same candidates from apt-get -s. Where apt
// refuses the configuration, the metadata backend must refuse it too.
func TestTestbedAptScanPinning(t *testing.T) {
	env := testbed.Need(t)
	sc := newScenario(t, env, nil, nil, nil)
	cases := []pinCase{
		{name: "default", want: map[string]string{"tb-multi": "1.3-1", "tb-lib": "1:2.0-2", "tb-hello": "1.1-1"}},
		{name: "package pinned to the security suite", prefs: `
Package: tb-multi
Pin: release a=testbed-security
Pin-Priority: 990
`, want: map[string]string{"tb-multi": "1.2-1", "tb-hello": "1.1-1"}},
		{name: "package pinned to the updates suite only", prefs: `
Explanation: the -updates pocket only
Package: tb-multi
Pin: release a=testbed-updates
Pin-Priority: 990

# and never the security pocket
Package: tb-multi
Pin: release a=testbed-security
Pin-Priority: -1
`, want: map[string]string{"tb-multi": "1.3-1"}},
		{name: "suite made NotAutomatic by a pin", prefs: `
Package: *
Pin: release a=testbed-updates
Pin-Priority: 1
`, want: map[string]string{"tb-multi": "1.2-1", "tb-hello": "", "tb-lib": "1:2.0-2"}},
		{name: "negative version pin", prefs: `
Package: tb-lib
Pin: version 1:2.0-2
Pin-Priority: -1
`, want: map[string]string{"tb-lib": "", "tb-multi": "1.3-1"}},
		{name: "glob and label", prefs: `
Package: tb-*
Pin: release l=Testbed-Security
Pin-Priority: 995
`, want: map[string]string{"tb-multi": "1.2-1", "tb-hello": "1.1-1"}},
		{name: "regular expression and version prefix", prefs: `
Package: /^tb-(hello|multi)$/
Pin: version 1.1*
Pin-Priority: 999
`, want: map[string]string{"tb-multi": "1.1-1", "tb-hello": "1.1-1", "tb-lib": "1:2.0-2"}},
		{name: "version glob", prefs: `
Package: tb-multi
Pin: version 1.[12]-?
Pin-Priority: 700
`, want: map[string]string{"tb-multi": "1.2-1"}},
		{name: "version glob ending in a star is a literal prefix", prefs: `
Package: tb-multi
Pin: version 1.[12]-*
Pin-Priority: 700
`, want: map[string]string{"tb-multi": "1.3-1"}},
		{name: "never", prefs: `
Package: *
Pin: release a=testbed-security
Pin-Priority: never
`, want: map[string]string{"tb-multi": "1.3-1", "tb-lib": ""}},
		{name: "never outside Package: *", prefs: "Package: tb-lib\nPin: release a=testbed-security\nPin-Priority: never\n", wantErr: true},
		{name: "origin below the installed versions", prefs: `
Package: *
Pin: origin 127.0.0.1
Pin-Priority: 50
`, want: map[string]string{"tb-multi": "", "tb-hello": "", "tb-lib": ""}},
		{name: "empty origin matches no remote repository", prefs: `
Package: *
Pin: origin ""
Pin-Priority: 1001
`, want: map[string]string{"tb-multi": "1.3-1"}},
		{name: "installed versions pinned up", prefs: `
Package: *
Pin: release a=now
Pin-Priority: 1001
`, want: map[string]string{"tb-multi": "", "tb-lib": ""}},
		{name: "component and architecture", prefs: `
Package: *
Pin: release c=main, b=amd64, o=Testbed, n=testbed-security
Pin-Priority: 600
`, want: map[string]string{"tb-multi": "1.2-1"}},
		{name: "source package pin", prefs: `
Package: src:tb-multi
Pin: release a=testbed-security
Pin-Priority: 990
`, want: map[string]string{"tb-multi": "1.2-1"}},
		{name: "architecture-qualified pin", prefs: `
Package: tb-multi:any tb-hello:i386
Pin: release a=testbed-security
Pin-Priority: 990
`, want: map[string]string{"tb-multi": "1.2-1", "tb-hello": "1.1-1"}},
		{name: "first matching pin wins", prefs: `
Package: tb-multi
Pin: version 1.3-1
Pin-Priority: 100

Package: tb-multi
Pin: version 1.3-1
Pin-Priority: 900
`, want: map[string]string{"tb-multi": "1.2-1"}},
		{name: "unknown pin type is ignored", prefs: `
Package: tb-multi
Pin: codename testbed-security
Pin-Priority: 990
`, want: map[string]string{"tb-multi": "1.3-1"}},
		{name: "Default-Release in apt.conf.d", conf: `APT::Default-Release "testbed-security";`,
			want: map[string]string{"tb-multi": "1.2-1", "tb-hello": "1.1-1"}},
		{name: "Default-Release in a scope, overriding a pin", conf: "APT {\n  Default-Release \"testbed-updates\"; // comment\n};\n",
			prefs: "Package: *\nPin: release a=testbed-updates\nPin-Priority: 1\n",
			want:  map[string]string{"tb-multi": "1.3-1", "tb-hello": "1.1-1"}},
		{name: "Default-Release as an option", mopts: []Option{WithDefaultRelease("testbed-security")},
			nopts: []NativeOption{NativeDefaultRelease("testbed-security")}, aptArgs: []string{"-o", "APT::Default-Release=testbed-security"}, want: map[string]string{"tb-multi": "1.2-1"}},
		{name: "a repository named twice", sources: "deb [signed-by=ROOT/etc/apt/testbed.gpg] " + env.AptURL + " testbed-updates main\n",
			want: map[string]string{"tb-multi": "1.3-1"}},
		{name: "Default-Release that no source has", conf: `APT::Default-Release "no-such-suite";`, wantErr: true},
		{name: "priority zero", prefs: "Package: tb-multi\nPin: version 1.2-1\nPin-Priority: 0\n", wantErr: true},
		{name: "priority not a number", prefs: "Package: tb-multi\nPin: version 1.2-1\nPin-Priority: high\n", wantErr: true},
		{name: "priority out of range", prefs: "Package: tb-multi\nPin: version 1.2-1\nPin-Priority: 40000\n", wantErr: true},
		{name: "record without Package", prefs: "Pin: version 1.2-1\nPin-Priority: 500\n", wantErr: true},
		{name: "malformed apt.conf", conf: "APT::Default-Release \"testbed-security\"\n", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc.remove(t, "etc/apt/preferences.d/test.pref")
			sc.remove(t, "etc/apt/apt.conf.d/50test")
			sc.remove(t, "etc/apt/sources.list.d/test.list")
			if c.sources != "" {
				sc.write(t, "etc/apt/sources.list.d/test.list", strings.ReplaceAll(c.sources, "ROOT", sc.root))
			}
			if c.prefs != "" {
				sc.write(t, "etc/apt/preferences.d/test.pref", strings.TrimPrefix(c.prefs, "\n"))
			}
			if c.conf != "" {
				sc.write(t, "etc/apt/apt.conf.d/50test", c.conf)
			}
			rt := sc.rootOf(t, c.mopts, c.nopts)
			rt.aptArgs = c.aptArgs
			if c.wantErr {
				out, err := sc.aptErr("apt-cache", "policy", "tb-multi")
				if err == nil || !strings.Contains(out, "E: ") {
					t.Fatalf("apt-cache policy accepted the configuration:\n%s", out)
				}
				inv, qerr := dpkg.Query(t.Context(), rt.r, rt.dpkgQuery...)
				if qerr != nil {
					t.Fatal(qerr)
				}
				_, _, merr := Updates(t.Context(), rt.fsys, inv, append([]Option{WithArch(nodeArch(t)), WithNow(time.Now())}, rt.mopts...)...)
				var ce *ConfigError
				if !errors.As(merr, &ce) || !errors.Is(merr, patchkit.ErrInvalid) {
					t.Fatalf("metadata backend: %v, want a *ConfigError (apt says %q)", merr, strings.TrimSpace(out))
				}
				t.Logf("apt: %s; metadata backend: %v", lastLine(out), merr)
				return
			}
			res := scanBoth(t, rt)
			for name, want := range c.want {
				if got := candidateOf(res.meta, name); got != want {
					t.Errorf("%s: candidate patch %q, want %q", name, got, want)
				}
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
