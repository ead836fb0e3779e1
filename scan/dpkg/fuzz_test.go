package dpkg

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
)

// FuzzParseStatus feeds arbitrary bytes to ParseStatus: it must not panic
// or hang, every failure must be a *ParseError with a file name, and every
// package it passes on must be well formed.
func FuzzParseStatus(f *testing.F) {
	for _, c := range malformedCases {
		if len(c.status) < 1<<16 {
			f.Add([]byte(c.status))
		}
	}
	for _, n := range []string{"testbed-states/status", "trivy-corrupsed/status", "scalibr-valid/status"} {
		b, err := os.ReadFile(filepath.Join(testdata, "db", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := ParseStatus(context.Background(), "status", strings.NewReader(string(b)), func(p patchkit.Package) error {
			if p.Name == "" || !p.State.Valid() || p.State == patchkit.StateNotInstalled || p.Scheme != patchkit.Deb {
				t.Fatalf("bad package %#v", p)
			}
			if p.Want == "" || p.SourceName == "" {
				t.Fatalf("package without selection or source %#v", p)
			}
			if p.State != patchkit.StateHalfInstalled && !p.Epoch.Known() {
				t.Fatalf("package without version %#v", p)
			}
			return nil
		}, WithMaxLine(4096))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "status" || !errors.Is(err, patchkit.ErrInvalid) {
				t.Fatalf("error %v (%T) is not a *ParseError naming the file", err, err)
			}
		}
	})
}
