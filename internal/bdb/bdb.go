// Package bdb reads Berkeley DB hash databases, the format of rpm's
// var/lib/rpm/Packages before rpm moved to SQLite (RHEL and CentOS 5 to 8,
// Amazon Linux 2, Oracle Linux 7 and 8). It is read-only, pure Go, and reads
// through an io.ReaderAt, so a database inside an image layer or an fs.FS
// needs no temporary file.
//
// # What is read
//
// Only the subset that rpm writes: a single, unencrypted hash database
// without checksums, duplicates, partitions or external blobs, of hash
// version 8 (Berkeley DB 4.3 on CentOS 5), 9 (Berkeley DB 4.7 and 5.3 on
// CentOS 6 to 8 and Amazon Linux 2) or 10 (Berkeley DB 6: accepted, as rpm's
// own read-only reader accepts it, but untested, for no such rpm database
// was at hand). Page 0 is the hash metadata page; hash pages (types 2 and
// 13) hold the key/data pairs; an item too large for a hash page, such as
// every rpm header, is stored off-page as a chain of overflow pages (type
// 7). Anything else ends the scan with an error that wraps ErrUnsupported.
//
// # Byte order
//
// Berkeley DB writes its page structures in the byte order of the machine
// that created the file and tells which it is by the byte order of the
// metadata magic number (0x00061561). Both orders are read, so a database
// from an s390x machine reads on amd64. The keys and values themselves are
// the application's bytes and are returned as stored: rpm's keys are 4-byte
// header instance numbers in the creating machine's order (DB.ByteOrder
// decodes them), and its values are header blobs, whose own integers are
// big-endian.
//
// # Order of the pairs
//
// Scan returns the pairs in bucket order, bucket 0 to the last, each bucket's
// chain of hash pages in turn, and within a page in index order: the order of
// a Berkeley DB cursor, and the order in which rpm -qa lists the packages.
//
// # What rpm stores
//
// In every rpm Packages database examined (16 intact files from CentOS 5,
// 6, 7 and 8 and RHEL 8 on x86_64 and s390x), the pairs are one record per
// installed package, keyed by its header instance number (4 bytes in the
// creating machine's order) with the header blob as value, and one more
// record under key 0 whose 4-byte value (same order) is the last instance
// number rpm handed out, no smaller than any key. The key-0 record is not a
// package: callers filter it. This package stays generic and returns every
// pair. The metadata's key count (Info.Keys) included the key-0 record in
// all of them.
//
// # What is validated
//
// Open checks the metadata page: magic and byte order, hash version, page
// size (a power of two from 512 to 65536), the page type, that the file is
// not encrypted, has no page checksums and is not partitioned, and that the
// file holds every page up to the last page number the metadata names.
//
// Scan first reads the header of every page and notes the hash pages, then
// walks the buckets. Every page number (bucket pages, next-page links,
// overflow pages) is checked against the last page; every page read must
// carry its own page number and the expected type; hash pages must hold an
// even number of items whose offsets and lengths lie inside the page;
// overflow chains must have consistent back links, full pages before the
// last, and add up to exactly the length the item declares. Each hash page
// and each overflow page may be visited once, so a loop in a bucket chain or
// an overflow chain, or two items sharing pages, is an error, and a hash page
// holding items that no bucket reaches is an error too (its pairs would
// otherwise be lost without a word). Empty hash pages that no bucket
// reaches (Berkeley DB prepares a whole doubling of the table at once, so
// real rpm databases have empty pages for buckets beyond the highest one)
// and overflow pages that no item references are tolerated: they hide no
// data.
//
// # Bounds
//
// A Scan holds two page buffers (the hash page being read and one overflow
// page), one buffer for off-page keys and one for off-page values (reused
// from pair to pair, as large as the largest item, which the file's size
// bounds), and two bitmaps of one bit per page. The work is bounded by the
// number of pages: no page is read more than twice. The whole file is never
// read into memory. ctx is checked before every page read.
package bdb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// ErrCorrupt is matched (errors.Is) by every *CorruptError.
var ErrCorrupt = errors.New("corrupt Berkeley DB hash database")

// ErrUnsupported is wrapped by the errors for valid Berkeley DB files that
// this package does not read: other access methods (btree, queue, heap),
// encrypted or checksummed files, partitioned databases, other hash versions,
// duplicate and blob items.
var ErrUnsupported = errors.New("unsupported Berkeley DB database")

