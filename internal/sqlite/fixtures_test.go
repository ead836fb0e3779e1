package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/patchkit/patchkit/internal/testutil"
)

// fixture is a database of testdata/sqlite made by real SQLite
// (mkfixtures.sh): db and wal name .zst files there.
type fixture struct {
	name    string
	db, wal string
	openErr error // expected from Open
	check   func(t *testing.T, db *DB)
}

var fixtures = []fixture{
	{name: "p512", db: "p512.db", check: func(t *testing.T, db *DB) {
		if db.PageSize() != 512 {
			t.Errorf("page size %d", db.PageSize())
		}
	}},
	{name: "p4096-rpm", db: "p4096-rpm.db"},
	{name: "p65536", db: "p65536.db", check: func(t *testing.T, db *DB) {
		if db.PageSize() != 65536 {
			t.Errorf("page size %d", db.PageSize())
		}
	}},
	{name: "autovacuum-full", db: "autovacuum-full.db"},
	{name: "autovacuum-incremental", db: "autovacuum-incremental.db"},
	{name: "reserved", db: "reserved.db", check: func(t *testing.T, db *DB) {
		if db.usable != 1024-40 {
			t.Errorf("usable size %d", db.usable)
		}
	}},
	{name: "noschema", db: "noschema.db"},
	{name: "empty", db: "empty.db", check: func(t *testing.T, db *DB) {
		if len(db.Tables()) != 0 || db.Pages() != 0 {
			t.Errorf("tables %v, pages %d", db.Tables(), db.Pages())
		}
	}},
	{name: "utf16le", db: "utf16le.db", openErr: ErrUnsupported},
	{name: "tiny", db: "tiny.db"},
	{name: "tiny-wal", db: "tiny-wal.db", wal: "tiny-wal.db-wal", check: func(t *testing.T, db *DB) {
		if w := db.WAL(); w.Committed == 0 || w.Frames <= w.Committed {
			t.Errorf("want committed frames and an uncommitted tail: %+v", w)
		}
	}},
	{name: "wal-open", db: "wal-open.db", wal: "wal-open.db-wal", check: func(t *testing.T, db *DB) {
		w := db.WAL()
		if w.Ignored != "" || w.Committed == 0 || w.Frames <= w.Committed {
			t.Errorf("want committed frames and an uncommitted tail: %+v", w)
		}
		if w.DBPages <= db.filePgs {
			t.Errorf("the log should grow the database beyond its file's %d pages: %+v", db.filePgs, w)
		}
	}},
	{name: "wal-truncated", db: "wal-open.db", wal: "wal-truncated.db-wal", check: func(t *testing.T, db *DB) {
		if w := db.WAL(); w.Committed == 0 || w.Frames <= w.Committed {
			t.Errorf("want a torn last transaction: %+v", w)
		}
	}},
	{name: "wal-badsum", db: "wal-open.db", wal: "wal-badsum.db-wal", check: func(t *testing.T, db *DB) {
		w := db.WAL()
		if w.Committed == 0 || w.Frames != w.Committed || int64(32+w.Frames*(24+1024)) >= w.Size {
			t.Errorf("want reading to stop at the bad frame after a commit: %+v", w)
		}
	}},
	{name: "wal-badheader", db: "wal-open.db", wal: "wal-badheader.db-wal", check: func(t *testing.T, db *DB) {
		if w := db.WAL(); w.Ignored != "header checksum does not match" || w.Frames != 0 {
			t.Errorf("want the log ignored: %+v", w)
		}
	}},
	{name: "wal-bigendian", db: "wal-open.db", wal: "wal-bigendian.db-wal", check: func(t *testing.T, db *DB) {
		if w := db.WAL(); w.Committed == 0 || w.Frames <= w.Committed {
			t.Errorf("%+v", w)
		}
	}},
	{name: "wal-nocommit", db: "wal-nocommit.db", wal: "wal-nocommit.db-wal", check: func(t *testing.T, db *DB) {
		if w := db.WAL(); w.Ignored != "" || w.Committed != 0 || w.Frames == 0 || db.walIdx != nil {
			t.Errorf("want uncommitted frames only: %+v", w)
		}
	}},
	{name: "wal-restart", db: "wal-restart.db", wal: "wal-restart.db-wal", check: func(t *testing.T, db *DB) {
		if w := db.WAL(); w.Committed == 0 || int64(32+w.Frames*(24+1024)) >= w.Size {
			t.Errorf("want older frames behind the restarted log: %+v", w)
		}
	}},
	{name: "wal-vacuum", db: "wal-vacuum.db", wal: "wal-vacuum.db-wal", check: func(t *testing.T, db *DB) {
		if w := db.WAL(); w.DBPages == 0 || w.DBPages >= db.filePgs || db.Pages() != w.DBPages {
			t.Errorf("want the last commit to shrink the database below its file's %d pages: %+v, pages %d", db.filePgs, w, db.Pages())
		}
	}},
}

