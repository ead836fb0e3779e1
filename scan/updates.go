package scan

import (
	"context"
	"io/fs"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/apt"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/zypper"
)

// findUpdates asks the family backend the operating system calls for: its
// metadata backend (the root's files, or fresh metadata with WithRefresh),
// or its native backend through the runner (WithRunner). A native scan
// reports the health of the repositories the package manager reads, from
// the root's files as the metadata backend judges them (each family's
// NativeHealth: the configuration and each repository's signed index,
// its signature and its date, no package list), and keeps only the
// versions some OK repository offers, as the metadata backend does (dnf
// and zypper are asked with the repositories that are not OK left out:
// askHealthy); it
// runs the package manager so that it writes nothing to the node (apt's
// caches and planner log, dnf's logs in a private directory, zypper's log
// and lock). Both also return the installed versions
// that a repository offers (Candidate false, classified as a newer version
// would be), so that the baseline decides them and an approved installed
// version is INSTALLED rather than INSTALLED_OTHER. The
// metadata backends pass every version of a package that is not installed
// to na (for NotApplicable), only the security ones on apt when the
// baseline approves nothing else; the native ones know none.
func findUpdates(ctx context.Context, fsys fs.FS, os osdetect.OS, inv Inventory, arch, product string,
	na *notInstalledFilter, o scanOptions) ([]patchkit.Patch, []repo.Status, error) {
	installed := inv.Packages
	root := strings.TrimRight(o.rootDir, "/")
	refresh := o.client != nil
	switch os.PackageManager {
	case osdetect.APT:
		if o.runner != nil {
			opts := []apt.NativeOption{apt.NativeProduct(product), apt.NativeLogger(o.logger), apt.NativeInstalledVersions(true),
				apt.NativeAllVersions(true), apt.NativeDescribe(true), apt.NativeReadOnly(true)}
			if root != "" {
				opts = append(opts, apt.NativeAptOption("Dir", root+"/"),
					apt.NativeAptOption("Dir::State::status", root+"/var/lib/dpkg/status"))
			}
			ps, err := apt.NativeUpdates(ctx, o.runner, installed, opts...)
			if err != nil {
				return nil, nil, err
			}
			return apt.NativeHealth(ctx, fsys, ps, apt.WithArch(arch), apt.WithNow(o.at), apt.WithLogger(o.logger))
		}
		opts := []apt.Option{apt.WithArch(arch), apt.WithNow(o.at), apt.WithProduct(product), apt.WithLogger(o.logger),
			apt.WithInstalledVersions(true), apt.WithNotInstalled(na.add),
			apt.WithNotInstalledSecurityOnly(na.securityOnly),
			apt.WithProgress(func(p apt.Progress) {
				o.repoProgress(p.Repository, p.Done, p.Total)
			})}
		if refresh {
			opts = append(opts, apt.WithClient(o.client), apt.WithRefresh(true))
		}
		return apt.Updates(ctx, fsys, installed, opts...)
	case osdetect.DNF, osdetect.YUM:
		if o.runner != nil {
			opts := []dnf.NativeOption{dnf.NativeProduct(product), dnf.NativeLogger(o.logger), dnf.NativeArch(arch),
				dnf.NativeInstalledVersions(true), dnf.NativePrivateLogs(true)}
			if root != "" {
				opts = append(opts, dnf.NativeInstallRoot(root), dnf.NativeSetopt("reposdir", root+"/etc/yum.repos.d"))
				if os.VersionID != "" {
					opts = append(opts, dnf.NativeReleasever(os.VersionID))
				}
			}
			judge := func() (*repo.HealthReport, error) {
				return dnf.NativeRepoHealth(ctx, fsys, dnf.WithArch(arch), dnf.WithNow(o.at), dnf.WithOS(os), dnf.WithLogger(o.logger))
			}
			return askHealthy(refresh, judge, func(disable []string, refresh bool) ([]patchkit.Patch, error) {
				return dnf.NativeUpdates(ctx, o.runner, installed, append(slices.Clip(opts), dnf.NativeCacheOnly(!refresh), dnf.NativeDisableRepos(disable...))...)
			})
		}
		opts := []dnf.Option{dnf.WithArch(arch), dnf.WithNow(o.at), dnf.WithProduct(product), dnf.WithOS(os), dnf.WithLogger(o.logger),
			dnf.WithInstalledVersions(true), dnf.WithNotInstalled(na.add), dnf.WithObsoletes(o.obsoletes),
			dnf.WithProgress(func(p dnf.Progress) {
				o.repoProgress(p.Repo, p.Done, p.Total)
			})}
		if refresh {
			opts = append(opts, dnf.WithClient(o.client), dnf.WithRefresh(true))
		}
		return dnf.Updates(ctx, fsys, installed, opts...)
	case osdetect.Zypper:
		if o.runner != nil {
			opts := []zypper.NativeOption{zypper.NativeProduct(product), zypper.NativeLogger(o.logger),
				zypper.NativeInstalledVersions(true), zypper.NativeAllVersions(true)}
			if root != "" {
				opts = append(opts, zypper.NativeRoot(root))
			}
			judge := func() (*repo.HealthReport, error) {
				return zypper.NativeRepoHealth(ctx, fsys, zypper.WithArch(arch), zypper.WithNow(o.at), zypper.WithLogger(o.logger))
			}
			return askHealthy(refresh, judge, func(disable []string, refresh bool) ([]patchkit.Patch, error) {
				return zypper.NativeUpdates(ctx, o.runner, installed, append(slices.Clip(opts), zypper.NativeRefresh(refresh), zypper.NativeDisableRepos(disable...))...)
			})
		}
		opts := []zypper.Option{zypper.WithArch(arch), zypper.WithNow(o.at), zypper.WithProduct(product), zypper.WithLogger(o.logger),
			zypper.WithInstalledVersions(true), zypper.WithNotInstalled(na.add),
			zypper.WithProgress(func(p zypper.Progress) {
				o.repoProgress(p.Repository, p.Done, p.Total)
			})}
		if refresh {
			opts = append(opts, zypper.WithClient(o.client), zypper.WithRefresh(true))
		}
		return zypper.Updates(ctx, fsys, installed, opts...)
	}
	return nil, nil, &UnsupportedError{OS: os.ID, PackageManager: os.PackageManager}
}

