package apt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// The lists directory as apt keeps it with Acquire::GzipIndexes: the
// Packages file recompressed in lz4, which the Release does not list; only
// the uncompressed Packages entry vouches for it. These tests use an
// unsigned Release ([trusted=yes]) made here, so that they can list any
// checksum; the signature side is the matrix tests'.

const listsURI = "http://deb.example.invalid/debian"

type listEntry struct {
	path string
	data []byte
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func releaseListing(entries ...listEntry) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Origin: Test\nLabel: Test\nSuite: stable\nCodename: stable\nDate: %s\nArchitectures: amd64\nComponents: main\nSHA256:\n",
		d1.Format(time.RFC1123))
	for _, e := range entries {
		fmt.Fprintf(&b, " %s %d %s\n", sha(e.data), len(e.data), e.path)
	}
	return []byte(b.String())
}

func lz4Frame(t testing.TB, plain []byte, bs lz4.BlockSize) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := lz4.NewWriter(&buf)
	if err := w.Apply(lz4.BlockSizeOption(bs)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lzLists is a lists directory with release (the Release) and stored (the
// lz4 Packages file).
func lzLists(release, stored []byte) fstest.MapFS {
	prefix := ListsFileName(distBase(listsURI, "stable"))
	return fstest.MapFS{
		prefix + "Release":                        {Data: release},
		prefix + "main_binary-amd64_Packages.lz4": {Data: stored},
	}
}

func readLists(t *testing.T, lists fs.FS, opts ...repo.Option) (parsed, error) {
	t.Helper()
	c, _, _ := newClient(t, d1.Add(time.Hour), opts...)
	r := Repo{URI: listsURI, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Trusted: true}
	snap, err := OpenLists(context.Background(), c.Policy(), lists, r)
	if err != nil {
		return parsed{}, err
	}
	return collectSeq(snap.Packages(context.Background())), nil
}

const plainPath = "main/binary-amd64/Packages"

// Records of a file only the uncompressed entry vouches for are returned
// when its checksum matched, and none otherwise, even when the damage is
// in the last of many chunks (the records before it were parsed by then).
func TestListsHeldUntilVerified(t *testing.T) {
	plain := genPackages(4000, 0) // about 1.6 MB: several chunks
	if len(plain) < 4*chunkSize {
		t.Fatalf("only %d bytes", len(plain))
	}
	want := collectSeq(ParsePackagesBytes("P", plain, ParseOptions{}))
	release := releaseListing(listEntry{plainPath, plain})

	got, err := readLists(t, lzLists(release, lz4Frame(t, plain, lz4.Block64Kb)))
	if err != nil || len(got.errs) != 0 || len(got.ps) != len(want.ps) {
		t.Fatalf("verified file: %v, %d records, errors %v", err, len(got.ps), got.errs)
	}
	for i := range got.ps {
		got.ps[i].Origin = nil
		if got.ps[i] != want.ps[i] {
			t.Fatalf("record %d: %+v, want %+v", i, got.ps[i], want.ps[i])
		}
	}

	last := bytes.LastIndex(plain, []byte("Version: "))
	tail := bytes.Clone(plain)
	tail[last+len("Version: ")] = '9' // same size, other checksum
	nul := bytes.Clone(plain)
	nul[len(nul)/2] = 0
	flipped := lz4Frame(t, plain, lz4.Block64Kb)
	flipped[len(flipped)/2] ^= 0x55
	for _, tc := range []struct {
		name   string
		stored []byte
		want   error
	}{
		{"last stanza changed", lz4Frame(t, tail, lz4.Block64Kb), repo.ErrHashMismatch},
		{"longer", lz4Frame(t, append(bytes.Clone(plain), "Package: x\n"...), lz4.Block64Kb), repo.ErrSize},
		{"shorter", lz4Frame(t, plain[:len(plain)-1], lz4.Block64Kb), repo.ErrSize},
		{"damaged frame", flipped, nil},
		{"not lz4", plain, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readLists(t, lzLists(release, tc.stored))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.ps) != 0 || len(got.errs) != 1 {
				t.Fatalf("%d records, errors %v", len(got.ps), got.errs)
			}
			if tc.want != nil && !strings.Contains(got.errs[0], "repo.") {
				t.Fatalf("error %v", got.errs[0])
			}
		})
	}
	// The typed errors, with errors.Is.
	for _, tc := range []struct {
		stored []byte
		want   error
	}{
		{lz4Frame(t, tail, lz4.Block64Kb), repo.ErrHashMismatch},
		{lz4Frame(t, append(bytes.Clone(plain), "Package: x\n"...), lz4.Block64Kb), repo.ErrSize},
		{lz4Frame(t, plain[:len(plain)-1], lz4.Block64Kb), repo.ErrSize},
	} {
		c, _, _ := newClient(t, d1.Add(time.Hour))
		snap, err := OpenLists(context.Background(), c.Policy(), lzLists(release, tc.stored),
			Repo{URI: listsURI, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Trusted: true})
		if err != nil {
			t.Fatal(err)
		}
		errs := repotest.Drain(snap.Packages(context.Background())).Errs
		if len(errs) != 1 || !errors.Is(errs[0], tc.want) {
			t.Fatalf("%v, want %v", errs, tc.want)
		}
		var se *repo.SizeError
		if errors.As(errs[0], &se) && se.Got > se.Want && se.Got != se.Want+1 {
			t.Fatalf("read past the signed size: %v", se)
		}
	}

	// A NUL byte in a file the Release vouches for: no record of it, as
	// when the file is parsed in memory.
	got, err = readLists(t, lzLists(releaseListing(listEntry{plainPath, nul}), lz4Frame(t, nul, lz4.Block64Kb)))
	if err != nil || len(got.ps) != 0 || len(got.errs) != 1 || !strings.Contains(got.errs[0], "NUL byte") {
		t.Fatalf("NUL: %v, %d records, errors %v", err, len(got.ps), got.errs)
	}
}

