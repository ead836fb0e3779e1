package apt

import (
	"archive/tar"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit/internal/debrepo"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
)

var updateFixtures = flag.Bool("update", false, "rewrite testdata/aptlists-flat from the real apt-get update of TestFlatListsAsAptWritesThem")

// flatFixtures holds the lists directories apt wrote for two signed flat
// repositories (see testdata/SOURCES.md).
const flatFixtures = "../../testdata/aptlists-flat"

// flatNow is after the recorded Releases' Date and their keys' creation;
// their Releases have no Valid-Until.
var flatNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// The lists directories of the capture: apt's default, and one written
// with Acquire::GzipIndexes (the Packages file kept compressed).
var flatListsDirs = []string{"lists", "lists-gzipindexes"}

// flatCapture is one real apt-get update of two signed flat repositories
// on a private apt root.
type flatCapture struct {
	srv     *repotest.Server
	sources []byte            // the sources.list apt read
	keys    map[string]string // key file name in the sources -> its path
	lists   map[string]string // flatListsDirs -> directory
	out     map[string]string // recorded outputs: name -> text
}

// captureFlat builds two flat repositories with internal/debrepo (signed,
// signed-by in the sources, no trusted=yes), serves one at the top of a
// loopback server ("deb URL/ ./") and one in a subdirectory ("deb URL/repo
// sub/"), and runs apt-get update on a private apt root, once plainly and
// once with Acquire::GzipIndexes into a second lists directory.
func captureFlat(t *testing.T) *flatCapture {
	t.Helper()
	aptGet := testutil.NeedTool(t, "apt-get", "apt")
	aptCache := testutil.NeedTool(t, "apt-cache", "apt")
	top := debrepo.Build(t, []debrepo.Package{
		{Name: "flat-top-a", Version: "1.0-1"},
		{Name: "flat-top-a", Version: "1.1-1"},
		{Name: "flat-top-b", Version: "2:0.5~rc1-3"},
	}, debrepo.SignedGood)
	sub := debrepo.Build(t, []debrepo.Package{{Name: "flat-sub-a", Version: "3.0-1"}}, debrepo.SignedGood)
	served := t.TempDir()
	if err := os.CopyFS(served, os.DirFS(top.Dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(served, "repo", "sub"), os.DirFS(sub.Dir)); err != nil {
		t.Fatal(err)
	}
	srv := repotest.Serve(t, served)

	// apt downloads as its sandbox user _apt, who must reach the lists'
	// partial/ directories: the test's own temporary directories are
	// opened to others.
	a := t.TempDir()
	for _, d := range []string{filepath.Dir(a), a} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d", "etc/apt/keyrings",
		"var/lib/apt/lists/partial", "var/lib/apt/lists-gzipindexes/partial", "var/cache/apt/archives/partial", "var/lib/dpkg", "var/log/apt"} {
		if err := os.MkdirAll(filepath.Join(a, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c := &flatCapture{srv: srv, keys: map[string]string{}, lists: map[string]string{}, out: map[string]string{}}
	var sources strings.Builder
	for _, s := range []struct {
		name, uri, suite string
		r                *debrepo.Repo
	}{{"flat-top", srv.URL + "/", "./", top}, {"flat-sub", srv.URL + "/repo", "sub/", sub}} {
		key := filepath.Join(a, "etc/apt/keyrings", s.name+".gpg")
		b, err := os.ReadFile(s.r.Keyring)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(key, b, 0o644); err != nil {
			t.Fatal(err)
		}
		c.keys[s.name+".gpg"] = key
		fmt.Fprintf(&sources, "deb [signed-by=%s] %s %s\n", key, s.uri, s.suite)
	}
	c.sources = []byte(sources.String())
	if err := os.WriteFile(filepath.Join(a, "etc/apt/sources.list"), c.sources, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a, "var/lib/dpkg/status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(a, "apt.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("Dir %q;\nDir::Etc::main \"/dev/null\";\nDir::Etc::parts %q;\nDir::State::status %q;\n"+
		"Acquire::Languages \"none\";\nAPT::Architecture \"amd64\";\nAPT::Architectures { \"amd64\"; };\nDir::Cache::pkgcache \"\";\nDir::Cache::srcpkgcache \"\";\n",
		a+"/", a+"/etc/apt/apt.conf.d", a+"/var/lib/dpkg/status")), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"APT_CONFIG=" + conf, "LC_ALL=C", "LANGUAGE="}
	for _, dir := range flatListsDirs {
		args := []string{"update", "-q", "-o", "Dir::State::lists=" + filepath.Join(a, "var/lib/apt", dir) + "/"}
		if dir == "lists-gzipindexes" {
			args = append(args, "-o", "Acquire::GzipIndexes=true")
		}
		cmd := exec.Command(aptGet, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(string(out), "\nE: ") || strings.Contains(string(out), "\nErr:") {
			t.Fatalf("apt-get %v: %v\n%s", args, err, out)
		}
		// The private root's temporary path is written PRIVATE.
		c.out["apt-get-update-"+dir] = strings.ReplaceAll(fmt.Sprintf("$ APT_CONFIG=%s apt-get %s\n%s", conf, strings.Join(args, " "), out), a, "PRIVATE")
		c.lists[dir] = filepath.Join(a, "var/lib/apt", dir)
	}
	// Every version apt read (dumpavail gives the candidates only).
	pkgs := strings.Fields(testutil.Run(t, a, env, aptCache, "pkgnames"))
	slices.Sort(pkgs)
	c.out["apt-cache-show"] = testutil.Run(t, a, env, aptCache, append([]string{"show", "--all-versions"}, pkgs...)...)
	return c
}

// listsFiles returns the names of the files apt stored in a lists
// directory (its lock and partial/ and auxfiles/ left out).
func listsFiles(t *testing.T, lists fs.FS) []string {
	t.Helper()
	entries, err := fs.ReadDir(lists, ".")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "lock" {
			out = append(out, e.Name())
		}
	}
	return out
}

// showRecords reads apt-cache show's stanzas as "name version
// arch filename size sha256".
func showRecords(t *testing.T, show string) []string {
	t.Helper()
	var out []string
	for _, st := range strings.Split(strings.TrimSpace(show), "\n\n") {
		f := map[string]string{}
		for _, l := range strings.Split(st, "\n") {
			if k, v, ok := strings.Cut(l, ": "); ok {
				f[k] = v
			}
		}
		out = append(out, strings.Join([]string{f["Package"], f["Version"], f["Architecture"], f["Filename"], f["Size"], f["SHA256"]}, " "))
	}
	slices.Sort(out)
	return out
}

func recordOf(p Package) string {
	return fmt.Sprintf("%s %s %s %s %d %s", p.Package, p.Version, p.Architecture, p.Filename, p.Size, p.SHA256)
}

// flatSources parses the capture's sources.list and expands each source
// with ReposFromSource, its Signed-By key read from keys.
func flatSources(t *testing.T, sources []byte, keys fs.FS) []Repo {
	t.Helper()
	srcs, err := repo.ParseSourcesList("sources.list", strings.NewReader(string(sources)))
	if err != nil {
		t.Fatal(err)
	}
	var out []Repo
	for _, src := range srcs {
		rs, err := ReposFromSource(t.Context(), keys, src)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rs...)
	}
	if len(out) != 2 || out[0].Suite != "./" || out[1].Suite != "sub/" {
		t.Fatalf("sources give %+v; want the flat repositories ./ and sub/", out)
	}
	return out
}

// checkFlatLists reads every lists directory of a capture with OpenLists
// and compares it with what apt made of it: the file names apt chose, the
// Release's fields, the signer, and the records (apt-cache show).
func checkFlatLists(t *testing.T, repos []Repo, lists map[string]fs.FS, show string, now time.Time) {
	t.Helper()
	u, err := url.Parse(repos[0].URI)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	want := showRecords(t, show)
	if len(want) != 4 {
		t.Fatalf("apt-cache show gives %d records, want 4: %q", len(want), want)
	}
	pol := repo.DefaultPolicy()
	pol.Now = func() time.Time { return now }
	for _, dir := range flatListsDirs {
		// The names apt gave the files: the flat path as written, "./"
		// included ("HOST_._InRelease"), the subdirectory's under the
		// source's URI and path. With GzipIndexes the Packages file is
		// kept compressed.
		var names []string
		for _, n := range listsFiles(t, lists[dir]) {
			ext := extOf(n)
			if strings.HasSuffix(n, "InRelease") && ext != "" || strings.Contains(n, "_Packages") && (ext != "") != (dir == "lists-gzipindexes") {
				t.Errorf("%s: %s stored with extension %q", dir, n, ext)
			}
			names = append(names, strings.TrimSuffix(n, ext))
		}
		slices.Sort(names)
		wantNames := []string{host + "_._InRelease", host + "_._Packages", host + "_repo_sub_InRelease", host + "_repo_sub_Packages"}
		if !slices.Equal(names, wantNames) {
			t.Fatalf("%s: apt wrote %q, want %q", dir, names, wantNames)
		}
		var got []string
		for _, r := range repos {
			snap, err := OpenLists(t.Context(), pol, lists[dir], r)
			if err != nil {
				t.Fatalf("%s: OpenLists %s: %v", dir, r.Name(), err)
			}
			rel := snap.Release
			if !snap.Verified || !slices.Equal(snap.Signers, r.Keyring.Fingerprints()) || len(snap.Signers) != 1 {
				t.Errorf("%s: %s: verified %v by %q, want the key of its Signed-By %q", dir, r.Name(), snap.Verified, snap.Signers, r.Keyring.Fingerprints())
			}
			if rel.Origin != "patchkit-test" || rel.Label != "patchkit-test" || rel.Suite != "test" || rel.Codename != "test" || rel.Date.IsZero() {
				t.Errorf("%s: %s: Release %+v", dir, r.Name(), rel.OriginInfo())
			}
			if len(snap.Indexes) != 1 || snap.Indexes[0].Component != "" || snap.Indexes[0].Architecture != "" || len(snap.Skipped) != 0 {
				t.Errorf("%s: %s: indexes %+v, skipped %q; want the one Packages file", dir, r.Name(), snap.Indexes, snap.Skipped)
			}
			for _, p := range collect(t, snap) {
				if p.Origin == nil || p.Origin.Origin != "patchkit-test" || p.Origin.Suite != "test" {
					t.Errorf("%s: %s: record %s has origin %+v", dir, r.Name(), p.Package, p.Origin)
				}
				got = append(got, recordOf(p))
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: OpenLists read\n%q\napt-cache show\n%q", dir, got, want)
		}
	}
}

// TestFlatListsAsAptWritesThem runs apt-get update on a private root with
// two signed flat repositories (one at the server's top, "./", one in a
// subdirectory, "sub/"), then reads apt's lists directories with
// OpenLists and the repositories themselves with Update, and compares
// both with apt-cache show. With -update it records the capture in
// testdata/aptlists-flat.
func TestFlatListsAsAptWritesThem(t *testing.T) {
	c := captureFlat(t)
	repos := flatSources(t, c.sources, os.DirFS("/"))
	lists := map[string]fs.FS{}
	for dir, p := range c.lists {
		lists[dir] = os.DirFS(p)
	}
	checkFlatLists(t, repos, lists, c.out["apt-cache-show"], time.Now())

	// The network path: the Release and the Packages file beside the
	// flat path, with no dists/ tree, components or architecture
	// directories; the records are apt's.
	want := showRecords(t, c.out["apt-cache-show"])
	var got []string
	for _, r := range repos {
		cl, _, _ := newClient(t, time.Now())
		snap, err := Update(t.Context(), cl, r)
		if err != nil {
			t.Fatalf("Update %s: %v", r.Name(), err)
		}
		if !snap.Verified || len(snap.Indexes) != 1 || path.Base(snap.Indexes[0].Path) != snap.Indexes[0].Path {
			t.Errorf("%s: verified %v, indexes %+v", r.Name(), snap.Verified, snap.Indexes)
		}
		for _, p := range collect(t, snap) {
			got = append(got, recordOf(p))
		}
		// Open reads back the same snapshot.
		if _, err := Open(t.Context(), cl, r); err != nil {
			t.Errorf("Open %s: %v", r.Name(), err)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Update read\n%q\napt-cache show\n%q", got, want)
	}
	for _, p := range []string{"/InRelease", "/repo/sub/InRelease"} {
		if c.srv.Hits(p) == 0 {
			t.Errorf("Update did not fetch %s", p)
		}
	}
	for _, p := range []string{"/dists/", "/binary-"} {
		for _, f := range []string{"/InRelease", "/Packages", "/Packages.gz"} {
			if n := c.srv.Hits(p + f); n != 0 {
				t.Errorf("%s%s fetched %d times", p, f, n)
			}
		}
	}

	if *updateFixtures && !t.Failed() {
		writeFlatFixtures(t, c)
	}
}

// writeFlatFixtures records a capture under testdata/aptlists-flat: the
// sources.list, the keys it names, each lists directory's files under the
// names apt gave them, and apt's outputs.
func writeFlatFixtures(t *testing.T, c *flatCapture) {
	t.Helper()
	if err := os.RemoveAll(flatFixtures); err != nil {
		t.Fatal(err)
	}
	write := func(rel string, data []byte) {
		p := filepath.Join(flatFixtures, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sources.list", c.sources)
	for name, p := range c.keys {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		write("keys/"+name, b)
	}
	// A lists directory is kept as a tar archive: apt's names hold the
	// port's ':', which a Go module's files may not.
	for _, dir := range flatListsDirs {
		args := []string{"--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--format=gnu",
			"-cf", filepath.Join(flatFixtures, dir+".tar"), "-C", c.lists[dir], "--"}
		testutil.Run(t, "", nil, "tar", append(args, listsFiles(t, os.DirFS(c.lists[dir]))...)...)
	}
	aptVersion, err := exec.Command("apt-get", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range c.out {
		write(name+".txt", []byte(text))
	}
	tarVersion, err := exec.Command("tar", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	write("CAPTURE.txt", []byte(fmt.Sprintf("%s on Debian 12 amd64, %s: repo/apt's TestFlatListsAsAptWritesThem -update\n"+
		"lists.tar and lists-gzipindexes.tar: the files apt-get update wrote in each lists directory, archived by %s\n",
		strings.SplitN(string(aptVersion), "\n", 2)[0], time.Now().UTC().Format(time.RFC3339), strings.SplitN(string(tarVersion), "\n", 2)[0])))
}

// recordedFlat reads the recorded capture: its repositories (the keys the
// sources name read from keys/) and its lists directories.
func recordedFlat(t *testing.T) ([]Repo, map[string]fstest.MapFS, string) {
	t.Helper()
	sources, err := os.ReadFile(filepath.Join(flatFixtures, "sources.list"))
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := repo.ParseSourcesList("sources.list", strings.NewReader(string(sources)))
	if err != nil {
		t.Fatal(err)
	}
	keys := fstest.MapFS{}
	for _, src := range srcs {
		for _, k := range src.SignedBy {
			b, err := os.ReadFile(filepath.Join(flatFixtures, "keys", path.Base(k)))
			if err != nil {
				t.Fatal(err)
			}
			keys[strings.TrimPrefix(k, "/")] = &fstest.MapFile{Data: b}
		}
	}
	lists := map[string]fstest.MapFS{}
	for _, dir := range flatListsDirs {
		lists[dir] = untar(t, filepath.Join(flatFixtures, dir+".tar"))
	}
	dump, err := os.ReadFile(filepath.Join(flatFixtures, "apt-cache-show.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return flatSources(t, sources, keys), lists, string(dump)
}

// TestOpenListsFlatRecorded reads the recorded lists directories of two
// signed flat repositories, named as apt named them (HOST_._InRelease,
// HOST_repo_sub_Packages), with OpenLists at a fixed time, and compares
// them with apt's own reading of them.
func TestOpenListsFlatRecorded(t *testing.T) {
	repos, recorded, dump := recordedFlat(t)
	lists := map[string]fs.FS{}
	for dir, m := range recorded {
		lists[dir] = m
	}
	checkFlatLists(t, repos, lists, dump, flatNow)
}

// untar reads a recorded lists directory (a tar archive of apt's files)
// into memory, under the names apt gave the files.
func untar(t *testing.T, name string) fstest.MapFS {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := fstest.MapFS{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h.Typeflag != tar.TypeReg || strings.Contains(h.Name, "/") || h.Size > 1<<20 {
			t.Fatalf("%s: unexpected entry %q (type %c, %d bytes)", name, h.Name, h.Typeflag, h.Size)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %s: %v", name, h.Name, err)
		}
		m[h.Name] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	return m
}

// TestOpenListsFlatSpellings: apt files a flat repository under its URI
// (with a '/' added) and its path as written, so "URI/repo sub/", "URI/repo/
// sub/" and "URI/repo/sub /" are one repository to it (it says "configured
// multiple times" when a root names all three); OpenLists reads each from
// the same files. A flat repository has one Packages file whatever the
// architectures asked for.
func TestOpenListsFlatSpellings(t *testing.T) {
	repos, lists, _ := recordedFlat(t)
	pol := repo.DefaultPolicy()
	pol.Now = func() time.Time { return flatNow }
	fsys := lists["lists"]
	sub := repos[1]
	base := strings.TrimSuffix(sub.URI, "/repo")
	for _, sp := range []struct{ uri, suite string }{{base + "/repo", "sub/"}, {base + "/repo/", "sub/"}, {base + "/repo/sub", "/"}, {base + "/repo/sub/", "/"}} {
		r := sub
		r.URI, r.Suite = sp.uri, sp.suite
		for _, archs := range [][]string{nil, {"amd64"}, {"amd64", "i386", "all"}} {
			r.Architectures = archs
			snap, err := OpenLists(t.Context(), pol, fsys, r)
			if err != nil {
				t.Errorf("%s %v: %v", r.Name(), archs, err)
				continue
			}
			if ps := collect(t, snap); len(snap.Indexes) != 1 || len(ps) != 1 || ps[0].Package != "flat-sub-a" {
				t.Errorf("%s %v: indexes %+v, records %q", r.Name(), archs, snap.Indexes, names(ps))
			}
		}
	}
	// A path apt would file elsewhere is not this repository's.
	for _, sp := range []struct{ uri, suite string }{{base + "/", "./repo/sub/"}, {base + "/repo", "./sub/"}} {
		r := sub
		r.URI, r.Suite = sp.uri, sp.suite
		if _, err := OpenLists(t.Context(), pol, fsys, r); !errors.Is(err, repo.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound (apt names its files %s…)", r.Name(), err, ListsFileName(listsBase(r.URI, r.Suite)))
		}
	}
}

// TestListsBase: the lists prefixes apt 2.6.2 gave each kind of source on
// this machine (apt-get update, then its lists directory): a flat path is
// kept as written, "./" and all.
func TestListsBase(t *testing.T) {
	for _, c := range []struct{ uri, suite, want string }{
		{"http://127.0.0.1:18999/", "./", "127.0.0.1:18999_._"},
		{"http://127.0.0.1:18999", "./", "127.0.0.1:18999_._"},
		{"http://127.0.0.1:18999/repo", "sub/", "127.0.0.1:18999_repo_sub_"},
		{"http://127.0.0.1:18999/repo/", "sub/", "127.0.0.1:18999_repo_sub_"},
		{"http://127.0.0.1:18999/repo/sub", "/", "127.0.0.1:18999_repo_sub_"},
		{"http://127.0.0.1:18999/", "./repo/sub/", "127.0.0.1:18999_._repo_sub_"},
		{"file:/tmp/flatx/srv", "./", "_tmp_flatx_srv_._"},
		{"http://127.0.0.1:18080", "testbed", "127.0.0.1:18080_dists_testbed_"},
		{"http://deb.debian.org/debian/", "bookworm", "deb.debian.org_debian_dists_bookworm_"},
	} {
		if got := ListsFileName(listsBase(c.uri, c.suite)); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.uri, c.suite, got, c.want)
		}
	}
}

// TestOpenListsFlatVerified: a flat repository's lists are verified as any
// other's (verifyRelease): another key, an altered InRelease or an altered
// Packages file is refused, and an unsigned one needs trusted=yes.
func TestOpenListsFlatVerified(t *testing.T) {
	repos, lists, _ := recordedFlat(t)
	pol := repo.DefaultPolicy()
	pol.Now = func() time.Time { return flatNow }
	top, sub := repos[0], repos[1]
	prefix := ListsFileName(listsBase(top.URI, top.Suite))
	for _, dir := range flatListsDirs {
		orig := lists[dir]
		pk := findListsFile(orig, prefix+"Packages")
		if pk == "" {
			t.Fatalf("%s: no Packages for %s", dir, top.Name())
		}

		other := top
		other.Keyring = sub.Keyring
		if _, err := OpenLists(t.Context(), pol, orig, other); !errors.Is(err, repo.ErrSignature) {
			t.Errorf("%s: signed by another key: %v", dir, err)
		}

		m := maps(orig)
		m[prefix+"InRelease"].Data = []byte(strings.Replace(string(m[prefix+"InRelease"].Data), "Suite: test", "Suite: tesT", 1))
		if _, err := OpenLists(t.Context(), pol, m, top); !errors.Is(err, repo.ErrSignature) {
			t.Errorf("%s: altered InRelease: %v", dir, err)
		}

		m = maps(orig)
		data := slices.Clone(m[pk].Data)
		data[len(data)/2] ^= 1
		m[pk].Data = data
		snap, err := OpenLists(t.Context(), pol, m, top)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		var perr error
		n := 0
		for _, err := range snap.Packages(t.Context()) {
			if err != nil {
				perr = err
				break
			}
			n++
		}
		if (!errors.Is(perr, repo.ErrHashMismatch) && !errors.Is(perr, repo.ErrSize)) || n != 0 {
			t.Errorf("%s: altered %s: %d records, then %v", dir, pk, n, perr)
		}

		// The Release alone, unsigned: refused unless trusted=yes.
		m = maps(orig)
		in := m[prefix+"InRelease"].Data
		body, _, ok := strings.Cut(strings.SplitN(string(in), "\n\n", 2)[1], "-----BEGIN PGP SIGNATURE-----")
		if !ok {
			t.Fatalf("%s: InRelease is not clear-signed", dir)
		}
		delete(m, prefix+"InRelease")
		m[prefix+"Release"] = &fstest.MapFile{Data: []byte(body)}
		if _, err := OpenLists(t.Context(), pol, m, top); !errors.Is(err, repo.ErrSignature) {
			t.Errorf("%s: unsigned Release: %v", dir, err)
		}
		trusted := top
		trusted.Trusted, trusted.Keyring = true, nil
		if snap, err := OpenLists(t.Context(), pol, m, trusted); err != nil || snap.Verified || len(collect(t, snap)) != 3 {
			t.Errorf("%s: unsigned Release, trusted=yes: %v", dir, err)
		}
	}
}

// maps copies a MapFS one level deep, so that its files can be changed.
func maps(m fstest.MapFS) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range m {
		c := *v
		out[k] = &c
	}
	return out
}
