package osdetect

import (
	"bytes"
	"strings"
)

// parseOSRelease reads an os-release(5) file: KEY=VALUE lines in shell
// syntax, comments and blank lines. Values may be unquoted, or quoted with
// single or double quotes (in double quotes a backslash escapes $ ` " and \).
// Any other line is a *ParseError naming the file and line.
func parseOSRelease(file string, data []byte) (map[string]string, error) {
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, &ParseError{File: file, Reason: "contains a NUL byte"}
	}
	vars := map[string]string{}
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(reason string) (map[string]string, error) {
			return nil, &ParseError{File: file, Line: i + 1, Text: raw, Reason: reason}
		}
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			return fail("not a KEY=VALUE assignment")
		}
		key := line[:eq]
		if !validKey(key) {
			return fail("invalid variable name")
		}
		val, err := shellValue(line[eq+1:])
		if err != "" {
			return fail(err)
		}
		vars[key] = val
	}
	return vars, nil
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
