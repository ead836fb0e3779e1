package dnf_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// recording reads a recorded run of the project's test data.
func recording(name string) run.Recording {
	b, err := os.ReadFile("../../testdata/dnf/testbed/" + name)
	if err != nil {
		panic(err)
	}
	r, err := run.ParseRecording(name, b)
	if err != nil {
		panic(err)
	}
	return r
}

// exampleInventory is the installed packages of the recorded testbed
// root, from rpm -qa (scan.ReadInventory gives the same from the root's
// rpm database).
func exampleInventory() []patchkit.Package {
	pkgs, err := rpmdb.ParseQuery(recording("rpm-qa.txt").Stdout)
	if err != nil {
		panic(err)
	}
	return pkgs
}

// The metadata backend on a root: the project's copy of the testbed's dnf
// root (its configuration and dnf's cache). The recorded metadata is from
// 2026-11-30; the example turns the age check off so that it keeps
// working. A scan of a real node passes the real time and keeps the check.
func ExampleUpdates() {
	patches, repos, err := dnf.Updates(context.Background(), os.DirFS("../../testdata/dnf/testbed-root"), exampleInventory(),
		dnf.WithArch("x86_64"), dnf.WithNow(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)), dnf.WithMaxAge(0),
		dnf.WithProduct("AmazonLinux2023"), dnf.WithDateRule(dnf.UpdatedFirst))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range repos {
		fmt.Println(r.Name, r.Health, r.Verified)
	}
	for _, p := range patches {
		mark := " "
		if p.Candidate {
			mark = "*"
		}
		fmt.Println(mark, p.NEVRA(), p.Classification, p.Severity, strings.Join(p.AdvisoryIDs, ","), p.ReleaseDate.Format(time.DateOnly))
	}
	// Output:
	// tb-base OK true
	// tb-updates OK true
	// * kernel-tb-0:5.1-1.noarch Security Critical TBSA-2026:0003 2026-11-03
	// * tb-hello-0:1.1-1.noarch Bugfix None TBBA-2026:0002 2026-11-02
	// * tb-lib-1:2.0-2.noarch Security Important TBSA-2026:0001 2026-11-01
	//   tb-multi-0:1.1-1.noarch Bugfix None TBBA-2026:0004 2026-11-04
	//   tb-multi-0:1.2-1.noarch Security Moderate TBSA-2026:0005 2026-11-05
	// * tb-multi-0:1.3-1.noarch Enhancement None TBEA-2026:0006 2026-11-06
}

// Check also says what it noticed; here a repository's signature does not
// match (tb-updates' repomd.xml.asc is tb-base's, a valid signature over
// other data), so that repository offers nothing. tb-base's versions are the
// installed ones: no patches.
func ExampleCheck() {
	root := apiCopy("../../testdata/dnf/testbed-root", "", "")
	const cache = "var/cache/dnf/"
	root[cache+"tb-updates-f5e7d8ad02d6d7c1/repodata/repomd.xml.asc"] = root[cache+"tb-base-41a7be7451a3e78d/repodata/repomd.xml.asc"]
	rep, err := dnf.Check(context.Background(), root, exampleInventory(),
		dnf.WithArch("x86_64"), dnf.WithNow(apiNow))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rep.Repos {
		fmt.Println(r.Name, r.Health, r.Verified)
		if r.Reason != "" {
			fmt.Println("  ", r.Reason)
		}
	}
	fmt.Println(len(rep.Patches), "patches")
	// Output:
	// tb-base OK true
	// tb-updates UNSIGNED false
	//    /var/cache/dnf/tb-updates-f5e7d8ad02d6d7c1/repodata/repomd.xml.asc: bad signature (key 27F2F623BF438946): openpgp: invalid signature: RSA verification failure
	// 0 patches
}

