package dnf

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// Report is everything the metadata backend found: the patches, the state
// of every enabled repository, and what it noticed without offering it.
type Report struct {
	// Patches are every available version newer than the installed
	// version of the same name and compatible architecture that dnf would
	// install when asked for it, sorted by name, architecture and version.
	// Candidate is set on dnf's own upgrade choice. With
	// WithInstalledVersions they also hold the installed versions that a
	// healthy repository offers, with Candidate false.
	Patches []patchkit.Patch `json:"Patches"`
	// Repos has one status per enabled repository, in configuration order.
	// Only repositories with HealthOK contribute patches or notices.
	Repos []repo.Status `json:"Repos"`
	// Obsoletes are available packages that obsolete an installed package
	// of another name. dnf upgrade would replace the installed package with
	// them; a patch scan never offers a differently named package.
	Obsoletes []Obsolete `json:"Obsoletes,omitempty"`
	// Excluded are newer versions that excludepkgs or includepkgs hide:
	// dnf does not install them, so they are not patches.
	Excluded []patchkit.Package `json:"Excluded,omitempty"`
	// InstallOnly names the installed packages that dnf installs beside
	// their older versions (kernels): a newer version of one is offered
	// like any other, and installing it keeps the installed ones.
	InstallOnly []string `json:"InstallOnly,omitempty"`
	// Notes say what the scan noticed that the caller should know.
	Notes []string `json:"Notes,omitempty"`
}

// Obsolete is an available package whose Obsoletes names an installed one.
type Obsolete struct {
	By        patchkit.Package `json:"By"`
	Entry     string           `json:"Entry"` // as written: "name < epoch:version-release"
	Installed patchkit.Package `json:"Installed"`
}

// Updates is the metadata backend: offline from the root fsys and its
// caches (or fresh, verified metadata fetched through a repo.Client with
// WithRefresh), no command run. installed is the node's inventory
// (scan.Inventory.Packages). It returns every available version newer than
// the installed version of the same (name, arch) that dnf would install on
// request, each as a patchkit.Patch, with Candidate set on dnf's own
// upgrade choice, and one repo.Status per enabled repository. With
// WithInstalledVersions it also returns each installed version a healthy
// repository offers, with Candidate false. With WithNotInstalled it also
// passes the versions of packages that are not installed to a function.
// WithArch and WithNow are required. See Check for the notes that come
// with them.
func Updates(ctx context.Context, fsys fs.FS, installed []patchkit.Package, opts ...Option) ([]patchkit.Patch, []repo.Status, error) {
	r, err := Check(ctx, fsys, installed, opts...)
	if err != nil {
		return nil, nil, err
	}
	return r.Patches, r.Repos, nil
}

// InstalledError reports an installed package that is not an rpm.
type InstalledError struct {
	Index   int
	Package string
	Reason  string
}

