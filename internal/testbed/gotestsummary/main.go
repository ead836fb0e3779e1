// Command gotestsummary reads the events of `go test -json` on standard
// input and prints what plain `go test` prints (a line per package, and the
// output of failed tests), then every skipped test with its reason, then one
// count line, "tests: N passed, N failed, N skipped". It exits 1 when a test,
// a package or a build failed, or when the input holds no test results.
//
// .ci/run runs the README's test command through it, so that CI logs say
// which end-to-end tests did not run:
//
//	GOFLAGS=-json go test -race ./... 2>&1 | go run ./internal/testbed/gotestsummary
//
// Lines that are not JSON events (the go command's own messages) are copied
// as they come.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() { os.Exit(summarize(os.Stdin, os.Stdout)) }

// event is one line of go test -json (cmd/test2json's TestEvent, plus the
// build events of the go command).
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	ImportPath  string
	FailedBuild string
}

// maxLine bounds one event; test output lines longer than this end the run.
const maxLine = 16 << 20

type skipped struct {
	pkg, test string
	output    []string
}

type summary struct {
	out                      io.Writer
	pending                  map[string]map[string][]string // package -> running test -> its output so far
	pkgOutput                map[string][]string            // package -> output outside any test
	failedOutput             map[string][]string            // package -> output of its failed tests, in order
	skips                    []skipped
	passed, failed, nSkipped int
	packages, failedPackages int
}

func summarize(in io.Reader, out io.Writer) int {
	s := &summary{out: out, pending: map[string]map[string][]string{}, pkgOutput: map[string][]string{},
		failedOutput: map[string][]string{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if !bytes.HasPrefix(line, []byte("{")) || json.Unmarshal(line, &ev) != nil || ev.Action == "" {
			fmt.Fprintf(out, "%s\n", line)
			continue
		}
		s.add(ev)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(out, "gotestsummary: reading go test -json: %v\n", err)
		return 1
	}
	return s.finish()
}

func (s *summary) add(ev event) {
	switch ev.Action {
	case "build-output":
		fmt.Fprint(s.out, ev.Output)
		return
	case "build-fail":
		return // the package's own fail event follows, with FailedBuild set
	}
	if ev.Test == "" {
		switch ev.Action {
		case "output":
			if ev.Output != "PASS\n" {
				s.pkgOutput[ev.Package] = append(s.pkgOutput[ev.Package], ev.Output)
			}
		case "pass", "skip", "fail":
			s.endPackage(ev)
		}
		return
	}
	tests := s.pending[ev.Package]
	if tests == nil {
		tests = map[string][]string{}
		s.pending[ev.Package] = tests
	}
	switch ev.Action {
	case "output":
		if !strings.HasPrefix(ev.Output, "=== ") { // RUN, PAUSE, CONT, NAME: plain go test hides them
			tests[ev.Test] = append(tests[ev.Test], ev.Output)
		}
	case "pass":
		s.passed++
		delete(tests, ev.Test)
	case "skip":
		s.nSkipped++
		s.skips = append(s.skips, skipped{ev.Package, ev.Test, tests[ev.Test]})
		delete(tests, ev.Test)
	case "fail":
		s.failed++
		s.failedOutput[ev.Package] = append(s.failedOutput[ev.Package], tests[ev.Test]...)
		delete(tests, ev.Test)
	}
}

func (s *summary) endPackage(ev event) {
	s.packages++
	if ev.Action == "fail" {
		s.failedPackages++
		for _, l := range s.failedOutput[ev.Package] {
			fmt.Fprint(s.out, l)
		}
		// output of tests that never ended (a panic or a timeout killed the test binary)
		for _, lines := range s.pending[ev.Package] {
			for _, l := range lines {
				fmt.Fprint(s.out, l)
			}
		}
	}
	for _, l := range s.pkgOutput[ev.Package] {
		fmt.Fprint(s.out, l)
	}
	if ev.Action == "fail" && ev.FailedBuild != "" && len(s.pkgOutput[ev.Package]) == 0 {
		fmt.Fprintf(s.out, "FAIL\t%s [build failed]\n", ev.Package)
	}
	delete(s.pending, ev.Package)
	delete(s.pkgOutput, ev.Package)
	delete(s.failedOutput, ev.Package)
}

func (s *summary) finish() int {
	if len(s.skips) > 0 {
		fmt.Fprintf(s.out, "\nSkipped tests (%d):\n", len(s.skips))
		for _, sk := range s.skips {
			fmt.Fprintf(s.out, "SKIP %s %s\n", sk.pkg, sk.test)
			for _, l := range sk.output {
				if !strings.HasPrefix(l, "--- SKIP") {
					fmt.Fprint(s.out, l)
				}
			}
		}
	}
	code := 0
	switch {
	case s.packages == 0:
		fmt.Fprintln(s.out, "\ngotestsummary: the input held no package results")
		code = 1
	case s.failed > 0 || s.failedPackages > 0:
		fmt.Fprintf(s.out, "\nFAIL: %d failed tests, %d failed packages\n", s.failed, s.failedPackages)
		code = 1
	}
	// the closing line: CI readers take it as the run's count
	fmt.Fprintf(s.out, "\ntests: %d passed, %d failed, %d skipped\n", s.passed, s.failed, s.nSkipped)
	return code
}
