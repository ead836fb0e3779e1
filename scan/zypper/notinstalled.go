package zypper

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// offer is a package of primary.xml kept for WithNotInstalled: only what
// a patchkit.Package needs, so that a repository of tens of thousands of
// packages costs little until the versions are passed on.
type offer struct {
	name, arch       string
	version, release string
	sourceRPM        string
	epoch            uint32
	// repo is the index of the repository among the healthy ones, in
	// zypper's order.
	repo int
}

// offerSink collects the offers of every repository read, for
// WithNotInstalled: the packages of its architectures whose name and
// architecture are not installed. A nil sink collects nothing.
type offerSink struct {
	arch   archSet
	offers []offer
	repo   int // the index among the healthy repositories of the one read
}

// from sets the index the offers of the repository read next get (the
// number of healthy repositories before it) and returns the sink.
func (s *offerSink) from(repo int) *offerSink {
	if s != nil {
		s.repo = repo
	}
	return s
}

func (s *offerSink) add(p rpmmd.Package) {
	s.offers = append(s.offers, offer{name: p.Name, arch: p.Arch, version: p.Version, release: p.Release, sourceRPM: p.SourceRPM, epoch: p.Epoch, repo: s.repo})
}

// mark and reset drop the offers of a repository that could not be read.
func (s *offerSink) mark() int {
	if s == nil {
		return 0
	}
	return len(s.offers)
}

func (s *offerSink) reset(mark int) {
	if s != nil {
		s.offers = s.offers[:mark]
	}
}

// evr returns the offer's version as a package to compare (no allocation).
func (f *offer) evr() patchkit.Package {
	return patchkit.Package{Name: f.name, Arch: f.arch, Epoch: patchkit.EpochOf(f.epoch), Version: f.version, Release: f.release, Scheme: patchkit.RPM}
}

// sameVersion reports whether two offers are the same version of the same
// package (as primary.xml writes it).
func (f *offer) sameVersion(g *offer) bool {
	return f.name == g.name && f.arch == g.arch && f.epoch == g.epoch && f.version == g.version && f.release == g.release
}

// notInstalledSet is the versions WithNotInstalled passes on, chosen and
// checked, waiting for Read to succeed.
type notInstalledSet struct {
	repos  []*repoData
	offers []offer // sorted; chosen indexes the ones passed on
	chosen []int
}

// prepareNotInstalled merges the offers of the healthy repositories (in
// zypper's order) into one entry per version: a version offered by
// several repositories comes from the first of them, in zypper's order,
// that does not lock it; a version every repository locks is left out
// (zypper refuses to install it). Versions Updates returns (newer noarch
// versions of an installed package, and the reverse) are left out. It
// checks that every version can be classified, so that emit cannot fail.
func prepareNotInstalled(ctx context.Context, healthy []*repoData, offers []offer, updates []patchkit.Patch, patches []*Patch, byPkg map[string][]*Patch, locks []lock, o *options) (*notInstalledSet, error) {
	type vkey struct {
		name, arch, version, release string
		epoch                        uint32
	}
	returned := map[vkey]bool{}
	for _, u := range updates {
		e, _ := u.Epoch.Value()
		returned[vkey{u.Name, u.Arch, u.Version, u.Release, e}] = true
	}
	s := &notInstalledSet{repos: healthy, offers: offers}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(s.offers, func(a, b offer) int {
		if c := cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.arch, b.arch)); c != 0 {
			return c
		}
		return cmp.Or(cmpEVR(a.evr(), b.evr()), cmp.Compare(a.epoch, b.epoch), strings.Compare(a.version, b.version),
			strings.Compare(a.release, b.release), cmp.Compare(a.repo, b.repo))
	})
	// patches whose category cannot be classified: a version they name
	// is an error, as for an update
	var bad []*Patch
	for _, p := range patches {
		if _, err := patchkit.ParseAdvisoryType(p.Category); err != nil {
			bad = append(bad, p)
		}
	}
	for i := 0; i < len(s.offers); {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		j := i + 1
		for j < len(s.offers) && s.offers[j].sameVersion(&s.offers[i]) {
			j++
		}
		f := &s.offers[i]
		if returned[vkey{f.name, f.arch, f.version, f.release, f.epoch}] {
			i = j
			continue
		}
		pick := -1
		for k := i; k < j; k++ {
			g := &s.offers[k]
			if len(locks) == 0 || !lockedPackage(locks, g.evr(), healthy[g.repo].cfg.alias, false) {
				pick = k
				break
			}
		}
		if pick < 0 {
			o.logger.Info("version of a package that is not installed is locked: zypper would not install it", "package", f.name+"-"+edition(f.evr())+"."+f.arch)
			i = j
			continue
		}
		if len(bad) > 0 {
			named := namedBy(byPkg[f.name], f.evr())
			if slices.ContainsFunc(named, func(p *Patch) bool { return slices.Contains(bad, p) }) {
				var scratch patchkit.Patch
				if err := classify(&scratch, named); err != nil {
					return nil, err
				}
			}
		}
		s.chosen = append(s.chosen, pick)
		i = j
	}
	return s, nil
}

// emit passes each chosen version to the WithNotInstalled callback.
func (s *notInstalledSet) emit(byPkg map[string][]*Patch, o *options) {
	for _, k := range s.chosen {
		f := &s.offers[k]
		alias := s.repos[f.repo].cfg.alias
		p := patchkit.Patch{
			Package: rpmmd.Package{Name: f.name, Arch: f.arch, Epoch: f.epoch, Version: f.version, Release: f.release, SourceRPM: f.sourceRPM}.ToPatchkit(alias),
			Product: o.product,
		}
		if err := classify(&p, namedBy(byPkg[f.name], p.Package)); err != nil {
			// prepareNotInstalled returned this error already
			o.logger.Error("version not passed on: it cannot be classified", "package", p.NEVRA(), "err", err)
			continue
		}
		o.notInstalled(p)
	}
}
