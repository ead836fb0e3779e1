package zypper_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
	"github.com/patchkit/patchkit/scan/zypper"
)

// apiScenario is a recorded zypper scenario of testdata/zypper/scenarios:
// its root's files, the rpm database as rpm -qa printed it, the keys the
// database trusts, and when it was recorded.
type apiScenario struct {
	root      string // the root the recordings ran on
	files     string // the copy of its files
	now       time.Time
	replay    *run.Replay
	installed []patchkit.Package
	keys      *repo.Keyring
}

func apiLoad(name string) apiScenario {
	dir := "../../testdata/zypper/scenarios/" + name
	var meta struct {
		Root string
		Now  time.Time
	}
	data, err := os.ReadFile(dir + "/fixture.json")
	if err == nil {
		err = json.Unmarshal(data, &meta)
	}
	if err != nil {
		panic(err)
	}
	recs, err := run.LoadRecordings(os.DirFS(dir), "*.txt")
	if err != nil {
		panic(err)
	}
	s := apiScenario{root: meta.Root, files: dir + "/root", now: meta.Now, replay: run.NewReplay(recs...)}
	for _, rec := range recs {
		if slices.Contains(rec.Argv, "gpg-pubkey") {
			if s.keys, err = repo.ParseKeyring("rpm -q gpg-pubkey", bytes.TrimSpace(rec.Stdout)); err != nil {
				panic(err)
			}
		}
	}
	if s.installed, err = rpmdb.Query(context.Background(), s.replay, rpmdb.WithRoot(s.root)); err != nil {
		panic(err)
	}
	return s
}

// apiHealth writes the health of each repository.
func apiHealth(repos []repo.Status) string {
	var out []string
	for _, r := range repos {
		out = append(out, r.Name+" "+string(r.Health))
	}
	return strings.Join(out, ", ")
}

