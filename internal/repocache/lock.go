package repocache

import (
	"context"
	"os"
	"time"
)

// fileLock is an exclusive lock on a cache entry, held through an
// operating-system lock on a lock file (released by the system if the
// process dies). The holder removes the file when it lets go; a waiter
// that then gets the lock on the removed file sees that the path no longer
// names it, and tries again.
type fileLock struct {
	f    *os.File
	path string
}

// lockFile takes the lock at path, polling until it is free or ctx ends.
func lockFile(ctx context.Context, path string) (*fileLock, error) {
	wait := time.Millisecond
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		if ok {
			held, err1 := f.Stat()
			named, err2 := os.Stat(path)
			if err1 == nil && err2 == nil && os.SameFile(held, named) {
				return &fileLock{f: f, path: path}, nil
			}
			unlock(f)
		}
		f.Close()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// release removes the lock file and lets go of the lock.
func (l *fileLock) release() {
	// Removed while still held, so that nobody takes a lock on a file that
	// is about to go. (Windows refuses to remove an open file; the file is
	// then left for the next holder.)
	os.Remove(l.path)
	unlock(l.f)
	l.f.Close()
}
