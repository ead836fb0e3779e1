// Package decompress opens the compression formats that apt and rpm-md
// repositories use (gzip, xz, bzip2, lz4, zstd and plain), with a hard limit
// on the number of decompressed bytes and on the memory a decoder may claim
// from the stream's own headers.
//
// A stream that would produce more than the limit fails with a *LimitError at
// byte limit+1; it is never silently truncated.
package decompress

import (
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Format is a compression format.
type Format int

// The formats, in no particular order.
const (
	Plain Format = iota
	Gzip
	XZ
	Bzip2
	LZ4
	Zstd
)

var exts = [...]string{Plain: "", Gzip: ".gz", XZ: ".xz", Bzip2: ".bz2", LZ4: ".lz4", Zstd: ".zst"}
var names = [...]string{Plain: "plain", Gzip: "gzip", XZ: "xz", Bzip2: "bzip2", LZ4: "lz4", Zstd: "zstd"}

// Formats lists every format.
var Formats = [...]Format{Plain, Gzip, XZ, Bzip2, LZ4, Zstd}

// Ext returns the file name extension of the format, with its dot ("" for
// Plain).
func (f Format) Ext() string { return exts[f] }

func (f Format) String() string {
	if f < 0 || int(f) >= len(names) {
		return fmt.Sprintf("Format(%d)", int(f))
	}
	return names[f]
}

// FromName returns the format a file name's extension names and the name
// without that extension. Names without a known extension are Plain. ".zstd"
// is accepted as well as ".zst".
func FromName(name string) (Format, string) {
	for _, f := range Formats[1:] {
		if strings.HasSuffix(name, f.Ext()) {
			return f, strings.TrimSuffix(name, f.Ext())
		}
	}
	if strings.HasSuffix(name, ".zstd") {
		return Zstd, strings.TrimSuffix(name, ".zstd")
	}
	return Plain, name
}

// Limits bound a decoder.
type Limits struct {
	// Output is the largest number of decompressed bytes; more is a
	// *LimitError. It must be positive.
	Output int64
	// Window is the largest dictionary or window, in bytes, that a stream
	// may ask the decoder to allocate (xz and zstd). Zero means 64 MiB.
	Window int64
}

// DefaultWindow is the window limit used when Limits.Window is zero: what
// xz -9 and zstd -19 use.
const DefaultWindow = 64 << 20

// LimitError reports a stream that goes beyond a limit.
type LimitError struct {
	Format Format
	What   string // "output" or "window"
	Limit  int64
	Value  int64 // the value that went beyond, where known (0 otherwise)
}

func (e *LimitError) Error() string {
	if e.Value > 0 {
		return fmt.Sprintf("%s stream: %s of %d bytes is beyond the limit of %d", e.Format, e.What, e.Value, e.Limit)
	}
	return fmt.Sprintf("%s stream: %s is beyond the limit of %d bytes", e.Format, e.What, e.Limit)
}

// FormatError reports a stream that is not valid in its format.
type FormatError struct {
	Format Format
	Err    error
}

func (e *FormatError) Error() string { return fmt.Sprintf("%s stream: %v", e.Format, e.Err) }
func (e *FormatError) Unwrap() error { return e.Err }

// NewReader returns a reader of r's decompressed bytes. xz input must be
// given as a *bytes.Reader (or through Bytes), because its block headers are
// checked against lim.Window before decoding starts. The returned reader
// must be closed.
func NewReader(r io.Reader, f Format, lim Limits) (io.ReadCloser, error) {
	if lim.Output <= 0 {
		return nil, errors.New("decompress: output limit must be positive")
	}
	if lim.Window <= 0 {
		lim.Window = DefaultWindow
	}
	var (
		dr    io.Reader
		close func()
	)
	// A read error of the source is reported as it is, not as damage to
	// the stream.
	src := &sourceReader{r: r}
	if _, ok := r.(*bytes.Reader); !ok {
		r = src
	}
	switch f {
	case Plain:
		dr = r
	case Gzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, &FormatError{Format: f, Err: err}
		}
		dr, close = zr, func() { zr.Close() }
	case XZ:
		br, ok := r.(*bytes.Reader)
		if !ok {
			return nil, errors.New("decompress: xz input must be a *bytes.Reader")
		}
		data := make([]byte, br.Len())
		if _, err := io.ReadFull(br, data); err != nil {
			return nil, err
		}
		if err := CheckXZ(data, lim.Window); err != nil {
			return nil, err
		}
		xr, err := xz.ReaderConfig{DictCap: 1 << 12}.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, &FormatError{Format: f, Err: err}
		}
		dr = xr
	case Bzip2:
		dr = bzip2.NewReader(r)
	case LZ4:
		zr, err := newLZ4Reader(r)
		if err != nil {
			return nil, err
		}
		dr = zr
	case Zstd:
		zr, err := zstd.NewReader(r,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(uint64(lim.Window)),
			zstd.WithDecoderMaxMemory(uint64(lim.Window)*2),
		)
		if err != nil {
			return nil, &FormatError{Format: f, Err: err}
		}
		dr, close = zr, zr.Close
	default:
		return nil, fmt.Errorf("decompress: unknown format %d", int(f))
	}
	return &limited{r: dr, f: f, left: lim.Output, limit: lim.Output, window: lim.Window, close: close, src: src}, nil
}

// sourceReader keeps the first error, other than io.EOF, of the reader it
// wraps.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// Bytes is NewReader over data.
func Bytes(data []byte, f Format, lim Limits) (io.ReadCloser, error) {
	return NewReader(bytes.NewReader(data), f, lim)
}

// ReadFile returns the decompressed content of the file name (in the
// format f, within lim): how tests and examples load compressed fixtures.
func ReadFile(name string, f Format, lim Limits) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	rc, err := Bytes(data, f, lim)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	out, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

type limited struct {
	r      io.Reader
	f      Format
	left   int64
	limit  int64
	window int64
	close  func()
	src    *sourceReader
	err    error
	one    [1]byte
}

func (l *limited) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if l.left == 0 {
		// Any further byte is beyond the limit.
		n, err := l.r.Read(l.one[:])
		for n == 0 && err == nil {
			n, err = l.r.Read(l.one[:])
		}
		if n > 0 {
			l.err = &LimitError{Format: l.f, What: "output", Limit: l.limit}
			return 0, l.err
		}
		l.err = l.wrap(err)
		return 0, l.err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if err != nil {
		l.err = l.wrap(err)
		return n, l.err
	}
	return n, nil
}

func (l *limited) wrap(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	if l.src.err != nil {
		return l.src.err
	}
	if err == io.ErrUnexpectedEOF || l.f == Plain {
		if l.f == Plain {
			return err
		}
		return &FormatError{Format: l.f, Err: err}
	}
	var le *LimitError
	if errors.As(err, &le) {
		return err
	}
	if l.f == Zstd && (errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded)) {
		return &LimitError{Format: l.f, What: "window", Limit: l.window}
	}
	return &FormatError{Format: l.f, Err: err}
}

func (l *limited) Close() error {
	if l.close != nil {
		l.close()
		l.close = nil
	}
	return nil
}