// zypp metadata has no expiry of its own: a week old is stale by default.
// A distribution's pool repository never changes after the release, so it
// gets a longer maximum age than its updates repository.
func ExampleWithRepoMaxAge() {
	s := apiLoad("testbed")
	later := s.now.AddDate(0, 0, 30)
	for _, opts := range [][]zypper.Option{
		nil,
		{zypper.WithRepoMaxAge("tb-base", 365*24*time.Hour)},
		{zypper.WithMaxAge(60 * 24 * time.Hour)},
	} {
		opts = append(opts, zypper.WithArch("x86_64"), zypper.WithNow(later), zypper.WithKeyring(s.keys))
		updates, repos, err := zypper.Updates(context.Background(), os.DirFS(s.files), s.installed, opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(apiHealth(repos)+":", len(updates), "updates")
	}
	// Output:
	// tb-base STALE, tb-updates STALE: 0 updates
	// tb-base OK, tb-updates STALE: 0 updates
	// tb-base OK, tb-updates OK: 6 updates
}

// The installed version itself, when a repository has it, classified by
// the patches that name it: here the testbed root after zypper update.
func ExampleWithInstalledVersions() {
	s := apiLoad("updated")
	updates, _, err := zypper.Updates(context.Background(), os.DirFS(s.files), s.installed,
		zypper.WithArch("x86_64"), zypper.WithNow(s.now), zypper.WithKeyring(s.keys), zypper.WithInstalledVersions(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range updates {
		fmt.Printf("%s %s candidate=%v %s %q %v\n", p.Name, p.EVR(), p.Candidate, p.Repository, p.Classification, p.AdvisoryIDs)
	}
	// Output:
	// kernel-tb 0:5.1-1 candidate=false tb-updates "Security" [TBSA-2026:0003]
	// tb-hello 0:1.1-1 candidate=false tb-updates "Bugfix" [TBBA-2026:0002]
	// tb-lib 1:2.0-2 candidate=false tb-updates "Security" [TBSA-2026:0001]
	// tb-multi 0:1.3-1 candidate=false tb-updates "Enhancement" [TBEA-2026:0006]
	// tb-tool 0:3.0-1 candidate=false tb-base "" []
}

// zypper shows a needed patch of an optional category (optional, feature,
// enhancement) as "optional", unless asked --with-optional. Broken tells
// the statuses of a patch whose packages are installed at lower versions.
func ExampleWithOptionalPatches() {
	s := apiLoad("testbed")
	for _, with := range []bool{false, true} {
		patches, _, err := zypper.Patches(context.Background(), os.DirFS(s.files), s.installed,
			zypper.WithArch("x86_64"), zypper.WithNow(s.now), zypper.WithKeyring(s.keys), zypper.WithOptionalPatches(with))
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, p := range patches {
			if p.Category == "enhancement" || p.Status == zypper.StatusNotNeeded {
				fmt.Println(with, p.Name, p.Category, p.Status, "broken:", p.Status.Broken())
			}
		}
	}
	// Output:
	// false TBEA-2026:0006 enhancement optional broken: true
	// false TBSA-2026:0007 security not-needed broken: false
	// true TBEA-2026:0006 enhancement needed broken: true
	// true TBSA-2026:0007 security not-needed broken: false
}

// Progress per repository, every patch tagged with the product, and the
// log: here the root of the "locks" scenario, where zypper addlock locked
// tb-hello and the glob tb-mu*.
func ExampleWithProgress() {
	s := apiLoad("locks")
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // no time, for a stable output
			}
			return a
		},
	}))
	updates, _, err := zypper.Updates(context.Background(), os.DirFS(s.files), s.installed,
		zypper.WithArch("x86_64"), zypper.WithNow(s.now), zypper.WithKeyring(s.keys),
		zypper.WithProduct("SUSE15.6"), zypper.WithLogger(logger),
		zypper.WithProgress(func(p zypper.Progress) { fmt.Println("progress:", p.Stage, p.Repository, p.Done, "of", p.Total) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range updates {
		if p.Candidate {
			fmt.Println(p.Name, p.EVR(), p.Product)
		}
	}
	// Output:
	// progress: reading tb-base 0 of 2
	// progress: reading tb-updates 1 of 2
	// progress: done  2 of 2
	// level=INFO msg="package is locked: no update is its candidate" package=tb-hello-1.0-1.noarch
	// level=INFO msg="package is locked: no update is its candidate" package=tb-multi-1.0-1.noarch
	// kernel-tb 0:5.1-1 SUSE15.6
	// tb-lib 1:2.0-2 SUSE15.6
}

// Limits on the metadata's XML: a repository whose files exceed them is
// UNREADABLE and offers nothing.
func ExampleWithLimits() {
	s := apiLoad("testbed")
	_, repos, err := zypper.Updates(context.Background(), os.DirFS(s.files), s.installed,
		zypper.WithArch("x86_64"), zypper.WithNow(s.now), zypper.WithKeyring(s.keys),
		zypper.WithLimits(rpmmd.Limits{MaxElements: 60}))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range repos {
		fmt.Println(r.Name, r.Health, r.Reason)
	}
	// Output:
	// tb-base UNREADABLE /var/cache/zypp/raw/tb-base/repodata/3336ede200bbc30102647916d8a6a2483abec74cd5b2787d9ecbffa5ed0bef27-primary.xml.gz:68: XML element count beyond the limit of 60
	// tb-updates UNREADABLE /var/cache/zypp/raw/tb-updates/repodata/28263b19746f7cb9276eb0aad9b599e9d05c5fbfb0938b2316409bf940e0e452-primary.xml.gz:68: XML element count beyond the limit of 60
}

// Patch Manager refreshes the metadata before a scan: WithRefresh fetches
// and verifies every enabled repository through the client, without
// writing to the root. Here the signed test repository of testdata/repo
// is served locally under a path with the release ($releasever in the
// .repo file), and the client's clock is fixed.
func ExampleWithRefresh() {
	srv := httptest.NewServer(http.StripPrefix("/15.6", http.FileServer(http.Dir("../../testdata/repo/rpm"))))
	defer srv.Close()
	key, err := os.ReadFile("../../testdata/repo/keys/RPM-GPG-KEY-patchkit-test")
	if err != nil {
		fmt.Println(err)
		return
	}
	kr, err := repo.ParseKeyring("RPM-GPG-KEY-patchkit-test", key)
	if err != nil {
		fmt.Println(err)
		return
	}
	root := fstest.MapFS{
		"etc/zypp/repos.d/pk-updates.repo": {Data: []byte("[pk-updates]\nenabled=1\nautorefresh=1\nbaseurl=" + srv.URL + "/$releasever/updates-gz\n")},
	}
	cache, err := os.MkdirTemp("", "scan-zypper-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cache)
	now := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	c, err := repo.NewClient(repo.WithCacheDir(cache), repo.WithClock(func() time.Time { return now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	hello, err := patchkit.ParseNEVRA("pk-hello-1.0-1.noarch")
	if err != nil {
		fmt.Println(err)
		return
	}
	updates, repos, err := zypper.Updates(context.Background(), root, []patchkit.Package{hello},
		zypper.WithArch("x86_64"), zypper.WithNow(now), zypper.WithKeyring(kr),
		zypper.WithClient(c), zypper.WithRefresh(true), zypper.WithReleasever("15.6"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range repos {
		fmt.Println(r.Name, r.Health, "verified:", r.Verified)
	}
	for _, p := range updates {
		fmt.Println(p.NEVRA(), p.Classification, p.AdvisoryIDs, "candidate:", p.Candidate)
	}
	// Output:
	// pk-updates OK verified: true
	// pk-hello-0:1.1-1.noarch Recommended [FEDORA-2026-0a1b2c3d4e SUSE-SLE-Module-Basesystem-15-SP6-2026-4001] candidate: true
}

// The command line and environment of the native backend: zypper from
// elsewhere, libzypp pointed at the root's zypp.conf, and allowed to
// refresh what it finds out of date.
func ExampleNativeEnv() {
	c, err := zypper.Command([]string{"list-updates"}, nil,
		zypper.NativeProgram("/opt/zypper/bin/zypper"), zypper.NativeRoot("/mnt/sles"),
		zypper.NativeEnv("ZYPP_CONF=/mnt/sles/etc/zypp/zypp.conf", "ZYPP_LOCK_TIMEOUT=120"), zypper.NativeRefresh(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Env)
	fmt.Println(c)
	_, err = zypper.Command([]string{"list-updates"}, nil, zypper.NativeEnv("ZYPP_CONF"))
	fmt.Println(err)
	// Output:
	// [LC_ALL=C LANG=C LANGUAGE= ZYPP_CONF=/mnt/sles/etc/zypp/zypp.conf ZYPP_LOCK_TIMEOUT=120]
	// /opt/zypper/bin/zypper --non-interactive --xmlout --root /mnt/sles list-updates
	// zypper: NativeEnv: "ZYPP_CONF" is not KEY=value
}

// NativeUpdates replaying real zypper runs, with an inventory taken before
// tb-hello was installed: zypper offers its update all the same, and the
// logger warns of the mismatch. Every patch carries the product.
func ExampleNativeProduct() {
	s := apiLoad("testbed")
	var inventory []patchkit.Package
	for _, p := range s.installed {
		if p.Name != "tb-hello" {
			inventory = append(inventory, p)
		}
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // no time, for a stable output
			}
			return a
		},
	}))
	updates, err := zypper.NativeUpdates(context.Background(), s.replay, inventory, zypper.NativeRoot(s.root),
		zypper.NativeProduct("SUSE15.6"), zypper.NativeLogger(logger))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range updates {
		fmt.Println(p.Name, p.EVR(), p.Product, p.Classification)
	}
	// Output:
	// level=WARN msg="zypper offers an update of a package the inventory lacks" package=tb-hello-0:1.1-1.noarch
	// kernel-tb 0:5.1-1 SUSE15.6 Security
	// tb-hello 0:1.1-1 SUSE15.6 Bugfix
	// tb-lib 1:2.0-2 SUSE15.6 Security
	// tb-multi 0:1.3-1 SUSE15.6 Enhancement
}
