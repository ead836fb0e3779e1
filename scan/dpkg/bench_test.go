package dpkg

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/heappeak"
	"github.com/patchkit/patchkit/internal/testutil"
)

// BenchmarkRead reads this machine's dpkg database in process (install
// times included). It reports the bytes and allocations of one Read, and,
// from one more Read outside the timed loop (internal/heappeak), the most
// heap it took while it ran (peak-heap-MiB) and what its result keeps
// (result-heap-MiB): a peak near the result shows the status file is
// streamed, not held whole.
func BenchmarkRead(b *testing.B) {
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		b.Skip("this machine has no dpkg database")
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		ps, err := Read(context.Background(), os.DirFS("/"))
		if err != nil {
			b.Fatal(err)
		}
		n = len(ps)
	}
	b.ReportMetric(float64(n), "packages")
	var kept []patchkit.Package
	u := heappeak.Measure(func() {
		var err error
		if kept, err = Read(context.Background(), os.DirFS("/")); err != nil {
			b.Fatal(err)
		}
	})
	runtime.KeepAlive(kept)
	b.ReportMetric(heappeak.MiB(u.Peak), "peak-heap-MiB")
	b.ReportMetric(heappeak.MiB(u.Retained), "result-heap-MiB")
	if fi, err := os.Stat("/var/lib/dpkg/status"); err == nil {
		b.ReportMetric(heappeak.MiB(uint64(fi.Size())), "status-file-MiB")
	}
}

// BenchmarkParseStatus parses a committed status file from memory.
func BenchmarkParseStatus(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(testdata, "db", "debian-12-minbase", "status"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseStatus(context.Background(), "status", bytes.NewReader(data), func(patchkit.Package) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// readMain is the program BenchmarkReadVersusDpkgQuery runs: it reads this
// machine's database as a user of the package would, and prints how many
// packages it found and how long Read took in the process, in nanoseconds.
const readMain = `package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/patchkit/patchkit/scan/dpkg"
)

func main() {
	start := time.Now()
	ps, err := dpkg.Read(context.Background(), os.DirFS("/"))
	d := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(len(ps), d.Nanoseconds())
}
`

// BenchmarkReadVersusDpkgQuery times, in the same run, three whole
// processes per iteration: a small program that calls Read on this
// machine's database (install times included), plain dpkg-query -W (the
// reference: the aim is ours/dpkg-query-W at most 0.5), and dpkg-query -W
// with QueryFormat, which prints what Read returns (Query's command). The
// order of the three turns from one iteration to the next, so that none
// is always first after the others warmed the caches. It reports the mean
// of each, the two ratios, and the time Read took inside the program.
func BenchmarkReadVersusDpkgQuery(b *testing.B) {
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		b.Skip("this machine has no dpkg database")
	}
	dq := testutil.NeedTool(b, "dpkg-query", "dpkg")
	gobin := testutil.NeedGo(b)
	dir := b.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(readMain), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "readdpkg")
	build := exec.Command(gobin, "build", "-o", bin, src)
	build.Dir = "../.." // the module root, so that the program imports this package
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	env := append(os.Environ(), "LC_ALL=C")
	runOnce := func(name string, args ...string) ([]byte, time.Duration) {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		start := time.Now()
		out, err := cmd.Output()
		d := time.Since(start)
		if err != nil || len(out) == 0 {
			b.Fatalf("%s: %v", name, err)
		}
		return out, d
	}
	// Both programs list the same packages, one line each for dpkg-query.
	listed, _ := runOnce(dq, "-W")
	want := bytes.Count(listed, []byte("\n"))
	var ours, plain, formatted, inproc time.Duration
	runs := []func(){
		func() {
			out, d := runOnce(bin)
			ours += d
			var n int
			var ns int64
			if _, err := fmt.Sscan(string(out), &n, &ns); err != nil {
				b.Fatalf("%s printed %q: %v", bin, out, err)
			}
			inproc += time.Duration(ns)
			if n != want {
				b.Fatalf("Read listed %d packages, dpkg-query -W %d", n, want)
			}
		},
		func() {
			out, d := runOnce(dq, "-W")
			plain += d
			if n := bytes.Count(out, []byte("\n")); n != want {
				b.Fatalf("dpkg-query -W listed %d packages, then %d", want, n)
			}
		},
		func() {
			_, d := runOnce(dq, "--show", "--showformat="+QueryFormat)
			formatted += d
		},
	}
	i := 0
	for b.Loop() {
		for k := range runs {
			runs[(i+k)%len(runs)]()
		}
		i++
	}
	perOp := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(i) / 1000 }
	b.ReportMetric(perOp(ours), "ours-ms/op")
	b.ReportMetric(perOp(inproc), "ours-read-ms/op")
	b.ReportMetric(perOp(plain), "dpkg-query-W-ms/op")
	b.ReportMetric(perOp(formatted), "dpkg-query-format-ms/op")
	b.ReportMetric(float64(ours)/float64(plain), "ours/dpkg-query-W")
	b.ReportMetric(float64(ours)/float64(formatted), "ours/dpkg-query-format")
}

// BenchmarkParseHostStatus parses this machine's status file from memory:
// the cost of the parser alone on a database of real size.
func BenchmarkParseHostStatus(b *testing.B) {
	data, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		b.Skip("this machine has no dpkg database")
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		if err := ParseStatus(context.Background(), "status", bytes.NewReader(data), func(patchkit.Package) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "packages")
}