// setup decompresses the fixture into a new directory as name.db (and
// name.db-wal) and returns the database's path.
func (f fixture) setup(t *testing.T) string {
	dir := t.TempDir()
	src := repoTestdata(t, "sqlite")
	path := filepath.Join(dir, f.name+".db")
	materialize(t, filepath.Join(src, f.db+".zst"), path)
	if f.wal != "" {
		materialize(t, filepath.Join(src, f.wal+".zst"), path+"-wal")
	}
	return path
}

// A dump is a database's tables as the sqlite3 CLI shows them: a line
// "table NAME NCOLS IPK REAL" (IPK the index of the INTEGER PRIMARY KEY column
// or -1, REAL the indexes of the columns of REAL affinity, "-" for none)
// followed by the rows "ROWID FIELD...", or "norowid NAME" for a WITHOUT
// ROWID table, fields separated by tabs. sqlite_schema comes first.

type dumpTable struct {
	name    string
	norowid bool
	ncols   int
	ipk     int
	real    map[int]bool
	rows    [][]string
}

func parseDump(t *testing.T, data []byte) []dumpTable {
	var tabs []dumpTable
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		switch {
		case f[0] == "table" && len(f) == 5:
			n, err1 := strconv.Atoi(f[2])
			ipk, err2 := strconv.Atoi(f[3])
			if err1 != nil || err2 != nil {
				t.Fatalf("dump line %d: %q", i+1, line)
			}
			real := map[int]bool{}
			if f[4] != "-" {
				for _, c := range strings.Split(f[4], ",") {
					n, err := strconv.Atoi(c)
					if err != nil {
						t.Fatalf("dump line %d: %q", i+1, line)
					}
					real[n] = true
				}
			}
			tabs = append(tabs, dumpTable{name: f[1], ncols: n, ipk: ipk, real: real})
		case f[0] == "norowid" && len(f) == 2:
			tabs = append(tabs, dumpTable{name: f[1], norowid: true})
		case len(tabs) > 0 && !tabs[len(tabs)-1].norowid:
			tabs[len(tabs)-1].rows = append(tabs[len(tabs)-1].rows, f)
		default:
			t.Fatalf("dump line %d: %q", i+1, line)
		}
	}
	return tabs
}

// cliField is the SQL expression that prints column c as formatValue does.
func cliField(c string) string {
	bytesExpr := func(tag, blob string) string {
		return fmt.Sprintf(`'%s:'||length(%[2]s)||':'||(case when length(%[2]s)<=32 then hex(%[2]s) else '#'||substr(hex(sha3(%[3]s,256)),1,%[4]d) end)`,
			tag, blob, c, digestLen)
	}
	return fmt.Sprintf(`case typeof(%[1]s) when 'null' then 'n' when 'integer' then 'i:'||%[1]s when 'real' then 'r:'||quote(%[1]s) when 'text' then %[2]s when 'blob' then %[3]s end`,
		c, bytesExpr("t", "cast("+c+" as blob)"), bytesExpr("b", c))
}

// realAffinity reports whether a declared column type has REAL affinity
// (the rules of section 3.1 of SQLite's datatype page, in their order).
func realAffinity(typ string) bool {
	if strings.Contains(typ, "INT") || strings.Contains(typ, "CHAR") || strings.Contains(typ, "CLOB") ||
		strings.Contains(typ, "TEXT") || strings.Contains(typ, "BLOB") || typ == "" {
		return false
	}
	return strings.Contains(typ, "REAL") || strings.Contains(typ, "FLOA") || strings.Contains(typ, "DOUB")
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteStr(s string) string   { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// cliDump runs the sqlite3 CLI on the database path (in a directory of the
// test's own: SQLite makes a -shm file beside it) and returns its dump.
func cliDump(t *testing.T, sqlite3, path string) []byte {
	t.Helper()
	run := func(query string) [][]string {
		cmd := exec.Command(sqlite3, "-readonly", "-batch", "-noheader", "-separator", "\t", path, query)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("sqlite3 %s %q: %v\n%s", path, query, err, stderr.String())
		}
		var rows [][]string
		for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			if line != "" {
				rows = append(rows, strings.Split(line, "\t"))
			}
		}
		return rows
	}
	var b bytes.Buffer
	dumpRows := func(table string, cols []string) {
		fields := []string{"rowid"}
		for _, c := range cols {
			fields = append(fields, cliField(quoteIdent(c)))
		}
		for _, r := range run("select " + strings.Join(fields, ", ") + " from " + quoteIdent(table) + " order by rowid") {
			b.WriteString(strings.Join(r, "\t") + "\n")
		}
	}
	fmt.Fprintf(&b, "table\tsqlite_schema\t5\t-1\t-\n")
	dumpRows("sqlite_schema", []string{"type", "name", "tbl_name", "rootpage", "sql"})
	for _, tab := range run("select name, coalesce(sql, '') like '%without rowid%' from sqlite_schema where type = 'table' order by rowid") {
		name := tab[0]
		if tab[1] == "1" {
			fmt.Fprintf(&b, "norowid\t%s\n", name)
			continue
		}
		var cols, real []string
		ipk, pks := -1, 0
		for i, c := range run("select name, upper(type), pk from pragma_table_info(" + quoteStr(name) + ") order by cid") {
			cols = append(cols, c[0])
			if realAffinity(c[1]) {
				real = append(real, strconv.Itoa(i))
			}
			if c[2] != "0" {
				pks++
				if c[1] == "INTEGER" {
					ipk = i
				}
			}
		}
		if pks != 1 {
			ipk = -1
		}
		if len(real) == 0 {
			real = []string{"-"}
		}
		fmt.Fprintf(&b, "table\t%s\t%d\t%d\t%s\n", name, len(cols), ipk, strings.Join(real, ","))
		dumpRows(name, cols)
	}
	return b.Bytes()
}

