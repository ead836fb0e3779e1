package apt

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testutil"
)

// aptConfigDump runs apt-config dump with APT_CONFIG=conf and returns its
// scalar values and lists under the prefix, keys in lower case.
func aptConfigDump(t *testing.T, conf, prefix string) (map[string]string, map[string][]string) {
	t.Helper()
	cmd := exec.Command("apt-config", "dump")
	cmd.Env = append(os.Environ(), "APT_CONFIG="+conf, "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("apt-config dump: %v\n%s", err, out)
	}
	vals, lists := map[string]string{}, map[string][]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(strings.ToLower(k), prefix) {
			continue
		}
		v = strings.TrimSuffix(strings.TrimPrefix(v, "\""), "\";")
		k = strings.ToLower(k)
		if l, isList := strings.CutSuffix(k, "::"); isList {
			lists[l] = append(lists[l], v)
		} else {
			vals[k] = v
		}
	}
	return vals, lists
}

// TestAptConfAgreesWithAptConfig writes configuration files in apt.conf's
// syntax and requires the values apt-config dump reports for them, and
// the paths apt-config shell resolves for Dir::* keys.
func TestAptConfAgreesWithAptConfig(t *testing.T) {
	testutil.NeedTool(t, "apt-config", "apt")
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("apt.conf", "Dir \""+dir+"/\";\nTest::FromAptConfig \"first\";\nTest::Override \"0\";\n")
	write("etc/apt/apt.conf.d/10syntax", `// a comment
/* a block
   comment */
Test::Scalar "value";
Test::Unquoted plain;
Test { Nested "n"; Deeper { Leaf "l"; }; };
Test::List:: "a";
Test::List:: "b";
Test::Block { "x"; "y"; };
Test::Url "http://example.org/x"; # a hash comment
Test::Semi "a;b";
Test::Clear "gone";
Test::Clear::Sub "gone too";
#clear Test::Clear;
Test::Empty "";
Test::Override "1";
Test::Multi
   "across lines";
#include "`+dir+`/included.conf";
`)
	write("included.conf", "Test::Included \"yes\";\n")
	write("etc/apt/apt.conf.d/15quirks", "}\nTest::Two \"b\" \"c\";\nTest::Quad::::B \"x\";\nTest::Words { item; \"other\"; };\nLoose;\n\"loose\";\nTest::Open { Inner \"i\";\n")
	write("etc/apt/apt.conf.d/16comment", "Test::BeforeComment \"yes\";\n/* never closed\nTest::AfterComment \"no\";\n")
	write("etc/apt/apt.conf.d/20override.conf", "Test::Override \"2\";\nAPT::Default-Release \"stable\";\n")
	write("etc/apt/apt.conf.d/30ignored.disabled", "Test::Ignored \"disabled\";\n")
	write("etc/apt/apt.conf.d/.hidden", "Test::Ignored \"hidden\";\n")
	write("etc/apt/apt.conf.d/bad~name", "Test::Ignored \"tilde\";\n")
	write("etc/apt/apt.conf", "Test::Main \"main\";\nTest::Override \"3\";\n")

	cfg, err := loadAptConfig(t.Context(), os.DirFS("/"), filepath.Join(dir, "apt.conf"))
	if err != nil {
		t.Fatal(err)
	}
	vals, lists := aptConfigDump(t, filepath.Join(dir, "apt.conf"), "test::")
	ours := map[string]string{}
	for k, v := range cfg.vals {
		if strings.HasPrefix(k, "test::") {
			ours[k] = v
		}
	}
	// apt-config also prints the scopes themselves with empty values
	for k, v := range vals {
		if v == "" && k != "test::empty" {
			if _, ok := ours[k]; !ok {
				delete(vals, k)
			}
		}
	}
	if len(ours) != len(vals) {
		t.Errorf("%d values, apt-config dump %d:\n ours %v\n apt's %v", len(ours), len(vals), ours, vals)
	}
	for k, v := range vals {
		if ours[k] != v {
			t.Errorf("%s: %q, apt-config says %q", k, ours[k], v)
		}
	}
	for k, l := range lists {
		if !slices.Equal(cfg.lists[k], l) {
			t.Errorf("list %s: %q, apt-config says %q", k, cfg.lists[k], l)
		}
	}
	t.Logf("%d values and %d lists compared with apt-config dump", len(vals), len(lists))
	if ours["test::override"] != "3" || ours["test::included"] != "yes" || ours["test::ignored"] != "" {
		t.Errorf("override %q, included %q, ignored %q", ours["test::override"], ours["test::included"], ours["test::ignored"])
	}
	if v, _ := cfg.get("APT::Default-Release"); v != "stable" {
		t.Errorf("APT::Default-Release %q", v)
	}
	for _, conf := range []string{filepath.Join(dir, "apt.conf"), "/dev/null"} {
		compareDirs(t, conf)
	}
}

