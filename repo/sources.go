package repo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/patchkit/patchkit/internal/rootfs"
)

// AptSource is one entry of apt's configuration: a line of a sources.list
// file or a paragraph of a deb822 .sources file.
type AptSource struct {
	File string `json:"File"` // the file it was read from, as named to the parser
	Line int    `json:"Line"` // the line it starts on

	Types         []string `json:"Types"` // "deb", "deb-src"
	URIs          []string `json:"URIs"`
	Suites        []string `json:"Suites"` // a suite ending in "/" is a flat repository path
	Components    []string `json:"Components,omitempty"`
	Architectures []string `json:"Architectures,omitempty"`
	// SignedBy lists key files (absolute paths) and fingerprints; only these
	// keys may sign the source's Release files.
	SignedBy []string `json:"SignedBy,omitempty"`
	// SignedByKey is an inline ASCII-armoured public key block (deb822).
	SignedByKey string `json:"SignedByKey,omitempty"`
	Enabled     bool   `json:"Enabled"`
	// Options holds every option as written, keys in lower case: the
	// one-line form's [key=value] options, or the deb822 fields other than
	// the ones above (e.g. "trusted": "yes", "check-valid-until": "no").
	Options map[string]string `json:"Options,omitempty"`
}

// Option returns the option key (lower case) and whether it is set.
func (s AptSource) Option(key string) (string, bool) {
	v, ok := s.Options[key]
	return v, ok
}

// BoolOption reports an option written as yes/no (true/false, 1/0), with
// def when absent or not a boolean.
func (s AptSource) BoolOption(key string, def bool) bool {
	v, ok := s.Options[key]
	if !ok {
		return def
	}
	if b, ok := parseBool(v); ok {
		return b
	}
	return def
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "1", "on", "enable", "enabled":
		return true, true
	case "no", "false", "0", "off", "disable", "disabled":
		return false, true
	}
	return false, false
}

var knownTypes = []string{"deb", "deb-src"}

// ParseSourcesList reads a one-line-style sources.list file:
//
//	deb [ option=value ... ] uri suite [component ...]
//
// Comments start with '#'. Every malformed line is reported as a
// *SyntaxError with name and line (joined with errors.Join); the good lines
// are returned all the same. A line longer than DefaultMaxLine bytes is one
// of them: it is reported as too long (its Err a *TooLargeError) and
// skipped without being held in memory, and the lines after it are read.
func ParseSourcesList(name string, r io.Reader) ([]AptSource, error) {
	var (
		out  []AptSource
		errs []error
	)
	err := scanLines(r, DefaultMaxLine, func(line int, b []byte, tooLong bool) {
		if tooLong {
			errs = append(errs, lineTooLong(name, line, DefaultMaxLine))
			return
		}
		if bytes.IndexByte(b, 0) >= 0 {
			errs = append(errs, &SyntaxError{File: name, Line: line, Msg: "NUL byte"})
			return
		}
		if i := bytes.IndexByte(b, '#'); i >= 0 {
			b = b[:i]
		}
		text := strings.TrimSpace(string(b))
		if text == "" {
			return
		}
		src, err := parseSourceLine(name, line, text)
		if err != nil {
			errs = append(errs, err)
			return
		}
		out = append(out, src)
	})
	if err != nil {
		errs = append(errs, &SyntaxError{File: name, Msg: "cannot read", Err: err})
	}
	return out, errors.Join(errs...)
}

// scanLines calls fn with every line of r, numbered from 1, without its
// line end ("\n" or "\r\n"). A line longer than limit bytes is passed as
// too long, without its bytes, which are read to the line's end and
// dropped: no more than limit bytes of a line are held.
func scanLines(r io.Reader, limit int, fn func(line int, b []byte, tooLong bool)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		buf  []byte
		long bool
		n    int
	)
	for {
		chunk, err := br.ReadSlice('\n')
		if !long {
			if len(buf)+len(chunk) > limit+2 { // the line, "\r" and "\n"
				long, buf = true, buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return err
		case err != nil && len(buf) == 0 && !long:
			return nil // the end, after a line end or in an empty input
		}
		n++
		b := bytes.TrimSuffix(buf, []byte{'\n'})
		b = bytes.TrimSuffix(b, []byte{'\r'})
		fn(n, b, long || len(b) > limit)
		buf, long = buf[:0], false
		if err != nil {
			return nil
		}
	}
}

func parseSourceLine(name string, line int, text string) (AptSource, error) {
	bad := func(msg string) (AptSource, error) {
		return AptSource{}, &SyntaxError{File: name, Line: line, Msg: msg}
	}
	src := AptSource{File: name, Line: line, Enabled: true}
	typ, rest, _ := strings.Cut(text, " ")
	typ, rest = strings.TrimSpace(typ), strings.TrimSpace(rest)
	if i := strings.IndexByte(typ, '\t'); i >= 0 {
		typ, rest = typ[:i], strings.TrimSpace(typ[i:]+" "+rest)
	}
	if !slices.Contains(knownTypes, typ) {
		return bad("unknown type " + quote(typ) + " (want deb or deb-src)")
	}
	src.Types = []string{typ}
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return bad("option list without ']'")
		}
		opts := strings.Fields(rest[1:end])
		rest = strings.TrimSpace(rest[end+1:])
		src.Options = map[string]string{}
		for _, o := range opts {
			k, v, ok := strings.Cut(o, "=")
			if !ok || k == "" || v == "" {
				return bad("option " + quote(o) + " is not key=value")
			}
			k = strings.ToLower(strings.TrimRight(k, "+-"))
			if _, dup := src.Options[k]; dup {
				return bad("option " + k + " given twice")
			}
			src.Options[k] = v
			switch k {
			case "arch":
				src.Architectures = splitList(v)
			case "signed-by":
				src.SignedBy = splitList(v)
			}
		}
	}
	f := strings.Fields(rest)
	if len(f) < 2 {
		return bad("want a URI and a suite")
	}
	if err := checkURI(f[0]); err != nil {
		return bad(err.Error())
	}
	src.URIs = []string{f[0]}
	src.Suites = []string{f[1]}
	src.Components = f[2:]
	if strings.HasSuffix(f[1], "/") {
		if len(src.Components) > 0 {
			return bad("a flat repository path (suite ending in /) takes no components")
		}
	} else if len(src.Components) == 0 {
		return bad("no components")
	}
	if len(src.Components) == 0 {
		src.Components = nil
	}
	return src, nil
}

