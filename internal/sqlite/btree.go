package sqlite

import (
	"context"
	"encoding/binary"
	"math"
	"strconv"
)

// Page types of table b-trees, and of index b-trees (which are not read).
const (
	typeTableInterior = 0x05
	typeTableLeaf     = 0x0D
	typeIndexInterior = 0x02
	typeIndexLeaf     = 0x0A
)

// maxColumns bounds the values of one record: SQLite allows at most 32767
// columns in a table.
const maxColumns = 32767

// Scan calls fn for every row of the rowid table name (compared without
// regard to ASCII case; "sqlite_schema" and "sqlite_master" name the schema
// table), in increasing rowid order. cols holds the record's values; it and
// the byte slices in it are valid only during the call. A column declared
// INTEGER PRIMARY KEY is an alias of the rowid: its value in cols is NULL and
// the caller uses rowid. An error from fn stops the scan and is returned as
// it is.
func (db *DB) Scan(ctx context.Context, name string, fn func(rowid int64, cols []Value) error) error {
	var root uint32
	if asciiEqualFold(name, "sqlite_schema") || asciiEqualFold(name, "sqlite_master") {
		if db.pageSize == 0 {
			return nil // an empty file: an empty schema
		}
		root = 1
	} else {
		found := false
		for _, t := range db.tables {
			if t.typ == "table" && asciiEqualFold(t.name, name) {
				root, found = t.root, true
				break
			}
		}
		if !found {
			return fileErr(db.opt.name, ErrNoTable, "%q", name)
		}
		if root == 0 {
			return fileErr(db.opt.name, ErrUnsupported, "%s is a virtual table", name)
		}
	}
	s := newScanner(db)
	return s.walk(ctx, root, name, fn)
}

func (db *DB) readSchema(ctx context.Context) error {
	s := newScanner(db)
	return s.walk(ctx, 1, "sqlite_schema", func(rowid int64, cols []Value) error {
		if len(cols) < 5 {
			return db.corruptAt(1, -1, "schema row %d has %d values, not 5", rowid, len(cols))
		}
		typ, name, root := cols[0], cols[1], cols[3]
		if typ.Kind != Text || name.Kind != Text {
			return db.corruptAt(1, -1, "schema row %d: type or name is not text", rowid)
		}
		t := table{typ: string(typ.Bytes), name: string(name.Bytes)}
		switch root.Kind {
		case Integer:
			if root.Int < 0 || root.Int > math.MaxUint32 {
				return db.corruptAt(1, -1, "schema row %d (%s): root page %d", rowid, t.name, root.Int)
			}
			t.root = uint32(root.Int)
			if t.root > db.nPages {
				// SQLite refuses such a schema too ("invalid rootpage").
				return db.corruptAt(1, -1, "schema row %d (%s %s): root page %d beyond the %d pages of the database", rowid, t.typ, t.name, t.root, db.nPages)
			}
		case Null:
		default:
			return db.corruptAt(1, -1, "schema row %d (%s): root page is %s", rowid, t.name, root.Kind)
		}
		if cols[4].Kind == Text {
			t.sql = string(cols[4].Bytes)
		}
		db.tables = append(db.tables, t)
		return nil
	})
}

// level is one page on the path from the root to the current page.
type level struct {
	pg     uint32
	buf    []byte
	hdr    int // offset of the b-tree page header: 100 on page 1, else 0
	ncells int
	next   int // the next child to descend into; ncells is the right-most one
}

type scanner struct {
	db      *DB
	visited []uint64
	levels  [maxDepth]level
	depth   int
	ovfl    []byte // an overflow page
	payload []byte // a record with overflow pages
	cols    []Value
	fn      func(int64, []Value) error

	haveRowid bool
	lastRowid int64
}

func newScanner(db *DB) *scanner {
	n := db.nPages
	if db.maxReal < n {
		n = db.maxReal
	}
	return &scanner{db: db, visited: make([]uint64, n/64+1)}
}

// visit marks page pg, which must be in range, as read; reading it twice is
// corruption. pg is a b-tree page of table, or else an overflow page of the
// record rowid.
func (s *scanner) visit(pg uint32, table string, rowid int64) error {
	if err := s.db.checkPage(pg); err != nil {
		return err
	}
	w, b := pg/64, uint64(1)<<(pg%64)
	if int(w) >= len(s.visited) {
		// Past the end of both files: readPage reports it.
		return nil
	}
	if s.visited[w]&b != 0 {
		what := "table " + table
		if table == "" {
			what = "overflow page of record " + strconv.FormatInt(rowid, 10)
		}
		return s.db.corruptAt(pg, 0, "%s: page is reached a second time", what)
	}
	s.visited[w] |= b
	return nil
}

func (s *scanner) page(depth int) []byte {
	l := &s.levels[depth]
	if l.buf == nil {
		l.buf = make([]byte, s.db.pageSize)
	}
	return l.buf
}

