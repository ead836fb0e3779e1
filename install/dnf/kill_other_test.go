//go:build !unix

package dnf_test

import "errors"

// killProcessGroup is unix-only; the testbed runs on Linux.
func killProcessGroup(pid int) error { return errors.New("process groups are unix-only") }
