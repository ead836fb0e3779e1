package rootfs

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

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

// TestReadFileOnlyRegular checks that what is not a regular file after its
// links are resolved is refused before it is opened.
func TestReadFileOnlyRegular(t *testing.T) {
	fsys := fstest.MapFS{
		"dev/zero":       {Mode: fs.ModeDevice | fs.ModeCharDevice},
		"dev/sda":        {Mode: fs.ModeDevice},
		"run/socket":     {Mode: fs.ModeSocket},
		"etc/pipe":       {Mode: fs.ModeNamedPipe},
		"etc/os-release": {Data: []byte("/dev/zero"), Mode: fs.ModeSymlink},
		"etc/dir/file":   {Data: []byte("x")},
		"etc/odd":        {Mode: fs.ModeIrregular},
	}
	for name, what := range map[string]string{
		"dev/zero":       "a character device",
		"dev/sda":        "a block device",
		"run/socket":     "a socket",
		"etc/pipe":       "a named pipe (FIFO)",
		"etc/os-release": "a character device",
		"etc/dir":        "a directory",
		"etc/odd":        "an irregular file",
	} {
		_, err := ReadFile(fsys, name, 1024)
		require.ErrorIs(t, err, ErrNotRegular, name)
		assert.EqualError(t, err, "read "+name+": is "+what+", not a regular file")
		var pe *fs.PathError
		assert.ErrorAs(t, err, &pe, name)
	}
}

// sizeFS reports every file's size as 0, as /proc does, so that only the
// count of bytes read can find a file too large.
type sizeFS struct{ fstest.MapFS }

type zeroSizeFile struct{ fs.File }
type zeroSizeInfo struct{ fs.FileInfo }

func (zeroSizeInfo) Size() int64 { return 0 }
func (f zeroSizeFile) Stat() (fs.FileInfo, error) {
	fi, err := f.File.Stat()
	return zeroSizeInfo{fi}, err
}
func (s sizeFS) Open(name string) (fs.File, error) {
	f, err := s.MapFS.Open(name)
	if err != nil {
		return nil, err
	}
	return zeroSizeFile{f}, nil
}
func (s sizeFS) Stat(name string) (fs.FileInfo, error) {
	fi, err := s.MapFS.Stat(name)
	if err != nil {
		return nil, err
	}
	return zeroSizeInfo{fi}, nil
}

func TestReadFileLimitCountsBytes(t *testing.T) {
	data := []byte(strings.Repeat("0123456789", 30000)) // 300,000 bytes, several chunks
	fsys := sizeFS{fstest.MapFS{"proc/big": {Data: data}}}
	b, err := ReadFile(fsys, "proc/big", int64(len(data)))
	require.NoError(t, err)
	assert.Equal(t, data, b, "a size of 0 is only a hint")
	_, err = ReadFile(fsys, "proc/big", int64(len(data))-1)
	assert.ErrorIs(t, err, ErrTooLarge)
	_, err = ReadFile(fstest.MapFS{"big": {Data: data}}, "big", 10)
	assert.ErrorIs(t, err, ErrTooLarge, "the reported size is refused before reading")
}

// cancelFS cancels a context on the first read of any file.
type cancelFS struct {
	fstest.MapFS
	cancel context.CancelFunc
}

type cancelFile struct {
	fs.File
	cancel context.CancelFunc
}

func (f cancelFile) Read(p []byte) (int, error) {
	f.cancel()
	return f.File.Read(p)
}
func (c cancelFS) Open(name string) (fs.File, error) {
	f, err := c.MapFS.Open(name)
	if err != nil {
		return nil, err
	}
	return cancelFile{f, c.cancel}, nil
}

func TestReadFileContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fsys := fstest.MapFS{"etc/os-release": {Data: []byte("ID=x\n")}}
	_, err := ReadFileContext(ctx, fsys, "etc/os-release", 1024)
	assert.ErrorIs(t, err, context.Canceled, "checked before opening")

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	big := cancelFS{fstest.MapFS{"var/big": {Data: make([]byte, 4*readChunk)}}, cancel}
	_, err = ReadFileContext(ctx, big, "var/big", 8*readChunk)
	assert.ErrorIs(t, err, context.Canceled, "checked between chunks")

	b, err := ReadFileContext(context.Background(), fsys, "etc/os-release", 1024)
	require.NoError(t, err)
	assert.Equal(t, "ID=x\n", string(b))
}
