package apt

import (
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
	"github.com/patchkit/patchkit/scan/dpkg"
)

// installedView is what WithInstalledVersions says of one installed
// package, keyed as apt-cache policy names it.
type installedView struct {
	version  string
	security bool
}

// installedPatches runs Updates with and without WithInstalledVersions,
// requires the newer versions to be the same either way, and returns the
// installed versions, keyed as apt names the package.
func installedPatches(t *testing.T, fsys fs.FS, inv []patchkit.Package, native string, opts ...Option) map[string]patchkit.Patch {
	t.Helper()
	base := append([]Option{WithArch(nodeArch(t)), WithNow(time.Now())}, opts...)
	plain, _, err := Updates(t.Context(), fsys, inv, base...)
	if err != nil {
		t.Fatal(err)
	}
	all, _, err := Updates(t.Context(), fsys, inv, append(base, WithInstalledVersions(true))...)
	if err != nil {
		t.Fatal(err)
	}
	installed := map[string]string{}
	for _, p := range inv {
		if p.State.FilesPresent() {
			installed[p.Name+":"+aptArch(p.Arch, native)] = p.EVR()
		}
	}
	got := map[string]patchkit.Patch{}
	var newer []patchkit.Patch
	for _, p := range all {
		k := p.Name + ":" + aptArch(p.Arch, native)
		if installed[k] == p.EVR() {
			if _, dup := got[k]; dup {
				t.Errorf("%s: installed version returned twice", k)
			}
			got[k] = p
			continue
		}
		newer = append(newer, p)
	}
	if !reflect.DeepEqual(newer, plain) {
		t.Fatalf("the newer versions changed with WithInstalledVersions: %d, %d without", len(newer), len(plain))
	}
	for _, p := range plain {
		if installed[p.Name+":"+aptArch(p.Arch, native)] == p.EVR() {
			t.Fatalf("without the option, installed %s %s is returned", p.Name, p.EVR())
		}
	}
	return got
}

// policyInstalled is apt-cache policy's view of the installed versions:
// for every package whose installed version (***) some index offers,
// besides dpkg's status file, that version and whether one of those
// indexes is a security suite.
func policyInstalled(pols []CachePolicy, native string) map[string]installedView {
	out := map[string]installedView{}
	for _, p := range pols {
		for _, v := range p.Versions {
			if !v.Installed {
				continue
			}
			iv := installedView{version: v.Version}
			offered := false
			for _, s := range v.Sources {
				if s.URI() == "" {
					continue
				}
				offered = true
				iv.security = iv.security || containsFold(s.Dist(), "security")
			}
			if offered {
				q := p.Qualifier
				if q == "" {
					q = native
				}
				out[p.Name+":"+q] = iv
			}
		}
	}
	return out
}

func viewsOf(got map[string]patchkit.Patch) map[string]installedView {
	out := map[string]installedView{}
	for k, p := range got {
		out[k] = installedView{version: p.EVR(), security: p.Security}
	}
	return out
}

