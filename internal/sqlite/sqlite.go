package sqlite

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"
)

// Kind is the storage class of a value.
type Kind uint8

// The storage classes.
const (
	Null Kind = iota
	Integer
	Float
	Text
	Blob
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "NULL"
	case Integer:
		return "INTEGER"
	case Float:
		return "REAL"
	case Text:
		return "TEXT"
	case Blob:
		return "BLOB"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one value of a record. Int is set for Integer, Float for Float,
// Bytes for Text (UTF-8) and Blob.
type Value struct {
	Kind  Kind
	Int   int64
	Float float64
	Bytes []byte
}

var (
	// ErrCorrupt is matched (errors.Is) by every *CorruptError.
	ErrCorrupt = errors.New("sqlite: database is corrupt")
	// ErrUnsupported is returned, wrapped, for valid databases or tables
	// this package does not read: UTF-16 text, a newer file format, WITHOUT
	// ROWID and virtual tables.
	ErrUnsupported = errors.New("sqlite: unsupported")
	// ErrNoTable is returned, wrapped, by Scan for a table the schema does
	// not have.
	ErrNoTable = errors.New("sqlite: no such table")
	// ErrTooLarge is matched (errors.Is) by every *LimitError.
	ErrTooLarge = errors.New("sqlite: record larger than the limit")
)

// kindError is an error of a kind (ErrUnsupported, ErrNoTable) in a file.
type kindError struct {
	file string
	kind error
	msg  string
}

func (e *kindError) Error() string {
	return "sqlite: " + e.file + ": " + strings.TrimPrefix(e.kind.Error(), "sqlite: ") + ": " + e.msg
}

func (e *kindError) Unwrap() error { return e.kind }

func fileErr(file string, kind error, format string, args ...any) error {
	return &kindError{file: file, kind: kind, msg: fmt.Sprintf(format, args...)}
}

// CorruptError reports a database or log that breaks the file format.
type CorruptError struct {
	// File is the name of the file with the fault: the name given with
	// WithName (default "database") or that name with "-wal" appended.
	File string
	// Page is the database page with the fault, 0 when the fault is in a
	// file header.
	Page uint32
	// Offset is the byte offset of the fault in File, -1 when unknown.
	Offset int64
	// Reason says what is wrong.
	Reason string
}

func (e *CorruptError) Error() string {
	s := "sqlite: " + e.File
	if e.Page != 0 {
		s += ": page " + strconv.FormatUint(uint64(e.Page), 10)
	}
	if e.Offset >= 0 {
		s += " (offset " + strconv.FormatInt(e.Offset, 10) + ")"
	}
	return s + ": corrupt: " + e.Reason
}

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// LimitError reports a record whose payload is larger than the limit set with
// WithMaxRecordSize.
type LimitError struct {
	File   string // as in CorruptError
	Page   uint32 // the page of the record's cell
	Offset int64  // the cell's offset in File
	Rowid  int64
	Size   int64 // the payload size the cell gives
	Limit  int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("sqlite: %s: page %d (offset %d): record %d has %d bytes, more than the limit of %d",
		e.File, e.Page, e.Offset, e.Rowid, e.Size, e.Limit)
}

// Is reports whether target is ErrTooLarge.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

// DefaultMaxRecordSize is the largest record payload read unless
// WithMaxRecordSize says otherwise: 256 MiB.
const DefaultMaxRecordSize = 256 << 20

type options struct {
	name      string
	maxRecord int64
}

// Option configures Open and OpenFS.
type Option func(*options) error

// WithName sets the name of the database file used in errors; the log is
// named with "-wal" appended. The default is "database" (OpenFS uses the
// name it opens).
func WithName(name string) Option {
	return func(o *options) error {
		if name == "" {
			return errors.New("sqlite: WithName: empty name")
		}
		o.name = name
		return nil
	}
}

// WithMaxRecordSize sets the largest record payload Scan reads, in bytes
// (default DefaultMaxRecordSize). A larger record is a *LimitError.
func WithMaxRecordSize(n int64) Option {
	return func(o *options) error {
		if n <= 0 || n > 1<<31 {
			return fmt.Errorf("sqlite: WithMaxRecordSize(%d): must be in 1..2^31", n)
		}
		o.maxRecord = n
		return nil
	}
}

// maxDepth bounds the depth of a b-tree, as SQLite's BTCURSOR_MAX_DEPTH.
const maxDepth = 20

// pendingByte is the offset of the lock-byte page, which holds no data.
const pendingByte = 0x40000000

// WALInfo describes what Open took from the write-ahead log.
type WALInfo struct {
	// Size is the size of the log in bytes as given to Open.
	Size int64
	// Ignored is why the log was not used at all (empty when it was used
	// or absent): SQLite ignores a log whose header is not valid.
	Ignored string
	// Frames is the number of frames read up to the first frame that is
	// not valid (or the end of the log); Committed is the number of those
	// up to and including the last commit frame: the frames used.
	Frames, Committed int
	// Pages is the number of distinct pages the used frames hold.
	Pages int
	// DBPages is the database size in pages after the last commit, 0 when
	// no frame was used.
	DBPages uint32
}

// DB is an opened database. It holds the header, the schema and the index of
// the write-ahead log; pages are read when scanned.
type DB struct {
	file    io.ReaderAt
	size    int64
	wal     io.ReaderAt
	walInfo WALInfo
	walIdx  map[uint32]int64 // page -> offset of its newest used frame's data in the log

	opt      options
	walName  string
	pageSize int
	usable   int
	nPages   uint32 // the database size in pages
	maxReal  uint32 // the largest page number the files hold
	filePgs  uint32 // pages (whole or partial) in the database file

	tables []table
	closer []io.Closer
}

type table struct {
	name string
	root uint32
	typ  string
	sql  string
}

// Open reads the database header, the write-ahead log's index and the schema.
// db is the database file of size bytes; wal is the "-wal" file beside it
// (nil and 0 when there is none).
func Open(ctx context.Context, db io.ReaderAt, size int64, wal io.ReaderAt, walSize int64, opts ...Option) (*DB, error) {
	o := options{name: "database", maxRecord: DefaultMaxRecordSize}
	for _, f := range opts {
		if err := f(&o); err != nil {
			return nil, err
		}
	}
	if size < 0 || walSize < 0 || db == nil || (wal == nil && walSize != 0) {
		return nil, errors.New("sqlite: Open: bad arguments")
	}
	d := &DB{file: db, size: size, opt: o, walName: o.name + "-wal"}
	if wal != nil {
		d.walInfo.Size = walSize
	}
	if size == 0 {
		// An empty file is an empty database; SQLite deletes its log.
		if walSize > 0 {
			d.walInfo.Ignored = "the database file is empty"
		}
		return d, nil
	}
	var hdr [100]byte
	if size < int64(len(hdr)) {
		return nil, d.corruptHeader(0, "file of %d bytes is too short for an SQLite 3 database", size)
	}
	if err := readFull(db, hdr[:], 0); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", o.name, err)
	}
	ps, err := d.parsePageSize(hdr[:])
	if err != nil {
		return nil, err
	}
	d.pageSize = ps
	filePgs := (size + int64(ps) - 1) / int64(ps)
	if filePgs > 0xFFFFFFFE {
		return nil, d.corruptHeader(-1, "file of %d bytes holds more than 2^32-2 pages", size)
	}
	d.filePgs = uint32(filePgs)
	d.maxReal = d.filePgs
	pagerPages := d.filePgs
	if wal != nil && walSize > 0 {
		d.wal = wal
		if err := d.readWAL(ctx, walSize); err != nil {
			return nil, err
		}
		if d.walInfo.DBPages != 0 {
			pagerPages = d.walInfo.DBPages
		}
	}
	d.nPages = pagerPages

	// The header proper, from page 1 as the log has it.
	page1 := make([]byte, ps)
	if err := d.readPage(1, page1); err != nil {
		return nil, err
	}
	if err := d.parseHeader(page1); err != nil {
		return nil, err
	}
	if err := d.readSchema(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// OpenFS opens the database name of fsys and, when it exists beside it, its
// log name+"-wal". Their files must support io.ReaderAt or io.Seeker. Call
// Close when done. Symbolic links are resolved by fsys: to read an image's
// root, resolve name inside the root first.
func OpenFS(ctx context.Context, fsys fs.FS, name string, opts ...Option) (*DB, error) {
	opts = append([]Option{WithName(name)}, opts...)
	f, size, err := openRandom(fsys, name)
	if err != nil {
		return nil, err
	}
	var wal io.ReaderAt
	var walSize int64
	closers := []io.Closer{f}
	w, ws, err := openRandom(fsys, name+"-wal")
	switch {
	case err == nil:
		closers = append(closers, w)
		wal, walSize = w, ws
	case errors.Is(err, fs.ErrNotExist):
	default:
		f.Close()
		return nil, err
	}
	d, err := Open(ctx, f, size, wal, walSize, opts...)
	if err != nil {
		for _, c := range closers {
			c.Close()
		}
		return nil, err
	}
	d.closer = closers
	return d, nil
}

// randomFile is an fs.File with ReadAt.
type randomFile interface {
	io.ReaderAt
	io.Closer
}

func openRandom(fsys fs.FS, name string) (randomFile, int64, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("sqlite: %s: not a regular file (%s)", name, fi.Mode().Type())
	}
	switch r := f.(type) {
	case randomFile:
		return r, fi.Size(), nil
	case io.ReadSeeker:
		return &seekReaderAt{f: f, rs: r}, fi.Size(), nil
	}
	f.Close()
	return nil, 0, fileErr(name, ErrUnsupported, "the file system's files support neither ReadAt nor Seek")
}

// seekReaderAt makes a ReaderAt of a file that can only seek.
type seekReaderAt struct {
	mu sync.Mutex
	f  fs.File
	rs io.ReadSeeker
}

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(s.rs, p)
}

