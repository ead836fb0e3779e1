package scan

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/run"
)

var update = flag.Bool("update", false, "rewrite the golden files of the end-to-end scans")

// scanAt is the instant the end-to-end scans run at: the testbed's
// advisories are dated 2026-11-01 and -02, so approval delays of 7 and 14
// days have passed, and its repositories are served fresh.
func scanAt(t *testing.T) time.Time {
	// The repositories were built when the testbed came up: freshness is
	// judged now, approvals at a fixed instant long enough after the
	// advisories.
	return time.Now().UTC()
}

// releaseOS is the operating system of a real release-file fixture, for
// the testbed's roots that have none of their own (the dnf and zypper roots
// hold only the testbed's packages).
func releaseOS(t *testing.T, fixture string) osdetect.OS {
	o, err := osdetect.DetectFS(os.DirFS(filepath.Join("../testdata/osdetect", fixture)))
	require.NoError(t, err)
	o.Arch = "x86_64"
	return o
}

// customBaseline approves security updates at once (CRITICAL) and the
// others after 7 days (LOW), and rejects tb-hello (BLOCK): what a user's own
// baseline for the testbed looks like.
func customBaseline(os patchkit.OperatingSystem) baseline.Baseline {
	zero, seven := 0, 7
	key, all, rejected := baseline.KeyClassification, "*", "tb-hello"
	switch os {
	case patchkit.OSDebian, patchkit.OSUbuntu, patchkit.OSRaspbian:
		// apt has no classification: priorities, security or not.
		key = baseline.KeyPriority
	case patchkit.OSSUSE:
		// SUSE lists name rpm files (or zypper patches), with one
		// wildcard.
		rejected = "tb-hello-*"
	}
	return baseline.Baseline{
		BaselineID:      "pb-0123456789abcdef0",
		Name:            "testbed-custom",
		OperatingSystem: os,
		ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{
			{PatchFilterGroup: baseline.FilterGroup{PatchFilters: []baseline.Filter{{Key: key, Values: []string{all}}}},
				ComplianceLevel: patchkit.ComplianceCritical, ApproveAfterDays: &zero},
			{PatchFilterGroup: baseline.FilterGroup{PatchFilters: []baseline.Filter{{Key: key, Values: []string{all}}}},
				ComplianceLevel: patchkit.ComplianceLow, ApproveAfterDays: &seven, EnableNonSecurity: true},
		}},
		RejectedPatches:       []string{rejected},
		RejectedPatchesAction: baseline.Block,
	}
}

// project writes the parts of a scan that the testbed fixes: the testbed's
// (tb-*, kernel-tb) candidates with their decisions, the items, the
// repositories and the summary. Install times and other packages of a real
// distribution (the chroot's, which follow the live Debian mirror) are
// left out.
func project(res Result) string {
	var b strings.Builder
	ours := func(name string) bool { return strings.HasPrefix(name, "tb-") || name == "kernel-tb" }
	s := res.Report.Summary
	fmt.Fprintf(&b, "baseline %s\n", res.Report.BaselineID)
	var cands []string
	for _, c := range res.Candidates {
		if !ours(c.Patch.Name) {
			continue
		}
		p := c.Patch
		cands = append(cands, fmt.Sprintf("candidate %s %s cand=%v sec=%v class=%q sev=%q adv=%v cve=%v reboot=%v approved=%v reason=%s level=%s",
			p.QualifiedName(), p.EVR(), p.Candidate, p.Security, p.Classification, p.Severity, p.AdvisoryIDs, p.CVEIDs, p.RebootSuggested,
			c.Decision.Approved, c.Decision.Reason, c.Decision.ComplianceLevel))
	}
	slices.Sort(cands)
	for _, c := range cands {
		b.WriteString(c + "\n")
	}
	for _, it := range res.Report.Items {
		if !ours(it.Name) {
			continue
		}
		fmt.Fprintf(&b, "item %s %s %s class=%q sev=%q level=%s installed=%s candidate=%s cves=%v\n",
			it.KBID, it.State, it.Status, it.Classification, it.Severity, it.ComplianceLevel, it.InstalledVersion, it.CandidateVersion, it.CVEIDs)
	}
	var repos []string
	for _, r := range res.Report.Repositories {
		if strings.Contains(r.Name, "127.0.0.1") || strings.HasPrefix(r.Name, "tb-") || strings.HasPrefix(r.Name, "testbed") {
			name := r.Name
			if i := strings.Index(name, "127.0.0.1:"); i >= 0 {
				j := strings.IndexAny(name[i:], "/ ")
				name = name[:i] + "127.0.0.1:PORT" + name[i+j:]
			}
			repos = append(repos, fmt.Sprintf("repository %s %s verified=%v packages=%d", name, r.Health, r.Verified, r.Packages))
		}
	}
	slices.Sort(repos)
	for _, r := range repos {
		b.WriteString(r + "\n")
	}
	if res.OS.ID != "debian" { // the chroot's summary follows the live mirror
		fmt.Fprintf(&b, "summary %s missing=%d installed=%d other=%d rejected=%d notapplicable=%d critical=%d security=%d\n", s.Status,
			s.MissingCount, s.InstalledCount, s.InstalledOtherCount, s.InstalledRejectedCount, s.NotApplicableCount, s.CriticalNonCompliantCount, s.SecurityNonCompliantCount)
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata/golden", name+".txt")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./scan -run %s -update with the testbed up", t.Name())
	assert.Equal(t, string(want), got)
}

