package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/rootfs"
)

// Reboot is a node's pending-reboot verdict with the signals that decided
// it. Each signal is independent; any one that fires makes Required true.
type Reboot struct {
	Required bool           `json:"Required"`
	Reasons  []RebootReason `json:"Reasons,omitempty"`
	// Container is set when some signal says the root is a container's:
	// its kernel is the host's, so kernel signals do not apply.
	// ContainerSignals lists those signals (see ContainerSignal).
	Container        bool              `json:"Container,omitempty"`
	ContainerSignals []ContainerSignal `json:"ContainerSignals,omitempty"`
	// Checked names every signal examined, Skipped those that could not be
	// (and why): an empty Reasons with a signal skipped is not a "no".
	Checked []string `json:"Checked"`
	Skipped []string `json:"Skipped,omitempty"`
}

// RebootReason is one signal that asks for a reboot.
type RebootReason struct {
	// Signal: "reboot-required" (Debian and Ubuntu's run/reboot-required),
	// "reboot-needed" (libzypp's run/reboot-needed), "core-package-updated"
	// (dnf needs-restarting -r: a core package installed after boot),
	// "newer-kernel" (an installed kernel newer than the running one).
	Signal   string   `json:"Signal"`
	Detail   string   `json:"Detail"`
	Packages []string `json:"Packages,omitempty"`
}

// ContainerSignal is one piece of evidence that the root is a
// container's. Source is the file (relative to the root) or the host fact
// that gave it; Manager is the container manager it names, when it names
// one ("docker", "podman", "systemd-nspawn", "lxc", "kubernetes").
//
// What each proves:
//   - ".dockerenv": Docker's engine creates it at the top of every
//     container's file system; an image or a root that never ran under
//     Docker does not have it (a "docker export" of a container does).
//   - "run/.containerenv": Podman (and Buildah) write it into every
//     container's /run; /run is the container's own, so a copy of a root
//     rarely carries it.
//   - "run/systemd/container": systemd, running as process 1, writes the
//     container= variable its container manager set (systemd-nspawn, LXC,
//     podman --systemd) there at boot: the root booted systemd in a
//     container. It lives in /run, so it describes the running system.
//   - "run/host/container-manager": the container manager itself (systemd-
//     nspawn, recent Podman) places its name there for the payload (systemd's
//     container interface): the root is that manager's running container.
//   - "var/run/secrets/kubernetes.io/serviceaccount" (or run/...): the
//     kubelet mounts the pod's service-account token there, unless the pod
//     turns automountServiceAccountToken off: the root is a Kubernetes
//     container's, seen from inside it.
//   - "proc/1/environ" (live only, HostFacts.ContainerManager): the
//     container= variable of process 1, which every container manager
//     following systemd's container interface sets (LXC sets "lxc",
//     systemd-nspawn "systemd-nspawn", Podman "podman"); Docker sets none.
//   - "KUBERNETES_SERVICE_HOST" (live only, HostFacts.Kubernetes): the
//     kubelet puts it in the environment of every container of a pod; it
//     describes the process that called Host, so it says the live root is
//     a container's only when that process scans its own root.
//
// A root with none of these may still be a container's (a Docker image
// read offline, a chroot): no signal is not a proof of a virtual or
// physical machine.
type ContainerSignal struct {
	Source  string `json:"Source"`
	Manager string `json:"Manager,omitempty"`
}

// HostFacts are the facts about a live node that the files of its root do
// not hold. Offline they are unknown (zero), and the signals that need them
// are skipped.
type HostFacts struct {
	// BootTime is when the node booted (what dnf needs-restarting takes:
	// the start of process 1).
	BootTime time.Time
	// KernelRelease is the running kernel (uname -r).
	KernelRelease string
	// ContainerManager is the value of container= in the environment of
	// process 1 (/proc/1/environ), "" when it has none or it could not be
	// read (then Unread says so). It is never read from a root's files: a
	// chroot's proc is the host's.
	ContainerManager string
	// Kubernetes reports that KUBERNETES_SERVICE_HOST is set in the
	// environment of the process that called Host.
	Kubernetes bool
	// Unread lists the facts Host could not read, with the reason
	// ("proc/1/environ: permission denied"); PendingReboot reports them as
	// skipped.
	Unread []string
}

