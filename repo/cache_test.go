package repo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/patchkit/patchkit/repo"
)

// The manifest is replaced, never rewritten in place: a reader that opened
// it before a commit reads the whole previous manifest, the new one is
// whole, and no temporary file is left. (Defence: the atomic write of the
// manifest in Tx.Commit; written in place, the open file shows the new
// content, or a cut one.)
func TestManifestReplacedAtomically(t *testing.T) {
	dir := t.TempDir()
	c := client(t, repo.WithCacheDir(dir))
	commit := func(gen int) {
		t.Helper()
		tx, err := c.Begin(context.Background(), "k")
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Abort()
		files := map[string]repo.ManifestEntry{}
		for i := range 200 {
			data := []byte(fmt.Sprintf("generation %d file %d\n", gen, i))
			sha, err := tx.Put(data)
			if err != nil {
				t.Fatal(err)
			}
			files[fmt.Sprintf("f%03d", i)] = repo.ManifestEntry{SHA256: sha, Size: int64(len(data))}
		}
		state, _ := json.Marshal(map[string]int{"Generation": gen})
		if err := tx.Commit(&repo.Manifest{Files: files, State: state}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "k", "manifest.json")
	commit(1)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	held, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	commit(2)
	got, err := io.ReadAll(held)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, before) {
		t.Fatalf("the manifest was rewritten in place: a reader of the old one got %d bytes of something else", len(got))
	}
	m, _, err := c.LoadManifest("k")
	var st struct{ Generation int }
	if err != nil || len(m.Files) != 200 || json.Unmarshal(m.State, &st) != nil || st.Generation != 2 {
		t.Fatalf("new manifest: %v %s", err, m.State)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "k"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"manifest.json", "objects"}) {
		t.Fatalf("entry directory holds %v", names)
	}
	objs, _ := os.ReadDir(filepath.Join(dir, "k", "objects"))
	if len(objs) != 200 {
		t.Fatalf("%d objects, want the 200 the new manifest names", len(objs))
	}
}
