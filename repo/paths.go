package repo

import (
	"net/url"
	"strings"
)

// CheckRelPath returns why p, a path taken from repository metadata (an
// rpm-md location href, a Packages Filename), does not stay inside the
// repository, or "" when it does. Absolute paths, URLs, ".." elements (also
// percent-encoded), backslashes, NUL and control characters are refused.
func CheckRelPath(p string) string {
	if p == "" {
		return "empty path"
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f {
			return "control character"
		}
	}
	if strings.ContainsRune(p, '\\') {
		return "backslash"
	}
	if strings.HasPrefix(p, "/") {
		return "absolute path"
	}
	if i := strings.IndexByte(p, ':'); i >= 0 && !strings.Contains(p[:i], "/") {
		return "URL or drive letter"
	}
	check := func(s string) string {
		for _, e := range strings.Split(s, "/") {
			if e == ".." {
				return "'..' leaves the repository"
			}
		}
		return ""
	}
	if r := check(p); r != "" {
		return r
	}
	if strings.Contains(p, "%") {
		dec, err := url.PathUnescape(p)
		if err != nil {
			return "invalid percent-encoding"
		}
		if dec != p {
			if r := CheckRelPath(dec); r != "" {
				return "encoded: " + r
			}
		}
	}
	return ""
}
