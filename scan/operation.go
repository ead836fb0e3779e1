package scan

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/run"
)

// Result is everything a Scan learnt, each part a plain value that can be
// saved as JSON: the operating system, the inventory, every available newer
// version with the baseline's decision on it (Candidates), the
// repositories, the pending-reboot verdict and the compliance report.
// Assessment holds the report's inputs: Assess with the same approver
// reproduces the report offline, byte for byte. Its Updates also hold the
// installed versions that a repository offers (from the repositories' files,
// or through WithRunner from the package manager), which the baseline
// decides too: an installed version it approves is INSTALLED, one it does
// not INSTALLED_OTHER.
type Result struct {
	OS           osdetect.OS   `json:"OS"`
	Inventory    Inventory     `json:"Inventory"`
	Candidates   []Candidate   `json:"Candidates"`
	Repositories []repo.Status `json:"Repositories,omitempty"`
	// Obsoletes are the available packages that obsolete an installed
	// package of another name (dnf and yum systems, from the repositories'
	// files; see dnf.Report.Obsoletes). They are recorded, never turned
	// into a differently named install: Patch Manager installs updates of
	// installed names only. Scans through WithRunner, and other families,
	// record none.
	Obsoletes  []dnf.Obsolete    `json:"Obsoletes,omitempty"`
	Reboot     Reboot            `json:"Reboot"`
	Report     compliance.Report `json:"Report"`
	Assessment Assessment        `json:"-"`
}

// count returns how many of bs are true.
func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// Candidate is one available version with the baseline's decision on it.
type Candidate struct {
	Patch    patchkit.Patch    `json:"Patch"`
	Decision baseline.Decision `json:"Decision"`
}

// ProgressEvent reports long work as it happens.
type ProgressEvent struct {
	// Step is "detect", "inventory", "updates", "reboot" or "assess".
	Step   string
	Detail string
	// Done is false when the step starts and true when it ends. Both of
	// these events have Total 0.
	Done bool
	// N of Total counts the work inside a step, in events between its start
	// and its end (Done false, Total above 0): during "updates" from the
	// repositories' files, N of the Total enabled repositories have been
	// read, and Detail names the repository being read (dnf, zypper) or
	// just read (apt). Native scans through WithRunner send no counts.
	N, Total int
}

// repoProgress forwards a family backend's count of the repositories read
// as an "updates" event; a report without a count is not forwarded, so
// that only a step's start and end have Total 0.
func (o scanOptions) repoProgress(repository string, n, total int) {
	if total > 0 {
		o.progress(ProgressEvent{Step: "updates", Detail: repository, N: n, Total: total})
	}
}

// ScanOption configures Scan.
type ScanOption func(*scanOptions) error

type scanOptions struct {
	at        time.Time
	end       time.Time
	os        *osdetect.OS
	arch      string
	base      *baseline.Baseline
	snapshot  *Snapshot
	node      compliance.Node
	previous  *compliance.Report
	runner    run.Runner
	rootDir   string
	client    *repo.Client
	host      HostFacts
	logger    *slog.Logger
	progress  func(ProgressEvent)
	buildOpts compliance.BuildOptions
	// obsoletes receives what the dnf metadata backend records.
	obsoletes func(dnf.Obsolete)
}

// At sets the instant the operation starts: approval delays count to it
// (unless a snapshot froze another instant) and freshness is judged at it.
// Required: Scan never reads the clock.
func At(t time.Time) ScanOption {
	return func(o *scanOptions) error {
		if t.IsZero() {
			return &InputError{Field: "At", Reason: "zero"}
		}
		o.at = t.UTC()
		return nil
	}
}

// Ended sets when the operation ended (default: the start, for a
// reproducible report).
func Ended(t time.Time) ScanOption {
	return func(o *scanOptions) error { o.end = t.UTC(); return nil }
}

// WithOS uses o instead of detecting the operating system of the root.
func WithOS(os osdetect.OS) ScanOption {
	return func(o *scanOptions) error { o.os = &os; return nil }
}

// WithArch sets the node's architecture (osdetect's vocabulary, "x86_64").
// By default it is the detected OS's, else the one the inventory shows.
func WithArch(a string) ScanOption {
	return func(o *scanOptions) error { o.arch = osdetect.NormalizeArch(a); return nil }
}

