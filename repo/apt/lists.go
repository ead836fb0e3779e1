package apt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"slices"
	"strings"

	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/repo"
)

// ListsFileName returns the name apt gives the file at uri in its lists
// directory (apt's URItoFileName): the URI without scheme and
// credentials, unsafe characters percent-encoded, '/' replaced by '_'.
func ListsFileName(uri string) string {
	u, err := url.Parse(uri)
	s := uri
	if err == nil && u.Host != "" {
		s = u.Host + u.EscapedPath()
		if p, err := url.PathUnescape(u.EscapedPath()); err == nil {
			s = u.Host + p
		}
	} else if i := strings.Index(uri, "://"); i >= 0 {
		s = uri[i+3:]
	} else if i := strings.Index(uri, ":"); i >= 0 {
		s = uri[i+1:]
	}
	const bad = "\\|{}[]<>\"^~_=!@#$%^&*"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(bad, c) >= 0 {
			fmt.Fprintf(&b, "%%%02x", c)
			continue
		}
		if c == '/' {
			c = '_'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// listsBase is the URI under which apt files a repository's Release and
// indexes in its lists directory (the directory its metaindex URIs start
// with): the URI with a '/' added when it has none, then dists/SUITE/; for
// a flat repository the path as written in the source, which apt does not
// clean ("./" stays: the lists file is HOST_._InRelease, "sub/" gives
// HOST_PATH_sub_InRelease), and nothing for the path "/". The network
// path (distBase) fetches the same files from the cleaned URL.
func listsBase(uri, suite string) string {
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	switch {
	case suite == "/":
		return uri
	case strings.HasSuffix(suite, "/"):
		return uri + suite
	}
	return uri + "dists/" + suite + "/"
}

// listsSource reads a repository's files from an apt lists directory.
type listsSource struct {
	fsys   fs.FS
	prefix string
	name   string
}

func (l *listsSource) Read(ctx context.Context, file string, limit int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := rootfs.ReadFile(l.fsys, l.prefix+file, limit)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("apt: %s: no %s in the lists directory: %w", l.name, file, repo.ErrNotFound)
	}
	return data, err
}

// OpenLists reads r's metadata from an apt lists directory (such as the
// host's /var/lib/apt/lists, given as an fs.FS), as apt stored it, with
// the checks Update and Open apply, at pol's time and limits (no network
// client is needed): the InRelease (or Release and Release.gpg) is
// verified against r.Keyring and checked for freshness, and each Packages
// file, in whatever compression apt kept it (lz4 on hosts with
// Acquire::GzipIndexes), is checked against the size and checksum the
// signed Release gives for it before any record is returned: the stored
// file's own entry when the Release lists it (checked before it is
// decompressed), else the uncompressed file's entry (the file is then
// decompressed, hashed and parsed in one pass, and its records are kept
// back until the checksum matched). Without r.Architectures, the
// architectures whose lists are present are read; when there are none,
// r.Architectures is required. A flat repository (Suite "./", "sub/")
// is found under the names apt gives its files, which keep the path as
// written ("HOST_._InRelease", "HOST_._Packages"), and has one Packages
// file whatever the architectures. A lists directory keeps no record of
// what was accepted before, so there is no rollback or downgrade check. An
// index the Release lists for a configured component and architecture
// that the directory does not hold is a *NotDownloadedError.
func OpenLists(ctx context.Context, pol repo.Policy, lists fs.FS, r Repo) (*Snapshot, error) {
	if err := checkRepo("apt.OpenLists", lists == nil, r); err != nil {
		return nil, err
	}
	if err := pol.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	src := &listsSource{fsys: lists, prefix: ListsFileName(listsBase(r.URI, r.Suite)), name: r.Name()}
	vr, err := verifyRelease(ctx, src, r, pol, pol.Time(), nil)
	if err != nil {
		return nil, err
	}
	rr := r
	if len(rr.Architectures) == 0 && !rr.Flat() {
		rr.Architectures = listedArchs(lists, src.prefix, r.Components)
		if len(rr.Architectures) == 0 {
			return nil, noArchitectures(r)
		}
	}
	idx, skipped, err := selectIndexes(vr.rel, rr)
	if err != nil {
		return nil, err
	}
	// Keep the indexes apt has a file for. A configured one the Release
	// lists but apt has no file for (apt-get update has not fetched it, or
	// failed to) makes the repository unreadable: what it offers is not
	// known. binary-all is fetched only when asked for, and apt stores no
	// file for an index the Release says is empty.
	var have []Index
	var missing []string
	for _, ix := range idx {
		base := strings.TrimSuffix(ix.Path, extOf(ix.Path))
		if f := findListsFile(lists, src.prefix+strings.ReplaceAll(base, "/", "_")); f != "" {
			have = append(have, ix)
		} else if !(ix.Architecture == "all" && !slices.Contains(r.Architectures, "all")) && !emptyIndex(ix) {
			missing = append(missing, base)
		}
	}
	if len(missing) > 0 {
		return nil, &NotDownloadedError{Repo: r.Name(), Indexes: missing}
	}
	snap := newSnapshot(rr, vr, pol)
	snap.Indexes, snap.Skipped, snap.lists = have, skipped, src
	return snap, nil
}

func extOf(p string) string {
	ext, _ := repocache.CompressionExt(p)
	return ext
}

func listedArchs(lists fs.FS, prefix string, comps []string) []string {
	entries, err := fs.ReadDir(lists, ".")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		for _, comp := range comps {
			p := prefix + strings.ReplaceAll(comp, "/", "_") + "_binary-"
			if !strings.HasPrefix(n, p) {
				continue
			}
			rest := n[len(p):]
			arch, tail, ok := strings.Cut(rest, "_")
			if !ok || !strings.HasPrefix(tail, "Packages") || arch == "all" {
				continue
			}
			if !slices.Contains(out, arch) {
				out = append(out, arch)
			}
		}
	}
	slices.Sort(out)
	return out
}

