package dnf

import "github.com/patchkit/patchkit/osdetect"

// compatArches returns the package architectures a node of architecture a
// (osdetect's vocabulary) installs, best first, and whether a is known. The
// lists are libsolv's architecture policies (poolarch.c), which dnf uses:
// an x86_64 node takes x86_64 and the 32-bit x86 packages (multilib), an
// aarch64 node only aarch64; "noarch" fits every node.
func compatArches(a string) ([]string, bool) {
	var l []string
	switch a {
	case "x86_64":
		l = []string{"x86_64", "i686", "i586", "i486", "i386"}
	case "i686":
		l = []string{"i686", "i586", "i486", "i386"}
	case "i586":
		l = []string{"i586", "i486", "i386"}
	case "i486":
		l = []string{"i486", "i386"}
	case "i386":
		l = []string{"i386"}
	case "athlon":
		l = []string{"athlon", "i686", "i586", "i486", "i386"}
	case "aarch64":
		l = []string{"aarch64"}
	case "ppc64le":
		l = []string{"ppc64le"}
	case "ppc64":
		l = []string{"ppc64", "ppc"}
	case "s390x":
		l = []string{"s390x", "s390"}
	case "armv7l", "armv7hl", "armv8l":
		// rpm distributions build for the hard-float ABI (armhfp).
		l = []string{"armv7hl", "armv6hl"}
	case "armv6l":
		l = []string{"armv6l", "armv5tejl", "armv5tel", "armv5tl", "armv4tl", "armv4l", "armv3l"}
	case "riscv64":
		l = []string{"riscv64"}
	case "loongarch64":
		l = []string{"loongarch64"}
	case "mips64":
		l = []string{"mips64el"}
	default:
		return nil, false
	}
	return append(l, "noarch"), true
}

// basearch is $basearch for the node: rpm's base architecture ("i386" for
// any x86 32-bit node, "armhfp" for ARMv7).
func basearch(a string) string {
	if b, ok := osdetect.RPMArch(a); ok {
		return b
	}
	return a
}

// upgradeArch reports whether an available package of architecture cand
// can upgrade an installed one of architecture inst: the same
// architecture, or either is noarch (libsolv allows a package to move
// between noarch and an architecture, and nothing else without
// --allow-arch-change).
func upgradeArch(inst, cand string) bool {
	return inst == cand || inst == "noarch" || cand == "noarch"
}
