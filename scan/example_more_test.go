package scan_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan"
)

// debianRoot returns a Debian 12 root file system: the os-release and
// dpkg database of real Debian roots, and one repository (unsigned, so
// marked trusted=yes in its sources) whose -security suite offers a
// newer libc6.
func debianRoot() (fstest.MapFS, error) {
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

// Scan a root file system offline: the operating system, the inventory,
// the updates its repositories offer, the AWS-owned baseline's decisions
// and the compliance report. For the live host, pass os.DirFS("/") and
// the facts of Host.
func ExampleScan() {
	root, err := debianRoot()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := scan.Scan(context.Background(), root,
		scan.At(time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)), scan.WithArch("x86_64"),
		scan.WithNode(compliance.Node{InstanceID: "i-0123456789abcdef0"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.OS.OperatingSystem(), res.OS.Product(), res.Inventory.Backend, len(res.Inventory.Packages), "packages")
	for _, c := range res.Candidates {
		fmt.Println(c.Patch.QualifiedName(), c.Patch.EVR(), c.Patch.Classification, c.Decision.Approved, c.Decision.Reason)
	}
	s := res.Report.Summary
	fmt.Println(s.Status, "missing:", s.MissingCount, "installed other:", s.InstalledOtherCount)
	fmt.Println("reboot required:", res.Reboot.Required, "skipped:", res.Reboot.Skipped)
	// Output:
	// DEBIAN Debian12 dpkg 96 packages
	// libc6:amd64 2.36-9+deb12u15 Security true Rule
	// NON_COMPLIANT missing: 1 installed other: 95
	// reboot required: false skipped: [newer-kernel: the running kernel is unknown (offline)]
}

// Assess is the pure middle of a scan: the same Assessment with the same
// approver gives the same report, offline, byte for byte; another approver
// decides the same updates again.
func ExampleAssess() {
	root, err := debianRoot()
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	res, err := scan.Scan(context.Background(), root, scan.At(at), scan.WithArch("x86_64"))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := baseline.Predefined(patchkit.OSDebian)
	held := b
	held.Name, held.RejectedPatches = "hold-glibc", []string{"libc6"}
	for _, bl := range []baseline.Baseline{b, held} {
		c, err := baseline.Compile(bl)
		if err != nil {
			fmt.Println(err)
			return
		}
		report, decisions, err := scan.Assess(res.Assessment, scan.BaselineAt{Compiled: c, At: at}, nil, compliance.BuildOptions{})
		if err != nil {
			fmt.Println(err)
			return
		}
		var again, first bytes.Buffer
		if err := report.WriteJSON(&again); err != nil {
			fmt.Println(err)
			return
		}
		if err := res.Report.WriteJSON(&first); err != nil {
			fmt.Println(err)
			return
		}
		for i, u := range res.Assessment.Updates {
			if u.Name == "libc6" && u.EVR() != "2.36-9+deb12u14" {
				fmt.Println(bl.Name, u.EVR(), decisions[i].Reason, report.Summary.Status, "same bytes:", bytes.Equal(again.Bytes(), first.Bytes()))
			}
		}
	}
	// Output:
	// AWS-DebianDefaultPatchBaseline 2.36-9+deb12u15 Rule NON_COMPLIANT same bytes: true
	// hold-glibc 2.36-9+deb12u15 RejectedList COMPLIANT same bytes: false
}

func ExampleBackendFor() {
	for _, dir := range []string{"debian-12", "amzn-2023", "sles-15.6", "alpine-3.23"} {
		o, err := osdetect.DetectFS(os.DirFS("../testdata/osdetect/" + dir))
		if err != nil {
			fmt.Println(err)
			return
		}
		b, err := scan.BackendFor(o)
		fmt.Println(dir, b, err)
	}
	// Output:
	// debian-12 dpkg <nil>
	// amzn-2023 rpm <nil>
	// sles-15.6 rpm <nil>
	// osdetect: Alpine Linux v3.23 (ID "alpine", from etc/os-release) is not a supported operating system
}

// Host gives the live host's operating system and the facts a scan needs
// beyond its files; a scan of the running host passes both. It scans the
// host it runs on, so the example has no Output comment: go test compiles
// it and does not run it (ExampleScan scans a root).
func ExampleHost() {
	o, facts, err := scan.Host(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := scan.Scan(context.Background(), os.DirFS("/"), scan.At(time.Now()),
		scan.WithOS(o), scan.WithHostFacts(facts))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Report.Summary.Status)
}

// Debian's marker file and a kernel newer than the running one are two of
// the independent signals.
func ExamplePendingReboot() {
	root := fstest.MapFS{
		"run/reboot-required":      {Data: []byte("*** System restart required ***\n")},
		"run/reboot-required.pkgs": {Data: []byte("libc6\n")},
	}
	inv := scan.Inventory{Backend: scan.Dpkg, Packages: []patchkit.Package{
		{Name: "linux-image-6.1.0-40-amd64", Version: "6.1.153", Release: "1", Arch: "amd64", Scheme: patchkit.Deb, State: patchkit.StateInstalled},
		{Name: "linux-image-6.1.0-41-amd64", Version: "6.1.158", Release: "1", Arch: "amd64", Scheme: patchkit.Deb, State: patchkit.StateInstalled},
	}}
	r, err := scan.PendingReboot(context.Background(), root, inv, scan.HostFacts{KernelRelease: "6.1.0-40-amd64"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Required)
	for _, reason := range r.Reasons {
		fmt.Println(reason.Signal, reason.Packages)
	}
	// Output:
	// true
	// reboot-required [libc6]
	// newer-kernel [linux-image-6.1.0-41-amd64-6.1.158-1.amd64]
}

// A snapshot freezes a baseline's approvals at an instant, so that every
// node of an operation approves the same versions whenever it runs.
func ExampleNewSnapshot() {
	b, _ := baseline.Predefined(patchkit.OSDebian)
	taken := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	s, err := scan.NewSnapshot("2b3a3b7e-4ad4-4d9c-9b9e-7a3f0c1d5e6f", b, "web", taken)
	if err != nil {
		fmt.Println(err)
		return
	}
	libc, _ := patchkit.ParseDpkg("libc6:amd64", "2.36-9+deb12u15")
	ds, err := s.Decide(baseline.Node{OperatingSystem: patchkit.OSDebian, Product: "Debian12"},
		[]patchkit.Patch{{Package: libc, Priority: "optional", Security: true}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.SnapshotID, s.CreatedTime.Format(time.RFC3339), s.Definition().Name, ds[0].Approved)
	// Output:
	// 2b3a3b7e-4ad4-4d9c-9b9e-7a3f0c1d5e6f 2025-11-24T09:00:00Z AWS-DebianDefaultPatchBaseline true
}

func ExampleNewSnapshotID() {
	// A random GUID, version 4: the 13th hex digit is 4.
	a, b := scan.NewSnapshotID(), scan.NewSnapshotID()
	fmt.Println(len(a), string(a[14]), strings.Count(a, "-"), a != b)
	// Output:
	// 36 4 4 true
}

// Save a snapshot and load it on another node.
func ExampleLoadSnapshot() {
	b, _ := baseline.Predefined(patchkit.OSAmazonLinux2023)
	s, err := scan.NewSnapshot("2b3a3b7e-4ad4-4d9c-9b9e-7a3f0c1d5e6f", b, "", time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	var saved bytes.Buffer
	if err := s.WriteJSON(&saved); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := scan.LoadSnapshot(&saved)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(loaded.SnapshotID, loaded.CreatedTime.Format(time.RFC3339), loaded.Baseline.Name)
	// Output:
	// 2b3a3b7e-4ad4-4d9c-9b9e-7a3f0c1d5e6f 2025-11-24T09:00:00Z AWS-AmazonLinux2023DefaultPatchBaseline
}

// A snapshot decides as its baseline did at the instant it was taken,
// whatever the clock says now.
func ExampleSnapshot_Decide() {
	b, _ := baseline.Predefined(patchkit.OSAmazonLinux2023)
	taken := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	s, err := scan.NewSnapshot(scan.NewSnapshotID(), b, "", taken)
	if err != nil {
		fmt.Println(err)
		return
	}
	node := baseline.Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"}
	patch := patchkit.Patch{
		Package:        patchkit.Package{Name: "openssl-libs", Epoch: patchkit.EpochOf(1), Version: "3.0.8", Release: "1.amzn2023.0.20", Arch: "x86_64", Scheme: patchkit.RPM},
		Classification: "Security", Severity: "Important", Security: true,
		ReleaseDate: time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC),
	}
	ds, err := s.Decide(node, []patchkit.Patch{patch})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("snapshot:", ds[0].Approved, ds[0].Reason)

	// The same baseline evaluated a week later approves it.
	c, _ := baseline.Compile(b)
	ds, err = scan.BaselineAt{Compiled: c, At: taken.AddDate(0, 0, 7)}.Decide(node, []patchkit.Patch{patch})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("a week later:", ds[0].Approved, ds[0].Reason)
	// Output:
	// snapshot: false TooNew
	// a week later: true Rule
}

// BaselineAt is the approver of a plain scan: a compiled baseline at the
// operation's instant.
func ExampleBaselineAt_Decide() {
	b, _ := baseline.Predefined(patchkit.OSUbuntu)
	c, err := baseline.Compile(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	var ap scan.Approver = scan.BaselineAt{Compiled: c, At: time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)}
	ssl, _ := patchkit.ParseDpkg("libssl3:amd64", "3.0.2-0ubuntu1.20")
	vim, _ := patchkit.ParseDpkg("vim:amd64", "2:8.2.3995-1ubuntu2.24")
	ds, err := ap.Decide(baseline.Node{OperatingSystem: patchkit.OSUbuntu, Product: "Ubuntu22.04"}, []patchkit.Patch{
		{Package: ssl, Priority: "important", Section: "libs", Security: true},
		{Package: vim, Priority: "optional", Section: "editors"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ap.Definition().Name)
	for i, d := range ds {
		fmt.Println([]string{"libssl3", "vim"}[i], d.Approved, d.Reason)
	}
	// Output:
	// AWS-UbuntuDefaultPatchBaseline
	// libssl3 true Rule
	// vim false NonSecurity
}

// WriteJSON saves a snapshot so that later operations, on any node,
// approve with it (LoadSnapshot reads it back).
func ExampleSnapshot_WriteJSON() {
	b, _ := baseline.Predefined(patchkit.OSDebian)
	s, err := scan.NewSnapshot("2b3a3b7e-4ad4-4d9c-9b9e-7a3f0c1d5e6f", b, "web", time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		fmt.Println(err)
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &fields); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(fields["SnapshotId"]), string(fields["CreatedTime"]), string(fields["PatchGroup"]))
	// Output:
	// "2b3a3b7e-4ad4-4d9c-9b9e-7a3f0c1d5e6f" "2025-11-24T09:00:00Z" "web"
}