func checkURI(u string) error {
	for _, c := range u {
		if c < 0x20 || c == 0x7f {
			return errors.New("control character in URI")
		}
	}
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok || scheme == "" || rest == "" {
		return errors.New("URI " + quote(u) + " has no scheme")
	}
	return nil
}

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// ParseDeb822Sources reads a deb822-style .sources file. Each paragraph is
// one source; fields are Types, URIs, Suites, Components, Architectures,
// Signed-By (key files, fingerprints, or an inline key block) and Enabled;
// the other fields are kept in Options. Every malformed paragraph is
// reported as a *SyntaxError with name and line; the good paragraphs are
// returned all the same.
func ParseDeb822Sources(name string, r io.Reader) ([]AptSource, error) {
	var (
		out  []AptSource
		errs []error
	)
	for p, err := range ParseDeb822(name, r, Deb822Options{Comments: true}) {
		if err != nil {
			errs = append(errs, err)
			break
		}
		src, err := sourceFromParagraph(name, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, src)
	}
	return out, errors.Join(errs...)
}

func sourceFromParagraph(name string, p Paragraph) (AptSource, error) {
	src := AptSource{File: name, Line: p.Line, Enabled: true}
	bad := func(line int, msg string) (AptSource, error) {
		return AptSource{}, &SyntaxError{File: name, Line: line, Msg: msg}
	}
	for _, f := range p.Fields {
		key := strings.ToLower(f.Name)
		switch key {
		case "types":
			src.Types = strings.Fields(f.Value)
			for _, t := range src.Types {
				if !slices.Contains(knownTypes, t) {
					return bad(f.Line, "unknown type "+quote(t)+" (want deb or deb-src)")
				}
			}
		case "uris":
			src.URIs = strings.Fields(f.Value)
			for _, u := range src.URIs {
				if err := checkURI(u); err != nil {
					return bad(f.Line, err.Error())
				}
			}
		case "suites":
			src.Suites = strings.Fields(f.Value)
		case "components":
			src.Components = strings.Fields(f.Value)
		case "architectures":
			src.Architectures = strings.Fields(f.Value)
		case "signed-by":
			v := strings.TrimSpace(f.Value)
			if strings.HasPrefix(v, "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
				src.SignedByKey = v + "\n"
			} else {
				src.SignedBy = splitList(v)
			}
		case "enabled":
			b, ok := parseBool(f.Value)
			if !ok {
				return bad(f.Line, "Enabled must be yes or no, not "+quote(f.Value))
			}
			src.Enabled = b
		default:
			if src.Options == nil {
				src.Options = map[string]string{}
			}
			src.Options[key] = f.Value
		}
	}
	switch {
	case len(src.Types) == 0:
		return bad(p.Line, "no Types field")
	case len(src.URIs) == 0:
		return bad(p.Line, "no URIs field")
	case len(src.Suites) == 0:
		return bad(p.Line, "no Suites field")
	}
	flat := false
	for _, s := range src.Suites {
		if strings.HasSuffix(s, "/") {
			flat = true
		}
	}
	if flat && len(src.Components) > 0 {
		return bad(p.Line, "a flat repository path (suite ending in /) takes no components")
	}
	if !flat && len(src.Components) == 0 {
		return bad(p.Line, "no Components field")
	}
	return src, nil
}

// LoadAptSources reads apt's configured sources from a root file system:
// etc/apt/sources.list, then etc/apt/sources.list.d/*.list and *.sources in
// name order. File names in the result and in errors are absolute paths
// inside the root ("/etc/apt/sources.list"). A file with a malformed entry
// is reported (errors.Join of *SyntaxError) and its good entries are still
// returned, as are all other files' entries. Disabled deb822 sources are
// returned with Enabled false.
func LoadAptSources(ctx context.Context, fsys fs.FS) ([]AptSource, error) {
	var (
		out  []AptSource
		errs []error
	)
	read := func(p string) {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			return
		}
		data, err := rootfs.ReadFile(fsys, p, 16<<20)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			return
		}
		name := "/" + p
		var srcs []AptSource
		if strings.HasSuffix(p, ".sources") {
			srcs, err = ParseDeb822Sources(name, strings.NewReader(string(data)))
		} else {
			srcs, err = ParseSourcesList(name, strings.NewReader(string(data)))
		}
		out = append(out, srcs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	read("etc/apt/sources.list")
	entries, err := fs.ReadDir(fsys, "etc/apt/sources.list.d")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".list") || strings.HasSuffix(n, ".sources")) {
			continue
		}
		read(path.Join("etc/apt/sources.list.d", n))
	}
	return out, errors.Join(errs...)
}
