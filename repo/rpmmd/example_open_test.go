package rpmmd_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

const updates = "../../testdata/repo/rpm/updates-gz"

// FromConfig makes a Repo of a .repo section read by repo.LoadRPMRepos:
// its base URLs, repo_gpgcheck and the keys gpgkey names, read from the
// same root.
func ExampleFromConfig() {
	key, _ := os.ReadFile("../../testdata/repo/keys/RPM-GPG-KEY-patchkit-test")
	base, _ := filepath.Abs(updates)
	root := fstest.MapFS{
		"etc/yum.repos.d/pk.repo": {Data: []byte("[pk-updates]\nbaseurl=" + rpmmd.BaseURL(base) +
			"\nrepo_gpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-patchkit-test\n")},
		"etc/pki/rpm-gpg/RPM-GPG-KEY-patchkit-test": {Data: key},
	}
	cfgs, err := repo.LoadRPMRepos(context.Background(), root, repo.DNF, repo.Vars{}, "etc/yum.repos.d")
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := repo.NewClient(repo.WithClock(func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }))
	defer c.Close()
	r, err := rpmmd.FromConfig(context.Background(), c, root, cfgs[0])
	fmt.Println(r.ID, r.RequireSignature, r.Keyring.Len(), err)
	snap, err := rpmmd.Update(context.Background(), c, r)
	fmt.Println(snap.Verified, err)

	_, err = rpmmd.FromConfig(context.Background(), c, root, repo.RPMRepo{ID: "metalink-only", Metalink: "https://mirrors.example/metalink"})
	fmt.Println(errors.Is(err, patchkit.ErrInvalid))
	// Output:
	// pk-updates true 1 <nil>
	// true <nil>
	// true
}

// Open returns what Update committed to the client's cache, checked again
// at the client's time.
func ExampleOpen() {
	key, _ := os.ReadFile("../../testdata/repo/keys/RPM-GPG-KEY-patchkit-test")
	kr, _ := repo.ParseKeyring("RPM-GPG-KEY-patchkit-test", key)
	now := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	c, _ := repo.NewClient(repo.WithClock(func() time.Time { return now }))
	defer c.Close()
	r := rpmmd.Repo{ID: "pk-updates", BaseURLs: []string{updates}, Keyring: kr, RequireSignature: true, MaxAge: 30 * 24 * time.Hour}
	if _, err := rpmmd.Open(context.Background(), c, r); errors.Is(err, repo.ErrNotFound) {
		fmt.Println("nothing cached yet")
	}
	if _, err := rpmmd.Update(context.Background(), c, r); err != nil {
		fmt.Println(err)
		return
	}
	snap, err := rpmmd.Open(context.Background(), c, r)
	fmt.Println(snap.Name(), snap.Verified, err)
	now = now.AddDate(0, 2, 0) // two months on, older than MaxAge
	_, err = rpmmd.Open(context.Background(), c, r)
	fmt.Println(errors.Is(err, repo.ErrStale))
	// Output:
	// nothing cached yet
	// pk-updates true <nil>
	// true
}

func ExampleParseRepomd() {
	f, _ := os.Open(updates + "/repodata/repomd.xml")
	defer f.Close()
	md, err := rpmmd.ParseRepomd("repomd.xml", f, rpmmd.Limits{})
	p := md.Data["primary"]
	fmt.Println(strings.HasSuffix(p.Location, "primary.xml.gz"), p.Checksum.Algorithm(), p.Size > 0, err)
	// Output: true SHA256 true <nil>
}

func ExampleParsePrimary() {
	doc := `<metadata xmlns="http://linux.duke.edu/metadata/common" packages="1">
<package type="rpm"><name>curl</name><arch>x86_64</arch><version epoch="0" ver="8.5.0" rel="1.amzn2023"/>
<location href="Packages/c/curl-8.5.0-1.amzn2023.x86_64.rpm"/></package></metadata>`
	for p, err := range rpmmd.ParsePrimary("primary.xml", strings.NewReader(doc), rpmmd.Limits{}) {
		fmt.Println(p.Name, p.EVR(), p.Arch, p.Location, err)
	}
	// Output: curl 0:8.5.0-1.amzn2023 x86_64 Packages/c/curl-8.5.0-1.amzn2023.x86_64.rpm <nil>
}

func ExampleBaseURL() {
	fmt.Println(rpmmd.BaseURL("https://mirror.example/9/BaseOS/x86_64/os/"), strings.HasPrefix(rpmmd.BaseURL("/srv/repo"), "file:///"))
	// Output: https://mirror.example/9/BaseOS/x86_64/os/ true
}
