package repo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit/internal/rootfs"
)

// RepoFlavor says which package manager a .repo file is for; the defaults
// of gpgcheck and repo_gpgcheck differ.
type RepoFlavor int

const (
	// DNF is dnf and yum (/etc/yum.repos.d): gpgcheck and repo_gpgcheck
	// default to off.
	DNF RepoFlavor = iota
	// Zypper is zypper/libzypp (/etc/zypp/repos.d): gpgcheck defaults to on,
	// and repo_gpgcheck follows gpgcheck.
	Zypper
)

// check returns an *InvalidError when f is none of the flavors above.
func (f RepoFlavor) check(fn string) error {
	if f != DNF && f != Zypper {
		return &InvalidError{Func: fn, Reason: fmt.Sprintf("unknown RepoFlavor %d (want repo.DNF or repo.Zypper)", int(f))}
	}
	return nil
}

// NeverExpire is RPMRepo.MetadataExpire for "never" or -1.
const NeverExpire time.Duration = -1

// RPMRepo is one section of a dnf/yum or zypper .repo file.
type RPMRepo struct {
	File string `json:"File"`
	Line int    `json:"Line"`

	ID   string `json:"ID"`
	Name string `json:"Name,omitempty"`
	// BaseURLs are tried in order (mirrors of one another), after
	// variable substitution; zypper's path= is already appended.
	BaseURLs   []string `json:"BaseURLs,omitempty"`
	MirrorList string   `json:"MirrorList,omitempty"`
	Metalink   string   `json:"Metalink,omitempty"`
	Enabled    bool     `json:"Enabled"`
	// GPGCheck is package signature checking; RepoGPGCheck is checking
	// repomd.xml.asc.
	GPGCheck     bool     `json:"GPGCheck"`
	RepoGPGCheck bool     `json:"RepoGPGCheck"`
	GPGKeys      []string `json:"GPGKeys,omitempty"`
	// MetadataExpire is how long cached metadata is used before it is
	// fetched again (dnf default 48h); NeverExpire for never.
	MetadataExpire time.Duration `json:"MetadataExpire"`
	Exclude        []string      `json:"Exclude,omitempty"`
	Type           string        `json:"Type,omitempty"` // zypper: "rpm-md", "yast2", ...
	Priority       int           `json:"Priority,omitempty"`
	// Options holds every key as written (lower case), values substituted.
	Options map[string]string `json:"Options,omitempty"`
}

// Vars are the variables substituted in .repo values: releasever,
// basearch, arch, and any others (dnf's /etc/dnf/vars). releasever_major
// and releasever_minor are derived from releasever when not given.
type Vars map[string]string

// Expand replaces $name and ${name} with their values. Unknown variables
// are left as written, as dnf does.
func (v Vars) Expand(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		braced := s[j] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(s) && (s[k] == '_' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= '0' && s[k] <= '9') {
			k++
		}
		name := s[j:k]
		if braced && (k >= len(s) || s[k] != '}') {
			b.WriteByte(c)
			continue
		}
		val, ok := v.lookup(name)
		if name == "" || !ok {
			b.WriteByte(c)
			continue
		}
		b.WriteString(val)
		if braced {
			k++
		}
		i = k - 1
	}
	return b.String()
}

func (v Vars) lookup(name string) (string, bool) {
	if val, ok := v[name]; ok {
		return val, true
	}
	rv, ok := v["releasever"]
	if !ok {
		return "", false
	}
	major, minor, _ := strings.Cut(rv, ".")
	switch name {
	case "releasever_major":
		return major, true
	case "releasever_minor":
		return minor, true
	}
	return "", false
}

