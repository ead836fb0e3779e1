// Package rootfs reads files of a root file system (an image, a chroot, a
// mounted disk, the live host) through io/fs, resolving symbolic links inside
// the root: an absolute link such as etc/os-release -> /usr/lib/os-release
// names a file of the root, never one of the machine the program runs on.
package rootfs

import (
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

// ReadFile reads name from fsys after resolving links inside the root. It
// fails with an error wrapping ErrTooLarge when the file holds more than
// limit bytes, and with fs.ErrNotExist when it is missing.
func ReadFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	p, err := Resolve(fsys, name)
	if err != nil {
		return nil, err
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)}
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
