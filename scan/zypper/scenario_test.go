package zypper

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

var update = flag.Bool("update", false, "record the testbed scenarios as fixtures under testdata/zypper/scenarios")

// scenarioDir is where the recorded scenarios live.
const scenarioDir = "../../testdata/zypper/scenarios"

// scenario is one state of a zypper root: the testbed's own root, or a
// copy of it changed by setup with the real tools. The same scenarios run
// live on the testbed (TestTestbedZypperScan) and replayed from their
// recordings (TestScenarioReplay).
type scenario struct {
	name  string
	about string
	// setup changes the copy of the testbed's zypper root (root) with real
	// tools; dir is a scratch directory beside it for repositories. It may
	// record commands through rec (their outcomes are part of the
	// scenario's evidence).
	setup func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner)
	// notOK are repositories zypper uses and the metadata backend refuses
	// (metadata zypper accepted once without a signature check):
	// NativeRepoHealth must find them not OK, and zypper is asked with
	// them left out (NativeDisableRepos), so that both backends agree on
	// every version and its repository; asked about every repository too,
	// zypper takes versions from them.
	notOK []string
	// check makes the scenario's own assertions.
	check func(t *testing.T, s *scenarioRun)
	// keepRPMDB keeps the rpm database in the fixture (the metadata
	// backend reads provides from it).
	keepRPMDB bool
	// tables also records zypper's tables (list-updates, list-patches
	// --all without --xmlout).
	tables bool
	// skipped is a repository zypper skips when it may refresh: NativeUpdates
	// with NativeRefresh must say so (checked in the setup, live, and on
	// the recordings).
	skipped string
}

// tableCommands are the table forms of list-updates and list-patches.
func tableCommands(root string) []run.Command {
	var out []run.Command
	for _, sub := range [][]string{{"list-updates"}, {"list-patches", "--all"}} {
		out = append(out, run.Command{Path: "/usr/bin/zypper", Args: append([]string{"--non-interactive", "--no-refresh", "--root", root}, sub...),
			Env: []string{"LC_ALL=C", "LANGUAGE="}, OKCodes: []int{100, 101}})
	}
	return out
}

// checkSkipped runs NativeUpdates letting zypper refresh: it must report
// the repository it skipped.
func checkSkipped(t *testing.T, r run.Runner, root, alias string) {
	t.Helper()
	_, err := NativeUpdates(t.Context(), r, nil, NativeRoot(root), NativeRefresh(true))
	var se *ReposSkippedError
	if !errors.As(err, &se) || !slices.Contains(se.Repos, alias) {
		t.Fatalf("NativeUpdates with refresh: %v, want a *ReposSkippedError naming %s", err, alias)
	}
}

// archSpec is the spec of tb-arch, one package per architecture.
const archSpec = `Name: tb-arch
Version: %{pver}
Release: 1
Summary: patchkit testbed package tb-arch
License: MIT
%description
A patchkit testbed package built for one architecture.
%install
mkdir -p %{buildroot}/usr/share/testbed
echo "tb-arch %{pver}" > %{buildroot}/usr/share/testbed/tb-arch-%{_target_cpu}.txt
%files
/usr/share/testbed/tb-arch-%{_target_cpu}.txt
`