func (s *seekReaderAt) Close() error { return s.f.Close() }

// Close closes the files OpenFS opened. It does nothing for a DB from Open.
func (db *DB) Close() error {
	var first error
	for _, c := range db.closer {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	db.closer = nil
	return first
}

// Tables returns the names of the tables in the schema, in schema order.
func (db *DB) Tables() []string {
	var names []string
	for _, t := range db.tables {
		if t.typ == "table" {
			names = append(names, t.name)
		}
	}
	return names
}

// WAL reports what was taken from the write-ahead log.
func (db *DB) WAL() WALInfo { return db.walInfo }

// PageSize returns the database's page size in bytes (0 for an empty file).
func (db *DB) PageSize() int { return db.pageSize }

// Pages returns the database's size in pages.
func (db *DB) Pages() uint32 { return db.nPages }

func (db *DB) corruptHeader(off int64, format string, args ...any) error {
	return &CorruptError{File: db.opt.name, Offset: off, Reason: fmt.Sprintf(format, args...)}
}

func (db *DB) corruptWAL(off int64, format string, args ...any) error {
	return &CorruptError{File: db.walName, Offset: off, Reason: fmt.Sprintf(format, args...)}
}

const magic = "SQLite format 3\x00"

func (db *DB) parsePageSize(h []byte) (int, error) {
	if string(h[:16]) != magic {
		return 0, db.corruptHeader(0, "not an SQLite 3 database (no magic string)")
	}
	ps := int(h[16])<<8 | int(h[17])<<16 // 1 stands for 65536
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return 0, db.corruptHeader(16, "page size %d is not a power of two from 512 to 65536", binary.BigEndian.Uint16(h[16:]))
	}
	return ps, nil
}

