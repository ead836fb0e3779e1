package zypper

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// notInst runs Read on f with WithNotInstalled and returns the result and
// what was passed on, as "NEVRA repository classification severity
// advisories".
func notInst(t *testing.T, f fixture, opts ...Option) (*Result, []patchkit.Patch) {
	t.Helper()
	var got []patchkit.Patch
	res := f.read(t, append(opts, WithNotInstalled(func(p patchkit.Patch) { got = append(got, p) }))...)
	return res, got
}

func describe(ps []patchkit.Patch) []string {
	var out []string
	for _, p := range ps {
		s := p.NEVRA() + " " + p.Repository
		if p.Classification != "" {
			s += " " + p.Classification
		}
		if p.Severity != "" {
			s += " " + p.Severity
		}
		if len(p.AdvisoryIDs) > 0 {
			s += fmt.Sprintf(" %v", p.AdvisoryIDs)
		}
		out = append(out, s)
	}
	return out
}

// TestNotInstalledMerge checks on the recorded notinstalled-repos root
// (tb-extra 1.0-1 and 1.1-1 in tb-base/tb-updates and in tb-extra-repo at
// priority 50, a lock on tb-extra-repo's 1.0-1) how a version offered by
// several repositories is merged: from the first repository in zypper's
// order that does not lock it; classified by the patches of every healthy
// repository.
func TestNotInstalledMerge(t *testing.T) {
	base := loadFixture(t, "notinstalled-repos")
	clone := func() fixture {
		f := base
		f.fsys = fstest.MapFS{}
		for k, v := range base.fsys {
			c := *v
			f.fsys[k] = &c
		}
		return f
	}
	for _, c := range []struct {
		name   string
		change func(f *fixture) []Option
		want   []string
	}{
		{"as recorded", func(*fixture) []Option { return nil }, []string{
			"tb-extra-0:1.0-1.noarch tb-base Optional [TBOA-2026:0102]",
			"tb-extra-0:1.1-1.noarch tb-extra-repo Security Important [TBRA-2026:0101 TBSA-2026:0007]",
		}},
		{"without the lock: the better priority", func(f *fixture) []Option { delete(f.fsys, "etc/zypp/locks"); return nil }, []string{
			"tb-extra-0:1.0-1.noarch tb-extra-repo Optional [TBOA-2026:0102]",
			"tb-extra-0:1.1-1.noarch tb-extra-repo Security Important [TBRA-2026:0101 TBSA-2026:0007]",
		}},
		{"locks not applied (zypp.conf locksfile.apply)", func(f *fixture) []Option {
			f.fsys["etc/zypp/zypp.conf"] = &fstest.MapFile{Data: []byte("[main]\nlocksfile.apply = no\n")}
			return nil
		}, []string{
			"tb-extra-0:1.0-1.noarch tb-extra-repo Optional [TBOA-2026:0102]",
			"tb-extra-0:1.1-1.noarch tb-extra-repo Security Important [TBRA-2026:0101 TBSA-2026:0007]",
		}},
		{"every repository locks 1.0-1", func(f *fixture) []Option {
			f.fsys["etc/zypp/locks"] = &fstest.MapFile{Data: []byte("type: package\nmatch_type: exact\nsolvable_name: tb-extra\nversion: 1.0-1\n")}
			return nil
		}, []string{
			"tb-extra-0:1.1-1.noarch tb-extra-repo Security Important [TBRA-2026:0101 TBSA-2026:0007]",
		}},
		{"a lock of installed packages only", func(f *fixture) []Option {
			f.fsys["etc/zypp/locks"] = &fstest.MapFile{Data: []byte("type: package\nsolvable_name: tb-extra\ninstall_status: installed\n")}
			return nil
		}, []string{
			"tb-extra-0:1.0-1.noarch tb-extra-repo Optional [TBOA-2026:0102]",
			"tb-extra-0:1.1-1.noarch tb-extra-repo Security Important [TBRA-2026:0101 TBSA-2026:0007]",
		}},
		{"tb-extra-repo stale: it offers nothing, its patches classify nothing", func(f *fixture) []Option {
			return []Option{WithRepoMaxAge("tb-extra-repo", time.Nanosecond)}
		}, []string{
			"tb-extra-0:1.0-1.noarch tb-base",
			"tb-extra-0:1.1-1.noarch tb-updates Security Important [TBSA-2026:0007]",
		}},
		{"tb-updates stale", func(f *fixture) []Option {
			return []Option{WithRepoMaxAge("tb-updates", time.Nanosecond)}
		}, []string{
			"tb-extra-0:1.0-1.noarch tb-base Optional [TBOA-2026:0102]",
			"tb-extra-0:1.1-1.noarch tb-extra-repo Recommended Low [TBRA-2026:0101]",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := clone()
			opts := c.change(&f)
			_, got := notInst(t, f, opts...)
			if d := describe(got); !slices.Equal(d, c.want) {
				t.Errorf("got\n %s\nwant\n %s", strings.Join(d, "\n "), strings.Join(c.want, "\n "))
			}
		})
	}
}

