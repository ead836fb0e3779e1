package dnf_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
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
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

const nativeInstalledDir = "../../testdata/dnf/native-installed"

// The recordings of testdata/dnf/native-installed, in the order
// NativeUpdates runs them (after rpm -qa).
var nativeInstalledFiles = []string{"rpm-qa.txt", "repoquery-upgrades.txt", "check-update.txt",
	"updateinfo-list-all.txt", "updateinfo-info-all.txt", "repoquery-available.txt"}

// compareInstalled requires the two backends to agree on a root: the
// metadata backend with WithInstalledVersions (meta, IssuedFirst; metaUpd,
// UpdatedFirst) and NativeUpdates with NativeInstalledVersions (native).
// Every version (newer and installed) with the same repository, candidate
// mark, Security, Classification, Severity, advisory, CVE and bugzilla
// IDs; the dates of the versions a notice ships equal under UpdatedFirst
// (dnf prints the later of a notice's two dates); no date natively for a
// version without a notice (dnf prints no build time to the second). It
// returns the installed versions native returned, and requires them to be
// want.
func compareInstalled(t *testing.T, what string, inv []patchkit.Package, meta, metaUpd, native []patchkit.Patch, want []string) map[string]patchkit.Patch {
	t.Helper()
	if d := diffViews(views(meta, false), views(native, false)); d != "" {
		t.Fatalf("%s: the backends disagree:\n%s", what, d)
	}
	if len(metaUpd) != len(native) {
		t.Fatalf("%s: %d versions with UpdatedFirst, %d natively", what, len(metaUpd), len(native))
	}
	for i, m := range metaUpd {
		n := native[i]
		switch {
		case m.NEVRA() != n.NEVRA():
			t.Fatalf("%s: version %d is %s with UpdatedFirst, %s natively", what, i, m.NEVRA(), n.NEVRA())
		case len(m.AdvisoryIDs) > 0 && !m.ReleaseDate.Equal(n.ReleaseDate):
			t.Errorf("%s: %s dated %v by the metadata (updated first), %v by dnf", what, m.NEVRA(), m.ReleaseDate, n.ReleaseDate)
		case len(m.AdvisoryIDs) == 0 && !n.ReleaseDate.IsZero():
			t.Errorf("%s: %s has no notice but dnf's date %v", what, n.NEVRA(), n.ReleaseDate)
		case n.RebootSuggested:
			t.Errorf("%s: %s: dnf 4 prints no reboot_suggested", what, n.NEVRA())
		}
	}
	got, _ := splitInstalled(native, inv)
	metaGot, _ := splitInstalled(meta, inv)
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) || len(got) != len(metaGot) {
		t.Fatalf("%s: installed versions natively %v (metadata backend %d), want %v", what, keys, len(metaGot), want)
	}
	for k, p := range got {
		if p.Candidate {
			t.Errorf("%s: installed %s is a candidate", what, k)
		}
	}
	return got
}

// bothInstalled runs both backends with the installed versions on root
// (real dnf, cache only; rec records what ran) and compares them.
func bothInstalled(t *testing.T, what, root string, want []string) (map[string]patchkit.Patch, []run.Recording) {
	t.Helper()
	inv := inventory(t, root)
	now := repomdDate(t, root).Add(time.Hour)
	check := func(rule dnf.DateRule) []patchkit.Patch {
		rep, err := dnf.Check(t.Context(), os.DirFS(root), inv, dnf.WithArch("x86_64"), dnf.WithNow(now),
			dnf.WithDateRule(rule), dnf.WithInstalledVersions(true))
		if err != nil {
			t.Fatal(err)
		}
		return rep.Patches
	}
	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	rec := run.NewRecorder(local, func(run.Command) string { return what })
	native, err := dnf.NativeUpdates(t.Context(), rec, inv, append(nativeOpts(t, root), dnf.NativeInstalledVersions(true), dnf.NativeArch("x86_64"))...)
	if err != nil {
		t.Fatal(err)
	}
	recs := rec.Recordings()
	if len(recs) != 5 {
		t.Fatalf("%s: %d dnf runs, want 5", what, len(recs))
	}
	got := compareInstalled(t, what, inv, check(dnf.IssuedFirst), check(dnf.UpdatedFirst), native, want)
	t.Logf("%s: %d versions agree, %d of them installed", what, len(native), len(got))
	return got, recs
}

