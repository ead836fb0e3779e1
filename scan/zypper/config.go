package zypper

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/rootfs"
)

// maxConfigSize bounds zypp.conf and the locks file.
const maxConfigSize = 4 << 20

// zyppConf holds the settings of zypp.conf that change what this package
// computes. Paths are absolute paths inside the root.
type zyppConf struct {
	file         string
	reposDir     string
	metadataDir  string
	locksFile    string
	applyLocks   bool
	arch         string // "" unless set
	gpgCheck     bool
	repoGPGCheck *bool // nil: follow each repository's gpgcheck
	vendorChange bool  // solver.allowVendorChange; recorded, see the package doc
	// multiversion lists the multiversion setting: package names, and
	// "provides:CAPABILITY" entries.
	multiversion []string
}

// readZyppConf reads etc/zypp/zypp.conf of the root (defaults when it is
// absent), the way libzypp's ZConfig reads the [main] section.
func readZyppConf(fsys fs.FS) (zyppConf, error) {
	c := zyppConf{file: "/etc/zypp/zypp.conf", applyLocks: true, gpgCheck: true}
	configDir, cacheDir := "/etc/zypp", "/var/cache/zypp"
	var reposDir, metadataDir, locksFile string
	data, err := rootfs.ReadFile(fsys, "etc/zypp/zypp.conf", maxConfigSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return c, &ConfigError{File: c.file, Msg: "cannot read", Err: err}
	default:
		section := ""
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 4096), maxConfigSize)
		for n := 1; sc.Scan(); n++ {
			l := strings.TrimSpace(sc.Text())
			if l == "" || l[0] == '#' || l[0] == ';' {
				continue
			}
			if l[0] == '[' {
				if !strings.HasSuffix(l, "]") {
					return c, &ConfigError{File: c.file, Line: n, Msg: "malformed section header " + strconv.Quote(l)}
				}
				section = strings.TrimSpace(l[1 : len(l)-1])
				continue
			}
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				return c, &ConfigError{File: c.file, Line: n, Msg: "line is not key = value: " + strconv.Quote(l)}
			}
			if section != "main" {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			boolean := func() (bool, error) {
				b, ok := parseBool(v)
				if !ok {
					return false, &ConfigError{File: c.file, Line: n, Msg: k + " must be a boolean, not " + strconv.Quote(v)}
				}
				return b, nil
			}
			var berr error
			switch k {
			case "configdir":
				configDir = v
			case "cachedir":
				cacheDir = v
			case "reposdir":
				reposDir = v
			case "metadatadir":
				metadataDir = v
			case "locksfile.path":
				locksFile = v
			case "locksfile.apply":
				c.applyLocks, berr = boolean()
			case "arch":
				c.arch = v
			case "gpgcheck":
				c.gpgCheck, berr = boolean()
			case "repo_gpgcheck":
				var b bool
				b, berr = boolean()
				c.repoGPGCheck = &b
			case "multiversion":
				c.multiversion = append(c.multiversion, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })...)
			case "solver.allowVendorChange":
				c.vendorChange, berr = boolean()
			}
			if berr != nil {
				return c, berr
			}
		}
		if err := sc.Err(); err != nil {
			return c, &ConfigError{File: c.file, Msg: "cannot read", Err: err}
		}
	}
	abs := func(p, def string) string {
		if p == "" {
			p = def
		}
		return path.Clean("/" + p)
	}
	c.reposDir = abs(reposDir, path.Join(configDir, "repos.d"))
	c.metadataDir = abs(metadataDir, path.Join(cacheDir, "raw"))
	c.locksFile = abs(locksFile, path.Join(configDir, "locks"))
	return c, nil
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "yes", "true", "on", "always":
		return true, true
	case "0", "no", "false", "off", "never":
		return false, true
	}
	return false, false
}

