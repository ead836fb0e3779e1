package apt

import (
	"bytes"
	"encoding/binary"
	"io"
	"iter"
	"math/bits"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// Package is one stanza of a Packages file (or of any dpkg-style control
// file): the fields that identify a package version and where it comes
// from. Fields a remote file must not set for the local system, such as
// Status, are not read.
type Package struct {
	Package      string `json:"Package"`
	Version      string `json:"Version"`
	Architecture string `json:"Architecture"`
	// Source is the source package name and SourceVersion its version,
	// from the Source field ("name" or "name (version)"); both empty when
	// the field is absent (the source is then the package itself, at the
	// same version).
	Source        string `json:"Source,omitempty"`
	SourceVersion string `json:"SourceVersion,omitempty"`
	Priority      string `json:"Priority,omitempty"`
	Section       string `json:"Section,omitempty"`
	Filename      string `json:"Filename,omitempty"`
	Size          int64  `json:"Size,omitempty"`
	SHA256        string `json:"SHA256,omitempty"`
	// Origin is the Release the record came from (shared by all records of
	// one file); nil for a file read without one.
	Origin *Origin `json:"Origin,omitempty"`
	// Line is the stanza's first line in the (decompressed) file.
	Line int `json:"-"`
}

// SourceName returns the source package name (the package's own name when
// the Source field is absent).
func (p Package) SourceName() string {
	if p.Source != "" {
		return p.Source
	}
	return p.Package
}

// SourceVer returns the source version (the package's own version when
// none is given).
func (p Package) SourceVer() string {
	if p.SourceVersion != "" {
		return p.SourceVersion
	}
	return p.Version
}

// ToPatchkit returns the record as a patchkit.Package (scheme Deb, epoch
// known, Repository set to the origin as apt prints it).
func (p Package) ToPatchkit() (patchkit.Package, error) {
	q, err := patchkit.ParseDpkg(p.Package+":"+p.Architecture, p.Version)
	if err != nil {
		return patchkit.Package{}, err
	}
	q.SourceName, q.SourceVersion = p.SourceName(), p.SourceVer()
	q.Repository = p.Origin.String()
	q.Section, q.Priority = p.Section, p.Priority
	return q, nil
}

// ParseOptions tune ParsePackages.
type ParseOptions struct {
	// MaxLine is the longest line accepted (default repo.DefaultMaxLine).
	MaxLine int
	// Origin is set on every record.
	Origin *Origin
	// Intern, when set, is used to share repeated strings (architecture,
	// section, priority, source names) across calls; one is made per call
	// otherwise.
	Intern map[string]string
}

// Field bits, to find repeated fields.
const (
	fPackage = 1 << iota
	fVersion
	fArchitecture
	fSource
	fPriority
	fSection
	fFilename
	fSize
	fSHA256
)

// Value slots of a stanza: the fields a Package keeps, copied out of the
// text as they are read (the text may be a chunk that is reused before the
// stanza ends).
const (
	sPackage = iota
	sVersion
	sArchitecture
	sSource
	sSourceVersion
	sPriority
	sSection
	sFilename
	sSHA256
	nSlots
)

// ParsePackages streams the stanzas of a Packages (or other dpkg control)
// file. name is used in errors. A stanza without Package, Version or
// Architecture, with a repeated field, or with a Filename that leaves the
// repository yields an error (a *repo.SyntaxError or *repo.PathError, with
// the line) in its place, and the iteration goes on; a NUL byte, a line
// longer than the limit or a read error ends it. Lines may end in CRLF; the
// last may lack its newline.
func ParsePackages(name string, r io.Reader, opt ParseOptions) iter.Seq2[Package, error] {
	return func(yield func(Package, error) bool) {
		p := newParser(name, opt.MaxLine, opt.Origin, newInterner(opt.Intern))
		p.yield = yield
		p.run(r)
	}
}

// ParsePackagesBytes is ParsePackages over data already in memory; it does
// not copy data.
func ParsePackagesBytes(name string, data []byte, opt ParseOptions) iter.Seq2[Package, error] {
	return func(yield func(Package, error) bool) {
		p := newParser(name, opt.MaxLine, opt.Origin, newInterner(opt.Intern))
		p.yield = yield
		p.runBytes(data)
	}
}

type parser struct {
	name    string
	maxLine int
	origin  *Origin
	in      *interner
	line    int // lines read so far

	// Records and errors go to yield, or, when hold is set, are kept there
	// until the file they come from is verified.
	yield   func(Package, error) bool
	hold    *held
	stopped bool  // yield returned false
	fatal   error // the error that ended the parse
	nul     bool  // fatal is a NUL byte

	// The stanza being read.
	started bool
	at      int // its first line
	seen    int
	err     error // a stanza-level error
	// val holds the values read so far: slices of the text being parsed,
	// copied into vals (keep) before that text changes.
	val       [nSlots][]byte
	vals, old []byte
	size      int64

	carry   []byte // a line begun in an earlier chunk (feed)
	drained int    // lines in the chunks fed since a line too long (hold)
	scratch []byte
}

func newParser(name string, maxLine int, origin *Origin, in *interner) *parser {
	if maxLine <= 0 {
		maxLine = repo.DefaultMaxLine
	}
	return &parser{name: name, maxLine: maxLine, origin: origin, in: in}
}

// going reports whether parsing goes on.
func (p *parser) going() bool { return !p.stopped && p.fatal == nil }

// wants reports whether feed wants the next chunk: to parse it, or, with
// hold, to look for a NUL byte after a line too long.
func (p *parser) wants() bool {
	return p.going() || p.hold != nil && !p.stopped && !p.nul
}

func (p *parser) put(pk Package, err error) {
	if !p.yield(pk, err) {
		p.stopped = true
	}
}

// die ends the parse with err; without hold, err is yielded now.
func (p *parser) die(err error, nul bool) {
	p.fatal, p.nul = err, nul
	if p.hold == nil {
		p.put(Package{}, err)
	}
}

func (p *parser) nulAt(line int) {
	p.die(&repo.SyntaxError{File: p.name, Line: line, Msg: "NUL byte"}, true)
}

func (p *parser) tooLongAt(line int) {
	p.die(&repo.SyntaxError{File: p.name, Line: line, Msg: "line longer than the limit",
		Err: &repo.TooLargeError{File: p.name, What: "line", Limit: int64(p.maxLine)}}, false)
}

// run reads r in chunks and parses complete lines.
func (p *parser) run(r io.Reader) {
	buf := make([]byte, 0, 64<<10)
	eof := false
	for {
		// Fill.
		if !eof {
			if cap(buf)-len(buf) < 32<<10 {
				nb := make([]byte, len(buf), min(max(2*cap(buf), len(buf)+(64<<10)), max(1<<20, len(buf)+(64<<10))))
				copy(nb, buf)
				buf = nb
			}
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				eof = true
			} else if err != nil {
				p.put(Package{}, err)
				return
			}
			if n == 0 && !eof {
				continue
			}
		}
		if i := bytes.IndexByte(buf, 0); i >= 0 {
			// Report the line of the NUL byte.
			p.nulAt(p.line + bytes.Count(buf[:i], []byte{'\n'}) + 1)
			return
		}
		// Parse all complete lines (all of it at EOF).
		used := p.parse(buf, eof)
		if !p.going() {
			return
		}
		if eof {
			p.finish()
			return
		}
		rest := len(buf) - used
		if rest > p.maxLine+1 {
			p.tooLongAt(p.line + 1)
			return
		}
		copy(buf, buf[used:])
		buf = buf[:rest]
	}
}

