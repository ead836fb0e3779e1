package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
)

// TestContainerSignalsNspawn reads the files systemd-nspawn and systemd
// left in a booted container's /run (testdata/reboot/nspawn, captured from
// a real boot on this machine, see testdata/SOURCES.md): both name the
// manager, and the kernel signal is skipped.
func TestContainerSignalsNspawn(t *testing.T) {
	inv := Inventory{Backend: Dpkg, Packages: []patchkit.Package{
		{Name: "linux-image-6.1.0-18-amd64", Version: "6.1.76", Release: "1", Scheme: patchkit.Deb, State: patchkit.StateInstalled},
	}}
	r, err := PendingReboot(context.Background(), os.DirFS("../testdata/reboot/nspawn"), inv, HostFacts{KernelRelease: "6.1.0-17-amd64"})
	require.NoError(t, err)
	assert.True(t, r.Container)
	assert.Equal(t, []ContainerSignal{
		{Source: "run/systemd/container", Manager: "systemd-nspawn"},
		{Source: "run/host/container-manager", Manager: "systemd-nspawn"},
	}, r.ContainerSignals)
	assert.False(t, r.Required, "a container's kernel is its host's: %+v", r.Reasons)
	assert.Contains(t, r.Skipped, "newer-kernel: a container runs its host's kernel")

	// The same kernels on a root with no marker: the newer one fires.
	r, err = PendingReboot(context.Background(), fstest.MapFS{}, inv, HostFacts{KernelRelease: "6.1.0-17-amd64"})
	require.NoError(t, err)
	assert.False(t, r.Container)
	assert.Empty(t, r.ContainerSignals)
	assert.True(t, r.Required)
}

// TestContainerSignalsDocker reads the .dockerenv Docker created at the
// root of the container this machine runs in (an empty file, copied).
func TestContainerSignalsDocker(t *testing.T) {
	r, err := PendingReboot(context.Background(), os.DirFS("../testdata/reboot/docker"), Inventory{Backend: RPM}, HostFacts{KernelRelease: "6.1.0"})
	require.NoError(t, err)
	assert.Equal(t, []ContainerSignal{{Source: ".dockerenv", Manager: "docker"}}, r.ContainerSignals)
}

// TestContainerSignalsKubernetes: the service-account directory the
// kubelet mounts (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/:
// /var/run/secrets/kubernetes.io/serviceaccount with token, ca.crt and
// namespace), reached through var/run -> /run as on a live root; and the
// live-only facts.
func TestContainerSignalsKubernetes(t *testing.T) {
	root := t.TempDir()
	sa := filepath.Join(root, "run/secrets/kubernetes.io/serviceaccount")
	require.NoError(t, os.MkdirAll(sa, 0o755))
	for _, f := range []string{"token", "ca.crt", "namespace"} {
		require.NoError(t, os.WriteFile(filepath.Join(sa, f), nil, 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "var"), 0o755))
	require.NoError(t, os.Symlink("/run", filepath.Join(root, "var/run")))
	r, err := PendingReboot(context.Background(), os.DirFS(root), Inventory{Backend: Dpkg}, HostFacts{})
	require.NoError(t, err)
	assert.Equal(t, []ContainerSignal{{Source: "var/run/secrets/kubernetes.io/serviceaccount", Manager: "kubernetes"}}, r.ContainerSignals)

	r, err = PendingReboot(context.Background(), fstest.MapFS{}, Inventory{Backend: Dpkg},
		HostFacts{ContainerManager: "lxc", Kubernetes: true, Unread: []string{"proc/1/environ: permission denied"}})
	require.NoError(t, err)
	assert.Equal(t, []ContainerSignal{{Source: "proc/1/environ", Manager: "lxc"}, {Source: "KUBERNETES_SERVICE_HOST", Manager: "kubernetes"}}, r.ContainerSignals)
	assert.Contains(t, r.Skipped, "host fact unread: proc/1/environ: permission denied")

	// Podman's marker.
	r, err = PendingReboot(context.Background(), fstest.MapFS{"run/.containerenv": {}}, Inventory{Backend: RPM}, HostFacts{})
	require.NoError(t, err)
	assert.Equal(t, []ContainerSignal{{Source: "run/.containerenv", Manager: "podman"}}, r.ContainerSignals)
}

