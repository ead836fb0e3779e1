// Package xmlscan is a small, fast, streaming XML tokenizer for repository
// metadata (repomd.xml, primary.xml, updateinfo.xml). It checks
// well-formedness (balanced tags, one root, attribute syntax, character and
// entity references) and enforces limits on depth, token size and element
// count. It refuses document type declarations, so no entity can be defined
// or expanded, and it never reads beyond the limits it was given.
//
// Element names are matched literally, prefix included ("rpm:entry"), as
// libsolv and createrepo_c do.
package xmlscan

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Kind is the kind of a token.
type Kind int

// Token kinds. A self-closing element yields StartElement then EndElement.
const (
	EOF Kind = iota
	StartElement
	EndElement
	Text
)

// Limits bound a document. Zero fields take the defaults.
type Limits struct {
	MaxDepth    int   // deepest element nesting (default 64)
	MaxToken    int   // largest tag or text run in bytes (default 1 MiB)
	MaxElements int64 // most elements in the document (default 1<<31)
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = 64
	}
	if l.MaxToken <= 0 {
		l.MaxToken = 1 << 20
	}
	if l.MaxElements <= 0 {
		l.MaxElements = 1 << 31
	}
	return l
}

// LimitError reports a document beyond one of its Limits.
type LimitError struct {
	What  string // "depth", "token size", "element count"
	Limit int64
	Line  int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("line %d: XML %s beyond the limit of %d", e.Line, e.What, e.Limit)
}

// SyntaxError reports a document that is not well-formed.
type SyntaxError struct {
	Msg  string
	Line int
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d: XML syntax error: %s", e.Line, e.Msg)
}

// Scanner reads tokens. Byte slices it returns are valid until the next call
// of Next.
type Scanner struct {
	r   io.Reader
	lim Limits

	buf      []byte
	pos, end int
	eof      bool
	rerr     error
	lineBase int

	kind       Kind
	name       []byte
	attrs      []byte
	text       []byte
	cdata      bool
	pendingEnd bool

	stack    []int // offsets into names
	names    []byte
	elements int64
	rootSeen bool
	rootDone bool
	err      error

	scratch []byte
}

// New returns a Scanner reading r.
func New(r io.Reader, lim Limits) *Scanner {
	lim = lim.withDefaults()
	size := 64 << 10
	if size > lim.MaxToken+64 {
		size = lim.MaxToken + 64
	}
	return &Scanner{r: r, lim: lim, buf: make([]byte, size)}
}

// Depth returns the number of open elements (after a StartElement, including
// it).
func (s *Scanner) Depth() int { return len(s.stack) }

// Name returns the current element's name.
func (s *Scanner) Name() []byte { return s.name }

// Line returns the current line number (1-based).
func (s *Scanner) Line() int {
	return s.lineBase + bytes.Count(s.buf[:s.pos], nl) + 1
}

var nl = []byte{'\n'}

func (s *Scanner) syntax(format string, args ...any) error {
	s.err = &SyntaxError{Msg: fmt.Sprintf(format, args...), Line: s.Line()}
	return s.err
}

func (s *Scanner) limit(what string, n int64) error {
	s.err = &LimitError{What: what, Limit: n, Line: s.Line()}
	return s.err
}

// fill makes at least need bytes available from pos, reading more input. It
// returns false at end of input (s.rerr holds a read error, if any).
func (s *Scanner) fill(need int) (bool, error) {
	for s.end-s.pos < need {
		if s.eof {
			return false, s.rerr
		}
		if s.pos > 0 {
			s.lineBase += bytes.Count(s.buf[:s.pos], nl)
			n := copy(s.buf, s.buf[s.pos:s.end])
			s.pos, s.end = 0, n
		}
		if s.end == len(s.buf) {
			if len(s.buf) >= s.lim.MaxToken+64 {
				return false, s.limit("token size", int64(s.lim.MaxToken))
			}
			nb := make([]byte, min(2*len(s.buf), s.lim.MaxToken+64))
			copy(nb, s.buf[:s.end])
			s.buf = nb
		}
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.rerr = err
			}
		}
	}
	return true, nil
}

// indexFrom finds sep at or after pos+from, reading more input as needed. It
// returns the index relative to pos, or -1 at end of input.
func (s *Scanner) indexFrom(from int, sep []byte) (int, error) {
	for {
		if i := bytes.Index(s.buf[s.pos+from:s.end], sep); i >= 0 {
			return from + i, nil
		}
		from = max(s.end-s.pos-len(sep)+1, from)
		ok, err := s.fill(s.end - s.pos + 1)
		if err != nil {
			return -1, err
		}
		if !ok {
			return -1, nil
		}
	}
}

