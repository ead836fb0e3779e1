package dnf_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/scan/run"
)

// seeds adds the recorded outputs of testdata/install/dnf to a fuzz corpus.
func seeds(f *testing.F, add func(r run.Recording)) {
	files, _ := filepath.Glob(filepath.Join(recordDir, "*.txt"))
	if len(files) == 0 {
		f.Fatal("no recordings")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		r, err := run.ParseRecording(file, data)
		if err != nil {
			f.Fatal(err)
		}
		add(r)
	}
}

// FuzzParsePlan: any output gives a transaction or a typed error, never a
// panic; every package of a transaction has a valid name and architecture,
// and the summary counts what the table lists.
func FuzzParsePlan(f *testing.F) {
	seeds(f, func(r run.Recording) { f.Add(r.Stdout) })
	f.Fuzz(func(t *testing.T, out []byte) {
		tx, err := dnf.ParsePlan(out)
		if err != nil {
			switch err.(type) {
			case *dnf.OutputError, *dnf.InconsistentError:
			default:
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		for _, a := range tx.Actions {
			if patchkit.ValidateName(patchkit.RPM, a.Package.Name) != nil || patchkit.ValidateArch(patchkit.RPM, a.Package.Arch) != nil {
				t.Fatalf("action %v has an invalid package", a)
			}
		}
		if len(tx.Skipped) != tx.Summary["Skip"] {
			t.Fatalf("%d skipped, the summary says %d", len(tx.Skipped), tx.Summary["Skip"])
		}
	})
}

// FuzzParseFailures: any output gives failures with valid names, never a
// panic.
func FuzzParseFailures(f *testing.F) {
	seeds(f, func(r run.Recording) { f.Add(r.Stdout, r.Stderr) })
	f.Fuzz(func(t *testing.T, stdout, stderr []byte) {
		for _, fl := range dnf.ParseFailures(stdout, stderr) {
			if patchkit.ValidateName(patchkit.RPM, fl.Name) != nil || fl.Reason == "" || strings.ContainsFunc(fl.Reason, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("failure %+v", fl)
			}
		}
	})
}
