package decompress

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pierrec/lz4/v4"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/internal/testutil"
)

// stanzas returns n bytes of Packages-like text: repeated field names and
// values, so that LZ4 finds matches within a block and across blocks (up to
// 64 KiB back).
func stanzas(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"libc6", "python3", "perl-base", "zlib1g", "openssl", "coreutils", "amd64", "all", "main", "utils"}
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		w := words[rng.IntN(len(words))]
		fmt.Fprintf(&b, "Package: %s%d\nVersion: %d.%d-%d\nArchitecture: %s\n", w, i, rng.IntN(9), rng.IntN(99), rng.IntN(5), words[6+rng.IntN(2)])
		fmt.Fprintf(&b, "Filename: pool/main/%c/%s/%s%d_%d_amd64.deb\nSize: %d\nSHA256: %064x\n\n", w[0], w, w, i, i, rng.IntN(1<<20), rng.Uint64())
	}
	return b.Bytes()[:n]
}

// readAllSizes reads r with reads of the given sizes, in turn.
func readAllSizes(r io.Reader, sizes []int) ([]byte, error) {
	var out []byte
	bufs := make([][]byte, len(sizes))
	for i, n := range sizes {
		bufs[i] = make([]byte, n)
	}
	for i := 0; ; i++ {
		n, err := r.Read(bufs[i%len(bufs)])
		buf := bufs[i%len(bufs)]
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

var readPatterns = map[string][]int{
	"small":         {1, 2, 100},
	"odd":           {1000, 7, 65536, 3},
	"one block":     {64 << 10},
	"several":       {256 << 10},
	"block+1":       {64<<10 + 1, 300 << 10, 5},
	"large":         {5 << 20},
	"mixed windows": {70 << 10, 64 << 10, 10, 200 << 10},
}

func decodeAllWays(t *testing.T, name string, frame, want []byte) {
	t.Helper()
	for pat, sizes := range readPatterns {
		r, err := Bytes(frame, LZ4, Limits{Output: max(1, int64(len(want)))})
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAllSizes(r, sizes)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s, reads %s: %v; %d bytes, want %d (equal %v)", name, pat, err, len(got), len(want), bytes.Equal(got, want))
		}
	}
}

// The decoder agrees with the reference lz4 tool (1.9.4 here) on every
// block size, linked and independent blocks, block checksums, content size
// and the content checksum, whatever the sizes of the reads.
func TestLZ4AgreesWithTool(t *testing.T) {
	tool := testutil.NeedTool(t, "lz4", "lz4")
	plain := stanzas(1<<20 + 12345)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.WriteFile(in, plain, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-B4", "-BD"}, // apt's lists: 64 KiB linked blocks
		{"-B4", "-BD", "--no-frame-crc"},
		{"-B5", "-BD", "-BX", "--content-size"},
		{"-B6", "-BI"},
		{"-B7", "-BD", "-9"},
		{"-B4", "-BI", "-BX", "--no-frame-crc", "--content-size"},
	} {
		out := filepath.Join(dir, "out.lz4")
		cmd := exec.Command(tool, append(append([]string{"-q", "-f"}, args...), in, out)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("lz4 %v: %v %s", args, err, b)
		}
		frame, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		decodeAllWays(t, fmt.Sprint(args), frame, plain)
		// Two frames one after the other, with a skippable frame between.
		skip := []byte{0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'a', 'b', 'c'}
		two := append(append(append([]byte{}, frame...), skip...), frame...)
		decodeAllWays(t, fmt.Sprint(args)+" twice", two, append(append([]byte{}, plain...), plain...))
	}
}

// Frames from an independent encoder (github.com/pierrec/lz4's writer)
// with every checksum on, which also checks xxh32 against its
// implementation.
func TestLZ4AgreesWithGoEncoder(t *testing.T) {
	for _, size := range []int{0, 1, 15, 16, 17, 1000, 64 << 10, 64<<10 + 1, 1<<20 + 3} {
		plain := stanzas(size)
		for _, bs := range []lz4.BlockSize{lz4.Block64Kb, lz4.Block256Kb, lz4.Block4Mb} {
			var buf bytes.Buffer
			w := lz4.NewWriter(&buf)
			if err := w.Apply(lz4.BlockSizeOption(bs), lz4.ChecksumOption(true), lz4.BlockChecksumOption(true), lz4.SizeOption(uint64(size))); err != nil {
				t.Fatal(err)
			}
			w.Write(plain)
			w.Close()
			decodeAllWays(t, fmt.Sprintf("%d bytes, block %v", size, bs), buf.Bytes(), plain)
		}
	}
}

// xxh32 matches the published values of the reference implementation.
func TestXXH32(t *testing.T) {
	for in, want := range map[string]uint32{"": 0x02CC5D05, "a": 0x550D7456, "abc": 0x32D153FF} {
		if got := xxh32Sum([]byte(in)); got != want {
			t.Errorf("xxh32(%q) = %#08x, want %#08x", in, got, want)
		}
	}
	// Streaming in pieces gives the one-shot value.
	data := stanzas(100003)
	var x xxh32
	x.reset()
	for p := data; len(p) > 0; {
		k := min(len(p), 1+len(p)%37)
		x.write(p[:k])
		p = p[k:]
	}
	if x.sum() != xxh32Sum(data) {
		t.Fatal("streamed xxh32 differs")
	}
}

// Damage anywhere in a frame is a *FormatError (or, past the limit, a
// *LimitError), never silently short or wrong output.
func TestLZ4Damage(t *testing.T) {
	plain := stanzas(300 << 10)
	var buf bytes.Buffer
	w := lz4.NewWriter(&buf)
	w.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.ChecksumOption(true), lz4.BlockChecksumOption(true), lz4.SizeOption(uint64(len(plain))))
	w.Write(plain)
	w.Close()
	frame := buf.Bytes()
	check := func(name string, data []byte) {
		t.Helper()
		r, err := Bytes(data, LZ4, Limits{Output: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Format != LZ4 {
			t.Fatalf("%s: %v after %d bytes (equal %v)", name, err, len(got), bytes.Equal(got, plain))
		}
	}
	for _, cut := range []int{1, 4, 6, 10, 15, 16, 100, len(frame) / 2, len(frame) - 5, len(frame) - 1} {
		check(fmt.Sprintf("cut at %d", cut), frame[:cut])
	}
	for _, at := range []int{4, 5, 6, 13, 14, 20, len(frame) / 3, len(frame) - 6, len(frame) - 2} {
		bad := bytes.Clone(frame)
		bad[at] ^= 0x40
		check(fmt.Sprintf("flip at %d", at), bad)
	}
	check("trailing bytes", append(bytes.Clone(frame), 1, 2, 3))
	check("not lz4", []byte("Package: a\nVersion: 1\n"))
	// Without checksums a flipped literal cannot be seen by the decoder:
	// callers check the signed SHA-256 of the output.
}

// Empty input has no frame and no bytes, as with pierrec/lz4's reader;
// legacy frames (lz4 -l) still decode.
func TestLZ4EmptyAndLegacy(t *testing.T) {
	r, _ := Bytes(nil, LZ4, Limits{Output: 10})
	if got, err := io.ReadAll(r); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %d", err, len(got))
	}
	tool := testutil.NeedTool(t, "lz4", "lz4")
	plain := stanzas(200 << 10)
	cmd := exec.Command(tool, "-q", "-l", "-c")
	cmd.Stdin = bytes.NewReader(plain)
	legacy, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	r, _ = Bytes(legacy, LZ4, Limits{Output: int64(len(plain))})
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("legacy: %v %d", err, len(got))
	}
}