// scanBoth runs the Scan with the metadata backend and with the native one,
// and requires the same candidates (the package manager's), classification
// and items.
func scanBoth(t *testing.T, root string, o osdetect.OS, opts ...ScanOption) Result {
	t.Helper()
	ctx := context.Background()
	opts = append([]ScanOption{At(scanAt(t)), WithOS(o)}, opts...)
	files, err := Scan(ctx, os.DirFS(root), opts...)
	require.NoError(t, err)
	l, err := run.NewLocal()
	require.NoError(t, err)
	native, err := Scan(ctx, os.DirFS(root), append(opts, WithRunner(l, root))...)
	require.NoError(t, err)

	chosen := func(r Result) []string {
		var out []string
		for _, c := range r.Candidates {
			if c.Patch.Candidate {
				out = append(out, fmt.Sprintf("%s %s sec=%v class=%s", c.Patch.QualifiedName(), c.Patch.EVR(), c.Patch.Security, c.Patch.Classification))
			}
		}
		slices.Sort(out)
		return out
	}
	assert.Equal(t, chosen(files), chosen(native), "the package manager's candidates")
	// The packages with no newer version have the same state both ways:
	// both backends return the installed versions a repository offers, so
	// an approved one is Installed, not InstalledOther.
	newer := map[string]bool{}
	for _, c := range files.Candidates {
		newer[c.Patch.Name+"."+c.Patch.Arch] = true
	}
	upToDate := func(r Result) map[string]string {
		out := map[string]string{}
		for _, it := range r.Report.Items {
			if it.InstalledVersion != "" && !newer[it.KBID] {
				out[it.KBID] = it.State.String()
			}
		}
		return out
	}
	want, got := upToDate(files), upToDate(native)
	assert.NotEmpty(t, want)
	assert.Equal(t, want, got, "states of the packages with no newer version")
	// What a native scan finds Missing the metadata scan does too (and,
	// below, the other way round).
	missing := func(r Result) map[string]bool {
		out := map[string]bool{}
		for _, it := range r.Report.Items {
			if it.State == compliance.Missing {
				out[it.KBID] = true
			}
		}
		return out
	}
	fm, nm := missing(files), missing(native)
	for k := range nm {
		assert.True(t, fm[k], "%s is Missing natively only", k)
	}
	for k := range fm {
		if nm[k] {
			continue
		}
		approvedNewest := false
		for _, c := range native.Candidates {
			if c.Patch.Name+"."+c.Patch.Arch == k && c.Patch.Candidate {
				approvedNewest = c.Decision.Approved
			}
		}
		assert.False(t, approvedNewest, "%s: Missing from the files, not natively, though its candidate is approved", k)
	}
	assert.NotEmpty(t, nm, "the testbed's updates are Missing natively too")
	{
		// The native backends list every newer version too: the same
		// versions, decided alike, and the same Missing items.
		every := func(r Result) []string {
			var out []string
			for _, c := range r.Candidates {
				out = append(out, fmt.Sprintf("%s %s sec=%v approved=%v", c.Patch.QualifiedName(), c.Patch.EVR(), c.Patch.Security, c.Decision.Approved))
			}
			slices.Sort(out)
			return out
		}
		assert.Equal(t, every(files), every(native), "every newer version")
		assert.Equal(t, fm, nm, "the Missing items")
	}
	for _, r := range files.Repositories {
		assert.Equal(t, repo.HealthOK, r.Health, "%s: %s", r.Name, r.Reason)
	}
	assertSameHealth(t, files, native)
	return files
}

