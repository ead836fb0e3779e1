package dpkg

import (
	"strconv"
)

// version is a Debian version split as dpkg splits it.
type version struct {
	upstream string
	revision string
	// text is the version as dpkg prints it, when the value was written
	// that way already (no "0:" epoch, no leading zeros): String then
	// needs no new string. Whoever changes upstream or revision clears it.
	text  string
	epoch uint32
	set   bool // a Version field was read
}

// String formats the version as dpkg prints it: the epoch only when it is
// not 0, the revision only when it is not empty.
func (v version) String() string {
	if !v.set {
		return ""
	}
	if v.text != "" {
		return v.text
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

// Character classes, indexed by byte.
const (
	cSpace   = 1 << iota // C's isspace in the C locale: " \t\n\v\f\r"
	cBlank               // ' ', '\t'
	cDigit               // 0-9
	cAlpha               // A-Z, a-z
	cName                // allowed in a package name after its first byte: alphanumerics and "-+._"
	cUpVer               // allowed in an upstream version after its first byte: alphanumerics and ".-+~:"
	cRevVer              // allowed in a revision: alphanumerics and ".+~"
	cDepEnd              // ends a package name in a relationship field: white space and ":(,|"
	cColon               // ':' (ends a field name, with white space)
	cArchEnd             // ends an architecture in a relationship field: white space and "(,|"
	cVerEnd              // ends a version in a relationship field: white space and "()"
)

// classes holds the character classes of every byte.
var classes = func() (t [256]uint16) {
	for _, c := range []byte(" \t\n\v\f\r") {
		t[c] |= cSpace | cDepEnd
	}
	t[' '] |= cBlank
	t['\t'] |= cBlank
	for c := '0'; c <= '9'; c++ {
		t[c] |= cDigit | cName | cUpVer | cRevVer
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= cAlpha | cName | cUpVer | cRevVer
		t[c-'a'+'A'] |= cAlpha | cName | cUpVer | cRevVer
	}
	for _, c := range []byte("-+._") {
		t[c] |= cName
	}
	for _, c := range []byte(".-+~:") {
		t[c] |= cUpVer
	}
	for _, c := range []byte(".+~") {
		t[c] |= cRevVer
	}
	for _, c := range []byte(":(,|") {
		t[c] |= cDepEnd
	}
	t[':'] |= cColon
	for _, c := range []byte(" \t\n\v\f\r(,|") {
		t[c] |= cArchEnd
	}
	for _, c := range []byte(" \t\n\v\f\r()") {
		t[c] |= cVerEnd
	}
	return t
}()

func isBlank(c byte) bool { return classes[c]&cBlank != 0 }

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool { return classes[c]&cSpace != 0 }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return classes[c]&(cDigit|cAlpha) != 0 }

// maxEpoch is dpkg's bound for an epoch (INT_MAX).
const maxEpoch = 1<<31 - 1

// parseVersion splits s the way dpkg's parseversion does and returns the
// first problem with dpkg's own wording. The upstream and revision strings
// are substrings of s.
func parseVersion(s string) (v version, level int, reason string) {
	if v, ok := quickVersion(s); ok {
		return v, verOK, ""
	}
	return splitParseVersion(s)
}

// splitParseVersion is parseVersion for any s.
func splitParseVersion(s string) (v version, level int, reason string) {
	var canonical bool
	v.epoch, v.upstream, v.revision, canonical, level, reason = splitVersion(s)
	if level == verHard {
		return version{}, level, reason
	}
	v.set = true
	if canonical {
		start := versionStart(s)
		v.text = s[start:versionEnd(s)]
	}
	return v, level, reason
}

// quickVersion splits s in one pass when it is written as dpkg writes a
// version: no blanks, an epoch (if any) of at most 9 digits without a
// leading zero, an upstream version that starts with a digit, a revision
// (if any) that is not empty, and no character either may not hold. It
// reports false for anything else, which splitVersion then looks at.
func quickVersion(s string) (version, bool) {
	if len(s) == 0 || !isDigit(s[0]) {
		return version{}, false
	}
	colon, lastColon, hyphen := -1, -1, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if classes[c]&cUpVer == 0 {
			return version{}, false
		}
		switch c {
		case ':':
			if colon < 0 {
				colon = i
			}
			lastColon = i
		case '-':
			hyphen = i
		}
	}
	v := version{text: s, set: true}
	up := s
	if colon >= 0 {
		if colon > 9 || s[0] == '0' || colon+1 == len(s) || !isDigit(s[colon+1]) {
			return version{}, false
		}
		for i := 0; i < colon; i++ {
			if !isDigit(s[i]) {
				return version{}, false
			}
			v.epoch = v.epoch*10 + uint32(s[i]-'0')
		}
		up = s[colon+1:]
	}
	if hyphen >= 0 {
		// The revision: not empty, without a colon; the upstream version
		// before it starts with a digit (after the epoch).
		if hyphen+1 == len(s) || lastColon > hyphen || hyphen == colon+1 {
			return version{}, false
		}
		up, v.revision = s[colon+1:hyphen], s[hyphen+1:]
	}
	v.upstream = up
	return v, true
}

