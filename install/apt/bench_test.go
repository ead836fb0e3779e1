//go:build linux

package apt

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/run"
)

// timedRunner adds up the wall time spent in the commands it runs (from
// the call to the runner until the process was reaped: fork, exec, the
// package manager's work).
type timedRunner struct {
	r  run.Runner
	mu sync.Mutex
	d  time.Duration
}

func (t *timedRunner) Run(ctx context.Context, c run.Command) (run.Result, error) {
	start := time.Now()
	res, err := t.r.Run(ctx, c)
	t.mu.Lock()
	t.d += time.Since(start)
	t.mu.Unlock()
	return res, err
}

// reportOverhead reports the package manager's time, patchkit's own time
// (the rest of the wall time) and the ratio of the two.
func reportOverhead(b *testing.B, total, pm time.Duration, n int) {
	own := total - pm
	b.ReportMetric(float64(pm.Microseconds())/1000/float64(n), "pm-ms/op")
	b.ReportMetric(float64(own.Microseconds())/1000/float64(n), "own-ms/op")
	b.ReportMetric(100*float64(own)/float64(pm), "own-%")
}

// BenchmarkTestbedPlan runs Plan for real on the testbed: the four
// updates of the private root, and every pending upgrade of the Debian
// chroot (18, Debian's own with them). Plan changes nothing, so the roots
// are used as they are (the private root cloned once, the chroot read
// only). It reports apt's time and patchkit's own.
func BenchmarkTestbedPlan(b *testing.B) {
	env := testbed.Need(b)
	testutil.NeedTool(b, "apt-get", "apt")
	l, err := run.NewLocal()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("private", func(b *testing.B) {
		c := env.Clone(b)
		targets := upgradeTargets(b, mustInventory(b, c.AptRoot()))
		benchPlan(b, l, targets, []Option{AptConfig(c.AptConfig)})
	})
	b.Run("chroot", func(b *testing.B) {
		if env.DebChroot == "" {
			b.Skip("no chroot")
		}
		recs, err := run.LoadRecordings(os.DirFS(recDir), "chroot-all-upgrades-01-*.txt")
		if err != nil {
			b.Fatal(err)
		}
		// the shared chroot is only read: apt-get -s and --print-uris
		benchPlan(b, l, operandTargets(b, recs[0]), []Option{Chroot(env.DebChroot)})
	})
}

func benchPlan(b *testing.B, l run.Runner, targets []plan.Target, opts []Option) {
	tr := &timedRunner{r: l}
	start := time.Now()
	n := 0
	for b.Loop() {
		if _, err := Plan(context.Background(), tr, targets, opts...); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportOverhead(b, time.Since(start), tr.d, n)
}

// BenchmarkTestbedInstall plans, applies and checks the testbed's four
// updates on a fresh copy of the private root each time (copied outside
// the timer): apt's and dpkg's time against patchkit's own.
func BenchmarkTestbedInstall(b *testing.B) {
	env := testbed.Need(b)
	testutil.NeedTool(b, "apt-get", "apt")
	l, err := run.NewLocal()
	if err != nil {
		b.Fatal(err)
	}
	var total, pm time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		c := env.Clone(b)
		opts := []Option{AptConfig(c.AptConfig)}
		targets := upgradeTargets(b, mustInventory(b, c.AptRoot()))
		tr := &timedRunner{r: l}
		b.StartTimer()
		start := time.Now()
		if _, err := Plan(context.Background(), tr, targets, opts...); err != nil {
			b.Fatal(err)
		}
		if out, err := Apply(context.Background(), tr, targets, opts...); err != nil {
			b.Fatalf("%v\n%s", err, out.Stderr)
		}
		if err := Check(context.Background(), os.DirFS(c.AptRoot()), nil, opts...); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		pm += tr.d
		n++
	}
	reportOverhead(b, total, pm, n)
}
