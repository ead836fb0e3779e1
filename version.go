package patchkit

import (
	"fmt"
	"strings"
)

// VersionScheme is a version-ordering algorithm. Its values are RPM, Deb and
// Semver; the zero value is not a scheme, and calling Compare or Validate on
// it panics, as calling a method through a nil pointer would.
//
// Compare is a total preorder on all strings, including those Validate
// rejects, so it can sort any input without failing: for each scheme the
// documentation of the constant says where malformed strings go.
type VersionScheme uint8

const (
	// RPM orders [epoch:]version[-release] strings exactly as rpm 4.16 and
	// later do (rpmverCmp over rpmvercmp): a missing epoch is epoch 0, a
	// version with a release sorts after the same version without one,
	// alphanumeric segments, leading zeros ignored, "~" before anything and
	// "^" after the base version but before any further segment. rpm's own
	// comparison accepts every non-empty string; the empty string sorts first.
	// Bytes after a NUL are ignored, as rpm's C strings would end there.
	RPM VersionScheme = iota + 1

	// Deb orders [epoch:]upstream[-revision] strings exactly as
	// "dpkg --compare-versions" does: "~" before everything, letters before
	// other characters, digit runs numerically. Like dpkg, it orders strings
	// that only draw a warning (an upstream part not starting with a digit,
	// characters outside the allowed set) and treats the empty string as
	// earlier than every version. Strings dpkg refuses (an empty or too big
	// epoch, nothing after the colon, an empty revision, embedded spaces) sort
	// after the empty string and before every string dpkg accepts, in byte
	// order among themselves.
	Deb

	// Semver orders strict Semantic Versioning 2.0.0 strings (MAJOR.MINOR.PATCH,
	// optional -prerelease and +build) exactly as github.com/Masterminds/semver/v3
	// does for versions its StrictNewVersion accepts; build metadata is ignored.
	// Strings it rejects sort before every valid version, in byte order among
	// themselves.
	Semver
)

// String returns "rpm", "deb" or "semver".
func (s VersionScheme) String() string {
	switch s {
	case RPM:
		return "rpm"
	case Deb:
		return "deb"
	case Semver:
		return "semver"
	}
	return fmt.Sprintf("VersionScheme(%d)", uint8(s))
}

// ParseVersionScheme returns the scheme named "rpm", "deb" or "semver".
func ParseVersionScheme(name string) (VersionScheme, error) {
	switch name {
	case "rpm":
		return RPM, nil
	case "deb":
		return Deb, nil
	case "semver":
		return Semver, nil
	}
	return 0, &UnknownValueError{Type: "VersionScheme", Value: name}
}

// MarshalText writes the scheme's name.
func (s VersionScheme) MarshalText() ([]byte, error) {
	switch s {
	case RPM, Deb, Semver:
		return []byte(s.String()), nil
	}
	return nil, &UnknownValueError{Type: "VersionScheme", Value: s.String()}
}

// UnmarshalText reads a scheme's name.
func (s *VersionScheme) UnmarshalText(b []byte) error {
	v, err := ParseVersionScheme(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Compare returns -1, 0 or +1 as a sorts before, equal to or after b.
// It does not allocate.
func (s VersionScheme) Compare(a, b string) int {
	switch s {
	case RPM:
		return rpmCompareEVR(a, b)
	case Deb:
		return debCompare(a, b)
	case Semver:
		return semverCompare(a, b)
	}
	panic("patchkit: Compare on invalid " + s.String())
}

// Validate returns nil if v is a well-formed version of the scheme, else a
// *VersionError saying why not.
func (s VersionScheme) Validate(v string) error {
	var reason string
	switch s {
	case RPM:
		reason = rpmValidateEVR(v)
	case Deb:
		reason = debValidate(v)
	case Semver:
		reason = semverValidate(v)
	default:
		panic("patchkit: Validate on invalid " + s.String())
	}
	if reason != "" {
		return &VersionError{Scheme: s, Version: v, Reason: reason}
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// cstr cuts s at its first NUL, as a C string would end there.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
