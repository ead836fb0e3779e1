package compliance_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/repo"
)

// A fleet of thirteen nodes for the rendering tests, built the way an agent
// builds its reports: candidates as a repository offers them, decisions from
// baseline.Evaluate (a custom baseline for the prod and staging groups with
// levels by severity, the AWS-owned defaults for the others), reports from
// compliance.Build.

// fixtureNow is when the operations ran.
var fixtureNow = time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)

// catalogEntry is a package a node may have: its older (installed) and
// newer (offered) versions and the advisory of the newer one. New == Old
// offers the installed version itself; New == "" offers nothing.
type catalogEntry struct {
	Name, Arch, Old, New string
	Classification       string
	Severity             string
	Priority             string
	Advisory             string
	CVEs                 []string
}

func al2023Catalog() map[string]catalogEntry {
	return map[string]catalogEntry{
		"sudo": {Name: "sudo", Arch: "x86_64", Old: "0:1.9.15-1.p5.amzn2023.0.1", New: "0:1.9.15-1.p5.amzn2023.0.2",
			Classification: "Security", Severity: "Critical", Advisory: "ALAS2023-2025-1043", CVEs: []string{"CVE-2025-32462", "CVE-2025-32463"}},
		"openssl-libs": {Name: "openssl-libs", Arch: "x86_64", Old: "1:3.2.2-1.amzn2023.0.1", New: "1:3.2.2-1.amzn2023.0.2",
			Classification: "Security", Severity: "Important", Advisory: "ALAS2023-2025-1215", CVEs: []string{"CVE-2025-9230", "CVE-2025-9231", "CVE-2025-9232"}},
		"kernel": {Name: "kernel", Arch: "x86_64", Old: "0:6.1.153-175.280.amzn2023", New: "0:6.1.156-177.286.amzn2023",
			Classification: "Security", Severity: "Important", Advisory: "ALAS2023-2025-1220", CVEs: []string{"CVE-2025-39751", "CVE-2025-39866"}},
		"curl": {Name: "curl", Arch: "x86_64", Old: "0:8.11.1-4.amzn2023.0.1", New: "0:8.11.1-4.amzn2023.0.2",
			Classification: "Security", Severity: "Medium", Advisory: "ALAS2023-2025-1198", CVEs: []string{"CVE-2025-9086", "CVE-2025-10148"}},
		"libcurl": {Name: "libcurl", Arch: "x86_64", Old: "0:8.11.1-4.amzn2023.0.1", New: "0:8.11.1-4.amzn2023.0.2",
			Classification: "Security", Severity: "Medium", Advisory: "ALAS2023-2025-1198", CVEs: []string{"CVE-2025-9086", "CVE-2025-10148"}},
		"glibc": {Name: "glibc", Arch: "x86_64", Old: "0:2.34-196.amzn2023.0.1", New: "0:2.34-231.amzn2023.0.1",
			Classification: "Security", Severity: "Medium", Advisory: "ALAS2023-2025-1180", CVEs: []string{"CVE-2025-4802", "CVE-2025-8058"}},
		"tzdata": {Name: "tzdata", Arch: "noarch", Old: "0:2025b-1.amzn2023.0.1", New: "0:2025c-1.amzn2023.0.1",
			Classification: "Bugfix", Advisory: "ALAS2023-2025-1231"},
		"vim-minimal": {Name: "vim-minimal", Arch: "x86_64", Old: "2:9.1.1623-1.amzn2023.0.1", New: "2:9.1.1784-1.amzn2023.0.1",
			Classification: "Security", Severity: "Low", Advisory: "ALAS2023-2025-1201", CVEs: []string{"CVE-2025-53905"}},
		"bash": {Name: "bash", Arch: "x86_64", Old: "0:5.2.15-1.amzn2023.0.2", New: "0:5.2.15-1.amzn2023.0.2",
			Classification: "Bugfix", Advisory: "ALAS2023-2023-0102"},
		"telnet": {Name: "telnet", Arch: "x86_64", Old: "1:0.17-85.amzn2023.0.2"},
		"httpd": {Name: "httpd", Arch: "x86_64", New: "0:2.4.65-1.amzn2023.0.1",
			Classification: "Security", Severity: "Important", Advisory: "ALAS2023-2025-1100", CVEs: []string{"CVE-2025-53020"}},
	}
}

