package apt

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/run"
)

// NativeOption configures NativeUpdates.
type NativeOption func(*nativeOptions) error

type nativeOptions struct {
	aptGet, aptCache string
	aptConfig        string
	aptOpts          []string // "Key=Value" for -o
	defaultRelease   string
	product          string
	logger           *slog.Logger
	// installedVersions: NativeInstalledVersions
	installedVersions bool
	describe          bool // NativeDescribe
	allVersions       bool // NativeAllVersions
	readOnly          bool // NativeReadOnly
}

// NativeAptConfig runs apt with APT_CONFIG=path in its environment: the
// configuration file of a private apt root (its Dir, Dir::State::status
// and so on). path is absolute.
func NativeAptConfig(path string) NativeOption {
	return func(o *nativeOptions) error {
		if !strings.HasPrefix(path, "/") {
			return &OptionError{Option: "NativeAptConfig", Reason: quote(path) + " is not an absolute path"}
		}
		o.aptConfig = path
		return nil
	}
}

// NativeAptOption passes "-o key=value" to apt (Dir::State::status=...,
// APT::Architectures=...). apt applies -o options after reading its
// configuration files, so a root with an apt.conf.d of its own is better
// named with NativeAptConfig (a file that sets Dir). Options that change
// what apt prints are refused, since the output is parsed: key must not be
// quiet, APT::Get::Show-Upgraded, APT::Get::Simulate or Debug::*.
func NativeAptOption(key, value string) NativeOption {
	return func(o *nativeOptions) error {
		k := strings.ToLower(key)
		switch {
		case key == "" || strings.ContainsAny(key, "= \t"):
			return &OptionError{Option: "NativeAptOption", Reason: "invalid key " + quote(key)}
		case k == "quiet" || k == "apt::get::show-upgraded" || k == "apt::get::simulate" || strings.HasPrefix(k, "debug::"):
			return &OptionError{Option: "NativeAptOption", Reason: key + " changes the output that is parsed"}
		}
		o.aptOpts = append(o.aptOpts, key+"="+value)
		return nil
	}
}

// NativeReadOnly, when true, makes apt write nothing: apt-get and
// apt-cache save their binary caches (Dir::Cache::pkgcache and
// srcpkgcache, var/cache/apt/*.bin) whenever they find them stale (after
// apt update or any dpkg run) or missing, and apt-get -s writes its
// planner's log (Dir::Log::Planner, var/log/apt/eipp.log.xz) on every
// simulation. The commands then run with "-o Dir::Cache::pkgcache= -o
// Dir::Cache::srcpkgcache= -o Dir::Log::Planner=", which apt reads as no
// file: each command builds the cache in memory instead of reading or
// saving it. That is what apt does anyway where the caches are stale or
// disabled (Debian's container images disable them); on a host whose
// fresh cache apt would have read, each command takes the time to build
// it: half a second with Debian 12's main, updates and security lists
// (apt-cache policy: 0.01 s from a fresh cache, 0.5 s without), for each
// of the one to three commands NativeUpdates runs. Off by default (the
// commands are those of the recordings the tests replay); scan.Scan turns
// it on.
func NativeReadOnly(on bool) NativeOption {
	return func(o *nativeOptions) error {
		o.readOnly = on
		return nil
	}
}

// NativeDefaultRelease sets APT::Default-Release, as apt-get -t does.
func NativeDefaultRelease(rel string) NativeOption {
	return func(o *nativeOptions) error {
		o.defaultRelease = rel
		return nil
	}
}

// NativeProduct sets the Patch Manager product put in every Patch.Product.
func NativeProduct(p string) NativeOption {
	return func(o *nativeOptions) error {
		o.product = p
		return nil
	}
}

// NativeLogger sets the logger; the default discards everything.
func NativeLogger(l *slog.Logger) NativeOption {
	return func(o *nativeOptions) error {
		if l == nil {
			return &OptionError{Option: "NativeLogger", Reason: "nil logger"}
		}
		o.logger = l
		return nil
	}
}

// NativePrograms sets the absolute paths of apt-get and apt-cache
// (default /usr/bin/apt-get and /usr/bin/apt-cache).
func NativePrograms(aptGet, aptCache string) NativeOption {
	return func(o *nativeOptions) error {
		if !strings.HasPrefix(aptGet, "/") || !strings.HasPrefix(aptCache, "/") {
			return &OptionError{Option: "NativePrograms", Reason: "paths must be absolute"}
		}
		o.aptGet, o.aptCache = aptGet, aptCache
		return nil
	}
}

