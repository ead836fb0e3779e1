package zypper

import (
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
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// installedKey names a version as zypper search prints it.
func installedKey(p patchkit.Package) string { return p.Name + "-" + edition(p) + "." + p.Arch }

// splitInstalled separates updates into the installed versions (equal to
// an installed package) and the others.
func splitInstalled(ps []patchkit.Patch, inv []patchkit.Package) (map[string]patchkit.Patch, []patchkit.Patch) {
	inst := map[string]bool{}
	for _, p := range inv {
		inst[installedKey(p)] = true
	}
	got := map[string]patchkit.Patch{}
	var newer []patchkit.Patch
	for _, p := range ps {
		if inst[installedKey(p.Package)] {
			got[installedKey(p.Package)] = p
			continue
		}
		newer = append(newer, p)
	}
	return got, newer
}

// sameAsNewer requires the installed version's patch to carry what the
// same version carried as a newer version, Candidate aside.
func sameAsNewer(t *testing.T, what string, got, newer patchkit.Patch) {
	t.Helper()
	newer.Candidate = false
	if !reflect.DeepEqual(got, newer) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, newer)
	}
}

func findUpdate(t *testing.T, ps []patchkit.Patch, key string) patchkit.Patch {
	t.Helper()
	for _, p := range ps {
		if installedKey(p.Package) == key {
			return p
		}
	}
	t.Fatalf("no %s among %d updates", key, len(ps))
	return patchkit.Patch{}
}

// TestInstalledVersionsFixture: on the recorded testbed root, with tb-lib
// at the patched 1:2.0-2 and tb-tool at a version no repository has,
// WithInstalledVersions adds the installed versions the repositories have,
// classified as newer versions are, and nothing for tb-tool; the newer
// versions do not change. With tb-updates unsigned, tb-lib 1:2.0-2 has no
// healthy repository and gives nothing.
func TestInstalledVersionsFixture(t *testing.T) {
	f := loadFixture(t, "testbed")
	asNewer := findUpdate(t, f.read(t, WithProduct("SUSE15.6")).Updates, "tb-lib-1:2.0-2.noarch")
	for i, p := range f.installed {
		switch p.Name {
		case "tb-lib":
			f.installed[i].Release = "2"
		case "tb-tool":
			f.installed[i].Release = "9"
		}
	}
	plain := f.read(t, WithProduct("SUSE15.6"))
	res := f.read(t, WithProduct("SUSE15.6"), WithInstalledVersions(true))
	got, newer := splitInstalled(res.Updates, f.installed)
	if !reflect.DeepEqual(newer, plain.Updates) {
		t.Fatalf("the newer versions changed with the option:\n%+v\n%+v", newer, plain.Updates)
	}
	if extra, _ := splitInstalled(plain.Updates, f.installed); len(extra) != 0 {
		t.Fatalf("without the option: %v", slices.Sorted(maps.Keys(extra)))
	}
	want := []string{"kernel-tb-5.0-1.noarch", "tb-hello-1.0-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-1.0-1.noarch"}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
		t.Fatalf("installed versions %v, want %v", keys, want)
	}
	lib := got["tb-lib-1:2.0-2.noarch"]
	sameAsNewer(t, "tb-lib 1:2.0-2 installed", lib, asNewer)
	if !lib.Security || lib.Classification != "Security" || lib.Severity != "Important" || !slices.Equal(lib.AdvisoryIDs, []string{"TBSA-2026:0001"}) ||
		!lib.ReleaseDate.Equal(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) || lib.Candidate {
		t.Errorf("tb-lib 1:2.0-2 installed: %+v", lib)
	}
	for k, p := range got {
		if k != "tb-lib-1:2.0-2.noarch" && (p.Security || p.Classification != "" || p.Repository != "tb-base" || p.Candidate || p.Product != "SUSE15.6") {
			t.Errorf("%s: %+v, want tb-base's version that no patch names", k, p)
		}
	}

	// tb-updates without its signature: unhealthy, so tb-lib 1:2.0-2 is
	// offered by no repository that counts.
	delete(f.fsys, "var/cache/zypp/raw/tb-updates/repodata/repomd.xml.asc")
	res = f.read(t, WithInstalledVersions(true))
	got, newer = splitInstalled(res.Updates, f.installed)
	if keys := slices.Sorted(maps.Keys(got)); len(newer) != 0 || !slices.Equal(keys, []string{"kernel-tb-5.0-1.noarch", "tb-hello-1.0-1.noarch", "tb-multi-1.0-1.noarch"}) {
		t.Fatalf("tb-updates unsigned: installed versions %v, %d newer", keys, len(newer))
	}
}

