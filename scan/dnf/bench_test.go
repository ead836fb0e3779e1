package dnf_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/benchdata"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
)

// dnfCheckUpdate runs dnf -q -C check-update on root, whole process, and
// returns how long it took.
func dnfCheckUpdate(b *testing.B, root string) time.Duration {
	env := testbed.Env{RPMRoot: root}
	start := time.Now()
	err := exec.Command("dnf", append(append([]string{"-q", "-C"}, env.DNFArgs()...), "check-update")...).Run()
	d := time.Since(start)
	if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 100) {
		b.Fatal(err)
	}
	return d
}

// BenchmarkTestbedDnfScan compares, in one run, the metadata backend on
// the testbed's dnf root (alone, and with reading the rpm database, as
// dnf does) with dnf -C check-update as a whole process on a copy of the
// root. The ratio metric is the backend's time per operation over the
// median of seven dnf runs made just before.
func BenchmarkTestbedDnfScan(b *testing.B) {
	env := testbed.Need(b)
	testutil.NeedTool(b, "dnf", "dnf")
	c := env.Clone(b)
	var runs []time.Duration
	for range 7 {
		runs = append(runs, dnfCheckUpdate(b, c.RPMRoot))
	}
	slices.Sort(runs)
	median := runs[len(runs)/2]
	fsys := os.DirFS(env.RPMRoot)
	inv := inventory(b, env.RPMRoot)
	now := repomdDate(b, env.RPMRoot).Add(time.Hour)
	ratio := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(time.Since(start))/float64(b.N)/float64(median), "x-dnf")
	}
	b.Run("metadata", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, err := dnf.Check(context.Background(), fsys, inv, dnf.WithArch("x86_64"), dnf.WithNow(now)); err != nil {
				b.Fatal(err)
			}
		}
		ratio(b, start)
	})
	b.Run("metadata+not-installed", func(b *testing.B) {
		start := time.Now()
		n := 0
		for b.Loop() {
			n = 0
			if _, err := dnf.Check(context.Background(), fsys, inv, dnf.WithArch("x86_64"), dnf.WithNow(now),
				dnf.WithNotInstalled(func(patchkit.Patch) { n++ })); err != nil {
				b.Fatal(err)
			}
		}
		ratio(b, start)
		b.ReportMetric(float64(n), "not-installed")
	})
	b.Run("metadata+rpmdb", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			_, pkgs, err := rpmdb.Read(context.Background(), fsys)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := dnf.Check(context.Background(), fsys, pkgs, dnf.WithArch("x86_64"), dnf.WithNow(now)); err != nil {
				b.Fatal(err)
			}
		}
		ratio(b, start)
	})
	b.Run("dnf-check-update", func(b *testing.B) {
		for b.Loop() {
			dnfCheckUpdate(b, c.RPMRoot)
		}
	})
}

// BenchmarkLargePrimary runs the metadata backend over a root whose one
// repository is CentOS Stream 9 AppStream (17,649 packages, 52 MB of
// primary.xml), with one installed package of every tenth name at version
// 0, so that each of them has upgrades: as it is ("updates"), and with
// WithNotInstalled ("not-installed"), which keeps the records of the
// other names. It reads ../shared/data and skips without it. The root
// (configuration and repomd.xml) is made here; no signature is required.
// Besides time and allocations, each reports the heap in use sampled
// every millisecond during one scan made before the timed ones
// (peak-heap-MB), and what is live, after a collection, when the
// repositories are read and the selection begins (live-heap-MB).
func BenchmarkLargePrimary(b *testing.B) {
	pr := benchdata.CentOSAppStream(b, "scan/dnf")
	inv, loc, gz := pr.Installed, pr.Location, pr.Gz
	url := "https://mirror.example.invalid/9-stream/AppStream/x86_64/os/"
	urlSum := sha256.Sum256([]byte(url))
	dir := "var/cache/dnf/appstream-" + hex.EncodeToString(urlSum[:8]) + "/"
	fsys := fstest.MapFS{
		"etc/dnf/dnf.conf":            {Data: []byte("[main]\ngpgcheck=1\n")},
		"etc/yum.repos.d/centos.repo": {Data: []byte("[appstream]\nname=AppStream\nbaseurl=" + url + "\n")},
		dir + "repodata/repomd.xml":   {Data: []byte(pr.Repomd)},
		dir + loc:                     {Data: gz},
	}
	now := time.Unix(1700000000, 0).Add(time.Hour)
	rawLen := pr.Size
	for _, tc := range []struct {
		name string
		on   bool
	}{{"updates", false}, {"not-installed", true}} {
		b.Run(tc.name, func(b *testing.B) {
			n := 0
			scan := func(extra ...dnf.Option) {
				opts := []dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(now)}
				if tc.on {
					opts = append(opts, dnf.WithNotInstalled(func(patchkit.Patch) { n++ }))
				}
				n = 0
				rep, err := dnf.Check(context.Background(), fsys, inv, append(opts, extra...)...)
				if err != nil || rep.Repos[0].Packages != 17649 || len(rep.Patches) < len(inv) {
					b.Fatalf("%v: %+v, %d patches for %d installed", err, rep.Repos, len(rep.Patches), len(inv))
				}
			}
			peak, live := heapOf(func(atSelect func()) {
				scan(dnf.WithProgress(func(p dnf.Progress) {
					if p.Stage == "select" {
						atSelect()
					}
				}))
			})
			b.SetBytes(rawLen)
			b.ResetTimer()
			for b.Loop() {
				scan()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(live)/(1<<20), "live-heap-MB")
			if tc.on {
				if n < 17649/2 || n > 17649 {
					b.Fatalf("%d versions of packages not installed", n)
				}
				b.ReportMetric(float64(n), "not-installed")
			}
		})
	}
}

// heapOf runs f once after a collection, sampling the heap in use every
// millisecond meanwhile (the peak), and, when f calls atSelect, the heap
// live after a collection at that point.
func heapOf(f func(atSelect func())) (peak, live uint64) {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	done, stopped := make(chan struct{}), make(chan struct{})
	var heap repotest.PeakHeap
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				heap.Sample()
			}
		}
	}()
	f(func() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		live = ms.HeapAlloc - min(ms.HeapAlloc, base.HeapAlloc)
	})
	close(done)
	<-stopped
	return heap.Peak - min(heap.Peak, base.HeapAlloc), live
}
