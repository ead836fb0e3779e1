package zypper

import (
	"bytes"
	"context"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
	scanzypper "github.com/patchkit/patchkit/scan/zypper"
)

// operands turns targets into zypper install operands, checking every part
// against rpm's grammar first: NAME[.ARCH]=[EPOCH:]VERSION-RELEASE for a
// package (libzypp finds an epoch version only when the epoch is written:
// tb-lib=1:2.0-2, never tb-lib-2.0-2), patch:NAME for a target that comes
// from a SUSE patch (once per patch). It returns the operands and the
// patch names.
func operands(targets []plan.Target) (ops, patches []string, err error) {
	if len(targets) == 0 {
		return nil, nil, &TargetError{Index: -1, Field: "targets", Reason: "no targets"}
	}
	seen := map[string]bool{}
	for i, t := range targets {
		bad := func(field, value, reason string, err error) ([]string, []string, error) {
			return nil, nil, &TargetError{Index: i, Field: field, Value: value, Reason: reason, Err: err}
		}
		v := t.Version
		if v.Scheme != patchkit.RPM {
			return bad("Version.Scheme", v.Scheme.String(), "not an rpm package", nil)
		}
		if err := patchkit.ValidateName(patchkit.RPM, v.Name); err != nil {
			return bad("Version.Name", v.Name, "not an rpm package name", err)
		}
		if t.Installed.Name != v.Name {
			return bad("Installed.Name", t.Installed.Name, "the target is not an upgrade of the installed package "+strconv.Quote(v.Name), nil)
		}
		if v.Arch != "" {
			if err := patchkit.ValidateArch(patchkit.RPM, v.Arch); err != nil {
				return bad("Version.Arch", v.Arch, "not an rpm architecture", err)
			}
		}
		ed := edition(v)
		if v.Version == "" || v.Release == "" || strings.Contains(v.Version, "-") || strings.Contains(v.Release, "-") {
			return bad("Version", ed, "not a version-release", nil)
		}
		if err := patchkit.RPM.Validate(ed); err != nil {
			return bad("Version", ed, "not an rpm version", err)
		}
		var op string
		if t.Advisory != "" {
			if err := checkPatchName(t.Advisory); err != nil {
				return bad("Advisory", t.Advisory, "not a zypper patch name", err)
			}
			op = "patch:" + t.Advisory
			if !seen[op] {
				patches = append(patches, t.Advisory)
			}
		} else {
			op = v.Name
			if v.Arch != "" {
				op += "." + v.Arch
			}
			op += "=" + ed
		}
		if !seen[op] {
			seen[op] = true
			ops = append(ops, op)
		}
	}
	return ops, patches, nil
}

// edition returns [epoch:]version-release as libzypp writes it: without
// epoch 0.
func edition(p patchkit.Package) string {
	s := p.Version
	if p.Release != "" {
		s += "-" + p.Release
	}
	if e, ok := p.Epoch.Value(); ok && e != 0 {
		s = strconv.FormatUint(uint64(e), 10) + ":" + s
	}
	return s
}

// patchNameError explains a patch name that is refused.
type patchNameError string

func (e patchNameError) Error() string { return string(e) }

// checkPatchName accepts the characters SUSE patch names are made of
// (SUSE-SLE-Module-Basesystem-15-SP5-2023-3821, openSUSE-SLE-15.5-2024-123,
// TBSA-2026:0003): letters, digits and "._:+-~", not starting with '-' or
// with a resolvable kind ("patch:", which zypper would read as one).
func checkPatchName(n string) error {
	if n == "" {
		return patchNameError("empty")
	}
	if n[0] == '-' {
		return patchNameError("starts with '-'")
	}
	if len(n) > 200 {
		return patchNameError("longer than 200 characters")
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._:+-~", c) >= 0) {
			return patchNameError("contains " + strconv.QuoteRune(rune(c)))
		}
	}
	// zypper reads KIND:NAME as a resolvable of that kind
	for _, k := range []string{"patch:", "package:", "pattern:", "product:", "srcpackage:", "application:"} {
		if strings.HasPrefix(strings.ToLower(n), k) {
			return patchNameError("starts with the kind prefix " + strconv.Quote(k))
		}
	}
	return nil
}

// checkPatches asks zypper for its patches (`list-patches --all`) and,
// unless the caller allowed interactive patches, refuses the requested ones
// that zypper flags interactive or reboot-suggesting: `zypper patch
// --non-interactive` would skip them, and `zypper install patch:NAME`,
// which this package runs, would not. A requested patch zypper does not
// list is left for the install command to report (not found).
func checkPatches(ctx context.Context, r run.Runner, o *options, names []string) error {
	if len(names) == 0 || o.interactive {
		return nil
	}
	o.report("checking patches", 0)
	c, err := o.command([]string{"list-patches", "--all"}, nil)
	if err != nil {
		return err
	}
	c.OKCodes = []int{100, 101, 106}
	res, err := r.Run(ctx, c)
	if err != nil {
		return o.runError(c, res, err)
	}
	ps, err := scanzypper.ParseListPatches(c.String(), bytes.NewReader(res.Stdout))
	if err != nil {
		return err
	}
	var ie InteractivePatchError
	for _, n := range names {
		for _, p := range ps {
			if p.Name != n {
				continue
			}
			var why []string
			if p.RebootSuggested {
				why = append(why, "reboot suggested")
			}
			if p.Interactive {
				why = append(why, "interactive")
			}
			if len(why) > 0 {
				ie.Patches = append(ie.Patches, n)
				ie.Why = append(ie.Why, strings.Join(why, ", "))
			}
			break
		}
	}
	if len(ie.Patches) > 0 {
		return &ie
	}
	return nil
}