// WithBaseline evaluates with b (default: the AWS-owned baseline for the
// operating system).
func WithBaseline(b baseline.Baseline) ScanOption {
	return func(o *scanOptions) error { o.base = &b; return nil }
}

// WithSnapshot uses the approvals frozen in s instead of a baseline.
func WithSnapshot(s *Snapshot) ScanOption {
	return func(o *scanOptions) error {
		if s == nil {
			return &InputError{Field: "WithSnapshot", Reason: "nil snapshot"}
		}
		o.snapshot = s
		return nil
	}
}

// WithNode sets the node's identity in the report (instance ID, host name,
// patch group); the operating system and product come from detection.
func WithNode(n compliance.Node) ScanOption {
	return func(o *scanOptions) error { o.node = n; return nil }
}

// WithPrevious passes the node's last report, for the pending-reboot
// bookkeeping. Leave the option out when there is none: a nil r is an
// error.
func WithPrevious(r *compliance.Report) ScanOption {
	return func(o *scanOptions) error {
		if r == nil {
			return &InputError{Field: "WithPrevious", Reason: "nil report"}
		}
		o.previous = r
		return nil
	}
}

// WithRunner asks the package manager itself, through r, for the inventory
// and the updates (the native backends) instead of reading its files.
// rootDir is the root as the package manager sees it ("" or "/" for the
// live system). On dnf and yum systems the native backend runs dnf 4: a
// yum 3 system (Amazon Linux 2, RHEL, CentOS and Oracle Linux 7) is
// refused with an *UnsupportedError, and is scanned from its files instead
// (yum's etc/yum.conf and var/cache/yum, fresh after yum makecache or with
// WithRefresh).
func WithRunner(r run.Runner, rootDir string) ScanOption {
	return func(o *scanOptions) error {
		if r == nil {
			return &InputError{Field: "WithRunner", Reason: "nil runner"}
		}
		o.runner, o.rootDir = r, rootDir
		return nil
	}
}

// WithRefresh fetches fresh, verified repository metadata through c before
// scanning, as Patch Manager does, instead of reading the root's caches.
func WithRefresh(c *repo.Client) ScanOption {
	return func(o *scanOptions) error {
		if c == nil {
			return &InputError{Field: "WithRefresh", Reason: "nil client"}
		}
		o.client = c
		return nil
	}
}

// WithHostFacts passes what a live host knows beyond its files (boot time,
// running kernel); see Host.
func WithHostFacts(f HostFacts) ScanOption {
	return func(o *scanOptions) error { o.host = f; return nil }
}

// WithLogger logs to l (silent by default); the family backends log what
// they notice (unusable repositories, recorded obsoletes) through it. A
// nil l is an error.
func WithLogger(l *slog.Logger) ScanOption {
	return func(o *scanOptions) error {
		if l == nil {
			return &InputError{Field: "WithLogger", Reason: "nil logger"}
		}
		o.logger = l
		return nil
	}
}

// WithProgress calls fn as each step starts and ends, and with counts
// during the work that has them (see ProgressEvent), on the goroutine that
// called Scan. A nil fn is an error.
func WithProgress(fn func(ProgressEvent)) ScanOption {
	return func(o *scanOptions) error {
		if fn == nil {
			return &InputError{Field: "WithProgress", Reason: "nil function"}
		}
		o.progress = fn
		return nil
	}
}

// WithBuildOptions chooses the compliance model's open questions.
func WithBuildOptions(b compliance.BuildOptions) ScanOption {
	return func(o *scanOptions) error { o.buildOpts = b; return nil }
}

