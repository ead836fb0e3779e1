package patchkit

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeTour checks that README.md shows the body of Example_tour, so the
// sample in the README is code that compiles and runs, and that the README
// keeps the two promised commands.
func TestReadmeTour(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	src, err := os.ReadFile("readme_example_test.go")
	require.NoError(t, err)
	s := string(src)
	i := strings.Index(s, "func Example_tour() {\n")
	j := strings.Index(s, "\t// Output:")
	require.True(t, i >= 0 && j > i)
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(s[i+len("func Example_tour() {\n"):j], "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	assert.Contains(t, string(readme), "```go\n"+strings.Join(lines, "\n")+"\n```\n")
	assert.Contains(t, string(readme), "go run ./examples/scanhost")
	assert.Contains(t, string(readme), "go test -race ./...")
	ci, err := os.ReadFile(".ci/run")
	require.NoError(t, err)
	assert.Contains(t, string(ci), "\ngo test -race ./...\n", ".ci/run calls the README's test command")
}
