package zypper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// nativeInstalledVersion returns what NativeInstalledVersions returned
// for the installed version of name, as "NEVRA repository", in order.
func nativeInstalledVersion(s *scenarioRun, name string) []string {
	var out []string
	for _, p := range s.nativeInst {
		if p.Name == name && !p.Candidate {
			out = append(out, p.NEVRA()+" "+p.Repository)
		}
	}
	return out
}

// agreeInstalled checks NativeInstalledVersions against
// WithInstalledVersions on a scenario: the same installed versions (a
// version missing or extra on either side fails), from the same
// repository (zypper is asked with the repositories the metadata backend
// refuses left out), classified field by field alike; the options change
// nothing else (the newer versions are those without them); and zypper's
// own search of the installed names shows each such version installed
// from a repository.
func agreeInstalled(t *testing.T, sc scenario, s *scenarioRun) int {
	t.Helper()
	k := func(p patchkit.Package) scanKey { return scanKey{p.Name, p.Arch, edition(p)} }
	inst := map[scanKey]bool{}
	for _, p := range s.installed {
		if p.Name != "gpg-pubkey" {
			inst[k(p)] = true
		}
	}
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	var cands []patchkit.Patch
	native := map[scanKey]patchkit.Patch{}
	for i, p := range s.nativeInst {
		if i > 0 {
			q := s.nativeInst[i-1]
			if c := cmp3(q, p); c >= 0 {
				t.Errorf("NativeInstalledVersions: %s after %s (want name, arch, newest first)", p.NEVRA(), q.NEVRA())
			}
		}
		if p.Candidate {
			cands = append(cands, p)
			continue
		}
		if !inst[k(p.Package)] {
			t.Errorf("NativeInstalledVersions: %s is not an installed version", p.NEVRA())
			continue
		}
		if _, dup := native[k(p.Package)]; dup {
			t.Errorf("NativeInstalledVersions: %s twice", p.NEVRA())
		}
		native[k(p.Package)] = p
	}
	if js(cands) != js(s.native) {
		t.Errorf("NativeInstalledVersions changes the candidates:\n with    %s\n without %s", js(cands), js(s.native))
	}

	meta := map[scanKey]patchkit.Patch{}
	var others []patchkit.Patch
	for _, p := range s.metaInst.Updates {
		if !p.Candidate && inst[k(p.Package)] {
			meta[k(p.Package)] = p
			continue
		}
		others = append(others, p)
	}
	if js(others) != js(s.meta.Updates) {
		t.Errorf("WithInstalledVersions changes the newer versions:\n with    %s\n without %s", js(others), js(s.meta.Updates))
	}

	n := 0
	for key, m := range meta {
		nv, ok := native[key]
		if !ok {
			t.Errorf("WithInstalledVersions returns %v from %s; NativeInstalledVersions does not", key, m.Repository)
			continue
		}
		if m.Repository != nv.Repository {
			t.Errorf("installed %v: repository %s, zypper %s", key, m.Repository, nv.Repository)
			continue
		}
		mc, nc := m, nv
		mc.Package, nc.Package = patchkit.Package{}, patchkit.Package{}
		if fmt.Sprintf("%+v", mc) != fmt.Sprintf("%+v", nc) {
			t.Errorf("installed %s classified differently:\n metadata %+v\n zypper   %+v", nv.NEVRA(), mc, nc)
			continue
		}
		n++
	}
	for key, nv := range native {
		if _, ok := meta[key]; !ok {
			t.Errorf("NativeInstalledVersions returns %v from %s; WithInstalledVersions does not", key, nv.Repository)
		}
		if !slices.ContainsFunc(s.search.Solvables, func(sv Solvable) bool {
			return sv.Status == "installed" && sv.Name == key.name && sv.Arch == key.arch && sv.Repository != systemRepo &&
				strings.TrimPrefix(sv.Edition, "0:") == strings.TrimPrefix(key.ed, "0:")
		}) {
			t.Errorf("zypper search --match-exact %s shows no installed %v from a repository", key.name, key)
		}
	}
	return n
}

// cmp3 orders patches by name, architecture, then newest first.
func cmp3(a, b patchkit.Patch) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := strings.Compare(a.Arch, b.Arch); c != 0 {
		return c
	}
	return cmpEVR(b.Package, a.Package)
}

// recordedScenario loads a scenario's recordings and the root they were
// made on.
func recordedScenario(t *testing.T, name string) (string, []run.Recording) {
	t.Helper()
	m, recs, _ := loadScenario(t, name)
	return m.Root, recs
}

// recordingOf returns the recording whose arguments contain all of args.
func recordingOf(t *testing.T, recs []run.Recording, args ...string) run.Recording {
	t.Helper()
	for _, r := range recs {
		ok := true
		for _, a := range args {
			ok = ok && slices.Contains(r.Argv, a)
		}
		if ok {
			return r
		}
	}
	t.Fatalf("no recording with %v", args)
	return run.Recording{}
}

