package baseline

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
)

var update = flag.Bool("update", false, "rewrite golden files")

func days(n int) *int        { return &n }
func date(s string) *string  { return &s }
func utc(s string) time.Time { return ts(s) }

// dbus is the package of the name-matching vectors of docs/semantics.md §6.2.
func dbus() patchkit.Patch {
	return patchkit.Patch{Package: patchkit.Package{Name: "dbus", Epoch: patchkit.EpochOf(1), Version: "1.12.28",
		Release: "1.amzn2023.0.1", Arch: "x86_64", Scheme: patchkit.RPM},
		Classification: "Security", Severity: "Important", Security: true,
		AdvisoryIDs: []string{"ALAS2023-2025-123"}, CVEIDs: []string{"CVE-2025-0001"}, BugzillaIDs: []string{"2233445"}}
}

func al2023(mod func(*Baseline)) Baseline {
	b := Baseline{Name: "test-al2023", OperatingSystem: patchkit.OSAmazonLinux2023}
	if mod != nil {
		mod(&b)
	}
	return b
}

var nodeAL2023 = Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"}

func decide1(t *testing.T, b Baseline, n Node, p patchkit.Patch, now time.Time, opts ...Option) Decision {
	t.Helper()
	ds, err := Evaluate(b, n, []patchkit.Patch{p}, now, opts...)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	return ds[0]
}

// TestNameMatching runs the name-matching vectors of docs/semantics.md §6.2
// through the approved and the rejected list.
func TestNameMatching(t *testing.T) {
	cases := []struct {
		entry string
		match bool
	}{
		{"dbus", true},
		{"DBUS.X86_64", true},
		{"dbus*", true},
		{"dbu?", true},
		{"dbus-1.12.2*", true},
		{"dbus-*:1.12.28-1.amzn2023.0.1.x86_64", true},
		{"dbus.x86_64:1:*", true},
		{"1.12.28", true}, // a bare version matches every package with it
		{"1.12.28-1.amzn2023.0.1", true},
		{"1:1.12.28-1.amzn2023.0.1", true},
		{"dbus-1.12.28", true},
		{"dbus-1.12.28-1.amzn2023.0.1", true},
		{"dbus-1.12.28-1.amzn2023.0.1.x86_64", true},
		{"dbus-1:1.12.28-1.amzn2023.0.1", true},
		{"dbus-1:1.12.28-1.amzn2023.0.1.x86_64", true},
		{"1:dbus-1.12.28-1.amzn2023.0.1.x86_64", true},
		{"dbus.x86_64:1:1.12.28-1.amzn2023.0.1", true},
		{"*.x86_64", true},
		{"dbus-0:1.12.28-1.amzn2023.0.1.x86_64", false}, // epoch differs
		{"dbus-libs", false},
		{"dbus.i686", false},
		{"dbus-1.12.29*", false},
	}
	now := utc("2025-12-01T00:00:00Z")
	for _, c := range cases {
		d := decide1(t, al2023(func(b *Baseline) { b.ApprovedPatches = []string{c.entry} }), nodeAL2023, dbus(), now)
		assert.Equal(t, c.match, d.Approved, "approved list %q", c.entry)
		if c.match {
			assert.Equal(t, ReasonApprovedList, d.Reason)
			assert.Equal(t, ExplicitApproved, d.Status)
			assert.Equal(t, c.entry, d.Entry)
		}
		d = decide1(t, al2023(func(b *Baseline) { b.RejectedPatches = []string{c.entry} }), nodeAL2023, dbus(), now)
		assert.Equal(t, c.match, d.Reason == ReasonRejectedList, "rejected list %q", c.entry)
	}
	// "dbus*" also catches dbus-libs.
	libs := dbus()
	libs.Name = "dbus-libs"
	d := decide1(t, al2023(func(b *Baseline) { b.RejectedPatches = []string{"dbus*"} }), nodeAL2023, libs, now)
	assert.Equal(t, ReasonRejectedList, d.Reason)
	// A bare version rejects every package that has it.
	other := dbus()
	other.Name = "glibc"
	d = decide1(t, al2023(func(b *Baseline) { b.RejectedPatches = []string{"1.12.28"} }), nodeAL2023, other, now)
	assert.Equal(t, ReasonRejectedList, d.Reason)
}

