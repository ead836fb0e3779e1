package apt

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

func seed(f *testing.F, patterns ...string) { repotest.Seed(f, nil, patterns...) }

func FuzzRelease(f *testing.F) {
	seed(f, "apt/*/dists/stable/Release", "apt/signatures/Release")
	f.Add([]byte("Date: Sat, 11 Jul 2026 10:16:37 UTC\nSHA256:\n 0000000000000000000000000000000000000000000000000000000000000000 1 main/x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRelease("Release", data)
		if err != nil {
			if !errors.Is(err, patchkit.ErrInvalid) {
				t.Fatalf("untyped: %v", err)
			}
			return
		}
		if r.Date.IsZero() {
			t.Fatal("no date")
		}
		for p, fi := range r.Files {
			if p != fi.Path || fi.Size < 0 || (fi.SHA256 != "" && len(fi.SHA256) != 64) {
				t.Fatalf("file %q %+v", p, fi)
			}
		}
	})
}

func FuzzPackages(f *testing.F) {
	seed(f, "apt/v1/dists/stable/main/binary-amd64/Packages", "apt/v2/dists/stable/main/binary-amd64/Packages")
	f.Add([]byte("Package: a\r\nVersion: 1\r\nArchitecture: all\r\nSource: s (2)\r\n\r\nPackage: b\nVersion: 1\nVersion: 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			ps   []Package
			errs []string
		}
		run := func(seq func(func(Package, error) bool)) result {
			var r result
			for p, err := range seq {
				if err != nil {
					if !errors.Is(err, patchkit.ErrInvalid) && !errors.Is(err, repo.ErrPathTraversal) {
						t.Fatalf("untyped: %v", err)
					}
					r.errs = append(r.errs, err.Error())
					continue
				}
				if p.Package == "" || p.Version == "" || p.Architecture == "" || p.Line < 1 {
					t.Fatalf("record %+v", p)
				}
				r.ps = append(r.ps, p)
			}
			return r
		}
		a := run(ParsePackagesBytes("P", data, ParseOptions{MaxLine: 1024}))
		b := run(ParsePackages("P", bytes.NewReader(data), ParseOptions{MaxLine: 1024}))
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("bytes and reader parsers differ:\n%+v\n%+v", a, b)
		}
	})
}
