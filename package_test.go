package patchkit

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testutil"
)

func TestParseNEVRA(t *testing.T) {
	cases := []struct {
		in   string
		want Package
	}{
		{"bash-5.1.8-9.el9.x86_64", Package{Name: "bash", Version: "5.1.8", Release: "9.el9", Arch: "x86_64", Scheme: RPM}},
		{"bash-0:5.1.8-9.el9.x86_64", Package{Name: "bash", Epoch: EpochOf(0), Version: "5.1.8", Release: "9.el9", Arch: "x86_64", Scheme: RPM}},
		{"dbus-1:1.12.28-1.amzn2023.0.1.x86_64", Package{Name: "dbus", Epoch: EpochOf(1), Version: "1.12.28", Release: "1.amzn2023.0.1", Arch: "x86_64", Scheme: RPM}},
		{"1:dbus-1.12.28-1.amzn2023.0.1.x86_64", Package{Name: "dbus", Epoch: EpochOf(1), Version: "1.12.28", Release: "1.amzn2023.0.1", Arch: "x86_64", Scheme: RPM}},
		{"python3-dnf-plugin-versionlock-4.3.0-5.el9.noarch", Package{Name: "python3-dnf-plugin-versionlock", Version: "4.3.0", Release: "5.el9", Arch: "noarch", Scheme: RPM}},
		{"tb-lib-1:2.0-2.noarch", Package{Name: "tb-lib", Epoch: EpochOf(1), Version: "2.0", Release: "2", Arch: "noarch", Scheme: RPM}},
	}
	for _, c := range cases {
		got, err := ParseNEVRA(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
		if !strings.Contains(c.in[:strings.IndexByte(c.in, '-')], ":") {
			assert.Equal(t, c.in, got.NEVRA(), "round trip")
		}
		assert.Equal(t, got.Name+"."+got.Arch, got.QualifiedName())
	}
	bad := map[string][2]string{
		"bash":                     {"arch", "missing (no '.')"},
		"bash-5.1-9.":              {"arch", "empty"},
		"bash-5.1-9.el9.x86-64":    {"arch", "contains '-'"},
		"bash-5.1.x86_64":          {"version", "missing (no second '-')"},
		"-5.1-9.x86_64":            {"name", "empty"},
		"bash-x:5.1-9.x86_64":      {"epoch", "not a decimal number below 2^32"},
		"1:bash-2:5.1-9.x86_64":    {"epoch", "given twice"},
		"bash-5.1-9~a/b.x86_64":    {"release", "contains '/'"},
		"ba$h-5.1-9.x86_64":        {"name", "contains '$'"},
		"bash--9.x86_64":           {"version", "empty"},
		"bash-5:-9.x86_64":         {"version", "empty"},
		"bash-5.1-9.x86_64;reboot": {"arch", "contains ';'"},
	}
	for in, w := range bad {
		_, err := ParseNEVRA(in)
		var pe *ParseError
		if assert.ErrorAs(t, err, &pe, in) {
			assert.Equal(t, w[0], pe.Field, in)
			assert.Equal(t, w[1], pe.Reason, in)
			assert.Equal(t, "rpm NEVRA", pe.Kind)
		}
		assert.ErrorIs(t, err, ErrInvalid)
	}
}

// TestParseNEVRASample formats real (name, epoch, version, release, arch)
// tuples from CentOS Stream 9 AppStream in both NEVRA orders and reads them
// back.
func TestParseNEVRASample(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "versions", "rpm-nevra-sample.tsv"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		require.Len(t, p, 5)
		e, err := strconv.ParseUint(p[1], 10, 32)
		require.NoError(t, err)
		want := Package{Name: p[0], Epoch: EpochOf(uint32(e)), Version: p[2], Release: p[3], Arch: p[4], Scheme: RPM}
		for _, s := range []string{
			p[0] + "-" + p[1] + ":" + p[2] + "-" + p[3] + "." + p[4],
			p[1] + ":" + p[0] + "-" + p[2] + "-" + p[3] + "." + p[4],
		} {
			got, err := ParseNEVRA(s)
			require.NoError(t, err, s)
			assert.Equal(t, want, got, s)
		}
		n++
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, 450, n)
}

func TestParseDpkg(t *testing.T) {
	p, err := ParseDpkg("libc6:amd64", "2.36-9+deb12u4")
	require.NoError(t, err)
	assert.Equal(t, Package{Name: "libc6", Arch: "amd64", Epoch: EpochOf(0), Version: "2.36", Release: "9+deb12u4", Scheme: Deb}, p)
	assert.Equal(t, "2.36-9+deb12u4", p.EVR())
	assert.Equal(t, "libc6:amd64", p.QualifiedName())

	p, err = ParseDpkg("bsdutils", "1:2.38.1-5+deb12u3")
	require.NoError(t, err)
	assert.Equal(t, EpochOf(1), p.Epoch)
	assert.Equal(t, "", p.Arch)

	bad := map[[2]string][2]string{
		{"libc6:amd64", "2.36-"}:   {"version", "revision number is empty"},
		{"Libc6:", "1"}:            {"arch", "empty"},
		{"-libc6", "1"}:            {"name", "does not start with a letter or digit"},
		{"lib c6", "1"}:            {"name", "contains ' '"},
		{"libc6:amd_64", "1"}:      {"arch", "contains '_'"},
		{"libc6", "a1"}:            {"version", "version number does not start with digit"},
		{"libc6", "1:2.36;rm -rf"}: {"version", "version string has embedded spaces"},
	}
	for in, w := range bad {
		_, err := ParseDpkg(in[0], in[1])
		var pe *ParseError
		if assert.ErrorAs(t, err, &pe, "%q", in) {
			assert.Equal(t, w[0], pe.Field, "%q", in)
			assert.Equal(t, w[1], pe.Reason, "%q", in)
		}
		assert.ErrorIs(t, err, ErrInvalid)
	}
}

// TestParseDpkgRecorded reads every package of a real dpkg-query listing
// (testdata/dpkg, captured on Debian 12) and checks that the split version
// compares equal to the string dpkg printed.
func TestParseDpkgRecorded(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "dpkg", "dpkg-query-W-bookworm.tsv"))
	require.NoError(t, err)
	checkDpkgListing(t, string(b))
}

// TestParseDpkgLiveHost does the same with this host's dpkg-query.
func TestParseDpkgLiveHost(t *testing.T) {
	q := testutil.NeedTool(t, "dpkg-query", "dpkg")
	cmd := exec.Command(q, "-W", "-f", "${binary:Package}\t${Version}\n")
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANGUAGE=")
	out, err := cmd.Output()
	require.NoError(t, err)
	checkDpkgListing(t, string(out))
}

func checkDpkgListing(t *testing.T, listing string) {
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(listing), "\n") {
		name, ver, ok := strings.Cut(line, "\t")
		require.True(t, ok, line)
		p, err := ParseDpkg(name, ver)
		require.NoError(t, err, line)
		assert.Equal(t, ver, p.EVR(), line)
		assert.Equal(t, name, p.QualifiedName(), line)
		n++
	}
	assert.Greater(t, n, 100)
}

func TestCompareVersion(t *testing.T) {
	rpm := func(s string) Package {
		p, err := ParseNEVRA(s)
		require.NoError(t, err)
		return p
	}
	c, err := rpm("glibc-0:2.34-60.el9.x86_64").CompareVersion(rpm("glibc-0:2.34-100.el9.x86_64"))
	require.NoError(t, err)
	assert.Equal(t, -1, c)
	c, err = rpm("dbus-1:1.0-1.x86_64").CompareVersion(rpm("dbus-0:9.0-1.x86_64"))
	require.NoError(t, err)
	assert.Equal(t, 1, c)
	// Both unknown: equal epochs, as rpm would take them.
	c, err = rpm("dbus-1.0-1.x86_64").CompareVersion(rpm("dbus-1.0-2.x86_64"))
	require.NoError(t, err)
	assert.Equal(t, -1, c)
	// One unknown: not a fact.
	_, err = rpm("dbus-1.0-1.x86_64").CompareVersion(rpm("dbus-0:1.0-2.x86_64"))
	assert.ErrorIs(t, err, ErrEpochUnknown)

	d1, _ := ParseDpkg("libc6", "2.36-9+deb12u4")
	d2, _ := ParseDpkg("libc6", "2.36-9+deb12u10")
	c, err = d1.CompareVersion(d2)
	require.NoError(t, err)
	assert.Equal(t, -1, c)
	_, err = d1.CompareVersion(rpm("dbus-0:1.0-2.x86_64"))
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestEpochJSON(t *testing.T) {
	for _, e := range []Epoch{{}, EpochOf(0), EpochOf(7), EpochOf(4294967295)} {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		var back Epoch
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, e, back)
	}
	var e Epoch
	for _, bad := range []string{`-1`, `1.5`, `"1"`, `4294967296`} {
		assert.Error(t, json.Unmarshal([]byte(bad), &e), bad)
	}
	// Unknown epochs are left out of a Package's JSON.
	b, err := json.Marshal(Package{Name: "x", Version: "1"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Name":"x","Version":"1"}`, string(b))
}

func TestVocabularyJSONRoundTrip(t *testing.T) {
	issued := time.Date(2025, 11, 16, 9, 0, 0, 0, time.UTC)
	pkg := Package{Name: "dbus", Epoch: EpochOf(1), Version: "1.12.28", Release: "1.amzn2023.0.1", Arch: "x86_64",
		Scheme: RPM, SourceName: "dbus", SourceVersion: "1:1.12.28-1.amzn2023.0.1", Repository: "amazonlinux",
		InstallTime: issued}
	adv := Advisory{ID: "ALAS2023-2025-123", Type: AdvisorySecurity, Title: "dbus update", Severity: "Important",
		Issued: issued, Updated: issued.Add(time.Hour), CVEIDs: []string{"CVE-2025-0001"}, BugzillaIDs: []string{"1234567"},
		RebootSuggested: true, Packages: []Package{pkg}, Repository: "amazonlinux"}
	patch := Patch{Package: pkg, Product: "AmazonLinux2023", Classification: "Security", Severity: "Important",
		AdvisoryIDs: []string{adv.ID}, CVEIDs: adv.CVEIDs, BugzillaIDs: adv.BugzillaIDs, ReleaseDate: issued, Security: true}
	win := Patch{Package: Package{Name: "KB5034439"}, ID: "0b8b5a0c-5a8e-4f0a-9a1b-2f0e9a1b2c3d", Title: "2024-01 Security Update",
		KBNumber: "KB5034439", MsrcNumber: "MS24-001", MsrcSeverity: "Important", ProductFamily: "Windows",
		Product: "WindowsServer2022", Classification: "SecurityUpdates", PatchSet: "OS"}

	for _, v := range []any{&pkg, &adv, &patch, &win} {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		back := newOf(v)
		require.NoError(t, json.Unmarshal(b, back))
		assert.Equal(t, v, back)
	}
	// The Patch shape's field names.
	b, _ := json.Marshal(patch)
	for _, k := range []string{`"Name"`, `"Epoch":1`, `"AdvisoryIds"`, `"CVEIds"`, `"BugzillaIds"`, `"ReleaseDate"`, `"Product"`} {
		assert.Contains(t, string(b), k)
	}
	var a Advisory
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"Id":"X","Type":"hotfix"}`), &a), ErrInvalid)
	require.NoError(t, json.Unmarshal([]byte(`{"Id":"X","Type":"Security"}`), &a))
	assert.Equal(t, AdvisorySecurity, a.Type)
	assert.Equal(t, "Security", a.Type.Classification())
	assert.Equal(t, "Newpackage", AdvisoryNewPackage.Classification())
}

func newOf(v any) any {
	switch v.(type) {
	case *Package:
		return new(Package)
	case *Advisory:
		return new(Advisory)
	case *Patch:
		return new(Patch)
	}
	panic("unexpected type")
}
