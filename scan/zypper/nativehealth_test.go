package zypper

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/rpmdb"
)

// nevraSet lists the versions of ps, sorted.
func nevraSet(ps []patchkit.Patch) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.NEVRA()+"@"+p.Repository)
	}
	slices.Sort(out)
	return out
}

// TestNativeHealthScenarios: on every recorded scenario, NativeHealth on
// the scenario's root gives each repository the status the metadata
// backend gives it (health, reason, verified, date), and keeps of what
// zypper answered asked about every repository (every version, installed
// ones too) what the metadata backend offers: the versions of the
// repositories zypper uses though their metadata cannot be trusted (the
// unsigned and untrusted scenarios) are left out, and with them the
// versions an OK repository offers too (shadowed), which
// TestNativeRepoHealthScenarios keeps.
func TestNativeHealthScenarios(t *testing.T) {
	dropped, shadowed := 0, 0
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			m, recs, rp := loadScenario(t, sc.name)
			ctx := t.Context()
			installed, err := rpmdb.Query(ctx, rp, rpmdb.WithRoot(m.Root))
			if err != nil {
				t.Fatal(err)
			}
			fsys := os.DirFS(filepath.Join(scenarioDir, sc.name, "root"))
			opts := []Option{WithArch(m.Arch), WithNow(m.Now), WithKeyring(keysFromRecording(t, recs))}
			meta, err := Read(ctx, fsys, installed, append(opts, WithInstalledVersions(true))...)
			if err != nil {
				t.Fatal(err)
			}
			native, err := NativeUpdates(ctx, rp, installed, NativeRoot(m.Root), NativeInstalledVersions(true), NativeAllVersions(true))
			if err != nil {
				t.Fatal(err)
			}
			kept, sts, err := NativeHealth(ctx, fsys, native, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if len(sts) != len(meta.Repos) {
				t.Fatalf("NativeHealth %+v, Read %+v", sts, meta.Repos)
			}
			for i, s := range sts {
				want := meta.Repos[i]
				want.Packages = 0
				if s != want {
					t.Errorf("natively %+v\nfrom the files %+v", s, want)
				}
			}
			// What is kept the files offer; what the files offer is kept,
			// but for a version zypper shows from a repository that is not
			// OK, which the files offer from another.
			got, want := nevraSet(kept), nevraSet(meta.Updates)
			for _, k := range got {
				if !slices.Contains(want, k) {
					t.Errorf("%s kept, which the files do not offer", k)
				}
			}
			for _, p := range meta.Updates {
				if slices.Contains(got, p.NEVRA()+"@"+p.Repository) {
					continue
				}
				if !slices.ContainsFunc(native, func(n patchkit.Patch) bool {
					return n.NEVRA() == p.NEVRA() && slices.ContainsFunc(sts, func(s repo.Status) bool { return s.Name == n.Repository && s.Health != repo.HealthOK })
				}) {
					t.Errorf("%s from %s: the files offer it, and it is not kept", p.NEVRA(), p.Repository)
				} else {
					shadowed++
				}
			}
			dropped += len(native) - len(kept)
			if len(sc.notOK) > 0 && len(native) == len(kept) {
				t.Errorf("nothing of %v left out", sc.notOK)
			}
		})
	}
	if dropped == 0 {
		t.Error("no version left out in any scenario")
	}
	t.Logf("%d versions from repositories that are not OK left out, %d of them offered by an OK repository too", dropped, shadowed)
}