// TestIDEntries: advisory, CVE and Bugzilla IDs in the approved list match
// exactly and with case, and only in the approved list.
func TestIDEntries(t *testing.T) {
	now := utc("2025-12-01T00:00:00Z")
	for entry, want := range map[string]bool{
		"ALAS2023-2025-123": true, "alas2023-2025-123": false, "ALAS2023-2025-12": false,
		"CVE-2025-0001": true, "cve-2025-0001": false, "2233445": true, "223344": false,
	} {
		d := decide1(t, al2023(func(b *Baseline) { b.ApprovedPatches = []string{entry} }), nodeAL2023, dbus(), now)
		assert.Equal(t, want, d.Approved, entry)
		d = decide1(t, al2023(func(b *Baseline) { b.RejectedPatches = []string{entry} }), nodeAL2023, dbus(), now)
		assert.NotEqual(t, ReasonRejectedList, d.Reason, "IDs do not reject: %s", entry)
	}
	// A digits-only entry is a Bugzilla ID, never a version.
	p := dbus()
	p.Version = "2233445"
	p.BugzillaIDs = nil
	d := decide1(t, al2023(func(b *Baseline) { b.ApprovedPatches = []string{"2233445"} }), nodeAL2023, p, now)
	assert.False(t, d.Approved)
}

// TestApproveAfterDays runs the date vectors of docs/semantics.md §7.2: N=7,
// evaluated at 2025-11-23T10:00Z, by calendar day (default) and by instant.
func TestApproveAfterDays(t *testing.T) {
	b := al2023(func(b *Baseline) {
		b.ApprovalRules.PatchRules = []Rule{{ApproveAfterDays: days(7), ComplianceLevel: patchkit.ComplianceHigh,
			PatchFilterGroup: FilterGroup{PatchFilters: []Filter{{Key: KeyClassification, Values: []string{"Security"}}}}}}
	})
	now := utc("2025-11-23T10:00:00Z")
	cases := []struct {
		release           string
		calendar, instant bool
	}{
		{"2025-11-15T23:00:00Z", true, true},
		{"2025-11-16T09:00:00Z", true, true},
		{"2025-11-16T12:00:00Z", true, false},
		{"2025-11-17T00:30:00Z", false, false},
		{"", true, true}, // unknown: counts as 1970-01-01
	}
	for _, c := range cases {
		p := dbus()
		if c.release != "" {
			p.ReleaseDate = utc(c.release)
		}
		d := decide1(t, b, nodeAL2023, p, now)
		assert.Equal(t, c.calendar, d.Approved, "calendar %s", c.release)
		d2 := decide1(t, b, nodeAL2023, p, now, ExactInstants())
		assert.Equal(t, c.instant, d2.Approved, "instant %s", c.release)
		if d.Approved {
			assert.Equal(t, patchkit.ComplianceHigh, d.ComplianceLevel)
			assert.Equal(t, Approved, d.Status)
		} else {
			assert.Equal(t, PendingApproval, d.Status)
			assert.Equal(t, ReasonTooNew, d.Reason)
			assert.Equal(t, utc("2025-11-24T00:00:00Z"), d.ApprovalDate, "approved from 00:00 UTC seven days after")
		}
		if !d2.Approved {
			assert.Equal(t, p.ReleaseDate.Add(7*24*time.Hour), d2.ApprovalDate)
		}
	}
}

func TestApproveUntilDate(t *testing.T) {
	b := al2023(func(b *Baseline) {
		b.ApprovalRules.PatchRules = []Rule{{ApproveUntilDate: date("2025-11-16"),
			PatchFilterGroup: FilterGroup{PatchFilters: []Filter{{Key: KeyProduct, Values: []string{"*"}}}}}}
	})
	now := utc("2026-01-01T00:00:00Z")
	for release, want := range map[string]bool{"2025-11-16T23:59:59Z": true, "2025-11-17T00:00:00Z": false, "2020-01-01T00:00:00Z": true} {
		p := dbus()
		p.ReleaseDate = utc(release)
		d := decide1(t, b, nodeAL2023, p, now)
		assert.Equal(t, want, d.Approved, release)
		if !want {
			assert.Equal(t, ReasonPastUntil, d.Reason)
			assert.Equal(t, DeploymentStatus(0), d.Status)
		}
	}
}

