package zypper

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// Result is everything the metadata backend reads from a root.
type Result struct {
	// Updates are every available version newer than an installed package
	// (see Updates), and with WithInstalledVersions the installed versions
	// a healthy repository has (Candidate false), after the newer versions
	// of the same name.
	Updates []patchkit.Patch `json:"Updates"`
	// Patches are the patches of every healthy enabled repository with
	// their status (see Patches).
	Patches []Patch `json:"Patches"`
	// Repos has one entry per enabled repository, in zypper's order
	// (priority, then alias).
	Repos []repo.Status `json:"Repos"`
}

// Updates is the metadata backend. From the root fsys (its enabled
// repositories under etc/zypp/repos.d, zypp.conf, the locks file, the
// metadata libzypp cached under var/cache/zypp/raw, and the keys imported
// into its rpm database), without running any command, it returns every
// available version newer than the installed version of the same package
// (installed is the node's inventory, rpm packages), each as a
// patchkit.Patch classified by the zypper patches that name it, with
// Candidate=true on the version zypper update would install; and one
// repo.Status per enabled repository. With WithInstalledVersions it also
// returns each installed version that a healthy repository has, classified
// the same way, with Candidate=false; with WithNotInstalled it passes the
// versions of packages that are not installed to a callback. A repository
// whose metadata is missing, unsigned where a signature is expected, not
// signed by a trusted key, stale, dated in the future or damaged has a
// Status saying so and offers nothing. The package documentation gives
// the rules.
func Updates(ctx context.Context, fsys fs.FS, installed []patchkit.Package, opts ...Option) ([]patchkit.Patch, []repo.Status, error) {
	r, err := Read(ctx, fsys, installed, opts...)
	if err != nil {
		return nil, nil, err
	}
	return r.Updates, r.Repos, nil
}

// Patches returns the zypper patches of the root's healthy enabled
// repositories with their status computed from installed, as `zypper
// list-patches --all` shows them, and one repo.Status per enabled
// repository.
func Patches(ctx context.Context, fsys fs.FS, installed []patchkit.Package, opts ...Option) ([]Patch, []repo.Status, error) {
	r, err := Read(ctx, fsys, installed, opts...)
	if err != nil {
		return nil, nil, err
	}
	return r.Patches, r.Repos, nil
}

