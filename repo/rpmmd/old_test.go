package rpmmd

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// oldDate is the revision and timestamp of rpm-old/sha-baseurl.
var oldDate = time.Unix(1227279057, 0).UTC()

// Real repomd.xml files of older repositories, from the test suites of
// libzypp (openSUSE 11.0, 2008: "sha" checksums and decimal timestamps),
// libdnf (Fedora 12 era, 2009: a decimal timestamp; 2014: xml:base on the
// metadata locations) and librepo (createrepo of 2012: "sha1"). Before
// issue 11, one of the four was read (and its data then refused); now three
// are, with their SHA-1 checksums usable under AllowWeakChecksums. The
// fourth keeps being refused: an xml:base in repomd.xml moves the metadata
// files themselves out of the repository.
func TestPublicOldRepomd(t *testing.T) {
	dir := filepath.Join(repotest.Fixtures(t), "rpm-public")
	for _, tc := range []struct {
		file      string
		generated int64
		weak      []string // data types with a SHA-1 checksum
		refused   error
	}{
		{"libzypp-extensions-repomd.xml", 1227279057, []string{"primary", "filelists", "other", "susedata", "suseinfo"}, nil},
		{"libdnf-gpg-asc-repomd.xml", 1257935775, nil, nil},
		{"librepo-repo_yum_01-repomd.xml", 1347459931, []string{"primary", "filelists", "other", "primary_db", "filelists_db", "other_db"}, nil},
		{"libdnf-hawkey-repomd.xml", 0, nil, repo.ErrPathTraversal},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			md, err := ParseRepomd(tc.file, bytes.NewReader(data), Limits{})
			if tc.refused != nil {
				var pe *repo.PathError
				if !errors.Is(err, tc.refused) || !errors.As(err, &pe) || pe.Line == 0 {
					t.Fatalf("got %v, want %v", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !md.Generated.Equal(time.Unix(tc.generated, 0)) {
				t.Fatalf("generated %s, want %s", md.Generated, time.Unix(tc.generated, 0).UTC())
			}
			var weak []string
			for typ, d := range md.Data {
				if d.Checksum.SHA1() {
					weak = append(weak, typ)
					if d.Checksum.Algorithm() != "" || d.Checksum.algorithm(false) != "" || d.Checksum.algorithm(true) != "SHA1" {
						t.Fatalf("%s: %+v", typ, d.Checksum)
					}
					if !d.OpenChecksum.SHA1() {
						t.Fatalf("%s: open-checksum %+v", typ, d.OpenChecksum)
					}
				}
			}
			slices.Sort(weak)
			want := slices.Clone(tc.weak)
			slices.Sort(want)
			if !slices.Equal(weak, want) {
				t.Fatalf("SHA-1 entries %v, want %v", weak, want)
			}
		})
	}
}

func oldRepo(t *testing.T, allowWeak bool) Repo {
	return Repo{ID: "pk-old", BaseURLs: []string{fixture(t, "../rpm-old/sha-baseurl")}, AllowWeakChecksums: allowWeak}
}

// A repository with SHA-1 checksums only (createrepo_c --checksum sha
// --baseurl): refused by default with an error that says how to opt in;
// read with AllowWeakChecksums, the packages keeping their xml:base.
func TestWeakChecksumsOptIn(t *testing.T) {
	c, dir, _ := newClient(t, oldDate.Add(time.Hour))
	snap, err := Update(context.Background(), c, oldRepo(t, false))
	var we *repo.WeakChecksumError
	if !errors.As(err, &we) || !errors.Is(err, repo.ErrWeakChecksum) || !errors.Is(err, repo.ErrHashMismatch) || snap != nil {
		t.Fatalf("got %v", err)
	}
	if we.Type != "sha" || !strings.Contains(err.Error(), "AllowWeakChecksums") || !strings.Contains(err.Error(), "repodata/primary.xml.gz") {
		t.Fatalf("error does not say how to opt in: %v", err)
	}
	if files := repotest.Files(t, dir); len(files) != 0 {
		t.Fatalf("cache holds %v", files)
	}

	var logs bytes.Buffer
	c2, _, _ := newClient(t, oldDate.Add(time.Hour), repo.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	snap, err = Update(context.Background(), c2, oldRepo(t, true))
	if err != nil {
		t.Fatal(err)
	}
	if !snap.WeakChecksums || snap.Verified || snap.Unverified == "" || !snap.Repomd.Generated.Equal(oldDate) {
		t.Fatalf("snapshot %+v", snap)
	}
	if !strings.Contains(logs.String(), "SHA-1") {
		t.Fatalf("no warning about SHA-1:\n%s", logs.String())
	}
	var got []string
	for p, err := range snap.Packages(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if p.BaseURL != "http://download.example.invalid/old/suse/" || p.Location != p.Name+"-"+p.Version+"-"+p.Release+".noarch.rpm" || !p.Checksum.SHA1() {
			t.Fatalf("package %+v", p)
		}
		got = append(got, p.Name+"-"+p.EVR())
	}
	slices.Sort(got)
	if want := []string{"pk-old-0:1.0-1", "pk-old-tools-2:2.1-3"}; !slices.Equal(got, want) {
		t.Fatalf("packages %v", got)
	}
	advs := advisories(t, snap)
	if a, ok := advs["pk-old-2008-1"]; !ok || len(advs) != 1 || !a.Issued.Equal(oldDate) || a.Packages[0].Name != "pk-old-tools" {
		t.Fatalf("advisories %+v", advs)
	}

	// The cached snapshot is read again only with the opt-in.
	if again, err := Open(context.Background(), c2, oldRepo(t, true)); err != nil || len(packages(t, again)) != 2 || !again.WeakChecksums {
		t.Fatalf("Open: %v", err)
	}
	strict, err := Open(context.Background(), c2, oldRepo(t, false))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range strict.Packages(context.Background()) {
		if !errors.Is(err, repo.ErrWeakChecksum) {
			t.Fatalf("cached SHA-1 data read without the opt-in: %v", err)
		}
	}

	// Under the opt-in the SHA-1 values are checked: a changed byte of
	// primary.xml.gz, or of its content (open-checksum), is refused.
	tmp := t.TempDir()
	repotest.CopyDir(t, fixture(t, "../rpm-old/sha-baseurl"), tmp)
	prim := filepath.Join(tmp, "repodata/primary.xml.gz")
	data, _ := os.ReadFile(prim)
	data[len(data)/2] ^= 1
	os.WriteFile(prim, data, 0o644)
	r := oldRepo(t, true)
	r.BaseURLs = []string{tmp}
	c3, _, _ := newClient(t, oldDate.Add(time.Hour))
	if _, err := Update(context.Background(), c3, r); !errors.Is(err, repo.ErrHashMismatch) || errors.Is(err, repo.ErrWeakChecksum) {
		t.Fatalf("tampered primary: %v", err)
	}
	repotest.CopyDir(t, fixture(t, "../rpm-old/sha-baseurl"), tmp)
	md, _ := os.ReadFile(filepath.Join(tmp, "repodata/repomd.xml"))
	open := snapOpenChecksum(t, md, "primary")
	os.WriteFile(filepath.Join(tmp, "repodata/repomd.xml"), bytes.Replace(md, []byte(open), []byte("0000000000000000000000000000000000000000"), 1), 0o644)
	snap, err = Update(context.Background(), c3, r)
	if err != nil {
		t.Fatal(err)
	}
	drained := repotest.Drain(snap.Packages(context.Background()))
	n, last := drained.N, drained.Last()
	var he *repo.HashMismatchError
	if !errors.As(last, &he) || he.Algorithm != "SHA1" || !strings.Contains(he.File, "(decompressed)") {
		t.Fatalf("changed open-checksum: %d records, %v", n, last)
	}

	// MD5 is never accepted, with or without the opt-in.
	md5 := bytes.Replace(md, []byte(`<checksum type="sha">`), []byte(`<checksum type="md5">`), -1)
	mdParsed, err := ParseRepomd("repomd.xml", bytes.NewReader(md5), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d := mdParsed.Data["primary"]
	d.Checksum.Value = d.Checksum.Value[:32]
	err = oldRepo(t, true).weakError("pk-old primary", d.Checksum)
	if !errors.As(err, &we) || we.OptIn != "" || !strings.Contains(err.Error(), "never accepted") || d.Checksum.algorithm(true) != "" {
		t.Fatalf("md5: %v", err)
	}
}

func snapOpenChecksum(t *testing.T, md []byte, typ string) string {
	t.Helper()
	m, err := ParseRepomd("repomd.xml", bytes.NewReader(md), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return m.Data[typ].OpenChecksum.Value
}

// xml:base on a package location is a download location: recorded, and
// the package is kept; a control character in it is an entry error.
func TestPrimaryXMLBase(t *testing.T) {
	doc := `<metadata packages="3">` +
		`<package type="rpm"><name>a</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/><location xml:base="http://mirror.example.invalid/pool/" href="a-1-1.noarch.rpm"/></package>` +
		`<package type="rpm"><name>b</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/><location xml:base="../pool" href="b-1-1.noarch.rpm"/></package>` +
		`<package type="rpm"><name>c</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/><location xml:base="http://x/&#10;y" href="c-1-1.noarch.rpm"/></package>` +
		`</metadata>`
	got, errs := primaryOf(doc, func(p Package) string { return p.Name + " " + p.BaseURL + " " + p.Location })
	want := []string{"a http://mirror.example.invalid/pool/ a-1-1.noarch.rpm", "b ../pool b-1-1.noarch.rpm"}
	var se *repo.SyntaxError
	if !slices.Equal(got, want) || len(errs) != 1 || !errors.As(errs[0], &se) || se.Line == 0 || !strings.Contains(se.Msg, "control character") {
		t.Fatalf("records %q errors %v", got, errs)
	}
	// libsolv reads the createrepo_c --baseurl primary the same way.
	if n := comparePrimary(t, decompressFile(t, fixture(t, "../rpm-old/sha-baseurl/repodata/primary.xml.gz"))); n != 2 {
		t.Fatalf("%d records", n)
	}
}

// Unix times written as decimals are valid; anything else that looks like
// a number is a syntax error with its line.
func TestDecimalTimestamps(t *testing.T) {
	for in, want := range map[string]time.Time{
		"1227279057":     time.Unix(1227279057, 0),
		"1227279057.0":   time.Unix(1227279057, 0),
		"1257935775.25":  time.Unix(1257935775, 250_000_000),
		"0":              time.Unix(0, 0),
		"1099511627776":  time.Unix(1<<40, 0),
		"1.000000001":    time.Unix(1, 1),
		"0001227279057.": {},
	} {
		got, ok := parseUnix(in)
		if ok != !want.IsZero() || (ok && !got.Equal(want)) {
			t.Errorf("%q: %s %v, want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"", ".5", "1.", "-1", "+1", "1e9", "1.2.3", "1,5", "0x10", "1099511627777", "1.0000000001", " 1"} {
		if _, ok := parseUnix(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
	doc := "<repomd><data type=\"primary\"><location href=\"repodata/p.xml.gz\"/>\n<timestamp>%s</timestamp></data></repomd>"
	md, err := ParseRepomd("r", strings.NewReader(strings.Replace(doc, "%s", "1227279057.0", 1)), Limits{})
	if err != nil || !md.Data["primary"].Timestamp.Equal(oldDate) || !md.Generated.Equal(oldDate) {
		t.Fatalf("%v %+v", err, md)
	}
	_, err = ParseRepomd("r", strings.NewReader(strings.Replace(doc, "%s", "1227279057.0.0", 1)), Limits{})
	var se *repo.SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || !strings.Contains(se.Msg, "not a Unix time") {
		t.Fatalf("bad timestamp: %v", err)
	}
	for a, err := range ParseUpdateinfo("u", strings.NewReader(`<updates><update type="security"><id>X</id><issued date="1227279057.0"/></update></updates>`), "r", Limits{}) {
		if err != nil || !a.Issued.Equal(oldDate) {
			t.Fatalf("updateinfo: %v %s", err, a.Issued)
		}
	}
}

// Reading without a keyring, or a keyring but no signature on the server,
// is not silent: the snapshot says why it is unverified and the client's
// logger warns, on Update and on Open. A verified snapshot does neither.
func TestUnverifiedSaidLoudly(t *testing.T) {
	var logs bytes.Buffer
	c, _, _ := newClient(t, d1.Add(time.Hour), repo.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	warned := func() bool {
		defer logs.Reset()
		return strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "NOT VERIFIED")
	}
	r := Repo{ID: "plain", BaseURLs: []string{fixture(t, "updates-gz")}}
	snap, err := Update(context.Background(), c, r)
	if err != nil || snap.Verified || snap.Unverified != noKeyring || !warned() {
		t.Fatalf("no keyring: %v %+v", err, snap)
	}
	if snap, err = Open(context.Background(), c, r); err != nil || snap.Unverified != noKeyring || !warned() {
		t.Fatalf("Open, no keyring: %v", err)
	}
	tmp := t.TempDir()
	repotest.CopyDir(t, fixture(t, "updates-gz"), tmp)
	os.Remove(filepath.Join(tmp, "repodata/repomd.xml.asc"))
	r = Repo{ID: "nosig", BaseURLs: []string{tmp}, Keyring: rpmKey(t)}
	if snap, err = Update(context.Background(), c, r); err != nil || snap.Verified || snap.Unverified != noSignature || !warned() {
		t.Fatalf("no signature: %v %+v", err, snap)
	}
	r = signedRepo(fixture(t, "updates-gz"), rpmKey(t))
	if snap, err = Update(context.Background(), c, r); err != nil || !snap.Verified || snap.Unverified != "" || warned() {
		t.Fatalf("signed: %v %+v", err, snap)
	}
}