// TestOracleChange: a Critical security patch is approved by the Oracle
// baseline only after AWS re-created it on 2025-12-10.
func TestOracleChange(t *testing.T) {
	p := patchkit.Patch{Package: patchkit.Package{Name: "kernel-uek", Version: "5.15.0", Release: "300.el9uek", Arch: "x86_64",
		Scheme: patchkit.RPM}, Classification: "Security", Severity: "Critical", Security: true,
		ReleaseDate: utc("2025-11-01T00:00:00Z")}
	node := Node{OperatingSystem: patchkit.OSOracleLinux, Product: "OracleLinux9.5"}
	now := utc("2025-12-20T00:00:00Z")
	before, err := Predefined(patchkit.OSOracleLinux, AsOf(utc("2025-12-01T00:00:00Z")))
	require.NoError(t, err)
	after, err := Predefined(patchkit.OSOracleLinux)
	require.NoError(t, err)
	assert.False(t, decide1(t, before, node, p, now).Approved)
	assert.Equal(t, ReasonFilter, decide1(t, before, node, p, now).Reason)
	assert.True(t, decide1(t, after, node, p, now).Approved)
	// Moderate was approved before and after.
	p.Severity = "Moderate"
	assert.True(t, decide1(t, before, node, p, now).Approved)
	assert.True(t, decide1(t, after, node, p, now).Approved)
}

// TestUbuntuPockets: the same package offered by jammy-updates (not
// security) and jammy-security, with and without EnableNonSecurity, and in
// the approved list with ApprovedPatchesEnableNonSecurity on and off.
func TestUbuntuPockets(t *testing.T) {
	node := Node{OperatingSystem: patchkit.OSUbuntu, Product: "Ubuntu22.04"}
	sec := patchkit.Patch{Package: patchkit.Package{Name: "curl", Version: "7.81.0", Release: "1ubuntu1.20", Arch: "amd64", Scheme: patchkit.Deb,
		Repository: "Ubuntu:22.04/jammy-security"}, Priority: "optional", Section: "web", Security: true}
	upd := sec
	upd.Release, upd.Security, upd.Repository = "1ubuntu1.21", false, "Ubuntu:22.04/jammy-updates"
	now := utc("2025-12-01T00:00:00Z")
	def, err := Predefined(patchkit.OSUbuntu)
	require.NoError(t, err)
	ds, err := Evaluate(def, node, []patchkit.Patch{sec, upd}, now)
	require.NoError(t, err)
	assert.True(t, ds[0].Approved, "security pocket, no delay on apt")
	assert.False(t, ds[1].Approved)
	assert.Equal(t, ReasonNonSecurity, ds[1].Reason)
	assert.False(t, def.ApprovesNonSecurity())

	nonsec := def
	nonsec.ApprovalRules.PatchRules = []Rule{def.ApprovalRules.PatchRules[0]}
	nonsec.ApprovalRules.PatchRules[0].EnableNonSecurity = true
	ds, _ = Evaluate(nonsec, node, []patchkit.Patch{sec, upd}, now)
	assert.True(t, ds[0].Approved)
	assert.True(t, ds[1].Approved)
	assert.True(t, nonsec.ApprovesNonSecurity())

	list := Baseline{Name: "apt-list", OperatingSystem: patchkit.OSUbuntu, ApprovedPatches: []string{"curl"},
		ApprovedPatchesComplianceLevel: patchkit.ComplianceMedium}
	ds, _ = Evaluate(list, node, []patchkit.Patch{sec, upd}, now)
	assert.True(t, ds[0].Approved)
	assert.Equal(t, patchkit.ComplianceMedium, ds[0].ComplianceLevel)
	assert.False(t, ds[1].Approved, "an approved non-security package needs ApprovedPatchesEnableNonSecurity")
	assert.Equal(t, ReasonNonSecurity, ds[1].Reason)
	assert.False(t, list.ApprovesNonSecurity())
	list.ApprovedPatchesEnableNonSecurity = true
	ds, _ = Evaluate(list, node, []patchkit.Patch{sec, upd}, now)
	assert.True(t, ds[1].Approved)
	assert.True(t, list.ApprovesNonSecurity())

	// On apt an entry names a package; the other forms only with the option.
	named := Baseline{Name: "apt-forms", OperatingSystem: patchkit.OSUbuntu, ApprovedPatches: []string{"curl.amd64"}}
	assert.False(t, decide1(t, named, node, sec, now).Approved)
	assert.True(t, decide1(t, named, node, sec, now, AptExtendedForms()).Approved)
	named.ApprovedPatches = []string{"curl-7.81.0-1ubuntu1.20"}
	assert.True(t, decide1(t, named, node, sec, now, AptExtendedForms()).Approved)

	// Global filters do not hold back the approved list, unless asked.
	gl := Baseline{Name: "apt-global", OperatingSystem: patchkit.OSUbuntu, ApprovedPatches: []string{"curl"},
		GlobalFilters: FilterGroup{PatchFilters: []Filter{{Key: KeySection, Values: []string{"libs"}}}}}
	assert.True(t, decide1(t, gl, node, sec, now).Approved)
	assert.False(t, decide1(t, gl, node, sec, now, AptGlobalFiltersBeforeApprovedList()).Approved)
}

