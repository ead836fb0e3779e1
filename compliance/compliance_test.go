package compliance

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func rpmPkg(name, ver, rel string) patchkit.Package {
	return patchkit.Package{Name: name, Epoch: patchkit.EpochOf(0), Version: ver, Release: rel, Arch: "x86_64", Scheme: patchkit.RPM}
}

// candidate is an update of an Amazon Linux 2023 package, decided by the
// AWS default baseline (security Critical/Important and bug fixes, 7 days).
func candidate(t *testing.T, pkg patchkit.Package, class, sev string, released time.Time, now time.Time, cves ...string) Candidate {
	t.Helper()
	p := patchkit.Patch{Package: pkg, Classification: class, Severity: sev, Security: class != "", ReleaseDate: released, CVEIDs: cves}
	if class != "" {
		p.AdvisoryIDs = []string{"ALAS2023-2025-" + pkg.Release}
	}
	b, err := baseline.Predefined(patchkit.OSAmazonLinux2023)
	require.NoError(t, err)
	ds, err := baseline.Evaluate(b, baseline.Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"},
		[]patchkit.Patch{p}, now)
	require.NoError(t, err)
	return Candidate{Patch: p, Decision: ds[0]}
}

var (
	released = utc("2025-11-01T08:00:00Z")
	later    = utc("2025-11-20T00:00:00Z")
)

func TestStates(t *testing.T) {
	for _, s := range States() {
		for _, spelling := range []string{s.String(), s.APIName()} {
			got, err := ParseState(spelling)
			require.NoError(t, err)
			assert.Equal(t, s, got)
		}
		b, err := s.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, s.String(), string(b))
	}
	assert.Equal(t, "InstalledPendingReboot", InstalledPendingReboot.String())
	assert.Equal(t, "INSTALLED_PENDING_REBOOT", InstalledPendingReboot.APIName())
	_, err := ParseState("installed")
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
	var s State
	assert.Error(t, s.UnmarshalText([]byte("AVAILABLE_SECURITY_UPDATES")), "the doc page's misspelling is not the enum")
}

