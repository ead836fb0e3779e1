//go:build unix

package osdetect

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDetectFSFIFO puts a real named pipe at etc/os-release, as a hostile or
// broken image can: opening it for reading blocks until a writer comes.
// DetectFS must pass over it to usr/lib/os-release. The test fails, rather
// than hangs, if DetectFS blocks: after the deadline it opens the pipe for
// writing, which releases the blocked reader.
func TestDetectFSFIFO(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/lib"), 0o755))
	fifo := filepath.Join(root, "etc/os-release")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "usr/lib/os-release"), []byte("ID=debian\nVERSION_ID=\"12\"\n"), 0o644))

	type result struct {
		o   OS
		err error
	}
	done := make(chan result, 1)
	go func() {
		o, err := DetectFS(os.DirFS(root))
		done <- result{o, err}
	}()
	select {
	case r := <-done:
		require.NoError(t, r.err)
		assert.Equal(t, "Debian12", r.o.Product())
		assert.Equal(t, []string{"usr/lib/os-release"}, r.o.Sources)
		assert.Equal(t, []string{"etc/os-release:0: is a named pipe (FIFO), not a regular file"}, ignoredLines(r.o))
	case <-time.After(20 * time.Second):
		w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			w.Close()
		}
		<-done
		t.Fatal("DetectFS blocked on a named pipe at etc/os-release")
	}
}
