package scan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/run"
	"github.com/patchkit/patchkit/scan/zypper"
)

// The tests of this file give a copy of a testbed root one more
// repository that is not OK and offers versions tb-updates offers too
// ("shadowed" versions): the package manager, which uses whatever it
// cached, attributes such a version to that repository (it has the better
// priority, or zypper simply names it). A native scan asks the package
// manager with that repository left out, so that it chooses and
// classifies among the healthy repositories as the metadata backend
// does: both scans must agree on every version, its repository and its
// classification. Asked as before (every repository, health judged
// afterwards) the native scan loses the shadowed versions, which each test
// checks too.

// shadowUpdateinfo is the updateinfo of the stale repository, written here
// (not a vendor's): a critical security notice for tb-multi 1.3-1 and
// tb-hello 1.1-1, which tb-updates classifies otherwise (an enhancement, a
// bug fix). A scan that read it would call them security updates.
const shadowUpdateinfo = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="testbed@example.invalid" status="stable" type="security" version="1">
    <id>TBSA-2026:0901</id>
    <title>Critical: tb-multi and tb-hello security update (stale repository)</title>
    <severity>Critical</severity>
    <issued date="1793534400"/>
    <references><reference href="https://testbed.invalid/CVE-2026-0901" id="CVE-2026-0901" type="cve" title="CVE-2026-0901"/></references>
    <description>A notice only the stale repository has.</description>
    <pkglist><collection short="testbed"><name>testbed</name>
      <package name="tb-multi" epoch="0" version="1.3" release="1" arch="noarch" src="tb-multi-1.3-1.src.rpm"><filename>tb-multi-1.3-1.noarch.rpm</filename></package>
      <package name="tb-hello" epoch="0" version="1.1" release="1" arch="noarch" src="tb-hello-1.1-1.src.rpm"><filename>tb-hello-1.1-1.noarch.rpm</filename></package>
    </collection></pkglist>
  </update>
