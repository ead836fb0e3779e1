package dnf

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit/internal/sqlite"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// columns returns the column names of a CREATE TABLE statement as
// createrepo writes it: "CREATE TABLE packages (  pkgKey INTEGER PRIMARY
// KEY,  pkgId TEXT, ...)". Column definitions hold no commas there.
func columns(sql string) []string {
	i, j := strings.IndexByte(sql, '('), strings.LastIndexByte(sql, ')')
	if i < 0 || j < i {
		return nil
	}
	var out []string
	for _, def := range strings.Split(sql[i+1:j], ",") {
		f := strings.Fields(def)
		if len(f) == 0 {
			return nil
		}
		out = append(out, strings.Trim(f[0], `"`+"`[]"))
	}
	return out
}

// readPrimaryDB reads the sqlite primary (primary_db) that yum keeps
// instead of primary.xml: the packages table for the records, provides for
// the installonly capabilities and obsoletes, checked as rpmmd checks
// primary.xml's records (name, arch and version present, the location
// inside the repository, a numeric epoch).
func readPrimaryDB(ctx context.Context, name string, data []byte, want *wanted, rd *repoData) error {
	db, err := sqlite.Open(ctx, bytes.NewReader(data), int64(len(data)), nil, 0, sqlite.WithName(name))
	if err != nil {
		return err
	}
	cols := map[string][]string{}
	err = db.Scan(ctx, "sqlite_master", func(_ int64, v []sqlite.Value) error {
		if len(v) >= 5 && string(v[0].Bytes) == "table" {
			cols[string(v[1].Bytes)] = columns(string(v[4].Bytes))
		}
		return nil
	})
	if err != nil {
		return err
	}
	index := func(table string, names ...string) ([]int, error) {
		out := make([]int, len(names))
		for i, n := range names {
			out[i] = -1
			for j, c := range cols[table] {
				if c == n {
					out[i] = j
				}
			}
			if out[i] < 0 {
				return nil, &repo.SyntaxError{File: name, Msg: "table " + table + " has no column " + n}
			}
		}
		return out, nil
	}
	text := func(v []sqlite.Value, i int) string {
		if i < len(v) && (v[i].Kind == sqlite.Text || v[i].Kind == sqlite.Blob) {
			return string(v[i].Bytes)
		}
		return ""
	}
	pc, err := index("packages", "pkgKey", "name", "arch", "version", "epoch", "release", "time_build", "rpm_sourcerpm", "location_href")
	if err != nil {
		return err
	}
	keys := map[int64]pkgKey{}
	rd.extras = map[pkgKey]extra{}
	n := 0
	err = db.Scan(ctx, "packages", func(rowid int64, v []sqlite.Value) error {
		n++
		bad := func(msg string) error {
			return &repo.SyntaxError{File: name, Msg: fmt.Sprintf("packages row %d: %s", rowid, msg)}
		}
		p := rpmmd.Package{Name: text(v, pc[1]), Arch: text(v, pc[2]), Version: text(v, pc[3]), Release: text(v, pc[5]),
			SourceRPM: text(v, pc[7]), Location: text(v, pc[8])}
		if p.Name == "" || p.Arch == "" || p.Version == "" {
			return bad("package without name, arch or version")
		}
		if e := text(v, pc[4]); e != "" {
			u, err := strconv.ParseUint(e, 10, 32)
			if err != nil {
				return bad("invalid epoch " + strconv.Quote(e))
			}
			p.Epoch = uint32(u)
		}
		if reason := repo.CheckRelPath(p.Location); reason != "" {
			return &repo.PathError{File: name, Path: p.Location, Reason: reason}
		}
		if p.Arch == "src" || p.Arch == "nosrc" {
			return nil // primary.xml has none; a source package is never offered
		}
		k := pkgKey{name: p.Name, arch: p.Arch, epoch: p.Epoch, ver: p.Version, rel: p.Release}
		keys[rowid] = k
		var built int64
		if pc[6] < len(v) && v[pc[6]].Kind == sqlite.Integer && v[pc[6]].Int > 0 && v[pc[6]].Int < 1<<40 {
			built = v[pc[6]].Int
		}
		switch {
		case want.names[p.Name]:
			rd.pkgs = append(rd.pkgs, p)
			ex := rd.extras[k]
			if built != 0 {
				ex.buildTime = time.Unix(built, 0).UTC()
			}
			rd.extras[k] = ex
		case want.keepOther(p.Arch):
			o := newOther(p, rd.cfg, 0)
			o.built = built
			rd.others.add(o)
		}
		return nil
	})
	if err != nil {
		return err
	}
	dep := func(table string, f func(k pkgKey, e depEntry)) error {
		dc, err := index(table, "name", "flags", "epoch", "version", "release", "pkgKey")
		if err != nil {
			return err
		}
		return db.Scan(ctx, table, func(rowid int64, v []sqlite.Value) error {
			if dc[5] >= len(v) || v[dc[5]].Kind != sqlite.Integer {
				return &repo.SyntaxError{File: name, Msg: fmt.Sprintf("%s row %d: no pkgKey", table, rowid)}
			}
			k, ok := keys[v[dc[5]].Int]
			if !ok {
				return nil // a source package's, or one refused above
			}
			f(k, depEntry{name: text(v, dc[0]), flags: text(v, dc[1]), epoch: text(v, dc[2]), ver: text(v, dc[3]), rel: text(v, dc[4])})
			return nil
		})
	}
	err = dep("provides", func(k pkgKey, e depEntry) {
		if want.names[k.name] && want.installOnly[e.name] {
			ex := rd.extras[k]
			ex.installOnly = true
			rd.extras[k] = ex
		}
	})
	if err != nil {
		return err
	}
	err = dep("obsoletes", func(k pkgKey, e depEntry) {
		if want.names[e.name] {
			ex := rd.extras[k]
			ex.obsoletes = append(ex.obsoletes, e)
			rd.extras[k] = ex
		}
	})
	if err != nil {
		return err
	}
	rd.status.Packages = n
	return nil
}
