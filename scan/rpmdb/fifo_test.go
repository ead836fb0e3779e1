//go:build unix

package rpmdb

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNotARegularFile: a FIFO where the database should be is an error at
// once, never a read that blocks.
func TestNotARegularFile(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "var/lib/rpm"), 0o755))
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "var/lib/rpm/Packages"), 0o644))
	done := make(chan error, 1)
	go func() { _, _, err := Read(context.Background(), os.DirFS(root)); done <- err }()
	select {
	case err := <-done:
		var de *DatabaseError
		require.ErrorAs(t, err, &de)
		assert.Contains(t, err.Error(), "not a regular file")
	case <-time.After(10 * time.Second):
		t.Fatal("Read blocked on a FIFO")
	}
}
