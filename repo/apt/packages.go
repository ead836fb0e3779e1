package apt

import (
	"bytes"
	"io"
	"iter"
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

// ParsePackages streams the stanzas of a Packages (or other dpkg control)
// file. name is used in errors. A stanza without Package, Version or
// Architecture, with a repeated field, or with a Filename that leaves the
// repository yields an error (a *repo.SyntaxError or *repo.PathError, with
// the line) in its place, and the iteration goes on; a NUL byte, a line
// longer than the limit or a read error ends it. Lines may end in CRLF; the
// last may lack its newline.
func ParsePackages(name string, r io.Reader, opt ParseOptions) iter.Seq2[Package, error] {
	return func(yield func(Package, error) bool) {
		p := newParser(name, opt)
		p.run(r, yield)
	}
}

// ParsePackagesBytes is ParsePackages over data already in memory; it does
// not copy data.
func ParsePackagesBytes(name string, data []byte, opt ParseOptions) iter.Seq2[Package, error] {
	return func(yield func(Package, error) bool) {
		p := newParser(name, opt)
		p.runBytes(data, true, yield)
	}
}

type parser struct {
	name    string
	maxLine int
	origin  *Origin
	intern  map[string]string
	line    int

	cur      Package
	seen     int
	started  bool
	stanzaAt int
	err      error // a stanza-level error
	lastCont bool
}

func newParser(name string, opt ParseOptions) *parser {
	p := &parser{name: name, maxLine: opt.MaxLine, origin: opt.Origin, intern: opt.Intern}
	if p.maxLine <= 0 {
		p.maxLine = repo.DefaultMaxLine
	}
	if p.intern == nil {
		p.intern = make(map[string]string, 1024)
	}
	return p
}

func (p *parser) in(b []byte) string {
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	p.intern[s] = s
	return s
}

// run reads r in chunks and parses complete lines.
func (p *parser) run(r io.Reader, yield func(Package, error) bool) {
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
				yield(Package{}, err)
				return
			}
			if n == 0 && !eof {
				continue
			}
		}
		// Parse all complete lines (all of it at EOF).
		used, ok := p.parse(buf, eof, yield)
		if !ok {
			return
		}
		if eof {
			p.finish(yield)
			return
		}
		rest := len(buf) - used
		if rest > p.maxLine+1 {
			yield(Package{}, p.tooLong())
			return
		}
		copy(buf, buf[used:])
		buf = buf[:rest]
	}
}

func (p *parser) runBytes(data []byte, eof bool, yield func(Package, error) bool) {
	if _, ok := p.parse(data, eof, yield); ok {
		p.finish(yield)
	}
}

func (p *parser) tooLong() error {
	return &repo.SyntaxError{File: p.name, Line: p.line + 1, Msg: "line longer than the limit",
		Err: &repo.TooLargeError{File: p.name, What: "line", Limit: int64(p.maxLine)}}
}

// parse consumes complete lines of buf and returns how many bytes it used.
func (p *parser) parse(buf []byte, eof bool, yield func(Package, error) bool) (int, bool) {
	if i := bytes.IndexByte(buf, 0); i >= 0 {
		// Report the line of the NUL byte.
		line := p.line + bytes.Count(buf[:i], []byte{'\n'}) + 1
		yield(Package{}, &repo.SyntaxError{File: p.name, Line: line, Msg: "NUL byte"})
		return 0, false
	}
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
			p.line++
			yield(Package{}, &repo.SyntaxError{File: p.name, Line: p.line, Msg: "line longer than the limit",
				Err: &repo.TooLargeError{File: p.name, What: "line", Limit: int64(p.maxLine)}})
			return pos, false
		}
		pos = next
		p.line++
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 || isBlankLine(line) {
			if p.started {
				if !p.emit(yield) {
					return pos, false
				}
			}
			continue
		}
		c := line[0]
		if c == ' ' || c == '\t' {
			if !p.started {
				p.fail("continuation line without a field")
			}
			continue
		}
		if !p.started {
			p.begin()
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			p.fail("line is not a field (no colon)")
			continue
		}
		p.field(line[:colon], trim(line[colon+1:]))
	}
	return pos, true
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
	p.cur = Package{Origin: p.origin, Line: p.line}
	p.seen = 0
	p.err = nil
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

func (p *parser) field(name, val []byte) {
	switch len(name) {
	case 7:
		switch {
		case eq(name, "Package"):
			if p.mark(fPackage, name) {
				p.cur.Package = string(val)
			}
		case eq(name, "Version"):
			if p.mark(fVersion, name) {
				p.cur.Version = string(val)
			}
		case eq(name, "Section"):
			if p.mark(fSection, name) {
				p.cur.Section = p.in(val)
			}
		}
	case 12:
		if eq(name, "Architecture") && p.mark(fArchitecture, name) {
			p.cur.Architecture = p.in(val)
		}
	case 6:
		switch {
		case eq(name, "Source"):
			if p.mark(fSource, name) {
				p.source(val)
			}
		case eq(name, "SHA256"):
			if p.mark(fSHA256, name) {
				p.cur.SHA256 = string(val)
			}
		}
	case 8:
		switch {
		case eq(name, "Priority"):
			if p.mark(fPriority, name) {
				p.cur.Priority = p.in(val)
			}
		case eq(name, "Filename"):
			if p.mark(fFilename, name) {
				p.cur.Filename = string(val)
			}
		}
	case 4:
		if eq(name, "Size") && p.mark(fSize, name) {
			n, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil || n < 0 {
				p.fail("invalid Size " + strconv.Quote(string(val)))
			}
			p.cur.Size = n
		}
	}
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
		p.cur.SourceVersion = p.in(trim(v[:j]))
	}
	p.cur.Source = p.in(name)
}

func (p *parser) emit(yield func(Package, error) bool) bool {
	p.started = false
	if p.err == nil {
		switch {
		case p.cur.Package == "":
			p.err = &repo.SyntaxError{File: p.name, Line: p.cur.Line, Msg: "stanza without a Package field"}
		case p.cur.Version == "":
			p.err = &repo.SyntaxError{File: p.name, Line: p.cur.Line, Msg: "stanza of " + p.cur.Package + " without a Version field"}
		case p.cur.Architecture == "":
			p.err = &repo.SyntaxError{File: p.name, Line: p.cur.Line, Msg: "stanza of " + p.cur.Package + " without an Architecture field"}
		case p.cur.Filename != "":
			if reason := repo.CheckRelPath(p.cur.Filename); reason != "" {
				p.err = &repo.PathError{File: p.name, Line: p.cur.Line, Path: p.cur.Filename, Reason: reason}
			}
		}
	}
	if p.err != nil {
		return yield(Package{}, p.err)
	}
	return yield(p.cur, nil)
}

func (p *parser) finish(yield func(Package, error) bool) {
	if p.started {
		p.emit(yield)
	}
}
