package patchkit

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	debversion "github.com/knqyf263/go-deb-version"
	rpmversion "github.com/knqyf263/go-rpm-version"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pair is one comparison from a testdata/versions file: a, b and the expected
// result (want is meaningful only when hasWant).
type pair struct {
	a, b    string
	want    int
	hasWant bool
	line    int
}

// readPairs reads "a<TAB>b[<TAB>want]" lines.
func readPairs(t testing.TB, name string) []pair {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "versions", name))
	require.NoError(t, err)
	defer f.Close()
	var out []pair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(sc.Text(), "\t")
		require.GreaterOrEqual(t, len(fields), 2, "%s:%d", name, n)
		p := pair{a: fields[0], b: fields[1], line: n}
		if len(fields) > 2 && fields[2] != "" {
			w, err := strconv.Atoi(fields[2])
			require.NoError(t, err, "%s:%d", name, n)
			p.want, p.hasWant = w, true
		}
		out = append(out, p)
	}
	require.NoError(t, sc.Err())
	return out
}

// TestVersionVectors checks every recorded comparison: the upstream test
// vectors of rpm (tests/rpmvercmp.at) and dpkg (scripts/t/Dpkg_Version.t),
// and the pairs whose expected results were captured from the real rpm and
// dpkg (see testdata/SOURCES.md). The tool-free half of the differential test.
func TestVersionVectors(t *testing.T) {
	files := []struct {
		scheme VersionScheme
		name   string
	}{
		{RPM, "rpm-upstream.tsv"},
		{RPM, "rpm-oracle-cases.tsv"},
		{RPM, "rpm-collected.tsv"},
		{Deb, "deb-upstream.tsv"},
		{Deb, "deb-oracle-cases.tsv"},
		{Deb, "deb-collected.tsv"},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			pairs := readPairs(t, f.name)
			require.NotEmpty(t, pairs)
			checked := 0
			for _, p := range pairs {
				if !p.hasWant {
					continue
				}
				checked++
				assert.Equal(t, p.want, f.scheme.Compare(p.a, p.b), "line %d: %s Compare(%q, %q)", p.line, f.scheme, p.a, p.b)
				assert.Equal(t, -p.want, f.scheme.Compare(p.b, p.a), "line %d: %s Compare(%q, %q)", p.line, f.scheme, p.b, p.a)
			}
			// Pairs the tool refused have no recorded result; all others do.
			assert.Greater(t, checked, len(pairs)*9/10, "too few recorded results in %s", f.name)
		})
	}
}

func TestCompareExamples(t *testing.T) {
	cases := []struct {
		s    VersionScheme
		a, b string
		want int
	}{
		// The benchmark pairs.
		{RPM, "1:2.34.1-15.el9_2.3", "1:2.34.1-15.el9_2.10", -1},
		{Deb, "2.36-9+deb12u4", "2.36-9+deb12u10", -1},
		// rpm: epoch, release presence, tilde, caret.
		{RPM, "1:1.0-1", "2.0-1", 1},
		{RPM, "0:1.0-1", "1.0-1", 0},
		{RPM, "1.0", "1.0-1", -1},
		{RPM, "1.0", "1.0-", -1},
		{RPM, "1.0~rc1-1", "1.0-1", -1},
		{RPM, "1.0^git1-1", "1.0-1", 1},
		{RPM, "1.0^git1", "1.0.1", -1},
		{RPM, "1.0.0", "1.0.00", 0},
		{RPM, "1.010", "1.9", 1},
		{RPM, "1.a", "1.1", -1},
		{RPM, "1.0-1-2", "1.0-1", 1}, // version "1.0-1" release "2"
		{RPM, "a:1", "1", -1},        // no epoch: "a:1" is all version
		{RPM, "", "0", -1},
		{RPM, "1\x00zzz", "1", 0}, // a C string ends at NUL
		// dpkg.
		{Deb, "1:0.1", "9.9", 1},
		{Deb, "1.0~rc1", "1.0", -1},
		{Deb, "1.0~~", "1.0~", -1},
		{Deb, "1.0a", "1.0+", -1}, // letters before other characters
		{Deb, "1.0-1", "1.0-1.1", -1},
		{Deb, " 1.0 ", "1.0", 0}, // dpkg trims blanks
		{Deb, "+1:2", "1:2", 0},  // strtol takes a sign
		{Deb, "", "0", -1},       // no version is earlier than any
		{Deb, "1:", "0", -1},     // refused by dpkg: before every accepted version
		{Deb, "1:", "", 1},
		{Deb, "1:", "1-", 1}, // refused strings in byte order
		// semver.
		{Semver, "1.0.0-alpha", "1.0.0-alpha.1", -1},
		{Semver, "1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
		{Semver, "1.0.0-beta.2", "1.0.0-beta.11", -1},
		{Semver, "1.0.0-rc.1", "1.0.0", -1},
		{Semver, "1.0.0+build.1", "1.0.0+build.2", 0},
		{Semver, "2.0.0", "10.0.0", -1},
		{Semver, "v1.0.0", "0.0.1", -1}, // not strict semver: before every valid version
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.s.Compare(c.a, c.b), "%s Compare(%q, %q)", c.s, c.a, c.b)
		assert.Equal(t, -c.want, c.s.Compare(c.b, c.a), "%s Compare(%q, %q)", c.s, c.b, c.a)
	}
}

