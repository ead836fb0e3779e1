package osdetect

import (
	"strings"

	"github.com/patchkit/patchkit/internal/rootfs"
)

// releaseLine is what a redhat-release style file says:
// "<name> release <version> (<codename>)".
type releaseLine struct {
	id, name, version, major, minor, codename string
	stream                                    bool
}

// releaseNames maps the distribution names release files use to os-release
// IDs, most specific first.
var releaseNames = []struct {
	prefix, id string
	stream     bool
}{
	{"Red Hat Enterprise Linux", "rhel", false},
	{"CentOS Stream", "centos", true},
	{"CentOS Linux", "centos", false},
	{"CentOS", "centos", false},
	{"Oracle Linux", "ol", false},
	{"Rocky Linux", "rocky", false},
	{"AlmaLinux", "almalinux", false},
	{"Fedora", "fedora", false},
	{"Amazon Linux AMI", "amzn", false},
	{"Amazon Linux", "amzn", false},
}

func parseReleaseLine(file string, data []byte) (releaseLine, error) {
	var rl releaseLine
	lineNo, line := 0, ""
	for i, l := range splitLines(data) {
		if t := strings.TrimSpace(l); t != "" {
			lineNo, line = i+1, t
			break
		}
	}
	if line == "" {
		return rl, &ParseError{File: file, Reason: "empty"}
	}
	fail := func(reason string) (releaseLine, error) {
		return rl, &ParseError{File: file, Line: lineNo, Text: line, Reason: reason}
	}
	i := strings.Index(line, " release ")
	if i < 0 {
		return fail(`no "release" in the line`)
	}
	rl.name = line[:i]
	rest := strings.Fields(line[i+len(" release "):])
	if len(rest) == 0 || !versionLike(rest[0]) {
		return fail("no version after \"release\"")
	}
	rl.version = rest[0]
	rl.major, rl.minor = splitVersion(rl.version)
	if o := strings.LastIndexByte(line, '('); o >= 0 && strings.HasSuffix(line, ")") {
		if c := line[o+1 : len(line)-1]; c != "Final" {
			rl.codename = c
		}
	}
	for _, n := range releaseNames {
		if strings.HasPrefix(rl.name, n.prefix) {
			rl.id, rl.stream = n.id, n.stream
			return rl, nil
		}
	}
	return fail("names a distribution osdetect does not know")
}

// suseRelease is what the deprecated etc/SuSE-release says.
type suseRelease struct {
	id, description, major, minor, codename string
}