// CorruptError reports a database that breaks the format.
type CorruptError struct {
	Page   uint32 // the page where the problem was found
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("bdb: page %d: %s", e.Page, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

func corrupt(page uint32, format string, args ...any) error {
	return &CorruptError{Page: page, Reason: fmt.Sprintf(format, args...)}
}

func unsupported(page uint32, format string, args ...any) error {
	return fmt.Errorf("bdb: page %d: %w: %s", page, ErrUnsupported, fmt.Sprintf(format, args...))
}

// Magic numbers of the Berkeley DB access methods, as stored at offset 12
// of the metadata page.
const (
	hashMagic  = 0x00061561
	btreeMagic = 0x00053162
	queueMagic = 0x00042253
	heapMagic  = 0x00074582
)

// Page types (the byte at offset 25 of every page).
const (
	pageHashUnsorted = 2 // hash page of hash version 8 and before
	pageOverflow     = 7
	pageHashMeta     = 8
	pageHash         = 13 // sorted hash page, hash version 9 and later
)

// Item types on hash pages (the first byte of an item).
const (
	itemKeyData   = 1 // the bytes follow the type byte
	itemDuplicate = 2 // on-page duplicates
	itemOffPage   = 3 // type, 3 unused bytes, first overflow page, total length
	itemOffDup    = 4 // off-page duplicate tree
	itemBlob      = 5 // external file (hash version 10)
)

const (
	pageHeaderSize = 26 // LSN, pgno, prev, next, entries, hf_offset, level, type
	offPageSize    = 12
	metaSize       = 512 // the metadata page occupies at least this much
)

// Metadata flags (byte 26 of the metadata page).
const (
	metaChecksum     = 0x01
	metaPartRange    = 0x02
	metaPartCallback = 0x04
)

// Hash flags (the 32-bit word at offset 48).
const (
	hashDup    = 0x01
	hashSubDB  = 0x02
	hashDupSrt = 0x04
)

// Info describes a database, from its metadata page.
type Info struct {
	Version   uint32           // hash version: 8, 9 or 10
	PageSize  uint32           // bytes per page
	LastPage  uint32           // the last page number
	MaxBucket uint32           // the highest bucket number
	Keys      uint32           // the key count kept in the metadata (nelem); informational
	ByteOrder binary.ByteOrder // the order of the file's page structures and of rpm's keys
}

// DB is an open database. It keeps no state between calls: Scan may run
// more than once and from several goroutines at a time.
type DB struct {
	r      io.ReaderAt
	size   int64
	info   Info
	order  binary.ByteOrder
	spares [32]uint32
}

// Open reads and checks the metadata page of the hash database of size bytes
// that r reads.
func Open(r io.ReaderAt, size int64) (*DB, error) {
	if size < metaSize {
		return nil, corrupt(0, "file of %d bytes is shorter than a metadata page (%d bytes)", size, metaSize)
	}
	var meta [metaSize]byte
	if err := readFull(r, meta[:], 0, 0); err != nil {
		return nil, err
	}
	var order binary.ByteOrder
	switch m := binary.LittleEndian.Uint32(meta[12:]); m {
	case hashMagic:
		order = binary.LittleEndian
	case bits.ReverseBytes32(hashMagic):
		order = binary.BigEndian
	case btreeMagic, bits.ReverseBytes32(btreeMagic):
		return nil, unsupported(0, "a btree database, not a hash database")
	case queueMagic, bits.ReverseBytes32(queueMagic):
		return nil, unsupported(0, "a queue database, not a hash database")
	case heapMagic, bits.ReverseBytes32(heapMagic):
		return nil, unsupported(0, "a heap database, not a hash database")
	default:
		return nil, corrupt(0, "magic number %#08x is not that of a Berkeley DB hash database", m)
	}
	db := &DB{r: r, size: size, order: order}
	db.info.ByteOrder = order
	db.info.Version = order.Uint32(meta[16:])
	db.info.PageSize = order.Uint32(meta[20:])
	encrypt, typ, metaFlags := meta[24], meta[25], meta[26]
	db.info.LastPage = order.Uint32(meta[32:])
	hashFlags := order.Uint32(meta[48:])
	db.info.MaxBucket = order.Uint32(meta[72:])
	db.info.Keys = order.Uint32(meta[88:])
	for i := range db.spares {
		db.spares[i] = order.Uint32(meta[96+4*i:])
	}

	if p := order.Uint32(meta[8:]); p != 0 {
		return nil, corrupt(0, "metadata page carries page number %d", p)
	}
	if typ != pageHashMeta {
		return nil, corrupt(0, "metadata page has page type %d, want %d (hash metadata)", typ, pageHashMeta)
	}
	if v := db.info.Version; v < 8 || v > 10 {
		return nil, unsupported(0, "hash version %d (versions 8 to 10 are read)", v)
	}
	ps := db.info.PageSize
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return nil, corrupt(0, "page size %d is not a power of two from 512 to 65536", ps)
	}
	if encrypt != 0 {
		return nil, unsupported(0, "encrypted (algorithm %d)", encrypt)
	}
	if metaFlags&metaChecksum != 0 {
		return nil, unsupported(0, "pages carry checksums")
	}
	if metaFlags&(metaPartRange|metaPartCallback) != 0 {
		return nil, unsupported(0, "partitioned database")
	}
	if hashFlags&hashSubDB != 0 {
		return nil, unsupported(0, "file holds several databases")
	}
	if hashFlags&(hashDup|hashDupSrt) != 0 {
		return nil, unsupported(0, "database allows duplicate keys")
	}
	pages := uint64(db.info.LastPage) + 1
	if need := pages * uint64(ps); need > uint64(size) {
		return nil, corrupt(db.info.LastPage, "the last page ends at byte %d but the file has %d bytes", need, size)
	}
	if uint64(db.info.MaxBucket) >= pages {
		return nil, corrupt(0, "highest bucket %d, but the file has only %d pages", db.info.MaxBucket, pages)
	}
	return db, nil
}

// Info returns what the metadata page says.
func (db *DB) Info() Info { return db.info }

// ByteOrder returns the byte order of the file's page structures, which is
// also the order in which rpm stored its 4-byte keys.
func (db *DB) ByteOrder() binary.ByteOrder { return db.order }

// bucketPage returns the page number of bucket b (Berkeley DB's BS_TO_PAGE:
// the bucket plus the spare-page offset of its doubling).
func (db *DB) bucketPage(b uint32) (uint32, error) {
	p := uint64(b) + uint64(db.spares[bits.Len32(b)])
	if p == 0 || p > uint64(db.info.LastPage) {
		return 0, corrupt(0, "bucket %d maps to page %d, outside pages 1 to %d", b, p, db.info.LastPage)
	}
	return uint32(p), nil
}

// pageHeader is the common header of every page.
type pageHeader struct {
	pgno, prev, next uint32
	entries, hfOff   uint16
	typ              uint8
}

func (db *DB) header(b []byte) pageHeader {
	o := db.order
	return pageHeader{
		pgno:    o.Uint32(b[8:]),
		prev:    o.Uint32(b[12:]),
		next:    o.Uint32(b[16:]),
		entries: o.Uint16(b[20:]),
		hfOff:   o.Uint16(b[22:]),
		typ:     b[25],
	}
}

// scanner holds the buffers of one Scan.
type scanner struct {
	db       *DB
	ctx      context.Context
	page     []byte // the current hash page
	ovPage   []byte // the current overflow page
	key, val []byte // reused item buffers
	pending  bitmap // hash pages holding items, not yet reached from a bucket
	used     bitmap // hash and overflow pages visited so far
}

type bitmap []uint64

func newBitmap(n uint64) bitmap    { return make(bitmap, (n+63)/64) }
func (b bitmap) get(i uint32) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitmap) set(i uint32)      { b[i/64] |= 1 << (i % 64) }
func (b bitmap) clear(i uint32)    { b[i/64] &^= 1 << (i % 64) }
func (b bitmap) first() (uint32, bool) {
	for w, x := range b {
		if x != 0 {
			return uint32(w*64 + bits.TrailingZeros64(x)), true
		}
	}
	return 0, false
}

