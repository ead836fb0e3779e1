package zypper

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// loadScenario reads a recorded scenario: its fixture.json, its
// recordings, and a replaying runner.
func loadScenario(t testing.TB, name string) (fixtureMeta, []run.Recording, *run.Replay) {
	t.Helper()
	dir := filepath.Join(scenarioDir, name)
	b, err := os.ReadFile(filepath.Join(dir, "fixture.json"))
	if err != nil {
		t.Fatalf("%v (record the scenarios with go test -run TestTestbedZypperScan -update ./scan/zypper)", err)
	}
	var m fixtureMeta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	recs, err := run.LoadRecordings(os.DirFS(dir), "*.txt")
	if err != nil {
		t.Fatal(err)
	}
	return m, recs, run.NewReplay(recs...)
}

// TestScenarioReplay runs both backends on every recorded scenario: the
// metadata backend on the root files kept, trusting the keys rpm listed;
// the native backend on zypper's recorded answers. They must agree as on
// the live testbed.
func TestScenarioReplay(t *testing.T) {
	var total agreement
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			m, recs, rp := loadScenario(t, sc.name)
			ctx := t.Context()
			s := &scenarioRun{root: m.Root, now: m.Now}
			for _, r := range recs {
				if l := recordingLabel(r); l == "zypper-refresh" || l == "zypper-install-table" {
					s.rec = append(s.rec, r)
				}
			}
			var err error
			if s.installed, err = rpmdb.Query(ctx, rp, rpmdb.WithRoot(m.Root)); err != nil {
				t.Fatal(err)
			}
			fsys := os.DirFS(filepath.Join(scenarioDir, sc.name, "root"))
			s.meta, err = Read(ctx, fsys, s.installed, WithArch(m.Arch), WithNow(m.Now), WithKeyring(keysFromRecording(t, recs)), s.collect())
			if err != nil {
				t.Fatal(err)
			}
			h, err := NativeRepoHealth(ctx, fsys, WithArch(m.Arch), WithNow(m.Now), WithKeyring(keysFromRecording(t, recs)))
			if err != nil {
				t.Fatal(err)
			}
			s.notOK = h.NotOK()
			disable := NativeDisableRepos(s.notOK...)
			s.native, s.nativeErr = NativeUpdates(ctx, rp, s.installed, NativeRoot(m.Root), disable)
			if s.nativeErr != nil {
				t.Fatal(s.nativeErr)
			}
			if s.patches, err = NativePatches(ctx, rp, NativeRoot(m.Root), disable); err != nil {
				t.Fatal(err)
			}
			s.search = searchInstalled(t, rp, m.Root, s.installed)
			s.searchEverything(t, rp)
			if s.metaInst, err = Read(ctx, fsys, s.installed, WithArch(m.Arch), WithNow(m.Now), WithKeyring(keysFromRecording(t, recs)), WithInstalledVersions(true)); err != nil {
				t.Fatal(err)
			}
			if s.nativeInst, err = NativeUpdates(ctx, rp, s.installed, NativeRoot(m.Root), NativeInstalledVersions(true), disable); err != nil {
				t.Fatal(err)
			}
			if s.nativeAll, err = NativeUpdates(ctx, rp, s.installed, NativeRoot(m.Root), NativeInstalledVersions(true), NativeAllVersions(true), disable); err != nil {
				t.Fatal(err)
			}
			s.askEveryRepository(t, rp)
			if sc.skipped != "" {
				checkSkipped(t, rp, m.Root, sc.skipped)
			}
			a := agree(t, sc, s)
			sc.check(t, s)
			total.candidates += a.candidates
			total.versions += a.versions
			total.patches += a.patches
			total.notInstalled += a.notInstalled
			total.installed += a.installed
			total.allVersions += a.allVersions
			total.rebootFlags += a.rebootFlags
			total.restartFlags += a.restartFlags
			// every command the backends ran was recorded
			for _, c := range rp.Calls() {
				if !slices.ContainsFunc(recs, func(r run.Recording) bool { return slices.Equal(r.Argv, c.Argv()) }) {
					t.Errorf("not recorded: %s", c)
				}
			}
		})
	}
	t.Logf("recorded scenarios: %d candidates, %d newer versions, %d patches (%d asking for a reboot, %d for a restart), %d versions not installed, %d installed versions, %d versions of NativeAllVersions agree", total.candidates, total.versions, total.patches, total.rebootFlags, total.restartFlags, total.notInstalled, total.installed, total.allVersions)
	// Both flags occur, so their agreement is not only on false.
	if !t.Failed() && (total.rebootFlags == 0 || total.restartFlags == 0) {
		t.Errorf("the recorded scenarios agree on %d reboot and %d restart flags; want some of each", total.rebootFlags, total.restartFlags)
	}
}
