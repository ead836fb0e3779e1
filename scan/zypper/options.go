package zypper

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// DefaultMaxAge is how old (by repomd.xml's newest timestamp) a
// repository's metadata may be before the metadata backend reports it
// repo.HealthStale and offers none of its packages. rpm-md metadata has no
// expiry of its own; a week is the window in which a mirror that stopped
// updating (or an attacker replaying old signed metadata) hides at most a
// week of fixes. WithMaxAge and WithRepoMaxAge change it.
const DefaultMaxAge = 7 * 24 * time.Hour

// maxFutureSkew is how far in the future repomd.xml may be dated, and its
// signature made.
const maxFutureSkew = 10 * time.Minute

// Option configures the metadata backend (Updates, Patches, Read).
type Option func(*options) error

type options struct {
	arch         string
	archSet      archSet
	now          time.Time
	product      string
	maxAge       time.Duration
	repoMaxAge   map[string]time.Duration
	keyring      *repo.Keyring
	keyringSet   bool
	client       *repo.Client
	refresh      bool
	logger       *slog.Logger
	progress     func(Progress)
	withOptional bool
	releasever   string
	limits       rpmmd.Limits
	// installedVers: WithInstalledVersions
	installedVers bool
	// notInstalled: WithNotInstalled
	notInstalled func(patchkit.Patch)
}

// Progress reports the metadata backend's work on one repository.
type Progress struct {
	// Repository is the alias; Done and Total count repositories.
	Repository string
	Done       int
	Total      int
	// Stage is "reading", "refreshing" or "done".
	Stage string
}

// WithArch sets the node's architecture in osdetect's vocabulary
// ("x86_64", "aarch64"). Required: the metadata backend never assumes the
// architecture of the machine it runs on. A zypp.conf "arch" setting in
// the root takes precedence, as it does for zypper.
func WithArch(arch string) Option {
	return func(o *options) error {
		s, ok := newArchSet(arch)
		if !ok {
			return &OptionError{Option: "WithArch", Reason: fmt.Sprintf("unknown architecture %q (want one of osdetect's, e.g. x86_64)", arch)}
		}
		o.arch, o.archSet = arch, s
		return nil
	}
}

// WithNow sets the time at which freshness and signatures are judged.
// Required.
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
// ("SUSE15.5", "OpenSUSE15.5").
func WithProduct(p string) Option {
	return func(o *options) error { o.product = p; return nil }
}

// WithMaxAge sets how old repository metadata may be (default
// DefaultMaxAge). It must be positive.
func WithMaxAge(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return &OptionError{Option: "WithMaxAge", Reason: "not positive: " + d.String()}
		}
		o.maxAge = d
		return nil
	}
}

// WithRepoMaxAge sets the maximum age for the repository alias alone: a
// distribution's pool repository, which never changes after the release,
// needs a longer one than its updates repository.
func WithRepoMaxAge(alias string, d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return &OptionError{Option: "WithRepoMaxAge", Reason: "not positive: " + d.String()}
		}
		if o.repoMaxAge == nil {
			o.repoMaxAge = map[string]time.Duration{}
		}
		o.repoMaxAge[alias] = d
		return nil
	}
}

// WithKeyring sets the keys trusted to sign repomd.xml, in place of the
// keys imported into the root's rpm database.
func WithKeyring(kr *repo.Keyring) Option {
	return func(o *options) error {
		o.keyring, o.keyringSet = kr, true
		return nil
	}
}

// WithClient sets the repository client. Without WithRefresh the metadata
// is read from the client's cache (what an earlier refresh with the same
// client cache fetched), not from the root's zypp cache.
func WithClient(c *repo.Client) Option {
	return func(o *options) error {
		if c == nil {
			return &OptionError{Option: "WithClient", Reason: "nil client"}
		}
		o.client = c
		return nil
	}
}

// WithRefresh fetches fresh metadata of every enabled repository through
// the client (WithClient, required) and verifies it before use, as zypper
// refresh does, without writing to the root.
func WithRefresh(refresh bool) Option {
	return func(o *options) error { o.refresh = refresh; return nil }
}

// WithLogger sets where notes go (locked packages, obsolete metadata,
// keys that could not be read). Silent by default.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return &OptionError{Option: "WithLogger", Reason: "nil logger"}
		}
		o.logger = l
		return nil
	}
}

// WithProgress sets a callback called as each repository is read.
func WithProgress(f func(Progress)) Option {
	return func(o *options) error { o.progress = f; return nil }
}