// needReboot are the packages dnf's needs-restarting -r watches (its
// NEED_REBOOT list, dnf-plugins-core 4.3), to which the root's
// etc/dnf/plugins/needs-restarting.d/*.conf add names.
func needReboot() []string {
	return []string{"kernel", "kernel-rt", "glibc", "linux-firmware", "systemd", "dbus", "dbus-broker", "dbus-daemon"}
}

// PendingReboot examines the root fsys, its inventory and the host facts
// for the signals that a reboot is pending.
func PendingReboot(ctx context.Context, fsys fs.FS, inv Inventory, facts HostFacts) (Reboot, error) {
	if ctx == nil {
		return Reboot{}, &InputError{Field: "PendingReboot", Reason: "nil context"}
	}
	if fsys == nil {
		return Reboot{}, &InputError{Field: "PendingReboot", Reason: "nil file system"}
	}
	if err := ctx.Err(); err != nil {
		return Reboot{}, err
	}
	var r Reboot
	add := func(reason RebootReason) {
		r.Required = true
		r.Reasons = append(r.Reasons, reason)
	}
	var err error
	if r.ContainerSignals, err = containerSignals(fsys, facts); err != nil {
		return Reboot{}, err
	}
	r.Container = len(r.ContainerSignals) > 0
	for _, u := range facts.Unread {
		r.Skipped = append(r.Skipped, "host fact unread: "+u)
	}

	// Debian and Ubuntu: kernel hooks and update-notifier write
	// run/reboot-required and the packages into reboot-required.pkgs.
	r.Checked = append(r.Checked, "reboot-required")
	if f, err := runFile(fsys, "reboot-required"); err != nil {
		return Reboot{}, err
	} else if f != "" {
		pkgs, err := lines(fsys, f+".pkgs")
		if err != nil {
			return Reboot{}, err
		}
		add(RebootReason{Signal: "reboot-required", Detail: f + " exists", Packages: pkgs})
	}
	// libzypp touches run/reboot-needed after installing a package named
	// in etc/zypp/needreboot (or needreboot.d).
	r.Checked = append(r.Checked, "reboot-needed")
	if f, err := runFile(fsys, "reboot-needed"); err != nil {
		return Reboot{}, err
	} else if f != "" {
		add(RebootReason{Signal: "reboot-needed", Detail: f + " exists (libzypp)"})
	}

	if inv.Backend == RPM {
		// dnf needs-restarting -r: a watched package installed after boot.
		if facts.BootTime.IsZero() {
			r.Skipped = append(r.Skipped, "core-package-updated: the boot time is unknown")
		} else {
			r.Checked = append(r.Checked, "core-package-updated")
			watch := needReboot()
			extra, err := confNames(fsys, "etc/dnf/plugins/needs-restarting.d")
			if err != nil {
				return Reboot{}, err
			}
			watch = append(watch, extra...)
			var names []string
			for _, p := range inv.Packages {
				if slices.Contains(watch, p.Name) && p.InstallTime.After(facts.BootTime) && !slices.Contains(names, p.Name) {
					names = append(names, p.Name)
				}
			}
			if len(names) > 0 {
				slices.Sort(names)
				add(RebootReason{Signal: "core-package-updated", Packages: names,
					Detail: fmt.Sprintf("installed after boot (%s): core libraries or services changed", facts.BootTime.UTC().Format(time.RFC3339))})
			}
		}
	}

	switch {
	case r.Container:
		r.Skipped = append(r.Skipped, "newer-kernel: a container runs its host's kernel")
	case facts.KernelRelease == "":
		r.Skipped = append(r.Skipped, "newer-kernel: the running kernel is unknown (offline)")
	default:
		reason, skip := newerKernel(inv, facts.KernelRelease)
		switch {
		case skip != "":
			r.Skipped = append(r.Skipped, "newer-kernel: "+skip)
		default:
			r.Checked = append(r.Checked, "newer-kernel")
			if reason != nil {
				add(*reason)
			}
		}
	}
	return r, nil
}

