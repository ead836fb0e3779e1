package apt

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// niRoot is one apt installation whose not-installed versions are
// compared with apt's.
type niRoot struct {
	fsys           fs.FS
	mopts          []Option
	r              run.Runner // runs apt and dpkg-query on it
	env            []string   // APT_CONFIG for the apt programs
	dpkgQuery      []dpkg.QueryOption
	allowUnhealthy bool // this machine's own sources may name repositories never fetched
}

// niResult is what a comparison saw.
type niResult struct {
	got      []patchkit.Patch // passed to the callback, in order
	updates  []patchkit.Patch
	inv      []patchkit.Package
	packages int // not-installed packages apt offers some version of
}

// aptArchitectures is apt's APT::Architectures, as apt-config computes it
// (the native one first, then dpkg's foreign ones).
func aptArchitectures(t testing.TB, rt niRoot) []string {
	t.Helper()
	out := runOut(t, rt.r, run.Command{Path: "/usr/bin/apt-config", Args: []string{"dump", "--format", "%f=%v%n"},
		Operands: []string{"APT::Architectures"}, Env: rt.env})
	var archs []string
	for _, l := range strings.Split(string(out), "\n") {
		if a, ok := strings.CutPrefix(l, "APT::Architectures::="); ok {
			archs = append(archs, a)
		}
	}
	if len(archs) == 0 {
		t.Fatalf("apt-config names no architecture: %q", out)
	}
	return archs
}

