package repocache

import (
	"context"
	"fmt"
	"os"

	"github.com/patchkit/patchkit/repo"
)

// Source gives the files of one repository's signed metadata by name
// ("InRelease", "Release.gpg", "repomd.xml", ...) to the one verification
// function of its format, wherever they come from: a mirror during an
// update, a committed cache entry, the host's apt lists.
type Source interface {
	// Read returns the file whole, refusing one larger than limit; a file
	// the source does not have is an error matching repo.ErrNotFound.
	Read(ctx context.Context, file string, limit int64) ([]byte, error)
}

// Committed is a Source over a committed cache entry: each file is read
// from its object and hashed again against the manifest.
type Committed struct {
	Manifest *Manifest
	Dir      string
	// Name prefixes file names in errors (the repository's name).
	Name string
}

// Read implements Source.
func (s *Committed) Read(ctx context.Context, file string, limit int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, ok := s.Manifest.Files[file]
	if !ok || e.SHA256 == "" {
		return nil, fmt.Errorf("%s: the cache has no %s: %w", s.Name, file, repo.ErrNotFound)
	}
	return ReadObject(s.Dir, e, s.Name+" "+file+" (cached)", limit)
}

// ReadObject reads the committed object of entry e in the entry directory
// dir, of at most limit bytes, and checks its size and SHA-256 against e.
func ReadObject(dir string, e ManifestEntry, name string, limit int64) ([]byte, error) {
	if e.Size > limit {
		return nil, &repo.TooLargeError{File: name, What: "cached file", Limit: limit}
	}
	f, err := os.Open(ObjectPath(dir, e.SHA256))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadVerified(f, name, e.Size, e.SHA256)
}
