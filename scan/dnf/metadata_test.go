package dnf_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dnf"
)

// fixtureFS loads the recorded testbed root into memory, so that a test
// can damage a copy.
func fixtureFS(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(fixtureRoot), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS(fixtureRoot), p)
		m[p] = &fstest.MapFile{Data: b, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// cached returns the path of the one file of fsys under the cache whose
// path contains all of parts and ends in the last.
func cached(t testing.TB, fsys fstest.MapFS, parts ...string) string {
	t.Helper()
	var found []string
	for p := range fsys {
		ok := strings.HasPrefix(p, "var/cache/dnf/") && strings.HasSuffix(p, parts[len(parts)-1])
		for _, s := range parts {
			ok = ok && strings.Contains(p, s)
		}
		if ok {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		t.Fatalf("files with %q: %v", parts, found)
	}
	return found[0]
}

func fixtureNow(t testing.TB) time.Time { return repomdDate(t, fixtureRoot).Add(time.Hour) }

func TestCheckFixture(t *testing.T) {
	inv := fixtureInventory(t)
	rep, err := dnf.Check(context.Background(), fixtureFS(t), inv, dnf.WithArch("amd64"), dnf.WithNow(fixtureNow(t)), dnf.WithProduct("AmazonLinux2023"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Repos) != 2 || len(rep.Patches) != 6 || len(rep.Notes) != 0 || len(rep.Obsoletes) != 0 || len(rep.Excluded) != 0 {
		t.Fatalf("report %+v", rep)
	}
	for _, p := range rep.Patches {
		if p.Product != "AmazonLinux2023" || p.Scheme != patchkit.RPM || !p.Epoch.Known() || p.Repository != "tb-updates" || p.SourceName != p.Name {
			t.Errorf("patch %+v", p)
		}
	}
	for _, s := range rep.Repos {
		if s.Health != repo.HealthOK || !s.Verified || s.Date.IsZero() || s.Packages == 0 {
			t.Errorf("status %+v", s)
		}
	}
	// The amd64 spelling is normalised; an unknown one is refused.
	_, err = dnf.Check(context.Background(), fixtureFS(t), inv, dnf.WithArch("pdp11"), dnf.WithNow(fixtureNow(t)))
	var oe *dnf.OptionError
	if !errors.As(err, &oe) || oe.Option != "WithArch" {
		t.Fatalf("unknown architecture: %v", err)
	}
}

func TestOptionsRequired(t *testing.T) {
	inv := fixtureInventory(t)
	for _, tc := range []struct {
		opts   []dnf.Option
		option string
	}{
		{[]dnf.Option{dnf.WithNow(time.Now())}, "WithArch"},
		{[]dnf.Option{dnf.WithArch("x86_64")}, "WithNow"},
		{[]dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(time.Now()), dnf.WithRefresh(true)}, "WithRefresh"},
		{[]dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(time.Now()), dnf.WithMaxAge(-1)}, "WithMaxAge"},
		{[]dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(time.Now()), dnf.WithReleasever("9/x")}, "WithReleasever"},
		{[]dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(time.Now()), dnf.WithKeyring(nil)}, "WithKeyring"},
		{[]dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(time.Now()), dnf.WithCacheDir("/")}, "WithCacheDir"},
	} {
		_, _, err := dnf.Updates(context.Background(), fixtureFS(t), inv, tc.opts...)
		var oe *dnf.OptionError
		if !errors.As(err, &oe) || oe.Option != tc.option || !errors.Is(err, dnf.ErrOption) {
			t.Errorf("options %d: error %v, want one naming %s", len(tc.opts), err, tc.option)
		}
	}
	deb := patchkit.Package{Name: "bash", Version: "5.2.15", Release: "3", Arch: "amd64", Scheme: patchkit.Deb}
	_, err := dnf.Check(context.Background(), fixtureFS(t), []patchkit.Package{deb}, dnf.WithArch("x86_64"), dnf.WithNow(time.Now()))
	var ie *dnf.InstalledError
	if !errors.As(err, &ie) || ie.Index != 0 || !errors.Is(err, patchkit.ErrInvalid) {
		t.Fatalf("a Debian package: %v", err)
	}
}

