package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNodeArguments: -node with more than one file argument is a usage
// error (exit 2), whatever the files hold, and reads none of them; one file
// holding several reports is a failure of the input (exit 1).
func TestNodeArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-node", "testdata/web-prod-1.json", "testdata/web-prod-5.json"}, 2, "fleetreport: -node shows one report: give one file (or -), not 2\n"},
		{[]string{"-node", "-html", "testdata/web-prod-1.json", "no-such-file.json", "-"}, 2, "fleetreport: -node shows one report: give one file (or -), not 3\n"},
		{[]string{"-node", "testdata/fleet.jsonl"}, 1, "fleetreport: testdata/fleet.jsonl: -node needs exactly one report, got more\n"},
	} {
		var out, errOut bytes.Buffer
		assert.Equal(t, c.code, run(c.args, strings.NewReader(""), &out, &errOut), c.args)
		assert.Equal(t, c.want, errOut.String(), c.args)
		assert.Empty(t, out.String(), c.args)
	}
	var out, errOut bytes.Buffer
	assert.Equal(t, 1, run([]string{"-node"}, strings.NewReader(""), &out, &errOut))
	assert.Equal(t, "fleetreport: standard input: -node needs exactly one report, got none\n", errOut.String())
	// One file, or standard input, is shown.
	out.Reset()
	errOut.Reset()
	assert.Equal(t, 0, run([]string{"-node", "-"}, strings.NewReader(readFile(t, "testdata/web-prod-1.json")), &out, &errOut), errOut.String())
	assert.Equal(t, readFile(t, golden+"node.txt"), out.String())
}
