package osdetect

import (
	"bytes"
	"strings"
)

// kvFile is what an os-release(5) style file (os-release, lsb-release)
// says: its values, the line each came from, and its damaged lines.
type kvFile struct {
	file  string
	vals  map[string]string
	lines map[string]int    // 1-based line of each key's last assignment
	raw   map[string]string // that line as written
	bad   []ParseError
}

// problem is a ParseError about the line that set key.
func (kv kvFile) problem(key, reason string) ParseError {
	return ParseError{File: kv.file, Line: kv.lines[key], Text: kv.raw[key], Reason: reason}
}

// parseOSRelease reads an os-release(5) file: KEY=VALUE lines in shell
// syntax, comments and blank lines. Values may be unquoted, or quoted with
// single or double quotes (in double quotes a backslash escapes $ ` " and \).
// Any other line is kept in bad, as a *ParseError naming the file and line,
// and the other lines still count, as every reader of os-release does. A
// file with a NUL byte is not text: fatal says so.
func parseOSRelease(file string, data []byte) (kv kvFile, fatal *ParseError) {
	kv = kvFile{file: file, vals: map[string]string{}, lines: map[string]int{}, raw: map[string]string{}}
	if bytes.IndexByte(data, 0) >= 0 {
		return kv, &ParseError{File: file, Reason: "contains a NUL byte"}
	}
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(reason string) {
			kv.bad = append(kv.bad, ParseError{File: file, Line: i + 1, Text: raw, Reason: reason})
		}
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			fail("not a KEY=VALUE assignment")
			continue
		}
		key := line[:eq]
		if !validKey(key) {
			fail("invalid variable name")
			continue
		}
		val, err := shellValue(line[eq+1:])
		if err != "" {
			fail(err)
			continue
		}
		kv.vals[key], kv.lines[key], kv.raw[key] = val, i+1, raw
	}
	return kv, nil
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// shellValue decodes the right-hand side of a shell assignment made of
// quoted and unquoted pieces, without expansion. It returns a reason when the
// value is not a single shell word.
func shellValue(s string) (string, string) {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			i++
			for {
				if i >= len(s) {
					return "", "unterminated double quote"
				}
				c := s[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '$' || c == '`' {
					return "", "unescaped " + string(c) + " in double quotes"
				}
				b.WriteByte(c)
				i++
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return "", "unterminated single quote"
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 2
		case c == ' ' || c == '\t':
			return "", "white space outside quotes"
		case c == '\\':
			if i+1 >= len(s) {
				return "", "trailing backslash"
			}
			b.WriteByte(s[i+1])
			i += 2
		case strings.IndexByte("$`;&|<>()", c) >= 0:
			return "", "shell metacharacter " + string(c) + " outside quotes"
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), ""
}

// splitLines splits a text file into lines, accepting CRLF endings.
func splitLines(data []byte) []string {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return strings.Split(s, "\n")
}
