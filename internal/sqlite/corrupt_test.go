package sqlite

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// The tests here change bytes of real databases (tiny.db: 512-byte pages,
// table t rooted at interior page 2 over leaves 3, 4 and 5, the record of
// rowid 100 with an overflow chain; tiny-wal.db with its log) and check the
// error each change gives.

func loadFixture(t testing.TB, name string) []byte {
	t.Helper()
	return unzst(t, repoTestdata(t, "sqlite", name+".zst"))
}

func openBytes(data, wal []byte, opts ...Option) (*DB, error) {
	var w io.ReaderAt
	if wal != nil {
		w = bytes.NewReader(wal)
	}
	return Open(context.Background(), bytes.NewReader(data), int64(len(data)), w, int64(len(wal)), opts...)
}

func scanCount(db *DB, table string) (int, error) {
	n := 0
	err := db.Scan(context.Background(), table, func(int64, []Value) error { n++; return nil })
	return n, err
}

// wantCorrupt checks that err is a *CorruptError of page pg (any page when
// pg is 0) whose reason contains reason.
func wantCorrupt(t *testing.T, err error, pg uint32, reason string) *CorruptError {
	t.Helper()
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %v (%T), want a *CorruptError", err, err)
	}
	if (pg != 0 && ce.Page != pg) || !strings.Contains(ce.Reason, reason) {
		t.Fatalf("error %v: want page %d and a reason with %q", err, pg, reason)
	}
	return ce
}

const tinyPage = 512

func pageOff(pg uint32) int { return int(pg-1) * tinyPage }

// cellOf returns the offset in data of cell i of the b-tree page pg.
func cellOf(data []byte, pg uint32, i int) int {
	base := pageOff(pg)
	hdr := base
	if pg == 1 {
		hdr += 100
	}
	hlen := 8
	if data[hdr] == typeTableInterior {
		hlen = 12
	}
	return base + int(binary.BigEndian.Uint16(data[hdr+hlen+2*i:]))
}

// overflowChain returns the overflow pages of the record rowid on leaf pg of
// tiny.db, and the offset of the cell's first-overflow pointer.
func overflowChain(t *testing.T, data []byte, pg uint32, rowid int64) (ptrOff int, chain []uint32) {
	t.Helper()
	n := int(binary.BigEndian.Uint16(data[pageOff(pg)+3:]))
	for i := 0; i < n; i++ {
		p := cellOf(data, pg, i)
		size, k := varint(data[p:])
		p += k
		r, k := varint(data[p:])
		p += k
		if int64(r) != rowid {
			continue
		}
		local := localSize(int(size), tinyPage, tinyPage-35)
		ptrOff = p + local
		for next := binary.BigEndian.Uint32(data[ptrOff:]); next != 0 && len(chain) < 100; next = binary.BigEndian.Uint32(data[pageOff(next):]) {
			chain = append(chain, next)
		}
		return ptrOff, chain
	}
	t.Fatalf("no rowid %d on page %d", rowid, pg)
	return 0, nil
}