// TestRejectedWins: approved and rejected at once is rejected.
func TestRejectedWins(t *testing.T) {
	b := al2023(func(b *Baseline) {
		b.ApprovedPatches = []string{"dbus"}
		b.RejectedPatches = []string{"dbus*"}
		b.ApprovalRules.PatchRules = []Rule{{ApproveAfterDays: days(0), PatchFilterGroup: FilterGroup{PatchFilters: []Filter{{Key: KeyProduct, Values: []string{"*"}}}}}}
	})
	d := decide1(t, b, nodeAL2023, dbus(), utc("2026-01-01T00:00:00Z"))
	assert.False(t, d.Approved)
	assert.Equal(t, ExplicitRejected, d.Status)
	assert.Equal(t, "dbus*", d.Entry)
}

// TestComplianceLevelIsHighest: the level is the highest of the approved
// list and every approving rule.
func TestComplianceLevelIsHighest(t *testing.T) {
	sec := FilterGroup{PatchFilters: []Filter{{Key: KeyClassification, Values: []string{"Security"}}}}
	all := FilterGroup{PatchFilters: []Filter{{Key: KeyProduct, Values: []string{"*"}}}}
	b := al2023(func(b *Baseline) {
		b.ApprovedPatches = []string{"dbus"}
		b.ApprovedPatchesComplianceLevel = patchkit.ComplianceLow
		b.ApprovalRules.PatchRules = []Rule{
			{PatchFilterGroup: all, ApproveAfterDays: days(0), ComplianceLevel: patchkit.ComplianceMedium},
			{PatchFilterGroup: sec, ApproveAfterDays: days(0), ComplianceLevel: patchkit.ComplianceCritical},
			{PatchFilterGroup: sec, ApproveAfterDays: days(30), ComplianceLevel: patchkit.ComplianceHigh},
		}
	})
	p := dbus()
	p.ReleaseDate = utc("2025-11-20T00:00:00Z")
	d := decide1(t, b, nodeAL2023, p, utc("2025-11-25T00:00:00Z"))
	assert.True(t, d.Approved)
	assert.Equal(t, patchkit.ComplianceCritical, d.ComplianceLevel)
	assert.Equal(t, []int{0, 1}, d.Rules.Indexes(), "rule 2's delay has not passed")
	assert.Equal(t, ExplicitApproved, d.Status)
}

func TestSeverityFilter(t *testing.T) {
	rule := Rule{ApproveAfterDays: days(0), PatchFilterGroup: FilterGroup{PatchFilters: []Filter{
		{Key: KeyClassification, Values: []string{"Security", "Bugfix"}}, {Key: KeySeverity, Values: []string{"Critical", "Medium"}}}}}
	b := al2023(func(b *Baseline) { b.ApprovalRules.PatchRules = []Rule{rule} })
	p := dbus()
	p.Classification, p.Severity = "Bugfix", ""
	now := utc("2026-01-01T00:00:00Z")
	assert.True(t, decide1(t, b, nodeAL2023, p, now).Approved, "a missing severity is ignored")
	d := decide1(t, b, nodeAL2023, p, now, MissingSeverityFails())
	assert.False(t, d.Approved)
	assert.Equal(t, KeySeverity, d.FilterKey)
	// Amazon Linux 2023: Medium also matches Moderate.
	p.Severity = "Moderate"
	assert.True(t, decide1(t, b, nodeAL2023, p, now).Approved)
	p.Severity = "Low"
	assert.False(t, decide1(t, b, nodeAL2023, p, now).Approved)
	// Case does not matter.
	p.Classification, p.Severity = "SECURITY", "critical"
	assert.True(t, decide1(t, b, nodeAL2023, p, now).Approved)
}

