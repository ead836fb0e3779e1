package zypper

import (
	"errors"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
)

// parseEdition reads a libzypp edition, [epoch:]version[-release], as
// zypper prints it. libzypp leaves out epoch 0, so an edition without an
// epoch has the known epoch 0, as in the rpm database and primary.xml.
func parseEdition(s string) (patchkit.Package, error) {
	p := patchkit.Package{Scheme: patchkit.RPM, Epoch: patchkit.EpochOf(0)}
	if s == "" {
		return p, errors.New("empty edition")
	}
	if c := strings.IndexByte(s, ':'); c >= 0 {
		n, err := strconv.ParseUint(s[:c], 10, 32)
		if err != nil {
			return p, errors.New("epoch " + strconv.Quote(s[:c]) + " is not a number")
		}
		p.Epoch = patchkit.EpochOf(uint32(n))
		s = s[c+1:]
	}
	if h := strings.LastIndexByte(s, '-'); h >= 0 {
		p.Version, p.Release = s[:h], s[h+1:]
		if p.Release == "" {
			return p, errors.New("empty release")
		}
	} else {
		p.Version = s
	}
	if p.Version == "" {
		return p, errors.New("empty version")
	}
	for _, part := range []string{p.Version, p.Release} {
		for i := 0; i < len(part); i++ {
			if c := part[i]; c <= ' ' || c == 0x7f || c == ':' || c == '-' {
				return p, errors.New("character " + strconv.QuoteRune(rune(c)) + " in " + strconv.Quote(part))
			}
		}
	}
	return p, nil
}

// cmpEVR orders two rpm versions as rpm and libsolv do: an unknown epoch
// is epoch 0.
func cmpEVR(a, b patchkit.Package) int {
	if !a.Epoch.Known() {
		a.Epoch = patchkit.EpochOf(0)
	}
	if !b.Epoch.Known() {
		b.Epoch = patchkit.EpochOf(0)
	}
	a.Scheme, b.Scheme = patchkit.RPM, patchkit.RPM
	c, _ := a.CompareVersion(b)
	return c
}

// edition returns [epoch:]version[-release] as libzypp prints it: without
// epoch 0.
func edition(p patchkit.Package) string {
	var b strings.Builder
	if e, ok := p.Epoch.Value(); ok && e != 0 {
		b.WriteString(strconv.FormatUint(uint64(e), 10))
		b.WriteByte(':')
	}
	b.WriteString(p.Version)
	if p.Release != "" {
		b.WriteByte('-')
		b.WriteString(p.Release)
	}
	return b.String()
}