// TestTestbedZypperScanInstalledVersions: real zypper installs the
// security patch TBSA-2026:0001 (tb-lib 1:2.0-2) on a copy of the root;
// then WithInstalledVersions returns tb-lib 1:2.0-2 with the metadata it
// had as a newer version, and the installed versions it returns are those
// zypper search shows installed from a repository (not "(System
// Packages)"), from the same repository. With tb-base disabled, the
// versions only it has come back as nothing.
func TestTestbedZypperScanInstalledVersions(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "zypper", "zypper")
	c := env.Clone(t)
	root := c.ZyppRoot
	ctx := t.Context()
	now := time.Now().UTC()
	read := func(opts ...Option) (*Result, []patchkit.Package) {
		t.Helper()
		_, inv, err := rpmdb.Read(ctx, os.DirFS(root))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Read(ctx, os.DirFS(root), inv, append([]Option{WithArch("x86_64"), WithNow(now)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return res, inv
	}
	before, _ := read()
	asNewer := findUpdate(t, before.Updates, "tb-lib-1:2.0-2.noarch")

	zypperSetup(t, root, "install", "-t", "patch", "TBSA-2026:0001")

	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, want []string) map[string]patchkit.Patch {
		t.Helper()
		plain, _ := read()
		res, inv := read(WithInstalledVersions(true))
		got, newer := splitInstalled(res.Updates, inv)
		if !reflect.DeepEqual(newer, plain.Updates) {
			t.Fatalf("%s: the newer versions changed with the option", name)
		}
		// zypper's view: installed solvables and the repository that has
		// them.
		var zyp []string
		for _, s := range searchInstalled(t, local, root, inv).Solvables {
			if s.Status == "installed" && s.Repository != "(System Packages)" {
				zyp = append(zyp, s.Name+"-"+s.Edition+"."+s.Arch+" "+s.Repository)
			}
		}
		slices.Sort(zyp)
		var ours []string
		for k, p := range got {
			if p.Candidate {
				t.Errorf("%s: installed %s is a candidate", name, k)
			}
			ours = append(ours, k+" "+p.Repository)
		}
		slices.Sort(ours)
		if !slices.Equal(ours, zyp) {
			t.Fatalf("%s: installed versions %v, zypper search shows %v", name, ours, zyp)
		}
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
			t.Fatalf("%s: installed versions %v, want %v", name, keys, want)
		}
		return got
	}
	got := check("patch installed", []string{"kernel-tb-5.0-1.noarch", "tb-hello-1.0-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-1.0-1.noarch", "tb-tool-3.0-1.noarch"})
	sameAsNewer(t, "tb-lib 1:2.0-2 installed", got["tb-lib-1:2.0-2.noarch"], asNewer)
	if lib := got["tb-lib-1:2.0-2.noarch"]; !lib.Security || lib.Severity != "Important" || !slices.Equal(lib.AdvisoryIDs, []string{"TBSA-2026:0001"}) {
		t.Errorf("tb-lib 1:2.0-2 installed: %+v", lib)
	}
	// zypper calls the patch applied.
	patches, err := NativePatches(ctx, local, NativeRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range patches {
		if p.Name == "TBSA-2026:0001" && p.Status != StatusApplied {
			t.Errorf("zypper: %s is %s after its install", p.Name, p.Status)
		}
	}

	zypperSetup(t, root, "modifyrepo", "--disable", "tb-base")
	if _, err := os.Stat(filepath.Join(root, "etc/zypp/repos.d/tb-base.repo")); err != nil {
		t.Fatal(err)
	}
	got = check("tb-base disabled", []string{"tb-lib-1:2.0-2.noarch"})
	if lib := got["tb-lib-1:2.0-2.noarch"]; !strings.EqualFold(lib.Classification, "security") {
		t.Errorf("tb-lib with tb-base disabled: %+v", lib)
	}
}
