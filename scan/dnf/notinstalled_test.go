package dnf_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
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
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/run"
)

// cfgEdit is one setOpt on a root: key=value in a section of a file.
type cfgEdit struct{ file, section, key, value string }

// availQF is the query format of the repoquery --available recordings:
// name.arch, epoch:version-release, the repository, the build time (dnf
// prints it to the minute, in UTC with TZ=UTC).
const availQF = "%{name}.%{arch} %{epoch}:%{version}-%{release} %{repoid} %{buildtime}"

// availRecordings are dnf's lists of the available packages of copies of
// the fixture root, by recording name, with the configuration edits made
// to the copy before dnf ran: as recorded, and with an exclude in [main]
// (by version glob), an exclude of tb-base (by name) and includes of
// tb-updates.
var availRecordings = map[string][]cfgEdit{
	"repoquery-available.txt": nil,
	"repoquery-available-excludes.txt": {
		{"etc/dnf/dnf.conf", "main", "excludepkgs", "tb-multi-1.2*"},
		{"etc/yum.repos.d/testbed.repo", "tb-base", "excludepkgs", "tb-hello"},
		{"etc/yum.repos.d/testbed.repo", "tb-updates", "includepkgs", "tb-multi kernel-tb"},
	},
}

// copyTree copies the regular files under src to dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// editedFixture is a copy of the fixture root with the edits made.
func editedFixture(t *testing.T, edits []cfgEdit) string {
	t.Helper()
	if len(edits) == 0 {
		return fixtureRoot
	}
	root := filepath.Join(t.TempDir(), "root")
	copyTree(t, fixtureRoot, root)
	for _, e := range edits {
		setOpt(t, root, e.file, e.section, e.key, e.value)
	}
	return root
}

// TestFixtureAvailableRecord writes the repoquery --available recordings
// with -update: real dnf, cache only, on a copy of the fixture root (which
// has no rpm database, and dnf lists every available package). Without
// -update it does nothing. It runs after TestTestbedDnfFixtures (which
// rewrites the fixture root) when both run with -update.
func TestFixtureAvailableRecord(t *testing.T) {
	if !*update {
		t.Skip("rewrites testdata/dnf/testbed/repoquery-available*.txt with -update")
	}
	testutil.NeedTool(t, "dnf", "dnf")
	ver, err := exec.Command("dnf", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(ver), "\n")
	dnfVersion := "dnf " + first
	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(availRecordings)) {
		edits := availRecordings[name]
		root := filepath.Join(t.TempDir(), "root")
		copyTree(t, fixtureRoot, root)
		for _, e := range edits {
			setOpt(t, root, e.file, e.section, e.key, e.value)
		}
		desc := "as recorded"
		if len(edits) > 0 {
			var s []string
			for _, e := range edits {
				s = append(s, fmt.Sprintf("%s [%s] %s=%s", e.file, e.section, e.key, e.value))
			}
			desc = "edited: " + strings.Join(s, "; ")
		}
		rec := run.NewRecorder(local, func(run.Command) string {
			return fmt.Sprintf("%s on Debian 12 (bookworm) amd64, %s\na copy (at the path in argv) of testdata/dnf/testbed-root, %s; no rpm database\nrecorded by go test -run TestFixtureAvailableRecord -update ./scan/dnf",
				dnfVersion, time.Now().UTC().Format(time.DateOnly), desc)
		})
		cmd := run.Command{Path: "/usr/bin/dnf", Args: []string{"-q", "-C", "--installroot=" + root, "--releasever=1",
			"--setopt=reposdir=" + filepath.Join(root, "etc/yum.repos.d"), "repoquery", "--available", "--queryformat", availQF},
			Env: []string{"TZ=UTC"}}
		if _, err := rec.Run(t.Context(), cmd); err != nil {
			t.Fatal(err)
		}
		b, err := rec.Recordings()[0].Format()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(recordings, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// availLine is one line of dnf's available list.
type availLine struct {
	nevra, nameArch, repo, built string
}

// parseAvail reads lines of availQF; the build time is optional (the live
// tests leave it out).
func parseAvail(t testing.TB, out string) []availLine {
	t.Helper()
	var l []availLine
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) != 3 && len(f) != 5 {
			t.Fatalf("repoquery line %q", line)
		}
		i := strings.LastIndexByte(f[0], '.')
		if i < 0 {
			t.Fatalf("repoquery line %q has no arch", line)
		}
		a := availLine{nevra: f[0][:i] + "-" + f[1] + f[0][i:], nameArch: f[0], repo: f[2]}
		if len(f) == 5 {
			a.built = f[3] + " " + f[4]
		}
		l = append(l, a)
	}
	return l
}

