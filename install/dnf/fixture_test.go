package dnf_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

var update = flag.Bool("update", false, "record dnf's answers on the testbed again into testdata/install/dnf")

// recordDir holds the recordings of real dnf runs the replay tests read.
const recordDir = "../../testdata/install/dnf"

// longName and longRelease are wider than the columns dnf's table gives a
// name and a version by default (80 columns).
const (
	longName    = "tb-a-package-name-longer-than-the-name-column-of-dnfs-table"
	longRelease = "1.with.a.release.longer.than.its.column.el9_4"
)

// pkgSpec is one package the tests build.
type pkgSpec struct {
	name, ver, rel string
	pre, post      string
	requires       string // Requires lines, as written in the spec
	other          bool   // signed with key B, which no root trusts
}

func (s pkgSpec) nvr() string { return s.name + "-" + s.ver + "-" + s.rel }

// gate makes a scriptlet announce itself in the root's /tmp and wait (at
// most a minute) until the test lets it go: NAME.started, then NAME.go.
func gate(name string) string {
	return fmt.Sprintf(": > /tmp/%[1]s.started\nn=0\nwhile [ ! -e /tmp/%[1]s.go ] && [ $n -lt 600 ]; do /bin/sleep 0.1; n=$((n+1)); done", name)
}

// specs: the installed 1.0 of each name and its update. tb-sh is the shell
// (this machine's dash, sleep and C library) the other packages'
// scriptlets need inside a root that has no other.
func specs() []pkgSpec {
	return []pkgSpec{
		{name: "tb-sh", ver: "1.0", rel: "1"},
		{name: "tb-fail", ver: "1.0", rel: "1"}, {name: "tb-fail", ver: "1.1", rel: "1", post: "echo tb-fail post failing >&2\nexit 29"},
		{name: "tb-prefail", ver: "1.0", rel: "1"}, {name: "tb-prefail", ver: "1.1", rel: "1", pre: "echo tb-prefail pre failing >&2\nexit 7"},
		// tb-slow 1.1 needs tb-dep 1.1 before its %pre runs, so rpm has
		// installed tb-dep 1.1 (and not yet erased 1.0) when it waits.
		{name: "tb-slow", ver: "1.0", rel: "1"}, {name: "tb-slow", ver: "1.1", rel: "1", pre: gate("tb-slow.pre"), requires: "Requires(pre): tb-dep >= 1.1"},
		{name: "tb-dep", ver: "1.0", rel: "1"}, {name: "tb-dep", ver: "1.1", rel: "1", requires: "Requires: tb-newdep"},
		{name: "tb-newdep", ver: "1.0", rel: "1"},
		{name: "tb-badsig", ver: "1.0", rel: "1"}, {name: "tb-badsig", ver: "1.1", rel: "1", other: true},
		{name: "tb-dl", ver: "1.0", rel: "1"}, {name: "tb-dl", ver: "1.1", rel: "1"},
		{name: longName, ver: "1.0", rel: "1"}, {name: longName, ver: "1.1", rel: longRelease},
		{name: "kernel-tbx", ver: "5.0", rel: "1"}, {name: "kernel-tbx", ver: "5.1", rel: "1"}, {name: "kernel-tbx", ver: "5.2", rel: "1"},
	}
}

// file is the one file a test package ships: its name and version in the
// path, so that a version's files can be looked for after a refusal and
// two kernels can be installed side by side.
func (s pkgSpec) file() string { return "/usr/share/tbx/" + s.name + "-" + s.ver + ".txt" }