// WithOptionalPatches reports needed patches of the optional categories
// (optional, feature, enhancement) as needed, as zypper does with
// --with-optional; by default they are "optional", as zypper shows them.
func WithOptionalPatches(with bool) Option {
	return func(o *options) error { o.withOptional = with; return nil }
}

// WithReleasever sets $releasever for base URLs (used only to fetch with
// WithRefresh); by default it is VERSION_ID of the root's os-release.
func WithReleasever(v string) Option {
	return func(o *options) error {
		if v == "" || strings.ContainsAny(v, "/ \t\n") {
			return &OptionError{Option: "WithReleasever", Reason: fmt.Sprintf("invalid value %q", v)}
		}
		o.releasever = v
		return nil
	}
}

// WithNotInstalled makes Updates (and Read, and Patches, which read the
// same) also pass to fn every version that the healthy enabled
// repositories offer of a package (name and architecture) that is not
// installed, classified exactly as an update would be, with Candidate
// false: the versions of which Patch Manager makes its NotApplicable
// items. The package documentation ("Packages that are not installed")
// gives the rules: which architectures, locks, one call per version.
//
// fn is called from Updates' own goroutine, never concurrently, after
// every repository has been read and everything that can fail has been
// done, ordered by name, then architecture, then version (rpm's order);
// it is not called at all when Updates returns an error. The Patch is
// fn's to keep. A nil fn leaves the option without effect.
func WithNotInstalled(fn func(patchkit.Patch)) Option {
	return func(o *options) error { o.notInstalled = fn; return nil }
}

// WithLimits bounds the XML files read (rpmmd.Limits; zero fields take
// rpmmd's defaults).
func WithLimits(l rpmmd.Limits) Option {
	return func(o *options) error { o.limits = l; return nil }
}

// WithInstalledVersions, when true, makes Updates (and Read) also return
// the installed version of every installed package that a healthy
// repository has exactly (name, edition, architecture), as a Patch with
// Candidate false and the classification a newer version would have: the
// patches that name it (Security, category, severity, date, reboot flag,
// IDs). A baseline then decides the installed version itself, which tells
// Patch Manager's INSTALLED from INSTALLED_OTHER. An installed version no
// healthy repository has gives nothing. Off by default: only newer
// versions.
func WithInstalledVersions(on bool) Option {
	return func(o *options) error { o.installedVers = on; return nil }
}

func buildOptions(opts []Option) (options, error) {
	o := options{maxAge: DefaultMaxAge}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	if o.arch == "" {
		return o, &OptionError{Option: "WithArch", Reason: "required: the node's architecture"}
	}
	if o.now.IsZero() {
		return o, &OptionError{Option: "WithNow", Reason: "required: the time freshness is judged at"}
	}
	if o.refresh && o.client == nil {
		return o, &OptionError{Option: "WithRefresh", Reason: "needs WithClient"}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o, nil
}

func (o *options) maxAgeOf(alias string) time.Duration {
	if d, ok := o.repoMaxAge[alias]; ok {
		return d
	}
	return o.maxAge
}

// NativeOption configures the native backend (NativeUpdates,
// NativePatches).
type NativeOption func(*nativeOptions) error

type nativeOptions struct {
	program string
	root    string
	refresh bool
	env     []string
	product string
	logger  *slog.Logger
	// installedVers: NativeInstalledVersions
	installedVers bool
	// allVers: NativeAllVersions
	allVers bool
	// readOnly: NativeUpdates and NativePatches without NativeRefresh
	// (queryEnv)
	readOnly bool
	// disable: NativeDisableRepos
	disable []string
	// restricted is set once the enabled repositories were listed for
	// disable; only are those left, each given to a query as -r ALIAS.
	restricted bool
	only       []string
}

// NativeProgram sets zypper's absolute path (default /usr/bin/zypper).
func NativeProgram(path string) NativeOption {
	return func(o *nativeOptions) error {
		if !strings.HasPrefix(path, "/") {
			return &OptionError{Option: "NativeProgram", Reason: fmt.Sprintf("%q is not an absolute path", path)}
		}
		o.program = path
		return nil
	}
}

// NativeRoot runs zypper on the root directory dir (zypper --root).
func NativeRoot(dir string) NativeOption {
	return func(o *nativeOptions) error {
		if !strings.HasPrefix(dir, "/") {
			return &OptionError{Option: "NativeRoot", Reason: fmt.Sprintf("%q is not an absolute path", dir)}
		}
		o.root = dir
		return nil
	}
}

// NativeRefresh lets zypper refresh repositories whose metadata it
// considers out of date (autorefresh) before answering. By default the
// commands run with --no-refresh, so that a scan changes nothing.
func NativeRefresh(refresh bool) NativeOption {
	return func(o *nativeOptions) error { o.refresh = refresh; return nil }
}

// NativeEnv adds KEY=value entries to zypper's environment (ZYPP_CONF to
// point libzypp at a root's zypp.conf, ZYPP_LOCK_TIMEOUT).
func NativeEnv(env ...string) NativeOption {
	return func(o *nativeOptions) error {
		for _, e := range env {
			if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
				return &OptionError{Option: "NativeEnv", Reason: fmt.Sprintf("%q is not KEY=value", e)}
			}
		}
		o.env = append(o.env, env...)
		return nil
	}
}

