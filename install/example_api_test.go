package install_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/install"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/run"
)

// apiRoot makes a Debian 12 root in a temporary directory: Debian's
// os-release, the dpkg database of the directory db of
// testdata/dpkg/db, and, when packages is not empty, a bookworm-security
// suite in apt's lists offering them. The caller removes it.
func apiRoot(db, packages string) (string, error) {
	root, err := os.MkdirTemp("", "patchkit-install-example-")
	if err != nil {
		return "", err
	}
	put := func(name string, data []byte) error {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o644)
	}
	osRelease, err := os.ReadFile("../testdata/osdetect/debian-12/etc/os-release")
	if err == nil {
		err = put("etc/os-release", osRelease)
	}
	if err == nil {
		err = fs.WalkDir(os.DirFS("../testdata/dpkg/db/"+db), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(filepath.Join("../testdata/dpkg/db", db, p))
			if err != nil {
				return err
			}
			return put("var/lib/dpkg/"+p, data)
		})
	}
	if err == nil && packages != "" {
		sum := sha256.Sum256([]byte(packages))
		lists := "var/lib/apt/lists/security.debian.org_debian-security_dists_bookworm-security_"
		err = put("etc/apt/sources.list", []byte("deb [trusted=yes] http://security.debian.org/debian-security bookworm-security main\n"))
		if err == nil {
			err = put(lists+"Release", []byte("Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\n"+
				"Codename: bookworm-security\nVersion: 12\nDate: Sat, 01 Nov 2025 00:00:00 UTC\nArchitectures: amd64\n"+
				"Components: main\nSHA256:\n "+hex.EncodeToString(sum[:])+fmt.Sprintf(" %d main/binary-amd64/Packages\n", len(packages))))
		}
		if err == nil {
			err = put(lists+"main_binary-amd64_Packages", []byte(packages))
		}
	}
	if err != nil {
		os.RemoveAll(root)
		return "", err
	}
	return root, nil
}

// apiLibc6 is a libc6 newer than the minbase database's 2.36-9+deb12u14.
const apiLibc6 = "Package: libc6\nVersion: 2.36-9+deb12u15\nArchitecture: amd64\nPriority: optional\nSection: libs\n" +
	"Source: glibc\nFilename: pool/updates/main/g/glibc/libc6_2.36-9+deb12u15_amd64.deb\n"

// apiPrintOnly is a runner that prints each command (and APT_CONFIG,
// when it is in the command's environment), with the root's temporary
// path as ROOT, and runs none.
func apiPrintOnly(root string) run.Runner {
	return run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		for _, e := range c.Env {
			if strings.HasPrefix(e, "APT_CONFIG=") {
				fmt.Print(strings.ReplaceAll(e, root, "ROOT"), " ")
			}
		}
		fmt.Println(strings.ReplaceAll(c.String(), root, "ROOT"))
		return run.Result{}, errors.New("not run")
	})
}

// apiPending returns the report of a scan of root a day before at, with
// bash installed by a NoReboot Install since: a reboot is pending.
func apiPending(root string, at time.Time) (*compliance.Report, error) {
	s, err := scan.Scan(context.Background(), os.DirFS(root), scan.At(at.Add(-24*time.Hour)), scan.WithArch("x86_64"))
	if err != nil {
		return nil, err
	}
	prev := s.Report
	for i := range prev.Items {
		if prev.Items[i].Name == "bash" {
			prev.Items[i].State = compliance.InstalledPendingReboot
		}
	}
	prev.Summary.InstalledPendingRebootCount = 1
	prev.Summary.LastNoRebootInstallOperationTime = at.Add(-24 * time.Hour)
	return &prev, nil
}

// printRebooter is an embedder's rebooter: here it says what it would do.
type printRebooter struct{}

func (printRebooter) Reboot(ctx context.Context) error {
	fmt.Println("reboot: scheduled by the embedder")
	return nil
}