// Next advances to the next token.
func (s *Scanner) Next() (Kind, error) {
	if s.err != nil {
		return EOF, s.err
	}
	if s.pendingEnd {
		s.pendingEnd = false
		s.pop()
		s.kind = EndElement
		return EndElement, nil
	}
	for {
		if s.pos >= s.end {
			ok, err := s.fill(1)
			if err != nil {
				s.err = err
				return EOF, err
			}
			if !ok {
				if len(s.stack) > 0 {
					return EOF, s.syntax("unexpected end of document inside <%s>", s.top())
				}
				if !s.rootSeen {
					return EOF, s.syntax("no root element")
				}
				s.kind = EOF
				return EOF, nil
			}
		}
		if s.buf[s.pos] != '<' {
			k, err := s.scanText()
			if err != nil || k != EOF {
				return k, err
			}
			continue
		}
		k, err := s.scanMarkup()
		if err != nil || k != EOF {
			return k, err
		}
	}
}

func (s *Scanner) top() []byte {
	if len(s.stack) == 0 {
		return nil
	}
	return s.names[s.stack[len(s.stack)-1]:]
}

func (s *Scanner) pop() {
	i := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	s.name = s.names[i:] // intact until the next push
	s.names = s.names[:i]
	if len(s.stack) == 0 {
		s.rootDone = true
	}
}

// scanText reads character data up to the next '<'. It returns EOF (and no
// error) for whitespace outside the root, which is skipped.
func (s *Scanner) scanText() (Kind, error) {
	var i int
	for {
		j := bytes.IndexByte(s.buf[s.pos+i:s.end], '<')
		if j >= 0 {
			i += j
			break
		}
		i = s.end - s.pos
		if i > s.lim.MaxToken {
			return EOF, s.limit("token size", int64(s.lim.MaxToken))
		}
		ok, err := s.fill(i + 1)
		if err != nil {
			s.err = err
			return EOF, err
		}
		if !ok {
			break
		}
	}
	if i > s.lim.MaxToken {
		return EOF, s.limit("token size", int64(s.lim.MaxToken))
	}
	raw := s.buf[s.pos : s.pos+i]
	if len(s.stack) == 0 {
		if len(bytes.TrimLeft(raw, " \t\r\n")) != 0 {
			return EOF, s.syntax("text outside the root element")
		}
		s.pos += i
		return EOF, nil
	}
	if bytes.IndexByte(raw, '&') >= 0 {
		if _, err := s.unescape(raw, true); err != nil {
			return EOF, err
		}
	}
	s.pos += i
	s.text, s.cdata, s.kind = raw, false, Text
	return Text, nil
}

var (
	commentEnd = []byte("-->")
	piEnd      = []byte("?>")
	cdataEnd   = []byte("]]>")
	cdataStart = []byte("<![CDATA[")
	doctype    = []byte("<!DOCTYPE")
)

func (s *Scanner) scanMarkup() (Kind, error) {
	if _, err := s.fill(2); err != nil {
		s.err = err
		return EOF, err
	}
	if s.end-s.pos < 2 {
		return EOF, s.syntax("unexpected end of document")
	}
	switch s.buf[s.pos+1] {
	case '?':
		i, err := s.indexFrom(2, piEnd)
		if err != nil {
			s.err = err
			return EOF, err
		}
		if i < 0 {
			return EOF, s.syntax("unterminated processing instruction")
		}
		s.pos += i + 2
		return EOF, nil
	case '!':
		s.fill(9)
		rest := s.buf[s.pos:s.end]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i, err := s.indexFrom(4, commentEnd)
			if err != nil {
				s.err = err
				return EOF, err
			}
			if i < 0 {
				return EOF, s.syntax("unterminated comment")
			}
			s.pos += i + 3
			return EOF, nil
		case bytes.HasPrefix(rest, cdataStart):
			if len(s.stack) == 0 {
				return EOF, s.syntax("CDATA outside the root element")
			}
			i, err := s.indexFrom(9, cdataEnd)
			if err != nil {
				s.err = err
				return EOF, err
			}
			if i < 0 {
				return EOF, s.syntax("unterminated CDATA section")
			}
			s.text, s.cdata, s.kind = s.buf[s.pos+9:s.pos+i], true, Text
			s.pos += i + 3
			return Text, nil
		case bytes.HasPrefix(rest, doctype):
			return EOF, s.syntax("document type declarations are not accepted")
		default:
			return EOF, s.syntax("unknown markup declaration")
		}
	case '/':
		return s.scanEnd()
	default:
		return s.scanStart()
	}
}

