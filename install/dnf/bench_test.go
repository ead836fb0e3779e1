package dnf_test

import (
	"context"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/run"
)

// timed is a runner that adds up how long the commands it ran took.
type timed struct {
	r     run.Runner
	mu    sync.Mutex
	spent time.Duration
	n     int
}

func (t *timed) Run(ctx context.Context, c run.Command) (run.Result, error) {
	start := time.Now()
	res, err := t.r.Run(ctx, c)
	t.mu.Lock()
	t.spent += time.Since(start)
	t.n++
	t.mu.Unlock()
	return res, err
}

// BenchmarkTestbedDnfPlan measures, in one run on a copy of the testbed's
// dnf root (from dnf's cache, -C), dnf's own time for the transaction
// (`dnf -v --assumeno -C upgrade` of the four testbed updates, as a whole
// process, the median of seven runs) against dnf.Plan for the same
// targets. Metrics: own-ms is patchkit's own time per Plan (its wall time
// less the time its commands ran: building them, parsing, checking),
// own/dnf that over dnf's time (the target is at most 0.10), plan/dnf the
// whole Plan (which also runs the size queries) over dnf's time.
func BenchmarkTestbedDnfPlan(b *testing.B) {
	env := testbed.Need(b)
	testutil.NeedTool(b, "dnf", "dnf")
	c := env.Clone(b)
	root := c.RPMRoot
	targets := testbedTargets(b, root)
	cmds, err := dnf.NewCommands(targets, rootOpts(root, dnf.WithCacheOnly(true))...)
	if err != nil {
		b.Fatal(err)
	}
	var runs []time.Duration
	for range 7 {
		argv := cmds.Plan.Argv()
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(cmd.Environ(), "LC_ALL=C")
		start := time.Now()
		err := cmd.Run()
		runs = append(runs, time.Since(start))
		if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
			b.Fatal(err)
		}
	}
	slices.Sort(runs)
	dnfTime := runs[len(runs)/2]
	l, err := run.NewLocal()
	if err != nil {
		b.Fatal(err)
	}
	tr := &timed{r: l}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := dnf.Plan(context.Background(), tr, targets, rootOpts(root, dnf.WithCacheOnly(true))...); err != nil {
			b.Fatal(err)
		}
	}
	wall := time.Since(start)
	own := (wall - tr.spent) / time.Duration(b.N)
	b.ReportMetric(float64(own.Microseconds())/1000, "own-ms")
	b.ReportMetric(float64(own)/float64(dnfTime), "own/dnf")
	b.ReportMetric(float64(wall/time.Duration(b.N))/float64(dnfTime), "plan/dnf")
	b.ReportMetric(float64(dnfTime.Microseconds())/1000, "dnf-ms")
}

// BenchmarkParsePlan parses a recorded plan (three packages, with -v).
func BenchmarkParsePlan(b *testing.B) {
	out := loadSet(b, "kernels")[0].Stdout
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := dnf.ParsePlan(out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFailures reads the failures of a recorded transaction.
func BenchmarkParseFailures(b *testing.B) {
	r := loadSet(b, "scriptlet")[3]
	b.SetBytes(int64(len(r.Stdout) + len(r.Stderr)))
	for b.Loop() {
		if len(dnf.ParseFailures(r.Stdout, r.Stderr)) != 1 {
			b.Fatal("no failure")
		}
	}
}
