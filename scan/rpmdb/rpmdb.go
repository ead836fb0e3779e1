package rpmdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/bdb"
	"github.com/patchkit/patchkit/internal/ndb"
	"github.com/patchkit/patchkit/internal/rootfs"
	"github.com/patchkit/patchkit/internal/rpmheader"
	"github.com/patchkit/patchkit/internal/sqlite"
)

// Format is an rpm database format.
type Format string

// The formats rpm has written.
const (
	// SQLite is rpmdb.sqlite: rpm 4.16 and later by default (Fedora 33+,
	// RHEL 9+, Amazon Linux 2023).
	SQLite Format = "sqlite"
	// NDB is Packages.db, rpm's own format (SUSE 15, openSUSE).
	NDB Format = "ndb"
	// BerkeleyDB is a BerkeleyDB hash file named Packages (RHEL and CentOS
	// 5 to 8, Amazon Linux 2, Oracle Linux 7 and 8).
	BerkeleyDB Format = "bdb"
)

// Errors callers branch on with errors.Is.
var (
	// ErrNoDatabase: the root has no rpm database in any known place.
	ErrNoDatabase = errors.New("rpmdb: no rpm database")
	// ErrCorrupt: the database or a header in it is damaged; nothing of it
	// is returned.
	ErrCorrupt = errors.New("rpmdb: corrupt database")
	// ErrTooLarge: a database file is larger than the configured limit.
	ErrTooLarge = errors.New("rpmdb: database file is larger than the limit")
)

// OptionError reports an option with a bad value, a nil option, or a nil
// argument (context, file system, function, runner). It matches
// patchkit.ErrInvalid.
type OptionError struct {
	Option string // the option as called ("WithMaxSize(0)") or the argument ("Read")
	Reason string
}

