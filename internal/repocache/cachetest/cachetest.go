// Package cachetest changes a repository cache behind the client's back,
// for tests of the checks that catch it.
package cachetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchkit/patchkit/internal/repocache"
)

// Manifest reads the manifest of the only repository in the cache
// directory dir, and returns it with its path.
func Manifest(t testing.TB, dir string) (*repocache.Manifest, string) {
	t.Helper()
	ms, _ := filepath.Glob(filepath.Join(dir, "*", "manifest.json"))
	if len(ms) != 1 {
		t.Fatalf("manifests %v", ms)
	}
	var m repocache.Manifest
	data, err := os.ReadFile(ms[0])
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &m, ms[0]
}

// EditManifest changes the manifest of the only repository in the cache
// directory dir with edit, and writes it back; objects is what edit adds
// as objects of the entry (stored under their SHA-256), for tests of a
// cache changed behind the client's back.
func EditManifest(t testing.TB, dir string, edit func(m *repocache.Manifest), objects ...[]byte) {
	t.Helper()
	m, path := Manifest(t, dir)
	for _, data := range objects {
		if err := os.WriteFile(repocache.ObjectPath(filepath.Dir(path), Entry(data).SHA256), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit(m)
	data, _ := json.Marshal(m)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Entry is the manifest entry of data: its SHA-256 and size.
func Entry(data []byte) repocache.ManifestEntry {
	sum := sha256Sum(data)
	return repocache.ManifestEntry{SHA256: sum, Size: int64(len(data))}
}

func sha256Sum(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
