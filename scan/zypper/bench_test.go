package zypper

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/benchdata"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// TestMain doubles as the scanning process the whole-process benchmark
// times: with PATCHKIT_ZYPPER_SCAN set to a root, it reads the root's rpm
// database and runs the metadata backend on it (keys from the same
// database), prints the number of candidates and exits.
func TestMain(m *testing.M) {
	if root := os.Getenv("PATCHKIT_ZYPPER_SCAN"); root != "" {
		ctx := context.Background()
		fsys := os.DirFS(root)
		_, installed, err := rpmdb.Read(ctx, fsys)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		ups, _, err := Updates(ctx, fsys, installed, WithArch("x86_64"), WithNow(time.Now()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n := 0
		for _, p := range ups {
			if p.Candidate {
				n++
			}
		}
		fmt.Println(n)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// BenchmarkTestbedZypperMetadataVsZypperLU times, in the same iterations,
// a whole process running the metadata backend on the testbed's zypper
// root (this test binary re-executed: rpm database, zypp.conf, repository
// files, locks, signature checks, primary and updateinfo) and `zypper
// --no-refresh --root R list-updates` on the same root, and reports both
// and their ratio (ours/zypper; the target is at most 0.5).
func BenchmarkTestbedZypperMetadataVsZypperLU(b *testing.B) {
	env := testbed.Need(b)
	root := env.ZyppRoot
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var ours, theirs time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "PATCHKIT_ZYPPER_SCAN="+root)
		out, err := cmd.Output()
		if err != nil || string(out) != "4\n" {
			b.Fatalf("scan process: %q %v", out, err)
		}
		t1 := time.Now()
		z := exec.Command("zypper", "--non-interactive", "--no-refresh", "--root", root, "list-updates")
		z.Env = append(os.Environ(), "LC_ALL=C", "ZYPP_LOCK_TIMEOUT=60")
		if out, err := z.Output(); err != nil {
			b.Fatalf("zypper: %v\n%s", err, out)
		}
		t2 := time.Now()
		ours += t1.Sub(t0)
		theirs += t2.Sub(t1)
		n++
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(n)/1e6, "ms-ours/op")
	b.ReportMetric(float64(theirs.Nanoseconds())/float64(n)/1e6, "ms-zypper/op")
	b.ReportMetric(float64(ours)/float64(theirs), "ratio")
}

// BenchmarkRead runs the metadata backend in process on the recorded
// testbed root (keys given, so the rpm database is not read).
func BenchmarkRead(b *testing.B) {
	f := loadFixture(b, "testbed")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(context.Background(), f.fsys, f.installed, WithArch("x86_64"), WithNow(f.meta.Now), WithKeyring(f.keys)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadNotInstalled is BenchmarkRead with WithNotInstalled (the
// recorded testbed root has two versions of a package not installed).
func BenchmarkReadNotInstalled(b *testing.B) {
	f := loadFixture(b, "testbed")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		if _, err := Read(context.Background(), f.fsys, f.installed, WithArch("x86_64"), WithNow(f.meta.Now), WithKeyring(f.keys),
			WithNotInstalled(func(patchkit.Patch) { n++ })); err != nil {
			b.Fatal(err)
		}
	}
	if n != 2 {
		b.Fatalf("%d versions not installed, want 2", n)
	}
}

// BenchmarkLargePrimary runs the metadata backend over a root whose one
// repository (no signature check) is CentOS Stream 9 AppStream (17,649
// packages, 52 MB of primary.xml), with one installed package of every
// tenth name at version 0, so that each of them has updates: without
// WithNotInstalled, and with it (the packages of the other names, every
// version, are passed on). It reads ../shared/data and skips without it.
// The root (configuration and repomd.xml) is made here.
func BenchmarkLargePrimary(b *testing.B) {
	fsys, inv, size := largeRoot(b)
	now := time.Unix(1700000000, 0).Add(time.Hour)
	for _, with := range []bool{false, true} {
		name := "updates"
		if with {
			name = "updates+notinstalled"
		}
		b.Run(name, func(b *testing.B) {
			opts := []Option{WithArch("x86_64"), WithNow(now), WithKeyring(nil)}
			others := 0
			if with {
				opts = append(opts, WithNotInstalled(func(patchkit.Patch) { others++ }))
			}
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				others = 0
				ups, repos, err := Updates(context.Background(), fsys, inv, opts...)
				if err != nil || repos[0].Packages != 17649 || len(ups) < len(inv) || with != (others > 0) {
					b.Fatalf("%v: %+v, %d updates for %d installed, %d not installed", err, repos, len(ups), len(inv), others)
				}
			}
			b.ReportMetric(float64(others), "not-installed")
		})
	}
}

// largeRoot makes the root of BenchmarkLargePrimary and its inventory,
// and returns the size of primary.xml.
func largeRoot(b testing.TB) (fstest.MapFS, []patchkit.Package, int64) {
	pr := benchdata.CentOSAppStream(b, "scan/zypper")
	fsys := fstest.MapFS{
		"etc/zypp/repos.d/appstream.repo":                  {Data: []byte("[appstream]\nenabled=1\nbaseurl=https://mirror.example.invalid/9-stream/AppStream/x86_64/os/\ngpgcheck=0\n")},
		"var/cache/zypp/raw/appstream/repodata/repomd.xml": {Data: []byte(pr.Repomd)},
		"var/cache/zypp/raw/appstream/" + pr.Location:      {Data: pr.Gz},
	}
	return fsys, pr.Installed, pr.Size
}

// BenchmarkTestbedNativeInstalledVersions runs NativeUpdates with real
// zypper on a copy of the testbed's root, without and with
// NativeInstalledVersions (two more zypper runs, repos and search
// --installed-only).
func BenchmarkTestbedNativeInstalledVersions(b *testing.B) {
	env := testbed.Need(b)
	testutil.NeedTool(b, "zypper", "zypper")
	root := env.Clone(b).ZyppRoot
	ctx := context.Background()
	local, err := run.NewLocal()
	if err != nil {
		b.Fatal(err)
	}
	installed, err := rpmdb.Query(ctx, local, rpmdb.WithRoot(root))
	if err != nil {
		b.Fatal(err)
	}
	for _, with := range []bool{false, true} {
		b.Run(fmt.Sprintf("installed=%v", with), func(b *testing.B) {
			want := 4
			if with {
				want = 9 // four candidates, five installed versions
			}
			for b.Loop() {
				got, err := NativeUpdates(ctx, local, installed, NativeRoot(root), NativeInstalledVersions(with))
				if err != nil || len(got) != want {
					b.Fatalf("%d versions, %v; want %d", len(got), err, want)
				}
			}
		})
	}
}
