// Command scanhost is the main job: Patch Manager's Scan of this host (or of
// a root file system), with patchkit. It detects the operating system,
// reads every installed package, finds every available newer version with
// its classification, approves them with a patch baseline, examines the
// pending-reboot signals, and prints the compliance report. It never
// changes the node.
//
//	go run ./examples/scanhost                   # this host, human-readable
//	go run ./examples/scanhost -json             # one JSON object: OS, Installed, Candidates, Reboot, Report
//	go run ./examples/scanhost -root /mnt/image  # a root file system instead of the host
//	go run ./examples/scanhost -html page.html   # also write the compliance page
//
// Flags:
//
//	-baseline FILE     a baseline in any shape baseline.Load reads (get-patch-baseline output, a
//	                   BaselineOverride file, ...); default: the AWS-owned baseline for the OS
//	-predefined NAME   an AWS-owned baseline by name (AWS-DebianDefaultPatchBaseline, ...)
//	-snapshot FILE     approvals frozen in a snapshot file (written by -save-snapshot)
//	-save-snapshot FILE  freeze the baseline at -now into a new snapshot file
//	-now TIME          the scan's instant: RFC 3339, YYYY-MM-DD, or "now" (default)
//	-refresh           fetch and verify fresh repository metadata first, as Patch Manager does
//	-query             ask the package manager (dpkg-query/apt-get, rpm/dnf, zypper) instead of
//	                   reading its files
//	-previous FILE     the node's last report (JSON), for the pending-reboot bookkeeping
//	-save FILE         write the report as JSON
//	-inventory         list every installed package in the text output
//	-arch ARCH         the node's architecture (x86_64, aarch64, ...) when a root's inventory does not
//	                   tell it (the architecture of the package manager's own package)
//
// Install (-operation Install, as root) takes the AWS-RunPatchBaseline
// parameters: -reboot-option, -install-override-list FILE,
// -baseline-override FILE, -snapshot FILE, and -dry-run to stop after the
// package manager's plan; -repair first finishes a package operation an
// earlier run left interrupted (without it such a node is an error), and
// -allow-new-dependencies lets the plan install packages that were not
// installed before (without it such a plan is refused). Updates that would
// bring in a version the baseline rejects under RejectedPatchesAction BLOCK
// are left out and shown as Blocked. With -root the package manager acts on that root
// (a chroot for apt and dpkg, --installroot for dnf, --root for zypper) and
// never reboots the host. On a terminal it shows its progress on standard
// error.
//
// Exit codes are those of every example program (see the README): 0
// success, here the node is COMPLIANT; 1 failure (the system cannot be
// identified, scanned or patched); 2 usage. scanhost adds its own: 3 the
// node is NON_COMPLIANT; 4 UNKNOWN (some repository's metadata could not be
// read, verified or dated); 5 an Install needs a reboot it did not perform
// (NoReboot, or -root; a dry run exits as a Scan would, and its JSON says
// RebootNeeded when the run would reboot).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/install"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/run"
)

// Exit codes.
const (
	exitCompliant    = 0
	exitError        = 1
	exitUsage        = 2
	exitNonCompliant = 3
	exitUnknown      = 4
	// exitRebootNeeded: an Install installed something that needs a reboot
	// it did not perform (NoReboot, or a -root that is not this host).
	exitRebootNeeded = 5
)

