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
	name, arch, ver   string // as the record gives them
	source, sourceVer string // the record's Source field, "" without one
	section, priority string
	epoch             patchkit.Epoch
	up, rev           int32 // ver[up:rev] is the upstream version, ver[rev+1:] the revision if rev < len(ver)
	fi                int32 // index into the repository's files
}

// upstream and revision split the version as ParseDpkg does.
func (o *offer) upstream() string { return o.ver[o.up:o.rev] }
func (o *offer) revision() string {
	if int(o.rev) < len(o.ver) {
		return o.ver[o.rev+1:]
	}
	return ""
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
	// A valid version has no surrounding blanks: it is "[epoch:]upstream[-revision]".
	rev := len(rec.Version)
	if p.Release != "" {
		rev -= len(p.Release) + 1
	}
	of := offer{
		name: rec.Package, arch: rec.Architecture, ver: rec.Version,
		source: rec.Source, sourceVer: rec.SourceVersion,
		section: rec.Section, priority: rec.Priority,
		epoch: p.Epoch, up: int32(rev - len(p.Version)), rev: int32(rev), fi: int32(fi),
	}
	if of.up < 0 || of.upstream() != p.Version || of.revision() != p.Release {
		return &patchkit.ParseError{Kind: "dpkg version", Input: rec.Version, Reason: "not in the form [epoch:]upstream[-revision]"}
	}
	if l.n%offerChunk == 0 {
		l.chunks = append(l.chunks, make([]offer, 0, offerChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, of)
	l.n++
	return nil
}

// sort orders the records by name, apt architecture and version (oldest
// first), then as read; the records themselves are not moved. A radix
// sort on the names' first 24 bytes (stable, so records read earlier stay
// first) does most of the work; the runs of records whose names share
// those bytes are then sorted by compareOffers.
func (l *offerList) sort(native string) {
	keys := make([]offerKey, l.n)
	for i := range keys {
		keys[i] = offerKey{prefix: namePrefix(l.at(int32(i)).name), idx: int32(i)}
	}
	tmp := make([]offerKey, len(keys))
	var count [1 << 8]int
	// least significant byte first
	for b := 23; b >= 0 && len(keys) > 1; b-- {
		w, shift := b/8, uint(56-8*(b%8))
		digit := func(k *offerKey) byte { return byte(k.prefix[w] >> shift) }
		clear(count[:])
		for i := range keys {
			count[digit(&keys[i])]++
		}
		if count[digit(&keys[0])] == len(keys) {
			continue // every name has the same byte here
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for i := range keys {
			d := digit(&keys[i])
			tmp[count[d]] = keys[i]
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].prefix == keys[i].prefix {
			j++
		}
		if j-i > 1 {
			slices.SortStableFunc(keys[i:j], func(a, b offerKey) int {
				return compareOffers(l.at(a.idx), l.at(b.idx), native)
			})
		}
		i = j
	}
	l.order = keys
}

// compareKeys compares the record of a (in l) and that of b (in lb) as
// compareOffers does; the names' first bytes, as integers, decide most
// comparisons without looking at the records.
func (l *offerList) compareKeys(a, b offerKey, lb *offerList, native string) int {
	switch {
	case a.prefix[0] != b.prefix[0]:
		return cmpUint(a.prefix[0], b.prefix[0])
	case a.prefix[1] != b.prefix[1]:
		return cmpUint(a.prefix[1], b.prefix[1])
	case a.prefix[2] != b.prefix[2]:
		return cmpUint(a.prefix[2], b.prefix[2])
	}
	return compareOffers(l.at(a.idx), lb.at(b.idx), native)
}

// cmpUint orders two integers that differ.
func cmpUint(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}

// offerKey is a record's place in its list and its name's first 24 bytes
// (Debian has thousands of names that share their first 16, as
// "librust-tokio-1+...").
type offerKey struct {
	prefix [3]uint64
	idx    int32
}

// namePrefix returns the first 24 bytes of name as big-endian integers,
// padded with zeros: they compare as the names' prefixes do (names hold
// no NUL byte).
func namePrefix(name string) (p [3]uint64) {
	var b [24]byte
	copy(b[:], name)
	for i := range p {
		p[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	return p
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
		first    *offer // the current version's first record
		firstKey offerKey
		files    []int // the files offering it
	)
	flush := func() {
		if first == nil {
			return
		}
		p := patchkit.Patch{
			Package: patchkit.Package{
				Name: first.name, Epoch: first.epoch, Version: first.upstream(), Release: first.revision(),
				Arch: first.arch, Scheme: patchkit.Deb,
				SourceName: cmp.Or(first.source, first.name), SourceVersion: cmp.Or(first.sourceVer, first.ver),
				Section: first.section, Priority: first.priority,
			},
			Product: o.product,
		}
		p.Repository, p.Security = st.origins(files)
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
		// a name that differs in its first bytes is another package
		if first != nil && bk.prefix == firstKey.prefix && compareOffers(first, bo, native) == 0 {
			if !slices.Contains(files, fi) {
				files = append(files, fi)
			}
			continue
		}
		flush()
		first, firstKey, files = bo, bk, append(files[:0], fi)
	}
	flush()
}
