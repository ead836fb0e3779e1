package repocache

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strings"

	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/repo"
)

// Expect describes what a decompressed stream must be, where the signed
// metadata says so (Release's entry for the uncompressed file; repomd's
// open-size and open-checksum). Zero fields are not checked.
type Expect struct {
	Size int64 // exact size; 0 = unknown
	// Algorithm is "SHA256" or "SHA512"; "SHA1" only where the caller
	// opted in to weak checksums (rpm-md's sha open-checksums).
	Algorithm string
	Sum       string // hex
}

// Decompress returns a reader of data decompressed as name's extension
// says (.gz, .xz, .bz2, .lz4, .zst, or plain). More than limit bytes of
// output is a *TooLargeError; a corrupt stream is a *SyntaxError; when want
// is given, a size other than want.Size is a *SizeError and a checksum
// other than want.Sum a *HashMismatchError, reported by the Read that
// reaches the end. Window sizes (xz dictionaries, zstd windows) are capped
// at 64 MiB before decoding starts.
func Decompress(name string, data []byte, limit int64, want Expect) (io.ReadCloser, error) {
	return DecompressReader(name, bytes.NewReader(data), limit, want)
}

// DecompressReader is Decompress over a reader (xz input must be a
// *bytes.Reader).
func DecompressReader(name string, r io.Reader, limit int64, want Expect) (io.ReadCloser, error) {
	f, _ := decompress.FromName(name)
	if want.Size > 0 && want.Size < limit {
		limit = want.Size
	}
	if limit <= 0 {
		limit = 1
	}
	dr, err := decompress.NewReader(r, f, decompress.Limits{Output: limit})
	if err != nil {
		return nil, translateDecompress(name, err, want)
	}
	er := &expectReader{r: dr, name: name, want: want}
	if want.Algorithm != "" {
		if er.h = newHash(want.Algorithm); er.h == nil {
			dr.Close()
			return nil, &repo.HashMismatchError{File: name}
		}
	}
	return er, nil
}

// newHash returns the hash an Expect names, or nil for an unknown name.
func newHash(alg string) hash.Hash {
	switch strings.ToUpper(alg) {
	case "SHA256":
		return sha256.New()
	case "SHA512":
		return sha512.New()
	case "SHA1":
		return sha1.New()
	}
	return nil
}

type expectReader struct {
	r    io.ReadCloser
	name string
	want Expect
	h    hash.Hash
	n    int64
	err  error
}

func (e *expectReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.r.Read(p)
	e.n += int64(n)
	if e.h != nil {
		e.h.Write(p[:n])
	}
	if err == io.EOF {
		if e.want.Size > 0 && e.n != e.want.Size {
			e.err = &repo.SizeError{File: e.name + " (decompressed)", Want: e.want.Size, Got: e.n}
			return n, e.err
		}
		if e.h != nil {
			if got := hex.EncodeToString(e.h.Sum(nil)); !strings.EqualFold(got, e.want.Sum) {
				e.err = &repo.HashMismatchError{File: e.name + " (decompressed)", Algorithm: strings.ToUpper(e.want.Algorithm), Want: e.want.Sum, Got: got}
				return n, e.err
			}
		}
		e.err = io.EOF
		return n, io.EOF
	}
	if err != nil {
		e.err = translateDecompress(e.name, err, e.want)
		return n, e.err
	}
	return n, nil
}

func (e *expectReader) Close() error { return e.r.Close() }

func translateDecompress(name string, err error, want Expect) error {
	var le *decompress.LimitError
	if errors.As(err, &le) {
		if le.What == "output" && want.Size > 0 && le.Limit == want.Size {
			return &repo.SizeError{File: name + " (decompressed)", Want: want.Size, Got: want.Size + 1}
		}
		what := "decompressed data"
		if le.What != "output" {
			what = le.Format.String() + " " + le.What
		}
		return &repo.TooLargeError{File: name, What: what, Limit: le.Limit}
	}
	var fe *decompress.FormatError
	if errors.As(err, &fe) {
		return &repo.SyntaxError{File: name, Msg: "corrupt " + fe.Format.String() + " data", Err: fe.Err}
	}
	return err
}

// CompressionExt returns the extension of the compressed file name ("" for
// plain), and the name without it.
func CompressionExt(name string) (ext, base string) {
	f, base := decompress.FromName(name)
	return f.Ext(), base
}

// DecompressAll decompresses all of data (format from name's extension)
// into memory, with the limit and the checks of Decompress; the result is
// returned only when it has the expected size and checksum.
func DecompressAll(name string, data []byte, limit int64, want Expect) ([]byte, error) {
	f, _ := decompress.FromName(name)
	if want.Size > 0 && want.Size < limit {
		limit = want.Size
	}
	out, err := decompress.DecodeAll(data, f, decompress.Limits{Output: limit}, want.Size)
	if err != nil {
		return nil, translateDecompress(name, err, want)
	}
	if want.Size > 0 && int64(len(out)) != want.Size {
		return nil, &repo.SizeError{File: name + " (decompressed)", Want: want.Size, Got: int64(len(out))}
	}
	if want.Algorithm != "" {
		h := newHash(want.Algorithm)
		if h == nil {
			return nil, &repo.HashMismatchError{File: name}
		}
		h.Write(out)
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want.Sum) {
			return nil, &repo.HashMismatchError{File: name + " (decompressed)", Algorithm: strings.ToUpper(want.Algorithm), Want: want.Sum, Got: got}
		}
	}
	return out, nil
}