func (e *InstalledError) Error() string {
	return fmt.Sprintf("dnf: installed[%d] %s: %s", e.Index, e.Package, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *InstalledError) Is(target error) bool { return target == patchkit.ErrInvalid }

// instPkg is an installed package ready to compare (epoch known).
type instPkg struct {
	patchkit.Package
}

// avail is an available package of a healthy repository.
type avail struct {
	pkg patchkit.Package // epoch known, Repository set
	rc  *repoConfig
	ex  extra
}

// Check is Updates with everything it noticed: the patches and statuses,
// the obsoletes it recorded, the excluded versions, the installonly names
// and notes.
func Check(ctx context.Context, fsys fs.FS, installed []patchkit.Package, opts ...Option) (*Report, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	o.report(Progress{Stage: "config"})
	cfg, err := loadConfig(ctx, fsys, &o)
	if err != nil {
		return nil, err
	}
	inst := map[string][]instPkg{}
	for i, p := range installed {
		if p.Scheme != patchkit.RPM {
			return nil, &InstalledError{Index: i, Package: p.NEVRA(), Reason: "version scheme is " + p.Scheme.String() + ", not rpm"}
		}
		if p.Name == "" || p.Arch == "" {
			return nil, &InstalledError{Index: i, Package: p.NEVRA(), Reason: "no name or architecture"}
		}
		if p.State != "" && !p.State.FilesPresent() {
			continue
		}
		if !p.Epoch.Known() {
			p.Epoch = patchkit.EpochOf(0) // rpm orders a missing epoch as 0
		}
		inst[p.Name] = append(inst[p.Name], instPkg{p})
	}
	want := &wanted{names: map[string]bool{}, installOnly: map[string]bool{}, others: o.notInstalled != nil}
	if want.others {
		want.archOK = archSet(o.arch)
	}
	for n := range inst {
		want.names[n] = true
	}
	for _, n := range cfg.main.installOnly {
		want.installOnly[n] = true
	}
	rep := &Report{Patches: []patchkit.Patch{}, Repos: []repo.Status{}}
	var data []*repoData
	for i := range cfg.repos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rc := &cfg.repos[i]
		o.report(Progress{Stage: "repository", Repo: rc.ID, Done: i, Total: len(cfg.repos)})
		var rd *repoData
		if o.refresh {
			rd = readRefreshed(ctx, fsys, &o, cfg, rc, want)
		} else {
			rd = readCached(ctx, fsys, &o, cfg, rc, want)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if rd.status.Health != repo.HealthOK {
			o.logger.Warn("repository not usable", "repository", rc.ID, "health", rd.status.Health, "reason", rd.status.Reason)
		}
		rep.Repos = append(rep.Repos, rd.status)
		rep.Notes = append(rep.Notes, rd.notes...)
		if rd.hasModules && rd.status.Health == repo.HealthOK {
			rep.Notes = append(rep.Notes, rc.ID+": has module metadata; dnf's modular filtering (streams enabled in etc/dnf/modules.d) is not applied, so versions of streams that are not enabled may be offered")
		}
		data = append(data, rd)
	}
	o.report(Progress{Stage: "select", Done: len(cfg.repos), Total: len(cfg.repos)})
	notices := selectPatches(&o, cfg, inst, data, rep)
	if o.notInstalled != nil {
		list, err := notInstalled(ctx, cfg, inst, data, want.archOK)
		if err != nil {
			return nil, err
		}
		emitNotInstalled(&o, list, notices)
	}
	if o.obsoletes != nil {
		for _, ob := range rep.Obsoletes {
			o.obsoletes(ob)
		}
	}
	return rep, nil
}

// archSet is the set of package architectures a node of architecture a
// installs (compatArches).
func archSet(a string) map[string]bool {
	compat, _ := compatArches(a)
	set := make(map[string]bool, len(compat))
	for _, c := range compat {
		set[c] = true
	}
	return set
}

// selectPatches turns the packages of the healthy repositories into
// patches, following libdnf's rules (see the package documentation). It
// returns the index of the notices it classified them with.
func selectPatches(o *options, cfg *config, inst map[string][]instPkg, data []*repoData, rep *Report) map[pkgKey][]*patchkit.Advisory {
	archOK := archSet(o.arch)
	// Available packages of installed names: arch-compatible and not
	// excluded.
	var avails []avail
	for _, rd := range data {
		if rd.status.Health != repo.HealthOK {
			continue
		}
		rc := rd.cfg
		for _, p := range rd.pkgs {
			if !archOK[p.Arch] {
				continue
			}
			pk := p.ToPatchkit(rc.ID)
			a := avail{pkg: pk, rc: rc, ex: rd.extras[pkgKey{name: p.Name, arch: p.Arch, epoch: p.Epoch, ver: p.Version, rel: p.Release}]}
			if excludedBy(cfg, rc, p.Name, p.Epoch, p.Version, p.Release, p.Arch) {
				if _, ok := upgrades(inst[p.Name], pk); ok {
					rep.Excluded = append(rep.Excluded, pk)
				}
				continue
			}
			avails = append(avails, a)
		}
	}
	// The best (lowest) priority among the available packages of each
	// name, any version or architecture: dnf's upgrades come only from
	// repositories of that priority.
	best := map[string]int{}
	for _, a := range avails {
		if p, ok := best[a.pkg.Name]; !ok || a.rc.priority < p {
			best[a.pkg.Name] = a.rc.priority
		}
	}
	// One patch per NEVRA; its repository is the one dnf would take it
	// from: best priority, then lowest cost, then configuration order.
	type entry struct {
		a        avail
		prioOK   bool // offered by a repository of the name's best priority
		installd instPkg
	}
	byNEVRA := map[string]*entry{}
	var order []string
	for _, a := range avails {
		up, ok := upgrades(inst[a.pkg.Name], a.pkg)
		if !ok {
			continue
		}
		k := a.pkg.NEVRA()
		prio := a.rc.priority == best[a.pkg.Name]
		e, seen := byNEVRA[k]
		if !seen {
			byNEVRA[k] = &entry{a: a, prioOK: prio, installd: up}
			order = append(order, k)
			continue
		}
		e.prioOK = e.prioOK || prio
		if better(a, e.a) {
			e.a = a
		}
	}
	// Candidates: per name and architecture, the newest upgrade of the
	// best-priority repositories (dnf check-update's list).
	cand := map[string]string{}
	for _, k := range order {
		e := byNEVRA[k]
		if !e.prioOK {
			continue
		}
		na := e.a.pkg.Name + "." + e.a.pkg.Arch
		if cur, ok := cand[na]; !ok || cmpEVR(e.a.pkg, byNEVRA[cur].a.pkg) > 0 {
			cand[na] = k
		}
	}
	isCand := map[string]bool{}
	for _, k := range cand {
		isCand[k] = true
	}
	notices := indexNotices(data, archOK)
	for _, k := range order {
		e := byNEVRA[k]
		pt := patchkit.Patch{Package: e.a.pkg, Product: o.product, Candidate: isCand[k]}
		classify(&pt, notices[noticeKey(e.a.pkg)], o.dateRule)
		if len(notices[noticeKey(e.a.pkg)]) == 0 && !e.a.ex.buildTime.IsZero() {
			pt.ReleaseDate = e.a.ex.buildTime
		}
		rep.Patches = append(rep.Patches, pt)
	}
	if o.installedVers {
		rep.Patches = append(rep.Patches, installedVersions(o, inst, avails, notices)...)
	}
	slices.SortFunc(rep.Patches, func(a, b patchkit.Patch) int {
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Arch, b.Arch); c != 0 {
			return c
		}
		return cmpEVR(a.Package, b.Package)
	})
	slices.SortFunc(rep.Excluded, func(a, b patchkit.Package) int {
		return cmp.Compare(a.NEVRA()+" "+a.Repository, b.NEVRA()+" "+b.Repository)
	})
	rep.Excluded = slices.CompactFunc(rep.Excluded, func(a, b patchkit.Package) bool { return a.NEVRA() == b.NEVRA() && a.Repository == b.Repository })
	recordObsoletes(o, cfg, inst, data, archOK, rep)
	recordInstallOnly(cfg, inst, avails, rep)
	return notices
}