// notInstalledOf runs Check with WithInstalledVersions (as the scan
// package does) and WithNotInstalled, and returns both.
func notInstalledOf(t testing.TB, fsys fs.FS, inv []patchkit.Package, now time.Time, opts ...dnf.Option) (*dnf.Report, []patchkit.Patch) {
	t.Helper()
	var got []patchkit.Patch
	rep, err := dnf.Check(context.Background(), fsys, inv, append([]dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(now),
		dnf.WithInstalledVersions(true), dnf.WithNotInstalled(func(p patchkit.Patch) { got = append(got, p) })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return rep, got
}

// expectNotInstalled is dnf's available list less the installed (name,
// arch) pairs and the versions Updates returned, as sorted NEVRAs with
// their repository.
func expectNotInstalled(avail []availLine, installed map[string]bool, updates []patchkit.Patch) []string {
	returned := map[string]bool{}
	for _, p := range updates {
		returned[p.NEVRA()] = true
	}
	var out []string
	for _, a := range avail {
		if !installed[a.nameArch] && !returned[a.nevra] {
			out = append(out, a.nevra+" "+a.repo)
		}
	}
	slices.Sort(out)
	return out
}

// checkOrder requires the order WithNotInstalled promises: by name, then
// architecture, then version, each version once.
func checkOrder(t testing.TB, ps []patchkit.Patch) {
	t.Helper()
	for i := 1; i < len(ps); i++ {
		a, b := ps[i-1], ps[i]
		c := strings.Compare(a.Name, b.Name)
		if c == 0 {
			c = strings.Compare(a.Arch, b.Arch)
		}
		if c == 0 {
			v, err := a.CompareVersion(b.Package)
			if err != nil {
				t.Fatal(err)
			}
			c = v
		}
		if c >= 0 {
			t.Errorf("%s is passed before %s", a.NEVRA(), b.NEVRA())
		}
	}
}

func withRepos(ps []patchkit.Patch) []string {
	var out []string
	for _, p := range ps {
		if p.Candidate {
			out = append(out, p.NEVRA()+" is a candidate")
		}
		out = append(out, p.NEVRA()+" "+p.Repository)
	}
	slices.Sort(out)
	return out
}

// clearCandidate returns the patches with Candidate false.
func clearCandidate(ps []patchkit.Patch) []patchkit.Patch {
	out := slices.Clone(ps)
	for i := range out {
		out[i].Candidate = false
	}
	return out
}

// asUpdates is what Updates returns for the same available packages when
// every (name, arch) they have is installed at version 0:0-0, so that
// each of them is an update: the reference for "classified exactly as an
// update would be".
func asUpdates(t testing.TB, fsys fs.FS, ps []patchkit.Patch, now time.Time, opts ...dnf.Option) []patchkit.Patch {
	t.Helper()
	var inv []patchkit.Package
	seen := map[string]bool{}
	for _, p := range ps {
		if !seen[p.Name+"."+p.Arch] {
			seen[p.Name+"."+p.Arch] = true
			inv = append(inv, patchkit.Package{Name: p.Name, Arch: p.Arch, Epoch: patchkit.EpochOf(0), Version: "0", Release: "0",
				Scheme: patchkit.RPM, State: patchkit.StateInstalled})
		}
	}
	rep, err := dnf.Check(context.Background(), fsys, inv, append([]dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return clearCandidate(rep.Patches)
}

// TestFixtureNotInstalled compares what WithNotInstalled passes on with
// what real dnf recorded as available on the fixture root (as recorded,
// and with excludes and includes), less the installed (name, arch) pairs
// and the versions Updates returns, for several inventories; and requires
// each version to be the Patch Updates makes of it when it is an update
// (notices, build time, repository, source), with Candidate false.
func TestFixtureNotInstalled(t *testing.T) {
	now := repomdDate(t, fixtureRoot).Add(time.Hour)
	recorded := fixtureInventory(t)
	without := func(names ...string) []patchkit.Package {
		return slices.DeleteFunc(slices.Clone(recorded), func(p patchkit.Package) bool { return slices.Contains(names, p.Name) })
	}
	// tb-hello installed as an x86_64 package: 1.1-1.noarch upgrades it
	// (a move to noarch), 1.0-1.noarch does not and is not installed.
	archChange := slices.Clone(recorded)
	for i := range archChange {
		if archChange[i].Name == "tb-hello" {
			archChange[i].Arch = "x86_64"
		}
	}
	inventories := []struct {
		name string
		inv  []patchkit.Package
		want map[string][]string // by recording: NEVRAs expected, to pin the cases down
	}{
		{"recorded", recorded, map[string][]string{"repoquery-available.txt": nil, "repoquery-available-excludes.txt": nil}},
		{"without tb-hello and tb-multi", without("tb-hello", "tb-multi"), map[string][]string{
			"repoquery-available.txt": {"tb-hello-0:1.0-1.noarch", "tb-hello-0:1.1-1.noarch", "tb-multi-0:1.0-1.noarch",
				"tb-multi-0:1.1-1.noarch", "tb-multi-0:1.2-1.noarch", "tb-multi-0:1.3-1.noarch"},
			"repoquery-available-excludes.txt": {"tb-multi-0:1.0-1.noarch", "tb-multi-0:1.1-1.noarch", "tb-multi-0:1.3-1.noarch"},
		}},
		{"tb-hello x86_64", archChange, map[string][]string{
			"repoquery-available.txt":          {"tb-hello-0:1.0-1.noarch"},
			"repoquery-available-excludes.txt": nil,
		}},
		{"nothing installed", nil, nil},
	}
	for _, rname := range []string{"repoquery-available.txt", "repoquery-available-excludes.txt"} {
		avail := parseAvail(t, string(loadRecording(t, rname).Stdout))
		root := editedFixture(t, availRecordings[rname])
		fsys := os.DirFS(root)
		for _, tc := range inventories {
			t.Run(strings.TrimSuffix(rname, ".txt")+"/"+tc.name, func(t *testing.T) {
				rep, got := notInstalledOf(t, fsys, tc.inv, now)
				installed := map[string]bool{}
				for _, p := range tc.inv {
					installed[p.Name+"."+p.Arch] = true
				}
				if g, w := withRepos(got), expectNotInstalled(avail, installed, rep.Patches); !slices.Equal(g, w) {
					t.Fatalf("passed to fn:\n%q\ndnf's available list less the installed and Updates' versions:\n%q", g, w)
				}
				if tc.want != nil {
					var n []string
					for _, p := range got {
						n = append(n, p.NEVRA())
					}
					if !slices.Equal(n, tc.want[rname]) {
						t.Fatalf("passed %q, want %q", n, tc.want[rname])
					}
				}
				checkOrder(t, got)
				// As an update would be: the same Patch.
				ref := map[string]patchkit.Patch{}
				for _, p := range asUpdates(t, fsys, got, now) {
					ref[p.NEVRA()] = p
				}
				built := map[string]string{}
				for _, a := range avail {
					built[a.nevra] = a.built
				}
				for _, p := range got {
					if r, ok := ref[p.NEVRA()]; !ok || !reflect.DeepEqual(r, p) {
						t.Errorf("%s:\n passed  %+v\n updates %+v", p.NEVRA(), p, r)
					}
					if p.Candidate || p.Product != "" || p.Scheme != patchkit.RPM || p.SourceName != p.Name {
						t.Errorf("%s: %+v", p.NEVRA(), p)
					}
					// No notice: dated by its build time, which dnf prints to
					// the minute.
					if !p.Security && p.ReleaseDate.UTC().Format("2006-01-02 15:04") != built[p.NEVRA()] {
						t.Errorf("%s: release date %v, dnf's build time %s", p.NEVRA(), p.ReleaseDate, built[p.NEVRA()])
					}
				}
			})
		}
	}
}

// TestFixtureNotInstalledClassified: the testbed's notices on the
// versions passed to fn, with nothing installed.
func TestFixtureNotInstalledClassified(t *testing.T) {
	now := repomdDate(t, fixtureRoot).Add(time.Hour)
	_, got := notInstalledOf(t, os.DirFS(fixtureRoot), nil, now, dnf.WithProduct("AmazonLinux2023"), dnf.WithDateRule(dnf.UpdatedFirst))
	var lines []string
	for _, p := range got {
		lines = append(lines, fmt.Sprintf("%s %s %s %s %s %s %v", p.NEVRA(), p.Repository, p.Product, p.Classification, p.Severity,
			strings.Join(p.AdvisoryIDs, ","), p.RebootSuggested))
	}
	want := []string{
		"kernel-tb-0:5.0-1.noarch tb-base AmazonLinux2023    false",
		"kernel-tb-0:5.1-1.noarch tb-updates AmazonLinux2023 Security Critical TBSA-2026:0003 true",
		"tb-hello-0:1.0-1.noarch tb-base AmazonLinux2023    false",
		"tb-hello-0:1.1-1.noarch tb-updates AmazonLinux2023 Bugfix None TBBA-2026:0002 false",
		"tb-lib-1:2.0-1.noarch tb-base AmazonLinux2023    false",
		"tb-lib-1:2.0-2.noarch tb-updates AmazonLinux2023 Security Important TBSA-2026:0001 false",
		"tb-multi-0:1.0-1.noarch tb-base AmazonLinux2023    false",
		"tb-multi-0:1.1-1.noarch tb-updates AmazonLinux2023 Bugfix None TBBA-2026:0004 false",
		"tb-multi-0:1.2-1.noarch tb-updates AmazonLinux2023 Security Moderate TBSA-2026:0005 false",
		"tb-multi-0:1.3-1.noarch tb-updates AmazonLinux2023 Enhancement None TBEA-2026:0006 false",
		"tb-tool-0:3.0-1.noarch tb-base AmazonLinux2023    false",
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("passed:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// addMirror adds to a copy of the fixture root a repository tb-mirror
// with tb-updates' URL and a copy of its cache (so that it offers the same
// versions and notices), with the extra options given.
func addMirror(t *testing.T, extra string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	copyTree(t, fixtureRoot, root)
	upd := cacheDir(t, root, "tb-updates")
	p := filepath.Join(root, "etc/yum.repos.d/testbed.repo")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(b), "[tb-updates]")
	section := string(b[start:])
	if i := strings.Index(section[1:], "\n["); i >= 0 {
		section = section[:i+2]
	}
	mirror := strings.Replace(strings.TrimRight(section, "\n"), "[tb-updates]", "[tb-mirror]", 1) + "\n" + extra
	if err := os.WriteFile(p, append(b, "\n"+mirror+"\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	copyTree(t, upd, strings.Replace(upd, "tb-updates-", "tb-mirror-", 1))
	return root
}

// TestFixtureNotInstalledMerge: a version two repositories offer is
// passed once, from the repository dnf would take it from (priority,
// then cost, then configuration order), with the notices of both merged.
func TestFixtureNotInstalledMerge(t *testing.T) {
	now := repomdDate(t, fixtureRoot).Add(time.Hour)
	for _, tc := range []struct {
		name, extra, repo string
	}{
		{"configuration order", "", "tb-updates"},
		{"lower cost", "cost=500\n", "tb-mirror"},
		{"better priority", "priority=10\n", "tb-mirror"},
		{"worse priority, lower cost", "priority=100\ncost=1\n", "tb-updates"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := addMirror(t, tc.extra)
			rep, got := notInstalledOf(t, os.DirFS(root), nil, now)
			if len(rep.Repos) != 3 || rep.Repos[2].Name != "tb-mirror" || rep.Repos[2].Health != "OK" {
				t.Fatalf("repositories %+v", rep.Repos)
			}
			_, plain := notInstalledOf(t, os.DirFS(fixtureRoot), nil, now)
			if len(got) != len(plain) {
				t.Fatalf("%d versions with the mirror, %d without", len(got), len(plain))
			}
			for i, p := range got {
				q := plain[i]
				if q.Repository == "tb-updates" {
					q.Repository = tc.repo
				}
				if !reflect.DeepEqual(p, q) {
					t.Errorf("with the mirror %+v\nwithout %+v", p, q)
				}
			}
		})
	}
}

// TestNotInstalledOption: a nil function changes nothing; the function is
// not called when Check fails; the option changes nothing else of the
// report.
func TestNotInstalledOption(t *testing.T) {
	now := repomdDate(t, fixtureRoot).Add(time.Hour)
	fsys := os.DirFS(fixtureRoot)
	inv := slices.DeleteFunc(fixtureInventory(t), func(p patchkit.Package) bool { return p.Name == "tb-hello" })
	base := []dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(now), dnf.WithInstalledVersions(true)}
	plain, err := dnf.Check(context.Background(), fsys, inv, base...)
	if err != nil {
		t.Fatal(err)
	}
	withNil, err := dnf.Check(context.Background(), fsys, inv, append(base, dnf.WithNotInstalled(nil))...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plain, withNil) {
		t.Fatalf("WithNotInstalled(nil) changed the report:\n%+v\n%+v", plain, withNil)
	}
	n := 0
	with, err := dnf.Check(context.Background(), fsys, inv, append(base, dnf.WithNotInstalled(func(patchkit.Patch) { n++ }))...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plain, with) || n == 0 {
		t.Fatalf("with the option (%d calls) the report differs:\n%+v\n%+v", n, plain, with)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	fn := dnf.WithNotInstalled(func(patchkit.Patch) { called = true })
	if _, err := dnf.Check(ctx, fsys, inv, append(base, fn)...); !errors.Is(err, context.Canceled) || called {
		t.Fatalf("cancelled: %v, called %v", err, called)
	}
	bad := append(slices.Clone(inv), patchkit.Package{Name: "x", Arch: "amd64", Version: "1", Scheme: patchkit.Deb})
	if _, err := dnf.Check(context.Background(), fsys, bad, append(base, fn)...); err == nil || called {
		t.Fatalf("a deb in the inventory: %v, called %v", err, called)
	}
}

// TestFixtureYumNotInstalled: yum's layout (the sqlite primary_db, with
// its build times) passes what dnf's cache passes.
func TestFixtureYumNotInstalled(t *testing.T) {
	now := repomdDate(t, fixtureRoot).Add(time.Hour)
	without := slices.DeleteFunc(fixtureInventory(t), func(p patchkit.Package) bool { return p.Name == "tb-multi" })
	for _, inv := range [][]patchkit.Package{nil, without} {
		_, want := notInstalledOf(t, os.DirFS(fixtureRoot), inv, now)
		_, got := notInstalledOf(t, os.DirFS(yumFixture), inv, now, dnf.WithReleasever("2"))
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("yum's layout passed\n%v\ndnf's\n%v", withRepos(got), withRepos(want))
		}
	}
}

// installedPairs is the (name.arch) pairs rpm lists in root.
func installedPairs(t *testing.T, root string) map[string]bool {
	t.Helper()
	out, err := exec.Command("rpm", "--root", root, "-qa", "--qf", "%{name}.%{arch}\n").Output()
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		set[l] = true
	}
	return set
}

// dnfAdvisories is how real dnf classifies the available versions of
// root: for each NEVRA, the notices that libdnf finds for it (hawkey's
// Package.get_advisories with EQ), read through dnf's Python API in one
// process, as "classification severity IDs CVEs", merged as patchkit
// merges several notices (the highest-ranked type and severity, the IDs
// sorted).
func dnfAdvisories(t *testing.T, python, root string) map[string]string {
	t.Helper()
	out, err := exec.Command(python, "-c", `
import dnf, hawkey, sys
root = sys.argv[1]
b = dnf.Base()
b.conf.read(root + "/etc/dnf/dnf.conf")
b.conf.installroot = root
b.conf.releasever = "1"
b.conf.reposdir = [root + "/etc/yum.repos.d"]
b.conf.cachedir = root + "/var/cache/dnf"
b.conf.cacheonly = True
b.read_all_repos()
b.fill_sack(load_system_repo=True)
types = {hawkey.ADVISORY_SECURITY: "Security", hawkey.ADVISORY_BUGFIX: "Bugfix", hawkey.ADVISORY_ENHANCEMENT: "Enhancement", hawkey.ADVISORY_NEWPACKAGE: "NewPackage"}
for p in b.sack.query().available():
    for a in p.get_advisories(hawkey.EQ):
        cves = [r.id for r in a.references if r.type == hawkey.REFERENCE_CVE]
        print("%s-%d:%s-%s.%s" % (p.name, p.epoch, p.version, p.release, p.arch), a.id, types.get(a.type, "?"), a.severity or "-", ",".join(cves) or "-")
`, root).Output()
	if err != nil {
		t.Fatalf("python3-dnf: %v", err)
	}
	typeRank := map[string]int{"Enhancement": 1, "Bugfix": 2, "Security": 3}
	sevRank := map[string]int{"Low": 1, "Moderate": 2, "Important": 3, "Critical": 4}
	type merged struct {
		class, sev string
		ids, cves  []string
	}
	by := map[string]*merged{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) != 5 {
			t.Fatalf("python3-dnf line %q", l)
		}
		m := by[f[0]]
		if m == nil {
			m = &merged{}
			by[f[0]] = m
		}
		if typeRank[f[2]] >= typeRank[m.class] {
			m.class = f[2]
		}
		if f[3] != "-" && (m.sev == "" || sevRank[f[3]] > sevRank[m.sev]) {
			m.sev = f[3]
		}
		m.ids = append(m.ids, f[1])
		if f[4] != "-" {
			m.cves = append(m.cves, strings.Split(f[4], ",")...)
		}
	}
	res := map[string]string{}
	for n, m := range by {
		slices.Sort(m.ids)
		slices.Sort(m.cves)
		res[n] = strings.Join([]string{m.class, m.sev, strings.Join(slices.Compact(m.ids), ","), strings.Join(slices.Compact(m.cves), ",")}, " ")
	}
	return res
}

// TestTestbedDnfNotInstalled compares what WithNotInstalled passes on with
// real dnf on copies of the testbed's dnf root: dnf repoquery --available
// less the (name, arch) pairs rpm lists as installed and the versions
// Updates returns: as the root is; with installed packages removed (rpm
// -e) and excludes and includes of [main] and of the repositories; and
// with a second repository that has tb-updates' packages. The classification is libdnf's
// (the notices its Python API finds for each version); excluded versions
// are refused by dnf install; with a mirror of lower cost, the repository
// is the one dnf install takes the version from.
func TestTestbedDnfNotInstalled(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	testutil.NeedTool(t, "rpm", "rpm")
	const conf, repos = "etc/dnf/dnf.conf", "etc/yum.repos.d/testbed.repo"
	python := testutil.NeedFile(t, "/usr/bin/python3", "python3")
	testutil.NeedFile(t, "/usr/lib/python3/dist-packages/dnf/__init__.py", "python3-dnf")
	for _, tc := range []struct {
		name    string
		edits   []cfgEdit
		remove  []string // rpm -e --nodeps
		mirror  string   // options of a repository tb-mirror with tb-updates' URL
		want    []string // NEVRA and repository of what is passed
		refused []string // dnf install of these versions fails with exclude filtering
	}{
		{name: "as it is", want: []string{"tb-extra-0:1.0-1.noarch tb-base", "tb-extra-0:1.1-1.noarch tb-updates"}},
		// tb-updates' includes hide tb-hello 1.1-1 (and tb-updates' versions
		// of the installed tb-lib and kernel-tb, which Updates then lacks).
		{name: "removed with excludes and includes", remove: []string{"tb-hello", "tb-multi"},
			edits: []cfgEdit{{conf, "main", "excludepkgs", "tb-multi-1.2*"}, {repos, "tb-base", "excludepkgs", "tb-extra"},
				{repos, "tb-updates", "includepkgs", "tb-e* tb-m*"}},
			want: []string{"tb-extra-0:1.1-1.noarch tb-updates", "tb-hello-0:1.0-1.noarch tb-base",
				"tb-multi-0:1.0-1.noarch tb-base", "tb-multi-0:1.1-1.noarch tb-updates", "tb-multi-0:1.3-1.noarch tb-updates"},
			refused: []string{"tb-extra-1.0-1", "tb-multi-1.2-1", "tb-hello-1.1-1"}},
		{name: "mirror of lower cost", mirror: "cost=500\n",
			want: []string{"tb-extra-0:1.0-1.noarch tb-base", "tb-extra-0:1.1-1.noarch tb-mirror"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := env.Clone(t)
			for _, e := range tc.edits {
				setOpt(t, c.RPMRoot, e.file, e.section, e.key, e.value)
			}
			if len(tc.remove) > 0 {
				if out, err := exec.Command("rpm", append([]string{"--root", c.RPMRoot, "-e", "--nodeps"}, tc.remove...)...).CombinedOutput(); err != nil {
					t.Fatalf("rpm -e: %v\n%s", err, out)
				}
			}
			if tc.mirror != "" {
				p := filepath.Join(c.RPMRoot, repos)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				b = fmt.Appendf(b, "\n[tb-mirror]\nname=mirror of tb-updates\nbaseurl=%s/updates\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=%s/RPM-GPG-KEY-testbed\nmetadata_expire=0\n%s",
					c.RPMURL, c.RPMURL, tc.mirror)
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command("dnf", append(append([]string{"-y", "-q"}, c.DNFArgs()...), "makecache")...).CombinedOutput(); err != nil {
					t.Fatalf("dnf makecache: %v\n%s", err, out)
				}
			}
			inv := inventory(t, c.RPMRoot)
			rep, got := notInstalledOf(t, os.DirFS(c.RPMRoot), inv, repomdDate(t, c.RPMRoot).Add(time.Hour))
			for _, s := range rep.Repos {
				if s.Health != "OK" {
					t.Fatalf("repository %s: %s %s", s.Name, s.Health, s.Reason)
				}
			}
			avail := parseAvail(t, dnfList(t, c.RPMRoot, "repoquery", "--available", "--queryformat", "%{name}.%{arch} %{epoch}:%{version}-%{release} %{repoid}"))
			// dnf lists a version once per repository; the repository dnf
			// takes it from is checked below.
			var gotN, wantN []string
			for _, p := range got {
				gotN = append(gotN, p.NEVRA())
			}
			for _, w := range expectNotInstalled(avail, installedPairs(t, c.RPMRoot), rep.Patches) {
				n, _, _ := strings.Cut(w, " ")
				if !slices.Contains(wantN, n) {
					wantN = append(wantN, n)
				}
			}
			if !slices.Equal(gotN, wantN) {
				t.Fatalf("passed %q\ndnf repoquery --available less the installed pairs and Updates' versions %q", gotN, wantN)
			}
			if g := withRepos(got); !slices.Equal(g, tc.want) {
				t.Fatalf("passed %q, want %q", g, tc.want)
			}
			checkOrder(t, got)
			for _, p := range got {
				if p.Name == "tb-extra" && p.Version == "1.1" {
					if !p.Security || p.Classification != "Security" || p.Severity != "Important" || !slices.Equal(p.AdvisoryIDs, []string{"TBSA-2026:0007"}) ||
						!slices.Equal(p.CVEIDs, []string{"CVE-2026-0007"}) {
						t.Errorf("tb-extra 1.1-1: %+v, want security, Important, TBSA-2026:0007, CVE-2026-0007", p)
					}
				}
				if p.Name == "tb-extra" && p.Version == "1.0" && (p.Security || p.Classification != "" || p.ReleaseDate.IsZero()) {
					t.Errorf("tb-extra 1.0-1 has no notice: %+v", p)
				}
			}
			if len(tc.refused) > 0 {
				out, _ := exec.Command("dnf", append(append([]string{"-C", "--assumeno"}, c.DNFArgs()...), append([]string{"install"}, tc.refused...)...)...).CombinedOutput()
				for _, r := range tc.refused {
					if !strings.Contains(string(out), "All matches were filtered out by exclude filtering for argument: "+r) {
						t.Errorf("dnf install %s is not refused by exclude filtering:\n%s", r, out)
					}
				}
			}
			// Classified as libdnf finds the notices of each version.
			advs := dnfAdvisories(t, python, c.RPMRoot)
			classified := 0
			for _, p := range got {
				g := strings.Join([]string{p.Classification, p.Severity, strings.Join(p.AdvisoryIDs, ","), strings.Join(p.CVEIDs, ",")}, " ")
				w, ok := advs[p.NEVRA()]
				if !ok {
					w = "   "
				}
				if g != w {
					t.Errorf("%s: %q, libdnf's notices %q", p.NEVRA(), g, w)
				}
				if ok {
					classified++
				}
			}
			if tc.mirror != "" {
				out, _ := exec.Command("dnf", append(append([]string{"-C", "--assumeno"}, c.DNFArgs()...), "install", "tb-extra-1.1-1")...).CombinedOutput()
				var repoOf string
				for l := range strings.Lines(string(out)) {
					if f := strings.Fields(l); len(f) >= 4 && f[0] == "tb-extra" {
						repoOf = f[3]
					}
				}
				if repoOf != "tb-mirror" {
					t.Errorf("dnf install tb-extra-1.1-1 takes it from %q, want tb-mirror:\n%s", repoOf, out)
				}
			}
			t.Logf("agreement: %d versions passed, as dnf lists them; %d classified as libdnf classifies them", len(got), classified)
		})
	}
}

// TestTestbedDnfNotInstalledRefresh: metadata fetched fresh passes the
// versions the root's cache passes, classified alike; without primary.xml
// in that mode (see the package documentation) a version without a
// notice has no date.
func TestTestbedDnfNotInstalledRefresh(t *testing.T) {
	env := testbed.Need(t)
	now := repomdDate(t, env.RPMRoot).Add(time.Hour)
	client, err := repo.NewClient(repo.WithClock(func() time.Time { return now }), repo.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	fsys := os.DirFS(env.RPMRoot)
	inv := slices.DeleteFunc(inventory(t, env.RPMRoot), func(p patchkit.Package) bool { return p.Name == "tb-multi" })
	_, cached := notInstalledOf(t, fsys, inv, now)
	_, fresh := notInstalledOf(t, fsys, inv, now, dnf.WithClient(client), dnf.WithRefresh(true))
	if len(cached) != 6 { // tb-extra's two versions and tb-multi's four
		t.Fatalf("%d versions from the cache: %v", len(cached), withRepos(cached))
	}
	for i := range cached {
		if !cached[i].Security {
			if fresh[i].ReleaseDate.IsZero() == cached[i].ReleaseDate.IsZero() {
				t.Errorf("%s: fresh date %v, cached %v: only the cache has build times", cached[i].NEVRA(), fresh[i].ReleaseDate, cached[i].ReleaseDate)
			}
			fresh[i].ReleaseDate = cached[i].ReleaseDate
		}
	}
	if !reflect.DeepEqual(fresh, cached) {
		t.Fatalf("fresh metadata passed\n%+v\nthe cache\n%+v", fresh, cached)
	}
}

// TestFixtureNotInstalledUnhealthy: a repository that is not healthy
// offers nothing, also of packages that are not installed: with
// tb-updates' signature replaced by tb-base's (valid, over other data),
// only tb-base's versions are passed; with stale metadata, none.
func TestFixtureNotInstalledUnhealthy(t *testing.T) {
	now := repomdDate(t, fixtureRoot).Add(time.Hour)
	root := filepath.Join(t.TempDir(), "root")
	copyTree(t, fixtureRoot, root)
	sig, err := os.ReadFile(filepath.Join(cacheDir(t, root, "tb-base"), "repodata/repomd.xml.asc"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cacheDir(t, root, "tb-updates"), "repodata/repomd.xml.asc"), sig, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, got := notInstalledOf(t, os.DirFS(root), nil, now)
	if rep.Repos[0].Health != "OK" || rep.Repos[1].Health != "UNSIGNED" {
		t.Fatalf("repositories %+v", rep.Repos)
	}
	want := []string{"kernel-tb-0:5.0-1.noarch tb-base", "tb-hello-0:1.0-1.noarch tb-base", "tb-lib-1:2.0-1.noarch tb-base",
		"tb-multi-0:1.0-1.noarch tb-base", "tb-tool-0:3.0-1.noarch tb-base"}
	if g := withRepos(got); !slices.Equal(g, want) {
		t.Fatalf("passed %q, want %q", g, want)
	}
	rep, got = notInstalledOf(t, os.DirFS(fixtureRoot), nil, now.Add(dnf.DefaultMaxAge))
	if rep.Repos[0].Health != "STALE" || len(got) != 0 {
		t.Fatalf("stale: %+v, passed %q", rep.Repos, withRepos(got))
	}
}
