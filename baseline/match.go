package baseline

import (
	mathbits "math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
)

// entryKind says what an approved or rejected list entry names.
type entryKind uint8

const (
	entryPackage     entryKind = iota // package forms (patterns allowed)
	entryBugzilla                     // digits only: a Bugzilla ID (approved list, rpm systems)
	entryCVE                          // CVE-...: a CVE ID (approved list, rpm systems)
	entryAdvisoryPkg                  // an advisory ID, or else package forms
)

// glob is a compiled pattern entry.
type glob struct {
	pattern string // lower-cased
	prefix  string // literal prefix before the first metacharacter
	suffix  string // literal suffix after the last metacharacter
	pure    bool   // pattern is prefix + "*"
	list    uint8  // listRejected or listApproved
	entry   int    // index in its list
}

// The two lists a matcher holds.
const (
	listRejected = 0
	listApproved = 1
)

// bloom is a one-hash Bloom filter over (first byte, last byte, length) of
// strings: a string whose triple is not in the filter is not in the set, so
// most lookups of candidate forms end without building or hashing them.
type bloom [1 << 10]uint64

func bloomSlot(first, last byte, n int) uint32 {
	h := uint32(first)*0x9e3779b1 ^ uint32(last)*0x85ebca77 ^ uint32(n)*0xc2b2ae3d
	return (h ^ h>>15) & (1<<16 - 1)
}

func (b *bloom) add(s string) {
	if s == "" {
		return
	}
	i := bloomSlot(s[0], s[len(s)-1], len(s))
	b[i/64] |= 1 << (i % 64)
}

func (b *bloom) has(first, last byte, n int) bool {
	i := bloomSlot(first, last, n)
	return b[i/64]&(1<<(i%64)) != 0
}

// globIndex finds the patterns that can match a string: those whose literal
// prefix is a prefix of it (looked up by each prefix length in use), those
// whose prefix is longer and starts with it (a range of the sorted list),
// and those with no literal prefix (bucketed by the last byte of their
// literal suffix).
type globIndex struct {
	byPrefix map[string][]glob
	prefixes bloom     // of the literal prefixes
	plens    [2]uint64 // prefix lengths in use (< 128)
	sorted   []glob    // patterns with a prefix, by prefix
	open     [256][]glob
	anyOpen  []glob // no literal prefix and no literal suffix
	n        int
	// pair marks the first two bytes of every literal prefix (and, for
	// one-byte prefixes, every pair they start): a head whose first two
	// bytes are unmarked needs no prefix lookup at all.
	pair [1 << 16]bool
}

// pairIndex is the pair-table slot of the first two bytes of s (of its
// first hlen bytes).
func pairIndex(s string, hlen int32) int {
	switch {
	case hlen <= 0 || len(s) == 0:
		return 0
	case hlen == 1 || len(s) == 1:
		return int(s[0]) << 8
	}
	return int(s[0])<<8 | int(s[1])
}

func (ix *globIndex) add(g glob) {
	ix.n++
	switch {
	case g.prefix != "":
		if ix.byPrefix == nil {
			ix.byPrefix = map[string][]glob{}
		}
		ix.byPrefix[g.prefix] = append(ix.byPrefix[g.prefix], g)
		ix.prefixes.add(g.prefix)
		if len(g.prefix) == 1 {
			for c := 0; c < 256; c++ {
				ix.pair[int(g.prefix[0])<<8|c] = true
			}
		}
		ix.pair[pairIndex(g.prefix, int32(len(g.prefix)))] = true
		ix.pair[int(g.prefix[0])<<8] = true // the slot of one-byte heads
		if l := len(g.prefix); l < 128 {
			ix.plens[l/64] |= 1 << (l % 64)
		}
		i := sort.Search(len(ix.sorted), func(i int) bool { return ix.sorted[i].prefix > g.prefix })
		ix.sorted = slices.Insert(ix.sorted, i, g)
	case g.suffix != "":
		c := g.suffix[len(g.suffix)-1]
		ix.open[c] = append(ix.open[c], g)
	default:
		ix.anyOpen = append(ix.anyOpen, g)
	}
}

