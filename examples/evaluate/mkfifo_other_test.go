//go:build !unix

package main

import "errors"

// mkfifo: named pipes of this kind are a Unix thing.
func mkfifo(string) error { return errors.ErrUnsupported }
