package scan_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// apiDebian is a Debian 12 root: the os-release and dpkg database of real
// Debian roots (testdata/osdetect, testdata/dpkg), and a bookworm-security
// suite in apt's lists (unsigned, so trusted=yes in its sources) whose
// libc6 is newer than the installed one.
func apiDebian() (fstest.MapFS, error) {
	osRelease, err := os.ReadFile("../testdata/osdetect/debian-12/etc/os-release")
	if err != nil {
		return nil, err
	}
	status, err := os.ReadFile("../testdata/dpkg/db/debian-12-minbase/status")
	if err != nil {
		return nil, err
	}
	packages := "Package: libc6\nVersion: 2.36-9+deb12u15\nArchitecture: amd64\nPriority: optional\nSection: libs\n" +
		"Source: glibc\nFilename: pool/updates/main/g/glibc/libc6_2.36-9+deb12u15_amd64.deb\n"
	sum := sha256.Sum256([]byte(packages))
	release := "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nCodename: bookworm-security\nVersion: 12\n" +
		"Date: Sat, 01 Nov 2025 00:00:00 UTC\nArchitectures: amd64\nComponents: main\nSHA256:\n " +
		hex.EncodeToString(sum[:]) + fmt.Sprintf(" %d main/binary-amd64/Packages\n", len(packages))
	lists := "var/lib/apt/lists/security.debian.org_debian-security_dists_bookworm-security_"
	return fstest.MapFS{
		"etc/os-release":                     {Data: osRelease},
		"var/lib/dpkg/status":                {Data: status},
		"etc/apt/sources.list":               {Data: []byte("deb [trusted=yes] http://security.debian.org/debian-security bookworm-security main\n")},
		lists + "Release":                    {Data: []byte(release)},
		lists + "main_binary-amd64_Packages": {Data: []byte(packages)},
	}, nil
}