func (p *parser) runBytes(data []byte) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		p.nulAt(p.line + bytes.Count(data[:i], []byte{'\n'}) + 1)
		return
	}
	p.parse(data, true)
	if p.going() {
		p.finish()
	}
}

// feed parses the next chunk of a file given in pieces; it does not keep
// chunk. end finishes the file. With hold, a NUL byte anywhere in the file
// is the error, as for ParsePackagesBytes, even after a line too long:
// chunks go on being fed (wants) and are looked at for one.
func (p *parser) feed(chunk []byte) { p.feedNUL(chunk, bytes.IndexByte(chunk, 0)) }

// feedNUL is feed when the index of the first NUL byte of chunk (or -1) is
// known.
func (p *parser) feedNUL(chunk []byte, nul int) {
	if p.fatal != nil {
		// Looking for a NUL byte after a line too long.
		if i := nul; i >= 0 {
			p.fatal = nil
			p.nulAt(p.drained + bytes.Count(chunk[:i], []byte{'\n'}) + 1)
			return
		}
		p.drained += bytes.Count(chunk, []byte{'\n'})
		return
	}
	if i := nul; i >= 0 {
		// The line begun in carry (if any) is line p.line+1.
		p.nulAt(p.line + bytes.Count(chunk[:i], []byte{'\n'}) + 1)
		return
	}
	if p.hold != nil {
		defer func(whole []byte, before int) {
			if p.fatal != nil {
				// carry holds no newline: the lines before this chunk
				// are the ones counted before it.
				p.drained = before + bytes.Count(whole, []byte{'\n'})
			}
		}(chunk, p.line)
	}
	if len(p.carry) > 0 {
		nl := bytes.IndexByte(chunk, '\n')
		if nl < 0 {
			p.carry = append(p.carry, chunk...)
			if len(p.carry) > p.maxLine+1 {
				p.tooLongAt(p.line + 1)
			}
			return
		}
		p.carry = append(p.carry, chunk[:nl+1]...)
		p.parse(p.carry, false)
		p.carry = p.carry[:0]
		if !p.going() {
			return
		}
		chunk = chunk[nl+1:]
	}
	used := p.parse(chunk, false)
	if !p.going() {
		return
	}
	if rest := chunk[used:]; len(rest) > p.maxLine+1 {
		p.tooLongAt(p.line + 1)
	} else {
		p.carry = append(p.carry, rest...)
	}
}