func TestGlobalFiltersAndProduct(t *testing.T) {
	b := al2023(func(b *Baseline) {
		b.GlobalFilters.PatchFilters = []Filter{{Key: KeyProduct, Values: []string{"AmazonLinux2023"}}}
		b.ApprovalRules.PatchRules = []Rule{{ApproveAfterDays: days(0), PatchFilterGroup: FilterGroup{PatchFilters: []Filter{{Key: KeyClassification, Values: []string{"Bugfix"}}}}}}
	})
	now := utc("2026-01-01T00:00:00Z")
	d := decide1(t, b, Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2022"}, dbus(), now)
	assert.Equal(t, ReasonGlobalFilter, d.Reason)
	assert.Equal(t, KeyProduct, d.FilterKey)
	d = decide1(t, b, nodeAL2023, dbus(), now)
	assert.Equal(t, ReasonFilter, d.Reason)
	assert.Equal(t, KeyClassification, d.FilterKey)
	// Prefix values.
	b.GlobalFilters.PatchFilters[0].Values = []string{"AmazonLinux20*"}
	b.ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[0].Values = []string{"Sec*"}
	assert.True(t, decide1(t, b, nodeAL2023, dbus(), now).Approved)
	// A patch that is in no notice is held back unless EnableNonSecurity.
	p := dbus()
	p.Security, p.Classification, p.Severity = false, "", ""
	b.ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[0].Values = []string{"*"}
	d = decide1(t, b, nodeAL2023, p, now)
	assert.Equal(t, ReasonNonSecurity, d.Reason)
	b.ApprovalRules.PatchRules[0].EnableNonSecurity = true
	assert.True(t, decide1(t, b, nodeAL2023, p, now).Approved)
	// No rules at all.
	assert.Equal(t, ReasonNoRules, decide1(t, al2023(nil), nodeAL2023, dbus(), now).Reason)
	// A baseline is evaluated for its own OS only.
	_, err := Evaluate(b, Node{OperatingSystem: patchkit.OSUbuntu}, nil, now)
	assert.ErrorIs(t, err, ErrWrongOperatingSystem)
}

func TestSUSEAndWindowsAndMacOS(t *testing.T) {
	now := utc("2026-01-01T00:00:00Z")
	// SUSE: every patch counts as security; entries are patch names or rpm files.
	suse := Baseline{Name: "suse", OperatingSystem: patchkit.OSSUSE,
		ApprovedPatches: []string{"SUSE-SLE-Module-Basesystem-15-SP5-2025-*", "zlib-1.2.13-150500.4.3.1.x86_64.rpm"}}
	node := Node{OperatingSystem: patchkit.OSSUSE, Product: "Suse15.5"}
	p := patchkit.Patch{Package: patchkit.Package{Name: "openssl-3", Version: "3.0.8", Release: "150500.5.45.1", Arch: "x86_64", Scheme: patchkit.RPM},
		AdvisoryIDs: []string{"SUSE-SLE-Module-Basesystem-15-SP5-2025-4120"}, Classification: "Recommended"}
	assert.True(t, decide1(t, suse, node, p, now).Approved)
	z := patchkit.Patch{Package: patchkit.Package{Name: "zlib", Version: "1.2.13", Release: "150500.4.3.1", Arch: "x86_64", Scheme: patchkit.RPM}}
	assert.True(t, decide1(t, suse, node, z, now).Approved)
	suse.ApprovedPatches = []string{"zlib"}
	assert.False(t, decide1(t, suse, node, z, now).Approved, "a bare name is not a documented SLES form")
	assert.True(t, decide1(t, suse, node, z, now, SUSEPackageForms()).Approved)

	// Windows: KB and bulletin IDs; rules without PATCH_SET cover OS patches.
	w, _ := Predefined(patchkit.OSWindows)
	wnode := Node{OperatingSystem: patchkit.OSWindows, Product: "WindowsServer2022"}
	kb := patchkit.Patch{Package: patchkit.Package{Name: "KB5046616"}, KBNumber: "KB5046616", Classification: "SecurityUpdates",
		MsrcSeverity: "Critical", ReleaseDate: utc("2025-11-12T18:00:00Z")}
	app := kb
	app.PatchSet, app.Product = "APPLICATION", "Office 2016"
	ds, err := Evaluate(w, wnode, []patchkit.Patch{kb, app}, utc("2025-11-20T00:00:00Z"))
	require.NoError(t, err)
	assert.True(t, ds[0].Approved)
	assert.False(t, ds[1].Approved, "AWS-DefaultPatchBaseline covers OS patches only")
	wa, _ := PredefinedByName("AWS-WindowsPredefinedPatchBaseline-OS-Applications")
	ds, _ = Evaluate(wa, wnode, []patchkit.Patch{kb, app}, utc("2025-11-20T00:00:00Z"))
	assert.True(t, ds[1].Approved)
	rej := w
	rej.RejectedPatches = []string{"kb5046616"}
	assert.Equal(t, ReasonRejectedList, decide1(t, rej, wnode, kb, now).Reason)

	// macOS: exact names.
	mac := Baseline{Name: "mac", OperatingSystem: patchkit.OSMacOS, ApprovedPatches: []string{"XProtectPlistConfigData"}}
	mp := patchkit.Patch{Package: patchkit.Package{Name: "XProtectPlistConfigData", Version: "2193"}}
	assert.True(t, decide1(t, mac, Node{OperatingSystem: patchkit.OSMacOS}, mp, now).Approved)
}

func TestEffectivePatches(t *testing.T) {
	b, _ := Predefined(patchkit.OSAmazonLinux2)
	b.RejectedPatches = []string{"sec-low"}
	c, err := Compile(b)
	require.NoError(t, err)
	cands := loadCandidates(t, "rpm.json")
	eff, err := c.EffectivePatches(Node{OperatingSystem: patchkit.OSAmazonLinux2, Product: "AmazonLinux2"}, cands, utc("2025-11-20T00:00:00Z"))
	require.NoError(t, err)
	got := map[string]DeploymentStatus{}
	for _, e := range eff {
		got[e.Patch.Name] = e.PatchStatus.DeploymentStatus
	}
	assert.Equal(t, map[string]DeploymentStatus{
		"sec-critical": PendingApproval, "sec-important": PendingApproval, "bugfix-nosev": PendingApproval,
		"sec-low": ExplicitRejected,
	}, got)
	assert.Equal(t, utc("2025-11-23T00:00:00Z"), eff[0].PatchStatus.ApprovalDate)
}

func loadCandidates(t *testing.T, name string) []patchkit.Patch {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, "candidates", name))
	require.NoError(t, err)
	var ps []patchkit.Patch
	require.NoError(t, json.Unmarshal(data, &ps))
	return ps
}

