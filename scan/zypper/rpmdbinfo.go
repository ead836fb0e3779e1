package zypper

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/patchkit/patchkit/internal/bdb"
	"github.com/patchkit/patchkit/internal/ndb"
	"github.com/patchkit/patchkit/internal/rpmheader"
	"github.com/patchkit/patchkit/internal/sqlite"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/rpmdb"
)

// maxDBInMemory bounds a database file read into memory when the file
// system cannot read at offsets.
const maxDBInMemory = 1 << 30

// Header tags read here: RPMTAG_DESCRIPTION (for a gpg-pubkey header, the
// ASCII-armoured key rpm imported) and RPMTAG_PROVIDENAME.
const (
	tagDescription = 1005
	tagProvideName = 1047
)

// rpmdbInfo is what the metadata backend reads of a root's rpm database
// besides the installed packages (which the caller gives).
type rpmdbInfo struct {
	// keyring holds the keys of the gpg-pubkey headers: the keys zypper
	// trusts (libzypp keeps its trusted keyring in step with them).
	keyring *repo.Keyring
	// db is the database read; empty when the root has none.
	db string
	// problems are gpg-pubkey headers whose key could not be read; their
	// keys are not trusted.
	problems []error
	// provides are the capabilities the installed packages of the asked
	// names provide, by package name.
	provides map[string][]string
}

// readRPMDB reads the root's rpm database once: the imported keys when
// keys is set, and the provides of the packages whose names are in
// provNames. A root without an rpm database yields nothing and db "".
func readRPMDB(ctx context.Context, fsys fs.FS, keys bool, provNames map[string]bool) (rpmdbInfo, error) {
	db, err := rpmdb.Find(fsys)
	if errors.Is(err, rpmdb.ErrNoDatabase) {
		return rpmdbInfo{}, nil
	}
	if err != nil {
		return rpmdbInfo{}, err
	}
	out := rpmdbInfo{db: db.Path, provides: map[string][]string{}}
	var flds rpmheader.Fields
	visit := func(where string, blob []byte) error {
		if err := rpmheader.Parse(blob, &flds); err != nil {
			return &rpmdb.DatabaseError{File: db.Path, Format: db.Format, Err: fmt.Errorf("header %s: %w", where, err)}
		}
		n := string(flds.Name)
		if provNames[n] {
			out.provides[n] = appendUnique(out.provides[n], headerStrings(blob, tagProvideName)...)
		}
		if !keys || n != "gpg-pubkey" {
			return nil
		}
		name := "rpmdb gpg-pubkey-" + string(flds.Version) + "-" + string(flds.Release)
		desc := headerStrings(blob, tagDescription)
		if len(desc) == 0 {
			out.problems = append(out.problems, fmt.Errorf("%s: no key in its Description", name))
			return nil
		}
		kr, err := repo.ParseKeyring(name, []byte(desc[0]))
		if err != nil {
			out.problems = append(out.problems, err)
			return nil
		}
		out.keyring = out.keyring.Merge(kr)
		return nil
	}
	switch db.Format {
	case rpmdb.SQLite:
		sdb, err := sqlite.OpenFS(ctx, fsys, db.Resolved)
		if err != nil {
			return out, &rpmdb.DatabaseError{File: db.Path, Format: db.Format, Err: err}
		}
		defer sdb.Close()
		err = sdb.Scan(ctx, "Packages", func(rowid int64, cols []sqlite.Value) error {
			if len(cols) < 2 || cols[1].Kind != sqlite.Blob {
				return &rpmdb.DatabaseError{File: db.Path, Format: db.Format, Err: fmt.Errorf("Packages row %d: no blob in the second column", rowid)}
			}
			return visit(fmt.Sprintf("Packages row %d", rowid), cols[1].Bytes)
		})
		if err != nil {
			return out, err
		}
	case rpmdb.NDB, rpmdb.BerkeleyDB:
		f, size, closeFn, err := openAt(fsys, db.Resolved)
		if err != nil {
			return out, &rpmdb.DatabaseError{File: db.Path, Format: db.Format, Err: err}
		}
		defer closeFn()
		if db.Format == rpmdb.NDB {
			n, err := ndb.Open(f, size)
			if err != nil {
				return out, &rpmdb.DatabaseError{File: db.Path, Format: db.Format, Err: err}
			}
			err = n.Scan(ctx, func(idx uint32, blob []byte) error {
				return visit(fmt.Sprintf("instance %d", idx), blob)
			})
			if err != nil {
				return out, err
			}
		} else {
			b, err := bdb.Open(f, size)
			if err != nil {
				return out, &rpmdb.DatabaseError{File: db.Path, Format: db.Format, Err: err}
			}
			err = b.Scan(ctx, func(key, value []byte) error {
				if len(key) == 4 && binary.BigEndian.Uint32(key) == 0 {
					return nil // rpm's instance counter, not a header
				}
				return visit(fmt.Sprintf("key %x", key), value)
			})
			if err != nil {
				return out, err
			}
		}
	default:
		return out, fmt.Errorf("zypper: unknown rpm database format %q", db.Format)
	}
	return out, nil
}

// openAt opens a regular file of fsys for reading at offsets: the file
// itself when it can, else its content read into memory (bounded).
func openAt(fsys fs.FS, name string) (io.ReaderAt, int64, func() error, error) {
	fi, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, 0, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("not a regular file (%v)", fi.Mode().Type())}
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, 0, nil, err
	}
	if ra, ok := f.(io.ReaderAt); ok {
		return ra, fi.Size(), f.Close, nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDBInMemory+1))
	if err != nil {
		return nil, 0, nil, err
	}
	if len(data) > maxDBInMemory {
		return nil, 0, nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("larger than %d bytes", maxDBInMemory)}
	}
	return bytes.NewReader(data), int64(len(data)), func() error { return nil }, nil
}

// headerStrings returns the strings of tag in a header blob that
// rpmheader.Parse has accepted (so its index and data are in bounds):
// one for STRING and I18NSTRING (the first translation), count for
// STRING_ARRAY. rpmheader reads only the tags scan/rpmdb needs; the
// gpg-pubkey key text and the provides are read here until it has fields
// for them.
func headerStrings(blob []byte, tag uint32) []string {
	if len(blob) < 8 {
		return nil
	}
	il := binary.BigEndian.Uint32(blob[0:4])
	if uint64(8)+16*uint64(il) > uint64(len(blob)) {
		return nil
	}
	data := blob[8+16*int(il):]
	for i := 0; i < int(il); i++ {
		e := blob[8+16*i : 24+16*i]
		if binary.BigEndian.Uint32(e[0:4]) != tag {
			continue
		}
		count := 1
		switch binary.BigEndian.Uint32(e[4:8]) {
		case 6, 9: // STRING, I18NSTRING
		case 8: // STRING_ARRAY
			count = int(min(binary.BigEndian.Uint32(e[12:16]), uint32(len(data))))
		default:
			return nil
		}
		off := binary.BigEndian.Uint32(e[8:12])
		var out []string
		for ; count > 0; count-- {
			if uint64(off) >= uint64(len(data)) {
				return out
			}
			end := bytes.IndexByte(data[off:], 0)
			if end < 0 {
				return out
			}
			out = append(out, string(data[off:int(off)+end]))
			off += uint32(end) + 1
		}
		return out
	}
	return nil
}