func (p *parser) end() {
	if !p.going() {
		return
	}
	p.parse(p.carry, true)
	p.carry = p.carry[:0]
	if p.going() {
		p.finish()
	}
}

// parse consumes complete lines of buf (all of it when eof) and returns how
// many bytes it used. buf holds no NUL byte.
func (p *parser) parse(buf []byte, eof bool) int {
	pos := 0
	for pos < len(buf) {
		var line []byte
		nl := bytes.IndexByte(buf[pos:], '\n')
		next := 0
		if nl < 0 {
			if !eof {
				break
			}
			line = buf[pos:]
			next = len(buf)
		} else {
			line = buf[pos : pos+nl]
			next = pos + nl + 1
		}
		if len(line) > p.maxLine {
			p.tooLongAt(p.line + 1)
			return pos
		}
		pos = next
		p.line++
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			if p.started {
				if p.emit(); !p.going() {
					return pos
				}
			}
			continue
		}
		if c := line[0]; c == ' ' || c == '\t' {
			if isBlankLine(line) {
				if p.started {
					if p.emit(); !p.going() {
						return pos
					}
				}
				continue
			}
			if !p.started {
				p.fail("continuation line without a field")
			}
			continue
		}
		if !p.started {
			p.begin()
		}
		if len(line) >= 9 && p.common(line) {
			continue
		}
		colon := fieldColon(line)
		if colon <= 0 {
			p.fail("line is not a field (no colon)")
			continue
		}
		p.field(line[:colon], line[colon+1:])
	}
	p.keep()
	return pos
}

// The first eight bytes of the fields read, spelled as Debian does, as
// little-endian words (checked by TestFieldWords).
const (
	wPackage  = 0x3a6567616b636150 // "Package:"
	wVersion  = 0x3a6e6f6973726556 // "Version:"
	wSection  = 0x3a6e6f6974636553 // "Section:"
	wSource   = 0x203a656372756f53 // "Source: "
	wSHA256   = 0x203a363532414853 // "SHA256: "
	wFilename = 0x656d616e656c6946 // "Filename"
	wPriority = 0x797469726f697250 // "Priority"
	wArchitec = 0x6365746968637241 // "Architec"
	wSize     = 0x0000203a657a6953 // "Size: ", in the low six bytes
)

