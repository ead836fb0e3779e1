package apt

import (
	"context"
	"errors"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// replay answers from the recordings of one scenario (real runs of the
// testbed tests, made with -update). apt-get's lock wait is the time left
// of the bound when a run starts, so the seconds in
// "DPkg::Lock::Timeout=N" are not compared; every other argument is.
type replay struct {
	rp   *run.Replay
	recs []run.Recording
}

const lockArg = "DPkg::Lock::Timeout="

func normalizeLock(argv []string) []string {
	out := slices.Clone(argv)
	for i, a := range out {
		if strings.HasPrefix(a, lockArg) {
			out[i] = lockArg + "N"
		}
	}
	return out
}

func loadReplay(t *testing.T, scenario string) *replay {
	t.Helper()
	recs, err := run.LoadRecordings(os.DirFS(recDir), scenario+"-[0-9][0-9]-*.txt")
	if err != nil {
		t.Fatal(err)
	}
	norm := make([]run.Recording, len(recs))
	for i, r := range recs {
		norm[i] = r
		norm[i].Argv = normalizeLock(r.Argv)
	}
	return &replay{rp: run.NewReplay(norm...), recs: recs}
}

func (r *replay) Run(ctx context.Context, c run.Command) (run.Result, error) {
	n := c
	n.Args = normalizeLock(c.Args)
	return r.rp.Run(ctx, n)
}

// recordedHolder is the process the recordings say held the lock: the
// last word of "It is held by process N (name)" or "with pid N".
func recordedHolder(t *testing.T, r *replay) int {
	t.Helper()
	for _, rec := range r.recs {
		text := string(rec.Stdout) + string(rec.Stderr)
		for _, marker := range []string{"It is held by process ", "another process with pid "} {
			if _, after, ok := strings.Cut(text, marker); ok {
				n, err := strconv.Atoi(strings.FieldsFunc(after, func(r rune) bool { return r < '0' || r > '9' })[0])
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
	}
	t.Fatal("no lock holder in the recordings")
	return 0
}

// recordedPort is the port of the test repository in a scenario's first
// recording ("[IP: 127.0.0.1 PORT]").
func recordedPort(t *testing.T, scenario string) string {
	t.Helper()
	r := loadReplay(t, scenario)
	_, after, ok := strings.Cut(string(r.recs[0].Stderr), "[IP: 127.0.0.1 ")
	port, _, ok2 := strings.Cut(after, "]")
	if !ok || !ok2 {
		t.Fatal("no port in the recording")
	}
	return port
}

// calls returns the commands run, as built (the lock argument normalized).
func (r *replay) calls() []run.Command { return r.rp.Calls() }

// recordedTarget is the upgrade of an arch-all package to version.
func recordedTarget(t *testing.T, name, version string) plan.Target {
	t.Helper()
	v, err := patchkit.ParseDpkg(name+":all", version)
	if err != nil {
		t.Fatal(err)
	}
	return plan.Target{Version: v}
}

func actionStrings(p plan.Plan) []string {
	var s []string
	for _, a := range p.Actions {
		s = append(s, a.String())
	}
	return s
}

// privateOpts are the options of a private-root recording: the argv does
// not hold APT_CONFIG (it is in the environment), so any path does.
var privateOpts = []Option{AptConfig("/tmp/pm-testbed/apt-private/apt.conf")}

func recordedUpgradeTargets(t *testing.T) []plan.Target {
	return []plan.Target{
		recordedTarget(t, "tb-hello", "1.1-1"), recordedTarget(t, "tb-kernel", "1.1-1"),
		recordedTarget(t, "tb-lib", "1:2.0-2"), recordedTarget(t, "tb-multi", "1.2-1"),
	}
}

// TestRecordedUpgrade reads the plan and outcome of the testbed's four
// updates, on the private root and in the chroot, from recorded runs, and
// checks every command run: the argument vectors, the environment, and
// which run commits.
func TestRecordedUpgrade(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		opts     func(*replay) []Option
		download int64
	}{
		{"private-upgrade", func(*replay) []Option { return privateOpts }, 784 + 908 + 780 + 784},
		{"chroot-upgrade", func(r *replay) []Option { return []Option{Chroot(r.recs[0].Argv[1])} }, 784 + 908 + 780 + 784},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			r := loadReplay(t, tc.scenario)
			opts := tc.opts(r)
			p, err := Plan(t.Context(), r, recordedUpgradeTargets(t), opts...)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"upgrade tb-hello:all 1.0-1 -> 1.1-1", "upgrade tb-kernel:all 1.0-1 -> 1.1-1",
				"upgrade tb-lib:all 1:2.0-1 -> 1:2.0-2", "upgrade tb-multi:all 1.0-1 -> 1.2-1",
			}
			if got := actionStrings(p); !slices.Equal(got, want) {
				t.Errorf("actions %q", got)
			}
			if p.DownloadSize != tc.download || p.InstalledSizeChange != 0 {
				t.Errorf("sizes %d %d", p.DownloadSize, p.InstalledSizeChange)
			}
			if got := p.Actions[3].Package.Repository; got != "Testbed-Security:testbed-security" {
				t.Errorf("tb-multi 1.2-1 from %q", got)
			}
			var stages []string
			progress := WithProgress(func(p plan.Progress) {
				if p.N == 0 { // a run starts; N > 0 are its packages (progress_test.go)
					stages = append(stages, p.Stage)
				}
			})
			out, err := Apply(t.Context(), r, recordedUpgradeTargets(t), append(opts, progress)...)
			if !slices.Equal(stages, []string{plan.StageDownloading, plan.StageInstalling}) {
				t.Errorf("stages %q", stages)
			}
			if err != nil || out.ExitCode != 0 || len(out.Failures) != 0 || !strings.Contains(out.Output, "Setting up tb-multi (1.2-1) ...") {
				t.Fatalf("%v %+v", err, out)
			}
			calls := r.calls()
			if len(calls) != 4 {
				t.Fatalf("%d commands", len(calls))
			}
			ops := []string{"tb-hello=1.1-1", "tb-kernel=1.1-1", "tb-lib=1:2.0-2", "tb-multi=1.2-1"}
			common := []string{"-o", "quiet=1", "-o", "APT::Get::Show-Upgraded=true", "--no-install-recommends"}
			install := append(slices.Clone(common), "-o", "DPkg::Lock::Timeout=N", "-o", "Dpkg::Use-Pty=0",
				"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "-y")
			want2 := [][]string{
				append(slices.Clone(common), "-s", "install", "--only-upgrade"),
				append(slices.Clone(common), "--print-uris", "install", "--only-upgrade"),
				append(slices.Clone(install), "--download-only", "--no-remove", "install", "--only-upgrade"),
				append(slices.Clone(install), "--no-remove", "install", "--only-upgrade"),
			}
			for i, c := range calls {
				argv := c.Argv()
				prefix := []string{"/usr/bin/apt-get"}
				if strings.HasPrefix(tc.scenario, "chroot") {
					prefix = []string{"/usr/sbin/chroot", r.recs[0].Argv[1], "/usr/bin/apt-get"}
				}
				wantArgv := append(append(append(prefix, want2[i]...), "--"), ops...)
				if !slices.Equal(argv, wantArgv) {
					t.Errorf("command %d\n got %q\nwant %q", i, argv, wantArgv)
				}
				if c.Committing != (i == 3) {
					t.Errorf("command %d Committing %v", i, c.Committing)
				}
				for _, e := range []string{"LC_ALL=C", "DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_MODE=a", "APT_LISTCHANGES_FRONTEND=none"} {
					if !slices.Contains(c.Env, e) {
						t.Errorf("command %d lacks %s in %v", i, e, c.Env)
					}
				}
				if strings.HasPrefix(tc.scenario, "private") != slices.Contains(c.Env, "APT_CONFIG=/tmp/pm-testbed/apt-private/apt.conf") {
					t.Errorf("command %d env %v", i, c.Env)
				}
			}
		})
	}
}

