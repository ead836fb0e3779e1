package apt

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dpkg"
)

// hostInventory reads this machine's dpkg database, or skips when there
// are no apt lists to scan.
func hostInventory(b *testing.B) []patchkit.Package {
	b.Helper()
	if _, err := os.Stat("/var/lib/apt/lists"); err != nil {
		b.Skip("no apt lists on this machine")
	}
	inv, err := dpkg.Read(context.Background(), os.DirFS("/"))
	if err != nil {
		b.Skip("no dpkg database: ", err)
	}
	return inv
}

// heapPeak samples the heap's live objects every millisecond (without
// stopping the world) until stop is called, and returns the largest.
func heapPeak() (stop func() uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := func() {
		metrics.Read(s)
		mu.Lock()
		peak = max(peak, s[0].Value.Uint64())
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		sample()
		close(done)
		wg.Wait()
		return peak
	}
}

// BenchmarkUpdatesHostVsAptList runs the metadata backend on this
// machine's own apt configuration and lists (verifying every InRelease and
// Packages file, reading every record, computing apt's policy for every
// installed package) and, in the same iteration, `apt list --upgradable`
// as a whole process, which parses the same lists; it reports both times,
// their ratio, and the peak heap of the Go side.
func BenchmarkUpdatesHostVsAptList(b *testing.B) {
	inv := hostInventory(b)
	apt, err := exec.LookPath("apt")
	if err != nil {
		b.Skip("apt not installed")
	}
	arch := nodeArch(b)
	var ours, theirs time.Duration
	var peak uint64
	patches := 0
	for b.Loop() {
		runtime.GC()
		stop := heapPeak()
		start := time.Now()
		ps, _, err := Updates(context.Background(), os.DirFS("/"), inv, WithArch(arch), WithNow(time.Now()))
		ours += time.Since(start)
		peak = max(peak, stop())
		if err != nil {
			b.Fatal(err)
		}
		patches = len(ps)

		cmd := exec.Command(apt, "list", "--upgradable")
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		start = time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		theirs += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(ours.Microseconds())/n/1000, "patchkit-ms/op")
	b.ReportMetric(float64(theirs.Microseconds())/n/1000, "apt-list-ms/op")
	b.ReportMetric(float64(ours)/float64(theirs), "ratio")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(patches), "patches")
}

// BenchmarkUpdatesHost is the metadata backend alone on this machine, with
// allocation figures.
func BenchmarkUpdatesHost(b *testing.B) {
	inv := hostInventory(b)
	arch := nodeArch(b)
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		runtime.GC()
		stop := heapPeak()
		_, _, err := Updates(context.Background(), os.DirFS("/"), inv, WithArch(arch), WithNow(time.Now()))
		peak = max(peak, stop())
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkUpdatesHostNotInstalled is BenchmarkUpdatesHost with
// WithNotInstalled: every version of the ~63,000 packages this machine
// does not have also goes to a callback (which only counts them).
func BenchmarkUpdatesHostNotInstalled(b *testing.B) {
	inv := hostInventory(b)
	arch := nodeArch(b)
	b.ReportAllocs()
	var peak uint64
	n := 0
	for b.Loop() {
		runtime.GC()
		stop := heapPeak()
		n = 0
		_, _, err := Updates(context.Background(), os.DirFS("/"), inv, WithArch(arch), WithNow(time.Now()),
			WithNotInstalled(func(patchkit.Patch) { n++ }))
		peak = max(peak, stop())
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(n), "not-installed")
}

// BenchmarkParseSimulation parses the host's recorded apt-get -s output.
func BenchmarkParseSimulation(b *testing.B) {
	data, err := os.ReadFile(recDir + "/host-apt-get.txt")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSimulation(data); err != nil {
			b.Fatal(err)
		}
	}
}
