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
	entry   int
}

// globIndex finds the patterns that can match a string: those whose literal
// prefix is a prefix of it (looked up by each prefix length in use), those
// whose prefix is longer and starts with it (a range of the sorted list),
// and those with no literal prefix (bucketed by the last byte of their
// literal suffix).
type globIndex struct {
	byPrefix map[string][]glob
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

func newGlob(lower string, entry int) glob {
	pre := literalPrefix(lower)
	suf := literalSuffix(lower)
	return glob{pattern: lower, prefix: pre, suffix: suf, entry: entry,
		pure: len(lower) == len(pre)+1 && lower[len(pre)] == '*'}
}

// test reports whether g matches s.
func (g *glob) test(s string) bool {
	if len(s) < len(g.prefix)+len(g.suffix) || !strings.HasPrefix(s, g.prefix) || !strings.HasSuffix(s, g.suffix) {
		return false
	}
	return g.pure || globMatch(g.pattern, s)
}

// listMatcher matches candidates against one compiled list (approved or
// rejected). Literal entries are found by hashing each candidate form;
// patterns are bucketed by the first byte of their literal prefix, so a
// candidate is tried only against patterns that can match it.
type listMatcher struct {
	entries []string
	exact   map[string]int // lower-cased literal form -> entry
	present [256][2]uint64 // (first byte, length < 128) of literal entries
	globs   globIndex
	ids     map[string]int // advisory, CVE and Bugzilla IDs (exact, case-sensitive)
	idOnly  map[int]bool   // entries that are IDs only (Bugzilla, CVE)
	idGlobs []glob         // SUSE: pattern entries, also tried on zypper patch names
	kind    osKind
	aptExt  bool
	suseRPM bool
}

func compileList(entries []string, kind osKind, approved bool, o options) *listMatcher {
	m := &listMatcher{entries: entries, exact: map[string]int{}, ids: map[string]int{}, idOnly: map[int]bool{},
		kind: kind, aptExt: o.aptExtendedForms, suseRPM: o.susePackageForms}
	for i, e := range entries {
		if approved && kind == kindRPM {
			switch classifyEntry(e) {
			case entryBugzilla, entryCVE:
				m.addID(e, i)
				m.idOnly[i] = true
				continue
			case entryAdvisoryPkg:
				m.addID(e, i)
			}
		}
		if kind == kindSUSE {
			// zypper patch names are matched as IDs, patterns allowed.
			m.addID(e, i)
		}
		lower := asciiLower(e)
		if kind == kindWindows {
			lower = windowsID(lower)
		}
		if kind != kindMacOS && hasMeta(lower) {
			g := newGlob(lower, i)
			if kind == kindSUSE {
				m.idGlobs = append(m.idGlobs, g)
			}
			m.globs.add(g)
			continue
		}
		if _, dup := m.exact[lower]; !dup {
			m.exact[lower] = i
		}
		if len(lower) < 128 && lower != "" {
			m.present[lower[0]][len(lower)/64] |= 1 << (len(lower) % 64)
		}
	}
	return m
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

// forms holds the strings a candidate is known by, lower-cased, in one
// buffer that is reused from candidate to candidate.
type forms struct {
	buf     []byte
	scratch []byte // lower-cased parts; sized up front so it never moves
	spans   []span
	heads   uint8 // head kinds seen
	built   bool
}

type span struct {
	start, end int32
	hlen       int32 // length of the head part all forms of this head share
	head       uint8 // 0: starts with the name, 1: the version, 2: the epoch, 3: other
	first      bool  // the first form of its head
}

func (f *forms) reset() {
	f.buf = f.buf[:0]
	f.spans = f.spans[:0]
	f.scratch = f.scratch[:0]
	f.heads = 0
	f.built = false
}

// add appends one form made of parts (already lower-cased); the first part
// is its head.
func (f *forms) add(head uint8, parts ...string) {
	start := len(f.buf)
	for _, p := range parts {
		f.buf = append(f.buf, p...)
	}
	hlen := len(parts[0])
	if head == headOther {
		hlen = len(f.buf) - start
	}
	first := head == headOther || f.heads&(1<<head) == 0
	f.heads |= 1 << head
	f.spans = append(f.spans, span{start: int32(start), end: int32(len(f.buf)), hlen: int32(hlen), head: head, first: first})
}

// lower returns s in lower case, using the scratch buffer when s has upper
// case letters (most package names and versions have none).
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

func (f *forms) str(s span) string { return unsafeString(f.buf[s.start:s.end]) }

const (
	headName uint8 = iota
	headVersion
	headEpoch
	headOther
)

// build fills f with the forms of p for the OS kind (the node payload's
// package_matcher forms, section 4.2 of the semantics).
func (m *listMatcher) build(f *forms, p *patchkit.Patch, epochBuf []byte) {
	if f.built {
		return
	}
	f.reset()
	f.built = true
	// The scratch buffer must not grow while its strings are in use.
	if need := len(p.Name) + len(p.Arch) + len(p.Version) + len(p.Release) + len(p.KBNumber) + len(p.MsrcNumber) + 64; cap(f.scratch) < need {
		f.scratch = make([]byte, 0, 2*need)
	}
	n, a, v, r := f.lower(p.Name), f.lower(p.Arch), f.lower(p.Version), f.lower(p.Release)
	switch m.kind {
	case kindRPM:
		rpmForms(f, p, n, a, v, r, epochBuf)
	case kindSUSE:
		f.add(headName, n, "-", v, "-", r, ".", a, ".rpm")
		if m.suseRPM {
			rpmForms(f, p, n, a, v, r, epochBuf)
		}
	case kindApt:
		f.add(headName, n)
		if m.aptExt {
			ver := f.lower(p.EVR())
			f.add(headVersion, ver)
			f.add(headName, n, ".", a)
			f.add(headName, n, "-", ver)
			f.add(headOther, a, ":", ver)
			f.add(headName, n, ".", a, ":", ver)
		}
	case kindMacOS:
		f.add(headName, n)
	case kindWindows:
		if p.KBNumber != "" {
			f.add(headOther, windowsID(f.lower(p.KBNumber)))
		}
		if p.MsrcNumber != "" {
			f.add(headOther, f.lower(p.MsrcNumber))
		}
	}
}

func rpmForms(f *forms, p *patchkit.Patch, n, a, v, r string, epochBuf []byte) {
	e := "0"
	if ev, ok := p.Epoch.Value(); ok {
		e = unsafeString(strconv.AppendUint(epochBuf[:0], uint64(ev), 10))
	}
	f.add(headName, n)
	f.add(headName, n, ".", a)
	f.add(headName, n, "-", v)
	f.add(headName, n, "-", v, "-", r)
	f.add(headName, n, "-", v, "-", r, ".", a)
	f.add(headVersion, v)
	f.add(headVersion, v, "-", r)
	f.add(headEpoch, e, ":", v, "-", r)
	f.add(headName, n, "-", e, ":", v, "-", r)
	f.add(headName, n, "-", e, ":", v, "-", r, ".", a)
	f.add(headEpoch, e, ":", n, "-", v, "-", r, ".", a)
	f.add(headName, n, ".", a, ":", e, ":", v, "-", r)
}

// match returns the index of the earliest entry that matches p, or -1.
func (m *listMatcher) match(p *patchkit.Patch, f *forms, epochBuf []byte) int {
	if len(m.entries) == 0 {
		return -1
	}
	best := -1
	better := func(i int) {
		if best < 0 || i < best {
			best = i
		}
	}
	if len(m.ids) > 0 {
		for _, list := range [][]string{p.AdvisoryIDs, p.CVEIDs, p.BugzillaIDs} {
			for _, id := range list {
				if i, ok := m.ids[id]; ok {
					better(i)
				}
			}
		}
	}
	if len(m.idGlobs) > 0 {
		for _, id := range p.AdvisoryIDs {
			lid := asciiLower(id)
			for _, g := range m.idGlobs {
				if globMatch(g.pattern, lid) {
					better(g.entry)
				}
			}
		}
	}
	m.build(f, p, epochBuf)
	for _, s := range f.spans {
		str := f.str(s)
		if l := len(str); l > 0 && l < 128 && m.present[str[0]][l/64]&(1<<(l%64)) != 0 {
			if i, ok := m.exact[str]; ok && !m.idOnly[i] {
				better(i)
			}
		}
	}
	if m.globs.n > 0 {
		best = m.matchGlobs(f, best)
	}
	return best
}

// matchGlobs tries the pattern entries and returns the earliest matching
// entry (or best, if it is earlier). Forms with the same head share it, so
// the index is consulted once per head and the candidates are then tried on
// each form of the head; a pure prefix pattern ("dbus*") whose prefix is
// part of the head matches at once.
func (m *listMatcher) matchGlobs(f *forms, best int) int {
	ix := &m.globs
	for si, s := range f.spans {
		str := f.str(s)
		if s.first && (s.hlen == 0 || ix.pair[pairIndex(str, s.hlen)]) {
			head := str[:s.hlen]
			for w := 0; w < 2; w++ {
				for bits := ix.plens[w]; bits != 0; bits &= bits - 1 {
					k := w*64 + mathbits.TrailingZeros64(bits)
					if k > len(head) {
						break
					}
					gs := ix.byPrefix[head[:k]]
					for gi := range gs {
						g := &gs[gi]
						if best >= 0 && g.entry >= best {
							continue
						}
						if g.pure || m.testHead(f, si, g) {
							best = g.entry
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
				if (best < 0 || g.entry < best) && m.testHead(f, si, g) {
					best = g.entry
				}
			}
		}
		if str != "" {
			gs := ix.open[str[len(str)-1]]
			for gi := range gs {
				if g := &gs[gi]; (best < 0 || g.entry < best) && g.test(str) {
					best = g.entry
				}
			}
		}
		for gi := range ix.anyOpen {
			if g := &ix.anyOpen[gi]; (best < 0 || g.entry < best) && g.test(str) {
				best = g.entry
			}
		}
	}
	return best
}

// testHead tries g on every form from si on that shares span si's head.
func (m *listMatcher) testHead(f *forms, si int, g *glob) bool {
	s := f.spans[si]
	for _, t := range f.spans[si:] {
		if t.head == s.head && (t.head != headOther || t == s) && g.test(f.str(t)) {
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
