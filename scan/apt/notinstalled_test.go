package apt

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// memSuite is one repository of an in-memory root: an unsigned Release
// (the source says trusted=yes) and one Packages file per architecture,
// of the stanzas given (Package, Version, Architecture, ...).
type memSuite struct {
	uri, suite, label, version string
	packages                   map[string][]string // arch -> stanzas
	corrupt                    bool                // the Release's checksum of the Packages files is wrong
}

// listsPrefix is apt's file name prefix for a suite's lists
// (URItoFileName of "URI/dists/SUITE/").
func (s memSuite) listsPrefix() string {
	u := s.uri[strings.Index(s.uri, "://")+3:]
	return "var/lib/apt/lists/" + strings.ReplaceAll(strings.TrimSuffix(u, "/")+"/dists/"+s.suite+"/", "/", "_")
}

// memRoot builds a root holding the suites, their sources (in order),
// and the other files given.
func memRoot(suites []memSuite, files map[string]string) fstest.MapFS {
	root := fstest.MapFS{}
	var sources strings.Builder
	for _, s := range suites {
		fmt.Fprintf(&sources, "deb [trusted=yes] %s %s main\n", s.uri, s.suite)
		var sums strings.Builder
		var archs []string
		for _, a := range slices.Sorted(func(yield func(string) bool) {
			for a := range s.packages {
				if !yield(a) {
					return
				}
			}
		}) {
			data := strings.Join(s.packages[a], "\n")
			sum := sha256.Sum256([]byte(data))
			if s.corrupt {
				sum[0] ^= 1
			}
			rel := "main/binary-" + a + "/Packages"
			fmt.Fprintf(&sums, " %s %d %s\n", hex.EncodeToString(sum[:]), len(data), rel)
			root[s.listsPrefix()+strings.ReplaceAll(rel, "/", "_")] = &fstest.MapFile{Data: []byte(data)}
			archs = append(archs, a)
		}
		rel := fmt.Sprintf("Origin: Example\nLabel: %s\nSuite: %s\nCodename: %s\nVersion: %s\n"+
			"Date: Sat, 01 Nov 2025 00:00:00 UTC\nArchitectures: %s\nComponents: main\nSHA256:\n%s",
			s.label, s.suite, s.suite, s.version, strings.Join(archs, " "), sums.String())
		root[s.listsPrefix()+"Release"] = &fstest.MapFile{Data: []byte(rel)}
	}
	// source packages are never offered
	sources.WriteString("deb-src [trusted=yes] http://deb.example.org/debian stable main\n")
	root["var/lib/apt/lists/deb.example.org_debian_dists_stable_main_source_Sources"] = &fstest.MapFile{
		Data: []byte("Package: srconly\nBinary: srconly\nVersion: 1.0-1\nArchitecture: any\nDirectory: pool/s/srconly\n")}
	root["etc/apt/sources.list"] = &fstest.MapFile{Data: []byte(sources.String())}
	for name, data := range files {
		root[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return root
}

// stanza is a Packages record.
func stanza(name, version, arch string, extra ...string) string {
	s := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: %s\nPriority: optional\nSection: misc\n", name, version, arch)
	for _, e := range extra {
		s += e + "\n"
	}
	return s + fmt.Sprintf("Filename: pool/%s_%s_%s.deb\n", name, strings.ReplaceAll(version, ":", "%3a"), arch)
}

// ruleSuites: a base suite with amd64 and i386 indexes, a security suite,
// and a suite whose lists do not match its Release.
func ruleSuites() []memSuite {
	return []memSuite{
		{uri: "http://deb.example.org/debian", suite: "stable", label: "Debian", version: "12.1", packages: map[string][]string{
			"amd64": {
				stanza("alpha", "1.0-1", "amd64", "Source: alpha-src"),
				stanza("alpha", "1:0.5-1", "amd64"),
				stanza("beta", "2.0-1", "all"),
				stanza("delta", "3.0-1", "amd64"),
				stanza("eps", "1.0-1", "all"),
				stanza("gamma", "1.0-1", "all"),
				stanza("gamma", "1.0~rc1-1", "all"),
				stanza("zeta", "1.0-1", "armhf"),
			},
			"i386": {
				stanza("alpha", "1.0-1", "i386"),
				stanza("beta", "2.0-1", "all"),
			},
		}},
		{uri: "http://security.example.org/debian-security", suite: "stable-security", label: "Debian-Security", version: "12",
			packages: map[string][]string{"amd64": {
				stanza("alpha", "1.0-1", "amd64", "Source: alpha-src"),
				stanza("eps", "1.0-1", "amd64"),
			}}},
		{uri: "http://broken.example.org/debian", suite: "stable", label: "Broken", version: "1", corrupt: true,
			packages: map[string][]string{"amd64": {stanza("omega", "1.0-1", "amd64")}}},
	}
}

func dpkgPackage(t *testing.T, nameArch, version string, state patchkit.InstallState, want string) patchkit.Package {
	t.Helper()
	p, err := patchkit.ParseDpkg(nameArch, version)
	if err != nil {
		t.Fatal(err)
	}
	p.State, p.Want = state, want
	return p
}

// notInstalledRun runs Updates with and without WithNotInstalled on the
// same input, requires the same result either way, and returns it with the
// versions passed to the callback.
func notInstalledRun(t *testing.T, fsys fs.FS, inv []patchkit.Package, opts ...Option) ([]patchkit.Patch, []repo.Status, []patchkit.Patch) {
	t.Helper()
	now := time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC)
	base := append([]Option{WithArch("x86_64"), WithNow(now), WithProduct("Debian12")}, opts...)
	plain, plainSt, err := Updates(t.Context(), fsys, inv, base...)
	if err != nil {
		t.Fatal(err)
	}
	var got []patchkit.Patch
	ps, sts, err := Updates(t.Context(), fsys, inv, append(base, WithNotInstalled(func(p patchkit.Patch) { got = append(got, p) }))...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ps, plain) || !reflect.DeepEqual(sts, plainSt) {
		t.Errorf("Updates differs with WithNotInstalled:\n%+v\n%+v\nwithout:\n%+v\n%+v", ps, sts, plain, plainSt)
	}
	checkNotInstalledOrder(t, got, "amd64")
	return ps, sts, got
}

// checkNotInstalledOrder requires the callback's order: name, apt
// architecture, version ascending, each version once.
func checkNotInstalledOrder(t testing.TB, ps []patchkit.Patch, native string) {
	t.Helper()
	for i := 1; i < len(ps); i++ {
		a, b := ps[i-1], ps[i]
		c := cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(aptArch(a.Arch, native), aptArch(b.Arch, native)), patchkit.Deb.Compare(a.EVR(), b.EVR()))
		if c >= 0 {
			t.Errorf("call %d (%s:%s %s) does not come after call %d (%s:%s %s)", i, b.Name, b.Arch, b.EVR(), i-1, a.Name, a.Arch, a.EVR())
		}
	}
}