// compareDirs compares the Dir::* paths with apt-config shell's.
func compareDirs(t *testing.T, conf string) {
	t.Helper()
	keys := []string{"Dir::Etc::sourcelist/f", "Dir::Etc::sourceparts/d", "Dir::State::lists/d", "Dir::Etc::preferences/f",
		"Dir::Etc::preferencesparts/d", "Dir::Etc::trusted/f", "Dir::Etc::trustedparts/d", "Dir::Etc::parts/d", "Dir::Etc::main/f",
		"Dir::State::status/f"}
	var args []string
	for i, k := range keys {
		args = append(args, "V"+string(rune('A'+i)), k)
	}
	cmd := exec.Command("apt-config", append([]string{"shell"}, args...)...)
	cmd.Env = append(os.Environ(), "APT_CONFIG="+conf, "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("apt-config shell: %v", err)
	}
	apt := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		apt[k] = strings.Trim(v, "'")
	}
	cfg, err := loadAptConfig(t.Context(), os.DirFS("/"), conf)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		key, kind, _ := strings.Cut(k, "/")
		var ours string
		if key == "Dir::State::status" {
			ours = cfg.statusFile()
		} else {
			ours = cfg.file(key)
		}
		if kind == "d" {
			ours += "/"
		}
		if want := apt["V"+string(rune('A'+i))]; ours != want {
			t.Errorf("APT_CONFIG=%s: %s = %q, apt-config says %q", conf, key, ours, want)
		}
	}
}

// TestTestbedAptConfPaths resolves the testbed's private root
// configuration as apt does.
func TestAptConfHostPaths(t *testing.T) {
	testutil.NeedTool(t, "apt-config", "apt")
	if _, err := os.Stat("/etc/apt/apt.conf.d"); err != nil {
		t.Skip("no /etc/apt on this machine")
	}
	compareDirs(t, "/dev/null")
}

// TestAptConfErrors gives both parsers configuration apt refuses.
func TestAptConfErrors(t *testing.T) {
	aptConfig := testutil.NeedTool(t, "apt-config", "apt")
	for _, c := range []struct {
		text string
		line int
	}{
		{"A \"b\"\n", 2},
		{"A::B \"unterminated;\n", 1},
		{"{ \"x\"; };\n", 1},
		{"A b c;\n", 1},
		{"A b \"c\";\n", 1},
		{"#clear;\n", 1},
		{"X \"1\";\n#include \"/nonexistent/patchkit.conf\";\n", 2},
	} {
		f := filepath.Join(t.TempDir(), "x.conf")
		if err := os.WriteFile(f, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(aptConfig, "dump")
		cmd.Env = append(os.Environ(), "APT_CONFIG="+f, "LC_ALL=C")
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("%q: apt-config accepts it:\n%s", c.text, out)
		}
		_, err := loadAptConfig(t.Context(), os.DirFS("/"), f)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Line != c.line || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("%q: %v, want a *ConfigError on line %d", c.text, err, c.line)
		}
	}
	err := parseAptConf("x", []byte("A \x00;\n"), newAptConfig(), func(string, int) error { return nil })
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Line != 1 {
		t.Errorf("NUL byte: %v", err)
	}
}

func TestPreferencesErrors(t *testing.T) {
	for _, c := range []struct {
		text string
		line int
	}{
		{"Pin: release a=x\nPin-Priority: 1\n", 1},
		{"Package: x\nPin: release a=x\nPin-Priority: 0\n", 3},
		{"Package: x\nPin: release a=x\nPin-Priority: 32768\n", 3},
		{"Package: x\nPin: release a=x\nPin-Priority: -32769\n", 3},
		{"Package: x\nPin: release a=x\n", 1},
		{"Package: x\nPin: release a=x\nPin-Priority: never\n", 3},
		{"Package: x\nPackage: y\nPin: release a=x\nPin-Priority: 1\n", 2},
		{" continuation\n", 1},
	} {
		_, err := parsePreferences("/etc/apt/preferences", []byte(c.text))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Line != c.line {
			t.Errorf("%q: %v, want a *ConfigError on line %d", c.text, err, c.line)
		}
	}
	pins, err := parsePreferences("p", []byte("# only a comment\n\nPackage: a b\nPin: release a=x, n=y\nPin-Priority: 500abc\n\nPackage: c\nPin: bogus x\nPin-Priority: 1\n\nPackage: *\nPin: version 1\nPin-Priority: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	// the bogus pin type and "Pin: version" for every package are ignored,
	// as apt does (with a warning); strtol reads "500abc" as 500
	if len(pins) != 1 || pins[0].priority != 500 || !slices.Equal(pins[0].packages, []string{"a", "b"}) ||
		pins[0].rel.archive != "x" || pins[0].rel.codename != "y" {
		t.Errorf("%+v", pins)
	}
}
