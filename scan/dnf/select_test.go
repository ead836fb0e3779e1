package dnf

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

func pkg(t *testing.T, nevra string) patchkit.Package {
	t.Helper()
	p, err := parseDNFNEVRA(nevra)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUpgrades: libdnf's what_upgrades rule, case by case.
func TestUpgrades(t *testing.T) {
	inst := func(ns ...string) []instPkg {
		var out []instPkg
		for _, n := range ns {
			out = append(out, instPkg{pkg(t, n)})
		}
		return out
	}
	for _, tc := range []struct {
		installed []string
		cand      string
		want      string // the installed package it upgrades, "" for none
	}{
		{[]string{"a-1-1.x86_64"}, "a-2-1.x86_64", "a-0:1-1.x86_64"},
		{[]string{"a-1-1.x86_64"}, "a-1-1.x86_64", ""},
		{[]string{"a-2-1.x86_64"}, "a-1-1.x86_64", ""},
		{[]string{"a-1-1.x86_64"}, "a-2-1.noarch", "a-0:1-1.x86_64"},           // to noarch
		{[]string{"a-1-1.noarch"}, "a-2-1.x86_64", "a-0:1-1.noarch"},           // from noarch
		{[]string{"a-1-1.i686"}, "a-2-1.x86_64", ""},                           // no arch change
		{[]string{"a-1-1.i686", "a-1-1.x86_64"}, "a-2-1.i686", "a-0:1-1.i686"}, // multilib
		{[]string{"a-1-1.i686", "a-3-1.x86_64"}, "a-2-1.noarch", ""},           // noarch meets the newer x86_64
		{[]string{"k-5.0-1.x86_64", "k-5.2-1.x86_64"}, "k-5.1-1.x86_64", ""},   // installonly: newer than all
		{[]string{"k-5.0-1.x86_64", "k-5.2-1.x86_64"}, "k-5.3-1.x86_64", "k-0:5.2-1.x86_64"},
		{[]string{"e-1:1-1.x86_64"}, "e-9-1.x86_64", ""}, // the epoch wins
		{nil, "a-2-1.x86_64", ""},
	} {
		got, ok := upgrades(inst(tc.installed...), pkg(t, tc.cand))
		if ok != (tc.want != "") || ok && got.NEVRA() != tc.want {
			t.Errorf("installed %v, candidate %s: upgrades %v %q, want %q", tc.installed, tc.cand, ok, got.NEVRA(), tc.want)
		}
	}
}

func TestCompatArches(t *testing.T) {
	for arch, want := range map[string][]string{
		"x86_64":  {"x86_64", "i686", "i586", "i486", "i386", "noarch"},
		"aarch64": {"aarch64", "noarch"},
		"armv7l":  {"armv7hl", "armv6hl", "noarch"},
	} {
		if got, ok := compatArches(arch); !ok || !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", arch, got, want)
		}
	}
	if _, ok := compatArches("amd64"); ok {
		t.Error("amd64 is not in osdetect's vocabulary; WithArch normalises it first")
	}
	if basearch("i686") != "i386" || basearch("x86_64") != "x86_64" {
		t.Error("basearch")
	}
}

