package bdb_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/patchkit/patchkit/internal/bdb"
)

// The corruption tests change copies of real little-endian databases with
// 4096-byte pages. These helpers find the structures to change.

const pageSize = 4096

var le = binary.LittleEndian

// hashPages returns the numbers of the hash pages, in page order.
func hashPages(data []byte) []uint32 {
	var pages []uint32
	for pg := 1; (pg+1)*pageSize <= len(data); pg++ {
		if t := data[pg*pageSize+25]; t == 2 || t == 13 {
			pages = append(pages, uint32(pg))
		}
	}
	return pages
}

// firstOffPage returns the byte offset of the first off-page item of the
// first hash page.
func firstOffPage(t testing.TB, data []byte) int {
	t.Helper()
	for _, pg := range hashPages(data) {
		base := int(pg) * pageSize
		n := int(le.Uint16(data[base+20:]))
		for i := 0; i < n; i++ {
			off := base + int(le.Uint16(data[base+26+2*i:]))
			if data[off] == 3 {
				return off
			}
		}
	}
	t.Fatal("no off-page item")
	return 0
}

// chain returns the overflow pages of the off-page item at byte offset it.
func chain(data []byte, it int) []uint32 {
	var pages []uint32
	for pg := le.Uint32(data[it+4:]); pg != 0; pg = le.Uint32(data[int(pg)*pageSize+16:]) {
		pages = append(pages, pg)
	}
	return pages
}

type mutation struct {
	name   string
	change func(t testing.TB, d []byte)
	// unsupported: the error wraps ErrUnsupported rather than being a
	// *CorruptError.
	unsupported bool
}

func at(page uint32, off int) int { return int(page)*pageSize + off }

func put32(off int, v uint32) func(testing.TB, []byte) {
	return func(_ testing.TB, d []byte) { le.PutUint32(d[off:], v) }
}

func put16(off int, v uint16) func(testing.TB, []byte) {
	return func(_ testing.TB, d []byte) { le.PutUint16(d[off:], v) }
}

func put8(off int, v byte) func(testing.TB, []byte) {
	return func(_ testing.TB, d []byte) { d[off] = v }
}

// onItem changes the first off-page item.
func onItem(f func(d []byte, it int)) func(testing.TB, []byte) {
	return func(t testing.TB, d []byte) { f(d, firstOffPage(t, d)) }
}

// onChain changes the overflow chain of the first off-page item, which must
// have at least two pages.
func onChain(f func(d []byte, pages []uint32)) func(testing.TB, []byte) {
	return func(t testing.TB, d []byte) {
		pages := chain(d, firstOffPage(t, d))
		if len(pages) < 2 {
			t.Fatalf("chain of %d pages", len(pages))
		}
		f(d, pages)
	}
}

