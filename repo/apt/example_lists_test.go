package apt_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/apt"
)

const v1 = "../../testdata/repo/apt/v1/dists/stable/"

func archiveKeyring() *repo.Keyring {
	key, _ := os.ReadFile("../../testdata/repo/keys/archive-a.gpg")
	kr, _ := repo.ParseKeyring("archive-a.gpg", key)
	return kr
}

// OpenLists reads the lists apt keeps (here a test archive's InRelease and
// the lz4 Packages file, laid out as in /var/lib/apt/lists) with the checks
// of Update, at the policy's time, without a network client.
func ExampleOpenLists() {
	uri := "http://deb.example/debian"
	prefix := apt.ListsFileName(uri + "/dists/stable/")
	in, _ := os.ReadFile(v1 + "InRelease")
	lz, _ := os.ReadFile(v1 + "main/binary-amd64/Packages.lz4")
	lists := fstest.MapFS{
		prefix + "InRelease":                      {Data: in},
		prefix + "main_binary-amd64_Packages.lz4": {Data: lz},
	}
	pol := repo.DefaultPolicy()
	pol.Now = func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }
	r := apt.Repo{URI: uri, Suite: "stable", Components: []string{"main"}, Keyring: archiveKeyring()}
	snap, err := apt.OpenLists(context.Background(), pol, lists, r)
	if err != nil {
		fmt.Println(err)
		return
	}
	n := 0
	for _, err := range snap.Packages(context.Background()) {
		if err == nil {
			n++
		}
	}
	fmt.Println(snap.Verified, snap.Repo.Architectures, n, "packages")

	// Past the Release's Valid-Until, the same lists are refused.
	pol.Now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	_, err = apt.OpenLists(context.Background(), pol, lists, r)
	fmt.Println(errors.Is(err, repo.ErrExpired))
	// Output:
	// true [amd64] 4 packages
	// true
}

// Open returns what Update committed to the client's cache, checked again.
func ExampleOpen() {
	srv := httptest.NewServer(http.FileServer(http.Dir("../../testdata/repo/apt/v1")))
	defer srv.Close()
	c, _ := repo.NewClient(repo.WithClock(func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }))
	defer c.Close()
	r := apt.Repo{URI: srv.URL, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Keyring: archiveKeyring()}
	if _, err := apt.Open(context.Background(), c, r); errors.Is(err, repo.ErrNotFound) {
		fmt.Println("nothing cached yet")
	}
	if _, err := apt.Update(context.Background(), c, r); err != nil {
		fmt.Println(err)
		return
	}
	snap, err := apt.Open(context.Background(), c, r)
	fmt.Println(snap.Name() == r.Name(), snap.Verified, len(snap.Indexes), err)
	_, err = apt.Open(context.Background(), c, apt.Repo{URI: srv.URL})
	fmt.Println(errors.Is(err, patchkit.ErrInvalid))
	// Output:
	// nothing cached yet
	// true true 1 <nil>
	// true
}

// ReposFromSource turns an apt source into repositories, with the keyring
// its Signed-By names.
func ExampleReposFromSource() {
	key, _ := os.ReadFile("../../testdata/repo/keys/archive-a.gpg")
	root := fstest.MapFS{"etc/apt/keyrings/example.gpg": {Data: key}}
	srcs, _ := repo.ParseDeb822Sources("example.sources", strings.NewReader(`Types: deb
URIs: http://deb.example/debian
Suites: stable stable-updates
Components: main
Architectures: amd64
Signed-By: /etc/apt/keyrings/example.gpg
`))
	repos, err := apt.ReposFromSource(context.Background(), root, srcs[0])
	for _, r := range repos {
		fmt.Println(r.Name(), r.Components, r.Architectures, r.Keyring.Len())
	}
	fmt.Println(err)
	// Output:
	// http://deb.example/debian stable [main] [amd64] 1
	// http://deb.example/debian stable-updates [main] [amd64] 1
	// <nil>
}

// ParseRelease reads a Release (for InRelease, only the verified text).
func ExampleParseRelease() {
	data, _ := os.ReadFile(v1 + "Release")
	rel, err := apt.ParseRelease("Release", data)
	fi := rel.Files["main/binary-amd64/Packages.zst"]
	fmt.Println(rel.OriginInfo(), rel.Date.Format(time.DateOnly), rel.ValidUntil.Format(time.DateOnly), fi.Size > 0, len(fi.SHA256), err)
	// Output: Patchkit:stable 2026-11-01 2026-11-15 true 64 <nil>
}

// CheckFreshness applies apt's date rules.
func ExampleRelease_CheckFreshness() {
	data, _ := os.ReadFile(v1 + "Release")
	rel, _ := apt.ParseRelease("Release", data)
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	fmt.Println(rel.CheckFreshness("Release", now, 10*time.Second, false, 0))
	fmt.Println(rel.CheckFreshness("Release", now, 10*time.Second, true, 0))
	// Output:
	// Release: is no longer valid (valid until Sun, 15 Nov 2026 00:00:00 UTC, now Fri, 20 Nov 2026 00:00:00 UTC)
	// <nil>
}

func ExampleParseDate() {
	t, err := apt.ParseDate("Sat, 11 Jul 2026 10:16:37 UTC")
	fmt.Println(t, err)
	_, err = apt.ParseDate("Sat, 11 Jul 2026 10:16:37 CEST")
	fmt.Println(err)
	// Output:
	// 2026-07-11 10:16:37 +0000 UTC <nil>
	// date "Sat, 11 Jul 2026 10:16:37 CEST" is not in UTC
}

func ExampleListsFileName() {
	fmt.Println(apt.ListsFileName("http://deb.debian.org/debian/dists/bookworm/InRelease"))
	// Output: deb.debian.org_debian_dists_bookworm_InRelease
}

func ExampleParsePackagesBytes() {
	data := []byte("Package: curl\nVersion: 7.88.1-10+deb12u8\nArchitecture: amd64\n\nPackage: bad\n\n")
	for p, err := range apt.ParsePackagesBytes("Packages", data, apt.ParseOptions{}) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p.Package, p.Version)
	}
	// Output:
	// curl 7.88.1-10+deb12u8
	// Packages:5: stanza of bad without a Version field
}
