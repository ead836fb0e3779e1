package zypper_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
	"github.com/patchkit/patchkit/scan/zypper"
)

// testbedOutput is the standard output of one recorded zypper run of the
// testbed scenario.
func testbedOutput(file string) ([]byte, error) {
	data, err := os.ReadFile(scenario + "/" + file)
	if err != nil {
		return nil, err
	}
	rec, err := run.ParseRecording(file, data)
	if err != nil {
		return nil, err
	}
	return rec.Stdout, nil
}

// versions writes packages as name-EVR.
func versions(pkgs []patchkit.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name+"-"+p.EVR())
	}
	return out
}

// Read gives the updates and the patches at once, reading the metadata
// once: a scan uses it.
func ExampleRead() {
	r := load()
	ctx := context.Background()
	installed, err := rpmdb.Query(ctx, r.replay, rpmdb.WithRoot(r.root))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := zypper.Read(ctx, os.DirFS(scenario+"/root"), installed,
		zypper.WithArch("x86_64"), zypper.WithNow(r.now), zypper.WithKeyring(r.keys))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(res.Repos), "repositories,", len(res.Updates), "updates,", len(res.Patches), "patches")
	for _, p := range res.Patches {
		if p.Category == "security" {
			fmt.Println(p.Name, p.Severity, p.Status, versions(p.Packages))
		}
	}
	// Output:
	// 2 repositories, 6 updates, 7 patches
	// TBSA-2026:0001 Important needed [tb-lib-1:2.0-2]
	// TBSA-2026:0003 Critical needed [kernel-tb-0:5.1-1]
	// TBSA-2026:0005 Moderate needed [tb-multi-0:1.2-1]
	// TBSA-2026:0007 Important not-needed [tb-extra-0:1.1-1]
}

// ParseStream reads any zypper --xmlout output: here zypper list-updates
// on the testbed's zypper root.
func ExampleParseStream() {
	out, err := testbedOutput("03-zypper-list-updates.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := zypper.ParseStream("list-updates", bytes.NewReader(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range s.Updates {
		fmt.Println(u.Kind, u.Name, u.EditionOld, "->", u.Edition, u.RepoAlias)
	}
	_, err = zypper.ParseStream("truncated", bytes.NewReader(out[:len(out)/2]))
	fmt.Println(err != nil)
	// Output:
	// package kernel-tb 5.0-1 -> 5.1-1 tb-updates
	// package tb-hello 1.0-1 -> 1.1-1 tb-updates
	// package tb-lib 1:2.0-1 -> 1:2.0-2 tb-updates
	// package tb-multi 1.0-1 -> 1.3-1 tb-updates
	// true
}

func ExampleParseListPatches() {
	out, err := testbedOutput("04-zypper-list-patches.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	patches, err := zypper.ParseListPatches("list-patches", bytes.NewReader(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		fmt.Println(p.Name, p.Category, p.Severity, p.Status, p.Date.Format(time.DateOnly), "restart:", p.RebootSuggested)
	}
	// Output:
	// TBSA-2026:0001 security Important needed 2026-11-01 restart: false
	// TBBA-2026:0002 bugfix  needed 2026-11-02 restart: false
	// TBSA-2026:0003 security Critical needed 2026-11-03 restart: true
	// TBBA-2026:0004 bugfix  needed 2026-11-04 restart: false
	// TBSA-2026:0005 security Moderate needed 2026-11-05 restart: false
	// TBEA-2026:0006 enhancement  optional 2026-11-06 restart: false
	// TBSA-2026:0007 security Important not-needed 2026-11-07 restart: false
}

// The packages each patch updates, which list-patches does not name, from
// zypper info -t patch.
func ExampleParseInfoPatches() {
	out, err := testbedOutput("05-zypper-info.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	patches, err := zypper.ParseInfoPatches("info", bytes.NewReader(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		fmt.Println(p.Name, p.Repository, versions(p.Packages))
	}
	// Output:
	// TBSA-2026:0001 tb-updates [tb-lib-1:2.0-2]
	// TBBA-2026:0002 tb-updates [tb-hello-0:1.1-1]
	// TBSA-2026:0003 tb-updates [kernel-tb-0:5.1-1]
	// TBBA-2026:0004 tb-updates [tb-multi-0:1.1-1]
	// TBSA-2026:0005 tb-updates [tb-multi-0:1.2-1]
	// TBEA-2026:0006 tb-updates [tb-multi-0:1.3-1]
}

// The table zypper list-updates prints without --xmlout
// (GoogleCloudPlatform/osconfig's capture from SUSE Linux Enterprise 12
// SP5).
func ExampleParseListUpdatesTable() {
	f, err := os.Open("../../testdata/zypper/osconfig/sles_12_zypper_list_updates.stdout")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	rows, err := zypper.ParseListUpdatesTable("sles_12_zypper_list_updates.stdout", f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(rows), "updates")
	for _, u := range rows[:3] {
		fmt.Println(u.Name, u.EditionOld, "->", u.Edition, u.Arch, u.RepoName)
	}
	// Output:
	// 21 updates
	// autofs 5.1.3-3.14.1 -> 5.1.3-3.17.1 x86_64 SLES12-SP5-Updates
	// containerd 1.7.7-16.85.1 -> 1.7.8-16.88.1 x86_64 SLE-Module-Containers12-Updates
	// curl 8.0.1-11.74.1 -> 8.0.1-11.80.1 x86_64 SLES12-SP5-Updates
}

// With NativeInstalledVersions, NativeUpdates also returns each installed
// version that an enabled repository has (Candidate false), classified by
// the patches that name it, so that a baseline tells an installed package
// it approves (INSTALLED) from one it does not (INSTALLED_OTHER). Here the
// testbed root after `zypper update`, recorded: nothing newer, and the
// installed versions are those the patches name.
func ExampleNativeInstalledVersions() {
	r := loadDir("../../testdata/zypper/scenarios/updated")
	ctx := context.Background()
	installed, err := rpmdb.Query(ctx, r.replay, rpmdb.WithRoot(r.root))
	if err != nil {
		panic(err)
	}
	updates, err := zypper.NativeUpdates(ctx, r.replay, installed, zypper.NativeRoot(r.root), zypper.NativeInstalledVersions(true))
	if err != nil {
		panic(err)
	}
	for _, p := range updates {
		fmt.Printf("%s %s candidate=%v %s %q %q %v\n", p.Name, p.EVR(), p.Candidate, p.Repository, p.Classification, p.Severity, p.AdvisoryIDs)
	}
	// Output:
	// kernel-tb 0:5.1-1 candidate=false tb-updates "Security" "Critical" [TBSA-2026:0003]
	// tb-hello 0:1.1-1 candidate=false tb-updates "Bugfix" "" [TBBA-2026:0002]
	// tb-lib 1:2.0-2 candidate=false tb-updates "Security" "Important" [TBSA-2026:0001]
	// tb-multi 0:1.3-1 candidate=false tb-updates "Enhancement" "" [TBEA-2026:0006]
	// tb-tool 0:3.0-1 candidate=false tb-base "" "" []
}
