package apt

import (
	"context"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// splitInstalled separates the installed versions (Candidate false, the
// version the inventory lists for that name and apt architecture) from the
// newer versions; any other patch with Candidate false fails the test.
func splitInstalled(t *testing.T, ps []patchkit.Patch, inv []patchkit.Package, native string) (map[string]patchkit.Patch, []patchkit.Patch) {
	t.Helper()
	installed := map[string]string{}
	for _, p := range inv {
		if p.State.FilesPresent() {
			installed[p.Name+":"+aptArch(p.Arch, native)] = p.EVR()
		}
	}
	got := map[string]patchkit.Patch{}
	var newer []patchkit.Patch
	for _, p := range ps {
		k := p.Name + ":" + aptArch(p.Arch, native)
		if p.Candidate {
			newer = append(newer, p)
			continue
		}
		if installed[k] != p.EVR() {
			t.Errorf("%s %s: Candidate false, but not the installed version %q", k, p.EVR(), installed[k])
			continue
		}
		if _, dup := got[k]; dup {
			t.Errorf("%s: installed version returned twice", k)
		}
		got[k] = p
	}
	return got, newer
}

// installedAgreement is what compareNativeInstalled counted.
type installedAgreement struct {
	installed, offered, security int
	native                       map[string]patchkit.Patch
}

// compareNativeInstalled runs both backends on a root with their
// installed-versions options and requires the same installed versions,
// field by field where both can know the field: version, architecture,
// Security, Classification, Severity, advisory, CVE and Bugzilla IDs,
// release date, Want and Product, and Repository, the origins apt-get
// prints ("Label:Version/Suite"), which the native backend takes from
// apt-cache policy's package files (compared as sets); Section, Priority
// and the source package, which apt-cache policy does not print, must be
// empty natively. The option must not change the newer versions, and must
// cost two commands besides the simulation (apt-cache policy of the
// installed packages and of the package files). rec runs the native
// backend with the option (a recorder); rt.r runs everything else.
func compareNativeInstalled(t *testing.T, rt root, rec run.Runner) installedAgreement {
	t.Helper()
	ctx := t.Context()
	native := debArchOf(t)
	inv, err := dpkg.Query(ctx, rec, rt.dpkgQuery...)
	if err != nil {
		t.Fatal(err)
	}
	mopts := append([]Option{WithProduct("Debian12")}, rt.mopts...)
	// One read of the lists: collect is what Updates runs (the metadata
	// backend's own tests check Updates with WithInstalledVersions).
	o, err := buildOptions(append([]Option{WithArch(nodeArch(t)), WithNow(time.Now()), WithInstalledVersions(true)}, mopts...))
	if err != nil {
		t.Fatal(err)
	}
	st, err := collect(ctx, rt.fsys, inv, o)
	if err != nil {
		t.Fatal(err)
	}
	installedEVR := map[string]string{}
	for _, p := range inv {
		if p.State.FilesPresent() {
			installedEVR[p.Name+":"+aptArch(p.Arch, native)] = p.EVR()
		}
	}
	meta := map[string]patchkit.Patch{}
	for _, p := range st.patches(o) {
		if k := p.Name + ":" + aptArch(p.Arch, native); !p.Candidate && installedEVR[k] == p.EVR() {
			meta[k] = p
		}
	}
	nopts := append([]NativeOption{NativeProduct("Debian12")}, rt.nopts...)
	// The run with the option goes first, through rec; the run without it
	// is answered from the same apt-get -s output (so both see one state
	// of apt, and apt's full simulation runs once), and runs any other
	// command.
	counter := &countingRunner{r: rec, seen: map[string]run.Result{}}
	all, err := NativeUpdates(ctx, counter, inv, append(nopts, NativeInstalledVersions(true))...)
	if err != nil {
		t.Fatal(err)
	}
	withCalls := counter.n
	counter.r, counter.n = rt.r, 0
	plain, err := NativeUpdates(ctx, counter, inv, nopts...)
	if err != nil {
		t.Fatal(err)
	}
	plainCalls := counter.n
	counter.n = withCalls
	if counter.n != 3 || plainCalls != 1+2*min(1, counter.keptBack) {
		t.Errorf("%d commands with the option, %d without (want 3, and 1 or 3 with kept-back packages)", counter.n, plainCalls)
	}
	got, newer := splitInstalled(t, all, inv, native)
	if !reflect.DeepEqual(newer, plain) {
		t.Errorf("the newer versions changed with NativeInstalledVersions:\n with %+v\n without %+v", newer, plain)
	}
	for _, p := range plain {
		if !p.Candidate {
			t.Errorf("without the option, %s %s has Candidate false", p.Name, p.EVR())
		}
	}

	res := installedAgreement{native: got}
	for _, p := range inv {
		if p.State.FilesPresent() {
			res.installed++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		m := meta[k]
		n, ok := got[k]
		if !ok {
			t.Errorf("%s %s (%s, security %v): the metadata backend returns the installed version, the native one does not", k, m.EVR(), m.Repository, m.Security)
			continue
		}
		if n.EVR() != m.EVR() || n.Arch != m.Arch || n.Security != m.Security || n.Classification != m.Classification ||
			n.Severity != m.Severity || !slices.Equal(n.AdvisoryIDs, m.AdvisoryIDs) || !slices.Equal(n.CVEIDs, m.CVEIDs) ||
			!slices.Equal(n.BugzillaIDs, m.BugzillaIDs) || !n.ReleaseDate.Equal(m.ReleaseDate) || n.Want != m.Want ||
			n.Product != m.Product || n.Candidate || m.Candidate || n.Scheme != patchkit.Deb {
			t.Errorf("%s: natively %+v\n from metadata %+v", k, n, m)
		}
		if n.Section != "" || n.Priority != "" || n.SourceName != "" {
			t.Errorf("%s: native backend has Section %q, Priority %q, source %q, which apt-cache policy does not print", k, n.Section, n.Priority, n.SourceName)
		}
		nr := slices.Sorted(slices.Values(strings.Split(n.Repository, ", ")))
		mr := slices.Sorted(slices.Values(strings.Split(m.Repository, ", ")))
		if !slices.Equal(nr, mr) {
			t.Errorf("%s: native Repository %q, the metadata backend's %q", k, n.Repository, m.Repository)
		}
		res.offered++
		if m.Security {
			res.security++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := meta[k]; !ok {
			t.Errorf("%s %s (%s): the native backend returns the installed version, the metadata backend does not", k, got[k].EVR(), got[k].Repository)
		}
	}
	t.Logf("%d installed packages; the metadata backend returns %d installed versions (%d security), compared with the native backend's %d",
		res.installed, res.offered, res.security, len(got))
	return res
}

// countingRunner counts the commands run, and the apt-get -s runs that
// keep packages back; an apt-get -s it has run before is answered with the
// same output.
type countingRunner struct {
	r        run.Runner
	n        int
	keptBack int
	seen     map[string]run.Result // apt-get -s runs by argv
}

func (c *countingRunner) Run(ctx context.Context, cmd run.Command) (run.Result, error) {
	c.n++
	sim := slices.Contains(cmd.Args, "dist-upgrade")
	key := strings.Join(cmd.Argv(), "\x00")
	if res, ok := c.seen[key]; ok && sim {
		return res, nil
	}
	res, err := c.r.Run(ctx, cmd)
	if err == nil && sim {
		c.seen[key] = res
		if s, e := ParseSimulation(res.Stdout); e == nil && len(s.KeptBack) > 0 {
			c.keptBack++
		}
	}
	return res, err
}

// TestTestbedAptNativeInstalledPrivateRoot: on the testbed's private root
// the installed versions the native backend returns with
// NativeInstalledVersions are those of the metadata backend: every tb-*
// package's installed version is offered by the base suite.
func TestTestbedAptNativeInstalledPrivateRoot(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "apt-get", "apt")
	l := newLocal(t)
	rt := root{
		fsys:      os.DirFS("/"),
		mopts:     []Option{WithAptConfig(env.AptConfig)},
		nopts:     []NativeOption{NativeAptConfig(env.AptConfig)},
		r:         l,
		dpkgQuery: []dpkg.QueryOption{dpkg.QueryAdmindir(env.AptRoot() + "/var/lib/dpkg")},
	}
	res := compareNativeInstalled(t, rt, recorder(t, l, "testbed-private-installed", "host apt on the testbed's private root (APT_CONFIG)"))
	if res.offered != 5 || res.security != 0 {
		t.Errorf("%d installed versions offered (%d security), want the 5 tb-* packages, none from a security suite", res.offered, res.security)
	}
	for k, p := range res.native {
		if p.Repository != "Testbed:testbed" {
			t.Errorf("%s: Repository %q, want the base suite's origin", k, p.Repository)
		}
	}
}

// TestTestbedAptNativeInstalledArchives adds file: suites and status
// entries to a copy of the private root for what the testbed's suites do
// not show: foreign (i386) packages, an "all" package, a held package, a
// package apt keeps back (looked up in the same apt-cache policy answer),
// an installed version offered by a plain and a security suite, the same
// version string with different contents in two suites (apt lists it
// twice in the version table), and installed versions no index offers.
func TestTestbedAptNativeInstalledArchives(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "apt-get", "apt")
	native := debArchOf(t)
	suites := []localSuite{
		{suite: "local", label: "Local", origin: "Local", version: "1.0", pkgs: []debStanza{
			{name: "foo", version: "1.0", arch: native, multiArch: "same"},
			{name: "foo", version: "1.0", arch: "i386", multiArch: "same"},
			{name: "bar", version: "1.0", arch: "all"},
			{name: "held", version: "1.0", arch: native},
			{name: "held", version: "1.1", arch: native},
			{name: "qux", version: "1.0", arch: native},
			{name: "qux", version: "2.0", arch: native, depends: "no-such-package (>= 1)"},
			{name: "both", version: "1.0", arch: native},
			{name: "twin", version: "1.0", arch: native},
			{name: "lib32only", version: "1.1", arch: "i386"},
		}},
		{suite: "local-security", label: "Local-Security", origin: "Local", pkgs: []debStanza{
			{name: "both", version: "1.0", arch: native},
			{name: "twin", version: "1.0", arch: native, depends: "bar"},
		}},
	}
	installed := []debStanza{
		{name: "foo", version: "1.0", arch: native, multiArch: "same", status: "install ok installed"},
		{name: "foo", version: "1.0", arch: "i386", multiArch: "same", status: "install ok installed"},
		{name: "bar", version: "1.0", arch: "all", status: "install ok installed"},
		{name: "held", version: "1.0", arch: native, status: "hold ok installed"},
		{name: "qux", version: "1.0", arch: native, status: "install ok installed"},
		{name: "both", version: "1.0", arch: native, status: "install ok installed"},
		{name: "twin", version: "1.0", arch: native, status: "install ok installed"},
		{name: "lib32only", version: "1.0", arch: "i386", status: "install ok installed"},
		{name: "local", version: "0.1", arch: native, status: "install ok installed"},
		{name: "gone", version: "1.0", arch: native, status: "deinstall ok config-files"},
	}
	sc := newScenario(t, env, suites, installed, []string{"i386"})
	rt := sc.rootOf(t, nil, nil)
	res := compareNativeInstalled(t, rt, recorder(t, rt.r, "testbed-archives-installed",
		"host apt on a copy of the testbed's private root with file: suites of scan/apt's TestTestbedAptNativeInstalledArchives"))
	type want struct {
		evr, want string
		security  bool
		origins   string // as apt-get prints them
	}
	n := native
	const local, both, base = "Local:1.0/local", "Local:1.0/local, Local-Security:local-security", "Testbed:testbed"
	wants := map[string]want{
		"foo:" + n:      {"1.0", "", false, local},
		"foo:i386":      {"1.0", "", false, local},
		"bar:" + n:      {"1.0", "", false, local},
		"held:" + n:     {"1.0", "hold", false, local},
		"qux:" + n:      {"1.0", "", false, local},
		"both:" + n:     {"1.0", "", true, both},
		"twin:" + n:     {"1.0", "", true, both},
		"tb-hello:" + n: {"1.0-1", "", false, base}, "tb-kernel:" + n: {"1.0-1", "", false, base},
		"tb-lib:" + n: {"1:2.0-1", "", false, base}, "tb-multi:" + n: {"1.0-1", "", false, base},
		"tb-tool:" + n: {"3.0-1", "", false, base},
	}
	for k, w := range wants {
		p, ok := res.native[k]
		if !ok || p.EVR() != w.evr || p.Want != w.want || p.Security != w.security || p.Repository != w.origins {
			t.Errorf("%s: %+v (returned %v), want %+v", k, p, ok, w)
		}
	}
	if len(res.native) != len(wants) {
		t.Errorf("%d installed versions, want %d: %v", len(res.native), len(wants), slices.Sorted(maps.Keys(res.native)))
	}
	if p := res.native["foo:i386"]; p.Arch != "i386" {
		t.Errorf("foo:i386: arch %q", p.Arch)
	}
	// apt lists twin 1.0 twice: the two suites' stanzas differ.
	out := runOut(t, rt.r, run.Command{Path: "/usr/bin/apt-cache", Args: []string{"policy"}, Operands: []string{"twin"}, Env: rt.env})
	pols, err := ParseCachePolicy(out)
	if err != nil || len(pols) != 1 || len(pols[0].Versions) != 2 || pols[0].Versions[0].Version != pols[0].Versions[1].Version {
		t.Errorf("apt-cache policy twin: want the version twice, got %+v (%v)", pols, err)
	}
}

// TestTestbedAptNativeInstalledChroot compares the backends' installed
// versions on the testbed's Debian bookworm chroot (real Debian packages;
// apt runs inside it through chroot(8); only read).
func TestTestbedAptNativeInstalledChroot(t *testing.T) {
	env := testbed.NeedChroot(t)
	testutil.NeedTool(t, "chroot", "coreutils")
	r := chrootRunner(newLocal(t), env.DebChroot)
	res := compareNativeInstalled(t, root{fsys: os.DirFS(env.DebChroot), r: r},
		recorder(t, r, "testbed-chroot-installed", "apt inside the testbed's bookworm chroot (chroot(8))"))
	if res.offered == 0 || res.security == 0 {
		t.Errorf("%d installed versions offered, %d by a security suite: want some of each (the chroot's lists are missing?)", res.offered, res.security)
	}
}

// TestHostAptNativeInstalled compares the backends' installed versions on
// this machine's own apt and lists, read only.
func TestHostAptNativeInstalled(t *testing.T) {
	testutil.Slow(t, "reads this machine's full Debian lists")
	testutil.NeedTool(t, "apt-get", "apt")
	if _, err := os.Stat("/var/lib/apt/lists"); err != nil {
		if testutil.InCI() {
			t.Fatal("no /var/lib/apt/lists under CI")
		}
		t.Skip("no apt lists on this machine")
	}
	l := newLocal(t)
	res := compareNativeInstalled(t, root{fsys: os.DirFS("/"), r: l},
		recorder(t, l, "host-installed", "this machine's own apt and lists, read only (Debug::NoLocking)"))
	if res.offered == 0 {
		t.Error("no installed version is offered by a repository")
	}
}
