package compliance_test

import (
	"fmt"
	"os"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/repo"
)

// Decide the state of one package from its installed version and the
// baseline's decisions on the versions the repositories offer.
func ExampleClassify() {
	installed := patchkit.Package{Name: "openssl-libs", Epoch: patchkit.EpochOf(1), Version: "3.0.8",
		Release: "1.amzn2023.0.10", Arch: "x86_64", Scheme: patchkit.RPM}
	update := installed
	update.Release = "1.amzn2023.0.14"
	item, reported, err := compliance.Classify(compliance.Input{
		OperatingSystem: patchkit.OSAmazonLinux2023,
		Installed:       &installed,
		Candidates: []compliance.Candidate{{
			Patch:    patchkit.Patch{Package: update, Classification: "Security", Severity: "Important", Security: true},
			Decision: baseline.Decision{Approved: true, Status: baseline.Approved, Reason: baseline.ReasonRule, ComplianceLevel: patchkit.ComplianceHigh},
		}},
		Operation: compliance.Scan,
	}, compliance.ClassifyOptions{})
	fmt.Println(reported, err)
	fmt.Println(item.KBID, item.State, item.Status, item.ComplianceLevel)
	fmt.Println(item.Title)
	// Output:
	// true <nil>
	// openssl-libs.x86_64 Missing NON_COMPLIANT HIGH
	// openssl-libs.x86_64:1:3.0.8-1.amzn2023.0.14
}

// Read a saved report and print its summary the way
// describe-instance-patch-states lists it.
func ExampleLoadFile() {
	r, err := compliance.LoadFile("testdata/golden/sequence-3-install-noreboot.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	s := r.Summary
	fmt.Println(s.InstanceID, s.Operation, s.RebootOption, s.Status)
	fmt.Println("pending reboot:", s.InstalledPendingRebootCount, "since", s.LastNoRebootInstallOperationTime.Format(time.RFC3339))
	// Output:
	// i-0123456789abcdef0 Install NoReboot NON_COMPLIANT
	// pending reboot: 1 since 2025-11-20T02:10:00Z
}

// Fold many reports into fleet figures, one report at a time.
func ExampleAggregate() {
	f, err := os.Open("testdata/golden/sequence-1-scan.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fleet, err := compliance.Aggregate(compliance.Reports(f), 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fleet.Overall.Instances, "node(s),", fleet.Overall.NonCompliantInstances, "non-compliant")
	for _, p := range fleet.TopMissing {
		fmt.Println(p.KBID, "missing on", p.Nodes)
	}
	// Output:
	// 1 node(s), 1 non-compliant
	// openssl-libs.x86_64 missing on 1
}

// A scan that could not trust a repository's metadata does not know what
// that repository offers: the node is UNKNOWN rather than COMPLIANT, and
// the summary says why. A node that misses an approved patch is
// NON_COMPLIANT whatever its repositories, and still lists them.
func ExampleBuild_unknownRepository() {
	start := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	expired := repo.StatusOf("http://deb.debian.org/debian-security bookworm-security", &repo.ExpiredError{
		File: "debian-security bookworm-security InRelease", ValidUntil: start.Add(-36 * time.Hour), Now: start})
	archive := repo.Status{Name: "http://deb.debian.org/debian bookworm", Health: repo.HealthOK, Verified: true}

	installed := patchkit.Package{Name: "openssl", Version: "3.0.15", Release: "1~deb12u1", Arch: "amd64", Scheme: patchkit.Deb}
	update := installed
	update.Release = "1~deb12u2"
	scan := func(candidates ...compliance.Candidate) compliance.Report {
		r, err := compliance.Build(compliance.BuildInput{
			Node:      compliance.Node{InstanceID: "i-0123456789abcdef0", OperatingSystem: patchkit.OSDebian},
			Operation: compliance.Scan, Start: start, End: start.Add(time.Minute),
			Packages:     []compliance.Input{{Installed: &installed, Candidates: candidates}},
			Repositories: []repo.Status{archive, expired},
		}, compliance.BuildOptions{})
		if err != nil {
			panic(err)
		}
		return r
	}

	r := scan()
	fmt.Println(r.Summary.Status, r.Summary.UnknownRepositoryCount)
	fmt.Println(r.Summary.UnknownReasons[0])

	r = scan(compliance.Candidate{
		Patch:    patchkit.Patch{Package: update, Classification: "Security", Priority: "optional", Security: true},
		Decision: baseline.Decision{Approved: true, Reason: baseline.ReasonRule, ComplianceLevel: patchkit.ComplianceHigh},
	})
	fmt.Println(r.Summary.Status, r.Summary.UnknownRepositoryCount, *r.Summary.NonCompliantSeverity)
	// Output:
	// UNKNOWN 1
	// http://deb.debian.org/debian-security bookworm-security: EXPIRED: debian-security bookworm-security InRelease: is no longer valid (valid until Sat, 22 Nov 2025 21:00:00 UTC, now Mon, 24 Nov 2025 09:00:00 UTC)
	// NON_COMPLIANT 1 HIGH
}
