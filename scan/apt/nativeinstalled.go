package apt

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/run"
)

// NativeInstalledVersions, when true, makes NativeUpdates also return the
// installed version of every package of its installed list that an index
// offers, as a Patch with Candidate false, so that a scan can tell a
// package the baseline approves (INSTALLED) from one it does not
// (INSTALLED_OTHER). NativeUpdates then runs one apt-cache policy naming
// every installed package (NAME:ARCH, as dpkg lists it) after the
// simulation, and takes the installed version from the version table (the
// entry apt marks "***") when a file other than dpkg's status file offers
// it; apt's kept-back packages are looked up in the same answer. One more
// apt-cache policy call, without operands, gives the origins of the files
// (see NativeUpdates), so the scan stays at three commands. The operands
// of one call add up to at most 64 KiB (about 2,500 packages of average
// name length): a larger inventory is asked in as many calls as that
// takes, never one per package.
//
// The fields are those of a kept-back candidate, which comes from the same
// command: Arch is the installed package's, Repository is the origins of
// the offering files as apt-get prints them ("Label:Version/Suite", once
// each, from apt-cache policy's package files), and Security (with
// Classification "Security") is set when one of them is a security pocket
// (its suite contains "security", or its host is security.debian.org);
// Want is "hold" for a held package. apt-cache policy prints no Section,
// Priority or source package, so Section, Priority and SourceName are
// empty (NativeDescribe looks them up); apt has no severity, advisory IDs
// or release date. Versions apt lists twice in the table (the same version
// string with different contents in two repositories) count as one, offered
// by the files of both, as the metadata backend counts them. apt offers
// what its lists hold: a repository whose lists apt kept although Updates
// finds it unhealthy (an expired Release, say) offers its versions here,
// as it does for the newer versions.
//
// Packages in dpkg's config-files and not-installed states are not asked
// about. The answer is checked against the inventory: one entry per package
// asked, in order, of that name, with the installed version the inventory
// gives; anything else is an *OutputError (a package listed twice for
// apt's architecture is an *InventoryError). With an empty installed list
// the option returns nothing. Without the option NativeUpdates runs
// nothing more than before.
func NativeInstalledVersions(on bool) NativeOption {
	return func(o *nativeOptions) error {
		o.installedVersions = on
		return nil
	}
}

// maxPolicyOperandBytes bounds the operands of one apt-cache policy call
// (each operand's length plus one): far below Linux's ARG_MAX (2 MiB with
// the default 8 MiB stack) and below MAX_ARG_STRLEN (128 KiB), the limit
// of one argument, which is what a runner that joins the command into a
// single string (ssh, sh -c) meets.
const maxPolicyOperandBytes = 64 << 10

// askedPackage is one installed package asked about and apt's answer.
type askedPackage struct {
	pkg patchkit.Package
	cp  CachePolicy
}

// installedOperands returns the installed packages to ask apt-cache policy
// about and their operands (NAME:ARCH; apt takes "all" and the native
// architecture as the package of the native architecture).
func installedOperands(installed []patchkit.Package) ([]patchkit.Package, []string, error) {
	var (
		pkgs []patchkit.Package
		ops  []string
	)
	for _, p := range installed {
		if p.State == patchkit.StateConfigFiles || p.State == patchkit.StateNotInstalled {
			continue
		}
		id := p.QualifiedName()
		if p.Scheme != patchkit.Deb {
			return nil, nil, &InventoryError{Package: id, Reason: "not a Debian package (scheme " + p.Scheme.String() + ")"}
		}
		if err := patchkit.ValidateName(patchkit.Deb, p.Name); err != nil {
			return nil, nil, &InventoryError{Package: id, Reason: err.Error()}
		}
		op := p.Name
		if p.Arch != "" {
			if err := patchkit.ValidateArch(patchkit.Deb, p.Arch); err != nil {
				return nil, nil, &InventoryError{Package: id, Reason: err.Error()}
			}
			op += ":" + p.Arch
		}
		if err := patchkit.Deb.Validate(p.EVR()); err != nil {
			return nil, nil, &InventoryError{Package: id, Reason: err.Error()}
		}
		pkgs = append(pkgs, p)
		ops = append(ops, op)
	}
	return pkgs, ops, nil
}

