//go:build linux || darwin

package osdetect

import (
	"context"
	"os"

	"golang.org/x/sys/unix"
)

func detectHost(ctx context.Context) (OS, error) {
	o, err := DetectFSContext(ctx, os.DirFS("/"))
	if o.ID == "" {
		return o, err
	}
	var u unix.Utsname
	if uerr := unix.Uname(&u); uerr == nil {
		o.Arch = NormalizeArch(unix.ByteSliceToString(u.Machine[:]))
		o.KernelRelease = unix.ByteSliceToString(u.Release[:])
		o.Sources = append(o.Sources, "uname(2)")
	} else if err == nil {
		err = uerr
	}
	return o, err
}
