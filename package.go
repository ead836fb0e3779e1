package patchkit

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Epoch is a package epoch that is either known (a number, possibly 0) or
// unknown. The zero value is unknown.
//
// rpm and dpkg both read a version without an epoch as epoch 0, and readers of
// their own data (the rpmdb, dpkg's status file, Packages and primary.xml
// files) record such an epoch as known 0. Text that simply leaves the epoch out
// (an advisory feed, a NEVRA typed by a person) does not say it is 0, and
// Package.CompareVersion refuses to treat the two as the same fact.
type Epoch struct {
	n     uint32
	known bool
}

// EpochOf returns the known epoch n.
func EpochOf(n uint32) Epoch { return Epoch{n: n, known: true} }

// Known reports whether the epoch is known.
func (e Epoch) Known() bool { return e.known }

// Value returns the epoch and whether it is known.
func (e Epoch) Value() (uint32, bool) { return e.n, e.known }

// IsZero reports whether the epoch is unknown (used by JSON's omitzero).
func (e Epoch) IsZero() bool { return !e.known }

// String returns the decimal epoch, or "" when it is unknown.
func (e Epoch) String() string {
	if !e.known {
		return ""
	}
	return strconv.FormatUint(uint64(e.n), 10)
}

// MarshalJSON writes a number, or null when the epoch is unknown.
func (e Epoch) MarshalJSON() ([]byte, error) {
	if !e.known {
		return []byte("null"), nil
	}
	return strconv.AppendUint(nil, uint64(e.n), 10), nil
}

// UnmarshalJSON reads a non-negative integer, or null for an unknown epoch.
func (e *Epoch) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*e = Epoch{}
		return nil
	}
	n, ok := parseEpoch(string(b), 1<<32-1)
	if !ok {
		return &ParseError{Kind: "epoch", Input: string(b), Reason: "not an integer from 0 to 4294967295"}
	}
	*e = EpochOf(uint32(n))
	return nil
}

// Package is one package version: installed on a node, offered by a
// repository, or named by an advisory. For rpm, Version and Release are the
// rpm version and release; for Debian packages they are the upstream version
// and the Debian revision (empty for a native package). Scheme says which.
type Package struct {
	Name    string        `json:"Name"`
	Epoch   Epoch         `json:"Epoch,omitzero"`
	Version string        `json:"Version"`
	Release string        `json:"Release,omitempty"`
	Arch    string        `json:"Arch,omitempty"`
	Scheme  VersionScheme `json:"Scheme,omitzero"`

	// SourceName and SourceVersion identify the source package the binary was
	// built from (rpm: from the source rpm's file name; dpkg: Source field).
	SourceName    string `json:"SourceName,omitempty"`
	SourceVersion string `json:"SourceVersion,omitempty"`

	// Repository is where the version comes from: an rpm repository ID, or an
	// apt origin such as "Debian-Security:12/oldstable-security".
	Repository string `json:"Repository,omitempty"`

	// InstallTime is when an installed package was installed; zero otherwise.
	InstallTime time.Time `json:"InstallTime,omitzero"`

	// State is the package manager's own state of an installed package:
	// StateInstalled for every rpm in the rpm database, any of dpkg's states
	// for a dpkg package. It is empty for a version that is not installed
	// (a repository's offer, an advisory's package).
	State InstallState `json:"State,omitempty"`
	// Want is dpkg's selection for an installed package: "install", "hold",
	// "deinstall", "purge" or "unknown" (empty for rpm). A held package is
	// not upgraded by apt.
	Want string `json:"Want,omitempty"`

	// Section and Priority are the archive section ("admin", "libs") and
	// priority ("required", "optional") of a Debian package.
	Section  string `json:"Section,omitempty"`
	Priority string `json:"Priority,omitempty"`
	// MultiArch is a Debian package's Multi-Arch field ("same", "foreign",
	// "allowed"), empty when it has none.
	MultiArch string `json:"MultiArch,omitempty"`

	// Vendor is the rpm Vendor tag ("Red Hat, Inc.", "SUSE LLC ...").
	Vendor string `json:"Vendor,omitempty"`
	// ModularityLabel is the rpm ModularityLabel tag of a package built for
	// a module stream (name:stream:version:context).
	ModularityLabel string `json:"ModularityLabel,omitempty"`
}

// EVR returns the version as the scheme writes it: [epoch:]version[-release].
// rpm writes a known epoch even when it is 0 (as rpm's %{EVR} does for a
// header that has one); dpkg never writes epoch 0.
func (p Package) EVR() string {
	var b strings.Builder
	if p.Epoch.known && !(p.Scheme == Deb && p.Epoch.n == 0) {
		b.WriteString(p.Epoch.String())
		b.WriteByte(':')
	}
	b.WriteString(p.Version)
	if p.Release != "" {
		b.WriteByte('-')
		b.WriteString(p.Release)
	}
	return b.String()
}