// TestRecordedPlans reads the recorded plans of the fault scenarios: a new
// dependency (F3), a removal, a downgrade, and the sizes (H4).
func TestRecordedPlans(t *testing.T) {
	for _, tc := range []struct {
		scenario         string
		target           plan.Target
		actions          []string
		download, change int64
	}{
		{"private-new-dependency", recordedTarget(t, "tb-dep", "1.1-1"),
			[]string{"install tb-newdep:all 1.0-1", "upgrade tb-dep:all 1.0-1 -> 1.1-1"}, 788 + 800, 0},
		{"private-removal", recordedTarget(t, "tb-conf", "1.1-1"),
			[]string{"remove tb-tool 3.0-1 -> 3.0-1", "upgrade tb-conf:all 1.0-1 -> 1.1-1"}, 796, 0},
		{"private-downgrade", recordedTarget(t, "tb-down", "1.0-1"),
			[]string{"downgrade tb-down:all 2.0-1 -> 1.0-1"}, 780, 0},
		{"private-sizes", recordedTarget(t, "tb-big", "1.1-1"),
			[]string{"upgrade tb-big:all 1.0-1 -> 1.1-1"}, 152068, 20_500_000},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			r := loadReplay(t, tc.scenario)
			p, err := Plan(t.Context(), r, []plan.Target{tc.target}, privateOpts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := actionStrings(p); !slices.Equal(got, tc.actions) {
				t.Errorf("actions %q, want %q", got, tc.actions)
			}
			if p.DownloadSize != tc.download || p.InstalledSizeChange != tc.change {
				t.Errorf("sizes %d %d, want %d %d\n%s", p.DownloadSize, p.InstalledSizeChange, tc.download, tc.change, p.Output)
			}
			if p.Actions[0].Kind == plan.Install && p.Actions[0].From != "" {
				t.Error("an install has a From version")
			}
		})
	}
}