// Scan calls fn for every key/data pair, in bucket order (see the package
// documentation), reading off-page items from their overflow chains. The
// slices passed to fn are valid only during the call. An error from fn ends
// the scan and is returned as it is. Scan returns a *CorruptError for a
// database that breaks the format, an error wrapping ErrUnsupported for
// items it does not read, and ctx's error when ctx is done; pairs passed to
// fn before such an error are not a complete list.
func (db *DB) Scan(ctx context.Context, fn func(key, value []byte) error) error {
	pages := uint64(db.info.LastPage) + 1
	s := &scanner{
		db:      db,
		ctx:     ctx,
		page:    make([]byte, db.info.PageSize),
		ovPage:  make([]byte, db.info.PageSize),
		pending: newBitmap(pages),
		used:    newBitmap(pages),
	}
	if err := s.findHashPages(); err != nil {
		return err
	}
	for b := uint32(0); b <= db.info.MaxBucket; b++ {
		pg, err := db.bucketPage(b)
		if err != nil {
			return err
		}
		prev := uint32(0)
		for pg != 0 {
			if s.used.get(pg) {
				return corrupt(pg, "page reached twice (bucket %d)", b)
			}
			s.used.set(pg)
			if err := s.readPage(s.page, pg); err != nil {
				return err
			}
			h := db.header(s.page)
			if h.typ != pageHash && h.typ != pageHashUnsorted {
				return corrupt(pg, "bucket %d reaches a page of type %d, not a hash page", b, h.typ)
			}
			if h.pgno != pg {
				return corrupt(pg, "hash page carries page number %d", h.pgno)
			}
			if h.prev != prev {
				return corrupt(pg, "hash page links back to page %d, reached from page %d", h.prev, prev)
			}
			s.pending.clear(pg)
			if err := s.pairs(pg, h, fn); err != nil {
				return err
			}
			if h.next > db.info.LastPage {
				return corrupt(pg, "next page %d is beyond the last page %d", h.next, db.info.LastPage)
			}
			prev, pg = pg, h.next
		}
	}
	if pg, ok := s.pending.first(); ok {
		return corrupt(pg, "hash page holding items is not reached from any bucket")
	}
	return nil
}

