//go:build linux || darwin

package osdetect

import (
	"os"

	"golang.org/x/sys/unix"
)

func detectHost() (OS, error) {
	o, err := DetectFS(os.DirFS("/"))
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