// compareNotInstalled runs Updates with WithNotInstalled on the root and
// compares the versions passed to the callback with apt's own view: every
// package apt knows (apt-cache pkgnames, in each of apt's architectures)
// is asked about in one apt-cache policy call, and every version of a
// package apt says is not installed ("Installed: (none)") that an index
// of a healthy repository offers must be passed exactly once, with the
// origins of exactly those indexes and Security when one is a security
// pocket; nothing else may be passed. apt's installed packages must be
// the inventory's.
func compareNotInstalled(t *testing.T, rt niRoot) niResult {
	t.Helper()
	ctx := t.Context()
	arch := nodeArch(t)
	inv, err := dpkg.Query(ctx, rt.r, rt.dpkgQuery...)
	if err != nil {
		t.Fatal(err)
	}
	res := niResult{inv: inv}
	base := append([]Option{WithArch(arch), WithNow(time.Now())}, rt.mopts...)
	o, err := buildOptions(base)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ups, statuses, err := Updates(ctx, rt.fsys, inv, append(base, WithNotInstalled(func(p patchkit.Patch) { res.got = append(res.got, p) }))...)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	res.updates = ups
	// The backend's own tables: which index is which origin.
	st, err := collect(ctx, rt.fsys, inv, o)
	if err != nil {
		t.Fatal(err)
	}
	native := st.pol.native
	checkNotInstalledOrder(t, res.got, native)
	files := map[string]*pkgFile{}
	for _, f := range st.pol.files {
		if !f.status {
			files[f.desc] = f
		}
	}
	var unhealthy []string
	for _, s := range statuses {
		if s.Health != repo.HealthOK {
			unhealthy = append(unhealthy, s.Name)
			if rt.allowUnhealthy {
				t.Logf("repository %s: %s (%s)", s.Name, s.Health, s.Reason)
			} else {
				t.Errorf("repository %s: %s (%s)", s.Name, s.Health, s.Reason)
			}
		}
	}
	installed := map[string]bool{}
	for _, p := range inv {
		if p.State != patchkit.StateConfigFiles && p.State != patchkit.StateNotInstalled {
			installed[p.Name+":"+aptArch(p.Arch, native)] = true
		}
	}

	// apt's view.
	start = time.Now()
	names := strings.Fields(string(runOut(t, rt.r, run.Command{Path: "/usr/bin/apt-cache", Args: []string{"pkgnames"}, Env: rt.env})))
	ops := slices.Clone(names)
	for _, a := range aptArchitectures(t, rt)[1:] {
		for _, n := range names {
			ops = append(ops, n+":"+a)
		}
	}
	pols := aptCachePolicy(t, rt.r, rt.env, nil, ops)
	aptTook := time.Since(start)
	type offered struct{ descs []string }
	want := map[string]offered{}
	seen := map[string]bool{}
	aptInstalled := 0
	notInstalled := map[string]bool{}
	for _, cp := range pols {
		key := cp.Name + ":" + cmpOr(cp.Qualifier, native)
		if seen[key] {
			continue // asked twice: a name apt only has in a foreign architecture
		}
		seen[key] = true
		if cp.Installed != "" {
			aptInstalled++
			if !installed[key] {
				t.Errorf("apt says %s %s is installed; the inventory does not", key, cp.Installed)
			}
			continue
		}
		if installed[key] {
			t.Errorf("the inventory has %s installed; apt says it is not", key)
		}
		for _, v := range cp.Versions {
			var descs []string
			for _, s := range v.Sources {
				if s.Status() {
					continue
				}
				if files[s.Desc] == nil {
					if !slices.ContainsFunc(unhealthy, func(n string) bool {
						return strings.HasPrefix(s.Desc, n+"/") || strings.HasPrefix(s.Desc, n+" ")
					}) {
						t.Errorf("%s %s: apt reads %q, which the backend does not read", key, v.Version, s.Desc)
					}
					continue
				}
				descs = append(descs, s.Desc)
			}
			if len(descs) > 0 {
				// as a Package spells it ("0:1.0-1" is "1.0-1")
				pk, err := patchkit.ParseDpkg(cp.Name, v.Version)
				if err != nil {
					t.Fatalf("%s: apt-cache policy's version %q: %v", key, v.Version, err)
				}
				want[key+"="+pk.EVR()] = offered{descs}
				notInstalled[key] = true
			}
		}
	}
	if len(installed) != aptInstalled {
		t.Errorf("the inventory has %d installed packages, apt %d", len(installed), aptInstalled)
	}
	res.packages = len(notInstalled)

	got := map[string]patchkit.Patch{}
	for _, p := range res.got {
		k := p.Name + ":" + aptArch(p.Arch, native) + "=" + p.EVR()
		if _, dup := got[k]; dup {
			t.Errorf("%s passed twice", k)
		}
		got[k] = p
		if installed[p.Name+":"+aptArch(p.Arch, native)] {
			t.Errorf("%s passed, but the package is installed", k)
		}
	}
	var missing, extra []string
	security := 0
	for _, k := range slices.Sorted(maps.Keys(want)) {
		p, ok := got[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		var origins []string
		sec := false
		for _, d := range want[k].descs {
			if r := files[d].relStr; !slices.Contains(origins, r) {
				origins = append(origins, r)
			}
			s := PolicySource{Desc: d}
			sec = sec || securityOrigin(s.Dist(), siteOf(s.URI()))
		}
		ours := strings.Split(p.Repository, ", ")
		slices.Sort(origins)
		slices.Sort(ours)
		if !slices.Equal(ours, origins) {
			t.Errorf("%s: origins %q, apt's indexes %q are %q", k, p.Repository, want[k].descs, origins)
		}
		if p.Security != sec || p.Security != (p.Classification == "Security") || p.Candidate {
			t.Errorf("%s: Security %v, Classification %q, Candidate %v; apt's indexes %q", k, p.Security, p.Classification, p.Candidate, want[k].descs)
		}
		if p.Security {
			security++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	report := func(what string, ks []string) {
		if len(ks) == 0 {
			return
		}
		more := ""
		if len(ks) > 20 {
			ks, more = ks[:20], fmt.Sprintf(" and %d more", len(ks)-20)
		}
		t.Errorf("%s: %q%s", what, ks, more)
	}
	report("versions apt offers of not-installed packages that the callback did not get", missing)
	report("versions passed to the callback that apt does not offer of a not-installed package", extra)
	t.Logf("%d not-installed packages of %d names asked (%d installed): apt offers %d versions, %d passed (%d security); "+
		"Updates with the option %v, apt-cache pkgnames and policy %v",
		res.packages, len(ops), aptInstalled, len(want), len(got), security, took.Round(time.Millisecond), aptTook.Round(time.Millisecond))
	checkSecurityOnly(t, rt.fsys, inv, base, res.got)
	return res
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestTestbedAptNotInstalledPrivateRoot: on the testbed's private root,
// tb-extra, which no root has installed, is offered at 1.0-1 (the base
// suite) and 1.1-1 (the security suite, so Security), exactly as apt
// offers it, and nothing of the installed tb-* packages is.
func TestTestbedAptNotInstalledPrivateRoot(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "apt-cache", "apt")
	res := compareNotInstalled(t, niRoot{
		fsys:      os.DirFS("/"),
		mopts:     []Option{WithAptConfig(env.AptConfig), WithProduct("Debian12")},
		r:         newLocal(t),
		env:       []string{"APT_CONFIG=" + env.AptConfig},
		dpkgQuery: []dpkg.QueryOption{dpkg.QueryAdmindir(filepath.Join(env.AptRoot(), "var/lib/dpkg"))},
	})
	want := []niView{
		{"tb-extra", "all", "1.0-1", "Testbed:testbed", "", false},
		{"tb-extra", "all", "1.1-1", "Testbed-Security:testbed-security", "", true},
	}
	if v := niViews(res.got); !slices.Equal(v, want) {
		t.Errorf("got %+v, want %+v", v, want)
	}
	for _, p := range res.got {
		if p.Classification != map[bool]string{true: "Security"}[p.Security] || p.Product != "Debian12" ||
			p.Section != "misc" || p.Priority != "optional" || p.SourceName != "tb-extra" || p.Candidate {
			t.Errorf("%s %s: %+v", p.Name, p.EVR(), p)
		}
	}
}

// TestTestbedAptNotInstalledChroot compares the not-installed versions of
// the testbed's bookworm chroot (Debian's full lists and the testbed's
// suites; only read) with apt's inside it.
func TestTestbedAptNotInstalledChroot(t *testing.T) {
	env := testbed.NeedChroot(t)
	testutil.NeedTool(t, "chroot", "coreutils")
	res := compareNotInstalled(t, niRoot{fsys: os.DirFS(env.DebChroot), r: chrootRunner(newLocal(t), env.DebChroot)})
	if len(res.got) < 1000 {
		t.Errorf("%d not-installed versions: the chroot's Debian lists are missing", len(res.got))
	}
	for _, p := range res.got {
		if p.Name == "tb-extra" && p.EVR() == "1.1-1" && !p.Security {
			t.Errorf("tb-extra 1.1-1 is not Security: %+v", p)
		}
	}
}

// TestHostAptNotInstalled compares the not-installed versions of this
// machine's own apt (its real Debian lists, ~63,000 packages) with apt's.
// Under CI the lists are fresh (.ci/run runs apt-get update) and the test
// must run.
func TestHostAptNotInstalled(t *testing.T) {
	testutil.Slow(t, "compares every not-installed package of this machine's full Debian lists with apt-cache policy")
	testutil.NeedTool(t, "apt-cache", "apt")
	if _, err := os.Stat("/var/lib/apt/lists"); err != nil {
		if testutil.InCI() {
			t.Fatal("no /var/lib/apt/lists under CI")
		}
		t.Skip("no apt lists on this machine")
	}
	res := compareNotInstalled(t, niRoot{fsys: os.DirFS("/"), r: newLocal(t), allowUnhealthy: true})
	if res.packages < 1000 {
		t.Errorf("apt offers %d not-installed packages: the lists are missing", res.packages)
	}
}

// TestTestbedAptNotInstalledScenario adds suites of its own to a copy of
// the testbed's private root, for what the testbed's suites do not show:
// a foreign architecture (Multi-Arch: same, and a package only i386 has),
// one version in two suites (one a security suite), a package moving from
// "all" to the native architecture, a package dpkg holds in config-files
// state, a Source field with an epoch, an installed package, and pins
// below 0 and "never". The versions passed must be apt's (with the pins
// too: apt-get install NAME=VERSION installs a version pinned below 0);
// once real apt installs tb-extra 1.0-1, tb-extra is no longer passed and
// its 1.1-1 is the update Updates returns, the same Patch but Candidate.
func TestTestbedAptNotInstalledScenario(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "apt-get", "apt")
	native := debArchOf(t)
	suites := []localSuite{
		{suite: "nibase", label: "NI", origin: "NI", version: "1.0", pkgs: []debStanza{
			{name: "ni-multi", version: "1.0-1", arch: native, multiArch: "same"},
			{name: "ni-multi", version: "1.0-1", arch: "i386", multiArch: "same"},
			{name: "ni-all", version: "2.0-1", arch: "all"},
			{name: "ni-move", version: "1.0-1", arch: "all"},
			{name: "ni-rc", version: "1.0-1", arch: native},
			{name: "ni-lib32", version: "1.0", arch: "i386"},
			{name: "ni-src", version: "1:1.0-1", arch: native, source: "ni-source (1:1.0-1)"},
			{name: "ni-inst", version: "1.0", arch: native},
			{name: "ni-pinned", version: "1.0", arch: native},
		}},
		{suite: "nibase-security", label: "NI-Security", origin: "NI", pkgs: []debStanza{
			{name: "ni-multi", version: "1.1-1", arch: native, multiArch: "same"},
			{name: "ni-multi", version: "1.1-1", arch: "i386", multiArch: "same"},
			{name: "ni-all", version: "2.0-1", arch: "all"},
			{name: "ni-move", version: "1.1-1", arch: native},
			{name: "ni-inst", version: "2.0", arch: native},
			{name: "ni-pinned", version: "2.0", arch: native},
		}},
	}
	status := []debStanza{
		{name: "ni-inst", version: "1.0", arch: native, status: "install ok installed"},
		{name: "ni-rc", version: "0.9-1", arch: native, status: "hold ok config-files"},
	}
	sc := newScenario(t, env, suites, status, []string{"i386"})
	sc.write(t, "etc/apt/preferences.d/ni.pref", "Package: ni-pinned\nPin: version 2.0\nPin-Priority: -1\n\n"+
		"Package: *\nPin: release a=testbed-security\nPin-Priority: never\n")
	rt := niRoot{
		fsys:      os.DirFS("/"),
		mopts:     []Option{WithAptConfig(sc.env.AptConfig), WithProduct("Debian12")},
		r:         newLocal(t),
		env:       []string{"APT_CONFIG=" + sc.env.AptConfig},
		dpkgQuery: []dpkg.QueryOption{dpkg.QueryAdmindir(filepath.Join(sc.root, "var/lib/dpkg"))},
	}
	const (
		base = "NI:1.0/nibase"
		sec  = "NI-Security:nibase-security"
	)
	n := native
	want := []niView{
		{"ni-all", "all", "2.0-1", base + ", " + sec, "", true},
		{"ni-lib32", "i386", "1.0", base, "", false},
		{"ni-move", "all", "1.0-1", base, "", false},
		{"ni-move", n, "1.1-1", sec, "", true},
		{"ni-multi", n, "1.0-1", base, "", false},
		{"ni-multi", n, "1.1-1", sec, "", true},
		{"ni-multi", "i386", "1.0-1", base, "", false},
		{"ni-multi", "i386", "1.1-1", sec, "", true},
		{"ni-pinned", n, "1.0", base, "", false},
		{"ni-pinned", n, "2.0", sec, "", true},
		{"ni-rc", n, "1.0-1", base, "hold", false},
		{"ni-src", n, "1:1.0-1", base, "", false},
		{"tb-extra", "all", "1.0-1", "Testbed:testbed", "", false},
		{"tb-extra", "all", "1.1-1", "Testbed-Security:testbed-security", "", true},
	}
	res := compareNotInstalled(t, rt)
	if v := niViews(res.got); !slices.Equal(v, want) {
		t.Errorf("got\n %+v\nwant\n %+v", v, want)
	}
	var extra patchkit.Patch
	for _, p := range res.got {
		if p.Name == "ni-src" && (p.SourceName != "ni-source" || p.SourceVersion != "1:1.0-1" || p.Epoch.String() != "1") {
			t.Errorf("ni-src: %+v", p)
		}
		if p.Name == "tb-extra" && p.EVR() == "1.1-1" {
			extra = p
		}
	}
	// apt installs what its pins rank below 0 when asked for the version
	for _, v := range []string{"ni-pinned=2.0", "tb-extra=1.1-1"} {
		name, ver, _ := strings.Cut(v, "=")
		out := sc.apt(t, "apt-get", "-s", "-o", "Debug::NoLocking=1", "install", v)
		if !strings.Contains(out, "Inst "+name+" ("+ver+" ") {
			t.Errorf("apt-get -s install %s does not install it:\n%s", v, out)
		}
	}

	sc.remove(t, "etc/apt/preferences.d/ni.pref")
	sc.apt(t, "apt-get", "install", "-y", "-qq", "tb-extra=1.0-1")
	res = compareNotInstalled(t, rt)
	if v := niViews(res.got); !slices.Equal(v, want[:len(want)-2]) {
		t.Errorf("tb-extra installed: got\n %+v\nwant\n %+v", v, want[:len(want)-2])
	}
	var up []patchkit.Patch
	for _, p := range res.updates {
		if p.Name == "tb-extra" {
			p.Candidate = false
			up = append(up, p)
		}
	}
	if len(up) != 1 || !reflect.DeepEqual(up[0], extra) {
		t.Errorf("tb-extra's updates once 1.0-1 is installed:\n %+v\nwant\n %+v", up, extra)
	}
}

// checkSecurityOnly runs Updates again with WithNotInstalledSecurityOnly:
// the versions passed must be exactly the Security ones of the full run
// (full), in the same order, each with the same fields except that its
// Repository names some of the full one's origins (the security ones).
func checkSecurityOnly(t *testing.T, fsys fs.FS, inv []patchkit.Package, base []Option, full []patchkit.Patch) {
	t.Helper()
	var got []patchkit.Patch
	_, _, err := Updates(t.Context(), fsys, inv, append(slices.Clone(base),
		WithNotInstalled(func(p patchkit.Patch) { got = append(got, p) }), WithNotInstalledSecurityOnly(true))...)
	if err != nil {
		t.Fatal(err)
	}
	var want []patchkit.Patch
	for _, p := range full {
		if p.Security {
			want = append(want, p)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("security only: %d versions, want the %d Security ones of %d", len(got), len(want), len(full))
	}
	for i := range got {
		g, w := got[i], want[i]
		origins := strings.Split(w.Repository, ", ")
		for _, o := range strings.Split(g.Repository, ", ") {
			if !slices.Contains(origins, o) {
				t.Errorf("%s %s: origin %q is not one of %q", g.Name, g.EVR(), o, w.Repository)
			}
		}
		g.Repository = w.Repository
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("security only: %+v\nwant %+v", g, w)
		}
	}
	t.Logf("security only: %d of %d versions", len(got), len(full))
}
