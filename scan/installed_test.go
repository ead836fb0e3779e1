package scan

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan/run"
)

func rpmPkg(t *testing.T, nevra string) patchkit.Package {
	t.Helper()
	p, err := patchkit.ParseNEVRA(nevra)
	require.NoError(t, err)
	return p
}

// TestSortInstalled: what a metadata backend returns is split into the
// installed versions and the newer ones against the current installed
// version of each package; an older installed kernel's version is
// dropped.
func TestSortInstalled(t *testing.T) {
	noEpoch := rpmPkg(t, "tb-hello-1.0-1.noarch")
	noEpoch.Epoch = patchkit.Epoch{} // as an rpm header without an Epoch tag
	installed := []patchkit.Package{
		rpmPkg(t, "kernel-tb-5.0-1.noarch"), rpmPkg(t, "kernel-tb-5.1-1.noarch"),
		rpmPkg(t, "tb-lib-1:2.0-2.noarch"), rpmPkg(t, "tb-arch-1.0-1.x86_64"), noEpoch,
	}
	for i := range installed {
		installed[i].State = patchkit.StateInstalled
	}
	var updates []patchkit.Patch
	for _, n := range []string{
		"kernel-tb-0:5.0-1.noarch", // an older installed kernel: dropped
		"kernel-tb-0:5.1-1.noarch", // the current one: installed
		"tb-lib-1:2.0-2.noarch",    // installed
		"tb-lib-1:2.0-3.noarch",    // newer
		"tb-arch-0:1.0-1.x86_64",   // installed
		"tb-arch-0:1.1-1.noarch",   // newer, to noarch
		"tb-hello-0:1.0-1.noarch",  // installed, epoch 0 against none
		"tb-other-0:1.0-1.noarch",  // of no installed package: kept as newer
	} {
		updates = append(updates, patchkit.Patch{Package: rpmPkg(t, n)})
	}
	kept, inst := sortInstalled(installed, updates)
	var got []string
	for i, p := range kept {
		got = append(got, p.NEVRA()+map[bool]string{true: " installed", false: " newer"}[inst[i]])
	}
	assert.Equal(t, []string{
		"kernel-tb-0:5.1-1.noarch installed", "tb-lib-1:2.0-2.noarch installed", "tb-lib-1:2.0-3.noarch newer",
		"tb-arch-0:1.0-1.x86_64 installed", "tb-arch-0:1.1-1.noarch newer", "tb-hello-0:1.0-1.noarch installed",
		"tb-other-0:1.0-1.noarch newer",
	}, got)
}

// installOn installs the security update tb-lib 1:2.0-2 on a testbed root
// with the real package manager.
type installOn struct {
	name    string
	os      string // release fixture
	root    func(testbed.Env) string
	install func(t *testing.T, c testbed.Env) *exec.Cmd
}

