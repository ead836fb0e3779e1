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
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
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
	Generated time.Time `json:"Generated"`
	Revision  string    `json:"Revision"`
	Signed    bool      `json:"Signed"`
	Signers   []string  `json:"Signers,omitempty"`
	Repo      string    `json:"Repo"`
}

// Snapshot is a verified state of one rpm-md repository.
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
	client        *repo.Client
	dir           string
	files         map[string]repo.ManifestEntry
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
	return repo.CacheKey("rpmmd " + r.ID + " " + first)
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
	r := Repo{ID: cfg.ID, BaseURLs: cfg.BaseURLs, MirrorList: cfg.MirrorList, RequireSignature: cfg.RepoGPGCheck}
	if len(r.BaseURLs) == 0 && r.MirrorList == "" {
		return r, fmt.Errorf("rpmmd: %s: only a metalink is configured, which is not supported", cfg.ID)
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
			var buf bytes.Buffer
			_, err = c.Fetch(ctx, k, repo.MaxKeyringSize, &buf, nil)
			data = buf.Bytes()
		default:
			err = fmt.Errorf("unsupported gpgkey URL %s", k)
		}
		if err != nil {
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
		return nil, fmt.Errorf("rpmmd: %s: no base URL", r.ID)
	}
	return out, nil
}

