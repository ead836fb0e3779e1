package dnf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// cachedRepomd is a repository's repomd.xml read from the root's cache and
// checked: signed where the repository requires it, and fresh.
type cachedRepomd struct {
	md       *rpmmd.Repomd
	name     string              // "/" + the path of repomd.xml in the root
	dataPath func(string) string // a data file's path in the root, from its location href
	note     string              // what locateCache noticed, if anything
}

// openCachedRepomd finds the repository's cache directory in the root and
// reads its repomd.xml: its signature is checked when the repository sets
// repo_gpgcheck, then its date at the caller's time. It sets st.Verified
// and st.Date as it learns them. The result is nil only when the cache
// directory was not found; on any other error it holds the note.
func openCachedRepomd(ctx context.Context, fsys fs.FS, o *options, cfg *config, rc *repoConfig, st *repo.Status) (*cachedRepomd, error) {
	dir, repomdPath, dataPath, note, err := locateCache(fsys, cfg, rc)
	if err != nil {
		return nil, err
	}
	cm := &cachedRepomd{name: "/" + repomdPath, dataPath: dataPath, note: note}
	raw, err := rootfs.ReadFile(fsys, repomdPath, o.limits.repomd)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return cm, &NotCachedError{Repository: rc.ID, Path: repomdPath}
		}
		return cm, err
	}
	if rc.repoGPGCheck {
		kr, keyNotes := repoKeys(ctx, fsys, o, rc, dir)
		if kr.Len() == 0 {
			reason := "repo_gpgcheck is set and the root holds no key for the repository"
			if len(keyNotes) > 0 {
				reason += ": " + strings.Join(keyNotes, "; ")
			}
			return cm, &repo.SignatureError{File: cm.name, Reason: reason}
		}
		sig, err := rootfs.ReadFile(fsys, repomdPath+".asc", repo.MaxSignatureSize)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return cm, &repo.SignatureError{File: cm.name + ".asc", Reason: "repo_gpgcheck is set and repomd.xml.asc is missing"}
			}
			return cm, err
		}
		v, err := repo.VerifyDetached(cm.name+".asc", raw, sig, kr, repo.Policy{MaxFutureSkew: o.maxFutureSkew}.VerifyOptions(o.now))
		if err != nil {
			return cm, err
		}
		st.Verified = true
		o.logger.Debug("repomd.xml verified", "repository", rc.ID, "signers", v.Signers)
	}
	md, err := rpmmd.ParseRepomd(cm.name, bytes.NewReader(raw), rpmmd.Limits{})
	if err != nil {
		return cm, err
	}
	st.Date = md.Generated
	if err := fresh(o, cm.name, md); err != nil {
		return cm, err
	}
	cm.md = md
	return cm, nil
}

// NativeHealth is the repository health that a native scan (NativeUpdates)
// reports, taken from what dnf itself reads: the root's configuration and
// enabled repositories, and each one's cached repomd.xml, checked as
// Updates checks it (the signature where repo_gpgcheck asks for one, the
// date at WithNow's instant against WithMaxAge and WithMaxFutureSkew), and
// the presence and size that repomd.xml gives of its primary (or yum's
// primary_db) and updateinfo files. It reads no package list: the files
// are not hashed or parsed (dnf reads them, or its solv cache of them), so
// Status.Packages is 0, and a data file damaged at its right size is
// found by Updates and not here. It returns one repo.Status per enabled
// repository, in configuration order, and ps, the versions NativeUpdates
// returned, less those whose Repository is a repository that is not OK:
// Updates offers nothing of such a repository, and neither does a native
// scan. A version from a repository the root's configuration does not
// enable (dnf was given other options) is left out too, and that
// repository gets a status of its own, HealthUnreadable: its health is
// unknown.
//
// NativeHealth judges after dnf was asked: dnf's choice among the
// versions left is not made again, and a version dnf attributed to a
// repository that is not OK is left out even when an OK repository has
// it too (NativeUpdates keeps one repository per version, the one
// check-update names). A native scan judges first instead
// (NativeRepoHealth), asks dnf with those repositories disabled
// (NativeDisableRepos), then keeps (RepoHealth.Keep): NativeHealth is
// NativeRepoHealth followed by Keep.
//
// The options are Updates' (WithArch and WithNow are required; those
// about packages have no effect). A configuration that cannot be read is
// an error, as it is for Updates.
func NativeHealth(ctx context.Context, fsys fs.FS, ps []patchkit.Patch, opts ...Option) ([]patchkit.Patch, []repo.Status, error) {
	h, err := NativeRepoHealth(ctx, fsys, opts...)
	if err != nil {
		return nil, nil, err
	}
	kept, statuses := h.Keep(ps)
	return kept, statuses, nil
}