// installedVersions returns, for WithInstalledVersions, the installed
// versions that an available package (of a healthy repository, installable
// on the node, not excluded) matches exactly, each from the repository dnf
// would take it from and classified as a newer version would be, with
// Candidate false.
func installedVersions(o *options, inst map[string][]instPkg, avails []avail, notices map[pkgKey][]*patchkit.Advisory) []patchkit.Patch {
	offered := map[pkgKey]avail{}
	for _, a := range avails {
		if _, ok := inst[a.pkg.Name]; !ok {
			continue
		}
		k := noticeKey(a.pkg)
		if cur, ok := offered[k]; !ok || better(a, cur) {
			offered[k] = a
		}
	}
	var out []patchkit.Patch
	seen := map[pkgKey]bool{}
	for _, name := range slices.Sorted(maps.Keys(inst)) {
		for _, i := range inst[name] {
			k := noticeKey(i.Package)
			a, ok := offered[k]
			if !ok || seen[k] {
				continue
			}
			seen[k] = true
			pt := patchkit.Patch{Package: a.pkg, Product: o.product}
			classify(&pt, notices[k], o.dateRule)
			if len(notices[k]) == 0 && !a.ex.buildTime.IsZero() {
				pt.ReleaseDate = a.ex.buildTime
			}
			out = append(out, pt)
		}
	}
	return out
}

// upgrades reports whether available package c upgrades the installed
// packages of its name (libdnf's what_upgrades): every installed package
// of that name whose architecture is c's, or where one of the two is
// noarch, must be older than c, and there must be one. It returns the
// newest of them.
func upgrades(installed []instPkg, c patchkit.Package) (instPkg, bool) {
	var newest instPkg
	found := false
	for _, i := range installed {
		if !upgradeArch(i.Arch, c.Arch) {
			continue
		}
		if cmpEVR(i.Package, c) >= 0 {
			return instPkg{}, false
		}
		if !found || cmpEVR(i.Package, newest.Package) > 0 {
			newest, found = i, true
		}
	}
	return newest, found
}

// cmpEVR orders two rpm packages with known epochs.
func cmpEVR(a, b patchkit.Package) int {
	c, err := a.CompareVersion(b)
	if err != nil {
		// Both epochs are known and both schemes are rpm here; fall back
		// to the text so that the order stays total.
		return cmp.Compare(a.EVR(), b.EVR())
	}
	return c
}