func newGlob(lower string, list uint8, entry int) glob {
	pre := literalPrefix(lower)
	suf := literalSuffix(lower)
	return glob{pattern: lower, prefix: pre, suffix: suf, list: list, entry: entry,
		pure: len(lower) == len(pre)+1 && lower[len(pre)] == '*'}
}

// test reports whether g matches s.
func (g *glob) test(s string) bool {
	if len(s) < len(g.prefix)+len(g.suffix) || !strings.HasPrefix(s, g.prefix) || !strings.HasSuffix(s, g.suffix) {
		return false
	}
	return g.pure || globMatch(g.pattern, s)
}

// listMatcher matches candidates against a baseline's rejected and
// approved lists at once. Literal entries are found by hashing the candidate
// forms that an index of (first byte, length) says could be one; patterns
// through a prefix index, so a candidate is tried only against patterns that
// can match it.
type listMatcher struct {
	lists   [2][]string
	exact   map[string][2]int32 // lower-cased literal form -> first entry in each list, or -1
	present bloom               // of the literal entries
	globs   globIndex
	ids     map[string]int // approved advisory, CVE and Bugzilla IDs (exact, case-sensitive)
	idGlobs []glob         // SUSE: approved pattern entries, also tried on zypper patch names
	kind    osKind
	aptExt  bool
	suseRPM bool
}

func compileLists(rejected, approved []string, kind osKind, o options) *listMatcher {
	m := &listMatcher{lists: [2][]string{rejected, approved}, exact: map[string][2]int32{}, ids: map[string]int{},
		kind: kind, aptExt: o.aptExtendedForms, suseRPM: o.susePackageForms}
	for list := uint8(0); list < 2; list++ {
		for i, e := range m.lists[list] {
			m.addEntry(list, i, e)
		}
	}
	return m
}

func (m *listMatcher) addEntry(list uint8, i int, e string) {
	if list == listApproved && m.kind == kindRPM {
		switch classifyEntry(e) {
		case entryBugzilla, entryCVE:
			m.addID(e, i)
			return
		case entryAdvisoryPkg:
			m.addID(e, i)
		}
	}
	if list == listApproved && m.kind == kindSUSE {
		// zypper patch names are matched as IDs, patterns allowed.
		m.addID(e, i)
	}
	lower := asciiLower(e)
	if m.kind == kindWindows {
		lower = windowsID(lower)
	}
	if m.kind != kindMacOS && hasMeta(lower) {
		g := newGlob(lower, list, i)
		if m.kind == kindSUSE && list == listApproved {
			m.idGlobs = append(m.idGlobs, g)
		}
		m.globs.add(g)
		return
	}
	ref, ok := m.exact[lower]
	if !ok {
		ref = [2]int32{-1, -1}
	}
	if ref[list] < 0 {
		ref[list] = int32(i)
	}
	m.exact[lower] = ref
	m.present.add(lower)
}

func (m *listMatcher) addID(e string, i int) {
	if _, dup := m.ids[e]; !dup {
		m.ids[e] = i
	}
}

// classifyEntry tells IDs from package names in an rpm approved list: a
// digits-only entry is a Bugzilla ID, "CVE-..." a CVE ID, and an entry shaped
// like an advisory ID (RHSA-2017:0864, ALAS-2018-123, ALAS2023-2025-123,
// ELSA-2025-123) is tried both as an advisory ID and as a package.
func classifyEntry(e string) entryKind {
	digits := e != ""
	for i := 0; i < len(e); i++ {
		if e[i] < '0' || e[i] > '9' {
			digits = false
			break
		}
	}
	switch {
	case digits:
		return entryBugzilla
	case strings.HasPrefix(e, "CVE-"):
		return entryCVE
	}
	if dash := strings.IndexByte(e, '-'); dash > 0 {
		for i := 0; i < dash; i++ {
			if c := e[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				return entryPackage
			}
		}
		return entryAdvisoryPkg
	}
	return entryPackage
}

// windowsID lower-cases a KB number without its "kb" prefix, so "KB2032276"
// and "2032276" are the same update.
func windowsID(s string) string {
	return strings.TrimPrefix(s, "kb")
}