// TestNativeRepoHealthScenarios: on every recorded scenario, the health
// judged first (NativeRepoHealth) and zypper asked with the repositories
// that are not OK left out (NativeDisableRepos), RepoHealth.Keep has
// nothing to leave out, and keeps exactly what the metadata backend
// offers, every version from the same repository, the shadowed versions
// of the unsigned and untrusted scenarios included.
func TestNativeRepoHealthScenarios(t *testing.T) {
	shadowed := 0
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			m, recs, rp := loadScenario(t, sc.name)
			ctx := t.Context()
			installed, err := rpmdb.Query(ctx, rp, rpmdb.WithRoot(m.Root))
			if err != nil {
				t.Fatal(err)
			}
			fsys := os.DirFS(filepath.Join(scenarioDir, sc.name, "root"))
			opts := []Option{WithArch(m.Arch), WithNow(m.Now), WithKeyring(keysFromRecording(t, recs))}
			meta, err := Read(ctx, fsys, installed, append(opts, WithInstalledVersions(true))...)
			if err != nil {
				t.Fatal(err)
			}
			h, err := NativeRepoHealth(ctx, fsys, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(h.NotOK(), sc.notOK) {
				t.Errorf("not OK: %v, want %v", h.NotOK(), sc.notOK)
			}
			native, err := NativeUpdates(ctx, rp, installed, NativeRoot(m.Root), NativeInstalledVersions(true), NativeAllVersions(true), NativeDisableRepos(h.NotOK()...))
			if err != nil {
				t.Fatal(err)
			}
			kept, sts := h.Keep(native)
			if len(kept) != len(native) || len(sts) != len(h.Repos) {
				t.Errorf("Keep left out %d of %d versions, added %d statuses", len(native)-len(kept), len(native), len(sts)-len(h.Repos))
			}
			got, want := nevraSet(kept), nevraSet(meta.Updates)
			if !slices.Equal(got, want) {
				t.Errorf("kept %v\nthe files offer %v", got, want)
			}
			// the versions zypper asked about every repository attributes
			// to one that is not OK
			before, err := NativeUpdates(ctx, rp, installed, NativeRoot(m.Root), NativeInstalledVersions(true), NativeAllVersions(true))
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range before {
				if slices.Contains(sc.notOK, b.Repository) && slices.ContainsFunc(kept, func(p patchkit.Patch) bool { return p.NEVRA() == b.NEVRA() }) {
					shadowed++
				}
			}
		})
	}
	if shadowed == 0 {
		t.Error("no shadowed version in any scenario")
	}
	t.Logf("%d versions that zypper asked about every repository attributes to one that is not OK kept, from an OK one", shadowed)
}

// TestNativeHealthFailClosed damages the recorded testbed root as
// TestMetadataFailClosed does: NativeHealth gives tb-updates the status
// the metadata backend gives it, except for a data file changed at its
// right size, which only reading it finds; and leaves out what zypper
// offers from it.
func TestNativeHealthFailClosed(t *testing.T) {
	base := loadFixture(t, "testbed")
	_, _, rp := loadScenario(t, "testbed")
	native, err := NativeUpdates(t.Context(), rp, base.installed, NativeRoot(base.meta.Root))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(native, func(p patchkit.Patch) bool { return p.Repository == "tb-updates" }) {
		t.Fatal("the recording offers nothing from tb-updates")
	}
	raw := "var/cache/zypp/raw/tb-updates/repodata/"
	dataFile := func(f fixture, typ string) string {
		for name := range f.fsys {
			if strings.HasPrefix(name, raw) && strings.HasSuffix(name, "-"+typ+".xml.gz") {
				return name
			}
		}
		t.Fatalf("no %s in the fixture", typ)
		return ""
	}
	for _, c := range []struct {
		name    string
		change  func(f *fixture) []Option
		health  repo.Health
		notRead bool
	}{
		{"fresh", func(*fixture) []Option { return nil }, repo.HealthOK, false},
		{"stale", func(f *fixture) []Option { return []Option{WithNow(f.meta.Now.Add(8 * 24 * time.Hour))} }, repo.HealthStale, false},
		{"stale for this repository only", func(f *fixture) []Option {
			return []Option{WithNow(f.meta.Now.Add(2 * time.Hour)), WithRepoMaxAge("tb-updates", time.Hour)}
		}, repo.HealthStale, false},
		{"dated in the future", func(f *fixture) []Option {
			f.fsys["etc/zypp/zypp.conf"] = &fstest.MapFile{Data: []byte("[main]\nrepo_gpgcheck = no\n")}
			return []Option{WithNow(f.meta.Now.Add(-2 * time.Hour))}
		}, repo.HealthExpired, false},
		{"updateinfo truncated", func(f *fixture) []Option {
			d := f.fsys[dataFile(*f, "updateinfo")]
			d.Data = d.Data[:len(d.Data)-10]
			return nil
		}, repo.HealthUnreadable, false},
		{"primary not cached", func(f *fixture) []Option { delete(f.fsys, dataFile(*f, "primary")); return nil }, repo.HealthUnreadable, false},
		{"signature removed", func(f *fixture) []Option { delete(f.fsys, raw+"repomd.xml.asc"); return nil }, repo.HealthUnsigned, false},
		{"repomd.xml changed after signing", func(f *fixture) []Option {
			d := f.fsys[raw+"repomd.xml"]
			d.Data = bytes.Replace(d.Data, []byte("<revision>"), []byte("<revision>1"), 1)
			return nil
		}, repo.HealthUnsigned, false},
		{"no trusted key", func(f *fixture) []Option { return []Option{WithKeyring(nil)} }, repo.HealthUnsigned, false},
		{"not cached", func(f *fixture) []Option {
			for k := range f.fsys {
				if strings.HasPrefix(k, raw) {
					delete(f.fsys, k)
				}
			}
			return nil
		}, repo.HealthUnreadable, false},
		{"primary tampered at its size", func(f *fixture) []Option {
			d := f.fsys[dataFile(*f, "primary")]
			d.Data[len(d.Data)/2] ^= 0x40
			return nil
		}, repo.HealthUnreadable, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := base
			f.fsys = cloneFS(base.fsys)
			opts := append([]Option{WithArch("x86_64"), WithNow(f.meta.Now), WithKeyring(f.keys)}, c.change(&f)...)
			meta, err := Read(t.Context(), f.fsys, f.installed, opts...)
			if err != nil {
				t.Fatal(err)
			}
			kept, sts, err := NativeHealth(t.Context(), f.fsys, native, opts...)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range sts {
				want := meta.Repos[i]
				want.Packages = 0
				if c.notRead && s.Name == "tb-updates" {
					if s.Health != repo.HealthOK || want.Health != c.health {
						t.Errorf("natively %s, from the files %s", s.Health, want.Health)
					}
					continue
				}
				if s != want {
					t.Errorf("natively %+v\nfrom the files %+v", s, want)
				}
				if s.Name == "tb-updates" && s.Health != c.health {
					t.Errorf("tb-updates %s, want %s", s.Health, c.health)
				}
			}
			fromUpdates := slices.ContainsFunc(kept, func(p patchkit.Patch) bool { return p.Repository == "tb-updates" })
			if fromUpdates != (c.health == repo.HealthOK || c.notRead) {
				t.Errorf("versions of tb-updates kept: %v, its health %s", fromUpdates, c.health)
			}
		})
	}
}