// AWS-RunPatchBaselineWithHooks on a node that misses nothing, where an
// earlier NoReboot Install left bash pending a reboot: under
// RebootIfNeeded the pre- and post-install hooks run, the node reboots,
// then the on-exit hook runs. The runner is never called: nothing is
// installed.
func ExampleWithHooks() {
	root, err := apiRoot("debian-12-minbase", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	at := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	prev, err := apiPending(root, at)
	if err != nil {
		fmt.Println(err)
		return
	}
	debian, err := osdetect.DetectFS(os.DirFS(root))
	if err != nil {
		fmt.Println(err)
		return
	}
	never := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		return run.Result{}, fmt.Errorf("not expected: %v", c)
	})
	res, err := install.Install(context.Background(), os.DirFS(root), install.Root(root), install.WithRunner(never),
		install.At(at), install.WithClock(func() time.Time { return at.Add(3 * time.Minute) }),
		install.WithOS(debian), install.WithArch("x86_64"),
		install.WithNode(compliance.Node{InstanceID: "i-0123456789abcdef0", PatchGroup: "web"}),
		install.WithPrevious(prev), install.WithHostFacts(scan.HostFacts{BootTime: at.Add(-48 * time.Hour)}),
		install.WithRebooter(printRebooter{}),
		install.WithProgress(func(e install.ProgressEvent) {
			if e.Step == "reboot" {
				fmt.Println("step:", e.Step)
			}
		}),
		install.WithHooks(install.Hooks{
			PreInstall: func(ctx context.Context, p plan.Plan) error {
				fmt.Println("pre-install hook:", len(p.Actions), "actions")
				return nil
			},
			PostInstall: func(ctx context.Context, o plan.Outcome) error {
				fmt.Printf("post-install hook: command %q\n", o.Command)
				return nil
			},
			OnExit: func(ctx context.Context, r install.Result) error {
				fmt.Println("on-exit hook: rebooted", r.Rebooted)
				return nil
			},
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := res.Report.Summary
	fmt.Println(s.InstanceID, s.Operation, s.Status, s.OperationEndTime.Sub(s.OperationStartTime))
	// Output:
	// pre-install hook: 0 actions
	// post-install hook: command ""
	// step: reboot
	// reboot: scheduled by the embedder
	// on-exit hook: rebooted true
	// i-0123456789abcdef0 Install COMPLIANT 3m0s
}

// A dry run stops after the plan: nothing is installed or rebooted, only
// the on-exit hook runs, and RebootNeeded says the run would reboot.
func ExampleDryRun() {
	root, err := apiRoot("debian-12-minbase", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	at := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	prev, err := apiPending(root, at)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := install.Install(context.Background(), os.DirFS(root), install.Root(root), install.WithRunner(apiPrintOnly(root)),
		install.At(at), install.WithArch("x86_64"), install.WithPrevious(prev),
		install.WithHostFacts(scan.HostFacts{BootTime: at.Add(-48 * time.Hour)}),
		install.WithRebooter(printRebooter{}), install.DryRun(),
		install.WithHooks(install.Hooks{OnExit: func(ctx context.Context, r install.Result) error {
			fmt.Println("on-exit hook: dry run", r.DryRun)
			return nil
		}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rebooted:", res.Rebooted, "reboot needed:", res.RebootNeeded)
	// Output:
	// on-exit hook: dry run true
	// rebooted: false reboot needed: true
}

// A root where dpkg was interrupted: installing over it would make it
// worse, so Install asks for a repair (a *plan.RepairError naming the
// packages dpkg left half-done) unless WithRepair lets it run dpkg
// --configure -a first. The dpkg database is one real dpkg left
// (testdata/dpkg/db/testbed-states); the runner here prints the commands
// and runs none.
func ExampleWithRepair() {
	root, err := apiRoot("testbed-states", "Package: tb-lib\nVersion: 8.0-2\nArchitecture: amd64\nPriority: optional\nSection: libs\n")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	opts := []install.Option{install.Root(root), install.WithRunner(apiPrintOnly(root)),
		install.At(time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)), install.WithArch("x86_64")}
	res, err := install.Install(context.Background(), os.DirFS(root), opts...)
	for _, t := range res.Targets {
		fmt.Println("target:", t.KBID, t.Version.EVR())
	}
	var re *plan.RepairError
	if errors.As(err, &re) {
		fmt.Println(errors.Is(err, plan.ErrNeedsRepair), len(re.Packages), "to repair, first:", re.Packages[0])
	}
	_, err = install.Install(context.Background(), os.DirFS(root), append(opts, install.WithRepair())...)
	fmt.Println(strings.ReplaceAll(err.Error(), root, "ROOT"))
	_, err = install.Install(context.Background(), os.DirFS(root), append(opts, install.WithRepair(), install.DryRun())...)
	fmt.Println(err)
	// Output:
	// target: tb-lib.amd64 8.0-2
	// true 7 to repair, first: 5 entries of dpkg's journal in var/lib/dpkg/updates (0000, 0001, 0002, 0003, 0004)
	// /usr/sbin/chroot ROOT /usr/bin/apt-config dump --format %f=%v%n DPkg::Options
	// install: repair: install/apt: reading apt's DPkg::Options on chroot ROOT: not run
	// install: WithRepair: cannot be combined with DryRun: a dry run changes nothing, and repairing an interrupted run changes the package database
}

// Options for the package manager's runs. AptConfig runs apt on a private
// apt root (the file that describes it) instead of through chroot. The
// runner here prints the first command, the plan (apt-get -s), and runs
// none: the plan fails, and Install stops before anything changes. The
// other options act on what follows the plan: AllowNewDependencies
// accepts a plan that installs packages that were not installed,
// AllowDowngrades one that downgrades (and passes --allow-downgrades to
// the install run), and WithLockWait bounds the wait for apt's and dpkg's
// locks.
func ExampleAllowDowngrades() {
	root, err := apiRoot("debian-12-minbase", apiLibc6)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	res, err := install.Install(context.Background(), os.DirFS(root), install.Root(root), install.WithRunner(apiPrintOnly(root)),
		install.At(time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)), install.WithArch("x86_64"),
		install.AptConfig(root+"/etc/apt/apt.conf"), install.AllowDowngrades(), install.AllowNewDependencies(),
		install.WithLockWait(2*time.Minute), install.WithLogger(slog.New(slog.DiscardHandler)),
		install.WithBuildOptions(compliance.BuildOptions{UnspecifiedNodeSeverity: true}))
	for _, t := range res.Targets {
		fmt.Println("target:", t.KBID, t.Installed.EVR(), "->", t.Version.EVR())
	}
	fmt.Println(err != nil)
	// Output:
	// APT_CONFIG=ROOT/etc/apt/apt.conf /usr/bin/apt-get -o quiet=1 -o APT::Get::Show-Upgraded=true --no-install-recommends -s install --only-upgrade -- libc6:amd64=2.36-9+deb12u15
	// target: libc6.amd64 2.36-9+deb12u14 -> 2.36-9+deb12u15
	// true
}

// What to install: by default the approved missing patches of the
// AWS-owned baseline; a custom baseline, a snapshot of one, or an
// InstallOverrideList (which installs what it names, approved or not)
// change it. A BaselineOverride cannot be combined with an override list.
func ExampleWithOverrideList() {
	root, err := apiRoot("debian-12-minbase", apiLibc6)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	at := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	hold, err := baseline.Predefined(patchkit.OSDebian)
	if err != nil {
		fmt.Println(err)
		return
	}
	hold.Name, hold.RejectedPatches = "hold-glibc", []string{"libc6"}
	snap, err := scan.NewSnapshot("2b3a3b7e-4ad4-4d9c-9b9e-7a3f0c1d5e6f", hold, "web", at)
	if err != nil {
		fmt.Println(err)
		return
	}
	list, err := install.LoadOverrideList(strings.NewReader("patches:\n  - id: 'libc6'\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	quiet := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		return run.Result{}, errors.New("not run")
	})
	for _, c := range []struct {
		name string
		opts []install.Option
	}{
		{"AWS-owned baseline", nil},
		{"WithBaseline(hold-glibc)", []install.Option{install.WithBaseline(hold)}},
		{"WithSnapshot(hold-glibc)", []install.Option{install.WithSnapshot(snap)}},
		{"WithBaselineOverride(hold-glibc)", []install.Option{install.WithBaselineOverride(hold)}},
		{"WithOverrideList + WithBaseline(hold-glibc)", []install.Option{install.WithOverrideList(list), install.WithBaseline(hold)}},
		{"WithOverrideList + WithBaselineOverride", []install.Option{install.WithOverrideList(list), install.WithBaselineOverride(hold)}},
	} {
		opts := append([]install.Option{install.Root(root), install.WithRunner(quiet), install.At(at), install.WithArch("x86_64")}, c.opts...)
		res, err := install.Install(context.Background(), os.DirFS(root), opts...)
		var targets []string
		for _, t := range res.Targets {
			targets = append(targets, t.KBID+" "+t.Version.EVR())
		}
		if err != nil && len(targets) == 0 {
			fmt.Printf("%s: %v\n", c.name, err)
			continue
		}
		fmt.Printf("%s: targets %q\n", c.name, targets)
	}
	// Output:
	// AWS-owned baseline: targets ["libc6.amd64 2.36-9+deb12u15"]
	// WithBaseline(hold-glibc): targets []
	// WithSnapshot(hold-glibc): targets []
	// WithBaselineOverride(hold-glibc): targets []
	// WithOverrideList + WithBaseline(hold-glibc): targets ["libc6.amd64 2.36-9+deb12u15"]
	// WithOverrideList + WithBaselineOverride: install: WithOverrideList: an InstallOverrideList cannot be combined with a BaselineOverride
}

// SystemRebooter, the default on the live system, schedules the reboot a
// minute ahead through the runner; the runner here prints the command and
// runs none.
func ExampleSystemRebooter_Reboot() {
	r := install.SystemRebooter{Runner: run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		fmt.Println(c, "committing:", c.Committing)
		return run.Result{}, nil
	})}
	fmt.Println(r.Reboot(context.Background()))
	// Output:
	// /sbin/shutdown -r +1 committing: true
	// <nil>
}
