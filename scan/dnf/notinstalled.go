package dnf

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// otherPkg is an available package kept for WithNotInstalled: what its
// Patch needs and no more. The strings are the parser's (version, release,
// architecture and source rpm interned per primary.xml by rpmmd); the
// location and checksums of the record are not kept.
type otherPkg struct {
	name, arch, ver, rel, srpm string
	epoch                      uint32
	ord                        int   // the record's ordinal in primary.xml, until its build time is known
	built                      int64 // build time in Unix seconds; 0 when not known
	rc                         *repoConfig
}

// otherChunk is how many records a block of an otherList holds at most.
const otherChunk = 1024

// otherList holds the kept records in blocks, so that growing it never
// copies what it holds (a primary.xml has tens of thousands of records,
// and append's growth would allocate several times their size). The
// blocks double from 16 records to otherChunk, so that a small
// repository takes little.
type otherList struct {
	blocks [][]otherPkg
	n      int
}

func (l *otherList) add(p otherPkg) {
	if len(l.blocks) == 0 || len(l.blocks[len(l.blocks)-1]) == cap(l.blocks[len(l.blocks)-1]) {
		l.blocks = append(l.blocks, make([]otherPkg, 0, min(max(16, l.n), otherChunk)))
	}
	last := &l.blocks[len(l.blocks)-1]
	*last = append(*last, p)
	l.n++
}

// each calls f with a pointer to every record, in the order added.
func (l *otherList) each(f func(*otherPkg)) {
	for _, b := range l.blocks {
		for i := range b {
			f(&b[i])
		}
	}
}

func newOther(p rpmmd.Package, rc *repoConfig, ord int) otherPkg {
	return otherPkg{name: p.Name, arch: p.Arch, ver: p.Version, rel: p.Release, srpm: p.SourceRPM, epoch: p.Epoch, ord: ord, rc: rc}
}

// version is the package as cmpEVR orders it.
func (p *otherPkg) version() patchkit.Package {
	return patchkit.Package{Name: p.name, Scheme: patchkit.RPM, Epoch: patchkit.EpochOf(p.epoch), Version: p.ver, Release: p.rel, Arch: p.arch}
}

func (p *otherPkg) key() pkgKey {
	return pkgKey{name: p.name, arch: p.arch, epoch: p.epoch, ver: p.ver, rel: p.rel}
}

// cmpOther orders by name, architecture, version (rpm's order, then the
// text, so that only one NEVRA compares equal to itself), then the
// repository dnf prefers for the same NEVRA first.
func cmpOther(a, b *otherPkg) int {
	if c := cmp.Compare(a.name, b.name); c != 0 {
		return c
	}
	if c := cmp.Compare(a.arch, b.arch); c != 0 {
		return c
	}
	if c := cmpEVR(a.version(), b.version()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ver, b.ver); c != 0 {
		return c
	}
	if c := cmp.Compare(a.rel, b.rel); c != 0 {
		return c
	}
	if c := cmp.Compare(a.rc.priority, b.rc.priority); c != 0 {
		return c
	}
	if c := cmp.Compare(a.rc.cost, b.rc.cost); c != 0 {
		return c
	}
	return cmp.Compare(a.rc.order, b.rc.order)
}

// archInstalled reports whether a package of the name is installed in the
// architecture.
func archInstalled(installed []instPkg, arch string) bool {
	for _, i := range installed {
		if i.Arch == arch {
			return true
		}
	}
	return false
}

// notInstalled gathers the versions WithNotInstalled passes on: the
// packages of the healthy repositories whose (name, arch) is not
// installed, of an architecture the node installs and not hidden by
// excludepkgs or includepkgs; of an installed name, only those that do not
// upgrade it (those are Updates' own). It returns one entry per NEVRA, from
// the repository dnf would take it from (best priority, then lowest cost,
// then configuration order), sorted by name, architecture and version.
func notInstalled(ctx context.Context, cfg *config, inst map[string][]instPkg, data []*repoData, archOK map[string]bool) ([]*otherPkg, error) {
	size := 0
	for _, rd := range data {
		size += rd.others.n
	}
	list := make([]*otherPkg, 0, size)
	for _, rd := range data {
		if rd.status.Health != repo.HealthOK {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rc := rd.cfg
		// Names that are not installed: the architecture was checked when
		// the record was read.
		rd.others.each(func(p *otherPkg) {
			if !excludedBy(cfg, rc, p.name, p.epoch, p.ver, p.rel, p.arch) {
				list = append(list, p)
			}
		})
		// Installed names in an architecture that is not installed (a
		// multilib sibling, or an arch package beside a noarch one), unless
		// the version upgrades the installed package.
		for _, p := range rd.pkgs {
			ins := inst[p.Name]
			if !archOK[p.Arch] || archInstalled(ins, p.Arch) || excludedBy(cfg, rc, p.Name, p.Epoch, p.Version, p.Release, p.Arch) {
				continue
			}
			o := newOther(p, rc, 0)
			if _, up := upgrades(ins, o.version()); up {
				continue
			}
			if bt := rd.extras[o.key()].buildTime; !bt.IsZero() {
				o.built = bt.Unix()
			}
			list = append(list, &o)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(list, cmpOther)
	// The first of equal NEVRAs is from the preferred repository.
	return slices.CompactFunc(list, func(a, b *otherPkg) bool {
		return a.name == b.name && a.arch == b.arch && a.epoch == b.epoch && a.ver == b.ver && a.rel == b.rel
	}), nil
}

// emitNotInstalled passes each gathered version to the caller's function
// as a Patch filled as an update is: the package with its source, the
// repository, the product, the notices that ship it (else its build time),
// Candidate false.
func emitNotInstalled(o *options, list []*otherPkg, notices map[pkgKey][]*patchkit.Advisory) {
	for _, p := range list {
		rp := rpmmd.Package{Name: p.name, Arch: p.arch, Epoch: p.epoch, Version: p.ver, Release: p.rel, SourceRPM: p.srpm}
		pt := patchkit.Patch{Package: rp.ToPatchkit(p.rc.ID), Product: o.product}
		ns := notices[p.key()]
		classify(&pt, ns, o.dateRule)
		if len(ns) == 0 && p.built != 0 {
			pt.ReleaseDate = time.Unix(p.built, 0).UTC()
		}
		o.notInstalled(pt)
	}
}
