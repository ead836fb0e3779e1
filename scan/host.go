package scan

import (
	"io/fs"
	"os"
)

// hostRoot is the live host's root file system.
func hostRoot() fs.FS { return os.DirFS("/") }
