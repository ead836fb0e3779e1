package rpmmd_test

import (
	"compress/gzip"
	"fmt"
	"os"

	"github.com/patchkit/patchkit/repo/rpmmd"
)

// A repository made in 2008 lists its files with SHA-1 ("sha"): no
// checksum Algorithm accepts, so reading it needs Repo.AllowWeakChecksums.
// A current one lists SHA-256.
func ExampleChecksum_SHA1() {
	for _, dir := range []string{"../../testdata/repo/rpm-old/sha-baseurl", "../../testdata/repo/rpm/updates-gz"} {
		f, err := os.Open(dir + "/repodata/repomd.xml")
		if err != nil {
			fmt.Println(err)
			return
		}
		md, err := rpmmd.ParseRepomd("repomd.xml", f, rpmmd.Limits{})
		f.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		c := md.Data["primary"].Checksum
		fmt.Printf("%s: %s sha1=%v algorithm=%q\n", md.Generated.Format("2006-01-02"), c.Type, c.SHA1(), c.Algorithm())
	}
	// Output:
	// 2008-11-21: sha sha1=true algorithm=""
	// 2026-11-01: sha256 sha1=false algorithm="SHA256"
}

// A primary.xml record becomes a patchkit.Package of the repository, with
// the source package named by its source rpm.
func ExamplePackage_ToPatchkit() {
	const dir = "../../testdata/repo/rpm/updates-gz/"
	f, err := os.Open(dir + "repodata/repomd.xml")
	if err != nil {
		fmt.Println(err)
		return
	}
	md, err := rpmmd.ParseRepomd("repomd.xml", f, rpmmd.Limits{})
	f.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err = os.Open(dir + md.Data["primary"].Location) // primary.xml.gz
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	for p, err := range rpmmd.ParsePrimary("primary.xml", zr, rpmmd.Limits{}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		q := p.ToPatchkit("pk-updates")
		fmt.Println(q.NEVRA(), q.Repository, q.SourceName, q.SourceVersion)
	}
	// Output:
	// kernel-pk-0:5.1-1.noarch pk-updates kernel-pk 5.1-1
	// pk-hello-0:1.1-1.noarch pk-updates pk-hello 1.1-1
	// pk-lib-1:2.0-2.noarch pk-updates pk-lib 2.0-2
}
