package apt_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/apt"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// apiSuite adds a suite's Release and amd64 Packages to root under
// dir/var/lib/apt/lists, named as apt names them for uri and suite.
func apiSuite(root fstest.MapFS, dir, uri, suite, release, packages string) {
	sum := sha256.Sum256([]byte(packages))
	prefix := dir + "var/lib/apt/lists/" + strings.ReplaceAll(strings.TrimPrefix(uri, "http://"), "/", "_") + "_dists_" + suite + "_"
	root[prefix+"Release"] = &fstest.MapFile{Data: []byte(release + "Date: Sat, 01 Nov 2025 00:00:00 UTC\n" +
		"Architectures: amd64\nComponents: main\nSHA256:\n " + hex.EncodeToString(sum[:]) +
		fmt.Sprintf(" %d main/binary-amd64/Packages\n", len(packages)))}
	root[prefix+"main_binary-amd64_Packages"] = &fstest.MapFile{Data: []byte(packages)}
}

// apiDebian is a Debian 12 root below dir ("" for the root itself) with
// the main, security and backports suites (unsigned, so trusted=yes in the
// sources); backports is NotAutomatic, as Debian publishes it.
func apiDebian(dir string) fstest.MapFS {
	root := fstest.MapFS{
		dir + "etc/apt/sources.list": {Data: []byte(
			"deb [trusted=yes] http://deb.debian.org/debian bookworm main\n" +
				"deb [trusted=yes] http://security.debian.org/debian-security bookworm-security main\n" +
				"deb [trusted=yes] http://deb.debian.org/debian bookworm-backports main\n")},
	}
	apiSuite(root, dir, "http://deb.debian.org/debian", "bookworm",
		"Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nVersion: 12.12\n",
		"Package: curl\nVersion: 7.88.1-10+deb12u12\nArchitecture: amd64\nPriority: optional\nSection: web\n\n"+
			"Package: tzdata\nVersion: 2025b-0+deb12u1\nArchitecture: all\nPriority: required\nSection: localization\n\n"+
			"Package: libcurl4\nVersion: 7.88.1-10+deb12u12\nArchitecture: amd64\nPriority: optional\nSection: libs\n")
	apiSuite(root, dir, "http://security.debian.org/debian-security", "bookworm-security",
		"Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nCodename: bookworm-security\nVersion: 12\n",
		"Package: curl\nVersion: 7.88.1-10+deb12u14\nArchitecture: amd64\nPriority: optional\nSection: web\n\n"+
			"Package: libcurl4\nVersion: 7.88.1-10+deb12u14\nArchitecture: amd64\nPriority: optional\nSection: libs\n\n"+
			"Package: libcurl3-gnutls\nVersion: 7.88.1-10+deb12u14\nArchitecture: amd64\nPriority: optional\nSection: libs\n")
	apiSuite(root, dir, "http://deb.debian.org/debian", "bookworm-backports",
		"Origin: Debian Backports\nLabel: Debian Backports\nSuite: stable-backports\nCodename: bookworm-backports\n"+
			"NotAutomatic: yes\nButAutomaticUpgrades: yes\n",
		"Package: curl\nVersion: 8.14.1-2~bpo12+1\nArchitecture: amd64\nPriority: optional\nSection: web\n")
	return root
}

// apiInstalled is the inventory: curl and tzdata as dpkg lists them.
func apiInstalled() []patchkit.Package {
	var out []patchkit.Package
	for _, p := range [][3]string{{"curl", "amd64", "7.88.1-10+deb12u8"}, {"tzdata", "all", "2025b-0+deb12u1"}} {
		pkg, err := patchkit.ParseDpkg(p[0]+":"+p[1], p[2])
		if err != nil {
			panic(err)
		}
		pkg.State = patchkit.StateInstalled
		out = append(out, pkg)
	}
	return out
}

var apiNow = time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC)

