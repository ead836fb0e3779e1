package rpmmd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"iter"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
)

// Repo is one rpm-md repository.
type Repo struct {
	// ID names the repository (the .repo section); it is set as the
	// Repository of every advisory and package.
	ID string
	// BaseURLs are mirrors of one another, tried in order: http, https or
	// file URLs, or local directory paths.
	BaseURLs []string
	// MirrorList is a URL of a list of base URLs (one per line), tried
	// after BaseURLs.
	MirrorList string
	// Keyring holds the keys that may sign repomd.xml (the .repo gpgkey).
	// When set, repomd.xml.asc is fetched and must verify if present.
	Keyring *repo.Keyring
	// RequireSignature (repo_gpgcheck) makes a missing repomd.xml.asc an
	// error.
	RequireSignature bool
	// MaxAge, when positive, makes metadata generated longer ago than this
	// a *repo.StaleError (rpm-md has no expiry of its own).
	MaxAge time.Duration
	// AllowDowngradeToInsecure accepts an unsigned repomd.xml after a
	// signed one.
	AllowDowngradeToInsecure bool
	// AllowWeakChecksums accepts SHA-1 checksums ("sha", "sha1") in
	// repomd.xml for the data files and their open-checksums, as older
	// repositories give (SUSE 10 and 11, createrepo before 0.9.9, about
	// 2008-2012). Off by default: such a file is then a
	// *repo.WeakChecksumError. A snapshot that relied on a SHA-1 checksum
	// says so in WeakChecksums, and the client's logger warns. MD5 is never
	// accepted.
	AllowWeakChecksums bool
	Limits             Limits
}

type state struct {
	accepted
	Revision string   `json:"Revision"`
	Signers  []string `json:"Signers,omitempty"`
	Repo     string   `json:"Repo"`
}

// Snapshot is an accepted state of one rpm-md repository: its repomd.xml
// and the data files it lists, each checked against repomd.xml's
// checksums and sizes as it is read. Whether repomd.xml itself was checked
// against the repository's keys is Verified; when it was not (no keyring,
// or no signature where none is required), Unverified says why, and
// nothing read through the snapshot is more trustworthy than the
// connection it came over.
type Snapshot struct {
	Repo     Repo
	Repomd   *Repomd
	Verified bool     // repomd.xml was signed by a key of the keyring
	Signers  []string // fingerprints of the keys whose signatures verified
	// Unverified says why repomd.xml, and so everything read through it,
	// was not verified ("no keyring was given", "the server has no
	// repomd.xml.asc"); empty when Verified. Reading an unverified
	// repository also logs a warning on the client's logger.
	Unverified string
	// WeakChecksums reports that primary or updateinfo was checked only
	// against a SHA-1 checksum (accepted by Repo.AllowWeakChecksums).
	WeakChecksums bool
	policy        repo.Policy
	dir           string
	files         map[string]repocache.ManifestEntry
}

const (
	noKeyring   = "no keyring was given, so repomd.xml was not checked against any key"
	noSignature = "the server has no repomd.xml.asc"
)

// warnUnverified logs, loudly, that a repository is read without
// verification.
func warnUnverified(c *repo.Client, id, reason string) {
	c.Logger().Warn("rpm-md repository is NOT VERIFIED: its metadata could have been changed by anyone on the way", "repository", id, "reason", reason)
}

// weakError is the error for a data file without an acceptable checksum.
func (r Repo) weakError(name string, c Checksum) error {
	switch {
	case c.SHA1():
		return &repo.WeakChecksumError{File: name, Type: c.Type, OptIn: "set AllowWeakChecksums on the rpmmd.Repo"}
	case strings.EqualFold(c.Type, "md5"):
		return &repo.WeakChecksumError{File: name, Type: c.Type}
	}
	return &repo.HashMismatchError{File: name}
}

// usesWeak reports whether the snapshot's data files rely on SHA-1.
func usesWeak(md *Repomd) bool {
	for _, typ := range []string{"primary", "updateinfo"} {
		if d, ok := md.Data[typ]; ok && d.Checksum.Algorithm() == "" {
			return true
		}
	}
	return false
}

