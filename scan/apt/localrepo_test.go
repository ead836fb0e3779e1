package apt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/testbed"
)

// debStanza is one package version of a test repository or status file.
type debStanza struct {
	name, version, arch string
	multiArch, source   string
	depends             string
	status              string // status file only: "install ok installed", "hold ok installed"
}

func (d debStanza) text(archive bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Package: %s\n", d.name)
	if d.status != "" {
		fmt.Fprintf(&b, "Status: %s\n", d.status)
	}
	fmt.Fprintf(&b, "Priority: optional\nSection: misc\nInstalled-Size: 1\nMaintainer: patchkit test <test@example.invalid>\n")
	fmt.Fprintf(&b, "Architecture: %s\n", d.arch)
	if d.multiArch != "" {
		fmt.Fprintf(&b, "Multi-Arch: %s\n", d.multiArch)
	}
	if d.source != "" {
		fmt.Fprintf(&b, "Source: %s\n", d.source)
	}
	fmt.Fprintf(&b, "Version: %s\n", d.version)
	if d.depends != "" {
		fmt.Fprintf(&b, "Depends: %s\n", d.depends)
	}
	if archive {
		// the archive fields of a .deb that is never downloaded (the tests
		// only simulate)
		file := fmt.Sprintf("pool/%s_%s_%s.deb", d.name, strings.ReplaceAll(d.version, ":", "%3a"), d.arch)
		sum := sha256.Sum256([]byte(file))
		fmt.Fprintf(&b, "Filename: %s\nSize: 1000\nSHA256: %s\n", file, hex.EncodeToString(sum[:]))
	}
	fmt.Fprintf(&b, "Description: patchkit scan/apt test package %s\n\n", d.name)
	return b.String()
}

// localSuite is a test repository suite, served as a file: URI.
type localSuite struct {
	suite, label, origin, version string
	notAutomatic, butAutomatic    bool
	pkgs                          []debStanza
}

// writeSuite writes dists/SUITE with one Packages file per architecture
// (holding that architecture's packages and the "all" ones, as Debian's
// archive does) and a Release listing them.
func writeSuite(t *testing.T, dir string, s localSuite, archs []string) {
	t.Helper()
	base := filepath.Join(dir, "dists", s.suite)
	var sums strings.Builder
	for _, a := range archs {
		var b strings.Builder
		for _, p := range s.pkgs {
			if p.arch == a || p.arch == "all" {
				b.WriteString(p.text(true))
			}
		}
		rel := "main/binary-" + a + "/Packages"
		if err := os.MkdirAll(filepath.Join(base, "main", "binary-"+a), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(base, rel), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(b.String()))
		fmt.Fprintf(&sums, " %s %d %s\n", hex.EncodeToString(sum[:]), b.Len(), rel)
	}
	var r strings.Builder
	if s.origin != "" {
		fmt.Fprintf(&r, "Origin: %s\n", s.origin)
	}
	if s.label != "" {
		fmt.Fprintf(&r, "Label: %s\n", s.label)
	}
	fmt.Fprintf(&r, "Suite: %s\nCodename: %s\n", s.suite, s.suite)
	if s.version != "" {
		fmt.Fprintf(&r, "Version: %s\n", s.version)
	}
	fmt.Fprintf(&r, "Date: %s\n", time.Now().Add(-time.Hour).UTC().Format(time.RFC1123))
	if s.notAutomatic {
		r.WriteString("NotAutomatic: yes\n")
	}
	if s.butAutomatic {
		r.WriteString("ButAutomaticUpgrades: yes\n")
	}
	fmt.Fprintf(&r, "Architectures: %s\nComponents: main\nNo-Support-for-Architecture-all: Packages\nSHA256:\n%s", strings.Join(archs, " "), sums.String())
	if err := os.WriteFile(filepath.Join(base, "Release"), []byte(r.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scenario is a copy of the testbed's private apt root changed by a test.
type scenario struct {
	env  testbed.Env
	root string // the private root
}

// newScenario clones the private root, adds the suites (file: URIs,
// trusted=yes), appends status entries, sets the foreign architectures
// and runs apt-get update on the copy.
func newScenario(t *testing.T, env testbed.Env, suites []localSuite, status []debStanza, foreign []string) *scenario {
	t.Helper()
	c := env.Clone(t)
	sc := &scenario{env: c, root: c.AptRoot()}
	repoDir := filepath.Join(filepath.Dir(sc.root), "localrepo")
	archs := append([]string{debArchOf(t)}, foreign...)
	var list strings.Builder
	for _, s := range suites {
		writeSuite(t, repoDir, s, archs)
		fmt.Fprintf(&list, "deb [trusted=yes] file:%s %s main\n", repoDir, s.suite)
	}
	if len(suites) > 0 {
		sc.write(t, "etc/apt/sources.list.d/local.list", list.String())
	}
	if len(status) > 0 {
		f, err := os.OpenFile(filepath.Join(sc.root, "var/lib/dpkg/status"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range status {
			if _, err := f.WriteString(d.text(false)); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(foreign) > 0 {
		sc.write(t, "var/lib/dpkg/arch", strings.Join(archs, "\n")+"\n")
	}
	if len(suites) > 0 {
		sc.apt(t, "apt-get", "update", "-qq", "--error-on=any")
	}
	return sc
}

func debArchOf(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// write replaces a file of the private root.
func (sc *scenario) write(t *testing.T, rel, content string) {
	t.Helper()
	p := filepath.Join(sc.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// remove deletes a file of the private root.
func (sc *scenario) remove(t *testing.T, rel string) {
	t.Helper()
	if err := os.Remove(filepath.Join(sc.root, rel)); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// editStatus rewrites the status file with edit applied to its text.
func (sc *scenario) editStatus(t *testing.T, edit func(string) string) {
	t.Helper()
	p := filepath.Join(sc.root, "var/lib/dpkg/status")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	n := edit(string(b))
	if n == string(b) {
		t.Fatal("status edit changed nothing")
	}
	if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
		t.Fatal(err)
	}
}

// apt runs an apt program on the copy and returns its output; failure
// ends the test.
func (sc *scenario) apt(t *testing.T, prog string, args ...string) string {
	t.Helper()
	out, err := sc.aptErr(prog, args...)
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", prog, args, err, out)
	}
	return out
}

func (sc *scenario) aptErr(prog string, args ...string) (string, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = append(slices.Clone(os.Environ()), "APT_CONFIG="+sc.env.AptConfig, "LC_ALL=C", "LANGUAGE=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