// NativeUpdates asks dnf; here the runner replays what dnf printed for the
// same root.
func ExampleNativeUpdates() {
	recs := []run.Recording{recording("repoquery-upgrades.txt"), recording("check-update.txt"),
		recording("updateinfo-list.txt"), recording("updateinfo-info.txt")}
	var root string
	for _, a := range recs[0].Argv {
		if v, ok := strings.CutPrefix(a, "--installroot="); ok {
			root = v
		}
	}
	patches, err := dnf.NativeUpdates(context.Background(), run.NewReplay(recs...), exampleInventory(),
		dnf.NativeInstallRoot(root), dnf.NativeReleasever("1"), dnf.NativeSetopt("reposdir", root+"/etc/yum.repos.d"),
		dnf.NativeCacheOnly(true), dnf.NativeArch("x86_64"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		if p.Candidate {
			fmt.Println(p.NEVRA(), p.Classification, p.Security)
		}
	}
	// Output:
	// kernel-tb-0:5.1-1.noarch Security true
	// tb-hello-0:1.1-1.noarch Bugfix true
	// tb-lib-1:2.0-2.noarch Security true
	// tb-multi-0:1.3-1.noarch Enhancement true
}

// The commands NativeUpdates runs for a root.
func ExampleNativeCommands() {
	c, err := dnf.NativeCommands(dnf.NativeInstallRoot("/srv/image"), dnf.NativeReleasever("9"), dnf.NativeCacheOnly(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.CheckUpdate.String())
	fmt.Println(c.Repoquery.Argv()[5:])
	// Output:
	// /usr/bin/dnf -q --installroot=/srv/image --releasever=9 -C check-update
	// [repoquery --upgrades --queryformat %{name}\t%{epoch}\t%{version}\t%{release}\t%{arch}\t%{repoid}\t%{sourcerpm}]
}

// ParseCheckUpdate reads yum's and dnf's table, here yum 3 on CentOS 7 as
// osconfig's test suite captured it.
func ExampleParseCheckUpdate() {
	b, err := os.ReadFile("../../testdata/dnf/osconfig/centos-7-1.yum-check-update.stdout")
	if err != nil {
		fmt.Println(err)
		return
	}
	cu, err := dnf.ParseCheckUpdate(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(cu.Updates), cu.Updates[0].NEVRA(), cu.Updates[0].Repository)
	for _, o := range cu.Obsoleting {
		fmt.Println(o.By.NEVRA(), "obsoletes", o.Obsoletes.NEVRA())
	}
	// Output:
	// 41 bind-export-libs-32:9.11.4-26.P2.el7_9.16.x86_64 updates
	// google-cloud-cli-0:519.0.0-1.x86_64 obsoletes google-cloud-sdk-0:455.0.0-1.x86_64
}

// WithInstalledVersions also returns the installed versions the
// repositories offer, not as candidates, with their metadata: here tb-lib
// as it is after dnf upgrade tb-lib (1:2.0-2, an Important security
// update), so that a baseline can tell an approved installed package
// (INSTALLED) from one it does not approve (INSTALLED_OTHER). tb-base's
// versions have no notice and are dated by their build time.
func ExampleWithInstalledVersions() {
	installed := exampleInventory()
	for i, p := range installed {
		if p.Name == "tb-lib" {
			installed[i].Release = "2"
		}
	}
	patches, _, err := dnf.Updates(context.Background(), os.DirFS("../../testdata/dnf/testbed-root"), installed,
		dnf.WithArch("x86_64"), dnf.WithNow(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)), dnf.WithMaxAge(0),
		dnf.WithInstalledVersions(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		if p.Name == "tb-lib" || p.Name == "tb-tool" {
			fmt.Println(p.NEVRA(), p.Repository, "candidate:", p.Candidate, "security:", p.Security, p.Severity, strings.Join(p.AdvisoryIDs, ","))
		}
	}
	// Output:
	// tb-lib-1:2.0-2.noarch tb-updates candidate: false security: true Important TBSA-2026:0001
	// tb-tool-0:3.0-1.noarch tb-base candidate: false security: false
}

// WithNotInstalled passes on the versions of packages that are not
// installed, for Patch Manager's NotApplicable: here tb-multi is left out
// of the recorded inventory, so its four versions are passed, each
// classified as an update would be (tb-base's version has no notice and is
// dated by its build time), and none is a candidate.
func ExampleWithNotInstalled() {
	var installed []patchkit.Package
	for _, p := range exampleInventory() {
		if p.Name != "tb-multi" {
			installed = append(installed, p)
		}
	}
	patches, _, err := dnf.Updates(context.Background(), os.DirFS("../../testdata/dnf/testbed-root"), installed,
		dnf.WithArch("x86_64"), dnf.WithNow(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)), dnf.WithMaxAge(0),
		dnf.WithNotInstalled(func(p patchkit.Patch) {
			fmt.Printf("%s %s candidate=%v class=%s/%s advisories=%s date=%s\n", p.NEVRA(), p.Repository, p.Candidate,
				p.Classification, p.Severity, strings.Join(p.AdvisoryIDs, ","), p.ReleaseDate.Format(time.DateOnly))
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(patches), "updates of installed packages")
	// Output:
	// tb-multi-0:1.0-1.noarch tb-base candidate=false class=/ advisories= date=2026-11-30
	// tb-multi-0:1.1-1.noarch tb-updates candidate=false class=Bugfix/None advisories=TBBA-2026:0004 date=2026-11-04
	// tb-multi-0:1.2-1.noarch tb-updates candidate=false class=Security/Moderate advisories=TBSA-2026:0005 date=2026-11-05
	// tb-multi-0:1.3-1.noarch tb-updates candidate=false class=Enhancement/None advisories=TBEA-2026:0006 date=2026-11-06
	// 3 updates of installed packages
}