// TestRecordedRefusals reads recorded Apply runs apt refused: a removal
// under --no-remove, a downgrade without --allow-downgrades, an
// unauthenticated package without --allow-unauthenticated, an archive
// whose size does not match the signed index (the outcome names it).
func TestRecordedRefusals(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		target   plan.Target
		stderr   string
		failures []plan.Failure
	}{
		{"private-removal", recordedTarget(t, "tb-conf", "1.1-1"), "E: Packages need to be removed but remove is disabled.", nil},
		{"private-downgrade", recordedTarget(t, "tb-down", "1.0-1"), "E: Packages were downgraded and -y was used without --allow-downgrades.", nil},
		{"private-unauthenticated", recordedTarget(t, "tb-slow", "9.0-1"), "E: There were unauthenticated packages and -y was used without --allow-unauthenticated", nil},
		{"private-tampered", recordedTarget(t, "tb-slow", "1.2-1"), "E: Some files failed to download", []plan.Failure{{Name: "tb-slow", Arch: "all",
			Reason: "download failed: File has unexpected size (808 != 784). Mirror sync in progress? [IP: 127.0.0.1 " + recordedPort(t, "private-tampered") + "]"}}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			r := loadReplay(t, tc.scenario)
			out, err := Apply(t.Context(), r, []plan.Target{tc.target}, privateOpts...)
			if ee := exitError(t, err); ee.Code != 100 {
				t.Errorf("exit %d", ee.Code)
			}
			if !strings.Contains(out.Stderr, tc.stderr) || !slices.Equal(out.Failures, tc.failures) || out.ExitCode != 100 {
				t.Errorf("outcome %+v", out)
			}
			if calls := r.calls(); len(calls) != 1 || calls[0].Committing || !slices.Contains(calls[0].Args, "--download-only") {
				t.Errorf("refused at %v", calls)
			}
		})
	}
}

