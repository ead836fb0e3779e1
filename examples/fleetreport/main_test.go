package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testdata/ holds the compliance package's rendering fixtures as JSON (the
// compliance tests keep them current), so what this command prints must be
// the compliance package's golden files: the reports survive the trip
// through JSON, files and standard input.
const golden = "../../compliance/testdata/"

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func runOK(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Empty(t, errOut.String())
	return out.String()
}

func TestFleetText(t *testing.T) {
	want := readFile(t, golden+"fleet.txt")
	assert.Equal(t, want, runOK(t, "", "testdata/fleet.jsonl"))

	// The same reports from standard input, and spread over several
	// files, one of them indented JSON.
	lines := readFile(t, "testdata/fleet.jsonl")
	assert.Equal(t, want, runOK(t, lines))
	assert.Equal(t, want, runOK(t, lines, "-"))
	all := strings.SplitAfter(strings.TrimSpace(lines), "\n")
	dir := t.TempDir()
	first, rest := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	require.NoError(t, os.WriteFile(first, []byte(strings.Join(all[1:5], "")), 0o644))
	require.NoError(t, os.WriteFile(rest, []byte(strings.Join(all[5:], "")), 0o644))
	assert.Equal(t, want, runOK(t, "", "testdata/web-prod-1.json", first, rest))
}

func TestFleetHTML(t *testing.T) {
	got := runOK(t, "", "-html", "-title", "Patch compliance: example fleet", "testdata/fleet.jsonl")
	assert.Equal(t, readFile(t, golden+"fleet.html"), got)

	got = runOK(t, "", "-html", "-top", "2", "testdata/fleet.jsonl")
	assert.Contains(t, got, "<title>Patch compliance</title>")
	assert.Equal(t, 2, strings.Count(got, `<tr class="missing">`))
}

func TestTop(t *testing.T) {
	got := runOK(t, "", "-top", "3", "testdata/fleet.jsonl")
	_, list, ok := strings.Cut(got, "Top missing patches\n")
	require.True(t, ok)
	lines := strings.Split(strings.TrimSpace(list), "\n")
	require.Len(t, lines, 4)
	assert.Regexp(t, `^1\s+openssl-libs.x86_64\s+3\s`, lines[1])
	assert.Regexp(t, `^3\s+tzdata.noarch\s+2\s`, lines[3])
}

func TestNode(t *testing.T) {
	assert.Equal(t, readFile(t, golden+"node.txt"), runOK(t, "", "-node", "testdata/web-prod-1.json"))
	assert.Equal(t, readFile(t, golden+"node.html"), runOK(t, "", "-node", "-html", "testdata/web-prod-1.json"))
	// A node whose repository could not be read: UNKNOWN, with the
	// repository and its reason.
	assert.Equal(t, readFile(t, golden+"node-unknown.txt"), runOK(t, "", "-node", "testdata/web-prod-5.json"))
	assert.Equal(t, readFile(t, golden+"node-unknown.html"), runOK(t, "", "-node", "-html", "testdata/web-prod-5.json"))
	// One line of JSON Lines on standard input is one report too.
	first, _, _ := strings.Cut(readFile(t, "testdata/fleet.jsonl"), "\n")
	assert.Equal(t, readFile(t, golden+"node.txt"), runOK(t, first+"\n", "-node"))
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
		return path
	}
	newer := write("newer.json", `{"SchemaVersion":"2.0","Node":{}}`)
	// web-prod-5 with its UNKNOWN status turned into COMPLIANT: refused.
	forged := write("forged.json", strings.Replace(readFile(t, "testdata/web-prod-5.json"), `"Status": "UNKNOWN"`, `"Status": "COMPLIANT"`, 1))
	second := write("second.jsonl", readFile(t, "testdata/web-prod-1.json")+`{"SchemaVersion":"1.0","Colour":"red"}`)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{filepath.Join(dir, "missing.json")}, 1, "missing.json: open "},
		{[]string{write("bad.json", "{not json")}, 1, "bad.json: report 1: compliance: report: invalid character 'n' looking for beginning of object key string"},
		{[]string{"/dev/zero"}, 1, `/dev/zero: report 1: compliance: byte 0: a report is a JSON object, not something starting with '\x00'`},
		{[]string{newer}, 1, `newer.json: report 1: compliance: report schema version "2.0": written by a newer patchkit`},
		{[]string{second}, 1, `second.jsonl: report 2: compliance: report: json: unknown field "Colour"`},
		{[]string{forged}, 1, "forged.json: report 1: compliance: Summary.Status: COMPLIANT, but 1 repository is not OK"},
		{[]string{"-node", "testdata/fleet.jsonl"}, 1, "-node needs exactly one report, got more"},
		{[]string{"-node", write("empty.jsonl", "")}, 1, "-node needs exactly one report, got none"},
		{[]string{"-node", "-html", newer}, 1, "written by a newer patchkit"},
		{[]string{"-top", "0"}, 2, "-top must be at least 1"},
		{[]string{"-colour"}, 2, "flag provided but not defined: -colour"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		assert.Equal(t, c.code, run(c.args, strings.NewReader(""), &out, &errOut), c.args)
		assert.Contains(t, errOut.String(), c.want, c.args)
		assert.Empty(t, out.String(), c.args)
	}

	// A failing standard output is an error too.
	var errOut bytes.Buffer
	assert.Equal(t, 1, run([]string{"testdata/fleet.jsonl"}, strings.NewReader(""), failingWriter{}, &errOut))
	assert.Contains(t, errOut.String(), "compliance: rendering text: file already closed")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }
