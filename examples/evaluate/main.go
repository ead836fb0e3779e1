// Command evaluate decides candidate patches against a patch baseline,
// offline: the baseline from a file (a get-patch-baseline output, a
// CreatePatchBaseline request, a BaselineOverride file or a node snapshot)
// or an AWS-owned baseline by name, the candidates from a JSON array of
// patchkit.Patch, and the evaluation time from -now.
//
//	go run ./examples/evaluate -predefined AWS-AmazonLinux2DefaultPatchBaseline \
//	    -candidates testdata/baseline/candidates/rpm.json -product AmazonLinux2 -now 2025-11-24T00:00:00Z
//
// It prints a table, or JSON with -format json. It exits 1 on bad input,
// naming what is wrong.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// result is one line of the JSON output.
type result struct {
	Patch    patchkit.Patch    `json:"Patch"`
	Decision baseline.Decision `json:"Decision"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("baseline", "", "baseline file: any JSON shape of a patch baseline, one object or an array")
	name := fs.String("predefined", "", "an AWS-owned baseline by name, e.g. AWS-UbuntuDefaultPatchBaseline")
	osName := fs.String("os", "", "the node's OperatingSystem (default: the baseline's); picks one baseline of a BaselineOverride file")
	product := fs.String("product", "", "the node's PRODUCT, e.g. AmazonLinux2023")
	cands := fs.String("candidates", "", "JSON array of candidate patches (patchkit.Patch)")
	nowFlag := fs.String("now", "", `evaluation time: RFC 3339, YYYY-MM-DD (00:00 UTC) or "now"`)
	format := fs.String("format", "table", "table or json")
	exact := fs.Bool("exact-instants", false, "ApproveAfterDays by instant instead of calendar day")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "evaluate: "+format+"\n", a...)
		return 1
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	if (*file == "") == (*name == "") {
		return fail("give exactly one of -baseline and -predefined")
	}
	if *cands == "" {
		return fail("-candidates is required")
	}
	if *format != "table" && *format != "json" {
		return fail("-format must be table or json, not %q", *format)
	}
	now, err := parseNow(*nowFlag)
	if err != nil {
		return fail("-now: %v", err)
	}
	var opts []baseline.Option
	if *exact {
		opts = append(opts, baseline.ExactInstants())
	}

	var wantOS patchkit.OperatingSystem
	if *osName != "" {
		if wantOS, err = patchkit.ParseOperatingSystem(*osName); err != nil {
			return fail("-os: %v", err)
		}
	}
	b, err := pickBaseline(*file, *name, wantOS, opts)
	if err != nil {
		return fail("%v", err)
	}
	node := baseline.Node{OperatingSystem: b.OperatingSystem, Product: *product}

	data, err := os.ReadFile(*cands)
	if err != nil {
		return fail("%v", err)
	}
	var patches []patchkit.Patch
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&patches); err != nil {
		return fail("%s: %v", *cands, err)
	}
	ds, err := baseline.Evaluate(b, node, patches, now, opts...)
	if err != nil {
		return fail("%v", err)
	}

	if *format == "json" {
		out := make([]result, len(ds))
		for i := range ds {
			out[i] = result{Patch: patches[i], Decision: ds[i]}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail("%v", err)
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "# %s (%s) for %s %s at %s\n", b.Name, b.OperatingSystem, node.OperatingSystem, node.Product, now.Format(time.RFC3339))
	fmt.Fprintln(tw, "PATCH\tAPPROVED\tSTATUS\tREASON\tLEVEL\tAPPROVAL DATE\tRULES\tENTRY/FILTER")
	for i, d := range ds {
		p := patches[i]
		id := p.Name
		if p.Version != "" {
			id += " " + p.EVR()
		}
		if p.Arch != "" {
			id += " " + p.Arch
		}
		date := ""
		if !d.ApprovalDate.IsZero() {
			date = d.ApprovalDate.Format(time.RFC3339)
		}
		rules := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(d.Rules.Indexes())), ","), "[]")
		detail := d.Entry
		if d.FilterKey != "" {
			detail = string(d.FilterKey)
		}
		status := d.Status.String()
		if status == "" {
			status = "-"
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%s\t%s\t%s\t%s\n", id, d.Approved, status, d.Reason, d.ComplianceLevel, date, rules, detail)
	}
	if err := tw.Flush(); err != nil {
		return fail("%v", err)
	}
	return 0
}

func parseNow(s string) (time.Time, error) {
	switch s {
	case "":
		return time.Time{}, errors.New(`required (RFC 3339, YYYY-MM-DD or "now")`)
	case "now":
		return time.Now().UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
	}
	return t, nil
}

func pickBaseline(file, name string, os patchkit.OperatingSystem, opts []baseline.Option) (baseline.Baseline, error) {
	if name != "" {
		b, err := baseline.PredefinedByName(name, opts...)
		if err == nil && os != "" && b.OperatingSystem != os {
			err = fmt.Errorf("%s is for %s, not %s", name, b.OperatingSystem, os)
		}
		return b, err
	}
	f, err := openFile(file)
	if err != nil {
		return baseline.Baseline{}, err
	}
	defer f.Close()
	bs, err := baseline.Load(f, opts...)
	if err != nil {
		return baseline.Baseline{}, fmt.Errorf("%s: %w", file, err)
	}
	var match []baseline.Baseline
	for _, b := range bs {
		if os == "" || b.OperatingSystem == os {
			match = append(match, b)
		}
	}
	switch {
	case len(match) == 1:
		return match[0], nil
	case len(match) == 0:
		return baseline.Baseline{}, fmt.Errorf("%s has no baseline for %s", file, os)
	}
	return baseline.Baseline{}, fmt.Errorf("%s holds %d baselines; pick one with -os", file, len(match))
}

func openFile(name string) (*os.File, error) { return os.Open(name) }