// TestRecordedFailingScript reads the recorded run whose tb-fail postinst
// exited 29 (H5) and the repair after it.
func TestRecordedFailingScript(t *testing.T) {
	r := loadReplay(t, "private-failing-postinst")
	want := []plan.Failure{{Name: "tb-fail", Reason: "installed tb-fail package post-installation script subprocess returned error exit status 29"}}
	out, err := Apply(t.Context(), r, []plan.Target{recordedTarget(t, "tb-lib", "1:2.0-2"), recordedTarget(t, "tb-fail", "1.1-1")}, privateOpts...)
	exitError(t, err)
	if !slices.Equal(out.Failures, want) || out.ExitCode != 100 || !strings.Contains(out.Output, "Setting up tb-lib (1:2.0-2) ...") {
		t.Errorf("outcome %+v", out)
	}
	rep, err := Repair(t.Context(), r, privateOpts...)
	if ee := exitError(t, err); ee.Code != 1 || !slices.Equal(rep.Failures, want) {
		t.Errorf("repair %v %+v", err, rep)
	}
	calls := r.calls()
	dpkg := calls[len(calls)-1]
	root := "/tmp/pm-testbed/clones/TestTestbedAptInstallFailingScript-"
	if dpkg.Path != "/usr/bin/dpkg" || !dpkg.Committing || !strings.HasPrefix(dpkg.Args[0], "--root="+root) ||
		!slices.Equal(dpkg.Args[2:], []string{"--force-script-chrootless", "--force-not-root", "--force-confdef", "--force-confold", "--configure", "-a"}) {
		t.Errorf("repair command %s", dpkg)
	}
}

// TestRecordedInterrupted reads the runs after an install was killed
// during a preinst (H1): apt's refusal is a *plan.RepairError, Repair
// passes apt's DPkg::Options to dpkg, and the install then goes through.
func TestRecordedInterrupted(t *testing.T) {
	r := loadReplay(t, "private-interrupted")
	tg := []plan.Target{recordedTarget(t, "tb-slow", "1.1-1")}
	_, err := Apply(t.Context(), r, tg, privateOpts...)
	var re *plan.RepairError
	if !errors.As(err, &re) || !errors.Is(err, plan.ErrNeedsRepair) || re.Tool != "dpkg" {
		t.Fatalf("Apply: %v", err)
	}
	out, err := Repair(t.Context(), r, privateOpts...)
	if err != nil || out.ExitCode != 0 || !strings.HasPrefix(out.Command, "/usr/bin/dpkg --root=/tmp/pm-testbed/clones/TestTestbedAptInstallInterrupted-") {
		t.Fatalf("Repair: %v %+v", err, out)
	}
	if out, err := Apply(t.Context(), r, tg, privateOpts...); err != nil || !strings.Contains(out.Output, "Setting up tb-slow (1.1-1) ...") {
		t.Fatalf("Apply after Repair: %v %+v", err, out)
	}
}

// TestRecordedLocked reads runs made while a test held the dpkg locks
// (G1): apt, inside a chroot and on a private root, and dpkg.
func TestRecordedLocked(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		repair   bool
		want     plan.LockedError
	}{
		{"private-locked", false, plan.LockedError{Tool: "apt", Path: "/tmp/pm-testbed/clones/*/apt-private/var/lib/dpkg/lock-frontend", Holder: "apt.test"}},
		// inside a chroot apt names the file as it sees it; the error names
		// it as the caller sees the root (the chroot directory joined on)
		{"chroot-locked", false, plan.LockedError{Tool: "apt", Path: "CHROOT/var/lib/dpkg/lock-frontend", Holder: "apt.test"}},
		{"private-locked-repair", true, plan.LockedError{Tool: "dpkg", Path: "lock-frontend"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			r := loadReplay(t, tc.scenario)
			opts := append(slices.Clone(privateOpts), LockTimeout(0))
			if strings.HasPrefix(tc.scenario, "chroot") {
				opts = []Option{Chroot(r.recs[0].Argv[1]), LockTimeout(0)}
				tc.want.Path = strings.Replace(tc.want.Path, "CHROOT", r.recs[0].Argv[1], 1)
			}
			var err error
			if tc.repair {
				_, err = Repair(t.Context(), r, opts...)
			} else {
				tg := recordedTarget(t, "tb-lib", "1:2.0-2")
				if strings.HasPrefix(tc.scenario, "chroot") {
					tg = recordedTarget(t, "tb-multi", "1.3-1")
				}
				_, err = Apply(t.Context(), r, []plan.Target{tg}, opts...)
			}
			var le *plan.LockedError
			if !errors.As(err, &le) || !errors.Is(err, plan.ErrLocked) {
				t.Fatalf("%T %v", err, err)
			}
			tc.want.PID = recordedHolder(t, r)
			if ok, _ := path.Match(tc.want.Path, le.Path); !ok || le.PID != tc.want.PID || le.Tool != tc.want.Tool || le.Holder != tc.want.Holder || le.Waited != "0s" {
				t.Errorf("got %+v, want %+v", *le, tc.want)
			}
		})
	}
}

