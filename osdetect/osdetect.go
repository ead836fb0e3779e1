// Package osdetect tells which operating system a root file system or the
// running host is, and maps it to Patch Manager's OperatingSystem and
// PRODUCT values.
//
// Sources, most specific first: os-release (etc/os-release, then
// usr/lib/os-release), the distributions' own release files (oracle-release,
// rocky-release, almalinux-release, centos-release, fedora-release,
// redhat-release, system-release, SuSE-release), lsb-release, debian_version,
// the Raspberry Pi image stamp etc/rpi-issue, and macOS's
// System/Library/CoreServices/SystemVersion.plist. On Windows, Detect reads
// the registry.
//
// os-release decides the distribution when it exists; a release file of the
// same distribution adds what os-release leaves out (the minor version of
// CentOS Linux, of Debian, of SLES) and must agree with it, or detection fails
// with a *ConflictError. Without os-release the most specific release file
// decides by what it says, not by its name: AlmaLinux 8.3 shipped a
// centos-release that names AlmaLinux. Damaged files give a *ParseError with
// the file and line; nothing is guessed.
package osdetect

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/rootfs"
)

// Family groups distributions that share packaging and advisories.
type Family string

// Families.
const (
	FamilyDebian  Family = "debian"  // Debian, Ubuntu, Raspberry Pi OS
	FamilyRHEL    Family = "rhel"    // RHEL, CentOS, Oracle, Rocky, Alma, Fedora
	FamilySUSE    Family = "suse"    // SLES, openSUSE
	FamilyAmazon  Family = "amazon"  // Amazon Linux 1, 2, 2022, 2023
	FamilyWindows Family = "windows" // Windows
	FamilyMacOS   Family = "macos"   // macOS
)

// PackageManager is the tool that installs updates on the OS.
type PackageManager string

// Package managers.
const (
	APT            PackageManager = "apt"
	DNF            PackageManager = "dnf"
	YUM            PackageManager = "yum"
	Zypper         PackageManager = "zypper"
	WindowsUpdate  PackageManager = "windows-update"
	SoftwareUpdate PackageManager = "softwareupdate"
)

// OS is what osdetect knows about an operating system. Fields it could not
// learn are empty; nothing is filled in by guessing.
type OS struct {
	// ID is the os-release ID ("rhel", "centos", "ol", "rocky", "almalinux",
	// "fedora", "amzn", "sles", "opensuse-leap", "debian", "ubuntu",
	// "raspbian", ...), or "macos" and "windows".
	ID     string   `json:"ID"`
	IDLike []string `json:"IDLike,omitempty"`
	Name   string   `json:"Name,omitempty"`
	// PrettyName is a human-readable name with the version.
	PrettyName string `json:"PrettyName,omitempty"`
	Version    string `json:"Version,omitempty"`
	VersionID  string `json:"VersionID,omitempty"`
	// Major and Minor are the version numbers as written ("22" and "04" for
	// Ubuntu 22.04); Minor is empty when no source gives it.
	Major    string `json:"Major,omitempty"`
	Minor    string `json:"Minor,omitempty"`
	Codename string `json:"Codename,omitempty"`
	// Stream is set for CentOS Stream, which shares the ID "centos" with
	// CentOS Linux.
	Stream bool `json:"Stream,omitempty"`
	// Build is the macOS build ("20E214") or the Windows build ("20348.2340").
	Build string `json:"Build,omitempty"`
	// Variant is os-release's VARIANT, or Windows' installation type
	// ("Server", "Server Core", "Client").
	Variant string `json:"Variant,omitempty"`

	Family         Family         `json:"Family,omitempty"`
	PackageManager PackageManager `json:"PackageManager,omitempty"`

	// Arch and KernelRelease are set by Detect for the running host. Arch
	// uses the kernel's machine names on every platform ("x86_64",
	// "aarch64"; see NormalizeArch, DebianArch and RPMArch).
	Arch          string `json:"Arch,omitempty"`
	KernelRelease string `json:"KernelRelease,omitempty"`

	// Sources are the files (or registry key) the facts came from.
	Sources []string `json:"Sources,omitempty"`
}

// maxReleaseFile bounds what is read of any release file.
const maxReleaseFile = 64 << 10

