package apt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
	aptrepo "github.com/patchkit/patchkit/repo/apt"
)

// Updates is the metadata backend: it reads the apt configuration of the
// root fsys (sources, preferences, apt.conf), the verified lists of every
// enabled repository (or fresh metadata with WithRefresh) and computes what
// apt would: for every installed package, every available version newer
// than the installed one of the same name and architecture, each as a
// patchkit.Patch, with Candidate set on apt's candidate (apt-cache policy's
// Candidate). It runs no command.
//
// installed is the node's inventory (scan.Inventory.Packages, or
// scan/dpkg.Read). Packages that are not installed (config-files,
// not-installed) are not upgraded, as apt has no current version for them.
// With WithInstalledVersions it also returns the installed version of each
// installed package that a healthy repository offers, with Candidate
// false. With WithNotInstalled it passes every version offered of each
// package that is not installed to a callback, before it returns.
//
// Every enabled repository gets one repo.Status: a repository whose
// metadata is missing, unsigned, expired or damaged is reported with that
// Health and offers nothing. A malformed configuration file (sources,
// preferences, apt.conf) is an error, as it is for apt.
func Updates(ctx context.Context, fsys fs.FS, installed []patchkit.Package, opts ...Option) ([]patchkit.Patch, []repo.Status, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	st, err := collect(ctx, fsys, installed, o)
	if err != nil {
		return nil, nil, err
	}
	ps := st.patches(o)
	if o.notInstalled != nil {
		st.emitNotInstalled(o)
	}
	return ps, st.statuses, nil
}

// scanState is what one run of the metadata backend collected.
type scanState struct {
	pol      *policy
	entries  []*pkgEntry
	statuses []repo.Status
	// With WithNotInstalled: the records of packages that are not
	// installed, per repository in the sources' order, and the index in
	// pol.files of each repository's first file.
	others    []offerList
	otherBase []int
	// held: the packages in config-files or not-installed state that dpkg
	// holds (selection "hold").
	held map[nameArch]bool
}

