// Command evaluate decides candidate patches against a patch baseline,
// offline: the baseline from a file (a get-patch-baseline output, a
// CreatePatchBaseline request, a BaselineOverride file or a node snapshot)
// or an AWS-owned baseline by name, the candidates from a JSON array of
// patchkit.Patch, and the evaluation time from -now (RFC 3339, a date
// YYYY-MM-DD meaning 00:00 UTC, or "now").
//
//	go run ./examples/evaluate -predefined AWS-AmazonLinux2DefaultPatchBaseline \
//	    -candidates testdata/baseline/candidates/rpm.json -product AmazonLinux2 -now 2025-11-24T00:00:00Z
//
// It prints a table, or JSON with -format json: for every candidate the
// decision and why, in words: the approved or rejected list entry, the
// rules that approve it, and for a candidate not approved what each rule
// (numbered from 1, as the table's header lists them) found: which filter
// failed on which value of the patch, or the date approval waits for. In
// the JSON, Decision.Rules are baseline.Evaluate's rule indexes, from 0;
// RuleNumbers beside it are the same rules numbered from 1, as the text
// and FailedFilters number them. It warns when the candidates come from
// another kind of system than the baseline's (rpm packages against an
// Ubuntu baseline, say).
//
// Exit codes are those of every example program (see the README): 0
// success, 1 failure (a file cannot be read or is not what it should be,
// no such baseline), 2 usage.
package main

import (
	"bytes"
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

// Exit codes, as in every example program.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// maxCandidates bounds the candidates file: a host's candidates take a
// few megabytes at most, and every MiB of them costs 15 to 18 MiB of
// memory to decode, decide and explain (measured with 31 MiB and 200 MB of
// candidates). maxPatch bounds one candidate.
const (
	maxCandidates = 32 << 20
	maxPatch      = 1 << 20
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// result is one element of the JSON output.
type result struct {
	Patch patchkit.Patch `json:"Patch"`
	// Decision is baseline.Evaluate's; its Rules are indexes from 0 into
	// ApprovalRules.PatchRules.
	Decision baseline.Decision `json:"Decision"`
	// RuleNumbers are Decision.Rules numbered from 1, as the table's header
	// and explanation ("rule 1") and FailedFilters number the rules: the
	// rules that approve the patch (or, for a patch too new or past its
	// ApproveUntilDate, that would). Empty when none.
	RuleNumbers []int `json:"RuleNumbers"`
	// Explanation says in words why the decision came out as it did (the
	// table's WHY column).
	Explanation string `json:"Explanation"`
	// FailedFilters are the filters that failed on the patch: the global
	// filter, or for a patch no rule approves, each rule's first failing
	// filter.
	FailedFilters []failedFilter `json:"FailedFilters,omitempty"`
}

// failedFilter is one filter that a patch failed.
type failedFilter struct {
	// Rule is the rule's number, from 1, in ApprovalRules.PatchRules; 0 for
	// the global filters.
	Rule   int                `json:"Rule"`
	Key    baseline.FilterKey `json:"Key"`
	Values []string           `json:"Values"`
	// PatchValue is the patch's value of the property, "" when it has none.
	PatchValue string `json:"PatchValue"`
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
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "evaluate: "+format+"\n", a...)
		return exitFailure
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "evaluate: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	if (*file == "") == (*name == "") {
		return usage("give exactly one of -baseline and -predefined")
	}
	if *cands == "" {
		return usage("-candidates is required")
	}
	if *format != "table" && *format != "json" {
		return usage("-format must be table or json, not %q", *format)
	}
	if *nowFlag == "" {
		return usage(`-now is required (RFC 3339, YYYY-MM-DD or "now")`)
	}
	now, err := parseNow(*nowFlag)
	if err != nil {
		return usage("-now: %v", err)
	}
	var wantOS patchkit.OperatingSystem
	if *osName != "" {
		if wantOS, err = patchkit.ParseOperatingSystem(*osName); err != nil {
			return usage("-os: %v", err)
		}
	}
	var opts []baseline.Option
	if *exact {
		opts = append(opts, baseline.ExactInstants())
	}

	b, err := pickBaseline(*file, *name, wantOS, opts)
	if err != nil {
		return fail("%v", err)
	}
	node := baseline.Node{OperatingSystem: b.OperatingSystem, Product: *product}
	patches, err := readCandidates(*cands, maxCandidates)
	if err != nil {
		return fail("%v", err)
	}
	if w := foreignCandidates(b, patches); w != "" {
		fmt.Fprintln(stderr, "evaluate: warning:", w)
	}
	ds, err := baseline.Evaluate(b, node, patches, now, opts...)
	if err != nil {
		return fail("%v", err)
	}
	ex, err := newExplainer(b, node, patches, now, opts)
	if err != nil {
		return fail("%v", err)
	}
	out := make([]result, len(ds))
	for i := range ds {
		out[i] = result{Patch: patches[i], Decision: ds[i], RuleNumbers: []int{}}
		for _, r := range ds[i].Rules.Indexes() {
			out[i].RuleNumbers = append(out[i].RuleNumbers, r+1)
		}
		out[i].Explanation, out[i].FailedFilters = ex.explain(i, ds[i])
	}

	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail("%v", err)
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "# %s (%s) for %s %s at %s\n", b.Name, b.OperatingSystem, node.OperatingSystem, node.Product, now.Format(time.RFC3339))
	if len(b.GlobalFilters.PatchFilters) > 0 {
		fmt.Fprintf(tw, "# global filters: %s\n", describeFilters(b.GlobalFilters.PatchFilters))
	}
	for i, r := range b.ApprovalRules.PatchRules {
		fmt.Fprintf(tw, "# rule %d: %s\n", i+1, describeRule(r))
	}
	fmt.Fprintln(tw, "PATCH\tAPPROVED\tSTATUS\tREASON\tLEVEL\tAPPROVAL DATE\tWHY")
	for i, r := range out {
		p, d := r.Patch, r.Decision
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
		status := d.Status.String()
		if status == "" {
			status = "-"
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%s\t%s\t%s\n", id, d.Approved, status, d.Reason, d.ComplianceLevel, date, out[i].Explanation)
	}
	if err := tw.Flush(); err != nil {
		return fail("%v", err)
	}
	return exitOK
}