func diffInstalled(t *testing.T, what string, ours, apts map[string]installedView) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(apts)) {
		if o, ok := ours[k]; !ok || o != apts[k] {
			t.Errorf("%s: %s: ours %+v (returned %v), apt-cache policy %+v", what, k, o, ok, apts[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ours)) {
		if _, ok := apts[k]; !ok {
			t.Errorf("%s: %s %+v returned, but apt-cache policy shows no index offering it", what, k, ours[k])
		}
	}
}

// TestTestbedAptScanInstalledVersions: real apt installs the security
// update tb-lib 1:2.0-2 on a copy of the private root; then
// WithInstalledVersions returns it with the origin, Security, Section and
// Priority it had as a newer version, and the installed versions it
// returns, with their security verdict, are those apt-cache policy shows
// offered by an index besides dpkg's status file. With the base suite's
// source removed, the versions only it has come back as nothing.
func TestTestbedAptScanInstalledVersions(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "apt-get", "apt")
	sc := newScenario(t, env, nil, nil, nil)
	fsys := os.DirFS("/")
	opts := []Option{WithAptConfig(sc.env.AptConfig), WithProduct("Debian12")}
	native := debArchOf(t)
	r := newLocal(t)
	inventory := func() []patchkit.Package {
		inv, err := dpkg.Query(t.Context(), r, dpkg.QueryAdmindir(filepath.Join(sc.root, "var/lib/dpkg")))
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	before, _, err := Updates(t.Context(), fsys, inventory(), append([]Option{WithArch(nodeArch(t)), WithNow(time.Now())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	var asNewer patchkit.Patch
	for _, p := range before {
		if p.Name == "tb-lib" && p.EVR() == "1:2.0-2" {
			asNewer = p
		}
	}
	if !asNewer.Security || !asNewer.Candidate {
		t.Fatalf("tb-lib 1:2.0-2 before the install: %+v", asNewer)
	}

	sc.apt(t, "apt-get", "install", "-y", "-qq", "tb-lib")

	check := func(name string, want map[string]installedView) map[string]patchkit.Patch {
		t.Helper()
		inv := inventory()
		got := installedPatches(t, fsys, inv, native, opts...)
		var names []string
		for _, p := range inv {
			names = append(names, p.Name)
		}
		pols := aptCachePolicy(t, r, []string{"APT_CONFIG=" + sc.env.AptConfig}, nil, names)
		diffInstalled(t, name, viewsOf(got), policyInstalled(pols, native))
		if v := viewsOf(got); !reflect.DeepEqual(v, want) {
			t.Errorf("%s: installed versions %+v, want %+v", name, v, want)
		}
		for k, p := range got {
			if p.Candidate || p.Section != "misc" || p.Priority != "optional" || p.Product != "Debian12" || p.Arch != "all" {
				t.Errorf("%s: %s: %+v", name, k, p)
			}
		}
		return got
	}
	tb := func(v string, sec bool) installedView { return installedView{version: v, security: sec} }
	n := native
	got := check("tb-lib installed", map[string]installedView{
		"tb-hello:" + n: tb("1.0-1", false), "tb-lib:" + n: tb("1:2.0-2", true), "tb-tool:" + n: tb("3.0-1", false), "tb-kernel:" + n: tb("1.0-1", false),
		"tb-multi:" + n: tb("1.0-1", false),
	})
	asNewer.Candidate = false
	if lib := got["tb-lib:"+n]; !reflect.DeepEqual(lib, asNewer) {
		t.Errorf("tb-lib 1:2.0-2 installed:\n got %+v\nwant %+v", lib, asNewer)
	}
	if got["tb-hello:"+n].Repository != "Testbed:testbed" {
		t.Errorf("tb-hello 1.0-1 from %q, want the base suite", got["tb-hello:"+n].Repository)
	}

	// Without the base suite, only tb-lib's installed version is offered.
	list, err := os.ReadFile(filepath.Join(sc.root, "etc/apt/sources.list"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.SplitAfter(string(list), "\n") {
		if !strings.Contains(l, " testbed main") {
			kept = append(kept, l)
		}
	}
	sc.write(t, "etc/apt/sources.list", strings.Join(kept, ""))
	check("base suite removed", map[string]installedView{"tb-lib:" + n: tb("1:2.0-2", true)})
}

// TestTestbedAptScanChrootInstalledVersions: on the testbed's bookworm
// chroot (real Debian packages, only read), the installed versions
// WithInstalledVersions returns, and their security verdicts, are those
// apt-cache policy shows offered by an index, for every installed
// package.
func TestTestbedAptScanChrootInstalledVersions(t *testing.T) {
	env := testbed.NeedChroot(t)
	testutil.NeedTool(t, "chroot", "coreutils")
	r := chrootRunner(newLocal(t), env.DebChroot)
	inv, err := dpkg.Query(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	native := debArchOf(t)
	got := installedPatches(t, os.DirFS(env.DebChroot), inv, native)
	var names []string
	for _, p := range inv {
		if p.State.FilesPresent() {
			q := p.Name
			if a := aptArch(p.Arch, native); a != native {
				q += ":" + a
			}
			names = append(names, q)
		}
	}
	apts := policyInstalled(aptCachePolicy(t, r, nil, nil, names), native)
	diffInstalled(t, "chroot", viewsOf(got), apts)
	sec := 0
	for _, p := range got {
		if p.Security {
			sec++
		}
	}
	t.Logf("%d installed packages, %d installed versions offered by an index (%d of them by a security suite), as apt-cache policy shows", len(names), len(got), sec)
	if len(got) == 0 {
		t.Fatal("no installed version is offered: the chroot's lists are missing")
	}
}
