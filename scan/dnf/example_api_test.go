package dnf_test

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// apiInventory is the installed packages of the recorded testbed root
// (rpm -qa, testdata/dnf/testbed/rpm-qa.txt).
func apiInventory() []patchkit.Package {
	data, err := os.ReadFile("../../testdata/dnf/testbed/rpm-qa.txt")
	if err != nil {
		panic(err)
	}
	rec, err := run.ParseRecording("rpm-qa.txt", data)
	if err != nil {
		panic(err)
	}
	pkgs, err := rpmdb.ParseQuery(rec.Stdout)
	if err != nil {
		panic(err)
	}
	return pkgs
}

// apiCopy copies the files of the directory dir into a MapFS, renaming
// the prefix from to to.
func apiCopy(dir, from, to string) fstest.MapFS {
	out := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(dir + "/" + p)
		if err != nil {
			return err
		}
		if rest, ok := strings.CutPrefix(p, from); ok {
			p = to + rest
		}
		out[p] = &fstest.MapFile{Data: data}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

// The recorded metadata is from 2026-11-30 (testdata/dnf); the examples
// judge it a day later.
var apiNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// A yum system (Amazon Linux 2): its cache is var/cache/yum/$basearch/
// $releasever, and yum takes $releasever from the system-release package.
// WithOS takes the product, the flavor, the date rule and $releasever from
// the detected OS; WithFlavor and WithReleasever say the same by hand.
func ExampleWithOS() {
	al2, err := osdetect.DetectFS(os.DirFS("../../testdata/osdetect/amzn-2"))
	if err != nil {
		fmt.Println(err)
		return
	}
	root := os.DirFS("../../testdata/dnf/yum-root")
	for _, opts := range [][]dnf.Option{
		{dnf.WithOS(al2)},
		{dnf.WithFlavor(dnf.YUM), dnf.WithReleasever("2"), dnf.WithProduct("AmazonLinux2")},
		{dnf.WithFlavor(dnf.YUM), dnf.WithReleasever("2023")},
	} {
		opts = append(opts, dnf.WithArch("x86_64"), dnf.WithNow(apiNow))
		patches, repos, err := dnf.Updates(context.Background(), root, apiInventory(), opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		var health []string
		for _, r := range repos {
			health = append(health, r.Name+" "+string(r.Health))
		}
		fmt.Println(strings.Join(health, ", ")+":", len(patches), "patches")
		for _, p := range patches {
			if p.Candidate {
				fmt.Println(" ", p.NEVRA(), p.Product, p.Classification, strings.Join(p.AdvisoryIDs, ","))
			}
		}
	}
	// Output:
	// tb-base OK, tb-updates OK: 6 patches
	//   kernel-tb-0:5.1-1.noarch AmazonLinux2 Security TBSA-2026:0003
	//   tb-hello-0:1.1-1.noarch AmazonLinux2 Bugfix TBBA-2026:0002
	//   tb-lib-1:2.0-2.noarch AmazonLinux2 Security TBSA-2026:0001
	//   tb-multi-0:1.3-1.noarch AmazonLinux2 Enhancement TBEA-2026:0006
	// tb-base OK, tb-updates OK: 6 patches
	//   kernel-tb-0:5.1-1.noarch AmazonLinux2 Security TBSA-2026:0003
	//   tb-hello-0:1.1-1.noarch AmazonLinux2 Bugfix TBBA-2026:0002
	//   tb-lib-1:2.0-2.noarch AmazonLinux2 Security TBSA-2026:0001
	//   tb-multi-0:1.3-1.noarch AmazonLinux2 Enhancement TBEA-2026:0006
	// tb-base UNREADABLE, tb-updates UNREADABLE: 0 patches
}

// A root whose dnf cache is elsewhere than dnf.conf says (an image built
// with --setopt=cachedir): here the testbed root with its cache moved to
// srv/dnf-cache.
func ExampleWithCacheDir() {
	root := apiCopy("../../testdata/dnf/testbed-root", "var/cache/dnf/", "srv/dnf-cache/")
	for _, opts := range [][]dnf.Option{nil, {dnf.WithCacheDir("srv/dnf-cache")}} {
		opts = append(opts, dnf.WithArch("x86_64"), dnf.WithNow(apiNow))
		patches, repos, err := dnf.Updates(context.Background(), root, apiInventory(), opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		var health []string
		for _, r := range repos {
			health = append(health, r.Name+" "+string(r.Health))
		}
		fmt.Println(strings.Join(health, ", ")+":", len(patches), "patches")
	}
	// Output:
	// tb-base UNREADABLE, tb-updates UNREADABLE: 0 patches
	// tb-base OK, tb-updates OK: 6 patches
}

// The root trusts the keys dnf imported into its cache (pubring); without
// them, the signed repomd.xml cannot be verified, until WithKeyring gives
// the repositories' key.
func ExampleWithKeyring() {
	root := apiCopy("../../testdata/dnf/testbed-root", "", "")
	for name := range root {
		if strings.Contains(name, "/pubring/") {
			delete(root, name)
		}
	}
	key, err := os.ReadFile("../../testdata/dnf/yum-root/etc/pki/rpm-gpg/RPM-GPG-KEY-testbed")
	if err != nil {
		fmt.Println(err)
		return
	}
	kr, err := repo.ParseKeyring("RPM-GPG-KEY-testbed", key)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, opts := range [][]dnf.Option{nil, {dnf.WithKeyring(kr)}} {
		opts = append(opts, dnf.WithArch("x86_64"), dnf.WithNow(apiNow))
		patches, repos, err := dnf.Updates(context.Background(), root, apiInventory(), opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		var health []string
		for _, r := range repos {
			health = append(health, fmt.Sprintf("%s %s verified=%v", r.Name, r.Health, r.Verified))
		}
		fmt.Println(strings.Join(health, ", ")+":", len(patches), "patches")
	}
	// Output:
	// tb-base UNSIGNED verified=false, tb-updates UNSIGNED verified=false: 0 patches
	// tb-base OK verified=true, tb-updates OK verified=true: 6 patches
}

// dnf installs a kernel beside the running one; packages named with
// WithInstallOnly are treated the same, on top of dnf's list.
func ExampleWithInstallOnly() {
	rep, err := dnf.Check(context.Background(), os.DirFS("../../testdata/dnf/testbed-root"), apiInventory(),
		dnf.WithArch("x86_64"), dnf.WithNow(apiNow), dnf.WithInstallOnly("kernel-tb"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.InstallOnly)
	// Output:
	// [kernel-tb]
}

// A repomd.xml dated after the scan's clock is suspect (EXPIRED, as
// metadata dated in the future is): the clock or the repository is wrong.
// WithMaxFutureSkew says how much is tolerated. Here the scan's clock is
// an hour and a half behind the recorded metadata, whose repositories are
// made unsigned (repo_gpgcheck=0): an OpenPGP signature made after the
// clock fails anyway.
func ExampleWithMaxFutureSkew() {
	root := apiCopy("../../testdata/dnf/testbed-root", "", "")
	for name, f := range root {
		switch {
		case strings.HasSuffix(name, ".asc"):
			delete(root, name)
		case strings.HasSuffix(name, ".repo"):
			f.Data = []byte(strings.ReplaceAll(string(f.Data), "repo_gpgcheck=1", "repo_gpgcheck=0"))
		}
	}
	behind := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, skew := range []time.Duration{dnf.DefaultMaxFutureSkew, 2 * time.Hour} {
		_, repos, err := dnf.Updates(context.Background(), root, apiInventory(),
			dnf.WithArch("x86_64"), dnf.WithNow(behind), dnf.WithMaxFutureSkew(skew))
		if err != nil {
			fmt.Println(err)
			return
		}
		var health []string
		for _, r := range repos {
			health = append(health, r.Name+" "+string(r.Health))
		}
		fmt.Println(skew, strings.Join(health, ", "))
	}
	// Output:
	// 10m0s tb-base EXPIRED, tb-updates EXPIRED
	// 2h0m0s tb-base OK, tb-updates OK
}

// Progress through the stages, and the log: here the scan's clock is a
// year after the metadata was made, so both repositories are STALE and
// the logger says why.
func ExampleWithProgress() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // no time, for a stable output
			}
			return a
		},
	}))
	_, _, err := dnf.Updates(context.Background(), os.DirFS("../../testdata/dnf/testbed-root"), apiInventory(),
		dnf.WithArch("x86_64"), dnf.WithNow(apiNow.AddDate(1, 0, 0)), dnf.WithLogger(logger),
		dnf.WithProgress(func(p dnf.Progress) { fmt.Println("progress:", p.Stage, p.Repo, p.Done, "of", p.Total) }))
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// progress: config  0 of 0
	// progress: repository tb-base 0 of 2
	// level=WARN msg="repository not usable" repository=tb-base health=STALE reason="/var/cache/dnf/tb-base-41a7be7451a3e78d/repodata/repomd.xml: generated 2026-11-30T13:36:59Z, more than 168h0m0s before 2027-12-01T00:00:00Z"
	// progress: repository tb-updates 1 of 2
	// level=WARN msg="repository not usable" repository=tb-updates health=STALE reason="/var/cache/dnf/tb-updates-f5e7d8ad02d6d7c1/repodata/repomd.xml: generated 2026-11-30T13:36:59Z, more than 168h0m0s before 2027-12-01T00:00:00Z"
	// progress: select  2 of 2
}

