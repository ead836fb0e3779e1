//go:build !linux && !darwin && !windows

package osdetect

import (
	"os"
	"runtime"
)

func detectHost() (OS, error) {
	o, err := DetectFS(os.DirFS("/"))
	if o.ID != "" {
		o.Arch = NormalizeArch(runtime.GOARCH)
	}
	return o, err
}
