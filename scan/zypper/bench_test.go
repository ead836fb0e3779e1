package zypper

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/scan/rpmdb"
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