// parseHeader checks the header on page 1 (from the log when it has page 1)
// and sets the usable size and the database size.
func (db *DB) parseHeader(p []byte) error {
	ps, err := db.parsePageSize(p)
	if err != nil {
		return err
	}
	if ps != db.pageSize {
		return db.corruptHeader(16, "page 1 in the log gives page size %d, the file %d", ps, db.pageSize)
	}
	if p[19] > 2 {
		return fileErr(db.opt.name, ErrUnsupported, "file format read version %d", p[19])
	}
	if p[21] != 64 || p[22] != 32 || p[23] != 32 {
		return db.corruptHeader(21, "payload fractions %d/%d/%d, not 64/32/32", p[21], p[22], p[23])
	}
	db.usable = ps - int(p[20])
	if db.usable < 480 {
		return db.corruptHeader(20, "%d reserved bytes leave %d usable bytes per page, fewer than 480", p[20], db.usable)
	}
	switch enc := binary.BigEndian.Uint32(p[56:]); enc {
	case 0, 1:
	case 2, 3:
		return fileErr(db.opt.name, ErrUnsupported, "UTF-16 text encoding (%d)", enc)
	default:
		return db.corruptHeader(56, "text encoding %d", enc)
	}
	if sf := binary.BigEndian.Uint32(p[44:]); sf > 4 {
		return fileErr(db.opt.name, ErrUnsupported, "schema format %d", sf)
	}
	n := binary.BigEndian.Uint32(p[28:])
	if n != 0 && binary.BigEndian.Uint32(p[24:]) == binary.BigEndian.Uint32(p[92:]) {
		if n > db.nPages {
			return db.corruptHeader(28, "header gives %d pages, the files hold %d", n, db.nPages)
		}
		db.nPages = n
	}
	return nil
}