func collect(ctx context.Context, fsys fs.FS, installed []patchkit.Package, o *options) (*scanState, error) {
	cfg, err := loadAptConfig(ctx, fsys, o.aptConfig)
	if err != nil {
		return nil, err
	}
	native := o.debArch
	if v, ok := cfg.get("apt::architecture"); ok && v != "" {
		native = v
	}
	archs, err := architectures(fsys, cfg, native)
	if err != nil {
		return nil, err
	}
	entries, byKey, held, err := installedEntries(installed, native)
	if err != nil {
		return nil, err
	}
	prefs, err := readPreferences(ctx, fsys, cfg.file("dir::etc::preferences"), cfg.file("dir::etc::preferencesparts"))
	if err != nil {
		return nil, err
	}
	srcs, err := loadSources(ctx, fsys, cfg)
	if err != nil {
		return nil, err
	}
	specs := reposOf(ctx, fsys, cfg, srcs, archs)

	pol := &policy{native: native, m: newMatcher()}
	st := &scanState{pol: pol, entries: entries, held: held}
	listsDir := cfg.file("dir::state::lists")
	lists := subRoot{root: fsys, dir: rel(listsDir)}
	// The lists are verified at the scan's time, with no network client.
	verify := repo.DefaultPolicy()
	verify.Now = func() time.Time { return o.now }
	results := make([]repoResult, len(specs))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for i, sp := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = readRepo(ctx, o, verify, lists, sp, byKey, native, archs)
			st := results[i].status
			if st.Health != repo.HealthOK {
				o.logger.Warn("apt repository not used", "repository", st.Name, "health", st.Health, "reason", st.Reason)
			} else {
				o.logger.Debug("apt repository read", "repository", st.Name, "packages", st.Packages)
			}
			if o.progress != nil {
				mu.Lock()
				done++
				o.progress(Progress{Repository: st.Name, Done: done, Total: len(specs), Packages: st.Packages})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Merge in the sources' order: a version's files are in the order apt
	// reads them.
	intern := map[string]string{}
	for _, res := range results {
		st.statuses = append(st.statuses, res.status)
		base := len(pol.files)
		pol.files = append(pol.files, res.files...)
		for _, f := range res.found {
			st.addRecord(f.e, f.rec, f.pkg, base+f.fi, intern)
		}
		if o.notInstalled != nil {
			st.others = append(st.others, res.others)
			st.otherBase = append(st.otherBase, base)
		}
	}

	// dpkg's status file offers the installed versions.
	statusIdx := len(pol.files)
	pol.files = append(pol.files, &pkgFile{status: true, component: "now", desc: cfg.statusFile()})
	for _, e := range entries {
		st.addInstalled(e, statusIdx)
	}

	// APT::Default-Release, then the preferences, in apt's order.
	defRel, hasDefRel := cfg.get("apt::default-release")
	if o.hasDefaultRel {
		defRel, hasDefRel = o.defaultRelease, true
	}
	if hasDefRel && defRel != "" {
		if !pol.releaseAvailable(defRel) {
			return nil, &ConfigError{Msg: fmt.Sprintf("the value %s is invalid for APT::Default-Release as such a release is not available in the sources", quote(defRel))}
		}
		pol.pins = append(pol.pins, pin{file: "APT::Default-Release", typ: pinRelease, data: defRel, priority: 990, rel: parseReleaseSpec(defRel)})
	}
	pol.pins = append(pol.pins, prefs...)
	pol.filePriorities()
	for _, e := range entries {
		slices.SortStableFunc(e.versions, func(a, b *version) int { return patchkit.Deb.Compare(b.ver, a.ver) })
	}
	pol.versionPins(entries)
	for _, e := range entries {
		e.cand = pol.candidate(e)
	}
	return st, nil
}

// releaseAvailable is apt's check of APT::Default-Release: some file's
// archive, codename or version matches it, or it is a key=value form.
func (p *policy) releaseAvailable(rel string) bool {
	if len(rel) > 2 && rel[1] == '=' {
		return true
	}
	for _, f := range p.files {
		if f.status {
			continue
		}
		for _, field := range []string{f.archive, f.codename, f.version} {
			if field != "" && p.m.match(rel, field) {
				return true
			}
		}
	}
	return false
}

// architectures returns the architectures apt reads indexes for: the
// native one and the foreign ones (APT::Architectures, else dpkg's arch
// file next to its status file).
func architectures(fsys fs.FS, cfg *aptConfig, native string) ([]string, error) {
	out := []string{native}
	add := func(a string) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if l := cfg.list("apt::architectures"); len(l) > 0 {
		for _, a := range l {
			add(a)
		}
		return out, nil
	}
	archFile := path.Join(path.Dir(cfg.statusFile()), "arch")
	data, err := rootfs.ReadFile(fsys, rel(archFile), 1<<16)
	switch {
	case err == nil:
		for i, line := range strings.Split(string(data), "\n") {
			a := strings.TrimSpace(line)
			if a == "" {
				continue
			}
			if err := patchkit.ValidateArch(patchkit.Deb, a); err != nil {
				return nil, &ConfigError{File: archFile, Line: i + 1, Msg: "invalid architecture " + quote(a)}
			}
			add(a)
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, &ConfigError{File: archFile, Msg: "cannot read", Err: err}
	}
	return out, nil
}

type nameArch struct{ name, arch string }

// installedEntries turns the inventory into one entry per installed name
// and apt architecture ("all" belongs to the native one). It also returns
// the packages that are not installed (config-files, not-installed) but
// held, nil when there are none.
func installedEntries(installed []patchkit.Package, native string) ([]*pkgEntry, map[nameArch]*pkgEntry, map[nameArch]bool, error) {
	byKey := map[nameArch]*pkgEntry{}
	var (
		entries []*pkgEntry
		held    map[nameArch]bool
	)
	for _, p := range installed {
		id := p.QualifiedName()
		if p.Scheme != patchkit.Deb {
			return nil, nil, nil, &InventoryError{Package: id, Reason: "not a Debian package (scheme " + p.Scheme.String() + ")"}
		}
		if p.State == patchkit.StateConfigFiles || p.State == patchkit.StateNotInstalled {
			if p.Want == "hold" {
				if held == nil {
					held = map[nameArch]bool{}
				}
				held[nameArch{p.Name, aptArch(p.Arch, native)}] = true
			}
			continue
		}
		if p.State != "" && !p.State.Valid() {
			return nil, nil, nil, &InventoryError{Package: id, Reason: "unknown state " + quote(string(p.State))}
		}
		if err := patchkit.ValidateName(patchkit.Deb, p.Name); err != nil {
			return nil, nil, nil, &InventoryError{Package: id, Reason: err.Error()}
		}
		arch := p.Arch
		if arch != "" {
			if err := patchkit.ValidateArch(patchkit.Deb, arch); err != nil {
				return nil, nil, nil, &InventoryError{Package: id, Reason: err.Error()}
			}
		}
		if err := patchkit.Deb.Validate(p.EVR()); err != nil {
			return nil, nil, nil, &InventoryError{Package: id, Reason: err.Error()}
		}
		k := nameArch{p.Name, aptArch(arch, native)}
		if _, dup := byKey[k]; dup {
			return nil, nil, nil, &InventoryError{Package: id, Reason: "listed twice for apt's architecture " + k.arch}
		}
		e := &pkgEntry{name: p.Name, arch: k.arch, installed: p}
		byKey[k] = e
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b *pkgEntry) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.arch, b.arch))
	})
	return entries, byKey, held, nil
}