func main() {
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// output is the -json object.
type output struct {
	OS              osdetect.OS              `json:"OS"`
	OperatingSystem patchkit.OperatingSystem `json:"OperatingSystem,omitempty"`
	Product         string                   `json:"Product,omitempty"`
	// Inventory says where the inventory came from; Installed holds it.
	Inventory *inventoryInfo     `json:"Inventory,omitempty"`
	Installed []patchkit.Package `json:"Installed"`
	// Candidates are every available newer version, approved or not, with
	// the baseline's decision.
	Candidates []scan.Candidate   `json:"Candidates"`
	Reboot     *scan.Reboot       `json:"Reboot,omitempty"`
	Report     *compliance.Report `json:"Report,omitempty"`
	// Install is set for -operation Install: the plan, what the package
	// manager did, and whether a reboot is needed.
	Install *installInfo `json:"Install,omitempty"`
	Error   string       `json:"Error,omitempty"`
}

type installInfo struct {
	Targets []plan.Target `json:"Targets"`
	// Blocked are targets left out under RejectedPatchesAction BLOCK:
	// their updates bring in a version the baseline rejects.
	Blocked      []install.Blocked `json:"Blocked,omitempty"`
	Plan         plan.Plan         `json:"Plan"`
	Outcomes     []plan.Outcome    `json:"Outcomes,omitempty"`
	DryRun       bool              `json:"DryRun,omitempty"`
	Rebooted     bool              `json:"Rebooted,omitempty"`
	RebootNeeded bool              `json:"RebootNeeded,omitempty"`
}

type inventoryInfo struct {
	Backend scan.Backend `json:"Backend"`
	Source  string       `json:"Source"`
	Arch    string       `json:"Arch,omitempty"`
	Count   int          `json:"Count"`
	Notes   []string     `json:"Notes,omitempty"`
}

type config struct {
	asJSON, query, refresh, listInventory                                                   bool
	root, html, baselineFile, predefined, snapshot, saveSnapshot, now, previous, save, arch string
	operation, rebootOption, overrideList, baselineOverride                                 string
	dryRun, repair, allowNewDeps                                                            bool
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c config
	fl := flag.NewFlagSet("scanhost", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.BoolVar(&c.asJSON, "json", false, "print one JSON object")
	fl.StringVar(&c.root, "root", "", "scan this root file system instead of the running host")
	fl.BoolVar(&c.query, "query", false, "ask the package manager instead of reading its files")
	fl.BoolVar(&c.refresh, "refresh", false, "fetch and verify fresh repository metadata first")
	fl.BoolVar(&c.listInventory, "inventory", false, "list every installed package in the text output")
	fl.StringVar(&c.html, "html", "", "write the compliance page to this file")
	fl.StringVar(&c.baselineFile, "baseline", "", "baseline file (default: the AWS-owned baseline for the OS)")
	fl.StringVar(&c.predefined, "predefined", "", "AWS-owned baseline by name")
	fl.StringVar(&c.snapshot, "snapshot", "", "use the approvals frozen in this snapshot file")
	fl.StringVar(&c.saveSnapshot, "save-snapshot", "", "freeze the baseline at -now into this new snapshot file")
	fl.StringVar(&c.now, "now", "now", `the scan's instant: RFC 3339, YYYY-MM-DD (00:00 UTC) or "now"`)
	fl.StringVar(&c.previous, "previous", "", "the node's last report (JSON)")
	fl.StringVar(&c.save, "save", "", "write the report as JSON to this file")
	fl.StringVar(&c.arch, "arch", "", "the node's architecture, when the root's inventory does not tell it")
	fl.StringVar(&c.operation, "operation", "Scan", "Scan (read-only) or Install")
	fl.StringVar(&c.rebootOption, "reboot-option", "RebootIfNeeded", "RebootIfNeeded or NoReboot (Install)")
	fl.StringVar(&c.overrideList, "install-override-list", "", "install what this InstallOverrideList (YAML) names, approved or not")
	fl.StringVar(&c.baselineOverride, "baseline-override", "", "a BaselineOverride file: a JSON array of baselines, the one for this OS is used")
	fl.BoolVar(&c.dryRun, "dry-run", false, "Install: stop after the package manager's plan, install nothing")
	fl.BoolVar(&c.repair, "repair", false, "Install: finish an interrupted earlier package operation first")
	fl.BoolVar(&c.allowNewDeps, "allow-new-dependencies", false, "Install: let the plan install packages not installed before, as dependencies")
	if err := fl.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scanhost: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case fl.NArg() > 0:
		return usage("unexpected argument %q", fl.Arg(0))
	case c.baselineFile != "" && c.predefined != "":
		return usage("-baseline and -predefined are exclusive")
	case c.snapshot != "" && (c.baselineFile != "" || c.predefined != "" || c.saveSnapshot != "" || c.baselineOverride != ""):
		return usage("-snapshot carries its own baseline: no -baseline, -predefined, -baseline-override or -save-snapshot with it")
	case c.baselineOverride != "" && (c.baselineFile != "" || c.predefined != ""):
		return usage("-baseline-override replaces -baseline and -predefined")
	case c.overrideList != "" && c.baselineOverride != "":
		return usage("-install-override-list cannot be combined with -baseline-override (as in Patch Manager)")
	case c.operation != "Scan" && c.operation != "Install":
		return usage("-operation: %q is neither Scan nor Install", c.operation)
	case c.rebootOption != string(compliance.RebootIfNeeded) && c.rebootOption != string(compliance.NoReboot):
		return usage("-reboot-option: %q is neither RebootIfNeeded nor NoReboot", c.rebootOption)
	case c.operation == "Scan" && (c.dryRun || c.repair || c.overrideList != "" || c.allowNewDeps):
		return usage("-dry-run, -repair, -install-override-list and -allow-new-dependencies are for -operation Install")
	case c.operation == "Install" && (c.query || c.refresh):
		return usage("-query and -refresh are for -operation Scan")
	}
	now, err := parseNow(c.now)
	if err != nil {
		return usage("-now: %v", err)
	}

	out := output{Installed: []patchkit.Package{}, Candidates: []scan.Candidate{}}
	res, err := scanNode(ctx, c, now, &out, stderr)
	if err != nil {
		out.Error = err.Error()
	}
	if c.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(out); werr != nil {
			fmt.Fprintln(stderr, "scanhost:", werr)
			return exitError
		}
	} else if out.OS.ID != "" {
		printText(stdout, c, out, res)
	}
	if err != nil {
		fmt.Fprintln(stderr, "scanhost:", err)
		if errors.Is(err, osdetect.ErrUnknownOS) {
			fmt.Fprintln(stderr, "scanhost: no os-release, release file or SystemVersion.plist was found")
		}
		return exitError
	}
	if c.html != "" {
		if err := writeFile(c.html, res.Report.WriteHTML); err != nil {
			fmt.Fprintln(stderr, "scanhost:", err)
			return exitError
		}
	}
	if c.save != "" {
		if err := res.Report.SaveFile(c.save); err != nil {
			fmt.Fprintln(stderr, "scanhost:", err)
			return exitError
		}
	}
	if out.Install != nil && out.Install.RebootNeeded && !out.Install.DryRun {
		return exitRebootNeeded
	}
	switch res.Report.Summary.Status {
	case patchkit.Compliant:
		return exitCompliant
	case patchkit.NonCompliant:
		return exitNonCompliant
	}
	return exitUnknown
}