// TestEnvironContainer reads process 1's environment as systemd-nspawn
// gave it to a booted systemd (testdata/reboot/nspawn-pid1.environ).
func TestEnvironContainer(t *testing.T) {
	b, err := os.ReadFile("../testdata/reboot/nspawn-pid1.environ")
	require.NoError(t, err)
	assert.Equal(t, "systemd-nspawn", environContainer(b))
	assert.Equal(t, "", environContainer([]byte("PATH=/bin\x00HOME=/root\x00")))
	assert.Equal(t, "", environContainer(nil))

	// On a real proc: a value, nothing, or an unread fact, never an error.
	var f HostFacts
	hostContainer(fstest.MapFS{"proc/1/environ": {Data: b}}, &f)
	assert.Equal(t, "systemd-nspawn", f.ContainerManager)
	f = HostFacts{}
	hostContainer(fstest.MapFS{"proc/1/environ": {Mode: os.ModeNamedPipe}}, &f)
	assert.Empty(t, f.ContainerManager)
	require.Len(t, f.Unread, 1)
	assert.Contains(t, f.Unread[0], "proc/1/environ: ")
}

// TestHostContainerLive reads this machine's process 1 as Host does: the
// container= value, or the reason it is unreadable (a Docker container
// without CAP_SYS_PTRACE over process 1 is refused).
func TestHostContainerLive(t *testing.T) {
	var f HostFacts
	hostContainer(hostRoot(), &f)
	b, err := os.ReadFile("/proc/1/environ")
	switch {
	case err == nil:
		assert.Equal(t, environContainer(b), f.ContainerManager)
		assert.Empty(t, f.Unread)
	case errors.Is(err, os.ErrNotExist):
		assert.Empty(t, f.Unread)
	default:
		assert.Equal(t, []string{"proc/1/environ: " + errors.Unwrap(err).Error()}, f.Unread)
	}
	_, k8s := os.LookupEnv("KUBERNETES_SERVICE_HOST")
	assert.Equal(t, k8s, f.Kubernetes)
}

func kernelInv(b Backend, pkgs ...patchkit.Package) Inventory {
	for i := range pkgs {
		pkgs[i].State = patchkit.StateInstalled
		if b == Dpkg {
			pkgs[i].Scheme = patchkit.Deb
		} else {
			pkgs[i].Scheme = patchkit.RPM
			if pkgs[i].Arch == "" {
				pkgs[i].Arch = "x86_64"
			}
		}
	}
	return Inventory{Backend: b, Packages: pkgs}
}

