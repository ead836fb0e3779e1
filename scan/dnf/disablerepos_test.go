package dnf_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
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

// failing is a runner that records the commands it is given and fails
// them all.
type failing struct{ calls []run.Command }

var errFailing = errors.New("not run")

func (f *failing) Run(_ context.Context, c run.Command) (run.Result, error) {
	f.calls = append(f.calls, c)
	return run.Result{}, errFailing
}

// TestNativeDisableReposCommands: every command gets --disablerepo=ID for
// each ID, once, in the order given, before -C; an ID dnf would not load
// (a glob or list character) is not passed and NativeUpdates logs it; an
// empty ID is an error.
func TestNativeDisableReposCommands(t *testing.T) {
	opts := []dnf.NativeOption{dnf.NativeInstallRoot("/srv/r"), dnf.NativeCacheOnly(true), dnf.NativeInstalledVersions(true),
		dnf.NativeDisableRepos("tb-b", "tb.a:1"), dnf.NativeDisableRepos("tb-b", "tb*", "x,y", "tb_c")}
	cmds, err := dnf.NativeCommands(opts...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-q", "--installroot=/srv/r", "--disablerepo=tb-b", "--disablerepo=tb.a:1", "--disablerepo=tb_c", "-C"}
	for _, c := range []run.Command{cmds.Repoquery, cmds.CheckUpdate, cmds.UpdateinfoList, cmds.UpdateinfoInfo, cmds.Available} {
		if !slices.Equal(c.Args[:len(want)], want) {
			t.Errorf("%s: want it to begin with %v", c, want)
		}
	}
	var logs bytes.Buffer
	f := &failing{}
	_, err = dnf.NativeUpdates(t.Context(), f, nil, append(opts, dnf.NativeLogger(slog.New(slog.NewTextHandler(&logs, nil))))...)
	if !errors.Is(err, errFailing) || len(f.calls) != 1 {
		t.Fatalf("NativeUpdates: %v after %d commands", err, len(f.calls))
	}
	for _, id := range []string{`repository=tb*`, `repository=x,y`} {
		if !strings.Contains(logs.String(), id) {
			t.Errorf("log %q does not name %s", logs.String(), id)
		}
	}
	var oe *dnf.OptionError
	if _, err := dnf.NativeCommands(dnf.NativeDisableRepos("tb-a", "")); !errors.As(err, &oe) || oe.Option != "NativeDisableRepos" {
		t.Errorf("an empty ID: %v", err)
	}
}

// TestRepoHealthZero: a RepoHealth made by hand (no logger) keeps what
// its statuses say is OK and adds a status for a repository they lack.
func TestRepoHealthZero(t *testing.T) {
	h := &dnf.RepoHealth{Repos: []repo.Status{{Name: "ok", Health: repo.HealthOK}, {Name: "old", Health: repo.HealthStale}}}
	if got := h.NotOK(); !slices.Equal(got, []string{"old"}) {
		t.Errorf("NotOK %v", got)
	}
	ps := []patchkit.Patch{
		{Package: patchkit.Package{Name: "a", Version: "1", Release: "1", Arch: "noarch", Repository: "ok"}},
		{Package: patchkit.Package{Name: "b", Version: "1", Release: "1", Arch: "noarch", Repository: "old"}},
		{Package: patchkit.Package{Name: "c", Version: "1", Release: "1", Arch: "noarch", Repository: "elsewhere"}},
	}
	kept, sts := h.Keep(ps)
	if len(kept) != 1 || kept[0].Name != "a" || len(sts) != 3 || sts[2].Name != "elsewhere" || sts[2].Health != repo.HealthUnreadable {
		t.Errorf("kept %v, statuses %+v", kept, sts)
	}
	if len(h.Repos) != 2 {
		t.Errorf("Keep changed the RepoHealth: %+v", h.Repos)
	}
}

// TestTestbedDnfNativeDisableRepos: on a copy of the testbed root whose
// tb-updates cache has a signature that does not verify (tb-base's),
// judged first, tb-updates is the repository not OK; dnf run from its
// cache with it disabled answers, leaves its cache alone, and gives what
// the metadata backend gives: the installed versions tb-base has,
// unclassified, nothing newer. Asked about every repository, dnf refuses
// to start ("Cache-only enabled but no cache for 'tb-updates'": librepo
// checks the cached repomd.xml again), and dnf 4.14 deletes the
// repository's cached repodata then, even with -C (logged): a native scan
// that asked so failed and changed the node.
func TestTestbedDnfNativeDisableRepos(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	c := env.Clone(t)
	t.Parallel()
	root := c.RPMRoot
	base, upd := cacheDir(t, root, "tb-base"), cacheDir(t, root, "tb-updates")
	sig, err := os.ReadFile(filepath.Join(base, "repodata/repomd.xml.asc"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(upd, "repodata/repomd.xml.asc"), sig, 0o644); err != nil {
		t.Fatal(err)
	}
	repodata := func() []string {
		m, err := filepath.Glob(filepath.Join(upd, "repodata", "*"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	cached := repodata()
	inv := inventory(t, root)
	now := repomdDate(t, root).Add(time.Hour)
	opts := []dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(now)}
	rep, err := dnf.Check(t.Context(), os.DirFS(root), inv, append(opts, dnf.WithInstalledVersions(true))...)
	if err != nil {
		t.Fatal(err)
	}
	h, err := dnf.NativeRepoHealth(t.Context(), os.DirFS(root), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.NotOK(), []string{"tb-updates"}) {
		t.Fatalf("not OK: %v (%+v)", h.NotOK(), h.Repos)
	}
	for i, s := range h.Repos {
		want := rep.Repos[i]
		want.Packages = 0
		if s != want {
			t.Errorf("judged first %+v\nfrom the files %+v", s, want)
		}
	}
	l, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	nopts := append(nativeOpts(t, root), dnf.NativeInstalledVersions(true), dnf.NativeLogDir(t.TempDir()))
	native, err := dnf.NativeUpdates(t.Context(), l, inv, append(nopts, dnf.NativeDisableRepos(h.NotOK()...))...)
	if err != nil {
		t.Fatal(err)
	}
	if got := repodata(); !slices.Equal(got, cached) || len(got) == 0 {
		t.Errorf("tb-updates' cache after dnf with it disabled: %v, before %v", got, cached)
	}
	kept, sts := h.Keep(native)
	if len(kept) != len(native) || len(sts) != 2 {
		t.Errorf("Keep left out %d versions, statuses %+v", len(native)-len(kept), sts)
	}
	if d := diffViews(views(rep.Patches, false), views(kept, false)); d != "" || len(kept) == 0 {
		t.Errorf("%d versions; the backends disagree:\n%s", len(kept), d)
	}
	for _, p := range kept {
		if p.Candidate || p.Repository != "tb-base" || p.Classification != "" {
			t.Errorf("%s: %+v, want the installed version from tb-base, unclassified", p.NEVRA(), p)
		}
	}
	t.Logf("%d installed versions agree, tb-updates disabled", len(kept))

	// dnf asked about every repository
	if _, err := dnf.NativeUpdates(t.Context(), l, inv, nopts...); err == nil || !strings.Contains(err.Error(), "no cache for 'tb-updates'") {
		t.Fatalf("dnf asked about every repository: %v, want it to refuse tb-updates' cache", err)
	}
	t.Logf("tb-updates' cached repodata after dnf refused it: %d of %d files left", len(repodata()), len(cached))
}
