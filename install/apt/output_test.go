package apt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// TestAptSize reads sizes as apt prints them; the valid ones are taken
// from the recorded runs.
func TestAptSize(t *testing.T) {
	for _, tc := range []struct {
		in           string
		bytes, slack int64
	}{
		{"0 B", 0, 0}, {"780 B", 780, 0}, {"3256 B", 3256, 0}, {"152 kB", 152_000, 500},
		{"20.5 MB", 20_500_000, 50_000}, {"4096 kB", 4_096_000, 500}, {"99.9 kB", 99_900, 50},
		{"10000 kB", 10_000_000, 500},
	} {
		b, s, ok := aptSize(tc.in)
		if !ok || b != tc.bytes || s != tc.slack {
			t.Errorf("%q: %d ±%d %v, want %d ±%d", tc.in, b, s, ok, tc.bytes, tc.slack)
		}
	}
	for _, bad := range []string{"", "B", "12", "12 b", "12 KB", "12 KiB", "1.5 B", "1.25 kB", "-1 kB", "1,234 kB", "123456 kB", "1 ZB", "99999 EB", ".5 kB", "5. kB", "5 kB ", " 5 kB"} {
		if b, _, ok := aptSize(bad); ok {
			t.Errorf("%q read as %d", bad, b)
		}
	}
}

func loadRecording(t *testing.T, path string) run.Recording {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := run.ParseRecording(path, b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestParseLock reads real lock refusals: apt-get while python3 held the
// lock (testdata/run), dpkg under the same lock, apt-get inside a chroot
// and on a private root while a test held it; and tells them from apt
// refusing a user who cannot open the lock file at all.
func TestParseLock(t *testing.T) {
	for _, tc := range []struct {
		file   string
		locked bool
		want   lockInfo
	}{
		{"../../testdata/run/apt-get-install-locked.txt", true, lockInfo{path: "/tmp/aptlock/var/lib/dpkg/lock-frontend", pid: 26161, holder: "python3"}},
		{"../../testdata/run/dpkg-configure-locked.txt", true, lockInfo{path: "lock-frontend", pid: 26161}},
		{recDir + "/chroot-locked-01-apt-get.txt", true, lockInfo{path: "/var/lib/dpkg/lock-frontend", holder: "apt.test"}},
		{recDir + "/private-locked-repair-02-dpkg.txt", true, lockInfo{path: "lock-frontend"}},
		{recDir + "/notroot-01-apt-get.txt", false, lockInfo{}},
		{recDir + "/private-failing-postinst-02-apt-get.txt", false, lockInfo{}},
	} {
		rec := loadRecording(t, tc.file)
		li, locked := parseLock(rec.Stderr, rec.Stdout)
		if tc.want.pid == 0 && tc.locked {
			tc.want.pid = li.pid // the test's own PID when it was recorded
			if !strings.Contains(string(rec.Stdout)+string(rec.Stderr), fmt.Sprint(li.pid)) || li.pid == 0 {
				t.Errorf("%s: pid %d not in the output", tc.file, li.pid)
			}
		}
		if locked != tc.locked || li != tc.want {
			t.Errorf("%s: %+v %v, want %+v %v", filepath.Base(tc.file), li, locked, tc.want, tc.locked)
		}
	}
}

// TestParseFailuresRecorded runs the failure parser over every recorded
// run: it finds exactly the packages dpkg and apt named, and nothing in
// the runs that went well.
func TestParseFailuresRecorded(t *testing.T) {
	want := map[string][]plan.Failure{
		"private-failing-postinst-02-apt-get.txt": {{Name: "tb-fail", Reason: "installed tb-fail package post-installation script subprocess returned error exit status 29"}},
		"private-failing-postinst-04-dpkg.txt":    {{Name: "tb-fail", Reason: "installed tb-fail package post-installation script subprocess returned error exit status 29"}},
		"private-failing-preinst-02-apt-get.txt":  {{Name: "tb-badpre", Arch: "all", Reason: "new tb-badpre package pre-installation script subprocess returned error exit status 3"}},
		"private-tampered-01-apt-get.txt":         nil, // checked below: the reason names the test server's port
	}
	files, err := filepath.Glob(recDir + "/*.txt")
	if err != nil || len(files) < 30 {
		t.Fatalf("%d recordings: %v", len(files), err)
	}
	for _, f := range files {
		rec := loadRecording(t, f)
		got := parseFailures(rec.Stderr, rec.Stdout)
		name := filepath.Base(f)
		if name == "private-tampered-01-apt-get.txt" {
			if len(got) != 1 || got[0].Name != "tb-slow" || got[0].Arch != "all" || !strings.HasPrefix(got[0].Reason, "download failed: File has unexpected size (808 != 784).") {
				t.Errorf("%s: %+v", name, got)
			}
			continue
		}
		if !slices.Equal(got, want[name]) {
			t.Errorf("%s: %+v, want %+v", name, got, want[name])
		}
	}
}

// TestParseFailuresForms reads the forms dpkg uses, cut from the recorded
// runs and combined: a package named in an error and in the closing list
// is one failure; one only in the list still is one.
func TestParseFailuresForms(t *testing.T) {
	stderr := "dpkg: error processing package tb-fail:amd64 (--configure):\n" +
		" installed tb-fail:amd64 package post-installation script subprocess returned error exit status 29\n" +
		"dpkg: dependency problems prevent configuration of tb-dep:\n tb-dep depends on tb-fail; however:\n  Package tb-fail is not configured yet.\n\n" +
		"dpkg: error processing package tb-dep (--configure):\n dependency problems - leaving unconfigured\n" +
		"Errors were encountered while processing:\n tb-fail:amd64\n tb-dep\n tb-other\n /var/cache/apt/archives/tb-badpre_1%3a1.1-1_i386.deb\n" +
		"E: Sub-process /usr/bin/dpkg returned an error code (1)\n"
	want := []plan.Failure{
		{Name: "tb-fail", Arch: "amd64", Reason: "installed tb-fail:amd64 package post-installation script subprocess returned error exit status 29"},
		{Name: "tb-dep", Reason: "dependency problems - leaving unconfigured"},
		{Name: "tb-other", Reason: "listed by dpkg under \"Errors were encountered while processing:\""},
		{Name: "tb-badpre", Arch: "i386", Reason: "listed by dpkg under \"Errors were encountered while processing:\""},
	}
	if got := parseFailures([]byte(stderr)); !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestPlanContradictions: Plan refuses output that contradicts itself or
// the other run of the same plan, with an *OutputError. The outputs are
// the recorded ones of the private root's upgrade, changed one way each.
func TestPlanContradictions(t *testing.T) {
	sim := loadRecording(t, recDir+"/private-upgrade-01-apt-get.txt")
	uris := loadRecording(t, recDir+"/private-upgrade-02-apt-get.txt")
	for _, tc := range []struct {
		name       string
		sim, sizes func(string) string
	}{
		{"summary count", func(s string) string { return strings.Replace(s, "4 upgraded", "5 upgraded", 1) }, nil},
		{"upgraded list", func(s string) string { return strings.Replace(s, "  tb-hello tb-kernel", "  tb-other tb-kernel", 1) }, nil},
		{"no summary", func(s string) string {
			return strings.Replace(s, "4 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n", "", 1)
		}, nil},
		{"runs disagree", nil, func(s string) string { return strings.Replace(s, "and 0 not upgraded", "and 1 not upgraded", 1) }},
		{"archive not planned", nil, func(s string) string {
			return strings.Replace(s, "tb-multi_1.2-1_all.deb 784", "tb-multi_1.3-1_all.deb 784", 1)
		}},
		{"need to get", nil, func(s string) string { return strings.Replace(s, "Need to get 3256 B", "Need to get 3257 B", 1) }},
		{"size line", nil, func(s string) string { return strings.Replace(s, "Need to get 3256 B", "Need to get 3256 bytes", 1) }},
		{"uri size", nil, func(s string) string { return strings.Replace(s, "all.deb 784 ", "all.deb x ", 1) }},
		{"after line", nil, func(s string) string {
			return strings.Replace(s, "of additional disk space will be used", "of disk space", 1)
		}},
		{"two need lines", nil, func(s string) string {
			return strings.Replace(s, "Need to get 3256 B of archives.\n", "Need to get 3256 B of archives.\nNeed to get 3256 B of archives.\n", 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run.RunnerFunc(func(_ context.Context, c run.Command) (run.Result, error) {
				rec, edit := sim, tc.sim
				if slices.Contains(c.Args, "--print-uris") {
					rec, edit = uris, tc.sizes
				}
				out := string(rec.Stdout)
				if edit != nil {
					if out2 := edit(out); out2 != out {
						out = out2
					} else {
						t.Fatal("the edit changed nothing")
					}
				}
				return run.Result{Stdout: []byte(out)}, nil
			})
			_, err := Plan(t.Context(), r, recordedUpgradeTargets(t), privateOpts...)
			if !errors.Is(err, patchkit.ErrInvalid) {
				t.Fatalf("%v", err)
			}
			t.Log(err)
		})
	}
}

// TestParseDpkgOptions reads apt-config's answer, recorded, and refuses
// an entry that is not an option.
func TestParseDpkgOptions(t *testing.T) {
	rec := loadRecording(t, recDir+"/private-interrupted-02-apt-config.txt")
	got, err := parseDpkgOptions("apt-config", rec.Stdout)
	if err != nil || len(got) != 4 || !strings.HasPrefix(got[0], "--root=/tmp/pm-testbed/clones/") || got[3] != "--force-not-root" {
		t.Fatalf("%q %v", got, err)
	}
	for _, bad := range []string{"DPkg::Options::=tb-lib\n", "DPkg::Options::--root\n", "dpkg::options::=-x\x01\n"} {
		if _, err := parseDpkgOptions("apt-config", []byte(bad)); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if got, err := parseDpkgOptions("apt-config", []byte("DPkg::Options=\nAPT::Architecture=amd64\n")); err != nil || len(got) != 0 {
		t.Errorf("%q %v", got, err)
	}
}

// TestCheckStates runs Check on the database real dpkg left in every
// state (testdata/dpkg/db/testbed-states: a killed dpkg's journal, a
// failed postinst, an unpacked package, pending triggers) and compares it
// with dpkg-query's own answer for that database.
func TestCheckStates(t *testing.T) {
	const db = "../../testdata/dpkg/db/testbed-states"
	rec := loadRecording(t, "../../testdata/dpkg/query/testbed-states.txt")
	pkgs, err := dpkg.ParseQuery(rec.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"5 entries of dpkg's journal in updates (0000, 0001, 0002, 0003, 0004)"}
	for _, p := range pkgs {
		switch p.State {
		case patchkit.StateHalfInstalled, patchkit.StateUnpacked, patchkit.StateHalfConfigured, patchkit.StateTriggersAwaited, patchkit.StateTriggersPending:
			want = append(want, fmt.Sprintf("%s %s (%s)", p.QualifiedName(), p.EVR(), p.State))
		}
	}
	if len(want) < 6 {
		t.Fatalf("dpkg-query lists only %q", want)
	}
	fsys := os.DirFS(db)
	for _, installed := range [][]patchkit.Package{nil, pkgs} {
		err := Check(t.Context(), fsys, installed, Admindir("."), Chroot("/srv/root"))
		var re *plan.RepairError
		if !errors.As(err, &re) || !errors.Is(err, plan.ErrNeedsRepair) {
			t.Fatalf("%v", err)
		}
		if !slices.Equal(re.Packages, want) || re.Repair != "chroot /srv/root dpkg --configure -a (install/apt.Repair)" {
			t.Errorf("got  %q\nwant %q\n%s", re.Packages, want, re.Repair)
		}
	}
	// a database with nothing unfinished
	if err := Check(t.Context(), os.DirFS("../../testdata/dpkg/db/debian-12-minbase"), nil, Admindir(".")); err != nil {
		t.Error(err)
	}
	rpm := pkgs[0]
	rpm.Scheme = patchkit.RPM
	if err := Check(t.Context(), os.DirFS("../../testdata/dpkg/db/debian-12-minbase"), []patchkit.Package{rpm}, Admindir(".")); !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("an rpm inventory: %v", err)
	}
	if err := Check(t.Context(), os.DirFS(t.TempDir()), nil); err == nil {
		t.Error("a root without a dpkg database")
	}
}