// cloneFS copies a MapFS deeply, so that a test may change the copy.
func cloneFS(m fstest.MapFS) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range m {
		c := *v
		c.Data = slices.Clone(v.Data)
		out[k] = &c
	}
	return out
}

// TestNativeHealthUnknownAlias: a version zypper offers from an alias the
// root does not enable is left out, and the alias gets a status saying
// its health is unknown; a configuration that cannot be read is an error.
func TestNativeHealthUnknownAlias(t *testing.T) {
	f := loadFixture(t, "testbed")
	_, _, rp := loadScenario(t, "testbed")
	native, err := NativeUpdates(t.Context(), rp, f.installed, NativeRoot(f.meta.Root))
	if err != nil {
		t.Fatal(err)
	}
	moved := slices.Clone(native)
	moved[0].Repository = "tb-elsewhere"
	opts := []Option{WithArch("x86_64"), WithNow(f.meta.Now), WithKeyring(f.keys)}
	kept, sts, err := NativeHealth(context.Background(), f.fsys, moved, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != len(native)-1 {
		t.Errorf("kept %v", nevraSet(kept))
	}
	last := sts[len(sts)-1]
	if last.Name != "tb-elsewhere" || last.Health != repo.HealthUnreadable || !strings.Contains(last.Reason, "enables no repository of that alias") {
		t.Errorf("statuses %+v", sts)
	}
	bad := cloneFS(f.fsys)
	for name := range bad {
		if strings.HasPrefix(name, "etc/zypp/repos.d/") {
			bad[name].Data = []byte("[tb-broken\nbaseurl=x\n")
		}
	}
	var se *repo.SyntaxError
	if _, _, err := NativeHealth(context.Background(), bad, native, opts...); !errors.As(err, &se) || se.Line == 0 {
		t.Errorf("a malformed .repo file: %v", err)
	}
	var oe *OptionError
	if _, _, err := NativeHealth(context.Background(), f.fsys, native, WithNow(f.meta.Now)); !errors.As(err, &oe) || oe.Option != "WithArch" {
		t.Errorf("no architecture: %v", err)
	}
}

// BenchmarkNativeHealth is what a native scan of the recorded testbed root
// adds for the health of its two repositories (repomd.xml read, its
// signature verified, the data files' sizes checked); the keys are the
// recorded ones (the fixture keeps no rpm database, which a live scan
// reads for them).
func BenchmarkNativeHealth(b *testing.B) {
	fsys := os.DirFS(filepath.Join(scenarioDir, "testbed", "root"))
	f := loadFixture(b, "testbed")
	for b.Loop() {
		_, sts, err := NativeHealth(context.Background(), fsys, nil, WithArch("x86_64"), WithNow(f.meta.Now), WithKeyring(f.keys))
		if err != nil {
			b.Fatal(err)
		}
		if sts[0].Health != repo.HealthOK {
			b.Fatalf("%+v", sts)
		}
	}
}