// ParseRepoFile reads a dnf/yum or zypper .repo file (INI sections, one per
// repository; values may continue on indented lines). Variables are
// substituted with vars. Every malformed line or section is reported as a
// *SyntaxError with name and line (errors.Join); the good sections are
// returned all the same. A [main] section is skipped. An unknown flavor
// or a nil reader is an *InvalidError (patchkit.ErrInvalid) and nothing is
// read.
func ParseRepoFile(name string, r io.Reader, flavor RepoFlavor, vars Vars) ([]RPMRepo, error) {
	if err := flavor.check("repo.ParseRepoFile"); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, &InvalidError{Func: "repo.ParseRepoFile", Reason: "nil reader"}
	}
	type kv struct {
		key, val string
		line     int
	}
	type section struct {
		id   string
		line int
		kvs  []kv
		bad  bool
	}
	var (
		secs []*section
		cur  *section
		errs []error
		line int
	)
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), DefaultMaxLine)
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.IndexByte(text, 0) >= 0 {
			errs = append(errs, &SyntaxError{File: name, Line: line, Msg: "NUL byte"})
			if cur != nil {
				cur.bad = true
			}
			continue
		}
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if text[0] == ' ' || text[0] == '\t' {
			if cur == nil || len(cur.kvs) == 0 {
				errs = append(errs, &SyntaxError{File: name, Line: line, Msg: "continuation line without a key"})
				continue
			}
			last := &cur.kvs[len(cur.kvs)-1]
			last.val += "\n" + trimmed
			continue
		}
		if trimmed[0] == '[' {
			if !strings.HasSuffix(trimmed, "]") || len(trimmed) < 3 {
				errs = append(errs, &SyntaxError{File: name, Line: line, Msg: "malformed section header " + quote(trimmed)})
				cur = &section{bad: true}
				continue
			}
			id := strings.TrimSpace(trimmed[1 : len(trimmed)-1])
			if strings.ContainsAny(id, "/ \t") || id == "" {
				errs = append(errs, &SyntaxError{File: name, Line: line, Msg: "invalid repository id " + quote(id)})
				cur = &section{bad: true}
				continue
			}
			if prev, dup := seen[id]; dup {
				errs = append(errs, &SyntaxError{File: name, Line: line, Msg: "section [" + id + "] repeated (first at line " + strconv.Itoa(prev) + ")"})
				cur = &section{bad: true}
				continue
			}
			seen[id] = line
			cur = &section{id: id, line: line}
			secs = append(secs, cur)
			continue
		}
		k, v, ok := strings.Cut(trimmed, "=")
		if !ok {
			errs = append(errs, &SyntaxError{File: name, Line: line, Msg: "line is not key=value: " + quote(trimmed)})
			if cur != nil {
				cur.bad = true
			}
			continue
		}
		if cur == nil {
			errs = append(errs, &SyntaxError{File: name, Line: line, Msg: "key=value before any [section]"})
			continue
		}
		cur.kvs = append(cur.kvs, kv{strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v), line})
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &SyntaxError{File: name, Line: line + 1, Msg: "cannot read line", Err: err})
	}
	var out []RPMRepo
	for _, s := range secs {
		if s.bad || s.id == "main" {
			continue
		}
		r := RPMRepo{File: name, Line: s.line, ID: s.id, Enabled: true, MetadataExpire: 48 * time.Hour, Options: map[string]string{}}
		if flavor == Zypper {
			r.GPGCheck = true
			r.MetadataExpire = 0
		}
		repoGPG, repoGPGSet := false, false
		var pathOpt string
		ok := true
		for _, e := range s.kvs {
			val := vars.Expand(e.val)
			r.Options[e.key] = val
			bad := func(msg string) {
				errs = append(errs, &SyntaxError{File: name, Line: e.line, Msg: msg})
				ok = false
			}
			boolVal := func() bool {
				b, okb := parseBool(val)
				if !okb {
					bad(e.key + " must be a boolean, not " + quote(val))
				}
				return b
			}
			switch e.key {
			case "name":
				r.Name = val
			case "baseurl":
				r.BaseURLs = splitList(val)
				for _, u := range r.BaseURLs {
					if err := checkURI(u); err != nil {
						bad(err.Error())
					}
				}
			case "mirrorlist":
				r.MirrorList = val
			case "metalink":
				r.Metalink = val
			case "enabled":
				r.Enabled = boolVal()
			case "gpgcheck":
				r.GPGCheck = boolVal()
			case "repo_gpgcheck":
				repoGPG, repoGPGSet = boolVal(), true
			case "gpgkey":
				r.GPGKeys = splitList(val)
			case "metadata_expire":
				d, err := parseExpire(val)
				if err != nil {
					bad("metadata_expire: " + err.Error())
				}
				r.MetadataExpire = d
			case "exclude", "excludepkgs":
				r.Exclude = append(r.Exclude, splitList(val)...)
			case "type":
				r.Type = val
			case "priority":
				n, err := strconv.Atoi(val)
				if err != nil {
					bad("priority must be an integer, not " + quote(val))
				}
				r.Priority = n
			case "path":
				pathOpt = val
			}
		}
		if !ok {
			continue
		}
		r.RepoGPGCheck = repoGPG
		if !repoGPGSet && flavor == Zypper {
			r.RepoGPGCheck = r.GPGCheck
		}
		if pathOpt != "" && pathOpt != "/" {
			clean := path.Clean("/" + pathOpt)
			if strings.Contains(pathOpt, "..") || strings.ContainsAny(pathOpt, "\\%") {
				errs = append(errs, &PathError{File: name, Line: s.line, Path: pathOpt, Reason: "path= must stay inside the base URL"})
				continue
			}
			for i, u := range r.BaseURLs {
				r.BaseURLs[i] = strings.TrimRight(u, "/") + clean
			}
		}
		if len(r.BaseURLs) == 0 && r.MirrorList == "" && r.Metalink == "" {
			errs = append(errs, &SyntaxError{File: name, Line: s.line, Msg: "[" + s.id + "] has no baseurl, mirrorlist or metalink"})
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

func parseExpire(v string) (time.Duration, error) {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "never" || v == "-1" {
		return NeverExpire, nil
	}
	unit := time.Second
	if n := len(v); n > 0 {
		switch v[n-1] {
		case 's':
			v = v[:n-1]
		case 'm':
			unit, v = time.Minute, v[:n-1]
		case 'h':
			unit, v = time.Hour, v[:n-1]
		case 'd':
			unit, v = 24*time.Hour, v[:n-1]
		}
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 || n > 1e9 {
		return 0, errors.New("want a number of seconds with an optional s, m, h or d, or never")
	}
	return time.Duration(n * float64(unit)), nil
}

// LoadRPMRepos reads every *.repo file of the directories dirs (paths
// inside fsys, such as "etc/yum.repos.d" or "etc/zypp/repos.d") in name
// order. File names in the result are absolute paths inside the root. Bad
// files and sections are reported (errors.Join) and the good ones returned.
// An unknown flavor or a nil fsys is an *InvalidError (patchkit.ErrInvalid)
// and nothing is read.
func LoadRPMRepos(ctx context.Context, fsys fs.FS, flavor RepoFlavor, vars Vars, dirs ...string) ([]RPMRepo, error) {
	if err := flavor.check("repo.LoadRPMRepos"); err != nil {
		return nil, err
	}
	if fsys == nil {
		return nil, &InvalidError{Func: "repo.LoadRPMRepos", Reason: "nil file system"}
	}
	var (
		out  []RPMRepo
		errs []error
	)
	for _, dir := range dirs {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".repo") {
				continue
			}
			if err := ctx.Err(); err != nil {
				return out, errors.Join(append(errs, err)...)
			}
			p := path.Join(dir, e.Name())
			data, err := rootfs.ReadFile(fsys, p, 16<<20)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			repos, err := ParseRepoFile("/"+p, strings.NewReader(string(data)), flavor, vars)
			out = append(out, repos...)
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return out, errors.Join(errs...)
}
