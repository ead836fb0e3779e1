package compliance_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/repo"
)

// exampleReport is a scan of one Amazon Linux 2023 node that misses an
// approved openssl-libs update, unless current; repos are the repositories
// the scan read.
func exampleReport(id, group string, current bool, repos ...repo.Status) *compliance.Report {
	installed, _ := patchkit.ParseNEVRA("openssl-libs-1:3.2.2-1.amzn2023.0.1.x86_64")
	candidate, _ := patchkit.ParseNEVRA("openssl-libs-1:3.2.2-1.amzn2023.0.2.x86_64")
	if current {
		installed = candidate
	}
	start := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	r, err := compliance.Build(compliance.BuildInput{
		Node:       compliance.Node{InstanceID: id, OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023", PatchGroup: group},
		BaselineID: "pb-0f1e2d3c4b5a69788", Operation: compliance.Scan, RebootOption: compliance.RebootIfNeeded,
		Start: start, End: start.Add(time.Minute), Repositories: repos,
		Packages: []compliance.Input{{Installed: &installed, Candidates: []compliance.Candidate{{
			Patch:    patchkit.Patch{Package: candidate, Classification: "Security", Severity: "Important", CVEIDs: []string{"CVE-2025-9230"}},
			Decision: baseline.Decision{Approved: true, Reason: baseline.ReasonRule, ComplianceLevel: patchkit.ComplianceHigh},
		}}}},
	}, compliance.BuildOptions{})
	if err != nil {
		panic(err)
	}
	return &r
}

func ExampleReport_WriteText() {
	r := exampleReport("i-0123456789abcdef0", "web", false)
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		fmt.Println(err)
		return
	}
	// The status lines and the items.
	lines := strings.Split(buf.String(), "\n")
	fmt.Println(strings.Join(lines[12:14], "\n"))
	fmt.Println(strings.Join(lines[17:], "\n"))
	// Output:
	// Status:                 NON_COMPLIANT
	// Severity:               HIGH
	// KBID                 STATE    CLASSIFICATION  SEVERITY   LEVEL  INSTALLED               CANDIDATE               CVES
	// openssl-libs.x86_64  Missing  Security        Important  HIGH   1:3.2.2-1.amzn2023.0.1  1:3.2.2-1.amzn2023.0.2  CVE-2025-9230
}

func ExampleFleet_WriteText() {
	reports := []*compliance.Report{
		exampleReport("i-0123456789abcdef0", "web", false),
		exampleReport("i-0123456789abcdef1", "web", true),
		exampleReport("i-0123456789abcdef2", "db", false),
		// Up to date as far as the scan knows, but its metadata is stale:
		// unknown.
		exampleReport("i-0123456789abcdef3", "db", true, repo.StatusOf("amazonlinux",
			&repo.StaleError{File: "amazonlinux repomd.xml", Date: time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC),
				MaxAge: 7 * 24 * time.Hour, Now: time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)})),
	}
	fleet, err := compliance.Aggregate(func(yield func(*compliance.Report, error) bool) {
		for _, r := range reports {
			if !yield(r, nil) {
				return
			}
		}
	}, 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if err := fleet.WriteText(&buf); err != nil {
		fmt.Println(err)
		return
	}
	text := buf.String()
	groups, _, _ := strings.Cut(text, "\n\nNon-compliant nodes")
	_, top, _ := strings.Cut(text, "Top missing patches\n")
	fmt.Println(groups)
	fmt.Print(top)
	// Output:
	// Nodes: 4  compliant: 1  non-compliant: 2  unknown: 1  (25% compliant)
	//
	// PATCH GROUP  INSTANCES  COMPLIANT  NON-COMPLIANT  UNKNOWN  WITH MISSING  WITH FAILED  PENDING REBOOT  CRITICAL NC  SECURITY NC  OTHER NC  REPOS NOT OK
	// db           2          0          1              1        1             0            0               0            1            0         1
	// web          2          1          1              0        1             0            0               0            1            0         0
	// TOTAL        4          1          2              1        2             0            0               0            2            0         1
	// #  KBID                 NODES  CLASSIFICATION  SEVERITY   LEVEL
	// 1  openssl-libs.x86_64  2      Security        Important  HIGH
}

// The page is one file: open it in a browser, attach it to a mail. Here
// the example prints its title, its header and the rows of its tables.
func ExampleFleet_WriteHTML() {
	fleet, err := compliance.Aggregate(func(yield func(*compliance.Report, error) bool) {
		yield(exampleReport("i-0123456789abcdef0", "web", false), nil)
	}, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	var page bytes.Buffer
	if err := fleet.WriteHTML(&page, "Patch compliance: web"); err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.Lines(page.String()) {
		if strings.HasPrefix(line, "<title>") || strings.HasPrefix(line, "<header>") || strings.HasPrefix(line, `<tr class="group">`) || strings.HasPrefix(line, `<tr class="missing">`) {
			fmt.Print(line)
		}
	}
	// Output:
	// <title>Patch compliance: web</title>
	// <header><h1>Patch compliance: web</h1><p>Patch compliance of 1 node in 1 patch group</p></header>
	// <tr class="group"><td>web</td><td class="num">1</td><td class="num">0</td><td class="num">1</td><td class="num">0</td><td class="num">1</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">1</td><td class="num">0</td><td class="num">0</td></tr>
	// <tr class="missing"><td class="num">1</td><td>openssl-libs.x86_64</td><td class="num">1</td><td>Security</td><td>Important</td><td>HIGH</td></tr>
}

// The page of one node's report; the example prints its title, its
// status and the rows of its patch table.
func ExampleReport_WriteHTML() {
	var page bytes.Buffer
	if err := exampleReport("i-0123456789abcdef0", "web", false).WriteHTML(&page); err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.Lines(page.String()) {
		if strings.HasPrefix(line, "<title>") || strings.Contains(line, `id="status"`) || strings.HasPrefix(line, `<tr class="item`) {
			fmt.Print(line)
		}
	}
	// Output:
	// <title>Patch compliance: i-0123456789abcdef0</title>
	// <section class="card stat" id="status"><h2>Status</h2><span class="badge nc">NON_COMPLIANT</span></section>
	// <tr class="item nc"><td class="kb" title="openssl-libs.x86_64:1:3.2.2-1.amzn2023.0.2">openssl-libs.x86_64</td><td>Missing</td><td>Security</td><td>Important</td><td>HIGH</td><td class="ver">1:3.2.2-1.amzn2023.0.1</td><td class="ver">1:3.2.2-1.amzn2023.0.2</td><td class="cve"><span>CVE-2025-9230</span></td></tr>
}
