package rpmmd

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

func seed(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		files, _ := filepath.Glob(filepath.Join(repotest.Fixtures(f), p))
		for _, file := range files {
			rc, err := os.Open(file)
			if err != nil {
				continue
			}
			dr, err := repocache.DecompressReader(file, rc, 1<<26, repocache.Expect{})
			if err == nil {
				if data, err := io.ReadAll(dr); err == nil {
					f.Add(data)
				}
				dr.Close()
			}
			rc.Close()
		}
	}
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