// TestCheckDamaged: each way the root's cache can be wrong makes the
// repository's status say so, and the repository offers nothing.
func TestCheckDamaged(t *testing.T) {
	inv := fixtureInventory(t)
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, fsys fstest.MapFS)
		opts   []dnf.Option
		repo   string
		health repo.Health
		reason string
	}{
		{"primary changed", func(t *testing.T, fsys fstest.MapFS) {
			p := cached(t, fsys, "tb-updates", "primary.xml.gz")
			fsys[p].Data = append(bytes.Clone(fsys[p].Data[:len(fsys[p].Data)-1]), fsys[p].Data[len(fsys[p].Data)-1]^1)
		}, nil, "tb-updates", repo.HealthUnreadable, "SHA256 is"},
		{"primary truncated", func(t *testing.T, fsys fstest.MapFS) {
			p := cached(t, fsys, "tb-updates", "primary.xml.gz")
			fsys[p].Data = fsys[p].Data[:100]
		}, nil, "tb-updates", repo.HealthUnreadable, "size"},
		{"updateinfo not cached", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "updateinfo.xml.gz"))
		}, nil, "tb-updates", repo.HealthUnreadable, "updateinfo is not cached"},
		{"no cache at all", func(t *testing.T, fsys fstest.MapFS) {
			for p := range fsys {
				if strings.Contains(p, "/tb-updates-") {
					delete(fsys, p)
				}
			}
		}, nil, "tb-updates", repo.HealthUnreadable, "no cached metadata"},
		{"signature missing", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "tb-updates", "repomd.xml.asc"))
		}, nil, "tb-updates", repo.HealthUnsigned, "repomd.xml.asc is missing"},
		{"signature over other data", func(t *testing.T, fsys fstest.MapFS) {
			fsys[cached(t, fsys, "tb-updates", "repomd.xml.asc")].Data = fsys[cached(t, fsys, "tb-base", "repomd.xml.asc")].Data
		}, nil, "tb-updates", repo.HealthUnsigned, "repomd.xml.asc"},
		{"repomd changed", func(t *testing.T, fsys fstest.MapFS) {
			p := cached(t, fsys, "tb-base", "repomd.xml")
			fsys[p].Data = bytes.Replace(fsys[p].Data, []byte("<revision>"), []byte("<revision>1"), 1)
		}, nil, "tb-base", repo.HealthUnsigned, "repomd.xml"},
		{"no key", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "tb-updates", "pubring.kbx"))
		}, nil, "tb-updates", repo.HealthUnsigned, "no key"},
		{"damaged keybox", func(t *testing.T, fsys fstest.MapFS) {
			p := cached(t, fsys, "tb-updates", "pubring.kbx")
			d := bytes.Clone(fsys[p].Data)
			d[200] ^= 0xff
			fsys[p].Data = d
		}, nil, "tb-updates", repo.HealthUnsigned, "checksum mismatch"},
		{"another key trusted instead", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "tb-updates", "pubring.kbx"))
		}, []dnf.Option{dnf.WithKeyring(otherKey(t))}, "tb-updates", repo.HealthUnsigned, "repomd.xml.asc"},
		{"the repository's key given by the caller", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "tb-updates", "pubring.kbx"))
		}, []dnf.Option{dnf.WithKeyring(fixtureKey(t))}, "tb-updates", repo.HealthOK, ""},
		{"signature not required", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "tb-updates", "repomd.xml.asc"))
			fsys["etc/yum.repos.d/testbed.repo"].Data = bytes.ReplaceAll(fsys["etc/yum.repos.d/testbed.repo"].Data, []byte("repo_gpgcheck=1"), []byte("repo_gpgcheck=0"))
		}, nil, "tb-updates", repo.HealthOK, ""},
		{"signature required by [main]", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "tb-updates", "repomd.xml.asc"))
			fsys["etc/yum.repos.d/testbed.repo"].Data = bytes.ReplaceAll(fsys["etc/yum.repos.d/testbed.repo"].Data, []byte("repo_gpgcheck=1\n"), nil)
			fsys["etc/dnf/dnf.conf"].Data = append(bytes.Clone(fsys["etc/dnf/dnf.conf"].Data), "repo_gpgcheck=1\n"...)
		}, nil, "tb-updates", repo.HealthUnsigned, "missing"},
		{"stale", func(*testing.T, fstest.MapFS) {}, []dnf.Option{dnf.WithNow(fixtureNow(t).Add(8 * 24 * time.Hour))}, "tb-updates", repo.HealthStale, "more than 168h0m0s"},
		{"variable not set", func(t *testing.T, fsys fstest.MapFS) {
			fsys["etc/yum.repos.d/testbed.repo"].Data = bytes.ReplaceAll(fsys["etc/yum.repos.d/testbed.repo"].Data, []byte("/updates\n"), []byte("/$releasever/updates\n"))
			for p := range fsys {
				if strings.Contains(p, "/tb-updates-") {
					delete(fsys, p)
				}
			}
		}, nil, "tb-updates", repo.HealthUnreadable, "variable that is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fixtureFS(t)
			tc.damage(t, fsys)
			opts := append([]dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(fixtureNow(t))}, tc.opts...)
			rep, err := dnf.Check(context.Background(), fsys, inv, opts...)
			if err != nil {
				t.Fatal(err)
			}
			var st repo.Status
			for _, s := range rep.Repos {
				if s.Name == tc.repo {
					st = s
				}
			}
			if st.Health != tc.health || !strings.Contains(st.Reason, tc.reason) {
				t.Fatalf("%s: %s %q, want %s with %q", tc.repo, st.Health, st.Reason, tc.health, tc.reason)
			}
			from := 0
			for _, p := range rep.Patches {
				if p.Repository == tc.repo {
					from++
				}
			}
			if (tc.health == repo.HealthOK) != (from > 0) {
				t.Fatalf("%d patches from %s, whose health is %s", from, tc.repo, tc.health)
			}
		})
	}
}

