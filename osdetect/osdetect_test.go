package osdetect

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
)

const fixtures = "../testdata/osdetect"

// want is what DetectFS must say about a fixture root.
type want struct {
	id, major, minor string
	pm               PackageManager
	os               patchkit.OperatingSystem
	product          string
	stream           bool
	codename         string
	err              string // "parse", "unsupported" or ""
	// conflicts are the fields of OS.Conflicts, ignored "file:line: reason"
	// of OS.Ignored; both must be empty when not given.
	conflicts []string
	ignored   []string
}

// expected lists every fixture directory of testdata/osdetect. The values
// are the facts of each release as its vendor publishes them.
var expected = map[string]want{
	"almalinux-10.0":           {id: "almalinux", major: "10", minor: "0", pm: DNF, os: patchkit.OSAlmaLinux, product: "AlmaLinux10.0"},
	"almalinux-10.0-alt":       {id: "almalinux", major: "10", minor: "0", pm: DNF, os: patchkit.OSAlmaLinux, product: "AlmaLinux10.0"},
	"almalinux-8.3-beta":       {id: "almalinux", major: "8", minor: "3", pm: DNF, os: patchkit.OSAlmaLinux, product: "AlmaLinux8.3"},
	"almalinux-8.4":            {id: "almalinux", major: "8", minor: "4", pm: DNF, os: patchkit.OSAlmaLinux, product: "AlmaLinux8.4", codename: "Electric Cheetah"},
	"almalinux-9.1":            {id: "almalinux", major: "9", minor: "1", pm: DNF, os: patchkit.OSAlmaLinux, product: "AlmaLinux9.1"},
	"almalinux-9.4":            {id: "almalinux", major: "9", minor: "4", pm: DNF, os: patchkit.OSAlmaLinux, product: "AlmaLinux9.4"},
	"alpine-3.23":              {id: "alpine", major: "3", minor: "23", err: "unsupported"},
	"amzn-2":                   {id: "amzn", major: "2", pm: YUM, os: patchkit.OSAmazonLinux2, product: "AmazonLinux2"},
	"amzn-2016.03":             {id: "amzn", major: "2016", minor: "03", pm: YUM, os: patchkit.OSAmazonLinux, product: "AmazonLinux2016.03"},
	"amzn-2017.03":             {id: "amzn", major: "2017", minor: "03", pm: YUM, os: patchkit.OSAmazonLinux, product: "AmazonLinux2017.03"},
	"amzn-2018.03":             {id: "amzn", major: "2018", minor: "03", pm: YUM, os: patchkit.OSAmazonLinux, product: "AmazonLinux2018.03"},
	"amzn-2023":                {id: "amzn", major: "2023", pm: DNF, os: patchkit.OSAmazonLinux2023, product: "AmazonLinux2023"},
	"centos-6.7":               {id: "centos", major: "6", minor: "7", pm: YUM, os: patchkit.OSCentOS, product: "CentOS6.7"},
	"centos-6.9":               {id: "centos", major: "6", minor: "9", pm: YUM, os: patchkit.OSCentOS, product: "CentOS6.9"},
	"centos-7":                 {id: "centos", major: "7", minor: "6", pm: YUM, os: patchkit.OSCentOS, product: "CentOS7.6"},
	"centos-8.1":               {id: "centos", major: "8", minor: "1", pm: DNF, os: patchkit.OSCentOS, product: "CentOS8.1"},
	"centos-stream-8":          {id: "centos", major: "8", pm: DNF, os: patchkit.OSCentOS, product: "CentOSStream8", stream: true},
	"centos-stream-9":          {id: "centos", major: "9", pm: DNF, os: patchkit.OSCentOS, product: "CentOSStream9", stream: true},
	"debian-8":                 {id: "debian", major: "8", pm: APT, os: patchkit.OSDebian, product: "Debian8"},
	"debian-9":                 {id: "debian", major: "9", pm: APT, os: patchkit.OSDebian, product: "Debian9", codename: "stretch"},
	"debian-10":                {id: "debian", major: "10", pm: APT, os: patchkit.OSDebian, product: "Debian10", codename: "buster"},
	"debian-11":                {id: "debian", major: "11", minor: "11", pm: APT, os: patchkit.OSDebian, product: "Debian11", codename: "bullseye"},
	"debian-12":                {id: "debian", major: "12", minor: "15", pm: APT, os: patchkit.OSDebian, product: "Debian12", codename: "bookworm"},
	"debian-13":                {id: "debian", major: "13", minor: "7", pm: APT, os: patchkit.OSDebian, product: "Debian13", codename: "trixie"},
	"fedora-31":                {id: "fedora", major: "31", pm: DNF},
	"fedora-37":                {id: "fedora", major: "37", pm: DNF},
	"fedora-42":                {id: "fedora", major: "42", pm: DNF},
	"macos-10.12":              {id: "macos", major: "10", minor: "12", pm: SoftwareUpdate, os: patchkit.OSMacOS, product: "MacOS10.12"},
	"macos-10.15":              {id: "macos", major: "10", minor: "15", pm: SoftwareUpdate, os: patchkit.OSMacOS, product: "MacOS10.15"},
	"macos-11.3":               {id: "macos", major: "11", minor: "3", pm: SoftwareUpdate, os: patchkit.OSMacOS, product: "MacOS11.3"},
	"macos-12.3-beta":          {id: "macos", major: "12", minor: "3", pm: SoftwareUpdate, os: patchkit.OSMacOS, product: "MacOS12.3"},
	"odd-arch":                 {id: "arch", err: "unsupported"},
	"odd-debian-buster-sid":    {id: "debian", pm: APT, os: patchkit.OSDebian, codename: "buster"},
	"odd-debian-forky-sid":     {id: "debian", pm: APT, os: patchkit.OSDebian, codename: "forky"},
	"odd-debian-stretch-sid":   {id: "debian", pm: APT, os: patchkit.OSDebian},
	"odd-distroless-debian12":  {id: "debian", major: "12", pm: APT, os: patchkit.OSDebian, product: "Debian12"},
	"odd-manjaro":              {id: "manjaro", err: "unsupported"},
	"odd-opensuse-tumbleweed":  {id: "opensuse-tumbleweed", major: "20230304", pm: Zypper},
	"odd-sles-12-sp1-mismatch": {id: "sles", major: "12", minor: "1", pm: Zypper, os: patchkit.OSSUSE, product: "Suse12.1", conflicts: []string{"minor version"}},
	"odd-sles-12-sp3-damaged-suse-release": {id: "sles", major: "12", minor: "3", pm: Zypper, os: patchkit.OSSUSE, product: "Suse12.3",
		ignored: []string{"etc/SuSE-release:0: no VERSION"}},
	"odd-amzn-2-empty-os-release": {id: "amzn", major: "2", pm: YUM, os: patchkit.OSAmazonLinux2, product: "AmazonLinux2", codename: "Karoo",
		ignored: []string{"etc/os-release:0: empty"}},
	"odd-ubuntu-10.04-lsb-unterminated": {id: "ubuntu", major: "10", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu10.04", codename: "lucid",
		ignored: []string{"etc/lsb-release:4: unterminated double quote"}},
	"odd-empty-os-release": {err: "parse", ignored: []string{"etc/os-release:0: empty"}},
	"odd-scientific-7.9":   {major: "7", minor: "9", err: "unsupported", codename: "Nitrogen"},
	"sles-11.3":            {id: "sles", major: "11", minor: "3", pm: Zypper, os: patchkit.OSSUSE, product: "Suse11.3"},
	"debian-6":             {id: "debian", major: "6", minor: "0", pm: APT, os: patchkit.OSDebian, product: "Debian6"},
	"odd-void":             {id: "void", err: "unsupported"},
	"ol-6.10":              {id: "ol", major: "6", minor: "10", pm: YUM, os: patchkit.OSOracleLinux, product: "OracleLinux6.10"},
	"ol-7.7":               {id: "ol", major: "7", minor: "7", pm: YUM, os: patchkit.OSOracleLinux, product: "OracleLinux7.7"},
	"ol-7.9":               {id: "ol", major: "7", minor: "9", pm: YUM, os: patchkit.OSOracleLinux, product: "OracleLinux7.9"},
	"ol-8.0":               {id: "ol", major: "8", minor: "0", pm: DNF, os: patchkit.OSOracleLinux, product: "OracleLinux8.0"},
	"ol-8.10":              {id: "ol", major: "8", minor: "10", pm: DNF, os: patchkit.OSOracleLinux, product: "OracleLinux8.10"},
	"ol-9.2":               {id: "ol", major: "9", minor: "2", pm: DNF, os: patchkit.OSOracleLinux, product: "OracleLinux9.2"},
	"opensuse-leap-15.1":   {id: "opensuse-leap", major: "15", minor: "1", pm: Zypper},
	"opensuse-leap-15.4":   {id: "opensuse-leap", major: "15", minor: "4", pm: Zypper},
	"opensuse-leap-42.1":   {id: "opensuse", major: "42", minor: "1", pm: Zypper},
	"opensuse-leap-42.3":   {id: "opensuse", major: "42", minor: "3", pm: Zypper},
	"raspbian-10":          {id: "raspbian", major: "10", pm: APT, os: patchkit.OSRaspbian, product: "Raspbian10", codename: "buster"},
	"raspbian-2017-07-05":  {id: "raspbian", pm: APT, os: patchkit.OSRaspbian},
	"rhel-6.7":             {id: "rhel", major: "6", minor: "7", pm: YUM, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux6.7", codename: "Santiago"},
	"rhel-7.2":             {id: "rhel", major: "7", minor: "2", pm: YUM, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux7.2"},
	"rhel-7.6":             {id: "rhel", major: "7", minor: "6", pm: YUM, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux7.6"},
	"rhel-7.7":             {id: "rhel", major: "7", minor: "7", pm: YUM, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux7.7"},
	"rhel-8.0":             {id: "rhel", major: "8", minor: "0", pm: DNF, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux8.0"},
	"rhel-8.7":             {id: "rhel", major: "8", minor: "7", pm: DNF, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux8.7"},
	"rhel-9.0":             {id: "rhel", major: "9", minor: "0", pm: DNF, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux9.0"},
	"rhel-9.4":             {id: "rhel", major: "9", minor: "4", pm: DNF, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux9.4"},
	"rhel-9.6":             {id: "rhel", major: "9", minor: "6", pm: DNF, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux9.6"},
	"rhel-10.0":            {id: "rhel", major: "10", minor: "0", pm: DNF, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux10.0"},
	"rhel-10.0-alt":        {id: "rhel", major: "10", minor: "0", pm: DNF, os: patchkit.OSRedhatEnterpriseLinux, product: "RedhatEnterpriseLinux10.0"},
	"rocky-8.3":            {id: "rocky", major: "8", minor: "3", pm: DNF, os: patchkit.OSRockyLinux, product: "RockyLinux8.3"},
	"rocky-9.0":            {id: "rocky", major: "9", minor: "0", pm: DNF, os: patchkit.OSRockyLinux, product: "RockyLinux9.0"},
	"rocky-9.3":            {id: "rocky", major: "9", minor: "3", pm: DNF, os: patchkit.OSRockyLinux, product: "RockyLinux9.3"},
	"sles-12":              {id: "sles", major: "12", minor: "0", pm: Zypper, os: patchkit.OSSUSE, product: "Suse12.0"},
	"sles-15.3":            {id: "sles", major: "15", minor: "3", pm: Zypper, os: patchkit.OSSUSE, product: "Suse15.3"},
	"sles-15.5":            {id: "sles", major: "15", minor: "5", pm: Zypper, os: patchkit.OSSUSE, product: "Suse15.5"},
	"sles-15.6":            {id: "sles", major: "15", minor: "6", pm: Zypper, os: patchkit.OSSUSE, product: "Suse15.6"},
	"ubuntu-14.04":         {id: "ubuntu", major: "14", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu14.04", codename: "trusty"},
	"ubuntu-14.04.6":       {id: "ubuntu", major: "14", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu14.04", codename: "trusty"},
	"ubuntu-16.04":         {id: "ubuntu", major: "16", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu16.04", codename: "xenial"},
	"ubuntu-16.04.7":       {id: "ubuntu", major: "16", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu16.04", codename: "xenial"},
	"ubuntu-18.04":         {id: "ubuntu", major: "18", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu18.04", codename: "bionic"},
	"ubuntu-18.04.6":       {id: "ubuntu", major: "18", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu18.04", codename: "bionic"},
	"ubuntu-20.04":         {id: "ubuntu", major: "20", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu20.04", codename: "focal"},
	"ubuntu-20.04.6":       {id: "ubuntu", major: "20", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu20.04", codename: "focal"},
	"ubuntu-22.04":         {id: "ubuntu", major: "22", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu22.04", codename: "jammy"},
	"ubuntu-22.04.5":       {id: "ubuntu", major: "22", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu22.04", codename: "jammy"},
	"ubuntu-24.04":         {id: "ubuntu", major: "24", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu24.04", codename: "noble"},
	"ubuntu-24.04.5":       {id: "ubuntu", major: "24", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu24.04", codename: "noble"},
	"ubuntu-25.04":         {id: "ubuntu", major: "25", minor: "04", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu25.04", codename: "plucky"},
	"ubuntu-25.10":         {id: "ubuntu", major: "25", minor: "10", pm: APT, os: patchkit.OSUbuntu, product: "Ubuntu25.10", codename: "questing"},
}

func TestDetectFSFixtures(t *testing.T) {
	entries, err := os.ReadDir(fixtures)
	require.NoError(t, err)
	seen := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		seen++
		name := e.Name()
		w, ok := expected[name]
		if !assert.True(t, ok, "fixture %s has no expectation", name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			o, err := DetectFS(os.DirFS(filepath.Join(fixtures, name)))
			assert.Equal(t, w.conflicts, conflictFields(o), "Conflicts")
			assert.Equal(t, w.ignored, ignoredLines(o), "Ignored")
			switch w.err {
			case "parse":
				var pe *ParseError
				require.ErrorAs(t, err, &pe)
				assert.ErrorIs(t, err, patchkit.ErrInvalid)
				return
			case "unsupported":
				var ue *UnsupportedError
				require.ErrorAs(t, err, &ue)
				assert.ErrorIs(t, err, ErrUnsupported)
				assert.Equal(t, w.id, ue.ID)
			default:
				require.NoError(t, err)
			}
			assert.Equal(t, w.id, o.ID, "ID")
			assert.Equal(t, w.major, o.Major, "Major")
			assert.Equal(t, w.minor, o.Minor, "Minor")
			assert.Equal(t, w.pm, o.PackageManager, "PackageManager")
			assert.Equal(t, w.os, o.OperatingSystem(), "OperatingSystem")
			assert.Equal(t, w.product, o.Product(), "Product")
			assert.Equal(t, w.stream, o.Stream, "Stream")
			if w.codename != "" {
				assert.Equal(t, w.codename, o.Codename, "Codename")
			}
			assert.NotEmpty(t, o.Sources)
		})
	}
	assert.Equal(t, len(expected), seen, "every expectation has a fixture")
	assert.GreaterOrEqual(t, seen, 40)
}

func conflictFields(o OS) []string {
	var f []string
	for _, c := range o.Conflicts {
		f = append(f, c.Field)
	}
	return f
}

func ignoredLines(o OS) []string {
	var l []string
	for _, p := range o.Ignored {
		l = append(l, fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason))
	}
	return l
}

// TestFixturesIndexed checks that INDEX.tsv (and so PROVENANCE.md's sections)
// covers every fixture directory.
func TestFixturesIndexed(t *testing.T) {
	f, err := os.Open(filepath.Join(fixtures, "INDEX.tsv"))
	require.NoError(t, err)
	defer f.Close()
	indexed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		slug, _, _ := strings.Cut(sc.Text(), "\t")
		indexed[slug] = true
	}
	prov, err := os.ReadFile(filepath.Join(fixtures, "PROVENANCE.md"))
	require.NoError(t, err)
	for name := range expected {
		assert.True(t, indexed[name], "%s missing from INDEX.tsv", name)
		assert.Contains(t, string(prov), "## "+name+"\n", "%s missing from PROVENANCE.md", name)
	}
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// TestDetectFSErrors covers roots where no source is usable: the error is
// the damaged file's *ParseError (the first one when there are several).
func TestDetectFSErrors(t *testing.T) {
	cases := []struct {
		name   string
		fsys   fstest.MapFS
		file   string
		line   int
		reason string
	}{
		{"command substitution", fstest.MapFS{"etc/os-release": file("ID=$(reboot)\n")}, "etc/os-release", 1, "shell metacharacter $ outside quotes"},
		{"bad key", fstest.MapFS{"etc/os-release": file("1D=debian\n")}, "etc/os-release", 1, "invalid variable name"},
		{"ID unterminated", fstest.MapFS{"etc/os-release": file("NAME=Debian\nID=\"debian\n")}, "etc/os-release", 2, "unterminated double quote"},
		{"no ID", fstest.MapFS{"usr/lib/os-release": file("NAME=x\n")}, "usr/lib/os-release", 0, "no ID"},
		{"comments only", fstest.MapFS{"etc/os-release": file("# nothing\n")}, "etc/os-release", 0, "no assignments"},
		{"empty", fstest.MapFS{"etc/os-release": file(" \n\n")}, "etc/os-release", 0, "empty"},
		{"nul", fstest.MapFS{"etc/os-release": file("ID=debian\x00\n")}, "etc/os-release", 0, "contains a NUL byte"},
		{"release line", fstest.MapFS{"etc/redhat-release": file("Red Hat Enterprise Linux\n")}, "etc/redhat-release", 1, `no "release" in the line`},
		{"release bad version", fstest.MapFS{"etc/system-release": file("Amazon Linux release two\n")}, "etc/system-release", 1, `no version after "release"`},
		{"release file empty", fstest.MapFS{"etc/centos-release": file("\n\n")}, "etc/centos-release", 0, "empty"},
		{"debian_version", fstest.MapFS{"etc/debian_version": file("twelve point five\n")}, "etc/debian_version", 1, "not a Debian version"},
		{"debian_version trailing dot", fstest.MapFS{"etc/debian_version": file("12.\n")}, "etc/debian_version", 1, "not a Debian version"},
		{"SuSE-release line", fstest.MapFS{"etc/SuSE-release": file("SUSE Linux Enterprise Server 11 (x86_64)\nVERSION 11\n")}, "etc/SuSE-release", 2, "not a KEY = VALUE line"},
		{"SuSE-release no version", fstest.MapFS{"etc/SuSE-release": file("openSUSE 13.2 (x86_64)\nCODENAME = Harlequin\n")}, "etc/SuSE-release", 0, "no VERSION"},
		{"plist binary", fstest.MapFS{plistPath: file("bplist00\x01\x02")}, plistPath, 0, "binary property lists are not supported"},
		{"plist no version", fstest.MapFS{plistPath: file(`<?xml version="1.0"?><plist version="1.0"><dict><key>ProductName</key><string>macOS</string></dict></plist>`)}, plistPath, 0, "no ProductVersion"},
		{"plist not xml", fstest.MapFS{plistPath: file(`<plist><dict><key>ProductVersion</string></dict></plist>`)}, plistPath, 0, "XML syntax error on line 1: element <key> closed by </string>"},
		{"os-release a pipe", fstest.MapFS{"etc/os-release": {Mode: fs.ModeNamedPipe}}, "etc/os-release", 0, "is a named pipe (FIFO), not a regular file"},
		{"os-release a device", fstest.MapFS{"etc/os-release": {Data: []byte("/dev/zero"), Mode: fs.ModeSymlink}, "dev/zero": {Mode: fs.ModeDevice | fs.ModeCharDevice}}, "etc/os-release", 0, "is a character device, not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := DetectFS(c.fsys)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, c.file, pe.File)
			assert.Equal(t, c.line, pe.Line)
			assert.Equal(t, c.reason, pe.Reason)
			assert.ErrorIs(t, err, patchkit.ErrInvalid)
			assert.Contains(t, err.Error(), c.file)
			assert.Empty(t, o.ID)
			require.NotEmpty(t, o.Ignored)
			assert.Equal(t, *pe, o.Ignored[0], "the error is what Ignored lists")
		})
	}
}

// TestDetectFSFallback covers the rule that the most authoritative usable
// source decides: what cannot be used is listed in Ignored, and the answer
// comes from the next source. Each of these failed detection outright
// before.
func TestDetectFSFallback(t *testing.T) {
	osr := file("ID=ubuntu\nVERSION_ID=\"24.04\"\n")
	cases := []struct {
		name    string
		fsys    fstest.MapFS
		product string
		source  string
		ignored []string
	}{
		{"empty etc/os-release", fstest.MapFS{"etc/os-release": file(""), "usr/lib/os-release": osr},
			"Ubuntu24.04", "usr/lib/os-release", []string{"etc/os-release:0: empty"}},
		{"etc/os-release a pipe", fstest.MapFS{"etc/os-release": {Mode: fs.ModeNamedPipe}, "usr/lib/os-release": osr},
			"Ubuntu24.04", "usr/lib/os-release", []string{"etc/os-release:0: is a named pipe (FIFO), not a regular file"}},
		{"etc/os-release too large", fstest.MapFS{"etc/os-release": file("ID=debian\n" + strings.Repeat("# padding\n", maxReleaseFile/10+1)), "usr/lib/os-release": osr},
			"Ubuntu24.04", "usr/lib/os-release", []string{"etc/os-release:0: file is larger than the limit (65536 bytes)"}},
		{"both os-release damaged", fstest.MapFS{"etc/os-release": file("ID=rhel\x00"), "usr/lib/os-release": file("NAME=x\n"), "etc/redhat-release": file("Red Hat Enterprise Linux release 9.4 (Plow)\n")},
			"RedhatEnterpriseLinux9.4", "etc/redhat-release", []string{"etc/os-release:0: contains a NUL byte", "usr/lib/os-release:0: no ID"}},
		{"damaged centos-release, redhat-release decides", fstest.MapFS{"etc/centos-release": file("CentOS Linux\n"), "etc/redhat-release": file("CentOS Linux release 7.9.2009 (Core)\n")},
			"CentOS7.9", "etc/redhat-release", []string{"etc/centos-release:1: no \"release\" in the line"}},
		{"damaged SuSE-release, lsb-release decides", fstest.MapFS{"etc/SuSE-release": file("\n"), "etc/lsb-release": file("DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=12.04\n")},
			"Ubuntu12.04", "etc/lsb-release", []string{"etc/SuSE-release:0: empty"}},
		{"damaged debian_version, image stamp decides", fstest.MapFS{"etc/debian_version": file("n/a n/a\n"), "etc/rpi-issue": file("Raspberry Pi reference 2017-07-05\n")},
			"", "etc/rpi-issue", []string{"etc/debian_version:1: not a Debian version"}},
		// A damaged line of the deciding file: its other lines count.
		{"os-release line without =", fstest.MapFS{"etc/os-release": file("ID=debian\nVERSION_ID 12\n"), "etc/debian_version": file("12.5\n")},
			"Debian12", "etc/os-release", []string{"etc/os-release:2: not a KEY=VALUE assignment"}},
		{"os-release unquoted space", fstest.MapFS{"etc/os-release": file("ID=ubuntu\nNAME=Ubuntu Linux\nVERSION_ID=22.04\n")},
			"Ubuntu22.04", "etc/os-release", []string{"etc/os-release:2: white space outside quotes"}},
		{"os-release VERSION_ID not a version", fstest.MapFS{"etc/os-release": file("ID=rhel\nVERSION_ID=nine\n"), "etc/redhat-release": file("Red Hat Enterprise Linux release 9.2 (Plow)\n")},
			"RedhatEnterpriseLinux9.2", "etc/os-release", []string{`etc/os-release:2: VERSION_ID "nine" is not a version`}},
		// A damaged auxiliary file does not sink os-release's answer.
		{"own release file damaged", fstest.MapFS{"etc/os-release": file("ID=ol\nVERSION_ID=8.9\n"), "etc/oracle-release": file("Oracle Linux Server\n")},
			"OracleLinux8.9", "etc/os-release", []string{`etc/oracle-release:1: no "release" in the line`}},
		{"debian_version damaged", fstest.MapFS{"etc/os-release": file("ID=debian\nVERSION_ID=\"12\"\n"), "etc/debian_version": file("twelve\n")},
			"Debian12", "etc/os-release", []string{"etc/debian_version:1: not a Debian version"}},
		{"lsb-release a directory", fstest.MapFS{"etc/os-release": file("ID=ubuntu\nVERSION_ID=\"22.04\"\n"), "etc/lsb-release/x": file("")},
			"Ubuntu22.04", "etc/os-release", []string{"etc/lsb-release:0: is a directory, not a regular file"}},
		{"lsb-release release not a version", fstest.MapFS{"etc/os-release": file("ID=ubuntu\nVERSION_ID=\"22.04\"\n"), "etc/lsb-release": file("DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=jammy\n")},
			"Ubuntu22.04", "etc/os-release", []string{`etc/lsb-release:2: DISTRIB_RELEASE "jammy" is not a version`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := DetectFS(c.fsys)
			require.NoError(t, err)
			assert.Equal(t, c.product, o.Product())
			assert.Equal(t, c.source, o.Sources[0])
			assert.Equal(t, c.ignored, ignoredLines(o))
			assert.Empty(t, o.Conflicts)
		})
	}
}

func TestDetectFSUnsupportedReleaseFile(t *testing.T) {
	o, err := DetectFS(fstest.MapFS{"etc/redhat-release": file("\nFoo Linux release 1.0 (x)\n")})
	var ue *UnsupportedError
	require.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.Equal(t, UnsupportedError{Name: "Foo Linux", File: "etc/redhat-release"}, *ue)
	assert.EqualError(t, err, "osdetect: Foo Linux (from etc/redhat-release) is not a supported operating system")
	assert.Empty(t, o.ID, "no ID is made up")
	assert.Equal(t, "1.0", o.VersionID)
	assert.Equal(t, "Foo Linux release 1.0 (x)", o.PrettyName)
	assert.Equal(t, []string{"etc/redhat-release"}, o.Sources)

	_, err = DetectFS(fstest.MapFS{"etc/SuSE-release": file("SuSE Linux 9.3 (i586)\nVERSION = 9.3\n")})
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "SuSE Linux 9.3 (i586)", ue.Name)
}

// TestDetectFSConflicts checks that os-release decides what it states: an
// older file saying something else is recorded, not an error.
func TestDetectFSConflicts(t *testing.T) {
	cases := []struct {
		name     string
		fsys     fstest.MapFS
		product  string
		conflict Conflict
	}{
		{"debian major", fstest.MapFS{"etc/os-release": file("ID=debian\nVERSION_ID=\"12\"\n"), "etc/debian_version": file("11.9\n")},
			"Debian12", Conflict{Field: "major version", File: "etc/os-release", Value: "12", OtherAt: "etc/debian_version", Other: "11"}},
		{"ubuntu minor", fstest.MapFS{"etc/os-release": file("ID=ubuntu\nVERSION_ID=\"22.04\"\n"), "etc/lsb-release": file("DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.10\n")},
			"Ubuntu22.04", Conflict{Field: "minor version", File: "etc/os-release", Value: "04", OtherAt: "etc/lsb-release", Other: "10"}},
		{"rhel minor", fstest.MapFS{"etc/os-release": file("ID=\"rhel\"\nVERSION_ID=\"9.4\"\n"), "etc/redhat-release": file("Red Hat Enterprise Linux release 9.2 (Plow)\n")},
			"RedhatEnterpriseLinux9.4", Conflict{Field: "minor version", File: "etc/os-release", Value: "4", OtherAt: "etc/redhat-release", Other: "2"}},
		// The minor version of another major version is not taken.
		{"centos major", fstest.MapFS{"etc/os-release": file("ID=centos\nNAME=\"CentOS Linux\"\nVERSION_ID=\"8\"\n"), "etc/centos-release": file("CentOS Linux release 7.9.2009 (Core)\n")},
			"", Conflict{Field: "major version", File: "etc/os-release", Value: "8", OtherAt: "etc/centos-release", Other: "7"}},
		{"distribution", fstest.MapFS{"etc/os-release": file("ID=centos\nVERSION_ID=8\n"), "etc/centos-release": file("AlmaLinux release 8.3 Beta (Purple Manul)\n")},
			"", Conflict{Field: "distribution", File: "etc/os-release", Value: "centos", OtherAt: "etc/centos-release", Other: "AlmaLinux"}},
		{"SuSE-release of openSUSE under SLES", fstest.MapFS{"etc/os-release": file("ID=sles\nVERSION_ID=15.1\n"), "etc/SuSE-release": file("openSUSE 15.1 (x86_64)\nVERSION = 15.1\n")},
			"Suse15.1", Conflict{Field: "distribution", File: "etc/os-release", Value: "sles", OtherAt: "etc/SuSE-release", Other: "openSUSE 15.1 (x86_64)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := DetectFS(c.fsys)
			require.NoError(t, err)
			assert.Equal(t, c.product, o.Product())
			assert.Equal(t, []Conflict{c.conflict}, o.Conflicts)
			assert.Empty(t, o.Ignored)
		})
	}
	assert.Equal(t, `minor version disagrees: etc/os-release says "4", etc/redhat-release says "2" (etc/os-release kept)`, cases[2].conflict.String())

	// A compatibility copy of another distribution's file is not read.
	o, err := DetectFS(fstest.MapFS{
		"etc/os-release":     file("ID=almalinux\nVERSION_ID=8.3\n"),
		"etc/centos-release": file("AlmaLinux release 8.3 Beta (Purple Manul)\n"),
	})
	require.NoError(t, err)
	assert.Equal(t, "AlmaLinux8.3", o.Product())
	assert.Empty(t, o.Conflicts)
}

func TestDetectFSNoRoot(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "root")
	_, err := DetectFS(os.DirFS(missing))
	assert.ErrorIs(t, err, ErrNoRoot)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.NotErrorIs(t, err, ErrUnknownOS)
	assert.ErrorContains(t, err, "no such directory")

	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, []byte("ID=debian\n"), 0o644))
	_, err = DetectFS(os.DirFS(notDir))
	assert.ErrorIs(t, err, ErrNoRoot)
	assert.ErrorContains(t, err, "not a directory")

	// An existing empty directory has no release information.
	_, err = DetectFS(os.DirFS(t.TempDir()))
	assert.ErrorIs(t, err, ErrUnknownOS)
}

// openCancelFS cancels a context when a file is first opened.
type openCancelFS struct {
	fstest.MapFS
	cancel context.CancelFunc
}

func (c openCancelFS) Open(name string) (fs.File, error) {
	c.cancel()
	return c.MapFS.Open(name)
}

func TestDetectFSContext(t *testing.T) {
	root := fstest.MapFS{"etc/os-release": file("ID=debian\nVERSION_ID=12\n"), "etc/debian_version": file("12.5\n")}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := DetectFSContext(ctx, root)
	assert.ErrorIs(t, err, context.Canceled)

	// Cancelled while reading: the next file is not read, and the error
	// is the context's, not a result from fewer files.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	o, err := DetectFSContext(ctx, openCancelFS{root, cancel})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, OS{}, o, "no partial answer")

	o, err = DetectFSContext(context.Background(), root)
	require.NoError(t, err)
	assert.Equal(t, "12", o.Major)
	assert.Equal(t, "5", o.Minor)
}

func TestDetectFSUnknown(t *testing.T) {
	_, err := DetectFS(fstest.MapFS{"etc/hostname": file("box\n")})
	assert.ErrorIs(t, err, ErrUnknownOS)
	_, err = DetectFS(fstest.MapFS{})
	assert.ErrorIs(t, err, ErrUnknownOS)
}

// TestDetectFSSymlinks checks that links resolve inside the root: an
// absolute link names the root's file, ".." stops at the root, and loops end.
func TestDetectFSSymlinks(t *testing.T) {
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink}
	}
	osr := file("ID=ubuntu\nVERSION_ID=\"24.04\"\n")
	for name, fsys := range map[string]fstest.MapFS{
		"absolute":         {"etc/os-release": link("/usr/lib/os-release"), "usr/lib/os-release": osr},
		"relative":         {"etc/os-release": link("../usr/lib/os-release"), "usr/lib/os-release": osr},
		"escaping":         {"etc/os-release": link("../../../../usr/lib/os-release"), "usr/lib/os-release": osr},
		"directory link":   {"etc": link("/private/etc"), "private/etc/os-release": osr},
		"chain":            {"etc/os-release": link("a"), "etc/a": link("/b"), "b": link("usr/lib/os-release"), "usr/lib/os-release": osr},
		"dangling etc one": {"etc/os-release": link("/nowhere"), "usr/lib/os-release": osr},
	} {
		o, err := DetectFS(fsys)
		if assert.NoError(t, err, name) {
			assert.Equal(t, "Ubuntu24.04", o.Product(), name)
		}
	}
	_, err := DetectFS(fstest.MapFS{"etc/os-release": link("/etc/os-release")})
	assert.ErrorContains(t, err, "too many levels of symbolic links")
}

func TestDetectFSTooLarge(t *testing.T) {
	big := "ID=debian\n" + strings.Repeat("# padding\n", maxReleaseFile/10+1)
	_, err := DetectFS(fstest.MapFS{"etc/os-release": file(big)})
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "etc/os-release", pe.File)
	assert.Contains(t, pe.Reason, "larger than the limit")
}

func TestWindows(t *testing.T) {
	cases := []struct {
		w       windowsInfo
		product string
		build   string
	}{
		{windowsInfo{ProductName: "Windows Server 2022 Datacenter", InstallationType: "Server", CurrentBuild: "20348", UBR: 2340, Major: 10}, "WindowsServer2022", "20348.2340"},
		{windowsInfo{ProductName: "Windows Server 2019 Standard", InstallationType: "Server Core", CurrentBuild: "17763", UBR: 5329, Major: 10}, "WindowsServer2019", "17763.5329"},
		{windowsInfo{ProductName: "Windows Server 2012 R2 Standard", InstallationType: "Server", CurrentBuild: "9600", CurrentVersion: "6.3"}, "WindowsServer2012R2", "9600"},
		{windowsInfo{ProductName: "Windows 10 Pro", InstallationType: "Client", CurrentBuild: "22631", UBR: 3447, Major: 10}, "", "22631.3447"},
		{windowsInfo{ProductName: "Windows Server Insider", InstallationType: "Server", CurrentBuild: "27000", Major: 10}, "", "27000"},
	}
	for _, c := range cases {
		o := fromWindowsInfo(c.w)
		assert.Equal(t, patchkit.OSWindows, o.OperatingSystem())
		assert.Equal(t, WindowsUpdate, o.PackageManager)
		assert.Equal(t, c.product, o.Product(), c.w.ProductName)
		assert.Equal(t, c.build, o.Build)
	}
	assert.Equal(t, "6", fromWindowsInfo(cases[2].w).Major)
	assert.Equal(t, "3", fromWindowsInfo(cases[2].w).Minor)
}
