package apt

import (
	"math"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
)

// pkgFile is one file apt takes versions from: a Packages index (one
// repository, component and architecture) or dpkg's status file.
type pkgFile struct {
	status bool
	// Release fields; empty when the Release has none.
	origin, label, archive, codename, version string
	site                                      string // the repository's host, "" for file: URIs
	component, arch                           string // of the index
	notAutomatic, butAutomaticUpgrades        bool
	relStr                                    string // apt's origin string for this file
	security                                  bool
	prio                                      int
	desc                                      string // as apt-cache policy describes the file
}

// version is one version of one package (name and apt architecture), with
// every file that offers it.
type version struct {
	ver       string           // the whole version string
	pkg       patchkit.Package // from the first record read (or the inventory)
	source    string           // source package name
	files     []int
	installed bool
	pin       *pin // the package-specific pin that applies, if any
	prio      int
}

// pkgEntry is one installed package as apt sees it: a name and apt's
// architecture for it (the native one for "all"), with its versions.
type pkgEntry struct {
	name, arch string
	installed  patchkit.Package
	versions   []*version // sorted newest first once finish runs
	cand       *version
}

// policy computes apt's pin priorities and candidates (apt_preferences(5),
// apt-pkg/policy.cc) over the files and versions collected.
type policy struct {
	native string
	files  []*pkgFile
	pins   []pin // APT::Default-Release first, then the preferences files in order
	m      *matcher
}

// basePriority is the priority apt gives a file before any pin: 100 for
// the status file and for NotAutomatic with ButAutomaticUpgrades, 1 for
// NotAutomatic alone, 500 otherwise.
func basePriority(f *pkgFile) int {
	switch {
	case f.status:
		return 100
	case f.notAutomatic && f.butAutomaticUpgrades:
		return 100
	case f.notAutomatic:
		return 1
	}
	return 500
}

// filePriorities applies the generic ("Package: *") pins to the files, in
// order: the first pin that matches a file sets its priority, except that
// a "never" pin always wins.
func (p *policy) filePriorities() {
	fixed := make([]bool, len(p.files))
	for _, f := range p.files {
		f.prio = basePriority(f)
	}
	for i := range p.pins {
		pn := &p.pins[i]
		if pn.packages != nil {
			continue
		}
		for j, f := range p.files {
			if (!fixed[j] || pn.priority == neverPin) && f.prio != neverPin && p.fileMatch(pn, f) {
				f.prio = pn.priority
				fixed[j] = true
			}
		}
	}
}

// fileMatch is pkgVersionMatch::FileMatch for a Release or Origin pin.
func (p *policy) fileMatch(pn *pin, f *pkgFile) bool {
	m := p.m
	has := func(pattern, field string) bool { return field != "" && m.match(pattern, field) }
	switch pn.typ {
	case pinOrigin:
		if f.status {
			return false
		}
		return m.match(pn.data, f.site)
	case pinRelease:
		r := &pn.rel
		if r.none {
			return false
		}
		if f.status {
			// dpkg's status file has no Release; apt keeps its archive
			// "now" in the component.
			if r.archive != "" && !m.match(r.archive, f.component) {
				return false
			}
			if r.release != "" && !m.match(r.release, f.component) {
				return false
			}
			if r.origin != "" || r.label != "" || r.version != "" || r.codename != "" {
				return false
			}
		} else {
			if r.all {
				return true
			}
			if r.version == "" && r.origin == "" && r.archive == "" && r.label == "" && r.release == "" &&
				r.codename == "" && r.component == "" && r.arch == "" {
				return false
			}
			if r.version != "" && !matchVer(f.version, r.version, r.versionPrefix) && !has(r.version, f.version) {
				return false
			}
			if r.origin != "" && !has(r.origin, f.origin) {
				return false
			}
			if r.archive != "" && !has(r.archive, f.archive) {
				return false
			}
			if r.codename != "" && !has(r.codename, f.codename) {
				return false
			}
			if r.release != "" && !has(r.release, f.archive) && !has(r.release, f.codename) {
				return false
			}
			if r.label != "" && !has(r.label, f.label) {
				return false
			}
		}
		if r.all {
			return true
		}
		if r.component != "" && !has(r.component, f.component) {
			return false
		}
		if r.arch != "" && !has(r.arch, f.arch) {
			return false
		}
		return true
	}
	return false
}

// matchVer compares a version with a pattern as apt's MatchVer does:
// equal without regard to case, or, with prefix, starting with it.
func matchVer(v, pattern string, prefix bool) bool {
	if v == "" {
		return false
	}
	if (!prefix && len(v) != len(pattern)) || len(v) < len(pattern) {
		return false
	}
	return strings.EqualFold(v[:len(pattern)], pattern)
}

