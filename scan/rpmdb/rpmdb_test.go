package rpmdb

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/internal/ndb"
	"github.com/patchkit/patchkit/internal/rpmheader"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/run"
)

var update = flag.Bool("update", false, "record rpm's listings of the fixtures again (needs rpm)")

// fixture is a real rpm database of testdata/rpmdb.
type fixture struct {
	name   string
	format Format
	files  []string // compressed files, relative to testdata/rpmdb
	dir    string   // where the database goes in the root
	// rpm reads it (Debian's rpm has no NDB backend).
	rpmReads bool
}

func fixtures() []fixture {
	bdb := func(name string) fixture {
		return fixture{name: name, format: BerkeleyDB, files: []string{"bdb/" + name + ".Packages.zst"}, dir: "var/lib/rpm", rpmReads: true}
	}
	sq := func(name, dir string, wal bool) fixture {
		f := fixture{name: name, format: SQLite, files: []string{"sqlite/" + name + "/rpmdb.sqlite.zst"}, dir: dir, rpmReads: true}
		if wal {
			f.files = append(f.files, "sqlite/"+name+"/rpmdb.sqlite-wal.zst", "sqlite/"+name+"/rpmdb.sqlite-shm.zst")
		}
		return f
	}
	ndb := func(name string) fixture {
		return fixture{name: name, format: NDB, files: []string{"ndb/" + name + ".Packages.db.zst"}, dir: "usr/lib/sysimage/rpm"}
	}
	return []fixture{
		bdb("centos5-plain"), bdb("centos6-plain"), bdb("centos8-modularitylabel"), bdb("ubi8-s390x"),
		bdb("libuuid"), bdb("centos8-dive"), bdb("hello-epoch"),
		sq("fedora35", "usr/lib/sysimage/rpm", false), sq("rockylinux-9.2", "var/lib/rpm", false),
		sq("cbl-mariner-2.0", "var/lib/rpm", false), sq("debian-rpm-4.18", "var/lib/rpm", true),
		sq("debian-rpm-4.18-open", "var/lib/rpm", true),
		ndb("sle15-bci"), ndb("leap15.5"),
	}
}

const testdata = "../../testdata/rpmdb"

// root lays the fixture out as a root file system in a temporary directory
// and returns its path.
func (f fixture) root(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, f.dir)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, z := range f.files {
		data, err := decompress.ReadFile(filepath.Join(testdata, z), decompress.Zstd, decompress.Limits{Output: 256 << 20})
		require.NoError(t, err)
		name := strings.TrimSuffix(filepath.Base(z), ".zst")
		if f.format == BerkeleyDB {
			name = "Packages"
		} else if f.format == NDB {
			name = "Packages.db"
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	return root
}

// rpmCommand is the query rpm runs for the fixture laid out at root.
func (f fixture) rpmCommand(t testing.TB, rpm, root string) run.Command {
	opts := []QueryOption{WithRPM(rpm), WithDBPath(filepath.Join(root, f.dir))}
	if f.format == BerkeleyDB {
		opts = append(opts, WithDefine("_db_backend", "bdb_ro"))
	}
	c, err := QueryCommand(opts...)
	require.NoError(t, err)
	return c
}

func recordingPath(name string) string { return filepath.Join(testdata, "query", name+".txt") }

// key identifies a package in comparisons.
func key(p patchkit.Package) string { return p.NEVRA() + "|" + p.InstallTime.String() }

func sorted(ps []patchkit.Package) []patchkit.Package {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b patchkit.Package) int { return strings.Compare(key(a), key(b)) })
	return ps
}

