// Package testbed hands end-to-end tests the real package managers that
// testbed.sh (next to this file) sets up on a Debian machine: host apt on a
// private state directory, a real Debian chroot, a dnf --installroot root and
// a zypper --root root, all fed by signed repositories served on 127.0.0.1.
//
// Bring it up once, as root, then run the tests in that shell:
//
//	bash internal/testbed/testbed.sh up /tmp/pm-testbed && source /tmp/pm-testbed/env.sh
//
// or, instead of sourcing, point TESTBED_ENV at the env.sh file; it is read
// here without a shell. A test calls Need (or NeedChroot); without a testbed
// the test is skipped with that command in the message, and under CI
// (CI=true) it fails, because CI brings the testbed up.
//
// The roots are shared by every test that runs while the testbed is up.
// Tests that change a root work on a copy from Env.Clone.
package testbed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/testutil"
)

// StartCommand brings the testbed up and loads its environment.
const StartCommand = "bash internal/testbed/testbed.sh up /tmp/pm-testbed && source /tmp/pm-testbed/env.sh"

// Env is a running testbed: where its roots are and where its repositories
// are served. Each field comes from the TESTBED_* variable named in its
// comment.
type Env struct {
	Dir           string // TESTBED_DIR: the directory given to testbed.sh up
	AptConfig     string // TESTBED_APT_CONFIG: APT_CONFIG for apt and dpkg on the private root
	DebChroot     string // TESTBED_DEB_CHROOT: the Debian chroot; empty when up ran with SKIP_CHROOT
	RPMRoot       string // TESTBED_RPM_ROOT: the dnf --installroot root
	ZyppRoot      string // TESTBED_ZYPP_ROOT: the zypper --root root
	DNFPluginPath string // TESTBED_DNF_PLUGINPATH: dnf --setopt=pluginpath= for needs-restarting
	DNFPythonPath string // TESTBED_DNF_PYTHONPATH: PYTHONPATH for that plugin
	AptURL        string // TESTBED_APT_URL: the apt repository, http://127.0.0.1:PORT
	RPMURL        string // TESTBED_RPM_URL: the rpm-md repositories (base/, updates/)
}

// field returns the Env field that a TESTBED_* variable fills.
func (e *Env) field(name string) *string {
	switch name {
	case "TESTBED_DIR":
		return &e.Dir
	case "TESTBED_APT_CONFIG":
		return &e.AptConfig
	case "TESTBED_DEB_CHROOT":
		return &e.DebChroot
	case "TESTBED_RPM_ROOT":
		return &e.RPMRoot
	case "TESTBED_ZYPP_ROOT":
		return &e.ZyppRoot
	case "TESTBED_DNF_PLUGINPATH":
		return &e.DNFPluginPath
	case "TESTBED_DNF_PYTHONPATH":
		return &e.DNFPythonPath
	case "TESTBED_APT_URL":
		return &e.AptURL
	case "TESTBED_RPM_URL":
		return &e.RPMURL
	}
	return nil
}

// variables lists the TESTBED_* variables that make up an Env.
func variables() []string {
	return []string{"TESTBED_DIR", "TESTBED_APT_CONFIG", "TESTBED_DEB_CHROOT", "TESTBED_RPM_ROOT",
		"TESTBED_ZYPP_ROOT", "TESTBED_DNF_PLUGINPATH", "TESTBED_DNF_PYTHONPATH", "TESTBED_APT_URL", "TESTBED_RPM_URL"}
}

// Need returns the running testbed. When there is none (no TESTBED_*
// variables and no TESTBED_ENV file, a root missing, or a server not
// answering), or when the test does not run as root (the roots are root's,
// and so are chroot(2), dpkg --root and dnf --installroot), the test is
// skipped with a message that says how to start the testbed, or fails under
// CI.
func Need(t testing.TB) Env {
	t.Helper()
	env, err := Lookup(t.Context(), os.Getenv)
	if err != nil {
		absent(t, err.Error())
	}
	if os.Geteuid() != 0 {
		absent(t, "the testbed's roots belong to root; run the test as root")
	}
	return env
}

// NeedChroot is Need for tests that use the Debian chroot: it also skips (or
// fails under CI) when the testbed was brought up with SKIP_CHROOT.
func NeedChroot(t testing.TB) Env {
	t.Helper()
	env := Need(t)
	if env.DebChroot == "" {
		absent(t, "the testbed in "+env.Dir+" was brought up with SKIP_CHROOT, so it has no Debian chroot; bring it up without SKIP_CHROOT")
	}
	return env
}

