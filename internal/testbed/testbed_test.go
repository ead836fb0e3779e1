package testbed

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testutil"
)

func TestTestbedEnvFileSyntax(t *testing.T) {
	good := "# comment\n\n" +
		"export TESTBED_DIR='/tmp/pm-testbed'\n" +
		"  export TESTBED_SKIP_CHROOT=''   # trailing comment\n" +
		"TESTBED_SUITE=bookworm\n" +
		"export TESTBED_APT_URL='http://127.0.0.1:18080' TESTBED_RPM_URL=http://127.0.0.1:18081\n" +
		"export TESTBED_DIR='/tmp/other dir#x'\n"
	vars, err := parseEnvFile(strings.NewReader(good), "env.sh")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"TESTBED_DIR":         "/tmp/other dir#x", // the last assignment wins, as in a shell
		"TESTBED_SKIP_CHROOT": "",
		"TESTBED_SUITE":       "bookworm",
		"TESTBED_APT_URL":     "http://127.0.0.1:18080",
		"TESTBED_RPM_URL":     "http://127.0.0.1:18081",
	}, vars)

	for _, tc := range []struct {
		in   string
		line int
		msg  string
	}{
		{"export A='x'\nexport B=\"y\"\n", 2, `B: shell syntax that is not read here: "\"y\""`},
		{"A=$HOME/x\n", 1, `A: shell syntax that is not read here: "$HOME/x"`},
		{"\n\nA='unterminated\n", 3, "A: unterminated single quote"},
		{"export\n", 1, `want NAME=value, found "export"`},
		{"source other.sh\n", 1, `want NAME=value, found "source other.sh"`},
		{"1A=x\n", 1, `want NAME=value, found "1A=x"`},
		{"A='x'y\n", 1, `A: shell syntax that is not read here: "y"`},
		{"A=x;rm\n", 1, `A: shell syntax that is not read here: ";rm"`},
		{"A=`id`\n", 1, "A: shell syntax that is not read here: \"`id`\""},
		{"A=x\\ y\n", 1, `A: shell syntax that is not read here: "\\ y"`},
	} {
		_, err := parseEnvFile(strings.NewReader(tc.in), "/x/env.sh")
		var fe *EnvFileError
		if assert.ErrorAs(t, err, &fe, "%q", tc.in) {
			assert.Equal(t, &EnvFileError{Path: "/x/env.sh", Line: tc.line, Msg: tc.msg}, fe, "%q", tc.in)
			assert.Equal(t, fmt.Sprintf("/x/env.sh:%d: %s", tc.line, tc.msg), err.Error())
		}
	}

	big := strings.Repeat("# "+strings.Repeat("x", 98)+"\n", maxEnvFile/100+1)
	_, err = parseEnvFile(strings.NewReader(big), "big.sh")
	var fe *EnvFileError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, fe.Error(), "big.sh:")

	long := "A='" + strings.Repeat("x", maxEnvFile) + "'\n"
	_, err = parseEnvFile(strings.NewReader(long), "long.sh")
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 1, fe.Line)

	_, err = ReadEnvFile(filepath.Join(t.TempDir(), "missing.sh"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// fakeTestbed lays out the files Lookup checks for and serves the two
// files it asks for; it returns the TESTBED_* variables that describe it.
func fakeTestbed(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"apt-private/apt.conf", "rpm-root/etc/yum.repos.d/", "zyp-root/etc/zypp/repos.d/",
		"dnfpc/plugins/needs_restarting.py", "dnfpc/dnfpluginscore/", "deb-root/usr/bin/apt-get"} {
		full := filepath.Join(dir, p)
		if strings.HasSuffix(p, "/") {
			require.NoError(t, os.MkdirAll(full, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, nil, 0o644))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/dists/testbed/InRelease" && r.URL.Path != "/base/repodata/repomd.xml" {
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return map[string]string{
		"TESTBED_DIR":            dir,
		"TESTBED_APT_CONFIG":     dir + "/apt-private/apt.conf",
		"TESTBED_DEB_CHROOT":     dir + "/deb-root",
		"TESTBED_SKIP_CHROOT":    "",
		"TESTBED_RPM_ROOT":       dir + "/rpm-root",
		"TESTBED_ZYPP_ROOT":      dir + "/zyp-root",
		"TESTBED_DNF_PLUGINPATH": dir + "/dnfpc/plugins",
		"TESTBED_DNF_PYTHONPATH": dir + "/dnfpc",
		"TESTBED_APT_URL":        srv.URL,
		"TESTBED_RPM_URL":        srv.URL,
	}
}

func getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func writeEnvFile(t *testing.T, vars map[string]string) string {
	t.Helper()
	var b strings.Builder
	for _, k := range append(variables(), "TESTBED_SKIP_CHROOT") {
		fmt.Fprintf(&b, "export %s='%s'\n", k, vars[k])
	}
	p := filepath.Join(t.TempDir(), "env.sh")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

func TestTestbedLookup(t *testing.T) {
	ctx := t.Context()
	vars := fakeTestbed(t)
	want := Env{Dir: vars["TESTBED_DIR"], AptConfig: vars["TESTBED_APT_CONFIG"], DebChroot: vars["TESTBED_DEB_CHROOT"],
		RPMRoot: vars["TESTBED_RPM_ROOT"], ZyppRoot: vars["TESTBED_ZYPP_ROOT"], DNFPluginPath: vars["TESTBED_DNF_PLUGINPATH"],
		DNFPythonPath: vars["TESTBED_DNF_PYTHONPATH"], AptURL: vars["TESTBED_APT_URL"], RPMURL: vars["TESTBED_RPM_URL"]}

	env, err := Lookup(ctx, getenv(vars))
	require.NoError(t, err)
	assert.Equal(t, want, env)
	assert.Equal(t, vars["TESTBED_DIR"]+"/apt-private", env.AptRoot())

	// the same from a file, when nothing is exported
	p := writeEnvFile(t, vars)
	env, err = Lookup(ctx, getenv(map[string]string{"TESTBED_ENV": p}))
	require.NoError(t, err)
	assert.Equal(t, want, env)

	// SKIP_CHROOT: no chroot, and that is not an error
	skip := maps(vars, "TESTBED_DEB_CHROOT", "", "TESTBED_SKIP_CHROOT", "1")
	env, err = Lookup(ctx, getenv(skip))
	require.NoError(t, err)
	assert.Empty(t, env.DebChroot)

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadURL := "http://" + closed.Addr().String()
	require.NoError(t, closed.Close())

	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"nothing", map[string]string{}, "TESTBED_DIR is not set (env.sh not sourced) and TESTBED_ENV names no env.sh file"},
		{"missing variable", maps(vars, "TESTBED_ZYPP_ROOT", ""), "TESTBED_ZYPP_ROOT is empty or missing in the environment"},
		{"chroot missing without SKIP_CHROOT", maps(vars, "TESTBED_DEB_CHROOT", ""), "TESTBED_DEB_CHROOT is empty or missing"},
		{"relative path", maps(vars, "TESTBED_RPM_ROOT", "rpm-root"), "TESTBED_RPM_ROOT is not an absolute path"},
		{"root removed", maps(vars, "TESTBED_RPM_ROOT", vars["TESTBED_DIR"]+"/gone"), "TESTBED_RPM_ROOT: stat "},
		{"not loopback", maps(vars, "TESTBED_APT_URL", "http://192.0.2.1:18080"), `TESTBED_APT_URL: "http://192.0.2.1:18080" is not on a loopback address`},
		{"a name, not an address", maps(vars, "TESTBED_APT_URL", "http://localhost:18080"), "is not on a loopback address"},
		{"https", maps(vars, "TESTBED_RPM_URL", "https://127.0.0.1:18081"), "is not http://ADDRESS:PORT"},
		{"no port", maps(vars, "TESTBED_RPM_URL", "http://127.0.0.1"), "is not http://ADDRESS:PORT"},
		{"server down", maps(vars, "TESTBED_RPM_URL", deadURL), "the testbed's server does not answer (was it taken down?)"},
		{"wrong server", maps(vars, "TESTBED_RPM_URL", vars["TESTBED_RPM_URL"]+"/elsewhere"), "404 Not Found"},
		{"env file missing", map[string]string{"TESTBED_ENV": "/nonexistent/env.sh"}, "open /nonexistent/env.sh: no such file or directory"},
	} {
		_, err := Lookup(ctx, getenv(tc.vars))
		if assert.Error(t, err, tc.name) {
			assert.Contains(t, err.Error(), tc.want, tc.name)
		}
	}
}

// maps returns a copy of m with the given key, value pairs set.
func maps(m map[string]string, kv ...string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i]] = kv[i+1]
	}
	return c
}

