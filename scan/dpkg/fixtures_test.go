package dpkg

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchkit/patchkit/scan/run"
)

// TestFixtures compares Read of every database under testdata/dpkg/db with
// dpkg-query's answer for it: the recorded one always (also through Query
// and a replaying runner), and a live one when dpkg-query is installed,
// which must equal the recording.
func TestFixtures(t *testing.T) {
	ents, err := os.ReadDir(filepath.Join(testdata, "db"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) < 20 {
		t.Fatalf("only %d fixture databases", len(ents))
	}
	dbs, pkgs := 0, 0
	for _, e := range ents {
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(testdata, "db", name)
			recFile := filepath.Join(testdata, "query", name+".txt")
			recDir := stableDir("db", name)
			if *update {
				layout(t, recDir, oracleFiles(t, dir))
				saveRecording(t, recFile, runDpkgQuery(t, recDir,
					provenance(t, "a copy of testdata/dpkg/db/"+name+" (files of status.d appended to status, with \"Status: install ok installed\" added to their stanzas that have no Status) at "+recDir)))
			}
			rec := loadRecording(t, recFile)
			ours, rerr := Read(context.Background(), os.DirFS(dir), WithAdmindir("."))

			replay := run.NewReplay(rec)
			theirs, qerr := Query(context.Background(), replay, QueryAdmindir(recDir))
			if rec.Exit != 0 {
				var ee *run.ExitError
				if !errors.As(qerr, &ee) {
					t.Errorf("Query through the recording: %v, want an *run.ExitError", qerr)
				}
				var pe *ParseError
				if !errors.As(rerr, &pe) || pe.Stricter || pe.File == "" {
					t.Errorf("dpkg-query refuses this database (%s); Read: %v", rec.Stderr, rerr)
				}
			} else {
				if rerr != nil {
					t.Fatalf("dpkg-query reads this database; Read: %v", rerr)
				}
				if qerr != nil {
					t.Fatal(qerr)
				}
				if n := sameList(t, ours, theirs); !t.Failed() {
					dbs++
					pkgs += n
				}
			}
			if haveDpkgQuery() {
				liveDir := t.TempDir()
				layout(t, liveDir, oracleFiles(t, dir))
				live := runDpkgQuery(t, liveDir, "live")
				sameAsLive(t, live, rec, liveDir, recDir)
			}
		})
	}
	t.Logf("Read agrees with dpkg-query on %d databases, %d packages", dbs, pkgs)
}