func absent(t testing.TB, why string) {
	t.Helper()
	msg := "end-to-end testbed: " + why + "; start it with `" + StartCommand +
		"` (or set TESTBED_ENV=/tmp/pm-testbed/env.sh instead of sourcing it)"
	if testutil.InCI() {
		t.Fatal(msg + "; under CI, .ci/run must bring the testbed up")
	}
	t.Skip(msg)
}

// Lookup reads the testbed's environment through getenv (os.Getenv in
// tests): the TESTBED_* variables when TESTBED_DIR is set, else the file
// named by TESTBED_ENV. It checks that the roots exist and that both
// repository servers answer on loopback.
func Lookup(ctx context.Context, getenv func(string) string) (Env, error) {
	var vars map[string]string
	var from string
	switch {
	case getenv("TESTBED_DIR") != "":
		vars = make(map[string]string)
		for _, name := range append(variables(), "TESTBED_SKIP_CHROOT") {
			vars[name] = getenv(name)
		}
		from = "the environment"
	case getenv("TESTBED_ENV") != "":
		p := getenv("TESTBED_ENV")
		var err error
		if vars, err = ReadEnvFile(p); err != nil {
			return Env{}, err
		}
		from = p
	default:
		return Env{}, errors.New("TESTBED_DIR is not set (env.sh not sourced) and TESTBED_ENV names no env.sh file")
	}
	var env Env
	for _, name := range variables() {
		*env.field(name) = vars[name]
		if vars[name] == "" && !(name == "TESTBED_DEB_CHROOT" && vars["TESTBED_SKIP_CHROOT"] != "") {
			return Env{}, fmt.Errorf("%s is empty or missing in %s", name, from)
		}
	}
	if err := env.check(); err != nil {
		return Env{}, err
	}
	if err := env.probe(ctx); err != nil {
		return Env{}, err
	}
	return env, nil
}

// check makes sure the paths are absolute and exist and the URLs are loopback HTTP.
func (e Env) check() error {
	paths := []struct{ name, path string }{
		{"TESTBED_DIR", e.Dir},
		{"TESTBED_APT_CONFIG", e.AptConfig},
		{"TESTBED_RPM_ROOT", filepath.Join(e.RPMRoot, "etc/yum.repos.d")},
		{"TESTBED_ZYPP_ROOT", filepath.Join(e.ZyppRoot, "etc/zypp/repos.d")},
		{"TESTBED_DNF_PLUGINPATH", filepath.Join(e.DNFPluginPath, "needs_restarting.py")},
		{"TESTBED_DNF_PYTHONPATH", filepath.Join(e.DNFPythonPath, "dnfpluginscore")},
	}
	if e.DebChroot != "" {
		paths = append(paths, struct{ name, path string }{"TESTBED_DEB_CHROOT", filepath.Join(e.DebChroot, "usr/bin/apt-get")})
	}
	for _, p := range paths {
		if !filepath.IsAbs(p.path) {
			return fmt.Errorf("%s is not an absolute path: %q", p.name, p.path)
		}
		if _, err := os.Stat(p.path); err != nil {
			return fmt.Errorf("%s: %w (was the testbed removed?)", p.name, err)
		}
	}
	for _, u := range []struct{ name, url string }{{"TESTBED_APT_URL", e.AptURL}, {"TESTBED_RPM_URL", e.RPMURL}} {
		if err := loopbackHTTP(u.url); err != nil {
			return fmt.Errorf("%s: %w", u.name, err)
		}
	}
	return nil
}

// loopbackHTTP accepts only http:// URLs on a loopback address: the testbed
// never sends traffic anywhere else.
func loopbackHTTP(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" || u.User != nil || u.Port() == "" {
		return fmt.Errorf("%q is not http://ADDRESS:PORT", s)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not on a loopback address", s)
	}
	return nil
}