func parseSuSERelease(file string, data []byte) (suseRelease, error) {
	var s suseRelease
	var version, patchlevel string
	for i, raw := range splitLines(data) {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		if s.description == "" {
			s.description = line
			switch {
			case strings.HasPrefix(line, "SUSE Linux Enterprise Server"):
				s.id = "sles"
			case strings.HasPrefix(line, "SUSE Linux Enterprise Desktop"):
				s.id = "sled"
			case strings.HasPrefix(line, "openSUSE"):
				s.id = "opensuse"
			default:
				return s, &ParseError{File: file, Line: i + 1, Text: raw, Reason: "names a distribution osdetect does not know"}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return s, &ParseError{File: file, Line: i + 1, Text: raw, Reason: "not a KEY = VALUE line"}
		}
		switch strings.TrimSpace(k) {
		case "VERSION":
			version = strings.TrimSpace(v)
		case "PATCHLEVEL":
			patchlevel = strings.TrimSpace(v)
		case "CODENAME":
			s.codename = strings.TrimSpace(v)
		}
	}
	if s.description == "" {
		return s, &ParseError{File: file, Reason: "empty"}
	}
	if !versionLike(version) {
		return s, &ParseError{File: file, Reason: "no VERSION"}
	}
	s.major, s.minor = splitVersion(version)
	if s.minor == "" && patchlevel != "" {
		if !isNumber(patchlevel) {
			return s, &ParseError{File: file, Reason: "PATCHLEVEL " + quote(patchlevel) + " is not a number"}
		}
		s.minor = patchlevel
	}
	return s, nil
}

// fromLegacy identifies a root without os-release from the older release
// files, the most specific first. ok reports whether any was found.
func (r reader) fromLegacy() (OS, bool, error) {
	for _, name := range []string{
		"etc/oracle-release", "etc/rocky-release", "usr/lib/rocky-release",
		"etc/almalinux-release", "etc/centos-release", "etc/fedora-release",
		"etc/redhat-release", "etc/system-release",
	} {
		b, err := r.read(name)
		if err != nil {
			return OS{}, true, err
		}
		if b == nil {
			continue
		}
		rl, err := parseReleaseLine(name, b)
		if err != nil {
			return OS{}, true, err
		}
		o := OS{
			ID: rl.id, Name: rl.name, PrettyName: strings.TrimSpace(firstLine(b)),
			Version: rl.version, VersionID: rl.version, Major: rl.major, Minor: rl.minor,
			Codename: rl.codename, Stream: rl.stream, Sources: []string{name},
		}
		o, err = finish(o, name)
		return o, true, err
	}

	if b, err := r.read("etc/SuSE-release"); err != nil || b != nil {
		if err != nil {
			return OS{}, true, err
		}
		s, err := parseSuSERelease("etc/SuSE-release", b)
		if err != nil {
			return OS{}, true, err
		}
		o := OS{ID: s.id, PrettyName: s.description, Major: s.major, Minor: s.minor, Codename: s.codename,
			Sources: []string{"etc/SuSE-release"}}
		o.VersionID = o.Major
		if o.Minor != "" {
			o.VersionID += "." + o.Minor
		}
		o, err = finish(o, "etc/SuSE-release")
		return o, true, err
	}

	rpi, err := rootfs.Exists(r.fsys, "etc/rpi-issue")
	if err != nil {
		return OS{}, true, err
	}
	if b, err := r.read("etc/lsb-release"); err != nil || b != nil {
		if err != nil {
			return OS{}, true, err
		}
		vars, err := parseOSRelease("etc/lsb-release", b)
		if err != nil {
			return OS{}, true, err
		}
		if id := vars["DISTRIB_ID"]; id != "" {
			o := OS{
				ID: strings.ToLower(id), Name: id, PrettyName: vars["DISTRIB_DESCRIPTION"],
				VersionID: vars["DISTRIB_RELEASE"], Codename: vars["DISTRIB_CODENAME"],
				Sources: []string{"etc/lsb-release"},
			}
			if o.VersionID != "" {
				if !versionLike(o.VersionID) {
					return o, true, &ParseError{File: "etc/lsb-release", Reason: "DISTRIB_RELEASE " + quote(o.VersionID) + " is not a version"}
				}
				o.Major, o.Minor = splitVersion(o.VersionID)
			}
			o, err = finish(o, "etc/lsb-release")
			return o, true, err
		}
	}

	if b, err := r.read("etc/debian_version"); err != nil || b != nil {
		if err != nil {
			return OS{}, true, err
		}
		major, minor, codename, err := parseDebianVersion(b)
		if err != nil {
			return OS{}, true, err
		}
		o := OS{ID: "debian", Name: "Debian GNU/Linux", Major: major, Minor: minor, VersionID: major,
			Codename: codename, Sources: []string{"etc/debian_version"}}
		if rpi {
			o.ID, o.Name = "raspbian", "Raspbian GNU/Linux"
			o.Sources = append(o.Sources, "etc/rpi-issue")
		}
		o, err = finish(o, "etc/debian_version")
		return o, true, err
	}
	if rpi {
		// A Raspberry Pi image stamp and nothing else: the system is
		// Raspberry Pi OS, of an unknown version.
		o, err := finish(OS{ID: "raspbian", Name: "Raspbian GNU/Linux", Sources: []string{"etc/rpi-issue"}}, "etc/rpi-issue")
		return o, true, err
	}
	return OS{}, false, nil
}

func firstLine(b []byte) string {
	for _, l := range splitLines(b) {
		if t := strings.TrimSpace(l); t != "" {
			return t
		}
	}
	return ""
}