// buildArchRPMs builds tb-arch 1.0-1.x86_64 (first), 1.1-1.x86_64,
// 1.2-1.i686, 1.3-1.aarch64, 1.4-1.noarch and the source package
// 1.1-1.src with rpmbuild.
func buildArchRPMs(t *testing.T, dir string) []string {
	t.Helper()
	rb := testutil.NeedTool(t, "rpmbuild", "rpm")
	spec := filepath.Join(dir, "tb-arch.spec")
	if err := os.WriteFile(spec, []byte(archSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range []struct{ arch, ver string }{{"x86_64", "1.0"}, {"x86_64", "1.1"}, {"i686", "1.2"}, {"aarch64", "1.3"}, {"noarch", "1.4"}} {
		testutil.Run(t, "", nil, rb, "-bb", "--quiet", "--target", b.arch, "--define", "_topdir "+filepath.Join(dir, "rpmbuild"),
			"--define", "pver "+b.ver, "--define", "debug_package %{nil}",
			// without a fixed build host rpmbuild looks its name up in DNS,
			// which takes seconds here
			"--define", "_buildhost testbed.invalid", spec)
		out = append(out, filepath.Join(dir, "rpmbuild/RPMS", b.arch, "tb-arch-"+b.ver+"-1."+b.arch+".rpm"))
	}
	testutil.Run(t, "", nil, rb, "-bs", "--quiet", "--define", "_topdir "+filepath.Join(dir, "rpmbuild"),
		"--define", "pver 1.1", "--define", "_buildhost testbed.invalid", spec)
	return append(out, filepath.Join(dir, "rpmbuild/SRPMS/tb-arch-1.1-1.src.rpm"))
}

// installBeside installs kernel-tb 5.1-1 beside the installed 5.0-1 with
// rpm itself.
func installBeside(t *testing.T, env testbed.Env, root string) {
	t.Helper()
	testutil.Run(t, "", nil, testutil.NeedTool(t, "rpm", "rpm"), "--root", root, "-i", "--replacefiles", testbedRPM(env, "updates", "kernel-tb-5.1-1.noarch.rpm"))
}

func writeZyppConf(t *testing.T, root, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, "etc/zypp/zypp.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scenarioRun is what one run of a scenario produced.
type scenarioRun struct {
	root      string
	now       time.Time
	installed []patchkit.Package
	meta      *Result
	native    []patchkit.Patch
	nativeErr error
	patches   []Patch
	search    *Stream
	rec       []run.Recording // the setup's recorded commands, in order
	// notInst is what WithNotInstalled passed on, in its order.
	notInst []patchkit.Patch
	// searchAll is zypper's list of every package version (search -s -t
	// package, --xmlout); searchTable the same as a table, whose status
	// column shows locks; patchPkgs the packages of every patch (zypper
	// info -t patch).
	searchAll   *Stream
	searchTable []Update
	patchPkgs   []Patch
	// metaInst is Read with WithInstalledVersions; nativeInst
	// NativeUpdates with NativeInstalledVersions.
	metaInst   *Result
	nativeInst []patchkit.Patch
	// nativeAll is NativeUpdates with NativeInstalledVersions and
	// NativeAllVersions.
	nativeAll []patchkit.Patch
	// The native runs above leave out the repositories NativeRepoHealth
	// finds not OK (notOK, NativeDisableRepos); where there are some,
	// before and beforeAll are NativeUpdates, and with
	// NativeInstalledVersions and NativeAllVersions, asking about every
	// repository.
	notOK             []string
	before, beforeAll []patchkit.Patch
}

// testbedKeyFile is the testbed's rpm signing key, which its roots import.
func testbedKeyFile(env testbed.Env) string {
	return filepath.Join(env.Dir, "rpmrepo", "RPM-GPG-KEY-testbed")
}

func testbedRPM(env testbed.Env, base, file string) string {
	return filepath.Join(env.Dir, "rpmrepo", base, file)
}

// mkrepo makes an rpm-md repository in dir from the given rpm files.
func mkrepo(t *testing.T, dir string, rpms ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, r := range rpms {
		b, err := os.ReadFile(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(r)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Run(t, "", nil, testutil.NeedTool(t, "createrepo_c", "createrepo-c"), "-q", dir)
}

func zypperSetup(t *testing.T, root string, args ...string) string {
	t.Helper()
	return testutil.Run(t, "", nil, "zypper", append([]string{"--non-interactive", "--quiet", "--root", root}, args...)...)
}

// multipatchUpdateinfo is the updateinfo of the multipatch scenario,
// written here (not a vendor's): one recommended patch naming two
// packages, one of them in an architecture (x86_64) other than the
// installed one (noarch), with a restart_suggested flag and a bugzilla
// reference.
const multipatchUpdateinfo = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="testbed@example.invalid" status="stable" type="recommended" version="2">
    <id>TBRA-2026:0100</id>
    <title>Recommended update for tb-hello and tb-lib</title>
    <severity>low</severity>
    <issued date="1793534400"/>
    <references><reference href="https://bugzilla.example.invalid/show_bug.cgi?id=100" id="100" type="bugzilla" title="tb-hello and tb-lib"/></references>
    <description>A patch naming two packages.</description>
    <pkglist><collection short="testbed"><name>testbed</name>
      <package name="tb-hello" epoch="0" version="1.1" release="1" arch="noarch" src="tb-hello-1.1-1.src.rpm"><filename>tb-hello-1.1-1.noarch.rpm</filename><restart_suggested>True</restart_suggested></package>
      <package name="tb-lib" epoch="1" version="2.0" release="2" arch="x86_64" src="tb-lib-2.0-2.src.rpm"><filename>tb-lib-2.0-2.x86_64.rpm</filename></package>
    </collection></pkglist>
  </update>
</updates>
`

// extraUpdateinfo is the updateinfo of the notinstalled-repos scenario,
// written here (not a vendor's): a recommended, low patch naming
// tb-extra 1.1-1 (which the testbed's TBSA-2026:0007 names too), with a
// reboot flag and a bugzilla reference, and an optional patch naming
// tb-extra 1.0-1.
const extraUpdateinfo = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="testbed@example.invalid" status="stable" type="recommended" version="1">
    <id>TBRA-2026:0101</id>
    <title>Recommended update for tb-extra</title>
    <severity>low</severity>
    <issued date="1793620800"/>
    <references><reference href="https://bugzilla.example.invalid/show_bug.cgi?id=101" id="101" type="bugzilla" title="tb-extra"/></references>
    <description>A second patch naming tb-extra 1.1-1.</description>
    <pkglist><collection short="testbed"><name>testbed</name>
      <package name="tb-extra" epoch="0" version="1.1" release="1" arch="noarch" src="tb-extra-1.1-1.src.rpm"><filename>tb-extra-1.1-1.noarch.rpm</filename><reboot_suggested>True</reboot_suggested></package>
    </collection></pkglist>
  </update>
  <update from="testbed@example.invalid" status="stable" type="optional" version="1">
    <id>TBOA-2026:0102</id>
    <title>Optional update for tb-extra</title>
    <severity>none</severity>
    <issued date="1793707200"/>
    <description>A patch naming tb-extra 1.0-1.</description>
    <pkglist><collection short="testbed"><name>testbed</name>
      <package name="tb-extra" epoch="0" version="1.0" release="1" arch="noarch" src="tb-extra-1.0-1.src.rpm"><filename>tb-extra-1.0-1.noarch.rpm</filename></package>
    </collection></pkglist>
  </update>
</updates>
`

// notInstalled lists what WithNotInstalled passed on of the package name,
// as "NEVRA repository".
func notInstalled(s *scenarioRun, name string) []string {
	var out []string
	for _, p := range s.notInst {
		if p.Name == name {
			out = append(out, p.NEVRA()+" "+p.Repository)
		}
	}
	return out
}

// dryRun runs `zypper install --dry-run --details` of spec through rec
// (recorded as evidence): it must exit with code.
func dryRun(t *testing.T, rec run.Runner, root, spec string, code int) {
	t.Helper()
	c := run.Command{Path: "/usr/bin/zypper", Args: []string{"--non-interactive", "--no-refresh", "--root", root, "install", "--dry-run", "--details"},
		Operands: []string{spec}, Env: []string{"LC_ALL=C", "LANGUAGE="}}
	_, err := rec.Run(t.Context(), c)
	var ee *run.ExitError
	if code == 0 && err != nil || code != 0 && (!errors.As(err, &ee) || ee.Code != code) {
		t.Fatalf("%s: %v, want exit %d", c, err, code)
	}
}

// dryRunOutput returns the recorded `install --dry-run` of spec.
func dryRunOutput(t *testing.T, s *scenarioRun, spec string) run.Recording {
	t.Helper()
	for _, r := range s.rec {
		if slices.Contains(r.Argv, "install") && r.Argv[len(r.Argv)-1] == spec {
			return r
		}
	}
	t.Fatalf("no recorded zypper install --dry-run %s", spec)
	return run.Recording{}
}

// installs reports whether a recorded `install --dry-run --details`
// installs the version ed of name from the repository alias (zypper's
// details: the name, then the edition, architecture and repository on
// lines of their own).
func installs(r run.Recording, name, ed, alias string) bool {
	return r.Exit == 0 && strings.Contains(string(r.Stdout), "\n"+name+"\n  "+ed+"\n  noarch\n  "+alias+"\n")
}

func scenarios() []scenario {
	cand := func(t *testing.T, s *scenarioRun, name string) *patchkit.Patch {
		t.Helper()
		for i, p := range s.meta.Updates {
			if p.Name == name && p.Candidate {
				return &s.meta.Updates[i]
			}
		}
		return nil
	}
	status := func(t *testing.T, s *scenarioRun, patch string, want Status) {
		t.Helper()
		for _, p := range s.meta.Patches {
			if p.Name == patch {
				if p.Status != want {
					t.Errorf("patch %s: status %s, want %s", patch, p.Status, want)
				}
				return
			}
		}
		t.Errorf("no patch %s", patch)
	}
	repoHealth := func(t *testing.T, s *scenarioRun, alias string, want repo.Health) repo.Status {
		t.Helper()
		for _, st := range s.meta.Repos {
			if st.Name == alias {
				if st.Health != want {
					t.Errorf("repository %s: health %s (%s), want %s", alias, st.Health, st.Reason, want)
				}
				return st
			}
		}
		t.Errorf("no status for repository %s", alias)
		return repo.Status{}
	}
	return []scenario{
		{
			name:   "testbed",
			about:  "the testbed's zypper root as testbed.sh leaves it",
			tables: true,
			check: func(t *testing.T, s *scenarioRun) {
				for _, a := range []string{"tb-base", "tb-updates"} {
					if st := repoHealth(t, s, a, repo.HealthOK); !st.Verified {
						t.Errorf("%s: not verified against the rpm database's keys", a)
					}
				}
				// tb-multi: 1.1 bugfix, 1.2 security Moderate, 1.3
				// enhancement, all offered; zypper's candidate is 1.3.
				want := map[string][3]string{"1.1": {"Bugfix", "", "TBBA-2026:0004"}, "1.2": {"Security", "Moderate", "TBSA-2026:0005"}, "1.3": {"Enhancement", "", "TBEA-2026:0006"}}
				n := 0
				for _, p := range s.meta.Updates {
					if p.Name != "tb-multi" {
						continue
					}
					n++
					w, ok := want[p.Version]
					if !ok || p.Classification != w[0] || p.Severity != w[1] || !slices.Equal(p.AdvisoryIDs, []string{w[2]}) || !p.Security {
						t.Errorf("tb-multi %s: %s/%s %v security=%v, want %v", p.Version, p.Classification, p.Severity, p.AdvisoryIDs, p.Security, w)
					}
					if p.Candidate != (p.Version == "1.3") {
						t.Errorf("tb-multi %s: Candidate=%v", p.Version, p.Candidate)
					}
				}
				if n != 3 {
					t.Errorf("%d versions of tb-multi offered, want 3", n)
				}
				if k := cand(t, s, "kernel-tb"); k == nil || !k.RebootSuggested || k.Severity != "Critical" || k.Classification != "Security" {
					t.Errorf("kernel-tb candidate: %+v, want Security Critical with a reboot", k)
				}
				status(t, s, "TBEA-2026:0006", StatusOptional)
				status(t, s, "TBSA-2026:0001", StatusNeeded)
				// tb-extra, which no root has installed, and nothing of
				// the installed packages
				if got := notInstalled(s, "tb-extra"); len(s.notInst) != 2 || !slices.Equal(got, []string{"tb-extra-0:1.0-1.noarch tb-base", "tb-extra-0:1.1-1.noarch tb-updates"}) {
					t.Errorf("not installed %d versions, tb-extra %v; want tb-extra 1.0-1 from tb-base and 1.1-1 from tb-updates only", len(s.notInst), got)
				}
				for _, p := range s.notInst {
					sec := p.Version == "1.1"
					if sec != (p.Classification == "Security" && p.Severity == "Important" && slices.Equal(p.AdvisoryIDs, []string{"TBSA-2026:0007"}) && slices.Equal(p.CVEIDs, []string{"CVE-2026-0007"})) || p.Candidate ||
						!sec && (p.Classification != "" || p.Security) {
						t.Errorf("%s: %+v, want 1.1-1 Security Important TBSA-2026:0007 CVE-2026-0007 and 1.0-1 unclassified", p.NEVRA(), p)
					}
				}
			},
		},
		{
			name:  "priority",
			about: "a second repository tb-prio at priority 50 holding tb-multi 1.1-1 and tb-hello 1.1-1 (zypper ar -G -p 50)",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				mkrepo(t, filepath.Join(dir, "prio"), testbedRPM(env, "updates", "tb-multi-1.1-1.noarch.rpm"), testbedRPM(env, "updates", "tb-hello-1.1-1.noarch.rpm"))
				zypperSetup(t, root, "addrepo", "-G", "-p", "50", "file://"+filepath.Join(dir, "prio"), "tb-prio")
				zypperSetup(t, root, "refresh", "tb-prio")
			},
			check: func(t *testing.T, s *scenarioRun) {
				if c := cand(t, s, "tb-multi"); c == nil || c.Version != "1.1" || c.Repository != "tb-prio" {
					t.Errorf("tb-multi candidate %+v, want 1.1-1 from tb-prio (the better priority wins over the higher version)", c)
				}
				if c := cand(t, s, "tb-hello"); c == nil || c.Repository != "tb-prio" {
					t.Errorf("tb-hello candidate %+v, want it from tb-prio", c)
				}
			},
		},
		{
			name:  "priority-installed",
			about: "a second repository tb-prio at priority 50 holding only tb-multi 1.0-1, the installed version",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				mkrepo(t, filepath.Join(dir, "prio"), testbedRPM(env, "base", "tb-multi-1.0-1.noarch.rpm"))
				zypperSetup(t, root, "addrepo", "-G", "-p", "50", "file://"+filepath.Join(dir, "prio"), "tb-prio")
				zypperSetup(t, root, "refresh", "tb-prio")
			},
			check: func(t *testing.T, s *scenarioRun) {
				if c := cand(t, s, "tb-multi"); c != nil {
					t.Errorf("tb-multi has candidate %s, want none: the better-priority repository holds the installed version", c.EVR())
				}
			},
		},
		{
			name:  "locks",
			about: "locks added with zypper addlock: tb-hello, the glob tb-mu*, and the patch TBSA-2026:0001",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				zypperSetup(t, root, "addlock", "tb-hello")
				zypperSetup(t, root, "addlock", "tb-mu*")
				zypperSetup(t, root, "addlock", "-t", "patch", "TBSA-2026:0001")
			},
			check: func(t *testing.T, s *scenarioRun) {
				for _, n := range []string{"tb-hello", "tb-multi"} {
					if c := cand(t, s, n); c != nil {
						t.Errorf("locked %s has candidate %s", n, c.EVR())
					}
				}
				status(t, s, "TBSA-2026:0001", StatusUnwanted)
				status(t, s, "TBBA-2026:0002", StatusNeeded)
			},
		},
		{
			name:  "multiversion",
			about: "kernel-tb 5.1-1 installed beside 5.0-1 (rpm --root R -i --replacefiles), kernel-tb not multiversion",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				installBeside(t, env, root)
			},
			check: func(t *testing.T, s *scenarioRun) {
				if c := cand(t, s, "kernel-tb"); c != nil {
					t.Errorf("kernel-tb has candidate %s with 5.1-1 installed", c.EVR())
				}
				// the old kernel, not multiversion, still needs the patch
				status(t, s, "TBSA-2026:0003", StatusNeeded)
			},
		},
		{
			name:  "multiversion-name",
			about: "kernel-tb 5.1-1 installed beside 5.0-1, and the root's etc/zypp/zypp.conf with multiversion = kernel-tb",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				installBeside(t, env, root)
				writeZyppConf(t, root, "[main]\nmultiversion = kernel-tb\n")
			},
			check: func(t *testing.T, s *scenarioRun) {
				status(t, s, "TBSA-2026:0003", StatusApplied)
			},
		},
		{
			name:      "multiversion-provides",
			about:     "kernel-tb 5.1-1 installed beside 5.0-1, and the root's etc/zypp/zypp.conf with multiversion = provides:kernel-tb (the package's own provide), the rpm database kept",
			keepRPMDB: true,
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				installBeside(t, env, root)
				writeZyppConf(t, root, "[main]\nmultiversion = provides:kernel-tb\n")
			},
			check: func(t *testing.T, s *scenarioRun) {
				status(t, s, "TBSA-2026:0003", StatusApplied)
			},
		},
		{
			name:  "multipatch",
			about: "a repository tb-multirepo (zypper ar -G) with tb-hello 1.1-1, tb-lib 1:2.0-2 and an updateinfo written by the test: TBRA-2026:0100, recommended, low, naming both (tb-lib as x86_64), restart_suggested",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				d := filepath.Join(dir, "multi")
				mkrepo(t, d, testbedRPM(env, "updates", "tb-hello-1.1-1.noarch.rpm"), testbedRPM(env, "updates", "tb-lib-2.0-2.noarch.rpm"))
				ui := filepath.Join(dir, "updateinfo.xml")
				if err := os.WriteFile(ui, []byte(multipatchUpdateinfo), 0o644); err != nil {
					t.Fatal(err)
				}
				testutil.Run(t, "", nil, testutil.NeedTool(t, "modifyrepo_c", "createrepo-c"), "--mdtype=updateinfo", ui, filepath.Join(d, "repodata"))
				zypperSetup(t, root, "addrepo", "-G", "file://"+d, "tb-multirepo")
				zypperSetup(t, root, "refresh", "tb-multirepo")
			},
			check: func(t *testing.T, s *scenarioRun) {
				status(t, s, "TBRA-2026:0100", StatusNeeded)
				lib := cand(t, s, "tb-lib")
				if lib == nil || lib.Classification != "Security" || !slices.Equal(lib.AdvisoryIDs, []string{"TBRA-2026:0100", "TBSA-2026:0001"}) || !slices.Equal(lib.BugzillaIDs, []string{"100"}) {
					t.Errorf("tb-lib candidate %+v: want Security (the security patch wins), both advisories, bugzilla 100", lib)
				}
				hello := cand(t, s, "tb-hello")
				if hello == nil || hello.Classification != "Recommended" || hello.Severity != "Low" || !hello.ReleaseDate.Equal(time.Unix(1793534400, 0)) {
					t.Errorf("tb-hello candidate %+v: want Recommended, Low (the patch with a severity wins), dated 2026-11-01T12:00:00Z", hello)
				}
				for _, p := range s.patches {
					if p.Name == "TBRA-2026:0100" && !p.RestartSuggested {
						t.Errorf("native TBRA-2026:0100: pkgmanager flag not read")
					}
				}
				for _, p := range s.meta.Patches {
					if p.Name == "TBRA-2026:0100" && (!p.RestartSuggested || p.RebootSuggested) {
						t.Errorf("metadata TBRA-2026:0100: restart %v reboot %v, want its restart_suggested and no reboot", p.RestartSuggested, p.RebootSuggested)
					}
				}
				// The versions the patch names carry the flag, from both
				// backends (agree compares the candidates field by field).
				if hello == nil || !hello.RestartSuggested || hello.RebootSuggested {
					t.Errorf("tb-hello candidate %+v: want RestartSuggested from TBRA-2026:0100", hello)
				}
			},
		},
		{
			name:  "arch",
			about: "tb-arch 1.0-1.x86_64 (rpmbuild --target, built by the test) installed with rpm, and a repository tb-arch (addrepo -G) with tb-arch 1.1-1.x86_64, 1.2-1.i686, 1.3-1.aarch64, 1.4-1.noarch and the source package 1.1-1.src",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				rpms := buildArchRPMs(t, dir)
				testutil.Run(t, "", nil, testutil.NeedTool(t, "rpm", "rpm"), "--root", root, "-i", rpms[0])
				mkrepo(t, filepath.Join(dir, "arch"), rpms[1:]...)
				zypperSetup(t, root, "addrepo", "-G", "file://"+filepath.Join(dir, "arch"), "tb-arch")
				zypperSetup(t, root, "refresh", "tb-arch")
			},
			check: func(t *testing.T, s *scenarioRun) {
				if c := cand(t, s, "tb-arch"); c == nil || c.Arch != "noarch" || c.Version != "1.4" {
					t.Errorf("tb-arch candidate %+v, want 1.4-1.noarch (a change to noarch is an update)", c)
				}
				var got []string
				for _, p := range s.meta.Updates {
					if p.Name == "tb-arch" {
						got = append(got, p.Version+"."+p.Arch)
					}
				}
				if !slices.Equal(got, []string{"1.4.noarch", "1.1.x86_64"}) {
					t.Errorf("tb-arch versions offered %v, want 1.1 x86_64 and 1.4 noarch (not i686, an arch change; not aarch64, not installable)", got)
				}
				if st := repoHealth(t, s, "tb-arch", repo.HealthOK); st.Packages != 5 {
					t.Errorf("tb-arch holds %d packages, want 5 (the source package among them)", st.Packages)
				}
				// tb-arch.i686 is not installed: its version is passed on
				// (zypper would install it in place of the x86_64 one);
				// aarch64 is not installable, noarch 1.4 is an update, the
				// source package is none
				if got := notInstalled(s, "tb-arch"); !slices.Equal(got, []string{"tb-arch-0:1.2-1.i686 tb-arch"}) {
					t.Errorf("tb-arch versions not installed %v, want 1.2-1.i686 only", got)
				}
			},
		},
		{
			name:  "notinstalled-locks",
			about: "zypper addlock 'tb-extra < 1.1': a lock on tb-extra 1.0-1, a version of the package no root has installed; zypper install --dry-run --details refuses tb-extra-1.0-1 (exit 4) and installs tb-extra 1.1-1 for tb-extra",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				zypperSetup(t, root, "addlock", "tb-extra < 1.1")
				dryRun(t, rec, root, "tb-extra-1.0-1", 4)
				dryRun(t, rec, root, "tb-extra", 0)
			},
			check: func(t *testing.T, s *scenarioRun) {
				if got := notInstalled(s, "tb-extra"); !slices.Equal(got, []string{"tb-extra-0:1.1-1.noarch tb-updates"}) {
					t.Errorf("tb-extra not installed %v, want 1.1-1 only (1.0-1 is locked)", got)
				}
				if r := dryRunOutput(t, s, "tb-extra-1.0-1"); r.Exit != 4 || !strings.Contains(string(r.Stdout), "remove lock") {
					t.Errorf("zypper install tb-extra-1.0-1: exit %d, want 4 (locked)\n%s", r.Exit, r.Stdout)
				}
				if r := dryRunOutput(t, s, "tb-extra"); !installs(r, "tb-extra", "1.1-1", "tb-updates") {
					t.Errorf("zypper install tb-extra does not install 1.1-1 from tb-updates:\n%s", r.Stdout)
				}
				for _, p := range s.notInst {
					if p.Name == "tb-extra" && (p.Classification != "Security" || p.Severity != "Important" || !slices.Equal(p.AdvisoryIDs, []string{"TBSA-2026:0007"}) || !slices.Equal(p.CVEIDs, []string{"CVE-2026-0007"})) {
						t.Errorf("tb-extra %s: %+v, want Security Important TBSA-2026:0007 CVE-2026-0007", p.EVR(), p)
					}
				}
			},
		},
		{
			name: "notinstalled-repos",
			about: "a repository tb-extra-repo (zypper addrepo -G -p 50) over the testbed's tb-extra 1.0-1 and 1.1-1 with an updateinfo written by the test (TBRA-2026:0101 recommended naming 1.1-1, TBOA-2026:0102 optional naming 1.0-1), " +
				"and zypper addlock -r tb-extra-repo 'tb-extra < 1.1' (1.0-1 of that repository only); zypper install --dry-run --details installs tb-extra-1.0-1 from tb-base and tb-extra (1.1-1) from tb-extra-repo",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				d := filepath.Join(dir, "extra")
				mkrepo(t, d, testbedRPM(env, "base", "tb-extra-1.0-1.noarch.rpm"), testbedRPM(env, "updates", "tb-extra-1.1-1.noarch.rpm"))
				ui := filepath.Join(dir, "updateinfo.xml")
				if err := os.WriteFile(ui, []byte(extraUpdateinfo), 0o644); err != nil {
					t.Fatal(err)
				}
				testutil.Run(t, "", nil, testutil.NeedTool(t, "modifyrepo_c", "createrepo-c"), "--mdtype=updateinfo", ui, filepath.Join(d, "repodata"))
				zypperSetup(t, root, "addrepo", "-G", "-p", "50", "file://"+d, "tb-extra-repo")
				zypperSetup(t, root, "refresh", "tb-extra-repo")
				zypperSetup(t, root, "addlock", "-r", "tb-extra-repo", "tb-extra < 1.1")
				dryRun(t, rec, root, "tb-extra-1.0-1", 0)
				dryRun(t, rec, root, "tb-extra", 0)
			},
			check: func(t *testing.T, s *scenarioRun) {
				if got := notInstalled(s, "tb-extra"); !slices.Equal(got, []string{"tb-extra-0:1.0-1.noarch tb-base", "tb-extra-0:1.1-1.noarch tb-extra-repo"}) {
					t.Errorf("tb-extra not installed %v, want 1.0-1 from tb-base (tb-extra-repo locks it) and 1.1-1 from tb-extra-repo (its priority)", got)
				}
				if r := dryRunOutput(t, s, "tb-extra-1.0-1"); !installs(r, "tb-extra", "1.0-1", "tb-base") {
					t.Errorf("zypper install tb-extra-1.0-1 does not take it from tb-base:\n%s", r.Stdout)
				}
				if r := dryRunOutput(t, s, "tb-extra"); !installs(r, "tb-extra", "1.1-1", "tb-extra-repo") {
					t.Errorf("zypper install tb-extra does not install 1.1-1 from tb-extra-repo:\n%s", r.Stdout)
				}
				for _, p := range s.notInst {
					switch p.EVR() {
					case "0:1.1-1":
						if p.Classification != "Security" || p.Severity != "Important" || !slices.Equal(p.AdvisoryIDs, []string{"TBRA-2026:0101", "TBSA-2026:0007"}) ||
							!slices.Equal(p.BugzillaIDs, []string{"101"}) || !p.RebootSuggested || !p.ReleaseDate.Equal(time.Date(2026, 11, 7, 12, 0, 0, 0, time.UTC)) {
							t.Errorf("tb-extra 1.1-1: %+v, want Security (the security patch wins) Important, both advisories, bugzilla 101, a reboot, dated 2026-11-07T12:00Z", p)
						}
					case "0:1.0-1":
						if p.Classification != "Optional" || p.Severity != "" || !slices.Equal(p.AdvisoryIDs, []string{"TBOA-2026:0102"}) {
							t.Errorf("tb-extra 1.0-1: %+v, want Optional", p)
						}
					}
				}
				status(t, s, "TBRA-2026:0101", StatusNotNeeded)
			},
		},
		{
			name:    "unsigned",
			about:   "a repository tb-unsigned (gpgcheck on) whose repomd.xml has no signature: zypper refresh refuses it; zypper --no-gpg-checks refresh then caches it",
			notOK:   []string{"tb-unsigned"},
			skipped: "tb-unsigned",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				d := filepath.Join(dir, "unsigned")
				mkrepo(t, d, testbedRPM(env, "updates", "tb-multi-1.3-1.noarch.rpm"))
				zypperSetup(t, root, "addrepo", "file://"+d, "tb-unsigned")
				refuse(t, rec, root, "tb-unsigned")
				checkSkipped(t, rec, root, "tb-unsigned")
				zypperSetup(t, root, "--no-gpg-checks", "refresh", "tb-unsigned")
			},
			check: func(t *testing.T, s *scenarioRun) {
				st := repoHealth(t, s, "tb-unsigned", repo.HealthUnsigned)
				if !strings.Contains(st.Reason, "not signed") {
					t.Errorf("tb-unsigned reason %q", st.Reason)
				}
				refused(t, s, 4)
				nativeFrom(t, s.before, "tb-multi", "tb-unsigned")
				nativeFrom(t, s.native, "tb-multi", "tb-updates")
			},
		},
		{
			name:    "untrusted",
			about:   "a repository tb-untrusted (gpgcheck on) signed by a key the root does not trust: zypper refresh rejects the key; zypper --no-gpg-checks refresh then caches it",
			notOK:   []string{"tb-untrusted"},
			skipped: "tb-untrusted",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				d := filepath.Join(dir, "untrusted")
				mkrepo(t, d, testbedRPM(env, "updates", "tb-multi-1.3-1.noarch.rpm"))
				gpg := testutil.NeedTool(t, "gpg", "gpg")
				home := filepath.Join(dir, "gnupg")
				if err := os.Mkdir(home, 0o700); err != nil {
					t.Fatal(err)
				}
				genv := []string{"GNUPGHOME=" + home}
				testutil.Run(t, "", genv, gpg, "--batch", "--passphrase", "", "--quick-gen-key", "Untrusted Testbed Key <untrusted@example.invalid>", "ed25519", "sign", "never")
				testutil.Run(t, "", genv, gpg, "--batch", "--yes", "--armor", "--detach-sign", "-o", filepath.Join(d, "repodata/repomd.xml.asc"), filepath.Join(d, "repodata/repomd.xml"))
				zypperSetup(t, root, "addrepo", "file://"+d, "tb-untrusted")
				refuse(t, rec, root, "tb-untrusted")
				checkSkipped(t, rec, root, "tb-untrusted")
				zypperSetup(t, root, "--no-gpg-checks", "refresh", "tb-untrusted")
			},
			check: func(t *testing.T, s *scenarioRun) {
				st := repoHealth(t, s, "tb-untrusted", repo.HealthUnsigned)
				if st.Verified {
					t.Error("tb-untrusted verified")
				}
				refused(t, s, 4)
				nativeFrom(t, s.before, "tb-multi", "tb-untrusted")
				nativeFrom(t, s.native, "tb-multi", "tb-updates")
			},
		},
		{
			name:  "updated",
			about: "zypper update run on the root: every package at its newest version, so the installed versions are those the testbed's patches name (applied)",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				zypperSetup(t, root, "update")
			},
			check: func(t *testing.T, s *scenarioRun) {
				if len(s.native) != 0 {
					t.Errorf("candidates after zypper update: %v", s.native)
				}
				status(t, s, "TBSA-2026:0001", StatusApplied)
				for _, p := range s.nativeInst {
					if p.Name != "tb-lib" {
						continue
					}
					if p.Candidate || p.EVR() != "1:2.0-2" || p.Repository != "tb-updates" || !p.Security || p.Classification != "Security" ||
						p.Severity != "Important" || !slices.Equal(p.AdvisoryIDs, []string{"TBSA-2026:0001"}) || !slices.Equal(p.CVEIDs, []string{"CVE-2026-0001"}) {
						t.Errorf("installed tb-lib %+v, want 1:2.0-2 from tb-updates, Security Important TBSA-2026:0001 CVE-2026-0001", p)
					}
				}
				if got := nativeInstalledVersion(s, "tb-lib"); len(got) != 1 {
					t.Errorf("installed tb-lib: %v, want one version", got)
				}
			},
		},
		{
			name:  "repo-names",
			about: "a second repository tb-same (zypper addrepo -G -p 50 -n tb-base) named like tb-base, holding tb-multi 1.0-1, the installed version: zypper search names both repositories tb-base; and a disabled repository tb-off over the same directory named like tb-updates (addrepo -d -n tb-updates)",
			setup: func(t *testing.T, env testbed.Env, root, dir string, rec run.Runner) {
				mkrepo(t, filepath.Join(dir, "same"), testbedRPM(env, "base", "tb-multi-1.0-1.noarch.rpm"))
				zypperSetup(t, root, "addrepo", "-G", "-p", "50", "-n", "tb-base", "file://"+filepath.Join(dir, "same"), "tb-same")
				zypperSetup(t, root, "refresh", "tb-same")
				zypperSetup(t, root, "addrepo", "-G", "-d", "-n", "tb-updates", "file://"+filepath.Join(dir, "same"), "tb-off")
			},
			check: func(t *testing.T, s *scenarioRun) {
				if got := nativeInstalledVersion(s, "tb-multi"); !slices.Equal(got, []string{"tb-multi-0:1.0-1.noarch tb-same"}) {
					t.Errorf("installed tb-multi %v, want 1.0-1 from tb-same (priority 50)", got)
				}
				if got := nativeInstalledVersion(s, "tb-hello"); !slices.Equal(got, []string{"tb-hello-0:1.0-1.noarch tb-base"}) {
					t.Errorf("installed tb-hello %v, want 1.0-1 from tb-base (tb-same, of the same name, does not have it)", got)
				}
			},
		},
	}
}