// TestParseRepos reads the recorded `zypper --xmlout repos` of the
// repo-names scenario: four repositories, two named tb-base, a disabled
// one named tb-updates.
func TestParseRepos(t *testing.T) {
	_, recs := recordedScenario(t, "repo-names")
	r := recordingOf(t, recs, "repos")
	st, err := ParseStream("repos", bytes.NewReader(r.Stdout))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range st.Repos {
		got = append(got, fmt.Sprintf("%s %s %d %v", e.Alias, e.Name, e.Priority, e.Enabled))
		if e.Line == 0 {
			t.Errorf("%s: no line", e.Alias)
		}
	}
	want := []string{"tb-base tb-base 99 true", "tb-off tb-updates 99 false", "tb-same tb-base 50 true", "tb-updates tb-updates 99 true"}
	if !slices.Equal(got, want) {
		t.Errorf("repos %v, want %v", got, want)
	}
}

// TestParseSearchInstalledOnly reads the recorded `search -s -t package
// --installed-only` of the arch scenario: tb-arch, which no repository
// has, is "(System Packages)".
func TestParseSearchInstalledOnly(t *testing.T) {
	_, recs := recordedScenario(t, "arch")
	r := recordingOf(t, recs, "--installed-only")
	st, err := ParseStream("search", bytes.NewReader(r.Stdout))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sv := range st.Solvables {
		got = append(got, sv.Status+" "+sv.Name+"-"+sv.Edition+"."+sv.Arch+" "+sv.Repository)
	}
	want := []string{
		"installed kernel-tb-5.0-1.noarch tb-base", "installed tb-arch-1.0-1.x86_64 (System Packages)", "installed tb-hello-1.0-1.noarch tb-base",
		"installed tb-lib-1:2.0-1.noarch tb-base", "installed tb-multi-1.0-1.noarch tb-base", "installed tb-tool-3.0-1.noarch tb-base",
	}
	if !slices.Equal(got, want) {
		t.Errorf("search --installed-only:\n%q\nwant\n%q", got, want)
	}
}

