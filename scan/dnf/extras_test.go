package dnf

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// fixturePrimaries are the decompressed primary.xml files of the recorded
// testbed root.
func fixturePrimaries(tb testing.TB) [][]byte {
	tb.Helper()
	m, err := filepath.Glob("../../testdata/dnf/testbed-root/var/cache/dnf/*/repodata/*-primary.xml.gz")
	if err != nil || len(m) == 0 {
		tb.Fatalf("no primary.xml.gz: %v", err)
	}
	var out [][]byte
	for _, p := range m {
		b, err := decompress.ReadFile(p, decompress.Gzip, decompress.Limits{Output: 1 << 20})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestPrimaryExtras: build times and provides of the installed names, read
// beside rpmmd.ParsePrimary, which must accept the same records.
func TestPrimaryExtras(t *testing.T) {
	for _, b := range fixturePrimaries(t) {
		names := map[string]bool{}
		for p, err := range rpmmd.ParsePrimary("primary", bytes.NewReader(b), rpmmd.Limits{}) {
			if err != nil {
				t.Fatal(err)
			}
			names[p.Name] = true
		}
		ex, err := primaryExtras(context.Background(), "primary", bytes.NewReader(b), rpmmd.Limits{}, names, map[string]bool{"kernel-tb": true})
		if err != nil {
			t.Fatal(err)
		}
		if len(ex) < len(names) {
			t.Fatalf("%d extras for %d names", len(ex), len(names))
		}
		for k, e := range ex {
			if e.buildTime.Before(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) || e.installOnly != (k.name == "kernel-tb") {
				t.Errorf("%+v: %+v", k, e)
			}
		}
	}
	// Malformed XML is an error with the file's name.
	_, err := primaryExtras(context.Background(), "x.xml", bytes.NewReader([]byte("<metadata><package type=\"rpm\"><name>a</nam")), rpmmd.Limits{}, nil, nil)
	if err == nil {
		t.Fatal("accepted malformed XML")
	}
}

func FuzzPrimaryExtras(f *testing.F) {
	for _, b := range fixturePrimaries(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ex, err := primaryExtras(context.Background(), "fuzz", bytes.NewReader(b), rpmmd.Limits{MaxElements: 100000}, map[string]bool{"kernel-tb": true, "tb-lib": true}, map[string]bool{"kernel-tb": true})
		if err == nil {
			for k := range ex {
				if k.name == "" && len(ex[k].obsoletes) == 0 {
					t.Fatalf("kept a nameless record %+v", k)
				}
			}
		}
	})
}
