// Package sqlite reads rowid tables of SQLite 3 database files without an SQL
// engine, without cgo and without dependencies. It exists to read rpm's
// rpmdb.sqlite (table Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob
// BLOB NOT NULL)) from a file system image offline, but it reads any rowid
// table of any database SQLite 3 writes in UTF-8.
//
// # What is read
//
// The 100-byte database header: the magic string, the page size (65536 is
// stored as 1), the reserved bytes at the end of each page, the read format
// version, the payload fractions (which must be 64/32/32), the schema format
// and the text encoding. The in-header database size is used only when it is
// non-zero and the change counter equals the version-valid-for number, as
// SQLite does; otherwise the size comes from the file (or from the write-ahead
// log, below). A header size larger than what the files hold is corruption.
//
// The schema table (sqlite_schema, rooted at page 1, whose b-tree header
// follows the database header at offset 100), which gives each table's root
// page. Table b-trees: interior pages (type 0x05) with their child pointers and
// right-most pointer, and leaf pages (type 0x0D) with their cells: payload
// size and rowid varints, the local part of the payload (for a table leaf with
// usable size U: all of it when the payload P is at most X = U-35, otherwise
// K = M+((P-M)%(U-4)) bytes when K <= X, else M, where M = ((U-12)*32/255)-23)
// and the chain of overflow pages holding the rest, U-4 bytes each after a
// 4-byte next-page pointer. Records: the header of serial types and the
// values: NULL, big-endian integers of 1, 2, 3, 4, 6 and 8 bytes, the
// constants 0 and 1 (serial types 8 and 9), 64-bit floats, blobs (even types
// from 12) and text (odd types from 13).
//
// Not read: index b-trees (and so WITHOUT ROWID tables, which are index
// b-trees: scanning one is ErrUnsupported), the freelist, pointer-map pages of
// auto-vacuum databases, the rollback journal, and the -shm file (SQLite
// rebuilds it from the write-ahead log when it is missing; so does this
// package). Databases in UTF-16 are ErrUnsupported. A column declared INTEGER
// PRIMARY KEY is an alias of the rowid and is stored as NULL in the record:
// callers use the rowid Scan passes. A record written before an ALTER TABLE
// ADD COLUMN has fewer values than the table has columns; Scan passes the
// values the record holds, and the missing ones take the column's default in
// SQL.
//
// # The write-ahead log
//
// A database in WAL mode keeps its latest transactions in the file named like
// the database with "-wal" appended. The log is used as SQLite uses it when it
// recovers the log without the -shm file: its 32-byte header must carry the
// magic number 0x377f0682 or 0x377f0683 (which selects little- or big-endian
// checksums), a page size and a valid checksum, or the whole log is ignored
// (SQLite ignores it too; DB.WAL reports it). A format version other than
// 3007000 is ErrUnsupported. Frames are then read in order, each a 24-byte
// header (page number, database size in pages after the commit for a commit
// frame and zero for other frames, the two salts, a checksum that continues
// the one before) and a page. Reading stops at the first frame whose salts
// differ from the header's, whose page number is zero or whose checksum does
// not match. Of the frames read, those up to the last commit frame are used
// and the ones after it (a transaction still open, or torn by a crash) are
// not. The newest used frame of a page replaces that page of the database
// file, and the database has the size in pages the last commit frame gives.
// A log whose page size differs from the database's is corruption. An empty
// database file is an empty database whatever its log holds (SQLite deletes
// that log).
//
// # Bounds
//
// Database files are inputs: they may come from images of unknown origin.
// Every page number is checked against the database size and against the
// pages the files hold (a schema entry whose root page is past the end is
// corruption, as SQLite finds too), a page reached twice during one scan (b-tree pages and
// overflow pages alike) is a *CorruptError, so is a b-tree deeper than 20
// levels (SQLite's own limit), so are cell pointers, cells, record headers
// and values that do not fit in their page or payload, and an overflow chain
// is followed for exactly the pages its payload needs. A record's payload may
// not exceed 256 MiB unless WithMaxRecordSize says otherwise; a larger one is
// a *LimitError. A scan reads every page at most once and holds one page per
// b-tree level, the payload of the current record and a bitmap of one bit per
// page; Open holds a map from page number to log frame for the pages in the
// write-ahead log and the schema. Rows are never collected: Scan calls a
// function for each.
//
// The values Scan passes point into the scanner's buffers and are valid only
// during the call. A DB is safe for concurrent scans when its io.ReaderAt
// values are (an *os.File is).
package sqlite
