package zypper

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// agreeAllVersions checks NativeUpdates with NativeInstalledVersions and
// NativeAllVersions against Read with WithInstalledVersions (diffAll),
// and that the candidates and installed versions are those of
// NativeInstalledVersions alone.
func agreeAllVersions(t *testing.T, sc scenario, s *scenarioRun) int {
	t.Helper()
	k := func(p patchkit.Package) scanKey { return scanKey{p.Name, p.Arch, edition(p)} }
	native := map[scanKey]patchkit.Patch{}
	for _, p := range s.nativeAll {
		native[k(p.Package)] = p
	}
	for _, p := range s.nativeInst {
		n, ok := native[k(p.Package)]
		if !ok || fmt.Sprintf("%+v", n) != fmt.Sprintf("%+v", p) {
			t.Errorf("NativeAllVersions changes %s:\n with    %+v\n without %+v", p.NEVRA(), n, p)
		}
	}
	n, diffs := diffAll(s.metaInst.Updates, s.nativeAll)
	for _, d := range diffs {
		t.Error(d)
	}
	return n
}

// diffAll compares the metadata backend's versions with the native
// backend's: the same set of versions (name, architecture, edition), each
// with the same fields but the package (Candidate, classification,
// product) and the same repository, the native
// list ordered by name, architecture, newest first, each once. It returns
// the number of versions that agree and every difference.
func diffAll(meta, native []patchkit.Patch) (int, []string) {
	k := func(p patchkit.Package) scanKey { return scanKey{p.Name, p.Arch, edition(p)} }
	var diffs []string
	nat := map[scanKey]patchkit.Patch{}
	for i, p := range native {
		if i > 0 {
			if q := native[i-1]; cmp3(q, p) >= 0 {
				diffs = append(diffs, fmt.Sprintf("native: %s after %s (want name, arch, newest first)", p.NEVRA(), q.NEVRA()))
			}
		}
		if _, dup := nat[k(p.Package)]; dup {
			diffs = append(diffs, fmt.Sprintf("native: %s twice", p.NEVRA()))
		}
		nat[k(p.Package)] = p
	}
	met := map[scanKey]patchkit.Patch{}
	for _, p := range meta {
		met[k(p.Package)] = p
	}
	n := 0
	for _, m := range meta {
		key := k(m.Package)
		nv, ok := nat[key]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("missing: the metadata backend returns %v (candidate %v) from %s; the native backend does not", key, m.Candidate, m.Repository))
			continue
		}
		if m.Repository != nv.Repository {
			diffs = append(diffs, fmt.Sprintf("%v: repository %s, native %s", key, m.Repository, nv.Repository))
			continue
		}
		mc, nc := m, nv
		mc.Package, nc.Package = patchkit.Package{}, patchkit.Package{}
		if fmt.Sprintf("%+v", mc) != fmt.Sprintf("%+v", nc) {
			diffs = append(diffs, fmt.Sprintf("%v classified differently:\n metadata %+v\n native   %+v", key, mc, nc))
			continue
		}
		n++
	}
	for _, nv := range native {
		if key := k(nv.Package); !hasKey(met, key) {
			diffs = append(diffs, fmt.Sprintf("extra: the native backend returns %v (candidate %v) from %s; the metadata backend does not", key, nv.Candidate, nv.Repository))
		}
	}
	return n, diffs
}

func hasKey[V any](m map[scanKey]V, k scanKey) bool { _, ok := m[k]; return ok }