// apiLogger logs as text without the time, for a stable output.
func apiLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// A scan reports its steps as they start and end, and between them counts
// the repositories it reads (N of Total); the operation's end
// time is the caller's to give (by default the start, for a reproducible
// report). The operating system may come from elsewhere than the root
// (here detected once, beforehand).
func ExampleWithProgress() {
	root, err := apiDebian()
	if err != nil {
		fmt.Println(err)
		return
	}
	debian, err := osdetect.DetectFS(root)
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	res, err := scan.Scan(context.Background(), root, scan.At(at), scan.Ended(at.Add(90*time.Second)),
		scan.WithOS(debian), scan.WithArch("x86_64"), scan.WithLogger(apiLogger()),
		scan.WithProgress(func(e scan.ProgressEvent) {
			switch {
			case e.Total > 0:
				fmt.Printf("%s %d of %d %q\n", e.Step, e.N, e.Total, e.Detail)
			case e.Done:
				fmt.Printf("%s done %q\n", e.Step, e.Detail)
			}
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := res.Report.Summary
	fmt.Println(s.OperationStartTime.Format(time.TimeOnly), s.OperationEndTime.Format(time.TimeOnly), s.Status)
	// Output:
	// detect done "Debian GNU/Linux 12 (bookworm)"
	// inventory done "96 packages"
	// updates 1 of 1 "http://security.debian.org/debian-security bookworm-security"
	// updates done "1 newer versions from 1 repositories, 0 approved versions of packages not installed"
	// reboot done ""
	// assess done "NON_COMPLIANT"
	// 09:00:00 09:01:30 NON_COMPLIANT
}

// The baseline decides: the AWS-owned one by default, a custom one, or a
// snapshot that froze a baseline's approvals for every node of an
// operation (the report then carries its ID).
func ExampleWithSnapshot() {
	root, err := apiDebian()
	if err != nil {
		fmt.Println(err)
		return
	}
	hold, err := baseline.Predefined(patchkit.OSDebian)
	if err != nil {
		fmt.Println(err)
		return
	}
	hold.Name, hold.RejectedPatches = "hold-glibc", []string{"libc6"}
	at := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	snap, err := scan.NewSnapshot("2b3a3b7e-4ad4-4d9c-9b9e-7a3f0c1d5e6f", hold, "db", at.Add(-time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []struct {
		name string
		opt  scan.ScanOption
	}{
		{"AWS-owned baseline", scan.WithArch("x86_64")},
		{"WithBaseline(hold-glibc)", scan.WithBaseline(hold)},
		{"WithSnapshot(hold-glibc)", scan.WithSnapshot(snap)},
	} {
		res, err := scan.Scan(context.Background(), root, scan.At(at), scan.WithArch("x86_64"), c.opt)
		if err != nil {
			fmt.Println(err)
			return
		}
		d := res.Candidates[0].Decision
		fmt.Printf("%s: libc6 %v %s; %s %q\n", c.name, d.Approved, d.Reason, res.Report.Summary.Status, res.Report.Summary.SnapshotID)
	}
	// Output:
	// AWS-owned baseline: libc6 true Rule; NON_COMPLIANT ""
	// WithBaseline(hold-glibc): libc6 false RejectedList; COMPLIANT ""
	// WithSnapshot(hold-glibc): libc6 false RejectedList; COMPLIANT "2b3a3b7e-4ad4-4d9c-9b9e-7a3f0c1d5e6f"
}

// The compliance model's open questions: a node whose non-compliant
// items all have compliance level UNSPECIFIED (the AWS-owned Debian
// baseline sets none) has severity INFORMATIONAL, or UNSPECIFIED when
// asked.
func ExampleWithBuildOptions() {
	root, err := apiDebian()
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, bo := range []compliance.BuildOptions{{}, {UnspecifiedNodeSeverity: true}} {
		res, err := scan.Scan(context.Background(), root, scan.At(at), scan.WithArch("x86_64"), scan.WithBuildOptions(bo))
		if err != nil {
			fmt.Println(err)
			return
		}
		s := res.Report.Summary
		fmt.Println(s.Status, *s.NonCompliantSeverity)
	}
	// Output:
	// NON_COMPLIANT INFORMATIONAL
	// NON_COMPLIANT UNSPECIFIED
}

// The pending-reboot bookkeeping: bash was installed by a NoReboot Install
// a day ago (the previous report says so). A node that has not booted
// since still needs the reboot; one that has, not. The boot time is a fact
// of the live host (Host gives it).
func ExampleWithPrevious() {
	root, err := apiDebian()
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	first, err := scan.Scan(context.Background(), root, scan.At(at.Add(-24*time.Hour)), scan.WithArch("x86_64"))
	if err != nil {
		fmt.Println(err)
		return
	}
	prev := first.Report
	for i := range prev.Items {
		if prev.Items[i].Name == "bash" {
			prev.Items[i].State = compliance.InstalledPendingReboot
		}
	}
	prev.Summary.InstalledPendingRebootCount = 1
	prev.Summary.LastNoRebootInstallOperationTime = at.Add(-24 * time.Hour)
	for _, boot := range []time.Time{at.Add(-48 * time.Hour), at.Add(-time.Hour)} {
		res, err := scan.Scan(context.Background(), root, scan.At(at), scan.WithArch("x86_64"),
			scan.WithPrevious(&prev), scan.WithHostFacts(scan.HostFacts{BootTime: boot}))
		if err != nil {
			fmt.Println(err)
			return
		}
		s := res.Report.Summary
		fmt.Printf("booted %s: pending reboot %d, %s\n", at.Sub(boot), s.InstalledPendingRebootCount, s.Status)
	}
	// Output:
	// booted 48h0m0s: pending reboot 1, NON_COMPLIANT
	// booted 1h0m0s: pending reboot 0, NON_COMPLIANT
}

// Patch Manager refreshes the metadata before a scan: WithRefresh fetches
// and verifies every repository through the client (into its cache,
// never into the root). Here the signed test archive of testdata/repo is
// served locally; the root trusts its key (etc/apt/keyrings) and has
// pk-hello 0.9-1 installed. The AWS-owned Debian baseline approves
// security updates only, and the archive's suite is not a security one.
func ExampleWithRefresh() {
	srv := httptest.NewServer(http.FileServer(http.Dir("../testdata/repo/apt/v1")))
	defer srv.Close()
	key, err := os.ReadFile("../testdata/repo/keys/archive-a.gpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	osRelease, err := os.ReadFile("../testdata/osdetect/debian-12/etc/os-release")
	if err != nil {
		fmt.Println(err)
		return
	}
	root := fstest.MapFS{
		"etc/os-release":                 {Data: osRelease},
		"etc/apt/sources.list":           {Data: []byte("deb [signed-by=/etc/apt/keyrings/archive-a.gpg] " + srv.URL + " stable main\n")},
		"etc/apt/keyrings/archive-a.gpg": {Data: key},
		"var/lib/dpkg/status": {Data: []byte("Package: pk-hello\nStatus: install ok installed\nPriority: optional\n" +
			"Section: utils\nMaintainer: patchkit <test@example.invalid>\nArchitecture: amd64\nVersion: 0.9-1\n" +
			"Description: patchkit test package\n")},
	}
	cache, err := os.MkdirTemp("", "scan-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cache)
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	c, err := repo.NewClient(repo.WithCacheDir(cache), repo.WithClock(func() time.Time { return at }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	res, err := scan.Scan(context.Background(), root, scan.At(at), scan.WithArch("x86_64"), scan.WithRefresh(c))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Repositories {
		fmt.Println(strings.Replace(r.Name, srv.URL, "http://127.0.0.1:PORT", 1), r.Health, "verified:", r.Verified)
	}
	for _, cand := range res.Candidates {
		fmt.Println(cand.Patch.QualifiedName(), cand.Patch.EVR(), cand.Decision.Approved, cand.Decision.Reason)
	}
	// Output:
	// http://127.0.0.1:PORT stable OK verified: true
	// pk-hello:amd64 1.0-1 false NonSecurity
}

// Options for the rpm database reader: here a bound on the database's
// size. A database larger than that is an error, never a shorter
// inventory. The database is a real one (testdata/rpmdb/sqlite).
func ExampleWithRPMOptions() {
	al2023, err := osdetect.DetectFS(os.DirFS("../testdata/osdetect/amzn-2023"))
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := decompress.ReadFile("../testdata/rpmdb/sqlite/debian-rpm-4.18/rpmdb.sqlite.zst", decompress.Zstd, decompress.Limits{Output: 64 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	root := fstest.MapFS{"var/lib/rpm/rpmdb.sqlite": {Data: data}}
	for _, limit := range []int64{1 << 20, 16 << 10} {
		inv, err := scan.ReadInventory(context.Background(), root, al2023, scan.WithRPMOptions(rpmdb.WithMaxSize(limit)))
		if err != nil {
			fmt.Println(limit, err)
			continue
		}
		fmt.Println(limit, inv.Backend, inv.Source, len(inv.Packages), "packages")
	}
	// Output:
	// 1048576 rpm var/lib/rpm/rpmdb.sqlite (sqlite) 3 packages
	// 16384 rpmdb: var/lib/rpm/rpmdb.sqlite (sqlite): open var/lib/rpm/rpmdb.sqlite: rpmdb: database file is larger than the limit: 225280 bytes, limit 16384
}

// WithRunner asks the package manager itself, through the runner, for the
// inventory and the updates (run.NewLocal() on the host, or an embedder's
// runner: sudo, SSH, a container); the repositories are still judged from
// the root's files, and a version only a repository that is not OK
// offers is left out. Here the runner replays real rpm and zypper runs on
// the testbed's zypper root (testdata/zypper/scenarios/testbed), and the
// file system is the project's copy of that root's configuration and zypp
// cache, without its rpm database: no key is trusted to verify the
// metadata, so the repositories are UNSIGNED and the node is UNKNOWN,
// never COMPLIANT. With no repository OK, zypper is not asked at all: only
// the inventory comes from the runner.
func ExampleWithRunner() {
	dir := "../testdata/zypper/scenarios/testbed"
	var meta struct {
		Root string // the root the runs were made on
		Now  time.Time
	}
	data, err := os.ReadFile(dir + "/fixture.json")
	if err == nil {
		err = json.Unmarshal(data, &meta)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	recs, err := run.LoadRecordings(os.DirFS(dir), "*.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	sles, err := osdetect.DetectFS(os.DirFS("../testdata/osdetect/sles-15.6"))
	if err != nil {
		fmt.Println(err)
		return
	}
	replay := run.NewReplay(recs...)
	res, err := scan.Scan(context.Background(), os.DirFS(dir+"/root"), scan.At(meta.Now),
		scan.WithOS(sles), scan.WithArch("x86_64"), scan.WithRunner(replay, meta.Root))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range replay.Calls() {
		line := strings.ReplaceAll(c.String(), meta.Root, "ROOT")
		if len(line) > 100 {
			line = line[:100] + "..."
		}
		fmt.Println(line)
	}
	fmt.Println(res.Inventory.Backend, len(res.Inventory.Packages), "packages;", len(res.Candidates), "candidates")
	for _, r := range res.Repositories {
		fmt.Println(r.Name, r.Health)
	}
	fmt.Println(res.Report.Summary.Status)
	// Output:
	// /usr/bin/rpm --root ROOT -qa --qf "%{NAME}\\t%|EPOCH?{%{EPOCH}}:{(none)}|\\t%{VERSION}\\t%{RELEASE}\...
	// rpm 5 packages; 0 candidates
	// tb-base UNSIGNED
	// tb-updates UNSIGNED
	// UNKNOWN
}