// TestFixturesAgreeWithRPM reads every real database and compares each
// package, field by field, with what rpm itself lists for the same
// database: rpm run now when it is installed (always under CI), and rpm's
// recorded listing from testdata/rpmdb/query otherwise.
func TestFixturesAgreeWithRPM(t *testing.T) {
	var rpm string
	var local *run.Local
	for _, f := range fixtures() {
		if !f.rpmReads {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			root := f.root(t)
			db, got, err := Read(context.Background(), os.DirFS(root))
			require.NoError(t, err)
			assert.Equal(t, f.format, db.Format)
			assert.Equal(t, f.dir+"/"+map[Format]string{SQLite: "rpmdb.sqlite", BerkeleyDB: "Packages", NDB: "Packages.db"}[f.format], db.Path)

			rec, err := os.ReadFile(recordingPath(f.name))
			if *update || (err == nil && (testutil.InCI() || haveRPM())) {
				if rpm == "" {
					rpm = testutil.NeedTool(t, "rpm", "rpm")
					local, err = run.NewLocal()
					require.NoError(t, err)
				}
				c := f.rpmCommand(t, rpm, root)
				rc := run.NewRecorder(local, func(run.Command) string {
					return fmt.Sprintf("%s on Debian 12 (this project's machine kind), %s, over the fixture %s laid out in a temporary root\n(argv shows that root's path; the test compares stdout only)", rpmVersion(t, rpm), time.Now().UTC().Format("2006-01-02"), f.name)
				})
				res, err := rc.Run(context.Background(), c)
				require.NoError(t, err, "%s", res.Stderr)
				if *update {
					b, err := rc.Recordings()[0].Format()
					require.NoError(t, err)
					require.NoError(t, os.MkdirAll(filepath.Dir(recordingPath(f.name)), 0o755))
					require.NoError(t, os.WriteFile(recordingPath(f.name), b, 0o644))
				}
				live, err := ParseQuery(res.Stdout)
				require.NoError(t, err)
				comparePackages(t, live, got)
				if rec == nil {
					return
				}
			}
			require.NoError(t, err, "no recorded listing: run go test -run TestFixturesAgreeWithRPM -update with rpm installed")
			r, err := run.ParseRecording(recordingPath(f.name), rec)
			require.NoError(t, err)
			want, err := ParseQuery(r.Stdout)
			require.NoError(t, err)
			comparePackages(t, want, got)
		})
	}
}

func haveRPM() bool {
	_, err := os.Stat("/usr/bin/rpm")
	return err == nil
}

func rpmVersion(t testing.TB, rpm string) string {
	l, err := run.NewLocal()
	require.NoError(t, err)
	res, err := l.Run(context.Background(), run.Command{Path: rpm, Args: []string{"--version"}})
	require.NoError(t, err)
	return strings.TrimSpace(string(res.Stdout))
}

// comparePackages asserts that two listings hold the same packages with
// the same fields.
func comparePackages(t *testing.T, want, got []patchkit.Package) {
	t.Helper()
	require.NotEmpty(t, want)
	want, got = sorted(want), sorted(got)
	require.Equal(t, len(want), len(got), "package count")
	for i := range want {
		w, g := want[i], got[i]
		assert.Equal(t, w.NEVRA(), g.NEVRA())
		assert.Equal(t, w.Epoch.Known(), g.Epoch.Known(), w.NEVRA())
		assert.Equal(t, w.SourceName, g.SourceName, w.NEVRA())
		assert.Equal(t, w.SourceVersion, g.SourceVersion, w.NEVRA())
		assert.True(t, w.InstallTime.Equal(g.InstallTime), "%s: install time %v, want %v", w.NEVRA(), g.InstallTime, w.InstallTime)
		assert.Equal(t, w.Vendor, g.Vendor, w.NEVRA())
		assert.Equal(t, w.ModularityLabel, g.ModularityLabel, w.NEVRA())
		assert.Equal(t, patchkit.StateInstalled, g.State)
		assert.Equal(t, patchkit.RPM, g.Scheme)
	}
}