// QualifiedName returns the name with its architecture as the package
// manager writes it: "bash.x86_64" for rpm, "libc6:amd64" for dpkg; the bare
// name when the architecture is unknown.
func (p Package) QualifiedName() string {
	if p.Arch == "" {
		return p.Name
	}
	if p.Scheme == Deb {
		return p.Name + ":" + p.Arch
	}
	return p.Name + "." + p.Arch
}

// NEVRA returns name-[epoch:]version-release.arch, the form ParseNEVRA reads.
func (p Package) NEVRA() string {
	s := p.Name + "-" + p.EVR()
	if p.Arch != "" {
		s += "." + p.Arch
	}
	return s
}

// ErrEpochUnknown is returned by CompareVersion when one package's epoch is
// known and the other's is not, so that the order is not a fact.
var ErrEpochUnknown = errors.New("one epoch is unknown and the other is known")

// CompareVersion orders p's version against q's with their scheme (which
// must be the same and set). When both epochs are unknown they are taken as
// equal; when exactly one is unknown it returns ErrEpochUnknown.
func (p Package) CompareVersion(q Package) (int, error) {
	if p.Scheme != q.Scheme {
		return 0, &ParseError{Kind: "package comparison", Input: p.Name + " vs " + q.Name,
			Field: "Scheme", Reason: "schemes differ: " + p.Scheme.String() + " and " + q.Scheme.String()}
	}
	if p.Epoch.known != q.Epoch.known {
		return 0, ErrEpochUnknown
	}
	if p.Epoch.n != q.Epoch.n {
		if p.Epoch.n < q.Epoch.n {
			return -1, nil
		}
		return 1, nil
	}
	switch p.Scheme {
	case RPM:
		if c := rpmvercmp(p.Version, q.Version); c != 0 {
			return c, nil
		}
		return rpmvercmp(p.Release, q.Release), nil
	case Deb:
		if c := verrevcmp(p.Version, q.Version); c != 0 {
			return c, nil
		}
		return verrevcmp(p.Release, q.Release), nil
	case Semver:
		return semverCompare(p.Version, q.Version), nil
	}
	return 0, &ParseError{Kind: "package comparison", Input: p.Name, Field: "Scheme", Reason: "no version scheme set"}
}

// ParseNEVRA parses an rpm package specification with an architecture, in
// either order rpm tools print it: name-[epoch:]version-release.arch
// ("bash-0:5.1.8-9.el9.x86_64") or epoch:name-version-release.arch
// ("1:dbus-1.12.28-1.amzn2023.0.1.x86_64"). An epoch that is not written is
// unknown. The result has Scheme RPM.
func ParseNEVRA(s string) (Package, error) {
	fail := func(field, reason string) (Package, error) {
		return Package{}, &ParseError{Kind: "rpm NEVRA", Input: s, Field: field, Reason: reason}
	}
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return fail("arch", "missing (no '.')")
	}
	arch := s[dot+1:]
	if arch == "" {
		return fail("arch", "empty")
	}
	for i := 0; i < len(arch); i++ {
		if c := arch[i]; !isAlnum(c) && c != '_' {
			return fail("arch", "contains "+quoteByte(c))
		}
	}
	p, err := parseNEVR(s, s[:dot])
	if err != nil {
		return Package{}, err
	}
	p.Arch = arch
	return p, nil
}

// ParseNEVR parses name-[epoch:]version-release (or epoch:name-version-release)
// without an architecture.
func ParseNEVR(s string) (Package, error) { return parseNEVR(s, s) }

func parseNEVR(input, s string) (Package, error) {
	fail := func(field, reason string) (Package, error) {
		return Package{}, &ParseError{Kind: "rpm NEVRA", Input: input, Field: field, Reason: reason}
	}
	p := Package{Scheme: RPM}
	h := strings.LastIndexByte(s, '-')
	if h < 0 {
		return fail("release", "missing (no '-')")
	}
	p.Release = s[h+1:]
	s = s[:h]
	h = strings.LastIndexByte(s, '-')
	if h < 0 {
		return fail("version", "missing (no second '-')")
	}
	ver := s[h+1:]
	p.Name = s[:h]
	if c := strings.IndexByte(ver, ':'); c >= 0 {
		n, ok := parseEpoch(ver[:c], maxRPMEpoch)
		if !ok {
			return fail("epoch", "not a decimal number below 2^32")
		}
		p.Epoch = EpochOf(uint32(n))
		ver = ver[c+1:]
	}
	// epoch:name-version-release: the epoch is in front of the name.
	if c := strings.IndexByte(p.Name, ':'); c >= 0 {
		if p.Epoch.known {
			return fail("epoch", "given twice")
		}
		n, ok := parseEpoch(p.Name[:c], maxRPMEpoch)
		if !ok {
			return fail("epoch", "not a decimal number below 2^32")
		}
		p.Epoch = EpochOf(uint32(n))
		p.Name = p.Name[c+1:]
	}
	p.Version = ver
	if r := rpmNameProblem(p.Name); r != "" {
		return fail("name", r)
	}
	if p.Version == "" {
		return fail("version", "empty")
	}
	if r := rpmBadChar(p.Version); r != "" {
		return fail("version", r)
	}
	if p.Release == "" {
		return fail("release", "empty")
	}
	if r := rpmBadChar(p.Release); r != "" {
		return fail("release", r)
	}
	return p, nil
}

