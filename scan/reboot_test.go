package scan

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
)

func TestPendingRebootOffline(t *testing.T) {
	ctx := context.Background()
	// Nothing pending, offline: the signals that need host facts are
	// skipped, and say so.
	r, err := PendingReboot(ctx, fstest.MapFS{}, Inventory{Backend: RPM}, HostFacts{})
	require.NoError(t, err)
	assert.False(t, r.Required)
	assert.Equal(t, []string{"reboot-required", "reboot-needed"}, r.Checked)
	assert.Len(t, r.Skipped, 2)

	// Debian's marker with its package list; a container skips kernels.
	fsys := fstest.MapFS{
		"run/reboot-required":      {Data: []byte("*** System restart required ***\n")},
		"run/reboot-required.pkgs": {Data: []byte("linux-image-6.1.0-18-amd64\nlibc6\nlibc6\n")},
		".dockerenv":               {},
	}
	r, err = PendingReboot(ctx, fsys, Inventory{Backend: Dpkg}, HostFacts{KernelRelease: "6.1.0-17-amd64"})
	require.NoError(t, err)
	assert.True(t, r.Required)
	assert.True(t, r.Container)
	require.Len(t, r.Reasons, 1)
	assert.Equal(t, []string{"linux-image-6.1.0-18-amd64", "libc6"}, r.Reasons[0].Packages)

	// A newer installed kernel than the running one, Debian and rpm.
	deb := Inventory{Backend: Dpkg, Packages: []patchkit.Package{
		{Name: "linux-image-6.1.0-17-amd64", Version: "6.1.69", Release: "1", Scheme: patchkit.Deb, State: patchkit.StateInstalled},
		{Name: "linux-image-6.1.0-18-amd64", Version: "6.1.76", Release: "1", Scheme: patchkit.Deb, State: patchkit.StateInstalled},
		{Name: "linux-image-amd64", Version: "6.1.76", Release: "1", Scheme: patchkit.Deb, State: patchkit.StateInstalled},
	}}
	r, err = PendingReboot(ctx, fstest.MapFS{}, deb, HostFacts{KernelRelease: "6.1.0-17-amd64"})
	require.NoError(t, err)
	require.True(t, r.Required)
	assert.Equal(t, "newer-kernel", r.Reasons[0].Signal)
	r, err = PendingReboot(ctx, fstest.MapFS{}, deb, HostFacts{KernelRelease: "6.1.0-18-amd64"})
	require.NoError(t, err)
	assert.False(t, r.Required)

	boot := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	rpm := Inventory{Backend: RPM, Packages: []patchkit.Package{
		{Name: "kernel-core", Version: "5.14.0", Release: "362.el9", Arch: "x86_64", Scheme: patchkit.RPM, State: patchkit.StateInstalled, InstallTime: boot.Add(-time.Hour)},
		{Name: "kernel-core", Version: "5.14.0", Release: "427.el9", Arch: "x86_64", Scheme: patchkit.RPM, State: patchkit.StateInstalled, InstallTime: boot.Add(time.Hour)},
		{Name: "glibc", Version: "2.34", Release: "100.el9", Arch: "x86_64", Scheme: patchkit.RPM, State: patchkit.StateInstalled, InstallTime: boot.Add(-time.Hour)},
	}}
	r, err = PendingReboot(ctx, fstest.MapFS{}, rpm, HostFacts{BootTime: boot, KernelRelease: "5.14.0-362.el9.x86_64"})
	require.NoError(t, err)
	require.True(t, r.Required)
	var signals []string
	for _, x := range r.Reasons {
		signals = append(signals, x.Signal)
	}
	// kernel-core is not on needs-restarting's list (kernel is): only the
	// newer kernel fires.
	assert.Equal(t, []string{"newer-kernel"}, signals)

	_, err = PendingReboot(canceled(), fstest.MapFS{}, rpm, HostFacts{})
	assert.True(t, errors.Is(err, context.Canceled))
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// bootTime is what dnf needs-restarting takes as the boot time.
func bootTime(t *testing.T) time.Time {
	fi, err := os.Stat("/proc/1")
	require.NoError(t, err)
	return fi.ModTime()
}

// TestTestbedDnfScanRebootAgreesWithNeedsRestarting: on a copy of the dnf
// root, the verdict agrees with dnf needs-restarting -r before and after a
// real upgrade of kernel-tb (which the testbed lists in
// needs-restarting.d).
func TestTestbedDnfScanRebootAgreesWithNeedsRestarting(t *testing.T) {
	testutil.NeedTool(t, "dnf", "dnf")
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	ctx := context.Background()
	facts := HostFacts{BootTime: bootTime(t)}
	needsRestarting := func() int {
		cmd := exec.Command("dnf", append(env.DNFArgs(), "-C", "--setopt=pluginpath="+env.DNFPluginPath, "needs-restarting", "-r")...)
		cmd.Env = append(os.Environ(), "PYTHONPATH="+env.DNFPythonPath, "LC_ALL=C")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		require.NoError(t, err, "%s", out)
		return 0
	}
	verdict := func() Reboot {
		inv, err := ReadInventory(ctx, os.DirFS(env.RPMRoot), fedoraOS)
		require.NoError(t, err)
		r, err := PendingReboot(ctx, os.DirFS(env.RPMRoot), inv, facts)
		require.NoError(t, err)
		return r
	}
	require.Equal(t, 0, needsRestarting())
	assert.False(t, verdict().Required)

	out, err := exec.Command("dnf", append(append([]string{"-y"}, env.DNFArgs()...), "upgrade", "kernel-tb")...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, 1, needsRestarting())
	r := verdict()
	require.True(t, r.Required)
	require.Len(t, r.Reasons, 1)
	assert.Equal(t, "core-package-updated", r.Reasons[0].Signal)
	assert.Equal(t, []string{"kernel-tb"}, r.Reasons[0].Packages)
}

// TestTestbedAptScanRebootRequired: a real upgrade of tb-kernel on a copy of
// the private apt root writes var/run/reboot-required through its
// postinst, and the verdict reads it.
func TestTestbedAptScanRebootRequired(t *testing.T) {
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	ctx := context.Background()
	inv, err := ReadInventory(ctx, os.DirFS(env.AptRoot()), debianOS)
	require.NoError(t, err)
	r, err := PendingReboot(ctx, os.DirFS(env.AptRoot()), inv, HostFacts{})
	require.NoError(t, err)
	assert.False(t, r.Required)

	cmd := exec.Command("apt-get", "install", "-y", "--only-upgrade", "tb-kernel")
	cmd.Env = append(os.Environ(), "APT_CONFIG="+env.AptConfig, "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	r, err = PendingReboot(ctx, os.DirFS(env.AptRoot()), inv, HostFacts{})
	require.NoError(t, err)
	require.True(t, r.Required)
	assert.Equal(t, "reboot-required", r.Reasons[0].Signal)
	assert.Equal(t, []string{"tb-kernel"}, r.Reasons[0].Packages)
}

// TestTestbedZypperScanRebootNeeded: zypper patch on a copy of the zypper
// root installs kernel-tb, named in etc/zypp/needreboot; libzypp touches
// run/reboot-needed, zypper needs-rebooting exits 102, and the verdict
// agrees.
func TestTestbedZypperScanRebootNeeded(t *testing.T) {
	testutil.NeedTool(t, "zypper", "zypper")
	env := testbed.Need(t).Clone(t)
	t.Parallel()
	ctx := context.Background()
	verdict := func() Reboot {
		r, err := PendingReboot(ctx, os.DirFS(env.ZyppRoot), Inventory{Backend: RPM}, HostFacts{})
		require.NoError(t, err)
		return r
	}
	assert.False(t, verdict().Required)
	cmd := exec.Command("zypper", append(env.ZypperArgs(), "patch", "--category", "security", "--with-interactive")...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	require.Equal(t, 102, ee.ExitCode(), "%s", out)
	_, err = exec.Command("zypper", append(env.ZypperArgs(), "needs-rebooting")...).CombinedOutput()
	require.ErrorAs(t, err, &ee)
	require.Equal(t, 102, ee.ExitCode())
	r := verdict()
	require.True(t, r.Required)
	assert.Equal(t, "reboot-needed", r.Reasons[0].Signal)
	assert.FileExists(t, filepath.Join(env.ZyppRoot, "run/reboot-needed"))
}