// scanNode runs the scan and fills out with what it learnt, even when a
// later step fails.
func scanNode(ctx context.Context, c config, now time.Time, out *output, stderr io.Writer) (scan.Result, error) {
	var (
		fsys  iofs.FS
		o     osdetect.OS
		facts scan.HostFacts
		err   error
		opts  = []scan.ScanOption{scan.At(now)}
	)
	if c.root != "" {
		abs, aerr := filepath.Abs(c.root)
		if aerr != nil {
			return scan.Result{}, aerr
		}
		c.root = abs
		fsys = os.DirFS(abs)
		o, err = osdetect.DetectFS(fsys)
	} else {
		fsys = os.DirFS("/")
		o, facts, err = scan.Host(ctx)
		opts = append(opts, scan.WithHostFacts(facts))
	}
	out.OS, out.OperatingSystem, out.Product = o, o.OperatingSystem(), o.Product()
	var unsupported *osdetect.UnsupportedError
	if err != nil && !errors.As(err, &unsupported) {
		return scan.Result{}, err
	}
	if o.ID == "" || o.OperatingSystem() == "" {
		if err == nil {
			err = fmt.Errorf("%s is not an operating system Patch Manager supports", o.PrettyName)
		}
		return scan.Result{}, err
	}
	opts = append(opts, scan.WithOS(o), scan.WithNode(compliance.Node{Hostname: hostname(c.root)}))
	if c.arch != "" {
		opts = append(opts, scan.WithArch(c.arch))
	}

	var (
		base *baseline.Baseline
		snap *scan.Snapshot
		prev *compliance.Report
	)
	switch {
	case c.snapshot != "":
		f, err := os.Open(c.snapshot)
		if err != nil {
			return scan.Result{}, err
		}
		s, err := scan.LoadSnapshot(f)
		f.Close()
		if err != nil {
			return scan.Result{}, fmt.Errorf("%s: %w", c.snapshot, err)
		}
		opts = append(opts, scan.WithSnapshot(s))
		snap = s
	default:
		b, err := pickBaseline(c, o.OperatingSystem())
		if err != nil {
			return scan.Result{}, err
		}
		opts = append(opts, scan.WithBaseline(b))
		base = &b
		if c.saveSnapshot != "" {
			s, err := scan.NewSnapshot(scan.NewSnapshotID(), b, "", now)
			if err != nil {
				return scan.Result{}, err
			}
			if err := writeFile(c.saveSnapshot, s.WriteJSON); err != nil {
				return scan.Result{}, err
			}
			opts = append(opts, scan.WithSnapshot(s))
			snap = s
		}
	}
	if c.previous != "" {
		f, err := os.Open(c.previous)
		if err != nil {
			return scan.Result{}, err
		}
		p, err := compliance.ReadJSON(f)
		f.Close()
		if err != nil {
			return scan.Result{}, fmt.Errorf("%s: %w", c.previous, err)
		}
		opts = append(opts, scan.WithPrevious(&p))
		prev = &p
	}
	if c.operation == "Install" {
		return installNode(ctx, c, now, out, stderr, fsys, o, facts, base, snap, prev)
	}
	if c.query {
		l, err := run.NewLocal()
		if err != nil {
			return scan.Result{}, err
		}
		opts = append(opts, scan.WithRunner(l, c.root))
	}
	if c.refresh {
		client, err := repo.NewClient()
		if err != nil {
			return scan.Result{}, err
		}
		defer client.Close()
		opts = append(opts, scan.WithRefresh(client))
	}
	res, err := scan.Scan(ctx, fsys, opts...)
	var ie *scan.InputError
	if errors.As(err, &ie) && ie.Field == "WithArch" {
		err = fmt.Errorf("%w (give it with -arch)", err)
	}
	inv := res.Inventory
	if inv.Backend != "" {
		out.Inventory = &inventoryInfo{Backend: inv.Backend, Source: inv.Source, Arch: inv.Arch, Count: len(inv.Packages), Notes: inv.Notes}
		out.Installed = inv.Packages
	}
	if err != nil {
		return res, err
	}
	out.Candidates = res.Candidates
	out.Reboot = &res.Reboot
	out.Report = &res.Report
	return res, nil
}