func ubuntuCatalog() map[string]catalogEntry {
	return map[string]catalogEntry{
		"openssl": {Name: "openssl", Arch: "amd64", Old: "3.0.2-0ubuntu1.19", New: "3.0.2-0ubuntu1.20",
			Priority: "Important", Advisory: "USN-7786-1", CVEs: []string{"CVE-2025-9230", "CVE-2025-9232"}},
		"libssl3": {Name: "libssl3", Arch: "amd64", Old: "3.0.2-0ubuntu1.19", New: "3.0.2-0ubuntu1.20",
			Priority: "Important", Advisory: "USN-7786-1", CVEs: []string{"CVE-2025-9230", "CVE-2025-9232"}},
		"bash": {Name: "bash", Arch: "amd64", Old: "5.1-6ubuntu1.1", New: "5.1-6ubuntu1.1", Priority: "Required"},
	}
}

// versionOf splits an [epoch:]version-release string.
func versionOf(t *testing.T, scheme patchkit.VersionScheme, name, arch, evr string) patchkit.Package {
	t.Helper()
	p := patchkit.Package{Name: name, Arch: arch, Scheme: scheme, Epoch: patchkit.EpochOf(0)}
	var err error
	if scheme == patchkit.RPM {
		p, err = patchkit.ParseNEVRA(name + "-" + evr + "." + arch)
		require.NoError(t, err)
		return p
	}
	ver, rel := evr, ""
	for i := len(evr) - 1; i >= 0; i-- {
		if evr[i] == '-' {
			ver, rel = evr[:i], evr[i+1:]
			break
		}
	}
	p.Version, p.Release = ver, rel
	return p
}

// linuxNode describes one Linux node: the packages installed at their old
// and at their new version, the offered packages it does not have.
type linuxNode struct {
	node                   compliance.Node
	base                   baseline.Baseline
	catalog                map[string]catalogEntry
	old, new, notInstalled []string
	op                     compliance.Operation
	reboot                 compliance.RebootOption
	start                  time.Time
	lastBoot               time.Time
	before, previous       *compliance.Report
	installedAt, updatedAt time.Time
	// repos are the repositories the scan read, with their health.
	repos []repo.Status
}

func buildLinux(t *testing.T, n linuxNode) *compliance.Report {
	t.Helper()
	scheme := patchkit.RPM
	if n.node.OperatingSystem == patchkit.OSUbuntu {
		scheme = patchkit.Deb
	}
	type pkg struct {
		entry     catalogEntry
		installed *patchkit.Package
	}
	var pkgs []pkg
	add := func(names []string, which string) {
		for _, name := range names {
			e, ok := n.catalog[name]
			require.True(t, ok, name)
			var inst *patchkit.Package
			switch which {
			case "old":
				p := versionOf(t, scheme, e.Name, e.Arch, e.Old)
				p.InstallTime = n.installedAt
				inst = &p
			case "new":
				p := versionOf(t, scheme, e.Name, e.Arch, e.New)
				p.InstallTime = n.updatedAt
				inst = &p
			}
			pkgs = append(pkgs, pkg{e, inst})
		}
	}
	add(n.old, "old")
	add(n.new, "new")
	add(n.notInstalled, "")

	// The candidates, and the installed versions as patches to find the
	// rejected ones.
	var cands, installed []patchkit.Patch
	for _, p := range pkgs {
		e := p.entry
		if e.New != "" {
			c := patchkit.Patch{Package: versionOf(t, scheme, e.Name, e.Arch, e.New), Product: n.node.Product,
				Classification: e.Classification, Severity: e.Severity, Priority: e.Priority,
				CVEIDs: e.CVEs, ReleaseDate: time.Date(2025, 11, 10, 12, 0, 0, 0, time.UTC), Security: e.Advisory != ""}
			if e.Advisory != "" {
				c.AdvisoryIDs = []string{e.Advisory}
			}
			if scheme == patchkit.Deb {
				c.Repository = "Ubuntu:22.04/jammy-security"
				c.Section = "libs"
			}
			cands = append(cands, c)
		}
		if p.installed != nil {
			installed = append(installed, patchkit.Patch{Package: *p.installed, Product: n.node.Product})
		}
	}
	bnode := baseline.Node{OperatingSystem: n.node.OperatingSystem, Product: n.node.Product}
	decisions, err := baseline.Evaluate(n.base, bnode, cands, n.start)
	require.NoError(t, err)
	instDecisions, err := baseline.Evaluate(n.base, bnode, installed, n.start)
	require.NoError(t, err)

	var inputs []compliance.Input
	ci, ii := 0, 0
	for _, p := range pkgs {
		in := compliance.Input{Installed: p.installed}
		if p.entry.New != "" {
			in.Candidates = []compliance.Candidate{{Patch: cands[ci], Decision: decisions[ci]}}
			ci++
		}
		if p.installed != nil {
			in.InstalledRejected = instDecisions[ii].Reason == baseline.ReasonRejectedList
			ii++
		}
		inputs = append(inputs, in)
	}
	rep, err := compliance.Build(compliance.BuildInput{
		Node: n.node, BaselineID: n.base.BaselineID, RejectedPatchesAction: n.base.RejectedPatchesAction,
		Operation: n.op, RebootOption: n.reboot, Start: n.start, End: n.start.Add(3*time.Minute + 12*time.Second),
		LastBoot: n.lastBoot, Packages: inputs, Previous: n.previous, BeforeInstall: n.before, Repositories: n.repos,
	}, compliance.BuildOptions{})
	require.NoError(t, err)
	return &rep
}

