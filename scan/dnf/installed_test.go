package dnf_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/dnf"
)

// splitInstalled separates what Check returned into the installed
// versions (Candidate false and equal to an installed package) and the
// others, by NEVRA.
func splitInstalled(ps []patchkit.Patch, inv []patchkit.Package) (installed map[string]patchkit.Patch, newer []patchkit.Patch) {
	inst := map[string]bool{}
	for _, p := range inv {
		if !p.Epoch.Known() {
			p.Epoch = patchkit.EpochOf(0)
		}
		inst[p.NEVRA()] = true
	}
	installed = map[string]patchkit.Patch{}
	for _, p := range ps {
		if inst[p.NEVRA()] {
			installed[p.NEVRA()] = p
			continue
		}
		newer = append(newer, p)
	}
	return installed, newer
}

// sameMetadata compares what a baseline reads of a version: everything
// but Candidate.
func sameMetadata(t *testing.T, what string, got, want patchkit.Patch) {
	t.Helper()
	want.Candidate = false
	if d := diffViews(views([]patchkit.Patch{got}, true), views([]patchkit.Patch{want}, true)); d != "" {
		t.Errorf("%s:\n%s", what, d)
	}
	if got.RebootSuggested != want.RebootSuggested || got.Product != want.Product || got.SourceName != want.SourceName {
		t.Errorf("%s: %+v, want %+v", what, got, want)
	}
}

// TestFixtureInstalledVersions: on the recorded root, with tb-lib at the
// security update 1:2.0-2 (as after dnf upgrade tb-lib) and tb-tool at a
// version no repository has, WithInstalledVersions returns the installed
// versions the repositories offer, each with the metadata it has as a
// newer version, and nothing for tb-tool; without the option, nothing
// changes.
func TestFixtureInstalledVersions(t *testing.T) {
	inv := fixtureInventory(t)
	before := slices.Clone(inv)
	for i, p := range inv {
		switch p.Name {
		case "tb-lib":
			inv[i].Release = "2"
		case "tb-tool":
			inv[i].Release = "9"
		}
	}
	now := fixtureNow(t)
	for _, rule := range []dnf.DateRule{dnf.IssuedFirst, dnf.UpdatedFirst} {
		base := []dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(now), dnf.WithProduct("AmazonLinux2023"), dnf.WithDateRule(rule)}
		// The metadata of tb-lib 1:2.0-2 as a newer version.
		old, err := dnf.Check(context.Background(), fixtureFS(t), before, base...)
		if err != nil {
			t.Fatal(err)
		}
		var asNewer patchkit.Patch
		for _, p := range old.Patches {
			if p.NEVRA() == "tb-lib-1:2.0-2.noarch" {
				asNewer = p
			}
		}
		if !asNewer.Security || asNewer.Severity != "Important" {
			t.Fatalf("tb-lib 1:2.0-2 as a newer version: %+v", asNewer)
		}

		plain, err := dnf.Check(context.Background(), fixtureFS(t), inv, base...)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := dnf.Check(context.Background(), fixtureFS(t), inv, append(base, dnf.WithInstalledVersions(true))...)
		if err != nil {
			t.Fatal(err)
		}
		got, newer := splitInstalled(rep.Patches, inv)
		if d := diffViews(views(newer, true), views(plain.Patches, true)); d != "" {
			t.Fatalf("%s: the newer versions changed with the option:\n%s", rule, d)
		}
		if extra, _ := splitInstalled(plain.Patches, inv); len(extra) != 0 {
			t.Fatalf("without the option: installed versions %v", extra)
		}
		want := []string{"kernel-tb-0:5.0-1.noarch", "tb-hello-0:1.0-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-0:1.0-1.noarch"}
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
			t.Fatalf("%s: installed versions %v, want %v (not tb-tool 3.0-9, not gpg-pubkey)", rule, keys, want)
		}
		for k, p := range got {
			if p.Candidate || p.Product != "AmazonLinux2023" {
				t.Errorf("%s: %+v", k, p)
			}
		}
		sameMetadata(t, "tb-lib 1:2.0-2 installed", got["tb-lib-1:2.0-2.noarch"], asNewer)
		wantDate := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		if rule == dnf.UpdatedFirst {
			wantDate = wantDate.Add(12 * time.Hour)
		}
		if d := got["tb-lib-1:2.0-2.noarch"].ReleaseDate; !d.Equal(wantDate) {
			t.Errorf("%s: tb-lib release date %v, want %v", rule, d, wantDate)
		}
		// No notice ships tb-hello 1.0-1: not security, dated by its
		// build time in tb-base's primary.xml.
		h := got["tb-hello-0:1.0-1.noarch"]
		if h.Security || h.Classification != "" || len(h.AdvisoryIDs) != 0 || h.Repository != "tb-base" ||
			!h.ReleaseDate.Equal(time.Unix(1796045818, 0)) {
			t.Errorf("tb-hello 1.0-1: %+v", h)
		}
	}

	// tb-updates unhealthy: tb-lib 1:2.0-2 is offered by no healthy
	// repository, so it gives nothing; tb-base's versions still come.
	fsys := fixtureFS(t)
	delete(fsys, cached(t, fsys, "tb-updates", "repomd.xml.asc"))
	rep, err := dnf.Check(context.Background(), fsys, inv, dnf.WithArch("x86_64"), dnf.WithNow(now), dnf.WithInstalledVersions(true))
	if err != nil {
		t.Fatal(err)
	}
	got, newer := splitInstalled(rep.Patches, inv)
	if keys := slices.Sorted(maps.Keys(got)); len(newer) != 0 || !slices.Equal(keys, []string{"kernel-tb-0:5.0-1.noarch", "tb-hello-0:1.0-1.noarch", "tb-multi-0:1.0-1.noarch"}) {
		t.Fatalf("tb-updates unsigned: installed versions %v, newer %v", keys, nevras(newer))
	}
}

