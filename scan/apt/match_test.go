package apt

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/patchkit/patchkit/internal/testutil"
)

var globCases = []struct{ pattern, s string }{
	{"*", ""}, {"*", "anything"}, {"tb-*", "tb-multi"}, {"TB-*", "tb-multi"}, {"tb-*", "xtb-multi"},
	{"?", "a"}, {"?", ""}, {"a?c", "abc"}, {"a?c", "ac"}, {"*security*", "bookworm-security"},
	{"*Security", "debian-security"}, {"[abc]x", "bx"}, {"[abc]x", "dx"}, {"[!abc]x", "dx"}, {"[^abc]x", "ax"},
	{"[a-c]x", "Bx"}, {"[A-C]x", "bx"}, {"1.[12]-?", "1.2-1"}, {"1.[12]-?", "1.3-1"}, {"1.[12]-", "1.2-1"},
	{"[", "["}, {"[", "a"}, {"a[", "a["}, {"[]]", "]"}, {"[]a]", "a"}, {"[!]]", "a"}, {"\\*", "*"}, {"\\*", "a"},
	{"a\\", "a\\"}, {"*/*", "a/b"}, {"*", ".hidden"}, {"[[:digit:]]*", "12.15"}, {"[[:alpha:]]*", "12"},
	{"[[:upper:]]x", "ax"}, {"**a", "bba"}, {"*a*b*c", "xaybzc"}, {"*a*b*c", "xaybz"}, {"1:2.0-*", "1:2.0-2"},
	{"tb-[a-z]*", "tb-Hello"}, {"[a-]x", "-x"}, {"[z-a]x", "mx"}, {"oldstable*", "oldstable-security"},
	{"*-updates", "bookworm-updates"}, {"12*", "12.15"}, {"[[:alpha:]", "a"}, {"[A-C]x", "Bx"},
	{"[[:lower:]]x", "Ax"}, {"[[:upper:]]x", "Ax"}, {"a\\", "a"}, {"\\", "\\"}, {"x[[:digit:]y]", "xy"},
	{"*[", "a["}, {"[!a-c]*", "D"}, {"[\\]]", "]"}, {"[a\\-c]", "-"},
}

// TestFnmatchAgreesWithLibc compares the glob matcher with the C
// library's fnmatch(3) with FNM_CASEFOLD, which apt calls, through
// python3's ctypes in one process.
func TestFnmatchAgreesWithLibc(t *testing.T) {
	py := testutil.NeedTool(t, "python3", "python3")
	var pairs [][2]string
	for _, c := range globCases {
		pairs = append(pairs, [2]string{c.pattern, c.s})
	}
	in, _ := json.Marshal(pairs)
	script := `import ctypes, json, sys
libc = ctypes.CDLL("libc.so.6")
FNM_CASEFOLD = 1 << 4
pairs = json.loads(sys.stdin.read())
print(json.dumps([libc.fnmatch(p.encode(), s.encode(), FNM_CASEFOLD) == 0 for p, s in pairs]))`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var libc []bool
	if err := json.Unmarshal(out, &libc); err != nil || len(libc) != len(pairs) {
		t.Fatalf("python3 answered %q (%v)", out, err)
	}
	for i, c := range globCases {
		if got := fnmatchFold(c.pattern, c.s); got != libc[i] {
			t.Errorf("fnmatch(%q, %q): %v, libc says %v", c.pattern, c.s, got, libc[i])
		}
	}
}

func TestRegexPatterns(t *testing.T) {
	m := newMatcher()
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"/^tb-(hello|multi)$/", "tb-hello", true},
		{"/^tb-(hello|multi)$/", "tb-tool", false},
		{"/SECURITY/", "bookworm-security", true},
		{"/[/", "x", false}, // does not compile: matches nothing
		{"/", "/", true},    // one slash is a glob
		{"//", "anything", true},
	} {
		if got := m.match(c.p, c.s); got != c.want {
			t.Errorf("match(%q, %q) = %v", c.p, c.s, got)
		}
	}
}
