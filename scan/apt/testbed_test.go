package apt

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// root is one apt installation to scan with both backends.
type root struct {
	fsys    fs.FS    // the root for the metadata backend
	mopts   []Option // metadata backend options besides arch and now
	nopts   []NativeOption
	r       run.Runner // runs apt (and dpkg-query) on it
	env     []string   // extra environment for apt-cache
	aptArgs []string   // extra options for apt-cache
	// unhealthy repositories are logged, not failed: this machine's own
	// sources may name third-party repositories never fetched
	allowUnhealthy bool
	dpkgQuery      []dpkg.QueryOption
}

// scanResult is what both backends said about a root.
type scanResult struct {
	st       *scanState
	meta     []patchkit.Patch
	statuses []repo.Status
	native   []patchkit.Patch
	inv      []patchkit.Package
}

// scanBoth reads the root's inventory with dpkg-query, runs both backends
// on it, and checks them against each other and against apt-cache policy.
func scanBoth(t *testing.T, rt root) scanResult {
	t.Helper()
	ctx := t.Context()
	arch := nodeArch(t)
	inv, err := dpkg.Query(ctx, rt.r, rt.dpkgQuery...)
	if err != nil {
		t.Fatal(err)
	}
	o, err := buildOptions(append([]Option{WithArch(arch), WithNow(time.Now())}, rt.mopts...))
	if err != nil {
		t.Fatal(err)
	}
	st, err := collect(ctx, rt.fsys, inv, o)
	if err != nil {
		t.Fatal(err)
	}
	res := scanResult{st: st, meta: st.patches(o), statuses: st.statuses, inv: inv}
	for _, s := range st.statuses {
		if s.Health != repo.HealthOK {
			if rt.allowUnhealthy {
				t.Logf("repository %s: %s (%s)", s.Name, s.Health, s.Reason)
			} else {
				t.Errorf("repository %s: %s (%s)", s.Name, s.Health, s.Reason)
			}
		}
	}
	// The public entry point gives the same.
	pub, _, err := Updates(ctx, rt.fsys, inv, append([]Option{WithArch(arch), WithNow(time.Now())}, rt.mopts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if len(pub) != len(res.meta) {
		t.Errorf("Updates gave %d patches, collect %d", len(pub), len(res.meta))
	}
	res.native, err = NativeUpdates(ctx, rt.r, inv, rt.nopts...)
	if err != nil {
		t.Fatal(err)
	}
	agree := compareBackends(t, res.meta, res.native, st.pol.native)
	listOut := runOut(t, rt.r, run.Command{Path: "/usr/bin/apt", Args: append(append([]string{}, rt.aptArgs...), "list", "--upgradable"), Env: rt.env})
	compareAptList(t, listOut, res.native, st.pol.native)
	pols := aptCachePolicy(t, rt.r, rt.env, rt.aptArgs, policyNames(st))
	n := comparePolicy(t, st, pols)
	cands, sec := 0, 0
	for _, p := range res.meta {
		if p.Candidate {
			cands++
			if p.Security {
				sec++
			}
		}
		if p.Security != (p.Classification == "Security") {
			t.Errorf("%s %s: Security %v with Classification %q", p.Name, p.EVR(), p.Security, p.Classification)
		}
		if p.Scheme != patchkit.Deb || !p.Epoch.Known() {
			t.Errorf("%s %s: scheme %v, epoch known %v", p.Name, p.EVR(), p.Scheme, p.Epoch.Known())
		}
	}
	t.Logf("%d installed packages compared with apt-cache policy; %d patches, %d candidates (%d security), %d agree with apt-get -s",
		n, len(res.meta), cands, sec, agree)
	if agree != cands || agree != len(res.native) {
		t.Errorf("%d candidates from metadata, %d from apt-get -s, %d agree", cands, len(res.native), agree)
	}
	return res
}

func findPatches(ps []patchkit.Patch, name string) []patchkit.Patch {
	var out []patchkit.Patch
	for _, p := range ps {
		if p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

// TestTestbedAptScanPrivateRoot scans the testbed's private apt root (host
// apt with APT_CONFIG) with both backends and checks the testbed's known
// updates: tb-multi 1.0-1 has 1.1-1 (updates), 1.2-1 (security) and 1.3-1
// (updates, apt's candidate); tb-lib and tb-kernel have security updates,
// tb-hello a non-security one, tb-tool none.
func TestTestbedAptScanPrivateRoot(t *testing.T) {
	env := testbed.Need(t)
	l := newLocal(t)
	r := recorder(t, l, "testbed-private", "host apt on the testbed's private root (APT_CONFIG)")
	res := scanBoth(t, root{
		fsys:      os.DirFS("/"),
		mopts:     []Option{WithAptConfig(env.AptConfig)},
		nopts:     []NativeOption{NativeAptConfig(env.AptConfig)},
		r:         r,
		env:       []string{"APT_CONFIG=" + env.AptConfig},
		dpkgQuery: []dpkg.QueryOption{dpkg.QueryAdmindir(filepath.Join(env.AptRoot(), "var/lib/dpkg"))},
	})
	type want struct {
		evr       string
		security  bool
		candidate bool
		origin    string
	}
	wants := map[string][]want{
		"tb-multi": {
			{"1.1-1", false, false, "Testbed:testbed-updates"},
			{"1.2-1", true, false, "Testbed-Security:testbed-security"},
			{"1.3-1", false, true, "Testbed:testbed-updates"},
		},
		"tb-lib":    {{"1:2.0-2", true, true, "Testbed-Security:testbed-security"}},
		"tb-kernel": {{"1.1-1", true, true, "Testbed-Security:testbed-security"}},
		"tb-hello":  {{"1.1-1", false, true, "Testbed:testbed-updates"}},
		"tb-tool":   nil,
	}
	for name, ws := range wants {
		got := findPatches(res.meta, name)
		if len(got) != len(ws) {
			t.Errorf("%s: %d patches, want %d: %+v", name, len(got), len(ws), got)
			continue
		}
		for i, w := range ws {
			g := got[i]
			if g.EVR() != w.evr || g.Security != w.security || g.Candidate != w.candidate || g.Repository != w.origin ||
				g.Section != "misc" || g.Priority != "optional" || g.Arch != "all" || g.SourceName != name {
				t.Errorf("%s: got %s security=%v candidate=%v %q %s/%s arch %s source %s, want %+v", name, g.EVR(), g.Security,
					g.Candidate, g.Repository, g.Section, g.Priority, g.Arch, g.SourceName, w)
			}
		}
	}
	if len(res.statuses) != 3 {
		t.Errorf("%d repository statuses, want 3 (testbed, -updates, -security)", len(res.statuses))
	}
	for _, s := range res.statuses {
		if !s.Verified || s.Date.IsZero() || s.Packages == 0 {
			t.Errorf("%+v: want a verified, dated repository with packages", s)
		}
	}
}

// TestTestbedAptScanChroot scans the testbed's Debian chroot (real
// bookworm with real pending security updates, plus the testbed's suites)
// with both backends; apt runs inside it through chroot(8). The chroot is
// only read.
func TestTestbedAptScanChroot(t *testing.T) {
	env := testbed.NeedChroot(t)
	testutil.NeedTool(t, "chroot", "coreutils")
	r := recorder(t, chrootRunner(newLocal(t), env.DebChroot), "testbed-chroot", "apt inside the testbed's bookworm chroot (chroot(8))")
	res := scanBoth(t, root{fsys: os.DirFS(env.DebChroot), r: r})
	var debianSec, tbSec int
	for _, p := range res.meta {
		if !p.Candidate || !p.Security {
			continue
		}
		switch p.Repository {
		case "Debian-Security:12/oldstable-security", "Debian:12.15/oldstable, Debian-Security:12/oldstable-security":
			debianSec++
		case "Testbed-Security:testbed-security":
			tbSec++
		}
	}
	// The mirror is live: only relations are stable. The chroot was
	// bootstrapped from the plain suite, so security updates are pending.
	if debianSec == 0 || tbSec != 2 {
		t.Errorf("%d Debian security candidates (want some), %d testbed ones (want 2)", debianSec, tbSec)
	}
	for _, p := range res.meta {
		if containsFold(p.Repository, "security") != p.Security {
			t.Errorf("%s %s from %q: Security %v", p.Name, p.EVR(), p.Repository, p.Security)
		}
	}
}

// TestHostAptScan scans this machine's own apt (its real Debian lists,
// /var/lib/apt/lists) with both backends: apt-get runs with
// Debug::NoLocking, so it reads only. Under CI the lists are fresh
// (.ci/run runs apt-get update) and the test must run.
func TestHostAptScan(t *testing.T) {
	testutil.Slow(t, "scans this machine's full Debian lists with both backends")
	testutil.NeedTool(t, "apt-get", "apt")
	if _, err := os.Stat("/var/lib/apt/lists"); err != nil {
		if testutil.InCI() {
			t.Fatal("no /var/lib/apt/lists under CI")
		}
		t.Skip("no apt lists on this machine")
	}
	r := recorder(t, newLocal(t), "host", "this machine's own apt and lists, read only (Debug::NoLocking)")
	res := scanBoth(t, root{fsys: os.DirFS("/"), r: r, allowUnhealthy: true})
	if len(res.statuses) == 0 {
		t.Error("no repositories")
	}
	for _, p := range res.meta {
		if p.Security != (containsFold(p.Repository, "security")) {
			t.Errorf("%s %s from %q: Security %v", p.Name, p.EVR(), p.Repository, p.Security)
		}
	}
}
