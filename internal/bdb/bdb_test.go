package bdb_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/bdb"
	"github.com/patchkit/patchkit/internal/decompress"
	"github.com/patchkit/patchkit/internal/rpmheader"
	"github.com/patchkit/patchkit/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the recorded rpm listings from rpm's output")

const fixtureDir = "../../testdata/rpmdb/bdb"

// fixtures are the real Packages files of testdata/rpmdb/bdb.
var fixtures = []string{
	"centos5-plain",           // CentOS 5, hash version 8, unsorted hash pages
	"centos6-plain",           // CentOS 6, hash version 9, a free list
	"centos8-modularitylabel", // CentOS 8, 518 packages, three buckets
	"ubi8-s390x",              // UBI 8 on s390x: big-endian
	"libuuid",                 // UBI 8, one package
	"centos8-dive",            // a database of one package made by rpm --initdb on CentOS 8
	"hello-epoch",             // one locally built package
}

// load returns the decompressed fixture.
func load(t testing.TB, name string) []byte {
	t.Helper()
	data, err := decompress.ReadFile(filepath.Join(fixtureDir, name+".Packages.zst"), decompress.Zstd, decompress.Limits{Output: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// header holds the fields of an rpm header that rpm's listing shows.
type header struct {
	name, epoch, version, release, arch string
}

// parseHeader reads the fields rpm's listing shows from an rpm header blob
// (with the project's one header reader), "(none)" for a missing epoch or
// arch, as rpm prints them.
func parseHeader(b []byte) (header, error) {
	var f rpmheader.Fields
	if err := rpmheader.Parse(b, &f); err != nil {
		return header{}, err
	}
	h := header{name: string(f.Name), version: string(f.Version), release: string(f.Release), epoch: "(none)", arch: "(none)"}
	if f.Epoch >= 0 {
		h.epoch = fmt.Sprint(f.Epoch)
	}
	if f.Arch != nil {
		h.arch = string(f.Arch)
	}
	return h, nil
}

// listing returns the database as rpm lists it with rpmQF: one line per
// package in Scan's order, after checking the key-0 record.
func listing(t *testing.T, name string, data []byte) string {
	t.Helper()
	db, err := bdb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	order := db.ByteOrder()
	var sb strings.Builder
	var maxInstance uint32
	key0 := -1
	pairs := 0
	err = db.Scan(context.Background(), func(key, value []byte) error {
		pairs++
		if len(key) != 4 {
			return fmt.Errorf("key of %d bytes", len(key))
		}
		n := order.Uint32(key)
		if n == 0 {
			if len(value) != 4 || key0 >= 0 {
				return fmt.Errorf("key 0 again, or with a %d-byte value", len(value))
			}
			key0 = int(order.Uint32(value))
			return nil
		}
		maxInstance = max(maxInstance, n)
		h, err := parseHeader(value)
		if err != nil {
			return fmt.Errorf("instance %d: %v", n, err)
		}
		fmt.Fprintf(&sb, "%d\t%s\t%s\t%s\t%s\t%s\n", n, h.name, h.epoch, h.version, h.release, h.arch)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// What the package documentation says of rpm's key 0: present once, a
	// 4-byte value no smaller than any instance number.
	if key0 < int(maxInstance) {
		t.Errorf("%s: key 0 holds %d, below the largest instance %d", name, key0, maxInstance)
	}
	if got, want := uint32(pairs), db.Info().Keys; got != want {
		t.Errorf("%s: %d pairs, the metadata counts %d keys", name, got, want)
	}
	return sb.String()
}

// rpmQF is the query format of the recorded listings.
const rpmQF = `%{DBINSTANCE}\t%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n`

func listingPath(name string) string { return filepath.Join(fixtureDir, name+".rpm-qa.tsv") }

// TestFixturesMatchRPM compares every pair Scan returns with the listing
// that rpm made of the same file (recorded by TestRPMTool): the same
// instance numbers in the same order, and for each a well-formed header
// with the name, epoch, version, release and arch rpm printed.
func TestFixturesMatchRPM(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(listingPath(name))
			if err != nil {
				t.Fatalf("%v (record it with go test -run TestRPMTool -args -update)", err)
			}
			got := listing(t, name, load(t, name))
			if got != string(want) {
				t.Errorf("Scan and rpm differ:\n%s", lineDiff(string(want), got))
			}
			t.Logf("%d packages agree with rpm", strings.Count(got, "\n"))
		})
	}
}

// TestRPMTool runs Debian's rpm, which reads Berkeley DB with its own
// read-only code (the bdb_ro backend), on every fixture, and checks that it
// still prints the recorded listing. With -update it records the listing.
func TestRPMTool(t *testing.T) {
	rpm := testutil.NeedTool(t, "rpm", "rpm")
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Packages"), load(t, name), 0o644); err != nil {
				t.Fatal(err)
			}
			out, stderr := runRPM(t, rpm, dir)
			if strings.Contains(stderr, "error") {
				t.Fatalf("rpm reports an error:\n%s", stderr)
			}
			if *update {
				if err := os.WriteFile(listingPath(name), []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(listingPath(name))
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Errorf("rpm's listing changed:\n%s", lineDiff(string(want), out))
			}
		})
	}
}