// mutations of libuuid's Packages (23 pages: the metadata, two hash pages,
// one 20-page overflow chain).
var mutations = []mutation{
	// The metadata page.
	{name: "zero page size", change: put32(20, 0)},
	{name: "page size not a power of two", change: put32(20, 1000)},
	{name: "page size too large", change: put32(20, 1<<17)},
	{name: "page size larger than the pages", change: put32(20, 8192)},
	{name: "unknown magic", change: put32(12, 0x12345678)},
	{name: "btree magic", change: put32(12, 0x00053162), unsupported: true},
	{name: "hash version 7", change: put32(16, 7), unsupported: true},
	{name: "hash version 2^32-1", change: put32(16, 0xffffffff), unsupported: true},
	{name: "metadata page type", change: put8(25, 9)},
	{name: "metadata page number", change: put32(8, 5)},
	{name: "encrypted", change: put8(24, 1), unsupported: true},
	{name: "checksummed", change: put8(26, 1), unsupported: true},
	{name: "partitioned", change: put8(26, 2), unsupported: true},
	{name: "duplicates", change: put32(48, 1), unsupported: true},
	{name: "sub-databases", change: put32(48, 2), unsupported: true},
	{name: "last page beyond the file", change: put32(32, 23)},
	{name: "last page 2^32-1", change: put32(32, 0xffffffff)},
	{name: "highest bucket beyond the pages", change: put32(72, 1000)},
	{name: "highest bucket 2^32-1", change: put32(72, 0xffffffff)},
	{name: "highest bucket 0 hides bucket 1", change: put32(72, 0)},
	{name: "bucket 0 at page 0", change: put32(96, 0)},
	{name: "bucket 1 beyond the last page", change: put32(100, 1000)},
	{name: "bucket 1 on bucket 0's page", change: put32(100, 0)},

	// Hash pages.
	{name: "hash page type invalid", change: put8(at(1, 25), 0)},
	{name: "hash page type overflow", change: put8(at(1, 25), 7)},
	{name: "hash page type btree leaf", change: put8(at(2, 25), 5)},
	{name: "hash page number", change: put32(at(1, 8), 2)},
	{name: "hash page links to itself", change: put32(at(1, 16), 1)},
	{name: "hash page links to the next bucket", change: put32(at(1, 16), 2)},
	{name: "hash page links beyond the file", change: put32(at(1, 16), 0xfffffff0)},
	{name: "hash page back link", change: put32(at(1, 12), 7)},
	{name: "hash page odd item count", change: put16(at(1, 20), 3)},
	{name: "hash page item count 2^16-1", change: put16(at(1, 20), 0xffff)},
	{name: "hash page item count beyond free space", change: put16(at(1, 20), 40)},
	{name: "free-space offset 0", change: put16(at(1, 22), 0)},
	{name: "free-space offset beyond the page", change: put16(at(1, 22), 0xffff)},
	{name: "item offset 0", change: put16(at(1, 26), 0)},
	{name: "item offset beyond the page", change: put16(at(1, 26), 0xffff)},
	{name: "item offset at the page end", change: put16(at(1, 26), pageSize)},
	{name: "value offset after the key", change: put16(at(1, 28), 4095)},
	{name: "unknown item type", change: onItem(func(d []byte, it int) { d[it] = 9 })},
	{name: "item type 0", change: onItem(func(d []byte, it int) { d[it] = 0 })},
	{name: "duplicate item", change: onItem(func(d []byte, it int) { d[it] = 2 }), unsupported: true},
	{name: "off-page duplicate item", change: onItem(func(d []byte, it int) { d[it] = 4 }), unsupported: true},
	{name: "blob item", change: onItem(func(d []byte, it int) { d[it] = 5 }), unsupported: true},
	{name: "key item turned off-page item", change: func(_ testing.TB, d []byte) {
		d[at(1, int(le.Uint16(d[at(1, 26):])))] = 3 // a 5-byte item cannot be a 12-byte off-page item
	}},

	// Off-page items and overflow chains.
	{name: "overflow page 0", change: onItem(func(d []byte, it int) { le.PutUint32(d[it+4:], 0) })},
	{name: "overflow page beyond the file", change: onItem(func(d []byte, it int) { le.PutUint32(d[it+4:], 23) })},
	{name: "overflow page 2^32-1", change: onItem(func(d []byte, it int) { le.PutUint32(d[it+4:], 0xffffffff) })},
	{name: "overflow chain starts at its hash page", change: onItem(func(d []byte, it int) { le.PutUint32(d[it+4:], 1) })},
	{name: "overflow chain starts at a hash page", change: onItem(func(d []byte, it int) { le.PutUint32(d[it+4:], 2) })},
	{name: "item length 0", change: onItem(func(d []byte, it int) { le.PutUint32(d[it+8:], 0) })},
	{name: "item length 2^32-1", change: onItem(func(d []byte, it int) { le.PutUint32(d[it+8:], 0xffffffff) })},
	{name: "item length one more", change: onItem(func(d []byte, it int) { le.PutUint32(d[it+8:], le.Uint32(d[it+8:])+1) })},
	{name: "item length one less", change: onItem(func(d []byte, it int) { le.PutUint32(d[it+8:], le.Uint32(d[it+8:])-1) })},
	{name: "item length one page less", change: onItem(func(d []byte, it int) { le.PutUint32(d[it+8:], le.Uint32(d[it+8:])-4070) })},
	{name: "overflow page links to itself", change: onChain(func(d []byte, p []uint32) { le.PutUint32(d[at(p[0], 16):], p[0]) })},
	{name: "overflow chain loops to its start", change: onChain(func(d []byte, p []uint32) { le.PutUint32(d[at(p[len(p)-2], 16):], p[0]) })},
	{name: "overflow chain ends early", change: onChain(func(d []byte, p []uint32) { le.PutUint32(d[at(p[1], 16):], 0) })},
	{name: "overflow chain goes beyond the file", change: onChain(func(d []byte, p []uint32) { le.PutUint32(d[at(p[1], 16):], 9999) })},
	{name: "overflow chain goes on after the last page", change: onChain(func(d []byte, p []uint32) { le.PutUint32(d[at(p[len(p)-1], 16):], p[0]) })},
	{name: "overflow chain enters a hash page", change: onChain(func(d []byte, p []uint32) { le.PutUint32(d[at(p[1], 16):], 2) })},
	{name: "overflow page type invalid", change: onChain(func(d []byte, p []uint32) { d[at(p[1], 25)] = 0 })},
	{name: "overflow page type hash", change: onChain(func(d []byte, p []uint32) { d[at(p[1], 25)] = 13 })},
	{name: "overflow page number", change: onChain(func(d []byte, p []uint32) { le.PutUint32(d[at(p[1], 8):], 3) })},
	{name: "overflow back link", change: onChain(func(d []byte, p []uint32) { le.PutUint32(d[at(p[1], 12):], 0) })},
	{name: "overflow page holds 0 bytes", change: onChain(func(d []byte, p []uint32) { le.PutUint16(d[at(p[1], 22):], 0) })},
	{name: "overflow page holds more than a page", change: onChain(func(d []byte, p []uint32) { le.PutUint16(d[at(p[1], 22):], 0xffff) })},
	{name: "overflow page short of full", change: onChain(func(d []byte, p []uint32) { le.PutUint16(d[at(p[1], 22):], 100) })},
	{name: "last overflow page holds more than the item", change: onChain(func(d []byte, p []uint32) { le.PutUint16(d[at(p[len(p)-1], 22):], 4070) })},

	// A hash page that no bucket reaches.
	{name: "second metadata page", change: put8(at(5, 25), 8)},
	{name: "overflow page turned hash page", change: onChain(func(d []byte, p []uint32) {
		d[at(p[1], 25)] = 13 // holds items: its "item count" is the overflow reference count
	})},
}