// candidatesFor maps each OS to its candidate fixture and node product.
func candidatesFor(os patchkit.OperatingSystem) (string, string) {
	switch kindOf(os) {
	case kindSUSE:
		return "suse.json", "Suse15.5"
	case kindApt:
		return "apt.json", "Ubuntu22.04"
	case kindMacOS:
		return "macos.json", "MacOS14.7"
	case kindWindows:
		return "windows.json", "WindowsServer2022"
	}
	return "rpm.json", "AmazonLinux2"
}

// TestPredefinedGolden evaluates every predefined baseline against its
// candidate set (released 2025-11-16T12:00Z) at release + 6 d 23 h, + 7 d
// and + 7 d 1 h, by calendar day and by instant. The decisions are kept in
// testdata/baseline/golden; the assertions after the comparison state the
// facts the golden files must show.
func TestPredefinedGolden(t *testing.T) {
	release := utc("2025-11-16T12:00:00Z")
	offsets := map[string]time.Duration{"6d23h": 6*24*time.Hour + 23*time.Hour, "7d": 7 * 24 * time.Hour, "7d1h": 7*24*time.Hour + time.Hour}
	type row struct {
		Name, Reason, Status, ComplianceLevel string
		Approved                              bool
	}
	results := map[string]map[string][]row{} // baseline -> "offset/mode" -> rows
	for _, name := range PredefinedNames() {
		b, err := PredefinedByName(name)
		require.NoError(t, err)
		file, product := candidatesFor(b.OperatingSystem)
		cands := loadCandidates(t, file)
		results[name] = map[string][]row{}
		for off, d := range offsets {
			for _, mode := range []string{"calendar", "instant"} {
				var opts []Option
				if mode == "instant" {
					opts = append(opts, ExactInstants())
				}
				ds, err := Evaluate(b, Node{OperatingSystem: b.OperatingSystem, Product: product}, cands, release.Add(d), opts...)
				require.NoError(t, err)
				var rows []row
				for i, dec := range ds {
					rows = append(rows, row{cands[i].Name, dec.Reason.String(), dec.Status.String(), dec.ComplianceLevel.String(), dec.Approved})
				}
				results[name][off+"/"+mode] = rows
			}
		}
	}
	for name, got := range results {
		path := filepath.Join(fixtures, "golden", name+".json")
		data, err := json.MarshalIndent(got, "", "  ")
		require.NoError(t, err)
		data = append(data, '\n')
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, data, 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(data), "%s differs from its golden file; rerun with -update after checking", name)
	}

	approved := func(name, when string) []string {
		var out []string
		for _, r := range results[name][when] {
			if r.Approved {
				out = append(out, r.Name)
			}
		}
		sort.Strings(out)
		return out
	}
	al := []string{"bugfix-nosev", "sec-critical", "sec-important"}
	for _, when := range []string{"6d23h/calendar", "7d/calendar", "7d1h/calendar", "7d1h/instant"} {
		assert.Equal(t, al, approved("AWS-AmazonLinux2DefaultPatchBaseline", when), when)
	}
	for _, when := range []string{"6d23h/instant", "7d/instant"} {
		assert.Empty(t, approved("AWS-AmazonLinux2DefaultPatchBaseline", when), when)
	}
	assert.Equal(t, []string{"bugfix-nosev", "enhancement", "sec-critical", "sec-important", "sec-moderate"},
		approved("AWS-OracleLinuxDefaultPatchBaseline", "7d/calendar"))
	assert.Equal(t, []string{"bugfix-nosev", "enhancement", "newpackage", "no-notice", "sec-critical", "sec-important", "sec-low", "sec-moderate"},
		approved("AWS-CentOSDefaultPatchBaseline", "7d/calendar"), "CentOS: everything, security or not")
	assert.Equal(t, []string{"sec-critical", "sec-important"}, approved("AWS-SuseDefaultPatchBaseline", "7d/calendar"))
	assert.Equal(t, []string{"extra-pkg", "libssl3", "openssh-server"}, approved("AWS-UbuntuDefaultPatchBaseline", "6d23h/instant"), "apt: no delay, security pocket only")
	assert.Equal(t, []string{"KB5046616", "KB5046617", "KB5046619"}, approved("AWS-DefaultPatchBaseline", "7d/calendar"))
	assert.Equal(t, []string{"KB5002650", "KB5046616", "KB5046617", "KB5046619"}, approved("AWS-WindowsPredefinedPatchBaseline-OS-Applications", "7d/calendar"))
	assert.Equal(t, []string{"XProtectPlistConfigData", "firefox", "macOS Sonoma 14.7.1", "openssl@3"}, approved("AWS-MacOSDefaultPatchBaseline", "7d/calendar"))
}