// TestNativeInstalledVersionsCommands runs NativeUpdates on the
// repo-names recordings with and without the option: without it, no
// command more than before; with it, repos, one search --installed-only,
// and one search --repo for each of the two enabled repositories named
// tb-base (not for the disabled tb-off).
func TestNativeInstalledVersionsCommands(t *testing.T) {
	root, recs := recordedScenario(t, "repo-names")
	ctx := t.Context()
	installed, err := rpmdb.Query(ctx, run.NewReplay(recs...), rpmdb.WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	subs := func(rp *run.Replay) []string {
		var out []string
		for _, c := range rp.Calls() {
			a := c.Argv()
			i := slices.Index(a, root)
			out = append(out, strings.Join(a[i+1:], " "))
		}
		return out
	}
	rp := run.NewReplay(recs...)
	without, err := NativeUpdates(ctx, rp, installed, NativeRoot(root), NativeInstalledVersions(false))
	if err != nil {
		t.Fatal(err)
	}
	if got := subs(rp); len(got) != 3 || got[0] != "list-updates" || got[1] != "list-patches --all" || !strings.HasPrefix(got[2], "info -t patch -- ") {
		t.Errorf("without the option: %q", got)
	}
	for _, p := range without {
		if !p.Candidate {
			t.Errorf("without the option: %s", p.NEVRA())
		}
	}
	rp = run.NewReplay(recs...)
	with, err := NativeUpdates(ctx, rp, installed, NativeRoot(root), NativeInstalledVersions(true), NativeProduct("OpenSUSE15.5"))
	if err != nil {
		t.Fatal(err)
	}
	got := subs(rp)
	want := []string{"repos", "search -s -t package --installed-only", "search -s -t package --installed-only --repo tb-same", "search -s -t package --installed-only --repo tb-base"}
	if len(got) != 3+len(want) || !slices.Equal(got[3:], want) {
		t.Errorf("with the option: %q, want list-updates, list-patches, info, then %q", got, want)
	}
	var inst []string
	for _, p := range with {
		if !p.Candidate {
			inst = append(inst, p.NEVRA()+" "+p.Repository+" "+p.Product)
		}
	}
	wantInst := []string{"kernel-tb-0:5.0-1.noarch tb-base OpenSUSE15.5", "tb-hello-0:1.0-1.noarch tb-base OpenSUSE15.5",
		"tb-lib-1:2.0-1.noarch tb-base OpenSUSE15.5", "tb-multi-0:1.0-1.noarch tb-same OpenSUSE15.5", "tb-tool-0:3.0-1.noarch tb-base OpenSUSE15.5"}
	if !slices.Equal(inst, wantInst) {
		t.Errorf("installed versions %q, want %q", inst, wantInst)
	}
}

// TestNativeInstalledVersionsErrors feeds NativeUpdates the recordings of
// the repo-names scenario with one output changed: each is an
// *OutputError naming the command and the line.
func TestNativeInstalledVersionsErrors(t *testing.T) {
	root, recs := recordedScenario(t, "repo-names")
	ctx := t.Context()
	installed, err := rpmdb.Query(ctx, run.NewReplay(recs...), rpmdb.WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	// line of the first occurrence of s in the recording's output
	lineOf := func(r run.Recording, s string) int {
		i := bytes.Index(r.Stdout, []byte(s))
		if i < 0 {
			t.Fatalf("%q not in the recording", s)
		}
		return 1 + bytes.Count(r.Stdout[:i], []byte("\n"))
	}
	for _, tc := range []struct {
		name     string
		args     []string // the recording changed
		old, new string
		msg      string // in the error
	}{
		{"priority", []string{"repos"}, `alias="tb-same" name="tb-base" type="rpm-md" priority="50"`, `alias="tb-same" name="tb-base" type="rpm-md" priority="high"`, `priority="high"> is not a priority`},
		{"enabled", []string{"repos"}, `priority="50" enabled="1"`, `priority="50" enabled="yes"`, `enabled="yes"> is not 0 or 1`},
		{"no alias", []string{"repos"}, `<repo alias="tb-same"`, `<repo alias=""`, "<repo> without an alias"},
		{"dash alias", []string{"repos"}, `<repo alias="tb-same"`, `<repo alias="-tb-same"`, `starts with '-'`},
		{"malformed", []string{"repos"}, `<repo alias="tb-same"`, `<repo alias="tb-same`, "malformed XML"},
		{"unknown repository", []string{"search", "--installed-only", "-s"}, `name="tb-tool" kind="package" edition="3.0-1" arch="noarch" repository="tb-base"`, `name="tb-tool" kind="package" edition="3.0-1" arch="noarch" repository="tb-gone"`, `repository "tb-gone" is not an enabled repository's name`},
		{"edition", []string{"--repo", "tb-same"}, `edition="1.0-1"`, `edition="1.0-1-x"`, "installed package tb-multi"},
		{"arch", []string{"--repo", "tb-base"}, `name="tb-tool" kind="package" edition="3.0-1" arch="noarch"`, `name="tb-tool" kind="package" edition="3.0-1" arch=""`, "installed package tb-tool"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := slices.Clone(recs)
			line := 0
			for i, r := range changed {
				if !slices.Equal(r.Argv, recordingOf(t, recs, tc.args...).Argv) {
					continue
				}
				line = lineOf(r, tc.old)
				r.Stdout = bytes.Replace(slices.Clone(r.Stdout), []byte(tc.old), []byte(tc.new), 1)
				changed[i] = r
			}
			_, err := NativeUpdates(ctx, run.NewReplay(changed...), installed, NativeRoot(root), NativeInstalledVersions(true))
			var oe *OutputError
			if !errors.As(err, &oe) || !errors.Is(err, patchkit.ErrInvalid) {
				t.Fatalf("err %v (%T), want an *OutputError", err, err)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err %q lacks %q", err, tc.msg)
			}
			if oe.Line != line {
				t.Errorf("err %q: line %d, want %d", err, oe.Line, line)
			}
			if !strings.Contains(oe.Source, "zypper") || !strings.Contains(oe.Source, tc.args[0]) {
				t.Errorf("err %q: source %q does not name the command", err, oe.Source)
			}
		})
	}
}

// TestNativeInstalledVersionsInventory: an installed version zypper shows
// that the inventory lacks is logged and left out; with no inventory,
// every installed version zypper shows comes back.
func TestNativeInstalledVersionsInventory(t *testing.T) {
	root, recs := recordedScenario(t, "updated")
	ctx := t.Context()
	installed, err := rpmdb.Query(ctx, run.NewReplay(recs...), rpmdb.WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	count := func(ps []patchkit.Patch) (names []string) {
		for _, p := range ps {
			if !p.Candidate {
				names = append(names, p.Name)
			}
		}
		return names
	}
	all, err := NativeUpdates(ctx, run.NewReplay(recs...), nil, NativeRoot(root), NativeInstalledVersions(true))
	if err != nil {
		t.Fatal(err)
	}
	if got := count(all); !slices.Equal(got, []string{"kernel-tb", "tb-hello", "tb-lib", "tb-multi", "tb-tool"}) {
		t.Errorf("no inventory: %v", got)
	}
	var fewer []patchkit.Package
	for _, p := range installed {
		if p.Name != "tb-tool" {
			fewer = append(fewer, p)
		}
	}
	var log bytes.Buffer
	got, err := NativeUpdates(ctx, run.NewReplay(recs...), fewer, NativeRoot(root), NativeInstalledVersions(true),
		NativeLogger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if n := count(got); !slices.Equal(n, []string{"kernel-tb", "tb-hello", "tb-lib", "tb-multi"}) {
		t.Errorf("inventory without tb-tool: %v", n)
	}
	if !strings.Contains(log.String(), "inventory lacks") || !strings.Contains(log.String(), "tb-tool-0:3.0-1.noarch") {
		t.Errorf("log %q", log.String())
	}
}
