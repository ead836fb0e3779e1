package apt

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// hostileTargets are good with one part replaced by something apt-get or
// a shell would read specially (security matrix row F1).
func hostileTargets(good plan.Target, cmd string) []plan.Target {
	var out []plan.Target
	with := func(f func(*patchkit.Package)) {
		tg := good
		f(&tg.Version)
		tg.Installed = patchkit.Package{}
		out = append(out, tg)
	}
	for _, name := range []string{
		"-oAPT::Update::Pre-Invoke::=" + cmd, "-oAPT::Get::AllowUnauthenticated=1", "--allow-unauthenticated",
		"--nogpgcheck", "./x.deb", "/tmp/x.deb", "*", "tb-*", "?installed", "~ninstalled", "foo;id", "foo$(id)",
		"a\nb", "a b", "tb-lib/testbed", "tb-lib=1", "tb-lib:amd64", "", "TB-LIB",
	} {
		with(func(p *patchkit.Package) { p.Name = name })
	}
	for _, arch := range []string{"", "amd64 -s", "-all", "all;id", "a\nb", "*", "amd64/x"} {
		with(func(p *patchkit.Package) { p.Arch = arch })
	}
	for _, v := range []string{"1.0 ;" + cmd, "*", "1.0/testbed", "1.0 -oDebug::x=1", "1.0\n2", "1.0=2", "1.0,2", "1.0)"} {
		with(func(p *patchkit.Package) { p.Version, p.Release, p.Epoch = v, "", patchkit.Epoch{} })
	}
	with(func(p *patchkit.Package) { p.Scheme = patchkit.RPM })
	adv := good
	adv.Advisory = "SUSE-SU-2026:0001"
	out = append(out, adv)
	return out
}

