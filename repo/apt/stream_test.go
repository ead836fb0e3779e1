package apt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// parsed is what an iteration gave: the records, and each error as its
// type and text, in order.
type parsed struct {
	ps   []Package
	errs []string
	all  []string // records ("R <Package>") and errors, in order
}

func collectSeq(seq func(func(Package, error) bool)) parsed {
	var r parsed
	for p, err := range seq {
		r.add(p, err)
	}
	return r
}

func (r *parsed) add(p Package, err error) {
	if err != nil {
		e := fmt.Sprintf("%T %v", err, err)
		r.errs = append(r.errs, e)
		r.all = append(r.all, e)
		return
	}
	r.ps = append(r.ps, p)
	r.all = append(r.all, "R "+p.Package)
}

// viaChunks runs data through the chunked pipeline (stream) with chunks of
// the given size, records held or not.
func viaChunks(data []byte, chunk, maxLine int, hold bool) parsed {
	st := newReadState(nil)
	st.chunk = chunk
	var r parsed
	if maxLine == 0 {
		st.stream(context.Background(), io.NopCloser(bytes.NewReader(data)), "P", hold, 0, func(p Package, err error) bool {
			r.add(p, err)
			return true
		})
		return r
	}
	// stream uses the default line limit; smaller ones go through feed.
	p := newParser("P", maxLine, nil, st.in)
	p.yield = func(pk Package, err error) bool {
		r.add(pk, err)
		return true
	}
	if hold {
		p.hold = &st.hold
	}
	scratch := make([]byte, chunk)
	for c := data; len(c) > 0 && p.wants(); {
		k := min(len(c), chunk)
		buf := scratch[:k]
		copy(buf, c)
		p.feed(buf)
		for i := range buf {
			buf[i] = 0xff // chunks are reused: the parser must not keep them
		}
		c = c[k:]
	}
	p.end()
	if hold {
		if p.nul {
			st.hold.reset()
		}
		st.hold.each(context.Background(), st.in, nil, p.yield)
		if p.fatal != nil {
			p.yield(Package{}, p.fatal)
		}
	}
	return r
}

// compareWithReference checks every way of parsing data against the
// parser as it was (refparser_test.go): in memory, from a reader, and in
// chunks of several sizes, held or returned as they come.
func compareWithReference(t testing.TB, name string, data []byte, maxLine int) {
	t.Helper()
	opt := ParseOptions{MaxLine: maxLine}
	want := collectSeq(refParsePackagesBytes("P", data, opt))
	check := func(how string, got parsed) {
		t.Helper()
		if !reflect.DeepEqual(got.all, want.all) || !reflect.DeepEqual(got.ps, want.ps) {
			n := min(len(got.all), len(want.all))
			i := 0
			for i < n && got.all[i] == want.all[i] {
				i++
			}
			t.Fatalf("%s, %s: differs from the reference at item %d of %d/%d:\n got %v\nwant %v", name, how, i, len(got.all), len(want.all),
				got.all[i:min(i+3, len(got.all))], want.all[i:min(i+3, len(want.all))])
		}
	}
	check("bytes", collectSeq(ParsePackagesBytes("P", data, opt)))
	if ref := collectSeq(refParsePackages("P", bytes.NewReader(data), opt)); reflect.DeepEqual(ref.all, want.all) {
		check("reader", collectSeq(ParsePackages("P", bytes.NewReader(data), opt)))
	}
	for _, chunk := range []int{1, 7, 64, 4096, chunkSize} {
		if chunk < 64 && len(data) > 16<<10 || chunk < 4096 && len(data) > 64<<10 {
			continue
		}
		check(fmt.Sprintf("held, chunks of %d", chunk), viaChunks(data, chunk, maxLine, true))
		if bytes.IndexByte(data, 0) < 0 {
			// With a NUL byte, what comes before it depends on the
			// chunks, as with the reader.
			check(fmt.Sprintf("direct, chunks of %d", chunk), viaChunks(data, chunk, maxLine, false))
		}
	}
}