// versionProblem checks b as parseVersion does, without keeping anything.
func versionProblem(b []byte) (level int, reason string) {
	_, _, _, _, level, reason = splitVersion(b)
	return level, reason
}

// versionStart returns where s starts after leading blanks.
func versionStart[T string | []byte](s T) int {
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	return i
}

// versionEnd returns where the first word of s ends.
func versionEnd[T string | []byte](s T) int {
	end := versionStart(s)
	for end < len(s) && !isBlank(s[end]) {
		end++
	}
	return end
}

// splitVersion is dpkg's parseversion. canonical reports whether the
// token is written as dpkg prints the version.
func splitVersion[T string | []byte](s T) (epoch uint32, upstream, revision T, canonical bool, level int, reason string) {
	s = s[versionStart(s):]
	if len(s) == 0 {
		return 0, upstream, revision, false, verHard, "version string is empty"
	}
	end := versionEnd(s)
	for k := end; k < len(s); k++ {
		if !isBlank(s[k]) {
			return 0, upstream, revision, false, verHard, "version string has embedded spaces"
		}
	}
	// Only blanks follow the token, so a colon, if any, lies in it.
	s = s[:end]
	canonical = true
	colon := -1
	for k := 0; k < len(s); k++ {
		if s[k] == ':' {
			colon = k
			break
		}
	}
	if colon >= 0 {
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
			return 0, upstream, revision, false, verHard, "epoch in version is empty"
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
			return 0, upstream, revision, false, verHard, "epoch in version is not number"
		}
		if neg && (n != 0 || big) {
			return 0, upstream, revision, false, verHard, "epoch in version is negative"
		}
		if big || n > maxEpoch {
			return 0, upstream, revision, false, verHard, "epoch in version is too big"
		}
		if colon+1 == len(s) {
			return 0, upstream, revision, false, verHard, "nothing after colon in version number"
		}
		epoch = uint32(n)
		// dpkg prints the epoch in decimal, and not at all when it is 0.
		canonical = s[0] >= '1' && s[0] <= '9'
		s = s[colon+1:]
	}
	upstream = s
	for h := len(s) - 1; h >= 0; h-- {
		if s[h] == '-' {
			upstream, revision = s[:h], s[h+1:]
			if len(revision) == 0 {
				return epoch, upstream, revision, false, verHard, "revision number is empty"
			}
			break
		}
	}
	if len(upstream) == 0 {
		return epoch, upstream, revision, false, verHard, "version number is empty"
	}
	if !isDigit(upstream[0]) {
		return epoch, upstream, revision, canonical, verSoft, "version number does not start with digit"
	}
	for i := 1; i < len(upstream); i++ {
		if classes[upstream[i]]&cUpVer == 0 {
			return epoch, upstream, revision, canonical, verSoft, "invalid character in version number"
		}
	}
	for i := 0; i < len(revision); i++ {
		if classes[revision[i]]&cRevVer == 0 {
			return epoch, upstream, revision, canonical, verSoft, "invalid character in revision number"
		}
	}
	return epoch, upstream, revision, canonical, verOK, ""
}