// rpmNameProblem checks a name against the characters rpmbuild allows in
// Name (letters, digits and "._+-", the macro characters aside).
func rpmNameProblem(n string) string {
	if n == "" {
		return "empty"
	}
	if c := n[0]; !isAlnum(c) && c != '_' {
		return "does not start with a letter, digit or '_'"
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !isAlnum(c) && !strings.ContainsRune("._+-", rune(c)) {
			return "contains " + quoteByte(c)
		}
	}
	return ""
}

// ParseDpkg parses a dpkg package as dpkg-query prints it: the name with an
// optional ":arch" qualifier ("libc6:amd64") and the version
// ("2.36-9+deb12u4", "1:9.18.28-1~deb12u2"). dpkg defines a version without an
// epoch as epoch 0, so the epoch is always known. The result has Scheme Deb.
func ParseDpkg(nameArch, version string) (Package, error) {
	fail := func(field, reason string, err error) (Package, error) {
		return Package{}, &ParseError{Kind: "dpkg package", Input: nameArch + " " + version, Field: field, Reason: reason, Err: err}
	}
	p := Package{Scheme: Deb, Name: nameArch}
	if c := strings.IndexByte(nameArch, ':'); c >= 0 {
		p.Name, p.Arch = nameArch[:c], nameArch[c+1:]
		if r := debArchProblem(p.Arch); r != "" {
			return fail("arch", r, nil)
		}
	}
	if r := debNameProblem(p.Name); r != "" {
		return fail("name", r, nil)
	}
	if err := Deb.Validate(version); err != nil {
		return fail("version", err.(*VersionError).Reason, err)
	}
	v, _, _ := debParse(version, false)
	p.Epoch = EpochOf(uint32(v.epoch))
	p.Version, p.Release = v.upstream, v.revision
	return p, nil
}

// debNameProblem returns why n is not a package name dpkg accepts, or "".
// dpkg requires a leading letter or digit, then letters, digits and "-+._".
func debNameProblem(n string) string {
	if n == "" {
		return "empty"
	}
	if !isAlnum(n[0]) {
		return "does not start with a letter or digit"
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !isAlnum(c) && !strings.ContainsRune("-+._", rune(c)) {
			return "contains " + quoteByte(c)
		}
	}
	return ""
}

// debArchProblem follows dpkg_arch_name_is_illegal: a leading letter or
// digit, then letters, digits and '-'.
func debArchProblem(a string) string {
	if a == "" {
		return "empty"
	}
	if !isAlnum(a[0]) {
		return "does not start with a letter or digit"
	}
	for i := 0; i < len(a); i++ {
		if c := a[i]; !isAlnum(c) && c != '-' {
			return "contains " + quoteByte(c)
		}
	}
	return ""
}

// ValidateName checks a package name against the grammar of scheme's package
// manager before it is used anywhere (a command line, a report): dpkg's
// (a letter or digit, then letters, digits and "-+._") for Deb, rpmbuild's
// (a letter, digit or '_', then letters, digits and "._+-") for RPM. A name
// that passes cannot be read as an option, a path, a glob or a pattern.
// The error is a *ParseError matching ErrInvalid.
func ValidateName(scheme VersionScheme, name string) error {
	var r string
	switch scheme {
	case Deb:
		r = debNameProblem(name)
	case RPM:
		r = rpmNameProblem(name)
	default:
		return &ParseError{Kind: "package name", Input: name, Field: "Scheme", Reason: "no package name grammar for scheme " + scheme.String()}
	}
	if r != "" {
		return &ParseError{Kind: scheme.String() + " package name", Input: name, Reason: r}
	}
	return nil
}

// ValidateArch checks an architecture name: dpkg's grammar (a letter or
// digit, then letters, digits and '-') for Deb, letters, digits and '_' for
// RPM ("x86_64", "noarch").
func ValidateArch(scheme VersionScheme, arch string) error {
	var r string
	switch scheme {
	case Deb:
		r = debArchProblem(arch)
	case RPM:
		if arch == "" {
			r = "empty"
		}
		for i := 0; i < len(arch) && r == ""; i++ {
			if c := arch[i]; !isAlnum(c) && c != '_' {
				r = "contains " + quoteByte(c)
			}
		}
	default:
		return &ParseError{Kind: "architecture", Input: arch, Field: "Scheme", Reason: "no architecture grammar for scheme " + scheme.String()}
	}
	if r != "" {
		return &ParseError{Kind: scheme.String() + " architecture", Input: arch, Reason: r}
	}
	return nil
}
