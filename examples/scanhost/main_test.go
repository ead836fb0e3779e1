package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/install"
	"github.com/patchkit/patchkit/internal/debrepo"
	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/internal/testbed"
)

func TestScanhostRoot(t *testing.T) {
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"-now", "2026-11-30", "-root", "../../testdata/osdetect/rhel-9.0"}, &out, &errOut)
	require.Equal(t, exitCompliant, code, errOut.String())
	assert.Equal(t, `Operating system: Red Hat Enterprise Linux 9.0 (Plow)
Patch Manager:    REDHAT_ENTERPRISE_LINUX, product RedhatEnterpriseLinux9.0
Family:           rhel (package manager dnf)
Inventory:        rpm, no package database
Installed:        0 packages
Note:             no rpm database in usr/lib/sysimage/rpm or var/lib/rpm
Baseline:         arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0cbb3a633de00f07c
Status:           COMPLIANT
Counts:           Missing 0, Failed 0, InstalledPendingReboot 0, InstalledRejected 0, Installed 0, InstalledOther 0, NotApplicable 0
Non-compliant:    critical 0, security 0, other 0
Candidates:       0 newer versions available, 0 approved
Repositories:     0, 0 OK
Reboot:           no
`, out.String())

	out.Reset()
	code = runMain(context.Background(), []string{"-json", "-now", "2026-11-30", "-root", "../../testdata/osdetect/ubuntu-24.04"}, &out, &errOut)
	require.Equal(t, exitCompliant, code, errOut.String())
	var r output
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.Equal(t, "Ubuntu24.04", r.Product)
	assert.Equal(t, "UBUNTU", string(r.OperatingSystem))
	assert.Equal(t, "noble", r.OS.Codename)
	require.NotNil(t, r.Report)
	assert.Equal(t, patchkit.Compliant, r.Report.Summary.Status)
	for _, k := range []string{`"OS":`, `"Installed": []`, `"Candidates": []`, `"Reboot":`, `"Report":`} {
		assert.Contains(t, out.String(), k)
	}
}

func TestScanhostErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"-root", "../../testdata/osdetect/odd-arch"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, out.String(), "not supported by Patch Manager")
	assert.Contains(t, errOut.String(), "is not a supported operating system")

	out.Reset()
	errOut.Reset()
	code = runMain(context.Background(), []string{"-root", t.TempDir()}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "no os-release")

	assert.Equal(t, 2, runMain(context.Background(), []string{"-bogus"}, &out, &errOut))
	assert.Equal(t, 2, runMain(context.Background(), []string{"extra"}, &out, &errOut))
}

// TestScanhostLiveHost runs the main job on this machine.
func TestScanhostLiveHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the live test checks a Linux host")
	}
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"-json"}, &out, &errOut)
	require.Contains(t, []int{exitCompliant, exitNonCompliant, exitUnknown}, code, errOut.String())
	var r output
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.NotEmpty(t, r.OS.ID)
	assert.NotEmpty(t, r.OS.KernelRelease)
	assert.NotEmpty(t, r.OS.Arch)
}

// mkroot copies the release files of an osdetect fixture into a new root
// and adds files (path in the root -> content).
func mkroot(t *testing.T, osFixture string, files map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join("../../testdata/osdetect", osFixture)
	require.NoError(t, filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = b
		return nil
	}))
	for rel, b := range files {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(rel)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, rel), b, 0o644))
	}
	return root
}

func unzstd(t *testing.T, path string) []byte {
	t.Helper()
	b, err := decompress.ReadFile(path, decompress.Zstd, decompress.Limits{Output: 64 << 20})
	require.NoError(t, err)
	return b
}