// sortInstalled goes through what a family backend returned against the
// installed packages: a version older than the current installed version
// of its package (what a metadata backend returns for an older installed
// kernel) is dropped, as only the current version counts; and installed[i]
// reports that kept[i] is the current installed version itself rather than
// a newer one. A version of no installed package, or one that cannot be
// ordered against it, is kept as newer.
func sortInstalled(packages []patchkit.Package, updates []patchkit.Patch) (kept []patchkit.Patch, installed []bool) {
	current := currentVersions(packages)
	index := make(map[pkgKey]int, len(current))
	for i, p := range current {
		index[pkgKey{p.Name, p.Arch}] = i
	}
	kept = make([]patchkit.Patch, 0, len(updates))
	installed = make([]bool, 0, len(updates))
	for _, u := range updates {
		j, ok := index[pkgKey{u.Name, u.Arch}]
		if !ok {
			j, ok = matchArchChange(index, current, u.Package)
		}
		c := 1
		if ok {
			if d, err := u.Package.CompareVersion(current[j]); err == nil {
				c = d
			}
		}
		if c < 0 {
			continue
		}
		kept = append(kept, u)
		installed = append(installed, c == 0)
	}
	return kept, installed
}

// askHealthy asks the package manager (ask) with the repositories judge
// finds not OK left out, so that it chooses among the OK ones, attributes
// a version to one of them when several offer it, and classifies from
// their notices alone, as the metadata backend does; then keeps what the
// OK repositories offer (RepoHealth.Keep, which leaves out a version still
// attributed to another repository). Without refresh the root's caches are
// judged first and the package manager asked once. With refresh it
// refreshes its caches as it answers, so it is asked first, the caches
// are judged after, and when one is not OK it is asked again from its
// caches alone (refresh false) with those left out. When no repository is
// OK the package manager is not asked (again): nothing it offers could be
// kept, dnf refuses to run with every repository disabled ("There are no
// enabled repositories"), and dnf asked from a cache whose signature no
// longer verifies deletes that cache.
func askHealthy(refresh bool, judge func() (*repo.HealthReport, error), ask func(disable []string, refresh bool) ([]patchkit.Patch, error)) ([]patchkit.Patch, []repo.Status, error) {
	var ps []patchkit.Patch
	var err error
	if refresh {
		if ps, err = ask(nil, true); err != nil {
			return nil, nil, err
		}
	}
	h, err := judge()
	if err != nil {
		return nil, nil, err
	}
	disable := h.NotOK()
	if len(h.Repos) > 0 && len(disable) == len(h.Repos) {
		// None is OK: nothing the package manager says could be kept, and
		// asking dnf from a cache whose signature no longer verifies makes
		// it delete that cache. Nothing is asked.
		kept, statuses := h.Keep(ps)
		return kept, statuses, nil
	}
	if !refresh || len(disable) > 0 {
		if ps, err = ask(disable, false); err != nil {
			return nil, nil, err
		}
	}
	kept, statuses := h.Keep(ps)
	return kept, statuses, nil
}