var abuseCases = []string{
	"",
	"\n\n\n",
	"Package: a\nVersion: 1\nArchitecture: all\n",
	"Package: a\r\nVersion: 1\r\nArchitecture: all\r\nSource: s (2)\r\n\r\nPackage: b\nVersion: 1\nVersion: 2\n",
	"package: a\nVERSION: 1\narchitecture: amd64\nsource: x\nsection: libs\npriority: optional\nfilename: pool/a.deb\nsha256: ab\nsize: 12\n",
	"Package: a\nVersion: 1\nArchitecture: all\nSize: -1\n\nPackage: b\nVersion: 1\nArchitecture: all\nSize: +7\n\nPackage: c\nVersion: 1\nArchitecture: all\nSize: 99999999999999999999\n",
	"Package: a\nVersion: 1\nArchitecture: all\nSource: s (2\n\nPackage: b\nVersion: 1\nArchitecture: all\nSource: (3)\n",
	" continued\nPackage: a\nVersion: 1\nArchitecture: all\n\nnot a field\nPackage: b\n",
	"Package: a\nVersion: 1\nArchitecture: all\n \t \nPackage: b\nVersion: 2\nArchitecture: all\nDescription: x\n more\n .\n",
	"Package: a\nVersion: 1\nArchitecture: all\nFilename: ../../etc/passwd\n\nPackage: b\nVersion: 1\nArchitecture: all\nFilename: pool/%2e%2e/x.deb\n\nPackage: c\nVersion: 1\nArchitecture: all\nFilename: pool/a..b/c.deb\n\nPackage: d\nVersion: 1\nArchitecture: all\nFilename: pool/..\n",
	"Package: a\nVersion: 1\nArchitecture: all\nFilename: http://x/y.deb\n\nPackage: b\nVersion: 1\nArchitecture: all\nFilename: pool\\b.deb\n\nPackage: c\nVersion: 1\nArchitecture: all\nFilename: /abs.deb\n\nPackage: d\nVersion: 1\nArchitecture: all\nFilename: pool/\x7f.deb\n",
	"Package: a\nVersion: 1\nArchitecture: all\n\nPackage: b\nVersion: 1\nArch\x00itecture: all\n\nPackage: c\nVersion: 1\nArchitecture: all\n",
	"Package:\nVersion: 1\nArchitecture: all\n\nPackage: b\nArchitecture: all\n\nPackage: c\nVersion: 1\n\n:x\n",
	"Package: a\nVersion: 1\nArchitecture: all\nDescription: " + strings.Repeat("x", 3000) + "\n\nPackage: b\nVersion: 1\nArchitecture: all\n",
	"Package: a\nVersion: 1\nArchitecture: all\n\n" + strings.Repeat("y", 2000),
	"Package: a\nVersion: 1\nArchitecture: all\n\n" + strings.Repeat("z", 1025),
	"Package: a\nVersion: 1\nArchitecture: all\n\n" + strings.Repeat("z", 1025) + "\n",
	"Package: libx\nVersion: 1:2.0-1\nArchitecture: amd64\nFilename: pool/main/libx/libx_2.0-1_amd64.deb\n\nPackage: y\nVersion: 3:1\nArchitecture: all\nFilename: pool/y_1_all.deb\n\n" +
		"Package: z\nVersion: 1\nArchitecture: all\nFilename: pool/a/z_1_all.deb\n\nPackage: w\nVersion: 1\nArchitecture: all\nFilename: pool/a/w_1_all.debx\n\nPackage: v\nVersion: 1\nArchitecture: all\nFilename: pool/a/v_1_amd64.deb\n",
}

