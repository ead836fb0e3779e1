// Package repocache is the plumbing repo/apt and repo/rpmmd share: the
// cache of verified metadata (a manifest and content-addressed objects per
// repository, updated in transactions), the file sources that feed each
// format's one verification function (a mirror during an update, a
// committed cache entry), and bounded decompression checked against the
// signed sizes and checksums. None of it is public API.
package repocache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/patchkit/patchkit/internal/atomicfile"
	"github.com/patchkit/patchkit/repo"
)

// The cache keeps, per repository, a manifest and content-addressed
// objects:
//
//	<cache>/<key>/manifest.json
//	<cache>/<key>/objects/<sha256>
//
// An update stages new objects as temporary files, and commits by renaming
// them into objects/ and then replacing the manifest atomically; objects the
// new manifest no longer names are removed afterwards. An update that fails
// removes its temporary files and leaves the manifest and objects as they
// were.

// Manifest is the committed state of one repository in the cache.
type Manifest struct {
	Version int                      `json:"Version"`
	Files   map[string]ManifestEntry `json:"Files"`
	// State is the format's own record (last accepted date, release
	// information, whether it was signed).
	State json.RawMessage `json:"State,omitempty"`
}

// ManifestEntry is one cached file.
type ManifestEntry struct {
	SHA256       string `json:"SHA256"`
	Size         int64  `json:"Size"`
	URL          string `json:"URL,omitempty"`
	ETag         string `json:"ETag,omitempty"`
	LastModified string `json:"LastModified,omitempty"`
}

var keySafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// CacheKey turns a repository identity (a URL and suite, a repository ID)
// into a directory name: a readable part and a hash of the whole identity.
func CacheKey(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	readable := keySafe.ReplaceAllString(identity, "_")
	readable = strings.Trim(readable, "_.")
	if len(readable) > 80 {
		readable = readable[len(readable)-80:]
	}
	return readable + "-" + hex.EncodeToString(sum[:6])
}

// Tx is one update of one repository's cache entry.
type Tx struct {
	dir    string
	old    *Manifest
	staged map[string]string // sha256 -> temp file
	lock   *fileLock
	done   bool
}

// Begin starts an update of the cache entry key in the client's cache.
// Only one update of a key runs at a time, in this process or another
// sharing the cache directory (a lock file next to the entry): Begin waits
// for the previous one, or for ctx to end. Commit or Abort must follow.
func Begin(ctx context.Context, c *repo.Client, key string) (*Tx, error) {
	root, err := c.CacheDir()
	if err != nil {
		return nil, err
	}
	lk, err := lockFile(ctx, filepath.Join(root, key+".lock"))
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, key)
	if err := os.MkdirAll(filepath.Join(dir, "objects"), 0o755); err != nil {
		lk.release()
		return nil, err
	}
	old, err := readManifest(dir)
	if err != nil {
		lk.release()
		return nil, err
	}
	return &Tx{dir: dir, old: old, staged: map[string]string{}, lock: lk}, nil
}

// Load returns the committed manifest of key in the client's cache and the
// entry's directory; the manifest is nil when the cache holds nothing for
// it.
func Load(c *repo.Client, key string) (*Manifest, string, error) {
	root, err := c.CacheDir()
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(root, key)
	m, err := readManifest(dir)
	return m, dir, err
}

func readManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("cache manifest %s: %w", dir, err)
	}
	return &m, nil
}

// Old returns the committed manifest when the update began (nil if none).
func (t *Tx) Old() *Manifest { return t.old }

// Dir returns the entry's directory.
func (t *Tx) Dir() string { return t.dir }

// ObjectPath returns the path of a committed object.
func ObjectPath(dir, sha string) string { return filepath.Join(dir, "objects", sha) }

// HasObject reports whether a committed object with this SHA-256 exists.
func (t *Tx) HasObject(sha string) bool {
	if _, ok := t.staged[sha]; ok {
		return true
	}
	_, err := os.Stat(ObjectPath(t.dir, sha))
	return err == nil
}

// Staging is a file being downloaded into the cache.
type Staging struct {
	f    *os.File
	h    hash.Hash
	n    int64
	tx   *Tx
	done bool
}

// Create starts a staged file. Write to it, then Keep it (after checking
// its hash) or Discard it.
func (t *Tx) Create() (*Staging, error) {
	f, err := os.CreateTemp(t.dir, ".tmp-")
	if err != nil {
		return nil, err
	}
	return &Staging{f: f, h: sha256.New(), tx: t}, nil
}

