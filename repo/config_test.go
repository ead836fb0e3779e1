package repo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

func TestParseSourcesList(t *testing.T) {
	in := `# comment
deb http://deb.debian.org/debian bookworm main contrib   # trailing comment
deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/x.gpg trusted=yes] https://example.invalid/debian stable main
deb-src http://deb.debian.org/debian bookworm main
deb [check-valid-until=no] http://archive.example.invalid/ ./

deb http://bad.example.invalid
foo http://x.invalid/ a b
deb [arch=amd64 http://x.invalid/ a b
deb http://x.invalid/ ./ main
`
	srcs, err := repo.ParseSourcesList("sources.list", strings.NewReader(in))
	if len(srcs) != 4 {
		t.Fatalf("%d sources: %+v", len(srcs), srcs)
	}
	if s := srcs[0]; s.URIs[0] != "http://deb.debian.org/debian" || s.Suites[0] != "bookworm" || !slices.Equal(s.Components, []string{"main", "contrib"}) || s.Line != 2 || !s.Enabled {
		t.Fatalf("first: %+v", s)
	}
	if s := srcs[1]; !slices.Equal(s.Architectures, []string{"amd64", "arm64"}) || !slices.Equal(s.SignedBy, []string{"/usr/share/keyrings/x.gpg"}) || !s.BoolOption("trusted", false) {
		t.Fatalf("options: %+v", s)
	}
	if s := srcs[2]; s.Types[0] != "deb-src" {
		t.Fatalf("deb-src: %+v", s)
	}
	if s := srcs[3]; s.Suites[0] != "./" || len(s.Components) != 0 || s.BoolOption("check-valid-until", true) {
		t.Fatalf("flat: %+v", s)
	}
	var lines []int
	for _, e := range unwrap(err) {
		var se *repo.SyntaxError
		if !errors.As(e, &se) || se.File != "sources.list" || !errors.Is(e, patchkit.ErrInvalid) {
			t.Fatalf("error %v", e)
		}
		lines = append(lines, se.Line)
	}
	if !slices.Equal(lines, []int{7, 8, 9, 10}) {
		t.Fatalf("error lines %v (%v)", lines, err)
	}
}

func unwrap(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unwrap(e)...)
		}
		return out
	}
	return []error{err}
}

func TestParseDeb822Sources(t *testing.T) {
	key, err := os.ReadFile(filepath.Join(repotest.Fixtures(t), "keys", "archive-a.asc"))
	if err != nil {
		t.Fatal(err)
	}
	var inline strings.Builder
	for i, l := range strings.Split(strings.TrimSpace(string(key)), "\n") {
		if i > 0 {
			inline.WriteString("\n ")
		}
		if l == "" {
			l = "."
		}
		inline.WriteString(l)
	}
	in := `Types: deb deb-src
URIs: http://deb.debian.org/debian http://mirror.example.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
Check-Valid-Until: no

# disabled
Types: deb
URIs: https://example.invalid/apt
Suites: stable
Components: main
Enabled: no
Signed-By: ` + inline.String() + `

Types: deb
URIs: https://example.invalid/flat
Suites: ./

Types: rpm
URIs: http://x.invalid
Suites: a
Components: b

Types: deb
Suites: a
Components: b
`
	srcs, err := repo.ParseDeb822Sources("debian.sources", strings.NewReader(in))
	if len(srcs) != 3 {
		t.Fatalf("%d sources %v", len(srcs), err)
	}
	if s := srcs[0]; len(s.URIs) != 2 || len(s.Suites) != 2 || s.Options["check-valid-until"] != "no" || s.Line != 1 {
		t.Fatalf("first: %+v", s)
	}
	s := srcs[1]
	if s.Enabled || !strings.HasPrefix(s.SignedByKey, "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		t.Fatalf("second: %+v", s)
	}
	kr, err2 := repo.AptKeyring(context.Background(), fstest.MapFS{}, s)
	if err2 != nil || kr.Len() != 1 {
		t.Fatalf("inline key: %v", err2)
	}
	var lines []int
	for _, e := range unwrap(err) {
		var se *repo.SyntaxError
		if !errors.As(e, &se) {
			t.Fatal(e)
		}
		lines = append(lines, se.Line)
	}
	if !slices.Equal(lines, []int{29, 34}) {
		t.Fatalf("error lines %v: %v", lines, err)
	}
}

// One bad file does not hide the good ones.
func TestLoadAptSources(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/apt/sources.list":                {Data: []byte("deb http://a.invalid/debian bookworm main\n")},
		"etc/apt/sources.list.d/bad.list":     {Data: []byte("deb http://b.invalid\n")},
		"etc/apt/sources.list.d/good.sources": {Data: []byte("Types: deb\nURIs: http://c.invalid/\nSuites: x\nComponents: main\n")},
		"etc/apt/sources.list.d/ignored.txt":  {Data: []byte("garbage")},
	}
	srcs, err := repo.LoadAptSources(context.Background(), fsys)
	if len(srcs) != 2 || srcs[1].File != "/etc/apt/sources.list.d/good.sources" {
		t.Fatalf("%+v", srcs)
	}
	var se *repo.SyntaxError
	if !errors.As(err, &se) || se.File != "/etc/apt/sources.list.d/bad.list" || se.Line != 1 {
		t.Fatalf("error %v", err)
	}
}

