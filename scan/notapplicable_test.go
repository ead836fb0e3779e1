package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/osdetect"
)

func rpmPatch(t *testing.T, name, evr, class, sev string, released time.Time) patchkit.Patch {
	t.Helper()
	p, err := patchkit.ParseNEVRA(name + "-" + evr + ".x86_64")
	require.NoError(t, err)
	return patchkit.Patch{Package: p, Product: "AmazonLinux2023", Classification: class, Severity: sev,
		Security: class != "", ReleaseDate: released}
}

// TestAssessNotInstalled: a package that is not installed, with an
// approved version, is NotApplicable with the best approved version's
// details; one without an approved version is not reported; the installed
// packages are as before; and a "not installed" version of an installed
// package is refused, naming it.
func TestAssessNotInstalled(t *testing.T) {
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	old := at.AddDate(0, 0, -30)
	seven := 7
	b := baseline.Baseline{BaselineID: "pb-0123456789abcdef0", Name: "not-applicable", OperatingSystem: patchkit.OSAmazonLinux2023,
		ApprovalRules: baseline.RuleGroup{PatchRules: []baseline.Rule{{
			PatchFilterGroup: baseline.FilterGroup{PatchFilters: []baseline.Filter{
				{Key: baseline.KeyClassification, Values: []string{"Security"}},
				{Key: baseline.KeySeverity, Values: []string{"Critical", "Important"}}}},
			ApproveAfterDays: &seven}}}}
	cb, err := baseline.Compile(b)
	require.NoError(t, err)
	ap := BaselineAt{Compiled: cb, At: at}

	installed, err := patchkit.ParseNEVRA("tb-lib-1:2.0-1.x86_64")
	require.NoError(t, err)
	installed.State = patchkit.StateInstalled
	a := Assessment{
		Node:      compliance.Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023", InstanceID: "i-0123456789abcdef0"},
		Inventory: Inventory{Packages: []patchkit.Package{installed}},
		Updates:   []patchkit.Patch{rpmPatch(t, "tb-lib", "1:2.0-2", "Security", "Important", old)},
		NotInstalled: []patchkit.Patch{
			rpmPatch(t, "tb-extra", "0:1.0-1", "", "", old),
			rpmPatch(t, "tb-extra", "0:1.1-1", "Security", "Important", old),
			rpmPatch(t, "tb-extra", "0:1.2-1", "Security", "Critical", at), // too new: not approved yet
			rpmPatch(t, "tb-other", "0:3.0-1", "Bugfix", "", old),
		},
		Start: at, End: at,
	}
	rep, decisions, err := Assess(a, ap, nil, compliance.BuildOptions{})
	require.NoError(t, err)
	assert.Len(t, decisions, 1, "one decision per update")
	got := map[string]compliance.Item{}
	for _, it := range rep.Items {
		got[it.KBID] = it
	}
	require.Len(t, got, 2, "%+v", rep.Items)
	assert.Equal(t, compliance.Missing, got["tb-lib.x86_64"].State)
	na := got["tb-extra.x86_64"]
	assert.Equal(t, compliance.NotApplicable, na.State)
	assert.Equal(t, "Important", na.Severity)
	assert.Equal(t, "Security", na.Classification)
	assert.Equal(t, 1, rep.Summary.NotApplicableCount)
	assert.Equal(t, 1, rep.Summary.MissingCount)

	// The same package installed is not "not installed".
	a.NotInstalled = append(a.NotInstalled, rpmPatch(t, "tb-lib", "1:2.0-2", "Security", "Important", old))
	_, _, err = Assess(a, ap, nil, compliance.BuildOptions{})
	var ie *InputError
	require.True(t, errors.As(err, &ie), "%v", err)
	assert.Equal(t, "NotInstalled[4]", ie.Field)
	assert.Contains(t, ie.Reason, "tb-lib.x86_64 is installed")
}

