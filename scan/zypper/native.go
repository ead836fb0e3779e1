package zypper

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/run"
)

// Command returns the zypper command NativeUpdates and NativePatches run
// for the subcommand and its arguments: zypper --non-interactive --xmlout
// [--no-refresh] [--root DIR] SUBCOMMAND ARGS... [-- OPERANDS...], with
// LC_ALL=C, and exit codes 100, 101 (updates needed) and 106 (repositories
// skipped) accepted as outcomes. It is the command for any use, a
// transaction too: without the environment of a read-only query that
// NativeUpdates and NativePatches add (ZYPP_READONLY_HACK=1,
// ZYPP_LOGFILE=/dev/null, unless NativeRefresh).
func Command(sub []string, operands []string, opts ...NativeOption) (run.Command, error) {
	o, err := buildNative(opts)
	if err != nil {
		return run.Command{}, err
	}
	return o.command(sub, operands), nil
}

func (o *nativeOptions) command(sub, operands []string) run.Command {
	args := []string{"--non-interactive", "--xmlout"}
	if !o.refresh {
		args = append(args, "--no-refresh")
	}
	if o.root != "" {
		args = append(args, "--root", o.root)
	}
	args = append(args, sub...)
	env := run.CLocale()
	if o.readOnly {
		env = append(env, queryEnv...)
	}
	return run.Command{Path: o.program, Args: args, Operands: operands,
		Env: append(env, o.env...), OKCodes: []int{100, 101, 106}}
}

// queryEnv is the environment NativeUpdates and NativePatches run zypper
// with (unless NativeRefresh, when zypper writes its caches and must hold
// its lock), so that a scan changes nothing: ZYPP_LOGFILE=/dev/null keeps
// libzypp's debug log out of /var/log/zypper.log (on the host that runs
// zypper: the log is not under --root), and ZYPP_READONLY_HACK=1 makes
// libzypp take no zypp lock (it writes its pid into the root's
// run/zypp.pid otherwise), as apt-get -s runs here with
// Debug::NoLocking. NativeEnv entries come after and win.
var queryEnv = []string{"ZYPP_READONLY_HACK=1", "ZYPP_LOGFILE=/dev/null"}

// NativeDisableRepos makes NativeUpdates and NativePatches leave out the
// repositories of the given aliases, as if the root did not enable them:
// zypper's choice per package, its patches and their statuses then come
// from the other repositories alone. zypper has no option that disables a
// repository for one command; a query restricted to repositories with -r
// ALIAS loads those alone. So with a repository to leave out, the enabled
// ones are listed first (zypper --xmlout repos), and every query after is
// restricted to those not left out (-r ALIAS each, in zypper's order; a
// search restricted to one repository whose name another shares, with
// --repo ALIAS as NativeInstalledVersions does, is run for those only).
// When none is left nothing more is asked: no version and no patch, as
// the metadata backend offers none. A native scan passes the repositories
// NativeRepoHealth finds not OK (RepoHealth.NotOK), so that zypper
// chooses among the healthy ones as the metadata backend does, and a
// version that a healthy repository offers too is attributed to it rather
// than to the one that is not OK. An alias that no enabled repository has
// is logged; an empty one is an error. Each call adds to the list.
func NativeDisableRepos(aliases ...string) NativeOption {
	return func(o *nativeOptions) error {
		for _, a := range aliases {
			if a == "" {
				return &OptionError{Option: "NativeDisableRepos", Reason: "empty repository alias"}
			}
			if !slices.Contains(o.disable, a) {
				o.disable = append(o.disable, a)
			}
		}
		return nil
	}
}

// query is the command of a query for the subcommand: restricted to the
// repositories NativeDisableRepos leaves (-r ALIAS each) once restrict
// listed them.
func (o *nativeOptions) query(sub, operands []string) run.Command {
	if o.restricted {
		sub = slices.Clone(sub)
		for _, a := range o.only {
			sub = append(sub, "-r", a)
		}
	}
	return o.command(sub, operands)
}

// restrict lists the enabled repositories when NativeDisableRepos leaves
// some out, and keeps in o.only those left. It returns the list (nil,
// with a nil error, when nothing is left out) and reports whether a
// repository is left to ask; a nil list with an error is a failure.
func restrict(ctx context.Context, r run.Runner, o *nativeOptions) (*nativeRepoList, bool, error) {
	if len(o.disable) == 0 {
		return nil, true, nil
	}
	rl, err := nativeRepos(ctx, r, o)
	if rl == nil {
		return nil, false, err
	}
	for _, a := range o.disable {
		if !slices.Contains(rl.disabled, a) {
			o.logger.Info("repository to leave out is not an enabled repository of zypper's", "alias", a)
		}
	}
	o.restricted, o.only = true, rl.aliases
	if len(rl.aliases) == 0 {
		o.logger.Info("no enabled repository is left to ask zypper about", "left out", rl.disabled)
	}
	return rl, len(rl.aliases) > 0, err
}

