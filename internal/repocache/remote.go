package repocache

import (
	"bytes"
	"context"
	"errors"
	"log/slog"

	"github.com/patchkit/patchkit/repo"
)

// Remote is a Source over one mirror during an update: each file is
// fetched from Base+name, conditionally when the cache holds a copy from
// the same URL (an unchanged file is then read back from the cache and
// hashed again; a damaged or missing copy is fetched whole). What it read
// is kept, to be staged with Stage once the verification accepted it.
type Remote struct {
	Client *repo.Client
	Tx     *Tx
	Base   string
	// Cached are the entries of the committed manifest (nil when none).
	Cached map[string]ManifestEntry

	got map[string]remoteFile
}

type remoteFile struct {
	data []byte
	ent  ManifestEntry
}

// Read implements Source.
func (s *Remote) Read(ctx context.Context, file string, limit int64) ([]byte, error) {
	url := s.Base + file
	cached := s.Cached[file]
	var cond *repo.Conditional
	if cached.URL == url && cached.SHA256 != "" && cached.Size <= limit && (cached.ETag != "" || cached.LastModified != "") {
		cond = &repo.Conditional{ETag: cached.ETag, LastModified: cached.LastModified}
	}
	var buf bytes.Buffer
	f, err := s.Client.Fetch(ctx, url, limit, &buf, cond)
	if err != nil {
		return nil, err
	}
	if f.NotModified {
		if o, err := s.Tx.OpenObject(cached.SHA256); err == nil {
			data, rerr := ReadVerified(o, url+" (cached)", cached.Size, cached.SHA256)
			o.Close()
			if rerr == nil {
				s.keep(file, data, cached)
				return data, nil
			}
		}
		// The cached copy is gone or damaged: fetch it whole.
		buf.Reset()
		if f, err = s.Client.Fetch(ctx, url, limit, &buf, nil); err != nil {
			return nil, err
		}
	}
	s.keep(file, buf.Bytes(), ManifestEntry{URL: f.URL, ETag: f.ETag, LastModified: f.LastModified, Size: int64(buf.Len())})
	return buf.Bytes(), nil
}

func (s *Remote) keep(file string, data []byte, ent ManifestEntry) {
	if s.got == nil {
		s.got = map[string]remoteFile{}
	}
	s.got[file] = remoteFile{data: data, ent: ent}
}

// Stage stages the files that were read and returns their manifest
// entries. Call it only with the files the verification accepted.
func (s *Remote) Stage(files []string) (map[string]ManifestEntry, error) {
	out := make(map[string]ManifestEntry, len(files))
	for _, f := range files {
		got := s.got[f]
		sha, err := s.Tx.Put(got.data)
		if err != nil {
			return nil, err
		}
		got.ent.SHA256 = sha
		out[f] = got.ent
	}
	return out, nil
}

// FirstAccepted runs verify on a Remote for each base URL in turn (after
// suffix) and returns the first result it accepts with its Remote, from
// which the accepted files are then staged; each refusal is logged as
// what was not accepted. When every mirror is refused, the error is the
// one refusal, or all of them joined.
func FirstAccepted[T any](c *repo.Client, tx *Tx, bases []string, suffix string, cached map[string]ManifestEntry,
	log *slog.Logger, what string, verify func(*Remote) (T, error)) (T, *Remote, error) {
	var errs []error
	for _, b := range bases {
		src := &Remote{Client: c, Tx: tx, Base: b + suffix, Cached: cached}
		v, err := verify(src)
		if err == nil {
			return v, src, nil
		}
		log.Warn(what+" not accepted; the cache is kept", "url", b, "err", err)
		errs = append(errs, err)
	}
	var zero T
	if len(errs) == 1 {
		return zero, nil, errs[0]
	}
	return zero, nil, errors.Join(errs...)
}
