package rpmmd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

var (
	d1 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	d2 = time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)
)

func fixture(t testing.TB, name string) string {
	return filepath.Join(repotest.Fixtures(t), "rpm", name)
}

func rpmKey(t testing.TB) *repo.Keyring {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repotest.Fixtures(t), "keys", "RPM-GPG-KEY-patchkit-test"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := repo.ParseKeyring("RPM-GPG-KEY-patchkit-test", data)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type clock struct{ now time.Time }

func newClient(t testing.TB, now time.Time, opts ...repo.Option) (*repo.Client, string, *clock) {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{now: now}
	c, err := repo.NewClient(append([]repo.Option{repo.WithCacheDir(dir), repo.WithClock(func() time.Time { return clk.now })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, dir, clk
}

func signedRepo(url string, kr *repo.Keyring) Repo {
	return Repo{ID: "pk-updates", BaseURLs: []string{url}, Keyring: kr, RequireSignature: true}
}

// primaryOf parses the primary.xml doc and gives each record as show
// writes it, and the errors.
func primaryOf(doc string, show func(Package) string) ([]string, []error) {
	var got []string
	var errs []error
	for p, err := range ParsePrimary("primary.xml", strings.NewReader(doc), Limits{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, show(p))
	}
	return got, errs
}

func packages(t testing.TB, s *Snapshot) []string {
	t.Helper()
	var out []string
	for p, err := range s.Packages(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Name+"-"+p.EVR()+"."+p.Arch)
	}
	slices.Sort(out)
	return out
}

func advisories(t testing.TB, s *Snapshot) map[string]patchkit.Advisory {
	t.Helper()
	out := map[string]patchkit.Advisory{}
	for a, err := range s.Advisories(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out[a.ID] = a
	}
	return out
}

// Every compression rpm-md uses (gz, xz, bz2, zstd), signed repomd.xml,
// primary and updateinfo located through repomd.
func TestUpdateEachCompression(t *testing.T) {
	for _, comp := range []string{"gz", "xz", "bz2", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			srv := repotest.Serve(t, fixture(t, "updates-"+comp))
			c, _, _ := newClient(t, d1.Add(time.Hour))
			snap, err := Update(context.Background(), c, signedRepo(srv.URL, rpmKey(t)))
			if err != nil {
				t.Fatal(err)
			}
			if !snap.Verified || len(snap.Signers) != 1 {
				t.Fatal("not verified")
			}
			ext := map[string]string{"gz": ".gz", "xz": ".xz", "bz2": ".bz2", "zstd": ".zst"}[comp]
			if !strings.HasSuffix(snap.Repomd.Data["primary"].Location, ext) || !strings.HasSuffix(snap.Repomd.Data["updateinfo"].Location, ext) {
				t.Fatalf("locations %+v", snap.Repomd.Data)
			}
			want := []string{"kernel-pk-0:5.1-1.noarch", "pk-hello-0:1.1-1.noarch", "pk-lib-1:2.0-2.noarch"}
			if got := packages(t, snap); !slices.Equal(got, want) {
				t.Fatalf("packages %v", got)
			}
			if n := len(advisories(t, snap)); n != 5 {
				t.Fatalf("%d advisories", n)
			}
			again, err := Open(context.Background(), c, signedRepo(srv.URL, rpmKey(t)))
			if err != nil || !again.Verified {
				t.Fatalf("Open: %v", err)
			}
			if got := packages(t, again); !slices.Equal(got, want) {
				t.Fatalf("cached packages %v", got)
			}
		})
	}
}

func TestAdvisoryForms(t *testing.T) {
	f, err := os.Open(fixture(t, "updateinfo-input.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]patchkit.Advisory{}
	for a, err := range ParseUpdateinfo("updateinfo.xml", f, "pk", Limits{}) {
		if err != nil {
			t.Fatal(err)
		}
		got[a.ID] = a
	}
	rh := got["RHSA-2026:1001"]
	if rh.Type != patchkit.AdvisorySecurity || rh.Severity != "Important" || rh.Title != "Important: pk-lib security update" ||
		!rh.Issued.Equal(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)) || !rh.Updated.Equal(time.Date(2026, 11, 2, 11, 30, 0, 0, time.UTC)) ||
		!slices.Equal(rh.CVEIDs, []string{"CVE-2026-1001", "CVE-2026-1002"}) || !slices.Equal(rh.BugzillaIDs, []string{"2260001"}) ||
		rh.RebootSuggested || rh.Repository != "pk" || len(rh.Packages) != 1 {
		t.Fatalf("RHSA: %+v", rh)
	}
	p := rh.Packages[0]
	if e, ok := p.Epoch.Value(); !ok || e != 1 || p.Name != "pk-lib" || p.Version != "2.0" || p.Release != "2" || p.Arch != "noarch" || p.SourceName != "pk-lib" || p.SourceVersion != "2.0-2" || p.Scheme != patchkit.RPM {
		t.Fatalf("RHSA package: %+v", p)
	}
	al := got["ALAS2023-2026-101"]
	if al.Severity != "critical" || !al.RebootSuggested || !slices.Equal(al.CVEIDs, []string{"CVE-2026-2001"}) || al.Packages[0].Name != "kernel-pk" {
		t.Fatalf("ALAS: %+v", al)
	}
	fe := got["FEDORA-2026-0a1b2c3d4e"]
	if fe.Type != patchkit.AdvisoryBugfix || fe.Severity != "None" || fe.RebootSuggested || !slices.Equal(fe.BugzillaIDs, []string{"2270001"}) {
		t.Fatalf("FEDORA: %+v", fe)
	}
	su := got["SUSE-SLE-Module-Basesystem-15-SP6-2026-4001"]
	if su.Type != patchkit.AdvisoryRecommended || !su.RebootSuggested || !su.Issued.Equal(time.Unix(1793923200, 0).UTC()) || !su.Updated.IsZero() ||
		!slices.Equal(su.CVEIDs, []string{"CVE-2026-3001"}) || su.Severity != "moderate" {
		t.Fatalf("SUSE: %+v", su)
	}
	op := got["openSUSE-2026-5001"]
	if op.Type != patchkit.AdvisoryOptional || op.Packages[0].Epoch.Known() || len(op.CVEIDs) != 0 {
		t.Fatalf("openSUSE: %+v", op)
	}
	if len(got) != 5 {
		t.Fatalf("%d advisories", len(got))
	}
}

func TestUpdateinfoEntryErrors(t *testing.T) {
	doc := `<updates>
<update type="security"><id>A-1</id><issued date="yesterday"/></update>
<update type="mystery"><id>A-2</id></update>
<update type="bugfix"></update>
<update type="bugfix"><id>A-4</id></update>
</updates>`
	var ids []string
	var errs []error
	for a, err := range ParseUpdateinfo("u.xml", strings.NewReader(doc), "r", Limits{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, a.ID)
	}
	if len(errs) != 3 || !slices.Equal(ids, []string{"A-4"}) {
		t.Fatalf("ids %v errors %v", ids, errs)
	}
	for _, err := range errs {
		var se *repo.SyntaxError
		if !errors.As(err, &se) || se.Line == 0 || !errors.Is(err, patchkit.ErrInvalid) {
			t.Fatalf("error %v", err)
		}
	}
}

func TestLocalDirectory(t *testing.T) {
	c, _, _ := newClient(t, d1.Add(time.Hour))
	r := Repo{ID: "pk-base", BaseURLs: []string{fixture(t, "base")}, Keyring: rpmKey(t)}
	snap, err := Update(context.Background(), c, r)
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Verified {
		t.Fatal("not verified")
	}
	want := []string{"kernel-pk-0:5.0-1.noarch", "pk-hello-0:1.0-1.noarch", "pk-lib-1:2.0-1.noarch"}
	if got := packages(t, snap); !slices.Equal(got, want) {
		t.Fatalf("packages %v", got)
	}
	if n := len(advisories(t, snap)); n != 0 {
		t.Fatalf("%d advisories in a repository without updateinfo", n)
	}
}

func TestFromConfig(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc/yum.repos.d"), 0o755)
	os.MkdirAll(filepath.Join(root, "etc/pki/rpm-gpg"), 0o755)
	key, _ := os.ReadFile(filepath.Join(repotest.Fixtures(t), "keys", "RPM-GPG-KEY-patchkit-test"))
	os.WriteFile(filepath.Join(root, "etc/pki/rpm-gpg/RPM-GPG-KEY-pk"), key, 0o644)
	srv := repotest.Serve(t, filepath.Join(repotest.Fixtures(t), "rpm"))
	conf := fmt.Sprintf("[pk-updates]\nname=pk $releasever\nbaseurl=%s/updates-$basearch\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-pk\n", srv.URL)
	os.WriteFile(filepath.Join(root, "etc/yum.repos.d/pk.repo"), []byte(conf), 0o644)
	cfgs, err := repo.LoadRPMRepos(context.Background(), os.DirFS(root), repo.DNF, repo.Vars{"releasever": "9", "basearch": "xz"}, "etc/yum.repos.d")
	if err != nil || len(cfgs) != 1 {
		t.Fatalf("%v %v", cfgs, err)
	}
	c, _, _ := newClient(t, d1.Add(time.Hour))
	r, err := FromConfig(context.Background(), c, os.DirFS(root), cfgs[0])
	if err != nil {
		t.Fatal(err)
	}
	snap, err := Update(context.Background(), c, r)
	if err != nil || !snap.Verified {
		t.Fatalf("%v", err)
	}
	if !strings.HasSuffix(snap.Repomd.Data["primary"].Location, ".xz") {
		t.Fatal("variable substitution did not pick updates-xz")
	}
}

// A3: repomd.xml signed by another key.
func TestMatrixA3OtherKey(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "updates-keyB"))
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	snap, err := Update(context.Background(), c, signedRepo(srv.URL, rpmKey(t)))
	var se *repo.SignatureError
	if !errors.As(err, &se) || len(se.KeyIDs) != 1 || snap != nil {
		t.Fatalf("got %v", err)
	}
	if files := repotest.Files(t, dir); len(files) != 0 {
		t.Fatalf("cache holds %v", files)
	}
	if srv.Hits("/"+filepath.ToSlash(snapLocation(t, "updates-keyB", "primary"))) != 0 {
		t.Fatal("primary fetched although repomd failed verification")
	}
}