// skippedRE matches zypper's message for a repository it skipped.
var skippedRE = regexp.MustCompile(`^Skipping repository '(.+)' because of the above error\.`)

// runStream runs c and parses its output. Exit code 106 gives the stream
// and a *ReposSkippedError.
func runStream(ctx context.Context, r run.Runner, c run.Command) (*Stream, error) {
	res, err := r.Run(ctx, c)
	if err != nil {
		return nil, err
	}
	name := c.String()
	st, err := ParseStream(name, bytes.NewReader(res.Stdout))
	if err != nil {
		return nil, err
	}
	if res.ExitCode == 106 {
		e := &ReposSkippedError{Command: name}
		for _, m := range st.Messages {
			if sm := skippedRE.FindStringSubmatch(m.Text); sm != nil {
				e.Repos = appendUnique(e.Repos, sm[1])
			}
			if m.Type == "error" {
				e.Messages = append(e.Messages, strings.TrimSpace(m.Text))
			}
		}
		return st, e
	}
	return st, nil
}

// NativeUpdates is the native backend: it asks zypper, through r (the live
// host, or a root with NativeRoot), for its update candidates (`zypper
// --xmlout list-updates`), its patches (`list-patches --all`) and the
// packages of the patches that are needed (`info -t patch`), and returns
// zypper's candidate for every upgradable package (Candidate=true),
// classified by the patches that name it with the same rules as Updates.
// installed is the node's inventory; a candidate for a package it lacks is
// logged. With NativeInstalledVersions it also returns, with Candidate
// false and classified the same way, each installed version of the
// inventory that an enabled repository has (two more commands: `repos`
// and `search -s -t package --installed-only`). With NativeAllVersions it
// also returns, with Candidate false and classified the same way, every
// other version newer than an installed one that an enabled repository
// offers (`search -s --match-exact -t package` over the inventory's
// names). With NativeDisableRepos every query is restricted to the
// repositories left (one more command first: `repos`). The versions are
// ordered by name, architecture, then newest first. When zypper skipped
// repositories (exit 106) what it found is returned with a
// *ReposSkippedError.
func NativeUpdates(ctx context.Context, r run.Runner, installed []patchkit.Package, opts ...NativeOption) ([]patchkit.Patch, error) {
	o, err := buildNative(opts)
	if err != nil {
		return nil, err
	}
	o.readOnly = !o.refresh
	rl, left, skipErr := restrict(ctx, r, &o)
	if !left {
		return nil, skipErr
	}
	lu, err := runStream(ctx, r, o.query([]string{"list-updates"}, nil))
	if lu == nil {
		return nil, err
	}
	skipErr = errors.Join(skipErr, err)
	patches, err := nativePatches(ctx, r, &o)
	if err != nil && !errors.Is(err, ErrReposSkipped) {
		return nil, err
	}
	skipErr = errors.Join(skipErr, err)
	have := map[string]bool{}
	for _, p := range installed {
		have[p.Name] = true
	}
	byPkg := map[string][]*Patch{}
	for i := range patches {
		p := &patches[i]
		for _, e := range p.Packages {
			if l := byPkg[e.Name]; len(l) == 0 || l[len(l)-1] != p {
				byPkg[e.Name] = append(l, p)
			}
		}
	}
	name := "zypper list-updates"
	var out []patchkit.Patch
	for _, u := range lu.Updates {
		if u.Kind != "package" {
			continue
		}
		pkg, err := packageOf(u.Name, u.Edition, u.Arch)
		if err != nil {
			return nil, &OutputError{Source: name, Line: u.Line, Msg: "update " + u.Name, Err: err}
		}
		pkg.Repository = u.RepoAlias
		if len(installed) > 0 && !have[pkg.Name] {
			o.logger.Warn("zypper offers an update of a package the inventory lacks", "package", pkg.NEVRA())
		}
		c := patchkit.Patch{Package: pkg, Product: o.product, Candidate: true}
		var named []*Patch
		for _, p := range byPkg[pkg.Name] {
			if p.names(pkg) {
				named = append(named, p)
			}
		}
		if err := classify(&c, named); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if (o.installedVers || o.allVers) && rl == nil {
		if rl, err = nativeRepos(ctx, r, &o); rl == nil {
			return nil, err
		}
		skipErr = errors.Join(skipErr, err)
	}
	if o.installedVers {
		iv, err := nativeInstalled(ctx, r, &o, rl, installed, byPkg)
		if iv == nil && err != nil && !errors.Is(err, ErrReposSkipped) {
			return nil, err
		}
		skipErr = errors.Join(skipErr, err)
		out = append(out, iv...)
	}
	if o.allVers {
		nv, err := nativeNewer(ctx, r, &o, rl, installed, out, byPkg)
		if err != nil && !errors.Is(err, ErrReposSkipped) {
			return nil, err
		}
		skipErr = errors.Join(skipErr, err)
		out = append(out, nv...)
	}
	// by name and architecture, newer versions first
	slices.SortFunc(out, func(a, b patchkit.Patch) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.Arch, b.Arch); c != 0 {
			return c
		}
		return cmpEVR(b.Package, a.Package)
	})
	return out, skipErr
}