// TestTestbedDnfNativeInstalled: on a copy of the testbed's dnf root,
// NativeUpdates with NativeInstalledVersions returns the installed
// versions the metadata backend returns with WithInstalledVersions, with
// the same classification. First after real dnf upgrades tb-lib to its
// security update and rpm installs kernel-tb 5.1-1 beside 5.0-1 (rpm, not
// dnf: the testbed's kernels share a file); then with includepkgs; then
// with tb-base at a better priority and excludes of [main] (by NEVRA) and
// of tb-base (by name), which dnf applies to repoquery --available as the
// metadata backend applies them; then with tb-base disabled.
func TestTestbedDnfNativeInstalled(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	testutil.NeedTool(t, "rpm", "rpm")
	c := env.Clone(t)
	t.Parallel()
	const conf, repos = "etc/dnf/dnf.conf", "etc/yum.repos.d/testbed.repo"
	for _, cmd := range []*exec.Cmd{
		exec.CommandContext(t.Context(), "dnf", append(append([]string{"-y", "-q"}, c.DNFArgs()...), "upgrade", "tb-lib")...),
		exec.CommandContext(t.Context(), "rpm", "--root", c.RPMRoot, "-i", "--replacefiles", c.RPMURL+"/updates/kernel-tb-5.1-1.noarch.rpm"),
	} {
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
		}
	}
	got, recs := bothInstalled(t, "tb-lib upgraded, two kernels", c.RPMRoot, []string{"kernel-tb-0:5.0-1.noarch", "kernel-tb-0:5.1-1.noarch",
		"tb-hello-0:1.0-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-0:1.0-1.noarch", "tb-tool-0:3.0-1.noarch"})
	lib := got["tb-lib-1:2.0-2.noarch"]
	if !lib.Security || lib.Classification != "Security" || lib.Severity != "Important" || lib.Repository != "tb-updates" ||
		!slices.Equal(lib.AdvisoryIDs, []string{"TBSA-2026:0001"}) || !slices.Equal(lib.CVEIDs, []string{"CVE-2026-0001"}) {
		t.Errorf("tb-lib 1:2.0-2 installed: %+v", lib)
	}
	if k := got["kernel-tb-0:5.1-1.noarch"]; k.Severity != "Critical" || k.Repository != "tb-updates" {
		t.Errorf("kernel-tb 5.1-1 installed: %+v", k)
	}
	// The installed versions were asked about in one run, by NEVRA.
	if ops := recs[4].Argv[slices.Index(recs[4].Argv, "--")+1:]; len(ops) != 6 || !slices.Contains(ops, "tb-lib-1:2.0-2.noarch") {
		t.Errorf("repoquery --available operands %q", ops)
	}

	setOpt(t, c.RPMRoot, conf, "main", "includepkgs", "tb-lib tb-multi")
	bothInstalled(t, "includepkgs", c.RPMRoot, []string{"tb-lib-1:2.0-2.noarch", "tb-multi-0:1.0-1.noarch"})
	setOpt(t, c.RPMRoot, conf, "main", "includepkgs", "")

	setOpt(t, c.RPMRoot, conf, "main", "exclude", "kernel-tb-0:5.1-1.noarch")
	setOpt(t, c.RPMRoot, repos, "tb-base", "priority", "1")
	setOpt(t, c.RPMRoot, repos, "tb-base", "excludepkgs", "tb-multi")
	bothInstalled(t, "priority and excludes", c.RPMRoot, []string{"kernel-tb-0:5.0-1.noarch", "tb-hello-0:1.0-1.noarch",
		"tb-lib-1:2.0-2.noarch", "tb-tool-0:3.0-1.noarch"})

	setOpt(t, c.RPMRoot, repos, "tb-base", "enabled", "0")
	bothInstalled(t, "tb-base disabled", c.RPMRoot, []string{"tb-lib-1:2.0-2.noarch"})
}