// Read is Updates and Patches at once, reading the metadata once.
func Read(ctx context.Context, fsys fs.FS, installed []patchkit.Package, opts ...Option) (*Result, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	inst, err := newInstalledSet(installed)
	if err != nil {
		return nil, err
	}
	conf, err := readZyppConf(fsys)
	if err != nil {
		return nil, err
	}
	if conf.arch != "" && conf.arch != o.arch {
		s, ok := newArchSet(conf.arch)
		if !ok {
			return nil, &ConfigError{File: conf.file, Msg: fmt.Sprintf("arch = %s is not an architecture this package knows", conf.arch)}
		}
		o.logger.Info("zypp.conf sets the architecture", "arch", conf.arch, "node", o.arch)
		o.arch, o.archSet = conf.arch, s
	}
	cfgs, err := loadRepos(ctx, fsys, conf, &o)
	if err != nil {
		return nil, err
	}
	var locks []lock
	if conf.applyLocks {
		if locks, err = readLocks(fsys, conf.locksFile); err != nil {
			return nil, err
		}
	}
	// The rpm database gives the trusted keys and, for packages installed
	// in several versions, the provides a "provides:" multiversion entry
	// needs.
	several := inst.several()
	var provNames map[string]bool
	var mvNames, mvProvides []string
	for _, e := range conf.multiversion {
		if c, ok := strings.CutPrefix(e, "provides:"); ok {
			mvProvides = append(mvProvides, c)
		} else {
			mvNames = append(mvNames, e)
		}
	}
	if len(mvProvides) > 0 {
		provNames = several
	}
	trust := o.keyring
	if !o.keyringSet || len(provNames) > 0 {
		info, err := readRPMDB(ctx, fsys, !o.keyringSet, provNames)
		if err != nil {
			return nil, err
		}
		if len(provNames) > 0 && info.db == "" {
			return nil, &ConfigError{File: conf.file, Msg: "multiversion names provides, which only the rpm database tells, and the root has none"}
		}
		if !o.keyringSet {
			for _, p := range info.problems {
				o.logger.Warn("a key of the rpm database is not trusted: it could not be read", "err", p)
			}
			trust = info.keyring
		}
		for n, provs := range info.provides {
			for _, c := range mvProvides {
				if slices.Contains(provs, c) {
					inst.multiversion[n] = true
				}
			}
		}
	}
	for n := range several {
		if slices.Contains(mvNames, n) {
			inst.multiversion[n] = true
		}
	}

	res := &Result{}
	var healthy []*repoData
	var sink *offerSink
	if o.notInstalled != nil {
		sink = &offerSink{arch: o.archSet}
	}
	for i, cfg := range cfgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if o.progress != nil {
			stage := "reading"
			if o.refresh {
				stage = "refreshing"
			}
			o.progress(Progress{Repository: cfg.alias, Done: i, Total: len(cfgs), Stage: stage})
		}
		d := &repoData{cfg: cfg}
		err := readRepo(ctx, fsys, conf, cfg, trust, &o, inst.byName, sink.from(len(healthy)), d)
		if err != nil && ctx.Err() != nil { // the caller's cancellation, not the repository's failure
			return nil, err
		}
		st := d.status
		st.Name = cfg.alias
		if err != nil {
			st = repo.Status{Name: cfg.alias, Health: repo.HealthOf(err), Reason: err.Error(), Verified: st.Verified, Date: st.Date}
			o.logger.Warn("repository not used", "repository", cfg.alias, "health", st.Health, "err", err)
		} else {
			st.Health = repo.HealthOK
			healthy = append(healthy, d)
		}
		res.Repos = append(res.Repos, st)
	}
	if o.progress != nil {
		o.progress(Progress{Done: len(cfgs), Total: len(cfgs), Stage: "done"})
	}

	var patches []*Patch
	for _, d := range healthy {
		for _, a := range d.advisories {
			p := patchOf(a)
			p.Status = patchStatus(p, inst, lockedPatch(locks, p), o.withOptional)
			patches = append(patches, p)
		}
	}
	byPkg := patchesByName(patches)
	res.Updates, err = computeUpdates(inst, healthy, byPkg, locks, &o)
	if err != nil {
		return nil, err
	}
	var others *notInstalledSet
	if sink != nil {
		if others, err = prepareNotInstalled(ctx, healthy, sink.offers, res.Updates, patches, byPkg, locks, &o); err != nil {
			return nil, err
		}
	}
	for _, p := range patches {
		res.Patches = append(res.Patches, *p)
	}
	// Nothing fails from here on: fn sees the versions only when Read
	// succeeds.
	if others != nil {
		others.emit(byPkg, &o)
	}
	return res, nil
}

// patchesByName indexes the patches by the names of the packages they
// name, each patch once per name, in their order.
func patchesByName(patches []*Patch) map[string][]*Patch {
	byPkg := map[string][]*Patch{}
	for _, p := range patches {
		for _, e := range p.Packages {
			if l := byPkg[e.Name]; len(l) == 0 || l[len(l)-1] != p {
				byPkg[e.Name] = append(l, p)
			}
		}
	}
	return byPkg
}

// patchOf turns an updateinfo update into a zypper patch.
func patchOf(a patchkit.Advisory) *Patch {
	p := &Patch{
		Name: a.ID, Repository: a.Repository, Category: strings.ToLower(string(a.Type)),
		Severity: normSeverity(a.Severity), RebootSuggested: a.RebootSuggested, RestartSuggested: a.RestartSuggested, Summary: a.Title,
		CVEIDs: slices.Clone(a.CVEIDs), BugzillaIDs: slices.Clone(a.BugzillaIDs),
		Packages: slices.Clone(a.Packages),
	}
	// libsolv keeps the later of the two dates as the patch's time.
	p.Date = a.Issued
	if a.Updated.After(p.Date) {
		p.Date = a.Updated
	}
	return p
}

func lockedPatch(locks []lock, p *Patch) bool {
	for i := range locks {
		if len(locks[i].kinds) == 0 || contains(locks[i].kinds, "patch") {
			if locks[i].applies("patch", p.Name, "noarch", patchkit.Package{}, p.Repository, false) {
				return true
			}
		}
	}
	return false
}

// loadRepos reads the enabled repositories of the root, in zypper's order.
func loadRepos(ctx context.Context, fsys fs.FS, conf zyppConf, o *options) ([]repoConfig, error) {
	vars := repo.Vars{"arch": o.arch}
	if b, ok := osdetect.RPMArch(o.arch); ok {
		vars["basearch"] = b
	}
	if o.releasever != "" {
		vars["releasever"] = o.releasever
	} else if o.refresh {
		if osr, err := osdetect.DetectFS(fsys); err == nil && osr.VersionID != "" {
			vars["releasever"] = osr.VersionID
		}
	}
	rs, err := repo.LoadRPMRepos(ctx, fsys, repo.Zypper, vars, trimSlash(conf.reposDir))
	if err != nil {
		return nil, err
	}
	var out []repoConfig
	seen := map[string]string{}
	for _, r := range rs {
		if !r.Enabled {
			continue
		}
		if prev, dup := seen[r.ID]; dup {
			return nil, &ConfigError{File: r.File, Line: r.Line, Msg: "repository alias " + r.ID + " also defined in " + prev}
		}
		seen[r.ID] = r.File
		c := repoConfig{alias: r.ID, file: r.File, line: r.Line, priority: r.Priority,
			baseURLs: r.BaseURLs, mirrorList: r.MirrorList}
		if c.priority == 0 {
			c.priority = 99 // libzypp's default priority
		}
		// gpgcheck and repo_gpgcheck default to zypp.conf's, and
		// repo_gpgcheck follows gpgcheck unless set (libzypp RepoInfo).
		gpg := conf.gpgCheck
		if v, ok := r.Options["gpgcheck"]; ok {
			gpg, _ = parseBool(v)
		}
		c.repoGPGCheck = gpg
		if conf.repoGPGCheck != nil {
			c.repoGPGCheck = *conf.repoGPGCheck
		}
		if v, ok := r.Options["repo_gpgcheck"]; ok {
			c.repoGPGCheck, _ = parseBool(v)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b repoConfig) int {
		return cmp.Or(cmp.Compare(a.priority, b.priority), strings.Compare(a.alias, b.alias))
	})
	return out, nil
}

// readRepo reads one repository into d from the source the options choose.
func readRepo(ctx context.Context, fsys fs.FS, conf zyppConf, cfg repoConfig, trust *repo.Keyring, o *options, names map[string][]patchkit.Package, sink *offerSink, d *repoData) error {
	var src source
	if o.client != nil {
		r := rpmmd.Repo{ID: cfg.alias, BaseURLs: cfg.baseURLs, MirrorList: cfg.mirrorList,
			RequireSignature: cfg.repoGPGCheck, MaxAge: o.maxAgeOf(cfg.alias), Limits: o.limits}
		if cfg.repoGPGCheck {
			r.Keyring = trust
		}
		var snap *rpmmd.Snapshot
		var err error
		if o.refresh {
			snap, err = rpmmd.Update(ctx, o.client, r)
		} else {
			snap, err = rpmmd.Open(ctx, o.client, r)
		}
		if snap != nil {
			d.status.Verified, d.status.Date = snap.Verified, snap.Repomd.Generated
		}
		if err != nil {
			return err
		}
		if err := checkDate(cfg.alias+" repomd.xml", snap.Repomd, o.now, o.maxAgeOf(cfg.alias)); err != nil {
			return err
		}
		src = snapshotSource{snap: snap}
	} else {
		rc, st, err := openRawCache(fsys, trimSlash(conf.metadataDir+"/"+cfg.alias), cfg, trust, o)
		d.status = st
		if err != nil {
			return err
		}
		src = rc
	}
	return load(ctx, src, names, sink, d)
}