func (s *Scanner) scanEnd() (Kind, error) {
	i, err := s.indexFrom(2, []byte{'>'})
	if err != nil {
		s.err = err
		return EOF, err
	}
	if i < 0 {
		return EOF, s.syntax("unterminated end tag")
	}
	if i > s.lim.MaxToken {
		return EOF, s.limit("token size", int64(s.lim.MaxToken))
	}
	name := bytes.TrimRight(s.buf[s.pos+2:s.pos+i], " \t\r\n")
	if len(s.stack) == 0 {
		return EOF, s.syntax("end tag </%s> without a start tag", name)
	}
	if !bytes.Equal(name, s.top()) {
		return EOF, s.syntax("end tag </%s> does not match <%s>", name, s.top())
	}
	s.pos += i + 1
	s.pop()
	s.kind = EndElement
	return EndElement, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *Scanner) scanStart() (Kind, error) {
	// Find the closing '>' outside quotes.
	i := 1
	var quote byte
	for {
		if s.pos+i >= s.end {
			if i > s.lim.MaxToken {
				return EOF, s.limit("token size", int64(s.lim.MaxToken))
			}
			ok, err := s.fill(i + 1)
			if err != nil {
				s.err = err
				return EOF, err
			}
			if !ok {
				return EOF, s.syntax("unterminated start tag")
			}
		}
		c := s.buf[s.pos+i]
		if quote != 0 {
			j := bytes.IndexByte(s.buf[s.pos+i:s.end], quote)
			if j < 0 {
				i = s.end - s.pos
				continue
			}
			i += j + 1
			quote = 0
			continue
		}
		if c == '>' {
			break
		}
		if c == '"' || c == '\'' {
			quote = c
		} else if c == '<' {
			return EOF, s.syntax("'<' inside a tag")
		}
		i++
	}
	if i > s.lim.MaxToken {
		return EOF, s.limit("token size", int64(s.lim.MaxToken))
	}
	tag := s.buf[s.pos+1 : s.pos+i]
	self := false
	if len(tag) > 0 && tag[len(tag)-1] == '/' {
		self = true
		tag = tag[:len(tag)-1]
	}
	n := 0
	for n < len(tag) && !isSpace(tag[n]) {
		n++
	}
	name := tag[:n]
	if err := s.checkName(name); err != nil {
		return EOF, err
	}
	attrs := tag[n:]
	if err := s.checkAttrs(attrs); err != nil {
		return EOF, err
	}
	if s.rootDone {
		return EOF, s.syntax("second root element <%s>", name)
	}
	if len(s.stack) >= s.lim.MaxDepth {
		return EOF, s.limit("depth", int64(s.lim.MaxDepth))
	}
	s.elements++
	if s.elements > s.lim.MaxElements {
		return EOF, s.limit("element count", s.lim.MaxElements)
	}
	s.rootSeen = true
	s.stack = append(s.stack, len(s.names))
	s.names = append(s.names, name...)
	s.name, s.attrs = name, attrs
	s.pos += i + 1
	s.pendingEnd = self
	s.kind = StartElement
	return StartElement, nil
}

func (s *Scanner) checkName(name []byte) error {
	if len(name) == 0 {
		return s.syntax("element without a name")
	}
	c := name[0]
	if c == '-' || c == '.' || (c >= '0' && c <= '9') {
		return s.syntax("invalid element name %q", name)
	}
	for _, c := range name {
		switch c {
		case '"', '\'', '=', '<', '>', '/', '&', '!', '?':
			return s.syntax("invalid element name %q", name)
		}
	}
	return nil
}