// TestNotInstalledArch checks the architecture rules on the recorded arch
// root (tb-arch 1.0-1.x86_64 installed; tb-arch 1.1-1.x86_64, 1.2-1.i686,
// 1.3-1.aarch64, 1.4-1.noarch and 1.1-1.src in a repository) and the order
// of the calls.
func TestNotInstalledArch(t *testing.T) {
	f := loadFixture(t, "arch")
	res, got := notInst(t, f, WithProduct("OpenSUSE15.5"))
	want := []string{
		"tb-arch-0:1.2-1.i686 tb-arch",
		"tb-extra-0:1.0-1.noarch tb-base",
		"tb-extra-0:1.1-1.noarch tb-updates Security Important [TBSA-2026:0007]",
	}
	if d := describe(got); !slices.Equal(d, want) {
		t.Errorf("x86_64: %q, want %q", d, want)
	}
	for _, p := range got {
		if p.Product != "OpenSUSE15.5" || p.Candidate || p.SourceName != p.Name || p.Scheme != patchkit.RPM {
			t.Errorf("%s: %+v", p.NEVRA(), p)
		}
	}
	// never a version Updates returns
	for _, u := range res.Updates {
		for _, p := range got {
			if u.NEVRA() == p.NEVRA() {
				t.Errorf("%s both an update and not installed", p.NEVRA())
			}
		}
	}
	// an aarch64 node (zypp.conf arch): tb-arch.aarch64 is not installed
	// and installable there; i686 is not installable
	f.fsys["etc/zypp/zypp.conf"] = &fstest.MapFile{Data: []byte("[main]\narch = aarch64\n")}
	_, got = notInst(t, f)
	want = []string{
		"tb-arch-0:1.3-1.aarch64 tb-arch",
		"tb-extra-0:1.0-1.noarch tb-base",
		"tb-extra-0:1.1-1.noarch tb-updates Security Important [TBSA-2026:0007]",
	}
	if d := describe(got); !slices.Equal(d, want) {
		t.Errorf("aarch64: %q, want %q", d, want)
	}
}

// TestNotInstalledLeavesTheRestAlone: the option changes nothing else Read
// returns, on every recorded scenario, with and without
// WithInstalledVersions; a nil callback is no option; no installed name
// and architecture is passed on.
func TestNotInstalledLeavesTheRestAlone(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			f := loadFixture(t, sc.name)
			for _, iv := range []bool{false, true} {
				plain, err := json.Marshal(f.read(t, WithInstalledVersions(iv)))
				if err != nil {
					t.Fatal(err)
				}
				nilFn, _ := json.Marshal(f.read(t, WithInstalledVersions(iv), WithNotInstalled(nil)))
				res, got := notInst(t, f, WithInstalledVersions(iv))
				with, _ := json.Marshal(res)
				if !bytes.Equal(plain, with) || !bytes.Equal(plain, nilFn) {
					t.Errorf("installed versions %v: the result changes with the option:\n%s\n%s\n%s", iv, plain, with, nilFn)
				}
				for _, p := range got {
					if slices.ContainsFunc(f.installed, func(q patchkit.Package) bool { return q.Name == p.Name && q.Arch == p.Arch }) {
						t.Errorf("%s passed on: %s.%s is installed", p.NEVRA(), p.Name, p.Arch)
					}
					if slices.ContainsFunc(res.Updates, func(u patchkit.Patch) bool { return u.NEVRA() == p.NEVRA() }) {
						t.Errorf("%s passed on and returned by Updates", p.NEVRA())
					}
				}
				if len(got) == 0 {
					t.Error("nothing passed on (every scenario has tb-extra)")
				}
			}
		})
	}
}

// replaceData puts content in place of the data file typ of the
// repository alias in f (gzip-compressed, its repomd.xml entry updated).
// The repository must not check signatures.
func replaceData(t *testing.T, f fixture, alias, typ string, content []byte) {
	t.Helper()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(content)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	dir := "var/cache/zypp/raw/" + alias + "/repodata/"
	md := f.fsys[dir+"repomd.xml"]
	re := regexp.MustCompile(`(?s)<data type="` + typ + `">.*?</data>`)
	old := re.Find(md.Data)
	if old == nil {
		t.Fatalf("%s has no %s", alias, typ)
	}
	loc := regexp.MustCompile(`href="repodata/([^"]+)"`).FindSubmatch(old)
	delete(f.fsys, dir+string(loc[1]))
	sum, open := sha256.Sum256(gz.Bytes()), sha256.Sum256(content)
	name := fmt.Sprintf("%x-%s.xml.gz", sum, typ)
	f.fsys[dir+name] = &fstest.MapFile{Data: gz.Bytes()}
	entry := fmt.Sprintf(`<data type="%s"><checksum type="sha256">%x</checksum><open-checksum type="sha256">%x</open-checksum><location href="repodata/%s"/><timestamp>1</timestamp><size>%d</size><open-size>%d</open-size></data>`,
		typ, sum, open, name, gz.Len(), len(content))
	md.Data = bytes.Replace(md.Data, old, []byte(entry), 1)
}