// runRPM lists the Packages database in dir with rpm's read-only Berkeley
// DB backend. rpm warns that the index databases are missing; those lines
// are dropped from the returned standard error.
func runRPM(t *testing.T, rpm, dir string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(rpm, "--dbpath", dir, "--define", "_db_backend bdb_ro", "-qa", "--qf", rpmQF)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANGUAGE=")
	var eb strings.Builder
	cmd.Stderr = &eb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rpm: %v\n%s", err, eb.String())
	}
	var kept []string
	for _, l := range strings.Split(eb.String(), "\n") {
		if l != "" && !strings.Contains(l, "could not open "+dir+"/") {
			kept = append(kept, l)
		}
	}
	return string(out), strings.Join(kept, "\n")
}

// TestRPMAgreesOnCorruption makes rpm read a copy of a real database whose
// first off-page item points to a free page, the damage found in a real
// database that made other readers loop. rpm reports an error (and still
// exits 0 with a short list); Scan must return a *CorruptError.
func TestRPMAgreesOnCorruption(t *testing.T) {
	rpm := testutil.NeedTool(t, "rpm", "rpm")
	data := load(t, "centos6-plain")
	free := binary.LittleEndian.Uint32(data[28:])
	if free == 0 {
		t.Fatal("centos6-plain has no free page")
	}
	it := firstOffPage(t, data)
	binary.LittleEndian.PutUint32(data[it+4:], free)

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Packages"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr := runRPM(t, rpm, dir)
	if !strings.Contains(stderr, "error reading Packages database") {
		t.Errorf("rpm did not report the damage; stderr:\n%s", stderr)
	}
	t.Logf("rpm lists %d packages and says: %s", strings.Count(out, "\n"), stderr)
	err := scanAll(data)
	var ce *bdb.CorruptError
	if !errors.As(err, &ce) || ce.Page != free {
		t.Fatalf("Scan: %v, want a *CorruptError for page %d", err, free)
	}
}

func scanAll(data []byte) error {
	return scanAllSize(data, int64(len(data)))
}

func scanAllSize(data []byte, size int64) error {
	db, err := bdb.Open(bytes.NewReader(data), size)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db.Scan(ctx, func(key, value []byte) error { return nil })
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("first difference at line %d:\n want %q\n  got %q\n(%d lines wanted, %d got)", i+1, a, b, len(w)-1, len(g)-1)
		}
	}
	return "no difference"
}

func TestBigEndian(t *testing.T) {
	data := load(t, "ubi8-s390x")
	db, err := bdb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	info := db.Info()
	if info.ByteOrder != binary.BigEndian || db.ByteOrder() != binary.BigEndian {
		t.Errorf("byte order %v, want big-endian", info.ByteOrder)
	}
	if info.Version != 9 || info.PageSize != 4096 || info.LastPage != 2698 {
		t.Errorf("info %+v", info)
	}
}

func TestInfo(t *testing.T) {
	data := load(t, "centos5-plain")
	db, err := bdb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	got := db.Info()
	want := bdb.Info{Version: 8, PageSize: 4096, LastPage: 1340, MaxBucket: 1, Keys: 111, ByteOrder: binary.LittleEndian}
	if got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
}

func TestFnErrorIsReturned(t *testing.T) {
	data := load(t, "centos5-plain")
	db, err := bdb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	calls := 0
	err = db.Scan(context.Background(), func(key, value []byte) error {
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
	data := load(t, "centos8-modularitylabel")
	db, err := bdb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	if err := db.Scan(ctx, func(key, value []byte) error { calls++; return nil }); !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("Scan with a cancelled context = %v after %d calls", err, calls)
	}
	// Cancelled in the middle: the scan stops at the next page.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	calls = 0
	err = db.Scan(ctx, func(key, value []byte) error {
		calls++
		if calls == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls > 11 {
		t.Errorf("Scan cancelled during the 10th call = %v after %d calls", err, calls)
	}
}

// TestScanTwiceConcurrently checks that a DB holds no scan state.
func TestScanTwiceConcurrently(t *testing.T) {
	data := load(t, "libuuid")
	db, err := bdb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			n := 0
			err := db.Scan(context.Background(), func(key, value []byte) error { n++; return nil })
			if err == nil && n != 2 {
				err = fmt.Errorf("%d pairs", n)
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
