package dnf_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo/rpmmd"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// The recordings of testdata/dnf/testbed, by file name: what ran.
var recorded = map[string][]string{
	"check-update-verbose.txt":      {"check-update"},
	"updateinfo-list-all-v.txt":     {"updateinfo", "list", "--all", "-v"},
	"updateinfo-info-all-v.txt":     {"updateinfo", "info", "--all", "-v"},
	"repoquery-show-duplicates.txt": {"repoquery", "--upgrades", "--show-duplicates", "--queryformat", `%{name}-%{epoch}:%{version}-%{release}.%{arch}`},
}

// TestTestbedDnfFixtures rewrites testdata/dnf from a copy of the
// testbed's dnf root, with -update: the root's configuration and dnf
// cache (testbed-root), and recordings of rpm -qa, of the four commands
// NativeUpdates runs, and of the variants above (testbed/). Without
// -update it does nothing.
func TestTestbedDnfFixtures(t *testing.T) {
	if !*update {
		t.Skip("rewrites testdata/dnf with -update")
	}
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	c := env.Clone(t)
	ver, err := exec.Command("dnf", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	dnfVersion, _, _ := strings.Cut(string(ver), "\n")
	rpmVer, err := exec.Command("rpm", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	when := time.Now().UTC().Format("2006-01-02")
	prov := func(cmd run.Command) string {
		tool := "dnf " + dnfVersion
		if filepath.Base(cmd.Path) == "rpm" {
			tool = strings.TrimSpace(string(rpmVer))
		}
		return fmt.Sprintf("%s on Debian 12 (bookworm) amd64, %s\nthe patchkit testbed's dnf root (a copy at the path in argv)\nrecorded by go test -run TestTestbedDnfFixtures -update ./scan/dnf", tool, when)
	}

	// The root: configuration, cached repodata and dnf's repository keys.
	if err := os.RemoveAll(fixtureRoot); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(c.RPMRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(c.RPMRoot, p)
		keep := rel == "etc/dnf/dnf.conf" || strings.HasPrefix(rel, "etc/yum.repos.d/") ||
			strings.HasPrefix(rel, "var/cache/dnf/") && (strings.Contains(rel, "/repodata/") || strings.HasSuffix(rel, "/pubring/pubring.kbx"))
		if d.IsDir() || !keep {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(fixtureRoot, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}

	yumRoot(t, env.RPMURL)

	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	rec := run.NewRecorder(local, prov)
	inv, err := rpmdb.Query(t.Context(), rec, rpmdb.WithRoot(c.RPMRoot))
	if err != nil {
		t.Fatal(err)
	}
	opts := nativeOpts(t, c.RPMRoot)
	if _, err := dnf.NativeUpdates(t.Context(), rec, inv, opts...); err != nil {
		t.Fatal(err)
	}
	names := []string{"rpm-qa.txt", "repoquery-upgrades.txt", "check-update.txt", "updateinfo-list.txt", "updateinfo-info.txt"}
	recs := rec.Recordings()
	if len(recs) != len(names) {
		t.Fatalf("%d recordings, want %d", len(recs), len(names))
	}
	// The variants: dnf's own full list, and outputs with more in them
	// than NativeUpdates asks for (for the parsers).
	cmds, err := dnf.NativeCommands(opts...)
	if err != nil {
		t.Fatal(err)
	}
	base := cmds.CheckUpdate.Args[:len(cmds.CheckUpdate.Args)-1]
	for _, name := range slices.Sorted(maps.Keys(recorded)) {
		args := slices.Clone(base)
		if name == "check-update-verbose.txt" {
			args = slices.DeleteFunc(args, func(a string) bool { return a == "-q" })
		}
		cmd := run.Command{Path: cmds.CheckUpdate.Path, Args: append(args, recorded[name]...), Env: []string{"TZ=UTC"}, OKCodes: []int{100}}
		if _, err := rec.Run(t.Context(), cmd); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	// With tb-base preferred by priority, check-update chooses nothing.
	setOpt(t, c.RPMRoot, "etc/yum.repos.d/testbed.repo", "tb-base", "priority", "1")
	if _, err := rec.Run(t.Context(), cmds.CheckUpdate); err != nil {
		t.Fatal(err)
	}
	names = append(names, "check-update-priority.txt")
	if err := os.MkdirAll(recordings, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, r := range rec.Recordings() {
		b, err := r.Format()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(recordings, names[i]), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const yumFixture = "../../testdata/dnf/yum-root"

// yumRoot lays the testbed's repositories out as yum 3 keeps them
// (var/cache/yum/<basearch>/<releasever>/<id>/: repomd.xml and its
// signature, the compressed sqlite primary_db and updateinfo.xml as
// served, by their base names), with a yum.conf, a .repo file whose
// gpgkey is the testbed's key inside the root, and that key. The files
// are fetched from the testbed's server byte for byte; yum itself cannot
// run on this machine.
func yumRoot(t *testing.T, url string) {
	t.Helper()
	if err := os.RemoveAll(yumFixture); err != nil {
		t.Fatal(err)
	}
	write := func(rel string, b []byte) {
		p := filepath.Join(yumFixture, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	get := func(u string) []byte {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %v", u, resp.Status, err)
		}
		return b
	}
	write("etc/yum.conf", []byte("[main]\ncachedir=/var/cache/yum/$basearch/$releasever\ngpgcheck=1\n"))
	write("etc/pki/rpm-gpg/RPM-GPG-KEY-testbed", get(url+"/RPM-GPG-KEY-testbed"))
	var repoFile strings.Builder
	for _, id := range []string{"base", "updates"} {
		fmt.Fprintf(&repoFile, "[tb-%s]\nname=patchkit testbed %s\nbaseurl=%s/%s\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-testbed\n\n", id, id, url, id)
		dir := "var/cache/yum/x86_64/2/tb-" + id + "/"
		md := get(url + "/" + id + "/repodata/repomd.xml")
		write(dir+"repomd.xml", md)
		write(dir+"repomd.xml.asc", get(url+"/"+id+"/repodata/repomd.xml.asc"))
		parsed, err := rpmmd.ParseRepomd("repomd.xml", bytes.NewReader(md), rpmmd.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{"primary_db", "updateinfo"} {
			if d, ok := parsed.Data[typ]; ok {
				write(dir+path.Base(d.Location), get(url+"/"+id+"/"+d.Location))
			}
		}
	}
	write("etc/yum.repos.d/testbed.repo", []byte(repoFile.String()))
}

// loadRecording reads one recording of testdata/dnf/testbed.
func loadRecording(t testing.TB, name string) run.Recording {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recordings, name))
	if err != nil {
		t.Fatal(err)
	}
	r, err := run.ParseRecording(name, b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fixtureInventory is the recorded rpm -qa of the fixture root.
func fixtureInventory(t testing.TB) []patchkit.Package {
	t.Helper()
	pkgs, err := rpmdb.ParseQuery(loadRecording(t, "rpm-qa.txt").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// recordedRoot is the root path the recordings were made in.
func recordedRoot(t testing.TB, r run.Recording) string {
	t.Helper()
	for _, a := range r.Argv {
		if v, ok := strings.CutPrefix(a, "--installroot="); ok {
			return v
		}
	}
	t.Fatalf("recording %v has no --installroot", r.Argv)
	return ""
}

// TestFixtureBackendsAgree: the metadata backend on the recorded root and
// NativeUpdates replaying what dnf printed for it give the same list,
// without a testbed.
func TestFixtureBackendsAgree(t *testing.T) {
	var recs []run.Recording
	for _, n := range []string{"repoquery-upgrades.txt", "check-update.txt", "updateinfo-list.txt", "updateinfo-info.txt"} {
		recs = append(recs, loadRecording(t, n))
	}
	root := recordedRoot(t, recs[0])
	replay := run.NewReplay(recs...)
	inv := fixtureInventory(t)
	native, err := dnf.NativeUpdates(context.Background(), replay, inv, nativeOpts(t, root)...)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(replay.Calls()); n != 4 {
		t.Fatalf("%d commands run, want 4", n)
	}
	now := repomdDate(t, fixtureRoot).Add(time.Hour)
	rep, err := dnf.Check(context.Background(), os.DirFS(fixtureRoot), inv, dnf.WithArch("x86_64"), dnf.WithNow(now), dnf.WithDateRule(dnf.UpdatedFirst))
	if err != nil {
		t.Fatal(err)
	}
	if d := diffViews(views(rep.Patches, true), views(native, true)); d != "" {
		t.Fatalf("the backends disagree on the fixture:\n%s", d)
	}
	want := strings.Fields(string(loadRecording(t, "repoquery-show-duplicates.txt").Stdout))
	slices.Sort(want)
	if got := nevras(rep.Patches); !slices.Equal(got, want) {
		t.Fatalf("metadata backend lists %v, dnf's full list %v", got, want)
	}
	if len(rep.Patches) != 6 || len(candidates(rep.Patches)) != 4 {
		t.Fatalf("%d patches, %d candidates; want 6 and 4", len(rep.Patches), len(candidates(rep.Patches)))
	}
}

// TestFixtureYum: yum's layout of the same repositories (sqlite
// primary_db instead of primary.xml, the key from a gpgkey file) gives
// what dnf's cache gives.
func TestFixtureYum(t *testing.T) {
	inv := fixtureInventory(t)
	now := repomdDate(t, fixtureRoot).Add(time.Hour)
	want, err := dnf.Check(context.Background(), os.DirFS(fixtureRoot), inv, dnf.WithArch("x86_64"), dnf.WithNow(now))
	if err != nil {
		t.Fatal(err)
	}
	got, err := dnf.Check(context.Background(), os.DirFS(yumFixture), inv, dnf.WithArch("x86_64"), dnf.WithNow(now), dnf.WithReleasever("2"))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got.Repos {
		if s.Health != "OK" || !s.Verified || s != want.Repos[i] {
			t.Errorf("yum %+v, dnf %+v", s, want.Repos[i])
		}
	}
	if d := diffViews(views(got.Patches, true), views(want.Patches, true)); d != "" || len(got.Patches) != 6 {
		t.Fatalf("yum's layout and dnf's differ:\n%s", d)
	}
	// Without $releasever the cache directory is not found.
	got, err = dnf.Check(context.Background(), os.DirFS(yumFixture), inv, dnf.WithArch("x86_64"), dnf.WithNow(now))
	if err != nil {
		t.Fatal(err)
	}
	if got.Repos[0].Health != "UNREADABLE" || !strings.Contains(got.Repos[0].Reason, "$releasever") {
		t.Fatalf("without releasever: %+v", got.Repos[0])
	}
}
