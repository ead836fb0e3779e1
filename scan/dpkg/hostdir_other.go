//go:build !linux

package dpkg

import "io/fs"

// hostDir is a directory of the host's file system looked up directly;
// on this platform the file system is always asked (see hostdir_linux.go).
type hostDir struct{}

func openHostDir(fs.FS, string) *hostDir { return nil }

func (*hostDir) within(func()) bool { return false }

func (*hostDir) listMtime(string, string) (mod int64, found, ok bool) { return 0, false, false }

func (*hostDir) twin() *hostDir { return nil }

func (*hostDir) close() {}
