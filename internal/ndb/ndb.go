// Package ndb reads rpm's own "ndb" package database, the file
// var/lib/rpm/Packages.db of SUSE Linux Enterprise 15 and openSUSE Leap 15.
// It is read-only, pure Go, and reads through an io.ReaderAt, so a database
// inside an image layer or an fs.FS needs no temporary file.
//
// # The format
//
// The file is a sequence of 16-byte blocks, all integers little-endian
// whatever the machine. The first 4096-byte pages are slot pages: page 0
// starts with a 32-byte header ("RpmP", version 0, a generation counter, the
// number of slot pages, the next package index) and every other 16 bytes of
// the slot pages is a slot ("Slot", package index, first block, block
// count). A slot whose first block is 0 is free. A used slot points to a
// blob: a 16-byte head ("BlbS", package index, a timestamp, the blob length),
// the blob (an rpm header), zero padding to a block boundary, and a 12-byte
// tail (the Adler-32 of everything from the head to the padding, the blob
// length again, "BlbE").
//
// # Order
//
// Scan returns the blobs in the order of their first block, which is the
// order in which rpm -qa lists the packages of an ndb database.
//
// # What is validated
//
// Open checks the header: magic, version 0, a slot page count that the file
// holds, and a file size that is a multiple of the block size. Scan checks
// every slot's magic, that a used slot has a package index and a block count,
// starts after the slot pages and ends inside the file, that no two slots
// share a package index or overlap, and for every blob: the head's magic,
// that its package index is the slot's, that the block count is exactly what
// the blob length needs, and the tail's checksum, length and magic. (rpm
// itself checks the checksum only when it verifies the database, not on
// every read.) Blobs compressed with rpm's optional LZO support are not
// recognised: they are returned as stored.
//
// # Bounds
//
// Scan keeps 12 bytes per used slot, one slot page buffer, and one blob
// buffer as large as the largest blob (at most the file's size), reused from
// blob to blob. ctx is checked before every page and every blob.
package ndb

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"math"
	"slices"
)

// ErrCorrupt is matched (errors.Is) by every *CorruptError.
var ErrCorrupt = errors.New("corrupt rpm ndb database")

// ErrUnsupported is wrapped by the error for a database of a version other
// than 0.
var ErrUnsupported = errors.New("unsupported rpm ndb database")

