package zypper

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
)

// Status is a zypper patch's status as `zypper --xmlout list-patches`
// spells it.
type Status string

// The patch statuses (zypper's textPatchStatus).
const (
	// StatusNeeded: some package the patch names is installed at a lower
	// version (libsolv: the patch's conflicts match an installed package).
	StatusNeeded Status = "needed"
	// StatusOptional: needed, but of an optional category (optional,
	// feature, enhancement), which zypper leaves out unless asked
	// --with-optional.
	StatusOptional Status = "optional"
	// StatusUnwanted: needed, but the patch itself is locked.
	StatusUnwanted Status = "unwanted"
	// StatusApplied: some package the patch names is installed, and every
	// one of them at or above the patch's version.
	StatusApplied Status = "applied"
	// StatusNotNeeded: none of the packages the patch names is installed.
	StatusNotNeeded Status = "not-needed"
	// StatusRetracted: the vendor withdrew the patch (native backend only:
	// the metadata reader does not carry the update's status).
	StatusRetracted Status = "retracted"
	// StatusUndetermined: zypper could not tell.
	StatusUndetermined Status = "undetermined"
)

// Broken reports whether the status is one of those zypper gives a patch
// whose packages are installed at lower versions: needed, optional,
// unwanted.
func (s Status) Broken() bool {
	return s == StatusNeeded || s == StatusOptional || s == StatusUnwanted
}

// Patch is a zypper patch (an updateinfo update of a repository) as
// `zypper list-patches --all` shows it, with its status on the node.
type Patch struct {
	// Name is the patch ID ("SUSE-SLE-Module-Basesystem-15-SP5-2023-3821").
	Name string `json:"Name"`
	// Repository is the alias of the repository that carries it.
	Repository string `json:"Repository"`
	// Category is the category as the repository writes it, lower case
	// ("security", "recommended", "optional", "feature", "document",
	// "yast"; Red Hat-style "bugfix" and "enhancement" also occur).
	Category string `json:"Category"`
	// Severity is the severity with an upper-case initial ("Critical",
	// "Important", "Moderate", "Low"); empty when the patch has none
	// ("none").
	Severity string `json:"Severity,omitempty"`
	Status   Status `json:"Status"`
	// Date is the patch's date as zypper shows it ("Created On",
	// issue-date): the later of updateinfo's issued and updated dates, as
	// libsolv stores it.
	Date time.Time `json:"Date,omitzero"`
	// RebootSuggested is zypper's restart flag (a reboot after installing):
	// updateinfo's reboot_suggested.
	RebootSuggested bool `json:"RebootSuggested,omitempty"`
	// RestartSuggested is zypper's pkgmanager flag (an update of the
	// package manager itself, installed first): updateinfo's
	// restart_suggested.
	RestartSuggested bool `json:"RestartSuggested,omitempty"`
	// Interactive is zypper's interactive flag (a reboot, a message or a
	// licence to confirm). Native backend only.
	Interactive bool     `json:"Interactive,omitempty"`
	Summary     string   `json:"Summary,omitempty"`
	CVEIDs      []string `json:"CVEIds,omitempty"`
	BugzillaIDs []string `json:"BugzillaIds,omitempty"`
	// Packages are the packages the patch names (name, version, arch; an
	// arch of "" or noarch covers every architecture). The metadata backend
	// always fills them; the native backend for the patches whose status is
	// needed, optional, unwanted or retracted, from zypper info's conflicts.
	Packages []patchkit.Package `json:"Packages,omitempty"`
}

// optionalCategory reports libzypp's CAT_OPTIONAL categories.
func optionalCategory(c string) bool {
	switch strings.ToLower(c) {
	case "optional", "feature", "enhancement":
		return true
	}
	return false
}

// normSeverity turns a patch severity into Patch Manager's spelling:
// "important" and "Important" are "Important"; "none" (libzypp's "no
// severity given") and "" are "".
func normSeverity(s string) string {
	l := strings.ToLower(strings.TrimSpace(s))
	if l == "" || l == "none" {
		return ""
	}
	return strings.ToUpper(l[:1]) + l[1:]
}

func severityRank(s string) int {
	switch strings.ToLower(s) {
	case "critical":
		return 4
	case "important":
		return 3
	case "moderate", "medium":
		return 2
	case "low":
		return 1
	}
	return 0
}

// names reports whether the patch names the package version v: an entry
// with v's name, an architecture that covers v's (patchArchMatches), and
// v's version (an entry without an epoch has epoch 0, as libsolv reads
// it).
func (p *Patch) names(v patchkit.Package) bool {
	for _, e := range p.Packages {
		if e.Name == v.Name && patchArchMatches(e.Arch, v.Arch) && cmpEVR(e, v) == 0 {
			return true
		}
	}
	return false
}

