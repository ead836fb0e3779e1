package dnf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
)

// defaultInstallOnly is dnf's installonlypkgs default (dnf 4, libdnf
// ConfigMain): names and the provides that mark kernels, kernel modules and
// other parallel-installable packages.
var defaultInstallOnly = []string{
	"kernel", "kernel-PAE", "installonlypkg(kernel)", "installonlypkg(kernel-module)",
	"installonlypkg(vm)", "multiversion(kernel)",
}

// mainConfig is what the metadata backend takes from the [main] section of
// dnf.conf (or yum.conf).
type mainConfig struct {
	file         string // "/etc/dnf/dnf.conf", or "" when the root has none
	cacheDir     string // inside the root, no leading slash
	reposDirs    []string
	exclude      []pattern
	include      []pattern
	installOnly  []string
	gpgCheck     bool
	repoGPGCheck bool
	vars         repo.Vars
}

// iniMain reads the key=value lines of the [main] section of an INI file.
// Keys are lower case; values continue on indented lines as in .repo files.
// Malformed lines in [main] are *repo.SyntaxError naming the file and line.
func iniMain(name string, data []byte) (map[string]string, map[string]int, error) {
	vals, lines := map[string]string{}, map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), repo.DefaultMaxLine)
	inMain, n, last := false, 0, ""
	for sc.Scan() {
		n++
		text := strings.TrimRight(sc.Text(), "\r")
		t := strings.TrimSpace(text)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if t[0] == '[' {
			inMain = strings.TrimSpace(strings.Trim(t, "[]")) == "main"
			last = ""
			continue
		}
		if !inMain {
			continue
		}
		if text[0] == ' ' || text[0] == '\t' {
			if last == "" {
				return nil, nil, &repo.SyntaxError{File: name, Line: n, Msg: "continuation line without a key"}
			}
			vals[last] += "\n" + t
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return nil, nil, &repo.SyntaxError{File: name, Line: n, Msg: "line is not key=value: " + strconv.Quote(t)}
		}
		last = strings.ToLower(strings.TrimSpace(k))
		vals[last] = strings.TrimSpace(v)
		lines[last] = n
	}
	if err := sc.Err(); err != nil {
		return nil, nil, &repo.SyntaxError{File: name, Line: n + 1, Msg: "cannot read line", Err: err}
	}
	return vals, lines, nil
}

// splitList splits a dnf list option: items separated by commas and white
// space.
// appendList applies a value of one of dnf's adding list options
// (installonlypkgs, excludepkgs, includepkgs) to the list so far, as libdnf
// does: its items are added to the list, default included, unless the value
// is empty or begins with a comma, which first empties the list
// ("installonlypkgs=,foo" holds only foo; "installonlypkgs=" nothing).
func appendList(cur []string, v string) []string {
	if t := strings.TrimSpace(v); t == "" || t[0] == ',' {
		cur = nil
	}
	return append(cur, splitList(v)...)
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

func parseBool(name string, line int, key, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "yes", "true", "on":
		return true, nil
	case "0", "no", "false", "off":
		return false, nil
	}
	return false, &repo.SyntaxError{File: name, Line: line, Msg: key + " must be a boolean, not " + strconv.Quote(v)}
}

// loadVars reads the variable files (one variable per file, its first line
// the value) of the vars directories, as dnf does for $awsregion,
// $releasever and the like. Names that are not [A-Za-z0-9_]+ are ignored,
// as dnf ignores them.
func loadVars(fsys fs.FS, dirs []string, limit int64) (repo.Vars, error) {
	vars := repo.Vars{}
	for _, dir := range dirs {
		entries, err := fs.ReadDir(fsys, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !varName(name) {
				continue
			}
			if _, set := vars[name]; set {
				continue // the first directory wins, as in dnf
			}
			b, err := rootfs.ReadFile(fsys, path.Join(dir, name), limit)
			if err != nil {
				return nil, err
			}
			v, _, _ := strings.Cut(string(b), "\n")
			vars[name] = strings.TrimSpace(v)
		}
	}
	return vars, nil
}

func varName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// flavorOf decides between dnf and yum for the root.
func flavorOf(fsys fs.FS, f Flavor) (Flavor, error) {
	if f != Auto {
		return f, nil
	}
	for _, p := range []string{"etc/dnf/dnf.conf", "var/cache/dnf"} {
		ok, err := rootfs.Exists(fsys, p)
		if err != nil {
			return f, err
		}
		if ok {
			return DNF, nil
		}
	}
	if ok, err := rootfs.Exists(fsys, "etc/yum.conf"); err != nil {
		return f, err
	} else if ok {
		return YUM, nil
	}
	return DNF, nil
}

// config is the root's package-manager configuration.
type config struct {
	flavor Flavor
	main   mainConfig
	repos  []repoConfig
}

// repoConfig is one repository with the options dnf gives it.
type repoConfig struct {
	repo.RPMRepo
	repoGPGCheck bool
	priority     int
	cost         int
	exclude      []pattern
	include      []pattern
	order        int // position in the configuration, for stable output
}

