package dnf

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan/run"
)

// NativeOption configures NativeUpdates and NativeCommands.
type NativeOption func(*nativeOptions) error

type nativeOptions struct {
	program     string
	installRoot string
	releasever  string
	setopts     []string
	cacheOnly   bool
	product     string
	logger      *slog.Logger
	arch        string
	installed   bool     // NativeInstalledVersions
	logDir      string   // NativeLogDir, or the directory NativePrivateLogs made
	privateLogs bool     // NativePrivateLogs
	disable     []string // NativeDisableRepos
}

// NativeArch sets the node's architecture (osdetect's vocabulary). dnf's
// repoquery and check-update list upgrades in architectures the node
// cannot install (libdnf's queries do not filter by architecture; its
// solver then refuses such a package: "does not have a compatible
// architecture"); with NativeArch those versions are left out, as the
// metadata backend leaves them out.
func NativeArch(arch string) NativeOption {
	return func(o *nativeOptions) error {
		a := osdetect.NormalizeArch(arch)
		if _, ok := compatArches(a); !ok {
			return &OptionError{Option: "NativeArch", Reason: fmt.Sprintf("unknown architecture %q", arch)}
		}
		o.arch = a
		return nil
	}
}

// NativeProgram sets dnf's absolute path (default /usr/bin/dnf; yum on an
// EL8 or later system is the same program).
func NativeProgram(path string) NativeOption {
	return func(o *nativeOptions) error {
		if !strings.HasPrefix(path, "/") {
			return &OptionError{Option: "NativeProgram", Reason: fmt.Sprintf("%q is not an absolute path", path)}
		}
		o.program = path
		return nil
	}
}

// NativeInstallRoot makes dnf work on the root directory dir
// (--installroot): its configuration, cache and rpm database.
func NativeInstallRoot(dir string) NativeOption {
	return func(o *nativeOptions) error {
		if !strings.HasPrefix(dir, "/") {
			return &OptionError{Option: "NativeInstallRoot", Reason: fmt.Sprintf("%q is not an absolute path", dir)}
		}
		o.installRoot = dir
		return nil
	}
}

// NativeReleasever sets $releasever (--releasever), which dnf cannot
// detect in a root without a system-release package.
func NativeReleasever(v string) NativeOption {
	return func(o *nativeOptions) error {
		if v == "" || strings.ContainsAny(v, "/ \t$") {
			return &OptionError{Option: "NativeReleasever", Reason: fmt.Sprintf("invalid value %q", v)}
		}
		o.releasever = v
		return nil
	}
}

