package scan

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/run"
)

// fileState is what a snapshot keeps of one file or directory.
type fileState struct {
	size  int64
	mtime time.Time
	mode  fs.FileMode
}

// snapshotRoot records every file and directory under root (symbolic
// links not followed), but for proc, where a chroot copy has /proc
// mounted.
func snapshotRoot(t *testing.T, root string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == filepath.Join(root, "proc") {
			return filepath.SkipDir
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = fileState{size: fi.Size(), mtime: fi.ModTime(), mode: fi.Mode()}
		return nil
	}))
	return out
}

// changes lists what differs between two snapshots: "+name", "-name",
// and "~name" for a file whose mode or size changed, "mtime name" for one
// whose modification time alone did.
func changes(before, after map[string]fileState) []string {
	var out []string
	for name, b := range before {
		a, ok := after[name]
		switch {
		case !ok:
			out = append(out, "-"+name)
		case a.size != b.size || a.mode != b.mode:
			out = append(out, "~"+name)
		case !a.mtime.Equal(b.mtime):
			out = append(out, "mtime "+name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			out = append(out, "+"+name)
		}
	}
	slices.Sort(out)
	return out
}

// unavoidable reports whether a change is one the package manager makes
// whatever it is told, matched against path.Match patterns.
func unavoidable(change string, patterns []string) bool {
	name, ok := strings.CutPrefix(change, "mtime ")
	if !ok {
		return false
	}
	for _, p := range patterns {
		if m, _ := path.Match(p, name); m {
			return true
		}
	}
	return false
}

// watched runs commands through the local runner and keeps them with
// their output.
type watched struct {
	mu    sync.Mutex
	local *run.Local
	calls []run.Command
	outs  [][]byte
}

func (w *watched) Run(ctx context.Context, c run.Command) (run.Result, error) {
	res, err := w.local.Run(ctx, c)
	w.mu.Lock()
	w.calls = append(w.calls, c)
	w.outs = append(w.outs, res.Stdout)
	w.mu.Unlock()
	return res, err
}

func newWatched(t *testing.T) *watched {
	l, err := run.NewLocal()
	require.NoError(t, err)
	return &watched{local: l}
}

// cLocale checks that every command whose output the scan reads carries
// the C locale itself (run.CLocale), for runners that set none.
func (w *watched) cLocale(t *testing.T) {
	t.Helper()
	for _, c := range w.calls {
		switch path.Base(c.Path) {
		case "mktemp", "rm": // their output is only a path, or nothing
			continue
		}
		assert.Subset(t, c.Env, run.CLocale(), "%s", c)
	}
}

// TestTestbedDnfScanNativeReadOnly: a native Scan of a copy of the dnf
// root changes none of its files. dnf's logs go to a private directory
// that is gone afterwards. What dnf does whatever it is told, and this
// test allows: sqlite updates the shared-memory index of the rpm database
// (var/lib/rpm/rpmdb.sqlite-shm, its modification time) on every read of
// a database in WAL mode; dnf creates and removes its metadata lock
// (var/cache/dnf/metadata_lock.pid), which leaves the directory's
// modification time changed; gpg, verifying repomd.xml for librepo, takes
// and drops a lock in each repository's keyring directory
// (var/cache/dnf/REPO/pubring), with the same effect. No file's content
// or size changes.
func TestTestbedDnfScanNativeReadOnly(t *testing.T) {
	testutil.NeedTool(t, "dnf", "dnf")
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	root := env.RPMRoot
	before := snapshotRoot(t, root)
	w := newWatched(t)
	res, err := Scan(context.Background(), os.DirFS(root), At(scanAt(t)), WithOS(releaseOS(t, "amzn-2023")), WithRunner(w, root))
	require.NoError(t, err)
	require.NotEmpty(t, res.Candidates)
	for _, c := range changes(before, snapshotRoot(t, root)) {
		assert.True(t, unavoidable(c, []string{"var/lib/rpm/rpmdb.sqlite-shm", "var/cache/dnf", "var/cache/dnf/*/pubring"}), "the scan changed %s", c)
	}
	var dir string
	for i, c := range w.calls {
		switch path.Base(c.Path) {
		case "mktemp":
			dir = strings.TrimSpace(string(w.outs[i]))
		case "dnf":
			assert.True(t, slices.ContainsFunc(c.Args, func(a string) bool {
				return dir != "" && strings.HasPrefix(a, "--setopt=logdir=") && strings.HasSuffix(a, dir)
			}), "%s", c)
		case "rm":
			assert.Equal(t, []string{dir}, c.Operands)
		}
	}
	require.NotEmpty(t, dir, "no private log directory was made")
	assert.NoDirExists(t, dir)
	w.cLocale(t)
}

// TestTestbedZypperScanNativeReadOnly: a native Scan of a copy of the
// zypper root changes none of its files but the ones zypper changes
// whatever it is told: sqlite's shared-memory index of the rpm database
// (as for dnf); and, the first time only, zypper's solv cache of the
// installed packages (var/cache/zypp/solv/@System), which zypper rebuilds
// whenever the rpm database changed since it last read it (its cookie
// records the database's change time, which a copy of a root never
// keeps); the second scan leaves it alone. zypper's log goes to
// /dev/null and it takes no zypp lock (run/zypp.pid).
func TestTestbedZypperScanNativeReadOnly(t *testing.T) {
	testutil.NeedTool(t, "zypper", "zypper")
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	root := env.ZyppRoot
	o := releaseOS(t, "sles-15.6")
	for i, allowed := range [][]string{
		{"var/lib/rpm/rpmdb.sqlite-shm", "var/cache/zypp/solv/@System", "var/cache/zypp/solv/@System/*"},
		{"var/lib/rpm/rpmdb.sqlite-shm"},
	} {
		before := snapshotRoot(t, root)
		w := newWatched(t)
		res, err := Scan(context.Background(), os.DirFS(root), At(scanAt(t)), WithOS(o), WithRunner(w, root))
		require.NoError(t, err)
		require.NotEmpty(t, res.Candidates)
		for _, c := range changes(before, snapshotRoot(t, root)) {
			// The solv cache is written anew: its files are replaced.
			if i == 0 && strings.HasPrefix(strings.TrimLeft(c, "+-~"), "var/cache/zypp/solv/@System") {
				continue
			}
			assert.True(t, unavoidable(c, allowed), "scan %d changed %s", i+1, c)
		}
		zyppers := 0
		for _, c := range w.calls {
			if path.Base(c.Path) == "zypper" {
				zyppers++
				assert.Subset(t, c.Env, []string{"ZYPP_READONLY_HACK=1", "ZYPP_LOGFILE=/dev/null"}, "%s", c)
			}
		}
		assert.NotZero(t, zyppers)
		w.cLocale(t)
	}
}

// TestTestbedAptScanNativeReadOnly: a native Scan of a copy of the Debian
// chroot changes none of its files: apt writes no binary cache and no
// planner log (var/log/apt/eipp.log.xz, which apt-get -s writes
// otherwise). The copy is an overlay on the shared chroot, in which other
// tests run apt-get -s meanwhile (and so write that log there), so the
// test watches the copy's own layer, where every write to the copy lands.
func TestTestbedAptScanNativeReadOnly(t *testing.T) {
	root := testbed.NeedChroot(t).CopyChroot(t)
	t.Parallel()
	o, err := osdetect.DetectFS(os.DirFS(root))
	require.NoError(t, err)
	watch, err := testbed.CopyWrites(root)
	require.NoError(t, err)
	if watch == "" {
		watch = root // a plain copy: nothing else writes to it
	}
	before := snapshotRoot(t, watch)
	w := newWatched(t)
	res, err := Scan(context.Background(), os.DirFS(root), At(scanAt(t)), WithOS(o), WithArch("x86_64"), WithRunner(w, root))
	require.NoError(t, err)
	require.NotEmpty(t, res.Candidates)
	assert.Empty(t, changes(before, snapshotRoot(t, watch)))
	apts := 0
	for _, c := range w.calls {
		if strings.HasPrefix(path.Base(c.Path), "apt") {
			apts++
			assert.Contains(t, strings.Join(c.Args, " "), "-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Dir::Log::Planner=", "%s", c)
		}
	}
	assert.NotZero(t, apts)
	w.cLocale(t)

	// The watch sees what apt writes: apt-get -s as a user runs it leaves
	// its planner log in the copy.
	testutil.Run(t, "", nil, "chroot", root, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "apt-get", "-s", "upgrade")
	after := changes(before, snapshotRoot(t, watch))
	assert.True(t, slices.ContainsFunc(after, func(c string) bool { return strings.HasSuffix(c, "var/log/apt/eipp.log.xz") }), "%v", after)
}

// scanBothAt runs the metadata and the native Scan of root at the instant
// at and requires them to agree on the repositories' health and the
// node's status.
func scanBothAt(t *testing.T, root string, at time.Time, opts ...ScanOption) (files, native Result) {
	t.Helper()
	ctx := context.Background()
	opts = append([]ScanOption{At(at)}, opts...)
	files, err := Scan(ctx, os.DirFS(root), opts...)
	require.NoError(t, err)
	l, err := run.NewLocal()
	require.NoError(t, err)
	native, err = Scan(ctx, os.DirFS(root), append(opts, WithRunner(l, root))...)
	require.NoError(t, err)
	assertSameHealth(t, files, native)
	return files, native
}

// requireHealth requires every repository of the testbed whose name
// contains one of names to have health h, and the testbed's others to be
// OK (the chroot's Debian repositories follow the live archive; both scans
// must only agree on them).
func requireHealth(t *testing.T, r Result, h repo.Health, names ...string) {
	t.Helper()
	n := 0
	for _, s := range r.Repositories {
		if !strings.Contains(s.Name, "127.0.0.1") && !strings.HasPrefix(s.Name, "tb-") {
			continue
		}
		n++
		want := repo.HealthOK
		if slices.ContainsFunc(names, func(n string) bool { return strings.Contains(s.Name, n) }) {
			want = h
		}
		assert.Equal(t, want, s.Health, "%s: %s", s.Name, s.Reason)
	}
	require.NotZero(t, n, "no repository of the testbed in %+v", r.Repositories)
}

// testbedCandidates are the candidates of the testbed's packages.
func testbedCandidates(r Result) []string {
	var out []string
	for _, c := range r.Candidates {
		if strings.HasPrefix(c.Patch.Name, "tb-") || c.Patch.Name == "kernel-tb" {
			out = append(out, c.Patch.QualifiedName()+" "+c.Patch.EVR())
		}
	}
	return out
}

// TestTestbedDnfScanNativeStale: scanned a month after the testbed's
// metadata was made (the default maximum age is a week), the dnf root's
// repositories are stale through the package manager as from the files,
// and the node is UNKNOWN both ways: dnf still offers the updates of its
// cache, which the native scan leaves out.
func TestTestbedDnfScanNativeStale(t *testing.T) {
	testutil.NeedTool(t, "dnf", "dnf")
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	files, native := scanBothAt(t, env.RPMRoot, scanAt(t).Add(30*24*time.Hour), WithOS(releaseOS(t, "amzn-2023")))
	requireHealth(t, native, repo.HealthStale, "tb-")
	assert.Equal(t, patchkit.ComplianceUnknown, native.Report.Summary.Status)
	assert.Equal(t, 2, native.Report.Summary.UnknownRepositoryCount)
	assert.Empty(t, files.Candidates)
	assert.Empty(t, native.Candidates)
}

// TestTestbedZypperScanNativeStale: the same for the zypper root.
func TestTestbedZypperScanNativeStale(t *testing.T) {
	testutil.NeedTool(t, "zypper", "zypper")
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	_, native := scanBothAt(t, env.ZyppRoot, scanAt(t).Add(30*24*time.Hour), WithOS(releaseOS(t, "sles-15.6")))
	requireHealth(t, native, repo.HealthStale, "tb-")
	assert.Equal(t, patchkit.ComplianceUnknown, native.Report.Summary.Status)
	assert.Empty(t, native.Candidates)
}

// TestTestbedAptScanNativeUnsigned: on a copy of the Debian chroot whose
// lists of testbed-updates and testbed-security were changed after apt
// verified them (their signatures no longer match), apt still offers their
// updates; the native scan, like the metadata scan, reports both
// repositories UNSIGNED and offers nothing of theirs. (Lists dated in the
// future, EXPIRED, are TestNativeHealth's in scan/apt: on the testbed the
// key is younger than its lists, so an earlier instant finds it not yet
// valid.)
func TestTestbedAptScanNativeUnsigned(t *testing.T) {
	root := testbed.NeedChroot(t).CopyChroot(t)
	t.Parallel()
	o, err := osdetect.DetectFS(os.DirFS(root))
	require.NoError(t, err)
	lists := filepath.Join(root, "var/lib/apt/lists")
	for _, suite := range []string{"testbed-updates", "testbed-security"} {
		matches, err := filepath.Glob(filepath.Join(lists, "*_dists_"+suite+"_InRelease"))
		require.NoError(t, err)
		require.Len(t, matches, 1)
		b, err := os.ReadFile(matches[0])
		require.NoError(t, err)
		changed := bytes.Replace(b, []byte("\nCodename: "+suite+"\n"), []byte("\nCodename: "+suite+"-changed\n"), 1)
		require.NotEqual(t, b, changed)
		require.NoError(t, os.WriteFile(matches[0], changed, 0o644))
	}
	// apt reads the changed lists without a word.
	out := testutil.Run(t, "", []string{"LC_ALL=C"}, "apt-get", "-s", "-o", "Dir="+root+"/", "-o", "Dir::State::status="+root+"/var/lib/dpkg/status",
		"-o", "Debug::NoLocking=1", "-o", "Dir::Log::Planner=", "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=", "dist-upgrade")
	require.Contains(t, out, "Inst tb-hello")
	opts := []ScanOption{WithOS(o), WithArch("x86_64")}
	files, native := scanBothAt(t, root, scanAt(t), opts...)
	requireHealth(t, native, repo.HealthUnsigned, "testbed-updates", "testbed-security")
	assert.Equal(t, 2, native.Report.Summary.UnknownRepositoryCount)
	assert.NotEqual(t, patchkit.Compliant, native.Report.Summary.Status)
	assert.Empty(t, testbedCandidates(files))
	assert.Empty(t, testbedCandidates(native))

}