// The frame reader never panics, never returns more than the limit, and
// when github.com/pierrec/lz4's reader also reads the input, both give the
// same bytes.
func FuzzLZ4(f *testing.F) {
	for _, size := range []int{0, 20, 70000} {
		for _, opts := range [][]lz4.Option{
			{lz4.BlockSizeOption(lz4.Block64Kb)},
			{lz4.BlockSizeOption(lz4.Block64Kb), lz4.ChecksumOption(true), lz4.BlockChecksumOption(true), lz4.SizeOption(uint64(size))},
		} {
			var buf bytes.Buffer
			w := lz4.NewWriter(&buf)
			w.Apply(opts...)
			w.Write(stanzas(size))
			w.Close()
			f.Add(buf.Bytes())
		}
	}
	const limit = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Bytes(data, LZ4, Limits{Output: limit})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if len(got) > limit {
			t.Fatalf("%d bytes beyond the limit", len(got))
		}
		if err != nil {
			var fe *FormatError
			var le *LimitError
			if !errors.As(err, &fe) && !errors.As(err, &le) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		ref, rerr := io.ReadAll(io.LimitReader(lz4.NewReader(bytes.NewReader(data)), limit+1))
		if rerr == nil && !bytes.Equal(ref, got) {
			t.Fatalf("%d bytes, pierrec/lz4 reads %d", len(got), len(ref))
		}
	})
}

// failAfter returns data's first n bytes, then err.
type failAfter struct {
	data []byte
	n    int
	err  error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := copy(p[:min(len(p), f.n)], f.data)
	f.data, f.n = f.data[k:], f.n-k
	return k, nil
}

// A read error of the source comes out as it is, not as a damaged stream.
func TestSourceErrorKept(t *testing.T) {
	dir := filepath.Join(repotest.Fixtures(t), "apt/v1/dists/stable/main/binary-amd64")
	for _, f := range []Format{Plain, Gzip, Bzip2, LZ4, Zstd} {
		data, err := os.ReadFile(filepath.Join(dir, "Packages"+f.Ext()))
		if err != nil {
			t.Fatal(err)
		}
		eio := &os.PathError{Op: "read", Path: "Packages" + f.Ext(), Err: errors.New("input/output error")}
		r, err := NewReader(&failAfter{data: data, n: len(data) / 2, err: eio}, f, Limits{Output: 1 << 20})
		if err == nil {
			_, err = io.ReadAll(r)
		}
		var fe *FormatError
		if !errors.Is(err, eio) || errors.As(err, &fe) {
			t.Fatalf("%s: %v", f, err)
		}
	}
}