type niView struct {
	name, arch, evr, repository, want string
	security                          bool
}

func niViews(ps []patchkit.Patch) []niView {
	var out []niView
	for _, p := range ps {
		out = append(out, niView{p.Name, p.Arch, p.EVR(), p.Repository, p.Want, p.Security})
	}
	return out
}

// TestNotInstalledRules checks the merge, order and exclusion rules on an
// in-memory root: versions offered by two suites are one call listing
// both origins (Security from the security suite), versions are in dpkg's
// order (an epoch beats a bigger upstream version, ~ sorts first), "all"
// and the native architecture are one package, a foreign architecture is
// offered only when dpkg's arch file names it, an architecture apt does
// not use never, installed packages (of either architecture name) never,
// a package in config-files state is offered (held: Want "hold"), pins do
// not narrow the list, an unhealthy suite offers nothing, and a deb-src
// source nothing either.
func TestNotInstalledRules(t *testing.T) {
	inv := []patchkit.Package{
		dpkgPackage(t, "beta:all", "1.0-1", patchkit.StateInstalled, "install"),
		dpkgPackage(t, "delta:amd64", "3.0-0", patchkit.StateConfigFiles, "hold"),
	}
	const (
		base = "Debian:12.1/stable"
		sec  = "Debian-Security:12/stable-security"
	)
	want := []niView{
		{"alpha", "amd64", "1.0-1", base + ", " + sec, "", true},
		{"alpha", "amd64", "1:0.5-1", base, "", false},
		{"delta", "amd64", "3.0-1", base, "hold", false},
		{"eps", "all", "1.0-1", base + ", " + sec, "", true},
		{"gamma", "all", "1.0~rc1-1", base, "", false},
		{"gamma", "all", "1.0-1", base, "", false},
	}
	pin := map[string]string{"etc/apt/preferences.d/never": "Package: alpha\nPin: version 1.0-1\nPin-Priority: -1\n\n" +
		"Package: *\nPin: release a=stable-security\nPin-Priority: never\n"}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []niView
	}{
		{"native only", nil, want},
		{"pins", pin, want},
		{"foreign i386", map[string]string{"var/lib/dpkg/arch": "amd64\ni386\n"},
			slices.Insert(slices.Clone(want), 2, niView{"alpha", "i386", "1.0-1", base, "", false})},
		{"APT::Architectures", map[string]string{"etc/apt/apt.conf.d/arch": `APT::Architectures { "amd64"; "i386"; };`},
			slices.Insert(slices.Clone(want), 2, niView{"alpha", "i386", "1.0-1", base, "", false})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, sts, got := notInstalledRun(t, memRoot(ruleSuites(), tc.files), inv)
			if v := niViews(got); !reflect.DeepEqual(v, tc.want) {
				t.Errorf("not installed:\n got %+v\nwant %+v", v, tc.want)
			}
			if len(ps) != 1 || ps[0].Name != "beta" || ps[0].EVR() != "2.0-1" {
				t.Errorf("updates: %+v", ps)
			}
			if len(sts) != 3 || sts[2].Health == repo.HealthOK || sts[0].Health != repo.HealthOK || sts[1].Health != repo.HealthOK {
				t.Errorf("statuses: %+v", sts)
			}
			for _, p := range got {
				if p.Candidate || p.Product != "Debian12" || p.Scheme != patchkit.Deb || !p.Epoch.Known() ||
					p.Section != "misc" || p.Priority != "optional" || p.Package.Section != "misc" ||
					p.Security != (p.Classification == "Security") || p.State != "" {
					t.Errorf("%s %s: %+v", p.Name, p.EVR(), p)
				}
			}
			if a := got[0]; a.SourceName != "alpha-src" || a.SourceVersion != "1.0-1" || a.Epoch.String() != "0" || a.Version != "1.0" || a.Release != "1" {
				t.Errorf("alpha 1.0-1: %+v", a)
			}
			if a := got[1]; a.SourceName != "alpha" || a.SourceVersion != "1:0.5-1" || a.Epoch.String() != "1" {
				t.Errorf("alpha 1:0.5-1: %+v", a)
			}
		})
	}
}

