package scan

import (
	"context"
	"io/fs"
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
// or its native backend through the runner (WithRunner). The native
// backends report no repository health of their own: the package manager
// refuses what it cannot verify.
func findUpdates(ctx context.Context, fsys fs.FS, os osdetect.OS, inv Inventory, arch, product string, o scanOptions) ([]patchkit.Patch, []repo.Status, error) {
	installed := inv.Packages
	root := strings.TrimRight(o.rootDir, "/")
	refresh := o.client != nil
	switch os.PackageManager {
	case osdetect.APT:
		if o.runner != nil {
			opts := []apt.NativeOption{apt.NativeProduct(product), apt.NativeLogger(o.logger)}
			if root != "" {
				opts = append(opts, apt.NativeAptOption("Dir", root+"/"),
					apt.NativeAptOption("Dir::State::status", root+"/var/lib/dpkg/status"))
			}
			ps, err := apt.NativeUpdates(ctx, o.runner, installed, opts...)
			return ps, nil, err
		}
		opts := []apt.Option{apt.WithArch(arch), apt.WithNow(o.at), apt.WithProduct(product), apt.WithLogger(o.logger),
			apt.WithProgress(func(p apt.Progress) {
				o.progress(ProgressEvent{Step: "updates", Detail: p.Repository})
			})}
		if refresh {
			opts = append(opts, apt.WithClient(o.client), apt.WithRefresh(true))
		}
		return apt.Updates(ctx, fsys, installed, opts...)
	case osdetect.DNF, osdetect.YUM:
		if o.runner != nil {
			opts := []dnf.NativeOption{dnf.NativeProduct(product), dnf.NativeLogger(o.logger), dnf.NativeCacheOnly(!refresh), dnf.NativeArch(arch)}
			if root != "" {
				opts = append(opts, dnf.NativeInstallRoot(root), dnf.NativeSetopt("reposdir", root+"/etc/yum.repos.d"))
				if os.VersionID != "" {
					opts = append(opts, dnf.NativeReleasever(os.VersionID))
				}
			}
			ps, err := dnf.NativeUpdates(ctx, o.runner, installed, opts...)
			return ps, nil, err
		}
		opts := []dnf.Option{dnf.WithArch(arch), dnf.WithNow(o.at), dnf.WithProduct(product), dnf.WithOS(os), dnf.WithLogger(o.logger),
			dnf.WithProgress(func(p dnf.Progress) {
				o.progress(ProgressEvent{Step: "updates", Detail: p.Repo})
			})}
		if refresh {
			opts = append(opts, dnf.WithClient(o.client), dnf.WithRefresh(true))
		}
		return dnf.Updates(ctx, fsys, installed, opts...)
	case osdetect.Zypper:
		if o.runner != nil {
			opts := []zypper.NativeOption{zypper.NativeProduct(product), zypper.NativeLogger(o.logger), zypper.NativeRefresh(refresh)}
			if root != "" {
				opts = append(opts, zypper.NativeRoot(root))
			}
			ps, err := zypper.NativeUpdates(ctx, o.runner, installed, opts...)
			return ps, nil, err
		}
		opts := []zypper.Option{zypper.WithArch(arch), zypper.WithNow(o.at), zypper.WithProduct(product), zypper.WithLogger(o.logger),
			zypper.WithProgress(func(p zypper.Progress) {
				o.progress(ProgressEvent{Step: "updates", Detail: p.Repository})
			})}
		if refresh {
			opts = append(opts, zypper.WithClient(o.client), zypper.WithRefresh(true))
		}
		return zypper.Updates(ctx, fsys, installed, opts...)
	}
	return nil, nil, &UnsupportedError{OS: os.ID, PackageManager: os.PackageManager}
}