// TestTestbedDnfNativeInstalledMirror: the difference the documentation
// names. With a second repository that has tb-base's packages at a lower
// cost, the metadata backend takes an installed version from it, as dnf
// would reinstall it; dnf's repoquery does not print costs or
// priorities, and NativeUpdates keeps the first repository of its sorted
// output, tb-base. Everything else agrees.
func TestTestbedDnfNativeInstalledMirror(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	c := env.Clone(t)
	t.Parallel()
	p := filepath.Join(c.RPMRoot, "etc/yum.repos.d/testbed.repo")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	mirror := fmt.Sprintf("\n[tb-mirror]\nname=a copy of tb-base\nbaseurl=%s/base\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=%s/RPM-GPG-KEY-testbed\nmetadata_expire=0\ncost=500\n", c.RPMURL, c.RPMURL)
	if err := os.WriteFile(p, append(b, mirror...), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "dnf", append(append([]string{"-y", "-q"}, c.DNFArgs()...), "makecache")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	inv := inventory(t, c.RPMRoot)
	now := repomdDate(t, c.RPMRoot).Add(time.Hour)
	rep, err := dnf.Check(t.Context(), os.DirFS(c.RPMRoot), inv, dnf.WithArch("x86_64"), dnf.WithNow(now),
		dnf.WithDateRule(dnf.UpdatedFirst), dnf.WithInstalledVersions(true))
	if err != nil {
		t.Fatal(err)
	}
	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	native, err := dnf.NativeUpdates(t.Context(), local, inv, append(nativeOpts(t, c.RPMRoot), dnf.NativeInstalledVersions(true))...)
	if err != nil {
		t.Fatal(err)
	}
	metaInst, metaNewer := splitInstalled(rep.Patches, inv)
	natInst, natNewer := splitInstalled(native, inv)
	if d := diffViews(views(metaNewer, false), views(natNewer, false)); d != "" {
		t.Fatalf("newer versions differ:\n%s", d)
	}
	if len(metaInst) != 5 || len(natInst) != 5 {
		t.Fatalf("installed versions: %d by the metadata, %d natively; want 5", len(metaInst), len(natInst))
	}
	for k, m := range metaInst {
		n := natInst[k]
		// Every installed version is one of tb-base's.
		wantMeta, wantNative := "tb-mirror", "tb-base"
		if m.Repository != wantMeta || n.Repository != wantNative {
			t.Errorf("%s: from %s by the metadata, %s natively; want %s and %s", k, m.Repository, n.Repository, wantMeta, wantNative)
		}
		m.Repository = n.Repository
		if d := diffViews(views([]patchkit.Patch{m}, false), views([]patchkit.Patch{n}, false)); d != "" {
			t.Errorf("%s differs beyond its repository:\n%s", k, d)
		}
	}
}

// TestFixtureNativeInstalledRecord writes testdata/dnf/native-installed
// with -update: a copy of the fixture root (testdata/dnf/testbed-root)
// given the rpm database of a copy of the testbed's root, in which rpm
// then records tb-lib 1:2.0-2 as installed (--justdb, the package file
// from the testbed's server), and the rpm -qa and the five dnf runs of
// NativeUpdates with NativeInstalledVersions on it. Without -update it
// does nothing.
func TestFixtureNativeInstalledRecord(t *testing.T) {
	if !*update {
		t.Skip("rewrites testdata/dnf/native-installed with -update")
	}
	env := testbed.Need(t)
	testutil.NeedTool(t, "dnf", "dnf")
	testutil.NeedTool(t, "rpm", "rpm")
	c := env.Clone(t)
	root := filepath.Join(t.TempDir(), "root")
	copyTree(t, fixtureRoot, root)
	copyTree(t, filepath.Join(c.RPMRoot, "var/lib/rpm"), filepath.Join(root, "var/lib/rpm"))
	cmd := exec.CommandContext(t.Context(), "rpm", "--root", root, "-U", "--justdb", "--nodeps", env.RPMURL+"/updates/tb-lib-2.0-2.noarch.rpm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	ver := func(prog string) string {
		b, err := exec.Command(prog, "--version").Output()
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimSpace(first)
	}
	dnfVersion, rpmVersion := "dnf "+ver("dnf"), ver("rpm")
	when := time.Now().UTC().Format(time.DateOnly)
	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	rec := run.NewRecorder(local, func(cmd run.Command) string {
		tool := dnfVersion
		if filepath.Base(cmd.Path) == "rpm" {
			tool = rpmVersion
		}
		return fmt.Sprintf("%s on Debian 12 (bookworm) amd64, %s\na copy (at the path in argv) of testdata/dnf/testbed-root with the testbed root's rpm database, tb-lib 1:2.0-2 recorded installed by rpm -U --justdb\nrecorded by go test -run TestFixtureNativeInstalledRecord -update ./scan/dnf", tool, when)
	})
	inv, err := rpmdb.Query(t.Context(), rec, rpmdb.WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dnf.NativeUpdates(t.Context(), rec, inv, append(nativeOpts(t, root), dnf.NativeInstalledVersions(true))...); err != nil {
		t.Fatal(err)
	}
	recs := rec.Recordings()
	if len(recs) != len(nativeInstalledFiles) {
		t.Fatalf("%d recordings, want %d", len(recs), len(nativeInstalledFiles))
	}
	if err := os.MkdirAll(nativeInstalledDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		b, err := r.Format()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(nativeInstalledDir, nativeInstalledFiles[i]), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadNativeInstalled reads the recordings of testdata/dnf/native-installed.
func loadNativeInstalled(t testing.TB) (inv []patchkit.Package, dnfRuns []run.Recording) {
	t.Helper()
	for _, name := range nativeInstalledFiles {
		b, err := os.ReadFile(filepath.Join(nativeInstalledDir, name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := run.ParseRecording(name, b)
		if err != nil {
			t.Fatal(err)
		}
		if name == "rpm-qa.txt" {
			if inv, err = rpmdb.ParseQuery(r.Stdout); err != nil {
				t.Fatal(err)
			}
			continue
		}
		dnfRuns = append(dnfRuns, r)
	}
	return inv, dnfRuns
}

// TestFixtureNativeInstalled: replaying what dnf printed for the recorded
// root, NativeUpdates with NativeInstalledVersions agrees with the metadata
// backend with WithInstalledVersions on the same root's files, without a
// testbed; the installed security update tb-lib 1:2.0-2 is classified as
// it was as a newer version; gpg-pubkey (no architecture) is not asked
// about. Without the option, the recordings of TestFixtureBackendsAgree
// still replay (nothing more runs).
func TestFixtureNativeInstalled(t *testing.T) {
	inv, recs := loadNativeInstalled(t)
	root := recordedRoot(t, recs[0])
	replay := run.NewReplay(recs...)
	opts := append(nativeOpts(t, root), dnf.NativeInstalledVersions(true), dnf.NativeArch("x86_64"), dnf.NativeProduct("AmazonLinux2023"))
	native, err := dnf.NativeUpdates(context.Background(), replay, inv, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(replay.Calls()); n != 5 {
		t.Fatalf("%d commands run, want 5", n)
	}
	now := repomdDate(t, fixtureRoot).Add(time.Hour)
	check := func(rule dnf.DateRule) []patchkit.Patch {
		rep, err := dnf.Check(context.Background(), os.DirFS(fixtureRoot), inv, dnf.WithArch("x86_64"), dnf.WithNow(now),
			dnf.WithDateRule(rule), dnf.WithInstalledVersions(true), dnf.WithProduct("AmazonLinux2023"))
		if err != nil {
			t.Fatal(err)
		}
		return rep.Patches
	}
	got := compareInstalled(t, "fixture", inv, check(dnf.IssuedFirst), check(dnf.UpdatedFirst), native,
		[]string{"kernel-tb-0:5.0-1.noarch", "tb-hello-0:1.0-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-0:1.0-1.noarch", "tb-tool-0:3.0-1.noarch"})
	lib := got["tb-lib-1:2.0-2.noarch"]
	if !lib.Security || lib.Severity != "Important" || lib.Product != "AmazonLinux2023" || lib.SourceName != "tb-lib" ||
		!lib.ReleaseDate.Equal(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("tb-lib 1:2.0-2 installed: %+v", lib)
	}
	avail := recs[len(recs)-1]
	ops := avail.Argv[slices.Index(avail.Argv, "--")+1:]
	if slices.ContainsFunc(ops, func(s string) bool { return strings.HasPrefix(s, "gpg-pubkey") }) || len(ops) != 5 {
		t.Errorf("repoquery --available asked about %q", ops)
	}
	for _, r := range recs[2:4] {
		if !slices.Contains(r.Argv, "--all") {
			t.Errorf("%v without --all", r.Argv)
		}
	}

	// Without the option the four commands of the plain recordings run,
	// and the installed versions are left out.
	var plainRecs []run.Recording
	for _, n := range []string{"repoquery-upgrades.txt", "check-update.txt", "updateinfo-list.txt", "updateinfo-info.txt"} {
		plainRecs = append(plainRecs, loadRecording(t, n))
	}
	plainReplay := run.NewReplay(plainRecs...)
	plain, err := dnf.NativeUpdates(context.Background(), plainReplay, fixtureInventory(t), nativeOpts(t, recordedRoot(t, plainRecs[0]))...)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(plainReplay.Calls()); n != 4 || len(plain) != 6 {
		t.Fatalf("without the option: %d commands, %d patches; want 4 and 6", n, len(plain))
	}
}

// TestFixtureNativeInstalledErrors: outputs that do not fit are errors
// that name the command and line, never a shorter list.
func TestFixtureNativeInstalledErrors(t *testing.T) {
	inv, recs := loadNativeInstalled(t)
	root := recordedRoot(t, recs[0])
	opts := append(nativeOpts(t, root), dnf.NativeInstalledVersions(true))
	edit := func(i int, f func([]byte) []byte) []run.Recording {
		out := slices.Clone(recs)
		out[i].Stdout = f(bytes.Clone(out[i].Stdout))
		return out
	}
	last := len(recs) - 1
	for _, tc := range []struct {
		name    string
		recs    []run.Recording
		inv     []patchkit.Package
		command string
		line    int
	}{
		{"a field too few", edit(last, func(b []byte) []byte {
			return bytes.Replace(b, []byte("\ttb-base\t"), []byte("\t"), 1)
		}), inv, "repoquery --available", 1},
		{"a bad epoch", edit(last, func(b []byte) []byte {
			l := bytes.SplitAfter(b, []byte("\n"))
			l[1] = bytes.Replace(l[1], []byte("\t0\t"), []byte("\tx\t"), 1)
			return bytes.Join(l, nil)
		}), inv, "repoquery --available", 2},
		{"a stray line in updateinfo list --all", edit(2, func(b []byte) []byte {
			return append(b, "TBSA-2026:0001 Important/Sec.\n"...)
		}), inv, "updateinfo list", bytes.Count(recs[2].Stdout, []byte("\n")) + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dnf.NativeUpdates(context.Background(), run.NewReplay(tc.recs...), tc.inv, opts...)
			var oe *dnf.OutputError
			if !errors.As(err, &oe) || oe.Command != tc.command || oe.Line != tc.line || !errors.Is(err, patchkit.ErrInvalid) {
				t.Fatalf("error %v, want an OutputError of %s at line %d", err, tc.command, tc.line)
			}
		})
	}

	// An installed package whose version rpm could not have written is
	// refused before anything runs.
	bad := slices.Clone(inv)
	bad[1].Version = "1 0"
	replay := run.NewReplay(recs...)
	_, err := dnf.NativeUpdates(context.Background(), replay, bad, opts...)
	var ie *dnf.InstalledError
	if !errors.As(err, &ie) || ie.Index != 1 || len(replay.Calls()) != 0 {
		t.Fatalf("error %v after %d runs, want an InstalledError for installed[1] before any run", err, len(replay.Calls()))
	}

	// A version dnf lists that is not installed (a pattern read another
	// way) is not an installed version.
	odd := edit(last, func(b []byte) []byte {
		return bytes.Replace(b, []byte("tb-tool\t0\t3.0\t1\t"), []byte("tb-tool\t0\t3.0\t2\t"), 1)
	})
	ps, err := dnf.NativeUpdates(context.Background(), run.NewReplay(odd...), inv, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Name == "tb-tool" {
			t.Errorf("tb-tool %s returned, which is not installed", p.EVR())
		}
	}
}
