package zypper

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// maxDataFile bounds a primary or updateinfo file of the raw cache whose
// repomd.xml entry gives no size, and every decompressed one.
const maxDataFile = 2 << 30

// repoConfig is an enabled zypper repository as this package uses it.
type repoConfig struct {
	alias        string
	file         string
	line         int
	priority     int
	repoGPGCheck bool
	baseURLs     []string
	mirrorList   string
}

// repoData is what one repository offers, read and verified.
type repoData struct {
	cfg    repoConfig
	status repo.Status
	// pkgs are the packages of primary.xml whose names are installed (the
	// others can be no update of anything).
	pkgs []patchkit.Package
	// advisories are every update of updateinfo.xml.
	advisories []patchkit.Advisory
}

// source gives access to the verified metadata files of one repository:
// the root's raw cache, or a snapshot of the repository client.
type source interface {
	name() string
	// packages streams primary's packages; advisories streams updateinfo.
	packages(ctx context.Context, yield func(rpmmd.Package) error) error
	advisories(ctx context.Context, yield func(patchkit.Advisory) error) error
}

// rawCache is a repository's metadata as libzypp keeps it under
// metadatadir/ALIAS, verified as zypper verified it when it refreshed.
type rawCache struct {
	fsys   fs.FS
	dir    string // inside the root, without a leading slash
	alias  string
	md     *rpmmd.Repomd
	limits rpmmd.Limits
}

func (c *rawCache) name() string { return c.alias }

// openRawCache reads and verifies repomd.xml of the raw cache in dir: its
// detached signature against trust when the repository checks signatures
// (repo_gpgcheck), then its date against now and maxAge. The result's
// Status has Verified and Date set.
func openRawCache(fsys fs.FS, dir string, cfg repoConfig, trust *repo.Keyring, o *options) (*rawCache, repo.Status, error) {
	st := repo.Status{Name: cfg.alias}
	mdPath := path.Join(dir, "repodata/repomd.xml")
	shown := "/" + mdPath
	data, err := rootfs.ReadFile(fsys, mdPath, repo.MaxReleaseSize)
	if errors.Is(err, fs.ErrNotExist) {
		if ok, _ := rootfs.Exists(fsys, path.Join(dir, "content")); ok {
			return nil, st, fmt.Errorf("%s: susetags (yast2) metadata, which this package does not read: %w", "/"+dir, repo.ErrNotFound)
		}
		return nil, st, fmt.Errorf("%s: no cached metadata (zypper has not refreshed this repository): %w", shown, repo.ErrNotFound)
	}
	if err != nil {
		return nil, st, err
	}
	if cfg.repoGPGCheck {
		sig, err := rootfs.ReadFile(fsys, mdPath+".asc", repo.MaxSignatureSize)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, st, &repo.SignatureError{File: shown, Reason: "repomd.xml is not signed (no repomd.xml.asc in the cache) and the repository checks signatures"}
		}
		if err != nil {
			return nil, st, err
		}
		if trust.Len() == 0 {
			return nil, st, &repo.SignatureError{File: shown + ".asc", Reason: "no trusted keys: none is imported into the rpm database"}
		}
		if _, err := repo.VerifyDetached(shown+".asc", data, sig, trust, repo.Policy{MaxFutureSkew: maxFutureSkew}.VerifyOptions(o.now)); err != nil {
			return nil, st, err
		}
		st.Verified = true
	}
	md, err := rpmmd.ParseRepomd(shown, bytes.NewReader(data), o.limits)
	if err != nil {
		return nil, st, err
	}
	st.Date = md.Generated
	if err := checkDate(shown, md, o.now, o.maxAgeOf(cfg.alias)); err != nil {
		return nil, st, err
	}
	return &rawCache{fsys: fsys, dir: dir, alias: cfg.alias, md: md, limits: o.limits}, st, nil
}

// checkDate applies the freshness rules to repomd.xml: dated at all (by
// a data timestamp or a revision that is a Unix time), not in the future
// beyond a small clock skew, and not older than maxAge.
func checkDate(file string, md *rpmmd.Repomd, now time.Time, maxAge time.Duration) error {
	switch {
	case md.Generated.IsZero():
		return fmt.Errorf("%s: carries no date (no timestamp and no revision that is a time), so its age is unknown: %w", file, repo.ErrStale)
	case md.Generated.After(now.Add(maxFutureSkew)):
		return &repo.FutureDateError{File: file, Date: md.Generated, Now: now}
	case now.Sub(md.Generated) > maxAge:
		return &repo.StaleError{File: file, Date: md.Generated, MaxAge: maxAge, Now: now}
	}
	return nil
}