// computeUpdates lists every available version newer than an installed
// package and marks zypper's candidate.
func computeUpdates(inst *installedSet, repos []*repoData, patchesByPkg map[string][]*Patch, locks []lock, o *options) ([]patchkit.Patch, error) {
	type avail struct {
		pkg   patchkit.Package
		prio  int
		order int
	}
	byName := map[string][]avail{}
	for i, d := range repos {
		for _, p := range d.pkgs {
			byName[p.Name] = append(byName[p.Name], avail{pkg: p, prio: d.cfg.priority, order: i})
		}
	}
	names := make([]string, 0, len(inst.byName))
	for n := range inst.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	type key struct{ name, arch, ed string }
	seen := map[key]int{} // index into out
	var out []patchkit.Patch
	for _, name := range names {
		for _, g := range inst.newest(name) {
			instLocked := lockedPackage(locks, g, "", true)
			var cands []avail
			for _, a := range byName[name] {
				if !updateArchOK(g.Arch, a.pkg.Arch) || !o.archSet[a.pkg.Arch] || cmpEVR(a.pkg, g) < 0 {
					continue
				}
				cands = append(cands, a)
			}
			// zypper's choice: among the versions at or above the installed
			// one that are not locked, those of the best priority (lowest
			// number), then the highest version.
			var best *avail // a copy: cands is sorted below
			if !instLocked {
				for _, c := range cands {
					if lockedPackage(locks, c.pkg, c.pkg.Repository, false) {
						continue
					}
					switch {
					case best == nil, c.prio < best.prio:
						best = &c
					case c.prio > best.prio:
					default:
						if d := cmpEVR(c.pkg, best.pkg); d > 0 || (d == 0 && c.pkg.Arch == g.Arch && best.pkg.Arch != g.Arch) {
							best = &c
						}
					}
				}
			} else {
				o.logger.Info("package is locked: no update is its candidate", "package", g.NEVRA())
			}
			// one Patch per newer (arch, version), from the best repository
			// that has it
			slices.SortStableFunc(cands, func(a, b avail) int {
				return cmp.Or(strings.Compare(a.pkg.Arch, b.pkg.Arch), cmpEVR(a.pkg, b.pkg), cmp.Compare(a.prio, b.prio), cmp.Compare(a.order, b.order))
			})
			for _, c := range cands {
				if cmpEVR(c.pkg, g) <= 0 {
					continue
				}
				k := key{c.pkg.Name, c.pkg.Arch, edition(c.pkg)}
				isBest := best != nil && best.pkg.Arch == c.pkg.Arch && cmpEVR(best.pkg, c.pkg) == 0 && cmpEVR(best.pkg, g) > 0
				if i, dup := seen[k]; dup {
					if isBest {
						out[i].Candidate = true
					}
					continue
				}
				p := patchkit.Patch{Package: c.pkg, Product: o.product, Candidate: isBest}
				if err := classify(&p, namedBy(patchesByPkg[name], c.pkg)); err != nil {
					return nil, err
				}
				seen[k] = len(out)
				out = append(out, p)
			}
		}
		if !o.installedVers {
			continue
		}
		// WithInstalledVersions: each installed version that a healthy
		// repository has, exactly, from the best repository that has it.
		for _, iv := range inst.byName[name] {
			var best *avail
			for i := range byName[name] {
				a := &byName[name][i]
				if a.pkg.Arch != iv.Arch || !o.archSet[a.pkg.Arch] || cmpEVR(a.pkg, iv) != 0 {
					continue
				}
				if best == nil || a.prio < best.prio || a.prio == best.prio && a.order < best.order {
					best = a
				}
			}
			if best == nil {
				continue
			}
			k := key{best.pkg.Name, best.pkg.Arch, edition(best.pkg)}
			if _, dup := seen[k]; dup {
				continue
			}
			p := patchkit.Patch{Package: best.pkg, Product: o.product}
			if err := classify(&p, namedBy(patchesByPkg[name], best.pkg)); err != nil {
				return nil, err
			}
			seen[k] = len(out)
			out = append(out, p)
		}
	}
	return out, nil
}

// namedBy returns the patches of ps that name the version v.
func namedBy(ps []*Patch, v patchkit.Package) []*Patch {
	var named []*Patch
	for _, pt := range ps {
		if pt.names(v) {
			named = append(named, pt)
		}
	}
	return named
}

func lockedPackage(locks []lock, p patchkit.Package, repoAlias string, installed bool) bool {
	for i := range locks {
		if locks[i].applies("package", p.Name, p.Arch, p, repoAlias, installed) {
			return true
		}
	}
	return false
}