// prodBaseline is a custom baseline for Amazon Linux 2023: security updates
// by severity with levels, bug fixes as LOW, telnet blocked.
func prodBaseline() baseline.Baseline {
	zero, seven := 0, 7
	rule := func(level patchkit.ComplianceLevel, days *int, fs ...baseline.Filter) baseline.Rule {
		return baseline.Rule{PatchFilterGroup: baseline.FilterGroup{PatchFilters: fs}, ComplianceLevel: level, ApproveAfterDays: days}
	}
	f := func(k baseline.FilterKey, v ...string) baseline.Filter { return baseline.Filter{Key: k, Values: v} }
	return baseline.Baseline{
		BaselineID: "pb-0f1e2d3c4b5a69788", Name: "prod-al2023", OperatingSystem: patchkit.OSAmazonLinux2023,
		GlobalFilters: baseline.FilterGroup{PatchFilters: []baseline.Filter{f(baseline.KeyProduct, "AmazonLinux2023")}},
		ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{
			rule(patchkit.ComplianceCritical, &zero, f(baseline.KeyClassification, "Security"), f(baseline.KeySeverity, "Critical")),
			rule(patchkit.ComplianceHigh, &zero, f(baseline.KeyClassification, "Security"), f(baseline.KeySeverity, "Important")),
			rule(patchkit.ComplianceMedium, &seven, f(baseline.KeyClassification, "Security"), f(baseline.KeySeverity, "Medium")),
			rule(patchkit.ComplianceLow, &seven, f(baseline.KeyClassification, "Bugfix")),
		}},
		ApprovedPatches: []string{}, RejectedPatches: []string{"telnet"}, RejectedPatchesAction: baseline.Block,
		PatchGroups: []string{"prod", "staging"}, Sources: []baseline.Source{},
		Description: "Production Amazon Linux 2023: security by severity, bug fixes after a week",
	}
}

func predefinedBaseline(t *testing.T, os patchkit.OperatingSystem) baseline.Baseline {
	t.Helper()
	b, err := baseline.Predefined(os)
	require.NoError(t, err)
	return b
}

func windowsReport(t *testing.T) *compliance.Report {
	t.Helper()
	base := predefinedBaseline(t, patchkit.OSWindows)
	node := compliance.Node{InstanceID: "i-07e5d1c3b9a8f2041", Hostname: "win-ad-1", OperatingSystem: patchkit.OSWindows,
		Product: "WindowsServer2022", PatchGroup: "windows"}
	update := func(kb, title, class, sev string, released time.Time) patchkit.Patch {
		return patchkit.Patch{Package: patchkit.Package{Name: kb}, Product: "WindowsServer2022", Classification: class,
			MsrcSeverity: sev, Severity: sev, KBNumber: kb, Title: title, ID: "upd-" + kb, ProductFamily: "Windows", PatchSet: "OS",
			ReleaseDate: released}
	}
	cands := []patchkit.Patch{
		update("KB5065432", "2025-09 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5065432)",
			"SecurityUpdates", "Critical", time.Date(2025, 9, 9, 17, 0, 0, 0, time.UTC)),
		update("KB5066782", "2025-10 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5066782)",
			"SecurityUpdates", "Critical", time.Date(2025, 10, 14, 17, 0, 0, 0, time.UTC)),
		update("KB5066137", "2025-10 Security Update for .NET Framework 3.5 and 4.8.1 for Microsoft server operating system version 21H2 (KB5066137)",
			"SecurityUpdates", "Moderate", time.Date(2025, 10, 14, 17, 0, 0, 0, time.UTC)),
	}
	cands[2].PatchSet = "APPLICATION"
	decisions, err := baseline.Evaluate(base, baseline.Node{OperatingSystem: patchkit.OSWindows, Product: "WindowsServer2022"}, cands, fixtureNow)
	require.NoError(t, err)
	installed := patchkit.Package{Name: "KB5065432", InstallTime: time.Date(2025, 9, 20, 3, 0, 0, 0, time.UTC)}
	inputs := []compliance.Input{
		{Installed: &installed, Candidates: []compliance.Candidate{{Patch: cands[0], Decision: decisions[0]}}},
		{Applicable: true, Candidates: []compliance.Candidate{{Patch: cands[1], Decision: decisions[1]}}},
		{Applicable: true, Candidates: []compliance.Candidate{{Patch: cands[2], Decision: decisions[2]}}},
	}
	rep, err := compliance.Build(compliance.BuildInput{
		Node: node, BaselineID: base.BaselineID, RejectedPatchesAction: base.RejectedPatchesAction,
		AvailableSecurityUpdatesComplianceStatus: base.AvailableSecurityUpdatesComplianceStatus,
		Operation:                                compliance.Scan, RebootOption: compliance.RebootIfNeeded, Start: fixtureNow.Add(-2 * time.Hour),
		End: fixtureNow.Add(-2*time.Hour + 9*time.Minute), LastBoot: time.Date(2025, 9, 20, 3, 10, 0, 0, time.UTC),
		Packages: inputs,
	}, compliance.BuildOptions{})
	require.NoError(t, err)
	return &rep
}