// common reads line when it is one of the fields read, spelled as Debian
// spells them (what field does for any spelling), and reports whether it
// was. line has at least nine bytes.
func (p *parser) common(line []byte) bool {
	w := binary.LittleEndian.Uint64(line)
	var (
		bit, slot int
		name      []byte
		val       []byte
	)
	switch w {
	case wPackage:
		bit, slot, name, val = fPackage, sPackage, line[:7], line[8:]
	case wVersion:
		bit, slot, name, val = fVersion, sVersion, line[:7], line[8:]
	case wSection:
		bit, slot, name, val = fSection, sSection, line[:7], line[8:]
	case wSource:
		if p.mark(fSource, line[:6]) {
			p.source(trim(line[7:]))
		}
		return true
	case wSHA256:
		bit, slot, name, val = fSHA256, sSHA256, line[:6], line[7:]
	case wFilename:
		if line[8] != ':' {
			return false
		}
		bit, slot, name, val = fFilename, sFilename, line[:8], line[9:]
	case wPriority:
		if line[8] != ':' {
			return false
		}
		bit, slot, name, val = fPriority, sPriority, line[:8], line[9:]
	case wArchitec:
		if len(line) < 13 || string(line[8:13]) != "ture:" {
			return false
		}
		bit, slot, name, val = fArchitecture, sArchitecture, line[:12], line[13:]
	default:
		if w&0xFFFFFFFFFFFF != wSize {
			return false
		}
		p.field(line[:4], line[5:])
		return true
	}
	if p.mark(bit, name) {
		p.set(slot, trim(val))
	}
	return true
}

// fieldColon returns the index of the first ':' of line, or -1. Field
// names are short: the first sixteen bytes are tested eight at a time.
func fieldColon(line []byte) int {
	if len(line) >= 8 {
		if m := byteMask(binary.LittleEndian.Uint64(line), ':'); m != 0 {
			return bits.TrailingZeros64(m) / 8
		}
		if len(line) >= 16 {
			if m := byteMask(binary.LittleEndian.Uint64(line[8:]), ':'); m != 0 {
				return 8 + bits.TrailingZeros64(m)/8
			}
			if i := bytes.IndexByte(line[16:], ':'); i >= 0 {
				return 16 + i
			}
			return -1
		}
	}
	return bytes.IndexByte(line, ':')
}