func TestCorruptPages(t *testing.T) {
	orig := loadFixture(t, "tiny.db")
	if db, err := openBytes(orig, nil); err != nil {
		t.Fatal(err)
	} else if n, err := scanCount(db, "t"); err != nil || n != 36 {
		t.Fatalf("tiny.db: %d rows, %v", n, err)
	}
	if orig[pageOff(2)] != typeTableInterior || orig[pageOff(3)] != typeTableLeaf || orig[pageOff(5)] != typeTableLeaf {
		t.Fatal("tiny.db is not laid out as these tests expect")
	}
	ptrOff, chain := overflowChain(t, orig, 5, 100)
	if len(chain) < 3 {
		t.Fatalf("overflow chain %v", chain)
	}
	put32 := func(d []byte, off int, v uint32) { binary.BigEndian.PutUint32(d[off:], v) }
	put16 := func(d []byte, off int, v uint16) { binary.BigEndian.PutUint16(d[off:], v) }
	cases := []struct {
		name   string
		change func(d []byte)
		page   uint32
		reason string
		offset int // the expected Offset, when not 0
	}{
		{"interior page points to itself", func(d []byte) { put32(d, pageOff(2)+8, 2) }, 2, "reached a second time", pageOff(2)},
		{"two pointers to one leaf", func(d []byte) { put32(d, pageOff(2)+8, 3) }, 3, "reached a second time", 0},
		{"child page beyond the database", func(d []byte) { put32(d, pageOff(2)+8, 9999) }, 0, "page number 9999 out of range 1..12", 0},
		{"child page 0", func(d []byte) { put32(d, cellOf(d, 2, 0), 0) }, 0, "page number 0 out of range", 0},
		{"cell pointer past the page", func(d []byte) { put16(d, pageOff(3)+8, 0xFFFF) }, 3, "cell 0: pointer 65535 outside", pageOff(3) + 8},
		{"cell pointer into the header", func(d []byte) { put16(d, pageOff(3)+8+2, 3) }, 3, "cell 1: pointer 3 outside", 0},
		{"unknown page type", func(d []byte) { d[pageOff(3)] = 0x07 }, 3, "page type 0x07", pageOff(3)},
		{"index page in a table", func(d []byte) { d[pageOff(4)] = typeIndexLeaf }, 4, "page type 0x0a", 0},
		{"free page as a leaf", func(d []byte) { put32(d, pageOff(2)+8, 11) }, 11, "not a table b-tree page", 0},
		{"too many cells", func(d []byte) { put16(d, pageOff(3)+3, 300) }, 3, "300 cell pointers do not fit", 0},
		{"rowids out of order", func(d []byte) {
			a, b := pageOff(3)+8, pageOff(3)+10
			d[a], d[a+1], d[b], d[b+1] = d[b], d[b+1], d[a], d[a+1]
		}, 3, "does not follow", 0},
		{"overflow chain loops", func(d []byte) { put32(d, pageOff(chain[1]), chain[0]) }, chain[0], "reached a second time", 0},
		{"overflow chain ends early", func(d []byte) { put32(d, pageOff(chain[1]), 0) }, 5, "overflow chain ends after", 0},
		{"overflow page beyond the database", func(d []byte) { put32(d, ptrOff, 70000) }, 0, "page number 70000 out of range", 0},
		{"overflow into a b-tree page", func(d []byte) { put32(d, ptrOff, 3) }, 3, "reached a second time", 0},
		{"record header larger than the payload", func(d []byte) { d[cellOf(d, 3, 0)+2] = 0x7F }, 3, "header size 127", 0},
		{"reserved serial type", func(d []byte) { d[cellOf(d, 3, 0)+3] = 10 }, 3, "reserved serial type 10", 0},
		{"value past the payload", func(d []byte) { d[cellOf(d, 3, 0)+4] = 0x7F }, 3, "runs past the payload", 0},
		{"payload size past the page", func(d []byte) { d[cellOf(d, 3, 0)] = 0x7F }, 3, "runs past the page", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := bytes.Clone(orig)
			c.change(d)
			db, err := openBytes(d, nil, WithName("tiny.db"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = scanCount(db, "t")
			ce := wantCorrupt(t, err, c.page, c.reason)
			if ce.File != "tiny.db" || (c.offset != 0 && ce.Offset != int64(c.offset)) {
				t.Errorf("error %v: want file tiny.db at offset %d", err, c.offset)
			}
		})
	}
}

func TestTooDeep(t *testing.T) {
	d := loadFixture(t, "p512.db")
	db, err := openBytes(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	var root uint32
	for _, tab := range db.tables {
		if tab.name == "vals" {
			root = tab.root
		}
	}
	// A chain of 25 interior pages without cells, each the right-most
	// child of the one before.
	pages := []uint32{root}
	for p := uint32(200); p < 224; p++ {
		pages = append(pages, p)
	}
	for i, pg := range pages[:len(pages)-1] {
		h := d[pageOff(pg):]
		h[0] = typeTableInterior
		binary.BigEndian.PutUint16(h[3:], 0)
		binary.BigEndian.PutUint32(h[8:], pages[i+1])
	}
	db, err = openBytes(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = scanCount(db, "vals")
	wantCorrupt(t, err, pages[20], "deeper than 20 levels")
}

func TestCorruptHeader(t *testing.T) {
	orig := loadFixture(t, "tiny.db")
	cases := []struct {
		name        string
		change      func(d []byte) []byte
		unsupported bool
		reason      string
	}{
		{"not a database", func(d []byte) []byte { return bytes.Repeat([]byte("not sqlite "), 100) }, false, "no magic string"},
		{"too short", func(d []byte) []byte { return d[:99] }, false, "too short"},
		{"page size 768", func(d []byte) []byte { d[16], d[17] = 3, 0; return d }, false, "page size 768"},
		{"page size 256", func(d []byte) []byte { d[16], d[17] = 1, 0; return d }, false, "page size 256"},
		{"too many reserved bytes", func(d []byte) []byte { d[20] = 40; return d }, false, "fewer than 480"},
		{"payload fractions", func(d []byte) []byte { d[21] = 65; return d }, false, "payload fractions 65/32/32"},
		{"text encoding 4", func(d []byte) []byte { d[59] = 4; return d }, false, "text encoding 4"},
		{"UTF-16be", func(d []byte) []byte { d[59] = 3; return d }, true, "UTF-16"},
		{"read version 3", func(d []byte) []byte { d[19] = 3; return d }, true, "read version 3"},
		{"schema format 5", func(d []byte) []byte { d[47] = 5; return d }, true, "schema format 5"},
		{"size beyond the file", func(d []byte) []byte { return d[:10*tinyPage+100] }, false, "header gives 12 pages, the files hold 11"},
		{"root page past the end", func(d []byte) []byte { d[95]++; return d[:9*tinyPage+200] }, false, "(index t_s): root page 12 beyond the 10 pages"},
		{"schema root is an index page", func(d []byte) []byte { d[100] = typeIndexLeaf; return d }, false, "not a table b-tree page"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := openBytes(c.change(bytes.Clone(orig)), nil)
			if c.unsupported {
				if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), c.reason) {
					t.Fatalf("error %v, want ErrUnsupported with %q", err, c.reason)
				}
				return
			}
			wantCorrupt(t, err, 0, c.reason)
		})
	}
	// The in-header size counts only when the change counter equals
	// version-valid-for; otherwise the size is the file's.
	long := append(bytes.Clone(orig), make([]byte, 3*tinyPage+10)...)
	for _, c := range []struct {
		change bool
		pages  uint32
	}{{false, 12}, {true, 16}} {
		d := bytes.Clone(long)
		if c.change {
			d[95]++
		}
		db, err := openBytes(d, nil)
		if err != nil {
			t.Fatal(err)
		}
		if db.Pages() != c.pages {
			t.Errorf("counter changed %v: %d pages, want %d", c.change, db.Pages(), c.pages)
		}
		if n, err := scanCount(db, "t"); n != 36 || err != nil {
			t.Errorf("%d rows, %v", n, err)
		}
	}
}

