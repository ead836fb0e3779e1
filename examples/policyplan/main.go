// Command policyplan previews a Quick Setup patch policy over a fleet,
// offline: for each node of an inventory, the patch baseline that applies
// and why (patch policy, patch group, default, ...), the policy's next scan
// and install times, and a dry-run rollout plan: the waves in which the
// policy's operation would reach the nodes it targets under its concurrency,
// and where its error threshold would stop it.
//
//	go run ./examples/policyplan -policy testdata/policy/awsdocs-quick-setup-api-patch-policy.json \
//	    -registry examples/policyplan/testdata/registry.json \
//	    -inventory examples/policyplan/testdata/fleet.json -now 2025-11-24T00:00:00Z
//
// -policy is a patch policy as the Quick Setup API takes it (a
// configuration definition of type AWSQuickSetupType-PatchPolicy, an array
// of definitions, or the bare parameter map); -overrides, optionally, the
// policy's baseline_overrides.json. -registry, optionally, holds what the
// account registers besides the policy: custom baselines, patch groups and
// defaults, in the one-file form of package baseline/policy (the CLI
// outputs of get-patch-baseline, describe-patch-groups and
// get-default-patch-baseline under one object). -inventory is a JSON array
// of nodes: {"ID", "OperatingSystem", "Product", "Tags", "OnPremises",
// "TagsInMetadata", "Account", "Region", "ResourceGroups"}. -now is when
// the plan is made: RFC 3339, a date YYYY-MM-DD meaning 00:00 UTC, or "now".
// A rate() schedule counts from -now.
//
// It prints a table, the reasons, and the waves; or one JSON object with
// -json. The example fleet above has, on purpose, a SUSE node that the
// policy targets but selects no baseline for: that command prints the plan
// with that node's error and exits 1.
//
// Exit codes are those of every example program (see the README): 0
// success, 1 failure (a file cannot be read or is not what it should be, or
// some node has no baseline: the inputs contradict each other), 2 usage.
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

	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/baseline/policy"
	"github.com/patchkit/patchkit/compliance/rollout"
)

// Exit codes, as in every example program.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// maxFile bounds every file read: an inventory of 100 000 nodes is tens of
// megabytes.
const maxFile = 64 << 20

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// output is the JSON output.
type output struct {
	Now     time.Time  `json:"Now"`
	Policy  policyOut  `json:"Policy"`
	Nodes   []nodeOut  `json:"Nodes"`
	Rollout rolloutOut `json:"Rollout"`
	Errors  int        `json:"Errors"`
	Notes   []string   `json:"Notes,omitempty"`
	waves   map[string]int
}

type policyOut struct {
	Name                string              `json:"Name"`
	Operation           policy.Operation    `json:"Operation"`
	RebootOption        policy.RebootOption `json:"RebootOption"`
	ScanSchedule        string              `json:"ScanSchedule"`
	ScanNextInterval    bool                `json:"ScanNextInterval"`
	InstallSchedule     string              `json:"InstallSchedule,omitempty"`
	InstallNextInterval bool                `json:"InstallNextInterval"`
	Concurrency         string              `json:"Concurrency"`
	ErrorThreshold      string              `json:"ErrorThreshold"`
	Defaulted           []string            `json:"Defaulted"`
}

type baselineRef struct {
	BaselineID      string `json:"BaselineId,omitempty"`
	Name            string `json:"Name,omitempty"`
	OperatingSystem string `json:"OperatingSystem"`
}

type nodeOut struct {
	ID              string        `json:"ID"`
	OperatingSystem string        `json:"OperatingSystem"`
	Baseline        *baselineRef  `json:"Baseline,omitempty"`
	DecidedBy       string        `json:"DecidedBy,omitempty"`
	Reason          string        `json:"Reason,omitempty"`
	Skipped         []policy.Skip `json:"Skipped,omitempty"`
	PatchGroup      string        `json:"PatchGroup,omitempty"`
	// Targeted says whether the policy covers the node; only then do its
	// schedules and its rollout apply.
	Targeted    bool       `json:"Targeted"`
	NextScan    *time.Time `json:"NextScan,omitempty"`
	NextInstall *time.Time `json:"NextInstall,omitempty"`
	// Wave is the node's wave in the rollout plan, from 1; 0 when the
	// policy does not target it.
	Wave  int    `json:"Wave,omitempty"`
	Error string `json:"Error,omitempty"`
}

type rolloutOut struct {
	Targets        int       `json:"Targets"`
	MaxConcurrency int       `json:"MaxConcurrency"`
	MaxErrors      int       `json:"MaxErrors"`
	Waves          []waveOut `json:"Waves"`
	// FailingTargets are the targeted nodes that have no baseline: their
	// invocations would fail and count against the error threshold.
	FailingTargets []string `json:"FailingTargets"`
	// ExceededInWave is the wave in which the error threshold would be
	// exceeded if the failing targets failed and all others succeeded, so
	// that no later wave would be dispatched (0: never).
	ExceededInWave int `json:"ExceededInWave"`
}

type waveOut struct {
	Wave  int      `json:"Wave"`
	Nodes []string `json:"Nodes"`
}

type config struct {
	policyFile, overrides, registry, inventory, now string
	asJSON                                          bool
}

func run(args []string, stdout, stderr io.Writer) int {
	var c config
	fl := flag.NewFlagSet("policyplan", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&c.policyFile, "policy", "", "the patch policy: a Quick Setup configuration definition or its parameter map (JSON)")
	fl.StringVar(&c.overrides, "overrides", "", "the policy's baseline_overrides.json (optional)")
	fl.StringVar(&c.registry, "registry", "", "custom baselines, patch groups and defaults in one JSON file (optional)")
	fl.StringVar(&c.inventory, "inventory", "", "JSON array of nodes: ID, OperatingSystem, Tags, ...")
	fl.StringVar(&c.now, "now", "now", `when the plan is made: RFC 3339, YYYY-MM-DD (00:00 UTC) or "now"`)
	fl.BoolVar(&c.asJSON, "json", false, "print one JSON object")
	if err := fl.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "policyplan: "+format+"\n", a...)
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "policyplan:", err)
		return exitFailure
	}
	switch {
	case fl.NArg() > 0:
		return usage("unexpected argument %q", fl.Arg(0))
	case c.policyFile == "":
		return usage("-policy is required")
	case c.inventory == "":
		return usage("-inventory is required")
	}
	now, err := parseNow(c.now)
	if err != nil {
		return usage("-now: %v", err)
	}

	p, err := readWith(c.policyFile, maxFile, func(r io.Reader) (*policy.Policy, error) { return policy.LoadQuickSetup(r) })
	if err != nil {
		return fail(err)
	}
	if c.overrides != "" {
		bs, err := readWith(c.overrides, maxFile, func(r io.Reader) ([]baseline.Baseline, error) { return policy.ReadOverrides(r) })
		if err != nil {
			return fail(err)
		}
		if err := p.SetOverrides(bs); err != nil {
			return fail(fmt.Errorf("%s: %w", c.overrides, err))
		}
	}
	reg := policy.NewRegistry()
	if c.registry != "" {
		if reg, err = readWith(c.registry, maxFile, func(r io.Reader) (*policy.Registry, error) { return policy.ReadRegistry(r) }); err != nil {
			return fail(err)
		}
	}
	nodes, err := readWith(c.inventory, maxFile, readInventory)
	if err != nil {
		return fail(err)
	}
	rate, err := rollout.ParseRate(p.Concurrency, p.ErrorThreshold)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", c.policyFile, err))
	}
	scan, install, err := schedules(p, now)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", c.policyFile, err))
	}

	out := plan(p, reg, nodes, now, scan, install)
	if err := out.rollout(nodes, rate); err != nil {
		return fail(err)
	}
	if c.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail(err)
		}
	} else if err := out.print(stdout); err != nil {
		return fail(err)
	}
	if out.Errors > 0 {
		fmt.Fprintf(stderr, "policyplan: %d of %d nodes have no baseline\n", out.Errors, len(nodes))
		return exitFailure
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

// errTooLarge ends a read that goes past its limit.
var errTooLarge = errors.New("larger than the limit")

// limitedReader reads at most n bytes and fails with errTooLarge when
// there is a byte after them.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		switch {
		case n > 0:
			return 0, errTooLarge
		case err != nil:
			return 0, err // io.EOF: the input ends at the limit
		}
		return 0, nil
	}
	if int64(len(b)) > l.n {
		b = b[:l.n]
	}
	n, err := l.r.Read(b)
	l.n -= int64(n)
	return n, err
}

