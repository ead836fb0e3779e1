package apt

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// env returns the environment entries of a command: parseable,
// untranslated output (run.CLocale), and no question asked of anyone:
// debconf, needrestart, apt-listchanges and ucf each have their own
// switch.
func (o *options) env() []string {
	env := run.CLocale(
		"DEBIAN_FRONTEND=noninteractive",
		"NEEDRESTART_MODE=a",
		"APT_LISTCHANGES_FRONTEND=none",
		"UCF_FORCE_CONFFOLD=1",
	)
	if o.aptConfig != "" {
		env = append(env, "APT_CONFIG="+o.aptConfig)
	}
	return env
}

// command builds a command for program prog of the root: inside a chroot,
// `chroot DIR PROG ARGS -- OPERANDS`.
func (o *options) command(prog string, args, operands []string, committing bool) run.Command {
	c := run.Command{Path: prog, Args: args, Operands: operands, Env: o.env(), Committing: committing}
	if o.chroot != "" {
		c.Path = o.chrootProg
		c.Args = append([]string{o.chroot, prog}, args...)
	}
	return c
}

// planArgs are the options Plan's and Apply's apt-get runs share, so that
// the plan shown is the plan applied.
func planArgs() []string {
	return []string{
		"-o", "quiet=1",
		"-o", "APT::Get::Show-Upgraded=true",
		"--no-install-recommends",
	}
}

// simulateCommand is the plan: apt-get -s install --only-upgrade.
func (o *options) simulateCommand(ops []string) run.Command {
	args := append(planArgs(), "-s", "install", "--only-upgrade")
	return o.command(o.aptGet, args, ops, false)
}

// sizesCommand asks apt-get for the same plan's download and disk sizes
// (apt-get -s does not print them): --print-uris lists the archives to
// fetch and prints the size lines, and neither downloads nor installs.
func (o *options) sizesCommand(ops []string) run.Command {
	args := append(planArgs(), "--print-uris", "install", "--only-upgrade")
	return o.command(o.aptGet, args, ops, false)
}

// installCommand is Apply's apt-get run: with downloadOnly, the download
// phase (cancellable); without, the commit (never signalled).
func (o *options) installCommand(ops []string, downloadOnly bool, lockWait time.Duration) run.Command {
	args := append(planArgs(),
		"-o", "DPkg::Lock::Timeout="+strconv.FormatInt(lockSeconds(lockWait), 10),
		"-o", "Dpkg::Use-Pty=0",
		"-o", "Dpkg::Options::=--force-confdef",
		"-o", "Dpkg::Options::=--force-confold",
		"-y")
	if downloadOnly {
		args = append(args, "--download-only")
	}
	if !o.allowRemovals {
		args = append(args, "--no-remove")
	}
	if o.allowDowngrades {
		args = append(args, "--allow-downgrades")
	}
	if o.allowUnauthenticated {
		args = append(args, "--allow-unauthenticated")
	}
	args = append(args, "install", "--only-upgrade")
	return o.command(o.aptGet, args, ops, !downloadOnly)
}

// dpkgOptionsCommand reads the options apt passes to dpkg (DPkg::Options)
// from apt's configuration, as apt itself would read it.
func (o *options) dpkgOptionsCommand() run.Command {
	return o.command(o.aptConfigProg, []string{"dump", "--format", "%f=%v%n", "DPkg::Options"}, nil, false)
}

// repairCommand is `dpkg [DPkg::Options] --force-confdef --force-confold
// --configure -a`.
func (o *options) repairCommand(dpkgOpts []string) run.Command {
	args := append(append([]string(nil), dpkgOpts...), "--force-confdef", "--force-confold", "--configure", "-a")
	return o.command(o.dpkg, args, nil, true)
}

// repairDescription says what Repair runs, for a RepairError.
func (o *options) repairDescription() string {
	s := "dpkg --configure -a"
	switch {
	case o.chroot != "":
		s = "chroot " + o.chroot + " " + s
	case o.aptConfig != "":
		s += " with the DPkg::Options of APT_CONFIG=" + o.aptConfig
	}
	return s + " (install/apt.Repair)"
}

// operands checks the targets and spells them as apt-get install reads
// them: "name:arch=version", with dpkg's architecture qualifier, or
// "name=version" for an architecture-independent package (apt names those
// without a qualifier). Every part is checked against dpkg's grammar before
// it is put together, so that no operand can be read as an option, a .deb
// file, a release ("/suite"), a pattern or a glob.
func operands(targets []plan.Target) ([]string, error) {
	if len(targets) == 0 {
		return nil, &TargetError{Index: -1, Reason: "no targets"}
	}
	seen := make(map[string]int, len(targets))
	out := make([]string, 0, len(targets))
	for i, t := range targets {
		v := t.Version
		desc := quote(v.Name + ":" + v.Arch + "=" + v.EVR())
		bad := func(reason string) error { return &TargetError{Index: i, Target: desc, Reason: reason} }
		if v.Scheme != patchkit.Deb {
			return nil, bad("version scheme is " + v.Scheme.String() + ", not deb")
		}
		if t.Advisory != "" {
			return nil, bad("names the advisory " + quote(t.Advisory) + ": apt installs packages, not zypper patches")
		}
		if err := patchkit.ValidateName(patchkit.Deb, v.Name); err != nil {
			return nil, bad(err.Error())
		}
		if strings.ToLower(v.Name) != v.Name {
			return nil, bad("name has upper-case letters; dpkg stores names lower-cased, so it names no installed package")
		}
		if v.Arch == "" {
			return nil, bad("no architecture: the installed package it upgrades must be named with one")
		}
		if err := patchkit.ValidateArch(patchkit.Deb, v.Arch); err != nil {
			return nil, bad(err.Error())
		}
		if t.Installed.Name != "" && (t.Installed.Name != v.Name || t.Installed.Arch != "" && t.Installed.Arch != v.Arch) {
			return nil, bad(fmt.Sprintf("the installed package is %s, not %s:%s", t.Installed.QualifiedName(), v.Name, v.Arch))
		}
		evr := v.EVR()
		if err := patchkit.Deb.Validate(evr); err != nil {
			return nil, bad(err.Error())
		}
		// dpkg's grammar for the parts; Validate accepts what dpkg does, and
		// this keeps anything apt could read specially out even so.
		for j := 0; j < len(evr); j++ {
			c := evr[j]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte(".+~:-", c) >= 0) {
				return nil, bad(fmt.Sprintf("version has %q, which dpkg's version grammar does not have", c))
			}
		}
		key := v.Name + ":" + v.Arch
		if j, dup := seen[key]; dup {
			return nil, bad(fmt.Sprintf("%s is also target %d; one version per package", key, j))
		}
		seen[key] = i
		if v.Arch == "all" {
			out = append(out, v.Name+"="+evr)
		} else {
			out = append(out, v.Name+":"+v.Arch+"="+evr)
		}
	}
	return out, nil
}
