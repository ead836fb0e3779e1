package install

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan/run"
)

// timingRunner adds up the time spent in the package manager's processes,
// and separately in the two runs that are the transaction itself: the
// download run and the committing run (what `apt-get install`, `dnf
// upgrade` or `zypper install` alone would do).
type timingRunner struct {
	r           run.Runner
	mu          sync.Mutex
	spent       time.Duration
	transaction time.Duration
}

func (tr *timingRunner) Run(ctx context.Context, c run.Command) (run.Result, error) {
	start := time.Now()
	res, err := tr.r.Run(ctx, c)
	d := time.Since(start)
	tr.mu.Lock()
	tr.spent += d
	if c.Committing || slices.ContainsFunc(c.Args, func(a string) bool { return a == "--download-only" || a == "--downloadonly" }) {
		tr.transaction += d
	}
	tr.mu.Unlock()
	return res, err
}

// benchInstall installs the testbed's approved updates on a fresh copy of
// a root per iteration, and reports patchkit's own time (the whole Install
// minus the package manager's processes: the scans before and after, plan
// parsing and checks, the report) as a share of the package manager's time
// (target: at most 10%). A stricter second ratio counts everything but the
// transaction's own two runs as overhead (the package manager's dry runs
// and queries that patchkit asks for included) against those two runs.
func benchInstall(b *testing.B, root func(b *testing.B) (string, osdetect.OS)) {
	l, err := run.NewLocal()
	if err != nil {
		b.Fatal(err)
	}
	var own, pm, tx time.Duration
	for b.Loop() {
		b.StopTimer()
		dir, o := root(b)
		tr := &timingRunner{r: l}
		b.StartTimer()
		start := time.Now()
		_, err := Install(context.Background(), os.DirFS(dir), At(time.Now().UTC()), WithRunner(tr), Root(dir), WithOS(o),
			WithArch("x86_64"), WithRebootOption(compliance.NoReboot), WithRebooter(&recordingRebooter{}), AllowNewDependencies())
		total := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		own += total - tr.spent
		pm += tr.spent
		tx += tr.transaction
	}
	n := float64(b.N)
	b.ReportMetric(float64(own.Milliseconds())/n, "patchkit-ms/op")
	b.ReportMetric(float64(pm.Milliseconds())/n, "package-manager-ms/op")
	b.ReportMetric(float64(own)/float64(pm), "patchkit/package-manager")
	b.ReportMetric(float64(tx.Milliseconds())/n, "transaction-ms/op")
	b.ReportMetric(float64(own+pm-tx)/float64(tx), "all-but-transaction/transaction")
}

func BenchmarkTestbedInstallOverhead(b *testing.B) {
	env := testbed.Need(b)
	b.Run("dnf", func(b *testing.B) {
		benchInstall(b, func(b *testing.B) (string, osdetect.OS) {
			return env.Clone(b).RPMRoot, benchOS(b, "amzn-2023")
		})
	})
	b.Run("zypper", func(b *testing.B) {
		benchInstall(b, func(b *testing.B) (string, osdetect.OS) {
			return env.Clone(b).ZyppRoot, benchOS(b, "sles-15.6")
		})
	})
	if env.DebChroot != "" {
		b.Run("apt", func(b *testing.B) {
			benchInstall(b, func(b *testing.B) (string, osdetect.OS) {
				root := env.CopyChroot(b)
				o, err := osdetect.DetectFS(os.DirFS(root))
				if err != nil {
					b.Fatal(err)
				}
				return root, o
			})
		})
	}
}

func benchOS(b *testing.B, fixture string) osdetect.OS {
	o, err := osdetect.DetectFS(os.DirFS("../testdata/osdetect/" + fixture))
	if err != nil {
		b.Fatal(err)
	}
	o.Arch = "x86_64"
	return o
}
