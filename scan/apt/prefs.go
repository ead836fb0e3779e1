package apt

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
)

// neverPin is apt's NEVER_PIN, the lowest short, which the special
// priority "never" of a "Package: *" record gives.
const neverPin = math.MinInt16

// pinType is what a Pin line matches: a version string, a Release, or a
// repository host.
type pinType uint8

const (
	pinVersion pinType = iota + 1
	pinRelease
	pinOrigin
)

// pin is one record of a preferences file, or APT::Default-Release.
type pin struct {
	file     string
	line     int
	packages []string // the Package field's words; nil for a generic ("*") pin
	typ      pinType
	data     string // the Pin line after its type word
	priority int
	rel      releaseSpec // pinRelease: the parsed data
}

// releaseSpec is a parsed "Pin: release ..." (pkgVersionMatch's Release
// match): fields to match, each an apt pattern; empty means "any".
type releaseSpec struct {
	all                                                        bool // "*"
	none                                                       bool // unparsable: matches nothing
	version                                                    string
	versionPrefix                                              bool
	origin, archive, codename, release, label, component, arch string
}

func parseReleaseSpec(data string) releaseSpec {
	var r releaseSpec
	if data == "" {
		r.none = true
		return r
	}
	if data == "*" {
		r.all = true
		return r
	}
	if !strings.Contains(data, "=") {
		if data[0] >= '0' && data[0] <= '9' {
			r.version = data
		} else {
			r.release = data
		}
	} else {
		frags := strings.Split(data, ",")
		if len(frags) > 19 {
			// apt splits into at most 19 fragments and drops the pin
			r.none = true
			return r
		}
		for _, f := range frags {
			f = strings.TrimSpace(f)
			if len(f) < 3 || f[1] != '=' {
				continue
			}
			v := f[2:]
			switch lower(f[0]) {
			case 'v':
				r.version = v
			case 'o':
				r.origin = v
			case 'a':
				r.archive = v
			case 'n':
				r.codename = v
			case 'l':
				r.label = v
			case 'c':
				r.component = v
			case 'b':
				r.arch = v
			}
		}
	}
	if strings.HasSuffix(r.version, "*") {
		r.versionPrefix = true
		r.version = strings.TrimSuffix(r.version, "*")
	}
	return r
}

// readPreferences reads the preferences file and then the files of the
// preferences directory, in the order apt reads them.
func readPreferences(ctx context.Context, fsys fs.FS, file, dir string) ([]pin, error) {
	var pins []pin
	if !isNull(file) {
		p, err := readPinFile(ctx, fsys, file)
		if err != nil {
			return nil, err
		}
		pins = append(pins, p...)
	}
	if !isNull(dir) {
		names, err := listConfigDir(fsys, dir, []string{"pref"}, true)
		if err != nil {
			return nil, &ConfigError{File: dir, Msg: "cannot list", Err: err}
		}
		for _, n := range names {
			p, err := readPinFile(ctx, fsys, path.Join(dir, n))
			if err != nil {
				return nil, err
			}
			pins = append(pins, p...)
		}
	}
	return pins, nil
}

func readPinFile(ctx context.Context, fsys fs.FS, name string) ([]pin, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := rootfs.ReadFile(fsys, rel(name), maxConfigFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, &ConfigError{File: name, Msg: "cannot read", Err: err}
	}
	return parsePreferences(name, data)
}

// parsePreferences reads an apt_preferences(5) file: records of Package,
// Pin and Pin-Priority fields (Explanation and other fields are ignored;
// '#' lines are comments). As in apt, a record without Package, a priority
// of 0 or outside -32768..32767, or "never" outside a "Package: *" record
// is an error; a record without Pin, or with a Pin type apt does not know,
// is ignored (apt warns).
func parsePreferences(name string, data []byte) ([]pin, error) {
	var pins []pin
	for p, err := range repo.ParseDeb822(name, bytes.NewReader(data), repo.Deb822Options{Comments: true}) {
		if err != nil {
			var se *repo.SyntaxError
			if errors.As(err, &se) {
				return nil, &ConfigError{File: name, Line: se.Line, Msg: se.Msg}
			}
			return nil, &ConfigError{File: name, Msg: "cannot read", Err: err}
		}
		pkgField, ok := p.Get("Package")
		pkgField = strings.TrimSpace(pkgField)
		if !ok || pkgField == "" {
			return nil, &ConfigError{File: name, Line: p.Line, Msg: "record without a Package field"}
		}
		generic := pkgField == "*"
		pinField, ok := p.Get("Pin")
		if !ok {
			continue
		}
		pinField = strings.TrimSpace(pinField)
		word, data := pinField, ""
		if i := strings.IndexAny(pinField, " \t\n"); i >= 0 {
			word, data = pinField[:i], strings.TrimLeft(pinField[i:], " \t\n")
		}
		var typ pinType
		switch strings.ToLower(word) {
		case "version":
			if !generic {
				typ = pinVersion
			}
		case "release":
			typ = pinRelease
		case "origin":
			typ = pinOrigin
		}
		if typ == 0 {
			// apt: "Did not understand pin type"; the record is skipped
			continue
		}
		prioText := strings.TrimSpace(p.Value("Pin-Priority"))
		line := p.Line
		for _, f := range p.Fields {
			if strings.EqualFold(f.Name, "Pin-Priority") {
				line = f.Line
			}
		}
		var prio int
		if prioText == "never" {
			if !generic {
				return nil, &ConfigError{File: name, Line: line, Msg: "the special 'Pin-Priority: never' can only be used for 'Package: *' records"}
			}
			prio = neverPin
		} else {
			n, ok := strtol(prioText)
			if !ok || n < math.MinInt16 || n > math.MaxInt16 {
				if ok {
					return nil, &ConfigError{File: name, Line: line, Msg: "value " + prioText + " is outside the range of valid pin priorities (-32768 to 32767)"}
				}
				n = 0
			}
			if n == neverPin {
				n = neverPin + 1
			}
			if n == 0 {
				return nil, &ConfigError{File: name, Line: line, Msg: "no priority (or zero) specified for pin"}
			}
			prio = int(n)
		}
		pn := pin{file: name, line: p.Line, typ: typ, data: data, priority: prio}
		if !generic {
			pn.packages = strings.Fields(pkgField)
		}
		if typ == pinRelease {
			pn.rel = parseReleaseSpec(data)
		}
		if typ == pinOrigin && len(data) >= 2 && data[0] == '"' && data[len(data)-1] == '"' {
			pn.data = data[1 : len(data)-1]
		}
		pins = append(pins, pn)
	}
	return pins, nil
}

// strtol reads a leading decimal integer as C's strtol does: optional
// spaces and sign, digits, anything after them ignored. ok is false when
// there are no digits. Values beyond int64 saturate.
func strtol(s string) (int64, bool) {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(s[:n], 10, 64)
	if err != nil {
		v = math.MaxInt64
	}
	if neg {
		v = -v
	}
	return v, true
}
