package repo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// The fixtures of the examples: a test archive's InRelease, Release and
// Release.gpg, signed by the key archive-a.gpg.
const (
	fixtureDir = "../testdata/repo/apt/v1/dists/stable/"
	keysDir    = "../testdata/repo/keys/"
	at         = "2026-11-02T00:00:00Z" // when the fixtures are fresh
)

func exampleKeyring() *repo.Keyring {
	data, _ := os.ReadFile(keysDir + "archive-a.gpg")
	kr, _ := repo.ParseKeyring("archive-a.gpg", data)
	return kr
}

// NewClient takes options; one given a value it does not take is an
// InvalidError, which matches patchkit.ErrInvalid like every input error.
func ExampleNewClient() {
	now, _ := time.Parse(time.RFC3339, at)
	c, err := repo.NewClient(
		repo.WithCacheDir(os.TempDir()+"/patchkit-example-cache"),
		repo.WithClock(func() time.Time { return now }),
		repo.WithMaxRedirects(3),
		repo.WithMinThroughput(1000, 30*time.Second),
		repo.WithMaxFileSize(1<<30),
		repo.WithMaxFutureSkew(time.Minute),
		repo.WithWeakDigests(false),
		repo.WithUserAgent("example/1"),
		repo.WithHTTPClient(&http.Client{Timeout: time.Minute}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	defer os.RemoveAll(os.TempDir() + "/patchkit-example-cache")
	fmt.Println(c.Policy().Time().Format(time.DateOnly), c.Policy().MaxFutureSkew)

	_, err = repo.NewClient(repo.WithMaxRedirects(50))
	fmt.Println(errors.Is(err, patchkit.ErrInvalid), err)
	// Output:
	// 2026-11-02 1m0s
	// true repo.WithMaxRedirects: redirect limit 50 out of range 0..20
}

// Fetch downloads with a size limit: one byte more is an error.
func ExampleClient_Fetch() {
	srv := httptest.NewServer(http.FileServer(http.Dir(fixtureDir)))
	defer srv.Close()
	c, _ := repo.NewClient()
	defer c.Close()
	var buf bytes.Buffer
	f, err := c.Fetch(context.Background(), srv.URL+"/Release", repo.MaxReleaseSize, &buf, nil)
	fmt.Println(f.Size == int64(buf.Len()), strings.Contains(buf.String(), "\nOrigin: Patchkit\n"), err)
	_, err = c.Fetch(context.Background(), srv.URL+"/Release", 10, &bytes.Buffer{}, nil)
	fmt.Println(errors.Is(err, repo.ErrTooLarge))
	// Output:
	// true true <nil>
	// true
}

// CacheDir is the cache the format packages update: a private temporary
// directory unless WithCacheDir named one.
func ExampleClient_CacheDir() {
	c, _ := repo.NewClient()
	dir, err := c.CacheDir()
	_, statErr := os.Stat(dir)
	fmt.Println(err, statErr)
	c.Close()
	_, statErr = os.Stat(dir)
	fmt.Println(os.IsNotExist(statErr))
	// Output:
	// <nil> <nil>
	// true
}

// A Policy is what every verification applies; the offline readers
// (repo/apt.OpenLists) take one without a client, and a Client built with
// WithPolicy applies the same.
func ExamplePolicy() {
	now, _ := time.Parse(time.RFC3339, at)
	pol := repo.DefaultPolicy()
	pol.Now = func() time.Time { return now }
	c, _ := repo.NewClient(repo.WithPolicy(pol))
	defer c.Close()
	fmt.Println(c.Policy().Time().Equal(now), c.Policy().MaxFutureSkew, c.Policy().FileLimit())
	fmt.Println(repo.Policy{MaxFutureSkew: -time.Second}.Validate())
	// Output:
	// true 10s 2147483648
	// repo.Policy: negative MaxFutureSkew
}

func ExampleDefaultPolicy() {
	p := repo.DefaultPolicy()
	fmt.Println(p.MaxFutureSkew, p.FileLimit() == repo.DefaultMaxFileSize, p.AllowWeakDigests)
	// Output: 10s true false
}

func ExampleParseKeyring() {
	data, _ := os.ReadFile(keysDir + "archive-a.asc") // armoured; binary keyrings are read too
	kr, err := repo.ParseKeyring("archive-a.asc", data)
	fmt.Println(kr.Len(), kr.Fingerprints(), err)
	// Output: 1 [9D32E9CC911D338EF0BD086A451287EA0A8B8A24] <nil>
}

// LoadKeyring reads keyring files from a root file system, merged.
func ExampleLoadKeyring() {
	kr, err := repo.LoadKeyring(context.Background(), os.DirFS(keysDir), "archive-a.gpg", "archive-b.gpg")
	fmt.Println(kr.Len(), err)
	_, err = repo.LoadKeyring(context.Background(), os.DirFS(keysDir))
	fmt.Println(errors.Is(err, patchkit.ErrInvalid))
	// Output:
	// 2 <nil>
	// true
}

// AptKeyring loads the keys a source's Signed-By names: here a file of the
// root file system.
func ExampleAptKeyring() {
	key, _ := os.ReadFile(keysDir + "archive-a.gpg")
	root := fstest.MapFS{"usr/share/keyrings/example.gpg": {Data: key}}
	srcs, _ := repo.ParseSourcesList("sources.list", strings.NewReader(
		"deb [signed-by=/usr/share/keyrings/example.gpg] http://deb.example/debian stable main\n"))
	kr, err := repo.AptKeyring(context.Background(), root, srcs[0])
	fmt.Println(kr.Fingerprints(), err)
	// Output: [9D32E9CC911D338EF0BD086A451287EA0A8B8A24] <nil>
}

func ExampleIsFingerprint() {
	fmt.Println(repo.IsFingerprint("9D32E9CC911D338EF0BD086A451287EA0A8B8A24"), repo.IsFingerprint("/etc/apt/keyrings/x.gpg"))
	// Output: true false
}

// VerifyClearSigned checks an InRelease and returns only the signed text.
func ExampleVerifyClearSigned() {
	data, _ := os.ReadFile(fixtureDir + "InRelease")
	now, _ := time.Parse(time.RFC3339, at)
	text, v, err := repo.VerifyClearSigned("InRelease", data, exampleKeyring(), repo.VerifyOptions{Now: now})
	fmt.Println(strings.SplitN(string(text), "\n", 2)[0], v.Signers, err)
	// Output: Acquire-By-Hash: yes [9D32E9CC911D338EF0BD086A451287EA0A8B8A24] <nil>
}

// VerifyDetached checks Release against Release.gpg; a changed byte fails.
func ExampleVerifyDetached() {
	rel, _ := os.ReadFile(fixtureDir + "Release")
	sig, _ := os.ReadFile(fixtureDir + "Release.gpg")
	now, _ := time.Parse(time.RFC3339, at)
	v, err := repo.VerifyDetached("Release.gpg", rel, sig, exampleKeyring(), repo.VerifyOptions{Now: now})
	fmt.Println(len(v.Signers), err)
	rel[0] ^= 0x20
	_, err = repo.VerifyDetached("Release.gpg", rel, sig, exampleKeyring(), repo.VerifyOptions{Now: now})
	fmt.Println(errors.Is(err, repo.ErrSignature))
	// Output:
	// 1 <nil>
	// true
}

// SplitClearSigned splits without verifying: nothing outside the signed
// block is kept.
func ExampleSplitClearSigned() {
	data, _ := os.ReadFile(fixtureDir + "InRelease")
	cs, err := repo.SplitClearSigned(data)
	fmt.Println(cs.Hashes, len(cs.Signature) > 0, err)
	_, err = repo.SplitClearSigned(append([]byte("Injected: yes\n"), data...))
	fmt.Println(err)
	// Output:
	// [SHA256] true <nil>
	// does not start with a signed message block
}

func ExampleParseDeb822() {
	for p, err := range repo.ParseDeb822("Release", strings.NewReader("Origin: Debian\nSuite: stable\n\nOrigin: Other\n"), repo.Deb822Options{}) {
		fmt.Println(p.Line, len(p.Fields), p.Fields[0].Name, p.Fields[0].Value, err)
	}
	// Output:
	// 1 2 Origin Debian <nil>
	// 4 1 Origin Other <nil>
}

func ExampleLoadRPMRepos() {
	root := fstest.MapFS{
		"etc/yum.repos.d/base.repo": {Data: []byte("[baseos]\nbaseurl=https://mirror.example/$releasever/BaseOS/$basearch/os/\nrepo_gpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY\n")},
	}
	repos, err := repo.LoadRPMRepos(context.Background(), root, repo.DNF, repo.Vars{"releasever": "9", "basearch": "x86_64"}, "etc/yum.repos.d")
	fmt.Println(repos[0].ID, repos[0].BaseURLs[0], repos[0].RepoGPGCheck, repos[0].GPGKeys, err)
	// Output: baseos https://mirror.example/9/BaseOS/x86_64/os/ true [file:///etc/pki/rpm-gpg/RPM-GPG-KEY] <nil>
}

func ExampleCheckRelPath() {
	for _, p := range []string{"Packages/c/curl.rpm", "../../etc/passwd", "a/%2e%2e/b", "https://evil.example/x"} {
		fmt.Printf("%q %q\n", p, repo.CheckRelPath(p))
	}
	// Output:
	// "Packages/c/curl.rpm" ""
	// "../../etc/passwd" "'..' leaves the repository"
	// "a/%2e%2e/b" "encoded: '..' leaves the repository"
	// "https://evil.example/x" "URL or drive letter"
}

func ExampleFilePath() {
	u, _ := url.Parse("file:///srv/mirror/debian")
	fmt.Println(repo.FilePath(u) != "")
	// Output: true
}

// HealthOf says what an error reading a repository means for a scan.
func ExampleHealthOf() {
	fmt.Println(repo.HealthOf(nil), repo.HealthOf(repo.ErrSignature), repo.HealthOf(repo.ErrRollback), repo.HealthOf(repo.ErrNotFound))
	// Output: OK UNSIGNED EXPIRED UNREADABLE
}

// StatusOf is the status of a repository as a scan reports it.
func ExampleStatusOf() {
	err := &repo.ExpiredError{File: "Release", ValidUntil: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC), Now: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)}
	s := repo.StatusOf("http://deb.example/debian stable", err)
	fmt.Println(s.Health, s.Reason)
	// Output: EXPIRED Release: is no longer valid (valid until Sun, 15 Nov 2026 00:00:00 UTC, now Mon, 16 Nov 2026 00:00:00 UTC)
}
