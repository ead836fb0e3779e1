package apt

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
	aptrepo "github.com/patchkit/patchkit/repo/apt"
)

// loadSources reads the sources apt reads: Dir::Etc::sourcelist, then the
// .list and .sources files of Dir::Etc::sourceparts in name order. A
// malformed entry is an error, as apt refuses to run with one.
func loadSources(ctx context.Context, fsys fs.FS, cfg *aptConfig) ([]repo.AptSource, error) {
	var out []repo.AptSource
	read := func(name string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := rootfs.ReadFile(fsys, rel(name), maxConfigFile)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return &ConfigError{File: name, Msg: "cannot read", Err: err}
		}
		var srcs []repo.AptSource
		if strings.HasSuffix(name, ".sources") {
			srcs, err = repo.ParseDeb822Sources(name, strings.NewReader(string(data)))
		} else {
			srcs, err = repo.ParseSourcesList(name, strings.NewReader(string(data)))
		}
		if err != nil {
			return err
		}
		out = append(out, srcs...)
		return nil
	}
	if f := cfg.file("dir::etc::sourcelist"); !isNull(f) {
		if err := read(f); err != nil {
			return nil, err
		}
	}
	if dir := cfg.file("dir::etc::sourceparts"); !isNull(dir) {
		names, err := listConfigDir(fsys, dir, []string{"list", "sources"}, false)
		if err != nil {
			return nil, &ConfigError{File: dir, Msg: "cannot list", Err: err}
		}
		for _, n := range names {
			if err := read(path.Join(dir, n)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// repoSpec is one repository to read, or why it cannot be.
type repoSpec struct {
	repo aptrepo.Repo
	err  error // the keyring could not be loaded
}

// reposOf expands the enabled deb sources into repositories (one per URI
// and suite), with the keyrings their Signed-By names, or apt's trusted
// keyrings (Dir::Etc::trusted and Dir::Etc::trustedparts) without one.
// Every repository gets a keyring of its own, loaded for it: the
// repositories are verified concurrently, and OpenPGP entities record what
// they verified as they go, so two repositories must not share one.
func reposOf(ctx context.Context, fsys fs.FS, cfg *aptConfig, srcs []repo.AptSource, archs []string) []repoSpec {
	checkValid := cfg.boolean("acquire::check-valid-until", true)
	maxValid := cfg.seconds("acquire::max-validtime")
	var out []repoSpec
	seen := map[string]int{}
	for _, src := range srcs {
		if !src.Enabled || !slices.Contains(src.Types, "deb") {
			continue
		}
		isTrusted := src.BoolOption("trusted", false)
		a := archs
		if len(src.Architectures) > 0 {
			a = src.Architectures
		}
		for _, u := range src.URIs {
			for _, s := range src.Suites {
				// apt reads a repository named twice once
				key := strings.TrimRight(u, "/") + " " + s
				if i, dup := seen[key]; dup {
					r := &out[i].repo
					for _, c := range src.Components {
						if !slices.Contains(r.Components, c) {
							r.Components = append(slices.Clip(r.Components), c)
						}
					}
					for _, a := range a {
						if !slices.Contains(r.Architectures, a) {
							r.Architectures = append(slices.Clip(r.Architectures), a)
						}
					}
					continue
				}
				seen[key] = len(out)
				kr, err := sourceKeyring(ctx, fsys, cfg, src)
				if err != nil && !isTrusted {
					var se *repo.SignatureError
					if !errors.As(err, &se) {
						err = &repo.SignatureError{File: fmt.Sprintf("%s:%d", src.File, src.Line), Reason: "cannot load the keyring", Err: err}
					}
				} else {
					err = nil
				}
				r := aptrepo.Repo{
					URI:              u,
					Suite:            s,
					Components:       src.Components,
					Architectures:    a,
					Keyring:          kr,
					Trusted:          isTrusted,
					IgnoreValidUntil: !checkValid || !src.BoolOption("check-valid-until", true),
				}
				// apt applies Max-ValidTime only where it checks Valid-Until
				if !r.IgnoreValidUntil {
					r.MaxValidTime = maxValid
				}
				out = append(out, repoSpec{repo: r, err: err})
			}
		}
	}
	return out
}

// sourceKeyring loads the keys a source trusts: its Signed-By keys (inline
// or files), and apt's trusted keyrings when it has no Signed-By or names
// fingerprints (filtered to them).
func sourceKeyring(ctx context.Context, fsys fs.FS, cfg *aptConfig, src repo.AptSource) (*repo.Keyring, error) {
	var kr *repo.Keyring
	if src.SignedByKey != "" {
		k, err := repo.ParseKeyring(src.File+": Signed-By", []byte(src.SignedByKey))
		if err != nil {
			return nil, err
		}
		kr = kr.Merge(k)
	}
	var files, fprs []string
	for _, s := range src.SignedBy {
		if repo.IsFingerprint(s) {
			fprs = append(fprs, s)
		} else {
			files = append(files, s)
		}
	}
	if len(files) > 0 {
		k, err := repo.LoadKeyring(ctx, fsys, files...)
		if err != nil {
			return nil, err
		}
		kr = kr.Merge(k)
	}
	if len(fprs) > 0 || (src.SignedByKey == "" && len(src.SignedBy) == 0) {
		t, err := trustedKeyring(ctx, fsys, cfg)
		if err != nil {
			return nil, err
		}
		if len(fprs) > 0 {
			t = t.Filter(fprs)
		}
		kr = kr.Merge(t)
	}
	if kr.Len() == 0 {
		return nil, &repo.SignatureError{File: src.File, Reason: "no usable key for this source"}
	}
	return kr, nil
}

// trustedKeyring reads apt's trusted keyrings: Dir::Etc::trusted and the
// .gpg and .asc files of Dir::Etc::trustedparts.
func trustedKeyring(ctx context.Context, fsys fs.FS, cfg *aptConfig) (*repo.Keyring, error) {
	var files []string
	if f := cfg.file("dir::etc::trusted"); !isNull(f) {
		if ok, _ := rootfs.Exists(fsys, rel(f)); ok {
			files = append(files, f)
		}
	}
	if dir := cfg.file("dir::etc::trustedparts"); !isNull(dir) {
		names, err := listConfigDir(fsys, dir, []string{"gpg", "asc"}, false)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			files = append(files, path.Join(dir, n))
		}
	}
	if len(files) == 0 {
		return &repo.Keyring{}, nil
	}
	return repo.LoadKeyring(ctx, fsys, files...)
}
