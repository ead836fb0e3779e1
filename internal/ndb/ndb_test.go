package ndb_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/internal/ndb"
	"github.com/patchkit/patchkit/internal/rpmheader"
)

const fixtureDir = "../../testdata/rpmdb/ndb"

// load returns the decompressed Packages.db fixture.
func load(t testing.TB, name string) []byte {
	t.Helper()
	data, err := decompress.ReadFile(filepath.Join(fixtureDir, name+".Packages.db.zst"), decompress.Zstd, decompress.Limits{Output: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// header holds the fields of an rpm header that the expected lists show.
type header struct {
	name, epoch, version, release, arch, sigmd5 string
}

// parseHeader reads the fields the expected lists show from an rpm header
// blob (with the project's one header reader). A missing epoch is "".
func parseHeader(b []byte) (header, error) {
	var f rpmheader.Fields
	if err := rpmheader.Parse(b, &f); err != nil {
		return header{}, err
	}
	h := header{name: string(f.Name), version: string(f.Version), release: string(f.Release), arch: string(f.Arch),
		sigmd5: hex.EncodeToString(f.SigMD5)}
	if f.Epoch >= 0 {
		h.epoch = fmt.Sprint(f.Epoch)
	}
	return h, nil
}

type entry struct {
	idx uint32
	hdr header
}

// scan returns the packages of the fixture in Scan's order.
func scan(t *testing.T, data []byte) []entry {
	t.Helper()
	db, err := ndb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got []entry
	err = db.Scan(context.Background(), func(idx uint32, blob []byte) error {
		h, err := parseHeader(blob)
		if err != nil {
			return fmt.Errorf("package %d: %v", idx, err)
		}
		got = append(got, entry{idx, h})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func readTSV(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rows = append(rows, strings.Split(sc.Text(), "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestSLE15MatchesRPM compares the blobs of the SLE 15 BCI database with
// the list rpm printed inside that image (recorded by go-rpmdb's authors):
// the same packages in the same order, each blob a well-formed header with
// rpm's epoch, name, version, release, arch and SIGMD5.
func TestSLE15MatchesRPM(t *testing.T) {
	want := readTSV(t, "sle15-bci.rpm-qa.tsv")
	got := scan(t, load(t, "sle15-bci"))
	if len(got) != len(want) {
		t.Fatalf("%d packages, rpm listed %d", len(got), len(want))
	}
	seen := map[uint32]bool{}
	for i, e := range got {
		h := e.hdr
		if g := []string{h.epoch, h.name, h.version, h.release, h.arch, h.sigmd5}; !slices.Equal(g, want[i]) {
			t.Errorf("package %d (index %d): %q, rpm listed %q", i, e.idx, g, want[i])
		}
		if seen[e.idx] || e.idx == 0 {
			t.Errorf("package index %d repeated or zero", e.idx)
		}
		seen[e.idx] = true
	}
	t.Logf("%d packages agree with rpm's list", len(got))
}

// TestLeap155MatchesRPM checks the openSUSE Leap 15.5 database against what
// osv-scalibr's authors recorded from rpm in that image: the package count,
// and the first three packages of the sorted list.
func TestLeap155MatchesRPM(t *testing.T) {
	want := readTSV(t, "leap15.5.expected.tsv")
	count, err := strconv.Atoi(want[0][1])
	if want[0][0] != "count" || err != nil {
		t.Fatalf("bad first line %q", want[0])
	}
	got := scan(t, load(t, "leap15.5"))
	if len(got) != count {
		t.Errorf("%d packages, rpm counted %d", len(got), count)
	}
	// The list was sorted in a locale that ignores punctuation at first
	// ("bash@4.4" before "bash-sh@4.4"): sorting by name gives that order.
	slices.SortFunc(got, func(a, b entry) int { return strings.Compare(a.hdr.name, b.hdr.name) })
	for i, w := range want[1:] {
		h := got[i].hdr
		if g := []string{h.name, h.version + "-" + h.release, h.arch}; !slices.Equal(g, w) {
			t.Errorf("package %d by name: %q, rpm listed %q", i, g, w)
		}
	}
	t.Logf("%d packages, as rpm counted", len(got))
}

func TestInfo(t *testing.T) {
	data := load(t, "sle15-bci")
	db, err := ndb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := db.Info(), (ndb.Info{Generation: 46, SlotPages: 1, NextPkgIndex: 41}); got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
}

func TestFnErrorIsReturned(t *testing.T) {
	data := load(t, "sle15-bci")
	db, err := ndb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	calls := 0
	err = db.Scan(context.Background(), func(uint32, []byte) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 3 {
		t.Errorf("Scan = %v after %d calls, want the callback's error after 3", err, calls)
	}
}

func TestCancel(t *testing.T) {
	data := load(t, "leap15.5")
	db, err := ndb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	if err := db.Scan(ctx, func(uint32, []byte) error { calls++; return nil }); !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("Scan with a cancelled context = %v after %d calls", err, calls)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	calls = 0
	err = db.Scan(ctx, func(uint32, []byte) error {
		calls++
		if calls == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 10 {
		t.Errorf("Scan cancelled during the 10th call = %v after %d calls", err, calls)
	}
}

// TestScanTwiceConcurrently checks that a DB holds no scan state.
func TestScanTwiceConcurrently(t *testing.T) {
	data := load(t, "sle15-bci")
	db, err := ndb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			n := 0
			err := db.Scan(context.Background(), func(uint32, []byte) error { n++; return nil })
			if err == nil && n != 35 {
				err = fmt.Errorf("%d blobs", n)
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func scanAllSize(data []byte, size int64) error {
	db, err := ndb.Open(bytes.NewReader(data), size)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db.Scan(ctx, func(uint32, []byte) error { return nil })
}

func scanAll(data []byte) error { return scanAllSize(data, int64(len(data))) }
