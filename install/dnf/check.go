package dnf

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// ConfigError reports a line of dnf.conf that Check cannot read.
type ConfigError struct {
	File   string
	Line   int
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("install/dnf: %s:%d: %s", e.File, e.Line, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *ConfigError) Is(target error) bool { return target == patchkit.ErrInvalid }

// InventoryError reports an installed package Check cannot judge.
type InventoryError struct {
	Index   int
	Package string
	Reason  string
}

func (e *InventoryError) Error() string {
	return fmt.Sprintf("install/dnf: installed package %d (%s): %s", e.Index, e.Package, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *InventoryError) Is(target error) bool { return target == patchkit.ErrInvalid }

// dnfConf is where dnf's configuration lies inside a root.
const dnfConf = "etc/dnf/dnf.conf"

// maxConf bounds dnf.conf.
const maxConf = 4 << 20

// isDefaultInstallOnly reports whether a package name is installed beside
// its older versions by dnf's defaults. dnf's installonlypkgs default lists
// "kernel" and "kernel-PAE" by name and the providers of
// installonlypkg(kernel), installonlypkg(kernel-module),
// installonlypkg(vm) and multiversion(kernel). A patchkit.Package carries
// no provides, so the kernel packages of Fedora, RHEL and its rebuilds,
// Oracle Linux and Amazon Linux that provide installonlypkg(kernel) are
// recognised by their names: "kernel" with an optional version suffix
// (Amazon Linux 2023's kernel6.1), optional flavours (-rt, -debug, -64k,
// -uek, -zfcpdump, -PAE, -PAEdebug, -lpae) and an optional part (-core,
// -modules, -modules-core, -modules-extra, -modules-internal,
// -modules-partner, -devel, -devel-matched, -uki-virt, -uki-virt-addons).
// kernel-headers, kernel-tools and the like do not match.
func isDefaultInstallOnly(name string) bool {
	rest, ok := strings.CutPrefix(name, "kernel")
	if !ok {
		return false
	}
	rest = strings.TrimLeft(rest, "0123456789.")
	for _, part := range []string{"-core", "-modules", "-modules-core", "-modules-extra", "-modules-internal",
		"-modules-partner", "-devel", "-devel-matched", "-uki-virt", "-uki-virt-addons"} {
		if r, ok := strings.CutSuffix(rest, part); ok {
			rest = r
			break
		}
	}
	for rest != "" {
		cut := false
		for _, fl := range []string{"-rt", "-debug", "-64k", "-uek", "-zfcpdump", "-PAEdebug", "-PAE", "-lpae"} {
			if r, ok := strings.CutPrefix(rest, fl); ok {
				rest, cut = r, true
				break
			}
		}
		if !cut {
			return false
		}
	}
	return true
}

// configInstallOnly reads installonlypkgs from the [main] section of
// etc/dnf/dnf.conf in fsys (a list separated by commas or white space,
// possibly continued on indented lines). A missing file is no list.
func configInstallOnly(fsys fs.FS) ([]string, error) {
	f, err := fsys.Open(dnfConf)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &ConfigError{File: dnfConf, Reason: "not a regular file"}
	}
	if fi.Size() > maxConf {
		return nil, &ConfigError{File: dnfConf, Reason: fmt.Sprintf("%d bytes, more than %d", fi.Size(), maxConf)}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxConf)
	var (
		out     []string
		section string
		inList  bool
		n       int
	)
	for sc.Scan() {
		n++
		l := strings.TrimRight(sc.Text(), "\r")
		t := strings.TrimSpace(l)
		if strings.IndexByte(l, 0) >= 0 {
			return nil, &ConfigError{File: dnfConf, Line: n, Reason: "NUL byte"}
		}
		switch {
		case t == "" || t[0] == '#' || t[0] == ';':
			continue
		case inList && (l[0] == ' ' || l[0] == '\t'):
			out = append(out, splitList(t)...)
			continue
		}
		inList = false
		if strings.HasPrefix(t, "[") {
			if !strings.HasSuffix(t, "]") || len(t) < 3 {
				return nil, &ConfigError{File: dnfConf, Line: n, Reason: "malformed section header"}
			}
			section = t[1 : len(t)-1]
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return nil, &ConfigError{File: dnfConf, Line: n, Reason: "not key=value"}
		}
		if section == "main" && strings.TrimSpace(k) == "installonlypkgs" {
			out = append(out, splitList(v)...)
			inList = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &ConfigError{File: dnfConf, Line: n + 1, Reason: err.Error()}
	}
	return out, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// Check looks for what an interrupted rpm transaction leaves behind, before
// anything is installed: a package installed in two or more versions of the
// same name and architecture, which is not an installonly package (rpm adds
// the new header before it erases the old one, so a dnf or rpm killed in
// between leaves both; dnf calls them duplicates). installed is the root's
// inventory from its rpm database (scan/rpmdb.Read). Installonly packages
// are dnf's defaults (see isDefaultInstallOnly's rules: kernel, kernel-PAE
// and the kernel packages that provide installonlypkg(kernel)), the
// installonlypkgs of the [main] section of fsys's etc/dnf/dnf.conf (which
// dnf appends to its defaults) and WithInstallOnly's. It returns a
// *plan.RepairError naming each duplicate with its versions and the
// repair command (Repair's), or nil. Nothing runs: CheckNative asks dnf.
func Check(ctx context.Context, fsys fs.FS, installed []patchkit.Package, opts ...Option) error {
	o, err := buildOptions(opts)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	conf, err := configInstallOnly(fsys)
	if err != nil {
		return err
	}
	only := map[string]bool{}
	for _, n := range append(conf, o.installOnly...) {
		only[n] = true
	}
	type na struct{ name, arch string }
	groups := map[na][]patchkit.Package{}
	for i, p := range installed {
		if p.Scheme != patchkit.RPM {
			return &InventoryError{Index: i, Package: p.Name, Reason: "version scheme is " + p.Scheme.String() + ", not rpm"}
		}
		if !p.Epoch.Known() {
			p.Epoch = patchkit.EpochOf(0) // rpm's reading of a header without one
		}
		k := na{p.Name, p.Arch}
		groups[k] = append(groups[k], p)
	}
	var dups []string
	for k, ps := range groups {
		if len(ps) < 2 || only[k.name] || isDefaultInstallOnly(k.name) {
			continue
		}
		slices.SortFunc(ps, func(a, b patchkit.Package) int {
			c, err := a.CompareVersion(b)
			if err != nil {
				return cmp.Compare(a.EVR(), b.EVR())
			}
			return c
		})
		evrs := make([]string, len(ps))
		for i, p := range ps {
			evrs[i] = p.EVR()
		}
		dups = append(dups, k.name+"."+k.arch+" "+strings.Join(evrs, " "))
	}
	if len(dups) == 0 {
		return nil
	}
	slices.Sort(dups)
	return &plan.RepairError{Tool: "rpm", Packages: dups, Repair: o.commands(nil).Repair.String()}
}

// CheckNative asks dnf for duplicates itself (`dnf -q check --duplicates`,
// which applies its installonly rules with the packages' provides) and
// returns a *plan.RepairError as Check does, or nil.
func CheckNative(ctx context.Context, r run.Runner, opts ...Option) error {
	o, err := buildOptions(opts)
	if err != nil {
		return err
	}
	cmds := o.commands(nil)
	res, err := o.runLocked(ctx, r, cmds.Check)
	if err != nil {
		return err
	}
	dups, err := ParseDuplicates(res.Stdout)
	if err != nil {
		return err
	}
	if (res.ExitCode == 1) != (len(dups) > 0) {
		if res.ExitCode == 1 {
			return run.NewExitError(cmds.Check, res)
		}
		return &InconsistentError{Command: "check", Reason: fmt.Sprintf("dnf exited 0 and listed %d duplicates", len(dups))}
	}
	if len(dups) == 0 {
		return nil
	}
	return &plan.RepairError{Tool: "rpm", Packages: dups, Repair: cmds.Repair.String()}
}

// ParseDuplicates reads `dnf check --duplicates` ("tb-multi-1.2-1.noarch is
// a duplicate with tb-multi-1.3-1.noarch", one line per extra version) into
// one entry per package as Check writes them: "name.arch EVR EVR...", the
// versions in dnf's order (oldest first), sorted by name.
func ParseDuplicates(out []byte) ([]string, error) {
	type na struct{ name, arch string }
	evrs := map[na][]string{}
	var order []na
	n := 0
	for l := range bytes.Lines(out) {
		n++
		t := strings.TrimSpace(string(l))
		if t == "" {
			continue
		}
		a, b, ok := strings.Cut(t, " is a duplicate with ")
		if !ok {
			return nil, outErr("check", n, t, "not a duplicate line")
		}
		p, err1 := dnfNEVRA(a)
		q, err2 := dnfNEVRA(b)
		if err := errors.Join(err1, err2); err != nil {
			return nil, outErr("check", n, t, err.Error())
		}
		if p.Name != q.Name || p.Arch != q.Arch {
			return nil, outErr("check", n, t, "the two packages differ in name or architecture")
		}
		k := na{p.Name, p.Arch}
		if _, seen := evrs[k]; !seen {
			order = append(order, k)
		}
		for _, x := range []string{p.EVR(), q.EVR()} {
			if !slices.Contains(evrs[k], x) {
				evrs[k] = append(evrs[k], x)
			}
		}
	}
	var dups []string
	for _, k := range order {
		dups = append(dups, k.name+"."+k.arch+" "+strings.Join(evrs[k], " "))
	}
	slices.Sort(dups)
	return dups, nil
}

// Repair cleans up duplicates the way dnf documents it: `dnf -y remove
// --duplicates`, which reinstalls the newest version of each duplicated
// package (restoring the files the interrupted transaction may have left
// half-written) and removes the older ones from the rpm database. It
// downloads that version, so the repositories must offer it. Only called
// when the caller asks; it is committing (cancellation does not interrupt
// it). When dnf finds no duplicates ("No duplicated packages found for
// removal.", exit 1) the Outcome says so and the error is nil.
func Repair(ctx context.Context, r run.Runner, opts ...Option) (plan.Outcome, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return plan.Outcome{}, err
	}
	cmds := o.commands(nil)
	res, err := o.runLocked(ctx, r, cmds.Repair)
	out := outcome(cmds.Repair, res)
	var ee *run.ExitError
	if errors.As(err, &ee) && ee.Code == 1 && strings.Contains(string(res.Stderr), "No duplicated packages found for removal.") {
		return out, nil
	}
	return out, err
}