// TestScanhostInventory: the main job reports every installed package of
// a root, in JSON as patchkit.Package values.
func TestScanhostInventory(t *testing.T) {
	rocky := unzstd(t, "../../testdata/rpmdb/sqlite/rockylinux-9.2/rpmdb.sqlite.zst")
	root := mkroot(t, "rocky-9.3", map[string][]byte{"var/lib/rpm/rpmdb.sqlite": rocky})
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"-json", "-root", root}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	var r struct {
		Inventory struct{ Backend, Source, Arch string }
		Installed []patchkit.Package
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.Equal(t, "rpm", r.Inventory.Backend)
	assert.Equal(t, "var/lib/rpm/rpmdb.sqlite (sqlite)", r.Inventory.Source)
	assert.Equal(t, "x86_64", r.Inventory.Arch)
	require.Len(t, r.Installed, 141)
	for _, p := range r.Installed {
		assert.Equal(t, patchkit.RPM, p.Scheme)
		assert.Equal(t, patchkit.StateInstalled, p.State)
		assert.NotEmpty(t, p.Version)
	}
	// The raw JSON holds Package fields by their names.
	assert.Contains(t, out.String(), `"Installed": [`)
	assert.Contains(t, out.String(), `"Vendor": "Rocky Enterprise Software Foundation"`)

	out.Reset()
	code = runMain(context.Background(), []string{"-root", root}, &out, &errOut)
	require.Equal(t, 0, code)
	assert.Contains(t, out.String(), "Installed:        141 packages (141 installed)\n")

	// A Debian root with a real dpkg status (made by mmdebstrap).
	status, err := os.ReadFile("../../testdata/dpkg/db/debian-12-minbase/status")
	require.NoError(t, err)
	root = mkroot(t, "debian-12", map[string][]byte{"var/lib/dpkg/status": status})
	out.Reset()
	code = runMain(context.Background(), []string{"-root", root}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "Inventory:        dpkg, var/lib/dpkg\n")
	assert.Regexp(t, `Installed: +\d+ packages \(\d+ installed\)`, out.String())

	// An unreadable database: its error and exit 1.
	root = mkroot(t, "rocky-9.3", map[string][]byte{"var/lib/rpm/rpmdb.sqlite": rocky[:len(rocky)/2]})
	out.Reset()
	errOut.Reset()
	code = runMain(context.Background(), []string{"-json", "-root", root}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.True(t, strings.Contains(errOut.String(), "rpmdb: var/lib/rpm/rpmdb.sqlite (sqlite)"), errOut.String())
	assert.Contains(t, out.String(), `"Error": "rpmdb:`)
}

// releaseFiles copies the release files of an osdetect fixture into root,
// so that scanhost identifies it.
func releaseFiles(t *testing.T, fixture, root string) {
	t.Helper()
	src := filepath.Join("../../testdata/osdetect", fixture)
	require.NoError(t, filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(root, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		return os.WriteFile(dst, b, 0o644)
	}))
}

// dnfRoot copies the testbed's dnf root and gives it Amazon Linux 2023's
// release files.
func dnfRoot(t *testing.T) string {
	env := testbed.Need(t).Clone(t)
	releaseFiles(t, "amzn-2023", env.RPMRoot)
	return env.RPMRoot
}

