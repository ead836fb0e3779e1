package dnf_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/run"
)

// scanBoth runs the metadata backend on root and NativeUpdates (real dnf,
// cache only) on it, and requires the same list: every version, the same
// candidates, the same classification. With rule UpdatedFirst the release
// dates agree too (dnf prints the later of a notice's two dates).
func scanBoth(t *testing.T, root string, full bool, opts ...dnf.Option) (*dnf.Report, []patchkit.Patch) {
	t.Helper()
	inv := inventory(t, root)
	now := repomdDate(t, root).Add(time.Hour)
	base := append([]dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(now)}, opts...)
	rep, err := dnf.Check(t.Context(), os.DirFS(root), inv, base...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Repos {
		if s.Health != repo.HealthOK || !s.Verified {
			t.Fatalf("repository %s: %s (verified %v): %s", s.Name, s.Health, s.Verified, s.Reason)
		}
	}
	r, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	native, err := dnf.NativeUpdates(t.Context(), r, inv, nativeOpts(t, root)...)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffViews(views(rep.Patches, false), views(native, false)); d != "" {
		t.Fatalf("the backends disagree:\n%s", d)
	}
	upd, err := dnf.Check(t.Context(), os.DirFS(root), inv, append(base, dnf.WithDateRule(dnf.UpdatedFirst))...)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffViews(views(upd.Patches, true), views(native, true)); d != "" {
		t.Fatalf("release dates (updated first) disagree:\n%s", d)
	}
	if full {
		if got, want := nevras(rep.Patches), fullList(t, root); !slices.Equal(got, want) {
			t.Fatalf("metadata backend lists %v, dnf repoquery --upgrades --show-duplicates %v", got, want)
		}
	}
	t.Logf("agreement: %d versions (dnf's full list checked: %v), %d candidates, %d classified", len(rep.Patches),
		full, len(candidates(rep.Patches)), countClassified(rep.Patches))
	return rep, native
}

func countClassified(ps []patchkit.Patch) int {
	n := 0
	for _, p := range ps {
		if p.Classification != "" {
			n++
		}
	}
	return n
}

// TestTestbedDnfScan: both backends on the testbed's dnf root. The
// metadata backend reads the shared root; dnf runs on a copy (it writes
// its logs into the root).
func TestTestbedDnfScan(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	c := env.Clone(t)
	t.Parallel()
	inv := inventory(t, env.RPMRoot)
	now := repomdDate(t, env.RPMRoot).Add(time.Hour)
	shared, err := dnf.Check(t.Context(), os.DirFS(env.RPMRoot), inv, dnf.WithArch("x86_64"), dnf.WithNow(now))
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := scanBoth(t, c.RPMRoot, true)
	if d := diffViews(views(shared.Patches, true), views(rep.Patches, true)); d != "" {
		t.Fatalf("the shared root and its copy differ:\n%s", d)
	}
	want := []string{"kernel-tb-0:5.1-1.noarch", "tb-hello-0:1.1-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-0:1.3-1.noarch"}
	if got := candidates(rep.Patches); !slices.Equal(got, want) {
		t.Fatalf("candidates %v, want %v", got, want)
	}
	// tb-multi: three newer versions, each classified by its own notice.
	var multi []string
	for _, p := range rep.Patches {
		if p.Name == "tb-multi" {
			multi = append(multi, p.EVR()+" "+p.Classification+" "+p.Severity+" "+strings.Join(p.CVEIDs, ","))
		}
		if p.Name == "kernel-tb" && (!p.RebootSuggested || p.Severity != "Critical" || p.Classification != "Security") {
			t.Errorf("kernel-tb: %+v, want a Critical security update that suggests a reboot", p)
		}
		if !p.Security || p.ReleaseDate.IsZero() {
			t.Errorf("%s: every testbed version has a notice: %+v", p.NEVRA(), p)
		}
	}
	wantMulti := []string{"0:1.1-1 Bugfix None ", "0:1.2-1 Security Moderate CVE-2026-0005", "0:1.3-1 Enhancement None "}
	if !slices.Equal(multi, wantMulti) {
		t.Fatalf("tb-multi versions:\n%q\nwant\n%q", multi, wantMulti)
	}
}