func TestParserMatchesReference(t *testing.T) {
	for i, c := range abuseCases {
		compareWithReference(t, fmt.Sprintf("case %d", i), []byte(c), 1024)
	}
	for _, v := range []string{"v1", "v2"} {
		data, err := os.ReadFile(filepath.Join(repotest.Fixtures(t), "apt", v, "dists/stable/main/binary-amd64/Packages"))
		if err != nil {
			t.Fatal(err)
		}
		compareWithReference(t, v, data, 0)
	}
	compareWithReference(t, "generated", genPackages(3000, 0), 0)
}

// The host's main list (63,000 stanzas), where present.
func TestParserMatchesReferenceHost(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	file := hostLists + "/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"
	if _, err := os.Stat(file); err != nil {
		t.Skip("no host lists")
	}
	data, err := readLZ4File(file)
	if err != nil {
		t.Fatal(err)
	}
	want := collectSeq(refParsePackagesBytes("P", data, ParseOptions{}))
	got := viaChunks(data, chunkSize, 0, true)
	if len(want.errs) != 0 || !reflect.DeepEqual(got.ps, want.ps) {
		t.Fatalf("held: %d records (%d errors), reference %d (%d errors)", len(got.ps), len(got.errs), len(want.ps), len(want.errs))
	}
	t.Logf("%d records agree", len(got.ps))
}

func FuzzParserReference(f *testing.F) {
	seed(f, "apt/v1/dists/stable/main/binary-amd64/Packages")
	for _, c := range abuseCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithReference(t, "fuzz", data, 1024)
	})
}

// genPackages makes n stanzas of a Packages file in Debian's field order;
// from version on, the versions differ (for tampering).
func genPackages(n int, bump int) []byte {
	var b bytes.Buffer
	for i := range n {
		src := fmt.Sprintf("src%d", i/3)
		fmt.Fprintf(&b, "Package: pkg%d\n", i)
		if i%3 != 0 {
			fmt.Fprintf(&b, "Source: %s (1.%d)\n", src, i/3)
		}
		fmt.Fprintf(&b, "Version: 1.%d-%d\nInstalled-Size: %d\nMaintainer: Someone <someone@example.org>\n", i, bump, 100+i)
		fmt.Fprintf(&b, "Architecture: %s\nDepends: libc6 (>= 2.36), pkg%d\nDescription: package number %d\n", []string{"amd64", "all"}[i%2], i/2, i)
		fmt.Fprintf(&b, "Description-md5: %032x\nSection: %s\nPriority: optional\n", i, []string{"libs", "utils", "net", "devel"}[i%4])
		fmt.Fprintf(&b, "Filename: pool/main/s/%s/pkg%d_1.%d-%d_amd64.deb\nSize: %d\nMD5sum: %032x\nSHA256: %064x\n\n", src, i, i, bump, 1000+i, i, i)
	}
	return b.Bytes()
}

func readLZ4File(name string) ([]byte, error) {
	raw, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return repocache.DecompressAll(name, raw, 1<<30, repocache.Expect{})
}

func TestFieldWords(t *testing.T) {
	for word, want := range map[uint64]string{wPackage: "Package:", wVersion: "Version:", wSection: "Section:",
		wSource: "Source: ", wSHA256: "SHA256: ", wFilename: "Filename", wPriority: "Priority", wArchitec: "Architec",
		wSize: "Size: \x00\x00"} {
		if got := binary.LittleEndian.Uint64([]byte(want)); got != word {
			t.Errorf("%q: %#x, want %#x", want, word, got)
		}
	}
}

// compareRelease checks ParseRelease against the reference on data.
func compareRelease(t testing.TB, data []byte) {
	t.Helper()
	got, gerr := ParseRelease("Release", data)
	want, werr := refParseRelease("Release", data)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseRelease differs from the reference:\n got %v %+v\nwant %v %+v", gerr, got, werr, want)
	}
}