// CorruptError reports a database that breaks the format.
type CorruptError struct {
	Offset int64 // the byte offset in the file where the problem was found
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("ndb: offset %d: %s", e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

func corrupt(off int64, format string, args ...any) error {
	return &CorruptError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

const (
	headerMagic = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	slotMagic   = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	blobMagic   = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	tailMagic   = 'B' | 'l'<<8 | 'b'<<16 | 'E'<<24

	headerSize   = 32
	slotSize     = 16
	blockSize    = 16
	pageSize     = 4096
	blobHeadSize = 16
	blobTailSize = 12
)

var le = binary.LittleEndian

// Info describes a database, from its header.
type Info struct {
	Generation   uint32 // incremented by rpm on every change
	SlotPages    uint32 // number of 4096-byte slot pages
	NextPkgIndex uint32 // the package index rpm will give the next package
}

// DB is an open database. It keeps no state between calls: Scan may run
// more than once and from several goroutines at a time.
type DB struct {
	r    io.ReaderAt
	size int64
	info Info
}

// Open reads and checks the header of the database of size bytes that r
// reads.
func Open(r io.ReaderAt, size int64) (*DB, error) {
	if size < headerSize {
		return nil, corrupt(0, "file of %d bytes is shorter than the header (%d bytes)", size, headerSize)
	}
	var h [headerSize]byte
	if err := readFull(r, h[:], 0); err != nil {
		return nil, err
	}
	if m := le.Uint32(h[0:]); m != headerMagic {
		return nil, corrupt(0, "magic %#08x is not that of an rpm ndb database (RpmP)", m)
	}
	if v := le.Uint32(h[4:]); v != 0 {
		return nil, fmt.Errorf("ndb: offset 4: %w: version %d (version 0 is read)", ErrUnsupported, v)
	}
	db := &DB{r: r, size: size, info: Info{
		Generation:   le.Uint32(h[8:]),
		SlotPages:    le.Uint32(h[12:]),
		NextPkgIndex: le.Uint32(h[16:]),
	}}
	if db.info.SlotPages == 0 {
		return nil, corrupt(12, "no slot pages")
	}
	if end := int64(db.info.SlotPages) * pageSize; end > size {
		return nil, corrupt(12, "%d slot pages end at byte %d, but the file has %d bytes", db.info.SlotPages, end, size)
	}
	if size%blockSize != 0 {
		return nil, corrupt(size, "file size %d is not a multiple of the %d-byte block", size, blockSize)
	}
	return db, nil
}

// Info returns what the header says.
func (db *DB) Info() Info { return db.info }

// slot is a used slot.
type slot struct {
	pkgIdx, blkOff, blkCnt uint32
}

// Scan calls fn for every package blob, in the order of the blobs in the
// file (see the package documentation), with the package index of its slot.
// The blob is valid only during the call. An error from fn ends the scan and
// is returned as it is. Scan returns a *CorruptError for a database that
// breaks the format and ctx's error when ctx is done; blobs passed to fn
// before such an error are not a complete list.
func (db *DB) Scan(ctx context.Context, fn func(pkgIdx uint32, blob []byte) error) error {
	slots, err := db.readSlots(ctx)
	if err != nil {
		return err
	}
	var buf []byte
	for _, s := range slots {
		if err := ctx.Err(); err != nil {
			return err
		}
		n64 := int64(s.blkCnt) * blockSize // blkOff+blkCnt is within the file
		if n64 > math.MaxInt {
			return corrupt(int64(s.blkOff)*blockSize, "blob of package %d is too large for this machine (%d bytes)", s.pkgIdx, n64)
		}
		n := int(n64)
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		b := buf[:n]
		off := int64(s.blkOff) * blockSize
		if err := readFull(db.r, b, off); err != nil {
			return err
		}
		blob, err := checkBlob(b, off, s)
		if err != nil {
			return err
		}
		if err := fn(s.pkgIdx, blob); err != nil {
			return err
		}
	}
	return nil
}

// readSlots reads the slot pages and returns the used slots, ordered by
// their first block and checked for overlaps and repeated package indexes.
func (db *DB) readSlots(ctx context.Context) ([]slot, error) {
	fileBlocks := uint64(db.size) / blockSize
	minBlock := uint64(db.info.SlotPages) * (pageSize / blockSize)
	page := make([]byte, pageSize)
	var slots []slot
	for p := uint32(0); p < db.info.SlotPages; p++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pageOff := int64(p) * pageSize
		if err := readFull(db.r, page, pageOff); err != nil {
			return nil, err
		}
		first := 0
		if p == 0 {
			first = headerSize
		}
		for o := first; o < pageSize; o += slotSize {
			off := pageOff + int64(o)
			e := page[o : o+slotSize]
			if m := le.Uint32(e); m != slotMagic {
				return nil, corrupt(off, "slot magic %#08x, want %#08x (Slot)", m, uint32(slotMagic))
			}
			s := slot{pkgIdx: le.Uint32(e[4:]), blkOff: le.Uint32(e[8:]), blkCnt: le.Uint32(e[12:])}
			if s.blkOff == 0 {
				continue // free
			}
			switch {
			case s.pkgIdx == 0:
				return nil, corrupt(off, "used slot without a package index")
			case s.blkCnt == 0:
				return nil, corrupt(off, "slot of package %d has no blocks", s.pkgIdx)
			case uint64(s.blkOff) < minBlock:
				return nil, corrupt(off, "slot of package %d starts at block %d, inside the slot pages (blocks 0 to %d)", s.pkgIdx, s.blkOff, minBlock-1)
			case uint64(s.blkOff)+uint64(s.blkCnt) > fileBlocks:
				return nil, corrupt(off, "slot of package %d ends at block %d, beyond the file's %d blocks", s.pkgIdx, uint64(s.blkOff)+uint64(s.blkCnt), fileBlocks)
			}
			slots = append(slots, s)
		}
	}
	slices.SortFunc(slots, func(a, b slot) int { return cmp.Compare(a.pkgIdx, b.pkgIdx) })
	for i := 1; i < len(slots); i++ {
		if slots[i].pkgIdx == slots[i-1].pkgIdx {
			return nil, corrupt(int64(slots[i].blkOff)*blockSize, "two slots for package %d", slots[i].pkgIdx)
		}
	}
	slices.SortFunc(slots, func(a, b slot) int { return cmp.Compare(a.blkOff, b.blkOff) })
	for i := 1; i < len(slots); i++ {
		if prev := slots[i-1]; uint64(prev.blkOff)+uint64(prev.blkCnt) > uint64(slots[i].blkOff) {
			return nil, corrupt(int64(slots[i].blkOff)*blockSize, "blob of package %d overlaps that of package %d", slots[i].pkgIdx, prev.pkgIdx)
		}
	}
	return slots, nil
}

// checkBlob checks the blob stored in b (all blocks of slot s, read from
// offset off) and returns the blob's bytes.
func checkBlob(b []byte, off int64, s slot) ([]byte, error) {
	if len(b) < blobHeadSize+blobTailSize {
		return nil, corrupt(off, "%d blocks are too few for the blob of package %d", s.blkCnt, s.pkgIdx)
	}
	if m := le.Uint32(b); m != blobMagic {
		return nil, corrupt(off, "blob magic %#08x, want %#08x (BlbS), for package %d", m, uint32(blobMagic), s.pkgIdx)
	}
	if idx := le.Uint32(b[4:]); idx != s.pkgIdx {
		return nil, corrupt(off+4, "blob of package %d where the slot names package %d", idx, s.pkgIdx)
	}
	n := le.Uint32(b[12:])
	if want := (uint64(blobHeadSize) + uint64(n) + blobTailSize + blockSize - 1) / blockSize; want != uint64(s.blkCnt) {
		return nil, corrupt(off+12, "blob of package %d has %d bytes, which needs %d blocks, not the slot's %d", s.pkgIdx, n, want, s.blkCnt)
	}
	tail := b[len(b)-blobTailSize:]
	tailOff := off + int64(len(b)-blobTailSize)
	if m := le.Uint32(tail[8:]); m != tailMagic {
		return nil, corrupt(tailOff+8, "blob tail magic %#08x, want %#08x (BlbE), for package %d", m, uint32(tailMagic), s.pkgIdx)
	}
	if tn := le.Uint32(tail[4:]); tn != n {
		return nil, corrupt(tailOff+4, "blob tail gives length %d, head %d, for package %d", tn, n, s.pkgIdx)
	}
	if sum, want := adler32.Checksum(b[:len(b)-blobTailSize]), le.Uint32(tail); sum != want {
		return nil, corrupt(tailOff, "blob of package %d has Adler-32 %#08x, the tail says %#08x", s.pkgIdx, sum, want)
	}
	return b[blobHeadSize : blobHeadSize+n], nil
}

// readFull reads len(b) bytes at off. A file that ends early is a
// *CorruptError; other read errors are returned wrapped.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return corrupt(off+int64(n), "the file ends %d bytes into a read of %d", n, len(b))
	}
	return fmt.Errorf("ndb: offset %d: %w", off, err)
}
