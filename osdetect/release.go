package osdetect

import (
	"bytes"
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

// parseReleaseLine reads the first line of a redhat-release style file. A
// well-formed line naming a distribution osdetect does not know gives id "".
func parseReleaseLine(file string, data []byte) (releaseLine, *ParseError) {
	var rl releaseLine
	if bytes.IndexByte(data, 0) >= 0 {
		return rl, &ParseError{File: file, Reason: "contains a NUL byte"}
	}
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
	fail := func(reason string) (releaseLine, *ParseError) {
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
			break
		}
	}
	return rl, nil
}

// suseRelease is what the deprecated etc/SuSE-release says.
type suseRelease struct {
	id, description, major, minor, codename string
}

// parseSuSERelease reads etc/SuSE-release: a description line, then
// "KEY = VALUE" lines. Other lines are returned in bad; fatal is set when
// the file gives no description or no VERSION. A description naming a
// distribution osdetect does not know gives id "".
func parseSuSERelease(file string, data []byte) (s suseRelease, bad []ParseError, fatal *ParseError) {
	if bytes.IndexByte(data, 0) >= 0 {
		return s, nil, &ParseError{File: file, Reason: "contains a NUL byte"}
	}
	var version, patchlevel string
	for i, raw := range splitLines(data) {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		if s.description == "" {
			s.description = line
			for _, n := range suseNames {
				if hasPrefixFold(line, n.prefix) {
					s.id = n.id
					break
				}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			bad = append(bad, ParseError{File: file, Line: i + 1, Text: raw, Reason: "not a KEY = VALUE line"})
			continue
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
		return s, bad, &ParseError{File: file, Reason: "empty"}
	}
	if !versionLike(version) {
		return s, bad, &ParseError{File: file, Reason: "no VERSION"}
	}
	s.major, s.minor = splitVersion(version)
	if s.minor == "" && patchlevel != "" {
		if !isNumber(patchlevel) {
			return s, bad, &ParseError{File: file, Reason: "PATCHLEVEL " + quote(patchlevel) + " is not a number"}
		}
		s.minor = patchlevel
	}
	return s, bad, nil
}

// suseNames maps SuSE-release's first line to os-release IDs. SLES 9 wrote
// "SUSE LINUX", hence the case-blind match.
var suseNames = []struct{ prefix, id string }{
	{"SUSE Linux Enterprise Server", "sles"},
	{"SUSE Linux Enterprise Desktop", "sled"},
	{"openSUSE", "opensuse"},
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// legacyReleaseFiles are the distributions' own release files, the most
// specific first: Oracle Linux and Rocky ship a redhat-release too.
var legacyReleaseFiles = []string{
	"etc/oracle-release", "etc/rocky-release", "usr/lib/rocky-release",
	"etc/almalinux-release", "etc/centos-release", "etc/fedora-release",
	"etc/redhat-release", "etc/system-release",
}

// fromLegacy identifies a root without a usable os-release from the older
// release files, the most specific first. The first usable one decides; a
// damaged one is noted and the next one is tried. decided reports whether
// one did.
func (r *reader) fromLegacy() (o OS, decided bool, err error) {
	for _, name := range legacyReleaseFiles {
		b, err := r.read(name)
		if err != nil || b == nil {
			if err != nil {
				return OS{}, false, err
			}
			continue
		}
		rl, perr := parseReleaseLine(name, b)
		if perr != nil {
			r.note(*perr)
			continue
		}
		o := OS{
			ID: rl.id, Name: rl.name, PrettyName: firstLine(b),
			Version: rl.version, VersionID: rl.version, Major: rl.major, Minor: rl.minor,
			Codename: rl.codename, Stream: rl.stream, Sources: []string{name},
		}
		if rl.id == "" {
			return o, true, &UnsupportedError{Name: rl.name, File: name}
		}
		o, err = finish(o, name)
		return o, true, err
	}

	const suse = "etc/SuSE-release"
	if b, err := r.read(suse); err != nil {
		return OS{}, false, err
	} else if b != nil {
		s, bad, perr := parseSuSERelease(suse, b)
		r.ignored = append(r.ignored, bad...)
		if perr != nil {
			r.note(*perr)
		} else {
			o := OS{ID: s.id, PrettyName: s.description, Major: s.major, Minor: s.minor, Codename: s.codename,
				Sources: []string{suse}}
			o.VersionID = o.Major
			if o.Minor != "" {
				o.VersionID += "." + o.Minor
			}
			if s.id == "" {
				return o, true, &UnsupportedError{Name: s.description, File: suse}
			}
			o, err = finish(o, suse)
			return o, true, err
		}
	}

	rpi, err := rootfs.Exists(r.fsys, "etc/rpi-issue")
	if err != nil {
		return OS{}, false, err
	}
	const lsb = "etc/lsb-release"
	if b, err := r.read(lsb); err != nil {
		return OS{}, false, err
	} else if b != nil {
		if kv, ok := r.parseKV(lsb, b); ok && kv.vals["DISTRIB_ID"] != "" {
			id := kv.vals["DISTRIB_ID"]
			o := OS{
				ID: strings.ToLower(id), Name: id, PrettyName: kv.vals["DISTRIB_DESCRIPTION"],
				VersionID: kv.vals["DISTRIB_RELEASE"], Codename: kv.vals["DISTRIB_CODENAME"],
				Sources: []string{lsb},
			}
			if o.VersionID != "" {
				if versionLike(o.VersionID) {
					o.Major, o.Minor = splitVersion(o.VersionID)
				} else {
					r.note(kv.problem("DISTRIB_RELEASE", "DISTRIB_RELEASE "+quote(o.VersionID)+" is not a version"))
				}
			}
			o, err = finish(o, lsb)
			return o, true, err
		}
	}

	const dv = "etc/debian_version"
	if b, err := r.read(dv); err != nil {
		return OS{}, false, err
	} else if b != nil {
		major, minor, codename, perr := parseDebianVersion(b)
		if perr != nil {
			r.note(*perr)
		} else {
			o := OS{ID: "debian", Name: "Debian GNU/Linux", Major: major, Minor: minor, VersionID: major,
				Codename: codename, Sources: []string{dv}}
			if rpi {
				o.ID, o.Name = "raspbian", "Raspbian GNU/Linux"
				o.Sources = append(o.Sources, "etc/rpi-issue")
			}
			o, err = finish(o, dv)
			return o, true, err
		}
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
