package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testutil"
)

// goTestJSON writes a small module with the given files and returns what a
// real `go test -json ./...` prints for it (standard error included, as in
// .ci/run).
func goTestJSON(t *testing.T, files map[string]string) string {
	t.Helper()
	gobin := testutil.NeedGo(t)
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.22\n"
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	cmd := exec.CommandContext(t.Context(), gobin, "test", "-json", "./...")
	cmd.Dir = dir
	// .ci/run exports GOFLAGS=-json to the whole test run; this inner run sets its own flags
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local", "CI=")
	out, _ := cmd.CombinedOutput() // exit 1 is expected when a test fails
	require.Contains(t, string(out), `"Action":"start"`, "not go test -json output:\n%s", out)
	return string(out)
}

func TestSummaryOfRealRun(t *testing.T) {
	in := goTestJSON(t, map[string]string{
		"pass/pass_test.go": `package pass

import ("fmt"; "testing")

func TestOK(t *testing.T) { t.Log("quiet when passing") }
func TestSubtests(t *testing.T) {
	t.Run("a", func(t *testing.T) {})
	t.Run("b", func(t *testing.T) { t.Skip("b needs a thing that is not here") })
}
func TestSkipped(t *testing.T) { t.Skip("needs the testbed") }
func Example() { fmt.Println("hi") ; // Output: hi
}
`,
		"fail/fail_test.go": `package fail

import "testing"

func TestGood(t *testing.T) {}
func TestBad(t *testing.T) {
	t.Run("inner", func(t *testing.T) { t.Error("inner went wrong") })
}
`,
		"notests/notests.go": "package notests\n",
		"panics/panics_test.go": `package panics

import "testing"

func TestPanics(t *testing.T) { t.Log("before the panic"); panic("boom in the test") }
`,
		"broken/broken_test.go": `package broken

import "testing"

func TestX(t *testing.T) { nope() }
`,
	})
	var out strings.Builder
	code := summarize(strings.NewReader(in), &out)
	got := out.String()
	assert.Equal(t, 1, code, got)
	assert.Contains(t, got, "ok  \texample.com/m/pass\t")
	assert.Contains(t, got, "?   \texample.com/m/notests\t[no test files]")
	assert.Contains(t, got, "inner went wrong")
	assert.Contains(t, got, "--- FAIL: TestBad/inner")
	assert.Contains(t, got, "--- FAIL: TestBad ")
	assert.Contains(t, got, "FAIL\texample.com/m/fail\t")
	assert.Contains(t, got, "undefined: nope")
	assert.Contains(t, got, "example.com/m/broken")
	assert.NotContains(t, got, "quiet when passing", "passing tests' output is hidden, as plain go test does")
	assert.NotContains(t, got, "=== RUN")
	assert.Contains(t, got, "\nSkipped tests (2):\n"+
		"SKIP example.com/m/pass TestSubtests/b\n")
	assert.Contains(t, got, "b needs a thing that is not here\n")
	assert.Contains(t, got, "SKIP example.com/m/pass TestSkipped\n")
	assert.Contains(t, got, "needs the testbed\n")
	assert.Contains(t, got, "before the panic")
	assert.Contains(t, got, "panic: boom in the test")
	assert.Contains(t, got, "FAIL\texample.com/m/panics\t")
	assert.Contains(t, got, "\nFAIL: 3 failed tests, 3 failed packages\n")
	// passed: TestOK, TestSubtests, TestSubtests/a, Example, TestGood;
	// failed: TestBad/inner, TestBad, TestPanics; the broken package has no test results
	assert.True(t, strings.HasSuffix(got, "\ntests: 5 passed, 3 failed, 2 skipped\n"), got)
}

func TestSummaryAllPassing(t *testing.T) {
	in := goTestJSON(t, map[string]string{
		"a/a_test.go": "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n",
	})
	var out strings.Builder
	code := summarize(strings.NewReader("go: downloading nothing\n"+in), &out)
	assert.Equal(t, 0, code, out.String())
	assert.Equal(t, "go: downloading nothing\n", out.String()[:len("go: downloading nothing\n")], "non-JSON lines are copied")
	assert.Contains(t, out.String(), "ok  \texample.com/m/a\t")
	assert.NotContains(t, out.String(), "Skipped tests")
	assert.True(t, strings.HasSuffix(out.String(), "\ntests: 1 passed, 0 failed, 0 skipped\n"), out.String())
}

func TestSummaryOfNothing(t *testing.T) {
	for _, in := range []string{"", "go: cannot find main module\n", `{"Action":"start","Package":"x"}` + "\n"} {
		var out strings.Builder
		assert.Equal(t, 1, summarize(strings.NewReader(in), &out), "%q", in)
		assert.Contains(t, out.String(), "the input held no package results")
	}
	var out strings.Builder
	assert.Equal(t, 1, summarize(strings.NewReader(`{"Action":"output","Output":"`+strings.Repeat("x", maxLine)+`"}`), &out))
	assert.Contains(t, out.String(), "token too long")
}