// NativeProduct sets the Patch Manager product put in every Patch.Product.
func NativeProduct(p string) NativeOption {
	return func(o *nativeOptions) error { o.product = p; return nil }
}

// NativeLogger sets where notes go. Silent by default.
func NativeLogger(l *slog.Logger) NativeOption {
	return func(o *nativeOptions) error {
		if l == nil {
			return &OptionError{Option: "NativeLogger", Reason: "nil logger"}
		}
		o.logger = l
		return nil
	}
}

// NativeInstalledVersions, when true, makes NativeUpdates also return the
// installed version of every package of its inventory that an enabled
// repository has, as a Patch with Candidate false, classified as a newer
// version is (the patches that name it: Security, category, severity,
// date, reboot flag, IDs): the native counterpart of
// WithInstalledVersions, with which a baseline tells Patch Manager's
// INSTALLED from INSTALLED_OTHER. It costs two more commands, whatever the
// number of packages: `zypper --xmlout repos` (aliases, names, priorities)
// and `zypper --xmlout search -s -t package --installed-only` (the
// repositories zypper finds each installed version in); and `info -t
// patch` is asked about every patch whose status is not not-needed (in
// batches of 500 names), since the patches that name an installed version
// are applied ones. A version zypper shows installed that the inventory
// lacks is logged and left out (with an empty inventory, every installed
// version zypper shows is returned). Off by default, and then nothing of
// this runs.
//
// zypper's search shows a repository's name, not its alias: for a name
// that several enabled repositories share, each of them is searched by
// itself (--repo ALIAS, one more command per such repository). zypper
// lists an installed version under a repository when libzypp finds the
// repository's package identical to the installed one (libsolv's
// solvable_identical), a test that may look beyond name, edition and
// architecture (the vendor, the build time), where the metadata backend
// compares those three only. The fields are those the native backend
// fills for newer versions; zypper has no section or priority, and
// Product is NativeProduct's.
func NativeInstalledVersions(on bool) NativeOption {
	return func(o *nativeOptions) error { o.installedVers = on; return nil }
}

// NativeAllVersions, when true, makes NativeUpdates also return every
// other version newer than an installed package that an enabled
// repository offers, with Candidate false, classified as the candidates
// are (the patches that name that version): the native counterpart of
// the newer versions Updates returns, with which a baseline that
// approves an older newer version while the newest is not approved finds
// it Missing. Off by default, and then nothing of this runs.
//
// It costs `zypper --xmlout repos` (shared with NativeInstalledVersions)
// and one `zypper --xmlout search -s --match-exact -t package -- NAME...`
// over the inventory's names (in chunks of at most 64 KiB of names), once
// more per chunk with --repo ALIAS for each enabled repository whose name
// another enabled repository shares (search names repositories by name);
// and `info -t patch` is asked about every patch whose status is not
// not-needed, as with NativeInstalledVersions: a patch that names a newer
// version of an installed package, by the architecture rules below, is
// needed (or optional, unwanted), never not-needed. The inventory is
// required: only its names are searched.
//
// The rules are the metadata backend's: a version is newer than the
// newest installed version of an architecture it may update (the same
// architecture, or a change to or from noarch; an i686 version is no
// update of an x86_64 package); the architectures the node does not
// accept are those libzypp leaves out of its pool, so search never shows
// them (aarch64 or a source package on x86_64). A version a lock forbids
// is returned like any other (never as the candidate, which zypper's
// list-updates already does not give), as Updates returns it. A version
// several repositories have comes from the best of them (priority, then
// alias). The versions come from every repository zypper has loaded: one
// whose metadata zypper uses but the metadata backend finds unhealthy
// (unsigned, untrusted, stale) gives versions here that Updates leaves out.
func NativeAllVersions(on bool) NativeOption {
	return func(o *nativeOptions) error { o.allVers = on; return nil }
}

func buildNative(opts []NativeOption) (nativeOptions, error) {
	o := nativeOptions{program: "/usr/bin/zypper"}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o, nil
}