// TestNewerKernel: an installed kernel newer than the running one by the
// package scheme's order fires; an older or equal one, or a running kernel
// newer than every installed one, does not (a plain "not the newest"
// comparison would say reboot). Versions as the distributions ship them.
func TestNewerKernel(t *testing.T) {
	debian := kernelInv(Dpkg,
		patchkit.Package{Name: "linux-image-6.1.0-17-amd64", Version: "6.1.69", Release: "1"},
		patchkit.Package{Name: "linux-image-6.1.0-18-amd64", Version: "6.1.76", Release: "1"},
		patchkit.Package{Name: "linux-image-6.1.0-18-cloud-amd64", Version: "6.1.76", Release: "1"},
		patchkit.Package{Name: "linux-image-amd64", Version: "6.1.76", Release: "1"},
		patchkit.Package{Name: "linux-image-6.1.0-18-amd64-dbg", Version: "6.1.76", Release: "1"},
	)
	ubuntu := kernelInv(Dpkg,
		patchkit.Package{Name: "linux-image-6.5.0-45-generic", Version: "6.5.0", Release: "45.45~22.04.1"},
		patchkit.Package{Name: "linux-image-unsigned-6.8.0-40-generic", Version: "6.8.0", Release: "40.40~22.04.3"},
	)
	rhel := kernelInv(RPM,
		patchkit.Package{Name: "kernel", Version: "5.14.0", Release: "362.8.1.el9_3"},
		patchkit.Package{Name: "kernel-core", Version: "5.14.0", Release: "362.8.1.el9_3"},
		patchkit.Package{Name: "kernel-core", Version: "5.14.0", Release: "427.13.1.el9_4", Epoch: patchkit.EpochOf(0)},
		patchkit.Package{Name: "kernel-debug-core", Version: "5.14.0", Release: "362.8.1.el9_3"},
		patchkit.Package{Name: "kernel-headers", Version: "5.14.0", Release: "503.11.1.el9_5"},
	)
	suse := kernelInv(RPM,
		patchkit.Package{Name: "kernel-default", Version: "5.14.21", Release: "150500.55.39.1"},
		patchkit.Package{Name: "kernel-default", Version: "5.14.21", Release: "150500.55.44.1"},
		patchkit.Package{Name: "kernel-default-devel", Version: "5.14.21", Release: "150500.55.49.1"},
	)
	suseBase := kernelInv(RPM,
		patchkit.Package{Name: "kernel-default-base", Version: "5.14.21", Release: "150500.55.39.1.150500.6.17.2"},
	)
	oracle := kernelInv(RPM,
		patchkit.Package{Name: "kernel", Version: "4.18.0", Release: "553.5.1.el8_10"},
		patchkit.Package{Name: "kernel-uek", Version: "5.15.0", Release: "200.131.27.el8uek"},
		patchkit.Package{Name: "kernel-uek", Version: "5.15.0", Release: "204.147.6.2.el8uek"},
	)
	amazon2 := kernelInv(RPM,
		patchkit.Package{Name: "kernel", Version: "4.14.355", Release: "275.572.amzn2"},
		patchkit.Package{Name: "kernel", Version: "4.14.355", Release: "276.575.amzn2"},
	)
	for _, c := range []struct {
		name    string
		inv     Inventory
		running string
		want    string // the newer kernel's NEVRA, "" for none
		skip    string
	}{
		{"debian older running", debian, "6.1.0-17-amd64", "linux-image-6.1.0-18-amd64-6.1.76-1", ""},
		{"debian newest running", debian, "6.1.0-18-amd64", "", ""},
		{"debian same version, other flavour", debian, "6.1.0-18-cloud-amd64", "", ""},
		{"debian running a removed newer kernel", debian, "6.1.0-20-amd64", "", ""},
		{"debian running a removed older kernel", debian, "6.1.0-16-amd64", "linux-image-6.1.0-18-amd64-6.1.76-1", ""},
		{"debian unordered release", debian, "custom", "", "the running kernel custom is not installed as a package and its release cannot be ordered"},
		{"ubuntu unsigned newer", ubuntu, "6.5.0-45-generic", "linux-image-unsigned-6.8.0-40-generic-6.8.0-40.40~22.04.3", ""},
		{"ubuntu unsigned running", ubuntu, "6.8.0-40-generic", "", ""},
		{"rhel older running", rhel, "5.14.0-362.8.1.el9_3.x86_64", "kernel-core-0:5.14.0-427.13.1.el9_4.x86_64", ""},
		{"rhel debug variant", rhel, "5.14.0-362.8.1.el9_3.x86_64+debug", "kernel-core-0:5.14.0-427.13.1.el9_4.x86_64", ""},
		{"rhel newest running", rhel, "5.14.0-427.13.1.el9_4.x86_64", "", ""},
		{"rhel running newer than any installed", rhel, "5.14.0-503.11.1.el9_5.x86_64", "", ""},
		{"rhel running an older removed kernel", rhel, "5.14.0-284.11.1.el9_2.x86_64", "kernel-core-0:5.14.0-427.13.1.el9_4.x86_64", ""},
		{"suse older running", suse, "5.14.21-150500.55.39-default", "kernel-default-5.14.21-150500.55.44.1.x86_64", ""},
		{"suse newest running", suse, "5.14.21-150500.55.44-default", "", ""},
		{"suse running a removed newer kernel", suse, "5.14.21-150500.55.52-default", "", ""},
		{"suse running a removed older kernel", suse, "5.14.21-150500.55.31-default", "kernel-default-5.14.21-150500.55.44.1.x86_64", ""},
		{"suse kernel-default-base running", suseBase, "5.14.21-150500.55.39-default", "", ""},
		{"oracle uek older running", oracle, "5.15.0-200.131.27.el8uek.x86_64", "kernel-uek-5.15.0-204.147.6.2.el8uek.x86_64", ""},
		{"oracle uek newest running, rhck older", oracle, "5.15.0-204.147.6.2.el8uek.x86_64", "", ""},
		{"amazon linux 2", amazon2, "4.14.355-275.572.amzn2.x86_64", "kernel-4.14.355-276.575.amzn2.x86_64", ""},
		{"no kernel", kernelInv(RPM, patchkit.Package{Name: "glibc", Version: "2.34", Release: "100.el9"}), "5.14.0-1.el9.x86_64", "", "no kernel package is installed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := PendingReboot(context.Background(), fstest.MapFS{}, c.inv, HostFacts{KernelRelease: c.running})
			require.NoError(t, err)
			if c.skip != "" {
				assert.Contains(t, r.Skipped, "newer-kernel: "+c.skip)
				assert.NotContains(t, r.Checked, "newer-kernel")
				return
			}
			assert.Contains(t, r.Checked, "newer-kernel")
			if c.want == "" {
				assert.False(t, r.Required, "%+v", r.Reasons)
				return
			}
			require.True(t, r.Required)
			require.Len(t, r.Reasons, 1)
			assert.Equal(t, "newer-kernel", r.Reasons[0].Signal)
			assert.Equal(t, []string{c.want}, r.Reasons[0].Packages, r.Reasons[0].Detail)
		})
	}
}

// TestPendingRebootNilArguments: typed errors, never a panic.
func TestPendingRebootNilArguments(t *testing.T) {
	//lint:ignore SA1012 the nil context is the case under test
	_, err := PendingReboot(nil, fstest.MapFS{}, Inventory{}, HostFacts{}) //nolint:staticcheck
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
	_, err = PendingReboot(context.Background(), nil, Inventory{}, HostFacts{})
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
	_, _, err = Host(nil) //nolint:staticcheck
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
}
