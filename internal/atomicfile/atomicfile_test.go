package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type failing struct{ n int }

func (f *failing) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("read failed")
	}
	f.n--
	return copy(p, "partial"), nil
}

func TestWriteFileKeepsOldOnError(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "f")
	if err := WriteFile(dest, strings.NewReader("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dest, &failing{n: 2}, 0o644); err == nil {
		t.Fatal("error not reported")
	}
	data, _ := os.ReadFile(dest)
	entries, _ := os.ReadDir(dir)
	if string(data) != "old" || len(entries) != 1 {
		t.Fatalf("content %q, %d entries (temporary file left?)", data, len(entries))
	}
	f, err := Create(dest, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if f.Abort() != nil || f.Commit() == nil {
		t.Fatal("Abort after Commit must be a no-op, a second Commit an error")
	}
	data, _ = os.ReadFile(dest)
	if string(data) != "new" {
		t.Fatalf("content %q", data)
	}
}