// TestNotInstalledNotCalledOnError: when Read fails, nothing was passed
// on (a malformed locks file, a cancelled context); an updateinfo of a
// category that cannot be classified makes its repository unreadable, and
// the others still offer their versions.
func TestNotInstalledNotCalledOnError(t *testing.T) {
	base := loadFixture(t, "notinstalled-repos")
	calls := 0
	fn := WithNotInstalled(func(patchkit.Patch) { calls++ })
	opts := []Option{WithArch("x86_64"), WithNow(base.meta.Now), WithKeyring(base.keys), fn}

	f := base
	f.fsys = fstest.MapFS{}
	for k, v := range base.fsys {
		c := *v
		f.fsys[k] = &c
	}
	f.fsys["etc/zypp/locks"] = &fstest.MapFile{Data: []byte("solvable_name: tb-extra\nsolvable_vendor: x\n")}
	var ce *ConfigError
	if _, err := Read(context.Background(), f.fsys, f.installed, opts...); !errors.As(err, &ce) || calls != 0 {
		t.Errorf("malformed locks: %v, %d calls", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, base.fsys, base.installed, opts...); !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("cancelled: %v, %d calls", err, calls)
	}

	delete(f.fsys, "etc/zypp/locks")
	replaceData(t, f, "tb-extra-repo", "updateinfo", []byte(strings.Replace(extraUpdateinfo, `type="optional"`, `type="whatever"`, 1)))
	res, got := notInst(t, f)
	want := []string{"tb-extra-0:1.0-1.noarch tb-base", "tb-extra-0:1.1-1.noarch tb-updates Security Important [TBSA-2026:0007]"}
	if d := describe(got); !slices.Equal(d, want) || status(t, res, "tb-extra-repo").Health != repo.HealthUnreadable {
		t.Errorf("unknown category: %q (repositories %+v), want %q", d, res.Repos, want)
	}
}

// TestNotInstalledUnclassifiable: a patch whose category cannot be
// classified (rpmmd refuses one when it reads updateinfo, so this is the
// merge on its own) is an error when it names a version to pass on, and
// none when it names nothing offered.
func TestNotInstalledUnclassifiable(t *testing.T) {
	o, err := buildOptions([]Option{WithArch("x86_64"), WithNow(time.Unix(1, 0)), WithNotInstalled(func(patchkit.Patch) {})})
	if err != nil {
		t.Fatal(err)
	}
	repos := []*repoData{{cfg: repoConfig{alias: "r"}}}
	for _, c := range []struct {
		ver  string
		fail bool
	}{{"1.0", true}, {"0.9", false}} {
		bad := &Patch{Name: "X-1", Repository: "r", Category: "whatever",
			Packages: []patchkit.Package{{Name: "tb-extra", Arch: "noarch", Version: c.ver, Release: "1", Epoch: patchkit.EpochOf(0), Scheme: patchkit.RPM}}}
		patches := []*Patch{bad}
		offers := []offer{{name: "tb-extra", arch: "noarch", version: "1.0", release: "1"}}
		set, err := prepareNotInstalled(context.Background(), repos, offers, nil, patches, patchesByName(patches), nil, &o)
		var pe *PatchError
		if c.fail != errors.As(err, &pe) || c.fail && pe.Patch != "X-1" || !c.fail && len(set.chosen) != 1 {
			t.Errorf("patch naming %s: %v", c.ver, err)
		}
	}
}

// TestNotInstalledLogsLocked: a version left out for a lock is logged.
func TestNotInstalledLogsLocked(t *testing.T) {
	f := loadFixture(t, "notinstalled-locks")
	var log bytes.Buffer
	_, got := notInst(t, f, WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	if d := describe(got); !slices.Equal(d, []string{"tb-extra-0:1.1-1.noarch tb-updates Security Important [TBSA-2026:0007]"}) {
		t.Errorf("%q", d)
	}
	if !strings.Contains(log.String(), "locked") || !strings.Contains(log.String(), "tb-extra-1.0-1.noarch") {
		t.Errorf("log: %s", log.String())
	}
}
