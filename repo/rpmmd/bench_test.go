package rpmmd

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/repotest"
)

const centosPrimary = "../../../shared/data/centos-stream9-appstream-primary.xml.gz"

// plainPrimary decompresses the CentOS Stream 9 AppStream primary.xml.gz
// once into a temporary directory, or skips without it.
func plainPrimary(b *testing.B) string {
	b.Helper()
	f, err := os.Open(centosPrimary)
	if err != nil {
		b.Skip("benchmark data not present: ", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "primary.xml")
	w, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(w, zr); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return out
}

func parseFile(b *testing.B, path string) (int, uint64) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var heap repotest.PeakHeap
	n := 0
	for _, err := range ParsePrimary("primary.xml", bufio.NewReaderSize(f, 1<<16), Limits{}) {
		if err != nil {
			b.Fatal(err)
		}
		n++
		if n%2048 == 0 {
			heap.Sample()
		}
	}
	return n, heap.Peak
}

// BenchmarkPrimaryVsRpmmd2solv parses the real CentOS Stream 9 AppStream
// primary.xml (51,840,420 bytes, 17,649 packages) from a file, and in the
// same iteration runs libsolv's rpmmd2solv on the same file, reporting both
// times and the speed-up.
func BenchmarkPrimaryVsRpmmd2solv(b *testing.B) {
	path := plainPrimary(b)
	tool, err := exec.LookPath("rpmmd2solv")
	if err != nil {
		b.Skip("rpmmd2solv not installed (Debian package libsolv-tools)")
	}
	var ours, theirs time.Duration
	var peak uint64
	var n int
	for b.Loop() {
		runtime.GC()
		start := time.Now()
		k, p := parseFile(b, path)
		ours += time.Since(start)
		n, peak = k, max(peak, p)
		if n != 17649 {
			b.Fatalf("%d packages", n)
		}
		in, _ := os.Open(path)
		devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		cmd := exec.Command(tool)
		cmd.Stdin, cmd.Stdout = in, devnull
		start = time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		theirs += time.Since(start)
		in.Close()
		devnull.Close()
	}
	iters := float64(b.N)
	b.ReportMetric(float64(ours.Milliseconds())/iters, "patchkit-ms/op")
	b.ReportMetric(float64(theirs.Milliseconds())/iters, "rpmmd2solv-ms/op")
	b.ReportMetric(float64(theirs)/float64(ours), "speedup")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkPrimary is the Go side alone, with throughput and allocations.
func BenchmarkPrimary(b *testing.B) {
	path := plainPrimary(b)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		parseFile(b, path)
	}
}