func TestLongDigitRuns(t *testing.T) {
	long := strings.Repeat("9", 5000)
	longer := "1" + strings.Repeat("0", 5000)
	zeros := strings.Repeat("0", 5000) + "1"
	for _, s := range []VersionScheme{RPM, Deb} {
		assert.Equal(t, -1, s.Compare(long, longer), s.String())
		assert.Equal(t, 1, s.Compare(longer, long), s.String())
		assert.Equal(t, 0, s.Compare(zeros, "1"), s.String())
		assert.Equal(t, -1, s.Compare("1."+long, "1."+longer), s.String())
		// 2^64 and 2^64+1: beyond any fixed-size integer.
		assert.Equal(t, -1, s.Compare("18446744073709551616", "18446744073709551617"), s.String())
	}
	// Prerelease identifiers beyond 64 bits compare as text, as in Masterminds.
	assert.Equal(t, 1, Semver.Compare("1.0.0-18446744073709551616", "1.0.0-9"))
}

func TestValidate(t *testing.T) {
	good := map[VersionScheme][]string{
		RPM:    {"1.0", "1.0-1", "1:2.34.1-15.el9_2.3", "0:1.0^git1.abc~rc1-2.fc40", "4294967295:1-1"},
		Deb:    {"1.0", "1:1.0-1", "2.36-9+deb12u4", "1.0~rc1+dfsg-1~bpo12+1", "0:1", "7.4.052-1ubuntu3.1", "1:1.2:3-4"},
		Semver: {"0.0.0", "1.2.3", "1.2.3-rc.1+build.5", "1.0.0-x-y-z.--", "18446744073709551615.0.0"},
	}
	bad := map[VersionScheme]map[string]string{
		RPM: {
			"":              "empty",
			":1.0":          "epoch is empty",
			"a:1.0":         "epoch is not a decimal number below 2^32",
			"4294967296:1":  "epoch is not a decimal number below 2^32",
			"1.0-":          "release is empty",
			"-1":            "version is empty",
			"1.0-1-2":       "version contains '-'",
			"1 0":           "version contains ' '",
			"1.0-1/2":       "release contains '/'",
			"1.0\x00":       "version contains byte 0x00",
			"1%{dist}":      "version contains '%'",
			"1.0-1.el9\xff": "release contains byte 0xff",
		},
		Deb: {
			"":             "version string is empty",
			"1:":           "nothing after colon in version number",
			"1-":           "revision number is empty",
			"a:1":          "epoch in version is empty",
			"1a:1":         "epoch in version is not number",
			"-1:1":         "epoch in version is negative",
			"2147483648:1": "epoch in version is too big",
			"1 2":          "version string has embedded spaces",
			"a1":           "version number does not start with digit",
			"1_2":          "invalid character in version number",
			"1-a_b":        "invalid character in revision number",
			" 1":           "surrounded by white space",
			"+1:1":         "epoch is not a plain decimal number",
			"1\x00":        "contains a NUL byte",
			"1:-1":         "version number is empty",
		},
		Semver: {
			"1.2":      "invalid semantic version",
			"v1.2.3":   "invalid characters in version",
			"01.2.3":   "version segment starts with 0",
			"1.2.3-":   "invalid prerelease string",
			"1.2.3-01": "version segment starts with 0",
			"1.2.3+":   "invalid metadata string",
		},
	}
	for s, vs := range good {
		for _, v := range vs {
			assert.NoError(t, s.Validate(v), "%s %q", s, v)
		}
	}
	for s, m := range bad {
		for v, reason := range m {
			err := s.Validate(v)
			var ve *VersionError
			if assert.ErrorAs(t, err, &ve, "%s %q", s, v) {
				assert.Equal(t, reason, ve.Reason, "%s %q", s, v)
				assert.Equal(t, v, ve.Version)
				assert.Equal(t, s, ve.Scheme)
			}
			assert.True(t, errors.Is(err, ErrInvalid))
		}
	}
}

func TestVersionSchemeText(t *testing.T) {
	for _, s := range []VersionScheme{RPM, Deb, Semver} {
		b, err := s.MarshalText()
		require.NoError(t, err)
		var back VersionScheme
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, s, back)
	}
	var s VersionScheme
	err := s.UnmarshalText([]byte("RPM"))
	var ue *UnknownValueError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "VersionScheme", ue.Type)
	_, err = VersionScheme(0).MarshalText()
	assert.Error(t, err)
	assert.Panics(t, func() { VersionScheme(0).Compare("1", "2") })
}

var sink int

func BenchmarkCompare(b *testing.B) {
	b.Run("rpm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += RPM.Compare("1:2.34.1-15.el9_2.3", "1:2.34.1-15.el9_2.10")
		}
	})
	b.Run("deb", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += Deb.Compare("2.36-9+deb12u4", "2.36-9+deb12u10")
		}
	})
	b.Run("semver", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += Semver.Compare("1.22.3-rc.1", "1.22.3-rc.2")
		}
	})
	// The oracle libraries on the same pairs, for the ratio.
	b.Run("rpm-go-rpm-version", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			x, y := rpmversion.NewVersion("1:2.34.1-15.el9_2.3"), rpmversion.NewVersion("1:2.34.1-15.el9_2.10")
			sink += x.Compare(y)
		}
	})
	b.Run("deb-go-deb-version", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			x, _ := debversion.NewVersion("2.36-9+deb12u4")
			y, _ := debversion.NewVersion("2.36-9+deb12u10")
			sink += x.Compare(y)
		}
	})
	b.Run("semver-Masterminds", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			x, _ := semver.StrictNewVersion("1.22.3-rc.1")
			y, _ := semver.StrictNewVersion("1.22.3-rc.2")
			sink += x.Compare(y)
		}
	})
	b.Run("rpm-long-digits", func(b *testing.B) {
		x, y := "1."+strings.Repeat("7", 4096)+"-1", "1."+strings.Repeat("7", 4095)+"8-1"
		b.ReportAllocs()
		for b.Loop() {
			sink += RPM.Compare(x, y)
		}
	})
}