// open returns the verified, decompressed content of the data file typ
// ("primary", "updateinfo"), or nil when repomd.xml has none.
func (c *rawCache) open(typ string) (io.ReadCloser, string, error) {
	d, ok := c.md.Data[typ]
	if !ok {
		return nil, "", nil
	}
	name := "/" + path.Join(c.dir, d.Location)
	alg := d.Checksum.Algorithm()
	if alg == "" {
		return nil, name, &repo.HashMismatchError{File: name}
	}
	limit := int64(maxDataFile)
	if d.Size > 0 {
		limit = d.Size
	}
	data, err := rootfs.ReadFile(c.fsys, path.Join(c.dir, d.Location), limit)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && errors.Is(err, rootfs.ErrTooLarge) {
			return nil, name, &repo.SizeError{File: name, Want: d.Size, Got: d.Size + 1}
		}
		return nil, name, err
	}
	if d.Size > 0 && int64(len(data)) != d.Size {
		return nil, name, &repo.SizeError{File: name, Want: d.Size, Got: int64(len(data))}
	}
	var h hash.Hash = sha256.New()
	if alg == "SHA512" {
		h = sha512.New()
	}
	h.Write(data)
	if got := hex.EncodeToString(h.Sum(nil)); got != d.Checksum.Value {
		return nil, name, &repo.HashMismatchError{File: name, Algorithm: alg, Want: d.Checksum.Value, Got: got}
	}
	want := repocache.Expect{Size: d.OpenSize}
	if a := d.OpenChecksum.Algorithm(); a != "" {
		want.Algorithm, want.Sum = a, d.OpenChecksum.Value
	}
	rc, err := repocache.Decompress(name, data, maxDataFile, want)
	return rc, name, err
}

func (c *rawCache) packages(ctx context.Context, yield func(rpmmd.Package) error) error {
	rc, name, err := c.open("primary")
	if err != nil {
		return err
	}
	if rc == nil {
		return &repo.SyntaxError{File: "/" + path.Join(c.dir, "repodata/repomd.xml"), Msg: "no primary data"}
	}
	defer rc.Close()
	for p, err := range rpmmd.ParsePrimary(name, rc, c.limits) {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := yield(p); err != nil {
			return err
		}
	}
	return nil
}

func (c *rawCache) advisories(ctx context.Context, yield func(patchkit.Advisory) error) error {
	rc, name, err := c.open("updateinfo")
	if err != nil || rc == nil {
		return err
	}
	defer rc.Close()
	for a, err := range rpmmd.ParseUpdateinfo(name, rc, c.alias, c.limits) {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := yield(a); err != nil {
			return err
		}
	}
	return nil
}

// snapshotSource reads a repository through the repository client
// (rpmmd.Update or rpmmd.Open), which verified it.
type snapshotSource struct {
	snap *rpmmd.Snapshot
}

func (s snapshotSource) name() string { return s.snap.Name() }

func (s snapshotSource) packages(ctx context.Context, yield func(rpmmd.Package) error) error {
	for p, err := range s.snap.Packages(ctx) {
		if err != nil {
			return err
		}
		if err := yield(p); err != nil {
			return err
		}
	}
	return nil
}

func (s snapshotSource) advisories(ctx context.Context, yield func(patchkit.Advisory) error) error {
	for a, err := range s.snap.Advisories(ctx) {
		if err != nil {
			return err
		}
		if err := yield(a); err != nil {
			return err
		}
	}
	return nil
}

// load reads a source's packages (those whose names are in names) and
// advisories into d, counting every package in d.status.Packages. With a
// sink (WithNotInstalled) it also adds to it, as offers, the packages of
// the sink's architectures whose name and architecture are not in names.
// On error nothing read so far is kept.
func load(ctx context.Context, src source, names map[string][]patchkit.Package, sink *offerSink, d *repoData) error {
	var pkgs []patchkit.Package
	n := 0
	mark := sink.mark()
	err := src.packages(ctx, func(p rpmmd.Package) error {
		n++
		if p.Arch == "src" || p.Arch == "nosrc" {
			return nil
		}
		inst, ok := names[p.Name]
		if ok {
			pkgs = append(pkgs, p.ToPatchkit(d.cfg.alias))
		}
		if sink != nil && sink.arch[p.Arch] && !(ok && slices.ContainsFunc(inst, func(q patchkit.Package) bool { return q.Arch == p.Arch })) {
			sink.add(p)
		}
		return nil
	})
	if err != nil {
		sink.reset(mark)
		return err
	}
	var advs []patchkit.Advisory
	err = src.advisories(ctx, func(a patchkit.Advisory) error {
		a.Repository = d.cfg.alias
		advs = append(advs, a)
		return nil
	})
	if err != nil {
		sink.reset(mark)
		return err
	}
	d.pkgs, d.advisories = pkgs, advs
	d.status.Packages = n
	return nil
}

func trimSlash(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }
