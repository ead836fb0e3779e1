package patchkit

import (
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

// checkOrder asserts the properties of a total preorder on three strings:
// results in {-1, 0, 1}, reflexivity, antisymmetry and transitivity.
func checkOrder(t *testing.T, s VersionScheme, v ...string) {
	for _, x := range v {
		if c := s.Compare(x, x); c != 0 {
			t.Fatalf("%s Compare(%q, %q) = %d", s, x, x, c)
		}
		for _, y := range v {
			c := s.Compare(x, y)
			if c < -1 || c > 1 {
				t.Fatalf("%s Compare(%q, %q) = %d", s, x, y, c)
			}
			if d := s.Compare(y, x); d != -c {
				t.Fatalf("%s not antisymmetric: Compare(%q, %q) = %d, reversed %d", s, x, y, c, d)
			}
			for _, z := range v {
				cyz, cxz := s.Compare(y, z), s.Compare(x, z)
				if c <= 0 && cyz <= 0 && cxz > 0 {
					t.Fatalf("%s not transitive: %q <= %q <= %q but %q > %q", s, x, y, z, x, z)
				}
				if c == 0 && cyz != cxz {
					t.Fatalf("%s: %q == %q but they compare differently with %q (%d, %d)", s, x, y, z, cxz, cyz)
				}
			}
		}
	}
}

func addSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		for i, p := range readPairs(f, name) {
			if i%20 == 0 {
				f.Add(p.a, p.b, p.a+"~1")
			}
		}
	}
}

func FuzzRPM(f *testing.F) {
	addSeeds(f, "rpm-upstream.tsv", "rpm-collected.tsv")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		checkOrder(t, RPM, a, b, c)
		// go-rpm-version agrees with rpm on well-formed EVRs, except where
		// exactly one side has a release (rpm sorts a missing release before
		// any release; the library compares it as an empty release).
		if RPM.Validate(a) != nil || RPM.Validate(b) != nil {
			return
		}
		if strings.Contains(a, "-") != strings.Contains(b, "-") {
			return
		}
		if o, _ := rpmOracle(a, b); o != RPM.Compare(a, b) {
			t.Fatalf("go-rpm-version says %d for %q vs %q, RPM.Compare %d", o, a, b, RPM.Compare(a, b))
		}
	})
}

func FuzzDeb(f *testing.F) {
	addSeeds(f, "deb-upstream.tsv", "deb-collected.tsv")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		checkOrder(t, Deb, a, b, c)
		// go-deb-version agrees with dpkg on versions both accept whose digit
		// runs fit its int conversion (longer runs compare as 0 there).
		if Deb.Validate(a) != nil || Deb.Validate(b) != nil || longDigits(a) || longDigits(b) {
			return
		}
		if o, ok := debOracle(a, b); ok && o != Deb.Compare(a, b) {
			t.Fatalf("go-deb-version says %d for %q vs %q, Deb.Compare %d", o, a, b, Deb.Compare(a, b))
		}
	})
}

func longDigits(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			run++
			if run > 18 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func FuzzSemver(f *testing.F) {
	for _, s := range []string{"1.2.3", "1.0.0-alpha.1", "1.0.0-rc.1+build.1", "0.0.0-0", "1.2.3-01", "v1.2.3", "1.2", "1.2.3-a..b", "18446744073709551616.0.0",
		"", "1..2", "1.2.3+", "1.2.3-", "1.2.3+a..b", "01.2.3", "1.2.3-é", "1.2.3+build-1.x", strings.Repeat("1", 300)} {
		f.Add(s, "1.0.0", s+".1")
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		checkOrder(t, Semver, a, b, c)
		va, ea := semver.StrictNewVersion(a)
		vb, eb := semver.StrictNewVersion(b)
		if _, ok := semverParse(a); ok != (ea == nil) {
			t.Fatalf("%q: our parser says valid=%v, StrictNewVersion says %v", a, ok, ea)
		}
		// Validate says why in the library's words, checked in its order.
		want := ""
		if ea != nil {
			want = ea.Error()
		}
		if got := semverValidate(a); got != want {
			t.Fatalf("%q: semverValidate %q, StrictNewVersion %q", a, got, want)
		}
		if ea == nil && eb == nil {
			if want := va.Compare(vb); want != Semver.Compare(a, b) {
				t.Fatalf("Masterminds says %d for %q vs %q, Semver.Compare %d", want, a, b, Semver.Compare(a, b))
			}
		}
	})
}