// Name returns the repository ID.
func (s *Snapshot) Name() string { return s.Repo.ID }

func (r Repo) cacheKey() string {
	first := ""
	if len(r.BaseURLs) > 0 {
		first = r.BaseURLs[0]
	} else {
		first = r.MirrorList
	}
	return repocache.CacheKey("rpmmd " + r.ID + " " + first)
}

// BaseURL turns a local directory path into a file URL; URLs are returned
// as they are.
func BaseURL(s string) string {
	if strings.Contains(s, "://") {
		return s
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		abs = s
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// FromConfig makes a Repo of a .repo section: its base URLs and mirror
// list, repo_gpgcheck, and the keys its gpgkey names (file URLs are read
// from fsys, the root the configuration came from; http and https keys are
// fetched with c). Metalink-only repositories are not supported.
func FromConfig(ctx context.Context, c *repo.Client, fsys fs.FS, cfg repo.RPMRepo) (Repo, error) {
	if fsys == nil && len(cfg.GPGKeys) > 0 {
		return Repo{}, &repo.InvalidError{Func: "rpmmd.FromConfig", Reason: "nil file system"}
	}
	r := Repo{ID: cfg.ID, BaseURLs: cfg.BaseURLs, MirrorList: cfg.MirrorList, RequireSignature: cfg.RepoGPGCheck}
	if len(r.BaseURLs) == 0 && r.MirrorList == "" {
		return r, &repo.InvalidError{Func: "rpmmd.FromConfig", Reason: cfg.ID + ": only a metalink is configured, which is not supported"}
	}
	for _, k := range cfg.GPGKeys {
		var data []byte
		u, err := url.Parse(k)
		if err != nil {
			return r, &repo.SyntaxError{File: cfg.File, Line: cfg.Line, Msg: "gpgkey " + k + " is not a URL"}
		}
		switch u.Scheme {
		case "file":
			data, err = rootfs.ReadFile(fsys, strings.TrimPrefix(path.Clean(u.Path), "/"), repo.MaxKeyringSize)
		case "http", "https":
			if c == nil {
				return r, &repo.InvalidError{Func: "rpmmd.FromConfig", Reason: "gpgkey " + k + " needs a client to fetch it"}
			}
			var buf bytes.Buffer
			_, err = c.Fetch(ctx, k, repo.MaxKeyringSize, &buf, nil)
			data = buf.Bytes()
		default:
			err = &repo.SyntaxError{File: cfg.File, Line: cfg.Line, Msg: "gpgkey " + k + ": unsupported URL scheme"}
		}
		switch {
		case err != nil && (u.Scheme == "http" || u.Scheme == "https"):
			// the client's errors name the URL
			return r, fmt.Errorf("rpmmd: %s: gpgkey: %w", cfg.ID, err)
		case err != nil:
			return r, fmt.Errorf("rpmmd: %s: gpgkey %s: %w", cfg.ID, k, err)
		}
		kr, err := repo.ParseKeyring(k, data)
		if err != nil {
			return r, err
		}
		r.Keyring = r.Keyring.Merge(kr)
	}
	return r, nil
}

func (r Repo) bases(ctx context.Context, c *repo.Client) ([]string, error) {
	var out []string
	for _, b := range r.BaseURLs {
		out = append(out, strings.TrimRight(BaseURL(b), "/")+"/")
	}
	if r.MirrorList != "" {
		var buf bytes.Buffer
		if _, err := c.Fetch(ctx, r.MirrorList, 1<<20, &buf, nil); err != nil {
			if len(out) == 0 {
				return nil, fmt.Errorf("rpmmd: %s: mirror list: %w", r.ID, err)
			}
			c.Logger().Warn("mirror list unavailable", "repository", r.ID, "err", err)
		}
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			if u, err := url.Parse(l); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				c.Logger().Warn("mirror list entry ignored (not an http or https URL)", "repository", r.ID, "entry", l)
				continue
			}
			out = append(out, strings.TrimRight(l, "/")+"/")
		}
	}
	if len(out) == 0 {
		return nil, &repo.InvalidError{Func: "rpmmd", Reason: r.ID + ": no base URL"}
	}
	return out, nil
}