// operandTargets rebuilds the targets of a recorded run from its operands
// (NAME[:ARCH]=VERSION, the form operands writes).
func operandTargets(t testing.TB, rec run.Recording) []plan.Target {
	t.Helper()
	i := slices.Index(rec.Argv, "--")
	var out []plan.Target
	for _, op := range rec.Argv[i+1:] {
		na, ver, _ := strings.Cut(op, "=")
		if !strings.Contains(na, ":") {
			na += ":all"
		}
		v, err := patchkit.ParseDpkg(na, ver)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, plan.Target{Version: v})
	}
	return out
}

// TestRecordedDebianPlan reads the plan of every pending upgrade of the
// testbed's Debian chroot: Debian's own packages (amd64 and all) from
// bookworm-security beside the testbed's, 12.8 MB to fetch.
func TestRecordedDebianPlan(t *testing.T) {
	r := loadReplay(t, "chroot-all-upgrades")
	targets := operandTargets(t, r.recs[0])
	p, err := Plan(t.Context(), r, targets, Chroot(r.recs[0].Argv[1]))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Actions) != 18 || len(targets) != 18 {
		t.Fatalf("%d actions for %d targets", len(p.Actions), len(targets))
	}
	byName := map[string]plan.Action{}
	for _, a := range p.Actions {
		byName[a.Package.Name] = a
	}
	for _, tg := range targets {
		a, ok := byName[tg.Version.Name]
		if !ok || a.Kind != plan.Upgrade || a.Package.EVR() != tg.Version.EVR() || a.Package.Arch != tg.Version.Arch {
			t.Errorf("target %s %s: action %v", tg.Version.QualifiedName(), tg.Version.EVR(), a)
		}
	}
	if a := byName["perl-base"]; a.Package.Repository != "Debian-Security:12/oldstable-security" || a.From != "5.36.0-7+deb12u3" {
		t.Errorf("perl-base: %+v", a)
	}
	// "Need to get 12.8 MB", "After this operation, 22.5 kB ..."
	if p.DownloadSize != 12845880 || p.InstalledSizeChange != 22500 {
		t.Errorf("sizes %d %d", p.DownloadSize, p.InstalledSizeChange)
	}
}

// BenchmarkPlanRecorded is patchkit's own work in Plan, without the
// package manager: building the commands and reading, checking and
// cross-checking the two outputs of the chroot's 18-upgrade plan.
func BenchmarkPlanRecorded(b *testing.B) {
	recs, err := run.LoadRecordings(os.DirFS(recDir), "chroot-all-upgrades-[0-9][0-9]-*.txt")
	if err != nil {
		b.Fatal(err)
	}
	r := run.NewReplay(recs...)
	targets := operandTargets(b, recs[0])
	opt := Chroot(recs[0].Argv[1])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Plan(context.Background(), r, targets, opt); err != nil {
			b.Fatal(err)
		}
	}
}