</updates>
`

// staleRepo makes, in dir, a repository of the testbed's tb-multi 1.3-1 and
// tb-hello 1.1-1 rpms with shadowUpdateinfo (createrepo_c, modifyrepo_c),
// unsigned, every timestamp of its repomd.xml set 60 days back
// (createrepo_c --revision --set-timestamp-to-revision, and the
// updateinfo's rewritten by the test after modifyrepo_c stamped it now):
// the metadata backend finds it STALE.
func staleRepo(t *testing.T, env testbed.Env, dir string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, f := range []string{"tb-multi-1.3-1.noarch.rpm", "tb-hello-1.1-1.noarch.rpm"} {
		b, err := os.ReadFile(filepath.Join(env.Dir, "rpmrepo", "updates", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	old := strconv.FormatInt(time.Now().Add(-60*24*time.Hour).Unix(), 10)
	testutil.Run(t, "", nil, testutil.NeedTool(t, "createrepo_c", "createrepo-c"), "-q", "--revision", old, "--set-timestamp-to-revision", dir)
	ui := filepath.Join(t.TempDir(), "updateinfo.xml")
	require.NoError(t, os.WriteFile(ui, []byte(shadowUpdateinfo), 0o644))
	testutil.Run(t, "", nil, testutil.NeedTool(t, "modifyrepo_c", "createrepo-c"), "--mdtype=updateinfo", ui, filepath.Join(dir, "repodata"))
	md := filepath.Join(dir, "repodata", "repomd.xml")
	b, err := os.ReadFile(md)
	require.NoError(t, err)
	aged := regexp.MustCompile(`<timestamp>[0-9]+</timestamp>`).ReplaceAll(b, []byte("<timestamp>"+old+"</timestamp>"))
	require.NoError(t, os.WriteFile(md, aged, 0o644))
}

// dnfOn runs real dnf on a copy of the testbed's dnf root, as testbed.sh
// does.
func dnfOn(t *testing.T, root string, args ...string) {
	t.Helper()
	testutil.Run(t, "", nil, testutil.NeedTool(t, "dnf", "dnf"),
		append([]string{"-y", "-q", "--installroot=" + root, "--releasever=1", "--setopt=reposdir=" + root + "/etc/yum.repos.d"}, args...)...)
}

// zypperOn runs real zypper on a copy of the testbed's zypper root.
func zypperOn(t *testing.T, root string, args ...string) {
	t.Helper()
	testutil.Run(t, "", nil, testutil.NeedTool(t, "zypper", "zypper"), append([]string{"--non-interactive", "--quiet", "--root", root}, args...)...)
}

// badSignature replaces repomd.xml.asc in the cache directory dir by the
// signature of tb-base's repomd.xml (from the cache directory base): a
// good signature of the testbed's key over other data, so the cached
// repomd.xml no longer verifies.
func badSignature(t *testing.T, dir, base string) {
	t.Helper()
	sig, err := os.ReadFile(filepath.Join(base, "repodata", "repomd.xml.asc"))
	require.NoError(t, err)
	p := filepath.Join(dir, "repodata", "repomd.xml.asc")
	_, err = os.Stat(p)
	require.NoError(t, err, "the package manager cached no signature for %s", dir)
	require.NoError(t, os.WriteFile(p, sig, 0o644))
}

// dnfCacheDir is the one cache directory of the repository id in dnf's
// cache dir (ID-HASH, holding repodata).
func dnfCacheDir(t *testing.T, cache, id string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(cache, id+"-*", "repodata"))
	require.NoError(t, err)
	require.Len(t, m, 1, "cache directories of %s in %s", id, cache)
	return filepath.Dir(m[0])
}

// everyVersion lists the versions a scan offers, each with its repository,
// classification and decision.
func everyVersion(r Result) []string {
	var out []string
	for _, c := range r.Candidates {
		p := c.Patch
		out = append(out, fmt.Sprintf("%s %s from %s cand=%v sec=%v class=%q sev=%q adv=%v cve=%v approved=%v",
			p.QualifiedName(), p.EVR(), p.Repository, p.Candidate, p.Security, p.Classification, p.Severity, p.AdvisoryIDs, p.CVEIDs, c.Decision.Approved))
	}
	slices.Sort(out)
	return out
}

// itemStates are the report's items with their state, but those
// NotApplicable: the native backends know no version of a package that is
// not installed.
func itemStates(r Result) map[string]string {
	out := map[string]string{}
	for _, it := range r.Report.Items {
		if it.State != compliance.NotApplicable {
			out[it.KBID] = it.State.String() + " " + it.CandidateVersion
		}
	}
	return out
}

// agreeShadowed runs both scans of root and requires them to agree on
// every version (repository and classification included), the items and
// the repositories' health, with the repository bad of health h and the
// testbed's others OK; the candidates of shadowed come from tb-updates,
// not classified Security (only bad's notice calls them so). It returns
// the native scan.
func agreeShadowed(t *testing.T, root string, o ScanOption, bad string, h repo.Health, shadowed ...string) Result {
	t.Helper()
	start := time.Now()
	files, native := scanBothAt(t, root, scanAt(t), o)
	t.Logf("both scans: %s", time.Since(start).Round(time.Millisecond))
	requireHealth(t, native, h, bad)
	assert.Equal(t, everyVersion(files), everyVersion(native), "every version, from the files and through the package manager")
	assert.Equal(t, itemStates(files), itemStates(native), "the items")
	for _, name := range shadowed {
		var got []string
		for _, c := range native.Candidates {
			if c.Patch.Name == name && c.Patch.Candidate {
				got = append(got, c.Patch.Repository)
			}
		}
		assert.Equal(t, []string{"tb-updates"}, got, "the candidate of %s", name)
	}
	for _, c := range native.Candidates {
		assert.NotContains(t, c.Patch.AdvisoryIDs, "TBSA-2026:0901", "%s %s classified by %s's notice", c.Patch.Name, c.Patch.EVR(), bad)
	}
	assert.NotEmpty(t, testbedCandidates(native))
	assert.Equal(t, 1, native.Report.Summary.UnknownRepositoryCount)
	return native
}

// refreshedToo runs the native scan of root once more with WithRefresh:
// the package manager is asked first as it may refresh its caches (no
// repository left out), then, the repository bad being still not OK, from
// its caches with bad left out (its command lines hold the option
// disabled builds from bad). The versions are the same as without
// refresh.
func refreshedToo(t *testing.T, root string, o ScanOption, native Result, bad string, disabled func(string) []string) {
	t.Helper()
	client, err := repo.NewClient(repo.WithCacheDir(t.TempDir()))
	require.NoError(t, err)
	defer client.Close()
	w := newWatched(t)
	start := time.Now()
	again, err := Scan(context.Background(), os.DirFS(root), At(scanAt(t)), o, WithRunner(w, root), WithRefresh(client))
	require.NoError(t, err)
	t.Logf("native scan with refresh: %s", time.Since(start).Round(time.Millisecond))
	assert.Equal(t, everyVersion(native), everyVersion(again), "every version, refreshed")
	var with, without int
	for _, c := range w.calls {
		switch base := filepath.Base(c.Path); {
		case base != "dnf" && base != "zypper":
		case containsAll(c.Args, disabled(bad)):
			with++
		default:
			require.Zero(t, with, "%s after a command that left %s out", c, bad)
			without++
		}
	}
	assert.NotZero(t, without, "commands asking about every repository")
	assert.NotZero(t, with, "commands leaving %s out", bad)
}

// containsAll reports whether args hold sub as a run.
func containsAll(args, sub []string) bool {
	for i := 0; i+len(sub) <= len(args); i++ {
		if slices.Equal(args[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// lost reports the versions of want that a native scan as it was before
// leaves out: the package manager asked about every repository, the
// versions it attributes to a repository that is not OK dropped after
// (NativeHealth).
func lost(want []string, before []patchkit.Patch) []string {
	var out []string
	for _, w := range want {
		if !slices.ContainsFunc(before, func(p patchkit.Patch) bool { return p.Name+" "+p.EVR() == w }) {
			out = append(out, w)
		}
	}
	return out
}

// TestTestbedDnfScanNativeShadowed: a repository dnf prefers (priority 10)
// that offers tb-updates' tb-multi 1.3-1 and tb-hello 1.1-1 and is not OK.
// With its cached signature replaced, dnf itself refuses to run from its
// cache ("Cache-only enabled but no cache for 'tb-mirror'": librepo checks
// the cached repomd.xml again), so a native scan that asked about every
// repository failed; stale, dnf chooses its versions, which a native scan
// that judged afterwards left out.
func TestTestbedDnfScanNativeShadowed(t *testing.T) {
	testutil.NeedTool(t, "dnf", "dnf")
	env := testbed.Need(t)
	o := WithOS(releaseOS(t, "amzn-2023"))
	for _, c := range []struct {
		name, repo string
		health     repo.Health
		setup      func(t *testing.T, c testbed.Env)
		// refused: asked about every repository, dnf fails
		refused bool
	}{
		{
			// tb-mirror serves tb-updates' repository at a better
			// priority; its cached repomd.xml.asc is then replaced.
			name: "bad signature", repo: "tb-mirror", health: repo.HealthUnsigned, refused: true,
			setup: func(t *testing.T, c testbed.Env) {
				conf := "[tb-mirror]\nname=patchkit testbed updates, mirrored\nbaseurl=" + env.RPMURL + "/updates\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=" + env.RPMURL +
					"/RPM-GPG-KEY-testbed\nmetadata_expire=0\npriority=10\n"
				require.NoError(t, os.WriteFile(filepath.Join(c.RPMRoot, "etc/yum.repos.d/tb-mirror.repo"), []byte(conf), 0o644))
				dnfOn(t, c.RPMRoot, "makecache", "--repo", "tb-mirror")
				cache := filepath.Join(c.RPMRoot, "var/cache/dnf")
				badSignature(t, dnfCacheDir(t, cache, "tb-mirror"), dnfCacheDir(t, cache, "tb-base"))
			},
		},
		{
			// tb-stale, unsigned by design (repo_gpgcheck off), made 60
			// days ago, at a better priority, with its own notice.
			name: "stale", repo: "tb-stale", health: repo.HealthStale,
			setup: func(t *testing.T, c testbed.Env) {
				dir := filepath.Join(filepath.Dir(c.RPMRoot), "stale-repo")
				staleRepo(t, env, dir)
				conf := "[tb-stale]\nname=patchkit testbed, stale\nbaseurl=file://" + dir + "\ngpgcheck=1\nrepo_gpgcheck=0\ngpgkey=" + env.RPMURL +
					"/RPM-GPG-KEY-testbed\nmetadata_expire=0\npriority=10\n"
				require.NoError(t, os.WriteFile(filepath.Join(c.RPMRoot, "etc/yum.repos.d/tb-stale.repo"), []byte(conf), 0o644))
				dnfOn(t, c.RPMRoot, "makecache", "--repo", "tb-stale")
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := env.Clone(t)
			t.Parallel()
			c.setup(t, cl)
			root := cl.RPMRoot
			native := agreeShadowed(t, root, o, c.repo, c.health, "tb-multi", "tb-hello")
			if c.health == repo.HealthStale {
				refreshedToo(t, root, o, native, c.repo, func(id string) []string { return []string{"--disablerepo=" + id} })
			}

			// As before: dnf asked about every repository.
			l, err := run.NewLocal()
			require.NoError(t, err)
			start := time.Now()
			ps, err := dnf.NativeUpdates(context.Background(), l, native.Inventory.Packages, dnf.NativeInstallRoot(root), dnf.NativeReleasever("2023"),
				dnf.NativeSetopt("reposdir", root+"/etc/yum.repos.d"), dnf.NativeCacheOnly(true), dnf.NativeArch("x86_64"),
				dnf.NativeInstalledVersions(true), dnf.NativeLogDir(t.TempDir()))
			t.Logf("dnf asked about every repository: %s", time.Since(start).Round(time.Millisecond))
			if c.refused {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "no cache for '"+c.repo+"'")
				return
			}
			require.NoError(t, err)
			for _, p := range ps {
				if p.Name == "tb-multi" && p.Candidate {
					assert.Equal(t, c.repo, p.Repository, "dnf's choice for tb-multi among every repository")
				}
			}
			kept, _, err := dnf.NativeHealth(context.Background(), os.DirFS(root), ps, dnf.WithArch("x86_64"), dnf.WithNow(scanAt(t)))
			require.NoError(t, err)
			assert.Equal(t, []string{"tb-hello 0:1.1-1", "tb-multi 0:1.3-1"}, lost([]string{"tb-hello 0:1.1-1", "tb-multi 0:1.3-1"}, kept),
				"asked as before, the native scan loses the shadowed candidates")
		})
	}
}

// TestTestbedZypperScanNativeShadowed: a repository that offers tb-updates'
// tb-multi 1.3-1 (and tb-hello 1.1-1) and is not OK, from which zypper,
// using whatever it cached, takes them; asked about every repository, the
// native scan left them out.
func TestTestbedZypperScanNativeShadowed(t *testing.T) {
	testutil.NeedTool(t, "zypper", "zypper")
	env := testbed.Need(t)
	o := WithOS(releaseOS(t, "sles-15.6"))
	for _, c := range []struct {
		name, repo string
		health     repo.Health
		setup      func(t *testing.T, c testbed.Env)
		shadowed   []string
	}{
		{
			// as the unsigned scenario of scan/zypper: zypper refuses
			// tb-unsigned, then caches it with --no-gpg-checks, and
			// names it for tb-multi 1.3-1, which tb-updates has too.
			name: "unsigned", repo: "tb-unsigned", health: repo.HealthUnsigned, shadowed: []string{"tb-multi"},
			setup: func(t *testing.T, c testbed.Env) {
				dir := filepath.Join(filepath.Dir(c.ZyppRoot), "unsigned-repo")
				require.NoError(t, os.MkdirAll(dir, 0o755))
				b, err := os.ReadFile(filepath.Join(env.Dir, "rpmrepo", "updates", "tb-multi-1.3-1.noarch.rpm"))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, "tb-multi-1.3-1.noarch.rpm"), b, 0o644))
				testutil.Run(t, "", nil, testutil.NeedTool(t, "createrepo_c", "createrepo-c"), "-q", dir)
				zypperOn(t, c.ZyppRoot, "addrepo", "file://"+dir, "tb-unsigned")
				zypperOn(t, c.ZyppRoot, "--no-gpg-checks", "refresh", "tb-unsigned")
			},
		},
		{
			// tb-mirror serves tb-updates' repository at a better
			// priority; its cached repomd.xml.asc is then replaced.
			name: "bad signature", repo: "tb-mirror", health: repo.HealthUnsigned, shadowed: []string{"tb-multi", "tb-hello"},
			setup: func(t *testing.T, c testbed.Env) {
				zypperOn(t, c.ZyppRoot, "addrepo", "-p", "10", env.RPMURL+"/updates", "tb-mirror")
				zypperOn(t, c.ZyppRoot, "refresh", "tb-mirror")
				raw := filepath.Join(c.ZyppRoot, "var/cache/zypp/raw")
				badSignature(t, filepath.Join(raw, "tb-mirror"), filepath.Join(raw, "tb-base"))
			},
		},
		{
			// tb-stale, without signature checks (addrepo -G), made 60
			// days ago, at a better priority, with its own patch.
			name: "stale", repo: "tb-stale", health: repo.HealthStale, shadowed: []string{"tb-multi", "tb-hello"},
			setup: func(t *testing.T, c testbed.Env) {
				dir := filepath.Join(filepath.Dir(c.ZyppRoot), "stale-repo")
				staleRepo(t, env, dir)
				zypperOn(t, c.ZyppRoot, "addrepo", "-G", "-p", "10", "file://"+dir, "tb-stale")
				zypperOn(t, c.ZyppRoot, "refresh", "tb-stale")
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := env.Clone(t)
			t.Parallel()
			c.setup(t, cl)
			root := cl.ZyppRoot
			native := agreeShadowed(t, root, o, c.repo, c.health, c.shadowed...)
			if c.health == repo.HealthStale {
				// restricted to the two others: -r tb-base -r tb-updates
				refreshedToo(t, root, o, native, c.repo, func(string) []string { return []string{"-r", "tb-base", "-r", "tb-updates"} })
			}

			// As before: zypper asked about every repository names the
			// repository that is not OK, and the versions are left out.
			l, err := run.NewLocal()
			require.NoError(t, err)
			start := time.Now()
			ps, err := zypper.NativeUpdates(context.Background(), l, native.Inventory.Packages, zypper.NativeRoot(root),
				zypper.NativeInstalledVersions(true), zypper.NativeAllVersions(true))
			require.NoError(t, err)
			kept, _, err := zypper.NativeHealth(context.Background(), os.DirFS(root), ps, zypper.WithArch("x86_64"), zypper.WithNow(scanAt(t)))
			require.NoError(t, err)
			t.Logf("zypper asked about every repository: %s", time.Since(start).Round(time.Millisecond))
			var want []string
			for _, p := range ps {
				if slices.Contains(c.shadowed, p.Name) && p.Candidate {
					assert.Equal(t, c.repo, p.Repository, "zypper's choice for %s among every repository", p.Name)
					want = append(want, p.Name+" "+p.EVR())
				}
			}
			require.Len(t, want, len(c.shadowed))
			assert.Equal(t, want, lost(want, kept), "asked as before, the native scan loses the shadowed candidates")
		})
	}
}