// installNode runs the Install operation and fills out with the scans
// before and after, the plan and the outcome.
func installNode(ctx context.Context, c config, now time.Time, out *output, stderr io.Writer, fsys iofs.FS, o osdetect.OS,
	facts scan.HostFacts, base *baseline.Baseline, snap *scan.Snapshot, prev *compliance.Report) (scan.Result, error) {
	l, err := run.NewLocal()
	if err != nil {
		return scan.Result{}, err
	}
	opts := []install.Option{install.At(now), install.WithRunner(l), install.WithOS(o), install.WithHostFacts(facts),
		install.WithNode(compliance.Node{Hostname: hostname(c.root)}), install.WithRebootOption(compliance.RebootOption(c.rebootOption)),
		install.WithClock(clockFrom(now))}
	if c.root != "" {
		// The package manager acts on the root; the host is not the node
		// and is never rebooted (Install reports RebootNeeded instead).
		opts = append(opts, install.Root(c.root))
	}
	if c.arch != "" {
		opts = append(opts, install.WithArch(c.arch))
	}
	switch {
	case snap != nil:
		opts = append(opts, install.WithSnapshot(snap))
	case c.baselineOverride != "" && base != nil:
		opts = append(opts, install.WithBaselineOverride(*base))
	case base != nil:
		opts = append(opts, install.WithBaseline(*base))
	}
	if prev != nil {
		opts = append(opts, install.WithPrevious(prev))
	}
	if c.overrideList != "" {
		f, err := openFile(c.overrideList)
		if err != nil {
			return scan.Result{}, err
		}
		l, err := install.LoadOverrideList(f)
		f.Close()
		if err != nil {
			return scan.Result{}, fmt.Errorf("%s: %w", c.overrideList, err)
		}
		opts = append(opts, install.WithOverrideList(l))
	}
	if c.dryRun {
		opts = append(opts, install.DryRun())
	}
	if c.repair {
		opts = append(opts, install.WithRepair())
	}
	if c.allowNewDeps {
		opts = append(opts, install.AllowNewDependencies())
	}
	drawn := isTerminal(stderr)
	if drawn {
		opts = append(opts, install.WithProgress(progressBar(stderr)))
	}
	res, err := install.Install(ctx, fsys, opts...)
	if drawn {
		fmt.Fprint(stderr, "\r\033[K") // the progress line goes
	}
	scanned := res.Before
	if res.After != nil {
		scanned = *res.After
	}
	inv := scanned.Inventory
	if inv.Backend != "" {
		out.Inventory = &inventoryInfo{Backend: inv.Backend, Source: inv.Source, Arch: inv.Arch, Count: len(inv.Packages), Notes: inv.Notes}
		out.Installed = inv.Packages
		out.Candidates = scanned.Candidates
		out.Reboot = &scanned.Reboot
	}
	out.Install = &installInfo{Targets: res.Targets, Blocked: res.Blocked, Plan: res.Plan, Outcomes: res.Outcomes, DryRun: res.DryRun,
		Rebooted: res.Rebooted, RebootNeeded: res.RebootNeeded}
	if out.Install.Targets == nil {
		out.Install.Targets = []plan.Target{}
	}
	if err != nil {
		return scanned, err
	}
	scanned.Report = res.Report
	out.Report = &res.Report
	return scanned, nil
}