// When the Release lists the stored file itself, it is checked before it
// is decompressed and its records come as they are parsed; the listed
// uncompressed checksum is still checked at the end. A stored file that is
// not the listed one (recompressed) falls back to the uncompressed entry.
func TestListsListedVariant(t *testing.T) {
	plain := genPackages(3000, 0)
	frame := lz4Frame(t, plain, lz4.Block64Kb)
	other := lz4Frame(t, plain, lz4.Block4Mb) // the same text, other bytes
	n := bytes.Count(plain, []byte("\nPackage: ")) + 1
	for _, tc := range []struct {
		name    string
		entries []listEntry
		stored  []byte
		records int
		err     error
	}{
		{"both listed", []listEntry{{plainPath, plain}, {plainPath + ".lz4", frame}}, frame, n, nil},
		{"only the lz4 listed", []listEntry{{plainPath + ".lz4", frame}}, frame, n, nil},
		{"recompressed", []listEntry{{plainPath, plain}, {plainPath + ".lz4", other}}, frame, n, nil},
		{"recompressed, no plain entry", []listEntry{{plainPath + ".lz4", other}}, frame, 0, repo.ErrSize},
		// A Release whose two entries disagree: the records of the
		// checked lz4 file come, and the mismatch of the uncompressed
		// entry ends the file.
		{"inconsistent Release", []listEntry{{plainPath, genPackages(3000, 1)}, {plainPath + ".lz4", frame}}, frame, n, repo.ErrHashMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newClient(t, d1.Add(time.Hour))
			snap, err := OpenLists(context.Background(), c.Policy(), lzLists(releaseListing(tc.entries...), tc.stored),
				Repo{URI: listsURI, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Trusted: true})
			if err != nil {
				t.Fatal(err)
			}
			records := 0
			var errs []error
			for _, err := range snap.Packages(context.Background()) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if len(errs) > 0 {
					t.Fatal("a record after the error")
				}
				records++
			}
			if records != tc.records || (tc.err == nil) != (len(errs) == 0) || (tc.err != nil && (len(errs) != 1 || !errors.Is(errs[0], tc.err))) {
				t.Fatalf("%d records, errors %v", records, errs)
			}
		})
	}
}