// Parts a candidate's forms are made of, and the separators between them.
const (
	partName = iota
	partArch
	partVersion
	partRelease
	partEpoch
	partExtra  // apt: the full version; Windows: the KB number
	partExtra2 // Windows: the bulletin ID
	numParts

	sepDot   = -1 // "."
	sepDash  = -2 // "-"
	sepColon = -3 // ":"
	sepRPM   = -4 // ".rpm"
)

var separators = [...]string{"", ".", "-", ":", ".rpm"}

const (
	headName uint8 = iota
	headVersion
	headEpoch
	headOther
)

// recipe says how one form is made: its head kind and its pieces (part
// indexes, or separators as negative numbers).
type recipe struct {
	head   uint8
	pieces []int8
}

// The forms of the node payload's package matcher (docs/semantics.md §6.2):
// n, na, nv, nvr, nvra, v, vr, evr, nevr, nevra, envra, naevr.
var rpmRecipes = []recipe{
	{headName, []int8{partName}},
	{headName, []int8{partName, sepDot, partArch}},
	{headName, []int8{partName, sepDash, partVersion}},
	{headName, []int8{partName, sepDash, partVersion, sepDash, partRelease}},
	{headName, []int8{partName, sepDash, partVersion, sepDash, partRelease, sepDot, partArch}},
	{headVersion, []int8{partVersion}},
	{headVersion, []int8{partVersion, sepDash, partRelease}},
	{headEpoch, []int8{partEpoch, sepColon, partVersion, sepDash, partRelease}},
	{headName, []int8{partName, sepDash, partEpoch, sepColon, partVersion, sepDash, partRelease}},
	{headName, []int8{partName, sepDash, partEpoch, sepColon, partVersion, sepDash, partRelease, sepDot, partArch}},
	{headEpoch, []int8{partEpoch, sepColon, partName, sepDash, partVersion, sepDash, partRelease, sepDot, partArch}},
	{headName, []int8{partName, sepDot, partArch, sepColon, partEpoch, sepColon, partVersion, sepDash, partRelease}},
}

var (
	nameRecipes = []recipe{{headName, []int8{partName}}}
	// SUSE: the rpm file name.
	suseRecipes    = []recipe{{headName, []int8{partName, sepDash, partVersion, sepDash, partRelease, sepDot, partArch, sepRPM}}}
	suseRPMRecipes = append(append([]recipe(nil), suseRecipes...), rpmRecipes...)
	// apt with AptExtendedForms: n, v, n.a, n-v, a:v, n.a:v (v the full version).
	aptExtRecipes = []recipe{
		{headName, []int8{partName}},
		{headVersion, []int8{partExtra}},
		{headName, []int8{partName, sepDot, partArch}},
		{headName, []int8{partName, sepDash, partExtra}},
		{headOther, []int8{partArch, sepColon, partExtra}},
		{headName, []int8{partName, sepDot, partArch, sepColon, partExtra}},
	}
	windowsRecipes = []recipe{{headOther, []int8{partExtra}}, {headOther, []int8{partExtra2}}}
)

func (m *listMatcher) recipes() []recipe {
	switch m.kind {
	case kindRPM:
		return rpmRecipes
	case kindSUSE:
		if m.suseRPM {
			return suseRPMRecipes
		}
		return suseRecipes
	case kindApt:
		if m.aptExt {
			return aptExtRecipes
		}
		return nameRecipes
	case kindWindows:
		return windowsRecipes
	}
	return nameRecipes
}

// forms holds the strings a candidate is known by, lower-cased. Only the
// parts are prepared up front; a form is put together only when an index
// says it could match something.
type forms struct {
	parts   [numParts]string
	recipes []recipe
	buf     []byte // built forms; sized up front so that it never moves
	scratch []byte // lower-cased parts; sized up front likewise
	built   [16]bool
	spans   [16][2]int32
}

