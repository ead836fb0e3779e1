package dnf_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// NativeInstalledVersions makes NativeUpdates also return the installed
// versions an enabled repository offers, not as candidates, classified
// from dnf's update notices: here the runner replays what dnf printed for
// a root where tb-lib is at its security update 1:2.0-2 (repoquery
// --available over the installed NEVRAs, and updateinfo list and info
// with --all). A baseline can then tell an approved installed package
// (INSTALLED) from one it does not approve (INSTALLED_OTHER). tb-tool's
// version has no notice, and dnf prints no date for it.
func ExampleNativeInstalledVersions() {
	var recs []run.Recording
	for _, name := range []string{"rpm-qa.txt", "repoquery-upgrades.txt", "check-update.txt",
		"updateinfo-list-all.txt", "updateinfo-info-all.txt", "repoquery-available.txt"} {
		b, err := os.ReadFile("../../testdata/dnf/native-installed/" + name)
		if err != nil {
			fmt.Println(err)
			return
		}
		r, err := run.ParseRecording(name, b)
		if err != nil {
			fmt.Println(err)
			return
		}
		recs = append(recs, r)
	}
	installed, err := rpmdb.ParseQuery(recs[0].Stdout)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The root the recordings were made in (a temporary copy).
	var root string
	for _, a := range recs[1].Argv {
		if v, ok := strings.CutPrefix(a, "--installroot="); ok {
			root = v
		}
	}
	patches, err := dnf.NativeUpdates(context.Background(), run.NewReplay(recs[1:]...), installed,
		dnf.NativeInstallRoot(root), dnf.NativeReleasever("1"), dnf.NativeSetopt("reposdir", root+"/etc/yum.repos.d"),
		dnf.NativeCacheOnly(true), dnf.NativeArch("x86_64"), dnf.NativeInstalledVersions(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		if p.Name == "tb-lib" || p.Name == "tb-tool" {
			fmt.Printf("%s %s candidate=%v security=%v severity=%s advisories=%s dated=%v\n", p.NEVRA(), p.Repository,
				p.Candidate, p.Security, p.Severity, strings.Join(p.AdvisoryIDs, ","), !p.ReleaseDate.IsZero())
		}
	}
	// Output:
	// tb-lib-1:2.0-2.noarch tb-updates candidate=false security=true severity=Important advisories=TBSA-2026:0001 dated=true
	// tb-tool-0:3.0-1.noarch tb-base candidate=false security=false severity= advisories= dated=false
}
