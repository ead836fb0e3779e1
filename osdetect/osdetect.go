// Package osdetect tells which operating system a root file system or the
// running host is, and maps it to Patch Manager's OperatingSystem and
// PRODUCT values.
//
// Sources, most authoritative first: os-release (etc/os-release, then
// usr/lib/os-release), the distributions' own release files (oracle-release,
// rocky-release, almalinux-release, centos-release, fedora-release,
// redhat-release, system-release), SuSE-release, lsb-release,
// debian_version, the Raspberry Pi image stamp etc/rpi-issue, and macOS's
// System/Library/CoreServices/SystemVersion.plist. On Windows, Detect reads
// the registry.
//
// The most authoritative usable source decides. os-release decides what it
// states; a release file of the same distribution only fills in what
// os-release leaves out (the minor version of CentOS Linux, of Debian, of
// SLES 12). Where the older file says something else (a patch level in a
// deprecated SuSE-release, another major version, another distribution),
// os-release's value stands and the disagreement is listed in
// OS.Conflicts; it is not an error. An os-release that is empty, has no
// ID, is not text, is not a regular file or is too large is passed over for
// the next source, and so is a damaged release file: each is listed in
// OS.Ignored with the reason, and a damaged line of an os-release or
// lsb-release is listed there while the file's other lines still count.
// Without os-release the most specific release file decides by what it
// says, not by its name: AlmaLinux 8.3 shipped a centos-release that names
// AlmaLinux. A release file naming a distribution osdetect has no ID for
// ("Scientific Linux release 7.9") gives an *UnsupportedError. Only when no
// source is usable does detection fail, with the *ParseError of each damaged
// one. Nothing is guessed: a fact no usable source states stays empty.
package osdetect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"

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

	// Sources are the files (or registry key) the facts came from, the
	// deciding one first.
	Sources []string `json:"Sources,omitempty"`

	// Conflicts lists the details on which an older release file disagrees
	// with the file that decided them (SuSE-release's patch level against
	// os-release's VERSION_ID, say). The deciding file's value is the one in
	// OS; the other is not used.
	Conflicts []Conflict `json:"Conflicts,omitempty"`
	// Ignored lists the release files, and lines of them, that could not be
	// used, each with the reason: an empty or damaged file, a line that is
	// not an assignment, a version that is not a number, a file that is not
	// a regular file or is too large. Nothing in OS comes from what is
	// listed here; a damaged line does not stop the rest of its file from
	// being read.
	Ignored []ParseError `json:"Ignored,omitempty"`
}

// Conflict is a detail on which two release files of a root disagree.
type Conflict struct {
	Field string `json:"Field"` // "major version", "minor version" or "distribution"
	// File is the deciding file and Value what it says, the value kept.
	File  string `json:"File"`
	Value string `json:"Value"`
	// OtherAt is the older file and Other what it says, not used.
	OtherAt string `json:"OtherAt"`
	Other   string `json:"Other"`
}

func (c Conflict) String() string {
	return fmt.Sprintf("%s disagrees: %s says %q, %s says %q (%s kept)", c.Field, c.File, c.Value, c.OtherAt, c.Other, c.File)
}

// maxReleaseFile bounds what is read of any release file.
const maxReleaseFile = 64 << 10

// DetectFS identifies the operating system of the root file system fsys
// (an image, a chroot, a fixture directory); it is DetectFSContext without a
// context.
func DetectFS(fsys fs.FS) (OS, error) {
	return DetectFSContext(context.Background(), fsys)
}

// DetectFSContext identifies the operating system of the root file system
// fsys. Symbolic links are resolved inside the root, and only regular files
// are read, each up to 64 KiB: a named pipe or a device where a release file
// should be is passed over like a damaged file, never opened. ctx is checked
// before each file.
//
// The most authoritative usable source decides (see the package
// documentation). A damaged file, or a damaged line of one, that does not
// stop another source from deciding is listed in OS.Ignored, and a detail on
// which an older file disagrees with the deciding one in OS.Conflicts; the
// error is nil then. It returns ErrNoRoot when fsys has no root directory,
// ErrUnknownOS when fsys has no release information, the *ParseError of each
// damaged source (joined when there are several) when nothing usable is
// left, and the identified OS together with an *UnsupportedError for a
// distribution patchkit cannot patch. Errors reading the file system other
// than a missing file (permission denied, a loop of links, ctx's error) are
// returned as they are.
func DetectFSContext(ctx context.Context, fsys fs.FS) (OS, error) {
	if err := ctx.Err(); err != nil {
		return OS{}, err
	}
	if err := checkRoot(fsys); err != nil {
		return OS{}, err
	}
	r := &reader{ctx: ctx, fsys: fsys}
	o, decided, err := r.detect()
	var ue *UnsupportedError
	if err != nil && !errors.As(err, &ue) {
		// The file system failed: no partial answer.
		return OS{}, err
	}
	o.Ignored, o.Conflicts = r.ignored, r.conflicts
	if decided {
		return o, err
	}
	switch len(r.ignored) {
	case 0:
		return o, ErrUnknownOS
	case 1:
		return o, &r.ignored[0]
	}
	errs := make([]error, len(r.ignored))
	for i := range r.ignored {
		errs[i] = &r.ignored[i]
	}
	return o, errors.Join(errs...)
}