// Stopping early, cancelling, and a read error leave no goroutine behind.
func TestListsPipelineEnds(t *testing.T) {
	plain := genPackages(6000, 0) // about 2.4 MB: ten chunks
	frame := lz4Frame(t, plain, lz4.Block64Kb)
	held := lzLists(releaseListing(listEntry{plainPath, plain}), frame)
	direct := lzLists(releaseListing(listEntry{plainPath, plain}, listEntry{plainPath + ".lz4", frame}), frame)
	r := Repo{URI: listsURI, Suite: "stable", Components: []string{"main"}, Architectures: []string{"amd64"}, Trusted: true}
	c, _, _ := newClient(t, d1.Add(time.Hour))
	base := runtime.NumGoroutine()
	settled := func(what string) {
		t.Helper()
		for i := 0; runtime.NumGoroutine() > base; i++ {
			if i == 200 {
				t.Fatalf("%s: %d goroutines, %d before", what, runtime.NumGoroutine(), base)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for name, lists := range map[string]fs.FS{"held": held, "direct": direct} {
		snap, err := OpenLists(context.Background(), c.Policy(), lists, r)
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for _, err := range snap.Packages(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			if k++; k == 10 {
				break
			}
		}
		settled(name + ", stopped after 10 records")

		ctx, cancel := context.WithCancel(context.Background())
		k = 0
		var last error
		for _, err := range snap.Packages(ctx) {
			if err != nil {
				last = err
				continue
			}
			if k++; k == 1 {
				cancel()
			}
		}
		cancel()
		if !errors.Is(last, context.Canceled) || k >= 6000 {
			t.Fatalf("%s, cancelled: %d records, last error %v", name, k, last)
		}
		settled(name + ", cancelled")

		snap, err = OpenLists(context.Background(), c.Policy(), faultyFS{FS: lists, name: ListsFileName(distBase(listsURI, "stable")) + "main_binary-amd64_Packages.lz4", n: len(frame) / 2}, r)
		if err != nil {
			t.Fatal(err)
		}
		got := collectSeq(snap.Packages(context.Background()))
		if name == "held" && len(got.ps) != 0 || len(got.errs) != 1 || !strings.Contains(got.errs[0], syscall.EIO.Error()) {
			t.Fatalf("%s, read error: %d records, %v", name, len(got.ps), got.errs)
		}
		settled(name + ", read error")
	}
}

// A stored file larger than the client's file limit is a *TooLargeError,
// found while it streams, not after reading it all.
func TestListsFileLimit(t *testing.T) {
	plain := genPackages(2000, 0)
	stored := lz4Frame(t, plain, lz4.Block64Kb)
	got, err := readLists(t, lzLists(releaseListing(listEntry{plainPath, plain}), stored), repo.WithMaxFileSize(int64(len(stored)-1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ps) != 0 || len(got.errs) != 1 || !strings.Contains(got.errs[0], "*repo.TooLargeError") {
		t.Fatalf("%d records, %v", len(got.ps), got.errs)
	}
}

// A lists file that is not a regular file (a FIFO in an image) is an
// error, not a read that never ends.
func TestListsNotRegular(t *testing.T) {
	plain := genPackages(10, 0)
	lists := lzLists(releaseListing(listEntry{plainPath, plain}), lz4Frame(t, plain, lz4.Block64Kb))
	lists[ListsFileName(distBase(listsURI, "stable"))+"main_binary-amd64_Packages.lz4"].Mode = fs.ModeNamedPipe
	got, err := readLists(t, lists)
	if err != nil || len(got.ps) != 0 || len(got.errs) != 1 || !strings.Contains(got.errs[0], "not a regular file") {
		t.Fatalf("%v: %d records, %v", err, len(got.ps), got.errs)
	}
}