// probe asks each server for a file it must have, with a short timeout and no proxy.
func (e Env) probe(ctx context.Context) error {
	tr := &http.Transport{Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for _, u := range []string{e.AptURL + "/dists/testbed/InRelease", e.RPMURL + "/base/repodata/repomd.xml"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("the testbed's server does not answer (was it taken down?): %w", err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", u, resp.Status)
		}
	}
	return nil
}

// AptRoot is the private apt root: dpkg's --root, with its database in
// AptRoot()/var/lib/dpkg.
func (e Env) AptRoot() string { return filepath.Dir(e.AptConfig) }

// DNFArgs are the dnf options that work on RPMRoot.
func (e Env) DNFArgs() []string {
	return []string{"--installroot=" + e.RPMRoot, "--releasever=1", "--setopt=reposdir=" + filepath.Join(e.RPMRoot, "etc/yum.repos.d")}
}

// ZypperArgs are the zypper options that work on ZyppRoot, non-interactively.
func (e Env) ZypperArgs() []string { return []string{"--non-interactive", "--root", e.ZyppRoot} }

// Clone copies the apt private root, the dnf root and the zypper root for
// one test, which may then change them freely; the copies are removed when
// the test ends. The Debian chroot is not copied (it is large): tests must
// not change it. The copies live under Dir, which apt's download sandbox
// user can reach.
func (e Env) Clone(t testing.TB) Env {
	t.Helper()
	parent := filepath.Join(e.Dir, "clones")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(parent, dirName(t.Name())+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing the testbed clone: %v", err)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := e
	c.AptConfig = filepath.Join(dir, "apt-private", "apt.conf")
	c.RPMRoot = filepath.Join(dir, "rpm-root")
	c.ZyppRoot = filepath.Join(dir, "zyp-root")
	for _, src := range []string{e.AptRoot(), e.RPMRoot, e.ZyppRoot} {
		copyRoot(t, src, dir)
	}
	// The dnf and zypper roots hold no absolute paths of their own; the apt
	// configuration names the private root in several places.
	for _, rel := range []string{"apt.conf", "etc/apt/sources.list"} {
		p := filepath.Join(c.AptRoot(), rel)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, end := range []string{"/", `"`} {
			text = strings.ReplaceAll(text, e.AptRoot()+end, c.AptRoot()+end)
		}
		if strings.Contains(text, e.AptRoot()) {
			t.Fatalf("%s still names the shared root %s after rewriting", p, e.AptRoot())
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// apt's binary caches record the old list paths; let apt rebuild them
	bins, _ := filepath.Glob(filepath.Join(c.AptRoot(), "var/cache/apt/*.bin"))
	for _, b := range bins {
		if err := os.Remove(b); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// copyRoot copies the root src into dir with cp -a. A package manager that
// another test runs on the shared root at the same time (another package's
// tests run in parallel with this one's) may remove a file of its own, a
// lock under var/cache/dnf, between cp's listing and its copying; cp then
// fails with "cannot stat ... No such file or directory", and the copy is
// made again, up to three times in all.
func copyRoot(t testing.TB, src, dir string) {
	t.Helper()
	dst := filepath.Join(dir, filepath.Base(src))
	for try := 1; ; try++ {
		out, err := exec.CommandContext(t.Context(), "cp", "-a", "--", src, dir+"/").CombinedOutput()
		if err == nil {
			return
		}
		if try == 3 || !strings.Contains(string(out), "No such file or directory") {
			t.Fatalf("copying %s (try %d): %v\n%s", src, try, err, out)
		}
		t.Logf("copying %s: a file went away during the copy (%s); copying again", src, strings.TrimSpace(string(out)))
		if err := os.RemoveAll(dst); err != nil {
			t.Fatal(err)
		}
	}
}

// EnvFileError is a line of an env.sh file that ReadEnvFile cannot read.
type EnvFileError struct {
	Path string
	Line int
	Msg  string
}

func (e *EnvFileError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg) }

// maxEnvFile bounds an env.sh file; testbed.sh writes about 1.5 KiB.
const maxEnvFile = 64 << 10

// ReadEnvFile reads the variables of an env.sh file as testbed.sh writes it,
// without running a shell: blank lines, comment lines, and assignments
// NAME='value' or NAME=value (plain characters only), each optionally after
// "export", several to a line, optionally followed by a comment. Anything
// else, such as quoting or expansions a shell would interpret, is an
// *EnvFileError naming the file and line.
func ReadEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseEnvFile(f, path)
}

func parseEnvFile(r io.Reader, path string) (map[string]string, error) {
	vars := make(map[string]string)
	lr := &io.LimitedReader{R: r, N: maxEnvFile + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), maxEnvFile)
	line := 0
	for sc.Scan() {
		line++
		if err := parseEnvLine(sc.Text(), vars); err != nil {
			return nil, &EnvFileError{Path: path, Line: line, Msg: err.Error()}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &EnvFileError{Path: path, Line: line + 1, Msg: err.Error()}
	}
	if lr.N <= 0 {
		return nil, &EnvFileError{Path: path, Line: line, Msg: fmt.Sprintf("file is larger than %d bytes", maxEnvFile)}
	}
	return vars, nil
}

func parseEnvLine(s string, vars map[string]string) error {
	s = strings.TrimLeft(s, " \t")
	if rest, ok := strings.CutPrefix(s, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		s = rest
	}
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" || s[0] == '#' {
			return nil
		}
		n := 0
		for n < len(s) && (s[n] == '_' || 'A' <= s[n] && s[n] <= 'Z' || 'a' <= s[n] && s[n] <= 'z' || n > 0 && '0' <= s[n] && s[n] <= '9') {
			n++
		}
		if n == 0 || n == len(s) || s[n] != '=' {
			return fmt.Errorf("want NAME=value, found %q", s)
		}
		name := s[:n]
		s = s[n+1:]
		var value string
		if strings.HasPrefix(s, "'") {
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return fmt.Errorf("%s: unterminated single quote", name)
			}
			value, s = s[1:1+end], s[2+end:]
		} else {
			m := 0
			for m < len(s) && plainChar(s[m]) {
				m++
			}
			value, s = s[:m], s[m:]
		}
		if s != "" && s[0] != ' ' && s[0] != '\t' {
			return fmt.Errorf("%s: shell syntax that is not read here: %q", name, s)
		}
		vars[name] = value
	}
}

// plainChar reports whether c may appear in an unquoted value: characters
// that a shell takes literally.
func plainChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("_./:@%+,=-", c) >= 0
}

