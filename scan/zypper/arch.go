package zypper

import "strings"

// compatArches lists, for a machine architecture in osdetect's vocabulary,
// the package architectures libzypp accepts on it (zypp/Arch.cc, the
// compatibility table without the x86_64_vN micro-architecture levels),
// best first. noarch is compatible everywhere.
var compatArches = map[string][]string{
	"x86_64":      {"x86_64", "athlon", "i686", "i586", "i486", "i386"},
	"i686":        {"i686", "i586", "i486", "i386"},
	"aarch64":     {"aarch64"},
	"ppc64le":     {"ppc64le"},
	"ppc64":       {"ppc64", "ppc"},
	"s390x":       {"s390x", "s390"},
	"armv7l":      {"armv7hl", "armv7l", "armv6hl", "armv6l", "armv5tel"},
	"armv6l":      {"armv6hl", "armv6l", "armv5tel"},
	"riscv64":     {"riscv64"},
	"loongarch64": {"loongarch64"},
}

// archSet is the set of package architectures installable on a machine.
type archSet map[string]bool

func newArchSet(machine string) (archSet, bool) {
	l, ok := compatArches[machine]
	if !ok {
		return nil, false
	}
	s := archSet{"noarch": true}
	for _, a := range l {
		s[a] = true
	}
	return s, true
}

// knownArch reports whether a is an rpm package architecture that zypper
// prints after a dot in a capability ("tb-lib.x86_64 < 2.0-2").
func knownArch(a string) bool {
	if a == "noarch" || a == "src" || a == "nosrc" {
		return true
	}
	for _, l := range compatArches {
		for _, x := range l {
			if x == a {
				return true
			}
		}
	}
	return false
}

// updateArchOK reports whether an installed package of architecture from
// may be updated by a version of architecture to, as libsolv's update
// policy allows without an explicit architecture change: the same
// architecture, or a change to or from noarch.
func updateArchOK(from, to string) bool {
	return from == to || from == "noarch" || to == "noarch"
}

// patchArchMatches reports whether a package of architecture pkgArch is
// covered by an updateinfo package entry of architecture entryArch, as
// libsolv writes a patch's conflicts (repo_updateinfoxml.c): an entry
// without an architecture or with noarch covers every architecture; any
// other entry covers its own architecture and noarch.
func patchArchMatches(entryArch, pkgArch string) bool {
	if entryArch == "" || strings.EqualFold(entryArch, "noarch") {
		return true
	}
	return entryArch == pkgArch || pkgArch == "noarch"
}