// readFull reads len(p) bytes at off; a short read is io.ErrUnexpectedEOF.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// pageLoc returns the file name and the offset of page pg's first byte.
func (db *DB) pageLoc(pg uint32) (string, int64) {
	if off, ok := db.walIdx[pg]; ok {
		return db.walName, off
	}
	return db.opt.name, int64(pg-1) * int64(db.pageSize)
}

// corruptAt reports a fault at byte off of page pg.
func (db *DB) corruptAt(pg uint32, off int, format string, args ...any) error {
	name, base := db.pageLoc(pg)
	if off < 0 {
		base = -1
	} else {
		base += int64(off)
	}
	return &CorruptError{File: name, Page: pg, Offset: base, Reason: fmt.Sprintf(format, args...)}
}

// checkPage reports whether pg can be read at all.
func (db *DB) checkPage(pg uint32) error {
	if pg == 0 || pg > db.nPages {
		return &CorruptError{File: db.opt.name, Offset: -1, Reason: fmt.Sprintf("page number %d out of range 1..%d", pg, db.nPages)}
	}
	if int64(pg) == pendingByte/int64(db.pageSize)+1 {
		return db.corruptAt(pg, 0, "the lock-byte page is used")
	}
	return nil
}

// readPage reads page pg into buf (db.pageSize bytes), from the log when it
// has the page. The part of a page past the end of the database file reads as
// zeros, as in SQLite; a page wholly beyond both files is corruption.
func (db *DB) readPage(pg uint32, buf []byte) error {
	if err := db.checkPage(pg); err != nil {
		return err
	}
	if off, ok := db.walIdx[pg]; ok {
		if err := readFull(db.wal, buf, off); err != nil {
			return fmt.Errorf("sqlite: %s: page %d at offset %d: %w", db.walName, pg, off, err)
		}
		return nil
	}
	if pg > db.filePgs {
		return db.corruptAt(pg, 0, "page is past the end of the database file and not in the log")
	}
	off := int64(pg-1) * int64(db.pageSize)
	n := int64(len(buf))
	if off+n > db.size {
		n = db.size - off
		clear(buf[n:])
	}
	if err := readFull(db.file, buf[:n], off); err != nil {
		return fmt.Errorf("sqlite: %s: page %d at offset %d: %w", db.opt.name, pg, off, err)
	}
	return nil
}

// asciiEqualFold compares as SQLite compares identifiers: ASCII letters
// without regard to case, other bytes exactly.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
