package dnf_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

func rpmPkg(name, epoch, version, release, arch string) patchkit.Package {
	p := patchkit.Package{Name: name, Version: version, Release: release, Arch: arch, Scheme: patchkit.RPM}
	if epoch != "" {
		p.Epoch = patchkit.EpochOf(uint32(epoch[0] - '0'))
	}
	return p
}

// TestHostileTargets (F1): names, architectures and versions that dnf
// could read as an option, a path, a glob, a second package or a shell
// command are refused before anything runs, by every entry point that
// takes targets; no marker file appears.
func TestHostileTargets(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	calls := 0
	never := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		calls++
		return run.Result{}, errors.New("must not run")
	})
	good := rpmPkg("tb-lib", "1", "2.0", "2", "noarch")
	for _, bad := range []patchkit.Package{
		rpmPkg("-oAPT::Update::Pre-Invoke::=touch "+marker, "0", "1", "1", "noarch"),
		rpmPkg("--nogpgcheck", "0", "1", "1", "noarch"),
		rpmPkg("./x.rpm", "0", "1", "1", "noarch"),
		rpmPkg("/tmp/x.rpm", "0", "1", "1", "noarch"),
		rpmPkg("*", "0", "1", "1", "noarch"),
		rpmPkg("tb-*", "0", "1", "1", "noarch"),
		rpmPkg("foo;id", "0", "1", "1", "noarch"),
		rpmPkg("foo;touch "+marker, "0", "1", "1", "noarch"),
		rpmPkg("a\nb", "0", "1", "1", "noarch"),
		rpmPkg("http://example.invalid/x.rpm", "0", "1", "1", "noarch"),
		rpmPkg("tb-lib", "1", "2.0", "2", "noarch;id"),
		rpmPkg("tb-lib", "1", "2.0", "2", ""),
		rpmPkg("tb-lib", "1", "2.0*", "2", "noarch"),
		rpmPkg("tb-lib", "1", "2.0", "2 tb-evil-1-1.noarch", "noarch"),
		rpmPkg("tb-lib", "1", "2.0", "[12]", "noarch"),
		rpmPkg("tb-lib", "1", "", "2", "noarch"),
		{Name: "tb-lib", Version: "2.0", Release: "2", Arch: "all", Scheme: patchkit.Deb},
	} {
		targets := []plan.Target{{Version: good}, {Version: bad}}
		_, err1 := dnf.Plan(context.Background(), never, targets)
		_, err2 := dnf.Apply(context.Background(), never, targets)
		_, err3 := dnf.NewCommands(targets)
		for _, err := range []error{err1, err2, err3} {
			var te *dnf.TargetError
			if !errors.As(err, &te) || te.Index != 1 || !errors.Is(err, patchkit.ErrInvalid) {
				t.Errorf("target %q %q %q %q: %v, want a *TargetError for target 1", bad.Name, bad.EVR(), bad.Arch, bad.Release, err)
			}
		}
	}
	// the same package twice, and a target that upgrades another package
	for _, targets := range [][]plan.Target{
		{{Version: good}, {Version: good}},
		{{Version: good, Installed: rpmPkg("tb-other", "1", "2.0", "1", "noarch")}},
		nil,
	} {
		if _, err := dnf.Plan(context.Background(), never, targets); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%v: %v", targets, err)
		}
	}
	if calls != 0 {
		t.Errorf("the runner was called %d times", calls)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("marker file: %v", err)
	}
}