// Scan performs Patch Manager's Scan operation on the root file system fsys
// (os.DirFS("/") and Host's facts for the live host): it detects the
// operating system, reads the installed inventory, finds every available
// newer version with its classification, decides each with the baseline (or
// snapshot), examines the pending-reboot signals, and builds the compliance
// report. It never changes the node.
func Scan(ctx context.Context, fsys fs.FS, opts ...ScanOption) (Result, error) {
	if ctx == nil {
		return Result{}, &InputError{Field: "Scan", Reason: "nil context"}
	}
	if fsys == nil {
		return Result{}, &InputError{Field: "Scan", Reason: "nil file system (os.DirFS(\"/\") for the live host)"}
	}
	o := scanOptions{logger: slog.New(slog.DiscardHandler), progress: func(ProgressEvent) {}}
	for i, opt := range opts {
		if opt == nil {
			return Result{}, &InputError{Field: fmt.Sprintf("ScanOption %d", i), Reason: "nil option"}
		}
		if err := opt(&o); err != nil {
			return Result{}, err
		}
	}
	if o.at.IsZero() {
		return Result{}, &InputError{Field: "At", Reason: "required: the instant the scan starts (Scan never reads the clock)"}
	}
	if o.end.IsZero() {
		o.end = o.at
	}
	step := func(name, detail string, done bool) {
		o.progress(ProgressEvent{Step: name, Detail: detail, Done: done})
	}

	var res Result
	step("detect", "", false)
	if o.os != nil {
		res.OS = *o.os
	} else {
		var err error
		if res.OS, err = osdetect.DetectFS(fsys); err != nil {
			return res, err
		}
	}
	step("detect", res.OS.PrettyName, true)
	osName := res.OS.OperatingSystem()
	if osName == "" {
		return res, &UnsupportedError{OS: res.OS.ID, PackageManager: res.OS.PackageManager}
	}
	if o.runner != nil && res.OS.PackageManager == osdetect.YUM {
		// Amazon Linux 2 and the EL7 family have yum 3 and no dnf: the
		// native backend asks dnf 4.
		return res, &UnsupportedError{OS: res.OS.ID, PackageManager: res.OS.PackageManager,
			Reason: "a native scan (WithRunner) needs dnf 4, which yum 3 systems do not have; scan this system from its files (without WithRunner), which reads yum's configuration and cache"}
	}

	step("inventory", "", false)
	var err error
	if o.runner != nil {
		var iopts []Option
		if o.rootDir != "" && o.rootDir != "/" {
			iopts = append(iopts, WithRootDir(o.rootDir))
		}
		res.Inventory, err = QueryInventory(ctx, o.runner, res.OS, iopts...)
	} else {
		res.Inventory, err = ReadInventory(ctx, fsys, res.OS)
	}
	if err != nil {
		return res, err
	}
	step("inventory", fmt.Sprintf("%d packages", len(res.Inventory.Packages)), true)

	arch := o.arch
	if arch == "" {
		arch = res.OS.Arch
	}
	if arch == "" {
		arch = res.Inventory.Arch
	}
	product := res.OS.Product()

	// The approver first: the versions of packages that are not installed
	// are decided as the backend passes them, and only the approved ones
	// kept.
	var ap Approver
	switch {
	case o.snapshot != nil:
		ap = o.snapshot
	default:
		b := o.base
		if b == nil {
			pb, err := baseline.Predefined(osName)
			if err != nil {
				return res, err
			}
			b = &pb
		}
		c, err := baseline.Compile(*b)
		if err != nil {
			return res, err
		}
		ap = BaselineAt{Compiled: c, At: o.at}
	}
	node := o.node
	node.OperatingSystem, node.Product = osName, product
	na := &notInstalledFilter{ap: ap, node: baseline.Node{OperatingSystem: osName, Product: product},
		securityOnly: !ap.Definition().ApprovesNonSecurity()}
	defer na.done() // a no-op once done was called below

	// Nothing installed, nothing to update: no repository is read.
	var (
		updates   []patchkit.Patch
		installed []bool // updates[i] is the installed version itself
		repos     []repo.Status
	)
	step("updates", "", false)
	o.obsoletes = func(ob dnf.Obsolete) { res.Obsoletes = append(res.Obsoletes, ob) }
	if len(res.Inventory.Packages) > 0 {
		if arch == "" {
			return res, &InputError{Field: "WithArch", Reason: "the architecture is unknown: neither the OS nor the inventory tells it"}
		}
		if updates, repos, err = findUpdates(ctx, fsys, res.OS, res.Inventory, arch, product, na, o); err != nil {
			return res, err
		}
		if err := na.done(); err != nil {
			return res, err
		}
		updates, installed = sortInstalled(res.Inventory.Packages, updates)
	}
	res.Repositories = repos
	step("updates", fmt.Sprintf("%d newer versions from %d repositories, %d approved versions of packages not installed",
		len(updates)-count(installed), len(repos), len(na.approved)), true)

	step("reboot", "", false)
	if res.Reboot, err = PendingReboot(ctx, fsys, res.Inventory, o.host); err != nil {
		return res, err
	}
	step("reboot", "", true)

	step("assess", "", false)
	res.Assessment = Assessment{Node: node, Inventory: res.Inventory, Updates: updates, NotInstalled: na.approved,
		Repositories: repos, Start: o.at, End: o.end, LastBoot: o.host.BootTime}
	if o.snapshot != nil {
		res.Assessment.SnapshotID = o.snapshot.SnapshotID
	}
	rep, decisions, err := Assess(res.Assessment, ap, o.previous, o.buildOpts)
	if err != nil {
		return res, err
	}
	res.Report = rep
	// The installed versions were decided (they make an approved package
	// Installed), but Candidates are the newer versions only.
	res.Candidates = make([]Candidate, 0, len(updates)-count(installed))
	for i := range updates {
		if !installed[i] {
			res.Candidates = append(res.Candidates, Candidate{Patch: updates[i], Decision: decisions[i]})
		}
	}
	step("assess", string(rep.Summary.Status), true)
	return res, nil
}