// checkRoot tells a root that does not exist from one without release
// information.
func checkRoot(fsys fs.FS) error {
	fi, err := fs.Stat(fsys, ".")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %w", ErrNoRoot, err)
	case err != nil:
		if errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("%w: not a directory: %w", ErrNoRoot, err)
		}
		return fmt.Errorf("osdetect: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("%w: the root is not a directory", ErrNoRoot)
	}
	return nil
}

type reader struct {
	ctx       context.Context
	fsys      fs.FS
	ignored   []ParseError
	conflicts []Conflict
}

// note records a file or line that could not be used.
func (r *reader) note(e ParseError) { r.ignored = append(r.ignored, e) }

func (r *reader) conflict(c Conflict) { r.conflicts = append(r.conflicts, c) }

// read returns a file's content, or nil when it does not exist or cannot be
// used: not a regular file, or too large (noted). Other errors are returned.
func (r *reader) read(name string) ([]byte, error) {
	b, err := rootfs.ReadFileContext(r.ctx, r.fsys, name, maxReleaseFile)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, rootfs.ErrNotRegular), errors.Is(err, rootfs.ErrTooLarge):
		reason := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		}
		r.note(ParseError{File: name, Reason: reason})
		return nil, nil
	}
	return nil, err
}

// osReleaseFiles are os-release's two places, the first one first.
var osReleaseFiles = []string{"etc/os-release", "usr/lib/os-release"}

// detect runs through the sources, the most authoritative first, until one
// decides. decided is false when none did.
func (r *reader) detect() (o OS, decided bool, err error) {
	for _, name := range osReleaseFiles {
		b, err := r.read(name)
		if err != nil {
			return OS{}, false, err
		}
		if b == nil {
			continue
		}
		kv, ok := r.parseKV(name, b)
		if !ok {
			continue
		}
		if kv.vals["ID"] == "" {
			r.note(ParseError{File: name, Reason: "no ID"})
			continue
		}
		o, err := r.fromOSRelease(name, kv)
		return o, true, err
	}
	if o, decided, err := r.fromLegacy(); decided || err != nil {
		return o, decided, err
	}
	b, err := r.read(plistPath)
	if err != nil || b == nil {
		return OS{}, false, err
	}
	o, err = fromSystemVersion(plistPath, b)
	var pe *ParseError
	if errors.As(err, &pe) {
		r.note(*pe)
		return OS{}, false, nil
	}
	return o, true, err
}

// parseKV parses an os-release style file, noting its damaged lines. ok is
// false, and the reason noted, when nothing in it can be used.
func (r *reader) parseKV(name string, b []byte) (kvFile, bool) {
	kv, fatal := parseOSRelease(name, b)
	if fatal != nil {
		r.note(*fatal)
		return kv, false
	}
	r.ignored = append(r.ignored, kv.bad...)
	if len(kv.vals) == 0 && len(kv.bad) == 0 {
		if len(bytes.TrimSpace(b)) == 0 {
			r.note(ParseError{File: name, Reason: "empty"})
		} else {
			r.note(ParseError{File: name, Reason: "no assignments"})
		}
		return kv, false
	}
	return kv, true
}

