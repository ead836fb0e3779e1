package apt

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/debrepo"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dpkg"
)

// TestTestbedAptScanFlatRepos adds three signed flat repositories (built
// with internal/debrepo: Origin, Label, Suite and Codename patchkit-test /
// test, signed-by, no trusted=yes) to a copy of the testbed's private apt
// root: one at the top of a loopback server ("deb URL/ ./"), one in a
// subdirectory ("deb URL/repo sub/") and one as a file: URI ("./"), and
// pins among them by their Release's fields. After apt-get update, the
// metadata backend and the native one must give the same candidates as
// apt, with apt's priorities (apt-cache policy), every repository OK, and
// NativeHealth must keep every version apt offers from them.
//
// The installed versions are the testbed's (tb-hello 1.0-1, tb-kernel
// 1.0-1, tb-lib 1:2.0-1, tb-multi 1.0-1, tb-tool 3.0-1).
func TestTestbedAptScanFlatRepos(t *testing.T) {
	env := testbed.Need(t)
	c := env.Clone(t)
	aptRoot := c.AptRoot()
	aptRun := debrepo.Root{Dir: aptRoot, AptConfig: c.AptConfig}
	top := debrepo.Build(t, []debrepo.Package{{Name: "tb-tool", Version: "3.1-1"}, {Name: "tb-hello", Version: "1.5-1"}}, debrepo.SignedGood)
	sub := debrepo.Build(t, []debrepo.Package{{Name: "tb-multi", Version: "1.4-1"}, {Name: "tb-tool", Version: "3.1-1"}}, debrepo.SignedGood)
	local := debrepo.Build(t, []debrepo.Package{{Name: "tb-kernel", Version: "1.0-2"}}, debrepo.SignedGood)

	// sub is served under /repo/sub/ only.
	subSrv := httptest.NewServer(http.StripPrefix("/repo/sub", http.FileServer(http.Dir(sub.Dir))))
	t.Cleanup(subSrv.Close)
	// local is read from a copy beside the root (apt's file: method reads
	// it in place; the clone's directory is open to apt's sandbox user).
	localDir := filepath.Join(filepath.Dir(aptRoot), "flat-file")
	if err := os.CopyFS(localDir, os.DirFS(local.Dir)); err != nil {
		t.Fatal(err)
	}
	var list strings.Builder
	for _, s := range []struct {
		name, uri, suite string
		r                *debrepo.Repo
	}{{"flat-top", top.URL + "/", "./", top}, {"flat-sub", subSrv.URL + "/repo", "sub/", sub}, {"flat-file", "file:" + localDir, "./", local}} {
		key := filepath.Join(aptRoot, "etc/apt", s.name+".gpg")
		b, err := os.ReadFile(s.r.Keyring)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(key, b, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&list, "deb [signed-by=%s] %s %s\n", key, s.uri, s.suite)
	}
	listFile := filepath.Join(aptRoot, "etc/apt/sources.list.d/flat.list")
	if err := os.WriteFile(listFile, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The flat repositories' files at 450 (under the testbed's 500);
	// tb-multi from them at 990, tb-tool at 500 (level with the
	// testbed's suite that offers the installed version), tb-hello from
	// their suite at 50.
	prefs := "Package: *\nPin: release n=test\nPin-Priority: 450\n\n" +
		"Package: tb-multi\nPin: release l=patchkit-test\nPin-Priority: 990\n\n" +
		"Package: tb-tool\nPin: release a=test\nPin-Priority: 500\n\n" +
		"Package: tb-hello\nPin: release o=patchkit-test, a=test\nPin-Priority: 50\n"
	if err := os.WriteFile(filepath.Join(aptRoot, "etc/apt/preferences.d/flat.pref"), []byte(prefs), 0o644); err != nil {
		t.Fatal(err)
	}
	out := aptRun.Run(t, "/usr/bin/apt-get", "update", "-q", "-o", "Dir::Etc::sourcelist="+listFile, "-o", "Dir::Etc::sourceparts=-",
		"-o", "APT::Get::List-Cleanup=0")
	if strings.Contains(out, "\nErr:") || strings.Contains(out, "\nE: ") {
		t.Fatalf("apt-get update:\n%s", out)
	}
	// apt keeps the flat path in its lists' names.
	for _, want := range []string{"127.0.0.1:*_._InRelease", "127.0.0.1:*_repo_sub_InRelease", "_*_flat-file_._InRelease"} {
		if m, _ := filepath.Glob(filepath.Join(aptRoot, "var/lib/apt/lists", want)); len(m) != 1 {
			t.Errorf("lists files %s: %q, want one", want, m)
		}
	}

	res := scanBoth(t, root{
		fsys:      os.DirFS("/"),
		mopts:     []Option{WithAptConfig(c.AptConfig)},
		nopts:     []NativeOption{NativeAptConfig(c.AptConfig)},
		r:         newLocal(t),
		env:       []string{"APT_CONFIG=" + c.AptConfig},
		dpkgQuery: []dpkg.QueryOption{dpkg.QueryAdmindir(filepath.Join(aptRoot, "var/lib/dpkg"))},
	})

	// Each flat repository is read, verified and OK, with its records.
	wantPkgs := map[string]int{top.URL + " ./": 2, subSrv.URL + "/repo sub/": 2, "file:" + localDir + " ./": 1}
	for _, s := range res.statuses {
		n, flat := wantPkgs[s.Name]
		if !flat {
			continue
		}
		delete(wantPkgs, s.Name)
		if s.Health != repo.HealthOK || !s.Verified || s.Packages != n || s.Date.IsZero() {
			t.Errorf("%+v: want OK, verified, dated, with %d packages", s, n)
		}
	}
	if len(wantPkgs) != 0 || len(res.statuses) != 6 {
		t.Errorf("%d statuses; no status for %v", len(res.statuses), wantPkgs)
	}

	type want struct {
		evr       string
		candidate bool
		origin    string
	}
	const flatOrigin = "patchkit-test:test"
	wants := map[string][]want{
		"tb-tool":  {{"3.1-1", true, flatOrigin}},
		"tb-hello": {{"1.1-1", true, "Testbed:testbed-updates"}, {"1.5-1", false, flatOrigin}},
		"tb-multi": {
			{"1.1-1", false, "Testbed:testbed-updates"},
			{"1.2-1", false, "Testbed-Security:testbed-security"},
			{"1.3-1", false, "Testbed:testbed-updates"},
			{"1.4-1", true, flatOrigin},
		},
		"tb-kernel": {{"1.0-2", false, flatOrigin}, {"1.1-1", true, "Testbed-Security:testbed-security"}},
	}
	for name, ws := range wants {
		got := findPatches(res.meta, name)
		sortPatches(got)
		if len(got) != len(ws) {
			t.Errorf("%s: %d patches, want %d: %+v", name, len(got), len(ws), got)
			continue
		}
		for i, w := range ws {
			g := got[i]
			if g.EVR() != w.evr || g.Candidate != w.candidate || g.Repository != w.origin || g.Security != strings.Contains(w.origin, "security") {
				t.Errorf("%s: got %s candidate=%v %q security=%v, want %+v", name, g.EVR(), g.Candidate, g.Repository, g.Security, w)
			}
		}
	}

	// The native backend's repository health: every repository OK, and
	// every version apt offers (all of them, each with its origin or its
	// Packages file) kept.
	all, err := NativeUpdates(t.Context(), newLocal(t), res.inv, NativeAptConfig(c.AptConfig), NativeAllVersions(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range [][]patchkit.Patch{res.native, all} {
		kept, sts, err := NativeHealth(t.Context(), os.DirFS("/"), ps, WithAptConfig(c.AptConfig), WithArch(nodeArch(t)), WithNow(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if len(sts) != 6 {
			t.Errorf("NativeHealth: %d statuses, want 6: %+v", len(sts), sts)
		}
		for _, s := range sts {
			if s.Health != repo.HealthOK {
				t.Errorf("NativeHealth: %s: %s (%s)", s.Name, s.Health, s.Reason)
			}
		}
		if !slices.Equal(versionsOf(kept), versionsOf(ps)) {
			t.Errorf("NativeHealth kept %q of %q", versionsOf(kept), versionsOf(ps))
		}
	}
	if !slices.Equal(versionsOf(all), versionsOf(res.meta)) {
		t.Errorf("apt offers %q, the metadata backend %q", versionsOf(all), versionsOf(res.meta))
	}
}