// systemRepo is the repository name zypper's search gives an installed
// package that no repository has.
const systemRepo = "(System Packages)"

// repoRef is an enabled repository as `zypper repos` lists it.
type repoRef struct {
	alias string
	prio  int
	line  int // of the <repo>
}

// nativeRepoList is what `zypper --xmlout repos` says of the enabled
// repositories, less those NativeDisableRepos leaves out: search names a
// repository by its name, not its alias.
type nativeRepoList struct {
	cmd    run.Command
	byName map[string][]repoRef
	// aliases are the enabled repositories not left out, in zypper's
	// order; disabled those left out.
	aliases, disabled []string
	// shared are the enabled repositories whose name another enabled
	// repository has, by priority then alias: each is searched by itself
	// (--repo ALIAS).
	shared []repoRef
}

func nativeRepos(ctx context.Context, r run.Runner, o *nativeOptions) (*nativeRepoList, error) {
	rc := o.command([]string{"repos"}, nil)
	rs, skipErr := runStream(ctx, r, rc)
	if rs == nil {
		return nil, skipErr
	}
	l := &nativeRepoList{cmd: rc, byName: map[string][]repoRef{}}
	for _, e := range rs.Repos {
		switch {
		case !e.Enabled:
		case slices.Contains(o.disable, e.Alias):
			l.disabled = append(l.disabled, e.Alias)
		default:
			l.byName[e.Name] = append(l.byName[e.Name], repoRef{e.Alias, e.Priority, e.Line})
			l.aliases = append(l.aliases, e.Alias)
			if len(o.disable) > 0 {
				// given to every query as -r ALIAS
				if err := checkAlias(e.Alias); err != nil {
					return nil, &OutputError{Source: rc.String(), Line: e.Line, Msg: "repository alias", Err: err}
				}
			}
		}
	}
	for _, refs := range l.byName {
		if len(refs) > 1 {
			l.shared = append(l.shared, refs...)
		}
	}
	slices.SortFunc(l.shared, func(a, b repoRef) int { return cmp.Or(cmp.Compare(a.prio, b.prio), strings.Compare(a.alias, b.alias)) })
	for _, ref := range l.shared {
		if err := checkAlias(ref.alias); err != nil {
			return nil, &OutputError{Source: rc.String(), Line: ref.line, Msg: "repository alias", Err: err}
		}
	}
	return l, skipErr
}

// refsOf resolves the repository a solvable of search c names: the
// enabled repositories of that name, or only, when the search was
// restricted with --repo, that one. A nil slice with a nil error means
// the solvable is to be taken from the searches restricted by --repo.
func (l *nativeRepoList) refsOf(c run.Command, sv Solvable, ref *repoRef, what string) ([]repoRef, error) {
	if ref != nil {
		return []repoRef{*ref}, nil
	}
	refs := l.byName[sv.Repository]
	switch {
	case len(refs) > 1:
		return nil, nil
	case len(refs) == 0:
		return nil, &OutputError{Source: c.String(), Line: sv.Line, Msg: what + " " + sv.Name + "-" + sv.Edition + "." + sv.Arch + ": repository " + strconv.Quote(sv.Repository) + " is not an enabled repository's name in " + l.cmd.String()}
	}
	return refs, nil
}