// refuse runs zypper refresh of alias through rec: real zypper must refuse
// the repository (exit 4).
func refuse(t *testing.T, rec run.Runner, root, alias string) {
	t.Helper()
	c := run.Command{Path: "/usr/bin/zypper", Args: []string{"--non-interactive", "--root", root, "refresh", alias}, Env: []string{"LC_ALL=C"}}
	_, err := rec.Run(t.Context(), c)
	var ee *run.ExitError
	if !errors.As(err, &ee) || ee.Code != 4 {
		t.Fatalf("zypper refresh %s: %v, want exit 4 (zypper refuses it)", alias, err)
	}
}

// nativeFrom checks that zypper took its candidate for name from the
// repository alias: asked about every repository (scenarioRun.before)
// zypper keeps using metadata it accepted once without a check, where the
// metadata backend refuses it; asked with that repository left out
// (scenarioRun.native), it takes the candidate from another.
func nativeFrom(t *testing.T, native []patchkit.Patch, name, alias string) {
	t.Helper()
	for _, p := range native {
		if p.Name == name {
			if p.Repository != alias {
				t.Errorf("zypper's candidate for %s comes from %s, want %s", name, p.Repository, alias)
			}
			return
		}
	}
	t.Errorf("zypper has no candidate for %s", name)
}

