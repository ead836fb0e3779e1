package apt

import (
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
)

// Option configures Updates, the metadata backend. WithArch and WithNow
// are required.
type Option func(*options) error

type options struct {
	arch           string // osdetect vocabulary, as given
	debArch        string // dpkg's name for it
	now            time.Time
	product        string
	client         *repo.Client
	refresh        bool
	logger         *slog.Logger
	progress       func(Progress)
	aptConfig      string // an APT_CONFIG file inside the root, "" for none
	defaultRelease string
	hasDefaultRel  bool
	// installedVersions: WithInstalledVersions
	installedVersions bool
	notInstalled      func(patchkit.Patch) // WithNotInstalled
	securityOnly      bool                 // WithNotInstalledSecurityOnly
}

// Progress reports the metadata backend's work, once per repository read
// (Done of Total), to the callback given with WithProgress.
type Progress struct {
	Repository string // "URI suite"
	Done       int
	Total      int
	Packages   int // package records read from it
}

// WithArch names the node's architecture in osdetect's vocabulary
// ("x86_64", "aarch64"); apt calls it the native architecture. Required:
// the architecture is a fact of the node, never the one of the process.
func WithArch(arch string) Option {
	return func(o *options) error {
		d, ok := osdetect.DebianArch(arch)
		if !ok {
			return &OptionError{Option: "WithArch", Reason: "Debian has no architecture for " + quote(arch)}
		}
		o.arch, o.debArch = arch, d
		return nil
	}
}

// WithNow sets the time at which the freshness of the metadata is judged
// (Valid-Until, dates in the future, Max-ValidTime). Required.
func WithNow(t time.Time) Option {
	return func(o *options) error {
		if t.IsZero() {
			return &OptionError{Option: "WithNow", Reason: "zero time"}
		}
		o.now = t
		return nil
	}
}

// WithProduct sets the Patch Manager product put in every Patch.Product
// ("Debian12", "Ubuntu22.04").
func WithProduct(p string) Option {
	return func(o *options) error {
		o.product = p
		return nil
	}
}

// WithClient sets the client that WithRefresh fetches fresh metadata with.
// Its cache holds what it fetched; the root's own lists are never written.
func WithClient(c *repo.Client) Option {
	return func(o *options) error {
		if c == nil {
			return &OptionError{Option: "WithClient", Reason: "nil client"}
		}
		o.client = c
		return nil
	}
}

// WithRefresh, when true, fetches and verifies fresh metadata for every
// enabled repository through the WithClient client (repo/apt.Update)
// instead of reading the root's lists, as Patch Manager refreshes before a
// scan. The client's clock then decides the freshness of what it fetched.
func WithRefresh(refresh bool) Option {
	return func(o *options) error {
		o.refresh = refresh
		return nil
	}
}

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return &OptionError{Option: "WithLogger", Reason: "nil logger"}
		}
		o.logger = l
		return nil
	}
}

// WithProgress sets a callback called after each repository is read.
func WithProgress(fn func(Progress)) Option {
	return func(o *options) error {
		o.progress = fn
		return nil
	}
}

// WithAptConfig names a configuration file inside the root that apt reads
// before its apt.conf.d and apt.conf, as the APT_CONFIG environment
// variable does: a private apt state directory is described by such a file
// (Dir "/srv/node/"; Dir::State::status ...). path is absolute in the
// root.
func WithAptConfig(p string) Option {
	return func(o *options) error {
		if !strings.HasPrefix(p, "/") {
			return &OptionError{Option: "WithAptConfig", Reason: quote(p) + " is not an absolute path"}
		}
		o.aptConfig = path.Clean(p)
		return nil
	}
}

// WithDefaultRelease sets APT::Default-Release, as apt-get -t does,
// overriding the configuration's value; the releases it names get pin
// priority 990.
func WithDefaultRelease(rel string) Option {
	return func(o *options) error {
		if strings.ContainsAny(rel, "\x00\n\r") {
			return &OptionError{Option: "WithDefaultRelease", Reason: "control character"}
		}
		o.defaultRelease, o.hasDefaultRel = rel, true
		return nil
	}
}

