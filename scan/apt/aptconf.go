package apt

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit/internal/rootfs"
)

// maxConfigFile bounds one configuration file (apt.conf, a preferences or
// sources file); real ones are a few kB.
const maxConfigFile = 4 << 20

// aptConfig is the part of apt's configuration tree the metadata backend
// uses: scalar values and lists, keys in lower case ("dir::state::lists").
type aptConfig struct {
	vals  map[string]string
	lists map[string][]string
}

func newAptConfig() *aptConfig {
	c := &aptConfig{vals: map[string]string{}, lists: map[string][]string{}}
	// apt's built-in defaults (pkgInitConfig); every Dir::* value is
	// relative to its parent unless it is absolute.
	for k, v := range map[string]string{
		"dir":                        "/",
		"dir::state":                 "var/lib/apt/",
		"dir::state::lists":          "lists/",
		"dir::etc":                   "etc/apt/",
		"dir::etc::sourcelist":       "sources.list",
		"dir::etc::sourceparts":      "sources.list.d",
		"dir::etc::main":             "apt.conf",
		"dir::etc::parts":            "apt.conf.d",
		"dir::etc::preferences":      "preferences",
		"dir::etc::preferencesparts": "preferences.d",
		"dir::etc::trusted":          "trusted.gpg",
		"dir::etc::trustedparts":     "trusted.gpg.d",
	} {
		c.vals[k] = v
	}
	return c
}

// get returns the value of key (any case) and whether it is set.
func (c *aptConfig) get(key string) (string, bool) {
	v, ok := c.vals[strings.ToLower(key)]
	return v, ok
}