// aptArch is the architecture of the package apt files a version under:
// "all" (and an unknown architecture) under the native one.
func aptArch(a, native string) string {
	if a == "" || a == "all" {
		return native
	}
	return a
}

// repoResult is what reading one repository gave: its status, its index
// files and the records of installed packages (file indexes relative to
// files), and with WithNotInstalled the records of the packages that are
// not installed.
type repoResult struct {
	status repo.Status
	files  []*pkgFile
	found  []foundRecord
	others offerList
}

type foundRecord struct {
	e   *pkgEntry
	rec aptrepo.Package
	pkg patchkit.Package
	fi  int // index into repoResult.files
}

// readRepo reads one repository's verified metadata and keeps the records
// of installed packages, and with WithNotInstalled those of the packages
// of apt's architectures archs that are not installed. Only a repository
// read whole offers its versions: any error makes its status unhealthy and
// its result empty. It reads shared state only, so repositories are read
// concurrently.
func readRepo(ctx context.Context, o *options, verify repo.Policy, lists fs.FS, sp repoSpec,
	byKey map[nameArch]*pkgEntry, native string, archs []string) repoResult {
	r := sp.repo
	name := r.Name()
	fail := func(n int, err error) repoResult {
		st := repo.StatusOf(name, err)
		st.Packages = n
		return repoResult{status: st}
	}
	if sp.err != nil {
		return fail(0, sp.err)
	}
	var (
		snap *aptrepo.Snapshot
		err  error
	)
	if o.refresh {
		snap, err = aptrepo.Update(ctx, o.client, r)
	} else {
		snap, err = aptrepo.OpenLists(ctx, verify, lists, r)
	}
	if err != nil {
		return fail(0, err)
	}
	rel := snap.Release
	site := siteOf(r.URI)
	var res repoResult
	n := 0
	for _, ix := range snap.Indexes {
		res.files = append(res.files, &pkgFile{
			origin: rel.Origin, label: rel.Label, archive: rel.Suite, codename: rel.Codename, version: rel.Version,
			site: site, component: ix.Component, arch: ix.Architecture,
			notAutomatic: rel.NotAutomatic, butAutomaticUpgrades: rel.ButAutomaticUpgrades,
			relStr:   relStr(rel.Label, rel.Version, rel.Suite, site),
			security: securityOrigin(rel.Suite, site),
			desc:     indexDesc(r, ix),
		})
		fi := len(res.files) - 1
		keepOthers := o.notInstalled != nil && (!o.securityOnly || res.files[fi].security)
		one := *snap
		one.Indexes = []aptrepo.Index{ix}
		for rec, err := range one.Packages(ctx) {
			if err != nil {
				return fail(n, err)
			}
			n++
			k := nameArch{rec.Package, aptArch(rec.Architecture, native)}
			if e := byKey[k]; e != nil {
				res.found = append(res.found, foundRecord{e: e, rec: rec, fi: fi})
			} else if keepOthers && slices.Contains(archs, k.arch) {
				if err := res.others.add(rec, fi); err != nil {
					return fail(n, &repo.SyntaxError{File: name + " " + ix.Path, Line: rec.Line, Msg: err.Error(), Err: err})
				}
			}
		}
	}
	if o.notInstalled != nil {
		res.others.sort(native)
	}
	for i := range res.found {
		f := &res.found[i]
		pk, err := f.rec.ToPatchkit()
		if err != nil {
			return fail(n, fmt.Errorf("%s: %s version %q: %w", name, f.rec.Package, f.rec.Version, err))
		}
		f.pkg = pk
	}
	res.status = repo.Status{Name: name, Health: repo.HealthOK, Verified: snap.Verified, Date: rel.Date, Packages: n}
	return res
}