// TestNotInstalledAsUpdates: a version passed to the callback is the
// Patch Updates returns for it once an older version of the package is
// installed, Candidate aside.
func TestNotInstalledAsUpdates(t *testing.T) {
	root := memRoot(ruleSuites(), nil)
	_, _, before := notInstalledRun(t, root, nil)
	inv := []patchkit.Package{
		dpkgPackage(t, "alpha:amd64", "0.1-1", patchkit.StateInstalled, "install"),
		dpkgPackage(t, "eps:amd64", "0.1-1", patchkit.StateInstalled, "install"),
		dpkgPackage(t, "gamma:all", "0.1-1", patchkit.StateInstalled, "install"),
	}
	ups, _, after := notInstalledRun(t, root, inv)
	var wantUps, wantAfter []patchkit.Patch
	for _, p := range before {
		switch p.Name {
		case "alpha", "eps", "gamma":
			wantUps = append(wantUps, p)
		default:
			wantAfter = append(wantAfter, p)
		}
	}
	for i := range ups {
		ups[i].Candidate = false
	}
	if !reflect.DeepEqual(ups, wantUps) {
		t.Errorf("updates once installed:\n got %+v\nwant %+v", ups, wantUps)
	}
	if !reflect.DeepEqual(after, wantAfter) {
		t.Errorf("not installed once some are:\n got %+v\nwant %+v", niViews(after), niViews(wantAfter))
	}
}

