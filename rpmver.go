package patchkit

import "strings"

// rpmEVR is an [epoch:]version[-release] string split the way rpm's
// parseEVR (rpmio/rpmver.c) splits it. hasEpoch and hasRelease record whether
// the parts were present at all: rpm treats a missing epoch as "0" and sorts a
// missing release before any release, even an empty one.
type rpmEVR struct {
	epoch, version, release string
	hasEpoch, hasRelease    bool
}

func rpmSplitEVR(s string) rpmEVR {
	var e rpmEVR
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	rest := s
	if i < len(s) && s[i] == ':' {
		e.hasEpoch = true
		e.epoch = s[:i]
		if e.epoch == "" {
			e.epoch = "0"
		}
		rest = s[i+1:]
	}
	if h := strings.LastIndexByte(rest, '-'); h >= 0 {
		e.hasRelease = true
		e.release = rest[h+1:]
		rest = rest[:h]
	}
	e.version = rest
	return e
}

// rpmCompareEVR is rpmverCmp(rpmverParse(a), rpmverParse(b)).
func rpmCompareEVR(a, b string) int {
	a, b = cstr(a), cstr(b)
	if a == b {
		return 0
	}
	x, y := rpmSplitEVR(a), rpmSplitEVR(b)
	ex, ey := x.epoch, y.epoch
	if !x.hasEpoch {
		ex = "0"
	}
	if !y.hasEpoch {
		ey = "0"
	}
	if c := rpmvercmp(ex, ey); c != 0 {
		return c
	}
	if c := rpmvercmp(x.version, y.version); c != 0 {
		return c
	}
	switch {
	case x.hasRelease && y.hasRelease:
		return rpmvercmp(x.release, y.release)
	case x.hasRelease:
		return 1
	case y.hasRelease:
		return -1
	}
	return 0
}

// rpmvercmp compares two version or release strings as rpm's rpmvercmp
// (rpmio/rpmvercmp.c) does, segment by segment, without allocating.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		var ca, cb byte
		if i < len(a) {
			ca = a[i]
		}
		if j < len(b) {
			cb = b[j]
		}
		// A tilde sorts before everything, even the end of the string.
		if ca == '~' || cb == '~' {
			if ca != '~' {
				return 1
			}
			if cb != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		// A caret sorts after the end of the string but before anything else.
		if ca == '^' || cb == '^' {
			if i == len(a) {
				return -1
			}
			if j == len(b) {
				return 1
			}
			if ca != '^' {
				return 1
			}
			if cb != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if i == len(a) || j == len(b) {
			break
		}
		si, sj := i, j
		isnum := isDigit(a[i])
		if isnum {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		// Segments of different kinds: numeric is newer than alpha.
		if sj == j {
			if isnum {
				return 1
			}
			return -1
		}
		x, y := a[si:i], b[sj:j]
		if isnum {
			// Compare by value without converting, so that no digit run
			// is too long: drop leading zeros, then the longer one wins.
			x, y = trimZeros(x), trimZeros(y)
			if len(x) != len(y) {
				return sign(len(x) - len(y))
			}
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	if i == len(a) && j == len(b) {
		return 0
	}
	if i == len(a) {
		return -1
	}
	return 1
}

func trimZeros(s string) string {
	i := 0
	for i < len(s) && s[i] == '0' {
		i++
	}
	return s[i:]
}

// maxRPMEpoch is the largest epoch an rpm header can hold (RPMTAG_EPOCH is
// an unsigned 32-bit integer).
const maxRPMEpoch = 1<<32 - 1

// rpmValidateEVR returns why s is not a well-formed rpm EVR, or "".
// rpmbuild allows letters, digits and "._+~^" in versions and releases
// (ALLOWED_CHARS_VERREL without the macro characters), and a decimal epoch.
func rpmValidateEVR(s string) string {
	if s == "" {
		return "empty"
	}
	rest := s
	if c := strings.IndexByte(s, ':'); c >= 0 {
		ep := s[:c]
		if ep == "" {
			return "epoch is empty"
		}
		if _, ok := parseEpoch(ep, maxRPMEpoch); !ok {
			return "epoch is not a decimal number below 2^32"
		}
		rest = s[c+1:]
	}
	ver, rel, hasRel := rest, "", false
	if h := strings.LastIndexByte(rest, '-'); h >= 0 {
		ver, rel, hasRel = rest[:h], rest[h+1:], true
	}
	if ver == "" {
		return "version is empty"
	}
	if r := rpmBadChar(ver); r != "" {
		return "version " + r
	}
	if hasRel {
		if rel == "" {
			return "release is empty"
		}
		if r := rpmBadChar(rel); r != "" {
			return "release " + r
		}
	}
	return ""
}

func rpmBadChar(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) || c == '.' || c == '_' || c == '+' || c == '~' || c == '^' {
			continue
		}
		if c == '-' {
			return "contains '-'"
		}
		return "contains " + quoteByte(c)
	}
	return ""
}

// parseEpoch parses a decimal epoch of at most max: digits only, leading
// zeros allowed.
func parseEpoch(s string, max uint64) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (max-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

func quoteByte(c byte) string {
	const hex = "0123456789abcdef"
	if c >= 0x20 && c < 0x7f && c != '\'' {
		return "'" + string(rune(c)) + "'"
	}
	return "byte 0x" + string([]byte{hex[c>>4], hex[c&15]})
}
