package repo_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// TestSourcesLineTooLong: a line longer than DefaultMaxLine in a
// sources.list says that it is too long, at its line, and the lines after
// it are read; a line of exactly DefaultMaxLine bytes (with LF or CRLF) is
// read.
func TestSourcesLineTooLong(t *testing.T) {
	max := repo.DefaultMaxLine
	in := "deb http://deb.debian.org/debian bookworm main\n" +
		"# " + strings.Repeat("x", 2*max) + "\n" +
		"deb http://deb.debian.org/debian-security bookworm-security main\n" +
		"#" + strings.Repeat("y", max-1) + "\n" +
		"#" + strings.Repeat("y", max-1) + "\r\n" +
		"#" + strings.Repeat("z", max) + "\n" +
		"deb http://deb.debian.org/debian bookworm-updates main\n" +
		"#" + strings.Repeat("z", max)
	srcs, err := repo.ParseSourcesList("big.list", strings.NewReader(in))
	if len(srcs) != 3 || srcs[0].Line != 1 || srcs[1].Line != 3 || srcs[2].Line != 7 {
		t.Fatalf("sources %+v", srcs)
	}
	want := "big.list:2: line longer than the limit of 1048576 bytes\n" +
		"big.list:6: line longer than the limit of 1048576 bytes\n" +
		"big.list:8: line longer than the limit of 1048576 bytes"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want\n%s", err, want)
	}
	var tl *repo.TooLargeError
	if !errors.As(err, &tl) || tl.Limit != int64(max) || tl.What != "line" || !errors.Is(err, patchkit.ErrInvalid) || !errors.Is(err, repo.ErrTooLarge) {
		t.Fatalf("error types: %#v", err)
	}
}

// TestDeb822LineTooLong: the same in a deb822 .sources file, which stops
// at the long line.
func TestDeb822LineTooLong(t *testing.T) {
	in := "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n\n" +
		"# " + strings.Repeat("x", 2*repo.DefaultMaxLine) + "\n"
	srcs, err := repo.ParseDeb822Sources("big.sources", strings.NewReader(in))
	if len(srcs) != 1 || err == nil || err.Error() != "big.sources:6: line longer than the limit of 1048576 bytes" {
		t.Fatalf("%+v %v", srcs, err)
	}
	in = "Types: deb\nURIs: http://deb.debian.org/debian " + strings.Repeat("u", repo.DefaultMaxLine) + "\n"
	_, err = repo.ParseDeb822Sources("big.sources", strings.NewReader(in))
	var tl *repo.TooLargeError
	if err == nil || err.Error() != "big.sources:2: line longer than the limit of 1048576 bytes" || !errors.As(err, &tl) {
		t.Fatalf("%v", err)
	}
}

// endlessLine is one line of left bytes, then a good source.
type endlessLine struct {
	left  int
	block []byte
}

func (e *endlessLine) Read(p []byte) (int, error) {
	if e.left == 0 {
		return copy(p, "\ndeb http://deb.debian.org/debian bookworm main\n"), io.EOF
	}
	n := copy(p[:min(len(p), e.left)], e.block)
	e.left -= n
	return n, nil
}

// TestSourcesLongLineNotHeld: a line far longer than the limit is not held
// in memory.
func TestSourcesLongLineNotHeld(t *testing.T) {
	e := &endlessLine{left: 256 << 20, block: bytes.Repeat([]byte{'#'}, 64<<10)}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	srcs, err := repo.ParseSourcesList("huge.list", e)
	runtime.ReadMemStats(&after)
	if len(srcs) != 1 || srcs[0].Line != 2 || err == nil || err.Error() != "huge.list:1: line longer than the limit of 1048576 bytes" {
		t.Fatalf("%+v %v", srcs, err)
	}
	// The reader's own buffers and the limit are a few megabytes; the line
	// is 256.
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Fatalf("%d bytes allocated for a long line", got)
	}
}