// TestNotInstalledInvalidRecord: with the callback, a record of a package
// that is not installed whose version dpkg would refuse makes its suite
// unhealthy, with the file and line; without it that record is not read.
func TestNotInstalledInvalidRecord(t *testing.T) {
	suites := ruleSuites()
	suites[1].packages["amd64"] = append(suites[1].packages["amd64"], stanza("kappa", "1.0 beta", "amd64"))
	root := memRoot(suites, nil)
	now := time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC)
	_, sts, err := Updates(t.Context(), root, nil, WithArch("x86_64"), WithNow(now))
	if err != nil || sts[1].Health != repo.HealthOK {
		t.Fatalf("without the callback: %v %+v", err, sts)
	}
	var got []patchkit.Patch
	_, sts, err = Updates(t.Context(), root, nil, WithArch("x86_64"), WithNow(now), WithNotInstalled(func(p patchkit.Patch) { got = append(got, p) }))
	if err != nil {
		t.Fatal(err)
	}
	const file = "http://security.example.org/debian-security stable-security main/binary-amd64/Packages:16:"
	if sts[1].Health != repo.HealthUnreadable || !strings.Contains(sts[1].Reason, file) || !strings.Contains(sts[1].Reason, "kappa 1.0 beta") {
		t.Errorf("security suite: %+v, want unreadable naming %s", sts[1], file)
	}
	for _, p := range got {
		if p.Security || strings.Contains(p.Repository, "Security") {
			t.Errorf("%s %s offered by the unhealthy suite: %+v", p.Name, p.EVR(), p)
		}
	}
	if len(got) != 7 {
		t.Errorf("%d versions, want the base suite's 7: %+v", len(got), niViews(got))
	}
}

// TestNotInstalledErrorNoCalls: when Updates fails, the callback is never
// called; a nil callback changes nothing.
func TestNotInstalledErrorNoCalls(t *testing.T) {
	now := time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC)
	bad := memRoot(ruleSuites(), map[string]string{"etc/apt/preferences.d/bad": "Package: alpha\nPin: version 1.0-1\n"})
	calls := 0
	_, _, err := Updates(t.Context(), bad, nil, WithArch("x86_64"), WithNow(now), WithNotInstalled(func(patchkit.Patch) { calls++ }))
	var ce *ConfigError
	if !errors.As(err, &ce) || calls != 0 {
		t.Errorf("error %v, %d calls; want a *ConfigError and none", err, calls)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err = Updates(ctx, memRoot(ruleSuites(), nil), nil, WithArch("x86_64"), WithNow(now), WithNotInstalled(func(patchkit.Patch) { calls++ }))
	if err == nil || calls != 0 {
		t.Errorf("cancelled: error %v, %d calls", err, calls)
	}
	root := memRoot(ruleSuites(), nil)
	a, as, err1 := Updates(t.Context(), root, nil, WithArch("x86_64"), WithNow(now), WithNotInstalled(nil))
	b, bs, err2 := Updates(t.Context(), root, nil, WithArch("x86_64"), WithNow(now))
	if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) || !reflect.DeepEqual(as, bs) {
		t.Errorf("WithNotInstalled(nil) changed the result: %v %v", err1, err2)
	}
}