// resum recomputes the log header's checksum and the chain of frame
// checksums, as SQLite would have written them.
func resum(wal []byte, pageSize int) {
	big := binary.BigEndian.Uint32(wal)&1 == 1
	s0, s1 := walChecksum(big, wal[:24], 0, 0)
	binary.BigEndian.PutUint32(wal[24:], s0)
	binary.BigEndian.PutUint32(wal[28:], s1)
	for off := 32; off+24+pageSize <= len(wal); off += 24 + pageSize {
		if !bytes.Equal(wal[off+8:off+16], wal[16:24]) {
			break
		}
		s0, s1 = walChecksum(big, wal[off:off+8], s0, s1)
		s0, s1 = walChecksum(big, wal[off+24:off+24+pageSize], s0, s1)
		binary.BigEndian.PutUint32(wal[off+16:], s0)
		binary.BigEndian.PutUint32(wal[off+20:], s1)
	}
}

func TestCorruptWAL(t *testing.T) {
	db0 := loadFixture(t, "tiny-wal.db")
	wal0 := loadFixture(t, "tiny-wal.db-wal")
	base, err := openBytes(db0, wal0)
	if err != nil {
		t.Fatal(err)
	}
	w0 := base.WAL()
	if w0.Committed < 2 || w0.Frames <= w0.Committed {
		t.Fatalf("tiny-wal: %+v", w0)
	}
	frame := func(i int) int { return 32 + i*(24+tinyPage) }

	t.Run("page size differs", func(t *testing.T) {
		w := bytes.Clone(wal0)
		binary.BigEndian.PutUint32(w[8:], 1024)
		resum(w, 1024)
		_, err := openBytes(db0, w, WithName("rpmdb.sqlite"))
		ce := wantCorrupt(t, err, 0, "log page size 1024 differs from the database's 512")
		if ce.File != "rpmdb.sqlite-wal" || ce.Offset != 8 {
			t.Errorf("%v: file %q offset %d", err, ce.File, ce.Offset)
		}
	})
	t.Run("format version", func(t *testing.T) {
		w := bytes.Clone(wal0)
		binary.BigEndian.PutUint32(w[4:], 3007001)
		resum(w, tinyPage)
		if _, err := openBytes(db0, w); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("%v, want ErrUnsupported", err)
		}
	})
	t.Run("header cut short", func(t *testing.T) {
		db, err := openBytes(db0, wal0[:20])
		if err != nil || db.WAL().Ignored == "" || db.WAL().Committed != 0 {
			t.Fatalf("%v %+v", err, db.WAL())
		}
	})
	t.Run("page number 0 ends the log", func(t *testing.T) {
		w := bytes.Clone(wal0)
		binary.BigEndian.PutUint32(w[frame(1):], 0)
		resum(w, tinyPage)
		db, err := openBytes(db0, w)
		if err != nil || db.WAL().Frames != 1 {
			t.Fatalf("%v %+v", err, db.WAL())
		}
	})
	t.Run("frame of an older log generation", func(t *testing.T) {
		w := bytes.Clone(wal0)
		w[frame(1)+9] ^= 1 // salt-1
		db, err := openBytes(db0, w)
		if err != nil || db.WAL().Frames != 1 {
			t.Fatalf("%v %+v", err, db.WAL())
		}
	})
	t.Run("commit claims a huge database", func(t *testing.T) {
		// The last commit frame says the database has 2^32-1 pages;
		// nothing may be sized by that number.
		w := bytes.Clone(wal0)
		last := w0.Committed - 1
		binary.BigEndian.PutUint32(w[frame(last)+4:], 0xFFFFFFFF)
		resum(w, tinyPage)
		db, err := openBytes(db0, w)
		if err != nil {
			// Page 1 from the log gives a valid smaller size: fine.
			wantCorrupt(t, err, 0, "")
			return
		}
		if db.WAL().DBPages != 0xFFFFFFFF {
			t.Fatalf("%+v", db.WAL())
		}
		allocs := testing.AllocsPerRun(3, func() {
			if _, err := scanCount(db, "t"); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 20 {
			t.Errorf("%v allocations", allocs)
		}
	})
	t.Run("database size from the last commit", func(t *testing.T) {
		// With no valid size in the file's header, the database has the
		// size the last commit frame gives.
		d := bytes.Clone(db0)
		binary.BigEndian.PutUint32(d[28:], 0)
		db, err := openBytes(d, wal0)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := scanCount(db, "t"); err != nil || n != 6 || db.Pages() != db.WAL().DBPages {
			t.Fatalf("%d rows, %v, %d pages, %+v", n, err, db.Pages(), db.WAL())
		}
	})
}

func TestLimits(t *testing.T) {
	d := loadFixture(t, "tiny.db")
	db, err := openBytes(d, nil, WithName("tiny.db"), WithMaxRecordSize(1000))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = db.Scan(context.Background(), "t", func(int64, []Value) error { n++; return nil })
	var le *LimitError
	if !errors.As(err, &le) || !errors.Is(err, ErrTooLarge) || le.Rowid != 100 || le.Size < 3000 || le.Limit != 1000 || le.Page != 5 || le.File != "tiny.db" {
		t.Fatalf("%v (%+v)", err, le)
	}
	if n != 35 {
		t.Errorf("%d rows before the large one", n)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "sqlite: tiny.db: page 5 (offset ") || !strings.HasSuffix(msg, "record 100 has 3022 bytes, more than the limit of 1000") {
		t.Errorf("message %q", msg)
	}
	for _, bad := range []int64{0, -1, 1<<31 + 1} {
		if _, err := openBytes(d, nil, WithMaxRecordSize(bad)); err == nil {
			t.Errorf("WithMaxRecordSize(%d) accepted", bad)
		}
	}
	if _, err := openBytes(d, nil, WithName("")); err == nil {
		t.Error(`WithName("") accepted`)
	}
}

func TestScanErrors(t *testing.T) {
	db, err := openBytes(loadFixture(t, "p512.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"nope", "many_view", "many_name", ""} {
		if err := db.Scan(ctx, name, func(int64, []Value) error { return nil }); !errors.Is(err, ErrNoTable) {
			t.Errorf("Scan(%q): %v, want ErrNoTable", name, err)
		}
	}
	if err := db.Scan(ctx, "wr", func(int64, []Value) error { return nil }); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "WITHOUT ROWID") {
		t.Errorf("WITHOUT ROWID: %v", err)
	}
	// Names compare without regard to ASCII case.
	if n, err := scanCount(db, "MANY"); err != nil || n != 2667 {
		t.Errorf("MANY: %d %v", n, err)
	}
	if n, err := scanCount(db, "SQLITE_MASTER"); err != nil || n != 7 {
		t.Errorf("SQLITE_MASTER: %d %v", n, err)
	}
	stop := errors.New("stop")
	n := 0
	err = db.Scan(ctx, "many", func(int64, []Value) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if err != stop || n != 10 {
		t.Errorf("fn's error: %v after %d rows", err, n)
	}
	cctx, cancel := context.WithCancel(ctx)
	n = 0
	err = db.Scan(cctx, "many", func(int64, []Value) error {
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n > 100 {
		t.Errorf("cancelled: %v after %d rows", err, n)
	}
	if _, err := Open(cctx, bytes.NewReader(loadFixture(t, "tiny.db")), 6144, nil, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: %v", err)
	}
	if _, err := Open(ctx, nil, 0, nil, 0); err == nil {
		t.Error("Open(nil) accepted")
	}
}

// seekOnly hides ReadAt from an fs.File.
type seekOnly struct{ fs.File }

func (s seekOnly) Seek(off int64, whence int) (int64, error) {
	return s.File.(io.Seeker).Seek(off, whence)
}

type seekOnlyFS struct{ fs.FS }

func (s seekOnlyFS) Open(name string) (fs.File, error) {
	f, err := s.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return seekOnly{f}, nil
}

type streamOnly struct{ fs.File }
type streamOnlyFS struct{ fs.FS }

func (s streamOnlyFS) Open(name string) (fs.File, error) {
	f, err := s.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return streamOnly{f}, nil
}

func TestOpenFS(t *testing.T) {
	mfs := fstest.MapFS{
		"var/lib/rpm/rpmdb.sqlite":     {Data: loadFixture(t, "tiny-wal.db")},
		"var/lib/rpm/rpmdb.sqlite-wal": {Data: loadFixture(t, "tiny-wal.db-wal")},
		"dir/rpmdb.sqlite":             {Mode: fs.ModeDir},
	}
	ctx := context.Background()
	for name, fsys := range map[string]fs.FS{"ReadAt": mfs, "Seek": seekOnlyFS{mfs}} {
		db, err := OpenFS(ctx, fsys, "var/lib/rpm/rpmdb.sqlite")
		if err != nil {
			t.Fatal(name, err)
		}
		if n, err := scanCount(db, "t"); err != nil || n != 6 || db.WAL().Committed == 0 {
			t.Errorf("%s: %d rows, %v, %+v", name, n, err, db.WAL())
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}
	if _, err := OpenFS(ctx, streamOnlyFS{mfs}, "var/lib/rpm/rpmdb.sqlite"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("a file system without ReadAt or Seek: %v", err)
	}
	if _, err := OpenFS(ctx, mfs, "missing.sqlite"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	if _, err := OpenFS(ctx, mfs, "dir/rpmdb.sqlite"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	// A corrupt database names the file it was opened as.
	mfs["bad.sqlite"] = &fstest.MapFile{Data: bytes.Repeat([]byte{'x'}, 200)}
	if _, err := OpenFS(ctx, mfs, "bad.sqlite"); err == nil || !strings.Contains(err.Error(), "sqlite: bad.sqlite (offset 0): corrupt: not an SQLite 3 database") {
		t.Errorf("bad: %v", err)
	}
}

// failingReader fails every read that reaches past failAt.
type failingReader struct {
	data   []byte
	failAt int64
}

var errDisk = errors.New("disk error")

func (r failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.failAt {
		return 0, errDisk
	}
	return copy(p, r.data[off:]), nil
}

func TestReadErrors(t *testing.T) {
	d := loadFixture(t, "tiny.db")
	w := loadFixture(t, "tiny-wal.db-wal")
	dw := loadFixture(t, "tiny-wal.db")
	ctx := context.Background()
	// A failing read is the reader's error, wrapped with the file and page,
	// never corruption.
	if _, err := Open(ctx, failingReader{d, 50}, int64(len(d)), nil, 0); !errors.Is(err, errDisk) || errors.Is(err, ErrCorrupt) {
		t.Errorf("header: %v", err)
	}
	db, err := Open(ctx, failingReader{d, 4 * tinyPage}, int64(len(d)), nil, 0, WithName("x.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scanCount(db, "t"); !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "x.db: page 5 at offset 2048") {
		t.Errorf("page: %v", err)
	}
	if _, err := Open(ctx, bytes.NewReader(dw), int64(len(dw)), failingReader{w, 600}, int64(len(w))); !errors.Is(err, errDisk) {
		t.Errorf("log: %v", err)
	}
	// A size larger than the reader's data: the read comes up short.
	db, err = Open(ctx, bytes.NewReader(d[:2000]), int64(len(d)), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scanCount(db, "t"); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short file: %v", err)
	}
}