// rpmKernels are the rpm packages that install a bootable kernel, by
// distribution: kernel (RHEL 7, CentOS 7, Amazon Linux 2 and 2023, older
// Fedora; a meta package beside kernel-core on Fedora and RHEL 8 and
// later), kernel-core, kernel-rt(-core), kernel-debug(-core) and
// kernel-64k(-core) (RHEL 8 and later and their rebuilds), kernel-uek and
// kernel-uek-core (Oracle Linux's Unbreakable Enterprise Kernel), and SUSE's
// kernel-FLAVOR packages (kernel-default and kernel-default-base, azure,
// rt, 64kb, preempt, kvmsmall, longterm).
func rpmKernels() []string {
	return []string{"kernel", "kernel-core", "kernel-rt", "kernel-rt-core", "kernel-debug", "kernel-debug-core",
		"kernel-64k", "kernel-64k-core", "kernel-uek", "kernel-uek-core",
		"kernel-default", "kernel-default-base", "kernel-azure", "kernel-64kb", "kernel-preempt", "kernel-kvmsmall", "kernel-longterm"}
}

// kernelPkg is an installed kernel package.
type kernelPkg struct {
	pkg patchkit.Package
	// debRelease is the kernel release a Debian or Ubuntu
	// linux-image-RELEASE package carries in its name.
	debRelease string
}

// installedKernels returns the installed kernel packages of inv whose
// files are on the system: on dpkg, linux-image-RELEASE and Ubuntu's
// linux-image-unsigned-RELEASE (RELEASE starting with a digit; not the
// linux-image-amd64 meta package nor -dbg symbols); on rpm, rpmKernels.
func installedKernels(inv Inventory) []kernelPkg {
	var out []kernelPkg
	names := rpmKernels()
	for _, p := range inv.Packages {
		if !p.State.FilesPresent() {
			continue
		}
		switch inv.Backend {
		case RPM:
			if slices.Contains(names, p.Name) {
				out = append(out, kernelPkg{pkg: p})
			}
		case Dpkg:
			rel, ok := strings.CutPrefix(p.Name, "linux-image-")
			if !ok {
				continue
			}
			rel = strings.TrimPrefix(rel, "unsigned-")
			if rel == "" || rel[0] < '0' || rel[0] > '9' || strings.HasSuffix(rel, "-dbg") || strings.HasSuffix(rel, "-dbgsym") {
				continue
			}
			out = append(out, kernelPkg{pkg: p, debRelease: rel})
		}
	}
	return out
}

// runs reports whether the package installs the kernel uname -r calls
// release:
//   - Debian and Ubuntu: the release in the package name;
//   - Red Hat's families (and Oracle's UEK, Amazon Linux):
//     VERSION-RELEASE.ARCH, with a +VARIANT suffix for the debug, 64k and
//     some real-time kernels;
//   - SUSE: VERSION-RELEASE-FLAVOR where RELEASE is the package's release
//     without the build service's rebuild counter (kernel-default
//     5.14.21-150500.55.39.1 runs as 5.14.21-150500.55.39-default;
//     kernel-source's kernel-spec-macros calls it source_rel, and
//     kernel-default-base appends more to the package release), and FLAVOR
//     the package name without "kernel-" and "-base".
func (k kernelPkg) runs(release string) bool {
	if k.debRelease != "" {
		return k.debRelease == release
	}
	p := k.pkg
	rh, _, _ := strings.Cut(release, "+")
	if rh == p.Version+"-"+p.Release+"."+p.Arch {
		return true
	}
	flavor := strings.TrimSuffix(strings.TrimPrefix(p.Name, "kernel-"), "-base")
	rest, ok := strings.CutPrefix(release, p.Version+"-")
	if !ok {
		return false
	}
	rel, ok := strings.CutSuffix(rest, "-"+flavor)
	return ok && rel != "" && strings.HasPrefix(p.Release+".", rel+".")
}

// compareKernels orders two kernel packages by version as their scheme
// does (an unknown rpm epoch is 0, as rpm orders it); ok is false when they
// cannot be ordered.
func compareKernels(a, b patchkit.Package) (int, bool) {
	if a.Scheme == patchkit.RPM {
		if !a.Epoch.Known() {
			a.Epoch = patchkit.EpochOf(0)
		}
		if !b.Epoch.Known() {
			b.Epoch = patchkit.EpochOf(0)
		}
	}
	c, err := a.CompareVersion(b)
	return c, err == nil
}

