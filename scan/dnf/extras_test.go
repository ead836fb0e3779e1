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
		ex, err := primaryExtras(context.Background(), "primary", bytes.NewReader(b), rpmmd.Limits{}, names, map[string]bool{"kernel-tb": true}, nil)
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
	_, err := primaryExtras(context.Background(), "x.xml", bytes.NewReader([]byte("<metadata><package type=\"rpm\"><name>a</nam")), rpmmd.Limits{}, nil, nil, nil)
	if err == nil {
		t.Fatal("accepted malformed XML")
	}
}

func FuzzPrimaryExtras(f *testing.F) {
	for _, b := range fixturePrimaries(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var times []int64
		lim := rpmmd.Limits{MaxElements: 100000}
		ex, err := primaryExtras(context.Background(), "fuzz", bytes.NewReader(b), lim, map[string]bool{"kernel-tb": true, "tb-lib": true}, map[string]bool{"kernel-tb": true}, &times)
		if err == nil {
			for k := range ex {
				if k.name == "" && len(ex[k].obsoletes) == 0 {
					t.Fatalf("kept a nameless record %+v", k)
				}
			}
			// Where the parser accepts the whole document, its records and
			// the build times pair one for one.
			n := 0
			for _, err := range rpmmd.ParsePrimary("fuzz", bytes.NewReader(b), lim) {
				if err != nil {
					return
				}
				n++
			}
			if n != len(times) {
				t.Fatalf("%d records, %d build times", n, len(times))
			}
		}
	})
}

// TestPrimaryExtrasTimes: the build times listed in document order pair
// with rpmmd.ParsePrimary's records one for one (readPrimary relies on
// it), and agree with those kept for installed names.
func TestPrimaryExtrasTimes(t *testing.T) {
	for _, b := range fixturePrimaries(t) {
		var recs []rpmmd.Package
		names := map[string]bool{}
		for p, err := range rpmmd.ParsePrimary("primary", bytes.NewReader(b), rpmmd.Limits{}) {
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, p)
			names[p.Name] = true
		}
		var times []int64
		ex, err := primaryExtras(context.Background(), "primary", bytes.NewReader(b), rpmmd.Limits{}, names, nil, &times)
		if err != nil {
			t.Fatal(err)
		}
		if len(times) != len(recs) || len(recs) == 0 {
			t.Fatalf("%d build times for %d records", len(times), len(recs))
		}
		for i, p := range recs {
			bt := ex[pkgKey{name: p.Name, arch: p.Arch, epoch: p.Epoch, ver: p.Version, rel: p.Release}].buildTime
			if bt.IsZero() || bt.Unix() != times[i] {
				t.Errorf("%s: build time %d in order, %v by key", p.EVR(), times[i], bt)
			}
		}
	}
}

// TestOtherList: records are kept in order across blocks, and a small
// list takes a small block.
func TestOtherList(t *testing.T) {
	var l otherList
	l.add(otherPkg{ord: 0})
	if len(l.blocks) != 1 || cap(l.blocks[0]) != 16 {
		t.Fatalf("first block of %d", cap(l.blocks[0]))
	}
	for i := 1; i < 5000; i++ {
		l.add(otherPkg{ord: i})
	}
	n := 0
	l.each(func(p *otherPkg) {
		if p.ord != n {
			t.Fatalf("record %d is %d", n, p.ord)
		}
		n++
	})
	total := 0
	for _, b := range l.blocks {
		total += cap(b)
		if cap(b) > otherChunk {
			t.Fatalf("a block of %d", cap(b))
		}
	}
	if n != 5000 || l.n != 5000 || total > 5000+otherChunk {
		t.Fatalf("%d records (n %d), %d slots", n, l.n, total)
	}
}
