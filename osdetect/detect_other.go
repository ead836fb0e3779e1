//go:build !linux && !darwin && !windows

package osdetect

import (
	"context"
	"os"
	"runtime"
)

func detectHost(ctx context.Context) (OS, error) {
	o, err := DetectFSContext(ctx, os.DirFS("/"))
	if o.ID != "" {
		o.Arch = NormalizeArch(runtime.GOARCH)
	}
	return o, err
}