func snapLocation(t testing.TB, repoDir, typ string) string {
	data, err := os.ReadFile(fixture(t, repoDir+"/repodata/repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := ParseRepomd("repomd.xml", bytes.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return md.Data[typ].Location
}

// A5: a signed repository whose repomd.xml.asc disappears.
func TestMatrixA5Downgrade(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "updates-gz"))
	c, dir, _ := newClient(t, d2.Add(time.Hour))
	r := signedRepo(srv.URL, rpmKey(t))
	r.RequireSignature = false // even when the configuration does not require it
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	before := repotest.TreeHash(t, dir)
	srv.SetRoot(fixture(t, "updates-v2"))
	srv.Status("/repodata/repomd.xml.asc", 404)
	snap, err := Update(context.Background(), c, r)
	if !errors.Is(err, repo.ErrDowngradeToInsecure) || snap != nil {
		t.Fatalf("got %v", err)
	}
	if repotest.TreeHash(t, dir) != before {
		t.Fatal("cache changed")
	}
	// With repo_gpgcheck and no signature on a fresh cache: ErrSignature.
	c2, _, _ := newClient(t, d2.Add(time.Hour))
	if _, err := Update(context.Background(), c2, signedRepo(srv.URL, rpmKey(t))); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("unsigned with repo_gpgcheck: %v", err)
	}
	// Without a key and without repo_gpgcheck, unsigned metadata is read,
	// marked unverified.
	snap, err = Update(context.Background(), c2, Repo{ID: "unsigned", BaseURLs: []string{srv.URL}})
	if err != nil || snap.Verified {
		t.Fatalf("unsigned allowed: %v", err)
	}
}

