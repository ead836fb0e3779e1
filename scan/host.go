package scan

import (
	"errors"
	"io/fs"
	"os"

	"github.com/patchkit/patchkit/internal/rootfs"
)

// hostRoot is the live host's root file system.
func hostRoot() fs.FS { return os.DirFS("/") }

// hostContainer fills the container facts of the live host whose root is
// fsys: process 1's container= variable (reading another process's
// environment needs the right to trace it, so an unreadable one is listed
// in Unread rather than guessed) and KUBERNETES_SERVICE_HOST of this
// process.
func hostContainer(fsys fs.FS, f *HostFacts) {
	b, err := rootfs.ReadFile(fsys, "proc/1/environ", 1<<20)
	switch {
	case err == nil:
		f.ContainerManager = environContainer(b)
	case errors.Is(err, fs.ErrNotExist):
	default:
		f.Unread = append(f.Unread, "proc/1/environ: "+errorReason(err))
	}
	_, f.Kubernetes = os.LookupEnv("KUBERNETES_SERVICE_HOST")
}

// errorReason is err's message without the path an *fs.PathError repeats.
func errorReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