// notInstalledFilter decides the versions of packages that are not
// installed in batches, as a backend passes them, and keeps the approved
// ones: a host's repositories offer tens of thousands, of which a baseline
// approves few. The decisions run on a goroutine of their own, beside the
// backend's work; add is called from one goroutine, and done must be
// called once the backend has returned, whatever it returned.
type notInstalledFilter struct {
	ap   Approver
	node baseline.Node
	// securityOnly: the baseline approves no non-security patch, so those
	// are not decided (and the apt backend does not even keep them).
	securityOnly bool

	cur     []patchkit.Patch
	work    chan []patchkit.Patch // full batches, to the decider
	free    chan []patchkit.Patch // decided batches, back for reuse
	stopped chan struct{}         // closed when the decider has ended

	// written by the decider, read after stopped is closed
	approved []patchkit.Patch
	err      error
}

// notInstalledBatch is small enough for a batch to stay in the cache.
const notInstalledBatch = 256

func (f *notInstalledFilter) add(p patchkit.Patch) {
	if f.securityOnly && !p.Security {
		return
	}
	if f.work == nil {
		f.start()
	}
	f.cur = append(f.cur, p)
	if len(f.cur) == notInstalledBatch {
		f.work <- f.cur
		f.cur = <-f.free
	}
}

func (f *notInstalledFilter) start() {
	const buffers = 4
	f.work = make(chan []patchkit.Patch, buffers)
	f.free = make(chan []patchkit.Patch, buffers)
	f.stopped = make(chan struct{})
	for range buffers - 1 {
		f.free <- make([]patchkit.Patch, 0, notInstalledBatch)
	}
	f.cur = make([]patchkit.Patch, 0, notInstalledBatch)
	go func() {
		defer close(f.stopped)
		for b := range f.work {
			f.decide(b)
			f.free <- b[:0]
		}
	}()
}

func (f *notInstalledFilter) decide(b []patchkit.Patch) {
	if f.err != nil {
		return
	}
	ds, err := f.ap.Decide(f.node, b)
	if err != nil {
		f.err = err
		return
	}
	for i, d := range ds {
		if d.Approved {
			f.approved = append(f.approved, b[i])
		}
	}
}

// done decides what is left, stops the decider and returns the first
// error a decision gave.
func (f *notInstalledFilter) done() error {
	if f.work == nil {
		return nil
	}
	if len(f.cur) > 0 {
		f.work <- f.cur
	}
	close(f.work)
	<-f.stopped
	f.work, f.cur = nil, nil
	return f.err
}

// Host returns the running host's operating system and the facts a scan of
// it needs beyond its files: the boot time (the start of process 1, as dnf
// needs-restarting takes it), the running kernel, the container= variable
// of process 1 and whether this process runs in a Kubernetes pod (see
// HostFacts).
func Host(ctx context.Context) (osdetect.OS, HostFacts, error) {
	if ctx == nil {
		return osdetect.OS{}, HostFacts{}, &InputError{Field: "Host", Reason: "nil context"}
	}
	o, err := osdetect.Detect(ctx)
	if err != nil {
		return o, HostFacts{}, err
	}
	f := HostFacts{KernelRelease: o.KernelRelease}
	if fi, err := fs.Stat(hostRoot(), "proc/1"); err == nil {
		f.BootTime = fi.ModTime().UTC()
	}
	hostContainer(hostRoot(), &f)
	return o, f, nil
}