// Update fetches repomd.xml (and its signature), primary and updateinfo,
// verifies them, and commits them to the client's cache in one step. On
// any error the cache is left as it was and nothing is returned. The
// repomd.xml is checked as Open checks it, and against the one accepted
// before (rollback, downgrade to unsigned); each mirror's copy is checked
// on its own, and the first that passes is used.
func Update(ctx context.Context, c *repo.Client, r Repo) (*Snapshot, error) {
	if err := checkRepo("rpmmd.Update", c == nil, r); err != nil {
		return nil, err
	}
	bases, err := r.bases(ctx, c)
	if err != nil {
		return nil, err
	}
	tx, err := repocache.Begin(ctx, c, r.cacheKey())
	if err != nil {
		return nil, err
	}
	defer tx.Abort()
	var (
		prev     *accepted
		oldFiles map[string]repocache.ManifestEntry
	)
	if m := tx.Old(); m != nil {
		var old state
		if err := json.Unmarshal(m.State, &old); err != nil {
			return nil, fmt.Errorf("rpmmd: cache state of %s: %w", r.ID, err)
		}
		prev, oldFiles = &old.accepted, m.Files
	}
	pol := c.Policy()
	now := pol.Time()
	log := c.Logger().With("repository", r.ID)
	vm, src, err := repocache.FirstAccepted(c, tx, bases, "repodata/", oldFiles, log, "repomd.xml", func(src *repocache.Remote) (*verifiedRepomd, error) {
		return verifyRepomd(ctx, src, r, pol, now, prev)
	})
	if err != nil {
		return nil, err
	}
	files, err := src.Stage(vm.files)
	if err != nil {
		return nil, err
	}
	md := vm.md
	for _, typ := range []string{"primary", "updateinfo"} {
		d, ok := md.Data[typ]
		if !ok {
			continue
		}
		e, err := fetchData(ctx, c, tx, r, bases, strings.TrimSuffix(src.Base, "repodata/"), d, oldFiles[typ])
		if err != nil {
			return nil, err
		}
		files[typ] = e
	}
	st := state{accepted: accepted{Generated: md.Generated, Signed: vm.v != nil}, Revision: md.Revision, Repo: r.ID}
	if vm.v != nil {
		st.Signers = vm.v.Signers
	}
	raw, _ := json.Marshal(st)
	if err := tx.Commit(&repocache.Manifest{Files: files, State: raw}); err != nil {
		return nil, err
	}
	return newSnapshot(c, r, vm, tx.Dir(), files, noSignature), nil
}

// checkRepo checks the preconditions of reading r.
func checkRepo(fn string, nilClient bool, r Repo) error {
	switch {
	case nilClient:
		return &repo.InvalidError{Func: fn, Reason: "nil client"}
	case r.ID == "":
		return &repo.InvalidError{Func: fn, Reason: "repository needs an ID"}
	}
	return nil
}

// newSnapshot makes the snapshot of an accepted repomd.xml; unsigned says
// why it is unverified when a keyring was given.
func newSnapshot(c *repo.Client, r Repo, vm *verifiedRepomd, dir string, files map[string]repocache.ManifestEntry, unsigned string) *Snapshot {
	snap := &Snapshot{Repo: r, Repomd: vm.md, Verified: vm.v != nil, WeakChecksums: r.AllowWeakChecksums && usesWeak(vm.md),
		policy: c.Policy(), dir: dir, files: files}
	if vm.v != nil {
		snap.Signers = vm.v.Signers
	} else {
		snap.Unverified = noKeyring
		if r.Keyring.Len() > 0 {
			snap.Unverified = unsigned
		}
		warnUnverified(c, r.ID, snap.Unverified)
	}
	if snap.WeakChecksums {
		c.Logger().Warn("rpm-md repository checked with SHA-1 checksums only (AllowWeakChecksums)", "repository", r.ID)
	}
	return snap
}