// NativeSetopt passes --setopt=key=value (for example reposdir inside an
// install root, or repo.priority).
func NativeSetopt(key, value string) NativeOption {
	return func(o *nativeOptions) error {
		if key == "" || strings.IndexFunc(key, func(r rune) bool {
			return !(r == '.' || r == '_' || r == '-' || r == '*' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		}) >= 0 {
			return &OptionError{Option: "NativeSetopt", Reason: fmt.Sprintf("invalid key %q", key)}
		}
		o.setopts = append(o.setopts, key+"="+value)
		return nil
	}
}

// NativeCacheOnly runs dnf from its cache alone (-C): no metadata is
// fetched, as the metadata backend reads the same cache.
func NativeCacheOnly(on bool) NativeOption {
	return func(o *nativeOptions) error { o.cacheOnly = on; return nil }
}

// NativeDisableRepos makes dnf leave out the repositories of the given
// IDs (--disablerepo=ID each), as if the root did not enable them: dnf's
// choice per package (check-update), its lists and its update notices
// then come from the other repositories alone. A native scan passes the
// repositories NativeRepoHealth finds not OK (RepoHealth.NotOK), so that
// dnf chooses among the healthy ones as the metadata backend does, and a
// version that a healthy repository offers too is attributed to it
// rather than to the one that is not OK. An ID is taken as it is, not as
// a pattern: one with a character dnf does not take in a repository ID
// (anything but letters, digits and "-_.:") names no repository dnf
// loads (it reports "Bad id for repo" and skips the section), so it is
// not passed, and NativeUpdates logs it; an empty ID is an error. Each
// call adds to the list. Disabling every repository dnf enables makes
// check-update fail ("There are no enabled repositories"): with none
// left there is nothing to ask dnf.
func NativeDisableRepos(ids ...string) NativeOption {
	return func(o *nativeOptions) error {
		for _, id := range ids {
			if id == "" {
				return &OptionError{Option: "NativeDisableRepos", Reason: "empty repository ID"}
			}
			if !slices.Contains(o.disable, id) {
				o.disable = append(o.disable, id)
			}
		}
		return nil
	}
}

// repoIDOK reports whether dnf accepts id as a repository ID: letters,
// digits and "-_.:" (no glob character, no comma).
func repoIDOK(id string) bool {
	return id != "" && strings.IndexFunc(id, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == ':' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) < 0
}

// NativeProduct sets Patch.Product.
func NativeProduct(p string) NativeOption {
	return func(o *nativeOptions) error { o.product = p; return nil }
}

// NativeInstalledVersions, when true, makes NativeUpdates also return the
// installed version of every installed package that an enabled repository
// offers exactly (name, epoch, version, release, architecture), as a Patch
// with Candidate false, classified from dnf's update notices as a newer
// version is: the counterpart of the metadata backend's
// WithInstalledVersions, so that a baseline can tell Patch Manager's
// INSTALLED from INSTALLED_OTHER through dnf too.
//
// It changes two of the commands and adds one (Commands.Available): dnf
// repoquery --available with the installed NEVRAs as operands after "--"
// (excludepkgs and includepkgs hide versions from it, as they hide them
// from the metadata backend), and updateinfo list and info with --all, so
// that the notices of installed versions are listed beside those of newer
// ones (--all also lists the notices of older versions, which are read and
// not used, so the output is larger). What dnf cannot tell: dnf prints one date per notice (the later of
// issued and updated), and no build time to the second, so ReleaseDate is
// that date, zero for a version no notice ships (the metadata backend
// takes the build time then); RebootSuggested stays false; and when
// several enabled repositories offer the installed version, Repository is
// the first of them in repoquery's output (sorted by repository ID),
// where the metadata backend takes the one of best priority, then lowest
// cost. Installed packages without an architecture (gpg-pubkey) are not
// asked about: no repository ships them. Off by default: nothing more
// runs.
func NativeInstalledVersions(on bool) NativeOption {
	return func(o *nativeOptions) error { o.installed = on; return nil }
}

// NativeLogDir makes dnf write its logs (dnf.log, dnf.librepo.log,
// dnf.rpm.log, hawkey.log, which every dnf command appends to, a query
// too) into the directory dir of the host that runs it (--setopt=logdir)
// instead of the node's /var/log. dnf puts an --installroot in front of
// logdir; with NativeInstallRoot the value climbs out of the root first
// ("../" once per element of the root's path), so that dir is the host's
// path and nothing is written inside the root. dir is absolute and must
// exist; the caller removes it. An install root whose path holds a
// symbolic link to a deeper directory makes dnf look for dir under
// another directory of the host, and fail when it is not there: never
// inside the root.
func NativeLogDir(dir string) NativeOption {
	return func(o *nativeOptions) error {
		if err := checkLogDir(dir); err != nil {
			return &OptionError{Option: "NativeLogDir", Reason: err.Error()}
		}
		o.logDir = dir
		return nil
	}
}

// NativePrivateLogs, when true, makes NativeUpdates write dnf's logs into a
// directory of their own, made for the call through the runner
// (/usr/bin/mktemp -d -t patchkit-dnf-logs.XXXXXXXXXX) and removed with
// what dnf wrote in it when the commands are done (/usr/bin/rm -r -f), as
// NativeLogDir does with a directory of the caller's: a scan then leaves
// no trace in the node's logs. It costs the two commands.
func NativePrivateLogs(on bool) NativeOption {
	return func(o *nativeOptions) error { o.privateLogs = on; return nil }
}

// checkLogDir accepts an absolute, clean path that dnf's --setopt reads
// as it is.
func checkLogDir(dir string) error {
	switch {
	case !strings.HasPrefix(dir, "/") || path.Clean(dir) != dir || dir == "/":
		return fmt.Errorf("%q is not an absolute, clean path of a directory", dir)
	case strings.ContainsFunc(dir, func(r rune) bool { return r <= ' ' || r == 0x7f || r == ',' || r == '$' }):
		return fmt.Errorf("%q has a space, control character, ',' or '$'", dir)
	}
	return nil
}

// logDirValue is the value of dnf's logdir that names dir on the host:
// dnf joins it to the install root.
func (o nativeOptions) logDirValue() string {
	root := strings.Trim(path.Clean(o.installRoot), "/")
	if root == "" || root == "." {
		return o.logDir
	}
	return strings.Repeat("../", strings.Count(root, "/")+1) + o.logDir[1:]
}

// NativeLogger sets the logger (silent by default).
func NativeLogger(l *slog.Logger) NativeOption {
	return func(o *nativeOptions) error {
		if l == nil {
			return &OptionError{Option: "NativeLogger", Reason: "nil logger"}
		}
		o.logger = l
		return nil
	}
}

func buildNative(opts []NativeOption) (nativeOptions, error) {
	o := nativeOptions{program: "/usr/bin/dnf", logger: slog.New(slog.DiscardHandler)}
	for _, f := range opts {
		if f == nil {
			return o, &OptionError{Option: "NativeOption", Reason: "nil option"}
		}
		if err := f(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// Commands are the dnf commands NativeUpdates runs.
type Commands struct {
	// Repoquery lists every upgrade of an installed package, all versions,
	// with QueryFormat (repoquery ignores repository priorities).
	Repoquery run.Command
	// CheckUpdate lists dnf's own upgrade choice per package (priorities
	// and excludes applied); exit code 100 means there are upgrades.
	CheckUpdate run.Command
	// UpdateinfoList maps advisories to the package versions they ship;
	// UpdateinfoInfo gives each advisory's type, severity, date, CVEs and
	// bugs. Both cover the versions newer than the installed ones, with
	// excludes disabled: includepkgs in [main] hides installed packages
	// from updateinfo (not from check-update), and the notices are only
	// looked up for the versions the other two commands list.
	//
	// With NativeInstalledVersions both run with --all: the notices of
	// the installed versions too (dnf marks them "i" and "Installed:
	// true").
	UpdateinfoList run.Command
	UpdateinfoInfo run.Command
	// Available, with NativeInstalledVersions only (else its Path is
	// empty), lists the available copies of the installed versions with
	// QueryFormat: repoquery --available, excludes applied. NativeUpdates
	// gives it the installed NEVRAs as Operands, one invocation for all.
	Available run.Command
}

// NativeCommands returns the commands NativeUpdates runs: dnf with -q, the
// root, release, setopt and log directory options (not the directory
// NativePrivateLogs makes, which only NativeUpdates knows), the
// repositories NativeDisableRepos disables, and -C when cache-only; TZ=UTC
// in the environment, because dnf prints advisory dates in local time, and
// the C locale (run.CLocale).
func NativeCommands(opts ...NativeOption) (Commands, error) {
	o, err := buildNative(opts)
	if err != nil {
		return Commands{}, err
	}
	return o.commands()
}

func (o nativeOptions) commands() (Commands, error) {
	base := []string{"-q"}
	if o.installRoot != "" {
		base = append(base, "--installroot="+o.installRoot)
	}
	if o.releasever != "" {
		base = append(base, "--releasever="+o.releasever)
	}
	for _, s := range o.setopts {
		base = append(base, "--setopt="+s)
	}
	if o.logDir != "" {
		base = append(base, "--setopt=logdir="+o.logDirValue())
	}
	for _, id := range o.disable {
		if repoIDOK(id) {
			base = append(base, "--disablerepo="+id)
		}
	}
	if o.cacheOnly {
		base = append(base, "-C")
	}
	mk := func(ok []int, args ...string) run.Command {
		return run.Command{Path: o.program, Args: append(slices.Clone(base), args...), Env: run.CLocale("TZ=UTC"), OKCodes: ok}
	}
	c := Commands{
		Repoquery:      mk(nil, "repoquery", "--upgrades", "--queryformat", QueryFormat),
		CheckUpdate:    mk([]int{100}, "check-update"),
		UpdateinfoList: mk(nil, "updateinfo", "list", "--disableexcludes=all"),
		UpdateinfoInfo: mk(nil, "updateinfo", "info", "--disableexcludes=all"),
	}
	check := []run.Command{c.Repoquery, c.CheckUpdate, c.UpdateinfoList, c.UpdateinfoInfo}
	if o.installed {
		c.UpdateinfoList.Args = append(c.UpdateinfoList.Args, "--all")
		c.UpdateinfoInfo.Args = append(c.UpdateinfoInfo.Args, "--all")
		c.Available = mk(nil, "repoquery", "--available", "--queryformat", QueryFormat)
		check = []run.Command{c.Repoquery, c.CheckUpdate, c.UpdateinfoList, c.UpdateinfoInfo, c.Available}
	}
	for _, cmd := range check {
		if err := cmd.Check(); err != nil {
			return Commands{}, err
		}
	}
	return c, nil
}

// InconsistentError reports outputs of dnf's commands that contradict each
// other: a choice of check-update that repoquery does not list, or an
// exit code that does not fit the list.
type InconsistentError struct {
	Reason string
}

func (e *InconsistentError) Error() string { return "dnf: inconsistent output: " + e.Reason }

// NativeUpdates asks dnf through the runner r (the live host, or a root
// with NativeInstallRoot): every upgrade version of the installed packages
// (repoquery --upgrades), dnf's own choice per package (check-update,
// which applies repository priorities, so Candidate is true on it), and
// their classification from updateinfo list and info (the same rules as
// the metadata backend: Security when any notice ships the version). dnf
// 4 prints neither a notice's issued date apart from its updated date nor
// reboot_suggested: ReleaseDate is the date dnf prints (the later of the
// two), and RebootSuggested stays false. installed is checked to be rpm
// packages; versions of names not in it are reported in the log. With
// NativeInstalledVersions the installed versions an enabled repository
// offers are returned too, with Candidate false (see the option).
func NativeUpdates(ctx context.Context, r run.Runner, installed []patchkit.Package, opts ...NativeOption) ([]patchkit.Patch, error) {
	o, err := buildNative(opts)
	if err != nil {
		return nil, err
	}
	if o.privateLogs && o.logDir == "" {
		dir, err := makeLogDir(ctx, r)
		if err != nil {
			return nil, err
		}
		o.logDir = dir
		ps, err := nativeUpdates(ctx, r, installed, &o)
		if rerr := removeLogDir(ctx, r, dir); rerr != nil && err == nil {
			return nil, rerr
		}
		return ps, err
	}
	return nativeUpdates(ctx, r, installed, &o)
}

// logDirPrefix begins the name of the directory NativePrivateLogs makes.
const logDirPrefix = "patchkit-dnf-logs."

// makeLogDir makes a private directory through r and returns its path,
// checked to be the fresh directory mktemp names.
func makeLogDir(ctx context.Context, r run.Runner) (string, error) {
	c := run.Command{Path: "/usr/bin/mktemp", Args: []string{"-d", "-t", logDirPrefix + "XXXXXXXXXX"}}
	res, err := r.Run(ctx, c)
	if err != nil {
		return "", fmt.Errorf("dnf: making a private log directory: %w", err)
	}
	dir := strings.TrimSuffix(string(res.Stdout), "\n")
	if err := checkLogDir(dir); err != nil || !strings.HasPrefix(path.Base(dir), logDirPrefix) {
		return "", &OutputError{Command: "mktemp -d", Line: 1, Text: dir, Reason: "not the path of a private directory"}
	}
	return dir, nil
}

// removeLogDir removes the directory makeLogDir made, even when ctx is
// cancelled (for at most a minute).
func removeLogDir(ctx context.Context, r run.Runner, dir string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	c := run.Command{Path: "/usr/bin/rm", Args: []string{"-r", "-f"}, Operands: []string{dir}}
	if _, err := r.Run(ctx, c); err != nil {
		return fmt.Errorf("dnf: removing the private log directory %s: %w", dir, err)
	}
	return nil
}

func nativeUpdates(ctx context.Context, r run.Runner, installed []patchkit.Package, o *nativeOptions) ([]patchkit.Patch, error) {
	cmds, err := o.commands()
	if err != nil {
		return nil, err
	}
	for _, id := range o.disable {
		if !repoIDOK(id) {
			o.logger.Info("repository ID dnf does not accept, so no repository of dnf's: not disabled", "repository", id)
		}
	}
	names := map[string]bool{}
	inst := map[string]bool{} // installed NEVRAs, epoch 0 when rpm has none
	var operands []string
	for i, p := range installed {
		if p.Scheme != patchkit.RPM {
			return nil, &InstalledError{Index: i, Package: p.NEVRA(), Reason: "version scheme is " + p.Scheme.String() + ", not rpm"}
		}
		names[p.Name] = true
		if !o.installed {
			continue
		}
		if p.Arch == "" {
			o.logger.Debug("installed package without an architecture; no repository ships it, not asked about", "package", p.NEVRA())
			continue
		}
		e := "0"
		if v, ok := p.Epoch.Value(); ok {
			e = strconv.FormatUint(uint64(v), 10)
		}
		q, err := rpmFields(p.Name, e, p.Version, p.Release, p.Arch)
		if err != nil {
			return nil, &InstalledError{Index: i, Package: p.NEVRA(), Reason: err.Error()}
		}
		if k := q.NEVRA(); !inst[k] {
			inst[k] = true
			operands = append(operands, k)
		}
	}
	res, err := r.Run(ctx, cmds.Repoquery)
	if err != nil {
		return nil, err
	}
	rows, err := ParseRepoquery(res.Stdout)
	if err != nil {
		return nil, err
	}
	res, err = r.Run(ctx, cmds.CheckUpdate)
	if err != nil {
		return nil, err
	}
	cu, err := ParseCheckUpdate(res.Stdout)
	if err != nil {
		return nil, err
	}
	if (res.ExitCode == 100) != (len(cu.Updates) > 0 || len(cu.Obsoleting) > 0) {
		return nil, &InconsistentError{Reason: fmt.Sprintf("check-update exited %d and listed %d upgrades", res.ExitCode, len(cu.Updates))}
	}
	res, err = r.Run(ctx, cmds.UpdateinfoList)
	if err != nil {
		return nil, err
	}
	list, err := ParseUpdateinfoList(res.Stdout)
	if err != nil {
		return nil, err
	}
	res, err = r.Run(ctx, cmds.UpdateinfoInfo)
	if err != nil {
		return nil, err
	}
	infos, err := ParseUpdateinfoInfo(res.Stdout)
	if err != nil {
		return nil, err
	}
	var avail []patchkit.Package
	if o.installed && len(operands) > 0 {
		// One run for every installed version; without operands
		// repoquery --available would list everything.
		cmd := cmds.Available
		cmd.Operands = operands
		if err := cmd.Check(); err != nil {
			return nil, err
		}
		res, err = r.Run(ctx, cmd)
		if err != nil {
			return nil, err
		}
		if avail, err = ParseRepoquery(res.Stdout); err != nil {
			var oe *OutputError
			if errors.As(err, &oe) {
				oe.Command = "repoquery --available"
			}
			return nil, err
		}
	}
	return nativePatches(o, names, rows, cu, list, infos, avail, inst)
}

// nativePatches joins the outputs: avail are repoquery --available's rows for the installed NEVRAs inst
// (NativeInstalledVersions).
func nativePatches(o *nativeOptions, names map[string]bool, rows []patchkit.Package, cu *CheckUpdate, list []UpdateinfoEntry, infos []UpdateinfoInfo, avail []patchkit.Package, inst map[string]bool) ([]patchkit.Patch, error) {
	byID := map[string]*patchkit.Advisory{}
	for _, in := range infos {
		a := &patchkit.Advisory{ID: in.ID, Severity: in.Severity, Updated: in.Updated, CVEIDs: in.CVEs, BugzillaIDs: in.Bugs}
		if t, err := patchkit.ParseAdvisoryType(in.Type); err == nil {
			a.Type = t
		}
		if prev, dup := byID[in.ID]; dup && (prev.Type != a.Type || prev.Severity != a.Severity) {
			return nil, &InconsistentError{Reason: "updateinfo info shows advisory " + in.ID + " twice, differently"}
		}
		byID[in.ID] = a
	}
	notices := map[pkgKey][]*patchkit.Advisory{}
	for _, e := range list {
		a, ok := byID[e.ID]
		if !ok {
			return nil, &InconsistentError{Reason: "updateinfo list names advisory " + e.ID + ", which updateinfo info does not show"}
		}
		k := noticeKey(e.Package)
		if !slices.Contains(notices[k], a) {
			notices[k] = append(notices[k], a)
		}
	}
	archOK := func(string) bool { return true }
	if o.arch != "" {
		compat, _ := compatArches(o.arch)
		archOK = func(a string) bool { return slices.Contains(compat, a) }
	}
	seen := map[string]int{}
	var out []patchkit.Patch
	for _, p := range rows {
		if !archOK(p.Arch) {
			o.logger.Info("dnf lists an upgrade the node's architecture cannot install; left out", "package", p.NEVRA(), "arch", o.arch)
			continue
		}
		if len(names) > 0 && !names[p.Name] {
			o.logger.Warn("dnf offers an upgrade of a package the inventory does not list", "package", p.NEVRA())
		}
		k := p.NEVRA()
		if i, dup := seen[k]; dup {
			// The same version in several repositories: one patch, from
			// the repository check-update names, else the first.
			if slices.ContainsFunc(cu.Updates, func(u patchkit.Package) bool { return u.NEVRA() == k && u.Repository == p.Repository }) {
				out[i].Repository = p.Repository
			}
			continue
		}
		seen[k] = len(out)
		pt := patchkit.Patch{Package: p, Product: o.product}
		classify(&pt, notices[noticeKey(p)], IssuedFirst) // dnf prints one date per notice
		out = append(out, pt)
	}
	for _, u := range cu.Updates {
		if !archOK(u.Arch) {
			continue
		}
		i, ok := seen[u.NEVRA()]
		if !ok {
			return nil, &InconsistentError{Reason: "check-update chooses " + u.NEVRA() + ", which repoquery --upgrades does not list"}
		}
		out[i].Candidate = true
	}
	for _, p := range avail {
		k := p.NEVRA()
		switch {
		case !inst[k]:
			// A pattern dnf read another way (name-version as a name).
			o.logger.Info("dnf repoquery --available matched a version that is not installed; not an installed version", "package", k)
			continue
		case !archOK(p.Arch):
			o.logger.Info("installed version in an architecture the node cannot install; left out", "package", k, "arch", o.arch)
			continue
		}
		if _, dup := seen[k]; dup {
			// Several repositories offer it (the first one is kept, as
			// for upgrades), or repoquery --upgrades lists it too.
			continue
		}
		seen[k] = len(out)
		pt := patchkit.Patch{Package: p, Product: o.product}
		classify(&pt, notices[noticeKey(p)], IssuedFirst)
		out = append(out, pt)
	}
	for _, ob := range cu.Obsoleting {
		o.logger.Info("available package obsoletes an installed one; not offered", "by", ob.By.NEVRA(), "installed", ob.Obsoletes.NEVRA())
	}
	slices.SortFunc(out, func(a, b patchkit.Patch) int {
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Arch, b.Arch); c != 0 {
			return c
		}
		return cmpEVR(a.Package, b.Package)
	})
	if out == nil {
		out = []patchkit.Patch{}
	}
	return out, nil
}