// al2023Repos are the two repositories of an Amazon Linux 2023 node as a
// scan that read them both reports them: the packages the catalog offers
// come from amazonlinux; neither is signed (the fixture's .repo files have
// no repo_gpgcheck), so Verified is false and Health OK.
func al2023Repos(catalog map[string]catalogEntry) []repo.Status {
	offered := 0
	for _, e := range catalog {
		if e.New != "" {
			offered++
		}
	}
	generated := time.Date(2025, 11, 21, 18, 4, 0, 0, time.UTC)
	return []repo.Status{
		{Name: "kernel-livepatch", Health: repo.HealthOK, Date: generated.Add(-72 * time.Hour)},
		{Name: "amazonlinux", Health: repo.HealthOK, Date: generated, Packages: offered},
	}
}

// fixtureUnknownNode is web-prod-5, a scan that could not read the
// amazonlinux repository: its primary.xml.gz was cut short. With nothing
// known to be offered, every installed package is InstalledOther, though
// the node runs the old versions the other nodes were missing; the
// repository's UNREADABLE health makes the node UNKNOWN instead of
// COMPLIANT.
func fixtureUnknownNode(t *testing.T) *compliance.Report {
	t.Helper()
	offline := map[string]catalogEntry{}
	for name, e := range al2023Catalog() {
		e.New = ""
		offline[name] = e
	}
	repos := al2023Repos(offline)
	repos[1] = repo.StatusOf("amazonlinux", &repo.SizeError{File: "amazonlinux repodata/primary.xml.gz", Want: 41822512, Got: 1048576})
	return buildLinux(t, linuxNode{
		node: compliance.Node{InstanceID: "i-0a4c1e7d2b9f30015", Hostname: "web-prod-5.internal.example.com",
			OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023", PatchGroup: "prod"},
		base: prodBaseline(), catalog: offline, old: []string{"sudo", "openssl-libs", "kernel", "curl", "glibc", "tzdata", "bash"},
		op: compliance.Scan, reboot: compliance.RebootIfNeeded, start: fixtureNow.Add(9 * time.Minute),
		lastBoot: time.Date(2025, 11, 2, 4, 0, 0, 0, time.UTC), installedAt: time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC),
		repos: repos,
	})
}

// fixtureNode is web-prod-1 after an Install with NoReboot that updated
// openssl-libs and the kernel but failed on sudo, built from the scan before
// it: Installed, InstalledPendingReboot, Failed, InstalledRejected,
// InstalledOther and NotApplicable items.
func fixtureNode(t *testing.T) *compliance.Report {
	t.Helper()
	al := al2023Catalog()
	prod := prodBaseline()
	node := compliance.Node{InstanceID: "i-0a4c1e7d2b9f30011", Hostname: "web-prod-1.internal.example.com",
		OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023", PatchGroup: "prod"}
	boot := time.Date(2025, 11, 2, 4, 0, 0, 0, time.UTC)
	installedAt := time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC)
	scan := buildLinux(t, linuxNode{node: node, base: prod, catalog: al,
		old: []string{"sudo", "openssl-libs", "kernel", "vim-minimal", "bash", "telnet"}, notInstalled: []string{"httpd"},
		op: compliance.Scan, reboot: compliance.RebootIfNeeded, start: fixtureNow.Add(-30 * time.Minute), lastBoot: boot,
		installedAt: installedAt})
	return buildLinux(t, linuxNode{node: node, base: prod, catalog: al,
		old: []string{"sudo", "vim-minimal", "bash", "telnet"}, new: []string{"openssl-libs", "kernel"}, notInstalled: []string{"httpd"},
		op: compliance.Install, reboot: compliance.NoReboot, start: fixtureNow.Add(-20 * time.Minute), lastBoot: boot,
		before: scan, previous: scan, installedAt: installedAt, updatedAt: fixtureNow.Add(-18 * time.Minute),
		repos: al2023Repos(al)})
}