// CopyChroot gives one test that may change the Debian chroot a copy of
// it: an overlay mount (copy on write: the chroot is the read-only lower
// layer, the test's changes go to a layer of its own), with proc mounted
// in it. When the kernel refuses the overlay, it copies the chroot with cp
// -a --one-file-system instead (about ten seconds), and says so in the
// test's log. Either way the chroot's own /proc and /dev/pts mounts stay
// out. The copy's dpkg does not sync each file it unpacks (force-unsafe-io
// in etc/dpkg/dpkg.cfg.d, as Debian's container images do): the copy goes
// with its test, and those syncs made installing Debian's real updates in
// it take 40 s instead of 15. It unmounts and removes the copy when the
// test ends, and returns the copy's root directory, under Dir.
func (e Env) CopyChroot(t testing.TB) string {
	t.Helper()
	if e.DebChroot == "" {
		absent(t, "the testbed in "+e.Dir+" was brought up with SKIP_CHROOT, so it has no Debian chroot; bring it up without SKIP_CHROOT")
	}
	parent := filepath.Join(e.Dir, "clones")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(parent, "chroot-"+dirName(t.Name())+"-")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	t.Cleanup(func() {
		// Unmount before removing: never remove through a mount.
		for _, m := range []string{filepath.Join(root, "proc"), root} {
			if err := exec.Command("mountpoint", "-q", m).Run(); err == nil {
				if out, err := exec.Command("umount", m).CombinedOutput(); err != nil {
					t.Errorf("umount %s: %v %s; the copy is left in place", m, err, out)
					return
				}
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing the chroot copy: %v", err)
		}
	})
	run := func(argv ...string) error {
		out, err := exec.CommandContext(t.Context(), argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %v\n%s", argv, err, out)
		}
		return nil
	}
	upper, work := filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	for _, d := range []string{upper, work, root} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := run("mount", "-t", "overlay", "overlay", "-o",
		"lowerdir="+e.DebChroot+",upperdir="+upper+",workdir="+work, root); err != nil {
		t.Logf("no overlay mount (%v); copying the chroot instead", err)
		if err := os.Remove(root); err != nil {
			t.Fatal(err)
		}
		if err := run("cp", "-a", "--one-file-system", "--", e.DebChroot, root); err != nil {
			t.Fatal(err)
		}
	}
	if err := run("mount", "-t", "proc", "proc", filepath.Join(root, "proc")); err != nil {
		t.Fatal(err)
	}
	unsafeIO := filepath.Join(root, "etc/dpkg/dpkg.cfg.d/zz-patchkit-test-unsafe-io")
	if err := os.WriteFile(unsafeIO, []byte("# the testbed's copy for one test (internal/testbed CopyChroot)\nforce-unsafe-io\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// CopyWrites names the directory that holds every change made in a copy
// from CopyChroot, when the copy is an overlay mount: its upper layer,
// where the kernel puts each file or directory the copy's processes
// create, write, remove, rename, touch or chmod, and nothing else. A test
// that must show a process left a copy alone looks there rather than at
// the copy: the copy also shows any change other tests make meanwhile in
// the shared chroot beneath it. It returns "" when root is no overlay
// mount (CopyChroot fell back to cp -a, so the copy is the test's own).
func CopyWrites(root string) (string, error) {
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[1] == root && f[2] == "overlay" {
			return filepath.Join(filepath.Dir(root), "upper"), nil
		}
	}
	return "", nil
}

// dirName makes a test's name safe in a directory name that package
// managers read in lists: only letters, digits, '.', '_' and '-' are kept,
// anything else (the subtest '/', spaces, and the ',' that dnf's
// --setopt=reposdir= would split a path at) becomes '_'.
func dirName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, name)
}