func (r *reader) fromOSRelease(file string, kv kvFile) (OS, error) {
	v := kv.vals
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
	if o.VersionID != "" {
		if versionLike(o.VersionID) {
			o.Major, o.Minor = splitVersion(o.VersionID)
		} else {
			r.note(kv.problem("VERSION_ID", "VERSION_ID "+quote(o.VersionID)+" is not a version"))
		}
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
// does not. os-release decides what it states: a release file that
// disagrees is recorded as a Conflict, and a damaged one is noted; neither is
// an error. Only an error reading the file system is returned.
func (r *reader) refine(o *OS, osrFile string) error {
	switch o.ID {
	case "rhel", "centos", "ol", "rocky", "almalinux", "fedora", "amzn":
		name := ownReleaseFile[o.ID]
		b, err := r.read(name)
		if err != nil || b == nil {
			return err
		}
		rel, perr := parseReleaseLine(name, b)
		if perr != nil {
			r.note(*perr)
			return nil
		}
		if rel.id != o.ID {
			r.conflict(Conflict{Field: "distribution", File: osrFile, Value: o.ID, OtherAt: name, Other: rel.name})
			return nil
		}
		o.Sources = append(o.Sources, name)
		o.agree(r, osrFile, name, rel.major, rel.minor)
	case "debian", "raspbian":
		const name = "etc/debian_version"
		b, err := r.read(name)
		if err != nil || b == nil {
			return err
		}
		major, minor, codename, perr := parseDebianVersion(b)
		if perr != nil {
			r.note(*perr)
			return nil
		}
		o.Sources = append(o.Sources, name)
		if major == "" {
			if o.Codename == "" {
				o.Codename = codename
			}
			return nil
		}
		o.agree(r, osrFile, name, major, minor)
	case "ubuntu":
		const name = "etc/lsb-release"
		b, err := r.read(name)
		if err != nil || b == nil {
			return err
		}
		kv, ok := r.parseKV(name, b)
		if !ok {
			return nil
		}
		id, release := kv.vals["DISTRIB_ID"], kv.vals["DISTRIB_RELEASE"]
		if id == "" || release == "" {
			return nil
		}
		if !strings.EqualFold(id, "ubuntu") {
			r.conflict(Conflict{Field: "distribution", File: osrFile, Value: o.ID, OtherAt: name, Other: id})
			return nil
		}
		if !versionLike(release) {
			r.note(kv.problem("DISTRIB_RELEASE", "DISTRIB_RELEASE "+quote(release)+" is not a version"))
			return nil
		}
		o.Sources = append(o.Sources, name)
		if o.Codename == "" {
			o.Codename = kv.vals["DISTRIB_CODENAME"]
		}
		major, minor := splitVersion(release)
		o.agree(r, osrFile, name, major, minor)
	case "sles", "sled", "opensuse", "opensuse-leap":
		const name = "etc/SuSE-release"
		b, err := r.read(name)
		if err != nil || b == nil {
			return err
		}
		s, bad, perr := parseSuSERelease(name, b)
		r.ignored = append(r.ignored, bad...)
		if perr != nil {
			r.note(*perr)
			return nil
		}
		if s.id != suseFamily(o.ID) {
			r.conflict(Conflict{Field: "distribution", File: osrFile, Value: o.ID, OtherAt: name, Other: s.description})
			return nil
		}
		o.Sources = append(o.Sources, name)
		o.agree(r, osrFile, name, s.major, s.minor)
	}
	return nil
}

// suseFamily maps os-release IDs to what SuSE-release's first line names.
func suseFamily(id string) string {
	if id == "opensuse-leap" {
		return "opensuse"
	}
	return id
}

// agree merges an older release file's version into o. os-release decides:
// what it lacks is taken from the file; where both speak and differ, the
// difference is recorded in r's conflicts and os-release's value is kept.
// A minor version is taken only from a file that agrees on the major one.
func (o *OS) agree(r *reader, osrFile, file, major, minor string) {
	if o.Major == "" {
		o.Major, o.Minor = major, minor
		return
	}
	if major != o.Major {
		r.conflict(Conflict{Field: "major version", File: osrFile, Value: o.Major, OtherAt: file, Other: major})
		return
	}
	switch {
	case minor == "":
	case o.Minor == "":
		o.Minor = minor
	case trimZeros(minor) != trimZeros(o.Minor):
		r.conflict(Conflict{Field: "minor version", File: osrFile, Value: o.Minor, OtherAt: file, Other: minor})
	}
}

// parseDebianVersion reads etc/debian_version: "12.5" for a release (Debian
// 4 to 6 wrote three numbers, "6.0.10"), or "trixie/sid" for testing and
// unstable, which have no number.
func parseDebianVersion(b []byte) (major, minor, codename string, err *ParseError) {
	dv := strings.TrimSpace(string(b))
	if versionLike(dv) && !strings.Contains(dv, "..") && !strings.HasSuffix(dv, ".") {
		major, minor = splitVersion(dv)
		return major, minor, "", nil
	}
	if strings.Contains(dv, "/") && !strings.ContainsAny(dv, " \t\n") {
		codename, _, _ = strings.Cut(dv, "/")
		return "", "", codename, nil
	}
	line, _, _ := strings.Cut(dv, "\n")
	return "", "", "", &ParseError{File: "etc/debian_version", Line: 1, Text: line, Reason: "not a Debian version"}
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