// TestTestbedDnfScanInstalledVersions: real dnf installs the security
// update tb-lib 1:2.0-2 on a copy of the root; then the metadata backend
// with WithInstalledVersions returns it as an installed version with the
// metadata it had as a newer version, the installed versions it returns
// are those dnf repoquery --available lists (from the same repository),
// and tb-lib's notice is the one dnf updateinfo --installed names. With
// tb-base disabled, the versions only it has come back as nothing; with
// tb-lib excluded, tb-lib's too.
func TestTestbedDnfScanInstalledVersions(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	c := env.Clone(t)
	t.Parallel()
	now := repomdDate(t, c.RPMRoot).Add(time.Hour)
	base := []dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(now)}
	old, err := dnf.Check(t.Context(), os.DirFS(c.RPMRoot), inventory(t, c.RPMRoot), base...)
	if err != nil {
		t.Fatal(err)
	}
	var asNewer patchkit.Patch
	for _, p := range old.Patches {
		if p.NEVRA() == "tb-lib-1:2.0-2.noarch" {
			asNewer = p
		}
	}
	cmd := exec.CommandContext(t.Context(), "dnf", append(append([]string{"-y", "-q"}, c.DNFArgs()...), "upgrade", "tb-lib")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	inv := inventory(t, c.RPMRoot)

	check := func(name string, wantInstalled []string) map[string]patchkit.Patch {
		t.Helper()
		plain, err := dnf.Check(t.Context(), os.DirFS(c.RPMRoot), inv, base...)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := dnf.Check(t.Context(), os.DirFS(c.RPMRoot), inv, append(base, dnf.WithInstalledVersions(true))...)
		if err != nil {
			t.Fatal(err)
		}
		got, newer := splitInstalled(rep.Patches, inv)
		if d := diffViews(views(newer, true), views(plain.Patches, true)); d != "" {
			t.Fatalf("%s: the newer versions changed with the option:\n%s", name, d)
		}
		// dnf's own view: the installed NEVRAs that an enabled
		// repository has, and from which.
		installed := map[string]bool{}
		for _, l := range strings.Fields(dnfList(t, c.RPMRoot, "repoquery", "--installed", "--queryformat", `%{name}-%{epoch}:%{version}-%{release}.%{arch}`)) {
			installed[l] = true
		}
		var offered []string
		for _, l := range strings.Split(strings.TrimSpace(dnfList(t, c.RPMRoot, "repoquery", "--available", "--queryformat", `%{name}-%{epoch}:%{version}-%{release}.%{arch} %{repoid}`)), "\n") {
			nevra, repoID, _ := strings.Cut(l, " ")
			if installed[nevra] {
				offered = append(offered, nevra+" "+repoID)
			}
		}
		slices.Sort(offered)
		var ours []string
		for k, p := range got {
			if p.Candidate {
				t.Errorf("%s: installed %s is a candidate", name, k)
			}
			ours = append(ours, k+" "+p.Repository)
		}
		slices.Sort(ours)
		if !slices.Equal(ours, offered) {
			t.Fatalf("%s: installed versions %v, dnf repoquery --available lists %v", name, ours, offered)
		}
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, wantInstalled) {
			t.Fatalf("%s: installed versions %v, want %v", name, keys, wantInstalled)
		}
		return got
	}

	got := check("tb-lib upgraded", []string{"kernel-tb-0:5.0-1.noarch", "tb-hello-0:1.0-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-0:1.0-1.noarch", "tb-tool-0:3.0-1.noarch"})
	lib := got["tb-lib-1:2.0-2.noarch"]
	sameMetadata(t, "tb-lib 1:2.0-2 installed", lib, asNewer)
	if !lib.Security || lib.Classification != "Security" || lib.Severity != "Important" ||
		!slices.Equal(lib.AdvisoryIDs, []string{"TBSA-2026:0001"}) || !slices.Equal(lib.CVEIDs, []string{"CVE-2026-0001"}) ||
		!lib.ReleaseDate.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("tb-lib 1:2.0-2 installed: %+v", lib)
	}
	// dnf names the same notice for the installed package.
	var notices []string
	for _, l := range strings.Split(strings.TrimSpace(dnfList(t, c.RPMRoot, "updateinfo", "list", "--installed")), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 {
			notices = append(notices, f[0]+" "+f[1]+" "+f[2])
		}
	}
	if want := []string{"TBSA-2026:0001 Important/Sec. tb-lib-1:2.0-2.noarch"}; !slices.Equal(notices, want) {
		t.Errorf("dnf updateinfo list --installed: %q, want %q", notices, want)
	}
	for _, k := range []string{"kernel-tb-0:5.0-1.noarch", "tb-tool-0:3.0-1.noarch"} {
		if p := got[k]; p.Security || p.Repository != "tb-base" || p.ReleaseDate.IsZero() {
			t.Errorf("%s: %+v, want tb-base's version dated by its build time", k, p)
		}
	}

	// Only tb-updates enabled: the versions only tb-base has are offered
	// by no enabled repository.
	setOpt(t, c.RPMRoot, "etc/yum.repos.d/testbed.repo", "tb-base", "enabled", "0")
	check("tb-base disabled", []string{"tb-lib-1:2.0-2.noarch"})

	// An excluded version is not offered either, for dnf as here.
	setOpt(t, c.RPMRoot, "etc/dnf/dnf.conf", "main", "excludepkgs", "tb-lib")
	check("tb-lib excluded", nil)
}
