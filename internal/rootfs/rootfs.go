// Package rootfs reads files of a root file system (an image, a chroot, a
// mounted disk, the live host) through io/fs, resolving symbolic links inside
// the root: an absolute link such as etc/os-release -> /usr/lib/os-release
// names a file of the root, never one of the machine the program runs on.
package rootfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// maxLinks bounds how many symbolic links one lookup follows, as the kernel's
// MAXSYMLINKS does.
const maxLinks = 40

// ErrTooLarge is returned (wrapped) by ReadFile for a file beyond its limit.
var ErrTooLarge = errors.New("file is larger than the limit")

// Resolve returns the path of name inside fsys with every symbolic link
// resolved relative to the root of fsys. ".." never leaves the root, as in a
// chroot. File systems that cannot report links (fs.ReadLinkFS) are trusted
// to resolve them themselves, and name is returned cleaned.
func Resolve(fsys fs.FS, name string) (string, error) {
	rl, ok := fsys.(fs.ReadLinkFS)
	if !ok {
		return path.Clean(name), nil
	}
	pending := splitPath(name)
	var done []string
	links := 0
	for len(pending) > 0 {
		elem := pending[0]
		pending = pending[1:]
		switch elem {
		case ".", "":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := strings.Join(append(done, elem), "/")
		fi, err := rl.Lstat(cur)
		if err != nil {
			// A missing element is reported by the caller's open, with
			// the path as far as it was resolved.
			return strings.Join(append(append(done, elem), pending...), "/"), nil
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = append(done, elem)
			continue
		}
		links++
		if links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: name, Err: errors.New("too many levels of symbolic links")}
		}
		target, err := rl.ReadLink(cur)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			done = done[:0]
		}
		pending = append(splitPath(target), pending...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return strings.Join(done, "/"), nil
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// ErrNotRegular is returned (wrapped) by ReadFile for a name that, after
// its links are resolved, is not a regular file: a directory, a named pipe,
// a socket or a device. Reading a FIFO would block until some other process
// writes to it, and a device such as /dev/zero never ends.
var ErrNotRegular = errors.New("not a regular file")

// notRegular says what a name is instead of a regular file.
type notRegular struct{ what string }

func (e notRegular) Error() string        { return "is " + e.what + ", not a regular file" }
func (e notRegular) Is(target error) bool { return target == ErrNotRegular }

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "an irregular file"
}

// readChunk is how much ReadFileContext reads between two looks at its
// context.
const readChunk = 64 << 10

// ReadFile reads name from fsys after resolving links inside the root; it is
// ReadFileContext without a context.
func ReadFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	return ReadFileContext(context.Background(), fsys, name, limit)
}

// ReadFileContext reads name from fsys after resolving links inside the root.
// Only a regular file is read: anything else fails with an error wrapping
// ErrNotRegular before it is opened, so a named pipe or a device in an image
// root cannot block or flood the reader. It fails with an error wrapping
// ErrTooLarge when the file holds more than limit bytes (a size the file
// system reports is checked before reading, and the bytes read are counted),
// and with fs.ErrNotExist when it is missing. ctx is checked before the file
// is opened and between chunks of reading.
//
// The type check uses fs.Stat, which opens the file on a file system that
// implements neither fs.StatFS nor fs.ReadLinkFS; os.DirFS and
// testing/fstest.MapFS implement both. A file swapped for a pipe between the
// check and the open is caught by a second check on the open file, but the
// open itself may then block: the check cannot be atomic through io/fs.
func ReadFileContext(ctx context.Context, fsys fs.FS, name string, limit int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := Resolve(fsys, name)
	if err != nil {
		return nil, err
	}
	fi, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: notRegular{kindOf(fi.Mode())}}
	}
	tooLarge := &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)}
	if fi.Size() > limit {
		return nil, tooLarge
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: notRegular{kindOf(fi.Mode())}}
	}
	// The reported size is a hint only (files of /proc report 0).
	hint := fi.Size() + 1
	if hint > limit+1 {
		hint = limit + 1
	}
	if hint > readChunk {
		hint = readChunk
	}
	b := make([]byte, 0, hint)
	r := io.LimitReader(f, limit+1)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		want := min(cap(b)-len(b), readChunk)
		n, err := r.Read(b[len(b) : len(b)+want])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
	}
	if int64(len(b)) > limit {
		return nil, tooLarge
	}
	return b, nil
}

// Exists reports whether name exists in fsys (after resolving links), and
// any error other than its absence.
func Exists(fsys fs.FS, name string) (bool, error) {
	p, err := Resolve(fsys, name)
	if err != nil {
		return false, err
	}
	_, err = fs.Stat(fsys, p)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}