// fixtureFleet returns the thirteen nodes' reports: web-prod-1 and
// web-prod-5 say which repositories they read (web-prod-5 could not read
// one); the others, as reports of schema 1.0 did, do not.
func fixtureFleet(t *testing.T) []*compliance.Report {
	t.Helper()
	al := al2023Catalog()
	prod := prodBaseline()
	dev := predefinedBaseline(t, patchkit.OSAmazonLinux2023)
	ubuntu := predefinedBaseline(t, patchkit.OSUbuntu)
	boot := time.Date(2025, 11, 2, 4, 0, 0, 0, time.UTC)
	installedAt := time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC)
	updatedAt := time.Date(2025, 11, 12, 2, 30, 0, 0, time.UTC)
	all := []string{"sudo", "openssl-libs", "kernel", "curl", "libcurl", "glibc", "tzdata", "vim-minimal", "bash"}
	al23 := func(id, host, group string, base baseline.Baseline, old []string, minute int) *compliance.Report {
		var updated []string
		for _, n := range all {
			if !slices.Contains(old, n) {
				updated = append(updated, n)
			}
		}
		return buildLinux(t, linuxNode{
			node: compliance.Node{InstanceID: id, Hostname: host, OperatingSystem: patchkit.OSAmazonLinux2023,
				Product: "AmazonLinux2023", PatchGroup: group},
			base: base, catalog: al, old: old, new: updated, op: compliance.Scan, reboot: compliance.RebootIfNeeded,
			start: fixtureNow.Add(time.Duration(minute) * time.Minute), lastBoot: boot, installedAt: installedAt, updatedAt: updatedAt,
		})
	}
	reports := []*compliance.Report{
		fixtureNode(t),
		al23("i-0a4c1e7d2b9f30012", "web-prod-2.internal.example.com", "prod", prod, []string{"sudo", "openssl-libs", "vim-minimal"}, 1),
		al23("i-0a4c1e7d2b9f30013", "web-prod-3.internal.example.com", "prod", prod, []string{"vim-minimal"}, 2),
		al23("i-0a4c1e7d2b9f30014", "web-prod-4.internal.example.com", "prod", prod, nil, 2),
		al23("i-0a4c1e7d2b9f30021", "db-prod-1.internal.example.com", "prod", prod, []string{"glibc", "tzdata"}, 3),
		al23("i-05b7e2d9c4a1f0031", "web-stg-1.internal.example.com", "staging", prod, []string{"openssl-libs", "curl", "libcurl"}, 4),
		al23("i-05b7e2d9c4a1f0032", "web-stg-2.internal.example.com", "staging", prod, []string{"tzdata"}, 5),
		al23("i-0c3d9e8f7a6b50041", "dev-1.internal.example.com", "dev", dev, []string{"openssl-libs", "sudo", "kernel"}, 6),
		al23("i-0c3d9e8f7a6b50042", "dev-2.internal.example.com", "dev", dev, nil, 7),
		al23("i-0c3d9e8f7a6b50043", "dev-3.internal.example.com", "dev", dev, []string{"curl", "libcurl"}, 7),
		buildLinux(t, linuxNode{
			node: compliance.Node{InstanceID: "i-0e1f2a3b4c5d60051", Hostname: "bastion-1", OperatingSystem: patchkit.OSUbuntu,
				Product: "Ubuntu22.04"},
			base: ubuntu, catalog: ubuntuCatalog(), old: []string{"openssl", "libssl3", "bash"},
			op: compliance.Scan, reboot: compliance.RebootIfNeeded, start: fixtureNow.Add(8 * time.Minute), lastBoot: boot,
			installedAt: installedAt,
		}),
		windowsReport(t),
		fixtureUnknownNode(t),
	}
	return reports
}

func fixtureAggregate(t *testing.T, reports []*compliance.Report) compliance.Fleet {
	t.Helper()
	f, err := compliance.Aggregate(func(yield func(*compliance.Report, error) bool) {
		for _, r := range reports {
			if !yield(r, nil) {
				return
			}
		}
	}, 0)
	require.NoError(t, err)
	return f
}
