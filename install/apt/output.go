package apt

import (
	"bytes"
	"math"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
)

// lines calls fn with each line of out (without "\n" or "\r") and its
// 1-based number.
func lines(out []byte, fn func(n int, line string)) {
	n := 0
	for l := range bytes.Lines(out) {
		n++
		fn(n, strings.TrimSuffix(strings.TrimSuffix(string(l), "\n"), "\r"))
	}
}

// aptSize reads a size as apt prints it (apt-pkg's SizeToStr followed by
// "B"): a number with at most one decimal and an SI prefix of 1000,
// "780 B", "20.5 kB", "1234 kB", "12.3 MB". It returns the bytes and how
// far the true size can be from them (half of the last printed digit).
func aptSize(s string) (bytes, slack int64, ok bool) {
	num, unit, found := strings.Cut(s, " ")
	if !found {
		return 0, 0, false
	}
	exp := 0
	switch {
	case unit == "B":
	case len(unit) == 2 && unit[1] == 'B' && strings.IndexByte(siPrefixes, unit[0]) >= 0:
		exp = 1 + strings.IndexByte(siPrefixes, unit[0])
	default:
		return 0, 0, false
	}
	whole, frac, hasFrac := strings.Cut(num, ".")
	// SizeToStr prints "%.0f" below 10000 (which may round up to 10000),
	// "%.1f" below 100 with a prefix; never a fraction of a byte.
	if !allDigits(whole) || len(whole) > 5 || hasFrac && (exp == 0 || len(frac) != 1 || !allDigits(frac)) {
		return 0, 0, false
	}
	mul := int64(1)
	for range exp {
		mul *= 1000
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	if w > math.MaxInt64/mul-1 {
		return 0, 0, false
	}
	bytes = w * mul
	digit := mul
	if hasFrac {
		bytes += int64(frac[0]-'0') * (mul / 10)
		digit = mul / 10
	}
	return bytes, digit / 2, true
}

// siPrefixes are the prefixes SizeToStr uses, after none.
const siPrefixes = "kMGTPE"

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// sizes is what apt-get --print-uris says about a plan's sizes.
type sizes struct {
	// fetch and total are "Need to get FETCH[/TOTAL] of archives.";
	// haveNeed is false when apt printed no such line (nothing to fetch).
	fetch, total           int64
	fetchSlack, totalSlack int64
	haveNeed               bool
	// change is "After this operation, N of additional disk space will be
	// used" (positive) or "N disk space will be freed" (negative).
	change, changeSlack int64
	haveChange          bool
	uris                []archiveURI
}

// archiveURI is one line of apt-get --print-uris:
// 'URI' FILE SIZE [HASH].
type archiveURI struct {
	URI, File           string
	Name, Version, Arch string // from FILE: NAME_VERSION_ARCH.deb
	Size                int64
	Line                int
}

const (
	needPrefix   = "Need to get "
	needSuffix   = " of archives."
	afterPrefix  = "After this operation, "
	afterUsed    = " of additional disk space will be used."
	afterFreed   = " disk space will be freed."
	maxURILength = 4096
)

// parseSizes reads the size lines and archive URIs of apt-get
// --print-uris. A size line or URI line that does not follow apt's format
// is an *OutputError.
func parseSizes(cmd string, out []byte) (*sizes, error) {
	sz := &sizes{}
	var err error
	lines(out, func(n int, l string) {
		if err != nil {
			return
		}
		bad := func(reason string) { err = &OutputError{Command: cmd, Line: n, Text: l, Reason: reason} }
		switch {
		case strings.HasPrefix(l, needPrefix):
			body, ok := strings.CutSuffix(strings.TrimPrefix(l, needPrefix), needSuffix)
			if !ok || sz.haveNeed {
				bad("not one \"Need to get SIZE[/SIZE] of archives.\" line")
				return
			}
			f, t, two := strings.Cut(body, "/")
			var ok1, ok2 bool
			sz.fetch, sz.fetchSlack, ok1 = aptSize(f)
			sz.total, sz.totalSlack, ok2 = sz.fetch, sz.fetchSlack, true
			if two {
				sz.total, sz.totalSlack, ok2 = aptSize(t)
			}
			if !ok1 || !ok2 {
				bad("size is not apt's \"N[.N] [kMG]B\"")
				return
			}
			sz.haveNeed = true
		case strings.HasPrefix(l, afterPrefix):
			body := strings.TrimPrefix(l, afterPrefix)
			sign := int64(1)
			if s, ok := strings.CutSuffix(body, afterUsed); ok {
				body = s
			} else if s, ok := strings.CutSuffix(body, afterFreed); ok {
				body, sign = s, -1
			} else {
				bad("neither \"... of additional disk space will be used.\" nor \"... disk space will be freed.\"")
				return
			}
			v, slack, ok := aptSize(body)
			if !ok || sz.haveChange {
				bad("not one \"After this operation\" line with apt's size")
				return
			}
			sz.change, sz.changeSlack, sz.haveChange = sign*v, slack, true
		case strings.HasPrefix(l, "'"):
			u, reason := parseURILine(l)
			if reason != "" {
				bad(reason)
				return
			}
			u.Line = n
			sz.uris = append(sz.uris, u)
		}
	})
	if err != nil {
		return nil, err
	}
	return sz, nil
}

// parseURILine reads 'URI' FILE SIZE [HASH].
func parseURILine(l string) (archiveURI, string) {
	var u archiveURI
	if len(l) > maxURILength {
		return u, "URI line longer than " + strconv.Itoa(maxURILength) + " bytes"
	}
	end := strings.IndexByte(l[1:], '\'')
	if end < 0 {
		return u, "URI without a closing quote"
	}
	u.URI = l[1 : 1+end]
	f := strings.Fields(l[2+end:])
	if len(f) < 2 || len(f) > 3 {
		return u, "want 'URI' FILE SIZE [HASH]"
	}
	u.File = f[0]
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n < 0 {
		return u, "archive size " + quote(f[1]) + " is not a number"
	}
	u.Size = n
	name, ver, arch, reason := debFileName(u.File)
	if reason != "" {
		return u, reason
	}
	u.Name, u.Version, u.Arch = name, ver, arch
	return u, ""
}

// debFileName splits apt's archive file name NAME_VERSION_ARCH.deb, whose
// version has its ':' written as "%3a".
func debFileName(file string) (name, version, arch, reason string) {
	base, ok := strings.CutSuffix(file, ".deb")
	if !ok || strings.ContainsAny(file, "/ ") {
		return "", "", "", "archive file " + quote(file) + " is not NAME_VERSION_ARCH.deb"
	}
	parts := strings.Split(base, "_")
	if len(parts) != 3 {
		return "", "", "", "archive file " + quote(file) + " is not NAME_VERSION_ARCH.deb"
	}
	v, err := url.PathUnescape(parts[1])
	if err != nil {
		return "", "", "", "archive file " + quote(file) + ": " + err.Error()
	}
	if patchkit.ValidateName(patchkit.Deb, parts[0]) != nil || patchkit.ValidateArch(patchkit.Deb, parts[2]) != nil || patchkit.Deb.Validate(v) != nil {
		return "", "", "", "archive file " + quote(file) + " does not name a package, version and architecture"
	}
	return parts[0], v, parts[2], ""
}

// Messages of dpkg and apt that name a package they failed on.
const (
	dpkgErrPackage = "dpkg: error processing package "
	dpkgErrArchive = "dpkg: error processing archive "
	dpkgErrsHeader = "Errors were encountered while processing:"
	aptFetchFailed = "E: Failed to fetch "
)

// parseFailures reads the packages dpkg (run by apt-get or alone) and apt's
// download reported failing on, from standard error and standard output:
//
//	dpkg: error processing package NAME[:ARCH] (--configure):
//	 REASON
//	dpkg: error processing archive /var/cache/apt/archives/FILE.deb (--unpack):
//	 REASON
//	Errors were encountered while processing:
//	 NAME | /path/FILE.deb
//	E: Failed to fetch URI  REASON
//
// A package named several times has one Failure, with its reasons joined
// by "; ".
func parseFailures(outs ...[]byte) []plan.Failure {
	var fs []plan.Failure
	index := map[string]int{}
	add := func(name, arch, reason string) {
		k := name + ":" + arch
		if i, ok := index[k]; ok {
			if reason != "" && !strings.Contains(fs[i].Reason, reason) {
				if fs[i].Reason == "" {
					fs[i].Reason = reason
				} else {
					fs[i].Reason += "; " + reason
				}
			}
			return
		}
		index[k] = len(fs)
		fs = append(fs, plan.Failure{Name: name, Arch: arch, Reason: reason})
	}
	for _, out := range outs {
		var (
			cur      *struct{ name, arch string } // a dpkg error whose reason lines follow
			reason   []string
			inErrors bool
		)
		flush := func() {
			if cur != nil {
				add(cur.name, cur.arch, strings.Join(reason, " "))
			}
			cur, reason = nil, nil
		}
		lines(out, func(_ int, l string) {
			if cur != nil {
				if strings.HasPrefix(l, " ") {
					reason = append(reason, strings.TrimSpace(l))
					return
				}
				flush()
			}
			if inErrors {
				if strings.HasPrefix(l, " ") {
					name, arch, ok := failedItem(strings.TrimSpace(l))
					if ok {
						add(name, arch, "")
					}
					return
				}
				inErrors = false
			}
			switch {
			case strings.HasPrefix(l, dpkgErrPackage) || strings.HasPrefix(l, dpkgErrArchive):
				item := strings.TrimPrefix(strings.TrimPrefix(l, dpkgErrPackage), dpkgErrArchive)
				if i := strings.LastIndex(item, " ("); i > 0 && strings.HasSuffix(item, "):") {
					item = item[:i]
				}
				if name, arch, ok := failedItem(item); ok {
					cur = &struct{ name, arch string }{name, arch}
				}
			case l == dpkgErrsHeader:
				inErrors = true
			case strings.HasPrefix(l, aptFetchFailed):
				rest := strings.TrimPrefix(l, aptFetchFailed)
				uri, why, _ := strings.Cut(rest, "  ")
				if u, err := url.Parse(uri); err == nil {
					if name, _, arch, reason := debFileName(path.Base(u.Path)); reason == "" {
						add(name, arch, "download failed: "+strings.TrimSpace(why))
					}
				}
			}
		})
		flush()
	}
	for i := range fs {
		if fs[i].Reason == "" {
			fs[i].Reason = "listed by dpkg under \"" + dpkgErrsHeader + "\""
		}
	}
	return fs
}

// failedItem reads a package dpkg names in an error: NAME, NAME:ARCH, or
// the path of an archive NAME_VERSION_ARCH.deb.
func failedItem(s string) (name, arch string, ok bool) {
	if strings.HasSuffix(s, ".deb") {
		n, _, a, reason := debFileName(path.Base(s))
		return n, a, reason == ""
	}
	name, arch, _ = strings.Cut(s, ":")
	if patchkit.ValidateName(patchkit.Deb, name) != nil || arch != "" && patchkit.ValidateArch(patchkit.Deb, arch) != nil {
		return "", "", false
	}
	return name, arch, true
}

// lockInfo is what apt or dpkg said about a lock held by another process.
type lockInfo struct {
	path   string
	pid    int
	holder string
}

var (
	// apt: "Could not get lock /var/lib/dpkg/lock-frontend. It is held by
	// process 26161 (python3)" (the name only when /proc shows it), in an
	// E: line or, while it waits, a "Waiting for cache lock:" line.
	aptHeld = regexp.MustCompile(`Could not get lock (.+?)\. It is held by process ([0-9]+)(?: \(([^)]*)\))?`)
	// apt: "Unable to acquire the dpkg frontend lock (PATH), is another
	// process using it?" and "Unable to lock the administration directory
	// (PATH), is another process using it?"
	aptBusy = regexp.MustCompile(`Unable to (?:acquire the dpkg frontend lock|lock the administration directory) \(([^)]*)\), is another process using it\?`)
	// dpkg: "dpkg frontend lock was locked by another process with pid N",
	// "dpkg status database is locked by another process"
	dpkgHeld = regexp.MustCompile(`dpkg (frontend lock|status database) (?:was|is) locked by another process(?: with pid ([0-9]+))?`)
	// apt, when an earlier dpkg run did not finish.
	aptInterrupted = "dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem."
)

// parseLock finds the last report of a held lock in the outputs.
func parseLock(outs ...[]byte) (lockInfo, bool) {
	var li lockInfo
	found := false
	for _, out := range outs {
		lines(out, func(_ int, l string) {
			if m := aptHeld.FindStringSubmatch(l); m != nil {
				pid, _ := strconv.Atoi(m[2])
				li, found = lockInfo{path: m[1], pid: pid, holder: m[3]}, true
				return
			}
			if m := aptBusy.FindStringSubmatch(l); m != nil {
				if !found {
					li = lockInfo{path: m[1]}
				}
				found = true
				return
			}
			if m := dpkgHeld.FindStringSubmatch(l); m != nil {
				li, found = lockInfo{}, true
				// dpkg names the lock, not its file: the file in its
				// database directory.
				li.path = "lock"
				if m[1] == "frontend lock" {
					li.path = "lock-frontend"
				}
				li.pid, _ = strconv.Atoi(m[2])
			}
		})
	}
	return li, found
}

// parseDpkgOptions reads `apt-config dump --format '%f=%v%n' DPkg::Options`:
// one "DPkg::Options::=VALUE" line per option apt passes to dpkg. Each
// must be a dpkg option (start with '-').
func parseDpkgOptions(cmd string, out []byte) ([]string, error) {
	var opts []string
	var err error
	lines(out, func(n int, l string) {
		if err != nil || l == "" {
			return
		}
		key, val, ok := strings.Cut(l, "=")
		if !ok {
			err = &OutputError{Command: cmd, Line: n, Text: l, Reason: "not KEY=VALUE"}
			return
		}
		if !strings.EqualFold(key, "DPkg::Options::") {
			return // the list's own entry, or another key an older apt-config printed
		}
		if !strings.HasPrefix(val, "-") || controlChar(val) != "" {
			err = &OutputError{Command: cmd, Line: n, Text: l, Reason: "a DPkg::Options entry that is not a dpkg option"}
			return
		}
		opts = append(opts, val)
	})
	return opts, err
}