// better reports whether a is the copy of a NEVRA dnf prefers over b.
func better(a, b avail) bool {
	if a.rc.priority != b.rc.priority {
		return a.rc.priority < b.rc.priority
	}
	if a.rc.cost != b.rc.cost {
		return a.rc.cost < b.rc.cost
	}
	return a.rc.order < b.rc.order
}

// noticeKey identifies a package of an update notice: name, epoch (0 when
// the notice leaves it out, as libsolv reads it), version, release, arch.
func noticeKey(p patchkit.Package) pkgKey {
	e, _ := p.Epoch.Value()
	return pkgKey{name: p.Name, arch: p.Arch, epoch: e, ver: p.Version, rel: p.Release}
}

// indexNotices maps each package of the healthy repositories' notices
// whose architecture the node installs (archOK) to the notices that ship
// it.
func indexNotices(data []*repoData, archOK map[string]bool) map[pkgKey][]*patchkit.Advisory {
	idx := map[pkgKey][]*patchkit.Advisory{}
	for _, rd := range data {
		if rd.status.Health != repo.HealthOK {
			continue
		}
		for i := range rd.advisories {
			a := &rd.advisories[i]
			for _, p := range a.Packages {
				if !archOK[p.Arch] {
					continue
				}
				k := noticeKey(p)
				if !slices.Contains(idx[k], a) {
					idx[k] = append(idx[k], a)
				}
			}
		}
	}
	return idx
}

// typeRank orders notice types for the classification of a version that
// several notices ship: security wins, then the others in this order.
func typeRank(t patchkit.AdvisoryType) int {
	switch t {
	case patchkit.AdvisorySecurity:
		return 9
	case patchkit.AdvisoryBugfix:
		return 8
	case patchkit.AdvisoryEnhancement:
		return 7
	case patchkit.AdvisoryRecommended:
		return 6
	case patchkit.AdvisoryNewPackage:
		return 5
	case patchkit.AdvisoryOptional:
		return 4
	case patchkit.AdvisoryFeature:
		return 3
	case patchkit.AdvisoryDocument:
		return 2
	case patchkit.AdvisoryYaST:
		return 1
	}
	return 0
}

// severityRank orders vendor severities; unknown spellings ("None",
// "Unspecified") rank lowest.
func severityRank(s string) int {
	switch strings.ToLower(s) {
	case "critical":
		return 4
	case "important", "high":
		return 3
	case "moderate", "medium":
		return 2
	case "low":
		return 1
	}
	return 0
}

// classify fills the notice-derived fields of a patch: Security when any
// notice ships the version; the classification of the highest-ranked type;
// the highest severity; the union of advisory, CVE and bugzilla IDs; the
// earliest notice date by the rule; reboot suggested by any.
func classify(pt *patchkit.Patch, ns []*patchkit.Advisory, rule DateRule) {
	if len(ns) == 0 {
		return
	}
	pt.Security = true
	bestType, bestSev := -1, -1
	var ids, cves, bzs []string
	for _, a := range ns {
		if r := typeRank(a.Type); r > bestType {
			bestType, pt.Classification = r, a.Type.Classification()
		}
		if a.Severity != "" {
			if r := severityRank(a.Severity); r > bestSev {
				bestSev, pt.Severity = r, a.Severity
			}
		}
		ids = append(ids, a.ID)
		cves = append(cves, a.CVEIDs...)
		bzs = append(bzs, a.BugzillaIDs...)
		if a.RebootSuggested {
			pt.RebootSuggested = true
		}
		d := noticeDate(a, rule)
		if !d.IsZero() && (pt.ReleaseDate.IsZero() || d.Before(pt.ReleaseDate)) {
			pt.ReleaseDate = d
		}
	}
	pt.AdvisoryIDs = sortedSet(ids)
	pt.CVEIDs = sortedSet(cves)
	pt.BugzillaIDs = sortedSet(bzs)
}