// TestClassify covers every branch of docs/semantics.md §9.2.
func TestClassify(t *testing.T) {
	inst := rpmPkg("openssl-libs", "3.0.8", "1.amzn2023.0.10")
	inst.InstallTime = utc("2025-10-01T10:00:00Z")
	mid := candidate(t, rpmPkg("openssl-libs", "3.0.8", "1.amzn2023.0.12"), "Security", "Important", released, later, "CVE-2025-1001")
	newest := candidate(t, rpmPkg("openssl-libs", "3.0.8", "1.amzn2023.0.14"), "Security", "Critical", released, later, "CVE-2025-1002", "CVE-2025-1001")
	tooNew := candidate(t, rpmPkg("openssl-libs", "3.0.8", "1.amzn2023.0.16"), "Security", "Critical", later.Add(-24*time.Hour), later, "CVE-2025-1003")
	old := candidate(t, rpmPkg("openssl-libs", "3.0.8", "1.amzn2023.0.2"), "Security", "Important", released, later)
	notice := candidate(t, rpmPkg("openssl-libs", "3.0.8", "1.amzn2023.0.12"), "", "", released, later) // in no notice: not approved
	low := candidate(t, rpmPkg("openssl-libs", "3.0.8", "1.amzn2023.0.11"), "Security", "Low", released, later, "CVE-2025-1004")
	require.False(t, low.Decision.Approved, "Low is not approved by the AWS-owned baseline")
	require.True(t, mid.Decision.Approved)
	require.True(t, newest.Decision.Approved)
	require.False(t, tooNew.Decision.Approved)
	require.False(t, notice.Decision.Approved)
	os := patchkit.OSAmazonLinux2023
	installed := func(p patchkit.Package) *patchkit.Package {
		p.InstallTime = utc("2025-11-21T03:00:00Z")
		return &p
	}

	cases := []struct {
		name    string
		in      Input
		opts    ClassifyOptions
		state   State
		status  patchkit.ComplianceStatus
		title   string
		cves    []string
		version string // candidate version on the item
		level   patchkit.ComplianceLevel
	}{
		{name: "missing: installed older than the newest approved",
			in:    Input{OperatingSystem: os, Installed: &inst, Candidates: []Candidate{mid, newest, tooNew}, Operation: Scan},
			state: Missing, status: patchkit.NonCompliant, title: "openssl-libs.x86_64:0:3.0.8-1.amzn2023.0.14",
			cves: []string{"CVE-2025-1001", "CVE-2025-1002"}, version: "0:3.0.8-1.amzn2023.0.14"},
		{name: "missing: the CVEs of an unapproved version in between are fixed too",
			in:    Input{OperatingSystem: os, Installed: &inst, Candidates: []Candidate{low, mid, newest, tooNew}, Operation: Scan},
			state: Missing, status: patchkit.NonCompliant, title: "openssl-libs.x86_64:0:3.0.8-1.amzn2023.0.14",
			cves: []string{"CVE-2025-1004", "CVE-2025-1001", "CVE-2025-1002"}, version: "0:3.0.8-1.amzn2023.0.14"},
		{name: "failed: the same after an Install",
			in:    Input{OperatingSystem: os, Installed: &inst, Candidates: []Candidate{newest}, Operation: Install},
			state: Failed, status: patchkit.NonCompliant, title: "openssl-libs.x86_64:0:3.0.8-1.amzn2023.0.14",
			cves: []string{"CVE-2025-1002", "CVE-2025-1001"}, version: "0:3.0.8-1.amzn2023.0.14"},
		{name: "installed: at the newest approved",
			in:    Input{OperatingSystem: os, Installed: installed(newest.Patch.Package), Candidates: []Candidate{mid, newest, tooNew}, Operation: Scan},
			state: Installed, status: patchkit.Compliant, title: "openssl-libs.x86_64:0:3.0.8-1.amzn2023.0.14", version: "0:3.0.8-1.amzn2023.0.14"},
		{name: "installed: newer than every approved (old notices stay)",
			in:    Input{OperatingSystem: os, Installed: &inst, Candidates: []Candidate{old}, Operation: Scan},
			state: Installed, status: patchkit.Compliant, title: "openssl-libs.x86_64:0:3.0.8-1.amzn2023.0.10", version: "0:3.0.8-1.amzn2023.0.2"},
		{name: "installed other: nothing approved",
			in:    Input{OperatingSystem: os, Installed: &inst, Candidates: []Candidate{tooNew, notice}, Operation: Scan},
			state: InstalledOther, status: patchkit.Compliant, title: "openssl-libs.x86_64:0:3.0.8-1.amzn2023.0.10"},
		{name: "installed other: rejected with ALLOW_AS_DEPENDENCY",
			in:    Input{OperatingSystem: os, Installed: &inst, InstalledRejected: true, RejectedPatchesAction: baseline.AllowAsDependency, Operation: Scan},
			state: InstalledOther, status: patchkit.Compliant, title: "openssl-libs.x86_64:0:3.0.8-1.amzn2023.0.10"},
		{name: "installed rejected: rejected with BLOCK",
			in:    Input{OperatingSystem: os, Installed: &inst, InstalledRejected: true, RejectedPatchesAction: baseline.Block, Operation: Scan},
			state: InstalledRejected, status: patchkit.NonCompliant, title: "openssl-libs.x86_64:0:3.0.8-1.amzn2023.0.10"},
		{name: "installed rejected with ALLOW_AS_DEPENDENCY when asked (2021 dnf)",
			in:    Input{OperatingSystem: os, Installed: &inst, InstalledRejected: true, RejectedPatchesAction: baseline.AllowAsDependency, Operation: Scan},
			opts:  ClassifyOptions{RejectedAlwaysInstalledRejected: true},
			state: InstalledRejected, status: patchkit.NonCompliant, title: "openssl-libs.x86_64:0:3.0.8-1.amzn2023.0.10"},
		{name: "not applicable: approved but not installed",
			in:    Input{OperatingSystem: os, Candidates: []Candidate{newest}, Operation: Scan},
			state: NotApplicable, status: patchkit.Compliant, title: "openssl-libs.x86_64:0:3.0.8-1.amzn2023.0.14", version: "0:3.0.8-1.amzn2023.0.14"},
	}
	for _, c := range cases {
		it, ok, err := Classify(c.in, c.opts)
		require.NoError(t, err, c.name)
		require.True(t, ok, c.name)
		assert.Equal(t, c.state, it.State, c.name)
		assert.Equal(t, c.status, it.Status, c.name)
		assert.Equal(t, c.title, it.Title, c.name)
		assert.Equal(t, "openssl-libs.x86_64", it.KBID, c.name)
		assert.Equal(t, c.cves, it.CVEIDs, c.name)
		assert.Equal(t, c.version, it.CandidateVersion, c.name)
		switch it.State {
		case Installed, InstalledOther, InstalledRejected:
			assert.False(t, it.InstalledTime.IsZero(), c.name)
		default:
			assert.True(t, it.InstalledTime.IsZero(), c.name)
		}
		if it.State == Missing || it.State == Installed && c.version == "0:3.0.8-1.amzn2023.0.14" {
			assert.Equal(t, "Security", it.Classification, c.name)
			assert.Equal(t, "Critical", it.Severity, c.name)
		}
	}

	// Not installed and nothing approved: not reported.
	_, ok, err := Classify(Input{OperatingSystem: os, Candidates: []Candidate{tooNew}, Operation: Scan}, ClassifyOptions{})
	require.NoError(t, err)
	assert.False(t, ok)

	// Ties between approved versions go to the highest compliance level.
	a, b := newest, newest
	a.Decision.ComplianceLevel, b.Decision.ComplianceLevel = patchkit.ComplianceLow, patchkit.ComplianceHigh
	it, _, _ := Classify(Input{OperatingSystem: os, Installed: &inst, Candidates: []Candidate{a, b}}, ClassifyOptions{})
	assert.Equal(t, patchkit.ComplianceHigh, it.ComplianceLevel)

	// Versions that cannot be ordered are an error, not a guess.
	noEpoch := newest
	noEpoch.Patch.Epoch = patchkit.Epoch{}
	_, _, err = Classify(Input{OperatingSystem: os, Installed: &inst, Candidates: []Candidate{noEpoch}}, ClassifyOptions{})
	assert.ErrorIs(t, err, ErrVersionOrder)
}