// TestOperands spells targets as apt-get install reads them.
func TestOperands(t *testing.T) {
	mk := func(nameArch, version string) plan.Target {
		v, err := patchkit.ParseDpkg(nameArch, version)
		if err != nil {
			t.Fatal(err)
		}
		return plan.Target{Version: v}
	}
	got, err := operands([]plan.Target{
		mk("libc6:amd64", "2.36-9+deb12u10"), mk("tzdata:all", "2026f-0+deb12u1"), mk("libfoo:i386", "1:2.0~rc1-3"), mk("perl-base:amd64", "5.36.0-7+deb12u4"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"libc6:amd64=2.36-9+deb12u10", "tzdata=2026f-0+deb12u1", "libfoo:i386=1:2.0~rc1-3", "perl-base:amd64=5.36.0-7+deb12u4"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range [][]plan.Target{
		nil,
		{mk("a:all", "1"), mk("a:all", "2")}, // one package twice
		{{Version: mk("libc6:amd64", "2.36-9").Version, Installed: mk("libc6:i386", "2.36-8").Version}}, // another installed package
	} {
		if _, err := operands(bad); !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// refuse is a runner that fails the test when anything runs.
func refuse(t *testing.T) run.Runner {
	return run.RunnerFunc(func(_ context.Context, c run.Command) (run.Result, error) {
		t.Errorf("ran %s", c)
		return run.Result{}, errors.New("must not run")
	})
}

// TestHostileTargets (F1): every call refuses a target that is not
// dpkg's grammar with a *TargetError before anything runs.
func TestHostileTargets(t *testing.T) {
	good, err := patchkit.ParseDpkg("tb-lib:all", "1:2.0-2")
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range hostileTargets(plan.Target{Version: good}, "touch /tmp/pwned") {
		ts := []plan.Target{{Version: good}, tg}
		_, err := Plan(t.Context(), refuse(t), ts)
		var te *TargetError
		if !errors.As(err, &te) || te.Index != 1 || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("Plan %q: %v", tg.Version.Name+":"+tg.Version.Arch+"="+tg.Version.EVR(), err)
		}
		if _, err := Apply(t.Context(), refuse(t), ts, Chroot("/srv/root")); !errors.As(err, &te) {
			t.Errorf("Apply %q: %v", tg.Version.Name, err)
		}
	}
}

// TestOptions checks each option's validation.
func TestOptions(t *testing.T) {
	for i, opts := range [][]Option{
		{Chroot("srv/root")}, {Chroot("/")}, {Chroot("/srv/\nroot")},
		{AptConfig("apt.conf")}, {AptConfig("/x/apt\x7f.conf")},
		{LockTimeout(-time.Second)}, {LockTimeout(25 * time.Hour)},
		{Chroot("/srv/root"), AptConfig("/srv/apt.conf")},
		{Admindir("../x")}, {Admindir("")},
	} {
		_, err := buildOptions(opts)
		var oe *OptionError
		if !errors.As(err, &oe) || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("options %d: %v", i, err)
		}
		if _, err := Plan(t.Context(), refuse(t), nil, opts...); !errors.As(err, &oe) {
			t.Errorf("Plan with options %d: %v", i, err)
		}
	}
	o, err := buildOptions([]Option{Chroot("/srv/root/"), LockTimeout(1500 * time.Millisecond), Admindir("/var/lib/dpkg/")})
	if err != nil || o.chroot != "/srv/root" || lockSeconds(o.lockWait) != 2 || o.admindir != "var/lib/dpkg" {
		t.Errorf("%+v %v", o, err)
	}
}

// TestCommands (F4) checks the argument vector and environment of every
// command, with each option: the weakening flags appear only when asked
// for by name, --no-remove unless AllowRemovals, the dpkg options are the
// conffile ones, the commit is the only committing command, and operands
// come after "--".
func TestCommands(t *testing.T) {
	ops := []string{"tb-lib=1:2.0-2", "libc6:amd64=2.36-9+deb12u10"}
	type cmdSet struct{ sim, sizes, download, commit, dump, repair run.Command }
	build := func(opts ...Option) cmdSet {
		o, err := buildOptions(opts)
		if err != nil {
			t.Fatal(err)
		}
		return cmdSet{o.simulateCommand(ops), o.sizesCommand(ops), o.installCommand(ops, true, 90*time.Second),
			o.installCommand(ops, false, 89500*time.Millisecond), o.dpkgOptionsCommand(), o.repairCommand([]string{"--root=/r"})}
	}
	common := "/usr/bin/apt-get -o quiet=1 -o APT::Get::Show-Upgraded=true --no-install-recommends"
	install := common + " -o DPkg::Lock::Timeout=90 -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -y"
	tail := " install --only-upgrade -- tb-lib=1:2.0-2 libc6:amd64=2.36-9+deb12u10"
	env := []string{"LC_ALL=C", "LANG=C", "LANGUAGE=", "DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_MODE=a", "APT_LISTCHANGES_FRONTEND=none", "UCF_FORCE_CONFFOLD=1"}
	for _, tc := range []struct {
		name   string
		opts   []Option
		prefix string // before the program in a chroot
		extra  string // the opted-in flags, in order
		noRm   string
		env    []string
	}{
		{"live", nil, "", "", " --no-remove", env},
		{"chroot", []Option{Chroot("/srv/root")}, "/usr/sbin/chroot /srv/root ", "", " --no-remove", env},
		{"aptconfig", []Option{AptConfig("/srv/a/apt.conf")}, "", "", " --no-remove", append(slices.Clone(env), "APT_CONFIG=/srv/a/apt.conf")},
		{"downgrades", []Option{AllowDowngrades()}, "", " --allow-downgrades", " --no-remove", env},
		{"unauthenticated", []Option{AllowUnauthenticated()}, "", " --allow-unauthenticated", " --no-remove", env},
		{"removals", []Option{AllowRemovals()}, "", "", "", env},
		{"all", []Option{AllowUnauthenticated(), AllowRemovals(), AllowDowngrades()}, "", " --allow-downgrades --allow-unauthenticated", "", env},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := build(tc.opts...)
			p := func(s string) string {
				if tc.prefix == "" {
					return s
				}
				return tc.prefix + s
			}
			want := []struct {
				c          run.Command
				argv       string
				committing bool
			}{
				{c.sim, p(common) + " -s" + tail, false},
				{c.sizes, p(common) + " --print-uris" + tail, false},
				{c.download, p(install) + " --download-only" + tc.noRm + tc.extra + tail, false},
				{c.commit, p(install) + tc.noRm + tc.extra + tail, true},
				{c.dump, p("/usr/bin/apt-config dump --format %f=%v%n DPkg::Options"), false},
				{c.repair, p("/usr/bin/dpkg --root=/r --force-confdef --force-confold --configure -a"), true},
			}
			for i, w := range want {
				if got := strings.Join(w.c.Argv(), " "); got != w.argv {
					t.Errorf("command %d\n got %s\nwant %s", i, got, w.argv)
				}
				if w.c.Committing != w.committing {
					t.Errorf("command %d: Committing %v", i, w.c.Committing)
				}
				if !slices.Equal(w.c.Env, tc.env) {
					t.Errorf("command %d: env %q", i, w.c.Env)
				}
				if err := w.c.Check(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