// prepare sets the parts for p and forgets the forms built before.
func (f *forms) prepare(p *patchkit.Patch, recipes []recipe, needEVR bool, epochBuf []byte) {
	f.recipes = recipes
	f.built = [16]bool{}
	f.buf, f.scratch = f.buf[:0], f.scratch[:0]
	need := len(p.Name) + len(p.Arch) + len(p.Version) + len(p.Release) + len(p.KBNumber) + len(p.MsrcNumber) + 32
	if cap(f.scratch) < 2*need {
		f.scratch = make([]byte, 0, 4*need)
	}
	if cap(f.buf) < 16*need {
		f.buf = make([]byte, 0, 32*need)
	}
	f.parts[partName] = f.lower(p.Name)
	f.parts[partArch] = f.lower(p.Arch)
	f.parts[partVersion] = f.lower(p.Version)
	f.parts[partRelease] = f.lower(p.Release)
	f.parts[partEpoch] = "0"
	if ev, ok := p.Epoch.Value(); ok {
		f.parts[partEpoch] = unsafeString(strconv.AppendUint(epochBuf[:0], uint64(ev), 10))
	}
	f.parts[partExtra], f.parts[partExtra2] = "", ""
	switch {
	case p.Scheme == patchkit.Deb && needEVR:
		f.parts[partExtra] = f.lower(p.EVR())
	case p.KBNumber != "" || p.MsrcNumber != "":
		f.parts[partExtra] = windowsID(f.lower(p.KBNumber))
		f.parts[partExtra2] = f.lower(p.MsrcNumber)
	}
}

// lower returns s in lower case, in the scratch buffer when s has upper-case
// letters (most package names and versions have none).
func (f *forms) lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			start := len(f.scratch)
			for j := 0; j < len(s); j++ {
				c := s[j]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				f.scratch = append(f.scratch, c)
			}
			return unsafeString(f.scratch[start:])
		}
	}
	return s
}

func (f *forms) piece(x int8) string {
	if x >= 0 {
		return f.parts[x]
	}
	return separators[-x]
}

// length, first and last give form i's length and end bytes without
// building it.
func (f *forms) length(i int) int {
	n := 0
	for _, x := range f.recipes[i].pieces {
		n += len(f.piece(x))
	}
	return n
}

func (f *forms) first(i int) (byte, bool) {
	for _, x := range f.recipes[i].pieces {
		if s := f.piece(x); s != "" {
			return s[0], true
		}
	}
	return 0, false
}

func (f *forms) last(i int) (byte, bool) {
	ps := f.recipes[i].pieces
	for k := len(ps) - 1; k >= 0; k-- {
		if s := f.piece(ps[k]); s != "" {
			return s[len(s)-1], true
		}
	}
	return 0, false
}

// head returns the part all forms of recipe i's head kind start with.
func (f *forms) head(i int) string {
	r := f.recipes[i]
	if r.head == headOther {
		return f.get(i)
	}
	return f.piece(r.pieces[0])
}

// get returns form i, building it on first use.
func (f *forms) get(i int) string {
	if !f.built[i] {
		start := len(f.buf)
		for _, x := range f.recipes[i].pieces {
			f.buf = append(f.buf, f.piece(x)...)
		}
		f.spans[i] = [2]int32{int32(start), int32(len(f.buf))}
		f.built[i] = true
	}
	return unsafeString(f.buf[f.spans[i][0]:f.spans[i][1]])
}

// match returns the earliest entry of each list that matches p (-1 for
// none), indexed by listRejected and listApproved.
func (m *listMatcher) match(p *patchkit.Patch, f *forms, epochBuf []byte) [2]int {
	best := [2]int{-1, -1}
	if len(m.lists[0])+len(m.lists[1]) == 0 {
		return best
	}
	f.prepare(p, m.recipes(), m.kind == kindApt && m.aptExt, epochBuf)
	if len(m.ids) > 0 {
		for _, list := range [][]string{p.AdvisoryIDs, p.CVEIDs, p.BugzillaIDs} {
			for _, id := range list {
				if i, ok := m.ids[id]; ok && (best[1] < 0 || i < best[1]) {
					best[1] = i
				}
			}
		}
	}
	if len(m.idGlobs) > 0 {
		for _, id := range p.AdvisoryIDs {
			lid := asciiLower(id)
			for _, g := range m.idGlobs {
				if (best[1] < 0 || g.entry < best[1]) && globMatch(g.pattern, lid) {
					best[1] = g.entry
				}
			}
		}
	}
	if len(m.exact) > 0 {
		for i := range f.recipes {
			c, ok := f.first(i)
			if !ok {
				continue
			}
			z, _ := f.last(i)
			if !m.present.has(c, z, f.length(i)) {
				continue
			}
			if ref, ok := m.exact[f.get(i)]; ok {
				for list := range ref {
					if e := int(ref[list]); e >= 0 && (best[list] < 0 || e < best[list]) {
						best[list] = e
					}
				}
			}
		}
	}
	if m.globs.n > 0 {
		m.matchGlobs(f, &best)
	}
	return best
}

