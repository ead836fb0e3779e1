package dpkg

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/patchkit/patchkit"
)

// OptionError reports an option with a bad value, a nil option, or a nil
// argument (context, file system, reader, function, runner). It matches
// patchkit.ErrInvalid.
type OptionError struct {
	Option string // the option as called ("WithMaxLine(79)") or the argument ("Read: fsys")
	Reason string
}

func (e *OptionError) Error() string { return "dpkg: " + e.Option + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *OptionError) Is(target error) bool { return target == patchkit.ErrInvalid }

// ParseError reports a dpkg database file that dpkg refuses, or that this
// package refuses where dpkg would read it differently (see the package
// documentation). It matches patchkit.ErrInvalid.
type ParseError struct {
	File   string // the file as named by the caller ("var/lib/dpkg/status")
	Line   int    // 1-based line of the field, or of the stanza's first line
	Field  string // the field, when one is at fault
	Reason string
	// Stricter is set when dpkg itself reads the file (perhaps with a
	// warning) and patchkit refuses it: a NUL or ^Z byte, an invalid
	// architecture name, two stanzas for one package and architecture, a
	// line beyond the length bound.
	Stricter bool
	Err      error // an underlying error, if any
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("dpkg database ")
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, " field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Stricter {
		b.WriteString(" (dpkg reads this; patchkit refuses it)")
	}
	return b.String()
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *ParseError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// dpkg's package states, in dpkg's order (later is "more installed").
const (
	stNotInstalled = iota
	stConfigFiles
	stHalfInstalled
	stUnpacked
	stHalfConfigured
	stTriggersAwaited
	stTriggersPending
	stInstalled
)

var statusNames = []string{"not-installed", "config-files", "half-installed", "unpacked",
	"half-configured", "triggers-awaited", "triggers-pending", "installed"}

var statusStates = []patchkit.InstallState{patchkit.StateNotInstalled, patchkit.StateConfigFiles,
	patchkit.StateHalfInstalled, patchkit.StateUnpacked, patchkit.StateHalfConfigured,
	patchkit.StateTriggersAwaited, patchkit.StateTriggersPending, patchkit.StateInstalled}

var wantNames = []string{"unknown", "install", "hold", "deinstall", "purge"}

const wantInstall = 1 // wantNames[wantInstall] == "install"

var eflagNames = []string{"ok", "reinstreq"}
var booleanNames = []string{"no", "yes"}

const (
	maNo = iota
	maSame
	maAllowed
	maForeign
)

var multiArchNames = []string{"no", "same", "allowed", "foreign"}

// priorityNames are dpkg's known priorities; "unknown" means none.
var priorityNames = []string{"required", "important", "standard", "optional", "extra", "unknown"}

// Field identifiers: dpkg's table of known fields. Any other field is
// user-defined.
const (
	fUser = iota
	fPackage
	fEssential
	fProtected
	fStatus
	fPriority
	fSection
	fInstalledSize
	fOrigin
	fMaintainer
	fBugs
	fArchitecture
	fMultiArch
	fSource
	fVersion
	fConfigVersion
	fReplaces
	fProvides
	fDepends
	fPreDepends
	fRecommends
	fSuggests
	fBreaks
	fConflicts
	fEnhances
	fConffiles
	fFilename
	fSize
	fMD5sum
	fMSDOSFilename
	fDescription
	fTriggersPending
	fTriggersAwaited
	fRecommended
	fOptional
	fClass
	fRevision
	fPackageRevision
	fPackageRevision2
	nFields
)

var fieldNames = [nFields]string{"", "Package", "Essential", "Protected", "Status", "Priority",
	"Section", "Installed-Size", "Origin", "Maintainer", "Bugs", "Architecture", "Multi-Arch",
	"Source", "Version", "Config-Version", "Replaces", "Provides", "Depends", "Pre-Depends",
	"Recommends", "Suggests", "Breaks", "Conflicts", "Enhances", "Conffiles", "Filename", "Size",
	"MD5sum", "MSDOS-Filename", "Description", "Triggers-Pending", "Triggers-Awaited",
	"Recommended", "Optional", "Class", "Revision", "Package-Revision", "Package_Revision"}

// fieldLower holds the field names in lower case.
var fieldLower = func() (t [nFields]string) {
	for i, n := range fieldNames {
		t[i] = strings.ToLower(n)
	}
	return t
}()

// fieldPrefix holds, for each known field, its name as dpkg writes it and
// a colon ("Version:") in two little-endian words, with the masks of the
// bytes it takes, so that a line can be matched with two comparisons.
// Names too long for the two words have none.
var fieldPrefix = func() (t [nFields]struct{ w, m [2]uint64 }) {
	for i := 1; i < nFields; i++ {
		s := fieldNames[i] + ":"
		if len(s) > 16 {
			continue
		}
		for k := 0; k < len(s); k++ {
			t[i].w[k/8] |= uint64(s[k]) << (8 * (k % 8))
			t[i].m[k/8] |= 0xff << (8 * (k % 8))
		}
	}
	return t
}()

// maxFieldName is the length of the longest field name dpkg knows.
const maxFieldName = 16

// fieldHash hashes a field name of 1 to maxFieldName bytes, ignoring
// case, into fieldTable's range; dpkg's field names do not collide.
func fieldHash(name []byte) int {
	n := len(name)
	return (n + int(name[n-1]|0x20)*12 + int(name[(n-1)/2]|0x20)*8) & 127
}

// fieldTable maps fieldHash of a known field name to its identifier.
var fieldTable = func() (t [128]int8) {
	for i := 1; i < nFields; i++ {
		t[fieldHash([]byte(fieldLower[i]))] = int8(i)
	}
	return t
}()

