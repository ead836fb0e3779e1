package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseNow(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2025-11-24":                time.Date(2025, 11, 24, 0, 0, 0, 0, time.UTC),
		"2025-11-24T00:00:00Z":      time.Date(2025, 11, 24, 0, 0, 0, 0, time.UTC),
		"2025-11-24T01:30:00+02:00": time.Date(2025, 11, 23, 23, 30, 0, 0, time.UTC),
	} {
		got, err := parseNow(in)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseNow(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	before := time.Now()
	got, err := parseNow("now")
	if err != nil || got.Before(before.Add(-time.Second)) || got.After(time.Now()) || got.Location() != time.UTC {
		t.Errorf(`parseNow("now") = %v, %v`, got, err)
	}
	for _, bad := range []string{"", "tomorrow", "2025-11-24 00:00", "24.11.2025", "NOW"} {
		if _, err := parseNow(bad); err == nil || err.Error() != `"`+bad+`" is neither RFC 3339, YYYY-MM-DD nor "now"` {
			t.Errorf("parseNow(%q): %v", bad, err)
		}
	}
}

// nowFlag finds a flag named "now" in a program's source.
var nowFlag = regexp.MustCompile(`\.String(Var)?\((&[\w.]+, )?"now"`)

// TestParseNowIsShared: every example program that takes -now reads it
// with the same parseNow, word for word (the programs use the public API
// only, so each holds a copy; this test keeps the copies one).
func TestParseNowIsShared(t *testing.T) {
	mine := parseNowSource(t, "main.go")
	if mine == "" {
		t.Fatal("no parseNow in main.go")
	}
	programs, err := filepath.Glob("../*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	withNow := 0
	for _, p := range programs {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !nowFlag.Match(src) {
			continue
		}
		withNow++
		if got := parseNowSource(t, p); got != mine {
			t.Errorf("%s: parseNow differs from examples/evaluate's:\n%s\nwant\n%s", p, got, mine)
		}
	}
	if withNow < 3 {
		t.Errorf("found -now in %d programs, want evaluate, repoinfo and scanhost at least", withNow)
	}
}

// parseNowSource returns the function parseNow of a file with its doc
// comment, printed; "" when the file has none.
func parseNowSource(t *testing.T, file string) string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "parseNow" {
			continue
		}
		var b bytes.Buffer
		if fn.Doc != nil {
			b.WriteString(fn.Doc.Text())
		}
		if err := printer.Fprint(&b, fset, fn.Type); err != nil {
			t.Fatal(err)
		}
		if err := printer.Fprint(&b, fset, fn.Body); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	return ""
}

// TestReadmeListsEveryProgram: the README's table of example programs
// names every program under examples/, and every program's documentation
// points to the README's exit codes.
func TestReadmeListsEveryProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i := strings.Index(s, "\n## The example programs\n")
	if i < 0 {
		t.Fatal(`README.md has no "## The example programs" section`)
	}
	section := s[i+1:]
	if j := strings.Index(section[1:], "\n## "); j >= 0 {
		section = section[:j+1]
	}
	if !strings.Contains(section, "### Exit codes") {
		t.Error("the section has no exit codes")
	}
	programs, err := filepath.Glob("../*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(programs) < 4 {
		t.Fatalf("found %d programs", len(programs))
	}
	for _, p := range programs {
		name := filepath.Base(filepath.Dir(p))
		if !strings.Contains(section, "| `examples/"+name+"` | ") {
			t.Errorf("README.md does not list examples/%s among the example programs", name)
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), "// Exit codes are those of every example program (see the README): 0\n// success") {
			t.Errorf("%s: the package documentation does not point to the README's exit codes", p)
		}
	}
}
