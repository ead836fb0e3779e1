package repo_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

func seedFiles(f *testing.F, patterns ...string) {
	root := repotest.Fixtures(f)
	for _, p := range patterns {
		files, _ := filepath.Glob(filepath.Join(root, p))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err == nil {
				f.Add(data)
			}
		}
	}
}

func typed(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, e := range unwrap(err) {
		if !errors.Is(e, patchkit.ErrInvalid) && !errors.Is(e, repo.ErrPathTraversal) {
			t.Fatalf("untyped error %T: %v", e, e)
		}
	}
}

func FuzzSourcesList(f *testing.F) {
	f.Add([]byte("deb [arch=amd64 signed-by=/k.gpg] http://deb.debian.org/debian bookworm main contrib\ndeb-src http://x/ ./\n# c\n"))
	f.Add([]byte("deb http://x.invalid/ a\ndeb [ a=b ] http://y/ s c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		srcs, err := repo.ParseSourcesList("f", bytes.NewReader(data))
		typed(t, err)
		for _, s := range srcs {
			if len(s.URIs) != 1 || len(s.Suites) != 1 || len(s.Types) != 1 || s.Line < 1 {
				t.Fatalf("source %+v", s)
			}
			if !strings.HasSuffix(s.Suites[0], "/") && len(s.Components) == 0 {
				t.Fatalf("no components: %+v", s)
			}
		}
	})
}

func FuzzDeb822(f *testing.F) {
	f.Add([]byte("Types: deb\nURIs: http://x/\nSuites: a b\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n x\n\n"))
	seedFiles(f, "apt/v1/dists/stable/Release", "apt/v1/dists/stable/main/binary-amd64/Packages")
	f.Fuzz(func(t *testing.T, data []byte) {
		for p, err := range repo.ParseDeb822("f", bytes.NewReader(data), repo.Deb822Options{MaxLine: 4096}) {
			if err != nil {
				typed(t, err)
				break
			}
			if len(p.Fields) == 0 || p.Line < 1 {
				t.Fatalf("paragraph %+v", p)
			}
			seen := map[string]bool{}
			for _, fl := range p.Fields {
				k := strings.ToLower(fl.Name)
				if seen[k] || fl.Name == "" || strings.ContainsAny(fl.Name, ": \t") {
					t.Fatalf("field %q", fl.Name)
				}
				seen[k] = true
			}
		}
		srcs, err := repo.ParseDeb822Sources("f", bytes.NewReader(data))
		typed(t, err)
		for _, s := range srcs {
			if len(s.URIs) == 0 || len(s.Suites) == 0 || len(s.Types) == 0 {
				t.Fatalf("source %+v", s)
			}
		}
	})
}

func FuzzRepoFile(f *testing.F) {
	f.Add([]byte("[a]\nbaseurl=http://x/$basearch/\n  http://y/\ngpgcheck=1\nmetadata_expire=6h\n[b]\nmirrorlist=http://m/\nenabled=0\n"))
	f.Add([]byte("[z]\nbaseurl=http://x/\npath=/sub\ntype=rpm-md\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, flavor := range []repo.RepoFlavor{repo.DNF, repo.Zypper} {
			repos, err := repo.ParseRepoFile("f", bytes.NewReader(data), flavor, repo.Vars{"basearch": "x86_64", "releasever": "9"})
			typed(t, err)
			for _, r := range repos {
				if r.ID == "" || (len(r.BaseURLs) == 0 && r.MirrorList == "" && r.Metalink == "") {
					t.Fatalf("repo %+v", r)
				}
			}
		}
	})
}

// The clearsigned splitter and verifier: no panic, and nothing but the
// exact signed fixture verifies.
func FuzzClearSigned(f *testing.F) {
	seedFiles(f, "apt/v1/dists/stable/InRelease", "apt/signatures/InRelease.*")
	key, err := os.ReadFile(filepath.Join(repotest.Fixtures(f), "keys", "archive-a.gpg"))
	if err != nil {
		f.Fatal(err)
	}
	kr, err := repo.ParseKeyring("a", key)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(repotest.Fixtures(f), "apt/v1/dists/stable/Release"))
	opt := repo.VerifyOptions{Now: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, data []byte) {
		repo.SplitClearSigned(data)
		content, v, err := repo.VerifyClearSigned("InRelease", data, kr, opt)
		if err != nil {
			if !errors.Is(err, repo.ErrSignature) {
				t.Fatalf("untyped: %v", err)
			}
			return
		}
		// Whatever verified says exactly what the key signed.
		if !bytes.Equal(content, good) || len(v.Signers) == 0 {
			t.Fatalf("verified other content:\n%s", content)
		}
	})
}