// TestNDBFixtures: Debian's rpm cannot read NDB, so the SUSE databases are
// compared with the listings rpm made on the systems they come from (kept
// with the fixtures; see testdata/SOURCES.md).
func TestNDBFixtures(t *testing.T) {
	// sle15-bci: go-rpmdb's expected list, made by rpm on SLE 15 BCI:
	// epoch, name, version, release, arch, sigmd5.
	f := fixtures()[12]
	require.Equal(t, "sle15-bci", f.name)
	_, got, err := Read(context.Background(), os.DirFS(f.root(t)))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(testdata, "ndb/sle15-bci.rpm-qa.tsv"))
	require.NoError(t, err)
	var want []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		c := strings.Split(l, "\t")
		require.Len(t, c, 6, l)
		e := ""
		if c[0] != "" {
			e = c[0] + ":"
		}
		want = append(want, c[1]+"-"+e+c[2]+"-"+c[3]+"."+c[4])
	}
	var have []string
	for _, p := range got {
		have = append(have, p.NEVRA())
	}
	slices.Sort(want)
	slices.Sort(have)
	assert.Equal(t, want, have)

	// leap15.5: the package count and the packages the source names.
	f = fixtures()[13]
	require.Equal(t, "leap15.5", f.name)
	_, got, err = Read(context.Background(), os.DirFS(f.root(t)))
	require.NoError(t, err)
	b, err = os.ReadFile(filepath.Join(testdata, "ndb/leap15.5.expected.tsv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	// "rpm -qa | wc -l" counts the gpg-pubkey pseudo-packages too.
	keys := 0
	root := f.root(t)
	data, err := os.ReadFile(filepath.Join(root, f.dir, "Packages.db"))
	require.NoError(t, err)
	ndbDB, err := ndb.Open(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var flds rpmheader.Fields
	require.NoError(t, ndbDB.Scan(context.Background(), func(idx uint32, blob []byte) error {
		if err := parseHeader("x", blob, &flds); err != nil {
			return err
		}
		if isPseudo(flds.Name) {
			keys++
		}
		return nil
	}))
	t.Logf("leap15.5: %d packages and %d gpg-pubkey entries", len(got), keys)
	require.Equal(t, fmt.Sprintf("count\t%d", len(got)+keys), lines[0])
	for _, l := range lines[1:] {
		c := strings.Split(l, "\t")
		found := slices.ContainsFunc(got, func(p patchkit.Package) bool {
			return p.Name == c[0] && p.Version+"-"+p.Release == c[1] && p.Arch == c[2]
		})
		assert.True(t, found, l)
	}
	for _, p := range got {
		assert.Contains(t, p.Vendor, "SUSE", p.NEVRA())
		assert.NotEmpty(t, p.SourceName, p.NEVRA())
	}
}

// TestFields checks what the header gives beyond the NEVRA on real
// databases: an absent epoch stays unknown, modularity labels and vendors,
// install-only kernels as separate entries, no gpg-pubkey.
func TestFields(t *testing.T) {
	byName := func(f fixture) []patchkit.Package {
		_, ps, err := Read(context.Background(), os.DirFS(f.root(t)))
		require.NoError(t, err)
		return ps
	}
	fx := map[string]fixture{}
	for _, f := range fixtures() {
		fx[f.name] = f
	}
	c8 := byName(fx["centos8-modularitylabel"])
	var modular, noEpoch, withEpoch int
	for _, p := range c8 {
		assert.NotEqual(t, "gpg-pubkey", p.Name)
		if p.ModularityLabel != "" {
			modular++
		}
		if p.Epoch.Known() {
			withEpoch++
		} else {
			noEpoch++
		}
	}
	assert.Positive(t, modular)
	assert.Positive(t, noEpoch)
	assert.Positive(t, withEpoch)

	he := byName(fx["hello-epoch"])
	require.Len(t, he, 1)
	e, ok := he[0].Epoch.Value()
	assert.True(t, ok)
	assert.Equal(t, uint32(1), e)
	assert.Equal(t, "hello-1:0.0.1-rls.x86_64", he[0].NEVRA())

	fed := byName(fx["fedora35"])
	var kernels int
	for _, p := range fed {
		if p.Name == "kernel-core" {
			kernels++
		}
	}
	t.Logf("fedora35: %d packages, %d kernel-core", len(fed), kernels)
	for _, p := range fed {
		if p.Name == "bash" {
			assert.Equal(t, "Fedora Project", p.Vendor)
			assert.Equal(t, "bash", p.SourceName)
			assert.False(t, p.Epoch.Known(), "bash has no Epoch tag")
			assert.False(t, p.InstallTime.IsZero())
		}
	}
}

// TestFind covers the places distributions keep the database.
func TestFind(t *testing.T) {
	sq := fstest.MapFile{Data: []byte("x")}
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want Database
		err  error
	}{
		{"fedora", fstest.MapFS{"usr/lib/sysimage/rpm/rpmdb.sqlite": &sq},
			Database{Format: SQLite, Path: "usr/lib/sysimage/rpm/rpmdb.sqlite", Resolved: "usr/lib/sysimage/rpm/rpmdb.sqlite"}, nil},
		{"rhel8", fstest.MapFS{"var/lib/rpm/Packages": &sq, "var/lib/rpm/Name": &sq},
			Database{Format: BerkeleyDB, Path: "var/lib/rpm/Packages", Resolved: "var/lib/rpm/Packages"}, nil},
		{"suse", fstest.MapFS{"usr/lib/sysimage/rpm/Packages.db": &sq, "var/lib/rpm/Packages": &sq},
			Database{Format: NDB, Path: "usr/lib/sysimage/rpm/Packages.db", Resolved: "usr/lib/sysimage/rpm/Packages.db"}, nil},
		{"converted", fstest.MapFS{"var/lib/rpm/rpmdb.sqlite": &sq, "var/lib/rpm/Packages": &sq},
			Database{Format: SQLite, Path: "var/lib/rpm/rpmdb.sqlite", Resolved: "var/lib/rpm/rpmdb.sqlite", Others: []string{"var/lib/rpm/Packages"}}, nil},
		{"none", fstest.MapFS{"etc/os-release": &sq, "var/lib/rpm/.rpm.lock": &sq}, Database{}, ErrNoDatabase},
	} {
		got, err := Find(tc.fs)
		if tc.err != nil {
			assert.ErrorIs(t, err, tc.err, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}

	// A real root with var/lib/rpm a symbolic link to usr/lib/sysimage/rpm
	// (openSUSE, Fedora): found once, at its resolved place; an absolute
	// link stays inside the root.
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/lib/sysimage/rpm"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "var/lib"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "usr/lib/sysimage/rpm/Packages.db"), []byte("x"), 0o644))
	require.NoError(t, os.Symlink("/usr/lib/sysimage/rpm", filepath.Join(root, "var/lib/rpm")))
	got, err := Find(os.DirFS(root))
	require.NoError(t, err)
	assert.Equal(t, Database{Format: NDB, Path: "usr/lib/sysimage/rpm/Packages.db", Resolved: "usr/lib/sysimage/rpm/Packages.db"}, got)

	// Only var/lib/rpm, itself a link to the other place.
	root = t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/lib/sysimage/rpm"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "var/lib/rpm"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "var/lib/rpm/rpmdb.sqlite"), []byte("x"), 0o644))
	require.NoError(t, os.Symlink("../../../../var/lib/rpm/rpmdb.sqlite", filepath.Join(root, "usr/lib/sysimage/rpm/rpmdb.sqlite")))
	got, err = Find(os.DirFS(root))
	require.NoError(t, err)
	assert.Equal(t, Database{Format: SQLite, Path: "usr/lib/sysimage/rpm/rpmdb.sqlite", Resolved: "var/lib/rpm/rpmdb.sqlite"}, got)
}

// TestDamagedDatabases: truncated or overwritten databases give an error
// matching ErrCorrupt and no packages, never a shorter list.
func TestDamagedDatabases(t *testing.T) {
	for _, f := range fixtures() {
		if f.name != "centos6-plain" && f.name != "fedora35" && f.name != "sle15-bci" {
			continue
		}
		root := f.root(t)
		db, err := Find(os.DirFS(root))
		require.NoError(t, err)
		full, err := os.ReadFile(filepath.Join(root, db.Resolved))
		require.NoError(t, err)
		for _, cut := range []int{len(full) / 3, len(full) / 2, len(full) - 4096} {
			require.NoError(t, os.WriteFile(filepath.Join(root, db.Resolved), full[:cut], 0o644))
			_, ps, err := Read(context.Background(), os.DirFS(root))
			assert.ErrorIs(t, err, ErrCorrupt, "%s cut at %d", f.name, cut)
			assert.Nil(t, ps)
		}
	}
}

// TestWithTempDir reads a database from a file system whose files cannot
// read at offsets, through a private copy that is removed afterwards.
func TestWithTempDir(t *testing.T) {
	f := fixtures()[4] // libuuid
	require.Equal(t, "libuuid", f.name)
	root := f.root(t)
	tmp := t.TempDir()
	_, ps, err := Read(context.Background(), noReadAt{os.DirFS(root)}, WithTempDir(tmp))
	require.NoError(t, err)
	require.Len(t, ps, 1)
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, left)

	_, _, err = Read(context.Background(), noReadAt{os.DirFS(root)}, WithMaxSize(1000))
	assert.ErrorIs(t, err, ErrTooLarge)
}

type noReadAt struct{ fsys fs.FS }

func (n noReadAt) Open(name string) (fs.File, error) {
	f, err := n.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	return struct{ fs.File }{f}, nil
}

func TestCancel(t *testing.T) {
	f := fixtures()[2] // centos8-modularitylabel
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := Read(ctx, os.DirFS(f.root(t)))
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
}
