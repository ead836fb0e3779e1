package rpmdb

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/heappeak"
)

// TestMain doubles as the reader process the whole-process benchmark
// times: with PATCHKIT_RPMDB_READ set to a root, it reads that root's rpm
// database, prints the package count and exits.
func TestMain(m *testing.M) {
	if root := os.Getenv("PATCHKIT_RPMDB_READ"); root != "" {
		_, ps, err := Read(context.Background(), os.DirFS(root))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(len(ps))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func benchFixture(b *testing.B, name string) fixture {
	for _, f := range fixtures() {
		if f.name == name {
			return f
		}
	}
	b.Fatalf("no fixture %s", name)
	return fixture{}
}

// BenchmarkRead reads whole databases in process: time, bytes and
// allocations per database, and, from one more Read outside the timed loop
// (internal/heappeak), the most heap it took while it ran (peak-heap-MiB)
// beside what its result keeps (result-heap-MiB) and the database file's
// size (db-file-MiB): a peak well under the file shows the database is
// read a page at a time, not copied whole.
func BenchmarkRead(b *testing.B) {
	for _, name := range []string{"centos8-modularitylabel", "rockylinux-9.2", "fedora35", "sle15-bci"} {
		f := benchFixture(b, name)
		root := f.root(b)
		fsys := os.DirFS(root)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				_, ps, err := Read(context.Background(), fsys)
				if err != nil {
					b.Fatal(err)
				}
				n = len(ps)
			}
			b.ReportMetric(float64(n), "packages")
			var (
				db   Database
				kept []patchkit.Package
			)
			u := heappeak.Measure(func() {
				var err error
				if db, kept, err = Read(context.Background(), fsys); err != nil {
					b.Fatal(err)
				}
			})
			runtime.KeepAlive(kept)
			b.ReportMetric(heappeak.MiB(u.Peak), "peak-heap-MiB")
			b.ReportMetric(heappeak.MiB(u.Retained), "result-heap-MiB")
			if fi, err := fs.Stat(fsys, db.Resolved); err == nil {
				b.ReportMetric(heappeak.MiB(uint64(fi.Size())), "db-file-MiB")
			}
		})
	}
}

// BenchmarkWholeProcessVsRPM times, in the same iterations, a process that
// reads the database with this package (this test binary re-executed) and
// `rpm -qa` on the same database, and reports both and their ratio
// (ours/rpm; the target is at most 1.0). BerkeleyDB: the 518-package CentOS 8
// database; sqlite: Rocky Linux 9.2 and Fedora 35.
func BenchmarkWholeProcessVsRPM(b *testing.B) {
	rpm, err := exec.LookPath("rpm")
	if err != nil {
		b.Skip("rpm is not installed (Debian package rpm)")
	}
	for _, name := range []string{"centos8-modularitylabel", "rockylinux-9.2", "fedora35"} {
		f := benchFixture(b, name)
		root := f.root(b)
		args := []string{"--dbpath", filepath.Join(root, f.dir), "-qa"}
		if f.format == BerkeleyDB {
			args = append([]string{"--define", "_db_backend bdb_ro"}, args...)
		}
		b.Run(name, func(b *testing.B) {
			var ours, theirs time.Duration
			for b.Loop() {
				runtime.GC()
				cmd := exec.Command(os.Args[0])
				cmd.Env = append(os.Environ(), "PATCHKIT_RPMDB_READ="+root)
				start := time.Now()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				ours += time.Since(start)
				cmd = exec.Command(rpm, args...)
				start = time.Now()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				theirs += time.Since(start)
			}
			n := float64(b.N)
			b.ReportMetric(float64(ours.Microseconds())/n, "ours-µs/op")
			b.ReportMetric(float64(theirs.Microseconds())/n, "rpm-µs/op")
			b.ReportMetric(float64(ours)/float64(theirs), "ours/rpm")
		})
	}
}