// readWith opens name and reads it with read, at most limit bytes; errors
// name the file.
func readWith[T any](name string, limit int64, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(name)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	v, err := read(&limitedReader{r: f, n: limit})
	if errors.Is(err, errTooLarge) {
		return zero, fmt.Errorf("%s: larger than %d bytes", name, limit)
	}
	if err != nil {
		return zero, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}

// readInventory reads a JSON array of nodes; every node needs an ID, and
// IDs are unique.
func readInventory(r io.Reader) ([]policy.Node, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var nodes []policy.Node
	if err := dec.Decode(&nodes); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("byte %d: %w", se.Offset, err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("byte %d: %w", te.Offset, err)
		case errors.Is(err, io.EOF):
			return nil, errors.New("empty, not a JSON array of nodes")
		}
		return nil, fmt.Errorf("byte %d: %w", dec.InputOffset(), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the array, which ends at byte %d", dec.InputOffset())
	}
	if nodes == nil {
		return nil, errors.New("null, not a JSON array of nodes")
	}
	seen := map[string]int{}
	for i, n := range nodes {
		if n.ID == "" {
			return nil, fmt.Errorf("node %d has no ID", i)
		}
		if j, dup := seen[n.ID]; dup {
			return nil, fmt.Errorf("nodes %d and %d are both %s", j, i, n.ID)
		}
		seen[n.ID] = i
	}
	return nodes, nil
}

// schedules returns the next scan and install after now ("" schedules give
// the zero time). Associations run in UTC; a rate counts from now.
func schedules(p *policy.Policy, now time.Time) (scan, install time.Time, err error) {
	next := func(expr string) (time.Time, error) {
		if expr == "" {
			return time.Time{}, nil
		}
		s, err := baseline.ParseSchedule(expr, baseline.Association)
		if err != nil {
			return time.Time{}, err
		}
		if s.Kind() == baseline.Rate {
			s = s.From(now)
		}
		t, err := s.Next(now)
		if errors.Is(err, baseline.ErrNoNextRun) {
			return time.Time{}, nil
		}
		return t, err
	}
	if scan, err = next(p.ScanSchedule); err != nil {
		return
	}
	install, err = next(p.InstallSchedule)
	return
}

// plan resolves every node.
func plan(p *policy.Policy, reg *policy.Registry, nodes []policy.Node, now, scan, install time.Time) *output {
	out := &output{Now: now, Nodes: []nodeOut{}, waves: map[string]int{}}
	out.Policy = policyOut{Name: p.Name, Operation: p.Operation, RebootOption: p.RebootOption,
		ScanSchedule: p.ScanSchedule, ScanNextInterval: p.ScanNextInterval,
		InstallSchedule: p.InstallSchedule, InstallNextInterval: p.InstallNextInterval,
		Concurrency: p.Concurrency, ErrorThreshold: p.ErrorThreshold, Defaulted: p.Defaulted}
	if out.Policy.Defaulted == nil {
		out.Policy.Defaulted = []string{}
	}
	if !p.ScanNextInterval {
		out.Notes = append(out.Notes, "a node the policy targets is scanned as soon as it joins, then on the scan schedule")
	}
	if p.Operation == policy.ScanAndInstall && !p.InstallNextInterval {
		out.Notes = append(out.Notes, "a node the policy targets installs as soon as it joins, then on the install schedule")
	}
	if scan.IsZero() && p.ScanSchedule != "" {
		out.Notes = append(out.Notes, "the scan schedule has no run after -now")
	}
	if install.IsZero() && p.InstallSchedule != "" {
		out.Notes = append(out.Notes, "the install schedule has no run after -now")
	}
	for _, n := range nodes {
		o := nodeOut{ID: n.ID, OperatingSystem: string(n.OperatingSystem)}
		o.Targeted, _ = p.Targets(n)
		if o.Targeted {
			if !scan.IsZero() {
				o.NextScan = &scan
			}
			if !install.IsZero() {
				o.NextInstall = &install
			}
		}
		res, err := policy.Resolve(n, reg, policy.Sources{Policy: p})
		if err != nil {
			o.Error = err.Error()
			out.Errors++
		} else {
			b := res.Baseline
			o.Baseline = &baselineRef{BaselineID: b.BaselineID, Name: b.Name, OperatingSystem: string(b.OperatingSystem)}
			o.DecidedBy, o.Reason, o.Skipped, o.PatchGroup = res.Step.String(), res.Reason, res.Skipped, res.PatchGroup
		}
		out.Nodes = append(out.Nodes, o)
	}
	return out
}

// rollout plans the waves over the targeted nodes, in inventory order.
func (out *output) rollout(nodes []policy.Node, rate rollout.Rate) error {
	var ids []string
	failing := map[string]bool{}
	for _, o := range out.Nodes {
		if o.Targeted {
			ids = append(ids, o.ID)
			if o.Error != "" {
				failing[o.ID] = true
			}
		}
	}
	lim, err := rate.Limits(len(ids))
	if err != nil {
		return err
	}
	waves, err := rollout.Plan(ids, rate)
	if err != nil {
		return err
	}
	ro := rolloutOut{Targets: len(ids), MaxConcurrency: lim.MaxConcurrency, MaxErrors: lim.MaxErrors, Waves: []waveOut{}, FailingTargets: []string{}}
	errs := 0
	for i, w := range waves {
		ro.Waves = append(ro.Waves, waveOut{Wave: i + 1, Nodes: w.Targets})
		for _, id := range w.Targets {
			out.waves[id] = i + 1
			if failing[id] {
				ro.FailingTargets = append(ro.FailingTargets, id)
				errs++
				if errs == lim.MaxErrors+1 && ro.ExceededInWave == 0 {
					ro.ExceededInWave = i + 1
				}
			}
		}
	}
	for i := range out.Nodes {
		out.Nodes[i].Wave = out.waves[out.Nodes[i].ID]
	}
	out.Rollout = ro
	return nil
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// print writes the table, the reasons and the waves.
func (out *output) print(w io.Writer) error {
	p := out.Policy
	fmt.Fprintf(w, "# patch policy %s: %s, %s, concurrency %s, error threshold %s\n", p.Name, p.Operation, p.RebootOption, p.Concurrency, p.ErrorThreshold)
	fmt.Fprintf(w, "# scan %s", p.ScanSchedule)
	if p.InstallSchedule != "" {
		fmt.Fprintf(w, ", install %s", p.InstallSchedule)
	}
	fmt.Fprintf(w, " (UTC); plan made at %s\n", out.Now.Format(time.RFC3339))
	if len(p.Defaulted) > 0 {
		fmt.Fprintf(w, "# defaults applied: %s\n", strings.Join(p.Defaulted, ", "))
	}
	for _, n := range out.Notes {
		fmt.Fprintf(w, "# %s\n", n)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tOS\tBASELINE\tDECIDED BY\tTARGETED\tNEXT SCAN\tNEXT INSTALL\tWAVE")
	for _, n := range out.Nodes {
		name, by := "-", "-"
		if n.Baseline != nil {
			name, by = n.Baseline.Name, n.DecidedBy
			if name == "" {
				name = n.Baseline.BaselineID
			}
			if name == "" {
				name = "(unnamed " + n.Baseline.OperatingSystem + " baseline)"
			}
		} else {
			by = "ERROR"
		}
		wave := "-"
		if n.Wave > 0 {
			wave = fmt.Sprint(n.Wave)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\t%s\t%s\n", n.ID, n.OperatingSystem, name, by, n.Targeted, stamp(n.NextScan), stamp(n.NextInstall), wave)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nWhy:")
	for _, n := range out.Nodes {
		if n.Error != "" {
			fmt.Fprintf(w, "  %s: no baseline: %s\n", n.ID, strings.TrimPrefix(n.Error, "policy: node "+n.ID+": "))
			continue
		}
		fmt.Fprintf(w, "  %s: %s: %s\n", n.ID, n.DecidedBy, n.Reason)
		for _, s := range n.Skipped {
			fmt.Fprintf(w, "      not %s: %s\n", s.Step, s.Reason)
		}
	}
	r := out.Rollout
	fmt.Fprintf(w, "\nRollout (dry run): %d targeted nodes, at most %d at once; dispatching stops at error %d\n", r.Targets, r.MaxConcurrency, r.MaxErrors+1)
	for _, wv := range r.Waves {
		fmt.Fprintf(w, "  wave %d: %s\n", wv.Wave, strings.Join(wv.Nodes, " "))
	}
	if len(r.FailingTargets) > 0 {
		fmt.Fprintf(w, "  would fail for want of a baseline: %s\n", strings.Join(r.FailingTargets, " "))
		if r.ExceededInWave > 0 {
			fmt.Fprintf(w, "  the error threshold would be exceeded in wave %d: no later wave would be dispatched\n", r.ExceededInWave)
		}
	}
	return nil
}