// loadConfig reads the main configuration, the variables and the .repo
// files of the root. Malformed configuration is an error naming the file
// and line: a repository that cannot be read is never skipped quietly.
func loadConfig(ctx context.Context, fsys fs.FS, o *options) (*config, error) {
	fl, err := flavorOf(fsys, o.flavor)
	if err != nil {
		return nil, err
	}
	cfg := &config{flavor: fl}
	m := &cfg.main
	var confFile string
	varsDirs := []string{"etc/dnf/vars", "etc/yum/vars"}
	if fl == DNF {
		confFile = "etc/dnf/dnf.conf"
		m.cacheDir = "var/cache/dnf"
		m.reposDirs = []string{"etc/yum.repos.d", "etc/yum/repos.d", "etc/distro.repos.d"}
	} else {
		confFile = "etc/yum.conf"
		m.cacheDir = "var/cache/yum/$basearch/$releasever"
		m.reposDirs = []string{"etc/yum.repos.d", "etc/yum/repos.d"}
		varsDirs = []string{"etc/yum/vars"}
	}
	data, err := rootfs.ReadFile(fsys, confFile, o.limits.config)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		data = nil
	case err != nil:
		return nil, fmt.Errorf("dnf: /%s: %w", confFile, err)
	default:
		m.file = "/" + confFile
	}
	vals, lines, err := iniMain("/"+confFile, data)
	if err != nil {
		return nil, err
	}
	if v, ok := vals["varsdir"]; ok {
		varsDirs = nil
		for _, d := range splitList(v) {
			varsDirs = append(varsDirs, strings.Trim(path.Clean("/"+d), "/"))
		}
	}
	m.vars, err = loadVars(fsys, varsDirs, o.limits.config)
	if err != nil {
		return nil, err
	}
	m.vars["arch"] = o.arch
	m.vars["basearch"] = basearch(o.arch)
	// --releasever beats the vars file, which beats what the OS says.
	if o.releasever != "" {
		m.vars["releasever"] = o.releasever
	} else if _, ok := m.vars["releasever"]; !ok && o.osReleasever != "" {
		m.vars["releasever"] = o.osReleasever
	}
	exp := m.vars.Expand
	// The list options. dnf's add to what they hold (libdnf's
	// OptionStringListAppend), applied in the order of the file: exclude
	// and excludepkgs are one option under two names. yum's replace it.
	add := appendList
	if fl != DNF {
		add = func(_ []string, v string) []string { return splitList(v) }
	}
	m.installOnly = slices.Clone(defaultInstallOnly)
	var exclude, include []string
	for _, key := range slices.SortedFunc(maps.Keys(vals), func(a, b string) int { return lines[a] - lines[b] }) {
		switch v := exp(vals[key]); key {
		case "exclude", "excludepkgs":
			exclude = add(exclude, v)
		case "includepkgs":
			include = add(include, v)
		case "installonlypkgs":
			m.installOnly = add(m.installOnly, v)
		}
	}
	m.exclude, m.include = patterns(exclude), patterns(include)
	for key, v := range vals {
		v = exp(v)
		line := lines[key]
		switch key {
		case "cachedir":
			m.cacheDir = strings.Trim(path.Clean("/"+v), "/")
		case "reposdir":
			m.reposDirs = nil
			for _, d := range splitList(v) {
				m.reposDirs = append(m.reposDirs, strings.Trim(path.Clean("/"+d), "/"))
			}
		case "gpgcheck":
			if m.gpgCheck, err = parseBool("/"+confFile, line, key, v); err != nil {
				return nil, err
			}
		case "repo_gpgcheck":
			if m.repoGPGCheck, err = parseBool("/"+confFile, line, key, v); err != nil {
				return nil, err
			}
		}
	}
	m.installOnly = append(m.installOnly, o.installOnly...)
	if o.cacheDir != "" {
		m.cacheDir = o.cacheDir
	} else {
		m.cacheDir = strings.Trim(path.Clean("/"+exp(m.cacheDir)), "/")
	}

	// Repositories: sections of the main file, then the .repo files.
	var all []repo.RPMRepo
	if data != nil {
		rs, err := repo.ParseRepoFile("/"+confFile, bytes.NewReader(data), repo.DNF, m.vars)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	rs, err := repo.LoadRPMRepos(ctx, fsys, repo.DNF, m.vars, m.reposDirs...)
	if err != nil {
		return nil, err
	}
	all = append(all, rs...)
	seen := map[string]string{}
	for i, r := range all {
		if prev, dup := seen[r.ID]; dup {
			return nil, &repo.SyntaxError{File: r.File, Line: r.Line, Msg: "repository " + r.ID + " is also defined in " + prev}
		}
		seen[r.ID] = r.File + ":" + strconv.Itoa(r.Line)
		if !r.Enabled {
			continue
		}
		rc := repoConfig{RPMRepo: r, priority: 99, cost: 1000, order: i}
		rc.repoGPGCheck = m.repoGPGCheck
		if _, set := r.Options["repo_gpgcheck"]; set {
			rc.repoGPGCheck = r.RepoGPGCheck
		}
		if _, set := r.Options["priority"]; set {
			rc.priority = r.Priority
		}
		if v, set := r.Options["cost"]; set {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return nil, &repo.SyntaxError{File: r.File, Line: r.Line, Msg: "[" + r.ID + "] cost must be an integer, not " + strconv.Quote(v)}
			}
			rc.cost = n
		}
		rc.exclude = patterns(r.Exclude)
		if v, set := r.Options["includepkgs"]; set {
			rc.include = patterns(splitList(v))
		}
		cfg.repos = append(cfg.repos, rc)
	}
	sort.SliceStable(cfg.repos, func(i, j int) bool { return cfg.repos[i].order < cfg.repos[j].order })
	return cfg, nil
}