func (s *Staging) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	s.h.Write(p[:n])
	s.n += int64(n)
	return n, err
}

// SHA256 returns the hex SHA-256 of what was written.
func (s *Staging) SHA256() string { return hex.EncodeToString(s.h.Sum(nil)) }

// Size returns the number of bytes written.
func (s *Staging) Size() int64 { return s.n }

// Keep marks the staged file as verified content with its SHA-256; it is
// renamed into the objects at Commit.
func (s *Staging) Keep() error {
	if s.done {
		return errors.New("staging already finished")
	}
	s.done = true
	if err := s.f.Sync(); err != nil {
		s.f.Close()
		os.Remove(s.f.Name())
		return err
	}
	if err := s.f.Close(); err != nil {
		os.Remove(s.f.Name())
		return err
	}
	sha := s.SHA256()
	if prev, ok := s.tx.staged[sha]; ok {
		os.Remove(prev)
	}
	s.tx.staged[sha] = s.f.Name()
	return nil
}

// Discard removes the staged file.
func (s *Staging) Discard() {
	if s.done {
		return
	}
	s.done = true
	s.f.Close()
	os.Remove(s.f.Name())
}

// Put stages verified in-memory content and returns its SHA-256.
func (t *Tx) Put(data []byte) (string, error) {
	s, err := t.Create()
	if err != nil {
		return "", err
	}
	if _, err := s.Write(data); err != nil {
		s.Discard()
		return "", err
	}
	sha := s.SHA256()
	return sha, s.Keep()
}

// OpenObject opens a staged or committed object.
func (t *Tx) OpenObject(sha string) (*os.File, error) {
	if p, ok := t.staged[sha]; ok {
		return os.Open(p)
	}
	return os.Open(ObjectPath(t.dir, sha))
}

// Commit moves the staged objects into place, writes m as the new
// manifest, and removes the objects m does not name.
func (t *Tx) Commit(m *Manifest) error {
	if t.done {
		return errors.New("transaction already finished")
	}
	defer t.finish()
	m.Version = 1
	refs := map[string]bool{}
	for _, e := range m.Files {
		refs[e.SHA256] = true
	}
	for sha, p := range t.staged {
		if !refs[sha] {
			continue
		}
		if err := os.Rename(p, ObjectPath(t.dir, sha)); err != nil {
			return err
		}
		delete(t.staged, sha)
	}
	for sha := range refs {
		if _, err := os.Stat(ObjectPath(t.dir, sha)); err != nil {
			return fmt.Errorf("cache commit: object %s is missing: %w", sha, err)
		}
	}
	if err := atomicfile.SyncDir(filepath.Join(t.dir, "objects")); err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(t.dir, "manifest.json"), bytes.NewReader(data), 0o644); err != nil {
		return err
	}
	entries, err := os.ReadDir(filepath.Join(t.dir, "objects"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !refs[e.Name()] {
			os.Remove(filepath.Join(t.dir, "objects", e.Name()))
		}
	}
	return nil
}

// Abort removes everything staged; the committed state is unchanged. It
// does nothing after Commit, so `defer tx.Abort()` is safe.
func (t *Tx) Abort() {
	if t.done {
		return
	}
	t.finish()
}

func (t *Tx) finish() {
	for _, p := range t.staged {
		os.Remove(p)
	}
	t.staged = nil
	t.done = true
	// Remove an entry directory that never got a manifest.
	if t.old == nil {
		if _, err := os.Stat(filepath.Join(t.dir, "manifest.json")); errors.Is(err, os.ErrNotExist) {
			os.Remove(filepath.Join(t.dir, "objects"))
			os.Remove(t.dir)
		}
	}
	t.lock.release()
}

// ReadVerified reads a whole file of at most size bytes from r and checks
// its size and SHA-256 (hex) before returning it.
// The buffer grows as data arrives beyond the first 64 MiB, so that a size
// claimed by a damaged manifest is never allocated up front.
func ReadVerified(r io.Reader, name string, size int64, sha string) ([]byte, error) {
	if size < 0 {
		return nil, &repo.SizeError{File: name, Want: size}
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(size, 64<<20)))
	n, err := io.Copy(buf, io.LimitReader(r, size+1))
	if err != nil {
		return nil, err
	}
	if n != size {
		return nil, &repo.SizeError{File: name, Want: size, Got: n}
	}
	sum := sha256.Sum256(buf.Bytes())
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, sha) {
		return nil, &repo.HashMismatchError{File: name, Algorithm: "SHA256", Want: sha, Got: got}
	}
	return buf.Bytes(), nil
}
