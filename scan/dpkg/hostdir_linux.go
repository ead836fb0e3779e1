//go:build linux

package dpkg

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// hostDir looks names up in a directory of the host's file system with
// one fstatat system call relative to the directory's descriptor: no
// path to check, join or walk (golang.org/x/sys/unix.Fstatat). Read uses it for
// the file lists when the file system is an os.DirFS, whose Lstat of
// DIR/NAME answers the same from the same directory; any answer but a
// file that is not a symbolic link, or a missing file, is left to the
// file system (see infoTimes.lookup). A hostDir is used by one goroutine
// at a time (see twin).
type hostDir struct {
	f  *os.File
	rc syscall.RawConn
	// While within runs: the descriptor, or -1.
	fd uintptr
	// The lookup: the name and the answer.
	name []byte
	st   unix.Stat_t
}

// openHostDir opens dir of fsys for lookups, or returns nil when fsys is
// not an os.DirFS or the directory cannot be opened (the file system
// then answers, with its own errors).
func openHostDir(fsys fs.FS, dir string) *hostDir {
	if !isDirFS(fsys) {
		return nil
	}
	f, err := fsys.Open(dir)
	if err != nil {
		return nil
	}
	osf, ok := f.(*os.File)
	if !ok {
		f.Close()
		return nil
	}
	rc, err := osf.SyscallConn()
	if err != nil {
		osf.Close()
		return nil
	}
	return &hostDir{f: osf, rc: rc, fd: ^uintptr(0), name: make([]byte, 0, 256)}
}

// within calls f with the directory's descriptor held for listMtime. It
// reports false, without calling f, when the descriptor is not usable.
func (h *hostDir) within(f func()) bool {
	err := h.rc.Control(func(fd uintptr) {
		h.fd = fd
		defer func() { h.fd = ^uintptr(0) }()
		f()
	})
	return err == nil
}

// listMtime, called by a function that within runs, returns the
// modification time, in seconds since 1970, of the file list PKG.list,
// or PKG:ARCH.list when arch is not empty, when it is there and is not a
// symbolic link (found), or reports that it is missing (ok without
// found). For anything else ok is false.
func (h *hostDir) listMtime(pkg, arch string) (mod int64, found, ok bool) {
	if h.fd == ^uintptr(0) {
		return 0, false, false
	}
	h.name = append(h.name[:0], pkg...)
	if arch != "" {
		h.name = append(append(h.name, ':'), arch...)
	}
	h.name = append(h.name, ".list"...)
	err := unix.Fstatat(int(h.fd), string(h.name), &h.st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == unix.ENOENT:
		return 0, false, true
	case err != nil, h.st.Mode&unix.S_IFMT == unix.S_IFLNK:
		return 0, false, false
	}
	return int64(h.st.Mtim.Sec), true, true
}

// twin returns a hostDir on the same directory for another goroutine;
// closing h closes both.
func (h *hostDir) twin() *hostDir {
	if h == nil {
		return nil
	}
	return &hostDir{f: h.f, rc: h.rc, fd: ^uintptr(0), name: make([]byte, 0, 256)}
}

func (h *hostDir) close() {
	if h != nil {
		h.f.Close()
	}
}
