package apt

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchkit/patchkit/install/plan"
)

// Option configures Plan, Apply, Check and Repair. Options are checked when
// they are applied: an invalid one makes the call fail with an
// *OptionError before anything runs.
type Option func(*options) error

// DefaultLockTimeout is how long Apply and Repair wait for the dpkg and apt
// locks by default.
const DefaultLockTimeout = 10 * time.Minute

// maxLockTimeout bounds LockTimeout: the wait is meant to be bounded.
const maxLockTimeout = 24 * time.Hour

type options struct {
	chroot    string // run every program as `chroot DIR PROGRAM`
	aptConfig string // APT_CONFIG for apt-get and apt-config
	lockWait  time.Duration
	admindir  string // dpkg's database inside the fs.FS Check reads

	allowDowngrades      bool
	allowUnauthenticated bool
	allowRemovals        bool

	progress func(plan.Progress)

	// programs, absolute paths inside the root
	aptGet, aptConfigProg, dpkg, chrootProg string
}

// Chroot makes every command run inside the Debian root dir through
// chroot(8): `/usr/sbin/chroot DIR /usr/bin/apt-get ...`. apt, dpkg and
// the maintainer scripts are the root's own, and they see the root as /.
// dir must be an absolute path other than "/" (leave the option out for
// the live system). The caller mounts what the root's maintainer scripts
// need (proc, at least).
func Chroot(dir string) Option {
	return func(o *options) error {
		if !filepath.IsAbs(dir) {
			return &OptionError{Option: "Chroot", Reason: fmt.Sprintf("%q is not an absolute path", dir)}
		}
		c := filepath.Clean(dir)
		if c == "/" {
			return &OptionError{Option: "Chroot", Reason: "\"/\" is the live system; leave the option out"}
		}
		if r := controlChar(c); r != "" {
			return &OptionError{Option: "Chroot", Reason: r}
		}
		o.chroot = c
		return nil
	}
}

// AptConfig runs apt with APT_CONFIG=path in its environment: the
// configuration file of a private apt root, which names the root's
// directories (Dir, Dir::State::status) and the options apt passes to dpkg
// (DPkg::Options: --root, --admindir, --force-script-chrootless), as
// scan/apt.NativeAptConfig does for a scan. Repair reads those dpkg options
// with apt-config, so that dpkg acts on the same root. path is absolute.
func AptConfig(path string) Option {
	return func(o *options) error {
		if !filepath.IsAbs(path) {
			return &OptionError{Option: "AptConfig", Reason: fmt.Sprintf("%q is not an absolute path", path)}
		}
		if r := controlChar(path); r != "" {
			return &OptionError{Option: "AptConfig", Reason: r}
		}
		o.aptConfig = path
		return nil
	}
}

// LockTimeout bounds how long Apply and Repair wait for the locks of dpkg
// and apt (default DefaultLockTimeout). apt-get waits for the dpkg locks
// itself (-o DPkg::Lock::Timeout=N, whole seconds, rounded up); a lock apt
// does not wait for (the archives directory's) and dpkg's own lock (dpkg
// never waits) are retried once a second until the bound. Zero means one
// attempt, no wait. d must not be negative or longer than a day.
func LockTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 || d > maxLockTimeout {
			return &OptionError{Option: "LockTimeout", Reason: fmt.Sprintf("%v is not between 0 and %v", d, maxLockTimeout)}
		}
		o.lockWait = d
		return nil
	}
}

// Admindir sets where Check finds dpkg's database inside the file system
// it is given (default "var/lib/dpkg"), as dpkg's --admindir does. dir is
// relative to that file system's root; "." is the file system itself.
func Admindir(dir string) Option {
	return func(o *options) error {
		d := path.Clean(strings.Trim(dir, "/"))
		if dir == "" || d == ".." || strings.HasPrefix(d, "../") || controlChar(d) != "" {
			return &OptionError{Option: "Admindir", Reason: fmt.Sprintf("%q is not a directory inside the root", dir)}
		}
		o.admindir = d
		return nil
	}
}

// WithProgress sets a callback Apply calls as each of its runs starts:
// plan.StageDownloading before the download run, plan.StageInstalling
// before the commit (Packages stays 0: apt's download run does not count
// them in a form worth parsing). During each run, when the runner streams
// output (run.Command.OnLine; run.Local does), it is called again for each
// package apt or dpkg starts on, with N, Total and Package: each archive
// apt fetches ("Get:N ..."), then each package dpkg unpacks, configures
// only, or removes, read from their standard output (see the package
// documentation, "Progress").
func WithProgress(f func(plan.Progress)) Option {
	return func(o *options) error { o.progress = f; return nil }
}

func (o *options) report(stage string) {
	if o.progress != nil {
		o.progress(plan.Progress{Stage: stage})
	}
}

// AllowDowngrades passes --allow-downgrades to apt-get: without it apt
// refuses a plan that moves a package to an older version.
func AllowDowngrades() Option {
	return func(o *options) error {
		o.allowDowngrades = true
		return nil
	}
}

// AllowUnauthenticated passes --allow-unauthenticated to apt-get: without
// it apt refuses to install a package from a repository whose signature it
// did not verify.
func AllowUnauthenticated() Option {
	return func(o *options) error {
		o.allowUnauthenticated = true
		return nil
	}
}

// AllowRemovals lets Apply remove packages when apt's plan does (to resolve
// a conflict). By default Apply passes --no-remove, so that apt stops
// rather than removes anything, whatever Plan showed.
func AllowRemovals() Option {
	return func(o *options) error {
		o.allowRemovals = true
		return nil
	}
}

func buildOptions(opts []Option) (*options, error) {
	o := &options{
		lockWait:      DefaultLockTimeout,
		admindir:      "var/lib/dpkg",
		aptGet:        "/usr/bin/apt-get",
		aptConfigProg: "/usr/bin/apt-config",
		dpkg:          "/usr/bin/dpkg",
		chrootProg:    "/usr/sbin/chroot",
	}
	for _, f := range opts {
		if f == nil {
			continue
		}
		if err := f(o); err != nil {
			return nil, err
		}
	}
	if o.chroot != "" && o.aptConfig != "" {
		return nil, &OptionError{Option: "Chroot", Reason: "Chroot and AptConfig name two different roots; give one"}
	}
	return o, nil
}

// rootName describes the root in messages.
func (o *options) rootName() string {
	switch {
	case o.chroot != "":
		return "chroot " + o.chroot
	case o.aptConfig != "":
		return "APT_CONFIG=" + o.aptConfig
	}
	return "the live system"
}

func controlChar(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return fmt.Sprintf("contains control character %#02x at byte %d", c, i)
		}
	}
	return ""
}

// lockSeconds is the whole number of seconds apt waits, rounded up.
func lockSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return fmt.Sprintf("%q", s)
}