// fixtureKey is the testbed key from the recorded keybox.
func fixtureKey(t testing.TB) *repo.Keyring {
	t.Helper()
	fsys := fixtureFS(t)
	raw, err := dnf.ParseKeybox("pubring.kbx", fsys[cached(t, fsys, "tb-base", "pubring.kbx")].Data)
	if err != nil {
		t.Fatal(err)
	}
	k, err := repo.ParseKeyring("pubring.kbx", raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// otherKey is a key of the repo package's fixtures, which did not sign the
// testbed's metadata.
func otherKey(t testing.TB) *repo.Keyring {
	t.Helper()
	k, err := repo.LoadKeyring(context.Background(), os.DirFS("../../testdata/repo/keys"), "RPM-GPG-KEY-patchkit-test")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestCacheDirGuess: a cache directory named after another URL (another
// $releasever) is used when it is the only one of the repository, with a
// note.
func TestCacheDirGuess(t *testing.T) {
	fsys := fixtureFS(t)
	for p, f := range fsys {
		if strings.Contains(p, "/tb-updates-f5e7d8ad02d6d7c1/") {
			fsys[strings.Replace(p, "f5e7d8ad02d6d7c1", "0123456789abcdef", 1)] = f
			delete(fsys, p)
		}
	}
	var logged bytes.Buffer
	rep, err := dnf.Check(context.Background(), fsys, fixtureInventory(t), dnf.WithArch("x86_64"), dnf.WithNow(fixtureNow(t)),
		dnf.WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "tb-updates-0123456789abcdef") || len(rep.Patches) != 6 {
		t.Fatalf("notes %q, %d patches", rep.Notes, len(rep.Patches))
	}
}

// TestConfigErrors: a configuration dnf cannot read is an error naming
// the file and line, not a repository left out.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, text string
		line             int
		errFile          string // when not file
	}{
		{"main not key=value", "etc/dnf/dnf.conf", "[main]\ngpgcheck=1\nthis is not\n", 3, ""},
		{"main bad boolean", "etc/dnf/dnf.conf", "[main]\nrepo_gpgcheck=maybe\n", 2, ""},
		{"repo bad boolean", "etc/yum.repos.d/testbed.repo", "[x]\nbaseurl=http://a/\nenabled=perhaps\n", 3, ""},
		{"repo without a URL", "etc/yum.repos.d/testbed.repo", "[x]\nname=x\n", 1, ""},
		{"repo cost", "etc/yum.repos.d/testbed.repo", "[x]\nbaseurl=http://a/\ncost=cheap\n", 1, ""},
		// more.repo is read first; the repository in testbed.repo is the second.
		{"repo twice", "etc/yum.repos.d/more.repo", "[tb-base]\nbaseurl=http://a/\n", 1, "etc/yum.repos.d/testbed.repo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fixtureFS(t)
			fsys[tc.file] = &fstest.MapFile{Data: []byte(tc.text)}
			_, err := dnf.Check(context.Background(), fsys, fixtureInventory(t), dnf.WithArch("x86_64"), dnf.WithNow(fixtureNow(t)))
			file := tc.file
			if tc.errFile != "" {
				file = tc.errFile
			}
			var se *repo.SyntaxError
			if !errors.As(err, &se) || se.Line != tc.line || se.File != "/"+path.Clean(file) {
				t.Fatalf("error %v, want a syntax error at /%s:%d", err, file, tc.line)
			}
		})
	}
}

func TestParseKeybox(t *testing.T) {
	fsys := fixtureFS(t)
	data := fsys[cached(t, fsys, "tb-base", "pubring.kbx")].Data
	raw, err := dnf.ParseKeybox("pubring.kbx", data)
	if err != nil {
		t.Fatal(err)
	}
	k, err := repo.ParseKeyring("pubring.kbx", raw)
	if err != nil {
		t.Fatal(err)
	}
	if fp := k.Fingerprints(); len(fp) != 1 || len(fp[0]) != 40 {
		t.Fatalf("fingerprints %v", fp)
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		offset int
	}{
		{"truncated", data[:len(data)-1], 32},
		{"no header", data[32:], 0},
		{"flipped byte", append(append(bytes.Clone(data[:300]), data[300]^1), data[301:]...), 32},
		{"huge length", append(bytes.Clone(data[:32]), 0xff, 0xff, 0xff, 0xff, 2, 1), 32},
	} {
		_, err := dnf.ParseKeybox("pubring.kbx", tc.data)
		var ke *dnf.KeyboxError
		if !errors.As(err, &ke) || ke.Offset != tc.offset || !errors.Is(err, repo.ErrSignature) {
			t.Errorf("%s: %v, want a keybox error at offset %d", tc.name, err, tc.offset)
		}
	}
}

// TestReleasever: --releasever (WithReleasever) beats the root's vars
// file, which beats what WithOS derives; WithOS also sets the product,
// yum's layout and Amazon Linux's date rule.
func TestReleasever(t *testing.T) {
	al2 := osdetect.OS{ID: "amzn", VersionID: "2", Major: "2", Family: osdetect.FamilyAmazon, PackageManager: osdetect.YUM, Arch: "x86_64"}
	load := func(vars string) fstest.MapFS {
		m := fstest.MapFS{}
		err := fs.WalkDir(os.DirFS(yumFixture), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(os.DirFS(yumFixture), p)
			m[p] = &fstest.MapFile{Data: b}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if vars != "" {
			m["etc/yum/vars/releasever"] = &fstest.MapFile{Data: []byte(vars + "\n")}
		}
		return m
	}
	inv := fixtureInventory(t)
	for _, tc := range []struct {
		name string
		vars string
		os   osdetect.OS
		opts []dnf.Option
		ok   bool
	}{
		{"from the OS", "", al2, nil, true},
		{"the vars file beats the OS", "2", func() osdetect.OS { o := al2; o.VersionID = "7"; return o }(), nil, true},
		{"WithReleasever beats the vars file", "2", al2, []dnf.Option{dnf.WithReleasever("7")}, false},
		{"the vars file alone", "2", osdetect.OS{PackageManager: osdetect.YUM, Arch: "x86_64"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]dnf.Option{dnf.WithOS(tc.os), dnf.WithNow(fixtureNow(t))}, tc.opts...)
			rep, err := dnf.Check(context.Background(), load(tc.vars), inv, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if ok := rep.Repos[0].Health == repo.HealthOK; ok != tc.ok {
				t.Fatalf("%+v, want OK %v", rep.Repos[0], tc.ok)
			}
			if tc.ok && tc.os.ID == "amzn" {
				p := rep.Patches[0]
				if p.Product != "AmazonLinux2" || !p.ReleaseDate.Equal(time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)) {
					t.Fatalf("%s: product %q, date %v; want AmazonLinux2 and the updated date", p.NEVRA(), p.Product, p.ReleaseDate)
				}
			}
		})
	}
}