// findListsFile returns the name of the stored Packages file for base, in
// whichever compression apt kept it.
func findListsFile(lists fs.FS, base string) string {
	for _, ext := range []string{"", ".lz4", ".gz", ".xz", ".zst", ".bz2"} {
		if ok, _ := rootfs.Exists(lists, base+ext); ok {
			return base + ext
		}
	}
	return ""
}

func (l *listsSource) packages(ctx context.Context, s *Snapshot, ix Index, st *readState, yield func(Package, error) bool) bool {
	base := strings.TrimSuffix(ix.Path, extOf(ix.Path))
	file := findListsFile(l.fsys, l.prefix+strings.ReplaceAll(base, "/", "_"))
	name := s.Name() + " " + base
	if file == "" {
		return yield(Package{}, fmt.Errorf("%s: lists file gone: %w", name, repo.ErrNotFound))
	}
	rel := s.Release
	plain, okPlain := rel.Files[base]
	okPlain = okPlain && plain.SHA256 != ""
	storedExt := extOf(file)
	variant, okVariant := rel.Files[base+storedExt]
	okVariant = okVariant && storedExt != "" && variant.SHA256 != ""
	limit := s.maxFile()
	f, err := l.fsys.Open(file)
	if err != nil {
		return yield(Package{}, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		// A FIFO or a device would block or never end.
		f.Close()
		if err == nil {
			err = &fs.PathError{Op: "read", Path: file, Err: errors.New("not a regular file")}
		}
		return yield(Package{}, err)
	}
	var (
		src  io.Reader
		cr   *capReader
		want repocache.Expect
		hold bool
	)
	switch format, _ := decompress.FromName(file); {
	case okVariant:
		// The Release lists the stored file itself: its size and SHA-256
		// are checked before it is decompressed, and its records are
		// returned as they are read; the uncompressed size and checksum,
		// when listed too, are checked at its end. A stored file that
		// is not the listed one (apt may recompress what it downloads)
		// is read as below, against the uncompressed entry.
		raw, err := readWhole(f, name+storedExt, limit)
		if err != nil {
			return yield(Package{}, err)
		}
		verr := checkRaw(raw, name+storedExt, variant)
		switch {
		case verr == nil:
			if okPlain {
				want = repocache.Expect{Size: plain.Size, Algorithm: "SHA256", Sum: plain.SHA256}
			}
		case okPlain:
			want, hold = repocache.Expect{Size: plain.Size, Algorithm: "SHA256", Sum: plain.SHA256}, true
		default:
			return yield(Package{}, verr)
		}
		src = bytes.NewReader(raw)
	case okPlain:
		// Only the uncompressed file is listed (apt's lz4 lists):
		// decompression, the checksum of its output and parsing run
		// together, and no record is returned before the checksum
		// matched.
		want, hold = repocache.Expect{Size: plain.Size, Algorithm: "SHA256", Sum: plain.SHA256}, true
		if format == decompress.XZ {
			// The xz reader wants its input whole.
			raw, err := readWhole(f, name+storedExt, limit)
			if err != nil {
				return yield(Package{}, err)
			}
			src = bytes.NewReader(raw)
		} else {
			defer f.Close()
			cr = &capReader{r: f, left: limit, limit: limit, file: name + storedExt}
			src = cr
		}
	default:
		f.Close()
		return yield(Package{}, &repo.HashMismatchError{File: name + storedExt})
	}
	dr, err := repocache.DecompressReader(file, src, limit, want)
	if err != nil {
		return yield(Package{}, err)
	}
	if cr != nil {
		dr = &capErr{ReadCloser: dr, cap: cr}
	}
	more, _ := st.stream(ctx, dr, name, hold, want.Size, yield)
	return more
}

// checkRaw checks stored bytes against their Release entry.
func checkRaw(raw []byte, name string, fi FileInfo) error {
	if int64(len(raw)) != fi.Size {
		return &repo.SizeError{File: name, Want: fi.Size, Got: int64(len(raw))}
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != fi.SHA256 {
		return &repo.HashMismatchError{File: name, Algorithm: "SHA256", Want: fi.SHA256, Got: got}
	}
	return nil
}

// capErr reports the stored file's size limit as such, rather than as the
// decompressor's view of a failed read.
type capErr struct {
	io.ReadCloser
	cap *capReader
}

func (c *capErr) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if err != nil && err != io.EOF && c.cap.err != nil {
		err = c.cap.err
	}
	return n, err
}

// readWhole reads and closes an open lists file; one larger than limit is
// a *repo.TooLargeError.
func readWhole(f fs.File, name string, limit int64) ([]byte, error) {
	raw, err := readFile(f, limit)
	f.Close()
	if err == nil && int64(len(raw)) > limit {
		err = &repo.TooLargeError{File: name, What: "lists file", Limit: limit}
	}
	return raw, err
}

// readFile reads an open file whole, sized by its Stat, at most limit+1
// bytes.
func readFile(f fs.File, limit int64) ([]byte, error) {
	size := int64(64 << 10)
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		size = min(fi.Size(), limit) + 1
	}
	buf := make([]byte, 0, size)
	for int64(len(buf)) <= limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):min(int64(cap(buf)), limit+1)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// NotDownloadedError reports indexes that a repository's Release lists for
// the configured components and architectures but that apt's lists
// directory does not hold: apt-get update has not fetched them (or failed
// to), so what the repository offers is not known. It matches
// repo.ErrNotFound.
type NotDownloadedError struct {
	Repo    string
	Indexes []string // Release paths without compression suffix, "main/binary-amd64/Packages"
}

func (e *NotDownloadedError) Error() string {
	return fmt.Sprintf("%s: the Release lists %s, which the lists directory does not hold (apt-get update has not fetched it)",
		e.Repo, strings.Join(e.Indexes, ", "))
}

// Is reports whether target is repo.ErrNotFound.
func (e *NotDownloadedError) Is(target error) bool { return target == repo.ErrNotFound }

// emptyIndex reports whether the Release says the index is empty (its
// uncompressed form is listed with size 0).
func emptyIndex(ix Index) bool {
	return ix.Plain.Path != "" && ix.Plain.Size == 0 || ix.Info.Size == 0
}