// TestTestbedDnfScanScanhost runs the main job on the testbed's dnf root:
// every flag that shapes a scan, and the exit codes.
func TestTestbedDnfScanScanhost(t *testing.T) {
	root := dnfRoot(t)
	dir := t.TempDir()
	now := time.Now().UTC().Format(time.RFC3339)
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runMain(context.Background(), append([]string{"-root", root, "-now", now, "-arch", "x86_64"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, errs := run("-json", "-html", filepath.Join(dir, "page.html"), "-save", filepath.Join(dir, "report.json"),
		"-save-snapshot", filepath.Join(dir, "snapshot.json"))
	require.Equal(t, exitNonCompliant, code, errs)
	var r output
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	assert.Len(t, r.Installed, 5)
	assert.Len(t, r.Candidates, 6, "every newer version, approved or not")
	require.NotNil(t, r.Report)
	assert.Equal(t, patchkit.NonCompliant, r.Report.Summary.Status)
	assert.Equal(t, 4, r.Report.Summary.MissingCount)
	require.NotNil(t, r.Reboot)
	assert.NotEmpty(t, r.Report.SnapshotID)
	page, err := os.ReadFile(filepath.Join(dir, "page.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "NON_COMPLIANT")
	saved, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	assert.Contains(t, string(saved), `"SnapshotId": "`+r.Report.SnapshotID+`"`)

	// The same snapshot again, and the report as the previous one.
	code, out, errs = run("-snapshot", filepath.Join(dir, "snapshot.json"), "-previous", filepath.Join(dir, "report.json"))
	require.Equal(t, exitNonCompliant, code, errs)
	assert.Contains(t, out, "Snapshot:         "+r.Report.SnapshotID)
	assert.Contains(t, out, "kernel-tb.noarch")
	assert.Regexp(t, `Status: +NON_COMPLIANT`, out)

	// A custom baseline that rejects nothing and approves nothing: compliant.
	empty := `{"BaselineId": "pb-0123456789abcdef0", "Name": "nothing", "OperatingSystem": "AMAZON_LINUX_2023",
		"ApprovalRules": {"PatchRules": []}, "ApprovedPatches": [], "RejectedPatches": []}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.json"), []byte(empty), 0o644))
	code, out, errs = run("-baseline", filepath.Join(dir, "empty.json"))
	require.Equal(t, exitCompliant, code, errs)
	assert.Regexp(t, `Status: +COMPLIANT`, out)

	// A predefined baseline for another OS, and one that does not exist.
	code, _, errs = run("-predefined", "AWS-DebianDefaultPatchBaseline")
	assert.Equal(t, exitError, code)
	assert.Contains(t, errs, "is for DEBIAN")
	code, _, errs = run("-predefined", "AWS-NoSuchBaseline")
	assert.Equal(t, exitError, code)
	assert.Contains(t, errs, "AWS-AmazonLinux2023DefaultPatchBaseline")

	// A repository whose signature no longer verifies: UNKNOWN, never
	// COMPLIANT, even with the baseline that approves nothing.
	asc, err := filepath.Glob(filepath.Join(root, "var/cache/dnf/tb-updates-*/repodata/repomd.xml"))
	require.NoError(t, err)
	require.Len(t, asc, 1)
	b, err := os.ReadFile(asc[0])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(asc[0], append(b, ' '), 0o644))
	code, out, errs = run("-baseline", filepath.Join(dir, "empty.json"))
	require.Equal(t, exitUnknown, code, errs)
	assert.Regexp(t, `Status: +UNKNOWN`, out)
	assert.Contains(t, out, "tb-updates: UNSIGNED")

	// Usage errors.
	code, _, _ = run("-snapshot", filepath.Join(dir, "snapshot.json"), "-predefined", "AWS-AmazonLinux2023DefaultPatchBaseline")
	assert.Equal(t, exitUsage, code)
	code, _, _ = run("-now", "yesterday")
	assert.Equal(t, exitUsage, code)
}

// TestTestbedDnfInstallScanhost patches a copy of the testbed's dnf root
// with the main job: a dry run, the Install with NoReboot (exit 5, reboot
// needed), and argument checks.
func TestTestbedDnfInstallScanhost(t *testing.T) {
	root := dnfRoot(t)
	now := time.Now().UTC().Format(time.RFC3339)
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runMain(context.Background(), append([]string{"-root", root, "-now", now, "-arch", "x86_64"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errs := run("-operation", "Install", "-dry-run")
	require.Equal(t, exitNonCompliant, code, errs)
	assert.Contains(t, out, "dry run: nothing installed")
	assert.Contains(t, out, "upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2")

	// An Install at an instant two months ahead (-now in the future): its
	// end comes after its start, and by then the cached metadata is stale.
	future := time.Now().UTC().Add(60 * 24 * time.Hour).Format(time.RFC3339)
	code, _, errs = run("-operation", "Install", "-dry-run", "-now", future)
	require.Equal(t, exitUnknown, code, errs)

	code, out, errs = run("-operation", "Install", "-reboot-option", "NoReboot", "-json")
	require.Equal(t, exitRebootNeeded, code, errs)
	var r output
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.NotNil(t, r.Install)
	assert.True(t, r.Install.RebootNeeded)
	require.NotNil(t, r.Report)
	assert.Equal(t, compliance.Install, r.Report.Operation)
	assert.Equal(t, 4, r.Report.Summary.InstalledPendingRebootCount)

	for _, args := range [][]string{
		{"-operation", "Patch"},
		{"-operation", "Install", "-reboot-option", "Sometimes"},
		{"-dry-run"},
		{"-operation", "Install", "-query"},
		{"-install-override-list", "x.yaml", "-baseline-override", "y.json", "-operation", "Install"},
	} {
		code, _, _ := run(args...)
		assert.Equal(t, exitUsage, code, "%v", args)
	}
}

// installScanhost runs the main job's Install on root (a copy of a
// testbed root): a dry run (exit 3, the plan, nothing installed), the
// Install with NoReboot and -json (exit 5: the approved updates installed,
// InstalledPendingReboot, a reboot needed, the root's packages at the
// targets), the Install again (exit 0: nothing to do, nothing run), and
// the scan (exit 0, the patches Installed). want are the planned actions,
// pending the KBIDs they install.
func installScanhost(t *testing.T, root string, want []string, pending map[string]bool) {
	t.Helper()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runMain(context.Background(), append([]string{"-root", root, "-arch", "x86_64"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errs := run("-operation", "Install", "-dry-run")
	require.Equal(t, exitNonCompliant, code, errs)
	assert.Contains(t, out, "dry run: nothing installed")
	for _, a := range want {
		assert.Contains(t, out, "Planned:          "+a+"\n")
	}

	code, out, errs = run("-operation", "Install", "-reboot-option", "NoReboot", "-json")
	require.Equal(t, exitRebootNeeded, code, errs)
	var r output
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.NotNil(t, r.Install)
	assert.True(t, r.Install.RebootNeeded)
	assert.False(t, r.Install.Rebooted)
	assert.False(t, r.Install.DryRun)
	var planned []string
	for _, a := range r.Install.Plan.Actions {
		planned = append(planned, a.String())
	}
	assert.ElementsMatch(t, want, planned)
	require.NotEmpty(t, r.Install.Outcomes)
	for _, o := range r.Install.Outcomes {
		assert.Zero(t, o.ExitCode, o.Command)
		assert.Empty(t, o.Failures)
	}
	require.NotNil(t, r.Report)
	assert.Equal(t, compliance.Install, r.Report.Operation)
	assert.Equal(t, compliance.NoReboot, r.Report.RebootOption)
	assert.Equal(t, patchkit.NonCompliant, r.Report.Summary.Status)
	assert.Equal(t, len(pending), r.Report.Summary.InstalledPendingRebootCount)
	assert.Zero(t, r.Report.Summary.MissingCount)
	assert.Zero(t, r.Report.Summary.FailedCount)
	for _, it := range r.Report.Items {
		if pending[it.KBID] {
			assert.Equal(t, compliance.InstalledPendingReboot, it.State, it.KBID)
		}
	}
	for _, p := range r.Installed {
		for _, a := range r.Install.Targets {
			if p.Name == a.Version.Name {
				assert.Equal(t, a.Version.Version+"-"+a.Version.Release, p.Version+"-"+p.Release,
					"%s after the Install, in the root's package database", p.Name)
			}
		}
	}

	// Again: nothing left to install, nothing run, compliant. (A root has
	// no boot time, so the NoReboot install's pending reboot is not
	// carried into later operations: -previous would change nothing.)
	code, out, errs = run("-operation", "Install", "-json")
	require.Equal(t, exitCompliant, code, errs)
	r = output{}
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.NotNil(t, r.Install)
	assert.Empty(t, r.Install.Targets)
	assert.Empty(t, r.Install.Outcomes, "nothing was run")
	assert.False(t, r.Install.RebootNeeded)

	// The scan: compliant, what the Install installed is Installed.
	code, out, errs = run()
	require.Equal(t, exitCompliant, code, errs)
	assert.Regexp(t, `Status: +COMPLIANT`, out)
	code, out, errs = run("-json")
	require.Equal(t, exitCompliant, code, errs)
	r = output{}
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.NotNil(t, r.Report)
	for _, it := range r.Report.Items {
		if pending[it.KBID] {
			assert.Equal(t, compliance.Installed, it.State, it.KBID)
		}
	}
}

// TestTestbedAptInstallScanhost patches a copy of the testbed's Debian
// chroot with the main job (apt in the chroot), with the AWS-owned Debian
// baseline: the testbed's security updates. The copy leaves out the Debian
// archive (TestTestbedAptInstallOperation in package install installs its
// real updates), which keeps each apt run short.
func TestTestbedAptInstallScanhost(t *testing.T) {
	root := testbed.NeedChroot(t).CopyChroot(t)
	debrepo.Root{Dir: root}.DropDebianArchive(t)
	t.Parallel()
	installScanhost(t, root, []string{
		"upgrade tb-kernel:all 1.0-1 -> 1.1-1",
		"upgrade tb-lib:all 1:2.0-1 -> 1:2.0-2",
		"upgrade tb-multi:all 1.0-1 -> 1.2-1",
	}, map[string]bool{"tb-kernel.all": true, "tb-lib.all": true, "tb-multi.all": true})
}

// TestTestbedZypperInstallScanhost patches a copy of the testbed's zypper
// root (zypper --root), given SLES 15 SP6's release files, with the main
// job and the AWS-owned SUSE baseline.
func TestTestbedZypperInstallScanhost(t *testing.T) {
	env := testbed.Need(t).Clone(t)
	releaseFiles(t, "sles-15.6", env.ZyppRoot)
	t.Parallel()
	installScanhost(t, env.ZyppRoot, []string{
		"upgrade kernel-tb.noarch 0:5.0-1 -> 0:5.1-1",
		"upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2",
	}, map[string]bool{"kernel-tb.noarch": true, "tb-lib.noarch": true})
}

// The install's progress on one terminal line: the transaction of all
// targets as a count, the one-by-one fallback as a bar.
func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	bar := progressBar(&b)
	for _, e := range []install.ProgressEvent{
		{Step: "scan"}, {Step: "plan", Total: 4}, {Step: "download", Total: 4}, {Step: "install", Total: 4},
		{Step: "download", N: 1, Total: 4, Detail: "tb-hello.noarch"}, {Step: "verify"},
	} {
		bar(e)
	}
	assert.Equal(t, "\r\033[Kscan\r\033[Kplan     4 updates\r\033[Kdownload 4 updates\r\033[Kinstall  4 updates"+
		"\r\033[Kdownload [#######.......................] 1/4 tb-hello.noarch\r\033[Kverify", b.String())
}
