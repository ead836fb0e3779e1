package dpkg

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testutil"
)

// BenchmarkRead reads this machine's dpkg database in process (install
// times included); with -benchmem it reports the bytes and allocations of
// one Read.
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

const readMain = `package main

import (
	"context"
	"fmt"
	"os"

	"github.com/patchkit/patchkit/scan/dpkg"
)

func main() {
	ps, err := dpkg.Read(context.Background(), os.DirFS("/"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(len(ps))
}
`

// BenchmarkReadVersusDpkgQuery times, in the same run, two whole processes
// per iteration: a small program that calls Read on this machine's
// database, and dpkg-query -W with QueryFormat. It reports the mean of
// each and their ratio (ours/dpkg-query; the aim is at most 0.5).
func BenchmarkReadVersusDpkgQuery(b *testing.B) {
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		b.Skip("this machine has no dpkg database")
	}
	dq := testutil.NeedTool(b, "dpkg-query", "dpkg")
	gobin := testutil.NeedTool(b, "go", "golang-go")
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
	runOnce := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		start := time.Now()
		out, err := cmd.Output()
		d := time.Since(start)
		if err != nil || len(out) == 0 {
			b.Fatalf("%s: %v", name, err)
		}
		return d
	}
	var ours, theirs time.Duration
	for b.Loop() {
		ours += runOnce(bin)
		theirs += runOnce(dq, "--show", "--showformat="+QueryFormat)
	}
	b.ReportMetric(float64(ours.Microseconds())/float64(b.N)/1000, "ours-ms/op")
	b.ReportMetric(float64(theirs.Microseconds())/float64(b.N)/1000, "dpkg-query-ms/op")
	b.ReportMetric(float64(ours)/float64(theirs), "ours/dpkg-query")
}
