package apt

import (
	"testing"

	"github.com/patchkit/patchkit/internal/testbed"
)

// TestTestbedAptScanArchives adds suites of its own to a copy of the
// testbed's private root (file: repositories that apt-get update reads)
// and installed packages to its status file, for what the testbed's
// suites do not show: a foreign architecture with Multi-Arch: same
// packages, packages moving between "all" and an architecture, a
// NotAutomatic suite, a NotAutomatic suite with ButAutomaticUpgrades, one
// version in two suites (one of them a security suite), a package held
// (dpkg's hold), one whose new version cannot be installed (apt keeps it
// back), and a pin above 1000 that makes apt's candidate a downgrade.
// Both backends and apt-cache policy must agree on all of it.
func TestTestbedAptScanArchives(t *testing.T) {
	env := testbed.Need(t)
	native := debArchOf(t)
	suites := []localSuite{
		{suite: "local", label: "Local", origin: "Local", version: "1.0", pkgs: []debStanza{
			{name: "foo", version: "1.0", arch: native, multiArch: "same"},
			{name: "foo", version: "1.0", arch: "i386", multiArch: "same"},
			{name: "foo", version: "2.0", arch: native, multiArch: "same"},
			{name: "foo", version: "2.0", arch: "i386", multiArch: "same"},
			{name: "bar", version: "1.0", arch: "all"},
			{name: "bar", version: "2.0", arch: native},
			{name: "baz", version: "1.0", arch: native},
			{name: "baz", version: "2.0", arch: "all"},
			{name: "qux", version: "1.0", arch: native},
			{name: "qux", version: "2.0", arch: native, depends: "no-such-package (>= 1)"},
			{name: "zed", version: "1:1.1-1", arch: native, source: "zed-src (1:1.1-1)"},
			{name: "lib32only", version: "1.1", arch: "i386"},
			{name: "common", version: "1.1", arch: native},
			{name: "dwn", version: "2.0", arch: native},
		}},
		{suite: "local-security", label: "Local-Security", origin: "Local", pkgs: []debStanza{
			{name: "common", version: "1.1", arch: native},
		}},
		{suite: "exp", label: "Exp", origin: "Exp", notAutomatic: true, pkgs: []debStanza{
			{name: "tb-multi", version: "1.4-1", arch: "all"},
		}},
		{suite: "bpo", label: "Bpo", origin: "Bpo", notAutomatic: true, butAutomatic: true, pkgs: []debStanza{
			{name: "tb-hello", version: "1.2-1", arch: "all"},
			{name: "bpkg", version: "1.5", arch: native},
			{name: "bpkg", version: "2.0", arch: native},
		}},
	}
	installed := []debStanza{
		{name: "foo", version: "1.0", arch: native, multiArch: "same", status: "install ok installed"},
		{name: "foo", version: "1.0", arch: "i386", multiArch: "same", status: "install ok installed"},
		{name: "bar", version: "1.0", arch: "all", status: "install ok installed"},
		{name: "baz", version: "1.0", arch: native, status: "install ok installed"},
		{name: "qux", version: "1.0", arch: native, status: "install ok installed"},
		{name: "zed", version: "1:1.0-1", arch: native, source: "zed-src (1:1.0-1)", status: "hold ok installed"},
		{name: "lib32only", version: "1.0", arch: "i386", status: "install ok installed"},
		{name: "common", version: "1.0", arch: native, status: "install ok installed"},
		{name: "bpkg", version: "1.5", arch: native, status: "install ok installed"},
		{name: "dwn", version: "3.0", arch: native, status: "install ok installed"},
		{name: "gone", version: "1.0", arch: native, status: "deinstall ok config-files"},
	}
	sc := newScenario(t, env, suites, installed, []string{"i386"})
	sc.write(t, "etc/apt/preferences.d/downgrade.pref", "Package: dwn\nPin: version 2.0\nPin-Priority: 1001\n")
	rt := sc.rootOf(t, nil, nil)
	rt.r = recorder(t, rt.r, "testbed-archives", "host apt on a copy of the testbed's private root with file: suites of scan/apt's TestTestbedAptScanArchives")
	res := scanBoth(t, rt)

	type want struct {
		arch, evr string
		candidate bool
		security  bool
		origin    string
		want      string
	}
	wants := map[string][]want{
		"foo":       {{native, "2.0", true, false, "Local:1.0/local", ""}, {"i386", "2.0", true, false, "Local:1.0/local", ""}},
		"bar":       {{native, "2.0", true, false, "Local:1.0/local", ""}},
		"baz":       {{"all", "2.0", true, false, "Local:1.0/local", ""}},
		"qux":       {{native, "2.0", true, false, "Local:1.0/local", ""}},
		"zed":       {{native, "1:1.1-1", true, false, "Local:1.0/local", "hold"}},
		"lib32only": {{"i386", "1.1", true, false, "Local:1.0/local", ""}},
		"common":    {{native, "1.1", true, true, "Local:1.0/local, Local-Security:local-security", ""}},
		"bpkg":      {{native, "2.0", true, false, "Bpo:bpo", ""}},
		"tb-hello":  {{"all", "1.1-1", true, false, "Testbed:testbed-updates", ""}, {"all", "1.2-1", false, false, "Bpo:bpo", ""}},
		"tb-multi": {{"all", "1.1-1", false, false, "Testbed:testbed-updates", ""}, {"all", "1.2-1", false, true, "Testbed-Security:testbed-security", ""},
			{"all", "1.3-1", true, false, "Testbed:testbed-updates", ""}, {"all", "1.4-1", false, false, "Exp:exp", ""}},
		"dwn":  nil,
		"gone": nil,
	}
	for name, ws := range wants {
		got := findPatches(res.meta, name)
		sortPatches(got)
		if len(got) != len(ws) {
			t.Errorf("%s: %d patches, want %d: %+v", name, len(got), len(ws), got)
			continue
		}
		for i, w := range ws {
			g := got[i]
			if g.Arch != w.arch || g.EVR() != w.evr || g.Candidate != w.candidate || g.Security != w.security || g.Repository != w.origin || g.Want != w.want {
				t.Errorf("%s: got %s %s candidate=%v security=%v %q want=%q; want %+v", name, g.Arch, g.EVR(), g.Candidate, g.Security, g.Repository, g.Want, w)
			}
		}
	}
	if p := findPatches(res.meta, "zed"); len(p) == 1 && (p[0].SourceName != "zed-src" || p[0].SourceVersion != "1:1.1-1") {
		t.Errorf("zed: source %s %s, want zed-src 1:1.1-1", p[0].SourceName, p[0].SourceVersion)
	}
	// apt-get keeps qux back; its candidate comes from apt-cache policy,
	// its origin from apt-cache policy's package files: the form apt-get
	// prints for the others.
	q := findPatches(res.native, "qux")
	if len(q) != 1 || q[0].Repository != "Local:1.0/local" || q[0].EVR() != "2.0" {
		t.Errorf("native qux: %+v", q)
	}
	if d := findPatches(res.native, "dwn"); len(d) != 0 {
		t.Errorf("native backend reports the downgrade of dwn as a patch: %+v", d)
	}
}
