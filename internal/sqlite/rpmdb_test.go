package sqlite

import (
	"bytes"
	"context"
	"crypto/sha3"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/patchkit/patchkit/internal/testutil"
)

// rpmdbs are the real rpm databases of testdata/rpmdb/sqlite.
var rpmdbs = []string{"fedora35", "cbl-mariner-2.0", "rockylinux-9.2", "debian-rpm-4.18", "debian-rpm-4.18-open"}

// setupRPMDB decompresses testdata/rpmdb/sqlite/NAME/*.zst into a new
// directory and returns it.
func setupRPMDB(t testing.TB, name string) string {
	t.Helper()
	src := repoTestdata(t, "rpmdb", "sqlite", name)
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(src, "*.zst"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no fixtures (%v)", src, err)
	}
	for _, f := range files {
		materialize(t, f, filepath.Join(dir, strings.TrimSuffix(filepath.Base(f), ".zst")))
	}
	return dir
}

// packagesTSV is what Scan reads of the Packages table: "hnum length
// sha3-256" lines, as the sqlite3 query of cliPackages prints them.
func packagesTSV(t testing.TB, db *DB) []byte {
	t.Helper()
	var b bytes.Buffer
	err := db.Scan(context.Background(), "Packages", func(rowid int64, cols []Value) error {
		if len(cols) != 2 || cols[0].Kind != Null || cols[1].Kind != Blob {
			return fmt.Errorf("hnum %d: values %v", rowid, cols)
		}
		sum := sha3.Sum256(cols[1].Bytes)
		fmt.Fprintf(&b, "%d\t%d\t%s\n", rowid, len(cols[1].Bytes), strings.ToUpper(hex.EncodeToString(sum[:])))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const cliPackages = "select hnum, length(blob), hex(sha3(blob, 256)) from Packages order by hnum"

func TestRPMDB(t *testing.T) {
	for _, name := range rpmdbs {
		t.Run(name, func(t *testing.T) {
			dir := setupRPMDB(t, name)
			db := openFile(t, filepath.Join(dir, "rpmdb.sqlite"))
			got := packagesTSV(t, db)
			want, err := os.ReadFile(repoTestdata(t, "rpmdb", "sqlite", name, "packages.tsv"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Packages differ from what sqlite3 printed:\n%s", lineDiff(got, want))
			}
			if n := bytes.Count(want, []byte("\n")); n < 3 {
				t.Errorf("only %d packages", n)
			}
			if !slices.Contains(db.Tables(), "Packages") || !slices.Contains(db.Tables(), "Name") {
				t.Errorf("tables %v", db.Tables())
			}
			w := db.WAL()
			switch name {
			case "debian-rpm-4.18-open":
				// Two of the three packages are only in the log.
				if w.Committed == 0 || w.Ignored != "" || db.Pages() <= db.filePgs {
					t.Errorf("log: %+v", w)
				}
				plain, err := Open(context.Background(), db.file, db.size, nil, 0)
				if err != nil {
					t.Fatal(err)
				}
				if n := bytes.Count(packagesTSV(t, plain), []byte("\n")); n != 1 {
					t.Errorf("without its log the database has %d packages, want 1", n)
				}
			case "debian-rpm-4.18":
				if w.Size != 0 || w.Committed != 0 {
					t.Errorf("log: %+v", w)
				}
			}
		})
	}
}

// lineDiff shows the first lines where a and b differ.
func lineDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	var out []string
	for i := 0; i < max(len(al), len(bl)) && len(out) < 10; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d: got %q, want %q", i+1, x, y))
		}
	}
	return strings.Join(out, "\n")
}

// TestRPMDBCLI compares the rows with what the sqlite3 CLI prints now (and
// writes packages.tsv with -update).
func TestRPMDBCLI(t *testing.T) {
	sqlite3 := testutil.NeedTool(t, "sqlite3", "sqlite3")
	for _, name := range rpmdbs {
		t.Run(name, func(t *testing.T) {
			dir := setupRPMDB(t, name)
			out := testutil.Run(t, "", nil, sqlite3, "-readonly", "-batch", "-noheader", "-separator", "\t", filepath.Join(dir, "rpmdb.sqlite"), cliPackages)
			path := repoTestdata(t, "rpmdb", "sqlite", name, "packages.tsv")
			if *update {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if want, err := os.ReadFile(path); err != nil || string(want) != out {
				t.Errorf("sqlite3 prints other rows than %s (%v):\n%s", path, err, lineDiff([]byte(out), want))
			}
			db := openFile(t, filepath.Join(dir, "rpmdb.sqlite"))
			if got := packagesTSV(t, db); string(got) != out {
				t.Errorf("Packages differ from what sqlite3 prints:\n%s", lineDiff(got, []byte(out)))
			}
		})
	}
}

// TestRPMDBAgainstRPM compares the rowids with the header instances rpm
// itself lists.
func TestRPMDBAgainstRPM(t *testing.T) {
	rpm := testutil.NeedTool(t, "rpm", "rpm")
	for _, name := range rpmdbs {
		t.Run(name, func(t *testing.T) {
			dir := setupRPMDB(t, name)
			db := openFile(t, filepath.Join(dir, "rpmdb.sqlite"))
			var ours []int
			err := db.Scan(context.Background(), "Packages", func(rowid int64, _ []Value) error {
				ours = append(ours, int(rowid))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			// rpm may write beside the database (the -shm file, a
			// checkpoint): it reads the copy after we did.
			out := testutil.Run(t, "", nil, rpm, "--dbpath", dir, "-qa", "--qf", "%{DBINSTANCE}\n")
			var theirs []int
			for _, f := range strings.Fields(out) {
				n, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("rpm printed %q", out)
				}
				theirs = append(theirs, n)
			}
			slices.Sort(theirs)
			if !slices.Equal(ours, theirs) {
				t.Errorf("rowids %v, rpm's header instances %v", ours, theirs)
			}
		})
	}
}
