package patchkit

import "strings"

// debVersion is a Debian version split the way dpkg's parseversion
// (lib/dpkg/parsehelp.c) splits it.
type debVersion struct {
	epoch    uint64
	upstream string
	revision string
}

// maxDebEpoch is dpkg's limit for an epoch (INT_MAX).
const maxDebEpoch = 1<<31 - 1

// Problems found by debParse. Hard ones make dpkg refuse the version; soft
// ones only draw a warning, and dpkg still compares the version.
const (
	debOK = iota
	debSoft
	debHard
)

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isCSpace is C's isspace in the C locale, which strtol skips.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// debParse splits s as dpkg does and reports the first problem with its
// reason (dpkg's own wording). Only with soft does it look for the problems
// that draw a warning; comparing does not need them.
func debParse(s string, soft bool) (v debVersion, level int, reason string) {
	for len(s) > 0 && isBlank(s[0]) {
		s = s[1:]
	}
	if s == "" {
		return v, debHard, "version string is empty"
	}
	end := 0
	for end < len(s) && !isBlank(s[end]) {
		end++
	}
	for k := end; k < len(s); k++ {
		if !isBlank(s[k]) {
			return v, debHard, "version string has embedded spaces"
		}
	}
	s = s[:end]
	if colon := strings.IndexByte(s, ':'); colon >= 0 {
		// The epoch is read with strtol: leading white space and a sign are
		// accepted, and the number must end exactly at the colon.
		k := 0
		for k < colon && isCSpace(s[k]) {
			k++
		}
		neg := false
		if k < colon && (s[k] == '+' || s[k] == '-') {
			neg = s[k] == '-'
			k++
		}
		if !isDigit(s[k]) {
			// strtol converted nothing.
			return v, debHard, "epoch in version is empty"
		}
		var n uint64
		big := false
		for k < len(s) && isDigit(s[k]) {
			if n <= maxDebEpoch {
				n = n*10 + uint64(s[k]-'0')
			} else {
				big = true
			}
			k++
		}
		if k != colon {
			return v, debHard, "epoch in version is not number"
		}
		if neg && (n != 0 || big) {
			return v, debHard, "epoch in version is negative"
		}
		if big || n > maxDebEpoch {
			return v, debHard, "epoch in version is too big"
		}
		if colon+1 == len(s) {
			return v, debHard, "nothing after colon in version number"
		}
		v.epoch = n
		s = s[colon+1:]
	}
	v.upstream = s
	if h := strings.LastIndexByte(s, '-'); h >= 0 {
		v.upstream, v.revision = s[:h], s[h+1:]
		if v.revision == "" {
			return v, debHard, "revision number is empty"
		}
	}
	if v.upstream == "" {
		return v, debHard, "version number is empty"
	}
	if !soft {
		return v, debOK, ""
	}
	if !isDigit(v.upstream[0]) {
		return v, debSoft, "version number does not start with digit"
	}
	for i := 1; i < len(v.upstream); i++ {
		c := v.upstream[i]
		if !isAlnum(c) && c != '.' && c != '-' && c != '+' && c != '~' && c != ':' {
			return v, debSoft, "invalid character in version number"
		}
	}
	for i := 0; i < len(v.revision); i++ {
		c := v.revision[i]
		if !isAlnum(c) && c != '.' && c != '+' && c != '~' {
			return v, debSoft, "invalid character in revision number"
		}
	}
	return v, debOK, ""
}

func debValidate(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return "contains a NUL byte"
	}
	_, level, reason := debParse(s, true)
	if level != debOK {
		return reason
	}
	// dpkg trims surrounding blanks and reads the epoch with strtol, which
	// takes white space and a sign; a well-formed version has none of these.
	if s != strings.Trim(s, " \t") {
		return "surrounded by white space"
	}
	if c := strings.IndexByte(s, ':'); c >= 0 {
		if _, ok := parseEpoch(s[:c], maxDebEpoch); !ok {
			return "epoch is not a plain decimal number"
		}
	}
	return ""
}

// debCompare orders as "dpkg --compare-versions a lt b" would, see Deb.
func debCompare(a, b string) int {
	a, b = cstr(a), cstr(b)
	if a == b {
		return 0
	}
	// dpkg treats an empty argument as "no version", earlier than any.
	if a == "" {
		return -1
	}
	if b == "" {
		return 1
	}
	x, lx, _ := debParse(a, false)
	y, ly, _ := debParse(b, false)
	hx, hy := lx == debHard, ly == debHard
	switch {
	case hx && hy:
		return strings.Compare(a, b)
	case hx:
		return -1
	case hy:
		return 1
	}
	if x.epoch != y.epoch {
		if x.epoch < y.epoch {
			return -1
		}
		return 1
	}
	if c := verrevcmp(x.upstream, y.upstream); c != 0 {
		return c
	}
	return verrevcmp(x.revision, y.revision)
}

// debOrder is dpkg's order(): the weight of a non-digit character, with 0 for
// the end of the string.
func debOrder(c byte) int {
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	case c != 0:
		return int(c) + 256
	}
	return 0
}

// verrevcmp is dpkg's verrevcmp (lib/dpkg/version.c), returning -1, 0 or +1.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			var ca, cb byte
			if i < len(a) {
				ca = a[i]
			}
			if j < len(b) {
				cb = b[j]
			}
			ac, bc := debOrder(ca), debOrder(cb)
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return sign(firstDiff)
		}
	}
	return 0
}
