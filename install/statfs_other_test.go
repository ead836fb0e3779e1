//go:build !unix

package install

import "errors"

type syscallStatfs struct{ free int64 }

func statfs(path string, st *syscallStatfs) error { return errors.New("unix only") }