// TestPatterns: excludepkgs entries in the forms dnf reads them.
func TestPatterns(t *testing.T) {
	p := pkg(t, "kernel-core-5.14.0-427.el9.x86_64")
	e, _ := p.Epoch.Value()
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{"kernel-core", true},
		{"kernel*", true},
		{"kernel", false},
		{"kernel-core.x86_64", true},
		{"kernel-core.i686", false},
		{"kernel-core-5.14.0", true},
		{"kernel-core-5.14.0-427.el9", true},
		{"kernel-core-5.14.0-427.el9.x86_64", true},
		{"kernel-core-0:5.14.0-427.el9.x86_64", true},
		{"kernel-core-1:5.14.0-427.el9.x86_64", false},
		{"kernel-core-5.14*", true},
		{"kernel-core-5.15*", false},
		{"*.x86_64", true},
		{"kernel-c?re", true},
		{"kernel-[", false}, // a malformed glob matches nothing
	} {
		if got := patterns([]string{tc.pattern})[0].match(p.Name, e, p.Version, p.Release, p.Arch); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

func TestInRange(t *testing.T) {
	p := pkg(t, "old-1:2.0-3.noarch")
	for _, tc := range []struct {
		e    depEntry
		want bool
	}{
		{depEntry{name: "old"}, true},
		{depEntry{name: "old", flags: "LT", epoch: "1", ver: "2.0", rel: "4"}, true},
		{depEntry{name: "old", flags: "LT", epoch: "1", ver: "2.0"}, false}, // without a release, 2.0 matches any 2.0
		{depEntry{name: "old", flags: "LE", epoch: "1", ver: "2.0"}, true},
		{depEntry{name: "old", flags: "LT", ver: "3.0"}, false}, // epoch 0 < epoch 1
		{depEntry{name: "old", flags: "GE", ver: "3.0"}, true},
		{depEntry{name: "old", flags: "EQ", epoch: "1", ver: "2.0", rel: "3"}, true},
		{depEntry{name: "old", flags: "GT", epoch: "1", ver: "2.0", rel: "3"}, false},
	} {
		if got := inRange(p, tc.e); got != tc.want {
			t.Errorf("%s in %q: %v, want %v", p.NEVRA(), formatDep(tc.e), got, tc.want)
		}
	}
}

// TestClassify: several notices for one version.
func TestClassify(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	ns := []*patchkit.Advisory{
		{ID: "B-2", Type: patchkit.AdvisoryBugfix, Severity: "None", Issued: d(5), Updated: d(9), BugzillaIDs: []string{"7", "3"}},
		{ID: "S-1", Type: patchkit.AdvisorySecurity, Severity: "Moderate", Issued: d(6), Updated: d(7), CVEIDs: []string{"CVE-2"}, RebootSuggested: true},
		{ID: "S-3", Type: patchkit.AdvisorySecurity, Severity: "important", Updated: d(2), CVEIDs: []string{"CVE-1", "CVE-2"}},
	}
	var p patchkit.Patch
	classify(&p, ns, IssuedFirst)
	if !p.Security || p.Classification != "Security" || p.Severity != "important" || !p.RebootSuggested ||
		!slices.Equal(p.AdvisoryIDs, []string{"B-2", "S-1", "S-3"}) || !slices.Equal(p.CVEIDs, []string{"CVE-1", "CVE-2"}) ||
		!slices.Equal(p.BugzillaIDs, []string{"3", "7"}) || !p.ReleaseDate.Equal(d(2)) {
		t.Fatalf("%+v", p)
	}
	var q patchkit.Patch
	classify(&q, ns[:2], UpdatedFirst)
	if !q.ReleaseDate.Equal(d(7)) {
		t.Fatalf("updated first: %v", q.ReleaseDate)
	}
	var none patchkit.Patch
	classify(&none, nil, IssuedFirst)
	if none.Security || none.Classification != "" || !none.ReleaseDate.IsZero() {
		t.Fatalf("no notice: %+v", none)
	}
}

// TestSelectPriorityCost: one version in two repositories is one patch,
// from the repository of better priority, then lower cost; the candidate
// comes from the best-priority repositories of the name even when another
// offers a newer version.
func TestSelectPriorityCost(t *testing.T) {
	rc := func(id string, prio, cost, order int) *repoConfig {
		r := &repoConfig{priority: prio, cost: cost, order: order}
		r.ID = id
		return r
	}
	mk := func(r *repoConfig, nevras ...string) *repoData {
		rd := &repoData{cfg: r}
		rd.status.Health = "OK"
		for _, n := range nevras {
			p := pkg(t, n)
			e, _ := p.Epoch.Value()
			rd.pkgs = append(rd.pkgs, rpmmdPackage(p.Name, e, p.Version, p.Release, p.Arch))
		}
		return rd
	}
	inst := map[string][]instPkg{"a": {{pkg(t, "a-1-1.x86_64")}}, "b": {{pkg(t, "b-1-1.x86_64")}}}
	for _, tc := range []struct {
		name string
		data []*repoData
		want []string // NEVRA repo candidate
	}{
		{"cost decides the repository", []*repoData{
			mk(rc("expensive", 99, 2000, 0), "a-2-1.x86_64"),
			mk(rc("cheap", 99, 10, 1), "a-2-1.x86_64"),
		}, []string{"a-0:2-1.x86_64 cheap true"}},
		{"priority before cost", []*repoData{
			mk(rc("cheap", 50, 10, 0), "a-2-1.x86_64"),
			mk(rc("preferred", 10, 2000, 1), "a-2-1.x86_64"),
		}, []string{"a-0:2-1.x86_64 preferred true"}},
		{"the preferred repository's older version is the candidate", []*repoData{
			mk(rc("main", 10, 1000, 0), "a-2-1.x86_64", "b-1-1.x86_64"),
			mk(rc("extra", 99, 1000, 1), "a-3-1.x86_64", "b-5-1.x86_64"),
		}, []string{"a-0:2-1.x86_64 main true", "a-0:3-1.x86_64 extra false", "b-0:5-1.x86_64 extra false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &options{arch: "x86_64"}
			rep := &Report{}
			selectPatches(o, &config{}, inst, tc.data, rep)
			var got []string
			for _, p := range rep.Patches {
				got = append(got, fmt.Sprintf("%s %s %v", p.NEVRA(), p.Repository, p.Candidate))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%q, want %q", got, tc.want)
			}
		})
	}
}

func rpmmdPackage(name string, epoch uint32, version, release, arch string) rpmmd.Package {
	return rpmmd.Package{Name: name, Epoch: epoch, Version: version, Release: release, Arch: arch}
}
