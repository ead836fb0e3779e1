package dpkg

import (
	"strconv"
	"strings"
)

// version is a Debian version split as dpkg splits it.
type version struct {
	epoch    uint32
	upstream string
	revision string
	set      bool // a Version field was read
}

// String formats the version as dpkg prints it: the epoch only when it is
// not 0, the revision only when it is not empty.
func (v version) String() string {
	if !v.set {
		return ""
	}
	s := v.upstream
	if v.revision != "" {
		s += "-" + v.revision
	}
	if v.epoch != 0 {
		s = strconv.FormatUint(uint64(v.epoch), 10) + ":" + s
	}
	return s
}

// Problem levels of parseVersion: dpkg refuses a version with a hard
// problem and only warns about a soft one when it reads its database.
const (
	verOK = iota
	verSoft
	verHard
)

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// maxEpoch is dpkg's bound for an epoch (INT_MAX).
const maxEpoch = 1<<31 - 1

// parseVersion splits s the way dpkg's parseversion does and returns the
// first problem with dpkg's own wording. The upstream and revision strings
// are substrings of s.
func parseVersion(s string) (v version, level int, reason string) {
	for len(s) > 0 && isBlank(s[0]) {
		s = s[1:]
	}
	if s == "" {
		return v, verHard, "version string is empty"
	}
	end := 0
	for end < len(s) && !isBlank(s[end]) {
		end++
	}
	for k := end; k < len(s); k++ {
		if !isBlank(s[k]) {
			return v, verHard, "version string has embedded spaces"
		}
	}
	// Only blanks follow the token, so a colon, if any, lies in it.
	s = s[:end]
	if colon := strings.IndexByte(s, ':'); colon >= 0 {
		// strtol: leading white space, an optional sign, digits.
		k := 0
		for k < colon && isSpace(s[k]) {
			k++
		}
		neg := false
		if k < colon && (s[k] == '+' || s[k] == '-') {
			neg = s[k] == '-'
			k++
		}
		if k >= len(s) || !isDigit(s[k]) {
			return v, verHard, "epoch in version is empty"
		}
		var n uint64
		big := false
		for k < len(s) && isDigit(s[k]) {
			if n <= maxEpoch {
				n = n*10 + uint64(s[k]-'0')
			} else {
				big = true
			}
			k++
		}
		if k != colon {
			return v, verHard, "epoch in version is not number"
		}
		if neg && (n != 0 || big) {
			return v, verHard, "epoch in version is negative"
		}
		if big || n > maxEpoch {
			return v, verHard, "epoch in version is too big"
		}
		if colon+1 == len(s) {
			return v, verHard, "nothing after colon in version number"
		}
		v.epoch = uint32(n)
		s = s[colon+1:]
	}
	v.upstream = s
	if h := strings.LastIndexByte(s, '-'); h >= 0 {
		v.upstream, v.revision = s[:h], s[h+1:]
		if v.revision == "" {
			return v, verHard, "revision number is empty"
		}
	}
	v.set = true
	if v.upstream == "" {
		return v, verHard, "version number is empty"
	}
	if !isDigit(v.upstream[0]) {
		return v, verSoft, "version number does not start with digit"
	}
	for i := 1; i < len(v.upstream); i++ {
		if c := v.upstream[i]; !isAlnum(c) && !strings.ContainsRune(".-+~:", rune(c)) {
			return v, verSoft, "invalid character in version number"
		}
	}
	for i := 0; i < len(v.revision); i++ {
		if c := v.revision[i]; !isAlnum(c) && !strings.ContainsRune(".+~", rune(c)) {
			return v, verSoft, "invalid character in revision number"
		}
	}
	return v, verOK, ""
}