// DetectFS identifies the operating system of the root file system fsys
// (an image, a chroot, a fixture directory). Symbolic links are resolved
// inside the root. It returns ErrUnknownOS when fsys has no release
// information, a *ParseError for a damaged file, a *ConflictError when two
// files disagree, and the identified OS together with an *UnsupportedError
// for a distribution patchkit cannot patch.
func DetectFS(fsys fs.FS) (OS, error) {
	r := reader{fsys: fsys}
	o, err := r.detect()
	if err != nil {
		return o, err
	}
	return o, nil
}

type reader struct {
	fsys fs.FS
}

// read returns a file's content, nil when it does not exist.
func (r reader) read(name string) ([]byte, error) {
	b, err := rootfs.ReadFile(r.fsys, name, maxReleaseFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

func (r reader) detect() (OS, error) {
	for _, name := range []string{"etc/os-release", "usr/lib/os-release"} {
		b, err := r.read(name)
		if err != nil {
			return OS{}, err
		}
		if b == nil {
			continue
		}
		vars, err := parseOSRelease(name, b)
		if err != nil {
			return OS{}, err
		}
		return r.fromOSRelease(name, vars)
	}
	if o, ok, err := r.fromLegacy(); ok || err != nil {
		return o, err
	}
	b, err := r.read(plistPath)
	if err != nil {
		return OS{}, err
	}
	if b != nil {
		return fromSystemVersion(plistPath, b)
	}
	return OS{}, ErrUnknownOS
}

func (r reader) fromOSRelease(file string, v map[string]string) (OS, error) {
	o := OS{
		ID:         strings.ToLower(v["ID"]),
		Name:       v["NAME"],
		PrettyName: v["PRETTY_NAME"],
		Version:    v["VERSION"],
		VersionID:  v["VERSION_ID"],
		Codename:   v["VERSION_CODENAME"],
		Variant:    v["VARIANT"],
		Sources:    []string{file},
	}
	if like := strings.Fields(strings.ToLower(v["ID_LIKE"])); len(like) > 0 {
		o.IDLike = like
	}
	if o.ID == "" {
		return o, &ParseError{File: file, Reason: "no ID"}
	}
	if o.VersionID != "" {
		if !versionLike(o.VersionID) {
			return o, &ParseError{File: file, Reason: "VERSION_ID " + quote(o.VersionID) + " is not a version"}
		}
		o.Major, o.Minor = splitVersion(o.VersionID)
	}
	if o.ID == "centos" && strings.Contains(o.Name, "Stream") {
		o.Stream = true
	}
	if o.ID == "debian" {
		// 64-bit Raspberry Pi OS keeps Debian's os-release; the image stamp
		// tells it apart.
		ok, err := rootfs.Exists(r.fsys, "etc/rpi-issue")
		if err != nil {
			return o, err
		}
		if ok {
			o.ID = "raspbian"
			o.Sources = append(o.Sources, "etc/rpi-issue")
		}
	}
	if err := r.refine(&o, file); err != nil {
		return o, err
	}
	return finish(o, file)
}

// refine adds what the distribution's own release file knows and os-release
// does not, and checks that the two agree.
func (r reader) refine(o *OS, osrFile string) error {
	switch o.ID {
	case "rhel", "centos", "ol", "rocky", "almalinux", "fedora", "amzn":
		name := ownReleaseFile[o.ID]
		b, err := r.read(name)
		if err != nil || b == nil {
			return err
		}
		rel, err := parseReleaseLine(name, b)
		if err != nil {
			return err
		}
		if rel.id != o.ID {
			// A compatibility copy naming another distribution.
			return nil
		}
		o.Sources = append(o.Sources, name)
		return o.agree(osrFile, name, rel.major, rel.minor)
	case "debian", "raspbian":
		b, err := r.read("etc/debian_version")
		if err != nil || b == nil {
			return err
		}
		major, minor, codename, err := parseDebianVersion(b)
		if err != nil {
			return err
		}
		o.Sources = append(o.Sources, "etc/debian_version")
		if major == "" {
			if o.Codename == "" {
				o.Codename = codename
			}
			return nil
		}
		return o.agree(osrFile, "etc/debian_version", major, minor)
	case "ubuntu":
		b, err := r.read("etc/lsb-release")
		if err != nil || b == nil {
			return err
		}
		vars, err := parseOSRelease("etc/lsb-release", b)
		if err != nil {
			return err
		}
		if vars["DISTRIB_ID"] != "Ubuntu" || vars["DISTRIB_RELEASE"] == "" {
			return nil
		}
		o.Sources = append(o.Sources, "etc/lsb-release")
		if o.Codename == "" {
			o.Codename = vars["DISTRIB_CODENAME"]
		}
		major, minor := splitVersion(vars["DISTRIB_RELEASE"])
		return o.agree(osrFile, "etc/lsb-release", major, minor)
	case "sles", "sled", "opensuse", "opensuse-leap":
		b, err := r.read("etc/SuSE-release")
		if err != nil || b == nil {
			return err
		}
		s, err := parseSuSERelease("etc/SuSE-release", b)
		if err != nil {
			return err
		}
		o.Sources = append(o.Sources, "etc/SuSE-release")
		return o.agree(osrFile, "etc/SuSE-release", s.major, s.minor)
	}
	return nil
}

// agree merges a release file's version into o: the major versions must be
// equal, and so must the minor versions when both files give one.
func (o *OS) agree(osrFile, file, major, minor string) error {
	if o.Major == "" {
		o.Major, o.Minor = major, minor
		return nil
	}
	if major != o.Major {
		return &ConflictError{Field: "major version", File: osrFile, Value: o.Major, Other: major, OtherAt: file}
	}
	switch {
	case minor == "":
	case o.Minor == "":
		o.Minor = minor
	case trimZeros(minor) != trimZeros(o.Minor):
		return &ConflictError{Field: "minor version", File: osrFile, Value: o.Minor, Other: minor, OtherAt: file}
	}
	return nil
}

// parseDebianVersion reads etc/debian_version: "12.5" for a release, or
// "trixie/sid" for testing and unstable, which have no number.
func parseDebianVersion(b []byte) (major, minor, codename string, err error) {
	dv := strings.TrimSpace(string(b))
	major, minor, _ = strings.Cut(dv, ".")
	switch {
	case isNumber(major) && (minor == "" || isNumber(minor)):
		return major, minor, "", nil
	case strings.Contains(dv, "/") && !strings.ContainsAny(dv, " \t"):
		codename, _, _ = strings.Cut(dv, "/")
		return "", "", codename, nil
	}
	return "", "", "", &ParseError{File: "etc/debian_version", Line: 1, Text: dv, Reason: "not a Debian version"}
}

// ownReleaseFile is the release file each distribution ships under its own
// name.
var ownReleaseFile = map[string]string{
	"rhel":      "etc/redhat-release",
	"centos":    "etc/centos-release",
	"ol":        "etc/oracle-release",
	"rocky":     "etc/rocky-release",
	"almalinux": "etc/almalinux-release",
	"fedora":    "etc/fedora-release",
	"amzn":      "etc/system-release",
}

// finish sets the family and package manager from the ID and version.
func finish(o OS, file string) (OS, error) {
	major := atoi(o.Major)
	switch o.ID {
	case "debian", "ubuntu", "raspbian":
		o.Family, o.PackageManager = FamilyDebian, APT
	case "rhel", "centos", "ol", "rocky", "almalinux":
		o.Family = FamilyRHEL
		o.PackageManager = YUM
		if major >= 8 {
			o.PackageManager = DNF
		}
	case "fedora":
		o.Family = FamilyRHEL
		o.PackageManager = YUM
		if major >= 22 {
			o.PackageManager = DNF
		}
	case "amzn":
		o.Family = FamilyAmazon
		o.PackageManager = YUM
		if major == 2022 || major == 2023 {
			o.PackageManager = DNF
		}
	case "sles", "sled", "opensuse", "opensuse-leap", "opensuse-tumbleweed", "opensuse-microos", "sle-micro":
		o.Family, o.PackageManager = FamilySUSE, Zypper
	case "macos":
		o.Family, o.PackageManager = FamilyMacOS, SoftwareUpdate
	case "windows":
		o.Family, o.PackageManager = FamilyWindows, WindowsUpdate
	default:
		name := o.PrettyName
		if name == "" {
			name = o.Name
		}
		return o, &UnsupportedError{ID: o.ID, Name: name, File: file}
	}
	return o, nil
}

func versionLike(s string) bool {
	if s == "" || !isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && c != '.' {
			return false
		}
	}
	return true
}

// splitVersion returns the first two dot-separated components of v.
func splitVersion(v string) (major, minor string) {
	major, rest, _ := strings.Cut(v, ".")
	minor, _, _ = strings.Cut(rest, ".")
	return major, minor
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 9; i++ {
		if !isDigit(s[i]) {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" && s != "" {
		return "0"
	}
	return t
}

func quote(s string) string { return `"` + s + `"` }

// OperatingSystem returns the Patch Manager OperatingSystem, or "" when
// Patch Manager has no value for this system (Fedora, openSUSE, Debian
// testing is still DEBIAN).
func (o OS) OperatingSystem() patchkit.OperatingSystem {
	switch o.ID {
	case "amzn":
		switch {
		case o.Major == "2":
			return patchkit.OSAmazonLinux2
		case o.Major == "2022":
			return patchkit.OSAmazonLinux2022
		case o.Major == "2023":
			return patchkit.OSAmazonLinux2023
		case o.Minor != "" && atoi(o.Major) >= 2011 && atoi(o.Major) <= 2018:
			return patchkit.OSAmazonLinux
		}
	case "rhel":
		return patchkit.OSRedhatEnterpriseLinux
	case "centos":
		return patchkit.OSCentOS
	case "ol":
		return patchkit.OSOracleLinux
	case "rocky":
		return patchkit.OSRockyLinux
	case "almalinux":
		return patchkit.OSAlmaLinux
	case "sles":
		return patchkit.OSSUSE
	case "debian":
		return patchkit.OSDebian
	case "ubuntu":
		return patchkit.OSUbuntu
	case "raspbian":
		return patchkit.OSRaspbian
	case "macos":
		return patchkit.OSMacOS
	case "windows":
		return patchkit.OSWindows
	}
	return ""
}

// Product returns the Patch Manager PRODUCT value for the system, or "" when
// the version needed for it is unknown or Patch Manager has no product for
// the system.
//
// Spellings confirmed by AWS sources (API model, documentation, service
// error messages quoted in public issues): AmazonLinux2012.03 to
// AmazonLinux2018.03, AmazonLinux2, RedhatEnterpriseLinuxM.N, CentOSM.N,
// SuseM.N, UbuntuYY.MM, DebianM, AlmaLinuxM.N, WindowsServer2012,
// WindowsServer2012R2, WindowsServer2016, WindowsServer2019. Spellings no
// source confirms, built on the same pattern: AmazonLinux2022,
// AmazonLinux2023, CentOSStreamM, OracleLinuxM.N, RockyLinuxM.N, RaspbianM,
// MacOSM.N, WindowsServer2022, WindowsServer2025.
func (o OS) Product() string {
	mm := func() string {
		if o.Major == "" || o.Minor == "" {
			return ""
		}
		return o.Major + "." + o.Minor
	}
	prefix := func(p, v string) string {
		if v == "" {
			return ""
		}
		return p + v
	}
	switch o.OperatingSystem() {
	case patchkit.OSAmazonLinux:
		return prefix("AmazonLinux", mm())
	case patchkit.OSAmazonLinux2:
		return "AmazonLinux2"
	case patchkit.OSAmazonLinux2022:
		return "AmazonLinux2022"
	case patchkit.OSAmazonLinux2023:
		return "AmazonLinux2023"
	case patchkit.OSRedhatEnterpriseLinux:
		return prefix("RedhatEnterpriseLinux", mm())
	case patchkit.OSCentOS:
		if o.Stream {
			return prefix("CentOSStream", o.Major)
		}
		return prefix("CentOS", mm())
	case patchkit.OSOracleLinux:
		return prefix("OracleLinux", mm())
	case patchkit.OSRockyLinux:
		return prefix("RockyLinux", mm())
	case patchkit.OSAlmaLinux:
		return prefix("AlmaLinux", mm())
	case patchkit.OSSUSE:
		if o.Major != "" && o.Minor == "" {
			// SLES 12 and 15 without a service pack: patch level 0.
			return "Suse" + o.Major + ".0"
		}
		return prefix("Suse", mm())
	case patchkit.OSUbuntu:
		return prefix("Ubuntu", mm())
	case patchkit.OSDebian:
		return prefix("Debian", o.Major)
	case patchkit.OSRaspbian:
		return prefix("Raspbian", o.Major)
	case patchkit.OSMacOS:
		return prefix("MacOS", mm())
	case patchkit.OSWindows:
		return windowsProduct(o)
	}
	return ""
}