func TestAptKeyringSelection(t *testing.T) {
	a, _ := os.ReadFile(filepath.Join(repotest.Fixtures(t), "keys", "archive-a.gpg"))
	b, _ := os.ReadFile(filepath.Join(repotest.Fixtures(t), "keys", "archive-b.gpg"))
	fsys := fstest.MapFS{
		"usr/share/keyrings/a.gpg":    {Data: a},
		"etc/apt/trusted.gpg.d/b.gpg": {Data: b},
		"etc/apt/trusted.gpg.d/a.gpg": {Data: a},
	}
	ka, _ := repo.ParseKeyring("a", a)
	kb, _ := repo.ParseKeyring("b", b)
	fa, fb := ka.Fingerprints()[0], kb.Fingerprints()[0]
	for name, tc := range map[string]struct {
		signedBy []string
		want     []string
	}{
		"file":        {[]string{"/usr/share/keyrings/a.gpg"}, []string{fa}},
		"fingerprint": {[]string{fb}, []string{fb}},
		"default":     {nil, []string{fa, fb}},
	} {
		kr, err := repo.AptKeyring(context.Background(), fsys, repo.AptSource{SignedBy: tc.signedBy})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := kr.Fingerprints()
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Fatalf("%s: %v, want %v", name, got, tc.want)
		}
	}
	if _, err := repo.AptKeyring(context.Background(), fsys, repo.AptSource{SignedBy: []string{"/missing.gpg"}}); err == nil {
		t.Fatal("missing key file accepted")
	}
}

func TestParseRepoFile(t *testing.T) {
	in := `[main]
gpgcheck=1

[baseos]
name=CentOS Stream $releasever - BaseOS
baseurl=https://mirror.example.invalid/$releasever-stream/BaseOS/$basearch/os/
        https://mirror2.example.invalid/${releasever}/BaseOS/$basearch/os/
gpgcheck=1
repo_gpgcheck=0
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-centosofficial
metadata_expire=6h
exclude=kernel* foo,bar
enabled=1

[appstream]
mirrorlist=https://mirrors.example.invalid/?repo=$releasever_major&arch=$arch&x=$unknown
metadata_expire=never
enabled=0

[broken]
baseurl=http://x.invalid/
gpgcheck=maybe

[nourl]
name=nothing

garbage line
`
	repos, err := repo.ParseRepoFile("centos.repo", strings.NewReader(in), repo.DNF, repo.Vars{"releasever": "9.4", "basearch": "x86_64", "arch": "x86_64"})
	if len(repos) != 2 {
		t.Fatalf("%d repos: %+v (%v)", len(repos), repos, err)
	}
	b := repos[0]
	if b.ID != "baseos" || b.Name != "CentOS Stream 9.4 - BaseOS" || !b.GPGCheck || b.RepoGPGCheck || !b.Enabled || b.MetadataExpire != 6*time.Hour ||
		!slices.Equal(b.BaseURLs, []string{"https://mirror.example.invalid/9.4-stream/BaseOS/x86_64/os/", "https://mirror2.example.invalid/9.4/BaseOS/x86_64/os/"}) ||
		!slices.Equal(b.Exclude, []string{"kernel*", "foo", "bar"}) || len(b.GPGKeys) != 1 {
		t.Fatalf("baseos: %+v", b)
	}
	a := repos[1]
	if a.Enabled || a.MetadataExpire != repo.NeverExpire || a.MirrorList != "https://mirrors.example.invalid/?repo=9&arch=x86_64&x=$unknown" || a.GPGCheck {
		t.Fatalf("appstream: %+v", a)
	}
	var lines []int
	for _, e := range unwrap(err) {
		var se *repo.SyntaxError
		if !errors.As(e, &se) || !errors.Is(e, patchkit.ErrInvalid) {
			t.Fatal(e)
		}
		lines = append(lines, se.Line)
	}
	if !slices.Equal(lines, []int{27, 22}) {
		t.Fatalf("error lines %v: %v", lines, err)
	}
	// zypper: gpgcheck defaults on and repo_gpgcheck follows it; path= is
	// appended and may not leave the base URL.
	z, err := repo.ParseRepoFile("z.repo", strings.NewReader("[repo-oss]\nname=Main\nbaseurl=http://download.example.invalid/distribution/leap/$releasever/repo/oss\npath=/sub\ntype=rpm-md\nautorefresh=1\n\n[evil]\nbaseurl=http://x.invalid/\npath=../../etc\n"), repo.Zypper, repo.Vars{"releasever": "15.6"})
	if len(z) != 1 || !z[0].GPGCheck || !z[0].RepoGPGCheck || z[0].BaseURLs[0] != "http://download.example.invalid/distribution/leap/15.6/repo/oss/sub" || z[0].Type != "rpm-md" {
		t.Fatalf("zypper: %+v", z)
	}
	if !errors.Is(err, repo.ErrPathTraversal) {
		t.Fatalf("zypper path: %v", err)
	}
}

func TestParseDeb822(t *testing.T) {
	in := "A: 1\nB: x\n y\n .\n z\n\n\n# not a comment here\n"
	var ps []repo.Paragraph
	var errs []error
	for p, err := range repo.ParseDeb822("f", strings.NewReader(in), repo.Deb822Options{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ps = append(ps, p)
	}
	if len(ps) != 1 || ps[0].Value("b") != "x\ny\n\nz" || len(errs) != 1 {
		t.Fatalf("%+v %v", ps, errs)
	}
}