// lock is one entry of the locks file: a PoolQuery, as libzypp serializes
// it (zypp/PoolQuery.cc, PoolQuery::recover).
type lock struct {
	line     int
	kinds    []string // "package", "patch", ...; empty: every kind
	repos    []string
	names    []string // solvable_name values
	arches   []string // solvable_arch values
	match    string   // "exact", "substring" (the default), "glob", "regex", "word"
	caseSens bool
	status   string                    // "", "installed", "not-installed", "all"
	op       string                    // version restriction: "", "<", "<=", "==", "!=", ">=", ">"
	edition  patchkit.Package          // with op
	nameOps  []nameDep                 // solvable_name values with a version ("tb-hello < 2")
	regexps  map[string]*regexp.Regexp // compiled regex and word patterns
}

type nameDep struct {
	name, op string
	ed       patchkit.Package
}

// readLocks reads the locks file of the root; none when it is absent.
// Entries of a kind other than package and patch are kept (they match
// nothing this package looks at). An attribute this package cannot
// evaluate is a *ConfigError: a lock is never ignored.
func readLocks(fsys fs.FS, file string) ([]lock, error) {
	data, err := rootfs.ReadFile(fsys, strings.TrimPrefix(file, "/"), maxConfigSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &ConfigError{File: file, Msg: "cannot read", Err: err}
	}
	return parseLocks(file, data)
}

