package sqlite

import (
	"context"
	"crypto/sha3"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/patchkit/patchkit/internal/decompress"
)

var update = flag.Bool("update", false, "rewrite the expected outputs from the sqlite3 CLI")

// repoTestdata returns the module's testdata directory joined with elem.
func repoTestdata(t testing.TB, elem ...string) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(append([]string{filepath.Dir(file), "..", "..", "testdata"}, elem...)...)
}

// unzst returns the decompressed contents of a .zst file.
func unzst(t testing.TB, path string) []byte {
	t.Helper()
	out, err := decompress.ReadFile(path, decompress.Zstd, decompress.Limits{Output: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// materialize decompresses src (a .zst file) to dst.
func materialize(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.WriteFile(dst, unzst(t, src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// openFile opens the database path and its "-wal" file when present.
func openFile(t testing.TB, path string, opts ...Option) *DB {
	t.Helper()
	db, err := OpenFS(context.Background(), os.DirFS(filepath.Dir(path)), filepath.Base(path), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// digestLen is how many hex digits of a value's SHA3-256 the dumps keep.
const digestLen = 32

// formatBytes is a text or blob value as the dumps show it: its length and
// its bytes in hex when short, else a prefix of its SHA3-256.
func formatBytes(tag string, b []byte) string {
	s := tag + ":" + strconv.Itoa(len(b)) + ":"
	if len(b) <= 32 {
		return s + strings.ToUpper(hex.EncodeToString(b))
	}
	sum := sha3.Sum256(b)
	return s + "#" + strings.ToUpper(hex.EncodeToString(sum[:]))[:digestLen]
}

// formatValue is v as the dumps show it (the SQL expression of cliField
// prints the same for values of the real sqlite3).
func formatValue(v Value) string {
	switch v.Kind {
	case Null:
		return "n"
	case Integer:
		return "i:" + strconv.FormatInt(v.Int, 10)
	case Float:
		return "r:" + strconv.FormatFloat(v.Float, 'g', -1, 64)
	case Text:
		return formatBytes("t", v.Bytes)
	case Blob:
		return formatBytes("b", v.Bytes)
	}
	return "?"
}

// sameField compares one of our fields with the CLI's: reals by value, as
// quote() prints them in its own notation, everything else by text.
func sameField(ours, theirs string) bool {
	if strings.HasPrefix(ours, "r:") && strings.HasPrefix(theirs, "r:") {
		a, err1 := strconv.ParseFloat(ours[2:], 64)
		b, err2 := strconv.ParseFloat(theirs[2:], 64)
		return err1 == nil && err2 == nil && a == b
	}
	return ours == theirs
}