// parseNow reads a -now value: an RFC 3339 instant, a date (YYYY-MM-DD,
// 00:00 UTC) or "now" (the system clock). Every example program that takes
// -now has this same function, so that they all read it alike; a test in
// examples/evaluate checks that the copies do not drift apart.
func parseNow(s string) (time.Time, error) {
	if s == "now" {
		return time.Now().UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf(`%q is neither RFC 3339, YYYY-MM-DD nor "now"`, s)
}

func pickBaseline(file, name string, os patchkit.OperatingSystem, opts []baseline.Option) (baseline.Baseline, error) {
	if name != "" {
		b, err := baseline.PredefinedByName(name, opts...)
		if err != nil {
			return b, fmt.Errorf("-predefined: %w (valid names: %s)", err, strings.Join(baseline.PredefinedNames(), ", "))
		}
		if os != "" && b.OperatingSystem != os {
			return b, fmt.Errorf("-predefined: %s is for %s, not %s", name, b.OperatingSystem, os)
		}
		return b, nil
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

// errTooLarge ends a read that goes past its limit; errPatchTooLarge one
// that goes past the limit of one candidate.
var (
	errTooLarge      = errors.New("larger than the limit")
	errPatchTooLarge = errors.New("candidate larger than the limit")
)

// limitedReader reads at most n bytes in all, and no further than the
// offset stop (the end of the candidate being decoded); it fails with
// errTooLarge, or errPatchTooLarge, on the byte after.
type limitedReader struct {
	r    io.Reader
	n    int64 // bytes left under the file's limit
	read int64 // bytes read so far
	stop int64 // offset the current candidate may not reach
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTooLarge
	}
	if l.read >= l.stop {
		return 0, errPatchTooLarge
	}
	if m := min(l.n, l.stop-l.read); int64(len(p)) > m {
		p = p[:m]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	l.read += int64(n)
	return n, err
}

// readCandidates reads a JSON array of patches from the file name, at most
// limit bytes of it. A regular file larger than that is refused before it
// is read; a pipe or a device, which does not tell its size, is read
// first (in chunks, no more than limit bytes), so that too long an input
// is refused having held no more than the limit, not the many times more
// its decoded candidates take.
func readCandidates(name string, limit int64) ([]patchkit.Patch, error) {
	f, err := openFile(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var r io.Reader = f
	if fi.Mode().IsRegular() {
		if fi.Size() > limit {
			return nil, fmt.Errorf("%s: larger than %d bytes (%d bytes)", name, limit, fi.Size())
		}
	} else {
		var (
			chunks []io.Reader
			total  int64
		)
		for {
			buf := make([]byte, min(1<<20, limit+1-total))
			n, err := io.ReadFull(f, buf)
			total += int64(n)
			if total > limit {
				return nil, fmt.Errorf("%s: larger than %d bytes", name, limit)
			}
			if n > 0 {
				chunks = append(chunks, bytes.NewReader(buf[:n]))
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
		r = io.MultiReader(chunks...)
	}
	return decodeCandidates(name, r, limit)
}

// decodeCandidates decodes the array one candidate at a time, so that the
// decoder holds one candidate's text (at most maxPatch bytes) rather than
// the whole array, and at most limit bytes are read whatever r is (a
// device, a pipe). An error names the file, and the candidate (counted
// from 1) and the byte offset where the fault is.
func decodeCandidates(name string, r io.Reader, limit int64) ([]patchkit.Patch, error) {
	lr := &limitedReader{r: r, n: limit, stop: maxPatch}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	// fail words err; in is "" or the candidate being decoded, which
	// starts at byte base (the decoder counts a type error's offset from
	// there, a syntax error's from the start).
	fail := func(in string, base int64, err error) ([]patchkit.Patch, error) {
		var (
			se *json.SyntaxError
			te *json.UnmarshalTypeError
		)
		at := name + ": "
		if in != "" {
			at += in + ", "
		}
		switch {
		case errors.Is(err, errTooLarge):
			return nil, fmt.Errorf("%s: larger than %d bytes", name, limit)
		case errors.Is(err, errPatchTooLarge):
			return nil, fmt.Errorf("%s: %s is larger than %d bytes", name, in, maxPatch)
		case lr.read == 0 && errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%s: the file is empty, not a JSON array", name)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("%s: the file ends (at byte %d) inside the JSON array", name, lr.read)
		case errors.As(err, &se):
			return nil, fmt.Errorf("%sbyte %d: %v", at, se.Offset, err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("%sbyte %d: %v", at, base+te.Offset, err)
		case in != "":
			// an unknown field: the decoder does not say where
			return nil, fmt.Errorf("%s: %s: %v", name, in, err)
		}
		return nil, fmt.Errorf("%sbyte %d: %v", at, dec.InputOffset(), err)
	}
	tok, err := dec.Token()
	if err != nil {
		return fail("", 0, err)
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("%s: byte %d: not a JSON array", name, dec.InputOffset())
	}
	patches := []patchkit.Patch{}
	for dec.More() {
		start := dec.InputOffset()
		lr.stop = start + maxPatch
		var p patchkit.Patch
		if err := dec.Decode(&p); err != nil {
			return fail(fmt.Sprintf("candidate %d (from byte %d)", len(patches)+1, start), start, err)
		}
		patches = append(patches, p)
	}
	lr.stop = dec.InputOffset() + maxPatch
	if _, err := dec.Token(); err != nil { // the closing bracket
		return fail("", 0, err)
	}
	// One array and nothing after it.
	end := dec.InputOffset()
	switch _, err := dec.Token(); {
	case errors.Is(err, io.EOF):
		return patches, nil
	case err == nil:
		return nil, fmt.Errorf("%s: data after the array, which ends at byte %d", name, end)
	default:
		return fail("", 0, err)
	}
}

// foreignCandidates says, when some candidates come from another kind of
// system than the baseline's, how many and which kind; "" when none do.
func foreignCandidates(b baseline.Baseline, patches []patchkit.Patch) string {
	want := osKind(b.OperatingSystem)
	counts := map[string]int{}
	first := map[string]string{}
	worst := ""
	for _, p := range patches {
		k := patchKind(p)
		if k == "" || k == want {
			continue
		}
		counts[k]++
		if first[k] == "" {
			first[k] = p.Name
		}
		if worst == "" || counts[k] > counts[worst] {
			worst = k
		}
	}
	if worst == "" {
		return ""
	}
	return fmt.Sprintf("%s is a baseline for %s (%s), but %d of the %d candidates are %s (the first: %s)",
		b.Name, b.OperatingSystem, want, counts[worst], len(patches), worst, first[worst])
}

// osKind names the kind of candidate a baseline for os decides.
func osKind(os patchkit.OperatingSystem) string {
	switch os {
	case patchkit.OSUbuntu, patchkit.OSDebian, patchkit.OSRaspbian:
		return "deb packages"
	case patchkit.OSWindows:
		return "Windows updates"
	case patchkit.OSMacOS:
		return "macOS updates"
	}
	return "rpm packages"
}

// patchKind names the kind of candidate p is, or "" when it does not say.
func patchKind(p patchkit.Patch) string {
	switch {
	case p.Scheme == patchkit.RPM:
		return "rpm packages"
	case p.Scheme == patchkit.Deb:
		return "deb packages"
	case p.KBNumber != "" || p.MsrcSeverity != "" || p.MsrcNumber != "":
		return "Windows updates"
	}
	switch p.Classification {
	case "softwareupdate", "installer", "brew", "brew_cask":
		return "macOS updates"
	}
	return ""
}

// explainer says why a baseline decided as it did. A Decision names the
// failing filter only when the baseline has one rule; to say it for every
// rule, the explainer evaluates each rule on its own: the baseline with
// that rule alone and no approved or rejected list.
type explainer struct {
	b       baseline.Baseline
	node    baseline.Node
	patches []patchkit.Patch
	perRule [][]baseline.Decision // [rule][candidate]
}

func newExplainer(b baseline.Baseline, node baseline.Node, patches []patchkit.Patch, now time.Time, opts []baseline.Option) (*explainer, error) {
	e := &explainer{b: b, node: node, patches: patches}
	for i, r := range b.ApprovalRules.PatchRules {
		one := b
		one.ApprovalRules.PatchRules = []baseline.Rule{r}
		one.ApprovedPatches, one.RejectedPatches = []string{}, []string{}
		ds, err := baseline.Evaluate(one, node, patches, now, opts...)
		if err != nil {
			return nil, fmt.Errorf("rule %d on its own: %w", i+1, err)
		}
		e.perRule = append(e.perRule, ds)
	}
	return e, nil
}

// explain says why candidate i got decision d, and which filters failed.
func (e *explainer) explain(i int, d baseline.Decision) (string, []failedFilter) {
	p := &e.patches[i]
	switch d.Reason {
	case baseline.ReasonRejectedList:
		return fmt.Sprintf("rejected list entry %q", d.Entry), nil
	case baseline.ReasonApprovedList:
		s := fmt.Sprintf("approved list entry %q", d.Entry)
		if rules := d.Rules.Indexes(); len(rules) > 0 {
			s += "; also approved by " + ruleNames(rules)
		}
		return s, nil
	case baseline.ReasonRule:
		return "approved by " + ruleNames(d.Rules.Indexes()), nil
	case baseline.ReasonGlobalFilter:
		f := e.failed(0, e.b.GlobalFilters.PatchFilters, d.FilterKey, p)
		return "global filter " + f.describe(), []failedFilter{f}
	case baseline.ReasonNoRules:
		return "the baseline has no approval rules, and no approved list entry names it", nil
	}
	// Not approved by any rule: what each rule found.
	var (
		parts  []string
		failed []failedFilter
	)
	nonSecurity := false
	for r, ds := range e.perRule {
		rd := ds[i]
		name := fmt.Sprintf("rule %d", r+1)
		switch rd.Reason {
		case baseline.ReasonFilter:
			f := e.failed(r+1, e.b.ApprovalRules.PatchRules[r].PatchFilterGroup.PatchFilters, rd.FilterKey, p)
			failed = append(failed, f)
			parts = append(parts, name+": "+f.describe())
		case baseline.ReasonTooNew:
			parts = append(parts, fmt.Sprintf("%s: waits until %s", name, rd.ApprovalDate.Format(time.RFC3339)))
		case baseline.ReasonPastUntil:
			until := ""
			if u := e.b.ApprovalRules.PatchRules[r].ApproveUntilDate; u != nil {
				until = " " + *u
			}
			parts = append(parts, fmt.Sprintf("%s: released after its ApproveUntilDate%s", name, until))
		case baseline.ReasonNonSecurity:
			nonSecurity = true
			parts = append(parts, name+": matches, but the patch is not a security update and the rule does not enable non-security updates")
		case baseline.ReasonRule:
			parts = append(parts, name+": approves it on its own")
		default:
			parts = append(parts, name+": "+rd.Reason.String())
		}
	}
	if d.Reason == baseline.ReasonNonSecurity && !nonSecurity {
		parts = append([]string{"an approved list entry matches, but the patch is not a security update and ApprovedPatchesEnableNonSecurity is off"}, parts...)
	}
	return strings.Join(parts, "; "), failed
}

// failed describes the filter with key in filters that the patch failed;
// rule is 0 for the global filters. On Windows a rule without a PATCH_SET
// filter covers operating system patches only, as if it had PATCH_SET=OS.
func (e *explainer) failed(rule int, filters []baseline.Filter, key baseline.FilterKey, p *patchkit.Patch) failedFilter {
	f := failedFilter{Rule: rule, Key: key, PatchValue: patchValue(key, p, e.node)}
	for _, x := range filters {
		if x.Key == key {
			f.Values = x.Values
			return f
		}
	}
	if key == baseline.KeyPatchSet {
		f.Values = []string{"OS"}
	}
	return f
}

func (f failedFilter) describe() string {
	v := f.PatchValue
	if v == "" {
		return fmt.Sprintf("%s=%s fails: the patch has no %s", f.Key, strings.Join(f.Values, ","), f.Key)
	}
	return fmt.Sprintf("%s=%s fails on %s", f.Key, strings.Join(f.Values, ","), v)
}

// patchValue is the patch's value of the property a filter key looks at.
func patchValue(k baseline.FilterKey, p *patchkit.Patch, node baseline.Node) string {
	switch k {
	case baseline.KeyProduct:
		if p.Product != "" {
			return p.Product
		}
		return node.Product
	case baseline.KeyClassification:
		return p.Classification
	case baseline.KeySeverity:
		return p.Severity
	case baseline.KeyPriority:
		return p.Priority
	case baseline.KeySection:
		return p.Section
	case baseline.KeyMsrcSeverity:
		return p.MsrcSeverity
	case baseline.KeyProductFamily:
		return p.ProductFamily
	case baseline.KeyPatchSet:
		if p.PatchSet == "" {
			return "OS"
		}
		return p.PatchSet
	case baseline.KeyArch:
		return p.Arch
	case baseline.KeyName:
		return p.Name
	case baseline.KeyVersion:
		return p.Version
	case baseline.KeyRelease:
		return p.Release
	case baseline.KeyEpoch:
		if e, ok := p.Epoch.Value(); ok {
			return fmt.Sprint(e)
		}
		return ""
	case baseline.KeyRepository:
		return p.Repository
	case baseline.KeyAdvisoryID:
		return strings.Join(p.AdvisoryIDs, ",")
	case baseline.KeyCVEID:
		return strings.Join(p.CVEIDs, ",")
	case baseline.KeyBugzillaID:
		return strings.Join(p.BugzillaIDs, ",")
	case baseline.KeyPatchID:
		if p.KBNumber != "" {
			return p.KBNumber
		}
		return p.ID
	}
	return ""
}

// ruleNames is "rule 1" or "rules 1 and 3" for rule indexes from 0.
func ruleNames(idx []int) string {
	if len(idx) == 1 {
		return fmt.Sprintf("rule %d", idx[0]+1)
	}
	var ns []string
	for _, i := range idx {
		ns = append(ns, fmt.Sprint(i+1))
	}
	return "rules " + strings.Join(ns[:len(ns)-1], ", ") + " and " + ns[len(ns)-1]
}

// describeRule is a rule in one line: its filters, its date and level.
func describeRule(r baseline.Rule) string {
	s := describeFilters(r.PatchFilterGroup.PatchFilters)
	switch {
	case r.ApproveAfterDays != nil:
		s += fmt.Sprintf(", approved %d days after release", *r.ApproveAfterDays)
	case r.ApproveUntilDate != nil:
		s += ", approved if released by " + *r.ApproveUntilDate
	}
	s += ", compliance level " + r.ComplianceLevel.String()
	if r.EnableNonSecurity {
		s += ", non-security updates too"
	}
	return s
}

func describeFilters(fs []baseline.Filter) string {
	if len(fs) == 0 {
		return "every patch"
	}
	var parts []string
	for _, f := range fs {
		parts = append(parts, string(f.Key)+"="+strings.Join(f.Values, ","))
	}
	return strings.Join(parts, " ")
}
