// Command fleetreport aggregates nodes' compliance reports and shows the
// fleet the way the Patch Manager dashboard does: as tables for a terminal,
// or as one self-contained HTML page with -html.
//
//	go run ./examples/fleetreport examples/fleetreport/testdata/fleet.jsonl
//	go run ./examples/fleetreport -html -title "Production" reports/*.json > fleet.html
//	cat reports.jsonl | go run ./examples/fleetreport
//	go run ./examples/fleetreport -node -html examples/fleetreport/testdata/web-prod-1.json > node.html
//
// The arguments are report files (compliance.Report JSON, as
// Report.SaveFile writes it); a file may hold several reports one after
// another (JSON Lines). Without arguments, or with "-", it reads standard
// input. The reports are read one at a time, so the fleet may be larger than
// memory. With -node it shows the single report it is given instead: one
// file argument (more is a usage error), holding one report.
//
// A node whose scan could not trust a repository's metadata is UNKNOWN
// unless it misses a patch: the fleet counts it apart, never as compliant,
// and -node lists the repositories and why. A report that says COMPLIANT
// while one of its repositories is not OK is refused as unreadable.
//
// Exit codes are those of every example program (see the README): 0
// success, 1 failure (an input cannot be read or holds something other
// than reports), 2 usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/patchkit/patchkit/compliance"
)

// Exit codes, as in every example program.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// InputError reports an input that could not be read: which, and which
// report in it (from 1; 0 when the file itself failed).
type InputError struct {
	Name   string
	Report int
	Err    error
}

func (e *InputError) Error() string {
	if e.Report == 0 {
		return e.Name + ": " + e.Err.Error()
	}
	return fmt.Sprintf("%s: report %d: %v", e.Name, e.Report, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// errNodeCount is returned by -node when the input is not one report.
var errNodeCount = errors.New("-node needs exactly one report")

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleetreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asHTML := fs.Bool("html", false, "write one self-contained HTML page instead of text")
	node := fs.Bool("node", false, "show the one report given instead of a fleet")
	title := fs.String("title", "Patch compliance", "the fleet page's title")
	top := fs.Int("top", compliance.DefaultTopMissing, "how many of the most-missing patches to list")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fleetreport [-html] [-node] [-title TITLE] [-top N] [report.json|reports.jsonl|-]...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *top < 1 {
		fmt.Fprintf(stderr, "fleetreport: -top must be at least 1, not %d\n", *top)
		return exitUsage
	}
	names := fs.Args()
	if *node && len(names) > 1 {
		fmt.Fprintf(stderr, "fleetreport: -node shows one report: give one file (or -), not %d\n", len(names))
		return exitUsage
	}
	if len(names) == 0 {
		names = []string{"-"}
	}
	reports := readAll(names, stdin)

	var err error
	if *node {
		name := names[0]
		if name == "-" {
			name = "standard input"
		}
		err = showNode(reports, name, *asHTML, stdout)
	} else {
		err = showFleet(reports, *top, *asHTML, *title, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "fleetreport:", err)
		return exitFailure
	}
	return exitOK
}

// readAll yields the reports of every input in turn, opening each file only
// when the previous one is done.
func readAll(names []string, stdin io.Reader) iter.Seq2[*compliance.Report, error] {
	return func(yield func(*compliance.Report, error) bool) {
		for _, name := range names {
			if !readOne(name, stdin, yield) {
				return
			}
		}
	}
}

// readOne yields the reports of one input and reports whether to go on.
func readOne(name string, stdin io.Reader, yield func(*compliance.Report, error) bool) bool {
	var r io.Reader = stdin
	if name == "-" {
		name = "standard input"
	} else {
		f, err := os.Open(name)
		if err != nil {
			yield(nil, &InputError{Name: name, Err: err})
			return false
		}
		defer f.Close()
		r = f
	}
	n := 0
	for rep, err := range compliance.Reports(r) {
		n++
		if err != nil {
			yield(nil, &InputError{Name: name, Report: n, Err: err})
			return false
		}
		if !yield(rep, nil) {
			return false
		}
	}
	return true
}

func showFleet(reports iter.Seq2[*compliance.Report, error], top int, asHTML bool, title string, w io.Writer) error {
	fleet, err := compliance.Aggregate(reports, top)
	if err != nil {
		return err
	}
	if asHTML {
		return fleet.WriteHTML(w, title)
	}
	return fleet.WriteText(w)
}

// showNode shows the one report of the input name.
func showNode(reports iter.Seq2[*compliance.Report, error], name string, asHTML bool, w io.Writer) error {
	var one compliance.Report
	n := 0
	for r, err := range reports {
		if err != nil {
			return err
		}
		n++
		if n > 1 {
			return fmt.Errorf("%s: %w, got more", name, errNodeCount)
		}
		one = *r
	}
	if n == 0 {
		return fmt.Errorf("%s: %w, got none", name, errNodeCount)
	}
	if asHTML {
		return one.WriteHTML(w)
	}
	return one.WriteText(w)
}
