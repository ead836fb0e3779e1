package dnf

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/patchkit/patchkit/install/plan"
)

// DefaultLockWait is how long Plan, Apply, CheckNative and Repair wait for
// a lock another dnf holds before they give up with a *plan.LockedError.
const DefaultLockWait = 10 * time.Minute

// lockPoll is how long to sleep between two attempts while a lock is held
// (dnf itself polls once a second when it waits).
const lockPoll = time.Second

// Option configures the executor. Each is checked when it is applied: a bad
// value is an *OptionError before anything runs.
type Option func(*options) error

type options struct {
	program     string
	rpm         string
	root        string
	releasever  string
	setopts     []string
	lockWait    time.Duration
	cacheOnly   bool
	allowUnauth bool
	installOnly []string
	progress    func(plan.Progress)
}

// OptionError reports an option with a bad value.
type OptionError struct {
	Option string // the function, e.g. "WithInstallRoot"
	Reason string
}

func (e *OptionError) Error() string { return "install/dnf: " + e.Option + ": " + e.Reason }

// ErrOption is matched by every *OptionError.
var ErrOption = errors.New("install/dnf: bad option")

// Is reports whether target is ErrOption.
func (e *OptionError) Is(target error) bool { return target == ErrOption }

// WithProgram sets dnf's absolute path (default /usr/bin/dnf; yum on EL8
// and later is the same program).
func WithProgram(p string) Option {
	return func(o *options) error {
		if !absClean(p) {
			return &OptionError{Option: "WithProgram", Reason: fmt.Sprintf("%q is not a clean absolute path", p)}
		}
		o.program = p
		return nil
	}
}

// WithRPM sets rpm's absolute path (default /usr/bin/rpm), which Plan asks
// for the installed size of the packages a plan replaces or removes.
func WithRPM(p string) Option {
	return func(o *options) error {
		if !absClean(p) {
			return &OptionError{Option: "WithRPM", Reason: fmt.Sprintf("%q is not a clean absolute path", p)}
		}
		o.rpm = p
		return nil
	}
}

// WithInstallRoot makes dnf act on the root directory dir instead of the
// live system: --installroot=dir, and --setopt=reposdir=dir/etc/yum.repos.d
// so that only the root's own repositories are used (dnf would fall back to
// the host's when the root has none). rpm's size query gets --root dir.
func WithInstallRoot(dir string) Option {
	return func(o *options) error {
		if !absClean(dir) || dir == "/" {
			return &OptionError{Option: "WithInstallRoot", Reason: fmt.Sprintf("%q is not a clean absolute path other than /", dir)}
		}
		o.root = dir
		return nil
	}
}

