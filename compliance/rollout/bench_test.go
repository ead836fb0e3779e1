package rollout_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/compliance/rollout"
)

// BenchmarkRun measures the dispatcher's own cost: executors that return a
// report at once, 10,000 targets per run. ns/target and allocs/target are
// per target.
func BenchmarkRun(b *testing.B) {
	const n = 10_000
	targets := make([]int, n)
	for i := range targets {
		targets[i] = i
	}
	rep := &compliance.Report{}
	exec := func(ctx context.Context, i int) (*compliance.Report, error) { return rep, nil }
	for _, conc := range []string{"1", "50", "100%"} {
		b.Run("concurrency="+conc, func(b *testing.B) {
			rate := mustRate(b, conc, "0")
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				seq, err := rollout.Run(context.Background(), targets, rate, exec)
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for r := range seq {
					if r.Status != rollout.Succeeded {
						b.Fatal(r.Err)
					}
					got++
				}
				if got != n {
					b.Fatalf("%d results", got)
				}
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/target")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*n), "allocs/target")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N*n), "B/target")
		})
	}
}