// assertSameHealth requires a metadata scan and a native scan of the same
// root to report the same repositories with the same health (and reason
// when not OK), signature verification and date, the same unknown
// repositories in the summary, and the same node status.
func assertSameHealth(t *testing.T, files, native Result) {
	t.Helper()
	health := func(r Result) []string {
		var out []string
		for _, s := range r.Repositories {
			line := fmt.Sprintf("%s %s verified=%v date=%s", s.Name, s.Health, s.Verified, s.Date.UTC().Format(time.RFC3339))
			if s.Health != repo.HealthOK {
				line += " reason=" + s.Reason
			}
			out = append(out, line)
		}
		slices.Sort(out)
		return out
	}
	require.NotEmpty(t, files.Repositories)
	t.Logf("repositories through the package manager: %q", health(native))
	assert.Equal(t, health(files), health(native), "the repositories' health, from the files and through the package manager")
	assert.Equal(t, files.Report.Summary.UnknownRepositoryCount, native.Report.Summary.UnknownRepositoryCount)
	assert.Equal(t, files.Report.Summary.UnknownReasons, native.Report.Summary.UnknownReasons)
	assert.Equal(t, files.Report.Summary.Status, native.Report.Summary.Status, "the node's status")
}

func TestTestbedDnfScan(t *testing.T) {
	env := testbed.Need(t)
	o := releaseOS(t, "amzn-2023")
	res := scanBoth(t, env.RPMRoot, o)
	golden(t, "dnf-aws", project(res))
	assert.Equal(t, patchkit.NonCompliant, res.Report.Summary.Status)

	res, err := Scan(context.Background(), os.DirFS(env.RPMRoot), At(scanAt(t)), WithOS(o), WithBaseline(customBaseline(o.OperatingSystem())))
	require.NoError(t, err)
	golden(t, "dnf-custom", project(res))
}

func TestTestbedZypperScan(t *testing.T) {
	env := testbed.Need(t)
	o := releaseOS(t, "sles-15.6")
	res := scanBoth(t, env.ZyppRoot, o)
	golden(t, "zypper-aws", project(res))

	res, err := Scan(context.Background(), os.DirFS(env.ZyppRoot), At(scanAt(t)), WithOS(o), WithBaseline(customBaseline(o.OperatingSystem())))
	require.NoError(t, err)
	golden(t, "zypper-custom", project(res))
}

func TestTestbedAptScan(t *testing.T) {
	env := testbed.NeedChroot(t)
	o, err := osdetect.DetectFS(os.DirFS(env.DebChroot))
	require.NoError(t, err)
	res := scanBoth(t, env.DebChroot, o, WithArch("x86_64"))
	golden(t, "apt-aws", project(res))
	// The real Debian updates of the chroot: every version offered by
	// Debian's security archive is classified Security; the AWS-owned
	// Debian baseline approves exactly the security ones.
	for _, c := range res.Candidates {
		if strings.Contains(c.Patch.Repository, "Security") || strings.Contains(strings.ToLower(c.Patch.Repository), "security") {
			assert.True(t, c.Patch.Security, "%s %s from %s", c.Patch.Name, c.Patch.EVR(), c.Patch.Repository)
		}
		if c.Patch.Candidate {
			assert.Equal(t, c.Patch.Security, c.Decision.Approved, "%s %s", c.Patch.Name, c.Patch.EVR())
		}
	}
	res, err = Scan(context.Background(), os.DirFS(env.DebChroot), At(scanAt(t)), WithOS(o), WithArch("x86_64"), WithBaseline(customBaseline(o.OperatingSystem())))
	require.NoError(t, err)
	golden(t, "apt-custom", project(res))
}

// TestTestbedDnfScanReproducible: the same root, baseline and instant give
// the same report bytes; the Assessment saved as JSON and fed back to Assess
// gives them again, offline.
func TestTestbedDnfScanReproducible(t *testing.T) {
	env := testbed.Need(t)
	o := releaseOS(t, "amzn-2023")
	at := scanAt(t)
	ctx := context.Background()
	a, err := Scan(ctx, os.DirFS(env.RPMRoot), At(at), WithOS(o))
	require.NoError(t, err)
	b, err := Scan(ctx, os.DirFS(env.RPMRoot), At(at), WithOS(o))
	require.NoError(t, err)
	reportBytes := func(r compliance.Report) string {
		var buf strings.Builder
		require.NoError(t, r.WriteJSON(&buf))
		return buf.String()
	}
	require.Equal(t, reportBytes(a.Report), reportBytes(b.Report))

	saved, err := json.Marshal(a.Assessment)
	require.NoError(t, err)
	var back Assessment
	require.NoError(t, json.Unmarshal(saved, &back))
	bl, err := baseline.Predefined(o.OperatingSystem())
	require.NoError(t, err)
	c, err := baseline.Compile(bl)
	require.NoError(t, err)
	rep, _, err := Assess(back, BaselineAt{Compiled: c, At: at}, nil, compliance.BuildOptions{})
	require.NoError(t, err)
	assert.Equal(t, reportBytes(a.Report), reportBytes(rep))
}
