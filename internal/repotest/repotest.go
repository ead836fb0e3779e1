// Package repotest serves repository fixtures over HTTP for tests, with
// per-path overrides (other bytes, a status, a slow or endless body), and
// fingerprints cache directories so a test can show they did not change.
package repotest

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Fixtures returns the absolute path of testdata/repo of the module.
func Fixtures(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "repo")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return dir
}

// Server serves a directory tree, with overrides.
type Server struct {
	*httptest.Server
	mu        sync.Mutex
	root      string
	overrides map[string]http.HandlerFunc
	hits      map[string]int
	// Conditional makes the server answer conditional requests (304); by
	// default it ignores them, so that switching the root always serves
	// the new files.
	Conditional bool
}

// Serve starts a server for root (a directory); it stops at the end of the
// test.
func Serve(t testing.TB, root string) *Server {
	t.Helper()
	s := &Server{root: root, overrides: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// ServeTLS is Serve over https (the client must trust s.Client()).
func ServeTLS(t testing.TB, root string) *Server {
	t.Helper()
	s := &Server{root: root, overrides: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	h := s.overrides[r.URL.Path]
	root := s.root
	s.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	p := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/")))
	if !strings.HasPrefix(p, root) {
		http.NotFound(w, r)
		return
	}
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() {
		http.NotFound(w, r)
		return
	}
	if !s.Conditional {
		r.Header.Del("If-Modified-Since")
		r.Header.Del("If-None-Match")
	}
	http.ServeFile(w, r, p)
}

// SetRoot switches the served directory.
func (s *Server) SetRoot(root string) {
	s.mu.Lock()
	s.root = root
	s.mu.Unlock()
}

// Handle overrides one path.
func (s *Server) Handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	s.overrides[path] = h
	s.mu.Unlock()
}

// Bytes overrides one path with fixed content.
func (s *Server) Bytes(path string, data []byte) {
	s.Handle(path, func(w http.ResponseWriter, r *http.Request) { w.Write(data) })
}

// Status overrides one path with a status code.
func (s *Server) Status(path string, code int) {
	s.Handle(path, func(w http.ResponseWriter, r *http.Request) { http.Error(w, http.StatusText(code), code) })
}

// Reset removes every override.
func (s *Server) Reset() {
	s.mu.Lock()
	s.overrides = map[string]http.HandlerFunc{}
	s.mu.Unlock()
}

// Hits returns how often path was requested.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// TreeHash fingerprints every file and directory under dir (names, modes
// of directories, contents), so that "the cache was left as it was" is a
// comparison of two strings.
func TreeHash(t testing.TB, dir string) string {
	t.Helper()
	h := sha256.New()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, p := range names {
		rel, _ := filepath.Rel(dir, p)
		io.WriteString(h, rel+"\x00")
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.IsDir() {
			io.WriteString(h, "dir\x00")
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(h, f)
		f.Close()
		io.WriteString(h, "\x00")
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Files lists the regular files under dir, relative and sorted.
func Files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// CopyDir copies a directory tree (for tests that change a fixture).
func CopyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
