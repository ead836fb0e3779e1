package dnf_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// loadSet reads the recordings NAME-*.txt of testdata/install/dnf, in the
// order they were made.
func loadSet(t testing.TB, name string) []run.Recording {
	t.Helper()
	// file names are NAME-N-PROGRAM.txt; sorted by N, as 10 sorts before 2
	files, err := filepath.Glob(filepath.Join(recordDir, name+"-*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recordings %s-*.txt in %s: %v", name, recordDir, err)
	}
	slices.SortFunc(files, func(a, b string) int { return seq(a) - seq(b) })
	var recs []run.Recording
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := run.ParseRecording(filepath.Base(f), data)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return recs
}

func seq(file string) int {
	parts := strings.Split(filepath.Base(file), "-")
	n, _ := strconv.Atoi(parts[len(parts)-2])
	return n
}

// recRoot is the root a recording's dnf ran on (--installroot=, or rpm's
// --root).
func recRoot(t testing.TB, r run.Recording) string {
	t.Helper()
	for i, a := range r.Argv {
		if v, ok := strings.CutPrefix(a, "--installroot="); ok {
			return v
		}
		if a == "--root" && i+1 < len(r.Argv) {
			return r.Argv[i+1]
		}
	}
	t.Fatalf("recording of %v names no root", r.Argv)
	return ""
}

// recTargets are the targets of a recorded upgrade: its operands.
func recTargets(t testing.TB, r run.Recording) []plan.Target {
	t.Helper()
	i := slices.Index(r.Argv, "--")
	if i < 0 {
		t.Fatalf("no operands in %v", r.Argv)
	}
	var ts []plan.Target
	for _, op := range r.Argv[i+1:] {
		p, err := patchkit.ParseNEVRA(op)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, plan.Target{Version: p})
	}
	return ts
}

// replayed checks that the commands replay ran are the recordings' argv, in
// order.
func replayed(t *testing.T, rp *run.Replay, recs []run.Recording) {
	t.Helper()
	calls := rp.Calls()
	if len(calls) != len(recs) {
		t.Errorf("%d commands ran, %d recorded", len(calls), len(recs))
	}
	for i := range min(len(calls), len(recs)) {
		if !slices.Equal(calls[i].Argv(), recs[i].Argv) {
			t.Errorf("command %d:\n%q\nrecorded\n%q", i, calls[i].Argv(), recs[i].Argv)
		}
		checkArgv(t, calls[i])
	}
}

// sumColumn adds up a tab-separated column of a recorded output.
func sumColumn(t testing.TB, out []byte, col int) int64 {
	t.Helper()
	var s int64
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "\t")
		n, err := strconv.ParseInt(f[col], 10, 64)
		if err != nil {
			t.Fatalf("column %d of %q: %v", col, l, err)
		}
		s += n
	}
	return s
}

