package osdetect

import "context"

// Detect identifies the running host: on Linux and macOS the root file
// system as DetectFS reads it, plus the machine architecture and the running
// kernel release from uname(2); on Windows the registry. ctx is checked
// before any work and before each file read.
func Detect(ctx context.Context) (OS, error) {
	if err := ctx.Err(); err != nil {
		return OS{}, err
	}
	return detectHost(ctx)
}