func buildNative(opts []NativeOption) (*nativeOptions, error) {
	o := &nativeOptions{aptGet: "/usr/bin/apt-get", aptCache: "/usr/bin/apt-cache", logger: slog.New(slog.DiscardHandler)}
	for _, f := range opts {
		if f == nil {
			continue
		}
		if err := f(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (o *nativeOptions) common() ([]string, []string) {
	args := []string{"-o", "Debug::NoLocking=1", "-o", "quiet=1"}
	if o.readOnly {
		args = append(args, "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=", "-o", "Dir::Log::Planner=")
	}
	if o.defaultRelease != "" {
		args = append(args, "-o", "APT::Default-Release="+o.defaultRelease)
	}
	for _, kv := range o.aptOpts {
		args = append(args, "-o", kv)
	}
	env := run.CLocale()
	if o.aptConfig != "" {
		env = append(env, "APT_CONFIG="+o.aptConfig)
	}
	return args, env
}

// SimulateCommand returns the command NativeUpdates runs first:
//
//	apt-get -o Debug::NoLocking=1 -o quiet=1 [-o ...] -s
//	        -o APT::Get::Show-Upgraded=true --ignore-hold dist-upgrade
//
// dist-upgrade (rather than upgrade) because it moves every package it can
// to apt's candidate, installing new dependencies where needed, so that its
// Inst lines name the candidate of every upgradable package whose
// dependencies can be met; upgrade keeps back every package whose new
// version needs a new package. --ignore-hold makes held packages show
// their candidate too (Debug::NoLocking lets it run beside another apt;
// nothing is changed, -s only simulates).
func SimulateCommand(opts ...NativeOption) (run.Command, error) {
	o, err := buildNative(opts)
	if err != nil {
		return run.Command{}, err
	}
	return o.simulate(), nil
}

func (o *nativeOptions) simulate() run.Command {
	args, env := o.common()
	args = append(args, "-s", "-o", "APT::Get::Show-Upgraded=true", "--ignore-hold", "dist-upgrade")
	return run.Command{Path: o.aptGet, Args: args, Env: env}
}

func (o *nativeOptions) policy(names []string) run.Command {
	args, env := o.common()
	args = append(args, "policy")
	return run.Command{Path: o.aptCache, Args: args, Operands: names, Env: env}
}

// NativeUpdates asks apt itself through the runner r: it simulates a
// dist-upgrade (SimulateCommand) and reads the Inst lines, which give
// apt's candidate of every package it would upgrade, with its origins; the
// packages apt keeps back (dependencies it cannot meet, phased updates)
// are then looked up with one apt-cache policy call. Each upgrade of an
// installed package becomes a Patch with Candidate set; new installs,
// removals and downgrades the simulation also plans are not patches. With
// NativeInstalledVersions(true), one apt-cache policy call names every
// installed package instead, and the installed versions a repository
// offers are returned too, with Candidate false. Neither command prints a
// version's Section or Priority; NativeDescribe(true) looks them up (one
// apt-cache show, some 4 ms per version on a Debian host), which a
// baseline that filters on PRIORITY needs.
//
// Repository is apt's origin string for every version, as apt-get -s
// prints it ("Debian-Security:12/oldstable-security", several joined with
// ", "). apt-cache policy NAME describes a version's files instead
// ("URI suite/component arch Packages"), so when it gave a version (a
// kept-back candidate, or a version of NativeInstalledVersions or
// NativeAllVersions) one more apt-cache policy call, without operands,
// lists apt's package files with the Release fields of each (label,
// version, suite, host), from which the origin is made as apt makes it.
//
// The output is checked against itself: the summary line's counts must
// equal the actions listed, the "will be upgraded" list the Inst lines,
// and the kept-back list the "not upgraded" count. When installed is not
// empty, every upgraded package must be in it at the version apt says is
// installed. Any mismatch is an *OutputError.
func NativeUpdates(ctx context.Context, r run.Runner, installed []patchkit.Package, opts ...NativeOption) ([]patchkit.Patch, error) {
	o, err := buildNative(opts)
	if err != nil {
		return nil, err
	}
	res, err := r.Run(ctx, o.simulate())
	if err != nil {
		return nil, fmt.Errorf("scan/apt: simulating dist-upgrade: %w", err)
	}
	sim, err := ParseSimulation(res.Stdout)
	if err != nil {
		return nil, err
	}
	if err := sim.Check(); err != nil {
		return nil, err
	}
	inv := newInventoryIndex(installed)
	qualified := map[string][]string{}
	for _, a := range sim.Actions {
		if a.Qualifier != "" {
			qualified[a.Name] = append(qualified[a.Name], a.Qualifier)
		}
	}
	fo := &fileOrigins{o: o, r: r}
	var asked []askedPackage
	if o.installedVersions || o.allVersions {
		if asked, err = o.askInstalled(ctx, r, installed, maxPolicyOperandBytes); err != nil {
			return nil, err
		}
	}
	var out []patchkit.Patch
	for _, a := range sim.Actions {
		if !a.Upgrade() {
			continue
		}
		want := ""
		if inv != nil {
			p, reason := inv.find(a.Name, a.Qualifier, a.Arch, a.Old, qualified[a.Name])
			if reason != "" {
				return nil, outputErr(simCmd, a.Line, "", reason)
			}
			want = p.Want
		}
		pk, err := patchkit.ParseDpkg(a.Name+":"+a.Arch, a.New)
		if err != nil {
			return nil, outputErr(simCmd, a.Line, "", err.Error())
		}
		p := patchkit.Patch{Package: pk, Product: o.product, Candidate: true}
		texts := make([]string, len(a.Origins))
		for i, og := range a.Origins {
			texts[i] = og.Text
			p.Security = p.Security || securityFromString(og)
		}
		p.Repository = strings.Join(texts, ", ")
		if p.Security {
			p.Classification = "Security"
		}
		if want == "hold" {
			p.Want = "hold"
		}
		out = append(out, p)
	}
	if len(sim.KeptBack) > 0 {
		kept, err := o.keptBack(ctx, r, sim.KeptBack, inv, asked, fo)
		if err != nil {
			return nil, err
		}
		out = append(out, kept...)
	}
	if o.allVersions {
		more, err := o.otherNewer(ctx, asked, out, fo)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	for _, a := range asked {
		if !o.installedVersions {
			break
		}
		p, ok, err := o.installedPatch(ctx, a, fo)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b patchkit.Patch) int {
		if c := cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Arch, b.Arch)); c != 0 {
			return c
		}
		return patchkit.Deb.Compare(a.EVR(), b.EVR())
	})
	if o.describe && len(out) > 0 {
		if err := o.describePatches(ctx, r, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Check compares the simulation's summary line with its actions and
// package lists; a simulation without a summary line (apt-get -qq) fails.
func (s *Simulation) Check() error {
	sum := s.Summary
	if sum == nil {
		return outputErr(simCmd, 0, "", "no summary line (\"N upgraded, N newly installed, ...\")")
	}
	var up, inst, down, reinst, remove int
	var upNames []string
	for _, a := range s.Actions {
		switch a.Kind {
		case ActionInstall:
			switch c := patchkit.Deb.Compare(a.New, a.Old); {
			case a.Old == "":
				inst++
			case c > 0:
				up++
				upNames = append(upNames, a.displayName())
			case c < 0:
				down++
			default:
				reinst++
			}
		case ActionRemove, ActionPurge:
			remove++
		}
	}
	mismatch := func(what string, listed, said int) error {
		return outputErr(simCmd, sum.Line, "", fmt.Sprintf("%d %s listed, the summary says %d", listed, what, said))
	}
	switch {
	case up != sum.Upgraded:
		return mismatch("upgrades", up, sum.Upgraded)
	case inst != sum.NewlyInstalled:
		return mismatch("new installs", inst, sum.NewlyInstalled)
	case down != sum.Downgraded:
		return mismatch("downgrades", down, sum.Downgraded)
	case reinst != sum.Reinstalled:
		return mismatch("reinstalls", reinst, sum.Reinstalled)
	case remove != sum.Remove:
		return mismatch("removals", remove, sum.Remove)
	case len(s.KeptBack) != sum.NotUpgraded:
		return mismatch("kept-back packages", len(s.KeptBack), sum.NotUpgraded)
	}
	if listed, ok := s.Sections["The following packages will be upgraded"]; ok || up > 0 {
		a, b := slices.Sorted(slices.Values(listed)), slices.Sorted(slices.Values(upNames))
		if !slices.Equal(a, b) {
			return outputErr(simCmd, sum.Line, "", fmt.Sprintf("the \"will be upgraded\" list (%d names) differs from the Inst lines (%d upgrades)", len(a), len(b)))
		}
	}
	return nil
}

func (a Action) displayName() string {
	if a.Qualifier != "" {
		return a.Name + ":" + a.Qualifier
	}
	return a.Name
}

// keptBack looks the packages apt kept back up with apt-cache policy:
// their candidate is a Patch (Candidate set) when newer than the installed
// version. apt-cache policy prints neither the version's architecture nor
// its Release origin: Arch is the installed package's, and Repository is
// the origins of the candidate's files (fo: apt-cache policy's package
// files); Security follows the suite and the host.
//
// asked holds apt-cache policy's answers about the installed packages
// when NativeInstalledVersions asked for them; the kept-back packages are
// then looked up there rather than asked again.
func (o *nativeOptions) keptBack(ctx context.Context, r run.Runner, names []string, inv *inventoryIndex, asked []askedPackage, fo *fileOrigins) ([]patchkit.Patch, error) {
	for _, n := range names {
		nm, q, _ := strings.Cut(n, ":")
		if patchkit.ValidateName(patchkit.Deb, nm) != nil || (q != "" && patchkit.ValidateArch(patchkit.Deb, q) != nil) {
			return nil, outputErr(simCmd, 0, n, "invalid package name in the kept-back list")
		}
	}
	var pols []CachePolicy
	if len(asked) > 0 {
		byName := make(map[string]CachePolicy, len(asked))
		for _, a := range asked {
			n := a.cp.Name
			if a.cp.Qualifier != "" {
				n += ":" + a.cp.Qualifier
			}
			byName[n] = a.cp
		}
		for _, n := range names {
			cp, ok := byName[n]
			if !ok {
				return nil, outputErr(simCmd, 0, n, "apt keeps back a package the inventory does not list")
			}
			pols = append(pols, cp)
		}
	} else {
		res, err := r.Run(ctx, o.policy(names))
		if err != nil {
			return nil, fmt.Errorf("scan/apt: apt-cache policy of kept-back packages: %w", err)
		}
		if pols, err = ParseCachePolicy(res.Stdout); err != nil {
			return nil, err
		}
		if len(pols) != len(names) {
			return nil, outputErr(policyCmd, 0, "", fmt.Sprintf("%d packages asked, %d answered", len(names), len(pols)))
		}
	}
	var out []patchkit.Patch
	for _, cp := range pols {
		if cp.Installed == "" || cp.Candidate == "" || patchkit.Deb.Compare(cp.Candidate, cp.Installed) <= 0 {
			continue
		}
		var cv *PolicyVersion
		for i := range cp.Versions {
			if cp.Versions[i].Version == cp.Candidate {
				cv = &cp.Versions[i]
			}
		}
		if cv == nil {
			return nil, outputErr(policyCmd, cp.Line, "", "candidate "+cp.Candidate+" of "+cp.Name+" is not in its version table")
		}
		arch, want := cp.Qualifier, ""
		if inv != nil {
			p, reason := inv.find(cp.Name, cp.Qualifier, "", cp.Installed, nil)
			if reason != "" {
				return nil, outputErr(policyCmd, cp.Line, "", reason)
			}
			arch, want = p.Arch, p.Want
		}
		pk, err := patchkit.ParseDpkg(cp.Name, cp.Candidate)
		if err != nil {
			return nil, outputErr(policyCmd, cp.Line, "", err.Error())
		}
		pk.Arch = arch
		p := patchkit.Patch{Package: pk, Product: o.product, Candidate: true}
		var srcs []PolicySource
		for _, s := range cv.Sources {
			if !s.Status() {
				srcs = append(srcs, s)
			}
		}
		if p.Repository, p.Security, err = fo.of(ctx, srcs); err != nil {
			return nil, err
		}
		if p.Security {
			p.Classification = "Security"
		}
		if want == "hold" {
			p.Want = "hold"
		}
		o.logger.Info("apt keeps a package back", "package", cp.Name, "candidate", cp.Candidate)
		out = append(out, p)
	}
	return out, nil
}

// inventoryIndex finds installed packages by name and version.
type inventoryIndex struct {
	byName map[string][]patchkit.Package
}

func newInventoryIndex(installed []patchkit.Package) *inventoryIndex {
	if len(installed) == 0 {
		return nil
	}
	ix := &inventoryIndex{byName: map[string][]patchkit.Package{}}
	for _, p := range installed {
		if p.State == patchkit.StateConfigFiles || p.State == patchkit.StateNotInstalled {
			continue
		}
		ix.byName[p.Name] = append(ix.byName[p.Name], p)
	}
	return ix
}

// find returns the installed package apt names name (with its qualifier,
// "" for the native architecture) at version old. newArch is the
// architecture of the new version when known; qualifiers are the
// architectures apt qualifies this name with elsewhere in its output.
func (ix *inventoryIndex) find(name, qualifier, newArch, old string, qualifiers []string) (patchkit.Package, string) {
	var cands []patchkit.Package
	for _, p := range ix.byName[name] {
		if patchkit.Deb.Compare(p.EVR(), old) != 0 {
			continue
		}
		if qualifier != "" {
			if p.Arch == qualifier {
				cands = append(cands, p)
			}
			continue
		}
		if !slices.Contains(qualifiers, p.Arch) {
			cands = append(cands, p)
		}
	}
	if len(cands) > 1 {
		var narrowed []patchkit.Package
		for _, p := range cands {
			if p.Arch == "all" || (newArch != "" && p.Arch == newArch) {
				narrowed = append(narrowed, p)
			}
		}
		cands = narrowed
	}
	id := name
	if qualifier != "" {
		id += ":" + qualifier
	}
	switch len(cands) {
	case 1:
		return cands[0], ""
	case 0:
		return patchkit.Package{}, "apt says " + id + " " + old + " is installed; the inventory does not list it"
	}
	return patchkit.Package{}, "apt's " + id + " " + old + " matches several installed packages"
}