// list returns the list key: its items, or its scalar value split at
// commas (apt's FindVector).
func (c *aptConfig) list(key string) []string {
	k := strings.ToLower(key)
	if l := c.lists[k]; len(l) > 0 {
		return l
	}
	if v, ok := c.vals[k]; ok && v != "" {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// boolean reads key as apt's FindB does, with def when unset or unreadable.
func (c *aptConfig) boolean(key string, def bool) bool {
	v, ok := c.get(key)
	if !ok {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "with", "on", "enable", "1":
		return true
	case "false", "no", "without", "off", "disable", "0":
		return false
	}
	return def
}

// seconds reads key as a number of seconds (0 when unset or unreadable).
func (c *aptConfig) seconds(key string) time.Duration {
	v, ok := c.get(key)
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// file resolves a Dir::* key as apt's FindFile does: the value, prefixed
// with each parent's value until an absolute path results, then RootDir.
// The result is an absolute path ("/etc/apt/sources.list").
func (c *aptConfig) file(key string) string {
	key = strings.ToLower(key)
	val := c.vals[key]
	for parent := parentKey(key); parent != ""; parent = parentKey(parent) {
		pv := c.vals[parent]
		if pv == "" {
			continue
		}
		if strings.HasPrefix(val, "/") {
			break
		}
		if strings.HasPrefix(val, "./") || strings.HasPrefix(val, "~/") || strings.HasPrefix(val, "../") {
			break
		}
		if !strings.HasSuffix(pv, "/") {
			val = "/" + val
		}
		val = pv + val
	}
	if strings.HasPrefix(val, "/dev/null") {
		val = "/dev/null"
	}
	if root := c.vals["rootdir"]; root != "" {
		val = strings.TrimRight(root, "/") + "/" + strings.TrimLeft(val, "/")
	}
	return path.Clean("/" + val)
}

// statusFile is Dir::State::status, or, when unset, dpkg's status file
// next to Dir::State as apt's debSystem derives it.
func (c *aptConfig) statusFile() string {
	if v, ok := c.vals["dir::state::status"]; ok && v != "" {
		return c.file("dir::state::status")
	}
	state := c.vals["dir::state"]
	switch {
	case strings.HasSuffix(state, "/apt/"):
		state = strings.TrimSuffix(state, "apt/") + "dpkg/"
	case strings.HasSuffix(state, "/apt"):
		state = strings.TrimSuffix(state, "apt") + "dpkg"
	default:
		state = "var/lib/dpkg"
	}
	tmp := &aptConfig{vals: map[string]string{
		"dir": c.vals["dir"], "dir::state": state, "dir::state::status": "status", "rootdir": c.vals["rootdir"],
	}}
	return tmp.file("dir::state::status")
}

func parentKey(k string) string {
	i := strings.LastIndex(k, "::")
	if i < 0 {
		return ""
	}
	return k[:i]
}

// isNull reports whether p is apt's way of switching a file off.
func isNull(p string) bool { return p == "/dev/null" }

// rel turns an absolute path of the root into an fs.FS name.
func rel(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return "."
	}
	return p
}

// loadAptConfig reads apt's configuration from the root as apt does at
// start: the APT_CONFIG file (when given), then the files of
// Dir::Etc::parts, then Dir::Etc::main.
func loadAptConfig(ctx context.Context, fsys fs.FS, aptConfigFile string) (*aptConfig, error) {
	c := newAptConfig()
	if aptConfigFile != "" {
		if err := c.readFile(ctx, fsys, aptConfigFile, 0, true); err != nil {
			return nil, err
		}
	}
	if parts := c.file("dir::etc::parts"); !isNull(parts) {
		if err := c.readDir(ctx, fsys, parts, 0); err != nil {
			return nil, err
		}
	}
	if main := c.file("dir::etc::main"); !isNull(main) {
		if err := c.readFile(ctx, fsys, main, 0, false); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// readFile reads one configuration file; a missing file is not an error
// unless required (an APT_CONFIG that names no file). /dev/null, the
// usual APT_CONFIG for "no file", is read as the empty file apt reads from
// it, and never opened: it is a device, which the bounded reader refuses.
func (c *aptConfig) readFile(ctx context.Context, fsys fs.FS, name string, depth int, required bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if isNull(name) {
		return nil
	}
	data, err := rootfs.ReadFile(fsys, rel(name), maxConfigFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !required {
			return nil
		}
		return &ConfigError{File: name, Msg: "cannot read", Err: err}
	}
	return parseAptConf(name, data, c, func(inc string, line int) error {
		if depth >= 10 {
			return &ConfigError{File: name, Line: line, Msg: "too many nested #include"}
		}
		if !strings.HasPrefix(inc, "/") {
			return &ConfigError{File: name, Line: line, Msg: "#include of a relative path (" + quote(inc) + ") is not supported"}
		}
		var err error
		if strings.HasSuffix(inc, "/") {
			err = c.readDir(ctx, fsys, inc, depth+1)
		} else {
			err = c.readFile(ctx, fsys, inc, depth+1, true)
		}
		if err != nil {
			return &ConfigError{File: name, Line: line, Msg: "in the file #include names", Err: err}
		}
		return nil
	})
}

func (c *aptConfig) readDir(ctx context.Context, fsys fs.FS, dir string, depth int) error {
	names, err := listConfigDir(fsys, dir, []string{"conf"}, true)
	if err != nil {
		return &ConfigError{File: dir, Msg: "cannot list", Err: err}
	}
	for _, n := range names {
		if err := c.readFile(ctx, fsys, path.Join(dir, n), depth, false); err != nil {
			return err
		}
	}
	return nil
}

// listConfigDir lists the regular files of dir (absolute in the root) that
// apt reads from a .d directory, sorted by name as apt sorts them: names of
// letters, digits, '_', '-', ':' and '.', not starting or ending with '.',
// with one of the extensions exts, or none when noExt. A missing directory
// lists nothing.
func listConfigDir(fsys fs.FS, dir string, exts []string, noExt bool) ([]string, error) {
	p, err := rootfs.Resolve(fsys, rel(dir))
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(fsys, p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !aptFileName(n, exts, noExt) {
			continue
		}
		// a regular file after following links inside the root
		rp, err := rootfs.Resolve(fsys, path.Join(p, n))
		if err != nil {
			return nil, err
		}
		fi, err := fs.Stat(fsys, rp)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// aptFileName applies apt's GetListOfFilesInDir rules to a name.
func aptFileName(n string, exts []string, noExt bool) bool {
	if n == "" || n[0] == '.' || n[len(n)-1] == '.' {
		return false
	}
	dot := strings.LastIndexByte(n, '.')
	if dot < 0 {
		if !noExt {
			return false
		}
	} else if !slices.Contains(exts, n[dot+1:]) {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ':' || c == '.') {
			return false
		}
	}
	return true
}

// confToken is one token of an apt.conf file.
type confToken struct {
	kind byte // 'w' word, 's' quoted string, '{', '}', ';', 'c' #clear, 'i' #include, 0 end
	text string
	line int
}

type confLexer struct {
	name string
	data []byte
	pos  int
	line int
}

func (l *confLexer) next() (confToken, error) {
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		switch {
		case c == '\n':
			l.line++
			l.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
		case c == '/' && l.pos+1 < len(l.data) && l.data[l.pos+1] == '/':
			l.skipLine()
		case c == '/' && l.pos+1 < len(l.data) && l.data[l.pos+1] == '*':
			// apt reads an unterminated block comment to the end of the file
			end := strings.Index(string(l.data[l.pos+2:]), "*/")
			stop := len(l.data)
			if end >= 0 {
				stop = l.pos + 2 + end + 2
			}
			for _, b := range l.data[l.pos:stop] {
				if b == '\n' {
					l.line++
				}
			}
			l.pos = stop
		case c == '#':
			rest := string(l.data[l.pos:])
			switch {
			case hasWord(rest, "#clear"):
				l.pos += len("#clear")
				return confToken{kind: 'c', line: l.line}, nil
			case hasWord(rest, "#include"):
				l.pos += len("#include")
				return confToken{kind: 'i', line: l.line}, nil
			}
			l.skipLine()
		case c == '{' || c == '}' || c == ';':
			l.pos++
			return confToken{kind: c, line: l.line}, nil
		case c == '"':
			start := l.line
			end := -1
			for i := l.pos + 1; i < len(l.data); i++ {
				if l.data[i] == '"' {
					end = i
					break
				}
			}
			if end < 0 {
				return confToken{}, &ConfigError{File: l.name, Line: start, Msg: "quoted value without its closing quote"}
			}
			text := string(l.data[l.pos+1 : end])
			l.line += strings.Count(text, "\n")
			l.pos = end + 1
			return confToken{kind: 's', text: text, line: start}, nil
		case c == 0:
			return confToken{}, &ConfigError{File: l.name, Line: l.line, Msg: "NUL byte"}
		default:
			start := l.pos
			for l.pos < len(l.data) {
				b := l.data[l.pos]
				if b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '{' || b == '}' || b == ';' || b == '"' || b == 0 ||
					(b == '/' && l.pos+1 < len(l.data) && (l.data[l.pos+1] == '/' || l.data[l.pos+1] == '*')) {
					break
				}
				l.pos++
			}
			return confToken{kind: 'w', text: string(l.data[start:l.pos]), line: l.line}, nil
		}
	}
	return confToken{kind: 0, line: l.line}, nil
}

func hasWord(s, w string) bool {
	if !strings.HasPrefix(s, w) {
		return false
	}
	if len(s) == len(w) {
		return true
	}
	c := s[len(w)]
	return c == ' ' || c == '\t' || c == '"' || c == ';' || c == '\n' || c == '\r'
}

func (l *confLexer) skipLine() {
	for l.pos < len(l.data) && l.data[l.pos] != '\n' {
		l.pos++
	}
}

// parseAptConf reads the apt.conf(5) syntax into c: "Name value;",
// "Name { ... };" scopes, list items ("Name:: value;" and value-only
// statements inside a scope), #clear and #include, with //, /* */ and #
// comments. include is called for each #include. It accepts what apt's
// own reader accepts (a scope left open at the end of the file, a stray
// "}", several quoted words as one value) and refuses what apt refuses,
// with a *ConfigError naming the file and line.
func parseAptConf(name string, data []byte, c *aptConfig, include func(string, int) error) error {
	l := &confLexer{name: name, data: data, line: 1}
	bad := func(line int, msg string) error { return &ConfigError{File: name, Line: line, Msg: msg} }
	var stack []string // enclosing scopes, full keys
	scope := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1]
	}
	join := func(tag string) string {
		tag = strings.ToLower(tag)
		if s := scope(); s != "" {
			return s + "::" + tag
		}
		return tag
	}
	item := func(v string) {
		// a value without a name: an item of the enclosing scope's list
		// (at the top level apt keeps it under an empty name, which no
		// lookup reaches)
		if s := scope(); s != "" {
			c.lists[s] = append(c.lists[s], v)
		}
	}
	for {
		t, err := l.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case 0:
			return nil
		case ';':
			continue
		case '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		case '{':
			return bad(t.line, "block starts with no name")
		case 'c', 'i':
			arg, err := l.next()
			if err != nil {
				return err
			}
			if arg.kind != 'w' && arg.kind != 's' {
				return bad(t.line, "directive without an argument")
			}
			end, err := l.next()
			if err != nil {
				return err
			}
			if end.kind != ';' {
				return bad(end.line, "directive not ended by ;")
			}
			if t.kind == 'c' {
				c.clear(join(strings.TrimSuffix(arg.text, "::")))
			} else if err := include(arg.text, t.line); err != nil {
				return err
			}
			continue
		case 's':
			end, err := l.next()
			if err != nil {
				return err
			}
			if end.kind != ';' {
				return bad(end.line, "value not ended by ;")
			}
			item(t.text)
			continue
		}
		// a word: a name, or a value on its own
		tag := t.text
		v, err := l.next()
		if err != nil {
			return err
		}
		switch v.kind {
		case ';':
			item(tag)
			continue
		case '{':
			stack = append(stack, join(strings.TrimSuffix(tag, "::")))
			continue
		case 'w', 's':
		default:
			return bad(v.line, "name "+quote(tag)+" not followed by a value, { or ;")
		}
		// the value: one word, or one or more quoted strings (joined
		// with spaces, as apt does)
		vals := []confToken{v}
		var end confToken
		for {
			end, err = l.next()
			if err != nil {
				return err
			}
			if end.kind != 's' && end.kind != 'w' {
				break
			}
			vals = append(vals, end)
		}
		if len(vals) > 1 {
			for _, x := range vals {
				if x.kind != 's' {
					return bad(x.line, "extra junk after the value of "+quote(tag))
				}
			}
		}
		texts := make([]string, len(vals))
		for i, x := range vals {
			texts[i] = x.text
		}
		value := strings.Join(texts, " ")
		key := join(strings.TrimSuffix(tag, "::"))
		if strings.HasSuffix(tag, "::") {
			c.lists[key] = append(c.lists[key], value)
		} else {
			c.vals[key] = value
		}
		switch end.kind {
		case ';':
		case '{':
			stack = append(stack, key)
		default:
			return bad(end.line, "value of "+quote(tag)+" not ended by ;")
		}
	}
}

func (c *aptConfig) clear(key string) {
	for k := range c.vals {
		if k == key || strings.HasPrefix(k, key+"::") {
			delete(c.vals, k)
		}
	}
	for k := range c.lists {
		if k == key || strings.HasPrefix(k, key+"::") {
			delete(c.lists, k)
		}
	}
}