// push reads page pg as the b-tree page at depth s.depth+1.
func (s *scanner) push(pg uint32, table string) error {
	d := s.depth + 1
	if d >= maxDepth {
		return s.db.corruptAt(pg, 0, "table %s: b-tree deeper than %d levels", table, maxDepth)
	}
	if err := s.visit(pg, table, 0); err != nil {
		return err
	}
	buf := s.page(d)
	if err := s.db.readPage(pg, buf); err != nil {
		return err
	}
	l := &s.levels[d]
	l.pg, l.hdr, l.next = pg, 0, 0
	if pg == 1 {
		l.hdr = 100
	}
	u := s.db.usable
	typ := buf[l.hdr]
	hdrLen := 8
	switch typ {
	case typeTableLeaf:
	case typeTableInterior:
		hdrLen = 12
	case typeIndexInterior, typeIndexLeaf:
		if d == 0 && pg != 1 {
			return fileErr(s.db.opt.name, ErrUnsupported,
				"table %s is a WITHOUT ROWID table (its root page %d is an index b-tree page)", table, pg)
		}
		fallthrough
	default:
		return s.db.corruptAt(pg, l.hdr, "table %s: page type %#02x is not a table b-tree page", table, typ)
	}
	l.ncells = int(binary.BigEndian.Uint16(buf[l.hdr+3:]))
	if end := l.hdr + hdrLen + 2*l.ncells; end > u {
		return s.db.corruptAt(pg, l.hdr+3, "table %s: %d cell pointers do not fit in the page", table, l.ncells)
	}
	s.depth = d
	return nil
}

// cell returns the offset of cell i of the page at depth d, checked to leave
// at least min bytes before the end of the usable area.
func (s *scanner) cell(d, i, min int) (int, error) {
	l := &s.levels[d]
	hdrLen := 8
	if l.buf[l.hdr] == typeTableInterior {
		hdrLen = 12
	}
	first := l.hdr + hdrLen + 2*l.ncells
	pc := int(binary.BigEndian.Uint16(l.buf[l.hdr+hdrLen+2*i:]))
	if pc < first || pc+min > s.db.usable {
		return 0, s.db.corruptAt(l.pg, l.hdr+hdrLen+2*i, "cell %d: pointer %d outside the cell area %d..%d", i, pc, first, s.db.usable)
	}
	return pc, nil
}

func (s *scanner) walk(ctx context.Context, root uint32, table string, fn func(int64, []Value) error) error {
	s.fn = fn
	s.depth = -1
	if err := s.push(root, table); err != nil {
		return err
	}
	for s.depth >= 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		l := &s.levels[s.depth]
		if l.buf[l.hdr] == typeTableLeaf {
			if err := s.leaf(ctx, table); err != nil {
				return err
			}
			s.depth--
			continue
		}
		if l.next > l.ncells {
			s.depth--
			continue
		}
		var child uint32
		if l.next == l.ncells {
			child = binary.BigEndian.Uint32(l.buf[l.hdr+8:])
		} else {
			pc, err := s.cell(s.depth, l.next, 4)
			if err != nil {
				return err
			}
			child = binary.BigEndian.Uint32(l.buf[pc:])
		}
		l.next++
		if err := s.push(child, table); err != nil {
			return err
		}
	}
	return nil
}

// leaf passes the rows of the leaf page at the current depth to s.fn.
func (s *scanner) leaf(ctx context.Context, table string) error {
	db := s.db
	l := &s.levels[s.depth]
	buf, u := l.buf[:db.usable], db.usable
	x := u - 35
	for i := 0; i < l.ncells; i++ {
		pc, err := s.cell(s.depth, i, 2)
		if err != nil {
			return err
		}
		p := pc
		size, n := varint(buf[p:])
		if n == 0 {
			return db.corruptAt(l.pg, pc, "cell %d: payload size runs past the page", i)
		}
		p += n
		urow, n := varint(buf[p:])
		if n == 0 {
			return db.corruptAt(l.pg, pc, "cell %d: rowid runs past the page", i)
		}
		p += n
		rowid := int64(urow)
		if s.haveRowid && rowid <= s.lastRowid {
			return db.corruptAt(l.pg, pc, "table %s: cell %d: rowid %d does not follow rowid %d", table, i, rowid, s.lastRowid)
		}
		s.haveRowid, s.lastRowid = true, rowid
		if size > uint64(db.opt.maxRecord) {
			name, off := db.pageLoc(l.pg)
			return &LimitError{File: name, Page: l.pg, Offset: off + int64(pc), Rowid: rowid, Size: int64(min(size, math.MaxInt64)), Limit: db.opt.maxRecord}
		}
		local := localSize(int(size), u, x)
		var rec []byte
		if local == int(size) {
			if p+local > u {
				return db.corruptAt(l.pg, pc, "cell %d: payload of %d bytes runs past the page", i, size)
			}
			rec = buf[p : p+local]
		} else {
			if p+local+4 > u {
				return db.corruptAt(l.pg, pc, "cell %d: local payload of %d bytes runs past the page", i, local)
			}
			rec, err = s.overflow(ctx, buf[p:p+local], binary.BigEndian.Uint32(buf[p+local:]), int(size), l.pg, rowid)
			if err != nil {
				return err
			}
		}
		if err := s.record(rec, l.pg, pc, rowid); err != nil {
			return err
		}
		if err := s.fn(rowid, s.cols); err != nil {
			return err
		}
	}
	return nil
}

