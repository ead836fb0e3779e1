package apt

// The Packages parser and ParseRelease as they were before they were made
// faster (commit 150ae7c), kept as the references the current ones are
// compared with.

import (
	"bytes"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit/repo"
)

func refParsePackages(name string, r io.Reader, opt ParseOptions) iter.Seq2[Package, error] {
	return func(yield func(Package, error) bool) {
		p := newRefParser(name, opt)
		p.run(r, yield)
	}
}

func refParsePackagesBytes(name string, data []byte, opt ParseOptions) iter.Seq2[Package, error] {
	return func(yield func(Package, error) bool) {
		p := newRefParser(name, opt)
		p.runBytes(data, true, yield)
	}
}

type refParser struct {
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

func newRefParser(name string, opt ParseOptions) *refParser {
	p := &refParser{name: name, maxLine: opt.MaxLine, origin: opt.Origin, intern: opt.Intern}
	if p.maxLine <= 0 {
		p.maxLine = repo.DefaultMaxLine
	}
	if p.intern == nil {
		p.intern = make(map[string]string, 1024)
	}
	return p
}

func (p *refParser) in(b []byte) string {
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	p.intern[s] = s
	return s
}

// run reads r in chunks and parses complete lines.
func (p *refParser) run(r io.Reader, yield func(Package, error) bool) {
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

func (p *refParser) runBytes(data []byte, eof bool, yield func(Package, error) bool) {
	if _, ok := p.parse(data, eof, yield); ok {
		p.finish(yield)
	}
}

func (p *refParser) tooLong() error {
	return &repo.SyntaxError{File: p.name, Line: p.line + 1, Msg: "line longer than the limit",
		Err: &repo.TooLargeError{File: p.name, What: "line", Limit: int64(p.maxLine)}}
}

// parse consumes complete lines of buf and returns how many bytes it used.
func (p *refParser) parse(buf []byte, eof bool, yield func(Package, error) bool) (int, bool) {
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
		if len(line) == 0 || refIsBlankLine(line) {
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
		p.field(line[:colon], refTrim(line[colon+1:]))
	}
	return pos, true
}

func refIsBlankLine(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

func refTrim(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	for j > i && (b[j-1] == ' ' || b[j-1] == '\t') {
		j--
	}
	return b[i:j]
}

func (p *refParser) begin() {
	p.started = true
	p.cur = Package{Origin: p.origin, Line: p.line}
	p.seen = 0
	p.err = nil
}

func (p *refParser) fail(msg string) {
	if p.err == nil {
		p.err = &repo.SyntaxError{File: p.name, Line: p.line, Msg: msg}
	}
}

func (p *refParser) mark(bit int, name []byte) bool {
	if p.seen&bit != 0 {
		p.fail("duplicate field " + string(name))
		return false
	}
	p.seen |= bit
	return true
}

func (p *refParser) field(name, val []byte) {
	switch len(name) {
	case 7:
		switch {
		case refEq(name, "Package"):
			if p.mark(fPackage, name) {
				p.cur.Package = string(val)
			}
		case refEq(name, "Version"):
			if p.mark(fVersion, name) {
				p.cur.Version = string(val)
			}
		case refEq(name, "Section"):
			if p.mark(fSection, name) {
				p.cur.Section = p.in(val)
			}
		}
	case 12:
		if refEq(name, "Architecture") && p.mark(fArchitecture, name) {
			p.cur.Architecture = p.in(val)
		}
	case 6:
		switch {
		case refEq(name, "Source"):
			if p.mark(fSource, name) {
				p.source(val)
			}
		case refEq(name, "SHA256"):
			if p.mark(fSHA256, name) {
				p.cur.SHA256 = string(val)
			}
		}
	case 8:
		switch {
		case refEq(name, "Priority"):
			if p.mark(fPriority, name) {
				p.cur.Priority = p.in(val)
			}
		case refEq(name, "Filename"):
			if p.mark(fFilename, name) {
				p.cur.Filename = string(val)
			}
		}
	case 4:
		if refEq(name, "Size") && p.mark(fSize, name) {
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
func refEq(b []byte, s string) bool {
	if string(b) == s {
		return true
	}
	return strings.EqualFold(string(b), s)
}

func (p *refParser) source(val []byte) {
	name := val
	if i := bytes.IndexByte(val, '('); i >= 0 {
		name = refTrim(val[:i])
		v := val[i+1:]
		j := bytes.IndexByte(v, ')')
		if j < 0 {
			p.fail("Source: version without ')'")
			return
		}
		p.cur.SourceVersion = p.in(refTrim(v[:j]))
	}
	p.cur.Source = p.in(name)
}

func (p *refParser) emit(yield func(Package, error) bool) bool {
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

func (p *refParser) finish(yield func(Package, error) bool) {
	if p.started {
		p.emit(yield)
	}
}

// refParseRelease is ParseRelease as it was: it parses the text of a Release file (for InRelease, only the
// verified signed text). name is used in errors.
func refParseRelease(name string, content []byte) (*Release, error) {
	var (
		para  repo.Paragraph
		count int
	)
	for p, err := range repo.ParseDeb822(name, bytes.NewReader(content), repo.Deb822Options{MaxLine: repo.DefaultMaxLine}) {
		if err != nil {
			return nil, err
		}
		count++
		if count > 1 {
			return nil, &repo.SyntaxError{File: name, Line: p.Line, Msg: "more than one paragraph in a Release file"}
		}
		para = p
	}
	if count == 0 {
		return nil, &repo.SyntaxError{File: name, Line: 1, Msg: "empty Release file"}
	}
	r := &Release{Files: map[string]FileInfo{}}
	for _, f := range para.Fields {
		bad := func(msg string) (*Release, error) {
			return nil, &repo.SyntaxError{File: name, Line: f.Line, Msg: f.Name + ": " + msg}
		}
		switch strings.ToLower(f.Name) {
		case "origin":
			r.Origin = f.Value
		case "label":
			r.Label = f.Value
		case "suite":
			r.Suite = f.Value
		case "version":
			r.Version = f.Value
		case "codename":
			r.Codename = f.Value
		case "date":
			t, err := ParseDate(f.Value)
			if err != nil {
				return bad(err.Error())
			}
			r.Date = t
		case "valid-until":
			t, err := ParseDate(f.Value)
			if err != nil {
				return bad(err.Error())
			}
			r.ValidUntil = t
		case "architectures":
			r.Architectures = strings.Fields(f.Value)
		case "components":
			r.Components = strings.Fields(f.Value)
		case "acquire-by-hash":
			r.AcquireByHash = strings.EqualFold(f.Value, "yes")
		case "notautomatic":
			r.NotAutomatic = strings.EqualFold(f.Value, "yes")
		case "butautomaticupgrades":
			r.ButAutomaticUpgrades = strings.EqualFold(f.Value, "yes")
		case "no-support-for-architecture-all":
			r.NoSupportForArchAll = f.Value
		case "signed-by":
			r.SignedBy = strings.FieldsFunc(f.Value, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' })
		case "md5sum", "sha1", "sha256", "sha512":
			alg := strings.ToLower(f.Name)
			lines := strings.Split(f.Value, "\n")
			if strings.TrimSpace(lines[0]) != "" {
				return bad("checksum list must start on the next line")
			}
			for i, l := range lines[1:] {
				parts := strings.Fields(l)
				if len(parts) == 0 {
					continue
				}
				if len(parts) != 3 {
					return nil, &repo.SyntaxError{File: name, Line: f.Line + 1 + i, Msg: f.Name + ": want \"checksum size path\""}
				}
				size, err := strconv.ParseInt(parts[1], 10, 64)
				if err != nil || size < 0 {
					return nil, &repo.SyntaxError{File: name, Line: f.Line + 1 + i, Msg: f.Name + ": invalid size " + strconv.Quote(parts[1])}
				}
				sum := strings.ToLower(parts[0])
				if !refIsHex(sum, alg) {
					return nil, &repo.SyntaxError{File: name, Line: f.Line + 1 + i, Msg: f.Name + ": invalid checksum"}
				}
				p := parts[2]
				fi, seen := r.Files[p]
				if seen && fi.Size != size {
					return nil, &repo.SyntaxError{File: name, Line: f.Line + 1 + i, Msg: "sizes of " + p + " differ between checksum lists"}
				}
				fi.Path, fi.Size = p, size
				switch alg {
				case "sha256":
					fi.SHA256 = sum
				case "sha512":
					fi.SHA512 = sum
				}
				fi.Weak = fi.SHA256 == "" && fi.SHA512 == ""
				r.Files[p] = fi
			}
		}
	}
	if r.Date.IsZero() {
		return nil, &repo.SyntaxError{File: name, Line: para.Line, Msg: "no Date field"}
	}
	return r, nil
}

func refIsHex(s, alg string) bool {
	want := map[string]int{"md5sum": 32, "sha1": 40, "sha256": 64, "sha512": 128}[alg]
	if len(s) != want {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
