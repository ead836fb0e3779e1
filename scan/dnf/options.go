package dnf

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
)

// DefaultMaxAge is how old a repository's metadata may be before the
// metadata backend calls it stale (repo.HealthStale). rpm-md has no expiry
// of its own; a week is long enough for repositories that publish once a
// week and short enough that a frozen mirror (or a replay of old, validly
// signed metadata) is noticed. WithMaxAge changes it.
const DefaultMaxAge = 7 * 24 * time.Hour

// DefaultMaxFutureSkew is how far ahead of the caller's clock a repomd.xml
// may be dated before it counts as dated in the future (repo.HealthExpired).
const DefaultMaxFutureSkew = 10 * time.Minute

// DateRule says which date of an update notice is a patch's release date.
type DateRule int

const (
	// IssuedFirst takes the notice's issued date, else its updated date:
	// RHEL and its rebuilds, Fedora, CentOS Stream, Oracle Linux.
	IssuedFirst DateRule = iota
	// UpdatedFirst takes the notice's updated date, else its issued date:
	// Amazon Linux 2 and 2023, whose Patch Manager counts approval delays
	// from the updated date.
	UpdatedFirst
)

func (d DateRule) String() string {
	if d == UpdatedFirst {
		return "UpdatedFirst"
	}
	return "IssuedFirst"
}

// Progress reports long work: Stage is "config", "repository" (one per
// repository, Repo set) or "select"; Done of Total repositories are read.
type Progress struct {
	Stage string
	Repo  string
	Done  int
	Total int
}

// Option configures Updates and Check. Options are checked when they are
// applied: a bad value is an error before anything is read.
type Option func(*options) error

type options struct {
	arch          string
	archSet       bool
	now           time.Time
	nowSet        bool
	product       string
	dateRule      DateRule
	releasever    string // WithReleasever
	osReleasever  string // derived by WithOS
	maxAge        time.Duration
	maxFutureSkew time.Duration
	client        *repo.Client
	refresh       bool
	logger        *slog.Logger
	progress      func(Progress)
	keyring       *repo.Keyring
	installOnly   []string
	cacheDir      string
	flavor        Flavor
	limits        limits
	installedVers bool
	notInstalled  func(patchkit.Patch) // WithNotInstalled; nil when not asked
	obsoletes     func(Obsolete)       // WithObsoletes; nil when not asked
}

// Flavor is the package manager whose configuration and cache are read.
type Flavor int

const (
	// Auto picks DNF when the root has etc/dnf/dnf.conf (or var/cache/dnf),
	// else YUM when it has etc/yum.conf.
	Auto Flavor = iota
	// DNF: etc/dnf/dnf.conf, repodata cached in
	// var/cache/dnf/<repoid>-<hash>/repodata.
	DNF
	// YUM: etc/yum.conf, repodata cached in
	// var/cache/yum/<basearch>/<releasever>/<repoid>/.
	YUM
)

func (f Flavor) String() string {
	switch f {
	case DNF:
		return "dnf"
	case YUM:
		return "yum"
	}
	return "auto"
}

// limits bound what is read from the root.
type limits struct {
	config  int64 // a configuration file
	repomd  int64 // repomd.xml
	primary int64 // a decompressed primary or updateinfo
}

// OptionError reports an option that is missing or has a bad value. It
// matches ErrOption and patchkit.ErrInvalid.
type OptionError struct {
	Option string // the function name, e.g. "WithArch"
	Reason string
}

func (e *OptionError) Error() string { return "dnf: " + e.Option + ": " + e.Reason }

// ErrOption is matched by every *OptionError.
var ErrOption = errors.New("dnf: bad or missing option")

// Is reports whether target is ErrOption or patchkit.ErrInvalid.
func (e *OptionError) Is(target error) bool {
	return target == ErrOption || target == patchkit.ErrInvalid
}

// WithArch sets the node's architecture in osdetect's vocabulary
// ("x86_64", "aarch64"; platform spellings such as "amd64" are normalised).
// It decides which package architectures may be installed and is
// $basearch and $arch in .repo files. Required: the architecture of the
// machine patchkit runs on is never assumed.
func WithArch(arch string) Option {
	return func(o *options) error {
		a := osdetect.NormalizeArch(arch)
		if _, ok := compatArches(a); !ok {
			return &OptionError{Option: "WithArch", Reason: fmt.Sprintf("unknown architecture %q", arch)}
		}
		o.arch, o.archSet = a, true
		return nil
	}
}

// WithNow sets the instant freshness is judged at (and signatures and keys
// must be valid at). Required: the clock is never read.
func WithNow(t time.Time) Option {
	return func(o *options) error {
		if t.IsZero() {
			return &OptionError{Option: "WithNow", Reason: "zero time"}
		}
		o.now, o.nowSet = t, true
		return nil
	}
}

// WithProduct sets Patch.Product of every patch ("RedhatEnterpriseLinux9.4",
// "AmazonLinux2023").
func WithProduct(p string) Option {
	return func(o *options) error { o.product = p; return nil }
}

// WithDateRule sets which notice date is a patch's release date (default
// IssuedFirst).
func WithDateRule(r DateRule) Option {
	return func(o *options) error {
		if r != IssuedFirst && r != UpdatedFirst {
			return &OptionError{Option: "WithDateRule", Reason: fmt.Sprintf("unknown rule %d", int(r))}
		}
		o.dateRule = r
		return nil
	}
}

// WithOS takes what it can from a detected operating system: the product
// (Patch.Product), the date rule (UpdatedFirst for Amazon Linux), the
// flavor (yum for a yum system), the architecture when the OS has one, and
// $releasever as dnf derives it for the family (the major version; the
// whole VERSION_ID on Fedora and Amazon Linux). Later options override it.
func WithOS(o osdetect.OS) Option {
	return func(op *options) error {
		op.product = o.Product()
		if o.Family == osdetect.FamilyAmazon {
			op.dateRule = UpdatedFirst
		}
		switch o.PackageManager {
		case osdetect.YUM:
			op.flavor = YUM
		case osdetect.DNF:
			op.flavor = DNF
		}
		if o.Arch != "" {
			if err := WithArch(o.Arch)(op); err != nil {
				return err
			}
		}
		switch {
		case o.ID == "fedora" || o.Family == osdetect.FamilyAmazon:
			op.osReleasever = o.VersionID
		case o.Major != "":
			op.osReleasever = o.Major
		}
		return nil
	}
}

// WithReleasever sets $releasever, as dnf's --releasever does. Without it,
// the root's etc/dnf/vars/releasever (or etc/yum/vars/releasever) is used,
// then what WithOS derived.
func WithReleasever(v string) Option {
	return func(o *options) error {
		if v == "" || strings.ContainsAny(v, "/ \t\n$") {
			return &OptionError{Option: "WithReleasever", Reason: fmt.Sprintf("invalid value %q", v)}
		}
		o.releasever = v
		return nil
	}
}

// WithMaxAge sets how old metadata may be before it is stale (default
// DefaultMaxAge). 0 turns the check off.
func WithMaxAge(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return &OptionError{Option: "WithMaxAge", Reason: "negative duration"}
		}
		o.maxAge = d
		return nil
	}
}

// WithMaxFutureSkew sets how far in the future of WithNow's clock a
// repomd.xml may be dated, and its repomd.xml.asc signature (so its key)
// made (default DefaultMaxFutureSkew).
func WithMaxFutureSkew(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return &OptionError{Option: "WithMaxFutureSkew", Reason: "negative duration"}
		}
		o.maxFutureSkew = d
		return nil
	}
}

// WithClient gives the client that WithRefresh fetches through; it also
// fetches http and https gpgkey URLs of repositories that require signed
// metadata, as dnf does on first use.
func WithClient(c *repo.Client) Option {
	return func(o *options) error {
		if c == nil {
			return &OptionError{Option: "WithClient", Reason: "nil client"}
		}
		o.client = c
		return nil
	}
}

// WithRefresh fetches fresh metadata for every enabled repository through
// the client (repo/rpmmd.Update: signatures, checksums, rollback checks)
// instead of reading the root's cache, as Patch Manager refreshes before a
// scan. It needs WithClient.
func WithRefresh(refresh bool) Option {
	return func(o *options) error { o.refresh = refresh; return nil }
}

// WithLogger sets the logger (silent by default).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return &OptionError{Option: "WithLogger", Reason: "nil logger"}
		}
		o.logger = l
		return nil
	}
}

// WithProgress sets a callback for long work, called from the goroutine
// that runs Updates. A nil f is an error.
func WithProgress(f func(Progress)) Option {
	return func(o *options) error {
		if f == nil {
			return &OptionError{Option: "WithProgress", Reason: "nil function"}
		}
		o.progress = f
		return nil
	}
}

// WithKeyring adds keys trusted to sign every repository's repomd.xml,
// beside the keys the root itself trusts (see the package documentation).
func WithKeyring(k *repo.Keyring) Option {
	return func(o *options) error {
		if k.Len() == 0 {
			return &OptionError{Option: "WithKeyring", Reason: "empty keyring"}
		}
		o.keyring = o.keyring.Merge(k)
		return nil
	}
}

// WithInstallOnly adds package names that are installed beside older
// versions rather than replacing them, on top of dnf's default list and the
// root's installonlypkgs.
func WithInstallOnly(names ...string) Option {
	return func(o *options) error {
		for _, n := range names {
			if n == "" {
				return &OptionError{Option: "WithInstallOnly", Reason: "empty name"}
			}
		}
		o.installOnly = append(o.installOnly, names...)
		return nil
	}
}

// WithCacheDir sets where the package manager's cache is inside the root
// (default: the cachedir of dnf.conf or yum.conf, else var/cache/dnf or
// var/cache/yum).
func WithCacheDir(dir string) Option {
	return func(o *options) error {
		c := strings.Trim(path.Clean("/"+dir), "/")
		if dir == "" || c == "" {
			return &OptionError{Option: "WithCacheDir", Reason: fmt.Sprintf("invalid directory %q", dir)}
		}
		o.cacheDir = c
		return nil
	}
}

// WithFlavor chooses dnf's or yum's configuration and cache layout (default
// Auto).
func WithFlavor(f Flavor) Option {
	return func(o *options) error {
		if f != Auto && f != DNF && f != YUM {
			return &OptionError{Option: "WithFlavor", Reason: fmt.Sprintf("unknown flavor %d", int(f))}
		}
		o.flavor = f
		return nil
	}
}

// WithInstalledVersions, when true, makes Updates (and Check) also return
// the installed version of every installed package that a healthy
// repository offers exactly (name, epoch, version, release, architecture),
// as a Patch with Candidate=false and the metadata a newer version would
// have: the notices that ship it, else its build time. A baseline then
// decides the installed version itself, which tells Patch Manager's
// INSTALLED from INSTALLED_OTHER. An installed version no healthy
// repository offers (or that excludepkgs or includepkgs hide, as dnf
// hides them) gives nothing. Off by default: only newer versions.
func WithInstalledVersions(on bool) Option {
	return func(o *options) error { o.installedVers = on; return nil }
}

// WithNotInstalled makes Updates (and Check) also pass to fn every version
// that the healthy enabled repositories offer of a package (name and
// architecture) that is not installed, classified exactly as an update
// would be, with Candidate false: the notices that ship the version
// (merged as for an update), else its build time, and the repository dnf
// would take it from. Only what dnf would install on the node is passed:
// architectures the node installs (those of WithArch, as for updates), no
// version that excludepkgs or includepkgs hide (dnf hides them from an
// install as from an upgrade), never a source package. A (name, arch) is
// installed when the inventory has a package of that name and architecture
// whose files are present; a version that Updates returns (a newer
// version, including one that moves between noarch and an architecture,
// or an installed version) is never also passed to fn.
//
// fn is called from the goroutine that runs Updates, once per distinct
// version, after every repository has been read and before Updates
// returns, in order of name, architecture and version (rpm's order); not
// at all when Updates returns an error. A nil fn leaves the option without
// effect. Reading every package of every repository instead of those of
// installed names costs memory: see the package documentation.
func WithNotInstalled(fn func(patchkit.Patch)) Option {
	return func(o *options) error { o.notInstalled = fn; return nil }
}

// WithObsoletes passes to fn every obsolete that Check records in
// Report.Obsoletes (an available package whose Obsoletes names an
// installed package of another name), in the report's order, once Check
// has succeeded and before it returns; for callers of Updates, which
// returns no Report. Obsoletes are recorded, never turned into an install
// of the differently named package. fn must not be nil.
func WithObsoletes(fn func(Obsolete)) Option {
	return func(o *options) error {
		if fn == nil {
			return &OptionError{Option: "WithObsoletes", Reason: "nil function"}
		}
		o.obsoletes = fn
		return nil
	}
}

func buildOptions(opts []Option) (options, error) {
	o := options{
		maxAge:        DefaultMaxAge,
		maxFutureSkew: DefaultMaxFutureSkew,
		logger:        slog.New(slog.DiscardHandler),
		limits:        limits{config: 4 << 20, repomd: repo.MaxReleaseSize, primary: 4 << 30},
	}
	for _, f := range opts {
		if f == nil {
			return o, &OptionError{Option: "Option", Reason: "nil option"}
		}
		if err := f(&o); err != nil {
			return o, err
		}
	}
	if !o.archSet {
		return o, &OptionError{Option: "WithArch", Reason: "the node's architecture is required"}
	}
	if !o.nowSet {
		return o, &OptionError{Option: "WithNow", Reason: "the time to judge freshness at is required"}
	}
	if o.refresh && o.client == nil {
		return o, &OptionError{Option: "WithRefresh", Reason: "needs WithClient"}
	}
	return o, nil
}

func (o *options) report(p Progress) {
	if o.progress != nil {
		o.progress(p)
	}
}