// newerKernel decides the newer-kernel signal: an installed kernel whose
// version is newer than the running kernel's, ordered as its package
// scheme orders versions (rpm for rpm kernels, dpkg for Debian's package
// versions). The running kernel's own package (the one runs names)
// decides; when no installed package runs it (a kernel removed since boot,
// or built by hand), the release uname -r prints is compared with the
// releases the installed packages install. skip says why the signal could
// not be decided.
func newerKernel(inv Inventory, running string) (reason *RebootReason, skip string) {
	kernels := installedKernels(inv)
	if len(kernels) == 0 {
		return nil, "no kernel package is installed"
	}
	runs := make([]bool, len(kernels))
	var cur *patchkit.Package
	for i, k := range kernels {
		if runs[i] = k.runs(running); !runs[i] {
			continue
		}
		if cur == nil {
			cur = &k.pkg
		} else if c, ok := compareKernels(k.pkg, *cur); ok && c > 0 {
			cur = &k.pkg
		}
	}
	var newest *patchkit.Package
	if cur != nil {
		for i, k := range kernels {
			if runs[i] {
				continue
			}
			c, ok := compareKernels(k.pkg, *cur)
			if !ok || c <= 0 {
				continue
			}
			if newest == nil {
				newest = &k.pkg
			} else if c, ok := compareKernels(k.pkg, *newest); ok && c > 0 {
				newest = &k.pkg
			}
		}
		if newest == nil {
			return nil, ""
		}
		return &RebootReason{Signal: "newer-kernel", Packages: []string{newest.NEVRA()},
			Detail: fmt.Sprintf("installed kernel %s is newer than the running %s (%s)", newest.NEVRA(), running, cur.NEVRA())}, ""
	}

	// The running kernel is no installed package: compare releases.
	key, scheme, ok := runningKey(inv.Backend, running)
	if !ok {
		return nil, fmt.Sprintf("the running kernel %s is not installed as a package and its release cannot be ordered", running)
	}
	best := ""
	var bestPkg patchkit.Package
	for _, k := range kernels {
		kk, ok := k.key(scheme)
		if !ok || scheme.Compare(kk, key) <= 0 {
			continue
		}
		if best == "" || scheme.Compare(kk, best) > 0 {
			best, bestPkg = kk, k.pkg
		}
	}
	if best == "" {
		return nil, ""
	}
	return &RebootReason{Signal: "newer-kernel", Packages: []string{bestPkg.NEVRA()},
		Detail: fmt.Sprintf("installed kernel %s is newer than the running %s, which is not installed as a package", bestPkg.NEVRA(), running)}, ""
}

// kernelKeyScheme tells which form runningKey found.
type kernelKeyScheme struct {
	patchkit.VersionScheme
	suse bool
}

// runningKey turns a running release into a version its scheme orders:
// on dpkg the ABI part of Debian's release (6.1.0-18 of 6.1.0-18-amd64,
// 6.8.0-40 of 6.8.0-40-generic); on rpm, VERSION-RELEASE of Red Hat's
// VERSION-RELEASE.ARCH[+VARIANT] or of SUSE's VERSION-RELEASE-FLAVOR.
func runningKey(b Backend, running string) (string, kernelKeyScheme, bool) {
	switch b {
	case Dpkg:
		f := strings.SplitN(running, "-", 3)
		if len(f) < 2 || f[0] == "" || f[1] == "" {
			return "", kernelKeyScheme{}, false
		}
		return f[0] + "-" + f[1], kernelKeyScheme{VersionScheme: patchkit.Deb}, true
	case RPM:
		rh, _, _ := strings.Cut(running, "+")
		if i := strings.LastIndexByte(rh, '.'); i > 0 && slices.Contains(rpmArchSuffixes(), rh[i+1:]) {
			v, r, ok := strings.Cut(rh[:i], "-")
			if ok && v != "" && r != "" && !strings.Contains(r, "-") {
				return v + "-" + r, kernelKeyScheme{VersionScheme: patchkit.RPM}, true
			}
			return "", kernelKeyScheme{}, false
		}
		f := strings.Split(running, "-")
		if len(f) == 3 && f[0] != "" && f[1] != "" && f[2] != "" {
			return f[0] + "-" + f[1], kernelKeyScheme{VersionScheme: patchkit.RPM, suse: true}, true
		}
	}
	return "", kernelKeyScheme{}, false
}