func TestClassifyOtherSystems(t *testing.T) {
	// apt: severity is the priority; titles name.arch:version.
	deb := patchkit.Package{Name: "libssl3", Version: "3.0.11", Release: "1~deb12u1", Arch: "amd64", Scheme: patchkit.Deb, Epoch: patchkit.EpochOf(0)}
	cand := deb
	cand.Release = "1~deb12u2"
	it, ok, err := Classify(Input{OperatingSystem: patchkit.OSDebian, Installed: &deb, Operation: Scan, Candidates: []Candidate{{
		Patch:    patchkit.Patch{Package: cand, Priority: "optional", Security: true, Classification: "Security"},
		Decision: baseline.Decision{Approved: true, Status: baseline.Approved, Reason: baseline.ReasonRule}}}}, ClassifyOptions{})
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, Missing, it.State)
	assert.Equal(t, "libssl3.amd64:3.0.11-1~deb12u2", it.Title)
	assert.Equal(t, "optional", it.Severity)

	// Windows: KB identities; applicable means missing; an applicable
	// security update that is not approved is AvailableSecurityUpdate.
	kb := patchkit.Patch{Package: patchkit.Package{Name: "KB5046616"}, KBNumber: "KB5046616", Title: "2024-11 Cumulative Update",
		Classification: "SecurityUpdates", MsrcSeverity: "Critical", CVEIDs: []string{"CVE-2024-43451"}}
	win := func(approved, installed, applicable, asuNonCompliant bool) (Item, bool) {
		in := Input{OperatingSystem: patchkit.OSWindows, Applicable: applicable, AvailableSecurityNonCompliant: asuNonCompliant,
			Operation: Scan, Candidates: []Candidate{{Patch: kb, Decision: baseline.Decision{Approved: approved}}}}
		if installed {
			in.Installed = &kb.Package
		}
		it, ok, err := Classify(in, ClassifyOptions{})
		require.NoError(t, err)
		return it, ok
	}
	it, _ = win(true, false, true, true)
	assert.Equal(t, Missing, it.State)
	assert.Equal(t, "KB5046616", it.KBID)
	assert.Equal(t, "2024-11 Cumulative Update", it.Title)
	assert.Equal(t, []string{"CVE-2024-43451"}, it.CVEIDs)
	it, _ = win(true, true, true, true)
	assert.Equal(t, Installed, it.State)
	it, _ = win(false, false, true, true)
	assert.Equal(t, AvailableSecurityUpdate, it.State)
	assert.Equal(t, patchkit.NonCompliant, it.Status)
	it, _ = win(false, false, true, false)
	assert.Equal(t, patchkit.Compliant, it.Status)
	_, ok = win(false, false, false, true)
	assert.False(t, ok, "not applicable and not approved: not reported")
	it, _ = win(true, false, false, true)
	assert.Equal(t, NotApplicable, it.State, "superseded or absent feature")

	// macOS: the name, and name.version.
	mac := patchkit.Package{Name: "XProtectPlistConfigData", Version: "2193"}
	it, _, err = Classify(Input{OperatingSystem: patchkit.OSMacOS, Installed: &mac, Operation: Scan}, ClassifyOptions{})
	require.NoError(t, err)
	assert.Equal(t, "XProtectPlistConfigData", it.KBID)
	assert.Equal(t, "XProtectPlistConfigData.2193", it.Title)
}