// allVersionsRun replays the recorded scenario name, with edit applied to
// the stdout of the recorded `search -s --match-exact -t package`
// (without --repo), and returns the installed versions, the metadata
// backend's versions (WithInstalledVersions), and what NativeUpdates with
// NativeInstalledVersions and NativeAllVersions gives.
func allVersionsRun(t *testing.T, name string, edit func(string) string) (installed []patchkit.Package, meta *Result, native []patchkit.Patch, nativeErr error) {
	t.Helper()
	m, recs, _ := loadScenario(t, name)
	edited := 0
	for i, r := range recs {
		if slices.Contains(r.Argv, "--match-exact") && !slices.Contains(r.Argv, "--repo") && edit != nil {
			recs[i].Stdout = []byte(edit(string(r.Stdout)))
			edited++
		}
	}
	if edit != nil && edited != 1 {
		t.Fatalf("%d recordings of search --match-exact in %s, want 1", edited, name)
	}
	rp := run.NewReplay(recs...)
	ctx := t.Context()
	var err error
	if installed, err = rpmdb.Query(ctx, rp, rpmdb.WithRoot(m.Root)); err != nil {
		t.Fatal(err)
	}
	fsys := os.DirFS(filepath.Join(scenarioDir, name, "root"))
	if meta, err = Read(ctx, fsys, installed, WithArch(m.Arch), WithNow(m.Now), WithKeyring(keysFromRecording(t, recs)), WithInstalledVersions(true)); err != nil {
		t.Fatal(err)
	}
	native, nativeErr = NativeUpdates(ctx, rp, installed, NativeRoot(m.Root), NativeInstalledVersions(true), NativeAllVersions(true))
	return installed, meta, native, nativeErr
}

const multi12 = `<solvable status="other-version" name="tb-multi" kind="package" edition="1.2-1" arch="noarch" repository="tb-updates"/>` + "\n"

