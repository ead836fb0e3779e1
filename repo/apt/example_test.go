package apt_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/apt"
)

func ExampleParsePackages() {
	data := "Package: bash\nVersion: 5.2.15-2+b7\nArchitecture: amd64\nSource: bash (5.2.15-2)\nPriority: required\nSection: shells\n\n"
	for p, err := range apt.ParsePackages("Packages", strings.NewReader(data), apt.ParseOptions{}) {
		fmt.Println(p.Package, p.Version, p.Architecture, p.SourceName(), p.SourceVer(), p.Priority, p.Section, err)
	}
	// Output: bash 5.2.15-2+b7 amd64 bash 5.2.15-2 required shells <nil>
}

// Update fetches and verifies a repository; here one of the test fixtures,
// served locally, at a fixed time.
func ExampleUpdate() {
	srv := httptest.NewServer(http.FileServer(http.Dir("../../testdata/repo/apt/v1")))
	defer srv.Close()
	key, _ := os.ReadFile("../../testdata/repo/keys/archive-a.gpg")
	kr, _ := repo.ParseKeyring("archive-a.gpg", key)
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	c, _ := repo.NewClient(repo.WithCacheDir(dir), repo.WithClock(func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }))
	defer c.Close()
	snap, err := apt.Update(context.Background(), c, apt.Repo{
		URI: srv.URL, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Keyring: kr,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(snap.Verified, snap.Release.Suite, snap.Release.Date.Format(time.DateOnly))
	for p, err := range snap.Packages(context.Background()) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p.Package, p.Version, p.Origin)
	}
	// Output:
	// true stable 2026-11-01
	// pk-doc 3.0-1 Patchkit:stable
	// pk-hello 1.0-1 Patchkit:stable
	// pk-lib-dev 1:2.0-1 Patchkit:stable
	// pk-lib 1:2.0-1 Patchkit:stable
}