// TestOverrideListKeepsOthersMissing: after an Install with an
// InstallOverrideList, a missing package the list does not name stays
// Missing; one it names is Failed.
func TestOverrideListKeepsOthersMissing(t *testing.T) {
	inst := patchkit.Package{Name: "curl", Epoch: patchkit.EpochOf(0), Version: "8.0", Release: "1", Arch: "x86_64", Scheme: patchkit.RPM}
	cand := inst
	cand.Release = "2"
	in := Input{OperatingSystem: patchkit.OSAmazonLinux2023, Installed: &inst, Operation: Install,
		Candidates: []Candidate{{Patch: patchkit.Patch{Package: cand}, Decision: baseline.Decision{Approved: true}}}}
	it, ok, err := Classify(in, ClassifyOptions{})
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, Failed, it.State)
	in.OutsideOverrideList = true
	it, _, err = Classify(in, ClassifyOptions{})
	require.NoError(t, err)
	assert.Equal(t, Missing, it.State)
}

// TestHalfDoneIsNotInstalled: a version dpkg left half-configured (its
// postinst failed) or unpacked is not installed, even at the approved
// version: Missing after a Scan, Failed after an Install, with the state on
// the item; triggers-pending counts as installed. Without an approved
// version it stays InstalledOther, with its state.
func TestHalfDoneIsNotInstalled(t *testing.T) {
	inst := patchkit.Package{Name: "tb-fail", Version: "1.1", Release: "1", Arch: "all", Scheme: patchkit.Deb, Epoch: patchkit.EpochOf(0)}
	approved := []Candidate{{Patch: patchkit.Patch{Package: inst, Classification: "Security"},
		Decision: baseline.Decision{Approved: true, Status: baseline.Approved, Reason: baseline.ReasonRule}}}
	for _, tc := range []struct {
		state      patchkit.InstallState
		op         Operation
		candidates []Candidate
		want       State
	}{
		{patchkit.StateHalfConfigured, Scan, approved, Missing},
		{patchkit.StateHalfConfigured, Install, approved, Failed},
		{patchkit.StateUnpacked, Install, approved, Failed},
		{patchkit.StateTriggersPending, Install, approved, Installed},
		{patchkit.StateInstalled, Install, approved, Installed},
		{patchkit.StateHalfConfigured, Scan, nil, InstalledOther},
	} {
		p := inst
		p.State = tc.state
		it, ok, err := Classify(Input{OperatingSystem: patchkit.OSDebian, Installed: &p, Operation: tc.op, Candidates: tc.candidates}, ClassifyOptions{})
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, tc.want, it.State, "%s %s", tc.state, tc.op)
		wantState := tc.state
		if tc.state == patchkit.StateInstalled {
			wantState = ""
		}
		assert.Equal(t, wantState, it.InstallState, "%s %s", tc.state, tc.op)
		assert.Equal(t, "1.1-1", it.InstalledVersion)
	}
}
