package decompress

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchkit/patchkit/internal/repotest"
)

// Every format's decoder over arbitrary bytes: no panic, never more output
// than the limit, and a failure is a *FormatError or a *LimitError (for xz
// also before decoding starts). The name's format, and each other format,
// is tried on each input, so that the seeds of one format exercise the
// others' rejection of foreign data.
func FuzzDecompress(f *testing.F) {
	root := repotest.Fixtures(f)
	var seeds []string
	for _, p := range []string{"apt/v1/dists/stable/main/binary-amd64/Packages*", "rpm/updates-*/repodata/*-primary.xml.*", "bombs/dict-1536MiB.xz", "bombs/window-2GiB.zst"} {
		files, _ := filepath.Glob(filepath.Join(root, p))
		seeds = append(seeds, files...)
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	const limit = 64 << 10 // small, so that each input is quick
	lim := Limits{Output: limit, Window: 8 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range Formats {
			r, err := Bytes(data, format, lim)
			if err != nil {
				typedErr(t, format, err)
				continue
			}
			n, err := io.Copy(io.Discard, r)
			r.Close()
			if n > limit {
				t.Fatalf("%s: %d bytes beyond the limit", format, n)
			}
			if format == Plain && (err != nil || n != int64(min(len(data), limit))) && len(data) <= limit {
				t.Fatalf("plain: %d bytes, %v", n, err)
			}
			if err != nil {
				typedErr(t, format, err)
			}
		}
	})
}

func typedErr(t *testing.T, format Format, err error) {
	t.Helper()
	var fe *FormatError
	var le *LimitError
	switch {
	case errors.As(err, &fe):
		if fe.Format != format {
			t.Fatalf("%s: error names %s: %v", format, fe.Format, err)
		}
	case errors.As(err, &le):
		if le.Format != format {
			t.Fatalf("%s: error names %s: %v", format, le.Format, err)
		}
	default:
		t.Fatalf("%s: untyped error %T: %v", format, err, err)
	}
}