// TestCommands (F4): every command, with every option the caller can set,
// carries no weakening option, puts the targets after "--" as full
// NEVRAs, asks dnf to upgrade (never install), and sets exit_on_lock and
// skip_if_unavailable; the commit and the repair are committing, the rest
// not. --nogpgcheck appears on every dnf command with AllowUnauthenticated
// and on none without.
func TestCommands(t *testing.T) {
	targets := []plan.Target{{Version: rpmPkg("tb-lib", "1", "2.0", "2", "noarch")}, {Version: rpmPkg("kernel", "", "5.14.0", "503.el9", "x86_64")}}
	opts := []dnf.Option{dnf.WithInstallRoot("/srv/image"), dnf.WithReleasever("9"), dnf.WithSetopt("tb-updates.priority", "5"),
		dnf.WithSetopt("installonlypkgs", "kernel-tbx"), dnf.WithCacheOnly(true), dnf.WithLockWait(0), dnf.WithProgram("/usr/bin/dnf-3"), dnf.WithRPM("/usr/bin/rpm")}
	c, err := dnf.NewCommands(targets, opts...)
	if err != nil {
		t.Fatal(err)
	}
	all := []run.Command{c.Plan, c.SizeQuery, c.InstalledSizeQuery, c.Download, c.Commit, c.Check, c.Repair}
	for _, cmd := range all {
		checkArgv(t, cmd)
		if slices.Contains(cmd.Argv(), "--nogpgcheck") {
			t.Errorf("%s without AllowUnauthenticated", cmd.String())
		}
		if cmd.Path == "/usr/bin/dnf-3" && !slices.Contains(cmd.Args, "--installroot=/srv/image") {
			t.Errorf("%s: no installroot", cmd.String())
		}
	}
	wantOps := []string{"tb-lib-1:2.0-2.noarch", "kernel-0:5.14.0-503.el9.x86_64"}
	for _, cmd := range []run.Command{c.Plan, c.Download, c.Commit} {
		if !slices.Equal(cmd.Operands, wantOps) || cmd.Args[len(cmd.Args)-1] != "upgrade" {
			t.Errorf("%s: operands %q", cmd.String(), cmd.Operands)
		}
	}
	if got := strings.Join(c.Plan.Args[:3], " "); got != "-v --assumeno -C" {
		t.Errorf("plan starts %q", got)
	}
	if !slices.Contains(c.Plan.Args, "--setopt=reposdir=/srv/image/etc/yum.repos.d") || !slices.Contains(c.Plan.Args, "--setopt=tb-updates.priority=5") {
		t.Errorf("plan args %q", c.Plan.Args)
	}
	if got := c.InstalledSizeQuery.Argv()[:4]; !slices.Equal(got, []string{"/usr/bin/rpm", "--root", "/srv/image", "-q"}) {
		t.Errorf("rpm query %q", got)
	}
	for _, cmd := range all {
		if cmd.Committing != (cmd.Args[len(cmd.Args)-1] == "--duplicates" && cmd.Args[len(cmd.Args)-2] == "remove" || slices.Equal(cmd.Args[:2], []string{"-y", "-C"})) {
			t.Errorf("%s: committing %v", cmd.String(), cmd.Committing)
		}
	}
	c, err = dnf.NewCommands(targets, append(opts, dnf.AllowUnauthenticated())...)
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []run.Command{c.Plan, c.SizeQuery, c.Download, c.Commit, c.Check, c.Repair} {
		checkArgv(t, cmd, "--nogpgcheck")
		if !slices.Contains(cmd.Args, "--nogpgcheck") {
			t.Errorf("%s: AllowUnauthenticated without --nogpgcheck", cmd.String())
		}
	}
}

// TestOptions: bad values and the setopts that would weaken dnf are
// refused when the option is applied.
func TestOptions(t *testing.T) {
	target := []plan.Target{{Version: rpmPkg("tb-lib", "1", "2.0", "2", "noarch")}}
	for _, o := range []dnf.Option{
		dnf.WithInstallRoot("relative"), dnf.WithInstallRoot("/"), dnf.WithInstallRoot("/a/../b"), dnf.WithInstallRoot("/a\nb"),
		dnf.WithProgram("dnf"), dnf.WithRPM(""), dnf.WithReleasever("9 --nogpgcheck"), dnf.WithReleasever(""),
		dnf.WithSetopt("gpgcheck", "0"), dnf.WithSetopt("tb-updates.repo_gpgcheck", "0"), dnf.WithSetopt("*.GPGCHECK", "0"),
		dnf.WithSetopt("localpkg_gpgcheck", "0"), dnf.WithSetopt("sslverify", "0"), dnf.WithSetopt("skip_if_unavailable", "1"),
		dnf.WithSetopt("exit_on_lock", "False"), dnf.WithSetopt("reposdir", "/etc/yum.repos.d"), dnf.WithSetopt("tsflags", "noscripts"),
		dnf.WithSetopt("a b", "1"), dnf.WithSetopt("proxy", "x\ny"), dnf.WithLockWait(-1), dnf.WithInstallOnly(""), dnf.WithInstallOnly("a,b"), nil,
	} {
		if _, err := dnf.NewCommands(target, o); !errors.Is(err, dnf.ErrOption) {
			t.Errorf("option accepted: %v", err)
		}
	}
}

