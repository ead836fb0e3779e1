package patchkit

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDebianPackagesListed: every Debian package a test's skip message
// names (testutil.NeedTool and NeedFile, and benchmarks' "(Debian package
// X)") is in README.md's table of the packages the tests use, and .ci/run
// installs it (its own list, or the testbed's packages), so that a
// message, the README and CI never name different packages.
func TestDebianPackagesListed(t *testing.T) {
	need := regexp.MustCompile(`Need(?:Tool|File)\([a-z]+, "[^"]*", "([^"]+)"\)`)
	skip := regexp.MustCompile(`\(Debian package ([a-z0-9][a-z0-9.+-]*)\)`)
	named := map[string][]string{} // package -> files naming it
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range []*regexp.Regexp{need, skip} {
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				if !slices.Contains(named[m[1]], path) {
					named[m[1]] = append(named[m[1]], path)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(named) < 10 {
		t.Fatalf("only %d packages named by the tests: %v", len(named), named)
	}

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]bool{}
	inTable := false
	for l := range strings.Lines(string(readme)) {
		switch {
		case strings.HasPrefix(l, "| Debian package |"):
			inTable = true
		case inTable && !strings.HasPrefix(l, "|"):
			inTable = false
		case inTable:
			first := strings.Split(l, "|")[1]
			for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(first, -1) {
				table[m[1]] = true
			}
		}
	}

	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	installs := map[string]bool{}
	loop := regexp.MustCompile(`(?s)\n\tfor p in (.*?)\$\(bash internal/testbed/testbed.sh packages\)`).FindSubmatch(ci)
	if loop == nil {
		t.Fatal(".ci/run: no package loop")
	}
	for _, p := range strings.Fields(strings.ReplaceAll(string(loop[1]), "\\", " ")) {
		installs[p] = true
	}
	tb, err := os.ReadFile("internal/testbed/testbed.sh")
	if err != nil {
		t.Fatal(err)
	}
	host := regexp.MustCompile(`\nHOST_PACKAGES=\(([^)]*)\)`).FindSubmatch(tb)
	if host == nil {
		t.Fatal("testbed.sh: no HOST_PACKAGES")
	}
	for _, p := range strings.Fields(string(host[1])) {
		installs[p] = true
	}

	for p, files := range named {
		if !table[p] {
			t.Errorf("%s, named by %v, is not in README.md's table of Debian packages", p, files)
		}
		if !installs[p] {
			t.Errorf("%s, named by %v, is not installed by .ci/run", p, files)
		}
	}
}