var releaseCases = []string{
	"Date: Sat, 11 Jul 2026 10:16:37 UTC\nSHA256:\n 0000000000000000000000000000000000000000000000000000000000000000 1 main/x\n",
	"Date: Sat, 11 Jul 2026 10:16:37 UTC\nSHA256: x\n",
	"Date: Sat, 11 Jul 2026 10:16:37 UTC\nMD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 0 a\n D41D8CD98F00B204E9800998ECF8427E 0 b c\nSHA256:\n 00 1\n",
	"Date: Sat, 11 Jul 2026 10:16:37 UTC\nSHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 -1 a\n",
	"Date: Sat, 11 Jul 2026 10:16:37 UTC\nSHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\t\v0 a\x85b\n",
	"Date: Sat, 11 Jul 2026 10:16:37 UTC\nMD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 1 a\nSHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 2 a\n",
	"Date: Sat, 11 Jul 2026 10:16:37 UTC\nSHA256:\n E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 0 a\u00a0b\n .\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g 0 c\n",
}

func TestParseReleaseMatchesReference(t *testing.T) {
	for _, c := range releaseCases {
		compareRelease(t, []byte(c))
	}
	files, _ := filepath.Glob(filepath.Join(repotest.Fixtures(t), "apt/*/dists/stable/Release"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		compareRelease(t, data)
	}
	// The host's InRelease files, signed part only.
	hosts, _ := filepath.Glob(hostLists + "/*_InRelease")
	for _, f := range hosts {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := repo.SplitClearSigned(data)
		if err != nil {
			t.Fatal(err)
		}
		compareRelease(t, cs.Content)
	}
}

func FuzzReleaseReference(f *testing.F) {
	seed(f, "apt/*/dists/stable/Release")
	for _, c := range releaseCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareRelease(t, data)
	})
}

// plainRelPath accepts only paths that repo.CheckRelPath accepts, and
// accepts Debian's file names.
func TestPlainRelPath(t *testing.T) {
	for _, p := range []string{
		"pool/main/g/glibc/libc6_2.36-9+deb12u13_amd64.deb",
		"pool/main/a/apt/apt_2.6.1_amd64.deb",
		"pool/updates/main/o/openssl/libssl3_3.0.17-1~deb12u3_amd64.deb",
		"x.deb", "a/b", "pool/main/p/perl/perl_5.36.0-7+deb12u3_amd64.deb",
	} {
		if !plainRelPath([]byte(p)) {
			t.Errorf("%q not taken as plain", p)
		}
	}
	for _, p := range []string{
		"", "/etc/passwd", "../x", "a/../b", "a/..", "..", "a..b", "pool/%2e%2e/x", "http://x/y", "c:x",
		"a\\b", "a\x00b", "a\x1fb", "a\x7fb", "pool/main/abcdefg\n",
	} {
		if plainRelPath([]byte(p)) {
			t.Errorf("%q taken as plain", p)
		}
	}
}

func FuzzPlainRelPath(f *testing.F) {
	for _, s := range []string{"pool/main/a/apt/apt_2.6.1_amd64.deb", "a/../b", "pool/%2e%2e/x", "a\x7f", "abcdefgh..ijk"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if plainRelPath(b) {
			if reason := repo.CheckRelPath(string(b)); reason != "" {
				t.Fatalf("%q taken as plain, CheckRelPath: %s", b, reason)
			}
		}
	})
}

// fieldColon finds the first ':' as bytes.IndexByte does.
func TestFieldColon(t *testing.T) {
	for n := 0; n < 40; n++ {
		for at := -1; at < n; at++ {
			line := bytes.Repeat([]byte{'x'}, n)
			for i := range line {
				line[i] = byte(0x80 + i) // non-ASCII bytes around it
			}
			if at >= 0 {
				line[at] = ':'
				if at+3 < n {
					line[at+3] = ':'
				}
			}
			if got, want := fieldColon(line), bytes.IndexByte(line, ':'); got != want {
				t.Fatalf("%d bytes, colon at %d: %d", n, at, got)
			}
		}
	}
}