// checkAttrs checks attribute syntax: (S name S? = S? quoted)*.
func (s *Scanner) checkAttrs(a []byte) error {
	for {
		j := 0
		for j < len(a) && isSpace(a[j]) {
			j++
		}
		if j == len(a) {
			return nil
		}
		if j == 0 {
			return s.syntax("attributes must be separated by white space")
		}
		a = a[j:]
		k := 0
		for k < len(a) && a[k] != '=' && !isSpace(a[k]) {
			if a[k] == '"' || a[k] == '\'' || a[k] == '<' || a[k] == '&' {
				return s.syntax("invalid attribute name")
			}
			k++
		}
		if k == 0 {
			return s.syntax("attribute without a name")
		}
		a = a[k:]
		for len(a) > 0 && isSpace(a[0]) {
			a = a[1:]
		}
		if len(a) == 0 || a[0] != '=' {
			return s.syntax("attribute without a value")
		}
		a = a[1:]
		for len(a) > 0 && isSpace(a[0]) {
			a = a[1:]
		}
		if len(a) == 0 || (a[0] != '"' && a[0] != '\'') {
			return s.syntax("attribute value without quotes")
		}
		q := a[0]
		e := bytes.IndexByte(a[1:], q)
		if e < 0 {
			return s.syntax("unterminated attribute value")
		}
		v := a[1 : 1+e]
		if bytes.IndexByte(v, '<') >= 0 {
			return s.syntax("'<' in an attribute value")
		}
		if bytes.IndexByte(v, '&') >= 0 {
			if _, err := s.unescape(v, true); err != nil {
				return err
			}
		}
		a = a[2+e:]
	}
}

// Attr returns the value of the current start element's attribute name,
// with references replaced.
func (s *Scanner) Attr(name string) ([]byte, bool) {
	a := s.attrs
	for len(a) > 0 {
		for len(a) > 0 && isSpace(a[0]) {
			a = a[1:]
		}
		k := 0
		for k < len(a) && a[k] != '=' && !isSpace(a[k]) {
			k++
		}
		key := a[:k]
		a = a[k:]
		e := bytes.IndexByte(a, '"')
		f := bytes.IndexByte(a, '\'')
		if e < 0 || (f >= 0 && f < e) {
			e = f
		}
		if e < 0 {
			return nil, false
		}
		q := a[e]
		a = a[e+1:]
		end := bytes.IndexByte(a, q)
		if end < 0 {
			return nil, false
		}
		v := a[:end]
		a = a[end+1:]
		if string(key) == name {
			if bytes.IndexByte(v, '&') < 0 {
				return v, true
			}
			out, _ := s.unescape(v, false)
			return out, true
		}
	}
	return nil, false
}

// Text returns the current character data with references replaced.
func (s *Scanner) Text() []byte {
	if s.cdata || bytes.IndexByte(s.text, '&') < 0 {
		return s.text
	}
	out, _ := s.unescape(s.text, false)
	return out
}

// unescape replaces the predefined entities and character references. With
// check it only validates.
func (s *Scanner) unescape(b []byte, check bool) ([]byte, error) {
	out := s.scratch[:0]
	for {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			if !check {
				out = append(out, b...)
			}
			break
		}
		if !check {
			out = append(out, b[:i]...)
		}
		b = b[i+1:]
		j := bytes.IndexByte(b, ';')
		if j <= 0 || j > 12 {
			return nil, s.syntax("invalid reference")
		}
		ref := b[:j]
		b = b[j+1:]
		switch string(ref) {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			if ref[0] != '#' {
				return nil, s.syntax("undefined entity &%s;", ref)
			}
			var n uint64
			var err error
			if len(ref) > 1 && ref[1] == 'x' {
				n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			r := rune(n)
			if err != nil || !utf8.ValidRune(r) || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') {
				return nil, s.syntax("invalid character reference &%s;", ref)
			}
			out = utf8.AppendRune(out, r)
		}
	}
	if !check {
		s.scratch = out
	}
	return out, nil
}

// Skip skips the rest of the current element (after its StartElement).
func (s *Scanner) Skip() error {
	d := len(s.stack)
	for {
		k, err := s.Next()
		if err != nil {
			return err
		}
		if k == EndElement && len(s.stack) < d {
			return nil
		}
		if k == EOF {
			return s.syntax("unexpected end of document")
		}
	}
}

// ReadText reads the character data of the current element up to its end
// tag, appending it to dst; child elements are an error.
func (s *Scanner) ReadText(dst []byte) ([]byte, error) {
	for {
		k, err := s.Next()
		if err != nil {
			return dst, err
		}
		switch k {
		case Text:
			dst = append(dst, s.Text()...)
		case EndElement:
			return dst, nil
		case StartElement:
			return dst, s.syntax("unexpected element <%s> inside text", s.name)
		default:
			return dst, s.syntax("unexpected end of document")
		}
	}
}