// recordTB records how Need ends a test instead of ending the real one.
type recordTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordTB) Helper()                  {}
func (r *recordTB) Context() context.Context { return context.Background() }
func (r *recordTB) Skip(args ...any)         { r.skipped = fmt.Sprint(args...); runtime.Goexit() }
func (r *recordTB) Fatal(args ...any)        { r.failed = fmt.Sprint(args...); runtime.Goexit() }

func (r *recordTB) call(f func(testing.TB) Env) {
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
}

func TestTestbedNeedWithoutTestbed(t *testing.T) {
	t.Setenv("TESTBED_DIR", "")
	t.Setenv("TESTBED_ENV", "")
	hint := "start it with `bash internal/testbed/testbed.sh up /tmp/pm-testbed && source /tmp/pm-testbed/env.sh`"

	t.Setenv("CI", "")
	r := &recordTB{TB: t}
	r.call(Need)
	assert.Empty(t, r.failed)
	assert.Contains(t, r.skipped, "TESTBED_DIR is not set")
	assert.Contains(t, r.skipped, hint)

	t.Setenv("CI", "true")
	r = &recordTB{TB: t}
	r.call(Need)
	assert.Empty(t, r.skipped)
	assert.Contains(t, r.failed, hint)
	assert.Contains(t, r.failed, "under CI, .ci/run must bring the testbed up")

	// a testbed brought up with SKIP_CHROOT: Need passes (as root), NeedChroot does not
	vars := maps(fakeTestbed(t), "TESTBED_DEB_CHROOT", "", "TESTBED_SKIP_CHROOT", "1")
	for k, v := range vars {
		t.Setenv(k, v)
	}
	t.Setenv("CI", "")
	r = &recordTB{TB: t}
	r.call(Need)
	if os.Geteuid() != 0 {
		assert.Contains(t, r.skipped, "the testbed's roots belong to root; run the test as root")
		return
	}
	assert.Empty(t, r.skipped+r.failed)
	r.call(NeedChroot)
	assert.Contains(t, r.skipped, "was brought up with SKIP_CHROOT, so it has no Debian chroot")
	assert.Contains(t, r.skipped, hint)
}

