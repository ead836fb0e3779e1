package apt

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
)

// CachePolicy is one package of apt-cache policy's output: the installed
// version, apt's candidate and the version table with the priority of
// every version and of every file offering it.
type CachePolicy struct {
	// Name and Qualifier as printed ("libc6", or "libc6" and "i386" for
	// "libc6:i386").
	Name, Qualifier string
	// Installed and Candidate are "" when apt prints "(none)".
	Installed, Candidate string
	Versions             []PolicyVersion
	Line                 int // of the "NAME:" line, 1-based
}

// PolicyVersion is one version of a version table.
type PolicyVersion struct {
	Version   string
	Priority  int
	Installed bool // marked "***"
	Sources   []PolicySource
}

// PolicySource is one file offering a version: its priority and apt's
// description of it ("http://deb.debian.org/debian bookworm/main amd64
// Packages", or the status file's path).
type PolicySource struct {
	Priority int
	Desc     string
}

// URI returns the repository URI of a Packages file source ("" for the
// status file).
func (s PolicySource) URI() string {
	f := strings.Fields(s.Desc)
	if len(f) < 2 || strings.HasPrefix(s.Desc, "/") {
		return ""
	}
	return f[0]
}

// Dist returns the suite (or flat path) of a Packages file source, without
// its component: "bookworm-security" for "... bookworm-security/main amd64
// Packages"; "" for the status file.
func (s PolicySource) Dist() string {
	f := strings.Fields(s.Desc)
	if len(f) < 2 || strings.HasPrefix(s.Desc, "/") {
		return ""
	}
	d := f[1]
	if strings.HasSuffix(d, "/") {
		return d
	}
	if i := strings.LastIndexByte(d, '/'); i >= 0 {
		return d[:i]
	}
	return d
}

// Status reports whether the source is dpkg's status file.
func (s PolicySource) Status() bool { return strings.HasPrefix(s.Desc, "/") }

const policyCmd = "apt-cache policy"

// ParseCachePolicy reads the standard output of apt-cache policy NAME...
// with LC_ALL=C. Any line that does not follow the format is an
// *OutputError with its line number.
func ParseCachePolicy(out []byte) ([]CachePolicy, error) {
	var (
		res    []CachePolicy
		cur    *CachePolicy
		inVers bool
		lineNo int
	)
	bad := func(text, reason string) ([]CachePolicy, error) {
		return nil, outputErr(policyCmd, lineNo, text, reason)
	}
	for line := range bytes.Lines(out) {
		lineNo++
		text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		switch {
		case text == "":
			return bad(text, "empty line")
		case text[0] != ' ':
			name, ok := strings.CutSuffix(text, ":")
			if !ok || strings.ContainsAny(name, " \t") {
				return bad(text, "want a \"NAME:\" line")
			}
			cp := CachePolicy{Name: name, Line: lineNo}
			if i := strings.IndexByte(name, ':'); i >= 0 {
				cp.Name, cp.Qualifier = name[:i], name[i+1:]
			}
			if patchkit.ValidateName(patchkit.Deb, cp.Name) != nil {
				return bad(text, "invalid package name")
			}
			res = append(res, cp)
			cur = &res[len(res)-1]
			inVers = false
		case cur == nil:
			return bad(text, "line before the first package")
		case strings.HasPrefix(text, "  Installed: "):
			cur.Installed = noneVersion(strings.TrimPrefix(text, "  Installed: "))
		case strings.HasPrefix(text, "  Candidate: "):
			cur.Candidate = noneVersion(strings.TrimPrefix(text, "  Candidate: "))
		case strings.HasPrefix(text, "  Package pin: "):
		case text == "  Version table:":
			inVers = true
		case inVers:
			// " *** VERSION PRIORITY" or "     VERSION PRIORITY" for a
			// version; seven spaces and a file's priority in at least
			// four columns, then its description
			f := strings.Fields(text)
			indent := len(text) - len(strings.TrimLeft(text, " "))
			if indent >= 7 && len(f) >= 2 && isInt(f[0]) {
				if len(cur.Versions) == 0 {
					return bad(text, "file line before the first version")
				}
				n, _ := strconv.Atoi(f[0])
				desc := strings.TrimLeft(text[indent+len(f[0]):], " ")
				v := &cur.Versions[len(cur.Versions)-1]
				v.Sources = append(v.Sources, PolicySource{Priority: n, Desc: desc})
				continue
			}
			if strings.HasPrefix(text, " *** ") {
				f = f[1:]
			} else if indent != 5 {
				return bad(text, "unexpected indentation in the version table")
			}
			if len(f) != 2 || !isInt(f[1]) {
				return bad(text, "want \"VERSION PRIORITY\"")
			}
			n, _ := strconv.Atoi(f[1])
			cur.Versions = append(cur.Versions, PolicyVersion{Version: f[0], Priority: n, Installed: text[1] == '*'})
		default:
			return bad(text, "unexpected line")
		}
	}
	return res, nil
}

func isInt(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func noneVersion(s string) string {
	if s == "(none)" {
		return ""
	}
	return s
}