func noticeDate(a *patchkit.Advisory, rule DateRule) time.Time {
	first, second := a.Issued, a.Updated
	if rule == UpdatedFirst {
		first, second = a.Updated, a.Issued
	}
	if !first.IsZero() {
		return first
	}
	return second
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// recordObsoletes notes available packages (of the healthy repositories,
// installable on the node and not excluded) that obsolete an installed
// package of another name, when the installed version is in the entry's
// range.
func recordObsoletes(o *options, cfg *config, inst map[string][]instPkg, data []*repoData, archOK map[string]bool, rep *Report) {
	seen := map[string]bool{}
	for _, rd := range data {
		if rd.status.Health != repo.HealthOK {
			continue
		}
		for k, ex := range rd.extras {
			if len(ex.obsoletes) == 0 || !archOK[k.arch] || excludedBy(cfg, rd.cfg, k.name, k.epoch, k.ver, k.rel, k.arch) {
				continue
			}
			by := patchkit.Package{Name: k.name, Epoch: patchkit.EpochOf(k.epoch), Version: k.ver, Release: k.rel, Arch: k.arch,
				Scheme: patchkit.RPM, Repository: rd.cfg.ID}
			for _, e := range ex.obsoletes {
				if e.name == k.name {
					continue
				}
				for _, i := range inst[e.name] {
					if !inRange(i.Package, e) {
						continue
					}
					entry := formatDep(e)
					key := by.NEVRA() + "\x00" + entry + "\x00" + i.NEVRA()
					if seen[key] {
						continue
					}
					seen[key] = true
					rep.Obsoletes = append(rep.Obsoletes, Obsolete{By: by, Entry: entry, Installed: i.Package})
					o.logger.Info("available package obsoletes an installed one; not offered", "by", by.NEVRA(), "obsoletes", entry, "installed", i.NEVRA())
				}
			}
		}
	}
	slices.SortFunc(rep.Obsoletes, func(a, b Obsolete) int {
		return cmp.Compare(a.Installed.NEVRA()+" "+a.By.NEVRA()+" "+a.By.Repository, b.Installed.NEVRA()+" "+b.By.NEVRA()+" "+b.By.Repository)
	})
}

// excludedBy applies excludepkgs and includepkgs of [main] and of the
// package's repository: main and repository excludes both hide a package;
// when either has includes, a package must match the one or the other.
func excludedBy(cfg *config, rc *repoConfig, name string, epoch uint32, ver, rel, arch string) bool {
	if matchAny(cfg.main.exclude, name, epoch, ver, rel, arch) || matchAny(rc.exclude, name, epoch, ver, rel, arch) {
		return true
	}
	if len(cfg.main.include) > 0 || len(rc.include) > 0 {
		return !matchAny(cfg.main.include, name, epoch, ver, rel, arch) && !matchAny(rc.include, name, epoch, ver, rel, arch)
	}
	return false
}

// inRange reports whether the installed package satisfies an rpm
// dependency range (flags LT, LE, EQ, GE, GT; none means any version).
// An entry without a release matches any release of its version, as rpm
// compares ranges.
func inRange(p patchkit.Package, e depEntry) bool {
	if e.flags == "" || e.ver == "" {
		return true
	}
	q := patchkit.Package{Name: p.Name, Scheme: patchkit.RPM, Version: e.ver, Release: e.rel, Epoch: patchkit.EpochOf(0)}
	if e.epoch != "" {
		var n uint32
		if _, err := fmt.Sscanf(e.epoch, "%d", &n); err == nil {
			q.Epoch = patchkit.EpochOf(n)
		}
	}
	cp := p
	if e.rel == "" {
		cp.Release = ""
	}
	c := cmpEVR(cp, q)
	switch e.flags {
	case "LT":
		return c < 0
	case "LE":
		return c <= 0
	case "EQ":
		return c == 0
	case "GE":
		return c >= 0
	case "GT":
		return c > 0
	}
	return false
}

func formatDep(e depEntry) string {
	op := map[string]string{"LT": "<", "LE": "<=", "EQ": "=", "GE": ">=", "GT": ">"}[e.flags]
	if op == "" || e.ver == "" {
		return e.name
	}
	v := e.ver
	if e.epoch != "" && e.epoch != "0" {
		v = e.epoch + ":" + v
	}
	if e.rel != "" {
		v += "-" + e.rel
	}
	return e.name + " " + op + " " + v
}

// recordInstallOnly lists the installed names dnf treats as installonly:
// named in installonlypkgs, or providing one of its capabilities in an
// available version (the installed package's own provides are not in the
// inventory).
func recordInstallOnly(cfg *config, inst map[string][]instPkg, avails []avail, rep *Report) {
	set := map[string]bool{}
	for _, n := range cfg.main.installOnly {
		if _, ok := inst[n]; ok {
			set[n] = true
		}
	}
	for _, a := range avails {
		if a.ex.installOnly {
			set[a.pkg.Name] = true
		}
	}
	for n := range set {
		rep.InstallOnly = append(rep.InstallOnly, n)
	}
	slices.Sort(rep.InstallOnly)
}