// Backports is NotAutomatic: its newer curl is offered but is not apt's
// candidate, until the default release names it (apt-get -t
// bookworm-backports), which pins it at 990.
func ExampleWithDefaultRelease() {
	root := apiDebian("")
	for _, rel := range []string{"", "bookworm-backports"} {
		opts := []apt.Option{apt.WithArch("x86_64"), apt.WithNow(apiNow)}
		if rel != "" {
			opts = append(opts, apt.WithDefaultRelease(rel))
		}
		patches, _, err := apt.Updates(context.Background(), root, apiInstalled(), opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("default release %q:\n", rel)
		for _, p := range patches {
			fmt.Println(" ", p.Name, p.EVR(), p.Repository, "candidate:", p.Candidate)
		}
	}
	// Output:
	// default release "":
	//   curl 7.88.1-10+deb12u12 Debian:12.12/stable candidate: false
	//   curl 7.88.1-10+deb12u14 Debian-Security:12/stable-security candidate: true
	//   curl 8.14.1-2~bpo12+1 Debian Backports:stable-backports candidate: false
	// default release "bookworm-backports":
	//   curl 7.88.1-10+deb12u12 Debian:12.12/stable candidate: false
	//   curl 7.88.1-10+deb12u14 Debian-Security:12/stable-security candidate: false
	//   curl 8.14.1-2~bpo12+1 Debian Backports:stable-backports candidate: true
}

// A private apt root (its own sources, lists and dpkg status, as
// APT_CONFIG describes it to apt) inside the scanned file system.
func ExampleWithAptConfig() {
	root := apiDebian("srv/node/")
	root["srv/node/apt.conf"] = &fstest.MapFile{Data: []byte("Dir \"/srv/node/\";\n")}
	patches, statuses, err := apt.Updates(context.Background(), root, apiInstalled(),
		apt.WithArch("x86_64"), apt.WithNow(apiNow), apt.WithAptConfig("/srv/node/apt.conf"), apt.WithProduct("Debian12"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range statuses {
		fmt.Println(s.Name, s.Health)
	}
	for _, p := range patches {
		fmt.Printf("%s %s %s %q candidate: %v\n", p.Name, p.EVR(), p.Product, p.Classification, p.Candidate)
	}
	// Output:
	// http://deb.debian.org/debian bookworm OK
	// http://security.debian.org/debian-security bookworm-security OK
	// http://deb.debian.org/debian bookworm-backports OK
	// curl 7.88.1-10+deb12u12 Debian12 "" candidate: false
	// curl 7.88.1-10+deb12u14 Debian12 "Security" candidate: true
	// curl 8.14.1-2~bpo12+1 Debian12 "" candidate: false
}

// The installed version itself, when a repository offers it, so that a
// baseline can decide it too (Patch Manager's INSTALLED versus
// INSTALLED_OTHER): tzdata 2025b is installed and offered by bookworm.
func ExampleWithInstalledVersions() {
	patches, _, err := apt.Updates(context.Background(), apiDebian(""), apiInstalled(),
		apt.WithArch("x86_64"), apt.WithNow(apiNow), apt.WithInstalledVersions(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range patches {
		fmt.Println(p.Name, p.EVR(), p.Repository, "candidate:", p.Candidate)
	}
	// Output:
	// curl 7.88.1-10+deb12u12 Debian:12.12/stable candidate: false
	// curl 7.88.1-10+deb12u14 Debian-Security:12/stable-security candidate: true
	// curl 8.14.1-2~bpo12+1 Debian Backports:stable-backports candidate: false
	// tzdata 2025b-0+deb12u1 Debian:12.12/stable candidate: false
}

// With a baseline that approves security patches only, the versions of
// packages that are not installed are read from the security suites
// alone.
func ExampleWithNotInstalledSecurityOnly() {
	_, _, err := apt.Updates(context.Background(), apiDebian(""), apiInstalled(),
		apt.WithArch("x86_64"), apt.WithNow(apiNow), apt.WithProduct("Debian12"),
		apt.WithNotInstalledSecurityOnly(true),
		apt.WithNotInstalled(func(p patchkit.Patch) {
			fmt.Println(p.Name, p.EVR(), p.Repository, p.Classification)
		}))
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// libcurl3-gnutls 7.88.1-10+deb12u14 Debian-Security:12/stable-security Security
	// libcurl4 7.88.1-10+deb12u14 Debian-Security:12/stable-security Security
}

// Progress after each repository, and a warning in the log for one that
// cannot be used: here the backports lists are missing, as after an
// interrupted apt update.
func ExampleWithProgress() {
	root := apiDebian("")
	for name := range root {
		if strings.Contains(name, "bookworm-backports") {
			delete(root, name)
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
	var seen []apt.Progress
	_, statuses, err := apt.Updates(context.Background(), root, apiInstalled(),
		apt.WithArch("x86_64"), apt.WithNow(apiNow), apt.WithLogger(logger),
		apt.WithProgress(func(p apt.Progress) { seen = append(seen, p) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(seen), "progress reports; the last:", seen[len(seen)-1].Done, "of", seen[len(seen)-1].Total)
	for _, s := range statuses {
		fmt.Println(s.Name, s.Health)
	}
	// Output:
	// level=WARN msg="apt repository not used" repository="http://deb.debian.org/debian bookworm-backports" health=UNREADABLE reason="apt: http://deb.debian.org/debian bookworm-backports: no Release in the lists directory: not found"
	// 3 progress reports; the last: 3 of 3
	// http://deb.debian.org/debian bookworm OK
	// http://security.debian.org/debian-security bookworm-security OK
	// http://deb.debian.org/debian bookworm-backports UNREADABLE
}

// Patch Manager refreshes the metadata before a scan: WithRefresh fetches
// and verifies every repository through the client (into its cache, never
// into the root's lists). Here the signed test archive (testdata/repo/apt,
// its key under etc/apt/keyrings) is served locally, and the client's
// clock is fixed.
func ExampleWithRefresh() {
	srv := httptest.NewServer(http.FileServer(http.Dir("../../testdata/repo/apt/v1")))
	defer srv.Close()
	key, err := os.ReadFile("../../testdata/repo/keys/archive-a.gpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	root := fstest.MapFS{
		"etc/apt/sources.list":           {Data: []byte("deb [signed-by=/etc/apt/keyrings/archive-a.gpg] " + srv.URL + " stable main\n")},
		"etc/apt/keyrings/archive-a.gpg": {Data: key},
	}
	cache, err := os.MkdirTemp("", "scan-apt-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cache)
	c, err := repo.NewClient(repo.WithCacheDir(cache),
		repo.WithClock(func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	hello, err := patchkit.ParseDpkg("pk-hello:amd64", "0.9-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	hello.State = patchkit.StateInstalled
	patches, statuses, err := apt.Updates(context.Background(), root, []patchkit.Package{hello},
		apt.WithArch("x86_64"), apt.WithNow(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)),
		apt.WithClient(c), apt.WithRefresh(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range statuses {
		fmt.Println(strings.Replace(s.Name, srv.URL, "http://127.0.0.1:PORT", 1), s.Health, "verified:", s.Verified)
	}
	for _, p := range patches {
		fmt.Println(p.Name, p.EVR(), p.Repository, "candidate:", p.Candidate)
	}
	// Output:
	// http://127.0.0.1:PORT stable OK verified: true
	// pk-hello 1.0-1 Patchkit:stable candidate: true
}

// The sources of a version in apt-cache policy's version table: a
// repository's Packages file, or dpkg's status file for the installed
// version.
func ExamplePolicySource_URI() {
	out := "curl:\n  Installed: 7.88.1-10+deb12u8\n  Candidate: 7.88.1-10+deb12u14\n  Version table:\n" +
		"     7.88.1-10+deb12u14 500\n        500 http://security.debian.org/debian-security bookworm-security/main amd64 Packages\n" +
		" *** 7.88.1-10+deb12u8 100\n        100 /var/lib/dpkg/status\n"
	pols, err := apt.ParseCachePolicy([]byte(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range pols[0].Versions {
		for _, s := range v.Sources {
			fmt.Printf("%s: uri %q dist %q status %v\n", v.Version, s.URI(), s.Dist(), s.Status())
		}
	}
	// Output:
	// 7.88.1-10+deb12u14: uri "http://security.debian.org/debian-security" dist "bookworm-security" status false
	// 7.88.1-10+deb12u8: uri "" dist "" status true
}

// The simulation NativeUpdates runs, for apt installed elsewhere, with
// configuration given on the command line, and with a default release as
// apt-get -t gives it.
func ExampleNativePrograms() {
	c, err := apt.SimulateCommand(
		apt.NativePrograms("/opt/apt/bin/apt-get", "/opt/apt/bin/apt-cache"),
		apt.NativeAptOption("APT::Architectures", "amd64,i386"),
		apt.NativeDefaultRelease("bookworm-backports"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c)
	_, err = apt.SimulateCommand(apt.NativeAptOption("quiet", "2"))
	fmt.Println(err)
	// Output:
	// /opt/apt/bin/apt-get -o Debug::NoLocking=1 -o quiet=1 -o APT::Default-Release=bookworm-backports -o APT::Architectures=amd64,i386 -s -o APT::Get::Show-Upgraded=true --ignore-hold dist-upgrade
	// scan/apt: NativeAptOption: quiet changes the output that is parsed
}

// NativeUpdates replaying a real run on the testbed (testdata/apt): apt
// keeps qux back, which the logger reports, and its candidate carries the
// origin apt-get prints for the others (from apt-cache policy's package
// files); every patch carries the product.
func ExampleNativeProduct() {
	var recs []run.Recording
	for _, name := range []string{"dpkg-query", "apt-get", "apt-cache-policy", "apt-cache-policy2"} {
		data, err := os.ReadFile("../../testdata/apt/testbed-archives-" + name + ".txt")
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
	installed, err := dpkg.ParseQuery(recs[0].Stdout)
	if err != nil {
		fmt.Println(err)
		return
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // no time, for a stable output
			}
			return a
		},
	}))
	patches, err := apt.NativeUpdates(context.Background(), run.NewReplay(recs...), installed,
		apt.NativeProduct("Debian12"), apt.NativeLogger(logger))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(patches), "patches; qux and those of the testbed's own suites:")
	for _, p := range patches {
		if strings.HasPrefix(p.Name, "tb-") || p.Name == "qux" {
			fmt.Println(p.QualifiedName(), p.EVR(), p.Product, p.Repository)
		}
	}
	// Output:
	// level=INFO msg="apt keeps a package back" package=qux candidate=2.0
	// 13 patches; qux and those of the testbed's own suites:
	// qux:amd64 2.0 Debian12 Local:1.0/local
	// tb-hello:all 1.1-1 Debian12 Testbed:testbed-updates
	// tb-kernel:all 1.1-1 Debian12 Testbed-Security:testbed-security
	// tb-lib:all 1:2.0-2 Debian12 Testbed-Security:testbed-security
	// tb-multi:all 1.3-1 Debian12 Testbed:testbed-updates
}
