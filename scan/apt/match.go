package apt

import (
	"regexp"
	"strings"
)

// matcher evaluates apt's pattern expressions (pkgVersionMatch's
// ExpressionMatches): "/regex/" is a POSIX extended regular expression
// matched without regard to case (Go's RE2 syntax, which agrees on the
// expressions preferences files use), anything else is an fnmatch(3) glob
// with FNM_CASEFOLD. Compiled expressions are kept per matcher.
type matcher struct {
	res map[string]*regexp.Regexp // nil value: the expression does not compile
}

func newMatcher() *matcher { return &matcher{res: map[string]*regexp.Regexp{}} }

// isRegex reports whether a pattern is a "/regex/".
func isRegex(p string) bool { return len(p) >= 2 && p[0] == '/' && p[len(p)-1] == '/' }

// match reports whether pattern matches s. An expression that does not
// compile matches nothing, as in apt (which warns).
func (m *matcher) match(pattern, s string) bool {
	if isRegex(pattern) {
		re, seen := m.res[pattern]
		if !seen {
			re, _ = regexp.Compile("(?i)" + pattern[1:len(pattern)-1])
			m.res[pattern] = re
		}
		return re != nil && re.MatchString(s)
	}
	return fnmatchFold(pattern, s)
}

// fnmatchFold is fnmatch(pattern, s, FNM_CASEFOLD): '*' matches any run of
// bytes (slashes and leading dots included), '?' one byte, [...] a set
// (with '!' or '^' to negate, ranges, and [:class:] names), and a
// backslash makes the next byte literal. ASCII letters compare without
// regard to case. A '[' without its ']' is an ordinary byte.
func fnmatchFold(p, s string) bool {
	// Iterative matching with one backtrack point for the last '*'.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				for pi < len(p) && p[pi] == '*' {
					pi++
				}
				if pi == len(p) {
					return true
				}
				starP, starS = pi, si
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				if ok, n, valid := matchSet(p[pi:], s[si]); valid {
					if ok {
						pi += n
						si++
						continue
					}
				} else if lower(s[si]) == '[' {
					pi++
					si++
					continue
				}
			case '\\':
				if pi+1 < len(p) {
					if lower(p[pi+1]) == lower(s[si]) {
						pi += 2
						si++
						continue
					}
				}
				// a pattern ending in a lone backslash matches nothing
			default:
				if lower(p[pi]) == lower(s[si]) {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// matchSet matches byte c against the bracket expression at the start of
// p. It returns whether c is in the set, the length of the expression, and
// whether p starts with a complete expression at all.
func matchSet(p string, c byte) (in bool, n int, valid bool) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	lc := lower(c)
	first := true
	for i < len(p) {
		if p[i] == ']' && !first {
			return in != negate, i + 1, true
		}
		first = false
		if p[i] == '[' && i+1 < len(p) && p[i+1] == ':' {
			end := strings.Index(p[i+2:], ":]")
			if end >= 0 {
				if classHas(p[i+2:i+2+end], c) {
					in = true
				}
				i += 2 + end + 2
				continue
			}
		}
		lo := p[i]
		if lo == '\\' && i+1 < len(p) {
			i++
			lo = p[i]
		}
		i++
		hi := lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi = p[i+1]
			if hi == '\\' && i+2 < len(p) {
				hi = p[i+2]
				i++
			}
			i += 2
		}
		if lower(lo) <= lc && lc <= lower(hi) || lo <= c && c <= hi {
			in = true
		}
	}
	return false, 0, false
}

func classHas(class string, c byte) bool {
	isLower := 'a' <= c && c <= 'z'
	isUpper := 'A' <= c && c <= 'Z'
	isDigit := '0' <= c && c <= '9'
	switch class {
	case "alpha":
		return isLower || isUpper
	case "digit":
		return isDigit
	case "alnum":
		return isLower || isUpper || isDigit
	case "upper":
		// glibc tests classes on the byte as it is, even with FNM_CASEFOLD
		return isUpper
	case "lower":
		return isLower
	case "space":
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
	case "blank":
		return c == ' ' || c == '\t'
	case "punct":
		return c > 32 && c < 127 && !isLower && !isUpper && !isDigit
	case "xdigit":
		return isDigit || 'a' <= lower(c) && lower(c) <= 'f'
	case "print":
		return c >= 32 && c < 127
	case "graph":
		return c > 32 && c < 127
	case "cntrl":
		return c < 32 || c == 127
	}
	return false
}