// Update fetches repomd.xml (and its signature), primary and updateinfo,
// verifies them, and commits them to the client's cache in one step. On
// any error the cache is left as it was and nothing is returned.
func Update(ctx context.Context, c *repo.Client, r Repo) (*Snapshot, error) {
	if r.ID == "" {
		return nil, errors.New("rpmmd: repository needs an ID")
	}
	if r.RequireSignature && r.Keyring.Len() == 0 {
		return nil, &repo.SignatureError{File: r.ID + " repomd.xml", Reason: "repo_gpgcheck is set but no key is given"}
	}
	bases, err := r.bases(ctx, c)
	if err != nil {
		return nil, err
	}
	tx, err := c.Begin(ctx, r.cacheKey())
	if err != nil {
		return nil, err
	}
	defer tx.Abort()
	var old *state
	if m := tx.Old(); m != nil {
		old = &state{}
		if err := json.Unmarshal(m.State, old); err != nil {
			return nil, fmt.Errorf("rpmmd: cache state of %s: %w", r.ID, err)
		}
	}
	var (
		md      *Repomd
		v       *repo.Verified
		base    string
		files   = map[string]repo.ManifestEntry{}
		errs    []error
		mdFile  = r.ID + " repomd.xml"
		sigFile = r.ID + " repomd.xml.asc"
	)
	var oldFiles map[string]repo.ManifestEntry
	if m := tx.Old(); m != nil {
		oldFiles = m.Files
	}
	for _, b := range bases {
		var buf bytes.Buffer
		var cond *repo.Conditional
		cached := oldFiles["repomd.xml"]
		if cached.URL == b+"repodata/repomd.xml" && (cached.ETag != "" || cached.LastModified != "") {
			cond = &repo.Conditional{ETag: cached.ETag, LastModified: cached.LastModified}
		}
		f, err := c.Fetch(ctx, b+"repodata/repomd.xml", repo.MaxReleaseSize, &buf, cond)
		if err == nil && f.NotModified {
			// Unchanged on the server: the cached copy, checked again
			// from here on like a fresh one.
			var o *os.File
			if o, err = tx.OpenObject(cached.SHA256); err == nil {
				var data []byte
				data, err = repo.ReadVerified(o, r.ID+" repomd.xml (cached)", cached.Size, cached.SHA256)
				o.Close()
				buf.Reset()
				buf.Write(data)
				f.URL = cached.URL
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		data := buf.Bytes()
		var vv *repo.Verified
		signed := false
		if r.Keyring.Len() > 0 {
			var sig bytes.Buffer
			_, serr := c.Fetch(ctx, b+"repodata/repomd.xml.asc", repo.MaxSignatureSize, &sig, nil)
			switch {
			case serr == nil:
				vv, err = repo.VerifyDetached(sigFile, data, sig.Bytes(), r.Keyring, c.VerifyOptions())
				if err != nil {
					c.Logger().Warn("repomd.xml failed verification", "url", b, "err", err)
					errs = append(errs, err)
					continue
				}
				signed = true
				sha, err := tx.Put(sig.Bytes())
				if err != nil {
					return nil, err
				}
				files["repomd.xml.asc"] = repo.ManifestEntry{SHA256: sha, Size: int64(sig.Len()), URL: b + "repodata/repomd.xml.asc"}
			case errors.Is(serr, repo.ErrNotFound):
			default:
				errs = append(errs, serr)
				continue
			}
		}
		if !signed {
			if old != nil && old.Signed && !r.AllowDowngradeToInsecure {
				errs = append(errs, &repo.DowngradeError{Repository: r.ID})
				continue
			}
			if r.RequireSignature {
				errs = append(errs, &repo.SignatureError{File: sigFile, Reason: "repomd.xml is not signed"})
				continue
			}
		}
		m, err := ParseRepomd(mdFile, bytes.NewReader(data), r.Limits)
		if err != nil {
			errs = append(errs, err)
			delete(files, "repomd.xml.asc")
			continue
		}
		sha, err := tx.Put(data)
		if err != nil {
			return nil, err
		}
		files["repomd.xml"] = repo.ManifestEntry{SHA256: sha, Size: int64(len(data)), URL: f.URL, ETag: f.ETag, LastModified: f.LastModified}
		md, v, base = m, vv, b
		break
	}
	if md == nil {
		return nil, errors.Join(errs...)
	}
	now := c.Now()
	if md.Generated.After(now.Add(c.MaxFutureSkew())) {
		return nil, &repo.FutureDateError{File: mdFile, Date: md.Generated, Now: now}
	}
	if r.MaxAge > 0 && now.Sub(md.Generated) > r.MaxAge {
		return nil, &repo.StaleError{File: mdFile, Date: md.Generated, MaxAge: r.MaxAge, Now: now}
	}
	if old != nil && md.Generated.Before(old.Generated) {
		c.Logger().Warn("repomd.xml is older than the accepted one; keeping the cache", "repository", r.ID)
		return nil, &repo.RollbackError{File: mdFile, Date: md.Generated, Accepted: old.Generated}
	}
	if _, ok := md.Data["primary"]; !ok {
		return nil, &repo.SyntaxError{File: mdFile, Msg: "no primary data"}
	}
	for _, typ := range []string{"primary", "updateinfo"} {
		d, ok := md.Data[typ]
		if !ok {
			continue
		}
		e, err := fetchData(ctx, c, tx, r, bases, base, d, oldFiles[typ])
		if err != nil {
			return nil, err
		}
		files[typ] = e
	}
	st := state{Generated: md.Generated, Revision: md.Revision, Signed: v != nil, Repo: r.ID}
	if v != nil {
		st.Signers = v.Signers
	}
	raw, _ := json.Marshal(st)
	if err := tx.Commit(&repo.Manifest{Files: files, State: raw}); err != nil {
		return nil, err
	}
	snap := &Snapshot{Repo: r, Repomd: md, Verified: v != nil, WeakChecksums: usesWeak(md), client: c, dir: tx.Dir(), files: files}
	if v != nil {
		snap.Signers = v.Signers
	} else {
		snap.Unverified = noKeyring
		if r.Keyring.Len() > 0 {
			snap.Unverified = noSignature
		}
		warnUnverified(c, r.ID, snap.Unverified)
	}
	if snap.WeakChecksums {
		c.Logger().Warn("rpm-md repository checked with SHA-1 checksums only (AllowWeakChecksums)", "repository", r.ID)
	}
	return snap, nil
}

// fetchData downloads one data file, first from the mirror whose repomd
// was accepted, then from the others, and checks size and checksum.
func fetchData(ctx context.Context, c *repo.Client, tx *repo.Tx, r Repo, bases []string, first string, d Data, cached repo.ManifestEntry) (repo.ManifestEntry, error) {
	name := r.ID + " " + d.Location
	alg := d.Checksum.algorithm(r.AllowWeakChecksums)
	if alg == "" {
		return repo.ManifestEntry{}, r.weakError(name, d.Checksum)
	}
	if d.Checksum.Algorithm() == "SHA256" && d.Size > 0 && tx.HasObject(d.Checksum.Value) {
		// Already in the cache under the same checksum: nothing to fetch.
		if cached.SHA256 == d.Checksum.Value && cached.Size == d.Size {
			return cached, nil
		}
		return repo.ManifestEntry{SHA256: d.Checksum.Value, Size: d.Size}, nil
	}
	order := []string{first}
	for _, b := range bases {
		if b != first {
			order = append(order, b)
		}
	}
	limit := d.Size
	if limit <= 0 {
		limit = c.MaxFileSize()
	}
	var errs []error
	for _, b := range order {
		st, err := tx.Create()
		if err != nil {
			return repo.ManifestEntry{}, err
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
			return repo.ManifestEntry{}, err
		}
		return repo.ManifestEntry{SHA256: sha, Size: size, URL: f.URL}, nil
	}
	return repo.ManifestEntry{}, errors.Join(errs...)
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
// again: repomd.xml's signature (when the repository is signed or a
// signature is required) and the checksums of its data files. It returns
// an error wrapping repo.ErrNotFound when the cache has none.
func Open(ctx context.Context, c *repo.Client, r Repo) (*Snapshot, error) {
	m, dir, err := c.LoadManifest(r.cacheKey())
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("rpmmd: %s: no cached metadata: %w", r.ID, repo.ErrNotFound)
	}
	var st state
	if err := json.Unmarshal(m.State, &st); err != nil {
		return nil, err
	}
	read := func(file string) ([]byte, error) {
		e, ok := m.Files[file]
		if !ok {
			return nil, fmt.Errorf("rpmmd: %s: cache has no %s: %w", r.ID, file, repo.ErrNotFound)
		}
		f, err := os.Open(repo.ObjectPath(dir, e.SHA256))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return repo.ReadVerified(f, r.ID+" "+file+" (cached)", e.Size, e.SHA256)
	}
	data, err := read("repomd.xml")
	if err != nil {
		return nil, err
	}
	var v *repo.Verified
	if st.Signed || r.RequireSignature {
		sig, err := read("repomd.xml.asc")
		if err != nil {
			return nil, err
		}
		if v, err = repo.VerifyDetached(r.ID+" repomd.xml.asc", data, sig, r.Keyring, c.VerifyOptions()); err != nil {
			return nil, err
		}
	}
	md, err := ParseRepomd(r.ID+" repomd.xml", bytes.NewReader(data), r.Limits)
	if err != nil {
		return nil, err
	}
	now := c.Now()
	if r.MaxAge > 0 && now.Sub(md.Generated) > r.MaxAge {
		return nil, &repo.StaleError{File: r.ID + " repomd.xml", Date: md.Generated, MaxAge: r.MaxAge, Now: now}
	}
	snap := &Snapshot{Repo: r, Repomd: md, Verified: v != nil, WeakChecksums: r.AllowWeakChecksums && usesWeak(md), client: c, dir: dir, files: m.Files}
	if v != nil {
		snap.Signers = v.Signers
	} else {
		snap.Unverified = noKeyring
		if r.Keyring.Len() > 0 {
			snap.Unverified = "repomd.xml was not signed when it was fetched"
		}
		warnUnverified(c, r.ID, snap.Unverified)
	}
	return snap, nil
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
	f, err := os.Open(repo.ObjectPath(s.dir, e.SHA256))
	if err != nil {
		return d, nil, err
	}
	data, err := repo.ReadVerified(f, name+" (cached)", e.Size, e.SHA256)
	f.Close()
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
	want := repo.Expect{Size: d.OpenSize}
	if alg := d.OpenChecksum.algorithm(s.Repo.AllowWeakChecksums); alg != "" {
		want.Algorithm, want.Sum = alg, d.OpenChecksum.Value
	}
	limit := int64(2 << 30)
	if s.client != nil {
		limit = s.client.MaxFileSize()
	}
	rc, err := repo.Decompress(d.Location, data, limit, want)
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
