package baseline

import (
	"path"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"dbus*", "dbus", true},
		{"dbus*", "dbus-libs", true},
		{"dbu?", "dbus", true},
		{"dbu?", "dbu", false},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"*.x86_64", "dbus.x86_64", true},
		{"dbus-1.12.2*", "dbus-1.12.28-1.amzn2023.0.1", true},
		{"dbus-*:1.12.28-1.amzn2023.0.1.x86_64", "dbus-1:1.12.28-1.amzn2023.0.1.x86_64", true},
		{"dbus.x86_64:1:*", "dbus.x86_64:1:1.12.28-1.amzn2023.0.1", true},
		{"kernel-[0-9]*", "kernel-5.10", true},
		{"kernel-[0-9]*", "kernel-headers", false},
		{"kernel-[!0-9]*", "kernel-headers", true},
		{"a[]]b", "a]b", true},
		{"a[!]]b", "axb", true},
		{"a[b", "a[b", true},
		{"a[b", "ab", false},
		{"**a", "bba", true},
		{"a*", "b", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, globMatch(c.p, c.s), "%q ~ %q", c.p, c.s)
	}
}

// FuzzGlobMatch compares the matcher with path.Match where both pattern
// languages agree: no '/', no '\\', no '^' and only well-formed classes.
func FuzzGlobMatch(f *testing.F) {
	for _, s := range []string{"dbus*", "a?c", "[a-c]x", "*-1.*", "k[!e]rnel"} {
		f.Add(s, "dbus-1.12")
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		got := globMatch(p, s) // must not panic
		for i := 0; i < len(p)+len(s); i++ {
			var c byte
			if i < len(p) {
				c = p[i]
			} else {
				c = s[i-len(p)]
			}
			if c == '/' || c == '\\' || c == '^' || c == '[' || c == ']' || c >= 0x80 {
				return
			}
		}
		want, err := path.Match(p, s)
		if err == nil && want != got {
			t.Fatalf("globMatch(%q, %q) = %v, path.Match says %v", p, s, got, want)
		}
	})
}

// TestShortHeads: a head of one byte (a version "5") still finds patterns
// with longer prefixes.
func TestShortHeads(t *testing.T) {
	m := compileLists([]string{"5-1*", "x*"}, nil, kindRPM, options{})
	var f forms
	var eb [20]byte
	p := dbus()
	p.Version, p.Release = "5", "1.el9"
	assert.Equal(t, [2]int{0, -1}, m.match(&p, &f, eb[:]))
}
