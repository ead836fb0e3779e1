package zypper

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// BenchmarkParseOutput parses recorded zypper outputs: a dry run's plan
// and a transaction's output with its failures.
func BenchmarkParseOutput(b *testing.B) {
	for _, f := range []string{"happy/02-zypper-install-dry-run.txt", "happy/04-zypper-install.txt", "scriptlet-pre/02-zypper-install.txt"} {
		data, err := os.ReadFile(filepath.Join(recordDir, f))
		if err != nil {
			b.Fatal(err)
		}
		rec, err := run.ParseRecording(f, data)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Dir(f)+"/"+label(rec.Argv), func(b *testing.B) {
			b.SetBytes(int64(len(rec.Stdout)))
			b.ReportAllocs()
			for b.Loop() {
				o, err := ParseOutput("bench", bytes.NewReader(rec.Stdout))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := o.plan(); err != nil {
					b.Fatal(err)
				}
				failures(o.texts())
			}
		})
	}
}

// timing wraps a runner and adds up how long its commands ran (process
// start to exit, as run.Local measures it).
type timing struct {
	r     run.Runner
	mu    sync.Mutex
	total time.Duration
}

func (tm *timing) Run(ctx context.Context, c run.Command) (run.Result, error) {
	res, err := tm.r.Run(ctx, c)
	tm.mu.Lock()
	tm.total += res.Duration
	tm.mu.Unlock()
	return res, err
}

// report gives zypper's time per operation, patchkit's own (the wall time
// of the calls less zypper's), and the second as a share of the first.
func (tm *timing) report(b *testing.B, wall time.Duration, n int) {
	own := wall - tm.total
	b.ReportMetric(float64(tm.total.Microseconds())/1000/float64(n), "zypper-ms/op")
	b.ReportMetric(float64(own.Microseconds())/float64(n), "patchkit-us/op")
	b.ReportMetric(100*float64(own)/float64(tm.total), "overhead-%")
}

// BenchmarkTestbedZypperPlan measures Plan on a clone of the testbed's
// zypper root (three targets, one of them pulling in a new dependency)
// against zypper's own time for the same dry run.
func BenchmarkTestbedZypperPlan(b *testing.B) {
	z := newRoot(b, []string{"tb-dep"}, "tbx")
	l, err := run.NewLocal()
	if err != nil {
		b.Fatal(err)
	}
	tm := &timing{r: l}
	targets := []plan.Target{z.target(b, "tb-lib", "2.0", "2"), z.target(b, "tb-hello", "1.1", "1"), z.target(b, "tb-dep", "1.1", "1")}
	n := 0
	start := time.Now()
	for b.Loop() {
		if _, err := Plan(b.Context(), tm, targets, WithRoot(z.root)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	tm.report(b, time.Since(start), n)
}

// BenchmarkTestbedZypperApply measures Apply (download phase and commit)
// on a clone of the testbed's zypper root, moving tb-hello between 1.0-1
// and 1.1-1 (AllowDowngrades for the way back), against zypper's own time
// for the same two runs.
func BenchmarkTestbedZypperApply(b *testing.B) {
	z := newRoot(b, nil)
	l, err := run.NewLocal()
	if err != nil {
		b.Fatal(err)
	}
	tm := &timing{r: l}
	up := z.target(b, "tb-hello", "1.1", "1")
	down := up
	down.Version.Version = "1.0"
	n := 0
	start := time.Now()
	for b.Loop() {
		t := up
		if n%2 == 1 {
			t = down
		}
		out, err := Apply(b.Context(), tm, []plan.Target{t}, WithRoot(z.root), AllowDowngrades())
		if err != nil || out.ExitCode != 0 {
			b.Fatal(out.ExitCode, err)
		}
		n++
	}
	tm.report(b, time.Since(start), n)
}
