package rpmmd

import (
	"bytes"
	"errors"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// seed adds the fixtures matching the patterns, decompressed.
func seed(f *testing.F, patterns ...string) {
	repotest.Seed(f, func(name string, data []byte) []byte {
		out, err := repocache.DecompressAll(name, data, 1<<26, repocache.Expect{})
		if err != nil {
			return nil
		}
		return out
	}, patterns...)
}

func typed(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, patchkit.ErrInvalid) && !errors.Is(err, repo.ErrXMLLimit) && !errors.Is(err, repo.ErrPathTraversal) {
		t.Fatalf("untyped %T: %v", err, err)
	}
}

var fuzzLimits = Limits{MaxToken: 4096, MaxElements: 100000, MaxPerRecord: 1000}

func FuzzRepomd(f *testing.F) {
	seed(f, "rpm/*/repodata/repomd.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := ParseRepomd("repomd.xml", bytes.NewReader(data), fuzzLimits)
		typed(t, err)
		if err == nil {
			for typ, d := range md.Data {
				if typ != d.Type || repo.CheckRelPath(d.Location) != "" {
					t.Fatalf("data %q %+v", typ, d)
				}
			}
		}
	})
}

func FuzzPrimary(f *testing.F) {
	seed(f, "rpm/updates-gz/repodata/*-primary.xml.gz", "rpm/base/repodata/*-primary.xml.gz")
	f.Fuzz(func(t *testing.T, data []byte) {
		for p, err := range ParsePrimary("primary.xml", bytes.NewReader(data), fuzzLimits) {
			if err != nil {
				typed(t, err)
				continue
			}
			if p.Name == "" || p.Arch == "" || p.Version == "" || repo.CheckRelPath(p.Location) != "" {
				t.Fatalf("package %+v", p)
			}
		}
	})
}

func FuzzUpdateinfo(f *testing.F) {
	seed(f, "rpm/updateinfo-input.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		for a, err := range ParseUpdateinfo("updateinfo.xml", bytes.NewReader(data), "r", fuzzLimits) {
			if err != nil {
				typed(t, err)
				continue
			}
			if a.ID == "" || a.Type.Classification() == "" || a.Repository != "r" {
				t.Fatalf("advisory %+v", a)
			}
		}
	})
}
