package dnf

import (
	"path"
	"strconv"
	"strings"
)

// pattern is one excludepkgs or includepkgs entry: a package specification
// with optional globs (*, ?, [...]), matched as dnf matches it against the
// forms of a package's NEVRA.
type pattern struct {
	text     string
	glob     bool
	hasEpoch bool
}

func patterns(list []string) []pattern {
	out := make([]pattern, 0, len(list))
	for _, s := range list {
		if s == "" {
			continue
		}
		out = append(out, pattern{text: s, glob: strings.ContainsAny(s, "*?["), hasEpoch: strings.Contains(s, ":")})
	}
	return out
}

// nevraForms are the strings a package specification is compared with, in
// the order of dnf's Subject forms: NEVRA, NA, NAME, NEVR, NEV. A pattern
// with an epoch is compared with the forms that spell the epoch ("0:" too),
// one without with the forms that leave it out.
func nevraForms(name string, epoch uint32, version, release, arch string, withEpoch bool) [5]string {
	ev := version
	if withEpoch {
		ev = strconv.FormatUint(uint64(epoch), 10) + ":" + version
	}
	nev := name + "-" + ev
	nevr := nev + "-" + release
	return [5]string{nevr + "." + arch, name + "." + arch, name, nevr, nev}
}

// match reports whether the pattern names the package in any of the forms.
// dnf takes the first form under which a pattern matches anything in the
// whole package set; matching any form gives the same answer except for a
// pattern that reads as two different packages at once (a name that looks
// like another package's name-version), which real configurations do not
// contain.
func (p pattern) match(name string, epoch uint32, version, release, arch string) bool {
	if !p.glob && !strings.HasPrefix(p.text, name) {
		return false // every form starts with the name
	}
	for _, f := range nevraForms(name, epoch, version, release, arch, p.hasEpoch) {
		if p.glob {
			if ok, err := path.Match(p.text, f); err == nil && ok {
				return true
			}
			continue
		}
		if p.text == f {
			return true
		}
	}
	return false
}

func matchAny(ps []pattern, name string, epoch uint32, version, release, arch string) bool {
	for _, p := range ps {
		if p.match(name, epoch, version, release, arch) {
			return true
		}
	}
	return false
}