// A7: mirrors in baseurl: a tampered mirror is skipped, each verified on its own.
func TestMatrixA7Mirrors(t *testing.T) {
	bad := repotest.Serve(t, fixture(t, "updates-gz"))
	md, _ := os.ReadFile(fixture(t, "updates-gz/repodata/repomd.xml"))
	bad.Bytes("/repodata/repomd.xml", bytes.Replace(md, []byte("<revision>"), []byte("<revision>9"), 1))
	good := repotest.Serve(t, fixture(t, "updates-gz"))
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	r := signedRepo(bad.URL, rpmKey(t))
	r.BaseURLs = append(r.BaseURLs, good.URL)
	snap, err := Update(context.Background(), c, r)
	if err != nil || !snap.Verified {
		t.Fatal(err)
	}
	for _, f := range repotest.Files(t, dir) {
		data, _ := os.ReadFile(filepath.Join(dir, f))
		if bytes.Contains(data, []byte("<revision>9")) {
			t.Fatalf("tampered repomd stored in %s", f)
		}
	}
	// Both tampered: an error, nothing stored.
	bad2 := repotest.Serve(t, fixture(t, "updates-gz"))
	bad2.Bytes("/repodata/repomd.xml", bytes.Replace(md, []byte("<revision>"), []byte("<revision>9"), 1))
	c2, dir2, _ := newClient(t, d1.Add(time.Hour))
	r.BaseURLs = []string{bad.URL, bad2.URL}
	if _, err := Update(context.Background(), c2, r); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("got %v", err)
	}
	if files := repotest.Files(t, dir2); len(files) != 0 {
		t.Fatalf("cache holds %v", files)
	}
}