// better reports whether repository a is preferred to b: the better
// priority (lower number), then the alias.
func better(a, b repoRef) bool {
	return a.prio < b.prio || a.prio == b.prio && a.alias < b.alias
}

// nativeInstalled is NativeInstalledVersions: it asks zypper for the
// repositories that have each installed version (`search -s -t package
// --installed-only`; once more with --repo ALIAS for each enabled
// repository whose name another enabled repository shares, since search
// names repositories by name), and returns each installed version of the
// inventory that an enabled repository has, from the best of them
// (priority, then alias), classified by the patches that name it. A nil
// slice with an error is a failure; a *ReposSkippedError comes with what
// was found.
func nativeInstalled(ctx context.Context, r run.Runner, o *nativeOptions, rl *nativeRepoList, installed []patchkit.Package, byPkg map[string][]*Patch) ([]patchkit.Patch, error) {
	var skipErr error
	inv := map[string][]patchkit.Package{}
	for _, p := range installed {
		inv[p.Name] = append(inv[p.Name], p)
	}
	var installedFound bestVersions
	// found takes the installed solvables of one search; ref, when set, is
	// the repository a search with --repo was restricted to.
	found := func(c run.Command, st *Stream, ref *repoRef) error {
		name := c.String()
		for _, sv := range st.Solvables {
			if err := ctx.Err(); err != nil {
				return err
			}
			if sv.Kind != "package" || sv.Status != "installed" || sv.Repository == systemRepo || sv.Repository == "@System" {
				continue
			}
			refs, err := rl.refsOf(c, sv, ref, "installed package")
			if err != nil {
				return err
			}
			if refs == nil {
				continue // asked repository by repository
			}
			pkg, err := packageOf(sv.Name, sv.Edition, sv.Arch)
			if err != nil {
				return &OutputError{Source: name, Line: sv.Line, Msg: "installed package " + sv.Name, Err: err}
			}
			if len(installed) > 0 && !slices.ContainsFunc(inv[pkg.Name], func(p patchkit.Package) bool {
				return p.Arch == pkg.Arch && cmpEVR(p, pkg) == 0
			}) {
				o.logger.Warn("zypper shows installed a version the inventory lacks", "package", pkg.NEVRA(), "repository", refs[0].alias)
				continue
			}
			installedFound.add(pkg, refs[0])
		}
		return nil
	}
	sc := o.query([]string{"search", "-s", "-t", "package", "--installed-only"}, nil)
	ss, err := runStream(ctx, r, sc)
	if ss == nil {
		return nil, err
	}
	skipErr = errors.Join(skipErr, err)
	if err := found(sc, ss, nil); err != nil {
		return nil, err
	}
	for _, ref := range rl.shared {
		c := o.command([]string{"search", "-s", "-t", "package", "--installed-only", "--repo", ref.alias}, nil)
		st, err := runStream(ctx, r, c)
		if st == nil {
			return nil, err
		}
		skipErr = errors.Join(skipErr, err)
		if err := found(c, st, &ref); err != nil {
			return nil, err
		}
	}
	out, err := installedFound.patches(o.product, byPkg)
	if err != nil {
		return nil, err
	}
	return out, skipErr
}

// versionKey is a version of a package: name, architecture, edition.
type versionKey struct{ name, arch, ed string }

func keyOf(p patchkit.Package) versionKey { return versionKey{p.Name, p.Arch, edition(p)} }

// bestVersions collects versions as searches find them, each from the best
// repository that has it (priority, then alias), in the order first found.
type bestVersions struct {
	best  map[versionKey]repoRef
	pkgs  map[versionKey]patchkit.Package
	order []versionKey
}

func (b *bestVersions) add(pkg patchkit.Package, ref repoRef) {
	if b.best == nil {
		b.best, b.pkgs = map[versionKey]repoRef{}, map[versionKey]patchkit.Package{}
	}
	k := keyOf(pkg)
	cur, seen := b.best[k]
	if !seen {
		b.order = append(b.order, k)
		b.pkgs[k] = pkg
	}
	if !seen || better(ref, cur) {
		b.best[k] = ref
	}
}