// WithReleasever sets $releasever (--releasever), which dnf cannot detect
// in a root without a system-release package.
func WithReleasever(v string) Option {
	return func(o *options) error {
		if v == "" || strings.IndexFunc(v, func(r rune) bool {
			return !(r == '.' || r == '_' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		}) >= 0 {
			return &OptionError{Option: "WithReleasever", Reason: fmt.Sprintf("invalid value %q", v)}
		}
		o.releasever = v
		return nil
	}
}

// reservedSetopt reports the dnf options WithSetopt refuses: the ones that
// weaken verification (opted into by name only, AllowUnauthenticated), and
// the ones the executor sets itself.
func reservedSetopt(key string) bool {
	switch strings.ToLower(key) {
	case "gpgcheck", "localpkg_gpgcheck", "repo_gpgcheck", "sslverify", "skip_if_unavailable",
		"exit_on_lock", "assumeyes", "assumeno", "tsflags", "installroot", "reposdir", "cacheonly",
		"downloadonly", "downloaddir", "destdir", "pluginpath", "pluginconfpath", "config_file_path",
		"protected_packages", "sslcacert", "sslclientcert", "sslclientkey", "gpgkey", "gpgkey_dns_verification":
		return true
	}
	return false
}

// WithSetopt passes --setopt=key=value to every dnf command (a repository
// priority, installonlypkgs, proxy...). Keys that weaken verification or
// that the executor sets itself (gpgcheck, repo_gpgcheck,
// localpkg_gpgcheck, sslverify, skip_if_unavailable, exit_on_lock,
// reposdir, tsflags, and the like, also as REPO.key) are refused.
func WithSetopt(key, value string) Option {
	return func(o *options) error {
		bad := key == "" || strings.IndexFunc(key, func(r rune) bool {
			return !(r == '.' || r == '_' || r == '-' || r == '*' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		}) >= 0
		if bad {
			return &OptionError{Option: "WithSetopt", Reason: fmt.Sprintf("invalid key %q", key)}
		}
		base := key
		if i := strings.LastIndexByte(key, '.'); i >= 0 {
			base = key[i+1:]
		}
		if reservedSetopt(base) {
			return &OptionError{Option: "WithSetopt", Reason: fmt.Sprintf("%q is set by the executor or weakens verification; it cannot be set here", key)}
		}
		if strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return &OptionError{Option: "WithSetopt", Reason: fmt.Sprintf("value of %q has a control character", key)}
		}
		o.setopts = append(o.setopts, key+"="+value)
		return nil
	}
}

// WithProgress sets a callback Apply calls as each of its runs starts:
// plan.StageDownloading before the download run, plan.StageInstalling
// before the commit (not called when the download run found nothing to
// do). Packages stays 0. During each run, when the runner streams output
// (run.Command.OnLine; run.Local does), it is called again for each
// package dnf reports, with N, Total and Package: each file fetched, then
// each package rpm installs, upgrades or erases. dnf then runs with
// PYTHONUNBUFFERED=1, so that its lines come as they happen.
func WithProgress(f func(plan.Progress)) Option {
	return func(o *options) error { o.progress = f; return nil }
}

func (o *options) report(stage string) {
	if o.progress != nil {
		o.progress(plan.Progress{Stage: stage})
	}
}

// WithLockWait sets how long a held dnf lock is waited for (default
// DefaultLockWait). dnf runs with exit_on_lock=True, so it exits 200 at
// once when another process holds its lock; the executor runs it again
// once a second until the wait is over, then returns *plan.LockedError
// naming the holder. 0 gives up at the first refusal.
func WithLockWait(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return &OptionError{Option: "WithLockWait", Reason: "negative duration"}
		}
		o.lockWait = d
		return nil
	}
}

// WithCacheOnly makes Plan work from dnf's cache (-C): no metadata is
// fetched, and metadata dnf has not fetched before is an error. Apply
// always lets dnf refresh expired metadata in its download phase.
func WithCacheOnly(on bool) Option {
	return func(o *options) error { o.cacheOnly = on; return nil }
}

// AllowUnauthenticated passes --nogpgcheck to every dnf command: packages
// whose signature does not verify, or that are not signed, are installed,
// and dnf 4 also stops checking repository metadata signatures. Never
// passed without this option.
func AllowUnauthenticated() Option {
	return func(o *options) error { o.allowUnauth = true; return nil }
}

// WithInstallOnly adds package names that are installed beside their older
// versions (kernels), for Check: several installed versions of them are not
// duplicates. Pass the names a scan found (scan/dnf's Report.InstallOnly),
// since the rpm database's provides (installonlypkg(kernel)) are not part
// of patchkit.Package.
func WithInstallOnly(names ...string) Option {
	return func(o *options) error {
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, " \t\n,") {
				return &OptionError{Option: "WithInstallOnly", Reason: fmt.Sprintf("invalid name %q", n)}
			}
		}
		o.installOnly = append(o.installOnly, names...)
		return nil
	}
}

func absClean(p string) bool {
	return strings.HasPrefix(p, "/") && path.Clean(p) == p &&
		!strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func buildOptions(opts []Option) (*options, error) {
	o := &options{program: "/usr/bin/dnf", rpm: "/usr/bin/rpm", lockWait: DefaultLockWait}
	for _, f := range opts {
		if f == nil {
			return nil, &OptionError{Option: "Option", Reason: "nil option"}
		}
		if err := f(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}
