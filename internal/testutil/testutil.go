// Package testutil holds helpers that patchkit's tests share.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where every
// end-to-end test must run: a missing tool is a failure, not a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// NeedTool returns the path of the program name. When it is missing the test
// is skipped with a message naming the Debian package that provides it, or,
// under CI, fails.
func NeedTool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	missing(t, name, debianPackage)
	return ""
}

// NeedFile is NeedTool for a file a Debian package installs that is not a
// program: a header, a library, a Perl module. It returns path.
func NeedFile(t testing.TB, path, debianPackage string) string {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	missing(t, path, debianPackage)
	return ""
}

// NeedGo returns the path of the go command: the one on PATH, else the one
// of the toolchain the test binary was built with. Debian 12's golang-go
// (Go 1.19) cannot build this module, so the message points to go.dev.
func NeedGo(t testing.TB) string {
	t.Helper()
	if path, err := exec.LookPath("go"); err == nil {
		return path
	}
	if root := runtime.GOROOT(); root != "" {
		if path := filepath.Join(root, "bin", "go"); fileExists(path) {
			return path
		}
	}
	msg := "the go command is not on PATH (Go 1.26.8 or newer, from https://go.dev/dl; Debian 12's golang-go is too old); this test needs it"
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func missing(t testing.TB, what, debianPackage string) {
	t.Helper()
	msg := what + " is not installed (Debian package " + debianPackage + "); this end-to-end test needs it"
	if InCI() {
		t.Fatal(msg + ": CI must install it in .ci/run")
	}
	t.Skip(msg)
}

// Slow marks an inherently slow end-to-end test (a browser, installs of
// real Debian packages, a scan of the host's full lists): `go test -short`
// skips it, saying why, for a quick loop. Without -short, and always under
// CI, it runs; the README's test command has no -short.
func Slow(t testing.TB, why string) {
	t.Helper()
	if testing.Short() && !InCI() {
		t.Skip("slow end-to-end test, left out by -short: " + why)
	}
}

// Run runs a program in dir (the test's working directory when empty) with
// env added to the environment, and returns its standard output. A failure
// ends the test with the program's output and standard error.
func Run(t testing.TB, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s%s", name, args, err, out, stderr.String())
	}
	return string(out)
}