func isBlankLine(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

func trim(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	for j > i && (b[j-1] == ' ' || b[j-1] == '\t') {
		j--
	}
	return b[i:j]
}

func (p *parser) begin() {
	p.started = true
	p.at = p.line
	p.seen = 0
	p.err = nil
	p.val = [nSlots][]byte{}
	p.size = 0
}

func (p *parser) fail(msg string) {
	if p.err == nil {
		p.err = &repo.SyntaxError{File: p.name, Line: p.line, Msg: msg}
	}
}

func (p *parser) mark(bit int, name []byte) bool {
	if p.seen&bit != 0 {
		p.fail("duplicate field " + string(name))
		return false
	}
	p.seen |= bit
	return true
}

func (p *parser) set(slot int, val []byte) { p.val[slot] = val }

func (p *parser) get(slot int) []byte { return p.val[slot] }

// keep copies the values of the stanza being read out of the text, which
// is about to change (a chunk reused, a buffer refilled).
func (p *parser) keep() {
	if !p.started {
		return
	}
	// The values may be in vals already: copy into the other buffer.
	b := p.old[:0]
	for i, v := range p.val {
		if v != nil {
			a := len(b)
			b = append(b, v...)
			p.val[i] = b[a:len(b):len(b)]
		}
	}
	p.old, p.vals = p.vals, b
}

// field reads one field of the stanza; rest is the text after the colon.
// Field names are matched without regard to ASCII case.
func (p *parser) field(name, rest []byte) {
	switch len(name) {
	case 7:
		switch name[0] | 0x20 {
		case 'p':
			if eq(name, "Package") && p.mark(fPackage, name) {
				p.set(sPackage, trim(rest))
			}
		case 'v':
			if eq(name, "Version") && p.mark(fVersion, name) {
				p.set(sVersion, trim(rest))
			}
		case 's':
			if eq(name, "Section") && p.mark(fSection, name) {
				p.set(sSection, trim(rest))
			}
		}
	case 12:
		if eq(name, "Architecture") && p.mark(fArchitecture, name) {
			p.set(sArchitecture, trim(rest))
		}
	case 6:
		switch {
		case eq(name, "Source"):
			if p.mark(fSource, name) {
				p.source(trim(rest))
			}
		case eq(name, "SHA256"):
			if p.mark(fSHA256, name) {
				p.set(sSHA256, trim(rest))
			}
		}
	case 8:
		switch name[0] | 0x20 {
		case 'p':
			if eq(name, "Priority") && p.mark(fPriority, name) {
				p.set(sPriority, trim(rest))
			}
		case 'f':
			if eq(name, "Filename") && p.mark(fFilename, name) {
				p.set(sFilename, trim(rest))
			}
		}
	case 4:
		if eq(name, "Size") && p.mark(fSize, name) {
			val := trim(rest)
			n, ok := parseSize(val)
			if !ok {
				var err error
				n, err = strconv.ParseInt(string(val), 10, 64)
				if err != nil || n < 0 {
					p.fail("invalid Size " + strconv.Quote(string(val)))
				}
			}
			p.size = n
		}
	}
}

// parseSize reads a plain decimal of at most 18 digits (the common case;
// anything else is left to strconv).
func parseSize(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// eq compares a field name with a known one, ignoring ASCII case (field
// names are case-insensitive); the exact spelling is the fast path.
func eq(b []byte, s string) bool {
	if string(b) == s {
		return true
	}
	return strings.EqualFold(string(b), s)
}

func (p *parser) source(val []byte) {
	name := val
	if i := bytes.IndexByte(val, '('); i >= 0 {
		name = trim(val[:i])
		v := val[i+1:]
		j := bytes.IndexByte(v, ')')
		if j < 0 {
			p.fail("Source: version without ')'")
			return
		}
		p.set(sSourceVersion, trim(v[:j]))
	}
	p.set(sSource, name)
}

// emit ends the stanza: its record, or its error, goes to yield or hold.
func (p *parser) emit() {
	p.started = false
	if p.err == nil {
		switch {
		case len(p.val[sPackage]) == 0:
			p.err = &repo.SyntaxError{File: p.name, Line: p.at, Msg: "stanza without a Package field"}
		case len(p.val[sVersion]) == 0:
			p.err = &repo.SyntaxError{File: p.name, Line: p.at, Msg: "stanza of " + string(p.get(sPackage)) + " without a Version field"}
		case len(p.val[sArchitecture]) == 0:
			p.err = &repo.SyntaxError{File: p.name, Line: p.at, Msg: "stanza of " + string(p.get(sPackage)) + " without an Architecture field"}
		default:
			if fn := p.get(sFilename); len(fn) > 0 && !plainRelPath(fn) {
				if reason := repo.CheckRelPath(string(fn)); reason != "" {
					p.err = &repo.PathError{File: p.name, Line: p.at, Path: string(fn), Reason: reason}
				}
			}
		}
	}
	if p.hold != nil {
		p.hold.add(p)
		return
	}
	if p.err != nil {
		p.put(Package{}, p.err)
		return
	}
	p.put(p.record(), nil)
}

// record builds the stanza's Package: the names, version, file name and
// checksum share one string; the other fields are interned.
func (p *parser) record() Package {
	pk, ver, fn, sum := p.get(sPackage), p.get(sVersion), p.get(sFilename), p.get(sSHA256)
	b := append(append(append(append(p.scratch[:0], pk...), ver...), fn...), sum...)
	p.scratch = b
	s := string(b)
	i1 := len(pk)
	i2 := i1 + len(ver)
	i3 := i2 + len(fn)
	return Package{
		Package:       s[:i1],
		Version:       s[i1:i2],
		Filename:      s[i2:i3],
		SHA256:        s[i3:],
		Architecture:  p.in.strs[p.in.cachedID(&p.in.arch, p.get(sArchitecture))],
		Source:        p.in.str(p.get(sSource)),
		SourceVersion: p.in.str(p.get(sSourceVersion)),
		Priority:      p.in.strs[p.in.cachedID(&p.in.prio, p.get(sPriority))],
		Section:       p.in.strs[p.in.cachedID(&p.in.sect, p.get(sSection))],
		Size:          p.size,
		Origin:        p.origin,
		Line:          p.at,
	}
}

func (p *parser) finish() {
	if p.started {
		p.emit()
	}
}

// plainRelPath reports whether b is a relative path that repo.CheckRelPath
// is sure to accept: not empty, not starting with '/', and without control
// characters, '%', ':', '\\' or "..". Anything else is left to
// CheckRelPath. The bytes are tested eight at a time.
func plainRelPath(b []byte) bool {
	if len(b) == 0 || b[0] == '/' {
		return false
	}
	var dots uint64 // the '.' flag of the previous word's last byte, moved to byte 0
	for len(b) > 0 {
		var v uint64
		if len(b) >= 8 {
			v = binary.LittleEndian.Uint64(b)
			b = b[8:]
		} else {
			var w [8]byte
			copy(w[:], b)
			for i := len(b); i < 8; i++ {
				w[i] = 'a'
			}
			v = binary.LittleEndian.Uint64(w[:])
			b = nil
		}
		if suspect(v) {
			return false
		}
		m := byteMask(v, '.')
		if m&(m<<8|dots) != 0 {
			return false // ".."
		}
		dots = m >> 56
	}
	return true
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
	lo7 = 0x7f7f7f7f7f7f7f7f
)

// suspect reports whether one of the eight bytes of v is a control
// character (below 0x20, or 0x7f), '%', ':' or '\\'.
func suspect(v uint64) bool {
	x1, x2, x3, x4 := v^(lo8*0x7f), v^(lo8*'%'), v^(lo8*':'), v^(lo8*'\\')
	return ((v-lo8*0x20)&^v|(x1-lo8)&^x1|(x2-lo8)&^x2|(x3-lo8)&^x3|(x4-lo8)&^x4)&hi8 != 0
}

// byteMask returns the high bit of each byte of v that equals c.
func byteMask(v uint64, c byte) uint64 {
	t := v ^ (lo8 * uint64(c))
	return ^((t&lo7 + lo7) | t | lo7)
}

// interner shares the strings of fields that repeat (architecture,
// section, priority, source names and versions) and numbers them, so that
// held records can name them by number.
type interner struct {
	ids  map[string]int32
	strs []string
	ext  map[string]string // ParseOptions.Intern, when given
	// Small caches in front of ids for the fields with few values.
	arch, prio, sect icache
}

type icache [64]struct {
	s  string
	id int32
}

func newInterner(ext map[string]string) *interner {
	return &interner{ids: make(map[string]int32, 1024), strs: []string{""}, ext: ext}
}

func (t *interner) id(b []byte) int32 {
	if len(b) == 0 {
		return 0
	}
	if id, ok := t.ids[string(b)]; ok {
		return id
	}
	var s string
	if t.ext != nil {
		e, ok := t.ext[string(b)]
		if !ok {
			e = string(b)
			t.ext[e] = e
		}
		s = e
	} else {
		s = string(b)
	}
	id := int32(len(t.strs))
	t.strs = append(t.strs, s)
	t.ids[s] = id
	return id
}

func (t *interner) str(b []byte) string { return t.strs[t.id(b)] }

// cachedID is id through the cache c.
func (t *interner) cachedID(c *icache, b []byte) int32 {
	if len(b) == 0 {
		return 0
	}
	e := &c[(uint(len(b))*7+uint(b[0])+uint(b[len(b)-1])*3)&63]
	if e.s == string(b) {
		return e.id
	}
	id := t.id(b)
	e.s, e.id = t.strs[id], id
	return id
}
