package zypper_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
	"github.com/patchkit/patchkit/scan/zypper"
)

// The testbed scenario recorded under testdata: a zypper root's files,
// and real runs of rpm and zypper on it.
const scenario = "../../testdata/zypper/scenarios/testbed"

type recorded struct {
	root   string
	now    time.Time
	replay *run.Replay
	keys   *repo.Keyring
}

func load() recorded { return loadDir(scenario) }

// loadDir loads the recorded scenario of the directory dir.
func loadDir(dir string) recorded {
	var meta struct {
		Root string
		Now  time.Time
	}
	b, err := os.ReadFile(dir + "/fixture.json")
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		panic(err)
	}
	recs, err := run.LoadRecordings(os.DirFS(dir), "*.txt")
	if err != nil {
		panic(err)
	}
	r := recorded{root: meta.Root, now: meta.Now, replay: run.NewReplay(recs...)}
	for _, rec := range recs {
		if slices.Contains(rec.Argv, "gpg-pubkey") {
			if r.keys, err = repo.ParseKeyring("rpm -q gpg-pubkey", bytes.TrimSpace(rec.Stdout)); err != nil {
				panic(err)
			}
		}
	}
	return r
}

// Updates reads a SUSE root's repositories, zypp's metadata cache and its
// locks, and lists every newer version of the installed packages with its
// classification; zypper's own choice is the candidate. On a live host,
// give it os.DirFS("/") and the inventory of scan.ReadInventory; the keys
// trusted are then the rpm database's.
func ExampleUpdates() {
	r := load()
	ctx := context.Background()
	installed, err := rpmdb.Query(ctx, r.replay, rpmdb.WithRoot(r.root))
	if err != nil {
		panic(err)
	}
	updates, repos, err := zypper.Updates(ctx, os.DirFS(scenario+"/root"), installed,
		zypper.WithArch("x86_64"), zypper.WithNow(r.now), zypper.WithKeyring(r.keys))
	if err != nil {
		panic(err)
	}
	for _, st := range repos {
		fmt.Println(st.Name, st.Health, "verified:", st.Verified)
	}
	for _, p := range updates {
		fmt.Printf("%s %s candidate=%v %s %s %v\n", p.Name, p.EVR(), p.Candidate, p.Classification, p.Severity, p.AdvisoryIDs)
	}
	// Output:
	// tb-base OK verified: true
	// tb-updates OK verified: true
	// kernel-tb 0:5.1-1 candidate=true Security Critical [TBSA-2026:0003]
	// tb-hello 0:1.1-1 candidate=true Bugfix  [TBBA-2026:0002]
	// tb-lib 1:2.0-2 candidate=true Security Important [TBSA-2026:0001]
	// tb-multi 0:1.1-1 candidate=false Bugfix  [TBBA-2026:0004]
	// tb-multi 0:1.2-1 candidate=false Security Moderate [TBSA-2026:0005]
	// tb-multi 0:1.3-1 candidate=true Enhancement  [TBEA-2026:0006]
}

// Patches lists the zypper patches with their status on the node, as
// zypper list-patches --all shows them.
func ExamplePatches() {
	r := load()
	ctx := context.Background()
	installed, err := rpmdb.Query(ctx, r.replay, rpmdb.WithRoot(r.root))
	if err != nil {
		panic(err)
	}
	patches, _, err := zypper.Patches(ctx, os.DirFS(scenario+"/root"), installed,
		zypper.WithArch("x86_64"), zypper.WithNow(r.now), zypper.WithKeyring(r.keys))
	if err != nil {
		panic(err)
	}
	for _, p := range patches {
		fmt.Println(p.Name, p.Category, p.Status, p.Date.Format(time.DateOnly))
	}
	// Output:
	// TBSA-2026:0001 security needed 2026-11-01
	// TBBA-2026:0002 bugfix needed 2026-11-02
	// TBSA-2026:0003 security needed 2026-11-03
	// TBBA-2026:0004 bugfix needed 2026-11-04
	// TBSA-2026:0005 security needed 2026-11-05
	// TBEA-2026:0006 enhancement optional 2026-11-06
	// TBSA-2026:0007 security not-needed 2026-11-07
}

