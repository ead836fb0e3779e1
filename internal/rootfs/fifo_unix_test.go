//go:build unix

package rootfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadFileFIFO uses a real named pipe reached through a link: opening it
// for reading would block until a writer comes. The test fails, rather than
// hangs, if ReadFile blocks: after the deadline it opens the pipe for
// writing, which releases the blocked reader.
func TestReadFileFIFO(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	fifo := filepath.Join(root, "usr-os-release")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	require.NoError(t, os.Symlink("/usr-os-release", filepath.Join(root, "etc/os-release")))

	done := make(chan error, 1)
	go func() {
		_, err := ReadFile(os.DirFS(root), "etc/os-release", 1024)
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, ErrNotRegular)
		assert.ErrorContains(t, err, "is a named pipe (FIFO), not a regular file")
	case <-time.After(20 * time.Second):
		w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			w.Close()
		}
		<-done
		t.Fatal("ReadFile blocked on a named pipe")
	}
}