// refused checks the recorded refusal of the setup.
func refused(t *testing.T, s *scenarioRun, code int) {
	t.Helper()
	for _, r := range s.rec {
		if slices.Contains(r.Argv, "refresh") {
			if r.Exit != code {
				t.Errorf("zypper refresh exited %d, want %d", r.Exit, code)
			}
			return
		}
	}
	t.Error("no recorded zypper refresh")
}

// rootFiles are what a scenario fixture keeps of the root.
func rootFiles(root string, rpmdb bool) ([]string, error) {
	var out []string
	dirs := []string{"etc/zypp", "var/cache/zypp/raw"}
	if rpmdb {
		dirs = append(dirs, "var/lib/rpm")
	}
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if d.Type().IsRegular() && (strings.HasPrefix(rel, "var/cache/") || (rel == "var/lib/rpm/rpmdb.sqlite" || rel == "var/lib/rpm/rpmdb.sqlite-wal") || strings.HasSuffix(rel, ".repo") || rel == "etc/zypp/locks" || rel == "etc/zypp/zypp.conf") {
				out = append(out, rel)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return out, nil
}

// fixtureMeta is fixture.json of a recorded scenario.
type fixtureMeta struct {
	Scenario string    `json:"Scenario"`
	About    string    `json:"About"`
	Root     string    `json:"Root"`
	Now      time.Time `json:"Now"`
	Arch     string    `json:"Arch"`
}

var toolVersions = sync.OnceValue(func() string {
	v := func(args ...string) string {
		out, err := exec.Command(args[0], args[1:]...).Output()
		if err != nil {
			return "unknown"
		}
		return strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%s (libzypp %s), %s, Debian 12 amd64", v("zypper", "--version"),
		v("dpkg-query", "-W", "-f", "${Version}", "libzypp1722"), v("rpm", "--version"))
})

// runScenario sets the scenario up on a copy of the testbed's root, runs
// both backends and the oracle commands, and, with -update, writes the
// fixture.
func runScenario(t *testing.T, env testbed.Env, sc scenario) *scenarioRun {
	// Every scenario works on its own copy, so that no other test's zypper
	// holds the root's lock.
	c := env.Clone(t)
	root, dir := c.ZyppRoot, filepath.Dir(c.ZyppRoot)
	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	prov := func(run.Command) string {
		return fmt.Sprintf("%s on this project's machine kind, %s: patchkit testbed zypper root, scenario %q: %s; recorded by go test -run 'TestTestbedZypperScan' -update ./scan/zypper",
			toolVersions(), time.Now().UTC().Format("2006-01-02"), sc.name, sc.about)
	}
	setupRec := run.NewRecorder(local, prov)
	if sc.setup != nil {
		sc.setup(t, env, root, dir, setupRec)
	}
	rec := run.NewRecorder(local, prov)
	s := &scenarioRun{root: root, now: time.Now().UTC().Truncate(time.Second), rec: setupRec.Recordings()}
	ctx := t.Context()
	if s.installed, err = rpmdb.Query(ctx, rec, rpmdb.WithRoot(root)); err != nil {
		t.Fatal(err)
	}
	// the keys of the rpm database, as rpm prints them: the replay's trust
	if _, err := rec.Run(ctx, run.Command{Path: "/usr/bin/rpm", Args: []string{"--root", root, "-q", "gpg-pubkey", "--qf", `%{DESCRIPTION}\n`}}); err != nil {
		t.Fatal(err)
	}
	s.meta, err = Read(ctx, os.DirFS(root), s.installed, WithArch("x86_64"), WithNow(s.now), s.collect())
	if err != nil {
		t.Fatal(err)
	}
	h, err := NativeRepoHealth(ctx, os.DirFS(root), WithArch("x86_64"), WithNow(s.now))
	if err != nil {
		t.Fatal(err)
	}
	s.notOK = h.NotOK()
	disable := NativeDisableRepos(s.notOK...)
	s.native, s.nativeErr = NativeUpdates(ctx, rec, s.installed, NativeRoot(root), disable)
	if s.nativeErr != nil && !errors.Is(s.nativeErr, ErrReposSkipped) {
		t.Fatal(s.nativeErr)
	}
	if s.patches, err = NativePatches(ctx, rec, NativeRoot(root), disable); err != nil && !errors.Is(err, ErrReposSkipped) {
		t.Fatal(err)
	}
	s.search = searchInstalled(t, rec, root, s.installed)
	if sc.tables {
		for _, c := range tableCommands(root) {
			if _, err := rec.Run(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.searchEverything(t, rec)
	if s.metaInst, err = Read(ctx, os.DirFS(root), s.installed, WithArch("x86_64"), WithNow(s.now), WithInstalledVersions(true)); err != nil {
		t.Fatal(err)
	}
	if s.nativeInst, err = NativeUpdates(ctx, rec, s.installed, NativeRoot(root), NativeInstalledVersions(true), disable); err != nil && !errors.Is(err, ErrReposSkipped) {
		t.Fatal(err)
	}
	if s.nativeAll, err = NativeUpdates(ctx, rec, s.installed, NativeRoot(root), NativeInstalledVersions(true), NativeAllVersions(true), disable); err != nil && !errors.Is(err, ErrReposSkipped) {
		t.Fatal(err)
	}
	s.askEveryRepository(t, rec)
	if *update {
		writeFixture(t, sc, s, append(setupRec.Recordings(), rec.Recordings()...))
	}
	return s
}

// searchInstalled asks zypper for every version of the installed names.
func searchInstalled(t *testing.T, r run.Runner, root string, installed []patchkit.Package) *Stream {
	t.Helper()
	var names []string
	for _, p := range installed {
		if !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	o, _ := buildNative([]NativeOption{NativeRoot(root)})
	c := o.command([]string{"search", "-s", "--match-exact", "-t", "package"}, names)
	st, err := runStream(t.Context(), r, c)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// askEveryRepository, where the scenario has repositories that are not OK,
// runs NativeUpdates through r asking about every repository, without and
// with NativeInstalledVersions and NativeAllVersions (before, beforeAll).
func (s *scenarioRun) askEveryRepository(t *testing.T, r run.Runner) {
	t.Helper()
	if len(s.notOK) == 0 {
		return
	}
	var err error
	if s.before, err = NativeUpdates(t.Context(), r, s.installed, NativeRoot(s.root)); err != nil {
		t.Fatal(err)
	}
	if s.beforeAll, err = NativeUpdates(t.Context(), r, s.installed, NativeRoot(s.root), NativeInstalledVersions(true), NativeAllVersions(true)); err != nil {
		t.Fatal(err)
	}
}

// collect is the WithNotInstalled option that keeps what it is passed.
func (s *scenarioRun) collect() Option {
	return WithNotInstalled(func(p patchkit.Patch) { s.notInst = append(s.notInst, p) })
}

// searchAllCommands are zypper's list of every package version, in XML
// and as a table (the table's status column shows the locks).
func searchAllCommands(root string) (xml, table run.Command) {
	o, _ := buildNative([]NativeOption{NativeRoot(root)})
	xml = o.command([]string{"search", "-s", "-t", "package"}, nil)
	table = run.Command{Path: "/usr/bin/zypper", Args: []string{"--non-interactive", "--no-refresh", "--root", root, "search", "-s", "-t", "package"},
		Env: []string{"LC_ALL=C", "LANGUAGE="}}
	return xml, table
}

// searchEverything asks zypper, through r, for every package version
// with its status and locks, and for the packages of the patches whose
// packages NativePatches did not ask for (zypper info -t patch).
func (s *scenarioRun) searchEverything(t *testing.T, r run.Runner) {
	t.Helper()
	ctx := t.Context()
	xc, tc := searchAllCommands(s.root)
	var err error
	if s.searchAll, err = runStream(ctx, r, xc); err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(ctx, tc)
	if err != nil {
		t.Fatal(err)
	}
	if s.searchTable, err = parseTable(tc.String(), bytes.NewReader(res.Stdout), "package", func(u *Update, col, v string) {
		switch col {
		case "S":
			u.Status = v
		case "Name":
			u.Name = v
		case "Type":
			u.Kind = v
		case "Version":
			u.Edition = v
		case "Arch":
			u.Arch = v
		case "Repository":
			u.RepoName = v
		}
	}, []string{"S", "Name", "Version", "Arch", "Repository"}); err != nil {
		t.Fatal(err)
	}
	s.patchPkgs = slices.Clone(s.patches)
	var names []string
	for _, p := range s.patches {
		if len(p.Packages) == 0 && !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	slices.Sort(names)
	o, _ := buildNative([]NativeOption{NativeRoot(s.root)})
	ic := o.command([]string{"info", "-t", "patch"}, names)
	is, err := runStream(ctx, r, ic)
	if err != nil && !errors.Is(err, ErrReposSkipped) {
		t.Fatal(err)
	}
	infos, err := infoPatches(ic.String(), is)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.patchPkgs {
		p := &s.patchPkgs[i]
		for _, ip := range infos {
			if ip.Name == p.Name && len(p.Packages) == 0 {
				p.Packages = ip.Packages
			}
		}
	}
}

func writeFixture(t *testing.T, sc scenario, s *scenarioRun, recs []run.Recording) {
	dir := filepath.Join(scenarioDir, sc.name)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	files, err := rootFiles(s.root, sc.keepRPMDB)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(s.root, f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, "root", f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	n := 0
	for _, r := range recs {
		b, err := r.Format()
		if err != nil {
			t.Fatal(err)
		}
		if seen[string(b)] {
			continue
		}
		seen[string(b)] = true
		n++
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s.txt", n, recordingLabel(r))), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	meta, _ := json.MarshalIndent(fixtureMeta{Scenario: sc.name, About: sc.about, Root: s.root, Now: s.now, Arch: "x86_64"}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "fixture.json"), append(meta, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// recordingLabel names a recording by its program and subcommand.
func recordingLabel(r run.Recording) string {
	prog := filepath.Base(r.Argv[0])
	if prog == "rpm" {
		if slices.Contains(r.Argv, "gpg-pubkey") {
			return "rpm-gpg-pubkey"
		}
		return "rpm-qa"
	}
	for _, sub := range []string{"list-updates", "list-patches", "info", "search", "refresh", "install", "repos"} {
		if slices.Contains(r.Argv, sub) {
			l := prog + "-" + sub
			if sub != "refresh" && !slices.Contains(r.Argv, "--xmlout") {
				l += "-table"
			}
			if sub != "refresh" && !slices.Contains(r.Argv, "--no-refresh") {
				l += "-refreshing"
			}
			return l
		}
	}
	return prog
}

// agreement counts what two backends were found to agree on.
type agreement struct {
	candidates, versions, patches, patchPackages, notInstalled, installed, allVersions int
	// rebootFlags and restartFlags count the patches both backends agree
	// ask for a reboot or a restart of the package manager.
	rebootFlags, restartFlags int
}

// scanKey is a package version: name, architecture, edition.
type scanKey struct{ name, arch, ed string }

// agree checks that the metadata backend and zypper agree on the
// scenario: the same candidates with the same classification, the same
// full list of newer versions as zypper search shows, and the same
// patches with the same statuses.
func agree(t *testing.T, sc scenario, s *scenarioRun) agreement {
	t.Helper()
	var a agreement
	unhealthy := map[string]bool{}
	for _, st := range s.meta.Repos {
		if st.Health != repo.HealthOK {
			unhealthy[st.Name] = true
		}
	}
	if !slices.Equal(s.notOK, sc.notOK) {
		t.Errorf("NativeRepoHealth finds %v not OK, want %v", s.notOK, sc.notOK)
	}
	type key = scanKey
	k := func(p patchkit.Package) key { return key{p.Name, p.Arch, edition(p)} }

	// 1. candidates and their classification
	metaC := map[key]patchkit.Patch{}
	for _, p := range s.meta.Updates {
		if p.Candidate {
			metaC[k(p.Package)] = p
		}
	}
	if len(metaC) != len(s.native) {
		t.Errorf("%d candidates from metadata, %d from zypper list-updates; repositories %+v", len(metaC), len(s.native), s.meta.Repos)
	}
	for _, n := range s.native {
		m, ok := metaC[k(n.Package)]
		if !ok {
			t.Errorf("zypper's candidate %s is not the metadata backend's", n.NEVRA())
			continue
		}
		if m.Repository != n.Repository {
			t.Errorf("%s: repository %s, zypper %s", n.NEVRA(), m.Repository, n.Repository)
		}
		mc, nc := m, n
		mc.Package, nc.Package = patchkit.Package{}, patchkit.Package{}
		if fmt.Sprintf("%+v", mc) != fmt.Sprintf("%+v", nc) {
			t.Errorf("%s classified differently:\n metadata %+v\n zypper   %+v", n.NEVRA(), mc, nc)
			continue
		}
		a.candidates++
	}

	// 2. every newer version, against zypper search
	newest := map[string][]patchkit.Package{}
	inst, _ := newInstalledSet(s.installed)
	for n := range inst.byName {
		newest[n] = inst.newest(n)
	}
	arches, _ := newArchSet("x86_64")
	want := map[key][]string{}
	for _, sv := range s.search.Solvables {
		if sv.Kind != "package" || sv.Status == "installed" || unhealthy[sv.Repository] {
			continue
		}
		p, err := packageOf(sv.Name, sv.Edition, sv.Arch)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range newest[sv.Name] {
			if updateArchOK(g.Arch, p.Arch) && arches[p.Arch] && cmpEVR(p, g) > 0 {
				want[k(p)] = append(want[k(p)], sv.Repository)
			}
		}
	}
	got := map[key]string{}
	for _, p := range s.meta.Updates {
		got[k(p.Package)] = p.Repository
	}
	for w, repos := range want {
		r, ok := got[w]
		switch {
		case !ok:
			t.Errorf("zypper search offers %v from %v; the metadata backend does not", w, repos)
		case !slices.Contains(repos, r):
			t.Errorf("%v: metadata backend's repository %s is not one zypper search names (%v)", w, r, repos)
		default:
			a.versions++
		}
	}
	for g := range got {
		if _, ok := want[g]; !ok {
			t.Errorf("the metadata backend offers %v, zypper search does not", g)
		}
	}

	// 4. every version of a package not installed, against zypper search
	a.notInstalled = agreeNotInstalled(t, sc, s, want, unhealthy)

	// 5. the installed versions, WithInstalledVersions against
	// NativeInstalledVersions
	a.installed = agreeInstalled(t, sc, s)

	// 6. every newer version, WithInstalledVersions against
	// NativeAllVersions with NativeInstalledVersions
	a.allVersions = agreeAllVersions(t, sc, s)

	// 3. patches and their status
	type pkey struct{ name, repo string }
	native := map[pkey]Patch{}
	for _, p := range s.patches {
		native[pkey{p.Name, p.Repository}] = p
	}
	if len(native) != len(s.meta.Patches) {
		t.Errorf("%d patches from metadata, %d from zypper list-patches --all", len(s.meta.Patches), len(native))
	}
	ents := func(l []patchkit.Package) []string {
		var out []string
		for _, e := range l {
			arch := e.Arch
			if arch == "noarch" {
				arch = ""
			}
			out = append(out, e.Name+"."+arch+"-"+edition(e))
		}
		slices.Sort(out)
		return out
	}
	for _, m := range s.meta.Patches {
		n, ok := native[pkey{m.Name, m.Repository}]
		if !ok {
			t.Errorf("patch %s of %s: zypper does not list it", m.Name, m.Repository)
			continue
		}
		if m.Status != n.Status || m.Category != n.Category || m.Severity != n.Severity || !m.Date.Equal(n.Date) ||
			m.RebootSuggested != n.RebootSuggested || m.RestartSuggested != n.RestartSuggested ||
			!slices.Equal(m.CVEIDs, n.CVEIDs) || !slices.Equal(m.BugzillaIDs, n.BugzillaIDs) {
			t.Errorf("patch %s differs:\n metadata %s %s %q %s reboot=%v restart=%v %v %v\n zypper   %s %s %q %s reboot=%v restart=%v %v %v", m.Name,
				m.Status, m.Category, m.Severity, m.Date, m.RebootSuggested, m.RestartSuggested, m.CVEIDs, m.BugzillaIDs,
				n.Status, n.Category, n.Severity, n.Date, n.RebootSuggested, n.RestartSuggested, n.CVEIDs, n.BugzillaIDs)
			continue
		}
		a.patches++
		if m.RebootSuggested {
			a.rebootFlags++
		}
		if m.RestartSuggested {
			a.restartFlags++
		}
		if n.Status.Broken() {
			if !slices.Equal(ents(m.Packages), ents(n.Packages)) {
				t.Errorf("patch %s names %v in its metadata, %v in zypper info", m.Name, ents(m.Packages), ents(n.Packages))
			} else {
				a.patchPackages++
			}
		}
	}
	return a
}

// agreeNotInstalled checks what WithNotInstalled passed on against
// zypper's list of every package version (search -s -t package): every
// version zypper lists of a name and architecture rpm does not have
// installed, from a healthy repository, that is not one of the newer
// versions Updates returns (updates, as derived from the same search),
// and that zypper does not show locked in at least one repository; in
// order, once each, from a repository zypper lists it in that does not
// lock it, classified as the patches zypper names it in (zypper info -t
// patch) classify it.
func agreeNotInstalled(t *testing.T, sc scenario, s *scenarioRun, updates map[scanKey][]string, unhealthy map[string]bool) int {
	t.Helper()
	type nameArch struct{ name, arch string }
	installed := map[nameArch]bool{}
	names := map[string]bool{}
	for _, p := range s.installed {
		installed[nameArch{p.Name, p.Arch}] = true
		names[p.Name] = true
	}
	type row struct{ name, ed, arch, repo string }
	locked := map[row]bool{}
	for _, u := range s.searchTable {
		if strings.Contains(u.Status, "l") {
			locked[row{u.Name, u.Edition, u.Arch, u.RepoName}] = true
		}
	}
	want := map[scanKey][]string{} // the repositories that offer it unlocked
	lockedOnly := map[scanKey]bool{}
	for _, sv := range s.searchAll.Solvables {
		if sv.Kind != "package" || sv.Status == "installed" || unhealthy[sv.Repository] {
			continue
		}
		if sv.Status == "not-installed" && names[sv.Name] {
			t.Errorf("zypper search: %s-%s.%s is %s, and rpm has %s installed", sv.Name, sv.Edition, sv.Arch, sv.Status, sv.Name)
		}
		p, err := packageOf(sv.Name, sv.Edition, sv.Arch)
		if err != nil {
			t.Fatal(err)
		}
		k := scanKey{p.Name, p.Arch, edition(p)}
		if installed[nameArch{p.Name, p.Arch}] || updates[k] != nil {
			continue
		}
		if locked[row{sv.Name, sv.Edition, sv.Arch, sv.Repository}] {
			lockedOnly[k] = true
			continue
		}
		want[k] = append(want[k], sv.Repository)
	}
	var native []*Patch
	for i := range s.patchPkgs {
		native = append(native, &s.patchPkgs[i])
	}
	n := 0
	seen := map[scanKey]bool{}
	for i, p := range s.notInst {
		k := scanKey{p.Name, p.Arch, edition(p.Package)}
		if i > 0 {
			q := s.notInst[i-1]
			if c := cmp.Or(strings.Compare(q.Name, p.Name), strings.Compare(q.Arch, p.Arch), cmpEVR(q.Package, p.Package)); c >= 0 {
				t.Errorf("not installed: %s after %s", p.NEVRA(), q.NEVRA())
			}
		}
		if seen[k] {
			t.Errorf("not installed: %s passed twice", p.NEVRA())
		}
		seen[k] = true
		repos, ok := want[k]
		switch {
		case !ok && lockedOnly[k]:
			t.Errorf("not installed: %s is passed on; zypper shows it locked in every repository", p.NEVRA())
			continue
		case !ok:
			t.Errorf("not installed: %s is passed on; zypper search has no such version of a package not installed", p.NEVRA())
			continue
		case !slices.Contains(repos, p.Repository):
			t.Errorf("not installed: %s from %s; zypper offers it unlocked from %v", p.NEVRA(), p.Repository, repos)
			continue
		}
		// classified as zypper's own patches classify it
		var named []*Patch
		for _, np := range native {
			if np.names(p.Package) {
				named = append(named, np)
			}
		}
		c := patchkit.Patch{Package: p.Package, Product: p.Product}
		if err := classify(&c, named); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", p) || p.Candidate || p.Scheme != patchkit.RPM || !p.Epoch.Known() {
			t.Errorf("not installed: %s classified differently:\n metadata %+v\n zypper   %+v", p.NEVRA(), p, c)
			continue
		}
		n++
	}
	for k, repos := range want {
		if !seen[k] {
			t.Errorf("not installed: zypper search offers %v from %v; WithNotInstalled does not pass it", k, repos)
		}
	}
	return n
}

// TestTestbedZypperScan runs every scenario on the testbed's zypper root
// with real zypper and the metadata backend, and requires them to agree.
func TestTestbedZypperScan(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "zypper", "zypper")
	var mu sync.Mutex
	var total agreement
	t.Cleanup(func() {
		t.Logf("agreement over all scenarios: %d candidates, %d newer versions, %d patches (%d with their packages; %d asking for a reboot, %d for a restart), %d versions not installed, %d installed versions, %d versions of NativeAllVersions", total.candidates, total.versions, total.patches, total.patchPackages, total.rebootFlags, total.restartFlags, total.notInstalled, total.installed, total.allVersions)
	})
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			s := runScenario(t, env, sc)
			a := agree(t, sc, s)
			sc.check(t, s)
			t.Logf("%s: %d candidates, %d newer versions, %d patches, %d versions not installed, %d installed versions agree", sc.name, a.candidates, a.versions, a.patches, a.notInstalled, a.installed)
			mu.Lock()
			total.candidates += a.candidates
			total.versions += a.versions
			total.patches += a.patches
			total.patchPackages += a.patchPackages
			total.notInstalled += a.notInstalled
			total.installed += a.installed
			total.allVersions += a.allVersions
			total.rebootFlags += a.rebootFlags
			total.restartFlags += a.restartFlags
			mu.Unlock()
		})
	}
}

// keysFromRecording turns the recorded `rpm -q gpg-pubkey --qf
// %{DESCRIPTION}` into a keyring.
func keysFromRecording(t *testing.T, recs []run.Recording) *repo.Keyring {
	t.Helper()
	for _, r := range recs {
		if filepath.Base(r.Argv[0]) == "rpm" && slices.Contains(r.Argv, "gpg-pubkey") {
			kr, err := repo.ParseKeyring("recorded rpm -q gpg-pubkey", bytes.TrimSpace(r.Stdout))
			if err != nil {
				t.Fatal(err)
			}
			return kr
		}
	}
	t.Fatal("no recording of rpm -q gpg-pubkey")
	return nil
}

// TestTestbedZypperScanRefresh fetches the testbed root's repositories
// afresh through a repository client (rpmmd.Update, verified against the
// rpm database's keys) and requires the same answer as from zypp's cache;
// then reads the client's cache without fetching.
func TestTestbedZypperScanRefresh(t *testing.T) {
	env := testbed.Need(t)
	root := env.ZyppRoot
	ctx := t.Context()
	_, installed, err := rpmdb.Read(ctx, os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	client, err := repo.NewClient(repo.WithCacheDir(t.TempDir()), repo.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var stages []string
	opts := []Option{WithArch("x86_64"), WithNow(now), WithProgress(func(p Progress) { stages = append(stages, p.Stage+" "+p.Repository) })}
	cached, err := Read(ctx, os.DirFS(root), installed, opts...)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Read(ctx, os.DirFS(root), installed, append(opts, WithClient(client), WithRefresh(true))...)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Read(ctx, os.DirFS(root), installed, append(opts, WithClient(client))...)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][]repo.Status{cached.Repos, fresh.Repos, again.Repos} {
		for _, st := range r {
			if st.Health != repo.HealthOK || !st.Verified {
				t.Errorf("%+v", st)
			}
		}
	}
	same := func(what string, a, b *Result) {
		t.Helper()
		ja, _ := json.Marshal(struct {
			U []patchkit.Patch
			P []Patch
		}{a.Updates, a.Patches})
		jb, _ := json.Marshal(struct {
			U []patchkit.Patch
			P []Patch
		}{b.Updates, b.Patches})
		if !bytes.Equal(ja, jb) {
			t.Errorf("%s differs from zypp's cache:\n%s\n%s", what, jb, ja)
		}
	}
	same("fresh", cached, fresh)
	same("the client's cache", cached, again)
	if !slices.Contains(stages, "refreshing tb-updates") || !slices.Contains(stages, "done ") {
		t.Errorf("progress %v", stages)
	}
	// a client whose cache is empty has nothing without a refresh
	empty, err := repo.NewClient(repo.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	res, err := Read(ctx, os.DirFS(root), installed, append(opts, WithClient(empty))...)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range res.Repos {
		if st.Health != repo.HealthUnreadable || len(res.Updates) != 0 {
			t.Errorf("empty client cache: %+v", st)
		}
	}
}
