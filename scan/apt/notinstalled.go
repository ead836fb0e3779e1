package apt

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	aptrepo "github.com/patchkit/patchkit/repo/apt"
)

// offer is one record of a package that is not installed, reduced to what
// its Patch needs; the strings are those of the record (no copies).
type offer struct {
	name, arch, ver    string // as the record gives them
	upstream, revision string // ver split, without its epoch
	source, sourceVer  string // the record's Source field, "" without one
	section, priority  string
	epoch              patchkit.Epoch
	fi                 int32 // index into the repository's files
}

// offerList is the records of not-installed packages one repository gave,
// in the order read, and once sorted the order to visit them in. The
// records are kept in chunks of a fixed size, so that a list of tens of
// thousands is never copied to grow.
type offerList struct {
	chunks [][]offer
	n      int
	order  []offerKey // the records, sorted by compareKeys
}

const offerChunk = 1 << 11

// at returns the i-th record read.
func (l *offerList) at(i int32) *offer {
	return &l.chunks[i/offerChunk][i%offerChunk]
}

// add checks a record as ToPatchkit would (a name, architecture and
// version dpkg accepts) and keeps it.
func (l *offerList) add(rec aptrepo.Package, fi int) error {
	if strings.IndexByte(rec.Package, ':') >= 0 {
		// ParseDpkg would read it as name:arch
		return patchkit.ValidateName(patchkit.Deb, rec.Package)
	}
	if err := patchkit.ValidateArch(patchkit.Deb, rec.Architecture); err != nil {
		return err
	}
	// the name and the version
	p, err := patchkit.ParseDpkg(rec.Package, rec.Version)
	if err != nil {
		return err
	}
	if l.n%offerChunk == 0 {
		l.chunks = append(l.chunks, make([]offer, 0, offerChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, offer{
		name: rec.Package, arch: rec.Architecture, ver: rec.Version,
		upstream: p.Version, revision: p.Release, epoch: p.Epoch,
		source: rec.Source, sourceVer: rec.SourceVersion,
		section: rec.Section, priority: rec.Priority,
		fi: int32(fi),
	})
	l.n++
	return nil
}

// sort orders the records by name, apt architecture and version (oldest
// first), then as read; the records themselves are not moved.
func (l *offerList) sort(native string) {
	l.order = make([]offerKey, l.n)
	for i := range l.order {
		k := &l.order[i]
		k.idx = int32(i)
		k.hi, k.lo = namePrefix(l.at(k.idx).name)
	}
	slices.SortFunc(l.order, func(a, b offerKey) int {
		return cmp.Or(l.compareKeys(a, b, l, native), cmp.Compare(a.idx, b.idx))
	})
}

// compareKeys compares the record of a (in l) and that of b (in lb) as
// compareOffers does; the names' first 16 bytes, as two integers, decide
// most comparisons.
func (l *offerList) compareKeys(a, b offerKey, lb *offerList, native string) int {
	if a.hi != b.hi {
		return cmp.Compare(a.hi, b.hi)
	}
	if a.lo != b.lo {
		return cmp.Compare(a.lo, b.lo)
	}
	return compareOffers(l.at(a.idx), lb.at(b.idx), native)
}

// offerKey is a record's place in its list and its name's first 16 bytes.
type offerKey struct {
	hi, lo uint64
	idx    int32
}

// namePrefix returns the first 16 bytes of name as two big-endian
// integers, padded with zeros: they compare as the names' prefixes do
// (names hold no NUL byte).
func namePrefix(name string) (hi, lo uint64) {
	var b [16]byte
	copy(b[:], name)
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// compareOffers orders records by name, apt architecture and version,
// the order of WithNotInstalled's calls; records of one version compare
// equal.
func compareOffers(a, b *offer, native string) int {
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	if c := strings.Compare(aptArch(a.arch, native), aptArch(b.arch, native)); c != 0 {
		return c
	}
	if a.ver == b.ver {
		return 0
	}
	return patchkit.Deb.Compare(a.ver, b.ver)
}

// emitNotInstalled passes every version of a package that is not installed
// to the WithNotInstalled callback, by name, apt architecture and version,
// merging the records of one version as addRecord does: the first record
// read gives the package's fields, every file offering the version its
// origin. The repositories' sorted lists are merged, ties going to the
// repository read first, so a version's files are in the sources' order.
func (st *scanState) emitNotInstalled(o *options) {
	native := st.pol.native
	heads := make([]int, len(st.others))
	var (
		first   *offer // the current version's first record
		files   []int  // the files offering it
		origins []string
	)
	flush := func() {
		if first == nil {
			return
		}
		p := patchkit.Patch{
			Package: patchkit.Package{
				Name: first.name, Epoch: first.epoch, Version: first.upstream, Release: first.revision,
				Arch: first.arch, Scheme: patchkit.Deb,
				SourceName: cmp.Or(first.source, first.name), SourceVersion: cmp.Or(first.sourceVer, first.ver),
				Section: first.section, Priority: first.priority,
			},
			Product: o.product,
		}
		p.Repository, p.Security, origins = st.origins(files, origins[:0])
		p.Section, p.Priority = first.section, first.priority
		if p.Security {
			p.Classification = "Security"
		}
		if st.held[nameArch{first.name, aptArch(first.arch, native)}] {
			p.Want = "hold"
		}
		o.notInstalled(p)
	}
	for {
		best := -1
		var bk offerKey
		for r := range st.others {
			l := &st.others[r]
			if heads[r] == len(l.order) {
				continue
			}
			k := l.order[heads[r]]
			if best < 0 || l.compareKeys(k, bk, &st.others[best], native) < 0 {
				best, bk = r, k
			}
		}
		if best < 0 {
			break
		}
		heads[best]++
		bo := st.others[best].at(bk.idx)
		fi := st.otherBase[best] + int(bo.fi)
		if first != nil && compareOffers(first, bo, native) == 0 {
			if !slices.Contains(files, fi) {
				files = append(files, fi)
			}
			continue
		}
		flush()
		first, files = bo, append(files[:0], fi)
	}
	flush()
}