func (e *OptionError) Error() string { return "rpmdb: " + e.Option + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *OptionError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Database is an rpm database file found in a root.
type Database struct {
	Format Format `json:"Format"`
	// Path is the file inside the root as rpm names it
	// ("var/lib/rpm/rpmdb.sqlite"); Resolved is where its symbolic links
	// lead inside the root ("usr/lib/sysimage/rpm/rpmdb.sqlite").
	Path     string `json:"Path"`
	Resolved string `json:"Resolved"`
	// Others are further database files in the same directory that were
	// not read (a database left behind by a conversion); rpm reads only one.
	Others []string `json:"Others,omitempty"`
}

// DatabaseError reports a database file that cannot be read: damaged,
// truncated, in an unsupported variant, or not a regular file.
type DatabaseError struct {
	File   string
	Format Format
	Err    error
}

func (e *DatabaseError) Error() string {
	return fmt.Sprintf("rpmdb: %s (%s): %v", e.File, e.Format, e.Err)
}

// Unwrap returns the underlying error.
func (e *DatabaseError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCorrupt and the underlying error says the
// data is damaged.
func (e *DatabaseError) Is(target error) bool {
	if target != ErrCorrupt {
		return false
	}
	return errors.Is(e.Err, bdb.ErrCorrupt) || errors.Is(e.Err, ndb.ErrCorrupt) ||
		errors.Is(e.Err, sqlite.ErrCorrupt) || errors.Is(e.Err, io.ErrUnexpectedEOF)
}

// Find locates the rpm database of the root fsys: the first of
// usr/lib/sysimage/rpm and var/lib/rpm (symbolic links resolved inside the
// root) holding a database file, and in it rpmdb.sqlite, Packages.db or
// Packages, in that order. It returns ErrNoDatabase when there is none.
func Find(fsys fs.FS) (Database, error) {
	if fsys == nil {
		return Database{}, &OptionError{Option: "Find", Reason: "nil file system"}
	}
	// Fedora 36+, openSUSE and SLE 15 SP3+ keep the database in
	// usr/lib/sysimage/rpm (var/lib/rpm is a link to it or absent);
	// everything older in var/lib/rpm.
	dirs := [...]string{"usr/lib/sysimage/rpm", "var/lib/rpm"}
	// The files in the order rpm's backend detection prefers them.
	files := [...]struct {
		name   string
		format Format
	}{{"rpmdb.sqlite", SQLite}, {"Packages.db", NDB}, {"Packages", BerkeleyDB}}
	seen := map[string]bool{}
	for _, dir := range dirs {
		rdir, err := rootfs.Resolve(fsys, dir)
		if err != nil {
			return Database{}, err
		}
		if seen[rdir] {
			continue // var/lib/rpm -> usr/lib/sysimage/rpm
		}
		seen[rdir] = true
		var db Database
		for _, f := range files {
			p := path.Join(dir, f.name)
			rp, err := rootfs.Resolve(fsys, p)
			if err != nil {
				return Database{}, err
			}
			fi, err := fs.Stat(fsys, rp)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return Database{}, err
			}
			if fi.IsDir() {
				continue
			}
			if db.Path == "" {
				db = Database{Format: f.format, Path: p, Resolved: rp}
			} else {
				db.Others = append(db.Others, p)
			}
		}
		if db.Path != "" {
			return db, nil
		}
	}
	return Database{}, ErrNoDatabase
}

// Option configures Read.
type Option func(*options) error

type options struct {
	maxSize int64
	tempDir string
}

// WithMaxSize bounds the size of a database file (default 4 GiB).
func WithMaxSize(n int64) Option {
	return func(o *options) error {
		if n <= 0 {
			return &OptionError{Option: fmt.Sprintf("WithMaxSize(%d)", n), Reason: "not positive"}
		}
		o.maxSize = n
		return nil
	}
}

// WithTempDir sets where a database is copied when its file system cannot
// read at an offset (the files of os.DirFS and fstest.MapFS can; an archive
// file system may not). The default is os.TempDir(). The copy is private
// (mode 0600) and removed before Read returns.
func WithTempDir(dir string) Option {
	return func(o *options) error {
		o.tempDir = dir
		return nil
	}
}

// Read returns the packages installed in the rpm database of the root fsys,
// in the database's order, and which database it read. The OpenPGP keys rpm
// keeps as gpg-pubkey pseudo-packages are not packages and are left out;
// several installed versions of one name (installonly kernels) are separate
// entries. A damaged database gives an error matching ErrCorrupt and no
// packages: never a shorter list.
func Read(ctx context.Context, fsys fs.FS, opts ...Option) (Database, []patchkit.Package, error) {
	o, err := buildOptions(ctx, "Read", fsys, opts)
	if err != nil {
		return Database{}, nil, err
	}
	db, err := Find(fsys)
	if err != nil {
		return Database{}, nil, err
	}
	pkgs, err := readDatabase(ctx, fsys, db, o)
	if err != nil {
		return db, nil, err
	}
	return db, pkgs, nil
}

// ReadDatabase reads the packages of the database db of the root fsys, as
// Read does after Find.
func ReadDatabase(ctx context.Context, fsys fs.FS, db Database, opts ...Option) ([]patchkit.Package, error) {
	o, err := buildOptions(ctx, "ReadDatabase", fsys, opts)
	if err != nil {
		return nil, err
	}
	return readDatabase(ctx, fsys, db, o)
}

// buildOptions checks the arguments every reader takes (a nil context,
// file system or option is an *OptionError) and applies the options.
func buildOptions(ctx context.Context, fn string, fsys fs.FS, opts []Option) (options, error) {
	o := options{maxSize: 4 << 30}
	if ctx == nil || fsys == nil {
		return o, &OptionError{Option: fn, Reason: "nil context or file system"}
	}
	for i, opt := range opts {
		if opt == nil {
			return o, &OptionError{Option: fmt.Sprintf("option %d", i), Reason: "nil option"}
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

func readDatabase(ctx context.Context, fsys fs.FS, db Database, o options) ([]patchkit.Package, error) {
	var (
		pkgs []patchkit.Package
		flds rpmheader.Fields
		in   = interner{}
	)
	err := headers(ctx, fsys, db, o, func(where string, blob []byte) error {
		if err := parseHeader(where, blob, &flds); err != nil {
			return err
		}
		if isPseudo(flds.Name) {
			return nil
		}
		pkgs = append(pkgs, toPackage(&flds, in))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pkgs, nil
}

// Headers calls visit with every header blob of the database db of the
// root fsys, in the database's order, for readers of tags this package
// does not turn into packages (provides, the keys of gpg-pubkey headers):
// where names the record ("Packages row 3", "instance 7", "key 0000002a"),
// and blob is valid only during the call. Berkeley DB's instance counter is
// not a header and is skipped. An error of visit ends the walk: a
// *DatabaseError or a context error as it is, any other wrapped in a
// *DatabaseError naming the file. The options are Read's.
func Headers(ctx context.Context, fsys fs.FS, db Database, visit func(where string, blob []byte) error, opts ...Option) error {
	o, err := buildOptions(ctx, "Headers", fsys, opts)
	if err != nil {
		return err
	}
	if visit == nil {
		return &OptionError{Option: "Headers", Reason: "nil visit function"}
	}
	return headers(ctx, fsys, db, o, visit)
}

func headers(ctx context.Context, fsys fs.FS, db Database, o options, add func(where string, blob []byte) error) error {
	wrap := func(err error) error {
		if err == nil {
			return nil
		}
		var de *DatabaseError
		if errors.As(err, &de) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return &DatabaseError{File: db.Path, Format: db.Format, Err: err}
	}
	f, err := openAt(fsys, db.Resolved, o)
	if err != nil {
		return wrap(err)
	}
	defer f.Close()

	switch db.Format {
	case SQLite:
		var wal *fileAt
		walPath := db.Resolved + "-wal"
		if fi, err := fs.Stat(fsys, walPath); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			if wal, err = openAt(fsys, walPath, o); err != nil {
				return wrap(err)
			}
			defer wal.Close()
		}
		var sdb *sqlite.DB
		if wal != nil {
			sdb, err = sqlite.Open(ctx, f, f.size, wal, wal.size)
		} else {
			sdb, err = sqlite.Open(ctx, f, f.size, nil, 0)
		}
		if err != nil {
			return wrap(err)
		}
		err = sdb.Scan(ctx, "Packages", func(rowid int64, cols []sqlite.Value) error {
			if len(cols) < 2 || cols[1].Kind != sqlite.Blob {
				return &HeaderError{Where: fmt.Sprintf("Packages row %d", rowid), Reason: "no blob in the second column"}
			}
			return add(fmt.Sprintf("Packages row %d", rowid), cols[1].Bytes)
		})
	case NDB:
		var ndbDB *ndb.DB
		if ndbDB, err = ndb.Open(f, f.size); err != nil {
			return wrap(err)
		}
		err = ndbDB.Scan(ctx, func(idx uint32, blob []byte) error {
			return add(fmt.Sprintf("instance %d", idx), blob)
		})
	case BerkeleyDB:
		var bdbDB *bdb.DB
		if bdbDB, err = bdb.Open(f, f.size); err != nil {
			return wrap(err)
		}
		err = bdbDB.Scan(ctx, func(key, value []byte) error {
			// rpm keys headers by their instance number; instance 0
			// holds rpm's own counter, not a header.
			if len(key) == 4 && isZero(key) {
				return nil
			}
			return add(fmt.Sprintf("key %x", key), value)
		})
	default:
		return fmt.Errorf("rpmdb: unknown database format %q", db.Format)
	}
	return wrap(err)
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// fileAt is a database file open for reading at offsets: the file itself
// when it can, else a private temporary copy.
type fileAt struct {
	io.ReaderAt
	size    int64
	closers []func() error
}

func (f *fileAt) Close() error {
	var errs []error
	for _, c := range f.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// openAt opens a regular file of fsys for reading at offsets, refusing
// anything else (a FIFO would block the open) and files beyond the limit.
func openAt(fsys fs.FS, name string, o options) (*fileAt, error) {
	fi, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("not a regular file (%v)", fi.Mode().Type())}
	}
	if fi.Size() > o.maxSize {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, fi.Size(), o.maxSize)}
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	if ra, ok := f.(io.ReaderAt); ok {
		return &fileAt{ReaderAt: ra, size: fi.Size(), closers: []func() error{f.Close}}, nil
	}
	defer f.Close()
	tmp, err := os.CreateTemp(o.tempDir, "patchkit-rpmdb-*")
	if err != nil {
		return nil, err
	}
	remove := func() error { tmp.Close(); return os.Remove(tmp.Name()) }
	n, err := io.Copy(tmp, io.LimitReader(f, o.maxSize+1))
	if err == nil && n > o.maxSize {
		err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, o.maxSize)
	}
	if err != nil {
		remove()
		return nil, &fs.PathError{Op: "copy", Path: name, Err: err}
	}
	return &fileAt{ReaderAt: tmp, size: n, closers: []func() error{remove}}, nil
}