// TestTestbedScanInstalledVersions: after the package manager installs
// the security update tb-lib 1:2.0-2 on a copy of the dnf and zypper
// roots, the Scan reports tb-lib Installed (the AWS-owned baseline
// approves 1:2.0-2, an Important security update) with the update's
// classification, where it used to say InstalledOther; the Candidates
// still hold only newer versions, while Assessment.Updates holds the
// installed versions and reproduces the report. Through the package
// manager (WithRunner), which reports newer versions only, tb-lib stays
// InstalledOther.
func TestTestbedScanInstalledVersions(t *testing.T) {
	env := testbed.Need(t)
	for _, tc := range []installOn{
		{"dnf", "amzn-2023", func(e testbed.Env) string { return e.RPMRoot }, func(t *testing.T, c testbed.Env) *exec.Cmd {
			testutil.NeedTool(t, "dnf", "dnf")
			return exec.CommandContext(t.Context(), "dnf", append(append([]string{"-y", "-q"}, c.DNFArgs()...), "upgrade", "tb-lib")...)
		}},
		{"zypper", "sles-15.6", func(e testbed.Env) string { return e.ZyppRoot }, func(t *testing.T, c testbed.Env) *exec.Cmd {
			testutil.NeedTool(t, "zypper", "zypper")
			return exec.CommandContext(t.Context(), "zypper", append(c.ZypperArgs(), "--quiet", "install", "-t", "patch", "TBSA-2026:0001")...)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := env.Clone(t)
			root := tc.root(c)
			o := releaseOS(t, tc.os)
			if out, err := tc.install(t, c).CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			ctx := context.Background()
			at := scanAt(t)
			res, err := Scan(ctx, os.DirFS(root), At(at), WithOS(o))
			require.NoError(t, err)

			item := func(r Result, kb string) compliance.Item {
				for _, it := range r.Report.Items {
					if it.KBID == kb {
						return it
					}
				}
				t.Fatalf("no item %s", kb)
				return compliance.Item{}
			}
			lib := item(res, "tb-lib.noarch")
			assert.Equal(t, compliance.Installed, lib.State)
			assert.Equal(t, "1:2.0-2", lib.InstalledVersion)
			assert.Equal(t, "Security", lib.Classification)
			assert.Equal(t, "Important", lib.Severity)
			assert.Equal(t, []string{"TBSA-2026:0001"}, lib.AdvisoryIDs)
			assert.Equal(t, 1, res.Report.Summary.InstalledCount)

			// Candidates are newer versions only; the installed ones are
			// in the Assessment, decided there.
			current := map[string]patchkit.Package{}
			for _, p := range currentVersions(res.Inventory.Packages) {
				current[p.Name+"."+p.Arch] = p
			}
			for _, cd := range res.Candidates {
				cur, ok := current[cd.Patch.Name+"."+cd.Patch.Arch]
				if !ok {
					continue
				}
				cmp, err := cd.Patch.CompareVersion(cur)
				require.NoError(t, err)
				assert.Positive(t, cmp, "candidate %s %s is not newer than the installed %s", cd.Patch.Name, cd.Patch.EVR(), cur.EVR())
				assert.NotEqual(t, "tb-lib", cd.Patch.Name, "tb-lib has no newer version")
			}
			var inAssessment []string
			for _, u := range res.Assessment.Updates {
				if cur, ok := current[u.Name+"."+u.Arch]; ok {
					if cmp, err := u.CompareVersion(cur); err == nil && cmp == 0 {
						assert.False(t, u.Candidate, "%s", u.NEVRA())
						inAssessment = append(inAssessment, u.NEVRA())
					}
				}
			}
			slices.Sort(inAssessment)
			assert.Equal(t, []string{"kernel-tb-0:5.0-1.noarch", "tb-hello-0:1.0-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-0:1.0-1.noarch", "tb-tool-0:3.0-1.noarch"}, inAssessment)
			assert.Len(t, res.Assessment.Updates, len(res.Candidates)+len(inAssessment))

			// The saved Assessment gives the same report.
			bl, err := baseline.Predefined(o.OperatingSystem())
			require.NoError(t, err)
			cb, err := baseline.Compile(bl)
			require.NoError(t, err)
			rep, _, err := Assess(res.Assessment, BaselineAt{Compiled: cb, At: at}, nil, compliance.BuildOptions{})
			require.NoError(t, err)
			assert.Equal(t, res.Report, rep)

			// The package manager, asked about the installed versions too,
			// gives the same item.
			l, err := run.NewLocal()
			require.NoError(t, err)
			native, err := Scan(ctx, os.DirFS(root), At(at), WithOS(o), WithRunner(l, root))
			require.NoError(t, err)
			nlib := item(native, "tb-lib.noarch")
			assert.Equal(t, compliance.Installed, nlib.State)
			assert.Equal(t, lib.Classification, nlib.Classification)
			assert.Equal(t, lib.Severity, nlib.Severity)
			assert.Equal(t, lib.AdvisoryIDs, nlib.AdvisoryIDs)
			chosen := func(r Result) []string {
				var out []string
				for _, cd := range r.Candidates {
					if cd.Patch.Candidate {
						out = append(out, cd.Patch.NEVRA())
					}
				}
				slices.Sort(out)
				return out
			}
			assert.Equal(t, chosen(res), chosen(native))
		})
	}
}

// TestTestbedAptScanInstalledVersions: on the testbed's bookworm chroot
// (only read), the Candidates hold no installed version, the Assessment
// holds the installed versions a list offers (the testbed's five among
// them), and every package whose installed version the baseline approves
// is Installed.
func TestTestbedAptScanInstalledVersions(t *testing.T) {
	env := testbed.NeedChroot(t)
	o, err := osdetect.DetectFS(os.DirFS(env.DebChroot))
	require.NoError(t, err)
	at := scanAt(t)
	b := customBaseline(o.OperatingSystem())
	res, err := Scan(context.Background(), os.DirFS(env.DebChroot), At(at), WithOS(o), WithArch("x86_64"), WithBaseline(b))
	require.NoError(t, err)
	current := map[string]patchkit.Package{}
	for _, p := range currentVersions(res.Inventory.Packages) {
		current[p.Name] = p
	}
	for _, cd := range res.Candidates {
		if cur, ok := current[cd.Patch.Name]; ok {
			assert.NotEqual(t, cur.EVR(), cd.Patch.EVR(), "candidate %s is the installed version", cd.Patch.Name)
		}
	}
	cb, err := baseline.Compile(b)
	require.NoError(t, err)
	_, decisions, err := Assess(res.Assessment, BaselineAt{Compiled: cb, At: at}, nil, compliance.BuildOptions{})
	require.NoError(t, err)
	approvedInstalled := map[string]bool{}
	var tb []string
	for i, u := range res.Assessment.Updates {
		if cur, ok := current[u.Name]; ok && cur.EVR() == u.EVR() {
			assert.False(t, u.Candidate)
			approvedInstalled[u.Name] = decisions[i].Approved
			if strings.HasPrefix(u.Name, "tb-") {
				tb = append(tb, u.Name+" "+u.EVR())
			}
		}
	}
	slices.Sort(tb)
	assert.Equal(t, []string{"tb-hello 1.0-1", "tb-kernel 1.0-1", "tb-lib 1:2.0-1", "tb-multi 1.0-1", "tb-tool 3.0-1"}, tb)
	installed := 0
	for _, it := range res.Report.Items {
		if it.State == compliance.Installed {
			installed++
			assert.True(t, approvedInstalled[it.Name], "%s is Installed without an approved installed version", it.Name)
		}
		if it.State == compliance.InstalledOther {
			assert.False(t, approvedInstalled[it.Name], "%s is InstalledOther with an approved installed version", it.Name)
		}
	}
	t.Logf("%d packages, %d installed versions offered, %d Installed", len(current), len(approvedInstalled), installed)
	assert.Positive(t, installed)
}