// versionMatches is pkgVersionMatch::VersionMatches.
func (p *policy) versionMatches(pn *pin, v *version) bool {
	if pn.typ == pinVersion {
		pat := pn.data
		prefix := strings.HasSuffix(pat, "*")
		if prefix {
			pat = strings.TrimSuffix(pat, "*")
		}
		return matchVer(v.ver, pat, prefix) || p.m.match(pat, v.ver)
	}
	for _, fi := range v.files {
		if p.fileMatch(pn, p.files[fi]) {
			return true
		}
	}
	return false
}

// versionPins attaches the package-specific pins to the versions they
// match: the first pin (in reading order) that matches a version is its
// pin. groups are the names apt would match a wildcard against: the
// installed names and the source names of their versions.
func (p *policy) versionPins(entries []*pkgEntry) {
	byName := map[string][]*pkgEntry{}
	bySource := map[string][]*pkgEntry{}
	groupSet := map[string]bool{}
	for _, e := range entries {
		byName[e.name] = append(byName[e.name], e)
		groupSet[e.name] = true
		seen := map[string]bool{}
		for _, v := range e.versions {
			if !seen[v.source] {
				seen[v.source] = true
				bySource[v.source] = append(bySource[v.source], e)
				groupSet[v.source] = true
			}
		}
	}
	groups := make([]string, 0, len(groupSet))
	for g := range groupSet {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for i := range p.pins {
		pn := &p.pins[i]
		for _, word := range pn.packages {
			p.pinWord(pn, word, groups, byName, bySource)
		}
	}
}

func (p *policy) pinWord(pn *pin, word string, groups []string, byName, bySource map[string][]*pkgEntry) {
	name := word
	src := strings.HasPrefix(name, "src:")
	if src {
		name = name[len("src:"):]
	}
	arch := ""
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name, arch = name[:i], name[i+1:]
	}
	if name == "" {
		return
	}
	if isRegex(name) || strings.ContainsAny(name, "*[?") {
		for _, g := range groups {
			if g != name && p.m.match(name, g) {
				w := g
				if src {
					w = "src:" + w
				}
				if arch != "" {
					w += ":" + arch
				}
				p.pinWord(pn, w, groups, byName, bySource)
			}
		}
		return
	}
	spec := arch
	if spec == "" {
		spec = p.native
	}
	apply := func(e *pkgEntry, v *version) {
		if v.pin == nil && p.versionMatches(pn, v) {
			v.pin = pn
		}
	}
	if src {
		for _, e := range bySource[name] {
			if !archSpecMatches(spec, e.arch) {
				continue
			}
			for _, v := range e.versions {
				if v.source == name {
					apply(e, v)
				}
			}
		}
		return
	}
	for _, e := range byName[name] {
		if !archSpecMatches(spec, e.arch) {
			continue
		}
		for _, v := range e.versions {
			apply(e, v)
		}
	}
}

// archSpecMatches is a small form of apt's architecture specifications:
// "any", "linux-any" and "any-ARCH" wildcards, or the architecture itself.
func archSpecMatches(spec, arch string) bool {
	switch {
	case spec == arch, spec == "any", spec == "linux-any":
		return true
	case strings.HasPrefix(spec, "any-"):
		return spec[len("any-"):] == arch
	case strings.HasPrefix(spec, "linux-"):
		return spec[len("linux-"):] == arch
	}
	return false
}

// priority is pkgPolicy::GetPriority for a version: its pin, unless every
// file offering it is pinned "never"; else the highest priority of its
// files.
func (p *policy) priority(v *version) int {
	if v.pin != nil {
		if v.pin.priority == neverPin {
			return neverPin
		}
		for _, fi := range v.files {
			if p.files[fi].prio != neverPin {
				return v.pin.priority
			}
		}
	}
	best, any := math.MinInt, false
	for _, fi := range v.files {
		f := p.files[fi]
		pr := f.prio
		if f.status && !v.installed {
			pr = -1
		}
		if !any || pr > best {
			best, any = pr, true
		}
	}
	if !any {
		return 0
	}
	return best
}

// candidate is pkgPolicy::GetCandidateVer: the version with the highest
// priority, the newest among equal ones; versions older than the installed
// one only with a priority of 1000 or more; priorities of 0 and below never.
func (p *policy) candidate(e *pkgEntry) *version {
	var cand *version
	candPrio := -1
	var inst *version
	for _, v := range e.versions {
		if v.installed {
			inst = v
		}
	}
	for _, v := range e.versions {
		v.prio = p.priority(v)
		if v.prio == 0 || v.prio <= candPrio {
			continue
		}
		if inst != nil && v.prio < 1000 && patchkit.Deb.Compare(v.ver, inst.ver) < 0 {
			continue
		}
		candPrio, cand = v.prio, v
	}
	return cand
}