// chunkOperands splits ops into runs whose lengths (plus one each) add up
// to at most limit; an operand longer than limit is a run of its own.
func chunkOperands(ops []string, limit int) [][]string {
	var (
		out   [][]string
		start int
		n     int
	)
	for i, op := range ops {
		if i > start && n+len(op)+1 > limit {
			out = append(out, ops[start:i])
			start, n = i, 0
		}
		n += len(op) + 1
	}
	if start < len(ops) {
		out = append(out, ops[start:])
	}
	return out
}

// askInstalled runs apt-cache policy on every installed package, in calls
// whose operands add up to at most limit bytes, and pairs each answer with
// the package asked.
func (o *nativeOptions) askInstalled(ctx context.Context, r run.Runner, installed []patchkit.Package, limit int) ([]askedPackage, error) {
	pkgs, ops, err := installedOperands(installed)
	if err != nil {
		return nil, err
	}
	out := make([]askedPackage, 0, len(pkgs))
	seen := map[string]int{} // apt's name of a package -> index in out
	for _, chunk := range chunkOperands(ops, limit) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := r.Run(ctx, o.policy(chunk))
		if err != nil {
			return nil, fmt.Errorf("scan/apt: apt-cache policy of installed packages: %w", err)
		}
		pols, err := ParseCachePolicy(res.Stdout)
		if err != nil {
			return nil, err
		}
		if len(pols) != len(chunk) {
			return nil, outputErr(policyCmd, 0, "", fmt.Sprintf("%d installed packages asked, %d answered (apt does not know some of them)", len(chunk), len(pols)))
		}
		for _, cp := range pols {
			p := pkgs[len(out)]
			head := cp.Name + ":"
			if cp.Qualifier != "" {
				head = cp.Name + ":" + cp.Qualifier + ":"
			}
			if cp.Name != p.Name || (cp.Qualifier != "" && cp.Qualifier != p.Arch) {
				return nil, outputErr(policyCmd, cp.Line, head, "answer about another package than "+ops[len(out)]+", asked in that place")
			}
			if cp.Installed == "" || patchkit.Deb.Compare(cp.Installed, p.EVR()) != 0 {
				inst := cp.Installed
				if inst == "" {
					inst = "(none)"
				}
				return nil, outputErr(policyCmd, cp.Line, head, "apt says "+inst+" is installed; the inventory lists "+p.EVR())
			}
			key := cp.Name + ":" + cp.Qualifier
			if i, dup := seen[key]; dup {
				return nil, &InventoryError{Package: p.QualifiedName(), Reason: "apt's package " + strings.TrimSuffix(head, ":") +
					" is also listed as " + out[i].pkg.QualifiedName()}
			}
			seen[key] = len(out)
			out = append(out, askedPackage{pkg: p, cp: cp})
		}
	}
	return out, nil
}

// installedPatch returns the installed version of an asked package as a
// Patch with Candidate false, and false when only dpkg's status file has
// it.
func (o *nativeOptions) installedPatch(ctx context.Context, a askedPackage, fo *fileOrigins) (patchkit.Patch, bool, error) {
	cp := a.cp
	var (
		marked  bool
		sources []PolicySource
	)
	for _, v := range cp.Versions {
		if patchkit.Deb.Compare(v.Version, cp.Installed) != 0 {
			continue
		}
		marked = marked || v.Installed
		for _, s := range v.Sources {
			if !s.Status() {
				sources = append(sources, s)
			}
		}
	}
	if !marked {
		return patchkit.Patch{}, false, outputErr(policyCmd, cp.Line, "", "installed version "+cp.Installed+" of "+cp.Name+" is not marked *** in its version table")
	}
	if len(sources) == 0 {
		return patchkit.Patch{}, false, nil
	}
	pk, err := patchkit.ParseDpkg(cp.Name, cp.Installed)
	if err != nil {
		return patchkit.Patch{}, false, outputErr(policyCmd, cp.Line, "", err.Error())
	}
	pk.Arch = a.pkg.Arch
	p := patchkit.Patch{Package: pk, Product: o.product}
	if p.Repository, p.Security, err = fo.of(ctx, sources); err != nil {
		return patchkit.Patch{}, false, err
	}
	if p.Security {
		p.Classification = "Security"
	}
	if a.pkg.Want == "hold" {
		p.Want = "hold"
	}
	return p, true, nil
}