// setOpt sets key=value in a section of an INI file of root: it replaces
// the key's line in that section, or adds one after the section header.
func setOpt(t *testing.T, root, file, section, key, value string) {
	t.Helper()
	p := filepath.Join(root, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	start := slices.Index(lines, "["+section+"]\n")
	if start < 0 {
		t.Fatalf("%s has no [%s]", p, section)
	}
	at := start + 1
	for i := start + 1; i < len(lines) && !strings.HasPrefix(lines[i], "["); i++ {
		if k, _, ok := strings.Cut(lines[i], "="); ok && strings.TrimSpace(k) == key {
			lines = slices.Delete(lines, i, i+1)
			at = i
			break
		}
	}
	lines = slices.Insert(lines, at, key+"="+value+"\n")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTestbedDnfScanConfig: excludes, includes and priorities change what
// dnf offers; the backends still agree, and the candidates are the ones
// real dnf chose when these cases were first tried.
func TestTestbedDnfScanConfig(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	const conf, repos = "etc/dnf/dnf.conf", "etc/yum.repos.d/testbed.repo"
	type opt struct{ file, section, key, value string }
	for _, tc := range []struct {
		name     string
		opts     []opt
		want     []string // candidates
		excluded []string
	}{
		{"excludes", []opt{{conf, "main", "excludepkgs", "tb-multi-1.3*"}, {repos, "tb-updates", "excludepkgs", "tb-hello"}},
			[]string{"kernel-tb-0:5.1-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-0:1.2-1.noarch"},
			[]string{"tb-hello-0:1.1-1.noarch", "tb-multi-0:1.3-1.noarch"}},
		{"exclude by NEVRA", []opt{{conf, "main", "exclude", "tb-multi-0:1.2-1.noarch kernel-tb.noarch"}},
			[]string{"tb-hello-0:1.1-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-0:1.3-1.noarch"},
			[]string{"kernel-tb-0:5.1-1.noarch", "tb-multi-0:1.2-1.noarch"}},
		{"includes are a union", []opt{{conf, "main", "includepkgs", "tb-h*"}, {repos, "tb-updates", "includepkgs", "tb-m*"}},
			[]string{"tb-hello-0:1.1-1.noarch", "tb-multi-0:1.3-1.noarch"},
			[]string{"kernel-tb-0:5.1-1.noarch", "tb-lib-1:2.0-2.noarch"}},
		{"priority", []opt{{repos, "tb-base", "priority", "1"}}, nil, nil},
		{"priority and a repository exclude", []opt{{repos, "tb-base", "priority", "1"}, {repos, "tb-base", "excludepkgs", "tb-multi"}},
			[]string{"tb-multi-0:1.3-1.noarch"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := env.Clone(t)
			for _, o := range tc.opts {
				setOpt(t, c.RPMRoot, o.file, o.section, o.key, o.value)
			}
			// The native side lists every version too (repoquery --upgrades),
			// so dnf's full list is checked through it.
			rep, _ := scanBoth(t, c.RPMRoot, false)
			if got := candidates(rep.Patches); !slices.Equal(got, tc.want) {
				t.Errorf("candidates %v, want %v", got, tc.want)
			}
			var ex []string
			for _, p := range rep.Excluded {
				ex = append(ex, p.NEVRA())
			}
			if !slices.Equal(ex, tc.excluded) {
				t.Errorf("excluded %v, want %v", ex, tc.excluded)
			}
		})
	}
}

// TestTestbedDnfScanInstallOnly: with kernel-tb in installonlypkgs, dnf
// plans to install 5.1 beside 5.0 ("Install 1 Package"); without, to
// upgrade it. Both backends offer 5.1 either way, and the report names the
// installonly package. Once 5.1 is installed beside 5.0 (by rpm: the
// testbed's kernels share a file, which real kernels do not, so dnf's
// transaction test refuses the pair) or in its place (dnf upgrade),
// neither backend offers kernel-tb.
func TestTestbedDnfScanInstallOnly(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	testutil.NeedTool(t, "rpm", "rpm")
	for _, tc := range []struct {
		name        string
		installOnly bool
		plan        string
		kernels     []string
	}{
		{"installonly", true, "Install  1 Package", []string{"kernel-tb-0:5.0-1.noarch", "kernel-tb-0:5.1-1.noarch"}},
		{"plain", false, "Upgrade  1 Package", []string{"kernel-tb-0:5.1-1.noarch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := env.Clone(t)
			if tc.installOnly {
				setOpt(t, c.RPMRoot, "etc/dnf/dnf.conf", "main", "installonlypkgs", "kernel-tb")
				setOpt(t, c.RPMRoot, "etc/dnf/dnf.conf", "main", "installonly_limit", "3")
			}
			dnfArgs := append([]string{"-C"}, c.DNFArgs()...)
			out, _ := exec.CommandContext(t.Context(), "dnf", append(dnfArgs, "--assumeno", "upgrade", "kernel-tb")...).CombinedOutput()
			if !strings.Contains(string(out), tc.plan) {
				t.Fatalf("dnf upgrade --assumeno kernel-tb does not plan %q:\n%s", tc.plan, out)
			}
			before, err := dnf.Check(t.Context(), os.DirFS(c.RPMRoot), inventory(t, c.RPMRoot), dnf.WithArch("x86_64"),
				dnf.WithNow(repomdDate(t, c.RPMRoot).Add(time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(before.InstallOnly, "kernel-tb"); got != tc.installOnly {
				t.Fatalf("InstallOnly %v: kernel-tb listed %v, want %v", before.InstallOnly, got, tc.installOnly)
			}
			if !slices.Contains(candidates(before.Patches), "kernel-tb-0:5.1-1.noarch") {
				t.Fatalf("kernel-tb 5.1 is not offered: %v", candidates(before.Patches))
			}
			var cmd *exec.Cmd
			if tc.installOnly {
				cmd = exec.CommandContext(t.Context(), "rpm", "--root", c.RPMRoot, "-i", "--replacefiles", c.RPMURL+"/updates/kernel-tb-5.1-1.noarch.rpm")
			} else {
				cmd = exec.CommandContext(t.Context(), "dnf", append(append([]string{"-y", "-q"}, c.DNFArgs()...), "upgrade", "kernel-tb")...)
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
			}
			var kernels []string
			for _, p := range inventory(t, c.RPMRoot) {
				if p.Name == "kernel-tb" {
					p.Epoch = patchkit.EpochOf(0)
					kernels = append(kernels, p.NEVRA())
				}
			}
			slices.Sort(kernels)
			if !slices.Equal(kernels, tc.kernels) {
				t.Fatalf("installed kernels %v, want %v", kernels, tc.kernels)
			}
			after, _ := scanBoth(t, c.RPMRoot, false)
			for _, p := range after.Patches {
				if p.Name == "kernel-tb" {
					t.Errorf("kernel-tb %s offered after 5.1 is installed", p.EVR())
				}
			}
			if len(after.Patches) != len(before.Patches)-1 {
				t.Errorf("%d patches after the kernel upgrade, want %d", len(after.Patches), len(before.Patches)-1)
			}
		})
	}
}

// TestTestbedDnfScanStale: rpm-md metadata older than the maximum age is
// stale, and metadata dated ahead of the clock is refused; neither offers
// anything.
func TestTestbedDnfScanStale(t *testing.T) {
	env := testbed.Need(t)
	inv := inventory(t, env.RPMRoot)
	date := repomdDate(t, env.RPMRoot)
	fsys := os.DirFS(env.RPMRoot)
	for _, tc := range []struct {
		name   string
		opts   []dnf.Option
		health repo.Health
	}{
		{"stale", []dnf.Option{dnf.WithNow(date.Add(dnf.DefaultMaxAge + time.Hour))}, repo.HealthStale},
		{"longer max age", []dnf.Option{dnf.WithNow(date.Add(dnf.DefaultMaxAge + time.Hour)), dnf.WithMaxAge(dnf.DefaultMaxAge + 2*time.Hour)}, repo.HealthOK},
		{"no max age", []dnf.Option{dnf.WithNow(date.Add(400 * 24 * time.Hour)), dnf.WithMaxAge(0)}, repo.HealthOK},
		// A second before the metadata was made (the key is older), with
		// no tolerance for clock skew.
		{"dated in the future", []dnf.Option{dnf.WithNow(date.Add(-time.Second)), dnf.WithMaxFutureSkew(0)}, repo.HealthExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := dnf.Check(t.Context(), fsys, inv, append([]dnf.Option{dnf.WithArch("x86_64")}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range rep.Repos {
				if s.Health != tc.health {
					t.Errorf("%s: %s (%s), want %s", s.Name, s.Health, s.Reason, tc.health)
				}
			}
			if ok := tc.health == repo.HealthOK; ok != (len(rep.Patches) == 6) {
				t.Errorf("%d patches with health %s", len(rep.Patches), tc.health)
			}
		})
	}
}

// TestTestbedDnfScanUnsigned: a bad repomd.xml.asc in the cache makes the
// repository UNSIGNED and it offers nothing; real dnf refuses the same
// signature when it fetches it. Without the keys dnf imported, a
// repository that requires a signature is UNSIGNED too, until the client
// may fetch its gpgkey URL.
func TestTestbedDnfScanUnsigned(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	c := env.Clone(t)
	t.Parallel()
	base, upd := cacheDir(t, c.RPMRoot, "tb-base"), cacheDir(t, c.RPMRoot, "tb-updates")
	sig, err := os.ReadFile(filepath.Join(base, "repodata/repomd.xml.asc"))
	if err != nil {
		t.Fatal(err)
	}
	// tb-base's signature is good, by the right key, over other data.
	if err := os.WriteFile(filepath.Join(upd, "repodata/repomd.xml.asc"), sig, 0o644); err != nil {
		t.Fatal(err)
	}
	inv := inventory(t, c.RPMRoot)
	now := repomdDate(t, c.RPMRoot).Add(time.Hour)
	rep, err := dnf.Check(t.Context(), os.DirFS(c.RPMRoot), inv, dnf.WithArch("x86_64"), dnf.WithNow(now))
	if err != nil {
		t.Fatal(err)
	}
	health := map[string]repo.Health{}
	for _, s := range rep.Repos {
		health[s.Name] = s.Health
		if s.Name == "tb-updates" && !strings.Contains(s.Reason, "repomd.xml.asc") {
			t.Errorf("reason %q does not name the signature", s.Reason)
		}
	}
	if health["tb-base"] != repo.HealthOK || health["tb-updates"] != repo.HealthUnsigned {
		t.Fatalf("health %v, want tb-base OK and tb-updates UNSIGNED", health)
	}
	if len(rep.Patches) != 0 {
		t.Fatalf("%d patches from an unsigned repository", len(rep.Patches))
	}

	// Real dnf on the same repodata, served from a file URL.
	served := filepath.Join(filepath.Dir(c.RPMRoot), "tampered-updates")
	if err := exec.Command("cp", "-a", upd, served).Run(); err != nil {
		t.Fatal(err)
	}
	setOpt(t, c.RPMRoot, "etc/yum.repos.d/testbed.repo", "tb-updates", "baseurl", "file://"+served)
	cmd := exec.CommandContext(t.Context(), "dnf", append(append([]string{"-y"}, c.DNFArgs()...), "makecache")...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "GPG signature verification error") {
		t.Fatalf("dnf makecache with the tampered signature: %v, want exit 1 and a signature error:\n%s", err, out)
	}

	// No key in the root: dnf's pubring removed.
	k := env.Clone(t)
	for _, d := range []string{"tb-base", "tb-updates"} {
		if err := os.RemoveAll(filepath.Join(cacheDir(t, k.RPMRoot, d), "pubring")); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = dnf.Check(t.Context(), os.DirFS(k.RPMRoot), inv, dnf.WithArch("x86_64"), dnf.WithNow(now))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Repos {
		if s.Health != repo.HealthUnsigned || !strings.Contains(s.Reason, "no key") {
			t.Errorf("%s without keys: %s %q, want UNSIGNED for want of a key", s.Name, s.Health, s.Reason)
		}
	}
	client, err := repo.NewClient(repo.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	rep, err = dnf.Check(t.Context(), os.DirFS(k.RPMRoot), inv, dnf.WithArch("x86_64"), dnf.WithNow(now), dnf.WithClient(client))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Repos {
		if s.Health != repo.HealthOK || !s.Verified {
			t.Errorf("%s with the gpgkey URL fetched: %s %q", s.Name, s.Health, s.Reason)
		}
	}
	if len(rep.Patches) != 6 {
		t.Errorf("%d patches, want 6", len(rep.Patches))
	}
}

// TestTestbedDnfScanRefresh: metadata fetched fresh through a repo.Client
// gives what the root's cache gives.
func TestTestbedDnfScanRefresh(t *testing.T) {
	env := testbed.Need(t)
	inv := inventory(t, env.RPMRoot)
	now := repomdDate(t, env.RPMRoot).Add(time.Hour)
	client, err := repo.NewClient(repo.WithClock(func() time.Time { return now }), repo.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	fsys := os.DirFS(env.RPMRoot)
	var stages []string
	fresh, err := dnf.Check(context.Background(), fsys, inv, dnf.WithArch("x86_64"), dnf.WithNow(now), dnf.WithClient(client),
		dnf.WithRefresh(true), dnf.WithProgress(func(p dnf.Progress) { stages = append(stages, p.Stage+" "+p.Repo) }))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"config ", "repository tb-base", "repository tb-updates", "select "}; !slices.Equal(stages, want) {
		t.Errorf("progress %q, want %q", stages, want)
	}
	cached, err := dnf.Check(context.Background(), fsys, inv, dnf.WithArch("x86_64"), dnf.WithNow(now))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fresh.Repos {
		if s.Health != repo.HealthOK || !s.Verified {
			t.Fatalf("%s: %s %q", s.Name, s.Health, s.Reason)
		}
	}
	// Every testbed version has a notice, so no date comes from a build
	// time, which only the cache mode reads.
	if d := diffViews(views(fresh.Patches, true), views(cached.Patches, true)); d != "" {
		t.Fatalf("fresh and cached metadata differ:\n%s", d)
	}
}

// cacheDir is dnf's cache directory of the repository id in root.
func cacheDir(t *testing.T, root, id string) string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(root, "var/cache/dnf", id+"-????????????????"))
	var m []string
	for _, p := range all {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			m = append(m, p)
		}
	}
	if err != nil || len(m) != 1 {
		t.Fatalf("cache directories of %s: %v %v", id, m, err)
	}
	return m[0]
}