// B1: an older repomd.xml after a newer one.
func TestMatrixB1Rollback(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "updates-v2"))
	c, dir, _ := newClient(t, d2.Add(time.Hour))
	r := signedRepo(srv.URL, rpmKey(t))
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	before := repotest.TreeHash(t, dir)
	srv.SetRoot(fixture(t, "updates-gz"))
	snap, err := Update(context.Background(), c, r)
	if !errors.Is(err, repo.ErrRollback) || snap != nil {
		t.Fatalf("got %v", err)
	}
	if repotest.TreeHash(t, dir) != before {
		t.Fatal("cache changed")
	}
	s, err := Open(context.Background(), c, r)
	if err != nil || !s.Repomd.Generated.Equal(d2) {
		t.Fatalf("cached: %v", err)
	}
}

// B3: rpm-md has no expiry; a maximum age makes old metadata stale.
func TestMatrixB3Stale(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "base"))
	c, dir, clk := newClient(t, d1.Add(30*24*time.Hour))
	r := Repo{ID: "pk-base", BaseURLs: []string{srv.URL}, Keyring: rpmKey(t), MaxAge: 7 * 24 * time.Hour}
	snap, err := Update(context.Background(), c, r)
	var se *repo.StaleError
	if !errors.As(err, &se) || snap != nil {
		t.Fatalf("got %v", err)
	}
	if files := repotest.Files(t, dir); len(files) != 0 {
		t.Fatalf("cache holds %v", files)
	}
	clk.now = d1.Add(24 * time.Hour)
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	clk.now = d1.Add(8 * 24 * time.Hour)
	if _, err := Open(context.Background(), c, r); !errors.Is(err, repo.ErrStale) {
		t.Fatalf("cached stale: %v", err)
	}
}

// B4 (rpm-md): metadata generated in the future.
func TestMatrixB4FutureDate(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "base"))
	c, dir, _ := newClient(t, d1.Add(-time.Minute))
	snap, err := Update(context.Background(), c, Repo{ID: "pk-base", BaseURLs: []string{srv.URL}, Keyring: rpmKey(t)})
	if !errors.Is(err, repo.ErrFutureDate) || snap != nil {
		t.Fatalf("got %v", err)
	}
	if files := repotest.Files(t, dir); len(files) != 0 {
		t.Fatalf("cache holds %v", files)
	}
}