// RepoHealth is the health of the repositories a native scan reads, judged
// from the root's files before dnf is asked (NativeRepoHealth): repo's
// HealthReport, whose NotOK gives the IDs to pass to NativeDisableRepos and
// whose Keep leaves out whatever dnf still attributes to another repository.
type RepoHealth = repo.HealthReport

// NativeRepoHealth judges the repositories as NativeHealth does, before
// dnf is asked: what NativeUpdates then offers comes from the
// repositories that are OK once RepoHealth.NotOK is passed to
// NativeDisableRepos, and RepoHealth.Keep leaves out whatever dnf still
// attributes to another repository. The options are NativeHealth's.
func NativeRepoHealth(ctx context.Context, fsys fs.FS, opts ...Option) (*RepoHealth, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	cfg, err := loadConfig(ctx, fsys, &o)
	if err != nil {
		return nil, err
	}
	statuses := make([]repo.Status, 0, len(cfg.repos))
	for i := range cfg.repos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rc := &cfg.repos[i]
		st := repo.Status{Name: rc.ID}
		err := cachedHealth(ctx, fsys, &o, cfg, rc, &st)
		if err != nil {
			st = repo.StatusOf(rc.ID, err)
			o.logger.Warn("repository not usable", "repository", rc.ID, "health", st.Health, "reason", st.Reason)
		} else {
			st.Health = repo.HealthOK
		}
		statuses = append(statuses, st)
	}
	return &RepoHealth{Repos: statuses, Logger: o.logger, Unknown: func(p patchkit.Patch) error {
		return fmt.Errorf("dnf offers %s from it, and no .repo file of the root enables it, so its metadata was not checked: %w", p.NEVRA(), repo.ErrNotFound)
	}}, nil
}

// cachedHealth checks one repository's cache as NativeHealth describes.
func cachedHealth(ctx context.Context, fsys fs.FS, o *options, cfg *config, rc *repoConfig, st *repo.Status) error {
	cm, err := openCachedRepomd(ctx, fsys, o, cfg, rc, st)
	if err != nil {
		return err
	}
	types := []string{"primary", "updateinfo"}
	if _, ok := cm.md.Data["primary_db"]; ok && cfg.flavor == YUM {
		if ok, _ := rootfs.Exists(fsys, cm.dataPath(cm.md.Data["primary_db"].Location)); ok {
			types[0] = "primary_db"
		}
	}
	for _, typ := range types {
		d, ok := cm.md.Data[typ]
		if !ok {
			if typ == "updateinfo" {
				continue
			}
			return &repo.SyntaxError{File: cm.name, Msg: "no primary data"}
		}
		if err := checkSize(fsys, rc.ID, d, cm.dataPath); err != nil {
			return err
		}
	}
	return nil
}

// checkSize checks that a data file of the cache is there, a regular file
// of the size repomd.xml gives (when it gives one).
func checkSize(fsys fs.FS, id string, d rpmmd.Data, dataPath func(string) string) error {
	p := dataPath(d.Location)
	rp, err := rootfs.Resolve(fsys, p)
	if err != nil {
		return err
	}
	fi, err := fs.Stat(fsys, rp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &NotCachedError{Repository: id, Path: p, Hint: d.Type + " is not cached"}
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return &fs.PathError{Op: "read", Path: "/" + p, Err: rootfs.ErrNotRegular}
	case d.Size > 0 && fi.Size() != d.Size:
		return &repo.SizeError{File: "/" + p, Want: d.Size, Got: fi.Size()}
	}
	return nil
}
