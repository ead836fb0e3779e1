package rootfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLinksStayInRoot uses real symbolic links on disk: os.DirFS alone would
// follow an absolute link to the machine's own file.
func TestLinksStayInRoot(t *testing.T) {
	root := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	link := func(name, target string) {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.Symlink(target, p))
	}
	write("usr/lib/os-release", "ID=inside\n")
	link("etc/os-release", "/usr/lib/os-release")
	link("etc/escape", "../../../../../../etc/hostname")
	write("etc/hostname", "inside-host\n")
	link("etc/loop", "/etc/loop2")
	link("etc/loop2", "loop")
	link("lib", "usr/lib")
	link("etc/dir", "/lib")

	fsys := os.DirFS(root)
	b, err := ReadFile(fsys, "etc/os-release", 1024)
	require.NoError(t, err)
	assert.Equal(t, "ID=inside\n", string(b))

	b, err = ReadFile(fsys, "etc/escape", 1024)
	require.NoError(t, err)
	assert.Equal(t, "inside-host\n", string(b), ".. stops at the root")

	b, err = ReadFile(fsys, "etc/dir/os-release", 1024)
	require.NoError(t, err)
	assert.Equal(t, "ID=inside\n", string(b), "directory links resolve inside the root")

	_, err = ReadFile(fsys, "etc/loop", 1024)
	assert.ErrorContains(t, err, "too many levels of symbolic links")

	_, err = ReadFile(fsys, "etc/missing", 1024)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	_, err = ReadFile(fsys, "usr/lib/os-release", 4)
	assert.ErrorIs(t, err, ErrTooLarge)

	_, err = ReadFile(fsys, "usr/lib", 1024)
	assert.ErrorContains(t, err, "is a directory")

	ok, err := Exists(fsys, "etc/os-release")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = Exists(fsys, "etc/nothing")
	require.NoError(t, err)
	assert.False(t, ok)

	p, err := Resolve(fsys, "/etc/./os-release")
	require.NoError(t, err)
	assert.Equal(t, "usr/lib/os-release", p)
	// ".." after a link is taken in the link's target, as the kernel does:
	// etc/dir is usr/lib, so etc/dir/.. is usr.
	p, err = Resolve(fsys, "etc/dir/../lib/os-release")
	require.NoError(t, err)
	assert.Equal(t, "usr/lib/os-release", p)
}
