package osdetect

// Architectures.
//
// OS.Arch speaks one vocabulary on every platform: the machine names of
// the Linux kernel (uname -m), which rpm also uses for packages: "x86_64",
// "aarch64", "i686", "armv7l", "ppc64le", "s390x", "riscv64",
// "loongarch64". Detect maps what each platform reports into it (Windows'
// PROCESSOR_ARCHITECTURE "AMD64" becomes "x86_64", macOS's "arm64" becomes
// "aarch64"). DebianArch and RPMArch give the package managers' names for
// it; ArchFromDebian and ArchFromRPM go the other way.
//
// Offline, DetectFS cannot know the architecture from release files; the
// installed inventory tells it (scan reads it from dpkg's own package or
// the rpm database), and callers pass it on explicitly: patchkit never
// falls back to the architecture of the machine it runs on.

// NormalizeArch maps a platform's name for an architecture to OS.Arch's
// vocabulary. Unknown names are returned unchanged.
func NormalizeArch(s string) string {
	switch s {
	case "AMD64", "amd64", "x64", "X64":
		return "x86_64"
	case "ARM64", "arm64":
		return "aarch64"
	case "x86", "X86", "386":
		return "i686"
	case "ARM", "arm":
		return "armv7l"
	case "IA64":
		return "ia64"
	case "loong64":
		return "loongarch64"
	}
	return s
}

// DebianArch returns dpkg's name for the architecture a ("x86_64" is
// "amd64"), and false when Debian has no port for it.
func DebianArch(a string) (string, bool) {
	switch NormalizeArch(a) {
	case "x86_64":
		return "amd64", true
	case "aarch64":
		return "arm64", true
	case "i386", "i486", "i586", "i686":
		return "i386", true
	case "armv7l", "armv8l":
		return "armhf", true
	case "armv5tel", "armv6l":
		return "armel", true
	case "ppc64le":
		return "ppc64el", true
	case "ppc64":
		return "ppc64", true
	case "s390x":
		return "s390x", true
	case "riscv64":
		return "riscv64", true
	case "mips64":
		return "mips64el", true
	case "loongarch64":
		return "loong64", true
	}
	return "", false
}

// ArchFromDebian returns OS.Arch's name for dpkg's architecture d ("amd64"
// is "x86_64"), and false for a name it does not know, including "all".
func ArchFromDebian(d string) (string, bool) {
	switch d {
	case "amd64":
		return "x86_64", true
	case "arm64":
		return "aarch64", true
	case "i386":
		return "i686", true
	case "armhf":
		return "armv7l", true
	case "armel":
		return "armv6l", true
	case "ppc64el":
		return "ppc64le", true
	case "ppc64":
		return "ppc64", true
	case "s390x":
		return "s390x", true
	case "riscv64":
		return "riscv64", true
	case "mips64el":
		return "mips64", true
	case "loong64":
		return "loongarch64", true
	}
	return "", false
}

// RPMArch returns rpm's base architecture for a, the name dnf's $basearch
// and repository paths use ("i686" is "i386", "armv7l" is "armhfp"), and
// false for an architecture rpm distributions do not ship.
func RPMArch(a string) (string, bool) {
	switch a = NormalizeArch(a); a {
	case "x86_64", "aarch64", "ppc64le", "s390x", "riscv64", "ppc64", "loongarch64":
		return a, true
	case "i386", "i486", "i586", "i686", "athlon":
		return "i386", true
	case "armv7l", "armv7hl", "armv8l":
		return "armhfp", true
	}
	return "", false
}

// ArchFromRPM returns OS.Arch's name for an rpm package or base
// architecture ("i386", "i686", "armv7hl", "x86_64"), and false for one
// that names no machine ("noarch", "src") or that it does not know.
func ArchFromRPM(r string) (string, bool) {
	switch r {
	case "x86_64", "aarch64", "ppc64le", "s390x", "riscv64", "ppc64", "loongarch64":
		return r, true
	case "i386", "i486", "i586", "i686", "athlon":
		return "i686", true
	case "armv7l", "armv7hl", "armhfp", "armv7hnl":
		return "armv7l", true
	}
	return "", false
}