// TestCheck: duplicates of a name and architecture need repair; multilib
// pairs, installonly packages by dnf's defaults, by dnf.conf and by option
// do not; a dnf.conf dnf could not read is an error naming its line.
func TestCheck(t *testing.T) {
	inv := []patchkit.Package{
		rpmPkg("bash", "", "5.1.8", "9.el9", "x86_64"),
		rpmPkg("tb-dep", "", "1.1", "1", "noarch"), rpmPkg("tb-dep", "", "1.0", "1", "noarch"),
		rpmPkg("glibc", "", "2.34", "100.el9", "x86_64"), rpmPkg("glibc", "", "2.34", "100.el9", "i686"),
		rpmPkg("kernel", "", "5.14.0", "503.el9", "x86_64"), rpmPkg("kernel", "", "5.14.0", "427.el9", "x86_64"),
		rpmPkg("kernel-core", "", "5.14.0", "503.el9", "x86_64"), rpmPkg("kernel-core", "", "5.14.0", "427.el9", "x86_64"),
		rpmPkg("kernel-uek-modules-extra", "", "5.15.0", "307.el8uek", "x86_64"), rpmPkg("kernel-uek-modules-extra", "", "5.15.0", "300.el8uek", "x86_64"),
		rpmPkg("kernel6.1", "", "6.1.102", "111.amzn2023", "x86_64"), rpmPkg("kernel6.1", "", "6.1.100", "108.amzn2023", "x86_64"),
		rpmPkg("kernel-headers", "", "5.14.0", "503.el9", "x86_64"), rpmPkg("kernel-headers", "", "5.14.0", "427.el9", "x86_64"),
		rpmPkg("kernel-tbx", "", "5.1", "1", "noarch"), rpmPkg("kernel-tbx", "", "5.0", "1", "noarch"),
		rpmPkg("vendor-kmod", "1", "1", "1", "x86_64"), rpmPkg("vendor-kmod", "1", "2", "1", "x86_64"),
	}
	conf := fstest.MapFS{"etc/dnf/dnf.conf": {Data: []byte("[main]\ngpgcheck=1\ninstallonlypkgs=kernel-tbx,\n  vendor-kmod\n[tb-extra]\ninstallonlypkgs=tb-dep\n")}}
	err := dnf.Check(context.Background(), conf, inv, dnf.WithInstallRoot("/srv/image"))
	var re *plan.RepairError
	if !errors.As(err, &re) || !errors.Is(err, plan.ErrNeedsRepair) {
		t.Fatalf("%v, want a *plan.RepairError", err)
	}
	want := []string{"kernel-headers.x86_64 0:5.14.0-427.el9 0:5.14.0-503.el9", "tb-dep.noarch 0:1.0-1 0:1.1-1"}
	if !slices.Equal(re.Packages, want) || re.Tool != "rpm" || !strings.HasPrefix(re.Repair, "/usr/bin/dnf -y --installroot=/srv/image ") {
		t.Errorf("%+v, want %q", *re, want)
	}
	err = dnf.Check(context.Background(), fstest.MapFS{}, inv, dnf.WithInstallOnly("kernel-headers", "tb-dep", "kernel-tbx", "vendor-kmod"))
	if err != nil {
		t.Errorf("with every name installonly: %v", err)
	}
	err = dnf.Check(context.Background(), fstest.MapFS{}, inv)
	if !errors.As(err, &re) || len(re.Packages) != 4 {
		t.Errorf("without configuration: %v", err)
	}
	for _, bad := range []string{"[main]\ninstallonlypkgs kernel\n", "[main\nx=1\n", "[main]\nx=\x00\n"} {
		err := dnf.Check(context.Background(), fstest.MapFS{"etc/dnf/dnf.conf": {Data: []byte(bad)}}, inv)
		var ce *dnf.ConfigError
		if !errors.As(err, &ce) || ce.Line != 2 && ce.Line != 1 || ce.File != "etc/dnf/dnf.conf" {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := dnf.Check(context.Background(), conf, []patchkit.Package{{Name: "x", Scheme: patchkit.Deb}}); err == nil {
		t.Error("a Debian package was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := dnf.Check(ctx, conf, inv); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestParseFailures: dnf and rpm messages that the testbed does not
// produce, taken from the sources of dnf 4.14 and rpm 4.18 on this
// machine (the strings their code formats), one per case.
func TestParseFailures(t *testing.T) {
	for _, tc := range []struct {
		name           string
		stdout, stderr string
		want           []plan.Failure
	}{
		{"unsigned", "", "Package tb-x-1.1-1.noarch.rpm is not signed\nError: GPG check FAILED\n",
			[]plan.Failure{{Name: "tb-x", Arch: "noarch", Reason: "GPG check FAILED: Package tb-x-1.1-1.noarch.rpm is not signed; not installed: the transaction did not run"}}},
		{"download", "", "Error downloading packages:\n  tb-x-1.1-1.noarch: Cannot download, all mirrors were already tried without success\n",
			[]plan.Failure{{Name: "tb-x", Arch: "noarch", Reason: "download failed: Cannot download, all mirrors were already tried without success; not installed: the transaction did not run"}}},
		{"file conflict", "", "Error: Transaction test error:\n  file /usr/share/x from install of tb-x-1.1-1.noarch conflicts with file from package tb-y-1.0-1.noarch\n",
			[]plan.Failure{{Name: "tb-x", Arch: "noarch", Reason: "file /usr/share/x from install of tb-x-1.1-1.noarch conflicts with file from package tb-y-1.0-1.noarch; not installed: the transaction did not run"}}},
		{"disk space", "", "Error: Transaction test error:\n  installing package tb-x-1.1-1.noarch needs 12MB more space on the / filesystem\n",
			[]plan.Failure{{Name: "tb-x", Arch: "noarch", Reason: "needs 12MB more space on the / filesystem; not installed: the transaction did not run"}}},
		{"preun by signal", "Running transaction\nwarning: %preun(tb-x-1.0-1.noarch) scriptlet failed, signal 9\n", "Error in PREUN scriptlet in rpm package tb-x\n",
			[]plan.Failure{{Name: "tb-x", Arch: "noarch", Reason: "%preun scriptlet failed, signal 9"}}},
		{"only dnf's line", "Running transaction\n", "Error in POSTTRANS scriptlet in rpm package tb-x\n",
			[]plan.Failure{{Name: "tb-x", Reason: "Error in POSTTRANS scriptlet"}}},
		{"skipped", "Running transaction\nSkipped:\n  tb-fail-1.1-1.noarch\n\nComplete!\n", "\n Problem: cannot install the best update candidate for package tb-fail-1.0-1.noarch\n  - nothing provides /bin/sh needed by tb-fail-1.1-1.noarch\n",
			[]plan.Failure{{Name: "tb-fail", Arch: "noarch", Reason: "skipped by dnf; nothing provides /bin/sh; not installed"}}},
		{"nothing", "Dependencies resolved.\nNothing to do.\nComplete!\n", "", nil},
		{"control characters", "", "  file /usr/share/x\x1b[2Jy from install of tb-x-1.1-1.noarch conflicts with file from package tb-y-1.0-1.noarch\n",
			[]plan.Failure{{Name: "tb-x", Arch: "noarch", Reason: "file /usr/share/x\\x1b[2Jy from install of tb-x-1.1-1.noarch conflicts with file from package tb-y-1.0-1.noarch; not installed: the transaction did not run"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := dnf.ParseFailures([]byte(tc.stdout), []byte(tc.stderr)); !slices.Equal(got, tc.want) {
				t.Errorf("\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestParseDuplicates: dnf check's lines, and lines that are not.
func TestParseDuplicates(t *testing.T) {
	got, err := dnf.ParseDuplicates([]byte("tb-x-1.0-1.noarch is a duplicate with tb-x-1:1.1-1.noarch\ntb-x-1.0-1.noarch is a duplicate with tb-x-1.2-1.noarch\na-2-1.x86_64 is a duplicate with a-3-1.x86_64\n"))
	if want := []string{"a.x86_64 0:2-1 0:3-1", "tb-x.noarch 0:1.0-1 1:1.1-1 0:1.2-1"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("%q %v, want %q", got, err, want)
	}
	for _, bad := range []string{"something else\n", "a-1-1.noarch is a duplicate with b-1-1.noarch\n", "a is a duplicate with a-1-1.noarch\n"} {
		var oe *dnf.OutputError
		if _, err := dnf.ParseDuplicates([]byte(bad)); !errors.As(err, &oe) || oe.Line != 1 {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestParseSizes: the size queries' output, and output that is not theirs.
func TestParseSizes(t *testing.T) {
	s, err := dnf.ParseSizes([]byte("tb-dep\t0\t1.1\t1\tnoarch\ttb-extra\t6150\t13\n"), false)
	if err != nil || len(s) != 1 || s[0].Package.NEVRA() != "tb-dep-0:1.1-1.noarch" || s[0].Package.Repository != "tb-extra" || s[0].Download != 6150 || s[0].Installed != 13 {
		t.Errorf("%+v %v", s, err)
	}
	for _, bad := range []string{"tb-dep\t0\t1.1\t1\tnoarch\ttb-extra\t6150\n", "tb-dep\tx\t1.1\t1\tnoarch\t13\n", "tb-dep\t0\t1.1\t1\tnoarch\t-1\n", "-x\t0\t1\t1\tnoarch\t1\n"} {
		installed := strings.Count(bad, "\t") == 5
		if _, err := dnf.ParseSizes([]byte(bad), installed); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestParseLock: dnf's four lock names and what is not a lock message.
func TestParseLock(t *testing.T) {
	h, ok := dnf.ParseLock([]byte("RPMDB already locked by 31933\n  The application with PID 31933 is: sleep\n    Memory : 1.5 M RSS (2.4 MB VSZ)\n"))
	if !ok || h != (dnf.LockHolder{Lock: "RPMDB", PID: 31933, Holder: "sleep"}) {
		t.Errorf("%+v %v", h, ok)
	}
	if _, ok := dnf.ParseLock([]byte("Error: Transaction failed\n")); ok {
		t.Error("a lock in an error without one")
	}
	if h, ok := dnf.ParseLock([]byte("log already locked by 7\n")); !ok || h.Holder != "" || h.PID != 7 {
		t.Errorf("%+v", h)
	}
}
