package zypper

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/run"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/zypper/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSaltCaptures parses the zypper --xmlout outputs saltstack/salt's
// unit tests keep (SUSE Linux Enterprise 12).
func TestSaltCaptures(t *testing.T) {
	ups, err := ParseListUpdates("salt zypper-updates.xml", bytes.NewReader(readTestdata(t, "salt/zypper-updates.xml")))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SUSEConnect-0:0.2.33-7.1.x86_64", "bind-libs-0:9.9.6P1-35.1.x86_64", "bind-utils-0:9.9.6P1-35.1.x86_64"}
	var got []string
	for _, p := range ups {
		got = append(got, p.NEVRA())
		if p.Repository != "SLE12-SP1-x86_64-Update" {
			t.Errorf("%s: repository %q", p.NEVRA(), p.Repository)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
	st, err := ParseStream("salt zypper-updates.xml", bytes.NewReader(readTestdata(t, "salt/zypper-updates.xml")))
	if err != nil || len(st.Messages) != 2 || st.Updates[0].Summary != "Utility to register a system with the SUSE Customer Center  " || st.Updates[2].RepoURL != "http://scc.suse.de/SLE-SERVER/12-SP1/x86_64/update/" {
		t.Errorf("%+v %v", st, err)
	}

	st, err = ParseStream("salt zypper-patches.xml", bytes.NewReader(readTestdata(t, "salt/zypper-patches.xml")))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Solvables) != 3 || st.Solvables[1].Status != "installed" || st.Solvables[2].Name != "SUSE-SLE-SERVER-12-SP2-2017-99" || st.Solvables[0].Kind != "patch" {
		t.Errorf("%+v", st.Solvables)
	}
}

// TestOsconfigCaptures parses the zypper tables GoogleCloudPlatform/osconfig
// keeps from SUSE Linux Enterprise 12 SP5 and 15 SP5 machines.
func TestOsconfigCaptures(t *testing.T) {
	ups, err := ParseListUpdatesTable("sles_12_zypper_list_updates.stdout", bytes.NewReader(readTestdata(t, "osconfig/sles_12_zypper_list_updates.stdout")))
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 21 {
		t.Fatalf("%d updates, want 21", len(ups))
	}
	first, last := ups[0], ups[20]
	if first.Name != "autofs" || first.RepoName != "SLES12-SP5-Updates" || first.EditionOld != "5.1.3-3.14.1" || first.Edition != "5.1.3-3.17.1" || first.Arch != "x86_64" ||
		last.Name != "vim-data-common" || last.Arch != "noarch" {
		t.Errorf("first %+v, last %+v", first, last)
	}
	for _, u := range ups {
		if _, err := packageOf(u.Name, u.Edition, u.Arch); err != nil {
			t.Errorf("%s: %v", u.Name, err)
		}
	}

	ps, err := ParseListPatchesTable("sles_15_zypper_patches", bytes.NewReader(readTestdata(t, "osconfig/sles_15_zypper_patches")))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range ps {
		count[p.Status]++
		if _, err := patchOfUpdate("osconfig", p); err != nil {
			t.Error(err)
		}
	}
	// 47 patches: 9 needed, 3 optional, 13 applied, 21 not needed, 1
	// retracted (counted in the capture with grep)
	if len(ps) != 47 || count["needed"] != 9 || count["optional"] != 3 || count["applied"] != 13 || count["not-needed"] != 21 || count["retracted"] != 1 {
		t.Errorf("%d patches, statuses %v", len(ps), count)
	}
	i := slices.IndexFunc(ps, func(u Update) bool { return u.Name == "SUSE-SLE-Module-Basesystem-15-SP5-2023-3704" })
	if i < 0 || ps[i].Status != "retracted" || !ps[i].Restart || !ps[i].Interactive || ps[i].Category != "security" {
		t.Errorf("the retracted kernel patch: %+v", ps[i])
	}
	j := slices.IndexFunc(ps, func(u Update) bool { return u.Name == "SUSE-SLE-Module-Basesystem-15-SP5-2023-3973" })
	if j < 0 || !ps[j].PkgManager || ps[j].Interactive {
		t.Errorf("the zypper update-stack patch: %+v", ps[j])
	}
	if !strings.HasPrefix(ps[46].Summary, "Security update for grpc, protobuf,") || !strings.HasSuffix(ps[46].Summary, "python-websockets") {
		t.Errorf("last summary %q", ps[46].Summary)
	}
}

// TestTablesMatchXML: on the testbed's recorded runs, the table and XML
// forms of list-updates and list-patches --all say the same.
func TestTablesMatchXML(t *testing.T) {
	_, recs, _ := loadScenario(t, "testbed")
	out := map[string][]byte{}
	for _, r := range recs {
		out[recordingLabel(r)] = r.Stdout
	}
	tu, err := ParseListUpdatesTable("table", bytes.NewReader(out["zypper-list-updates-table"]))
	if err != nil {
		t.Fatal(err)
	}
	xu, err := ParseListUpdates("xml", bytes.NewReader(out["zypper-list-updates"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(tu) != len(xu) || len(tu) == 0 {
		t.Fatalf("%d table rows, %d XML updates", len(tu), len(xu))
	}
	for i := range tu {
		p, err := packageOf(tu[i].Name, tu[i].Edition, tu[i].Arch)
		if err != nil || p.NEVRA() != xu[i].NEVRA() || tu[i].RepoName != xu[i].Repository {
			t.Errorf("row %d: %+v, XML %s from %s", i, tu[i], xu[i].NEVRA(), xu[i].Repository)
		}
	}
	tp, err := ParseListPatchesTable("table", bytes.NewReader(out["zypper-list-patches-table"]))
	if err != nil {
		t.Fatal(err)
	}
	xp, err := ParseListPatches("xml", bytes.NewReader(out["zypper-list-patches"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(tp) != len(xp) || len(tp) != 7 {
		t.Fatalf("%d table rows, %d XML patches", len(tp), len(xp))
	}
	for _, x := range xp {
		i := slices.IndexFunc(tp, func(u Update) bool { return u.Name == x.Name })
		if i < 0 {
			t.Errorf("%s not in the table", x.Name)
			continue
		}
		u := tp[i]
		if Status(u.Status) != x.Status || u.Category != x.Category || normSeverity(u.Severity) != x.Severity || u.Restart != x.RebootSuggested || u.RepoName != x.Repository {
			t.Errorf("%s: table %+v, XML %+v", x.Name, u, x)
		}
	}
}

// TestRecordedOutputs parses every recorded zypper --xmlout output of the
// scenarios.
func TestRecordedOutputs(t *testing.T) {
	for _, sc := range scenarios() {
		_, recs, _ := loadScenario(t, sc.name)
		for _, r := range recs {
			if !slices.Contains(r.Argv, "--xmlout") {
				continue
			}
			st, err := ParseStream(recordingLabel(r), bytes.NewReader(r.Stdout))
			if err != nil {
				t.Errorf("%s %s: %v", sc.name, recordingLabel(r), err)
				continue
			}
			if len(st.Updates)+len(st.Solvables)+len(st.Messages)+len(st.Repos) == 0 {
				t.Errorf("%s %s: nothing parsed", sc.name, recordingLabel(r))
			}
		}
	}
}

func TestParseStreamErrors(t *testing.T) {
	for _, c := range []struct{ name, in, msg string }{
		{"not XML", "zypper: command not found\n", "malformed XML"},
		{"other root", "<?xml version='1.0'?><result/>", "root element"},
		{"DTD", `<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY x "y">]><stream/>`, "document type"},
		{"update without name", `<stream><update-status><update-list><update kind="package" edition="1-1"/></update-list></update-status></stream>`, "without a kind, name or edition"},
		{"update outside a list", `<stream><update kind="package" name="a" edition="1-1"/></stream>`, "outside an update list"},
		{"bad flag", `<stream><update-status><update-list><update kind="patch" name="a" edition="1" restart="perhaps"/></update-list></update-status></stream>`, "not true or false"},
		{"bad time", `<stream><update-status><update-list><update kind="patch" name="a" edition="1"><issue-date time_t="soon"/></update></update-list></update-status></stream>`, "not a Unix time"},
		{"truncated", `<stream><update-status><update-list>`, "malformed XML"},
		{"deep", "<stream>" + strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40) + "</stream>", "depth"},
		{"solvable without name", `<stream><search-result><solvable-list><solvable kind="package"/></solvable-list></search-result></stream>`, "without a name"},
	} {
		_, err := ParseStream(c.name, strings.NewReader(c.in))
		var oe *OutputError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), c.msg) || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%s: %v, want an *OutputError containing %q", c.name, err, c.msg)
		}
	}
	_, err := ParseListPatches("x", strings.NewReader(`<stream><update-status><update-list><update kind="patch" name="a" edition="1" status="pending"/></update-list></update-status></stream>`))
	if !errors.Is(err, patchkit.ErrInvalid) || !strings.Contains(err.Error(), "unknown status") {
		t.Errorf("unknown status: %v", err)
	}
	_, err = ParseListUpdates("x", strings.NewReader(`<stream><update-status><update-list><update kind="package" name="a" edition="a:1-1" arch="noarch"/></update-list></update-status></stream>`))
	if !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("bad edition: %v", err)
	}
	for _, bad := range []string{"Repository | Name\nnot a separator\n", "S | Name\n--+--\nv\n", "Repository | Name | Category | Status\n--+--+--+--\nr | n | c\n"} {
		if _, err := ParseListPatchesTable("t", strings.NewReader(bad)); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := ParseListUpdatesTable("t", strings.NewReader("S | Repository\n--+--\n")); !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("updates table without Name: %v", err)
	}
}

func TestConflicts(t *testing.T) {
	got, err := packagesOfConflicts([]string{"tb-hello < 1.1-1", "tb-lib.x86_64 < 1:2.0-2", "tb-lib.noarch < 1:2.0-2", "python3.11.i586 < 3.11.5-1", "foo.noarch < 2-1"})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, p := range got {
		s = append(s, p.Name+"|"+p.Arch+"|"+edition(p))
	}
	want := []string{"tb-hello||1.1-1", "tb-lib|x86_64|1:2.0-2", "python3.11|i586|3.11.5-1", "foo|noarch|2-1"}
	if !slices.Equal(s, want) {
		t.Errorf("%v, want %v", s, want)
	}
	for _, bad := range []string{"tb-hello <= 1.1-1", "tb-hello < ", "-x < 1-1", "a < 1:b:c"} {
		if _, err := packagesOfConflicts([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestNativeReposSkipped replays a real exit 106 (the unsigned scenario's
// refreshing run) and a failing zypper.
func TestNativeReposSkipped(t *testing.T) {
	m, _, rp := loadScenario(t, "unsigned")
	ps, err := NativeUpdates(t.Context(), rp, nil, NativeRoot(m.Root), NativeRefresh(true))
	var se *ReposSkippedError
	if !errors.As(err, &se) || !errors.Is(err, ErrReposSkipped) || !slices.Equal(se.Repos, []string{"tb-unsigned"}) || len(se.Messages) == 0 {
		t.Fatalf("%v", err)
	}
	if len(ps) != 4 {
		t.Errorf("%d candidates with the skip, want the 4 zypper found", len(ps))
	}
	// zypper holding its lock: its real answer (testdata/run), whatever
	// it was asked
	locked, err := os.ReadFile("../../testdata/run/zypper-refresh-locked.txt")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := run.ParseRecording("zypper-refresh-locked.txt", locked)
	if err != nil {
		t.Fatal(err)
	}
	lockedRunner := run.RunnerFunc(func(_ context.Context, c run.Command) (run.Result, error) {
		res := run.Result{Stdout: rec.Stdout, Stderr: rec.Stderr, ExitCode: rec.Exit}
		return res, run.NewExitError(c, res)
	})
	if _, err := NativeUpdates(t.Context(), lockedRunner, nil); !errors.Is(err, run.ErrLocked) {
		t.Errorf("locked zypper: %v", err)
	}
	c, err := Command([]string{"info", "-t", "patch"}, []string{"TBSA-2026:0001"}, NativeRoot("/r"), NativeEnv("ZYPP_LOCK_TIMEOUT=10"))
	if err != nil || strings.Join(c.Argv(), " ") != "/usr/bin/zypper --non-interactive --xmlout --no-refresh --root /r info -t patch -- TBSA-2026:0001" || !slices.Contains(c.Env, "LC_ALL=C") || !slices.Contains(c.Env, "ZYPP_LOCK_TIMEOUT=10") {
		t.Errorf("%v %v", c, err)
	}
	for _, o := range []NativeOption{NativeRoot("rel"), NativeProgram("zypper"), NativeEnv("novalue"), NativeLogger(nil)} {
		if _, err := Command(nil, nil, o); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("bad native option accepted: %v", err)
		}
	}
}