// TestReplayPlan: Plan on recordings of real dnf runs gives the recorded
// commands, argument for argument, and the plan the testbed test saw,
// with the sizes the recorded size queries add up to.
func TestReplayPlan(t *testing.T) {
	for _, tc := range []struct {
		set      string
		from, to int // the recordings Plan uses
		opts     []dnf.Option
		want     []string
	}{
		{"upgrade", 0, 3, nil, []string{
			"upgrade kernel-tb.noarch 0:5.0-1 -> 0:5.1-1 @tb-updates",
			"upgrade tb-hello.noarch 0:1.0-1 -> 0:1.1-1 @tb-updates",
			"upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2 @tb-updates",
			"upgrade tb-multi.noarch 0:1.0-1 -> 0:1.3-1 @tb-updates"}},
		{"newdep", 0, 3, nil, []string{"upgrade tb-dep.noarch 0:1.0-1 -> 0:1.1-1 @tb-extra", "install tb-newdep.noarch 0:1.0-1 @tb-extra"}},
		{"installonly limit", 6, 9, []dnf.Option{dnf.WithCacheOnly(true)}, []string{"install kernel-tbx.noarch 0:5.2-1 @tb-extra", "remove kernel-tbx.noarch 0:5.0-1 @@tb-extra"}},
		{"kernels", 0, 3, nil, []string{
			"install kernel-tbx.noarch 0:5.1-1 @tb-extra",
			"upgrade " + longName + ".noarch 0:1.0-1 -> 0:1.1-" + longRelease + " @tb-extra",
			"upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2 @tb-updates"}},
	} {
		t.Run(tc.set, func(t *testing.T) {
			set := tc.set
			if set == "installonly limit" {
				set = "kernels"
			}
			recs := loadSet(t, set)[tc.from:tc.to]
			rp := run.NewReplay(recs...)
			root := recRoot(t, recs[0])
			p, err := dnf.Plan(context.Background(), rp, recTargets(t, recs[0]), rootOpts(root, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			replayed(t, rp, recs)
			if got := actionStrings(p.Actions); !slices.Equal(got, tc.want) {
				t.Errorf("actions:\n%q\nwant\n%q", got, tc.want)
			}
			dl, grow := sumColumn(t, recs[1].Stdout, 6), sumColumn(t, recs[1].Stdout, 7)-sumColumn(t, recs[2].Stdout, 5)
			if p.DownloadSize != dl || p.InstalledSizeChange != grow {
				t.Errorf("sizes %d %d, the recorded queries say %d %d", p.DownloadSize, p.InstalledSizeChange, dl, grow)
			}
			dd := slices.Index(recs[0].Argv, "--")
			cmd := run.Command{Path: recs[0].Argv[0], Args: recs[0].Argv[1:dd], Operands: recs[0].Argv[dd+1:]}
			if p.Output != string(recs[0].Stdout) || p.Command != cmd.String() {
				t.Errorf("plan command %q or output not the recorded ones", p.Command)
			}
		})
	}
}

// TestReplayUnplanned: dnf's recorded answers for a version no repository
// has (its error) and for a target it skips (an *UnplannedError with dnf's
// explanation).
func TestReplayUnplanned(t *testing.T) {
	recs := loadSet(t, "unplanned")
	root := recRoot(t, recs[0])
	_, err := dnf.Plan(context.Background(), run.NewReplay(recs[0]), recTargets(t, recs[0]), rootOpts(root)...)
	var ee *run.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Errorf("a version no repository has: %v", err)
	}
	p, err := dnf.Plan(context.Background(), run.NewReplay(recs[1]), recTargets(t, recs[1]), rootOpts(root, dnf.WithCacheOnly(true))...)
	want := "install/dnf: tb-dep-0:1.1-1.noarch: dnf skips it: skipping packages with broken dependencies (Problem: package tb-dep-1.1-1.noarch requires tb-newdep, but none of the providers can be installed; - cannot install the best update candidate for package tb-dep-1.0-1.noarch; - package tb-newdep-1.0-1.noarch is filtered out by exclude filtering)"
	if !errors.Is(err, dnf.ErrNotPlanned) || err.Error() != want {
		t.Errorf("%v\nwant\n%s", err, want)
	}
	if len(p.Actions) != 0 || p.DownloadSize != 0 {
		t.Errorf("plan %+v", p)
	}
}

// TestReplayLocked: the recorded lock refusals become *plan.LockedError
// naming the holder dnf printed, and the lock file of the lock dnf named.
func TestReplayLocked(t *testing.T) {
	recs := loadSet(t, "locked")
	root := recRoot(t, recs[0])
	holder := regexp.MustCompile(`(\S+) already locked by (\d+)`)
	for _, tc := range []struct {
		name string
		use  []run.Recording
		file string
		do   func(run.Runner) error
	}{
		{"apply", recs[3 : len(recs)-1], "var/lib/dnf/rpmdb_lock.pid", func(r run.Runner) error {
			_, err := dnf.Apply(context.Background(), r, recTargets(t, recs[3]), rootOpts(root, dnf.WithLockWait(0))...)
			return err
		}},
		{"plan", recs[len(recs)-1:], "var/cache/dnf/metadata_lock.pid", func(r run.Runner) error {
			_, err := dnf.Plan(context.Background(), r, recTargets(t, recs[len(recs)-1]), rootOpts(root, dnf.WithLockWait(0))...)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			last := tc.use[len(tc.use)-1]
			if last.Exit != 200 {
				t.Fatalf("recording exit %d, want 200", last.Exit)
			}
			m := holder.FindSubmatch(last.Stderr)
			if m == nil {
				t.Fatalf("no lock message in %q", last.Stderr)
			}
			err := tc.do(run.NewReplay(tc.use...))
			var le *plan.LockedError
			if !errors.As(err, &le) {
				t.Fatalf("%v, want a *plan.LockedError", err)
			}
			if strconv.Itoa(le.PID) != string(m[2]) || le.Holder != "dnf.test" || le.Path != filepath.Join(root, tc.file) || le.Tool != "dnf" {
				t.Errorf("%+v; dnf said %s", *le, m[0])
			}
		})
	}
	// The recording scan/run keeps of a lock held by python3.
	data, err := os.ReadFile("../../testdata/run/dnf-upgrade-locked.txt")
	if err != nil {
		t.Fatal(err)
	}
	r, err := run.ParseRecording("dnf-upgrade-locked.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := dnf.ParseLock(r.Stderr)
	if !ok || h.Lock != "metadata" || h.PID != 27586 || h.Holder != "python3" {
		t.Errorf("ParseLock: %+v %v", h, ok)
	}
}

// TestReplayApply: the Outcomes of recorded transactions, with the
// failures dnf and rpm reported.
func TestReplayApply(t *testing.T) {
	for _, tc := range []struct {
		name     string
		set      string
		from, to int
		exit     int  // the Outcome's exit code
		isErr    bool // Apply returns an error
		failures []plan.Failure
	}{
		{"post fails", "scriptlet", 0, 2, 0, false, []plan.Failure{{Name: "tb-fail", Arch: "noarch", Reason: "%post scriptlet failed, exit status 29; installed"}}},
		{"pre fails", "scriptlet", 2, 4, 1, true, []plan.Failure{{Name: "tb-prefail", Arch: "noarch", Reason: "%prein scriptlet failed, exit status 7; rpm: install failed; not installed"}}},
		{"bad signature", "badsig", 0, 1, 1, true, []plan.Failure{{Name: "tb-badsig", Arch: "noarch", Reason: "GPG check FAILED: The GPG keys listed for the \"patchkit dnf install tests\" repository are already installed but they are not correct for this package. Check that the correct key URLs are configured for this repository; not installed: the transaction did not run"}}},
		{"killed", "interrupted", 0, 2, -1, true, nil},
		{"upgrade", "upgrade", 3, 5, 0, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := loadSet(t, tc.set)[tc.from:tc.to]
			rp := run.NewReplay(recs...)
			var stages []string
			progress := dnf.WithProgress(func(p plan.Progress) {
				if p.N == 0 { // a run starts; N > 0 are its packages (progress_test.go)
					stages = append(stages, p.Stage)
				}
			})
			out, err := dnf.Apply(context.Background(), rp, recTargets(t, recs[0]), rootOpts(recRoot(t, recs[0]), progress)...)
			replayed(t, rp, recs)
			// One stage per run: the download, and the commit when the
			// download went through.
			if want := []string{plan.StageDownloading, plan.StageInstalling}[:len(recs)]; !slices.Equal(stages, want) {
				t.Errorf("stages %q, want %q", stages, want)
			}
			if (err != nil) != tc.isErr || out.ExitCode != tc.exit {
				t.Errorf("exit %d, error %v", out.ExitCode, err)
			}
			var ee *run.ExitError
			if tc.isErr && !errors.As(err, &ee) {
				t.Errorf("error %T, want *run.ExitError", err)
			}
			if !slices.Equal(out.Failures, tc.failures) {
				t.Errorf("failures:\n%+v\nwant\n%+v", out.Failures, tc.failures)
			}
			last := recs[len(recs)-1]
			if out.Output != string(last.Stdout) || out.Stderr != string(last.Stderr) {
				t.Error("the Outcome does not hold the last command's output")
			}
		})
	}
}

// TestReplayCheckRepair: dnf's recorded duplicate check and the two
// recorded repairs (one that removed tb-dep 1.0, one that found nothing).
func TestReplayCheckRepair(t *testing.T) {
	recs := loadSet(t, "interrupted")
	root := recRoot(t, recs[0])
	rp := run.NewReplay(recs[2:]...)
	err := dnf.CheckNative(context.Background(), rp, rootOpts(root)...)
	var re *plan.RepairError
	if !errors.As(err, &re) || !slices.Equal(re.Packages, []string{"tb-dep.noarch 0:1.0-1 0:1.1-1"}) || re.Tool != "rpm" {
		t.Fatalf("CheckNative: %v", err)
	}
	out, err := dnf.Repair(context.Background(), rp, rootOpts(root)...)
	if err != nil || out.ExitCode != 0 || !strings.Contains(out.Output, "Reinstalling:") {
		t.Errorf("Repair: exit %d, %v", out.ExitCode, err)
	}
	out, err = dnf.Repair(context.Background(), rp, rootOpts(root)...)
	if err != nil || out.ExitCode != 1 {
		t.Errorf("Repair with nothing to do: exit %d, %v", out.ExitCode, err)
	}
	if re.Repair != rp.Calls()[1].String() {
		t.Errorf("the repair command %q is not the one Repair ran, %q", re.Repair, rp.Calls()[1].String())
	}
	replayed(t, rp, recs[2:])
}

// TestParsePlanOverflow: dnf on a 60-column terminal (a real run under
// script(1)) fits its table to the terminal, putting the long name alone on
// its line and the long version's repository on the next; the parts read
// back as the same transaction, and the CR LF line ends do not matter.
func TestParsePlanOverflow(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(recordDir, "pty-overflow.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := run.ParseRecording("pty-overflow.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(r.Stdout, []byte("-the-table\r\n                    noarch 1.1-1.with")) {
		t.Fatal("the recording does not overflow the name column")
	}
	tx, err := dnf.ParsePlan(r.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	const long = "tb-a-very-long-package-name-that-overflows-the-name-column-of-the-table"
	want := []string{
		"install kernel-tbx.noarch 0:5.1-1 @tb-extra",
		"upgrade " + long + ".noarch 0:1.0-1 -> 0:1.1-1.with.a.long.release.string.el9_4 @tb-extra",
		"upgrade tb-dep.noarch 0:1.0-1 -> 0:1.1-1 @tb-extra",
		"upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2 @tb-updates",
		"install tb-newdep.noarch 0:1.0-1 @tb-extra",
	}
	if got := actionStrings(tx.Actions); !slices.Equal(got, want) {
		t.Errorf("actions:\n%q\nwant\n%q", got, want)
	}
	if tx.Summary["Install"] != 2 || tx.Summary["Upgrade"] != 3 || tx.TotalSize != 30*1024 || tx.TotalDownloadSize != 6*1024 {
		t.Errorf("summary %v, totals %d %d", tx.Summary, tx.TotalSize, tx.TotalDownloadSize)
	}
}

// TestParsePlanBroken: recorded plans made wrong in one place are refused
// with the error that says where.
func TestParsePlanBroken(t *testing.T) {
	recs := loadSet(t, "kernels")
	good := string(recs[0].Stdout)
	if _, err := dnf.ParsePlan([]byte(good)); err != nil {
		t.Fatal(err)
	}
	var oe *dnf.OutputError
	var ie *dnf.InconsistentError
	for _, tc := range []struct {
		name, old, new string
		want           any
	}{
		{"depsolve line missing", "---> Package tb-lib.noarch 1:2.0-2 will be an upgrade\n", "", &oe},
		{"depsolve line for nothing in the table", "--> Finished dependency resolution", "---> Package tb-x.noarch 1-1 will be installed\n--> Finished dependency resolution", &ie},
		{"summary count", "Upgrade  2 Packages", "Upgrade  3 Packages", &ie},
		{"summary action", "Install  1 Package", "Implode  1 Package", &oe},
		{"unknown section", "Installing:\n", "Enabling module streams:\n", &oe},
		{"unknown depsolve", "will be installed", "will be levitated", &oe},
		{"row without repository", " kernel-tbx                                                    noarch  5.1-1                                             tb-extra    6.0 k", " kernel-tbx noarch 5.1-1", &oe},
		{"version in a row", "noarch  5.1-1  ", "noarch  5.1-2  ", &ie},
		{"bad version in a row", "noarch  5.1-1  ", "noarch  5.1-1-  ", &oe},
		{"no table end", "\n\nTransaction Summary", "\n", &oe},
		{"total", "Total download size: ", "Total download size: many ", &oe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("the recording has no %q", tc.old)
			}
			bad := strings.Replace(good, tc.old, tc.new, 1)
			if tc.name == "no table end" {
				bad = bad[:strings.Index(bad, "tb-updates  6.0 k\n")+len("tb-updates  6.0 k\n")]
			}
			_, err := dnf.ParsePlan([]byte(bad))
			switch w := tc.want.(type) {
			case **dnf.OutputError:
				if !errors.As(err, w) {
					t.Errorf("%v, want an *OutputError", err)
				}
			case **dnf.InconsistentError:
				if !errors.As(err, w) {
					t.Errorf("%v, want an *InconsistentError", err)
				}
			}
			if !errors.Is(err, patchkit.ErrInvalid) {
				t.Errorf("%v does not match patchkit.ErrInvalid", err)
			}
		})
	}
}
