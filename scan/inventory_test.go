package scan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

var (
	debianOS = osdetect.OS{ID: "debian", Family: osdetect.FamilyDebian, PackageManager: osdetect.APT}
	fedoraOS = osdetect.OS{ID: "fedora", Family: osdetect.FamilyRHEL, PackageManager: osdetect.DNF}
	suseOS   = osdetect.OS{ID: "opensuse-leap", Family: osdetect.FamilySUSE, PackageManager: osdetect.Zypper}
)

// diff lists the differences between two inventories' packages, field by
// field, as "-" (only in a) and "+" (only in b) lines.
func diff(a, b []patchkit.Package) []string {
	line := func(p patchkit.Package) string {
		return fmt.Sprintf("%s %s %s state=%s want=%s src=%s/%s sec=%s prio=%s ma=%s vendor=%q mod=%s installed=%s",
			p.QualifiedName(), p.EVR(), p.Scheme, p.State, p.Want, p.SourceName, p.SourceVersion, p.Section, p.Priority,
			p.MultiArch, p.Vendor, p.ModularityLabel, p.InstallTime.UTC().Format("2006-01-02T15:04:05"))
	}
	count := map[string]int{}
	for _, p := range a {
		count[line(p)]++
	}
	for _, p := range b {
		count[line(p)]--
	}
	var out []string
	for l, n := range count {
		for ; n > 0; n-- {
			out = append(out, "- "+l)
		}
		for ; n < 0; n++ {
			out = append(out, "+ "+l)
		}
	}
	return out
}

func local(t *testing.T) *run.Local {
	l, err := run.NewLocal()
	require.NoError(t, err)
	return l
}

// agree reads the inventory of root both ways, from its database and from
// the package manager, and requires them to be the same.
func agree(t *testing.T, root string, o osdetect.OS) Inventory {
	t.Helper()
	ctx := context.Background()
	files, err := ReadInventory(ctx, os.DirFS(root), o)
	require.NoError(t, err)
	var opts []Option
	if root != "/" {
		opts = append(opts, WithRootDir(root))
	}
	native, err := QueryInventory(ctx, local(t), o, opts...)
	require.NoError(t, err)
	require.NotEmpty(t, files.Packages)
	assert.Empty(t, diff(files.Packages, native.Packages), "database (-) and %s (+) disagree", native.Source)
	assert.Equal(t, files.Arch, native.Arch)
	return files
}

// TestHostSourcesAgree: on this host, the dpkg database read directly and
// dpkg-query's answer are the same inventory, every field included.
func TestHostSourcesAgree(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the host test reads a Linux host's dpkg database")
	}
	testutil.NeedTool(t, "dpkg-query", "dpkg")
	host, err := osdetect.Detect(context.Background())
	require.NoError(t, err)
	require.Equal(t, osdetect.APT, host.PackageManager, "CI runs on Debian")
	// Another process (apt in .ci/run, a parallel test) may change the
	// database between the two reads: try a few times.
	for attempt := 1; ; attempt++ {
		ctx := context.Background()
		files, err := ReadInventory(ctx, os.DirFS("/"), host)
		require.NoError(t, err)
		native, err := QueryInventory(ctx, local(t), host)
		require.NoError(t, err)
		d := diff(files.Packages, native.Packages)
		if len(d) == 0 || attempt == 3 {
			assert.Empty(t, d)
			assert.Equal(t, host.Arch, files.Arch, "dpkg's own architecture is the machine's")
			t.Logf("%d packages agree (%s, %s)", len(files.Packages), files.Source, native.Source)
			return
		}
	}
}

func TestTestbedAptInventory(t *testing.T) {
	env := testbed.Need(t)
	inv := agree(t, env.AptRoot(), debianOS)
	names := map[string]bool{}
	for _, p := range inv.Packages {
		names[p.Name] = true
		assert.Equal(t, patchkit.StateInstalled, p.State, p.Name)
	}
	for _, n := range []string{"tb-hello", "tb-lib", "tb-tool", "tb-kernel"} {
		assert.True(t, names[n], n)
	}
}

func TestTestbedDebChrootInventory(t *testing.T) {
	env := testbed.NeedChroot(t)
	o, err := osdetect.DetectFS(os.DirFS(env.DebChroot))
	require.NoError(t, err)
	inv := agree(t, env.DebChroot, o)
	assert.Equal(t, "x86_64", inv.Arch)
	assert.Greater(t, len(inv.Packages), 80, "a minbase Debian")
}

func TestTestbedDnfInventory(t *testing.T) {
	env := testbed.Need(t)
	inv := agree(t, env.RPMRoot, fedoraOS)
	assert.Contains(t, inv.Source, "rpmdb.sqlite (sqlite)")
	names := map[string]bool{}
	for _, p := range inv.Packages {
		names[p.Name] = true
		assert.NotEqual(t, "gpg-pubkey", p.Name)
	}
	for _, n := range []string{"tb-hello", "tb-lib", "tb-tool", "kernel-tb"} {
		assert.True(t, names[n], n)
	}
}

func TestTestbedZypperInventory(t *testing.T) {
	env := testbed.Need(t)
	inv := agree(t, env.ZyppRoot, suseOS)
	assert.NotEmpty(t, inv.Packages)
}

// TestReadInventoryFixtures: a real rpm database in a root, and the cases
// around it.
func TestReadInventoryFixtures(t *testing.T) {
	ctx := context.Background()

	// An operating system without a package database: empty, with a note.
	for _, o := range []osdetect.OS{debianOS, fedoraOS} {
		inv, err := ReadInventory(ctx, fstest.MapFS{"etc/os-release": {Data: []byte("ID=x\n")}}, o)
		require.NoError(t, err)
		assert.Empty(t, inv.Packages)
		assert.NotNil(t, inv.Packages, "an empty list, not null")
		assert.Len(t, inv.Notes, 1)
	}

	// An unreadable database: its typed error, no inventory.
	_, err := ReadInventory(ctx, fstest.MapFS{"var/lib/rpm/rpmdb.sqlite": {Data: []byte("SQLite format 3\x00 but nothing else")}}, fedoraOS)
	assert.ErrorIs(t, err, rpmdb.ErrCorrupt)
	_, err = ReadInventory(ctx, fstest.MapFS{"var/lib/dpkg/status": {Data: []byte("Package: a\nPackage: b\n")}}, debianOS)
	assert.ErrorIs(t, err, patchkit.ErrInvalid)

	// No backend for Windows.
	_, err = ReadInventory(ctx, fstest.MapFS{}, osdetect.OS{ID: "windows", PackageManager: osdetect.WindowsUpdate})
	assert.ErrorIs(t, err, ErrUnsupported)
	var ue *UnsupportedError
	require.True(t, errors.As(err, &ue))

	// The dpkg databases of the project's fixtures: sorted, states kept, and
	// the architecture learnt from dpkg's own package.
	dbs, err := filepath.Glob("../testdata/dpkg/db/*")
	require.NoError(t, err)
	require.NotEmpty(t, dbs)
	seen := 0
	for _, d := range dbs {
		inv, err := ReadInventory(ctx, os.DirFS(d), debianOS, WithAdmindir("."))
		if err != nil {
			continue // the malformed ones are scan/dpkg's business
		}
		seen++
		assert.Equal(t, ".", inv.Source)
		for i := 1; i < len(inv.Packages); i++ {
			assert.LessOrEqual(t, comparePackages(inv.Packages[i-1], inv.Packages[i]), 0, "%s: order", d)
		}
	}
	assert.Positive(t, seen)
}