// TestTestbedAptScanNotApplicable: on the testbed's Debian chroot (real
// bookworm lists, only read), with the AWS-owned Debian baseline (security
// pockets only), every package that is not installed and has a version in
// a security pocket is NotApplicable and classified Security, none of them
// installed; the Assessment keeps only approved versions of packages that
// are not installed, and saved as JSON and assessed again it gives the
// same report.
func TestTestbedAptScanNotApplicable(t *testing.T) {
	env := testbed.NeedChroot(t)
	o, err := osdetect.DetectFS(os.DirFS(env.DebChroot))
	require.NoError(t, err)
	at := time.Now().UTC()
	res, err := Scan(context.Background(), os.DirFS(env.DebChroot), At(at), WithOS(o), WithArch("x86_64"))
	require.NoError(t, err)

	installed := map[string]bool{}
	for _, p := range currentVersions(res.Inventory.Packages) {
		installed[p.Name+"."+p.Arch] = true
	}
	notInstalled := map[string]bool{}
	for _, p := range res.Assessment.NotInstalled {
		require.False(t, installed[p.Name+"."+p.Arch], "%s is installed", p.NEVRA())
		require.True(t, p.Security, "%s %s: only security versions are approved", p.Name, p.EVR())
		notInstalled[p.Name+"."+p.Arch] = true
	}
	na := 0
	for _, it := range res.Report.Items {
		if it.State != compliance.NotApplicable {
			continue
		}
		na++
		assert.False(t, installed[it.KBID], it.KBID)
		assert.True(t, notInstalled[it.KBID], it.KBID)
		assert.Equal(t, "Security", it.Classification, it.KBID)
		assert.Empty(t, it.InstalledVersion, it.KBID)
	}
	assert.Equal(t, len(notInstalled), na)
	assert.Equal(t, na, res.Report.Summary.NotApplicableCount)
	assert.True(t, notInstalled["tb-extra.all"], "the testbed's tb-extra 1.1-1 is in a security pocket")
	t.Logf("%d NotApplicable packages, %d approved versions of packages not installed", na, len(res.Assessment.NotInstalled))

	var saved bytes.Buffer
	require.NoError(t, json.NewEncoder(&saved).Encode(res.Assessment))
	var back Assessment
	require.NoError(t, json.NewDecoder(&saved).Decode(&back))
	bl, err := baseline.Predefined(o.OperatingSystem())
	require.NoError(t, err)
	cb, err := baseline.Compile(bl)
	require.NoError(t, err)
	rep, _, err := Assess(back, BaselineAt{Compiled: cb, At: at}, nil, compliance.BuildOptions{})
	require.NoError(t, err)
	var a, b bytes.Buffer
	require.NoError(t, res.Report.WriteJSON(&a))
	require.NoError(t, rep.WriteJSON(&b))
	assert.Equal(t, a.String(), b.String())
}

// failingApprover approves security patches and fails on the call given.
type failingApprover struct {
	calls, failAt int
}

func (f *failingApprover) Decide(_ baseline.Node, ps []patchkit.Patch) ([]baseline.Decision, error) {
	f.calls++
	if f.calls == f.failAt {
		return nil, errors.New("approver failed")
	}
	ds := make([]baseline.Decision, len(ps))
	for i, p := range ps {
		ds[i].Approved = p.Security
	}
	return ds, nil
}

func (f *failingApprover) Definition() baseline.Baseline { return baseline.Baseline{} }

// The filter decides in batches on its own goroutine and keeps the
// approved versions in the order passed; security only, it does not ask
// about the others; a failing decision is returned by done, and the
// decider always ends.
func TestNotInstalledFilter(t *testing.T) {
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	var ps []patchkit.Patch
	for i := range 3*notInstalledBatch + 7 {
		p := rpmPatch(t, fmt.Sprintf("pkg%04d", i), "0:1.0-1", "", "", at)
		p.Security = i%3 == 0
		ps = append(ps, p)
	}
	var want []string
	for _, p := range ps {
		if p.Security {
			want = append(want, p.Name)
		}
	}
	names := func(ps []patchkit.Patch) (out []string) {
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	for _, securityOnly := range []bool{false, true} {
		ap := &failingApprover{}
		f := &notInstalledFilter{ap: ap, securityOnly: securityOnly}
		for _, p := range ps {
			f.add(p)
		}
		require.NoError(t, f.done())
		assert.Equal(t, want, names(f.approved))
		if securityOnly {
			assert.Equal(t, 2, ap.calls, "only the %d security versions are decided", len(want))
		} else {
			assert.Equal(t, 4, ap.calls)
		}
		require.NoError(t, f.done(), "a second done is a no-op")
	}

	f := &notInstalledFilter{ap: &failingApprover{failAt: 2}}
	for _, p := range ps {
		f.add(p)
	}
	require.EqualError(t, f.done(), "approver failed")
	require.NoError(t, (&notInstalledFilter{ap: &failingApprover{}}).done(), "nothing added")
}

// An inventory entry without a state is refused, naming it: it would be
// taken for a package that is not installed.
func TestAssessInventoryState(t *testing.T) {
	b, err := baseline.Predefined(patchkit.OSAmazonLinux2023)
	require.NoError(t, err)
	cb, err := baseline.Compile(b)
	require.NoError(t, err)
	p, err := patchkit.ParseNEVRA("tb-lib-1:2.0-1.x86_64")
	require.NoError(t, err)
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	a := Assessment{Node: compliance.Node{OperatingSystem: patchkit.OSAmazonLinux2023, InstanceID: "i-0123456789abcdef0"},
		Inventory: Inventory{Packages: []patchkit.Package{p}}, Start: at, End: at}
	_, _, err = Assess(a, BaselineAt{Compiled: cb, At: at}, nil, compliance.BuildOptions{})
	var ie *InputError
	require.True(t, errors.As(err, &ie), "%v", err)
	assert.Equal(t, "Inventory.Packages[0].State", ie.Field)
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
	a.Inventory.Packages[0].State = patchkit.StateInstalled
	_, _, err = Assess(a, BaselineAt{Compiled: cb, At: at}, nil, compliance.BuildOptions{})
	require.NoError(t, err)
}