// C1 (rpm-md): primary with a changed byte, or truncated.
func TestMatrixC1DataTampered(t *testing.T) {
	loc := snapLocation(t, "updates-gz", "primary")
	orig, _ := os.ReadFile(fixture(t, "updates-gz/"+loc))
	flipped := append([]byte{}, orig...)
	flipped[len(flipped)/2] ^= 1
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{"flipped": {flipped, repo.ErrHashMismatch}, "truncated": {orig[:len(orig)-5], repo.ErrSize}, "appended": {append(append([]byte{}, orig...), "xx"...), repo.ErrSize}} {
		t.Run(name, func(t *testing.T) {
			srv := repotest.Serve(t, fixture(t, "updates-gz"))
			srv.Bytes("/"+loc, tc.data)
			c, dir, _ := newClient(t, d1.Add(time.Hour))
			snap, err := Update(context.Background(), c, signedRepo(srv.URL, rpmKey(t)))
			if !errors.Is(err, tc.want) || snap != nil {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
			if files := repotest.Files(t, dir); len(files) != 0 {
				t.Fatalf("cache holds %v", files)
			}
		})
	}
}

// C5: location href that leaves the repository, in repomd.xml and in
// primary.xml; nothing is written outside the cache directory.
func TestMatrixC5PathTraversal(t *testing.T) {
	md, _ := os.ReadFile(fixture(t, "updates-gz/repodata/repomd.xml"))
	loc := snapLocation(t, "updates-gz", "primary")
	for _, href := range []string{"../../../../../etc/malicious.file", "/etc/malicious.file", "repodata/%2e%2e/%2e%2e/x.xml.gz", "https://evil.invalid/x.xml.gz", "repodata\\..\\x.gz"} {
		t.Run(href, func(t *testing.T) {
			tmp := t.TempDir()
			repoDir := filepath.Join(tmp, "served")
			repotest.CopyDir(t, fixture(t, "updates-gz"), repoDir)
			hostile := bytes.Replace(md, []byte(`href="`+loc+`"`), []byte(`href="`+href+`"`), 1)
			os.WriteFile(filepath.Join(repoDir, "repodata/repomd.xml"), hostile, 0o644)
			os.Remove(filepath.Join(repoDir, "repodata/repomd.xml.asc"))
			srv := repotest.Serve(t, repoDir)
			cacheDir := filepath.Join(tmp, "cache")
			c, err := repo.NewClient(repo.WithCacheDir(cacheDir), repo.WithClock(func() time.Time { return d1.Add(time.Hour) }))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			before := repotest.Files(t, tmp)
			snap, err := Update(context.Background(), c, Repo{ID: "hostile", BaseURLs: []string{srv.URL}})
			if !errors.Is(err, repo.ErrPathTraversal) || snap != nil {
				t.Fatalf("got %v", err)
			}
			if after := repotest.Files(t, tmp); !slices.Equal(before, after) {
				t.Fatalf("files changed: %v -> %v", before, after)
			}
			if _, err := os.Stat("/etc/malicious.file"); err == nil {
				t.Fatal("/etc/malicious.file exists")
			}
		})
	}
	// In primary.xml, the entry is rejected and the others are read.
	doc := `<metadata packages="2"><package type="rpm"><name>a</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/><location href="../../etc/x.rpm"/></package>` +
		`<package type="rpm"><name>b</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/><location href="b-1-1.noarch.rpm"/></package></metadata>`
	got, errs := primaryOf(doc, func(p Package) string { return p.Name })
	if len(errs) != 1 || !errors.Is(errs[0], repo.ErrPathTraversal) || !slices.Equal(got, []string{"b"}) {
		t.Fatalf("primary: %v %v", got, errs)
	}
}

// D1: deep nesting, a huge attribute, millions of elements: ErrXMLLimit,
// early, with bounded memory. "Early" is counted in bytes, not time: each
// parser must stop within the first part of a document that goes on far
// past its limit, having read less than a tenth of it.
func TestMatrixD1XMLLimits(t *testing.T) {
	// The documents are generated as they are read, never held whole.
	deep := func(root string) io.Reader {
		return io.MultiReader(strings.NewReader("<"+root+">"), repeat("<a>", 1_000_000), repeat("</a>", 1_000_000), strings.NewReader("</"+root+">"))
	}
	hugeAttr := func() io.Reader {
		return io.MultiReader(strings.NewReader(`<metadata packages="1"><package type="rpm" x="`), repeat("A", 100<<20), strings.NewReader(`"/></metadata>`))
	}
	many := func() io.Reader {
		return io.MultiReader(strings.NewReader(`<updates><update type="security"><id>X</id><references>`),
			repeat(`<reference type="cve" id="CVE-1"/>`, 5_000_000), strings.NewReader("</references></update></updates>"))
	}
	manyMD := func() io.Reader {
		return io.MultiReader(strings.NewReader("<repomd>"), repeat("<x/>", 5_000_000), strings.NewReader("</repomd>"))
	}
	var (
		cr    *countingReader
		total int64
	)
	wrap := func(mk func() io.Reader) io.Reader {
		total, _ = io.Copy(io.Discard, mk())
		cr = &countingReader{r: mk()}
		return cr
	}
	check := func(name string, err error) {
		t.Helper()
		var le *repo.XMLLimitError
		if !errors.As(err, &le) || !errors.Is(err, repo.ErrXMLLimit) {
			t.Fatalf("%s: got %v", name, err)
		}
		if cr.n*10 > total {
			t.Fatalf("%s: read %d of %d bytes before stopping", name, cr.n, total)
		}
		t.Logf("%s: stopped after %d of %d bytes", name, cr.n, total)
	}
	first := func(seq func(func(Package, error) bool)) error {
		for _, err := range seq {
			if err != nil {
				return err
			}
		}
		return nil
	}
	check("deep primary", first(ParsePrimary("p", wrap(func() io.Reader { return deep("metadata") }), Limits{})))
	_, err := ParseRepomd("r", wrap(func() io.Reader { return deep("repomd") }), Limits{})
	check("deep repomd", err)
	check("huge attribute", first(ParsePrimary("p", wrap(hugeAttr), Limits{})))
	var uerr error
	for _, err := range ParseUpdateinfo("u", wrap(many), "r", Limits{}) {
		if err != nil {
			uerr = err
			break
		}
	}
	check("5M references", uerr)
	_, err = ParseRepomd("r", wrap(manyMD), Limits{})
	check("5M elements in repomd", err)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// D2: document type declarations (billion laughs, external entities) and
// undefined entities are refused, never expanded.
func TestMatrixD2Entities(t *testing.T) {
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><updates><update type="security"><id>&lol2;</id></update></updates>`
	external := `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><updates><update type="security"><id>&xxe;</id></update></updates>`
	undefined := `<updates><update type="security"><id>&xxe;</id></update></updates>`
	for name, doc := range map[string]string{"billion laughs": laughs, "external entity": external} {
		var err error
		for _, e := range ParseUpdateinfo("u", strings.NewReader(doc), "r", Limits{}) {
			err = e
			break
		}
		if !errors.Is(err, repo.ErrXMLLimit) {
			t.Fatalf("%s: got %v", name, err)
		}
	}
	var err error
	for _, e := range ParseUpdateinfo("u", strings.NewReader(undefined), "r", Limits{}) {
		err = e
		break
	}
	if !errors.Is(err, patchkit.ErrInvalid) || strings.Contains(fmt.Sprint(err), "root:") {
		t.Fatalf("undefined entity: %v", err)
	}
	if _, err := ParseRepomd("r", strings.NewReader(laughs), Limits{}); !errors.Is(err, repo.ErrXMLLimit) {
		t.Fatalf("repomd: %v", err)
	}
}

// BenchmarkRealPrimary parses the real CentOS Stream 9 AppStream
// primary.xml when it is at hand (../shared/data, outside the project), and
// checks every record and the declared package count on the way.
func BenchmarkRealPrimary(b *testing.B) {
	data, err := os.ReadFile(centosPrimary)
	if err != nil {
		b.Skip("benchmark data not present: ", err)
	}
	nameRE := regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)
	for b.Loop() {
		rc, err := repocache.DecompressReader("primary.xml.gz", bytes.NewReader(data), 1<<30, repocache.Expect{})
		if err != nil {
			b.Fatal(err)
		}
		n, srcs := 0, 0
		for p, err := range ParsePrimary("primary.xml", rc, Limits{}) {
			if err != nil {
				b.Fatal(err)
			}
			if p.SourceRPM != "" {
				srcs++
			}
			if !nameRE.MatchString(p.Name) || p.Location == "" {
				b.Fatalf("record %+v", p)
			}
			n++
		}
		if n != 17649 || srcs != n {
			b.Fatalf("%d packages, %d with a source rpm", n, srcs)
		}
	}
}

// A second update asks conditionally and fetches nothing that is cached.
func TestConditionalAndReuse(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "updates-gz"))
	srv.Conditional = true
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	r := signedRepo(srv.URL, rpmKey(t))
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	before := repotest.TreeHash(t, dir)
	snap, err := Update(context.Background(), c, r)
	if err != nil || !snap.Verified {
		t.Fatal(err)
	}
	if n := srv.Hits("/" + snapLocation(t, "updates-gz", "primary")); n != 1 {
		t.Fatalf("primary fetched %d times", n)
	}
	if repotest.TreeHash(t, dir) != before {
		t.Fatal("cache changed on a no-op update")
	}
}

// C4 at the repository level: an unsigned repository whose primary is a
// gzip bomb with a matching checksum. The download is the published bytes
// (65 kB); decompression stops at the declared open-size with a typed
// error, and no record is returned.
func TestMatrixC4BombInRepository(t *testing.T) {
	tmp := t.TempDir()
	repotest.CopyDir(t, fixture(t, "updates-gz"), tmp)
	os.Remove(filepath.Join(tmp, "repodata/repomd.xml.asc"))
	bomb, err := os.ReadFile(filepath.Join(repotest.Fixtures(t), "bombs/zeros-64MiB.gz"))
	if err != nil {
		t.Fatal(err)
	}
	loc := snapLocation(t, "updates-gz", "primary")
	os.WriteFile(filepath.Join(tmp, loc), bomb, 0o644)
	md, _ := os.ReadFile(filepath.Join(tmp, "repodata/repomd.xml"))
	sum := sha256hex(bomb)
	re := regexp.MustCompile(`(?s)(<data type="primary">.*?</data>)`)
	block := re.Find(md)
	nb := regexp.MustCompile(`<checksum type="sha256">[0-9a-f]+`).ReplaceAll(block, []byte(`<checksum type="sha256">`+sum))
	nb = regexp.MustCompile(`<size>\d+</size>`).ReplaceAll(nb, []byte(fmt.Sprintf("<size>%d</size>", len(bomb))))
	os.WriteFile(filepath.Join(tmp, "repodata/repomd.xml"), bytes.Replace(md, block, nb, 1), 0o644)
	srv := repotest.Serve(t, tmp)
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	snap, err := Update(context.Background(), c, Repo{ID: "bomb", BaseURLs: []string{srv.URL}})
	if err != nil || snap.Verified {
		t.Fatalf("unsigned update: %v", err)
	}
	var size int64
	for _, f := range repotest.Files(t, dir) {
		fi, _ := os.Stat(filepath.Join(dir, f))
		size += fi.Size()
	}
	if size > 1<<20 {
		t.Fatalf("cache holds %d bytes", size)
	}
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	got := repotest.Drain(snap.Packages(context.Background()))
	n, last := got.N, got.Last()
	runtime.ReadMemStats(&ms1)
	if n != 0 || !(errors.Is(last, repo.ErrSize) || errors.Is(last, repo.ErrTooLarge)) {
		t.Fatalf("%d records, error %v", n, last)
	}
	if grown := ms1.TotalAlloc - ms0.TotalAlloc; grown > 256<<20 {
		t.Fatalf("allocated %d bytes", grown)
	}
}

// repeat returns a reader of s repeated n times, made as it is read.
func repeat(s string, n int) io.Reader {
	return &repeater{unit: s, left: n}
}

type repeater struct {
	unit string
	left int
	pos  int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.left > 0 {
		k := copy(p[n:], r.unit[r.pos:])
		n += k
		r.pos += k
		if r.pos == len(r.unit) {
			r.pos = 0
			r.left--
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func sha256hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