// TestMutations checks that every mutation of a real database gives a
// *CorruptError (or an error wrapping ErrUnsupported) from Open or Scan,
// within the context's deadline: never a panic, a hang, or success.
func TestMutations(t *testing.T) {
	base := load(t, "libuuid")
	if err := scanAll(base); err != nil {
		t.Fatalf("the unchanged database: %v", err)
	}
	if p := chain(base, firstOffPage(t, base)); len(p) < 3 {
		t.Fatalf("libuuid's first chain has %d pages; the mutations expect more", len(p))
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			d := bytes.Clone(base)
			m.change(t, d)
			if bytes.Equal(d, base) {
				t.Fatal("the mutation changed nothing")
			}
			checkErr(t, scanAll(d), m.unsupported)
		})
	}
}

// checkErr checks that err is a *CorruptError, or wraps ErrUnsupported when
// unsupported is true.
func checkErr(t *testing.T, err error, unsupported bool) {
	t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Scan did not finish: %v", err)
	}
	var ce *bdb.CorruptError
	switch {
	case err == nil:
		t.Fatal("no error")
	case unsupported && !errors.Is(err, bdb.ErrUnsupported):
		t.Fatalf("%v, want an error wrapping ErrUnsupported", err)
	case !unsupported && !errors.As(err, &ce):
		t.Fatalf("%v (%T), want a *CorruptError", err, err)
	case !unsupported && !errors.Is(err, bdb.ErrCorrupt):
		t.Fatalf("%v does not match ErrCorrupt", err)
	}
	t.Log(err)
}

