package apt

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// readHostLists verifies and parses every Debian list of this machine (the
// InRelease signatures, the hash of each decompressed Packages file, every
// stanza into a record) and returns the record count and the largest heap
// seen while doing it.
func readHostLists(b *testing.B, pol repo.Policy, repos []Repo) (int, uint64) {
	var heap repotest.PeakHeap
	n := 0
	for _, r := range repos {
		snap, err := OpenLists(context.Background(), pol, os.DirFS(hostLists), r)
		if err != nil {
			b.Fatal(err)
		}
		for _, err := range snap.Packages(context.Background()) {
			if err != nil {
				b.Fatal(err)
			}
			n++
			if n%4096 == 0 {
				heap.Sample()
			}
		}
		heap.Sample()
	}
	return n, heap.Peak
}

// BenchmarkHostListsVsDumpavail reads the Debian bookworm lists of this
// machine (main, -updates, -security for amd64; lz4-compressed by apt), and
// in the same iteration times `apt-cache dumpavail` printing the same lists
// to /dev/null. It reports both times, the speed-up, the number of records
// and the peak heap of the Go side.
func BenchmarkHostListsVsDumpavail(b *testing.B) {
	repos := hostRepos(b)
	aptCache, err := exec.LookPath("apt-cache")
	if err != nil {
		b.Skip("apt-cache not installed")
	}
	pol := repo.DefaultPolicy()
	var ours, theirs time.Duration
	var peak uint64
	var n int
	for b.Loop() {
		runtime.GC()
		start := time.Now()
		k, p := readHostLists(b, pol, repos)
		ours += time.Since(start)
		n, peak = k, max(peak, p)

		cmd := exec.Command(aptCache, "dumpavail")
		devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		cmd.Stdout = devnull
		start = time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		theirs += time.Since(start)
		devnull.Close()
	}
	iters := float64(b.N)
	b.ReportMetric(float64(ours.Milliseconds())/iters, "patchkit-ms/op")
	b.ReportMetric(float64(theirs.Milliseconds())/iters, "dumpavail-ms/op")
	b.ReportMetric(float64(theirs)/float64(ours), "speedup")
	b.ReportMetric(float64(n), "records")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkHostMainPackages is the Go side alone, for the main list only
// (about 50 MB, 63,000 stanzas), with allocation figures.
func BenchmarkHostMainPackages(b *testing.B) {
	var main []Repo
	for _, r := range hostRepos(b) {
		if r.Suite == "bookworm" {
			main = append(main, r)
		}
	}
	if len(main) == 0 {
		b.Skip("no bookworm main source")
	}
	pol := repo.DefaultPolicy()
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		runtime.GC()
		_, p := readHostLists(b, pol, main)
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkHostLists is the Go side alone over all the Debian lists that
// `apt-cache dumpavail` prints (main, -updates, -security).
func BenchmarkHostLists(b *testing.B) {
	repos := hostRepos(b)
	pol := repo.DefaultPolicy()
	b.ReportAllocs()
	var peak uint64
	n := 0
	for b.Loop() {
		runtime.GC()
		var p uint64
		n, p = readHostLists(b, pol, repos)
		peak = max(peak, p)
	}
	b.ReportMetric(float64(n), "records")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// hostMainText returns the decompressed main Packages list of this
// machine, or skips.
func hostMainText(b *testing.B) []byte {
	file := hostLists + "/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"
	data, err := decompress.ReadFile(file, decompress.LZ4, decompress.Limits{Output: 1 << 30})
	if err != nil {
		b.Skip(err)
	}
	return data
}

// BenchmarkParseHostMain is the parser alone over the main list already in
// memory, returning each record (ParsePackagesBytes) or holding them
// until the end as the lists reader does for apt's recompressed lists.
func BenchmarkParseHostMain(b *testing.B) {
	data := hostMainText(b)
	b.Run("direct", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range ParsePackagesBytes("Packages", data, ParseOptions{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
	})
	b.Run("held", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			st := newReadState(nil)
			p := newParser("Packages", 0, nil, st.in)
			p.hold = &st.hold
			for c := data; len(c) > 0; {
				k := min(len(c), chunkSize)
				p.feed(c[:k])
				c = c[k:]
			}
			p.end()
			n := 0
			st.hold.each(context.Background(), st.in, nil, func(_ Package, err error) bool {
				if err != nil {
					b.Fatal(err)
				}
				n++
				return true
			})
		}
	})
}

// BenchmarkOpenListsHost is OpenLists alone on this machine's Debian
// lists: reading and verifying each InRelease, parsing the Release and
// choosing the indexes.
func BenchmarkOpenListsHost(b *testing.B) {
	repos := hostRepos(b)
	pol := repo.DefaultPolicy()
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range repos {
			if _, err := OpenLists(context.Background(), pol, os.DirFS(hostLists), r); err != nil {
				b.Fatal(err)
			}
		}
	}
}