// clockFrom is the Install's clock for its end time: the operation's
// instant (-now, which may be in the future or the past) plus the time the
// run has taken, so that the end never comes before the start.
func clockFrom(start time.Time) func() time.Time {
	began := time.Now()
	return func() time.Time { return start.Add(time.Since(began)) }
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar draws the install's steps on one terminal line, which the
// caller clears when the install returns. A step of all the updates
// starts as their count; then, while the package manager downloads and
// installs, the line is a bar of its own count of packages (N of Total,
// the package in Detail), or the count alone when it gave no total; one
// by one after a failed transaction, the bar counts the updates.
func progressBar(w io.Writer) func(install.ProgressEvent) {
	return func(e install.ProgressEvent) {
		line := e.Step
		switch {
		case e.N == 0 && e.Total > 0: // planning, downloading or installing them all at once
			line = fmt.Sprintf("%-8s %d updates", e.Step, e.Total)
		case e.N > 0 && e.Total >= e.N: // a package of the transaction, or an update one by one
			const width = 30
			done := width * e.N / e.Total
			line = fmt.Sprintf("%-8s [%s%s] %d/%d", e.Step, strings.Repeat("#", done), strings.Repeat(".", width-done), e.N, e.Total)
		case e.N > 0: // a package of a run whose size the package manager did not say
			line = fmt.Sprintf("%-8s %d", e.Step, e.N)
		}
		if e.Detail != "" {
			line += " " + e.Detail
		}
		if len(line) > 78 {
			line = line[:78]
		}
		fmt.Fprintf(w, "\r\033[K%s", line)
	}
}

func hostname(root string) string {
	if root != "" {
		return ""
	}
	h, _ := os.Hostname()
	return h
}

func pickBaseline(c config, os patchkit.OperatingSystem) (baseline.Baseline, error) {
	switch {
	case c.baselineOverride != "":
		// Patch Manager's BaselineOverride: an array of baselines, exactly
		// one of them for the node's operating system.
		f, err := openFile(c.baselineOverride)
		if err != nil {
			return baseline.Baseline{}, err
		}
		defer f.Close()
		bs, err := baseline.Load(f)
		if err != nil {
			return baseline.Baseline{}, fmt.Errorf("-baseline-override %s: %w", c.baselineOverride, err)
		}
		var found []baseline.Baseline
		for _, b := range bs {
			if b.OperatingSystem == os {
				found = append(found, b)
			}
		}
		switch len(found) {
		case 0:
			return baseline.Baseline{}, fmt.Errorf("-baseline-override %s: no baseline for %s", c.baselineOverride, os)
		case 1:
			return found[0], nil
		}
		return baseline.Baseline{}, fmt.Errorf("-baseline-override %s: %d baselines for %s, want one", c.baselineOverride, len(found), os)
	case c.predefined != "":
		b, err := baseline.PredefinedByName(c.predefined)
		if err != nil {
			return b, fmt.Errorf("-predefined: %w (valid names: %s)", err, strings.Join(baseline.PredefinedNames(), ", "))
		}
		if b.OperatingSystem != os {
			return b, fmt.Errorf("-predefined: %s is for %s, this node is %s", c.predefined, b.OperatingSystem, os)
		}
		return b, nil
	case c.baselineFile != "":
		f, err := openFile(c.baselineFile)
		if err != nil {
			return baseline.Baseline{}, err
		}
		defer f.Close()
		bs, err := baseline.Load(f)
		if err != nil {
			return baseline.Baseline{}, fmt.Errorf("%s: %w", c.baselineFile, err)
		}
		for _, b := range bs {
			if b.OperatingSystem == os {
				return b, nil
			}
		}
		return baseline.Baseline{}, fmt.Errorf("%s: no baseline for %s", c.baselineFile, os)
	}
	return baseline.Predefined(os)
}

func openFile(name string) (*os.File, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	return os.Open(name)
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	return f.Close()
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

func printText(w io.Writer, c config, out output, res scan.Result) {
	o := out.OS
	name := o.PrettyName
	if name == "" {
		name = strings.TrimSpace(o.Name + " " + o.Version)
	}
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-17s %s\n", k+":", v)
		}
	}
	line("Operating system", name)
	pm := "not supported by Patch Manager"
	if out.OperatingSystem != "" {
		pm = string(out.OperatingSystem)
		if out.Product != "" {
			pm += ", product " + out.Product
		}
	}
	line("Patch Manager", pm)
	if o.Family != "" {
		line("Family", fmt.Sprintf("%s (package manager %s)", o.Family, o.PackageManager))
	}
	line("Architecture", o.Arch)
	line("Kernel", o.KernelRelease)
	if inv := out.Inventory; inv != nil {
		src := inv.Source
		if inv.Count == 0 && len(inv.Notes) > 0 {
			src = "no package database"
		}
		line("Inventory", fmt.Sprintf("%s, %s", inv.Backend, src))
		line("Installed", countStates(out.Installed))
		for _, n := range inv.Notes {
			line("Note", n)
		}
		for _, p := range out.Installed {
			if p.State != patchkit.StateInstalled && p.State != patchkit.StateConfigFiles {
				line("Not configured", fmt.Sprintf("%s %s (%s)", p.QualifiedName(), p.EVR(), p.State))
			}
		}
	}
	if out.Report == nil {
		return
	}
	r := out.Report
	s := r.Summary
	line("Baseline", r.BaselineID)
	if r.SnapshotID != "" {
		line("Snapshot", r.SnapshotID)
	}
	status := string(s.Status)
	if s.NonCompliantSeverity != nil {
		status += ", severity " + s.NonCompliantSeverity.String()
	}
	line("Status", status)
	line("Counts", fmt.Sprintf("Missing %d, Failed %d, InstalledPendingReboot %d, InstalledRejected %d, Installed %d, InstalledOther %d, NotApplicable %d",
		s.MissingCount, s.FailedCount, s.InstalledPendingRebootCount, s.InstalledRejectedCount, s.InstalledCount, s.InstalledOtherCount, s.NotApplicableCount))
	line("Non-compliant", fmt.Sprintf("critical %d, security %d, other %d", s.CriticalNonCompliantCount, s.SecurityNonCompliantCount, s.OtherNonCompliantCount))
	approved := 0
	for _, cd := range out.Candidates {
		if cd.Decision.Approved {
			approved++
		}
	}
	line("Candidates", fmt.Sprintf("%d newer versions available, %d approved", len(out.Candidates), approved))
	okRepos := 0
	for _, rs := range r.Repositories {
		if rs.Health == repo.HealthOK {
			okRepos++
		}
	}
	line("Repositories", fmt.Sprintf("%d, %d OK", len(r.Repositories), okRepos))
	for _, rs := range r.Repositories {
		if rs.Health != repo.HealthOK {
			line("Not OK", fmt.Sprintf("%s: %s: %s", rs.Name, rs.Health, rs.Reason))
		}
	}
	reboot := "no"
	if out.Reboot != nil && out.Reboot.Required {
		var sig []string
		for _, x := range out.Reboot.Reasons {
			sig = append(sig, x.Signal)
		}
		reboot = "required (" + strings.Join(sig, ", ") + ")"
	}
	line("Reboot", reboot)

	if in := out.Install; in != nil {
		what := fmt.Sprintf("Install (%s), %d targets", r.RebootOption, len(in.Targets))
		if in.DryRun {
			what += ", dry run: nothing installed"
		}
		line("Operation", what)
		for _, b := range in.Blocked {
			line("Blocked", b.Target.KBID+": brings in "+b.Action.Package.QualifiedName()+" "+b.Action.Package.EVR()+
				", which the baseline rejects ("+b.Entry+", RejectedPatchesAction BLOCK)")
		}
		for _, a := range in.Plan.Actions {
			line("Planned", a.String())
		}
		for _, oc := range in.Outcomes {
			for _, f := range oc.Failures {
				what := f.Name + ": " + f.Reason
				if f.State != "" {
					what += " (now " + string(f.State) + ")"
				}
				line("Failed", what)
			}
		}
		switch {
		case in.Rebooted:
			line("Rebooting", "yes")
		case in.RebootNeeded:
			line("Reboot needed", "yes, not performed")
		}
	}

	// Missing and Failed first, most severe first; then the rest counted.
	var first []compliance.Item
	for _, it := range r.Items {
		if it.State == compliance.Missing || it.State == compliance.Failed || it.State == compliance.InstalledRejected || it.State == compliance.InstalledPendingReboot {
			first = append(first, it)
		}
	}
	slices.SortStableFunc(first, func(a, b compliance.Item) int { return int(b.ComplianceLevel) - int(a.ComplianceLevel) })
	if len(first) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KBID\tSTATE\tLEVEL\tSEVERITY\tCLASSIFICATION\tINSTALLED\tCANDIDATE\tCVES")
		for _, it := range first {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.KBID, it.State, it.ComplianceLevel, dash(it.Severity),
				dash(it.Classification), dash(it.InstalledVersion), dash(it.CandidateVersion), dash(strings.Join(it.CVEIDs, ",")))
		}
		tw.Flush()
	}
	if c.listInventory {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PACKAGE\tVERSION\tSTATE")
		for _, p := range out.Installed {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.QualifiedName(), p.EVR(), p.State)
		}
		tw.Flush()
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// countStates says how many packages there are, by state: "712 packages
// (709 installed, 3 config-files)".
func countStates(pkgs []patchkit.Package) string {
	n := map[patchkit.InstallState]int{}
	for _, p := range pkgs {
		n[p.State]++
	}
	var parts []string
	for _, st := range []patchkit.InstallState{patchkit.StateInstalled, patchkit.StateTriggersPending,
		patchkit.StateTriggersAwaited, patchkit.StateHalfConfigured, patchkit.StateUnpacked,
		patchkit.StateHalfInstalled, patchkit.StateConfigFiles, patchkit.StateNotInstalled} {
		if n[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
		}
	}
	s := fmt.Sprintf("%d packages", len(pkgs))
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}
