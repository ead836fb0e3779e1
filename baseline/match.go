package baseline

import (
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
	pure    bool   // pattern is prefix + "*"
	entry   int
}

// listMatcher matches candidates against one compiled list (approved or
// rejected). Literal entries are found by hashing each candidate form;
// patterns are bucketed by the first byte of their literal prefix, so a
// candidate is tried only against patterns that can match it.
type listMatcher struct {
	entries []string
	exact   map[string]int // lower-cased literal form -> entry
	present [256][2]uint64 // (first byte, length < 128) of literal entries
	globs   [256][]glob    // by first byte of the literal prefix
	open    []glob         // patterns starting with a metacharacter
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
		lower := strings.ToLower(e)
		if kind == kindWindows {
			lower = windowsID(lower)
		}
		if kind != kindMacOS && hasMeta(lower) {
			pre := literalPrefix(lower)
			g := glob{pattern: lower, prefix: pre, pure: len(lower) == len(pre)+1 && lower[len(pre)] == '*', entry: i}
			if kind == kindSUSE {
				m.idGlobs = append(m.idGlobs, g)
			}
			if pre == "" {
				m.open = append(m.open, g)
			} else {
				m.globs[pre[0]] = append(m.globs[pre[0]], g)
			}
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
	buf   []byte
	spans []span
}

type span struct {
	start, end int32
	head       uint8 // 0: starts with the name, 1: the version, 2: the epoch, 3: other
}

func (f *forms) reset() {
	f.buf = f.buf[:0]
	f.spans = f.spans[:0]
}

// add appends one form made of parts.
func (f *forms) add(head uint8, parts ...string) {
	start := len(f.buf)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			f.buf = append(f.buf, c)
		}
	}
	f.spans = append(f.spans, span{int32(start), int32(len(f.buf)), head})
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
	f.reset()
	n, a, v, r := p.Name, p.Arch, p.Version, p.Release
	switch m.kind {
	case kindRPM:
		m.rpmForms(f, p, epochBuf)
	case kindSUSE:
		f.add(headName, n, "-", v, "-", r, ".", a, ".rpm")
		if m.suseRPM {
			m.rpmForms(f, p, epochBuf)
		}
	case kindApt:
		f.add(headName, n)
		if m.aptExt {
			ver := p.EVR()
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
			f.add(headOther, windowsID(strings.ToLower(p.KBNumber)))
		}
		if p.MsrcNumber != "" {
			f.add(headOther, p.MsrcNumber)
		}
	}
}

func (m *listMatcher) rpmForms(f *forms, p *patchkit.Patch, epochBuf []byte) {
	n, a, v, r := p.Name, p.Arch, p.Version, p.Release
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
			lid := strings.ToLower(id)
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
	m.matchGlobs(p, f, better, &best)
	return best
}

// matchGlobs tries the pattern entries. Every form that starts with the
// name shares the name, so for a pattern whose literal prefix is no longer
// than the name one prefix test decides for all of them, and a pure prefix
// pattern ("dbus*") matches then and there.
func (m *listMatcher) matchGlobs(p *patchkit.Patch, f *forms, better func(int), best *int) {
	nameLen := len(p.Name)
	skip := func(g glob) bool { return *best >= 0 && g.entry > *best }
	var lname string
	for _, s := range f.spans {
		if s.head == headName && nameLen > 0 && int(s.end-s.start) >= nameLen {
			lname = f.str(s)[:nameLen]
			break
		}
	}
	if lname != "" {
		for _, g := range m.globs[lname[0]] {
			if skip(g) {
				continue
			}
			short := len(g.prefix) <= nameLen
			if short && !strings.HasPrefix(lname, g.prefix) {
				continue
			}
			if short && g.pure {
				better(g.entry)
				continue
			}
			for _, s := range f.spans {
				if s.head != headName {
					continue
				}
				str := f.str(s)
				if strings.HasPrefix(str, g.prefix) && (g.pure || globMatch(g.pattern, str)) {
					better(g.entry)
					break
				}
			}
		}
	}
	for _, s := range f.spans {
		str := f.str(s)
		if str == "" {
			continue
		}
		if s.head != headName || lname == "" {
			for _, g := range m.globs[str[0]] {
				if !skip(g) && strings.HasPrefix(str, g.prefix) && (g.pure || globMatch(g.pattern, str)) {
					better(g.entry)
				}
			}
		}
		for _, g := range m.open {
			if !skip(g) && globMatch(g.pattern, str) {
				better(g.entry)
			}
		}
	}
}