// fieldID returns the identifier of the field named name (without regard
// to case), or fUser for a field dpkg does not know.
func fieldID(name []byte) int {
	if len(name) == 0 || len(name) > maxFieldName {
		return fUser
	}
	id := fieldTable[fieldHash(name)]
	if id == 0 {
		return fUser
	}
	if string(name) == fieldNames[id] {
		return int(id) // as dpkg writes it
	}
	known := fieldLower[id]
	if len(known) != len(name) {
		return fUser
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != known[i] {
			return fUser
		}
	}
	return int(id)
}

// needsValue reports whether the field's value is looked at. Free-text
// fields (Description, Maintainer, ...) and user-defined fields are not, so
// their size is not bounded.
func needsValue(f int) bool {
	switch f {
	case fUser, fInstalledSize, fOrigin, fMaintainer, fBugs, fDescription:
		return false
	}
	return true
}

// entry is one stanza as dpkg keeps it after reading. Read keeps one for
// every package of the database until it has made its list, so it holds
// no more than the list needs.
type entry struct {
	name     string // lower case, as dpkg stores it
	arch     string // "" when missing or empty
	ver      version
	source   string // the Source field, "" without one
	section  string
	priority string
	file     *string // the file, as named in errors
	// next is the package's next instance (another architecture).
	next    *entry
	line    int
	srcLine int // the line of the Source field
	// The answer of the file list lookup made while the status file was
	// parsed (see prefetch): listMod when list is listFound; the error of
	// listFailed is kept in infoTimes.failed.
	listMod   int64 // seconds since 1970
	want      int8
	status    int8
	multiArch int8
	list      int8
}

// File list lookup states (entry.list).
const (
	listUnknown = iota
	listFound
	listMissing
	listFailed
)

// stanza collects one stanza's fields while it is read.
type stanza struct {
	line       int
	seen       [nFields]bool
	userNames  []byte // lower-case user-defined field names seen, one after the other
	userEnds   []int  // where each of them ends in userNames
	hasName    bool
	e          *entry
	configVer  bool
	trigPend   []string
	trigAw     []string
	conffiles  bool
	priorities int
}

// options of Read and ParseStatus.
type options struct {
	admindir string
	maxLine  int
}

// Option configures Read and ParseStatus.
type Option func(*options) error

// DefaultMaxLine is the default bound on the length of one line, and of one
// field value that is examined (Version, Depends, Conffiles, ...).
const DefaultMaxLine = 1 << 20

// WithMaxLine sets the bound on the length of one line and of one examined
// field value; longer ones fail with a *ParseError. dpkg has no such bound.
// A bound below 80 bytes is an *OptionError.
func WithMaxLine(n int) Option {
	return func(o *options) error {
		if n < 80 {
			return &OptionError{Option: fmt.Sprintf("WithMaxLine(%d)", n), Reason: "the bound must be at least 80 bytes"}
		}
		o.maxLine = n
		return nil
	}
}

// WithAdmindir sets the dpkg database directory inside the root, as
// dpkg's --admindir does (default "var/lib/dpkg"). It is a path inside
// the file system given to Read; symbolic links are resolved inside it.
func WithAdmindir(dir string) Option {
	return func(o *options) error {
		dir = strings.Trim(dir, "/")
		if dir == "" {
			dir = "."
		}
		o.admindir = dir
		return nil
	}
}

func buildOptions(opts []Option) (options, error) {
	o := options{admindir: "var/lib/dpkg", maxLine: DefaultMaxLine}
	for i, f := range opts {
		if f == nil {
			return o, &OptionError{Option: fmt.Sprintf("option %d", i), Reason: "nil option"}
		}
		if err := f(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// interner shares the strings that repeat across packages (architectures,
// sections, priorities, source names).
type interner map[string]string

func (in interner) bytes(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

func (in interner) str(s string) string {
	if t, ok := in[s]; ok {
		return t
	}
	in[s] = s
	return s
}

// parser reads the stanzas of one file.
type parser struct {
	ctx     context.Context
	file    string
	fileRef *string // file, for the entries
	r       io.Reader
	max     int
	in      interner
	// chunk is the size of the pieces in which a line without a newline
	// at the end of the file is measured against max (see next).
	chunk int

	// The reader's window: the unread bytes are buf[pos:end]. bad is
	// the index of the first NUL or ^Z byte at or after pos, or -1 when
	// there is none in the window. rerr is the error (io.EOF at the end)
	// that the reader returned after the bytes of the window.
	buf      []byte
	pos, end int
	bad      int
	rerr     error

	lineNo int
	line   []byte // the current line, without its newline
	// atEOF: no line is current. tail1: the file ended with one byte
	// after its last newline, which dpkg ignores.
	atEOF bool
	tail1 bool
	// installedByDefault: a stanza without a Status field is installed
	// (status.d files, which dpkg does not read, are written that way).
	installedByDefault bool

	name        []byte // current field name
	value       []byte // current field value (trailing white space dropped)
	nameBuf     []byte // storage for them, unless they lie in the window
	valueBuf    []byte
	lower       []byte
	scratch     []byte
	st          stanza
	lastArch    string // the architecture of the last stanza
	lastSection string // the section of the last stanza that had one
	lastSource  string // the source of the last stanza that had one
	// follows holds, for each field, the field that came after it last
	// (after fUser: at the start of a stanza or after a user-defined
	// field).
	follows [nFields]int8
	slab    []entry // entries are allocated from here, a few at a time
}

// streamWindow is the first size of the reader's window; it grows only
// for a line that does not fit.
const streamWindow = 64 << 10

func newParser(ctx context.Context, file string, r io.Reader, maxLine int, in interner) *parser {
	chunk := streamWindow
	if maxLine < chunk {
		chunk = maxLine + 1
	}
	if chunk < 16 {
		chunk = 16
	}
	return &parser{ctx: ctx, file: file, fileRef: &file, r: r, max: maxLine, in: in, chunk: chunk, bad: -1}
}

// maxEmptyReads is how many reads that return nothing the parser accepts
// in a row before it gives up (as bufio does).
const maxEmptyReads = 100

// fill reads more input into the window, keeping the unread bytes. A read
// error, or the end of the input, is kept in p.rerr.
func (p *parser) fill() {
	if p.pos > 0 {
		copy(p.buf, p.buf[p.pos:p.end])
		p.end -= p.pos
		if p.bad >= 0 {
			p.bad -= p.pos
		}
		p.pos = 0
	}
	if p.end == len(p.buf) {
		b := make([]byte, max(2*len(p.buf), streamWindow))
		copy(b, p.buf[:p.end])
		p.buf = b
	}
	for range maxEmptyReads {
		n, err := p.r.Read(p.buf[p.end:])
		if n < 0 || n > len(p.buf)-p.end {
			p.rerr = fmt.Errorf("reader returned an impossible count %d", n)
			return
		}
		if n > 0 && p.bad < 0 {
			p.bad = firstBad(p.buf[p.end : p.end+n])
			if p.bad >= 0 {
				p.bad += p.end
			}
		}
		p.end += n
		if err != nil {
			p.rerr = err
			return
		}
		if n > 0 {
			return
		}
	}
	p.rerr = io.ErrNoProgress
}

// firstBad returns the index of the first NUL or ^Z byte of b, or -1.
func firstBad(b []byte) int {
	i := bytes.IndexByte(b, 0)
	if i >= 0 {
		b = b[:i]
	}
	if j := bytes.IndexByte(b, 0x1a); j >= 0 {
		return j
	}
	return i
}

func (p *parser) errf(line int, field, format string, args ...any) error {
	return &ParseError{File: p.file, Line: line, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// stricter reports a file that dpkg reads and patchkit refuses.
func (p *parser) stricter(line int, field, format string, args ...any) error {
	return &ParseError{File: p.file, Line: line, Field: field, Reason: fmt.Sprintf(format, args...), Stricter: true}
}

// next reads the next line into p.line. At the end of the file it sets
// p.atEOF and returns nil.
//
// A line longer than p.max fails. A last line without a newline is
// measured in pieces of p.chunk bytes: it is too long when its whole
// pieces are, and otherwise fails for the missing newline (a single byte
// there is ignored, as dpkg does).
func (p *parser) next() error {
	// The common case: a whole line in the window, not too long,
	// without a NUL or ^Z byte.
	if i := bytes.IndexByte(p.buf[p.pos:p.end], '\n'); i >= 0 && i <= p.max && uint(p.bad-p.pos) > uint(i) {
		p.line = p.buf[p.pos : p.pos+i]
		p.pos += i + 1
		p.lineNo++
		return nil
	}
	return p.nextSlow()
}

// nextSlow is next for the other cases.
func (p *parser) nextSlow() error {
	if p.atEOF {
		return nil
	}
	scanned := 0 // bytes of the line known to hold no newline
	for {
		if i := bytes.IndexByte(p.buf[p.pos+scanned:p.end], '\n'); i >= 0 {
			start, nl := p.pos, p.pos+scanned+i
			p.pos = nl + 1
			p.lineNo++
			data := p.buf[start:nl]
			if len(data) > p.max {
				return p.stricter(p.lineNo, "", "line longer than %d bytes", p.max)
			}
			if p.bad >= 0 && p.bad < nl {
				if i := bytes.IndexByte(data, 0); i >= 0 {
					return p.stricter(p.lineNo, "", "NUL byte at column %d", i+1)
				}
				return p.stricter(p.lineNo, "", "MS-DOS end-of-file byte (^Z) at column %d", p.bad-start+1)
			}
			p.line = data
			return nil
		}
		n := p.end - p.pos
		if n/p.chunk*p.chunk > p.max {
			return p.stricter(p.lineNo+1, "", "line longer than %d bytes", p.max)
		}
		switch {
		case p.rerr == nil:
		case p.rerr == io.EOF:
			p.atEOF = true
			switch n {
			case 0:
				return nil
			case 1:
				// dpkg reads this byte and stops at the end of
				// the file before it can start anything.
				p.tail1 = true
				return nil
			}
			p.lineNo++
			return p.errf(p.lineNo, "", "end of file inside a line (missing final newline)")
		default:
			return &ParseError{File: p.file, Line: p.lineNo + 1, Reason: "read error: " + p.rerr.Error(), Err: p.rerr}
		}
		scanned = n
		p.fill()
	}
}

// stanzas calls fn for each stanza of the file, after dpkg's checks of a
// single stanza.
func (p *parser) stanzas(fn func(*entry, *stanza) error) error {
	if err := p.next(); err != nil {
		return err
	}
	n := 0
	for {
		// Skip empty lines between stanzas.
		for !p.atEOF && len(p.line) == 0 {
			if err := p.next(); err != nil {
				return err
			}
		}
		if p.atEOF {
			return nil
		}
		if n++; n&63 == 0 {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		if err := p.stanza(); err != nil {
			return err
		}
		if p.installedByDefault && !p.st.seen[fStatus] {
			e := p.st.e
			e.want, e.status = wantInstall, stInstalled
		}
		if err := p.verify(); err != nil {
			return err
		}
		if err := fn(p.st.e, &p.st); err != nil {
			return err
		}
	}
}

// entrySlab is how many entries are allocated at once: as many as fill
// 8 KiB.
const entrySlab = 8192 / unsafe.Sizeof(entry{})

// newEntry returns a new entry for the stanza that starts at the current
// line.
func (p *parser) newEntry() *entry {
	if len(p.slab) == 0 {
		p.slab = make([]entry, entrySlab)
	}
	e := &p.slab[0]
	p.slab = p.slab[1:]
	e.file, e.line = p.fileRef, p.lineNo
	return e
}

// stanza reads the fields of one stanza, starting at the current line,
// up to an empty line or the end of the file.
func (p *parser) stanza() error {
	p.st = stanza{line: p.lineNo, userNames: p.st.userNames[:0], userEnds: p.st.userEnds[:0],
		trigPend: p.st.trigPend[:0], trigAw: p.st.trigAw[:0]}
	p.st.e = p.newEntry()
	prev := fUser
	for {
		l := p.line
		fieldLine := p.lineNo
		// Where l lies in the window, if it does (see fastField), and
		// whether two words can be read there.
		start := p.pos - len(l) - 1
		inWindow := start >= 0 && &p.buf[start] == &l[0]
		// The field name runs to white space or a colon. Stanzas
		// written by dpkg have their fields in one order: the field
		// that followed the previous one last time is tried first.
		var i, j, fid int
		guess := int(p.follows[prev])
		n := len(fieldNames[guess])
		var hit bool
		if f := &fieldPrefix[guess]; f.m[0] != 0 && inWindow && start+16 <= len(p.buf) {
			// The bytes after the line are the window's: the masks
			// look at the name and colon only, which lie in l when
			// the line is longer than them.
			w := p.buf[start : start+16]
			hit = len(l) > n && binary.LittleEndian.Uint64(w)&f.m[0] == f.w[0] && binary.LittleEndian.Uint64(w[8:])&f.m[1] == f.w[1]
		} else {
			hit = n > 0 && len(l) > n && l[n] == ':' && string(l[:n]) == fieldNames[guess]
		}
		if hit {
			fid, i, j = guess, n, n
		} else {
			for i < len(l) && classes[l[i]]&(cSpace|cColon) == 0 {
				i++
			}
			if i == 0 {
				return p.errf(fieldLine, "", "empty field name")
			}
			if l[0] == '-' {
				return p.errf(fieldLine, "", "field name %q cannot start with hyphen", l[:i])
			}
			j = i
			for j < len(l) && isSpace(l[j]) {
				j++
			}
			if j == len(l) {
				return p.errf(fieldLine, "", "newline in field name %q", l[:i])
			}
			if l[j] != ':' {
				return p.errf(fieldLine, "", "field name %q must be followed by colon", l[:i])
			}
			fid = fieldID(l[:i])
			p.follows[prev] = int8(fid)
		}
		prev = fid
		keep := needsValue(fid)
		k := j + 1
		for k < len(l) && isSpace(l[k]) {
			k++
		}
		if inWindow && p.fastField(l, start, i, k, keep) {
			if !keep && fid != fUser && !p.st.seen[fid] {
				// A free-text field, seen once: nothing more to
				// do than field would.
				p.st.seen[fid] = true
			} else if err := p.field(fid, fieldLine); err != nil {
				return err
			}
			if len(p.line) == 0 {
				return nil
			}
			continue
		}
		// The name and value are copied: reading a line can move
		// the window.
		p.nameBuf = append(p.nameBuf[:0], l[:i]...)
		p.name = p.nameBuf
		firstEmpty := k == len(l)
		if keep {
			p.valueBuf = append(p.valueBuf[:0], l[k:]...)
		}
		// Continuation lines start with white space.
		if err := p.next(); err != nil {
			return err
		}
		if firstEmpty && p.atEOF && !p.tail1 {
			return p.errf(fieldLine, string(p.name), "end of file before value of field (missing final newline)")
		}
		for !p.atEOF && len(p.line) > 0 && isSpace(p.line[0]) {
			if keep {
				if len(p.valueBuf)+1+len(p.line) > p.max {
					return p.stricter(fieldLine, string(p.name), "field value longer than %d bytes", p.max)
				}
				p.valueBuf = append(p.valueBuf, '\n')
				p.valueBuf = append(p.valueBuf, p.line...)
			}
			if err := p.next(); err != nil {
				return err
			}
		}
		if keep {
			v := p.valueBuf
			for len(v) > 0 && isSpace(v[len(v)-1]) {
				v = v[:len(v)-1]
			}
			p.value = v
		}
		if err := p.field(fid, fieldLine); err != nil {
			return err
		}
		if p.atEOF || len(p.line) == 0 {
			return nil
		}
	}
}

// fastField reads the rest of the field whose first line is l (the current
// line, which lies in the window from start; name l[:i], value from l[k:])
// when it and the line after it lie whole in the window and pass next's
// checks: it sets p.name and p.value
// to slices of the window (which does not change before the next read)
// and reads the line after the field, as next would. Otherwise it changes
// nothing and reports false: the caller then reads the field line by line,
// meeting the problems in order.
func (p *parser) fastField(l []byte, start, i, k int, keep bool) bool {
	buf, max := p.buf[:p.end], p.max
	valEnd := start + len(l)
	lines := 0
	pos, nl := p.pos, 0
	for {
		if pos >= len(buf) {
			return false
		}
		nl = bytes.IndexByte(buf[pos:], '\n')
		if nl < 0 || nl > max {
			return false
		}
		if c := buf[pos]; c == '\n' || !isSpace(c) {
			// The line after the field.
			if p.bad >= 0 && p.bad < pos+nl {
				return false
			}
			break
		}
		// A continuation line.
		if keep && valEnd-(start+k)+1+nl > max {
			return false
		}
		valEnd = pos + nl
		pos += nl + 1
		lines++
	}
	p.name = l[:i]
	p.value = buf[start+k : valEnd]
	if keep {
		v := p.value
		for len(v) > 0 && isSpace(v[len(v)-1]) {
			v = v[:len(v)-1]
		}
		p.value = v
	}
	// The line after the field, as next reads it.
	p.line = buf[pos : pos+nl]
	p.pos = pos + nl + 1
	p.lineNo += lines + 1
	return true
}

// appendLower appends b to dst with ASCII letters in lower case.
func appendLower(dst, b []byte) []byte {
	n := len(dst)
	dst = append(dst, b...)
	for i, c := range dst[n:] {
		if c >= 'A' && c <= 'Z' {
			dst[n+i] = c + 'a' - 'A'
		}
	}
	return dst
}

// field applies one field to the stanza, as dpkg's field parsers do.
func (p *parser) field(fid, line int) error {
	st := &p.st
	e := st.e
	if fid == fUser {
		if len(p.name) < 2 {
			return p.errf(line, string(p.name), "user-defined field name too short")
		}
		p.lower = appendLower(p.lower[:0], p.name)
		start := 0
		for _, end := range st.userEnds {
			if bytes.Equal(st.userNames[start:end], p.lower) {
				return p.errf(line, string(p.name), "duplicate value for user-defined field")
			}
			start = end
		}
		st.userNames = append(st.userNames, p.lower...)
		st.userEnds = append(st.userEnds, len(st.userNames))
		return nil
	}
	fname := fieldNames[fid]
	if st.seen[fid] {
		return p.errf(line, fname, "duplicate value for field")
	}
	st.seen[fid] = true
	val := p.value
	switch fid {
	case fPackage:
		if r := nameProblem(val); r != "" {
			return p.errf(line, fname, "invalid package name: %s", r)
		}
		p.scratch = appendLower(p.scratch[:0], val)
		e.name = string(p.scratch)
		st.hasName = true
	case fEssential, fProtected:
		if len(val) == 0 {
			return nil
		}
		if _, _, r := parseNV(val, booleanNames, false, false); r != "" {
			return p.errf(line, fname, "boolean (yes/no) field: %s", r)
		}
	case fStatus:
		if string(val) == "install ok installed" {
			// What nearly every stanza says.
			e.want, e.status = wantInstall, stInstalled
			return nil
		}
		w, rest, r := parseNV(val, wantNames, true, false)
		if r != "" {
			return p.errf(line, fname, "first (want) word: %s", r)
		}
		// The error flag is checked; dpkg-query lists a package
		// whatever it says.
		_, rest, r = parseNV(rest, eflagNames, true, false)
		if r != "" {
			return p.errf(line, fname, "second (error) word: %s", r)
		}
		stt, _, r := parseNV(rest, statusNames, false, false)
		if r != "" {
			return p.errf(line, fname, "third (status) word: %s", r)
		}
		e.want, e.status = int8(w), int8(stt)
	case fPriority, fClass:
		if len(val) == 0 {
			return nil
		}
		if i := exactName(val, priorityNames); i >= 0 && priorityNames[i] != "unknown" {
			// What parseNV finds for the value written as dpkg writes it.
			e.priority = priorityNames[i]
			return nil
		}
		i, _, r := parseNV(val, priorityNames, false, true)
		if r != "" {
			return p.errf(line, fname, "word in field: %s", r)
		}
		switch {
		case i < 0:
			e.priority = p.in.bytes(val)
		case priorityNames[i] == "unknown":
			e.priority = ""
		default:
			e.priority = priorityNames[i]
		}
	case fSection:
		if len(val) > 0 {
			if string(val) == p.lastSection {
				e.section = p.lastSection // neighbours often share one
			} else {
				e.section = p.in.bytes(val)
				p.lastSection = e.section
			}
		}
	case fArchitecture:
		// dpkg only warns about an invalid name and keeps it; such a name
		// cannot be used in a report or on a command line, so it is
		// refused here.
		if len(val) > 0 {
			if r := archProblem(val); r != "" {
				return p.stricter(line, fname, "%q is not a valid architecture name: %s", truncate(val, 250), r)
			}
		}
		if string(val) == p.lastArch {
			e.arch = p.lastArch // most stanzas share one or two
		} else {
			e.arch = p.in.bytes(val)
			p.lastArch = e.arch
		}
	case fMultiArch:
		if len(val) == 0 {
			return nil
		}
		if i := exactName(val, multiArchNames); i >= 0 {
			e.multiArch = int8(i)
			return nil
		}
		i, _, r := parseNV(val, multiArchNames, false, false)
		if r != "" {
			return p.errf(line, fname, "quadstate (foreign/allowed/same/no) field: %s", r)
		}
		e.multiArch = int8(i)
	case fSource:
		if len(val) > 0 {
			if string(val) == p.lastSource {
				e.source = p.lastSource // neighbours often share one
			} else {
				e.source = string(val)
				p.lastSource = e.source
			}
			e.srcLine = line
		}
	case fVersion:
		v, level, r := parseVersion(string(val))
		if level == verHard {
			return p.errf(line, fname, "value %q: %s", truncate(val, 250), r)
		}
		e.ver = v
	case fConfigVersion:
		if level, r := versionProblem(val); level == verHard {
			return p.errf(line, fname, "value %q: %s", truncate(val, 250), r)
		}
		st.configVer = true
	case fRevision, fPackageRevision, fPackageRevision2:
		// Obsolete: the value becomes the revision, and a revision
		// already read joins the upstream version.
		if len(val) == 0 {
			return nil
		}
		if e.ver.revision != "" {
			e.ver.upstream = e.ver.upstream + "-" + e.ver.revision
		}
		e.ver.revision = string(val)
		e.ver.text = ""
	case fReplaces, fProvides, fDepends, fPreDepends, fRecommends, fSuggests, fBreaks,
		fConflicts, fEnhances, fRecommended, fOptional:
		if dependencyOK(fid, val) {
			return nil
		}
		if r := dependencyProblem(fid, val); r != "" {
			return p.errf(line, fname, "%s", r)
		}
	case fConffiles:
		if r := conffilesProblem(val); r != "" {
			return p.errf(line, fname, "%s", r)
		}
		st.conffiles = len(val) > 0
	case fFilename, fSize, fMD5sum, fMSDOSFilename:
		if len(val) == 0 {
			return p.errf(line, fname, "empty archive details field")
		}
		return p.errf(line, fname, "archive details field not allowed in status file")
	case fTriggersPending:
		for _, w := range whiteWords(string(val)) {
			if r := triggerNameProblem(w); r != "" {
				return p.errf(line, fname, "illegal pending trigger name %q: %s", w, r)
			}
			for _, t := range st.trigPend {
				if t == w {
					return p.errf(line, fname, "duplicate pending trigger %q", w)
				}
			}
			st.trigPend = append(st.trigPend, w)
		}
	case fTriggersAwaited:
		for _, w := range whiteWords(string(val)) {
			if r := specProblem(w); r != "" {
				return p.errf(line, fname, "illegal package name in awaited trigger %q: %s", w, r)
			}
			lw := string(appendLower(nil, []byte(w)))
			for _, t := range st.trigAw {
				if t == lw {
					return p.errf(line, fname, "duplicate awaited trigger package %q", w)
				}
			}
			st.trigAw = append(st.trigAw, lw)
		}
	}
	return nil
}

// verify applies dpkg's checks of a whole stanza (pkg_parse_verify).
func (p *parser) verify() error {
	st := &p.st
	e := st.e
	if !st.hasName {
		return p.errf(st.line, "Package", "missing 'Package' field")
	}
	if e.status != stNotInstalled && e.status != stHalfInstalled && !e.ver.set {
		return p.errf(st.line, "Version", "missing 'Version' field for package %s in state %s", e.name, statusNames[e.status])
	}
	if e.multiArch == maSame {
		switch e.arch {
		case "":
			return p.errf(st.line, "Multi-Arch", "package %s has 'Multi-Arch: same' field but is missing architecture", e.name)
		case "all":
			return p.errf(st.line, "Multi-Arch", "package %s has 'Multi-Arch: same' field but is architecture 'all'", e.name)
		}
	}
	if st.configVer && (e.status == stInstalled || e.status == stNotInstalled || e.status == stTriggersPending) {
		return p.errf(st.line, "Config-Version", "'Config-Version' field present for package %s with inappropriate 'Status' field", e.name)
	}
	if len(st.trigAw) > 0 && (e.status <= stConfigFiles || e.status >= stTriggersPending) {
		return p.errf(st.line, "Triggers-Awaited", "package %s has status %s but triggers are awaited", e.name, statusNames[e.status])
	}
	if e.status == stTriggersAwaited && len(st.trigAw) == 0 {
		return p.errf(st.line, "Triggers-Awaited", "package %s has status triggers-awaited but no triggers awaited", e.name)
	}
	if len(st.trigPend) > 0 && e.status != stTriggersPending && e.status != stTriggersAwaited {
		return p.errf(st.line, "Triggers-Pending", "package %s has status %s but triggers are pending", e.name, statusNames[e.status])
	}
	if e.status == stTriggersPending && len(st.trigPend) == 0 {
		return p.errf(st.line, "Triggers-Pending", "package %s has status triggers-pending but no triggers pending", e.name)
	}
	return nil
}

// finish returns the package of a listed entry: dpkg evaluates the source
// version only when it prints it, and fails on a bad one.
func (e *entry) finish() (patchkit.Package, error) {
	p := patchkit.Package{
		Name:      e.name,
		Arch:      e.arch,
		Scheme:    patchkit.Deb,
		State:     statusStates[e.status],
		Want:      wantNames[e.want],
		Section:   e.section,
		Priority:  e.priority,
		Version:   e.ver.upstream,
		Release:   e.ver.revision,
		MultiArch: "",
	}
	if e.ver.set {
		p.Epoch = patchkit.EpochOf(e.ver.epoch)
	}
	if e.multiArch != maNo {
		p.MultiArch = multiArchNames[e.multiArch]
	}
	p.SourceName, p.SourceVersion = e.name, e.ver.String()
	if e.source != "" {
		src := e.source
		if sp := strings.IndexByte(src, ' '); sp >= 0 {
			p.SourceName = src[:sp]
		} else {
			p.SourceName = src
		}
		if open := strings.IndexByte(src, '('); open >= 0 {
			vs := src[open+1:]
			if c := strings.IndexByte(vs, ')'); c >= 0 {
				vs = vs[:c]
			}
			v, level, r := parseVersion(vs)
			if level != verOK {
				return p, &ParseError{File: *e.file, Line: e.srcLine, Field: "Source",
					Reason: fmt.Sprintf("package %s: version %q has bad syntax: %s", e.name, vs, r)}
			}
			p.SourceVersion = v.String()
		}
	}
	if !e.ver.set && e.ver.revision != "" {
		// dpkg prints a lone obsolete Revision after a hyphen.
		p.SourceVersion = "-" + e.ver.revision
	}
	return p, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// hasPrefixFold reports whether s starts with name, ignoring ASCII case.
func hasPrefixFold(s []byte, name string) bool {
	if len(s) < len(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		a, b := s[i], name[i]
		if a >= 'A' && a <= 'Z' {
			a += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// exactName returns the index of the name that s is, exactly, or -1.
func exactName(s []byte, names []string) int {
	for i, n := range names {
		if string(s) == n {
			return i
		}
	}
	return -1
}

// parseNV is dpkg's parse_nv: the first name that the value starts with
// (ignoring case; dpkg does not require the word to end there), then
// white space. With next, the rest is returned; otherwise a rest is
// trailing junk. With fallback, a value that matches no name gives -1.
func parseNV(s []byte, names []string, next, fallback bool) (int, []byte, string) {
	if len(s) == 0 {
		return 0, nil, "is missing a value"
	}
	for i, n := range names {
		if hasPrefixFold(s, n) {
			rest := s[len(n):]
			for len(rest) > 0 && isSpace(rest[0]) {
				rest = rest[1:]
			}
			if !next && len(rest) > 0 {
				return 0, nil, "has trailing junk"
			}
			return i, rest, ""
		}
	}
	if fallback {
		return -1, nil, ""
	}
	if len(s) > 50 {
		s = s[:50]
	}
	return 0, nil, fmt.Sprintf("has invalid value %q", s)
}

// nameProblem is dpkg's pkg_name_is_illegal.
func nameProblem[T string | []byte](n T) string {
	if len(n) == 0 {
		return "may not be empty string"
	}
	if !isAlnum(n[0]) {
		return "must start with an alphanumeric character"
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; classes[c]&cName == 0 {
			return fmt.Sprintf("character %q not allowed (only letters, digits and characters '-+._')", c)
		}
	}
	return ""
}

// archProblem is dpkg's dpkg_arch_name_is_illegal.
func archProblem[T string | []byte](a T) string {
	if len(a) == 0 {
		return "may not be empty string"
	}
	if !isAlnum(a[0]) {
		return "must start with an alphanumeric"
	}
	for i := 1; i < len(a); i++ {
		if c := a[i]; !isAlnum(c) && c != '-' {
			return fmt.Sprintf("character %q not allowed (only letters, digits and characters '-')", c)
		}
	}
	return ""
}

// specProblem checks a "name[:arch]" package specifier of an awaited
// trigger.
func specProblem(w string) string {
	name, arch, hasArch := strings.Cut(w, ":")
	if r := nameProblem(name); r != "" {
		return r
	}
	if hasArch {
		if r := archProblem(arch); r != "" {
			return "illegal architecture name: " + r
		}
	}
	return ""
}

func triggerNameProblem(w string) string {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c <= ' ' || c >= 0o177 {
			return "trigger name contains invalid character"
		}
	}
	return ""
}

// whiteWords splits s at spaces, tabs and newlines (dpkg's c_iswhite).
func whiteWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
}

// conffilesProblem checks a Conffiles value as dpkg's f_conffiles does:
// each line is " path hash [obsolete] [remove-on-upgrade]".
func conffilesProblem(v []byte) string {
	for len(v) > 0 {
		c := v[0]
		v = v[1:]
		if c == '\n' {
			continue
		}
		if c != ' ' {
			return fmt.Sprintf("value has line starting with non-space %q", c)
		}
		end := bytes.IndexByte(v, '\n')
		if end < 0 {
			end = len(v)
		}
		l := v[:end]
		malformed := func() string { return fmt.Sprintf("value has malformed line %q", truncate(l, 250)) }
		// lastWord finds the word that ends at from: the space before it
		// must leave a name of at least one byte after the leading
		// space, and the word must not be empty.
		lastWord := func(from int) (start, sp int, ok bool) {
			if from <= 1 {
				return 0, 0, false
			}
			sp = bytes.LastIndexByte(l[:from], ' ')
			if sp <= 1 || sp >= len(l)-1 {
				return 0, 0, false
			}
			return sp + 1, sp, true
		}
		start, endName, ok := lastWord(len(l))
		if !ok {
			return malformed()
		}
		if string(l[start:]) == "remove-on-upgrade" {
			if start, endName, ok = lastWord(endName); !ok {
				return malformed()
			}
		}
		word := l[start:]
		if i := bytes.IndexByte(word, ' '); i >= 0 {
			word = word[:i]
		}
		if string(word) == "obsolete" {
			if _, endName, ok = lastWord(endName); !ok {
				return malformed()
			}
		}
		name := l[:endName]
		for len(name) > 0 && (name[0] == '/' || (name[0] == '.' && len(name) > 1 && name[1] == '/')) {
			name = name[1:]
		}
		if len(name) == 0 {
			return "root or empty directory listed as a conffile"
		}
		v = v[end:]
	}
	return ""
}

// noAlternatives reports whether the relationship field fid takes no
// alternatives ('|').
func noAlternatives(fid int) bool {
	return fid == fConflicts || fid == fBreaks || fid == fProvides || fid == fReplaces
}

// dependencyOK reports whether the relationship field fid with value s
// has no problem, for the forms in which dpkg writes them ("a, b:any (>=
// 1.0) | c"); it answers in one pass, without dependencyProblem's
// bookkeeping. When it reports false, dependencyProblem looks, and finds
// the problem if there is one.
func dependencyOK(fid int, s []byte) bool {
	n := len(s)
	if n == 0 {
		return true
	}
	noAlt := noAlternatives(fid)
	i := 0
	for {
		// The package name: an alphanumeric, then name bytes.
		if i >= n || classes[s[i]]&(cDigit|cAlpha) == 0 {
			return false
		}
		i++
		for i < n && classes[s[i]]&cName != 0 {
			i++
		}
		if i == n {
			return true
		}
		c := s[i]
		if c == ':' {
			// An architecture: an alphanumeric, then alphanumerics and
			// hyphens.
			i++
			if i >= n || classes[s[i]]&(cDigit|cAlpha) == 0 {
				return false
			}
			i++
			for i < n && (classes[s[i]]&(cDigit|cAlpha) != 0 || s[i] == '-') {
				i++
			}
			if i == n {
				return true
			}
			c = s[i]
		}
		if c == ' ' {
			i++
			if i == n {
				return true
			}
			c = s[i]
		}
		if c == '(' {
			// "(" relation [" "] version ")".
			i++
			if i+1 >= n {
				return false
			}
			switch c1, c2 := s[i], s[i+1]; {
			case c1 == '=':
				i++
			case (c1 == '<' || c1 == '>') && (c2 == '=' || c2 == c1):
				i += 2
			default:
				return false
			}
			if i < n && s[i] == ' ' {
				i++
			}
			vs := i
			seen := uint16(0)
			for i < n {
				c := classes[s[i]]
				if c&cVerEnd != 0 {
					break
				}
				seen |= c
				i++
			}
			// dependencyProblem looks at the version only in these
			// cases.
			if i == vs || i >= n || s[i] != ')' || s[vs] == '-' || s[i-1] == '-' {
				return false
			}
			if seen&cColon != 0 {
				if level, _ := versionProblem(s[vs:i]); level == verHard {
					return false
				}
			}
			i++
			if i == n {
				return true
			}
			c = s[i]
		}
		switch c {
		case ',':
		case '|':
			if noAlt {
				return false
			}
		case ' ':
			if noAlt || i+2 >= n || s[i+1] != '|' || s[i+2] != ' ' {
				return false
			}
			i += 2
		default:
			return false
		}
		i++
		for i < n && isSpace(s[i]) {
			i++
		}
	}
}

// dependencyProblem checks a relationship field as dpkg's f_dependency
// does, returning dpkg's complaint or "".
func dependencyProblem(fid int, s []byte) string {
	if len(s) == 0 {
		return ""
	}
	noAlt := noAlternatives(fid)
	i := 0
	for {
		for {
			// The package name runs to white space or one of ":(,|".
			// Scanning it stops early at a byte not allowed in a name.
			start := i
			for i < len(s) && classes[s[i]]&cName != 0 {
				i++
			}
			if i < len(s) && classes[s[i]]&cDepEnd == 0 {
				for i < len(s) && classes[s[i]]&cDepEnd == 0 {
					i++
				}
				return fmt.Sprintf("invalid package name %q: %s", s[start:i], nameProblem(s[start:i]))
			}
			if i == start {
				return "missing package name, or garbage where package name expected"
			}
			name := s[start:i]
			if !isAlnum(name[0]) {
				return fmt.Sprintf("invalid package name %q: %s", name, nameProblem(name))
			}
			if i < len(s) && s[i] == ':' {
				i++
				as := i
				for i < len(s) && classes[s[i]]&cArchEnd == 0 {
					i++
				}
				if i == as {
					return "missing architecture name, or garbage where architecture name expected"
				}
				if r := archProblem(s[as:i]); r != "" {
					return fmt.Sprintf("reference to %q: invalid architecture name %q: %s", name, s[as:i], r)
				}
			}
			i = skipSpace(s, i)
			if i < len(s) && s[i] == '(' {
				i = skipSpace(s, i+1)
				var c1 byte
				if i < len(s) {
					c1 = s[i]
				}
				if c1 == '<' || c1 == '>' {
					i++
					var c2 byte
					if i < len(s) {
						c2 = s[i]
					}
					switch {
					case c2 == '=' || c2 == c1:
						i++
					case c2 == '<' || c2 == '>':
						return fmt.Sprintf("reference to %q: bad version relationship %c%c", name, c1, c2)
					}
				} else if c1 == '=' {
					i++
				}
				i = skipSpace(s, i)
				vs := i
				seen := uint16(0)
				for i < len(s) {
					c := classes[s[i]]
					if c&cVerEnd != 0 {
						break
					}
					seen |= c
					i++
				}
				ver := s[vs:i]
				i = skipSpace(s, i)
				if i >= len(s) {
					return fmt.Sprintf("reference to %q: version unterminated", name)
				}
				if s[i] != ')' {
					return fmt.Sprintf("reference to %q: version contains '%c' instead of ')'", name, s[i])
				}
				// Without an epoch, and with a hyphen neither first nor
				// last (which would leave an empty upstream version or
				// revision), a version has no hard problem.
				if len(ver) == 0 || seen&cColon != 0 || ver[0] == '-' || ver[len(ver)-1] == '-' {
					if level, r := versionProblem(ver); level == verHard {
						return fmt.Sprintf("reference to %q: version %q: %s", name, ver, r)
					}
				}
				i = skipSpace(s, i+1)
			}
			if i >= len(s) || s[i] == ',' {
				break
			}
			if s[i] != '|' {
				return fmt.Sprintf("syntax error after reference to package %q", strings.ToLower(string(name)))
			}
			if noAlt {
				return "alternatives ('|') not allowed"
			}
			i = skipSpace(s, i+1)
		}
		if i >= len(s) {
			return ""
		}
		i = skipSpace(s, i+1)
	}
}

// skipSpace returns the index of the first byte of s at or after i that
// is not white space, or len(s).
func skipSpace(s []byte, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}
