package zypper

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// TestZypperInstallHostileNames is row F1: targets whose name,
// architecture, version or patch name could be read by zypper as an
// option, a file, a URL, a glob, a capability expression or a second
// operand are refused with a *TargetError before any command runs; the
// marker a shell would have created is absent.
func TestZypperInstallHostileNames(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	ok := upgrade("tb-lib", 1, "2.0-1", "2.0-2")
	var cases []plan.Target
	for _, n := range []string{"-oAPT::Update::Pre-Invoke::=touch " + marker, "--nogpgcheck", "--no-gpg-checks", "./x.rpm", "/tmp/x.rpm",
		"http://127.0.0.1/x.rpm", "*", "tb-*", "foo;id", "foo;touch " + marker, "$(touch " + marker + ")", "a\nb", "tb-lib>=1", "tb-lib=1:2.0-2",
		"patch:TBSA-2026:0001", "tb lib", ""} {
		c := ok
		c.Version.Name, c.Installed.Name = n, n
		cases = append(cases, c)
	}
	for _, a := range []string{"noarch=9", "x86_64;id", "../x", "-x", "noarch\n"} {
		c := ok
		c.Version.Arch = a
		cases = append(cases, c)
	}
	for _, v := range [][2]string{{"2.0 --no-gpg-checks", "2"}, {"2.0", "2;touch " + marker}, {"1-2", "3"}, {"2.0", ""}, {"", "2"}, {"2.0", "2\n"}, {"2.0*", "2"}} {
		c := ok
		c.Version.Version, c.Version.Release = v[0], v[1]
		cases = append(cases, c)
	}
	for _, a := range []string{"-n", "--with-interactive", "x y", "patch:x", "x;id", "x\nb", "*", "x/../y"} {
		c := ok
		c.Advisory = a
		cases = append(cases, c)
	}
	deb := ok
	deb.Version.Scheme = patchkit.Deb
	notUpgrade := ok
	notUpgrade.Installed = patchkit.Package{}
	cases = append(cases, deb, notUpgrade)

	l, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	g := newGuard(t, l)
	for i, c := range cases {
		for _, call := range []func() error{
			func() error { _, err := Plan(t.Context(), g, []plan.Target{ok, c}); return err },
			func() error { _, err := Apply(t.Context(), g, []plan.Target{ok, c}); return err },
		} {
			err := call()
			var te *TargetError
			if !errors.As(err, &te) || !errors.Is(err, patchkit.ErrInvalid) || te.Index != 1 {
				t.Errorf("case %d (%q %q %q %q): %v", i, c.Version.Name, c.Version.Arch, c.Version.EVR(), c.Advisory, err)
			}
		}
	}
	if n := len(g.commands()); n != 0 {
		t.Errorf("%d commands ran", n)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the marker exists")
	}
	if _, err := Plan(t.Context(), g, nil); !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("no targets: %v", err)
	}
}

