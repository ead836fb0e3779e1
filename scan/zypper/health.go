package zypper

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
)

// NativeHealth is the repository health that a native scan (NativeUpdates)
// reports, taken from what zypper itself reads: the root's enabled
// repositories (etc/zypp/repos.d, zypp.conf) and each one's raw metadata
// cache, checked as Updates checks it: repomd.xml signed by a key of the
// rpm database (or WithKeyring) where the repository checks signatures,
// dated, not in the future and not older than WithMaxAge or
// WithRepoMaxAge at WithNow's instant; and its primary and updateinfo
// files there, of the size repomd.xml gives. It reads no package list: the
// files are not hashed or parsed (zypper reads them, or its solv cache of
// them), so Status.Packages is 0, and a data file damaged at its right
// size is found by Updates and not here. It returns one repo.Status per
// enabled repository, in zypper's order, and ps, the versions
// NativeUpdates returned, less those whose Repository (an alias) is a
// repository that is not OK: Updates offers nothing of such a repository,
// and neither does a native scan. A version from a repository the root
// does not enable is left out too, and that repository gets a status of
// its own, HealthUnreadable: its health is unknown.
//
// NativeHealth judges after zypper was asked: zypper's own choice among
// the versions left is not made again, a version zypper shows from a
// repository that is not OK is left out even when an OK repository has it
// too (zypper names one repository per version), and the patches of such a
// repository, which may classify the versions of other repositories, were
// read. A native scan judges first instead (NativeRepoHealth), asks zypper
// with those repositories left out (NativeDisableRepos), then keeps
// (RepoHealth.Keep): NativeHealth is NativeRepoHealth followed by Keep.
//
// The options are Updates' (WithArch and WithNow are required; those
// about packages have no effect). A configuration or rpm database that
// cannot be read is an error, as it is for Updates.
func NativeHealth(ctx context.Context, fsys fs.FS, ps []patchkit.Patch, opts ...Option) ([]patchkit.Patch, []repo.Status, error) {
	h, err := NativeRepoHealth(ctx, fsys, opts...)
	if err != nil {
		return nil, nil, err
	}
	kept, statuses := h.Keep(ps)
	return kept, statuses, nil
}

// RepoHealth is the health of the repositories a native scan reads, judged
// from the root's files before zypper is asked (NativeRepoHealth): repo's
// HealthReport, whose NotOK gives the aliases to pass to NativeDisableRepos and
// whose Keep leaves out whatever zypper still attributes to another repository.
type RepoHealth = repo.HealthReport

// NativeRepoHealth judges the repositories as NativeHealth does, before
// zypper is asked: what NativeUpdates and NativePatches then find comes
// from the repositories that are OK once RepoHealth.NotOK is passed to
// NativeDisableRepos, and RepoHealth.Keep leaves out whatever zypper still
// attributes to another repository. The options are NativeHealth's.
func NativeRepoHealth(ctx context.Context, fsys fs.FS, opts ...Option) (*RepoHealth, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	conf, err := readZyppConf(fsys)
	if err != nil {
		return nil, err
	}
	cfgs, err := loadRepos(ctx, fsys, conf, &o)
	if err != nil {
		return nil, err
	}
	trust := o.keyring
	if !o.keyringSet && slices.ContainsFunc(cfgs, func(c repoConfig) bool { return c.repoGPGCheck }) {
		info, err := readRPMDB(ctx, fsys, true, nil)
		if err != nil {
			return nil, err
		}
		for _, p := range info.problems {
			o.logger.Warn("a key of the rpm database is not trusted: it could not be read", "err", p)
		}
		trust = info.keyring
	}
	statuses := make([]repo.Status, 0, len(cfgs))
	for _, cfg := range cfgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir := trimSlash(conf.metadataDir + "/" + cfg.alias)
		rc, st, err := openRawCache(fsys, dir, cfg, trust, &o)
		if err == nil {
			err = rc.checkSizes()
		}
		st.Name = cfg.alias
		if err != nil {
			st = repo.Status{Name: cfg.alias, Health: repo.HealthOf(err), Reason: err.Error(), Verified: st.Verified, Date: st.Date}
			o.logger.Warn("repository not used", "repository", cfg.alias, "health", st.Health, "err", err)
		} else {
			st.Health = repo.HealthOK
		}
		statuses = append(statuses, st)
	}
	return &RepoHealth{Repos: statuses, Logger: o.logger, Unknown: func(p patchkit.Patch) error {
		return fmt.Errorf("zypper offers %s from it, and the root enables no repository of that alias, so its metadata was not checked: %w", p.NEVRA(), repo.ErrNotFound)
	}}, nil
}

// checkSizes checks that primary (required) and updateinfo (when
// repomd.xml lists it) are in the cache, regular files of the size
// repomd.xml gives, without reading them.
func (c *rawCache) checkSizes() error {
	for _, typ := range []string{"primary", "updateinfo"} {
		d, ok := c.md.Data[typ]
		if !ok {
			if typ == "primary" {
				return &repo.SyntaxError{File: "/" + path.Join(c.dir, "repodata/repomd.xml"), Msg: "no primary data"}
			}
			continue
		}
		p := path.Join(c.dir, d.Location)
		name := "/" + p
		rp, err := rootfs.Resolve(c.fsys, p)
		if err != nil {
			return err
		}
		fi, err := fs.Stat(c.fsys, rp)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// as reading it reports it
			return &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		case err != nil:
			return err
		case !fi.Mode().IsRegular():
			return &fs.PathError{Op: "read", Path: name, Err: rootfs.ErrNotRegular}
		case d.Size > 0 && fi.Size() != d.Size:
			return &repo.SizeError{File: name, Want: d.Size, Got: fi.Size()}
		}
	}
	return nil
}