// findHashPages reads the header of every page and notes the hash pages
// that hold items. Empty hash pages that no bucket reaches are left alone:
// Berkeley DB initialises the pages of a whole doubling of the table at
// once, so the pages of buckets beyond the highest one can exist, empty.
func (s *scanner) findHashPages() error {
	db := s.db
	var hb [pageHeaderSize]byte
	for pg := uint32(1); pg <= db.info.LastPage; pg++ {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		if err := readFull(db.r, hb[:], int64(pg)*int64(db.info.PageSize), pg); err != nil {
			return err
		}
		h := db.header(hb[:])
		switch h.typ {
		case pageHash, pageHashUnsorted:
			if h.pgno != pg {
				return corrupt(pg, "hash page carries page number %d", h.pgno)
			}
			if h.entries != 0 {
				s.pending.set(pg)
			}
		case pageHashMeta:
			return corrupt(pg, "a second metadata page")
		}
	}
	return nil
}

// readPage reads page pg into buf, checking ctx first.
func (s *scanner) readPage(buf []byte, pg uint32) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if pg == 0 || pg > s.db.info.LastPage {
		return corrupt(pg, "page number outside pages 1 to %d", s.db.info.LastPage)
	}
	return readFull(s.db.r, buf, int64(pg)*int64(s.db.info.PageSize), pg)
}

// pairs passes the pairs of the hash page in s.page to fn.
func (s *scanner) pairs(pg uint32, h pageHeader, fn func(key, value []byte) error) error {
	page := s.page
	ps := len(page)
	n := int(h.entries)
	if n%2 != 0 {
		return corrupt(pg, "odd number of items (%d) on a hash page", n)
	}
	indexEnd := pageHeaderSize + 2*n
	if indexEnd > ps {
		return corrupt(pg, "%d items do not fit in the page", n)
	}
	if int(h.hfOff) < indexEnd || int(h.hfOff) > ps {
		return corrupt(pg, "free-space offset %d outside %d to %d", h.hfOff, indexEnd, ps)
	}
	// Items are stored from the end of the page downwards in index order, so
	// item i spans from its offset to the offset of item i-1 (the page end
	// for item 0).
	end := ps
	for i := 0; i < n; i += 2 {
		kOff := int(s.db.order.Uint16(page[pageHeaderSize+2*i:]))
		vOff := int(s.db.order.Uint16(page[pageHeaderSize+2*i+2:]))
		if kOff < int(h.hfOff) || kOff >= end {
			return corrupt(pg, "item %d at offset %d outside %d to %d", i, kOff, h.hfOff, end)
		}
		if vOff < int(h.hfOff) || vOff >= kOff {
			return corrupt(pg, "item %d at offset %d outside %d to %d", i+1, vOff, h.hfOff, kOff)
		}
		key, err := s.item(pg, i, page[kOff:end], &s.key)
		if err != nil {
			return err
		}
		val, err := s.item(pg, i+1, page[vOff:kOff], &s.val)
		if err != nil {
			return err
		}
		if err := fn(key, val); err != nil {
			return err
		}
		end = vOff
	}
	return nil
}