// fetchData downloads one data file, first from the mirror whose repomd
// was accepted, then from the others, and checks size and checksum.
func fetchData(ctx context.Context, c *repo.Client, tx *repocache.Tx, r Repo, bases []string, first string, d Data, cached repocache.ManifestEntry) (repocache.ManifestEntry, error) {
	name := r.ID + " " + d.Location
	alg := d.Checksum.algorithm(r.AllowWeakChecksums)
	if alg == "" {
		return repocache.ManifestEntry{}, r.weakError(name, d.Checksum)
	}
	if d.Checksum.Algorithm() == "SHA256" && d.Size > 0 && tx.HasObject(d.Checksum.Value) {
		// Already in the cache under the same checksum: nothing to fetch.
		if cached.SHA256 == d.Checksum.Value && cached.Size == d.Size {
			return cached, nil
		}
		return repocache.ManifestEntry{SHA256: d.Checksum.Value, Size: d.Size}, nil
	}
	order := []string{first}
	for _, b := range bases {
		if b != first {
			order = append(order, b)
		}
	}
	limit := d.Size
	if limit <= 0 {
		limit = c.Policy().FileLimit()
	}
	var errs []error
	for _, b := range order {
		st, err := tx.Create()
		if err != nil {
			return repocache.ManifestEntry{}, err
		}
		h := newHash(alg)
		f, err := c.Fetch(ctx, b+d.Location, limit, io.MultiWriter(st, h), nil)
		if err != nil {
			st.Discard()
			var tl *repo.TooLargeError
			if errors.As(err, &tl) && d.Size > 0 {
				err = &repo.SizeError{File: name, Want: d.Size, Got: d.Size + 1}
			}
			errs = append(errs, err)
			continue
		}
		if d.Size > 0 && st.Size() != d.Size {
			st.Discard()
			errs = append(errs, &repo.SizeError{File: name, Want: d.Size, Got: st.Size()})
			continue
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != d.Checksum.Value {
			st.Discard()
			errs = append(errs, &repo.HashMismatchError{File: name, Algorithm: alg, Want: d.Checksum.Value, Got: got})
			continue
		}
		sha, size := st.SHA256(), st.Size()
		if err := st.Keep(); err != nil {
			return repocache.ManifestEntry{}, err
		}
		return repocache.ManifestEntry{SHA256: sha, Size: size, URL: f.URL}, nil
	}
	return repocache.ManifestEntry{}, errors.Join(errs...)
}

func newHash(alg string) hash.Hash {
	switch alg {
	case "SHA512":
		return sha512.New()
	case "SHA1":
		return sha1.New()
	}
	return sha256.New()
}

// Open returns the snapshot of r committed in the client's cache, checked
// again as Update checked it: repomd.xml's signature when a keyring is
// given (and its presence when one is required), its dates at the
// client's time (in the future, older than r.MaxAge), and the state
// recorded with it (a cache recorded as signed that holds no signature is
// refused, as is a repomd.xml older than the recorded one); the data files
// are hashed again when they are read. It returns an error wrapping
// repo.ErrNotFound when the cache has none.
func Open(ctx context.Context, c *repo.Client, r Repo) (*Snapshot, error) {
	if err := checkRepo("rpmmd.Open", c == nil, r); err != nil {
		return nil, err
	}
	m, dir, err := repocache.Load(c, r.cacheKey())
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("rpmmd: %s: no cached metadata: %w", r.ID, repo.ErrNotFound)
	}
	var st state
	if err := json.Unmarshal(m.State, &st); err != nil {
		return nil, fmt.Errorf("rpmmd: cache state of %s: %w", r.ID, err)
	}
	pol := c.Policy()
	vm, err := verifyRepomd(ctx, &repocache.Committed{Manifest: m, Dir: dir, Name: "rpmmd: " + r.ID}, r, pol, pol.Time(), &st.accepted)
	if err != nil {
		return nil, err
	}
	return newSnapshot(c, r, vm, dir, m.Files, "repomd.xml was not signed when it was fetched"), nil
}