// classify fills the baseline fields of c from the patches that name its
// version (docs/semantics.md §5.3 and §8.4): any patch makes the version
// Security=true. When several do: the security category wins, then the
// highest severity, then the earliest date, then the ID; Classification and
// ReleaseDate come from that patch; Severity is the highest of all;
// advisory, CVE and bugzilla IDs are the sorted union; RebootSuggested and
// RestartSuggested are set when any patch asks for a reboot or a restart
// of the package manager. A version no patch names keeps all of them
// empty.
func classify(c *patchkit.Patch, named []*Patch) error {
	if len(named) == 0 {
		return nil
	}
	named = slices.Clone(named)
	slices.SortFunc(named, func(a, b *Patch) int {
		as, bs := strings.EqualFold(a.Category, "security"), strings.EqualFold(b.Category, "security")
		if as != bs {
			if as {
				return -1
			}
			return 1
		}
		if d := severityRank(b.Severity) - severityRank(a.Severity); d != 0 {
			return d
		}
		if d := a.Date.Compare(b.Date); d != 0 {
			return d
		}
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Repository, b.Repository))
	})
	win := named[0]
	t, err := patchkit.ParseAdvisoryType(win.Category)
	if err != nil {
		return &PatchError{Patch: win.Name, Repository: win.Repository, Err: err}
	}
	c.Security = true
	c.Classification = t.Classification()
	c.ReleaseDate = win.Date
	best := ""
	for _, p := range named {
		if _, err := patchkit.ParseAdvisoryType(p.Category); err != nil {
			return &PatchError{Patch: p.Name, Repository: p.Repository, Err: err}
		}
		if severityRank(p.Severity) > severityRank(best) || (best == "" && p.Severity != "") {
			best = p.Severity
		}
		c.AdvisoryIDs = appendUnique(c.AdvisoryIDs, p.Name)
		c.CVEIDs = appendUnique(c.CVEIDs, p.CVEIDs...)
		c.BugzillaIDs = appendUnique(c.BugzillaIDs, p.BugzillaIDs...)
		c.RebootSuggested = c.RebootSuggested || p.RebootSuggested
		c.RestartSuggested = c.RestartSuggested || p.RestartSuggested
	}
	c.Severity = best
	slices.Sort(c.AdvisoryIDs)
	slices.Sort(c.CVEIDs)
	slices.Sort(c.BugzillaIDs)
	return nil
}

func appendUnique(l []string, v ...string) []string {
	for _, x := range v {
		if !slices.Contains(l, x) {
			l = append(l, x)
		}
	}
	return l
}

// patchStatus computes a patch's status from the installed packages as
// libsolv's trivial-installable check does for zypper: the patch is broken
// (needed) when an installed version of some package it names, in an
// architecture the entry covers, is lower than the entry's version; for a
// multiversion package (kernels) such a version does not count when another
// installed version of the same name and architecture is at or above the
// entry's. Otherwise the patch is applied when some package of a name it
// lists is installed, and not needed when none is. locked reports whether
// the patch itself is locked.
func patchStatus(p *Patch, inst *installedSet, locked, withOptional bool) Status {
	broken, relevant := false, false
	for _, e := range p.Packages {
		all := inst.byName[e.Name]
		for _, v := range all {
			relevant = true
			if !patchArchMatches(e.Arch, v.Arch) || cmpEVR(v, e) >= 0 {
				continue
			}
			if inst.multiversion[e.Name] && slices.ContainsFunc(all, func(w patchkit.Package) bool {
				return w.Arch == v.Arch && cmpEVR(w, e) >= 0
			}) {
				continue
			}
			broken = true
		}
	}
	switch {
	case broken && locked:
		return StatusUnwanted
	case broken && optionalCategory(p.Category) && !withOptional:
		return StatusOptional
	case broken:
		return StatusNeeded
	case relevant:
		return StatusApplied
	}
	return StatusNotNeeded
}

// installedSet holds the installed packages by name.
type installedSet struct {
	byName map[string][]patchkit.Package
	// multiversion marks the names zypp.conf's multiversion setting
	// covers (installed side by side, as kernels are).
	multiversion map[string]bool
}

func newInstalledSet(installed []patchkit.Package) (*installedSet, error) {
	s := &installedSet{byName: map[string][]patchkit.Package{}, multiversion: map[string]bool{}}
	for _, p := range installed {
		if p.Scheme != patchkit.RPM {
			return nil, &OptionError{Option: "installed", Reason: "package " + p.Name + " has scheme " + p.Scheme.String() + ", want rpm"}
		}
		if p.Name == "gpg-pubkey" {
			continue
		}
		s.byName[p.Name] = append(s.byName[p.Name], p)
	}
	return s, nil
}

// newest returns the newest installed version of name in each
// architecture, in the order the architectures first appear.
func (s *installedSet) newest(name string) []patchkit.Package {
	var out []patchkit.Package
	for _, p := range s.byName[name] {
		i := slices.IndexFunc(out, func(q patchkit.Package) bool { return q.Arch == p.Arch })
		switch {
		case i < 0:
			out = append(out, p)
		case cmpEVR(p, out[i]) > 0:
			out[i] = p
		}
	}
	return out
}

// several returns the names installed in more than one version of one
// architecture.
func (s *installedSet) several() map[string]bool {
	out := map[string]bool{}
	for n, l := range s.byName {
		for i := range l {
			for j := i + 1; j < len(l); j++ {
				if l[i].Arch == l[j].Arch {
					out[n] = true
				}
			}
		}
	}
	return out
}
