package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkLiveScanVsAptListUpgradable times, in the same iterations, the
// main job as a whole process (scanhost -json on this host: detection,
// inventory, the verified apt lists, the candidates, the baseline, the
// report) and `apt list --upgradable`, and reports their ratio (target: at
// most 0.25). The two run in alternating order.
func BenchmarkLiveScanVsAptListUpgradable(b *testing.B) {
	aptPath, err := exec.LookPath("apt")
	if err != nil {
		b.Skip("apt is not installed: this benchmark runs on a Debian host")
	}
	if _, err := os.Stat("/var/lib/apt/lists"); err != nil {
		b.Skip("no apt lists on this host")
	}
	bin := filepath.Join(b.TempDir(), "scanhost")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	timeIt := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		start := time.Now()
		out, err := cmd.Output()
		d := time.Since(start)
		var ee *exec.ExitError
		if err != nil && !(name == bin && asExit(err, &ee) && ee.ExitCode() >= exitNonCompliant) {
			b.Fatalf("%s: %v", name, err)
		}
		if len(out) == 0 {
			b.Fatalf("%s printed nothing", name)
		}
		return d
	}
	var ours, theirs time.Duration
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			ours += timeIt(bin, "-json")
			theirs += timeIt(aptPath, "list", "--upgradable")
		} else {
			theirs += timeIt(aptPath, "list", "--upgradable")
			ours += timeIt(bin, "-json")
		}
		i++
	}
	b.ReportMetric(float64(ours.Milliseconds())/float64(b.N), "scanhost-ms/op")
	b.ReportMetric(float64(theirs.Milliseconds())/float64(b.N), "apt-list-ms/op")
	b.ReportMetric(float64(ours)/float64(theirs), "scanhost/apt-list")
}

func asExit(err error, target **exec.ExitError) bool {
	ee, ok := err.(*exec.ExitError)
	if ok {
		*target = ee
	}
	return ok
}