// item returns the bytes of one hash item, reading an off-page item into
// *buf.
func (s *scanner) item(pg uint32, idx int, it []byte, buf *[]byte) ([]byte, error) {
	switch it[0] {
	case itemKeyData:
		return it[1:], nil
	case itemOffPage:
		if len(it) != offPageSize {
			return nil, corrupt(pg, "off-page item %d is %d bytes long, want %d", idx, len(it), offPageSize)
		}
		first := s.db.order.Uint32(it[4:])
		total := s.db.order.Uint32(it[8:])
		b, err := s.overflowChain(pg, idx, first, total, (*buf)[:0])
		*buf = b
		return b, err
	case itemDuplicate, itemOffDup:
		return nil, unsupported(pg, "item %d is a duplicate set", idx)
	case itemBlob:
		return nil, unsupported(pg, "item %d is stored as an external blob", idx)
	default:
		return nil, corrupt(pg, "item %d has unknown type %d", idx, it[0])
	}
}

// overflowChain appends to buf the total bytes of the overflow chain that
// starts at page first.
func (s *scanner) overflowChain(pg uint32, idx int, first, total uint32, buf []byte) ([]byte, error) {
	db := s.db
	space := db.info.PageSize - pageHeaderSize
	if total == 0 {
		return buf, corrupt(pg, "off-page item %d has length 0", idx)
	}
	// A chain of total bytes fills ceil(total/space) pages, which must exist.
	if need := (uint64(total) + uint64(space) - 1) / uint64(space); need > uint64(db.info.LastPage) {
		return buf, corrupt(pg, "off-page item %d of %d bytes needs %d pages, more than the file holds", idx, total, need)
	}
	if cap(buf) < int(total) {
		buf = make([]byte, 0, total)
	}
	prev := uint32(0)
	left := total
	for p := first; ; {
		if p == 0 || p > db.info.LastPage {
			return buf, corrupt(pg, "off-page item %d: overflow page number %d outside pages 1 to %d", idx, p, db.info.LastPage)
		}
		if s.used.get(p) {
			return buf, corrupt(p, "page reached twice (overflow chain of item %d of page %d)", idx, pg)
		}
		s.used.set(p)
		if err := s.readPage(s.ovPage, p); err != nil {
			return buf, err
		}
		h := db.header(s.ovPage)
		if h.typ != pageOverflow {
			return buf, corrupt(p, "page of type %d in the overflow chain of item %d of page %d", h.typ, idx, pg)
		}
		if h.pgno != p {
			return buf, corrupt(p, "overflow page carries page number %d", h.pgno)
		}
		if h.prev != prev {
			return buf, corrupt(p, "overflow page links back to page %d, reached from page %d", h.prev, prev)
		}
		n := uint32(h.hfOff)
		if n == 0 || n > space || n > left {
			return buf, corrupt(p, "overflow page holds %d bytes; %d of the item's %d remain", n, left, total)
		}
		if n < space && n < left {
			return buf, corrupt(p, "overflow page holds %d bytes, short of a full page, with %d bytes to follow", n, left-n)
		}
		buf = append(buf, s.ovPage[pageHeaderSize:pageHeaderSize+n]...)
		left -= n
		if left == 0 {
			if h.next != 0 {
				return buf, corrupt(p, "overflow chain goes on to page %d after the item's %d bytes", h.next, total)
			}
			return buf, nil
		}
		if h.next == 0 {
			return buf, corrupt(p, "overflow chain ends %d bytes short of the item's %d", left, total)
		}
		prev, p = p, h.next
	}
}

// readFull reads len(b) bytes of page pg at off. A file that ends early is a
// *CorruptError; other read errors are returned wrapped.
func readFull(r io.ReaderAt, b []byte, off int64, pg uint32) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return corrupt(pg, "the file ends inside the page (%d of %d bytes read at offset %d)", n, len(b), off)
	}
	return fmt.Errorf("bdb: page %d: %w", pg, err)
}