// matchGlobs tries the pattern entries and lowers best to the earliest
// matching entry of each list. Forms of one head kind share their
// head, so the index is consulted once per head kind with the head alone,
// and forms are built only for the patterns it returns; a pure prefix
// pattern ("dbus*") whose prefix lies within the head matches at once.
func (m *listMatcher) matchGlobs(f *forms, best *[2]int) {
	ix := &m.globs
	var seen uint8 // head kinds done
	for i, r := range f.recipes {
		if r.head == headOther || seen&(1<<r.head) == 0 {
			seen |= 1 << r.head
			head := f.head(i)
			if len(head) == 0 || ix.pair[pairIndex(head, int32(len(head)))] {
				for w := 0; w < 2; w++ {
					for bits := ix.plens[w]; bits != 0; bits &= bits - 1 {
						k := w*64 + mathbits.TrailingZeros64(bits)
						if k > len(head) {
							break
						}
						if !ix.prefixes.has(head[0], head[k-1], k) {
							continue
						}
						gs := ix.byPrefix[head[:k]]
						for gi := range gs {
							g := &gs[gi]
							if earlier(best, g) && (g.pure || m.testHead(f, i, g)) {
								best[g.list] = g.entry
							}
						}
					}
				}
				// Prefixes longer than the head that start with it.
				lo, hi := 0, len(ix.sorted)
				for lo < hi {
					mid := int(uint(lo+hi) >> 1)
					if ix.sorted[mid].prefix > head {
						hi = mid
					} else {
						lo = mid + 1
					}
				}
				for gi := lo; gi < len(ix.sorted) && strings.HasPrefix(ix.sorted[gi].prefix, head); gi++ {
					g := &ix.sorted[gi]
					if earlier(best, g) && m.testHead(f, i, g) {
						best[g.list] = g.entry
					}
				}
			}
		}
		if c, ok := f.last(i); ok {
			gs := ix.open[c]
			for gi := range gs {
				if g := &gs[gi]; earlier(best, g) && g.test(f.get(i)) {
					best[g.list] = g.entry
				}
			}
		}
		for gi := range ix.anyOpen {
			if g := &ix.anyOpen[gi]; earlier(best, g) && g.test(f.get(i)) {
				best[g.list] = g.entry
			}
		}
	}
}

// earlier reports whether g comes before the best match of its list so far.
func earlier(best *[2]int, g *glob) bool {
	b := best[g.list]
	return b < 0 || g.entry < b
}

// testHead tries g on recipe i's form and on every later form of the same
// head kind (for headOther, on form i only).
func (m *listMatcher) testHead(f *forms, i int, g *glob) bool {
	h := f.recipes[i].head
	if h == headOther {
		return g.test(f.get(i))
	}
	for j := i; j < len(f.recipes); j++ {
		if f.recipes[j].head == h && g.test(f.get(j)) {
			return true
		}
	}
	return false
}

// asciiLower lower-cases the ASCII letters of s; other bytes are kept, as
// the forms of a candidate keep them.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// MatchesEntry reports whether a list entry (the syntax of ApprovedPatches
// and RejectedPatches: a package form, globs allowed, case ignored) matches
// the package version p on the operating system os, with the forms Patch
// Manager's node-side matcher generates (name, name.arch, name-version, ...,
// name.arch:epoch:version-release; on apt also name.arch:version). Install
// override lists match their id and title with it. Advisory, CVE and
// Bugzilla IDs are not package forms and never match here.
func MatchesEntry(os patchkit.OperatingSystem, entry string, p patchkit.Package) bool {
	kind := kindOf(os)
	m := compileLists([]string{entry}, nil, kind, options{aptExtendedForms: true, susePackageForms: true})
	var f forms
	var buf [20]byte
	return m.match(&patchkit.Patch{Package: p}, &f, buf[:])[listRejected] >= 0
}