// Patch Manager refreshes the metadata before a scan: WithRefresh fetches
// and verifies every enabled repository through the client, into the
// client's cache (the root's own cache is left as it is). Here the signed
// test repository of testdata/repo is served locally, its key is where the
// .repo file's gpgkey says, and the client's clock is fixed.
func ExampleWithRefresh() {
	srv := httptest.NewServer(http.FileServer(http.Dir("../../testdata/repo/rpm")))
	defer srv.Close()
	key, err := os.ReadFile("../../testdata/repo/keys/RPM-GPG-KEY-patchkit-test")
	if err != nil {
		fmt.Println(err)
		return
	}
	root := fstest.MapFS{
		"etc/yum.repos.d/pk.repo": {Data: []byte("[pk-updates]\nname=patchkit test updates\nbaseurl=" + srv.URL + "/updates-gz\n" +
			"gpgcheck=1\nrepo_gpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-patchkit-test\n")},
		"etc/pki/rpm-gpg/RPM-GPG-KEY-patchkit-test": {Data: key},
	}
	cache, err := os.MkdirTemp("", "scan-dnf-example-")
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
	patches, repos, err := dnf.Updates(context.Background(), root, []patchkit.Package{hello},
		dnf.WithArch("x86_64"), dnf.WithNow(now), dnf.WithReleasever("1"), dnf.WithClient(c), dnf.WithRefresh(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range repos {
		fmt.Println(r.Name, r.Health, "verified:", r.Verified)
	}
	for _, p := range patches {
		fmt.Println(p.NEVRA(), p.Classification, p.Severity, strings.Join(p.AdvisoryIDs, ","), "candidate:", p.Candidate)
	}
	// Output:
	// pk-updates OK verified: true
	// pk-hello-0:1.1-1.noarch Bugfix moderate FEDORA-2026-0a1b2c3d4e,SUSE-SLE-Module-Basesystem-15-SP6-2026-4001 candidate: true
}

// dnf installed elsewhere than /usr/bin (yum on an EL8 system is the same
// program).
func ExampleNativeProgram() {
	c, err := dnf.NativeCommands(dnf.NativeProgram("/usr/bin/yum"), dnf.NativeInstallRoot("/srv/image"), dnf.NativeCacheOnly(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.CheckUpdate.String())
	_, err = dnf.NativeCommands(dnf.NativeProgram("yum"))
	fmt.Println(err)
	// Output:
	// /usr/bin/yum -q --installroot=/srv/image -C check-update
	// dnf: NativeProgram: "yum" is not an absolute path
}

// NativeUpdates replaying what dnf printed for the testbed root
// (testdata/dnf/testbed), with an inventory taken before tb-hello was
// installed: dnf offers its upgrade all the same, and the logger warns of
// the mismatch. Every patch carries the product.
func ExampleNativeProduct() {
	var recs []run.Recording
	for _, name := range []string{"repoquery-upgrades.txt", "check-update.txt", "updateinfo-list.txt", "updateinfo-info.txt"} {
		data, err := os.ReadFile("../../testdata/dnf/testbed/" + name)
		if err != nil {
			fmt.Println(err)
			return
		}
		rec, err := run.ParseRecording(name, data)
		if err != nil {
			fmt.Println(err)
			return
		}
		recs = append(recs, rec)
	}
	var root string
	for _, a := range recs[0].Argv {
		if v, ok := strings.CutPrefix(a, "--installroot="); ok {
			root = v
		}
	}
	var inventory []patchkit.Package
	for _, p := range apiInventory() {
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
	patches, err := dnf.NativeUpdates(context.Background(), run.NewReplay(recs...), inventory,
		dnf.NativeInstallRoot(root), dnf.NativeReleasever("1"), dnf.NativeSetopt("reposdir", root+"/etc/yum.repos.d"),
		dnf.NativeCacheOnly(true), dnf.NativeArch("x86_64"),
		dnf.NativeProduct("AmazonLinux2023"), dnf.NativeLogger(logger))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		if p.Candidate {
			fmt.Println(p.NEVRA(), p.Product, p.Classification)
		}
	}
	// Output:
	// level=WARN msg="dnf offers an upgrade of a package the inventory does not list" package=tb-hello-0:1.1-1.noarch
	// kernel-tb-0:5.1-1.noarch AmazonLinux2023 Security
	// tb-hello-0:1.1-1.noarch AmazonLinux2023 Bugfix
	// tb-lib-1:2.0-2.noarch AmazonLinux2023 Security
	// tb-multi-0:1.3-1.noarch AmazonLinux2023 Enhancement
}
