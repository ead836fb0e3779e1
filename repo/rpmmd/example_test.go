package rpmmd_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

func ExampleParseUpdateinfo() {
	doc := `<updates><update type="security"><id>ALAS2023-2024-001</id><severity>important</severity>
<issued date="2024-01-01 00:00:00"/><references><reference type="cve" id="CVE-2023-0001"/></references>
<pkglist><collection><package name="curl" epoch="0" version="8.5.0" release="1.amzn2023" arch="x86_64"/></collection></pkglist></update></updates>`
	for a, err := range rpmmd.ParseUpdateinfo("updateinfo.xml", strings.NewReader(doc), "amazonlinux", rpmmd.Limits{}) {
		fmt.Println(a.ID, a.Type, a.Severity, a.CVEIDs, a.Packages[0].NEVRA(), a.Repository, err)
	}
	// Output: ALAS2023-2024-001 security important [CVE-2023-0001] curl-0:8.5.0-1.amzn2023.x86_64 amazonlinux <nil>
}

// Update reads a repository from a directory (or a URL); here a signed
// test fixture, at a fixed time.
func ExampleUpdate() {
	key, _ := os.ReadFile("../../testdata/repo/keys/RPM-GPG-KEY-patchkit-test")
	kr, _ := repo.ParseKeyring("RPM-GPG-KEY-patchkit-test", key)
	c, _ := repo.NewClient(repo.WithClock(func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }))
	defer c.Close()
	snap, err := rpmmd.Update(context.Background(), c, rpmmd.Repo{
		ID: "pk-updates", BaseURLs: []string{"../../testdata/repo/rpm/updates-gz"}, Keyring: kr, RequireSignature: true,
	})
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
	security := 0
	for a, err := range snap.Advisories(context.Background()) {
		if err == nil && a.Type == "security" {
			security++
		}
	}
	fmt.Println(snap.Verified, n, "packages,", security, "security advisories")
	// Output: true 3 packages, 2 security advisories
}