// TestZypperInstallArgv is row F4 for every command this package builds:
// the exact argument vector by default (no weakening option), and that
// each named opt-in adds its own option and nothing else.
func TestZypperInstallArgv(t *testing.T) {
	var calls []run.Command
	r := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		calls = append(calls, c)
		return run.Result{Stdout: []byte("<?xml version='1.0'?>\n<stream>\n<install-summary download-size=\"0\" space-usage-diff=\"0\">\n</install-summary>\n</stream>\n")}, nil
	})
	targets := []plan.Target{upgrade("tb-lib", 1, "2.0-1", "2.0-2"), upgrade("tb-hello", -1, "1.0-1", "1.1-1")}
	base := []string{"/usr/bin/zypper", "--non-interactive", "--xmlout", "--no-refresh", "--root", "/r"}
	ops := []string{"--", "tb-lib.noarch=1:2.0-2", "tb-hello.noarch=1.1-1"}
	cases := []struct {
		name  string
		opts  []Option
		extra []string // options added to the default
	}{
		{"default", nil, nil},
		{"AllowDowngrades", []Option{AllowDowngrades()}, []string{"--oldpackage"}},
		{"AllowUnauthenticated", []Option{AllowUnauthenticated()}, []string{"--no-gpg-checks"}},
		{"AllowKeyImport", []Option{AllowKeyImport()}, []string{"--gpg-auto-import-keys"}},
		{"AgreeWithLicenses", []Option{AgreeWithLicenses()}, []string{"--auto-agree-with-licenses"}},
	}
	for _, tc := range cases {
		calls = nil
		opts := append([]Option{WithRoot("/r")}, tc.opts...)
		if _, err := Plan(t.Context(), r, targets, opts...); err != nil {
			t.Fatal(err)
		}
		if _, err := Apply(t.Context(), r, targets, opts...); err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyPlan(t.Context(), r, opts...); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 3 {
			t.Fatalf("%s: %d calls", tc.name, len(calls))
		}
		for i, want := range [][]string{
			slices.Concat(base, []string{"install", "--dry-run", "--no-force-resolution", "--no-recommends"}, ops),
			slices.Concat(base, []string{"install", "--download-only", "--no-force-resolution", "--no-recommends"}, ops),
			slices.Concat(base, []string{"verify", "--dry-run", "--no-recommends"}),
		} {
			got := calls[i].Argv()
			var added []string
			for _, a := range got {
				if !slices.Contains(want, a) {
					added = append(added, a)
				}
			}
			if i == 2 && (tc.name == "AllowDowngrades" || tc.name == "AgreeWithLicenses") {
				// verify has no such options
				if len(added) != 0 {
					t.Errorf("%s: verify got %q", tc.name, added)
				}
				continue
			}
			if !slices.Equal(added, tc.extra) || len(got) != len(want)+len(tc.extra) {
				t.Errorf("%s: command %d\n got %q\nwant %q plus %q", tc.name, i, got, want, tc.extra)
			}
			if calls[i].Committing {
				t.Errorf("%s: command %d is committing", tc.name, i)
			}
			if !slices.Contains(calls[i].Env, "ZYPP_LOCK_TIMEOUT=600") || !slices.Contains(calls[i].Env, "LC_ALL=C") {
				t.Errorf("%s: env %q", tc.name, calls[i].Env)
			}
		}
	}
	// WithRecommends replaces --no-recommends
	calls = nil
	if _, err := Plan(t.Context(), r, targets, WithRoot("/r"), WithRecommends(true)); err != nil {
		t.Fatal(err)
	}
	if got := calls[0].Argv(); !slices.Equal(got, slices.Concat(base, []string{"install", "--dry-run", "--no-force-resolution", "--recommends"}, ops)) {
		t.Errorf("WithRecommends: %q", got)
	}
	// a patch is installed as patch:ID, once, with list-patches first
	calls = nil
	p1, p2 := upgrade("kernel-tb", -1, "5.0-1", "5.1-1"), upgrade("kernel-tb-devel", -1, "5.0-1", "5.1-1")
	p1.Advisory, p2.Advisory = "TBSA-2026:0003", "TBSA-2026:0003"
	if _, err := Plan(t.Context(), r, []plan.Target{p1, p2}, WithRoot("/r"), WithLockTimeout(1500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := calls[0].Argv(); !slices.Equal(got, slices.Concat(base, []string{"list-patches", "--all"})) {
		t.Errorf("list-patches: %q", got)
	}
	if got := calls[1].Argv(); !slices.Equal(got[len(got)-2:], []string{"--", "patch:TBSA-2026:0003"}) {
		t.Errorf("patch operands: %q", got)
	}
	if !slices.Contains(calls[1].Env, "ZYPP_LOCK_TIMEOUT=2") {
		t.Errorf("lock bound of 1.5 s: %q", calls[1].Env)
	}
	// the live system: no --root
	calls = nil
	if _, err := Plan(t.Context(), r, targets, WithRefresh(true)); err != nil {
		t.Fatal(err)
	}
	if got := calls[0].Argv(); !slices.Equal(got[:4], []string{"/usr/bin/zypper", "--non-interactive", "--xmlout", "install"}) {
		t.Errorf("live system, refresh allowed: %q", got)
	}
}

func TestOptionErrors(t *testing.T) {
	for _, o := range []Option{WithRoot("relative"), WithRoot("/"), WithRoot("/a/../b"), WithProgram("zypper"), WithLockTimeout(-time.Second),
		WithLockTimeout(48 * time.Hour), WithEnv("ZYPP_LOCK_TIMEOUT=5"), WithEnv("NOEQUALS"), WithEnv("A=b\nc")} {
		_, err := Plan(t.Context(), nil, []plan.Target{upgrade("tb-lib", 1, "2.0-1", "2.0-2")}, o)
		var oe *OptionError
		if !errors.As(err, &oe) || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%v", err)
		}
	}
}

// scenarioRoot is a zypper root recorded by scan/zypper's tests:
// kernel-tb 5.0-1 and 5.1-1 installed, and zypp.conf with multiversion =
// provides:kernel-tb.
const scenarioRoot = "../../testdata/zypper/scenarios/multiversion-provides/root"

