//go:build unix

package install

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/patchkit/patchkit/install/plan"
)

// ErrBusy is returned when another patchkit operation holds the node.
var ErrBusy = errors.New("install: another patchkit operation is running on this node")

// lockNode takes the node's operation lock (root/var/lib/patchkit/
// operation.lock, flock, not waiting) and returns its release.
func lockNode(root string) (func(), error) {
	dir := filepath.Join(root+"/", "var/lib/patchkit")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("install: operation lock: %w", err)
	}
	path := filepath.Join(dir, "operation.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("install: operation lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrBusy, path)
		}
		return nil, fmt.Errorf("install: operation lock %s: %w", path, err)
	}
	return func() {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}

// checkSpace compares what the plan needs (download and installed size)
// with the free space of the root's file system.
func checkSpace(root string, p plan.Plan) error {
	need := max(p.DownloadSize, 0) + max(p.InstalledSizeChange, 0)
	if need == 0 {
		return nil
	}
	var st unix.Statfs_t
	dir := root + "/"
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("install: free space of %s: %w", dir, err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	if free < need {
		return fmt.Errorf("%w: %s has %d bytes free, the plan needs %d (download %d, installed size change %d)",
			plan.ErrInsufficientSpace, dir, free, need, p.DownloadSize, p.InstalledSizeChange)
	}
	return nil
}