// WithInstalledVersions, when true, makes Updates also return the
// installed version of every installed package that a healthy repository's
// lists offer (dpkg's status file, apt's "now" pseudo-origin, does not
// count), as a Patch with Candidate false and what a newer version would
// carry: the origins of that version (Repository), Security when one of
// them is a security suite, Section and Priority of its stanza. A baseline
// then decides the installed version itself, which tells Patch Manager's
// INSTALLED from INSTALLED_OTHER. An installed version no list offers
// gives nothing. Off by default: only newer versions.
func WithInstalledVersions(on bool) Option {
	return func(o *options) error {
		o.installedVersions = on
		return nil
	}
}

// WithNotInstalled makes Updates also pass to fn every version that the
// healthy enabled repositories offer of a package (name and apt
// architecture) that is not installed, classified exactly as an update
// would be, with Candidate false: Patch Manager reports such packages
// NotApplicable when the baseline approves one of their versions.
//
// fn is called from Updates' own goroutine, never concurrently, after
// every repository has been read and before Updates returns, and not at
// all when Updates returns an error; once the calls begin, Updates returns
// no error. The calls are in order of name, then apt architecture (the
// native one for "all"), then version, oldest first in dpkg's order: one
// call per version, with the fields the Patch of an update has (the
// Package from the first stanza read, Repository listing every origin
// offering the version, Security and Classification "Security" when one
// of them is a security pocket, Section, Priority, Product). What counts
// as installed is what Updates upgrades: dpkg's config-files and
// not-installed states do not, so those packages' versions go to fn; a
// version Updates returns (a newer version of an installed package, or
// with WithInstalledVersions its installed version) never does.
//
// Only what apt would install: the versions of apt's architectures (the
// native one with "all", and the foreign ones), read from the Packages
// indexes of healthy repositories, never sources. Pins do not narrow the
// list: apt-get install NAME=VERSION installs any version apt knows, even
// one pinned below 0 or "never" (apt's pins choose the candidate only),
// and Patch Manager approves versions, not candidates. A package dpkg
// holds in config-files (or not-installed) state gets Want "hold" on its
// patches, as an installed held package does: apt-get install then lists
// it under "held packages will be changed" and wants
// --allow-change-held-packages.
//
// With fn set, every record of a not-installed package is checked as
// those of installed packages are (name, architecture and version as dpkg
// accepts them): a repository with an invalid one is unhealthy and offers
// nothing, for updates too. A nil fn leaves Updates as it is.
func WithNotInstalled(fn func(patchkit.Patch)) Option {
	return func(o *options) error {
		o.notInstalled = fn
		return nil
	}
}

// WithNotInstalledSecurityOnly narrows WithNotInstalled to the versions a
// security pocket offers, and a version's Repository then names its
// security origins only: the records of other indexes of packages that
// are not installed are not kept (on a Debian host, some 62,000 of 65,000),
// nor checked. It is for a caller whose baseline approves no
// non-security patch (baseline.Baseline.ApprovesNonSecurity false), for
// which the other versions can only be refused.
func WithNotInstalledSecurityOnly(on bool) Option {
	return func(o *options) error {
		o.securityOnly = on
		return nil
	}
}

func buildOptions(opts []Option) (*options, error) {
	o := &options{logger: slog.New(slog.DiscardHandler)}
	for _, f := range opts {
		if f == nil {
			continue
		}
		if err := f(o); err != nil {
			return nil, err
		}
	}
	switch {
	case o.arch == "":
		return nil, &OptionError{Option: "WithArch", Reason: "required: the node's architecture (osdetect vocabulary, e.g. x86_64)"}
	case o.now.IsZero():
		return nil, &OptionError{Option: "WithNow", Reason: "required: the time freshness is judged at"}
	case o.refresh && o.client == nil:
		return nil, &OptionError{Option: "WithRefresh", Reason: "needs WithClient to fetch with"}
	}
	return o, nil
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\""
}