// data returns the compressed bytes of a data file, read from the cache
// and checked again before use: the cached object is hashed (its SHA-256
// must be the manifest's), and the manifest's entry must be the file
// repomd.xml names (for a SHA-256 checksum the same value; for SHA-512 or
// SHA-1 the bytes are hashed again with that algorithm), with its size.
func (s *Snapshot) data(typ string) (Data, []byte, error) {
	d, ok := s.Repomd.Data[typ]
	if !ok {
		return d, nil, nil
	}
	e, ok := s.files[typ]
	if !ok {
		return d, nil, fmt.Errorf("rpmmd: %s: %s not cached: %w", s.Repo.ID, typ, repo.ErrNotFound)
	}
	name := s.Repo.ID + " " + d.Location
	alg := d.Checksum.algorithm(s.Repo.AllowWeakChecksums)
	if alg == "" {
		return d, nil, s.Repo.weakError(name, d.Checksum)
	}
	if alg == "SHA256" && e.SHA256 != d.Checksum.Value {
		return d, nil, &repo.HashMismatchError{File: name + " (cached)", Algorithm: alg, Want: d.Checksum.Value, Got: e.SHA256}
	}
	data, err := repocache.ReadObject(s.dir, e, name+" (cached)", s.policy.FileLimit())
	if err != nil {
		return d, nil, err
	}
	if d.Size > 0 && int64(len(data)) != d.Size {
		return d, nil, &repo.SizeError{File: name, Want: d.Size, Got: int64(len(data))}
	}
	if alg != "SHA256" {
		h := newHash(alg)
		h.Write(data)
		if got := hex.EncodeToString(h.Sum(nil)); got != d.Checksum.Value {
			return d, nil, &repo.HashMismatchError{File: name, Algorithm: alg, Want: d.Checksum.Value, Got: got}
		}
	}
	return d, data, nil
}

func (s *Snapshot) open(typ string) (io.ReadCloser, Data, error) {
	d, data, err := s.data(typ)
	if err != nil || data == nil {
		return nil, d, err
	}
	want := repocache.Expect{Size: d.OpenSize}
	if alg := d.OpenChecksum.algorithm(s.Repo.AllowWeakChecksums); alg != "" {
		want.Algorithm, want.Sum = alg, d.OpenChecksum.Value
	}
	limit := s.policy.FileLimit()
	rc, err := repocache.Decompress(d.Location, data, limit, want)
	return rc, d, err
}

// Packages streams the packages of the snapshot's primary.xml.
func (s *Snapshot) Packages(ctx context.Context) iter.Seq2[Package, error] {
	return func(yield func(Package, error) bool) {
		rc, d, err := s.open("primary")
		if err != nil {
			yield(Package{}, err)
			return
		}
		defer rc.Close()
		for p, err := range ParsePrimary(s.Repo.ID+" "+d.Location, rc, s.Repo.Limits) {
			if cerr := ctx.Err(); cerr != nil {
				yield(Package{}, cerr)
				return
			}
			if !yield(p, err) {
				return
			}
		}
	}
}

// Advisories streams the advisories of the snapshot's updateinfo.xml
// (none when the repository has no updateinfo).
func (s *Snapshot) Advisories(ctx context.Context) iter.Seq2[patchkit.Advisory, error] {
	return func(yield func(patchkit.Advisory, error) bool) {
		if _, ok := s.Repomd.Data["updateinfo"]; !ok {
			return
		}
		rc, d, err := s.open("updateinfo")
		if err != nil {
			yield(patchkit.Advisory{}, err)
			return
		}
		defer rc.Close()
		for a, err := range ParseUpdateinfo(s.Repo.ID+" "+d.Location, rc, s.Repo.ID, s.Repo.Limits) {
			if cerr := ctx.Err(); cerr != nil {
				yield(patchkit.Advisory{}, cerr)
				return
			}
			if !yield(a, err) {
				return
			}
		}
	}
}