func (s pkgSpec) text() string {
	var b strings.Builder
	arch := "noarch"
	if s.name == "tb-sh" {
		arch = "x86_64"
	}
	fmt.Fprintf(&b, "Name: %s\nVersion: %s\nRelease: %s\nSummary: patchkit dnf install test package\nLicense: MIT\nBuildArch: %s\n", s.name, s.ver, s.rel, arch)
	if s.requires != "" {
		b.WriteString(s.requires + "\n")
	}
	if s.name == "tb-sh" {
		b.WriteString("AutoReqProv: no\nProvides: /bin/sh\n%description\nThis machine's dash, sleep and C library.\n%install\n" +
			"mkdir -p %{buildroot}/bin %{buildroot}/lib64 %{buildroot}/lib/x86_64-linux-gnu\n" +
			"cp /bin/dash %{buildroot}/bin/sh\ncp /bin/sleep %{buildroot}/bin/sleep\n" +
			"cp -L /lib64/ld-linux-x86-64.so.2 %{buildroot}/lib64/\ncp -L /lib/x86_64-linux-gnu/libc.so.6 %{buildroot}/lib/x86_64-linux-gnu/\n" +
			"%files\n/bin/sh\n/bin/sleep\n/lib64/ld-linux-x86-64.so.2\n/lib/x86_64-linux-gnu/libc.so.6\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%%description\nA patchkit dnf install test package.\n%%install\nmkdir -p %%{buildroot}/usr/share/tbx\necho %q > %%{buildroot}%s\n", s.nvr(), s.file())
	if s.pre != "" {
		fmt.Fprintf(&b, "%%pre\n%s\n", s.pre)
	}
	if s.post != "" {
		fmt.Fprintf(&b, "%%post\n%s\n", s.post)
	}
	fmt.Fprintf(&b, "%%files\n%s\n", s.file())
	return b.String()
}

// fixture is what the testbed tests share, built once per test binary: the
// packages, the tb-extra repository (repomd.xml signed with key A) served
// over HTTP, and a copy of the testbed's dnf root to which tb-extra was
// added and in which the 1.0 versions are installed.
type fixture struct {
	dir  string
	repo string            // tb-extra's directory
	rpms map[string]string // name-version-release to the file
	keyA string            // key A's public key file
	root string            // the prepared root, copied by every test
	srv  *httptest.Server

	mu   sync.Mutex
	hits map[string]int // requests per path
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if fix != nil {
		fix.srv.Close()
		// gpg started an agent for each key's home
		for _, k := range []string{"a", "b"} {
			cmd := exec.Command("gpgconf", "--kill", "gpg-agent")
			cmd.Env = append(os.Environ(), "GNUPGHOME="+filepath.Join(fix.dir, "gnupg-"+k))
			_ = cmd.Run()
		}
	}
	if fix != nil || fixErr != nil {
		if fix != nil {
			os.RemoveAll(fix.dir)
		}
	}
	os.Exit(code)
}

// getFixture builds the fixture (once) or ends the test.
func getFixture(t *testing.T, env testbed.Env) *fixture {
	t.Helper()
	for _, tool := range []string{"rpmbuild", "rpmsign", "rpm"} {
		testutil.NeedTool(t, tool, "rpm")
	}
	testutil.NeedTool(t, "createrepo_c", "createrepo-c")
	testutil.NeedTool(t, "gpg", "gnupg")
	testutil.NeedTool(t, "dash", "dash")
	testutil.NeedTool(t, "dnf", "dnf")
	fixOnce.Do(func() { fix, fixErr = buildFixture(env) })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func buildFixture(env testbed.Env) (*fixture, error) {
	dir, err := os.MkdirTemp("", "patchkit-install-dnf-")
	if err != nil {
		return nil, err
	}
	f := &fixture{dir: dir, repo: filepath.Join(dir, "repo"), rpms: map[string]string{}, hits: map[string]int{}}
	fail := func(err error) (*fixture, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	sh := func(env []string, name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return nil
	}
	var specFiles []string
	for _, s := range specs() {
		p := filepath.Join(dir, s.nvr()+".spec")
		if err := os.WriteFile(p, []byte(s.text()), 0o644); err != nil {
			return fail(err)
		}
		specFiles = append(specFiles, p)
	}
	top := filepath.Join(dir, "rpmbuild")
	args := []string{"-bb", "--quiet", "--define", "_topdir " + top,
		// otherwise rpmbuild spends seconds looking the host name up
		"--define", "_buildhost testbed.invalid",
		"--define", "debug_package %{nil}", "--define", "__strip /bin/true", "--define", "_binary_payload w1.gzdio"}
	if err := sh(nil, "rpmbuild", append(args, specFiles...)...); err != nil {
		return fail(err)
	}
	for _, k := range []string{"a", "b"} {
		home := filepath.Join(dir, "gnupg-"+k)
		if err := os.Mkdir(home, 0o700); err != nil {
			return fail(err)
		}
		e := []string{"GNUPGHOME=" + home}
		if err := sh(e, "gpg", "--batch", "--passphrase", "", "--quick-gen-key", "patchkit dnf test key "+k+" <"+k+"@example.invalid>", "ed25519", "sign", "never"); err != nil {
			return fail(err)
		}
	}
	if err := os.MkdirAll(f.repo, 0o755); err != nil {
		return fail(err)
	}
	f.keyA = filepath.Join(dir, "RPM-GPG-KEY-a")
	if err := sh([]string{"GNUPGHOME=" + filepath.Join(dir, "gnupg-a")}, "gpg", "--batch", "--yes", "--armor", "--output", f.keyA, "--export"); err != nil {
		return fail(err)
	}
	signed := map[string][]string{}
	for _, s := range specs() {
		arch := "noarch"
		if s.name == "tb-sh" {
			arch = "x86_64"
		}
		p := filepath.Join(top, "RPMS", arch, s.nvr()+"."+arch+".rpm")
		k := "a"
		if s.other {
			k = "b"
		}
		signed[k] = append(signed[k], p)
		f.rpms[s.nvr()] = filepath.Join(f.repo, filepath.Base(p))
	}
	for k, files := range signed {
		// Debian's rpm names /usr/bin/gpg2 as %__gpg, which does not exist
		if err := sh(nil, "rpmsign", append([]string{"--addsign", "--define", "__gpg /usr/bin/gpg",
			"--define", "_gpg_name patchkit dnf test key " + k, "--define", "_gpg_path " + filepath.Join(dir, "gnupg-"+k)}, files...)...); err != nil {
			return fail(err)
		}
		for _, p := range files {
			if err := os.Rename(p, filepath.Join(f.repo, filepath.Base(p))); err != nil {
				return fail(err)
			}
		}
	}
	if err := sh(nil, "createrepo_c", "-q", f.repo); err != nil {
		return fail(err)
	}
	md := filepath.Join(f.repo, "repodata", "repomd.xml")
	if err := sh([]string{"GNUPGHOME=" + filepath.Join(dir, "gnupg-a")}, "gpg", "--batch", "--yes", "--armor", "--detach-sign", "-o", md+".asc", md); err != nil {
		return fail(err)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))

	// The prepared root: the testbed's dnf root, tb-extra, and the 1.0
	// versions installed by dnf (which imports key A for the packages and
	// for repo_gpgcheck and caches tb-extra's metadata).
	f.root = filepath.Join(dir, "rpm-root")
	if err := sh(nil, "cp", "-a", "--", env.RPMRoot, f.root); err != nil {
		return fail(err)
	}
	repoFile := fmt.Sprintf("[tb-extra]\nname=patchkit dnf install tests\nbaseurl=%s\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=file://%s\n", f.srv.URL, f.keyA)
	if err := os.WriteFile(filepath.Join(f.root, "etc/yum.repos.d/tb-extra.repo"), []byte(repoFile), 0o644); err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(filepath.Join(f.root, "tmp"), 0o1777); err != nil {
		return fail(err)
	}
	base := []string{"tb-sh"}
	for _, s := range specs() {
		if (s.ver == "1.0" || s.ver == "5.0") && s.name != "tb-newdep" && s.name != "tb-sh" {
			base = append(base, s.nvr())
		}
	}
	dnfArgs := append(append([]string{"-y", "-q"}, testbed.Env{RPMRoot: f.root}.DNFArgs()...), "install")
	if err := sh([]string{"LC_ALL=C"}, "dnf", append(dnfArgs, base...)...); err != nil {
		return fail(err)
	}
	return f, nil
}

// serve serves tb-extra; tb-dl 1.1's package stalls after its first bytes
// until the client goes away (at most two minutes), so that a test can
// cancel a download in the middle.
func (f *fixture) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	f.mu.Unlock()
	name := strings.TrimPrefix(r.URL.Path, "/")
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "repodata/") || strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	p := filepath.Join(f.repo, filepath.FromSlash(name))
	if name == "tb-dl-1.1-1.noarch.rpm" {
		data, err := os.ReadFile(p)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data[:100])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Minute):
		}
		return
	}
	http.ServeFile(w, r, p)
}

func (f *fixture) hitCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// troot is one test's copy of the prepared root.
type troot struct {
	root string
	f    *fixture
}

// newRoot copies the prepared root for one test.
func newRoot(t *testing.T) *troot {
	t.Helper()
	env := testbed.Need(t)
	f := getFixture(t, env)
	dir := t.TempDir()
	root := filepath.Join(dir, "rpm-root")
	if out, err := exec.CommandContext(t.Context(), "cp", "-a", "--", f.root, root).CombinedOutput(); err != nil {
		t.Fatalf("copying the prepared root: %v\n%s", err, out)
	}
	return &troot{root: root, f: f}
}

// opts are the executor's options for the root, as the testbed's DNFArgs.
func (r *troot) opts(extra ...dnf.Option) []dnf.Option {
	return append([]dnf.Option{dnf.WithInstallRoot(r.root), dnf.WithReleasever("1")}, extra...)
}

func (r *troot) installed(t *testing.T) []patchkit.Package {
	t.Helper()
	_, pkgs, err := rpmdb.Read(context.Background(), os.DirFS(r.root))
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// versions returns the installed versions of name, as "version-release",
// sorted.
func (r *troot) versions(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	for _, p := range r.installed(t) {
		if p.Name == name {
			out = append(out, p.Version+"-"+p.Release)
		}
	}
	slices.Sort(out)
	return out
}

// target moves the installed name to version-release.
func (r *troot) target(t *testing.T, name, version, release string) plan.Target {
	t.Helper()
	for _, p := range r.installed(t) {
		if p.Name == name {
			v := patchkit.Package{Name: name, Epoch: p.Epoch, Version: version, Release: release, Arch: p.Arch, Scheme: patchkit.RPM}
			return plan.Target{Version: v, Installed: p, KBID: name + "." + p.Arch}
		}
	}
	t.Fatalf("%s is not installed", name)
	return plan.Target{}
}

func (r *troot) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(r.root, rel))
	return err == nil
}

// waitFile waits up to d for a file of the root.
func (r *troot) waitFile(t *testing.T, rel string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !r.exists(rel) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %v", rel, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *troot) touch(t *testing.T, rel string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.root, rel), nil, 0o644); err != nil {
		t.Error(err)
	}
}

// setConf appends key=value to the [main] section of the root's dnf.conf
// (testbed.sh writes [main] as its only section).
func (r *troot) setConf(t *testing.T, key, value string) {
	t.Helper()
	p := filepath.Join(r.root, "etc/dnf/dnf.conf")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(b, []byte(key+"="+value+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// weakening are options that weaken dnf's checks or widen what it may do;
// no command carries one unless the test opted in by name.
func weakening() []string {
	return []string{"--nogpgcheck", "--no-gpgchecks", "--allowerasing", "--skip-broken", "--best=false",
		"--setopt=gpgcheck=0", "--setopt=gpgcheck=False", "--setopt=repo_gpgcheck=0", "--setopt=localpkg_gpgcheck=0",
		"--setopt=sslverify=0", "--setopt=skip_if_unavailable=True", "--setopt=skip_if_unavailable=1",
		"--allow-downgrade", "--disablerepo=*", "--nodeps", "--force", "--replacefiles", "--oldpackage",
		"--assumeyes=false", "--setopt=tsflags=nodocs,noscripts", "--noscripts"}
}

// guard wraps a runner: every command is dnf or rpm, carries no weakening
// option (unless allowed), puts its operands after "--", never asks dnf to
// "install", and every dnf command has exit_on_lock=True and
// skip_if_unavailable=False. It can record what ran (with -update).
type guard struct {
	t       *testing.T
	r       run.Runner
	allowed []string
	mu      sync.Mutex
	calls   []run.Command
	rec     *run.Recorder
	name    string
}

func newGuard(t *testing.T, name string, allowed ...string) *guard {
	t.Helper()
	l, err := run.NewLocal(run.WithWaitDelay(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	g := &guard{t: t, r: l, allowed: allowed, name: name}
	if *update && name != "" {
		g.rec = run.NewRecorder(l, provenance(t))
		g.r = g.rec
		t.Cleanup(func() { g.save(t) })
	}
	return g
}

func (g *guard) Run(ctx context.Context, c run.Command) (run.Result, error) {
	g.mu.Lock()
	g.calls = append(g.calls, c)
	g.mu.Unlock()
	checkArgv(g.t, c, g.allowed...)
	res, err := g.r.Run(ctx, c)
	g.t.Logf("%.1fs exit %d: %s", res.Duration.Seconds(), res.ExitCode, c.String())
	return res, err
}

func (g *guard) commands() []run.Command {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

// checkArgv asserts the rules of guard for one command.
func checkArgv(t *testing.T, c run.Command, allowed ...string) {
	t.Helper()
	argv := c.Argv()
	base := filepath.Base(c.Path)
	isDNF := base == "dnf" || base == "dnf-3" || base == "yum"
	if !isDNF && base != "rpm" {
		t.Errorf("runs %s", c.String())
	}
	for _, a := range argv {
		for _, w := range weakening() {
			if strings.EqualFold(a, w) && !slices.Contains(allowed, w) {
				t.Errorf("%s carries %s", c.String(), a)
			}
		}
	}
	if i := slices.Index(argv, "--"); len(c.Operands) > 0 && (i < 0 || !slices.Equal(argv[i+1:], c.Operands)) {
		t.Errorf("%s: the operands do not follow --", c.String())
	}
	if isDNF {
		for _, must := range []string{"--setopt=exit_on_lock=True", "--setopt=skip_if_unavailable=False"} {
			if !slices.Contains(c.Args, must) {
				t.Errorf("%s lacks %s", c.String(), must)
			}
		}
		if slices.Contains(c.Args, "install") {
			t.Errorf("%s asks dnf to install (an installed package is upgraded)", c.String())
		}
	}
}

func provenance(t *testing.T) func(run.Command) string {
	ver, _ := exec.Command("dnf", "--version").Output()
	dnfVersion, _, _ := strings.Cut(string(ver), "\n")
	rpmVer, _ := exec.Command("rpm", "--version").Output()
	when := time.Now().UTC().Format("2006-01-02")
	name := t.Name()
	return func(c run.Command) string {
		tool := "dnf " + dnfVersion
		if filepath.Base(c.Path) == "rpm" {
			tool = strings.TrimSpace(string(rpmVer))
		}
		return fmt.Sprintf("%s on Debian 12 (bookworm) amd64, %s, LC_ALL=C, no terminal\n"+
			"a copy of the patchkit testbed's dnf root with the test repository tb-extra (the path in argv)\n"+
			"recorded by go test -run %s -update ./install/dnf", tool, when, name)
	}
}

// save writes the recordings as NAME-N-PROGRAM.txt.
func (g *guard) save(t *testing.T) {
	if err := os.MkdirAll(recordDir, 0o755); err != nil {
		t.Error(err)
		return
	}
	old, _ := filepath.Glob(filepath.Join(recordDir, g.name+"-*.txt"))
	for _, o := range old {
		os.Remove(o)
	}
	for i, r := range g.rec.Recordings() {
		b, err := r.Format()
		if err != nil {
			t.Error(err)
			continue
		}
		p := filepath.Join(recordDir, fmt.Sprintf("%s-%d-%s.txt", g.name, i+1, filepath.Base(r.Argv[0])))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// lockHolder holds dnf's RPMDB lock of a root the way a running dnf holds
// it: its pid file names a live process (this test's). dnf flock(2)s the
// file only while it reads or writes it, so the pid is the lock.
func lockHolder(t *testing.T, root string) string {
	t.Helper()
	p := filepath.Join(root, "var/lib/dnf/rpmdb_lock.pid")
	if err := os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// processesIn lists the processes whose command line names dir.
func processesIn(dir string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), dir) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}