// patches returns the versions as Patches from their best repository,
// classified by the patches of byPkg that name them.
func (b *bestVersions) patches(product string, byPkg map[string][]*Patch) ([]patchkit.Patch, error) {
	out := make([]patchkit.Patch, 0, len(b.order))
	for _, k := range b.order {
		pkg := b.pkgs[k]
		pkg.Repository = b.best[k].alias
		c := patchkit.Patch{Package: pkg, Product: product}
		var named []*Patch
		for _, p := range byPkg[pkg.Name] {
			if p.names(pkg) {
				named = append(named, p)
			}
		}
		if err := classify(&c, named); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// maxSearchOperandBytes bounds the package names given to one zypper
// search (NativeAllVersions), far below the kernel's argument limit.
const maxSearchOperandBytes = 64 << 10

// chunkNames splits names into runs whose bytes (with a separator each)
// stay within max; a name longer than max is a run of its own.
func chunkNames(names []string, max int) [][]string {
	var out [][]string
	start, n := 0, 0
	for i, s := range names {
		if i > start && n+len(s)+1 > max {
			out = append(out, names[start:i])
			start, n = i, 0
		}
		n += len(s) + 1
	}
	if start < len(names) {
		out = append(out, names[start:])
	}
	return out
}

// nativeNewer is NativeAllVersions: it asks zypper for every version of
// the installed names (`search -s --match-exact -t package -- NAME...`,
// names chunked by maxSearchOperandBytes; once more per chunk with --repo
// ALIAS for each enabled repository whose name another enabled repository
// shares) and returns every version newer than the newest installed one
// of an architecture it may update (the same architecture, or to or from
// noarch), except those already in have (the candidates), from the best
// repository that has it (priority, then alias), with Candidate false and
// classified by the patches that name it.
func nativeNewer(ctx context.Context, r run.Runner, o *nativeOptions, rl *nativeRepoList, installed []patchkit.Package, have []patchkit.Patch, byPkg map[string][]*Patch) ([]patchkit.Patch, error) {
	inst, err := newInstalledSet(installed)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(inst.byName))
	for n := range inst.byName {
		if err := checkPackageName(n); err != nil {
			return nil, &OptionError{Option: "installed", Reason: err.Error()}
		}
		names = append(names, n)
	}
	slices.Sort(names)
	done := map[versionKey]bool{}
	for _, p := range have {
		done[keyOf(p.Package)] = true
	}
	var newerFound bestVersions
	var skipErr error
	found := func(c run.Command, st *Stream, ref *repoRef) error {
		name := c.String()
		for _, sv := range st.Solvables {
			if err := ctx.Err(); err != nil {
				return err
			}
			if sv.Kind != "package" || sv.Status == "installed" || sv.Repository == systemRepo || sv.Repository == "@System" {
				continue
			}
			refs, err := rl.refsOf(c, sv, ref, "package")
			if err != nil {
				return err
			}
			if refs == nil {
				continue // asked repository by repository
			}
			pkg, err := packageOf(sv.Name, sv.Edition, sv.Arch)
			if err != nil {
				return &OutputError{Source: name, Line: sv.Line, Msg: "package " + sv.Name, Err: err}
			}
			if _, ok := inst.byName[pkg.Name]; !ok {
				return &OutputError{Source: name, Line: sv.Line, Msg: "package " + pkg.NEVRA() + " is none of the names asked for (--match-exact)"}
			}
			newer := false
			for _, g := range inst.newest(pkg.Name) {
				if updateArchOK(g.Arch, pkg.Arch) && cmpEVR(pkg, g) > 0 {
					newer = true
				}
			}
			if !newer || done[keyOf(pkg)] {
				continue
			}
			newerFound.add(pkg, refs[0])
		}
		return nil
	}
	search := func(chunk []string, ref *repoRef) error {
		var c run.Command
		if ref != nil {
			c = o.command([]string{"search", "-s", "--match-exact", "-t", "package", "--repo", ref.alias}, chunk)
		} else {
			c = o.query([]string{"search", "-s", "--match-exact", "-t", "package"}, chunk)
		}
		st, err := runStream(ctx, r, c)
		if st == nil {
			return err
		}
		skipErr = errors.Join(skipErr, err)
		return found(c, st, ref)
	}
	for _, chunk := range chunkNames(names, maxSearchOperandBytes) {
		if err := search(chunk, nil); err != nil {
			return nil, err
		}
		for _, ref := range rl.shared {
			if err := search(chunk, &ref); err != nil {
				return nil, err
			}
		}
	}
	out, err := newerFound.patches(o.product, byPkg)
	if err != nil {
		return nil, err
	}
	return out, skipErr
}

// checkPackageName accepts a package name of the inventory as an operand
// of zypper search: not empty, not starting with '-', no space or control
// character, no glob character.
func checkPackageName(n string) error {
	if n == "" || n[0] == '-' {
		return errors.New("package name " + strconv.Quote(n) + " is empty or starts with '-'")
	}
	for _, c := range n {
		if c <= 0x20 || c == 0x7f || strings.ContainsRune("*?[]", c) {
			return errors.New("package name " + strconv.Quote(n) + " contains " + strconv.QuoteRune(c))
		}
	}
	return nil
}

// checkAlias accepts a repository alias read from zypper's output as the
// argument of --repo: not empty, not starting with '-', no control
// characters.
func checkAlias(a string) error {
	if a == "" || a[0] == '-' {
		return errors.New(strconv.Quote(a) + " is empty or starts with '-'")
	}
	for _, c := range a {
		if c < 0x20 || c == 0x7f {
			return errors.New(strconv.Quote(a) + " contains a control character")
		}
	}
	return nil
}

// NativePatches asks zypper for its patches (`zypper --xmlout list-patches
// --all`) and, for those whose status is needed, optional, unwanted or
// retracted, the packages they name (`zypper --xmlout info -t patch`);
// with NativeInstalledVersions, for every patch that is not not-needed.
func NativePatches(ctx context.Context, r run.Runner, opts ...NativeOption) ([]Patch, error) {
	o, err := buildNative(opts)
	if err != nil {
		return nil, err
	}
	o.readOnly = !o.refresh
	_, left, skipErr := restrict(ctx, r, &o)
	if !left {
		return nil, skipErr
	}
	patches, err := nativePatches(ctx, r, &o)
	if patches == nil && err != nil && !errors.Is(err, ErrReposSkipped) {
		return nil, err
	}
	return patches, errors.Join(skipErr, err)
}

// maxInfoOperands bounds the patch names given to one zypper info.
const maxInfoOperands = 500

func nativePatches(ctx context.Context, r run.Runner, o *nativeOptions) ([]Patch, error) {
	c := o.query([]string{"list-patches", "--all"}, nil)
	st, skipErr := runStream(ctx, r, c)
	if st == nil {
		return nil, skipErr
	}
	var patches []Patch
	for _, l := range [][]Update{st.Updates, st.Blocked} {
		for _, u := range l {
			if u.Kind != "patch" {
				continue
			}
			p, err := patchOfUpdate(c.String(), u)
			if err != nil {
				return nil, err
			}
			patches = append(patches, p)
		}
	}
	var names []string
	for _, p := range patches {
		// With NativeInstalledVersions, the patches that name an installed
		// version are wanted too: they are applied (or needed for another
		// of their packages); a not-needed patch names no installed
		// package.
		if p.Status.Broken() || p.Status == StatusRetracted || (o.installedVers || o.allVers) && p.Status != StatusNotNeeded {
			if err := checkPatchName(p.Name); err != nil {
				return nil, &OutputError{Source: c.String(), Msg: "patch name", Err: err}
			}
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
	}
	pkgs := map[string][]patchkit.Package{}
	for len(names) > 0 {
		n := min(len(names), maxInfoOperands)
		ic := o.query([]string{"info", "-t", "patch"}, names[:n])
		names = names[n:]
		is, err := runStream(ctx, r, ic)
		if is == nil {
			return nil, err
		}
		skipErr = errors.Join(skipErr, err)
		infos, err := infoPatches(ic.String(), is)
		if err != nil {
			return nil, err
		}
		for _, ip := range infos {
			for _, e := range ip.Packages {
				if !slices.ContainsFunc(pkgs[ip.Name], func(x patchkit.Package) bool {
					return x.Name == e.Name && x.Arch == e.Arch && cmpEVR(x, e) == 0
				}) {
					pkgs[ip.Name] = append(pkgs[ip.Name], e)
				}
			}
		}
	}
	for i := range patches {
		patches[i].Packages = pkgs[patches[i].Name]
	}
	return patches, skipErr
}

func infoPatches(name string, st *Stream) ([]Patch, error) {
	var out []Patch
	for _, m := range st.Messages {
		if m.Type != "info" || !strings.HasPrefix(m.Text, "Repository") {
			continue
		}
		p, err := parseInfoBlock(name, m.Text)
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}

// checkPatchName accepts the characters patch IDs are made of, so that a
// name read from zypper's output can go back on its command line.
func checkPatchName(n string) error {
	if n == "" || n[0] == '-' {
		return errors.New(strconv.Quote(n) + " is empty or starts with '-'")
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._:+-~", c) >= 0) {
			return errors.New(strconv.Quote(n) + " contains " + strconv.QuoteRune(rune(c)))
		}
	}
	return nil
}