// TestNativeAllVersionsOlderNewer: on the testbed, tb-multi 1.0-1 is
// installed and tb-updates has 1.1-1 (bugfix), 1.2-1 (security,
// Moderate) and 1.3-1 (enhancement, zypper's candidate). Without the
// option only 1.3-1 comes back; with it 1.1-1 and 1.2-1 too, Candidate
// false, classified by their own patches, as Updates gives them.
func TestNativeAllVersionsOlderNewer(t *testing.T) {
	_, meta, native, err := allVersionsRun(t, "testbed", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range native {
		if p.Name == "tb-multi" {
			got = append(got, fmt.Sprintf("%s candidate=%v %s %s %v", p.EVR(), p.Candidate, p.Classification, p.Severity, p.AdvisoryIDs))
		}
	}
	want := []string{
		"0:1.3-1 candidate=true Enhancement  [TBEA-2026:0006]",
		"0:1.2-1 candidate=false Security Moderate [TBSA-2026:0005]",
		"0:1.1-1 candidate=false Bugfix  [TBBA-2026:0004]",
		"0:1.0-1 candidate=false   []",
	}
	if !slices.Equal(got, want) {
		t.Errorf("tb-multi:\n got  %q\n want %q", got, want)
	}
	if n, diffs := diffAll(meta.Updates, native); len(diffs) != 0 || n != len(meta.Updates) {
		t.Errorf("%d of %d agree: %v", n, len(meta.Updates), diffs)
	}
}

// TestNativeAllVersionsOneMissingOrExtra: the comparison the scenarios
// use finds one version missing from, or added to, zypper's answer.
func TestNativeAllVersionsOneMissingOrExtra(t *testing.T) {
	_, meta, native, err := allVersionsRun(t, "testbed", func(s string) string {
		if !strings.Contains(s, multi12) {
			t.Fatal("the recording lacks tb-multi 1.2-1")
		}
		return strings.Replace(s, multi12, "", 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, diffs := diffAll(meta.Updates, native)
	if len(diffs) != 1 || !strings.HasPrefix(diffs[0], "missing:") || !strings.Contains(diffs[0], "tb-multi noarch 1.2-1") {
		t.Errorf("tb-multi 1.2-1 left out of zypper's search: differences %q, want the one missing version", diffs)
	}

	_, meta, native, err = allVersionsRun(t, "testbed", func(s string) string {
		return strings.Replace(s, multi12, multi12+strings.Replace(multi12, "1.2-1", "1.2.5-1", 1), 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, diffs = diffAll(meta.Updates, native)
	if len(diffs) != 1 || !strings.HasPrefix(diffs[0], "extra:") || !strings.Contains(diffs[0], "tb-multi noarch 1.2.5-1") {
		t.Errorf("tb-multi 1.2.5-1 added to zypper's search: differences %q, want the one extra version", diffs)
	}
}

// TestNativeAllVersionsOutputErrors: a solvable of the search that does
// not parse, that names a repository zypper repos does not list enabled,
// or a name that was not asked for, is an *OutputError naming the search
// and the line.
func TestNativeAllVersionsOutputErrors(t *testing.T) {
	for _, tc := range []struct {
		name, repl, want string
	}{
		{"edition", strings.Replace(multi12, `"1.2-1"`, `"1.2-"`, 1), "package tb-multi"},
		{"repository", strings.Replace(multi12, `"tb-updates"`, `"tb-nowhere"`, 1), `repository "tb-nowhere" is not an enabled repository's name`},
		{"name", strings.Replace(multi12, `"tb-multi"`, `"tb-other"`, 1), "none of the names asked for"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := 0
			_, _, native, err := allVersionsRun(t, "testbed", func(s string) string {
				i := strings.Index(s, multi12)
				if i < 0 {
					t.Fatal("the recording lacks tb-multi 1.2-1")
				}
				line = strings.Count(s[:i], "\n") + 1
				return s[:i] + tc.repl + s[i+len(multi12):]
			})
			var oe *OutputError
			if !errors.As(err, &oe) {
				t.Fatalf("NativeUpdates: %v, %d versions; want an *OutputError", err, len(native))
			}
			if native != nil || oe.Line != line || !strings.Contains(oe.Source, "--match-exact") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v (line %d, %d versions), want line %d of the search, %q", err, oe.Line, len(native), line, tc.want)
			}
		})
	}
}

// TestNativeAllVersionsOff: without the option no search --match-exact
// runs, and the answer is NativeInstalledVersions'.
func TestNativeAllVersionsOff(t *testing.T) {
	m, _, rp := loadScenario(t, "testbed")
	installed, err := rpmdb.Query(t.Context(), rp, rpmdb.WithRoot(m.Root))
	if err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{false, true} {
		if _, err := NativeUpdates(t.Context(), rp, installed, NativeRoot(m.Root), NativeAllVersions(on)); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, c := range rp.Calls() {
		if slices.Contains(c.Args, "--match-exact") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d searches --match-exact for one call with the option and one without, want 1", n)
	}
}

// TestNativeAllVersionsBadName: an inventory name that cannot be a search
// operand is refused before zypper runs.
func TestNativeAllVersionsBadName(t *testing.T) {
	m, _, rp := loadScenario(t, "testbed")
	installed, err := rpmdb.Query(t.Context(), rp, rpmdb.WithRoot(m.Root))
	if err != nil {
		t.Fatal(err)
	}
	bad := installed[0]
	bad.Name = "tb-*"
	_, err = NativeUpdates(t.Context(), rp, append(slices.Clone(installed), bad), NativeRoot(m.Root), NativeAllVersions(true))
	var oe *OptionError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), `"tb-*"`) {
		t.Errorf("got %v, want an *OptionError naming tb-*", err)
	}
}

func TestChunkNames(t *testing.T) {
	names := []string{"a", "bb", "ccc", "dddd", "e", "ffffffffff"}
	for _, max := range []int{1, 3, 5, 8, 100} {
		chunks := chunkNames(names, max)
		var all []string
		for _, c := range chunks {
			n := 0
			for _, s := range c {
				n += len(s) + 1
			}
			if len(c) == 0 || n > max && len(c) > 1 {
				t.Errorf("max %d: chunk %q", max, c)
			}
			all = append(all, c...)
		}
		if !slices.Equal(all, names) {
			t.Errorf("max %d: %q", max, chunks)
		}
	}
	if c := chunkNames(names, 100); len(c) != 1 {
		t.Errorf("%d chunks within 100 bytes, want 1", len(c))
	}
}
