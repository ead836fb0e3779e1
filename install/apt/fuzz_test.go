package apt

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// seedRecordings adds the standard output and error of every recording
// to f's corpus.
func seedRecordings(f *testing.F, add func(stdout, stderr []byte)) {
	files, _ := filepath.Glob(recDir + "/*.txt")
	for _, file := range files {
		rec := readRecording(f, file)
		add(rec.Stdout, rec.Stderr)
	}
}

func readRecording(f *testing.F, path string) run.Recording {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	rec, err := run.ParseRecording(path, b)
	if err != nil {
		f.Fatal(err)
	}
	return rec
}

// FuzzParseFailures: whatever dpkg and apt print, the failures found name
// packages in dpkg's grammar, once each, with a reason.
func FuzzParseFailures(f *testing.F) {
	seedRecordings(f, func(o, e []byte) { f.Add(e, o) })
	f.Fuzz(func(t *testing.T, stderr, stdout []byte) {
		seen := map[string]bool{}
		for _, fl := range parseFailures(stderr, stdout) {
			if patchkit.ValidateName(patchkit.Deb, fl.Name) != nil || fl.Arch != "" && patchkit.ValidateArch(patchkit.Deb, fl.Arch) != nil {
				t.Fatalf("failure names %q:%q", fl.Name, fl.Arch)
			}
			if fl.Reason == "" || seen[fl.Name+":"+fl.Arch] {
				t.Fatalf("failure %+v empty or repeated", fl)
			}
			seen[fl.Name+":"+fl.Arch] = true
		}
		parseLock(stderr, stdout)
	})
}

// sizeToStr prints a size as apt-pkg's SizeToStr documents it (then "B"):
// below 10000 of a unit with no decimal, below 100 of a prefixed unit with
// one, each unit 1000 of the one before.
func sizeToStr(n float64) string {
	prefix := []string{"", "k", "M", "G", "T", "P", "E"}
	for i := range prefix {
		if n < 100 && i != 0 {
			return fmt.Sprintf("%.1f %sB", n, prefix[i])
		}
		if n < 10000 {
			return fmt.Sprintf("%.0f %sB", n, prefix[i])
		}
		n /= 1000
	}
	return "too large"
}

// FuzzAptSize: a size printed the way apt prints it reads back within the
// slack aptSize gives; anything else read is not negative.
func FuzzAptSize(f *testing.F) {
	for _, n := range []int64{0, 1, 780, 9999, 10000, 99949, 99950, 152080, 20_480_000, 4_096_000, math.MaxInt64 / 2} {
		f.Add(n, "")
	}
	f.Add(int64(0), "20.5 MB")
	f.Fuzz(func(t *testing.T, n int64, s string) {
		if n >= 0 {
			str := sizeToStr(float64(n))
			b, slack, ok := aptSize(str)
			if str != "too large" && (!ok || b-slack > n || b+slack < n) && float64(n) < 9e18 {
				t.Fatalf("%d printed %q read %d ±%d %v", n, str, b, slack, ok)
			}
		}
		if b, slack, ok := aptSize(s); ok && (b < 0 || slack < 0) {
			t.Fatalf("%q read %d ±%d", s, b, slack)
		}
	})
}

// FuzzPlanOutput: Plan on any output of its two runs returns a plan or an
// error, never panics, and a plan's actions are what the summary counts.
func FuzzPlanOutput(f *testing.F) {
	sims, _ := filepath.Glob(recDir + "/*-01-apt-get.txt")
	for _, s := range sims {
		other := strings.Replace(s, "-01-", "-02-", 1)
		if _, err := os.Stat(other); err != nil {
			continue
		}
		f.Add(readRecording(f, s).Stdout, readRecording(f, other).Stdout)
	}
	good, _ := patchkit.ParseDpkg("tb-lib:all", "1:2.0-2")
	f.Fuzz(func(t *testing.T, sim, uris []byte) {
		r := run.RunnerFunc(func(_ context.Context, c run.Command) (run.Result, error) {
			if strings.Contains(c.String(), "--print-uris") {
				return run.Result{Stdout: uris}, nil
			}
			return run.Result{Stdout: sim}, nil
		})
		p, err := Plan(context.Background(), r, []plan.Target{{Version: good}})
		if err != nil {
			return
		}
		for _, a := range p.Actions {
			if patchkit.ValidateName(patchkit.Deb, a.Package.Name) != nil {
				t.Fatalf("action %v", a)
			}
		}
		if p.DownloadSize < 0 {
			t.Fatalf("download size %d", p.DownloadSize)
		}
	})
}
