package zypper

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// fixture is a recorded scenario loaded for unit tests: its root files as
// a MapFS (to be changed freely), its installed packages and its trusted
// keys, as rpm listed them.
type fixture struct {
	meta      fixtureMeta
	fsys      fstest.MapFS
	installed []patchkit.Package
	keys      *repo.Keyring
	recs      []run.Recording
}

func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	var f fixture
	f.meta, f.recs, _ = loadScenario(t, name)
	f.fsys = fstest.MapFS{}
	rootDir := filepath.Join(scenarioDir, name, "root")
	err := filepath.WalkDir(rootDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(rootDir, p)
		f.fsys[filepath.ToSlash(rel)] = &fstest.MapFile{Data: b, Mode: 0o644}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range f.recs {
		switch recordingLabel(r) {
		case "rpm-qa":
			if f.installed, err = rpmdb.ParseQuery(r.Stdout); err != nil {
				t.Fatal(err)
			}
		case "rpm-gpg-pubkey":
			if f.keys, err = repo.ParseKeyring("recorded rpm -q gpg-pubkey", bytes.TrimSpace(r.Stdout)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if f.installed == nil || f.keys == nil {
		t.Fatal("fixture lacks the rpm recordings")
	}
	return f
}

func (f fixture) read(t *testing.T, opts ...Option) *Result {
	t.Helper()
	base := []Option{WithArch("x86_64"), WithNow(f.meta.Now), WithKeyring(f.keys)}
	res, err := Read(context.Background(), f.fsys, f.installed, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func status(t *testing.T, res *Result, alias string) repo.Status {
	t.Helper()
	for _, st := range res.Repos {
		if st.Name == alias {
			return st
		}
	}
	t.Fatalf("no status for %s in %+v", alias, res.Repos)
	return repo.Status{}
}

// offers reports whether any update comes from the repository alias.
func offers(res *Result, alias string) bool {
	return slices.ContainsFunc(res.Updates, func(p patchkit.Patch) bool { return p.Repository == alias })
}

// TestMetadataFailClosed damages the recorded testbed root in each way
// the metadata backend must refuse, and checks the repository's health,
// reason, and that none of its packages or patches are offered.
func TestMetadataFailClosed(t *testing.T) {
	base := loadFixture(t, "testbed")
	raw := "var/cache/zypp/raw/tb-updates/repodata/"
	dataFile := func(f fixture, typ string) string {
		for name := range f.fsys {
			if strings.HasPrefix(name, raw) && strings.HasSuffix(name, "-"+typ+".xml.gz") {
				return name
			}
		}
		t.Fatalf("no %s in the fixture", typ)
		return ""
	}
	clone := func() fixture {
		f := base
		f.fsys = fstest.MapFS{}
		for k, v := range base.fsys {
			c := *v
			c.Data = slices.Clone(v.Data)
			f.fsys[k] = &c
		}
		return f
	}
	otherKey, err := os.ReadFile("../../testdata/repo/keys/RPM-GPG-KEY-patchkit-test")
	if err != nil {
		t.Fatal(err)
	}
	other, err := repo.ParseKeyring("patchkit test key", otherKey)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(f *fixture) []Option
		health repo.Health
		reason string
	}{
		{"stale", func(f *fixture) []Option { return []Option{WithNow(f.meta.Now.Add(8 * 24 * time.Hour))} }, repo.HealthStale, "more than 168h0m0s"},
		{"stale for this repository only", func(f *fixture) []Option {
			return []Option{WithNow(f.meta.Now.Add(2 * time.Hour)), WithRepoMaxAge("tb-updates", time.Hour)}
		}, repo.HealthStale, "more than 1h0m0s"},
		{"dated in the future", func(f *fixture) []Option {
			// before the key was made, so without the signature check
			f.fsys["etc/zypp/zypp.conf"] = &fstest.MapFile{Data: []byte("[main]\nrepo_gpgcheck = no\n")}
			return []Option{WithNow(f.meta.Now.Add(-2 * time.Hour))}
		}, repo.HealthExpired, "in the future"},
		{"primary tampered", func(f *fixture) []Option {
			d := f.fsys[dataFile(*f, "primary")]
			d.Data[len(d.Data)/2] ^= 0x40
			return nil
		}, repo.HealthUnreadable, "SHA256 is"},
		{"updateinfo truncated", func(f *fixture) []Option {
			d := f.fsys[dataFile(*f, "updateinfo")]
			d.Data = d.Data[:len(d.Data)-10]
			return nil
		}, repo.HealthUnreadable, "size"},
		{"signature removed", func(f *fixture) []Option { delete(f.fsys, raw+"repomd.xml.asc"); return nil }, repo.HealthUnsigned, "not signed"},
		{"repomd.xml changed after signing", func(f *fixture) []Option {
			d := f.fsys[raw+"repomd.xml"]
			d.Data = bytes.Replace(d.Data, []byte("<revision>"), []byte("<revision>1"), 1)
			return nil
		}, repo.HealthUnsigned, ""},
		{"no trusted key", func(f *fixture) []Option { return []Option{WithKeyring(nil)} }, repo.HealthUnsigned, "no trusted keys"},
		{"signed by a key not trusted", func(f *fixture) []Option { return []Option{WithKeyring(other)} }, repo.HealthUnsigned, ""},
		{"not cached", func(f *fixture) []Option {
			for k := range f.fsys {
				if strings.HasPrefix(k, raw) {
					delete(f.fsys, k)
				}
			}
			return nil
		}, repo.HealthUnreadable, "zypper has not refreshed"},
		{"susetags", func(f *fixture) []Option {
			for k := range f.fsys {
				if strings.HasPrefix(k, raw) {
					delete(f.fsys, k)
				}
			}
			f.fsys["var/cache/zypp/raw/tb-updates/content"] = &fstest.MapFile{Data: []byte("PRODUCT x\n")}
			return nil
		}, repo.HealthUnreadable, "susetags"},
		{"primary location leaves the repository (no signature check)", func(f *fixture) []Option {
			f.fsys["etc/zypp/zypp.conf"] = &fstest.MapFile{Data: []byte("[main]\nrepo_gpgcheck = no\n")}
			d := f.fsys[raw+"repomd.xml"]
			d.Data = bytes.Replace(d.Data, []byte(`href="repodata/`), []byte(`href="../../../../etc/`), 1)
			return nil
		}, repo.HealthUnreadable, "leaves"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := clone()
			opts := c.change(&f)
			res := f.read(t, opts...)
			st := status(t, res, "tb-updates")
			if st.Health != c.health || !strings.Contains(st.Reason, c.reason) {
				t.Errorf("tb-updates: %s %q, want %s containing %q", st.Health, st.Reason, c.health, c.reason)
			}
			if offers(res, "tb-updates") || slices.ContainsFunc(res.Patches, func(p Patch) bool { return p.Repository == "tb-updates" }) {
				t.Error("packages or patches of the refused repository are offered")
			}
			if st := status(t, res, "tb-base"); st.Health != repo.HealthOK && c.name != "stale" && c.name != "dated in the future" && c.name != "no trusted key" && c.name != "signed by a key not trusted" {
				t.Errorf("tb-base: %+v, want it unharmed", st)
			}
		})
	}
}

// TestMetadataErrorsTyped checks the typed errors behind the statuses.
func TestMetadataErrorsTyped(t *testing.T) {
	f := loadFixture(t, "testbed")
	o, err := buildOptions([]Option{WithArch("x86_64"), WithNow(f.meta.Now.Add(30 * 24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	cfg := repoConfig{alias: "tb-updates", repoGPGCheck: true, priority: 99}
	_, _, err = openRawCache(f.fsys, "var/cache/zypp/raw/tb-updates", cfg, f.keys, &o)
	var se *repo.StaleError
	if !errors.As(err, &se) || !errors.Is(err, repo.ErrStale) {
		t.Errorf("%v: want a *repo.StaleError", err)
	}
	_, _, err = openRawCache(f.fsys, "var/cache/zypp/raw/tb-updates", cfg, nil, &o)
	var sig *repo.SignatureError
	if !errors.As(err, &sig) {
		t.Errorf("%v: want a *repo.SignatureError", err)
	}
}

func TestOptionsRequired(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{}
	for _, c := range []struct {
		opts   []Option
		option string
	}{
		{nil, "WithArch"},
		{[]Option{WithArch("x86_64")}, "WithNow"},
		{[]Option{WithArch("vax")}, "WithArch"},
		{[]Option{WithArch("x86_64"), WithNow(time.Unix(1, 0)), WithRefresh(true)}, "WithRefresh"},
		{[]Option{WithArch("x86_64"), WithNow(time.Unix(1, 0)), WithMaxAge(0)}, "WithMaxAge"},
		{[]Option{WithArch("x86_64"), WithNow(time.Unix(1, 0)), WithReleasever("15/5")}, "WithReleasever"},
	} {
		_, _, err := Updates(ctx, fsys, nil, c.opts...)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Option != c.option || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%d options: %v, want an *OptionError for %s", len(c.opts), err, c.option)
		}
	}
	_, _, err := Updates(ctx, fsys, []patchkit.Package{{Name: "x", Version: "1", Scheme: patchkit.Deb}}, WithArch("x86_64"), WithNow(time.Unix(1, 0)))
	if !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("a Debian package in the inventory: %v", err)
	}
}

// TestRootWithoutRepositories: no repositories, nothing offered, no
// statuses, no error.
func TestRootWithoutRepositories(t *testing.T) {
	res, err := Read(context.Background(), fstest.MapFS{}, nil, WithArch("x86_64"), WithNow(time.Unix(1e9, 0)))
	if err != nil || len(res.Updates) != 0 || len(res.Repos) != 0 || len(res.Patches) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestZyppConfSettings: zypp.conf moves the repositories and the cache,
// turns signature checks off, and a malformed line is a *ConfigError.
func TestZyppConfSettings(t *testing.T) {
	f := loadFixture(t, "testbed")
	moved := fstest.MapFS{}
	for k, v := range f.fsys {
		k = strings.Replace(k, "etc/zypp/repos.d/", "srv/repos/", 1)
		k = strings.Replace(k, "var/cache/zypp/raw/", "srv/raw/", 1)
		moved[k] = v
	}
	moved["etc/zypp/zypp.conf"] = &fstest.MapFile{Data: []byte("# moved\n[main]\nreposdir = /srv/repos\nmetadatadir = /srv/raw\n")}
	g := f
	g.fsys = moved
	res := g.read(t)
	want := f.read(t)
	if len(res.Updates) != len(want.Updates) || len(res.Repos) != 2 || status(t, res, "tb-updates").Health != repo.HealthOK {
		t.Errorf("moved: %d updates, repos %+v; want %d", len(res.Updates), res.Repos, len(want.Updates))
	}

	moved["etc/zypp/zypp.conf"] = &fstest.MapFile{Data: []byte("[main]\nreposdir = /srv/repos\nmetadatadir = /srv/raw\nrepo_gpgcheck = off\n")}
	res = g.read(t, WithKeyring(nil))
	if st := status(t, res, "tb-updates"); st.Health != repo.HealthOK || st.Verified {
		t.Errorf("repo_gpgcheck = off: %+v, want OK unverified", st)
	}

	for _, bad := range []string{"[main]\ngpgcheck = maybe\n", "[main\n", "[main]\nno equals sign\n"} {
		moved["etc/zypp/zypp.conf"] = &fstest.MapFile{Data: []byte(bad)}
		_, err := Read(context.Background(), moved, f.installed, WithArch("x86_64"), WithNow(f.meta.Now))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Line == 0 || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%q: %v, want a *ConfigError with a line", bad, err)
		}
	}
}

// TestLocksFile reads the locks file zypper addlock wrote in the locks
// scenario, and the lock semantics on synthetic entries.
func TestLocksFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(scenarioDir, "locks", "root/etc/zypp/locks"))
	if err != nil {
		t.Fatal(err)
	}
	locks, err := parseLocks("/etc/zypp/locks", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(locks) != 3 {
		t.Fatalf("%d locks, want 3: %+v", len(locks), locks)
	}
	pkg := func(name, ed, arch string) patchkit.Package {
		p, err := parseEdition(ed)
		if err != nil {
			t.Fatal(err)
		}
		p.Name, p.Arch = name, arch
		return p
	}
	for _, c := range []struct {
		p      patchkit.Package
		kind   string
		locked bool
	}{
		{pkg("tb-hello", "1.1-1", "noarch"), "package", true},
		{pkg("tb-multi", "1.3-1", "noarch"), "package", true},
		{pkg("TB-HELLO", "1.1-1", "noarch"), "package", false}, // case_sensitive: on
		{pkg("tb-lib", "1:2.0-2", "noarch"), "package", false},
		{pkg("TBSA-2026:0001", "1", "noarch"), "patch", true},
		{pkg("tb-hello", "1", "noarch"), "patch", false},
	} {
		got := false
		for i := range locks {
			got = got || locks[i].applies(c.kind, c.p.Name, c.p.Arch, c.p, "tb-updates", false)
		}
		if got != c.locked {
			t.Errorf("%s %s: locked=%v, want %v", c.kind, c.p.Name, got, c.locked)
		}
	}

	syn, err := parseLocks("/etc/zypp/locks", []byte(`# a comment
solvable_name: kernel
match_type: substring
version: < 5.1-1

type: package
solvable_name: ^lib.*-devel$
match_type: regex
repo: tb-updates

solvable_name: tb-tool >= 3
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p      patchkit.Package
		repo   string
		locked bool
	}{
		{pkg("kernel-tb", "5.0-1", "noarch"), "", true},
		{pkg("kernel-tb", "5.1-1", "noarch"), "", false},
		{pkg("LIBFOO-devel", "1-1", "x86_64"), "tb-updates", true}, // case-insensitive by default
		{pkg("libfoo-devel", "1-1", "x86_64"), "tb-base", false},
		{pkg("tb-tool", "3.0-1", "noarch"), "", true},
		{pkg("tb-tool", "2.9-1", "noarch"), "", false},
	} {
		got := false
		for i := range syn {
			got = got || syn[i].applies("package", c.p.Name, c.p.Arch, c.p, c.repo, false)
		}
		if got != c.locked {
			t.Errorf("%s-%s from %q: locked=%v, want %v", c.p.Name, edition(c.p), c.repo, got, c.locked)
		}
	}

	for _, bad := range []string{"solvable_provides: foo\n", "match_type: fuzzy\n", "solvable_name: a < \n", "solvable_name: (\nmatch_type: regex\n", "version: <= \n", "just text\n"} {
		_, err := parseLocks("/etc/zypp/locks", []byte(bad))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Line == 0 {
			t.Errorf("%q: %v, want a *ConfigError with a line", bad, err)
		}
	}
}

func TestEditions(t *testing.T) {
	for _, c := range []struct {
		in       string
		epoch    uint32
		ver, rel string
	}{
		{"1:2.0-2", 1, "2.0", "2"}, {"5.1-1", 0, "5.1", "1"}, {"1", 0, "1", ""},
		{"84.87+git20180409.04c9dae-150300.10.6.2", 0, "84.87+git20180409.04c9dae", "150300.10.6.2"},
		{"1.4.0~git0.b0f7c25bfdfa-150500.3.6.1", 0, "1.4.0~git0.b0f7c25bfdfa", "150500.3.6.1"},
	} {
		p, err := parseEdition(c.in)
		e, _ := p.Epoch.Value()
		if err != nil || e != c.epoch || p.Version != c.ver || p.Release != c.rel || edition(p) != c.in {
			t.Errorf("%q: %+v %v", c.in, p, err)
		}
	}
	for _, bad := range []string{"", "x:1-1", "1-", "-1", "1.0 -1", ":1"} {
		if _, err := parseEdition(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	a, _ := parseEdition("2.0-1")
	b := patchkit.Package{Version: "2.0", Release: "1", Scheme: patchkit.RPM} // epoch unknown: 0
	if cmpEVR(a, b) != 0 {
		t.Error("an unknown epoch is not 0")
	}
}

// TestClassify checks the merge rules for a version several patches name.
func TestClassify(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	bug := &Patch{Name: "B-1", Repository: "r", Category: "recommended", Severity: "Critical", Date: d(1), BugzillaIDs: []string{"9"}}
	sec := &Patch{Name: "S-2", Repository: "r", Category: "security", Severity: "Low", Date: d(5), CVEIDs: []string{"CVE-2"}, RebootSuggested: true}
	sec2 := &Patch{Name: "S-1", Repository: "r", Category: "security", Severity: "Moderate", Date: d(7), CVEIDs: []string{"CVE-1", "CVE-2"}}
	opt := &Patch{Name: "O-1", Repository: "r", Category: "optional", Date: d(2)}
	var c patchkit.Patch
	if err := classify(&c, []*Patch{bug, sec, sec2, opt}); err != nil {
		t.Fatal(err)
	}
	if !c.Security || c.Classification != "Security" || c.Severity != "Critical" || !c.ReleaseDate.Equal(d(7)) ||
		!slices.Equal(c.AdvisoryIDs, []string{"B-1", "O-1", "S-1", "S-2"}) || !slices.Equal(c.CVEIDs, []string{"CVE-1", "CVE-2"}) ||
		!slices.Equal(c.BugzillaIDs, []string{"9"}) || !c.RebootSuggested {
		t.Errorf("%+v", c)
	}
	var n patchkit.Patch
	if err := classify(&n, nil); err != nil || n.Security || n.Classification != "" {
		t.Errorf("no patch: %+v %v", n, err)
	}
	var u patchkit.Patch
	err := classify(&u, []*Patch{{Name: "X", Repository: "r", Category: "other"}})
	var pe *PatchError
	if !errors.As(err, &pe) || pe.Patch != "X" || !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("unknown category: %v", err)
	}
	if normSeverity("important") != "Important" || normSeverity("None") != "" || normSeverity("") != "" {
		t.Error("severity spelling")
	}
}

// TestPatchStatusArch checks the architecture rules of patch status on
// the recorded multipatch scenario's patch (tb-lib named as x86_64).
func TestPatchStatusArch(t *testing.T) {
	f := loadFixture(t, "multipatch")
	res := f.read(t)
	i := slices.IndexFunc(res.Patches, func(p Patch) bool { return p.Name == "TBRA-2026:0100" })
	if i < 0 {
		t.Fatal("no TBRA-2026:0100")
	}
	p := res.Patches[i]
	inst := func(pkgs ...string) *installedSet {
		var l []patchkit.Package
		for _, s := range pkgs {
			q, err := patchkit.ParseNEVRA(s)
			if err != nil {
				t.Fatal(err)
			}
			if !q.Epoch.Known() {
				q.Epoch = patchkit.EpochOf(0)
			}
			l = append(l, q)
		}
		s, _ := newInstalledSet(l)
		return s
	}
	for _, c := range []struct {
		installed []string
		want      Status
	}{
		{[]string{"tb-lib-1:2.0-1.x86_64"}, StatusNeeded},   // the x86_64 entry
		{[]string{"tb-lib-1:2.0-1.noarch"}, StatusNeeded},   // and noarch, as libsolv writes it
		{[]string{"tb-lib-1:2.0-1.aarch64"}, StatusApplied}, // another arch: relevant, not needed
		{[]string{"tb-hello-1.1-1.noarch", "tb-lib-1:2.0-2.x86_64"}, StatusApplied},
		{[]string{"tb-tool-3.0-1.noarch"}, StatusNotNeeded},
		{[]string{"tb-hello-1.0-1.i586"}, StatusNeeded}, // a noarch entry covers every arch
	} {
		if got := patchStatus(&p, inst(c.installed...), false, false); got != c.want {
			t.Errorf("%v: %s, want %s", c.installed, got, c.want)
		}
	}
	if got := patchStatus(&p, inst("tb-tool-3.0-1.noarch", "tb-hello-1.0-1.noarch"), true, false); got != StatusUnwanted {
		t.Errorf("locked: %s", got)
	}
}

// TestRPMDBKeys reads the keys imported into real rpm databases: the
// testbed's (sqlite, in the multiversion-provides scenario) against what
// rpm printed for it, and CentOS 8's (Berkeley DB) against its
// gpg-pubkey entry.
func TestRPMDBKeys(t *testing.T) {
	f := loadFixture(t, "multiversion-provides")
	info, err := readRPMDB(context.Background(), f.fsys, true, map[string]bool{"kernel-tb": true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.keyring.Fingerprints(), f.keys.Fingerprints()) || len(info.problems) != 0 {
		t.Errorf("keys %v, rpm listed %v (problems %v)", info.keyring.Fingerprints(), f.keys.Fingerprints(), info.problems)
	}
	if !slices.Contains(info.provides["kernel-tb"], "kernel-tb") {
		t.Errorf("provides of kernel-tb: %v", info.provides["kernel-tb"])
	}

	data, err := decompress.ReadFile("../../testdata/rpmdb/bdb/centos8-modularitylabel.Packages.zst", decompress.Zstd, decompress.Limits{Output: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	info, err = readRPMDB(context.Background(), fstest.MapFS{"var/lib/rpm/Packages": {Data: data}}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	fps := info.keyring.Fingerprints()
	// rpm -qa lists gpg-pubkey-8483c65d-5ccc5b19: the key ID is the
	// fingerprint's last 8 hex digits
	if len(fps) != 1 || !strings.HasSuffix(fps[0], "8483C65D") {
		t.Errorf("CentOS 8 keys %v, want the one ending 8483C65D", fps)
	}

	info, err = readRPMDB(context.Background(), fstest.MapFS{}, true, nil)
	if err != nil || info.db != "" || info.keyring.Len() != 0 {
		t.Errorf("no database: %+v %v", info, err)
	}
	if _, err := readRPMDB(context.Background(), fstest.MapFS{"var/lib/rpm/Packages": {Data: data[:5000]}}, true, nil); !errors.Is(err, rpmdb.ErrCorrupt) {
		t.Errorf("truncated database: %v", err)
	}
}

func TestPathsAndNames(t *testing.T) {
	if trimSlash("/var/cache/zypp/raw") != "var/cache/zypp/raw" || path.Clean(trimSlash("../x")) != "x" {
		t.Error("trimSlash")
	}
	for _, ok := range []string{"SUSE-SLE-Module-Basesystem-15-SP5-2023-3821", "TBSA-2026:0001", "openSUSE-2024-1"} {
		if err := checkPatchName(ok); err != nil {
			t.Error(err)
		}
	}
	for _, bad := range []string{"", "-x", "a b", "a;b", "a\n"} {
		if checkPatchName(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestOptionalAndArchSettings(t *testing.T) {
	f := loadFixture(t, "testbed")
	res := f.read(t, WithOptionalPatches(true))
	i := slices.IndexFunc(res.Patches, func(p Patch) bool { return p.Name == "TBEA-2026:0006" })
	if i < 0 || res.Patches[i].Status != StatusNeeded {
		t.Errorf("with optional patches: %+v", res.Patches)
	}
	f.fsys["etc/zypp/zypp.conf"] = &fstest.MapFile{Data: []byte("[main]\narch = vax\n")}
	_, err := Read(context.Background(), f.fsys, f.installed, WithArch("x86_64"), WithNow(f.meta.Now), WithKeyring(f.keys))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Errorf("zypp.conf arch = vax: %v", err)
	}
	// an architecture that cannot install x86_64 packages offers nothing
	// of them (the testbed's are noarch, so the updates stay)
	f.fsys["etc/zypp/zypp.conf"] = &fstest.MapFile{Data: []byte("[main]\narch = aarch64\n")}
	res = f.read(t)
	if len(res.Updates) != 6 {
		t.Errorf("aarch64: %d updates, want the 6 noarch ones", len(res.Updates))
	}
}