// localSize is the part of a table leaf cell's payload of size p kept on the
// page, for usable size u and x = u-35.
func localSize(p, u, x int) int {
	if p <= x {
		return p
	}
	m := (u-12)*32/255 - 23
	k := m + (p-m)%(u-4)
	if k <= x {
		return k
	}
	return m
}

// overflow assembles a payload of size bytes from its local part and the
// overflow chain starting at page first.
func (s *scanner) overflow(ctx context.Context, local []byte, first uint32, size int, cellPage uint32, rowid int64) ([]byte, error) {
	db := s.db
	per := db.usable - 4
	// The buffer is sized from the payload size once it is known that the
	// files could hold that many bytes.
	if int64(size-len(local)) > int64(db.maxReal)*int64(per) {
		return nil, db.corruptAt(cellPage, -1, "record %d: payload of %d bytes is larger than the database", rowid, size)
	}
	if cap(s.payload) < size {
		s.payload = make([]byte, 0, max(size, 2*cap(s.payload)))
	}
	s.payload = append(s.payload[:0], local...)
	if s.ovfl == nil {
		s.ovfl = make([]byte, db.pageSize)
	}
	pg := first
	for len(s.payload) < size {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if pg == 0 {
			return nil, db.corruptAt(cellPage, -1, "record %d: overflow chain ends after %d of %d bytes", rowid, len(s.payload), size)
		}
		if err := s.visit(pg, "", rowid); err != nil {
			return nil, err
		}
		if err := db.readPage(pg, s.ovfl); err != nil {
			return nil, err
		}
		n := min(per, size-len(s.payload))
		s.payload = append(s.payload, s.ovfl[4:4+n]...)
		pg = binary.BigEndian.Uint32(s.ovfl)
	}
	return s.payload, nil
}

// varint decodes an SQLite varint from b; n is 0 when b ends first.
func varint(b []byte) (v uint64, n int) {
	for i := 0; i < 8; i++ {
		if i >= len(b) {
			return 0, 0
		}
		c := b[i]
		v = v<<7 | uint64(c&0x7f)
		if c < 0x80 {
			return v, i + 1
		}
	}
	if len(b) < 9 {
		return 0, 0
	}
	return v<<8 | uint64(b[8]), 9
}

// record decodes rec into s.cols.
func (s *scanner) record(rec []byte, pg uint32, pc int, rowid int64) error {
	db := s.db
	hsize, n := varint(rec)
	if n == 0 || hsize < uint64(n) || hsize > uint64(len(rec)) {
		return db.corruptAt(pg, pc, "record %d: header size %d in a payload of %d bytes", rowid, hsize, len(rec))
	}
	hdr := rec[n:hsize]
	body := int(hsize)
	s.cols = s.cols[:0]
	for len(hdr) > 0 {
		st, k := varint(hdr)
		if k == 0 {
			return db.corruptAt(pg, pc, "record %d: serial type runs past the header", rowid)
		}
		hdr = hdr[k:]
		if len(s.cols) == maxColumns {
			return db.corruptAt(pg, pc, "record %d: more than %d values", rowid, maxColumns)
		}
		var v Value
		var size int
		switch {
		case st == 0:
		case st <= 6:
			size = intSizes[st]
			v.Kind = Integer
		case st == 7:
			size = 8
			v.Kind = Float
		case st == 8 || st == 9:
			v.Kind, v.Int = Integer, int64(st-8)
		case st < 12:
			return db.corruptAt(pg, pc, "record %d: reserved serial type %d", rowid, st)
		default:
			if (st-12)/2 > uint64(len(rec)) {
				return db.corruptAt(pg, pc, "record %d: value of serial type %d runs past the payload", rowid, st)
			}
			size = int((st - 12) / 2)
			v.Kind = Blob
			if st&1 == 1 {
				v.Kind = Text
			}
		}
		if size > len(rec)-body {
			return db.corruptAt(pg, pc, "record %d: value of serial type %d runs past the payload", rowid, st)
		}
		b := rec[body : body+size]
		body += size
		switch v.Kind {
		case Integer:
			if st <= 6 {
				v.Int = bigInt(b)
			}
		case Float:
			v.Float = math.Float64frombits(binary.BigEndian.Uint64(b))
		case Text, Blob:
			v.Bytes = b
		}
		s.cols = append(s.cols, v)
	}
	return nil
}

var intSizes = [7]int{0, 1, 2, 3, 4, 6, 8}

// bigInt decodes a big-endian two's-complement integer of 1 to 8 bytes.
func bigInt(b []byte) int64 {
	v := int64(int8(b[0]))
	for _, c := range b[1:] {
		v = v<<8 | int64(c)
	}
	return v
}