// TestCheck checks duplicate detection against the multiversion setting,
// read as libzypp reads it for a target root.
func TestCheck(t *testing.T) {
	ctx := t.Context()
	root := os.DirFS(scenarioRoot)
	_, installed, err := rpmdb.Read(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, root, installed); err != nil {
		t.Errorf("kernel-tb is multiversion by its provides: %v", err)
	}
	db, err := os.ReadFile(filepath.Join(scenarioRoot, "var/lib/rpm/rpmdb.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	both := []string{"kernel-tb-5.0-1.noarch", "kernel-tb-5.1-1.noarch"}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // nil: no repair
	}{
		{"no zypp.conf", nil, both},
		{"by name", map[string]string{"etc/zypp/zypp.conf": "[main]\nmultiversion = kernel-tb\n"}, nil},
		{"another provide", map[string]string{"etc/zypp/zypp.conf": "[main]\nmultiversion = provides:multiversion(kernel)\n"}, both},
		{"first line only", map[string]string{"etc/zypp/zypp.conf": "multiversion = other\nmultiversion = kernel-tb\n"}, both},
		{"indented is not read", map[string]string{"etc/zypp/zypp.conf": "  multiversion = kernel-tb\n"}, both},
		{"list", map[string]string{"etc/zypp/zypp.conf": "multiversion=a,provides:kernel-tb b\n"}, nil},
		{"multiversion.d", map[string]string{"etc/zypp/multiversion.d/tb": "# comment\nprovides:kernel-tb\n"}, nil},
		{"ZYPP_CONF", map[string]string{"srv/z.conf": "multiversion = kernel-tb\n"}, nil},
	} {
		fsys := fstest.MapFS{"var/lib/rpm/rpmdb.sqlite": {Data: db}}
		for f, c := range tc.files {
			fsys[f] = &fstest.MapFile{Data: []byte(c)}
		}
		var opts []Option
		if tc.name == "ZYPP_CONF" {
			opts = append(opts, WithEnv("ZYPP_CONF=/srv/z.conf"))
		}
		err := Check(ctx, fsys, installed, opts...)
		var re *plan.RepairError
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != nil && (!errors.As(err, &re) || !slices.Equal(re.Packages, tc.want)):
			t.Errorf("%s: %v, want a repair of %v", tc.name, err, tc.want)
		case re != nil && re.Repair != "/usr/bin/zypper --non-interactive --xmlout --no-refresh verify --no-recommends":
			t.Errorf("%s: repair %q", tc.name, re.Repair)
		}
	}
	// keys are not packages; one version each needs nothing read
	keys := []patchkit.Package{{Name: "gpg-pubkey", Version: "a", Release: "1"}, {Name: "gpg-pubkey", Version: "b", Release: "1"}, installed[1]}
	if err := Check(ctx, fstest.MapFS{}, keys); err != nil {
		t.Errorf("keys: %v", err)
	}
	// the same name in two architectures is multilib, not a leftover
	multilib := []patchkit.Package{{Name: "glibc", Version: "2", Release: "1", Arch: "x86_64"}, {Name: "glibc", Version: "2", Release: "1", Arch: "i586"}}
	if err := Check(ctx, fstest.MapFS{}, multilib); err != nil {
		t.Errorf("multilib: %v", err)
	}
	if err := Check(ctx, fstest.MapFS{"etc/zypp/zypp.conf": {Data: []byte("multiversion = provides:x\n")}}, installed); !errors.Is(err, rpmdb.ErrNoDatabase) {
		t.Errorf("provides without a database: %v", err)
	}
}

func TestSplitSpec(t *testing.T) {
	if got := splitSpec(`a, b\ c,,provides:x(y)	z`); !slices.Equal(got, []string{"a", "b c", "provides:x(y)", "z"}) {
		t.Errorf("%q", got)
	}
}

func TestEdition(t *testing.T) {
	for _, tc := range []struct {
		p    patchkit.Package
		want string
	}{
		{rpmPkg("a", -1, "1.0", "1"), "1.0-1"},
		{rpmPkg("a", 0, "1.0", "1"), "1.0-1"},
		{rpmPkg("a", 2, "1.0", "1"), "2:1.0-1"},
	} {
		if got := edition(tc.p); got != tc.want {
			t.Errorf("%v: %q", tc.p, got)
		}
	}
	if err := checkPatchName(strings.Repeat("a", 201)); err == nil {
		t.Error("a long patch name was accepted")
	}
}
