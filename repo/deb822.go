package repo

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"iter"
	"strings"
)

// Field is one field of a deb822 paragraph.
type Field struct {
	Name  string // as written
	Value string // the first line's value, then each continuation line after "\n" ("." lines become empty)
	Line  int    // the line the field starts on
}

// Paragraph is one deb822 paragraph (a stanza of a control file, a
// Packages or Release file, or a .sources file), fields in file order.
type Paragraph struct {
	Fields []Field
	Line   int // the line of its first field
}

// Get returns the value of the field name (compared without case) and
// whether it is present.
func (p Paragraph) Get(name string) (string, bool) {
	for _, f := range p.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// Value returns the value of the field name, or "".
func (p Paragraph) Value(name string) string {
	v, _ := p.Get(name)
	return v
}

// DefaultMaxLine is the longest deb822 line accepted by default (1 MiB).
const DefaultMaxLine = 1 << 20

// Deb822Options tune ParseDeb822.
type Deb822Options struct {
	// MaxLine is the longest line in bytes; 0 means DefaultMaxLine.
	MaxLine int
	// Comments allows lines starting with '#' (as .sources files do).
	Comments bool
}

// ParseDeb822 reads deb822 paragraphs from r. name is the file name used in
// errors. Malformed input (a NUL byte, a line longer than the limit, a
// continuation line without a field, a field without a colon, a duplicate
// field) ends the iteration with a *SyntaxError carrying the line; lines may
// end in LF or CRLF, and the last line may lack its newline.
func ParseDeb822(name string, r io.Reader, opt Deb822Options) iter.Seq2[Paragraph, error] {
	maxLine := opt.MaxLine
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return func(yield func(Paragraph, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), maxLine+2)
		var (
			p    Paragraph
			line int
			cont strings.Builder
			last = -1
		)
		flush := func() {
			if last >= 0 && cont.Len() > 0 {
				p.Fields[last].Value += cont.String()
				cont.Reset()
			}
		}
		for sc.Scan() {
			line++
			b := sc.Bytes()
			if n := len(b); n > 0 && b[n-1] == '\r' {
				b = b[:n-1]
			}
			if len(b) > maxLine {
				yield(Paragraph{}, lineTooLong(name, line, maxLine))
				return
			}
			if bytes.IndexByte(b, 0) >= 0 {
				yield(Paragraph{}, &SyntaxError{File: name, Line: line, Msg: "NUL byte"})
				return
			}
			if opt.Comments && len(b) > 0 && b[0] == '#' {
				continue
			}
			if len(bytes.TrimSpace(b)) == 0 {
				flush()
				if len(p.Fields) > 0 {
					if !yield(p, nil) {
						return
					}
				}
				p, last = Paragraph{}, -1
				continue
			}
			if b[0] == ' ' || b[0] == '\t' {
				if last < 0 {
					yield(Paragraph{}, &SyntaxError{File: name, Line: line, Msg: "continuation line without a field"})
					return
				}
				v := bytes.TrimSpace(b)
				cont.WriteByte('\n')
				if !bytes.Equal(v, []byte{'.'}) {
					cont.Write(v)
				}
				continue
			}
			flush()
			i := bytes.IndexByte(b, ':')
			if i <= 0 {
				yield(Paragraph{}, &SyntaxError{File: name, Line: line, Msg: "line is not a field (no colon)"})
				return
			}
			fname := string(bytes.TrimRight(b[:i], " \t"))
			if strings.ContainsAny(fname, " \t") || fname[0] == '-' {
				yield(Paragraph{}, &SyntaxError{File: name, Line: line, Msg: "invalid field name " + quote(fname)})
				return
			}
			for _, f := range p.Fields {
				if strings.EqualFold(f.Name, fname) {
					yield(Paragraph{}, &SyntaxError{File: name, Line: line, Msg: "duplicate field " + fname})
					return
				}
			}
			if len(p.Fields) == 0 {
				p.Line = line
			}
			p.Fields = append(p.Fields, Field{Name: fname, Value: string(bytes.TrimSpace(b[i+1:])), Line: line})
			last = len(p.Fields) - 1
		}
		if err := sc.Err(); err != nil {
			if err == bufio.ErrTooLong {
				yield(Paragraph{}, lineTooLong(name, line+1, maxLine))
			} else {
				yield(Paragraph{}, err)
			}
			return
		}
		flush()
		if len(p.Fields) > 0 {
			yield(p, nil)
		}
	}
}

// lineTooLong is the error for a line of a configuration or metadata file
// longer than limit bytes: a *SyntaxError that says so, with a
// *TooLargeError.
func lineTooLong(name string, line, limit int) error {
	return &SyntaxError{File: name, Line: line, Msg: fmt.Sprintf("line longer than the limit of %d bytes", limit),
		Err: &TooLargeError{File: name, What: "line", Limit: int64(limit)}}
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\""
}