// rpmArchSuffixes are the architectures Red Hat's kernel releases end in.
func rpmArchSuffixes() []string {
	return []string{"x86_64", "aarch64", "ppc64le", "ppc64", "s390x", "i686", "i586", "i386", "armv7hl", "riscv64"}
}

// key is the version of the kernel the package installs in the form
// runningKey gives the running one: Debian's ABI part of the release in
// its name; VERSION-RELEASE for Red Hat's kernels; VERSION-RELEASE less the
// rebuild counter (the last dotted part) for SUSE's.
func (k kernelPkg) key(s kernelKeyScheme) (string, bool) {
	if k.debRelease != "" {
		key, _, ok := runningKey(Dpkg, k.debRelease)
		return key, ok
	}
	r := k.pkg.Release
	if s.suse {
		i := strings.LastIndexByte(r, '.')
		if i <= 0 {
			return "", false
		}
		r = r[:i]
	}
	return k.pkg.Version + "-" + r, k.pkg.Version != "" && r != ""
}

// runFile returns where the run-time file name exists: run/NAME, or
// var/run/NAME where var/run is not a link to run (a root that is not a
// booted system, such as a private dpkg --root); "" when neither exists.
func runFile(fsys fs.FS, name string) (string, error) {
	for _, f := range []string{"run/" + name, "var/run/" + name} {
		ok, err := rootfs.Exists(fsys, f)
		if err != nil || ok {
			if ok {
				return f, nil
			}
			return "", err
		}
	}
	return "", nil
}

// containerSignals gathers the evidence that fsys is a container's root:
// the marker files of the root, then the live host facts (see
// ContainerSignal for what each proves).
func containerSignals(fsys fs.FS, facts HostFacts) ([]ContainerSignal, error) {
	var out []ContainerSignal
	for _, m := range []struct{ file, manager string }{
		{".dockerenv", "docker"},
		{"run/.containerenv", "podman"},
	} {
		ok, err := rootfs.Exists(fsys, m.file)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, ContainerSignal{Source: m.file, Manager: m.manager})
		}
	}
	// One line naming the manager, written by systemd or by the manager.
	for _, f := range []string{"run/systemd/container", "run/host/container-manager"} {
		b, err := rootfs.ReadFile(fsys, f, 4096)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("scan: container signal %s: %w", f, err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		out = append(out, ContainerSignal{Source: f, Manager: strings.TrimSpace(line)})
	}
	for _, d := range []string{"var/run/secrets/kubernetes.io/serviceaccount", "run/secrets/kubernetes.io/serviceaccount"} {
		ok, err := rootfs.Exists(fsys, d)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, ContainerSignal{Source: d, Manager: "kubernetes"})
			break
		}
	}
	if facts.ContainerManager != "" {
		out = append(out, ContainerSignal{Source: "proc/1/environ", Manager: facts.ContainerManager})
	}
	if facts.Kubernetes {
		out = append(out, ContainerSignal{Source: "KUBERNETES_SERVICE_HOST", Manager: "kubernetes"})
	}
	return out, nil
}

// environContainer returns the value of container= in a process
// environment as /proc/PID/environ holds it (NUL-separated), "" when it
// has none.
func environContainer(environ []byte) string {
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("container=")); ok {
			return string(v)
		}
	}
	return ""
}

// lines returns the distinct non-empty lines of a small file, nil when it
// does not exist.
func lines(fsys fs.FS, name string) ([]string, error) {
	b, err := rootfs.ReadFile(fsys, name, 1<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range bytes.Split(b, []byte("\n")) {
		s := strings.TrimSpace(string(l))
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// confNames reads the package names listed one per line in the *.conf
// files of dir, as needs-restarting does.
func confNames(fsys fs.FS, dir string) ([]string, error) {
	rdir, err := rootfs.Resolve(fsys, dir)
	if err != nil {
		return nil, err
	}
	ents, err := fs.ReadDir(fsys, rdir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".conf") {
			continue
		}
		ls, err := lines(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	return out, nil
}
