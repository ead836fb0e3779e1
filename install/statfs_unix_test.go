//go:build unix

package install

import "golang.org/x/sys/unix"

type syscallStatfs struct{ free int64 }

// statfs gives the free bytes of the file system at path.
func statfs(path string, st *syscallStatfs) error {
	var s unix.Statfs_t
	if err := unix.Statfs(path, &s); err != nil {
		return err
	}
	st.free = int64(s.Bavail) * int64(s.Bsize)
	return nil
}
