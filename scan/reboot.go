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
	// Container is set when the root is a container's: its kernel is the
	// host's, so kernel signals do not apply.
	Container bool `json:"Container,omitempty"`
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

// HostFacts are the facts about a live node that the files of its root do
// not hold. Offline they are unknown (zero), and the signals that need them
// are skipped.
type HostFacts struct {
	// BootTime is when the node booted (what dnf needs-restarting takes:
	// the start of process 1).
	BootTime time.Time
	// KernelRelease is the running kernel (uname -r).
	KernelRelease string
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
	if err := ctx.Err(); err != nil {
		return Reboot{}, err
	}
	var r Reboot
	add := func(reason RebootReason) {
		r.Required = true
		r.Reasons = append(r.Reasons, reason)
	}
	var err error
	if r.Container, err = isContainer(fsys); err != nil {
		return Reboot{}, err
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
		newest, ok := newestKernel(inv)
		if !ok {
			r.Skipped = append(r.Skipped, "newer-kernel: no kernel package is installed")
			break
		}
		r.Checked = append(r.Checked, "newer-kernel")
		if newest.release != facts.KernelRelease {
			add(RebootReason{Signal: "newer-kernel", Packages: []string{newest.pkg.NEVRA()},
				Detail: fmt.Sprintf("the newest installed kernel is %s, the running one %s", newest.release, facts.KernelRelease)})
		}
	}
	return r, nil
}

type kernel struct {
	pkg     patchkit.Package
	release string // as uname -r prints it
}

// newestKernel finds the newest installed kernel and its release as uname
// -r prints it: rpm's kernel, kernel-core (Fedora, RHEL 8+), kernel-default
// (SUSE), kernel-uek (Oracle) give version-release.arch (SUSE:
// version-release-default without the build counter, not compared here);
// Debian's linux-image-RELEASE packages carry the release in their name.
func newestKernel(inv Inventory) (kernel, bool) {
	var best kernel
	found := false
	for _, p := range inv.Packages {
		if !p.State.FilesPresent() {
			continue
		}
		var k kernel
		switch {
		case inv.Backend == RPM && (p.Name == "kernel" || p.Name == "kernel-core" || p.Name == "kernel-uek" || p.Name == "kernel-uek-core"):
			k = kernel{pkg: p, release: p.Version + "-" + p.Release + "." + p.Arch}
		case inv.Backend == Dpkg && strings.HasPrefix(p.Name, "linux-image-") && len(p.Name) > len("linux-image-") &&
			p.Name[len("linux-image-")] >= '0' && p.Name[len("linux-image-")] <= '9':
			k = kernel{pkg: p, release: strings.TrimPrefix(p.Name, "linux-image-")}
		default:
			continue
		}
		if !found {
			best, found = k, true
			continue
		}
		newer := false
		if inv.Backend == RPM {
			q := p
			b := best.pkg
			if !q.Epoch.Known() {
				q.Epoch = patchkit.EpochOf(0)
			}
			if !b.Epoch.Known() {
				b.Epoch = patchkit.EpochOf(0)
			}
			c, err := q.CompareVersion(b)
			newer = err == nil && c > 0
		} else {
			// linux-image-6.1.0-18-amd64 and -17-: the names order as
			// Debian versions.
			newer = patchkit.Deb.Compare(strings.TrimPrefix(k.release, ""), best.release) > 0
		}
		if newer {
			best = k
		}
	}
	return best, found
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

// isContainer recognises a container's root: the marker files Docker and
// Podman create.
func isContainer(fsys fs.FS) (bool, error) {
	for _, f := range []string{".dockerenv", "run/.containerenv"} {
		ok, err := rootfs.Exists(fsys, f)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
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
