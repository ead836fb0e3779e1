package decompress

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/internal/testutil"
)

func TestFormatsAgree(t *testing.T) {
	dir := filepath.Join(repotest.Fixtures(t), "apt/v1/dists/stable/main/binary-amd64")
	plain, err := os.ReadFile(filepath.Join(dir, "Packages"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats {
		data, err := os.ReadFile(filepath.Join(dir, "Packages"+f.Ext()))
		if err != nil {
			t.Fatal(err)
		}
		if g, base := FromName("Packages" + f.Ext()); g != f || base != "Packages" {
			t.Fatalf("FromName: %v %s", g, base)
		}
		r, err := Bytes(data, f, Limits{Output: int64(len(plain))})
		if err != nil {
			t.Fatal(f, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: %v (%d bytes)", f, err, len(got))
		}
		// One byte less of room is an error at the limit, not a truncation.
		r, _ = Bytes(data, f, Limits{Output: int64(len(plain)) - 1})
		got, err = io.ReadAll(r)
		var le *LimitError
		if !errors.As(err, &le) || len(got) != len(plain)-1 {
			t.Fatalf("%s: limit: %v after %d bytes", f, err, len(got))
		}
	}
}

// C4: 64 MiB of zeros in every format stops at the limit (1 MiB) with a
// *LimitError, with little memory; an xz block asking for a 1.5 GiB
// dictionary and a zstd frame with a 2 GiB window are refused before
// decoding.
func TestMatrixC4Bombs(t *testing.T) {
	dir := filepath.Join(repotest.Fixtures(t), "bombs")
	for _, f := range []Format{Gzip, XZ, Bzip2, LZ4, Zstd} {
		data, err := os.ReadFile(filepath.Join(dir, "zeros-64MiB"+f.Ext()))
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := Bytes(data, f, Limits{Output: 1 << 20})
		if err != nil {
			t.Fatal(f, err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		runtime.ReadMemStats(&after)
		var le *LimitError
		if !errors.As(err, &le) || le.What != "output" || n != 1<<20 {
			t.Fatalf("%s: %v after %d bytes", f, err, n)
		}
		if grown := after.TotalAlloc - before.TotalAlloc; grown > 256<<20 {
			t.Fatalf("%s: allocated %d bytes", f, grown)
		}
	}
	xzDict, _ := os.ReadFile(filepath.Join(dir, "dict-1536MiB.xz"))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Bytes(xzDict, XZ, Limits{Output: 1 << 20})
	runtime.ReadMemStats(&after)
	var le *LimitError
	if !errors.As(err, &le) || le.What != "dictionary" || le.Value != 1536<<20 {
		t.Fatalf("xz dictionary: %v", err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 16<<20 {
		t.Fatalf("xz dictionary: allocated %d bytes before refusing", grown)
	}
	zst, _ := os.ReadFile(filepath.Join(dir, "window-2GiB.zst"))
	r, err := Bytes(zst, Zstd, Limits{Output: 64 << 20})
	if err == nil {
		_, err = io.Copy(io.Discard, r)
		r.Close()
	}
	if !errors.As(err, &le) || le.What != "window" {
		t.Fatalf("zstd window: %v", err)
	}
}

// CheckXZ walks multi-block and concatenated streams as the xz tool writes
// them.
func TestCheckXZStructure(t *testing.T) {
	xz := testutil.NeedTool(t, "xz", "xz-utils")
	plain := bytes.Repeat([]byte("patchkit xz block test\n"), 200000)
	cmd := exec.Command(xz, "-T2", "--block-size=1MiB", "-c")
	cmd.Stdin = bytes.NewReader(plain)
	multi, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	both := append(append([]byte{}, multi...), multi...)
	both = append(both, 0, 0, 0, 0) // stream padding
	for name, data := range map[string][]byte{"multi-block": multi, "concatenated": both} {
		if err := CheckXZ(data, DefaultWindow); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r, err := Bytes(data, XZ, Limits{Output: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || len(got)%len(plain) != 0 {
			t.Fatalf("%s: %v %d", name, err, len(got))
		}
	}
	for _, bad := range [][]byte{nil, multi[:len(multi)-1], append([]byte("junk"), multi...), bytes.Repeat([]byte{0}, 16)} {
		var fe *FormatError
		if err := CheckXZ(bad, DefaultWindow); !errors.As(err, &fe) {
			t.Fatalf("accepted %d bad bytes: %v", len(bad), err)
		}
	}
}

func TestCorruptStreams(t *testing.T) {
	for _, f := range []Format{Gzip, Bzip2, LZ4, Zstd} {
		r, err := Bytes([]byte("this is not compressed data at all"), f, Limits{Output: 1 << 20})
		if err == nil {
			_, err = io.ReadAll(r)
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: %v", f, err)
		}
	}
}
