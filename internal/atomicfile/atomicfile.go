// Package atomicfile writes files so that a reader sees either the old
// content or the complete new content, never a partial file: data goes to a
// temporary file in the same directory, is synced, and is renamed over the
// destination; on any error the temporary file is removed.
package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// File is a pending write. Write to it, then Commit or Abort. Abort after
// Commit does nothing, so `defer f.Abort()` is safe.
type File struct {
	*os.File
	dest string
	done bool
}

// Create starts a write of dest (created with perm, before the umask).
func Create(dest string, perm os.FileMode) (*File, error) {
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, ".tmp-"+base+"-*")
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" {
		if err := f.Chmod(perm); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, err
		}
	}
	return &File{File: f, dest: dest}, nil
}

// Commit syncs the data and renames it over the destination, then syncs the
// directory so that the rename survives a crash.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: already committed or aborted")
	}
	f.done = true
	name := f.Name()
	if err := f.Sync(); err != nil {
		f.File.Close()
		os.Remove(name)
		return err
	}
	if err := f.File.Close(); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, f.dest); err != nil {
		os.Remove(name)
		return err
	}
	return SyncDir(filepath.Dir(f.dest))
}

// Abort removes the temporary file. It returns nil after Commit.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	name := f.Name()
	f.File.Close()
	return os.Remove(name)
}

// WriteFile writes all of r to dest atomically.
func WriteFile(dest string, r io.Reader, perm os.FileMode) error {
	f, err := Create(dest, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := io.Copy(f, r); err != nil {
		return err
	}
	return f.Commit()
}

// SyncDir fsyncs a directory (a no-op where directories cannot be synced).
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