// ---------------------------------------------------------------- the real testbed

// result is one finished command.
type result struct {
	stdout, stderr string
	code           int
}

// run runs a program in the C locale with extra environment variables and
// returns its output and exit status; a program that cannot start ends the test.
func run(t *testing.T, extraEnv []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Env = append(os.Environ(), append([]string{"LC_ALL=C", "LANGUAGE="}, extraEnv...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// must runs like run and ends the test unless the exit status is want.
func must(t *testing.T, want int, extraEnv []string, name string, args ...string) string {
	t.Helper()
	r := run(t, extraEnv, name, args...)
	if r.code != want {
		t.Fatalf("%s %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", name, args, r.code, want, r.stdout, r.stderr)
	}
	return r.stdout
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func sorted(s []string) []string { slices.Sort(s); return s }

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// debBaseline is what every apt root starts with, as dpkgFormat prints it.
func debBaseline() []string {
	return []string{"tb-hello 1.0-1 installed", "tb-kernel 1.0-1 installed", "tb-lib 1:2.0-1 installed",
		"tb-multi 1.0-1 installed", "tb-tool 3.0-1 installed"}
}

// debInst is what apt-get -s upgrade offers every apt root, sorted.
func debInst() []string {
	return []string{
		"Inst tb-hello [1.0-1] (1.1-1 Testbed:testbed-updates [all])",
		"Inst tb-kernel [1.0-1] (1.1-1 Testbed-Security:testbed-security [all])",
		"Inst tb-lib [1:2.0-1] (1:2.0-2 Testbed-Security:testbed-security [all])",
		"Inst tb-multi [1.0-1] (1.3-1 Testbed:testbed-updates [all])",
	}
}

// rpmBaseline is what the dnf and zypper roots start with, as rpmQA lists it.
func rpmBaseline() []string {
	return []string{"kernel-tb 0:5.0-1.noarch", "tb-hello 0:1.0-1.noarch", "tb-lib 1:2.0-1.noarch",
		"tb-multi 0:1.0-1.noarch", "tb-tool 0:3.0-1.noarch"}
}

const dpkgFormat = "${Package} ${Version} ${db:Status-Status}\n"

func TestTestbedEnvFileMatchesShell(t *testing.T) {
	env := Need(t)
	p := filepath.Join(env.Dir, "env.sh")
	parsed, err := ReadEnvFile(p)
	require.NoError(t, err)
	// what bash makes of the same file
	script := `set -eu; source "$1"; shift; for v in "$@"; do printf '%s=%s\n' "$v" "${!v}"; done`
	out := must(t, 0, nil, "bash", append([]string{"-c", script, "bash", p}, variables()...)...)
	for _, l := range lines(out) {
		k, v, _ := strings.Cut(l, "=")
		assert.Equal(t, v, parsed[k], k)
		assert.Equal(t, v, *env.field(k), k)
	}
	assert.Len(t, lines(out), len(variables()))
}

func TestTestbedAptPrivate(t *testing.T) {
	testutil.NeedTool(t, "apt-get", "apt")
	env := Need(t)
	t.Parallel()
	apt := []string{"APT_CONFIG=" + env.AptConfig}
	admindir := "--admindir=" + filepath.Join(env.AptRoot(), "var/lib/dpkg")

	assert.Equal(t, debBaseline(), sorted(lines(must(t, 0, nil, "dpkg-query", admindir, "-W", "-f", dpkgFormat))))
	var inst []string
	for _, l := range lines(must(t, 0, apt, "apt-get", "-s", "upgrade")) {
		if strings.HasPrefix(l, "Inst ") {
			inst = append(inst, l)
		}
	}
	assert.Equal(t, debInst(), sorted(inst))

	// every version of tb-multi, from the suite that classifies it
	var multi []string
	for _, l := range lines(must(t, 0, apt, "apt-cache", "madison", "tb-multi")) {
		f := strings.Split(l, "|")
		require.Len(t, f, 3, l)
		src := strings.Fields(f[2])
		require.Len(t, src, 4, l)
		multi = append(multi, strings.TrimSpace(f[1])+" "+strings.TrimSuffix(src[1], "/main"))
	}
	assert.Equal(t, []string{"1.3-1 testbed-updates", "1.2-1 testbed-security", "1.1-1 testbed-updates", "1.0-1 testbed"}, multi)
	assert.False(t, exists(filepath.Join(env.AptRoot(), "var/run/reboot-required")))

	// a real upgrade on a copy: tb-kernel's postinst asks for a reboot
	c := env.Clone(t)
	capt := []string{"APT_CONFIG=" + c.AptConfig}
	must(t, 0, capt, "apt-get", "install", "-y", "--only-upgrade", "tb-lib", "tb-kernel")
	cadmindir := "--admindir=" + filepath.Join(c.AptRoot(), "var/lib/dpkg")
	assert.Equal(t, []string{"tb-hello 1.0-1 installed", "tb-kernel 1.1-1 installed", "tb-lib 1:2.0-2 installed",
		"tb-multi 1.0-1 installed", "tb-tool 3.0-1 installed"},
		sorted(lines(must(t, 0, nil, "dpkg-query", cadmindir, "-W", "-f", dpkgFormat))))
	pkgs, err := os.ReadFile(filepath.Join(c.AptRoot(), "var/run/reboot-required.pkgs"))
	require.NoError(t, err)
	assert.Equal(t, "tb-kernel\n", string(pkgs))
	assert.True(t, exists(filepath.Join(c.AptRoot(), "var/run/reboot-required")))
	// the shared root is untouched
	assert.Equal(t, debBaseline(), sorted(lines(must(t, 0, nil, "dpkg-query", admindir, "-W", "-f", dpkgFormat))))
	assert.False(t, exists(filepath.Join(env.AptRoot(), "var/run/reboot-required")))
}

func TestTestbedAptChroot(t *testing.T) {
	testutil.NeedTool(t, "chroot", "coreutils")
	env := NeedChroot(t)
	t.Parallel()
	in := func(args ...string) string {
		return must(t, 0, nil, "chroot", append([]string{env.DebChroot, "/usr/bin/env", "-i",
			"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}, args...)...)
	}
	assert.Equal(t, debBaseline(), sorted(lines(in("dpkg-query", "-W", "-f", dpkgFormat, "tb-*"))))
	// apt-get -s: package, installed version, candidate, origins, architecture
	instLine := regexp.MustCompile(`^Inst (\S+) (?:\[(\S+)\] )?\((\S+) (.+) \[(\S+)\]\)`)
	var tb []string
	debian := 0
	for _, l := range lines(in("apt-get", "-s", "upgrade")) {
		if !strings.HasPrefix(l, "Inst ") {
			continue
		}
		m := instLine.FindStringSubmatch(l)
		require.NotNil(t, m, "unexpected apt-get -s line %q", l)
		if strings.HasPrefix(m[1], "tb-") {
			tb = append(tb, l)
			continue
		}
		// real Debian upgrades (their number follows the mirror): each comes from Debian's own origins
		debian++
		for _, o := range strings.Split(m[4], ", ") {
			label, _, _ := strings.Cut(o, ":")
			assert.Contains(t, []string{"Debian", "Debian-Security"}, label, l)
		}
	}
	assert.Equal(t, debInst(), sorted(tb))
	t.Logf("the chroot has %d pending Debian upgrades", debian)
	assert.False(t, exists(filepath.Join(env.DebChroot, "run/reboot-required")))
}

// rpmQA lists a root's packages (without gpg-pubkey) and their newest install time.
func rpmQA(t *testing.T, root string) ([]string, int64) {
	t.Helper()
	var pkgs []string
	var newest int64
	for _, l := range lines(must(t, 0, nil, "rpm", "--root", root, "-qa", "--qf",
		"%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH} %{INSTALLTIME}\n")) {
		f := strings.Fields(l)
		require.Len(t, f, 3, l)
		if f[0] == "gpg-pubkey" {
			continue
		}
		pkgs = append(pkgs, f[0]+" "+f[1])
		when, err := strconv.ParseInt(f[2], 10, 64)
		require.NoError(t, err, l)
		newest = max(newest, when)
	}
	return sorted(pkgs), newest
}

func bootTime(t *testing.T) int64 {
	t.Helper()
	fi, err := os.Stat("/proc/1") // what needs-restarting takes for the boot time
	require.NoError(t, err)
	return fi.ModTime().Unix()
}

func TestTestbedDNF(t *testing.T) {
	testutil.NeedTool(t, "dnf", "dnf")
	testutil.NeedTool(t, "rpm", "rpm")
	env := Need(t)
	t.Parallel()
	assert.True(t, exists(filepath.Join(env.RPMRoot, "var/lib/rpm/rpmdb.sqlite")), "the rpmdb is sqlite in var/lib/rpm")
	pkgs, newest := rpmQA(t, env.RPMRoot)
	assert.Equal(t, rpmBaseline(), pkgs)
	assert.Less(t, newest, bootTime(t), "the baseline is dated before boot, so no reboot is pending")

	c := env.Clone(t)
	dnf := func(want int, args ...string) string {
		return must(t, want, nil, "dnf", append(append([]string{"-y"}, c.DNFArgs()...), args...)...)
	}
	needsRestarting := func(want int) {
		must(t, want, []string{"PYTHONPATH=" + c.DNFPythonPath}, "dnf",
			append(c.DNFArgs(), "-C", "--setopt=pluginpath="+c.DNFPluginPath, "needs-restarting", "-r")...)
	}
	var advisories []string
	for _, l := range lines(dnf(0, "-C", "updateinfo", "list")) {
		if f := strings.Fields(l); len(f) == 3 && strings.HasPrefix(f[0], "TB") {
			advisories = append(advisories, strings.Join(f, " "))
		}
	}
	assert.Equal(t, []string{
		"TBBA-2026:0002 bugfix tb-hello-1.1-1.noarch",
		"TBBA-2026:0004 bugfix tb-multi-1.1-1.noarch",
		"TBEA-2026:0006 enhancement tb-multi-1.3-1.noarch",
		"TBSA-2026:0001 Important/Sec. tb-lib-1:2.0-2.noarch",
		"TBSA-2026:0003 Critical/Sec. kernel-tb-5.1-1.noarch",
		"TBSA-2026:0005 Moderate/Sec. tb-multi-1.2-1.noarch",
	}, sorted(advisories))
	var updates []string
	for _, l := range lines(dnf(100, "-C", "check-update")) {
		if f := strings.Fields(l); len(f) == 3 {
			updates = append(updates, strings.Join(f, " "))
		}
	}
	assert.Equal(t, []string{"kernel-tb.noarch 5.1-1 tb-updates", "tb-hello.noarch 1.1-1 tb-updates",
		"tb-lib.noarch 1:2.0-2 tb-updates", "tb-multi.noarch 1.3-1 tb-updates"}, sorted(updates))
	needsRestarting(0)

	// upgrade-minimal --security takes each package to the version its advisory names
	dnf(0, "upgrade-minimal", "--security")
	pkgs, _ = rpmQA(t, c.RPMRoot)
	assert.Equal(t, []string{"kernel-tb 0:5.1-1.noarch", "tb-hello 0:1.0-1.noarch", "tb-lib 1:2.0-2.noarch",
		"tb-multi 0:1.2-1.noarch", "tb-tool 0:3.0-1.noarch"}, pkgs)
	needsRestarting(1)

	// upgrade --security takes a package that has a security advisory to its newest version
	c2 := env.Clone(t)
	must(t, 0, nil, "dnf", append(append([]string{"-y"}, c2.DNFArgs()...), "upgrade", "--security")...)
	pkgs, _ = rpmQA(t, c2.RPMRoot)
	assert.Equal(t, []string{"kernel-tb 0:5.1-1.noarch", "tb-hello 0:1.0-1.noarch", "tb-lib 1:2.0-2.noarch",
		"tb-multi 0:1.3-1.noarch", "tb-tool 0:3.0-1.noarch"}, pkgs)

	pkgs, _ = rpmQA(t, env.RPMRoot)
	assert.Equal(t, rpmBaseline(), pkgs, "the shared root is untouched")
}

// zypperPatch is one <update kind="patch"> of zypper --xmlout list-patches.
type zypperPatch struct {
	Kind        string `xml:"kind,attr"`
	Name        string `xml:"name,attr"`
	Status      string `xml:"status,attr"`
	Category    string `xml:"category,attr"`
	Severity    string `xml:"severity,attr"`
	Restart     string `xml:"restart,attr"`
	Interactive string `xml:"interactive,attr"`
	Issues      []struct {
		Type string `xml:"type,attr"`
		ID   string `xml:"id,attr"`
	} `xml:"issue-list>issue"`
}

func TestTestbedZypper(t *testing.T) {
	testutil.NeedTool(t, "zypper", "zypper")
	testutil.NeedTool(t, "rpm", "rpm")
	env := Need(t)
	t.Parallel()
	pkgs, _ := rpmQA(t, env.ZyppRoot)
	assert.Equal(t, rpmBaseline(), pkgs)

	c := env.Clone(t)
	zypper := func(want int, args ...string) string {
		return must(t, want, nil, "zypper", append(c.ZypperArgs(), args...)...)
	}
	var doc struct {
		Patches []zypperPatch `xml:"update-status>update-list>update"`
	}
	require.NoError(t, xml.Unmarshal([]byte(zypper(0, "--xmlout", "list-patches")), &doc))
	var got []string
	for _, p := range doc.Patches {
		var cves []string
		for _, i := range p.Issues {
			cves = append(cves, i.Type+":"+i.ID)
		}
		got = append(got, strings.Join([]string{p.Kind, p.Name, p.Status, p.Category, p.Severity,
			"restart=" + p.Restart, "interactive=" + p.Interactive, strings.Join(cves, ",")}, " "))
	}
	assert.Equal(t, []string{
		"patch TBBA-2026:0002 needed bugfix none restart=false interactive=false ",
		"patch TBBA-2026:0004 needed bugfix none restart=false interactive=false ",
		"patch TBEA-2026:0006 optional enhancement none restart=false interactive=false ",
		"patch TBSA-2026:0001 needed security important restart=false interactive=false cve:CVE-2026-0001",
		"patch TBSA-2026:0003 needed security critical restart=true interactive=true cve:CVE-2026-0003",
		"patch TBSA-2026:0005 needed security moderate restart=false interactive=false cve:CVE-2026-0005",
	}, sorted(got))
	zypper(101, "patch-check") // security patches are needed
	zypper(0, "needs-rebooting")

	// a security patch run: the kernel-tb patch asks for a reboot, and zypper
	// takes tb-multi past the patch's version to the newest one
	zypper(102, "patch", "--category", "security", "--with-interactive")
	pkgs, _ = rpmQA(t, c.ZyppRoot)
	assert.Equal(t, []string{"kernel-tb 0:5.1-1.noarch", "tb-hello 0:1.0-1.noarch", "tb-lib 1:2.0-2.noarch",
		"tb-multi 0:1.3-1.noarch", "tb-tool 0:3.0-1.noarch"}, pkgs)
	zypper(102, "needs-rebooting")
	zypper(100, "patch-check") // only the bug fix patches are left

	pkgs, _ = rpmQA(t, env.ZyppRoot)
	assert.Equal(t, rpmBaseline(), pkgs, "the shared root is untouched")
	assert.False(t, exists(filepath.Join(env.ZyppRoot, "run/reboot-needed")))
}

// The testbed serves the keys and signatures that clients verify with.
func TestTestbedServers(t *testing.T) {
	env := Need(t)
	t.Parallel()
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	for _, u := range []string{
		env.AptURL + "/dists/testbed-security/InRelease",
		env.AptURL + "/testbed-archive-keyring.gpg",
		env.RPMURL + "/updates/repodata/repomd.xml",
		env.RPMURL + "/updates/repodata/repomd.xml.asc",
		env.RPMURL + "/RPM-GPG-KEY-testbed",
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, u)
	}
}

// TestTestbedCopyChroot: a test's copy of the chroot is a working Debian
// root with proc mounted, its changes stay in the copy, and the copy and its
// mounts are gone when the test ends.
func TestTestbedCopyChroot(t *testing.T) {
	testutil.NeedTool(t, "chroot", "coreutils")
	env := NeedChroot(t)
	t.Parallel()
	var root string
	t.Run("copy", func(t *testing.T) {
		root = env.CopyChroot(t)
		in := func(args ...string) string {
			return must(t, 0, nil, "chroot", append([]string{root, "/usr/bin/env", "-i",
				"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}, args...)...)
		}
		assert.Equal(t, debBaseline(), sorted(lines(in("dpkg-query", "-W", "-f", dpkgFormat, "tb-*"))))
		assert.Contains(t, in("cat", "/proc/self/status"), "Name:", "proc is mounted in the copy")
		in("dpkg", "--audit") // exits 0 only if dpkg accepts its configuration, the unsafe-io line too
		assert.Equal(t, "force-unsafe-io\n", in("sh", "-c", "grep -h '^force-unsafe-io' /etc/dpkg/dpkg.cfg.d/*"))
		_, err := os.Stat(filepath.Join(env.DebChroot, "etc/dpkg/dpkg.cfg.d/zz-patchkit-test-unsafe-io"))
		assert.ErrorIs(t, err, os.ErrNotExist, "the copy's dpkg configuration reached the shared chroot")
		// a change in the copy: a file written, one removed
		in("sh", "-c", "echo copy > /etc/patchkit-copy-test && rm /etc/debian_version")
		assert.Equal(t, "copy\n", in("cat", "/etc/patchkit-copy-test"))
		_, err = os.Stat(filepath.Join(env.DebChroot, "etc/patchkit-copy-test"))
		assert.ErrorIs(t, err, os.ErrNotExist, "the write reached the shared chroot")
		_, err = os.Stat(filepath.Join(env.DebChroot, "etc/debian_version"))
		assert.NoError(t, err, "the removal reached the shared chroot")
		// an overlay copy holds its changes in its upper layer: the new file,
		// and the removed one as a whiteout (a 0/0 character device)
		upper, err := CopyWrites(root)
		require.NoError(t, err)
		if upper == "" {
			t.Log("the copy is no overlay mount; nothing more to check")
			return
		}
		b, err := os.ReadFile(filepath.Join(upper, "etc/patchkit-copy-test"))
		require.NoError(t, err)
		assert.Equal(t, "copy\n", string(b))
		fi, err := os.Lstat(filepath.Join(upper, "etc/debian_version"))
		require.NoError(t, err)
		assert.Equal(t, os.ModeDevice|os.ModeCharDevice, fi.Mode().Type(), "the removal is a whiteout")
		_, err = os.Stat(filepath.Join(upper, "usr/bin"))
		assert.ErrorIs(t, err, os.ErrNotExist, "a directory the copy never changed is in the upper layer")
	})
	require.NotEmpty(t, root)
	_, err := os.Stat(filepath.Dir(root))
	assert.ErrorIs(t, err, os.ErrNotExist, "the copy outlived its test")
	mounts, err := os.ReadFile("/proc/self/mounts")
	require.NoError(t, err)
	assert.NotContains(t, string(mounts), filepath.Dir(root), "a mount of the copy outlived its test")
}

// A clone's directory name keeps only characters no package manager reads
// specially: dnf splits --setopt=reposdir= at commas.
func TestDirName(t *testing.T) {
	if got := dirName("TestX/excludes,includes in [main] é"); got != "TestX_excludes_includes_in__main___" {
		t.Errorf("dirName: %q", got)
	}
}