func parseLocks(file string, data []byte) ([]lock, error) {
	var (
		out []lock
		cur *lock
	)
	finish := func() error {
		if cur == nil {
			return nil
		}
		l := cur
		cur = nil
		if l.match == "" {
			l.match = "substring"
		}
		// A query without a name matches every solvable of its kinds,
		// repositories and versions: libzypp applies it that way.
		if l.match == "regex" || l.match == "word" {
			l.regexps = map[string]*regexp.Regexp{}
			for _, n := range append(append([]string{}, l.names...), l.arches...) {
				re, err := compilePattern(l.match, l.caseSens, n)
				if err != nil {
					return &ConfigError{File: file, Line: l.line, Msg: "lock pattern " + strconv.Quote(n) + " is not a regular expression Go can evaluate", Err: err}
				}
				l.regexps[n] = re
			}
		}
		out = append(out, *l)
		return nil
	}
	lines := strings.Split(string(data), "\n")
	for i, raw := range lines {
		n := i + 1
		l := strings.TrimRight(raw, "\r")
		if strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if strings.TrimSpace(l) == "" || !ok {
			if strings.TrimSpace(l) != "" {
				return nil, &ConfigError{File: file, Line: n, Msg: "line is not attribute: value: " + strconv.Quote(l)}
			}
			if err := finish(); err != nil {
				return nil, err
			}
			continue
		}
		if cur == nil {
			cur = &lock{line: n}
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		bad := func(msg string) error { return &ConfigError{File: file, Line: n, Msg: msg} }
		switch k {
		case "type", "kind":
			cur.kinds = append(cur.kinds, strings.ToLower(v))
		case "repo":
			cur.repos = append(cur.repos, v)
		case "match_type", "string_type":
			switch v {
			case "exact", "substring", "glob", "regex", "word":
				cur.match = v
			default:
				return nil, bad("unknown match_type " + strconv.Quote(v))
			}
		case "case_sensitive":
			b, ok := parseBool(v)
			if !ok {
				return nil, bad("case_sensitive must be a boolean, not " + strconv.Quote(v))
			}
			cur.caseSens = b
		case "install_status":
			switch v {
			case "all", "installed", "not-installed":
				cur.status = v
			default:
				return nil, bad("unknown install_status " + strconv.Quote(v))
			}
		case "version":
			op, ed, err := splitOpEdition(v)
			if err != nil {
				return nil, bad("version " + strconv.Quote(v) + ": " + err.Error())
			}
			cur.op, cur.edition = op, ed
		case "solvable_name":
			if name, op, ed, ok, err := splitCapability(v); err != nil {
				return nil, bad("solvable_name " + strconv.Quote(v) + ": " + err.Error())
			} else if ok {
				cur.nameOps = append(cur.nameOps, nameDep{name: name, op: op, ed: ed})
			} else {
				cur.names = append(cur.names, v)
			}
		case "solvable_arch":
			cur.arches = append(cur.arches, v)
		case "require_all":
			// never implemented by libzypp; ignored there too
		default:
			return nil, bad("lock attribute " + strconv.Quote(k) + " is not one this package can evaluate (it evaluates type, repo, match_type, case_sensitive, install_status, version, solvable_name, solvable_arch)")
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return out, nil
}

// relOps are the relations libzypp's Rel parses, longest first.
var relOps = []string{"<=", ">=", "==", "!=", "<", ">", "="}

func normOp(op string) string {
	if op == "=" {
		return "=="
	}
	return op
}

// splitOpEdition reads "< 1.2-3" (an operator, then an edition); a bare
// edition means "==".
func splitOpEdition(v string) (string, patchkit.Package, error) {
	v = strings.TrimSpace(v)
	op := "=="
	for _, o := range relOps {
		if strings.HasPrefix(v, o) {
			op, v = normOp(o), strings.TrimSpace(v[len(o):])
			break
		}
	}
	ed, err := parseEdition(v)
	return op, ed, err
}

// splitCapability reads "name op edition"; ok is false for a bare name.
func splitCapability(v string) (name, op string, ed patchkit.Package, ok bool, err error) {
	f := strings.Fields(v)
	if len(f) == 1 {
		return v, "", patchkit.Package{}, false, nil
	}
	if len(f) != 3 {
		return "", "", patchkit.Package{}, false, errors.New("want NAME or NAME OP EDITION")
	}
	found := false
	for _, o := range relOps {
		if f[1] == o {
			found = true
		}
	}
	if !found {
		return "", "", patchkit.Package{}, false, errors.New("unknown relation " + strconv.Quote(f[1]))
	}
	ed, err = parseEdition(f[2])
	return f[0], normOp(f[1]), ed, true, err
}

// applies reports whether the lock matches a solvable of kind with the
// given name, architecture, edition, repository alias ("" for the
// installed system) and installed state.
func (l *lock) applies(kind, name, arch string, ed patchkit.Package, repoAlias string, installed bool) bool {
	if len(l.kinds) > 0 && !contains(l.kinds, kind) {
		return false
	}
	switch l.status {
	case "installed":
		if !installed {
			return false
		}
	case "not-installed":
		if installed {
			return false
		}
	}
	if len(l.repos) > 0 && (installed || !contains(l.repos, repoAlias)) {
		return false
	}
	if len(l.arches) > 0 && !l.matchAny(l.arches, arch) {
		return false
	}
	if l.op != "" && !editionRel(ed, l.op, l.edition) {
		return false
	}
	if len(l.names) == 0 && len(l.nameOps) == 0 {
		return true
	}
	if l.matchAny(l.names, name) {
		return true
	}
	for _, d := range l.nameOps {
		if d.name == name && editionRel(ed, d.op, d.ed) {
			return true
		}
	}
	return false
}

func (l *lock) matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if re := l.regexps[p]; re != nil {
			if re.MatchString(s) {
				return true
			}
			continue
		}
		if matchString(l.match, l.caseSens, p, s) {
			return true
		}
	}
	return false
}

// compilePattern compiles a regex or word pattern of a lock.
func compilePattern(mode string, caseSens bool, pattern string) (*regexp.Regexp, error) {
	expr := pattern
	if mode == "word" {
		expr = `\b` + regexp.QuoteMeta(pattern) + `\b`
	}
	if !caseSens {
		expr = "(?i)" + expr
	}
	return regexp.Compile(expr)
}

// matchString matches the exact, substring and glob modes.
func matchString(mode string, caseSens bool, pattern, s string) bool {
	if !caseSens {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	switch mode {
	case "exact":
		return pattern == s
	case "glob":
		ok, err := path.Match(pattern, s)
		return err == nil && ok
	}
	return strings.Contains(s, pattern)
}

// editionRel evaluates "ed op want" as libzypp's Edition::Match does: a
// wanted edition without a release matches every release.
func editionRel(ed patchkit.Package, op string, want patchkit.Package) bool {
	c := cmpEditionMatch(ed, want)
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case ">=":
		return c >= 0
	case ">":
		return c > 0
	}
	return false
}

func cmpEditionMatch(ed, want patchkit.Package) int {
	if want.Release == "" {
		ed.Release = ""
	}
	if !want.Epoch.Known() {
		// an edition written without an epoch means epoch 0 in libzypp
		want.Epoch = patchkit.EpochOf(0)
	}
	return cmpEVR(ed, want)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