// TestSharedChain points the second off-page item of a real database at
// the chain of the first, with its length: every page of the chain is well
// formed, only the record of visited pages tells.
func TestSharedChain(t *testing.T) {
	d := load(t, "centos5-plain")
	first := firstOffPage(t, d)
	base := first / pageSize * pageSize
	n := int(le.Uint16(d[base+20:]))
	second := -1
	for i := 0; i < n; i++ {
		if off := base + int(le.Uint16(d[base+26+2*i:])); d[off] == 3 && off != first {
			second = off
			break
		}
	}
	if second < 0 {
		t.Fatal("no second off-page item")
	}
	copy(d[second+4:second+12], d[first+4:first+12])
	var ce *bdb.CorruptError
	if err := scanAll(d); !errors.As(err, &ce) || ce.Page != le.Uint32(d[first+4:]) {
		t.Fatalf("Scan = %v, want a *CorruptError for page %d", err, le.Uint32(d[first+4:]))
	}
}

// TestUnreachedHashPage: a metadata page that names too few buckets would
// hide a bucket full of packages from a reader that trusts it.
func TestUnreachedHashPage(t *testing.T) {
	d := load(t, "centos5-plain")
	le.PutUint32(d[72:], 0) // highest bucket 0: bucket 1 (page 2) is no longer reached
	var ce *bdb.CorruptError
	if err := scanAll(d); !errors.As(err, &ce) || ce.Page != 2 {
		t.Fatalf("Scan = %v, want a *CorruptError for page 2", err)
	}
}

// TestTruncated cuts a real database at many lengths. A file shorter than
// its metadata says is corrupt whether the size given to Open is the cut
// length or the original one (a reader that ends early).
func TestTruncated(t *testing.T) {
	base := load(t, "libuuid")
	size := int64(len(base))
	cuts := []int{0, 1, 12, 16, 100, 511, 512, 513, 4095, 4096, 4097, 8191, 8192, 8193}
	for c := 8192 + 331; c < len(base); c += 1021 {
		cuts = append(cuts, c)
	}
	cuts = append(cuts, len(base)-4096, len(base)-1)
	for _, c := range cuts {
		d := base[:c]
		var ce *bdb.CorruptError
		if err := scanAll(d); !errors.As(err, &ce) {
			t.Errorf("cut at %d: %v, want a *CorruptError", c, err)
		}
		if c < 512 {
			continue // Open reads the metadata page first
		}
		if err := scanAllSize(d, size); !errors.As(err, &ce) {
			t.Errorf("cut at %d, size %d: %v, want a *CorruptError", c, size, err)
		}
	}
}

// TestByteFlips flips, one at a time, every byte of the structures of a
// real database: the metadata page, every page header, and the index and
// items of the hash pages. Each result must be success or a typed error,
// never a panic or a hang.
func TestByteFlips(t *testing.T) {
	d := load(t, "libuuid")
	var offs []int
	for i := 0; i < 512; i++ {
		offs = append(offs, i)
	}
	for pg := 1; (pg+1)*pageSize <= len(d); pg++ {
		base := pg * pageSize
		for i := 0; i < 26; i++ {
			offs = append(offs, base+i)
		}
		if t := d[base+25]; t == 13 || t == 2 {
			n := int(le.Uint16(d[base+20:]))
			for i := 26; i < 26+2*n; i++ {
				offs = append(offs, base+i)
			}
			for i := int(le.Uint16(d[base+22:])); i < pageSize; i++ {
				offs = append(offs, base+i)
			}
		}
	}
	fails := 0
	for _, off := range offs {
		d[off] ^= 0xff
		err := scanAll(d)
		d[off] ^= 0xff
		if err != nil && !errors.Is(err, bdb.ErrCorrupt) && !errors.Is(err, bdb.ErrUnsupported) {
			t.Errorf("flip at %d: untyped error %v", off, err)
		}
		if err != nil {
			fails++
		}
	}
	if err := scanAll(d); err != nil {
		t.Fatalf("the restored database: %v", err)
	}
	t.Logf("%d of %d flips give an error", fails, len(offs))
}