func TestDecisionJSON(t *testing.T) {
	d := Decision{Approved: true, Status: Approved, Reason: ReasonRule, Rules: 1, ComplianceLevel: patchkit.ComplianceHigh,
		ApprovalDate: utc("2025-11-23T00:00:00Z")}
	b, err := json.Marshal(d)
	require.NoError(t, err)
	assert.JSONEq(t, `{"Approved":true,"Status":"APPROVED","Reason":"Rule","Rules":[0],"ComplianceLevel":"HIGH","ApprovalDate":"2025-11-23T00:00:00Z"}`, string(b))
	var back Decision
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, d, back)
}

// TestApprovesNonSecurity: a baseline that says it approves no
// non-security patch approves none, whatever the patch: every predefined
// baseline and variants of it (rules with and without EnableNonSecurity,
// approved lists with and without ApprovedPatchesEnableNonSecurity), over
// real package names with random classifications, severities, priorities,
// sections and dates.
func TestApprovesNonSecurity(t *testing.T) {
	names := realNames(t)
	r := rand.New(rand.NewPCG(3, 4))
	now := utc("2025-12-01T00:00:00Z")
	said := map[bool]int{}
	for _, name := range PredefinedNames() {
		def, err := PredefinedByName(name)
		require.NoError(t, err)
		variants := []Baseline{def}
		for _, nonsec := range []bool{false, true} {
			v := def
			v.Name = "variant"
			v.ApprovalRules.PatchRules = slices.Clone(def.ApprovalRules.PatchRules)
			for i := range v.ApprovalRules.PatchRules {
				v.ApprovalRules.PatchRules[i].EnableNonSecurity = nonsec
			}
			v.ApprovedPatches = []string{names[0], names[1] + "*"}
			v.ApprovedPatchesEnableNonSecurity = !nonsec
			variants = append(variants, v)
			w := v
			w.ApprovedPatchesEnableNonSecurity = false
			variants = append(variants, w)
		}
		for _, b := range variants {
			approves := b.ApprovesNonSecurity()
			said[approves]++
			if approves {
				continue // nothing to check: it may approve anything
			}
			c, err := Compile(b)
			require.NoError(t, err)
			scheme, arch := patchkit.RPM, "x86_64"
			if kindOf(b.OperatingSystem) == kindApt {
				scheme, arch = patchkit.Deb, "amd64"
			}
			cands := make([]patchkit.Patch, 2000)
			for i := range cands {
				p := patchkit.Patch{Package: patchkit.Package{Name: names[r.IntN(len(names))], Version: fmt.Sprintf("1.%d", r.IntN(9)),
					Release: "1", Arch: arch, Scheme: scheme},
					Classification: []string{"Security", "Bugfix", "Enhancement", "CriticalUpdates", ""}[r.IntN(5)],
					Severity:       []string{"Critical", "Important", "Medium", "Low", ""}[r.IntN(5)],
					Priority:       []string{"required", "important", "standard", "optional", "extra"}[r.IntN(5)],
					Section:        []string{"libs", "web", "admin"}[r.IntN(3)],
					ReleaseDate:    now.Add(-time.Duration(r.IntN(60*24)) * time.Hour)}
				if i < 10 {
					p.Name = names[i%2] // the approved list's entries
				}
				if scheme == patchkit.RPM {
					p.Epoch = patchkit.EpochOf(0)
				}
				cands[i] = p
			}
			ds, err := c.Evaluate(Node{OperatingSystem: b.OperatingSystem}, cands, now)
			require.NoError(t, err)
			approved := 0
			for _, d := range ds {
				if d.Approved {
					approved++
				}
			}
			assert.Zero(t, approved, "%s (%s): ApprovesNonSecurity is false", b.Name, b.OperatingSystem)
			// The same candidates as security patches: some are approved,
			// so the check above can fail.
			for i := range cands {
				cands[i].Security = true
			}
			ds, err = c.Evaluate(Node{OperatingSystem: b.OperatingSystem}, cands, now)
			require.NoError(t, err)
			approved = 0
			for _, d := range ds {
				if d.Approved {
					approved++
				}
			}
			assert.Positive(t, approved, "%s (%s) as security patches", b.Name, b.OperatingSystem)
		}
	}
	assert.Positive(t, said[false])
	assert.Positive(t, said[true])
}