// compareDump checks that db reads as want shows.
func compareDump(t *testing.T, db *DB, want []dumpTable) {
	t.Helper()
	var wantTables []string
	for _, tab := range want[1:] {
		wantTables = append(wantTables, tab.name)
	}
	if got := db.Tables(); strings.Join(got, ",") != strings.Join(wantTables, ",") {
		t.Errorf("Tables() = %q, sqlite3 has %q", got, wantTables)
	}
	for _, tab := range want {
		i := 0
		err := db.Scan(context.Background(), tab.name, func(rowid int64, cols []Value) error {
			if tab.norowid {
				return errors.New("a row of a WITHOUT ROWID table")
			}
			if i >= len(tab.rows) {
				return fmt.Errorf("row %d (rowid %d) beyond the %d rows of sqlite3", i, rowid, len(tab.rows))
			}
			w := tab.rows[i]
			i++
			if len(w) != tab.ncols+1 || w[0] != strconv.FormatInt(rowid, 10) {
				return fmt.Errorf("rowid %d, sqlite3 has row %q", rowid, w)
			}
			if len(cols) > tab.ncols {
				return fmt.Errorf("rowid %d: %d values for %d columns", rowid, len(cols), tab.ncols)
			}
			for c := 0; c < tab.ncols; c++ {
				got := "n" // a value the record lacks (ALTER TABLE ADD COLUMN) is NULL here
				if c < len(cols) {
					got = formatValue(cols[c])
				}
				theirs := w[c+1]
				if c == tab.ipk {
					// The rowid alias is stored as NULL.
					if got != "n" || theirs != "i:"+w[0] {
						return fmt.Errorf("rowid %d: INTEGER PRIMARY KEY column %d is %s, sqlite3 %s", rowid, c, got, theirs)
					}
					continue
				}
				if c < len(cols) && tab.real[c] && cols[c].Kind == Integer {
					// A column of REAL affinity stores integral values as
					// integers; SQL reads them as REAL.
					got = "r:" + strconv.FormatInt(cols[c].Int, 10)
				}
				if !sameField(got, theirs) {
					return fmt.Errorf("rowid %d column %d: %s, sqlite3 %s", rowid, c, got, theirs)
				}
			}
			return nil
		})
		switch {
		case tab.norowid:
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: WITHOUT ROWID table: %v, want ErrUnsupported", tab.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tab.name, err)
		case i != len(tab.rows):
			t.Errorf("%s: %d rows, sqlite3 %d", tab.name, i, len(tab.rows))
		}
	}
}

func expectPath(t *testing.T, name string) string {
	return repoTestdata(t, "sqlite", name+".expect.zst")
}

// TestFixtures reads every fixture and compares it with the dump the real
// sqlite3 printed for it (testdata/sqlite/*.expect.zst).
func TestFixtures(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			path := f.setup(t)
			db, err := OpenFS(context.Background(), os.DirFS(filepath.Dir(path)), filepath.Base(path))
			if f.openErr != nil {
				if !errors.Is(err, f.openErr) {
					t.Fatalf("Open: %v, want %v", err, f.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if f.check != nil {
				f.check(t, db)
			}
			if *update {
				return
			}
			compareDump(t, db, parseDump(t, unzst(t, expectPath(t, f.name))))
		})
	}
}

// TestFixturesCLI runs the sqlite3 CLI on every fixture: its dump must be
// the committed one (with -update, it is written), and this package must
// read what it prints.
func TestFixturesCLI(t *testing.T) {
	sqlite3 := testutil.NeedTool(t, "sqlite3", "sqlite3")
	for _, f := range fixtures {
		if f.openErr != nil {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			path := f.setup(t)
			live := cliDump(t, sqlite3, path)
			if *update {
				enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(expectPath(t, f.name), enc.EncodeAll(live, nil), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if committed := unzst(t, expectPath(t, f.name)); !bytes.Equal(live, committed) {
				t.Errorf("sqlite3 prints a dump other than %s", expectPath(t, f.name))
			}
			// Read the same files again: sqlite3 must have left them as
			// they were (a read-only connection never checkpoints).
			db := openFile(t, path)
			if f.check != nil {
				f.check(t, db)
			}
			compareDump(t, db, parseDump(t, live))
		})
	}
}