// indexDesc describes an index as apt-cache policy does:
// "URI suite/component arch Packages" ("URI path/ Packages" when flat),
// the URI without a trailing '/'.
func indexDesc(r aptrepo.Repo, ix aptrepo.Index) string {
	uri := strings.TrimRight(r.URI, "/")
	if r.Flat() {
		return uri + " " + r.Suite + " Packages"
	}
	return uri + " " + r.Suite + "/" + ix.Component + " " + ix.Architecture + " Packages"
}

// addRecord files one record under its package's version.
func (st *scanState) addRecord(e *pkgEntry, rec aptrepo.Package, p patchkit.Package, fi int, intern map[string]string) {
	for _, v := range e.versions {
		if patchkit.Deb.Compare(v.ver, rec.Version) == 0 {
			if !slices.Contains(v.files, fi) {
				v.files = append(v.files, fi)
			}
			return
		}
	}
	src := rec.SourceName()
	if s, ok := intern[src]; ok {
		src = s
	} else {
		intern[src] = src
	}
	e.versions = append(e.versions, &version{ver: rec.Version, pkg: p, source: src, files: []int{fi}})
}

// addInstalled files the installed version with dpkg's status file.
func (st *scanState) addInstalled(e *pkgEntry, statusIdx int) {
	iv := e.installed.EVR()
	for _, v := range e.versions {
		if patchkit.Deb.Compare(v.ver, iv) == 0 {
			v.installed = true
			v.files = append(v.files, statusIdx)
			return
		}
	}
	src := e.installed.SourceName
	if src == "" {
		src = e.name
	}
	e.versions = append(e.versions, &version{ver: iv, pkg: e.installed, source: src, files: []int{statusIdx}, installed: true})
}

// patches turns the versions newer than the installed ones into Patches,
// and with WithInstalledVersions the installed version when a repository
// offers it, oldest first per package.
func (st *scanState) patches(o *options) []patchkit.Patch {
	var out []patchkit.Patch
	for _, e := range st.entries {
		iv := e.installed.EVR()
		for i := len(e.versions) - 1; i >= 0; i-- {
			v := e.versions[i]
			switch c := patchkit.Deb.Compare(v.ver, iv); {
			case c > 0:
				out = append(out, st.patch(o, e, v))
			case c == 0 && o.installedVersions && st.offered(v):
				p := st.patch(o, e, v)
				p.Candidate = false
				out = append(out, p)
			}
		}
	}
	return out
}

// offered reports whether a version is in some repository's index, beside
// dpkg's status file.
func (st *scanState) offered(v *version) bool {
	return slices.ContainsFunc(v.files, func(fi int) bool { return !st.pol.files[fi].status })
}

func (st *scanState) patch(o *options, e *pkgEntry, v *version) patchkit.Patch {
	p := patchkit.Patch{Package: v.pkg, Product: o.product, Candidate: v == e.cand}
	p.Repository, p.Security = st.origins(v.files)
	p.Section, p.Priority = v.pkg.Section, v.pkg.Priority
	if p.Security {
		p.Classification = "Security"
	}
	if e.installed.Want == "hold" {
		p.Want = "hold"
	}
	return p
}

// origins returns apt's origin string of a version offered by files (the
// origin of each file, once, in the files' order, joined with ", "; dpkg's
// status file has none) and whether one of them is a security pocket.
func (st *scanState) origins(files []int) (string, bool) {
	var (
		first    string
		b        strings.Builder
		n        int
		security bool
	)
	for i, fi := range files {
		f := st.pol.files[fi]
		if f.status {
			continue
		}
		security = security || f.security
		if slices.ContainsFunc(files[:i], func(fj int) bool { return st.pol.files[fj].relStr == f.relStr && !st.pol.files[fj].status }) {
			continue
		}
		switch n {
		case 0:
			first = f.relStr
		case 1:
			b.WriteString(first)
			fallthrough
		default:
			b.WriteString(", ")
			b.WriteString(f.relStr)
		}
		n++
	}
	if n > 1 {
		return b.String(), security
	}
	return first, security
}

// subRoot is the directory dir of the root fsys as a file system of its
// own whose symbolic links still resolve in the root: apt links the lists
// of file: repositories to the repository's files by absolute path.
type subRoot struct {
	root fs.FS
	dir  string
}

func (s subRoot) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	p, err := rootfs.Resolve(s.root, path.Join(s.dir, name))
	if err != nil {
		return nil, err
	}
	return s.root.Open(p)
}
