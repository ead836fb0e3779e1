package zypper

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

var update = flag.Bool("update", false, "record zypper's answers on the testbed again into testdata/install/zypper")

// recordDir holds the recordings of real zypper runs that the replay tests
// read.
const recordDir = "../../testdata/install/zypper"

// built is the shared set of packages and repositories the testbed tests
// install from, built once per test binary (rpmbuild takes seconds).
type built struct {
	dir string
	// rpms maps "name-version-release" to the rpm file.
	rpms map[string]string
	// goodKey is the armoured public key that signs the packages and the
	// tbx repository; the clones trust it. evilKey signs tb-evil 1.1-1 and
	// the tbu repository and is never trusted.
	goodKey, evilKey string
	// repo is the tbx repository (repomd.xml signed with the good key):
	// the 1.1-1 versions, and tb-newdep 1.0-1. untrusted is tbu, holding
	// tb-evil 1.1-1, its repomd.xml signed with the evil key.
	repo, untrusted string
	// rpmbuildTime is how long rpmbuild took.
	rpmbuildTime time.Duration
}

var (
	buildOnce sync.Once
	buildDir  string // removed by TestMain
	buildRes  *built
	buildErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// gate makes a scriptlet wait, in the root's /tmp, until the test lets it
// go (at most 60 s): it writes NAME.started, then waits for NAME.go.
func gate(name string) string {
	return fmt.Sprintf(`: > /tmp/%[1]s.started
n=0
while [ ! -e /tmp/%[1]s.go ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done`, name)
}

type spec struct {
	name, ver, arch string
	pre, post       string
	requires        string
	extraFile       string // a second file the version ships
	evil            bool   // signed with the untrusted key
}

// specs are the packages the tests build: the installed 1.0-1 and the
// 1.1-1 update of each (noarch, but tb-sh). Scriptlets run with /bin/sh
// inside the root, which tb-sh provides.
var specs = []spec{
	{name: "tb-sh", ver: "1.0", arch: "x86_64"},
	{name: "tb-fail", ver: "1.0"}, {name: "tb-fail", ver: "1.1", post: "echo failing post >&2\nexit 29"},
	{name: "tb-prefail", ver: "1.0"}, {name: "tb-prefail", ver: "1.1", pre: "echo failing pre >&2\nexit 30"},
	{name: "tb-slow", ver: "1.0"}, {name: "tb-slow", ver: "1.1", pre: gate("tb-slow.pre"), post: gate("tb-slow.post")},
	{name: "tb-dep", ver: "1.0"}, {name: "tb-dep", ver: "1.1", requires: "tb-newdep"},
	{name: "tb-newdep", ver: "1.0"},
	{name: "tb-evil", ver: "1.0"}, {name: "tb-evil", ver: "1.1", evil: true, extraFile: "/usr/share/tbx/tb-evil-new.txt"},
	{name: "tb-dl", ver: "1.0"}, {name: "tb-dl", ver: "1.1"},
}

// specText writes one spec file for the packages of one version: rpmbuild
// spends most of its time per spec, so each version's packages are
// subpackages (-n NAME) of one spec whose main package has no files and is
// not built. The 1.0 spec's main package is tb-sh, the shell for the other
// packages' scriptlets (dash, sleep and the C library of this machine).
func specText(ver string, pkgs []spec) string {
	var b strings.Builder
	main := "tb-install-tests"
	if ver == "1.0" {
		main = "tb-sh"
	}
	fmt.Fprintf(&b, "Name: %s\nVersion: %s\nRelease: 1\nSummary: patchkit install test packages\nLicense: MIT\n", main, ver)
	if main == "tb-sh" {
		b.WriteString("AutoReqProv: no\nProvides: /bin/sh\n")
	}
	b.WriteString("%description\nPackages for the tests of patchkit's install/zypper.\n")
	for _, s := range pkgs {
		if s.name == "tb-sh" {
			continue
		}
		fmt.Fprintf(&b, "%%package -n %s\nSummary: patchkit install test package %s\nBuildArch: noarch\n", s.name, s.name)
		if s.requires != "" {
			fmt.Fprintf(&b, "Requires: %s\n", s.requires)
		}
		fmt.Fprintf(&b, "%%description -n %s\nA patchkit install test package.\n", s.name)
	}
	b.WriteString("%install\nmkdir -p %{buildroot}/usr/share/tbx\n")
	for _, s := range pkgs {
		if s.name == "tb-sh" {
			b.WriteString("mkdir -p %{buildroot}/bin %{buildroot}/lib64 %{buildroot}/lib/x86_64-linux-gnu\n" +
				"cp /bin/dash %{buildroot}/bin/sh\ncp /bin/sleep %{buildroot}/bin/sleep\n" +
				"cp -L /lib/x86_64-linux-gnu/libc.so.6 %{buildroot}/lib/x86_64-linux-gnu/\n" +
				"cp -L /lib64/ld-linux-x86-64.so.2 %{buildroot}/lib64/\n")
			continue
		}
		fmt.Fprintf(&b, "echo \"%s %s-1\" > %%{buildroot}/usr/share/tbx/%s.txt\n", s.name, s.ver, s.name)
		if s.extraFile != "" {
			fmt.Fprintf(&b, "echo new > %%{buildroot}%s\n", s.extraFile)
		}
	}
	for _, s := range pkgs {
		if s.pre != "" {
			fmt.Fprintf(&b, "%%pre -n %s\n%s\n", s.name, s.pre)
		}
		if s.post != "" {
			fmt.Fprintf(&b, "%%post -n %s\n%s\n", s.name, s.post)
		}
	}
	for _, s := range pkgs {
		if s.name == "tb-sh" {
			b.WriteString("%files\n/bin/sh\n/bin/sleep\n/lib64/ld-linux-x86-64.so.2\n/lib/x86_64-linux-gnu/libc.so.6\n")
			continue
		}
		fmt.Fprintf(&b, "%%files -n %s\n/usr/share/tbx/%s.txt\n", s.name, s.name)
		if s.extraFile != "" {
			b.WriteString(s.extraFile + "\n")
		}
	}
	return b.String()
}

// buildAll builds the packages, signs them, and makes the two
// repositories.
func buildAll(t testing.TB) *built {
	t.Helper()
	rb := testutil.NeedTool(t, "rpmbuild", "rpm")
	rs := testutil.NeedTool(t, "rpmsign", "rpm")
	cr := testutil.NeedTool(t, "createrepo_c", "createrepo-c")
	gpg := testutil.NeedTool(t, "gpg", "gnupg")
	testutil.NeedTool(t, "dash", "dash")
	buildOnce.Do(func() {
		start := time.Now()
		buildRes, buildErr = doBuild(rb, rs, cr, gpg)
		if buildRes != nil {
			t.Logf("built %d packages (rpmbuild %v) and 2 repositories in %v", len(specs), buildRes.rpmbuildTime, time.Since(start))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildRes
}

func doBuild(rb, rs, cr, gpg string) (*built, error) {
	dir, err := os.MkdirTemp("", "patchkit-install-zypper-")
	if err != nil {
		return nil, err
	}
	buildDir = dir
	sh := func(env []string, name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return nil
	}
	b := &built{dir: dir, rpms: map[string]string{}}
	var specFiles []string
	for _, ver := range []string{"1.0", "1.1"} {
		var pkgs []spec
		for _, s := range specs {
			if s.ver == ver {
				pkgs = append(pkgs, s)
			}
		}
		f := filepath.Join(dir, "tb-"+ver+".spec")
		if err := os.WriteFile(f, []byte(specText(ver, pkgs)), 0o644); err != nil {
			return nil, err
		}
		specFiles = append(specFiles, f)
	}
	top := filepath.Join(dir, "rpmbuild")
	args := []string{"-bb", "--quiet", "--define", "_topdir " + top,
		// without a fixed build host rpmbuild looks its name up in DNS,
		// which takes seconds here
		"--define", "_buildhost testbed.invalid",
		"--define", "debug_package %{nil}", "--define", "__strip /bin/true",
		"--define", "_binary_payload w1.gzdio"}
	start := time.Now()
	if err := sh(nil, rb, append(args, specFiles...)...); err != nil {
		return nil, err
	}
	rbTime := time.Since(start)
	keys := map[string]string{}
	for _, k := range []string{"good", "evil"} {
		home := filepath.Join(dir, "gnupg-"+k)
		if err := os.Mkdir(home, 0o700); err != nil {
			return nil, err
		}
		env := []string{"GNUPGHOME=" + home}
		if err := sh(env, gpg, "--batch", "--passphrase", "", "--quick-gen-key", "patchkit install test "+k+" <"+k+"@example.invalid>", "ed25519", "sign", "never"); err != nil {
			return nil, err
		}
		pub := filepath.Join(dir, k+".asc")
		if err := sh(env, gpg, "--batch", "--yes", "--armor", "--output", pub, "--export"); err != nil {
			return nil, err
		}
		keys[k] = home
	}
	b.goodKey, b.evilKey = filepath.Join(dir, "good.asc"), filepath.Join(dir, "evil.asc")
	var good, evil []string
	for _, s := range specs {
		arch := s.arch
		if arch == "" {
			arch = "noarch"
		}
		f := filepath.Join(top, "RPMS", arch, s.name+"-"+s.ver+"-1."+arch+".rpm")
		b.rpms[s.name+"-"+s.ver+"-1"] = f
		if s.evil {
			evil = append(evil, f)
		} else {
			good = append(good, f)
		}
	}
	signWith := func(k string, files []string) error {
		// Debian's rpm names /usr/bin/gpg2, which does not exist
		return sh(nil, rs, append([]string{"--addsign", "--define", "__gpg " + gpg,
			"--define", "_gpg_name patchkit install test " + k, "--define", "_gpg_path " + keys[k]}, files...)...)
	}
	if err := signWith("good", good); err != nil {
		return nil, err
	}
	if err := signWith("evil", evil); err != nil {
		return nil, err
	}
	mkrepo := func(d, key string, files []string) error {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(d, filepath.Base(f)), data, 0o644); err != nil {
				return err
			}
		}
		if err := sh(nil, cr, "-q", d); err != nil {
			return err
		}
		md := filepath.Join(d, "repodata", "repomd.xml")
		// the repository publishes its key beside repomd.xml, as SUSE's
		// do; zypper offers to import it and, non-interactively, declines
		pub, err := os.ReadFile(filepath.Join(dir, key+".asc"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(md+".key", pub, 0o644); err != nil {
			return err
		}
		return sh([]string{"GNUPGHOME=" + keys[key]}, gpg, "--batch", "--yes", "--armor", "--detach-sign", "-o", md+".asc", md)
	}
	b.repo, b.untrusted = filepath.Join(dir, "tbx"), filepath.Join(dir, "tbu")
	var updates []string
	for _, s := range specs {
		if s.ver == "1.1" || s.name == "tb-newdep" {
			updates = append(updates, b.rpms[s.name+"-"+s.ver+"-1"])
		}
	}
	if err := mkrepo(b.repo, "good", updates); err != nil {
		return nil, err
	}
	if err := mkrepo(b.untrusted, "evil", []string{b.rpms["tb-evil-1.1-1"]}); err != nil {
		return nil, err
	}
	b.rpmbuildTime = rbTime
	return b, nil
}

// zroot is one test's copy of the testbed's zypper root, prepared with
// the test packages.
type zroot struct {
	env  testbed.Env
	root string
	b    *built
}

// newRoot clones the testbed's zypper root, trusts the good key, installs
// tb-sh and the 1.0-1 versions of names with rpm, and adds the
// repositories given: "tbx" (refreshed), "tbu" (not refreshed: zypper
// refuses its key).
func newRoot(t testing.TB, names []string, repos ...string) *zroot {
	t.Helper()
	env := testbed.Need(t)
	testutil.NeedTool(t, "zypper", "zypper")
	rpmPath := testutil.NeedTool(t, "rpm", "rpm")
	b := buildAll(t)
	c := env.Clone(t)
	z := &zroot{env: c, root: c.ZyppRoot, b: b}
	if err := os.MkdirAll(filepath.Join(z.root, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, "", nil, rpmPath, "--root", z.root, "--import", b.goodKey)
	files := []string{b.rpms["tb-sh-1.0-1"]}
	for _, n := range names {
		files = append(files, b.rpms[n+"-1.0-1"])
	}
	testutil.Run(t, "", nil, rpmPath, append([]string{"--root", z.root, "-i"}, files...)...)
	for _, r := range repos {
		dir := b.repo
		if r == "tbu" {
			dir = b.untrusted
		}
		z.zypper(t, "addrepo", "file:"+dir, r)
		if r == "tbx" {
			z.zypper(t, "refresh", r)
		}
	}
	return z
}

// zypper runs zypper on the root for a test's setup.
func (z *zroot) zypper(t testing.TB, args ...string) string {
	t.Helper()
	return testutil.Run(t, "", nil, "zypper", append([]string{"--non-interactive", "--quiet", "--root", z.root}, args...)...)
}

// installed reads the root's rpm database.
func (z *zroot) installed(t testing.TB) []patchkit.Package {
	t.Helper()
	_, pkgs, err := rpmdb.Read(t.Context(), os.DirFS(z.root))
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// versions returns the installed NEVRAs of name.
func (z *zroot) versions(t testing.TB, name string) []string {
	t.Helper()
	var out []string
	for _, p := range z.installed(t) {
		if p.Name == name {
			out = append(out, p.NEVRA())
		}
	}
	slices.Sort(out)
	return out
}

// target builds the target moving the installed name to version-release
// (the installed epoch).
func (z *zroot) target(t testing.TB, name, version, release string) plan.Target {
	t.Helper()
	for _, p := range z.installed(t) {
		if p.Name == name {
			v := patchkit.Package{Name: name, Epoch: p.Epoch, Version: version, Release: release, Arch: p.Arch, Scheme: patchkit.RPM}
			return plan.Target{Version: v, Installed: p}
		}
	}
	t.Fatalf("%s is not installed", name)
	return plan.Target{}
}

// file returns the content of a file of the root, "" when it is absent.
func (z *zroot) file(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(z.root, rel))
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitFile waits up to d for a file of the root to exist.
func (z *zroot) waitFile(t *testing.T, rel string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(z.root, rel)); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not appear within %v", rel, d)
}

// touch creates a file of the root.
func (z *zroot) touch(t *testing.T, rel string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(z.root, rel), nil, 0o644); err != nil {
		t.Error(err)
	}
}

// forbidden are the options that weaken zypper's checks or widen what it
// may do; no command may carry one unless the test opted in by name.
var forbidden = []string{"--no-gpg-checks", "--gpg-auto-import-keys", "--oldpackage", "--force", "-f",
	"--allow-unsigned-rpm", "--force-resolution", "--allow-downgrade", "--allow-name-change",
	"--allow-arch-change", "--allow-vendor-change", "--auto-agree-with-licenses", "-l", "--replacefiles",
	"--with-interactive", "--recommends", "-G", "--no-gpgcheck", "--nogpgcheck"}

// guard wraps a runner: every command must be zypper (or rpm) with an
// argument vector free of the forbidden options (except those allowed),
// --non-interactive, its operands after "--" (run.Command.Argv puts them
// there), and the lock bound in its environment. It counts the commands.
type guard struct {
	t       *testing.T
	r       run.Runner
	allowed []string
	mu      sync.Mutex
	calls   []run.Command
}

func newGuard(t *testing.T, r run.Runner, allowed ...string) *guard {
	return &guard{t: t, r: r, allowed: allowed}
}

func (g *guard) Run(ctx context.Context, c run.Command) (run.Result, error) {
	g.mu.Lock()
	g.calls = append(g.calls, c)
	g.mu.Unlock()
	argv := c.Argv()
	for _, a := range argv[1 : len(argv)-len(c.Operands)] {
		if slices.Contains(forbidden, a) && !slices.Contains(g.allowed, a) {
			g.t.Errorf("F4: %s carries %s", c, a)
		}
	}
	if filepath.Base(c.Path) == "zypper" {
		if !slices.Contains(c.Args, "--non-interactive") {
			g.t.Errorf("%s is not --non-interactive", c)
		}
		if !slices.ContainsFunc(c.Env, func(e string) bool { return strings.HasPrefix(e, "ZYPP_LOCK_TIMEOUT=") }) {
			g.t.Errorf("%s has no ZYPP_LOCK_TIMEOUT", c)
		}
	}
	if len(c.Operands) > 0 && argv[len(argv)-len(c.Operands)-1] != "--" {
		g.t.Errorf("%s: operands not after --", c)
	}
	return g.r.Run(ctx, c)
}

func (g *guard) commands() []run.Command {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

// runners returns a guarded local runner (wait delay d) recording every
// run; with -update, the recordings are written under recordDir/name when
// the test ends.
func runners(t *testing.T, name string, d time.Duration, allowed ...string) (*guard, *run.Recorder) {
	t.Helper()
	l, err := run.NewLocal(run.WithWaitDelay(d))
	if err != nil {
		t.Fatal(err)
	}
	date := time.Now().UTC().Format("2006-01-02")
	rec := run.NewRecorder(l, func(c run.Command) string {
		return "zypper 1.14.42 (Debian 12 package zypper 1.14.42-2), rpm 4.18.0, on this project's machine kind, " + date + ":\n" +
			t.Name() + " (install/zypper) on a clone of the testbed's zypper root with packages built by the test;\n" +
			"recorded with go test -run " + t.Name() + " -update ./install/zypper"
	})
	g := newGuard(t, rec, allowed...)
	if name != "" && *update {
		t.Cleanup(func() {
			if t.Failed() {
				return
			}
			dir := filepath.Join(recordDir, name)
			if err := os.RemoveAll(dir); err != nil {
				t.Error(err)
				return
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Error(err)
				return
			}
			for i, r := range rec.Recordings() {
				b, err := r.Format()
				if err != nil {
					t.Error(err)
					return
				}
				f := filepath.Join(dir, fmt.Sprintf("%02d-%s.txt", i+1, label(r.Argv)))
				if err := os.WriteFile(f, b, 0o644); err != nil {
					t.Error(err)
				}
			}
		})
	}
	return g, rec
}

// label names a recording by its zypper subcommand and mode.
func label(argv []string) string {
	for _, sub := range []string{"list-patches", "install", "verify"} {
		if slices.Contains(argv, sub) {
			l := "zypper-" + sub
			for _, m := range []string{"--dry-run", "--download-only"} {
				if slices.Contains(argv, m) {
					l += strings.Replace(m, "-", "", 1)
				}
			}
			return l
		}
	}
	return filepath.Base(argv[0])
}

// actionStrings returns the plan's actions as strings, sorted.
func actionStrings(acts []plan.Action) []string {
	var out []string
	for _, a := range acts {
		out = append(out, a.String())
	}
	slices.Sort(out)
	return out
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// committing returns the committing commands among cmds.
func committing(cmds []run.Command) []run.Command {
	var out []run.Command
	for _, c := range cmds {
		if c.Committing {
			out = append(out, c)
		}
	}
	return out
}