// NativeUpdates asks zypper itself, here through recordings of real runs;
// run.NewLocal() runs it on the host, and NativeRoot points it at a root.
func ExampleNativeUpdates() {
	r := load()
	updates, err := zypper.NativeUpdates(context.Background(), r.replay, nil, zypper.NativeRoot(r.root))
	if err != nil {
		panic(err)
	}
	for _, p := range updates {
		fmt.Println(p.Name, p.EVR(), p.Repository, p.Classification, p.RebootSuggested)
	}
	// Output:
	// kernel-tb 0:5.1-1 tb-updates Security true
	// tb-hello 0:1.1-1 tb-updates Bugfix false
	// tb-lib 1:2.0-2 tb-updates Security false
	// tb-multi 0:1.3-1 tb-updates Enhancement false
}

// NativePatches returns zypper's own list of patches, with the packages
// of the needed ones.
func ExampleNativePatches() {
	r := load()
	patches, err := zypper.NativePatches(context.Background(), r.replay, zypper.NativeRoot(r.root))
	if err != nil {
		panic(err)
	}
	for _, p := range patches[:2] {
		fmt.Println(p.Name, p.Status, p.Severity, p.CVEIDs, p.Packages[0].NEVRA())
	}
	// Output:
	// TBSA-2026:0001 needed Important [CVE-2026-0001] tb-lib-1:2.0-2
	// TBBA-2026:0002 needed  [] tb-hello-0:1.1-1
}

// Command shows the command line the native backend runs.
func ExampleCommand() {
	c, err := zypper.Command([]string{"list-patches", "--all"}, nil, zypper.NativeRoot("/mnt/sles"))
	if err != nil {
		panic(err)
	}
	fmt.Println(c)
	// Output:
	// /usr/bin/zypper --non-interactive --xmlout --no-refresh --root /mnt/sles list-patches --all
}

// ParseListUpdates reads zypper --xmlout list-updates output captured
// elsewhere (saltstack/salt's test data, from SUSE Linux Enterprise 12).
func ExampleParseListUpdates() {
	f, err := os.Open("../../testdata/zypper/salt/zypper-updates.xml")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	pkgs, err := zypper.ParseListUpdates("zypper-updates.xml", f)
	if err != nil {
		panic(err)
	}
	for _, p := range pkgs {
		fmt.Println(p.NEVRA(), p.Repository)
	}
	// Output:
	// SUSEConnect-0:0.2.33-7.1.x86_64 SLE12-SP1-x86_64-Update
	// bind-libs-0:9.9.6P1-35.1.x86_64 SLE12-SP1-x86_64-Update
	// bind-utils-0:9.9.6P1-35.1.x86_64 SLE12-SP1-x86_64-Update
}

// ParseListPatchesTable reads the table zypper list-patches prints
// (GoogleCloudPlatform/osconfig's capture from SUSE Linux Enterprise 15 SP5).
func ExampleParseListPatchesTable() {
	f, err := os.Open("../../testdata/zypper/osconfig/sles_15_zypper_patches")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	rows, err := zypper.ParseListPatchesTable("sles_15_zypper_patches", f)
	if err != nil {
		panic(err)
	}
	for _, u := range rows {
		if u.Status == "retracted" || u.PkgManager && u.Status == "needed" {
			fmt.Println(u.Name, u.Category, u.Severity, u.Status, "reboot:", u.Restart, "update stack:", u.PkgManager)
		}
	}
	// Output:
	// SUSE-SLE-Module-Basesystem-15-SP5-2023-3704 security important retracted reboot: true update stack: false
	// SUSE-SLE-Module-Basesystem-15-SP5-2023-3973 recommended moderate needed reboot: false update stack: true
}

// WithNotInstalled passes on the versions of packages the node does not
// have installed, classified as updates are: the versions of which Patch
// Manager makes its NotApplicable items when the baseline approves them.
// Here tb-extra, which the testbed root does not have; its 1.1-1 is named
// by a security patch.
func ExampleWithNotInstalled() {
	r := load()
	ctx := context.Background()
	installed, err := rpmdb.Query(ctx, r.replay, rpmdb.WithRoot(r.root))
	if err != nil {
		panic(err)
	}
	_, _, err = zypper.Updates(ctx, os.DirFS(scenario+"/root"), installed,
		zypper.WithArch("x86_64"), zypper.WithNow(r.now), zypper.WithKeyring(r.keys),
		zypper.WithNotInstalled(func(p patchkit.Patch) {
			fmt.Println(p.NEVRA(), p.Repository, p.Classification, p.Severity, p.AdvisoryIDs, p.CVEIDs)
		}))
	if err != nil {
		panic(err)
	}
	// Output:
	// tb-extra-0:1.0-1.noarch tb-base   [] []
	// tb-extra-0:1.1-1.noarch tb-updates Security Important [TBSA-2026:0007] [CVE-2026-0007]
}