// TestFilterKeySeveralRules: with several rules, FilterKey is the key
// every rule failed on when they agree, and empty when they do not; with
// one rule it is that rule's. (Before: it was set only for a baseline of
// one rule, while Decision documented it as the filter that failed.)
func TestFilterKeySeveralRules(t *testing.T) {
	rule := func(fs ...Filter) Rule {
		return Rule{ApproveAfterDays: days(0), PatchFilterGroup: FilterGroup{PatchFilters: fs}}
	}
	class := func(v ...string) Filter { return Filter{Key: KeyClassification, Values: v} }
	sev := func(v ...string) Filter { return Filter{Key: KeySeverity, Values: v} }
	now := utc("2026-01-01T00:00:00Z")
	p := dbus() // Security, Important
	for _, tc := range []struct {
		name  string
		rules []Rule
		want  FilterKey
	}{
		{"one rule", []Rule{rule(class("Bugfix"))}, KeyClassification},
		{"three rules failing on CLASSIFICATION", []Rule{rule(class("Bugfix")), rule(class("Enhancement"), sev("Important")), rule(class("Newpackage"))}, KeyClassification},
		{"two rules failing on SEVERITY", []Rule{rule(class("Security"), sev("Critical")), rule(sev("Low"), class("Security"))}, KeySeverity},
		{"rules failing on different keys", []Rule{rule(class("Bugfix")), rule(class("Security"), sev("Critical"))}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := al2023(func(b *Baseline) { b.ApprovalRules.PatchRules = tc.rules })
			d := decide1(t, b, nodeAL2023, p, now)
			assert.Equal(t, ReasonFilter, d.Reason)
			assert.Equal(t, tc.want, d.FilterKey)
			// The same through a compiled baseline and several candidates
			// (rule outcomes memoized per filter properties).
			c, err := Compile(b)
			require.NoError(t, err)
			q := p
			q.Name = "dbus-libs"
			ds, err := c.Evaluate(nodeAL2023, []patchkit.Patch{p, q, p}, now)
			require.NoError(t, err)
			for _, d := range ds {
				assert.Equal(t, ReasonFilter, d.Reason)
				assert.Equal(t, tc.want, d.FilterKey)
			}
		})
	}
}
