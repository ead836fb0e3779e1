package dpkg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"testing/iotest"
	"time"

	"github.com/patchkit/patchkit"
)

// TestFieldID checks the lookup of field names against dpkg's table:
// every known name in any case, and names that are close to known ones.
func TestFieldID(t *testing.T) {
	for id := 1; id < nFields; id++ {
		n := fieldNames[id]
		for _, v := range []string{n, strings.ToLower(n), strings.ToUpper(n)} {
			if got := fieldID([]byte(v)); got != id {
				t.Errorf("fieldID(%q) = %d (%s), want %d", v, got, fieldNames[got], id)
			}
		}
		for _, v := range []string{n + "s", n[1:], n[:len(n)-1], "X" + n[1:], n[:len(n)-1] + "x", strings.ReplaceAll(n, "-", "_")} {
			if v == "" || strings.EqualFold(v, n) || (strings.EqualFold(n, "Package-Revision") && strings.EqualFold(v, "Package_Revision")) {
				continue
			}
			want := fUser
			for k := 1; k < nFields; k++ {
				if strings.EqualFold(v, fieldNames[k]) {
					want = k
				}
			}
			if got := fieldID([]byte(v)); got != want {
				t.Errorf("fieldID(%q) = %d, want %d", v, got, want)
			}
		}
	}
	// Bytes whose case folding by |0x20 would meet a known name.
	for _, v := range []string{"Md\x15sum", "Multi\rArch", "Package\x7frevision", "", strings.Repeat("a", 17)} {
		if got := fieldID([]byte(v)); got != fUser {
			t.Errorf("fieldID(%q) = %d, want a user-defined field", v, got)
		}
	}
	if wantNames[wantInstall] != "install" {
		t.Errorf("wantInstall names %q", wantNames[wantInstall])
	}
}

// statusFiles returns every file of stanzas the tests know: the fixture
// databases' status, status.d and journal files and the hand-written
// malformed cases.
func statusFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, c := range malformedCases {
		files["malformed/"+c.name] = []byte(c.status)
		for n, u := range c.updates {
			files["malformed/"+c.name+"/updates/"+n] = []byte(u)
		}
	}
	err := filepath.WalkDir(filepath.Join(testdata, "db"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// parseAll runs ParseStatus over r and renders what it gave: the
// packages, then the error with all its fields.
func parseAll(r io.Reader, opts ...Option) string {
	var b strings.Builder
	err := ParseStatus(context.Background(), "status", r, func(p patchkit.Package) error {
		b.WriteString(key(p) + "\n")
		return nil
	}, opts...)
	var pe *ParseError
	if errors.As(err, &pe) {
		fmt.Fprintf(&b, "%q %d %q %q %v %v", pe.File, pe.Line, pe.Field, pe.Reason, pe.Stricter, pe.Err)
	} else if err != nil {
		b.WriteString(err.Error())
	}
	return b.String()
}

// TestParseStatusReaders streams every known file of stanzas through
// readers that return a few bytes at a time, so that lines and fields
// cross the reader's window at every place: the result must be the one
// of reading from memory, for several line bounds.
func TestParseStatusReaders(t *testing.T) {
	files := statusFiles(t)
	if len(files) < 100 {
		t.Fatalf("only %d files of stanzas", len(files))
	}
	readers := map[string]func([]byte) io.Reader{
		"one-byte":  func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"half":      func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"data+EOF":  func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
		"whole+EOF": func(b []byte) io.Reader { return &wholeReader{b: b} },
	}
	n := 0
	for name, b := range files {
		for _, max := range []int{DefaultMaxLine, 100, 1000} {
			want := parseAll(bytes.NewReader(b), WithMaxLine(max))
			for rn, r := range readers {
				if got := parseAll(r(b), WithMaxLine(max)); got != want {
					t.Errorf("%s (max %d) through %s:\n%s\nwant\n%s", name, max, rn, got, want)
				}
				n++
			}
		}
	}
	t.Logf("%d files, %d comparisons", len(files), n)
	// A read error is reported at the line where it stops the parse.
	b := files[filepath.Join(testdata, "db", "debian-12-minbase", "status")]
	err := ParseStatus(context.Background(), "status", iotest.TimeoutReader(bytes.NewReader(b)), func(patchkit.Package) error { return nil })
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, iotest.ErrTimeout) || pe.Line < 2 || !strings.Contains(pe.Reason, "read error") {
		t.Errorf("read error: %v", err)
	}
}

// wholeReader returns all its bytes with io.EOF in one read.
type wholeReader struct{ b []byte }

func (r *wholeReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	if len(r.b) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// bigDatabase returns a database of n packages made of the stanzas of the
// debian-12-minbase fixture under new names, with a file list for each,
// so that Read has many file lists to look up.
func bigDatabase(t *testing.T, n int) fstest.MapFS {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, "db", "debian-12-minbase", "status"))
	if err != nil {
		t.Fatal(err)
	}
	stanzas := strings.Split(strings.TrimSpace(string(b)), "\n\n")
	pkg := regexp.MustCompile(`(?m)^Package: (\S+)$`)
	var status strings.Builder
	fsys := fstest.MapFS{}
	for i := 0; i < n; i++ {
		s := stanzas[i%len(stanzas)]
		name := pkg.FindStringSubmatch(s)[1] + fmt.Sprintf("-c%d", i/len(stanzas))
		s = pkg.ReplaceAllLiteralString(s, "Package: "+name)
		s = strings.ReplaceAll(s, "Multi-Arch: same\n", "") // one list name per package
		status.WriteString(s + "\n\n")
		fsys["var/lib/dpkg/info/"+name+".list"] = &fstest.MapFile{ModTime: time.Unix(int64(1e9+i), 0)}
	}
	fsys["var/lib/dpkg/status"] = &fstest.MapFile{Data: []byte(status.String())}
	fsys["var/lib/dpkg/info/format"] = &fstest.MapFile{Data: []byte("1\n")}
	return fsys
}

// watchFS wraps a file system: it fails the test when two calls into it
// (its own or its files') overlap, and lets a test act on Lstat calls of
// file lists.
type watchFS struct {
	t      *testing.T
	fsys   fs.FS
	busy   atomic.Int32
	lists  atomic.Int32
	onList func(n int32, name string) error // called before each file list Lstat
}

func (w *watchFS) enter() func() {
	if w.busy.Add(1) != 1 {
		w.t.Error("two calls into the file system at once")
	}
	return func() { w.busy.Add(-1) }
}

func (w *watchFS) Open(name string) (fs.File, error) {
	defer w.enter()()
	f, err := w.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	return &watchFile{w: w, f: f}, nil
}

func (w *watchFS) Lstat(name string) (fs.FileInfo, error) {
	defer w.enter()()
	if strings.HasSuffix(name, ".list") {
		n := w.lists.Add(1)
		if w.onList != nil {
			if err := w.onList(n, name); err != nil {
				return nil, err
			}
		}
	}
	return w.fsys.(fs.ReadLinkFS).Lstat(name)
}

func (w *watchFS) ReadLink(name string) (string, error) {
	defer w.enter()()
	return w.fsys.(fs.ReadLinkFS).ReadLink(name)
}

type watchFile struct {
	w *watchFS
	f fs.File
}

func (f *watchFile) Read(b []byte) (int, error) {
	defer f.w.enter()()
	return f.f.Read(b)
}

func (f *watchFile) Stat() (fs.FileInfo, error) {
	defer f.w.enter()()
	return f.f.Stat()
}

func (f *watchFile) Close() error {
	defer f.w.enter()()
	return f.f.Close()
}

func (f *watchFile) ReadDir(n int) ([]fs.DirEntry, error) {
	defer f.w.enter()()
	d, ok := f.f.(fs.ReadDirFile)
	if !ok {
		return nil, errors.New("not a directory")
	}
	return d.ReadDir(n)
}

// settle waits for the goroutines Read started to end.
func settle(t *testing.T, before int) {
	t.Helper()
	for i := 0; runtime.NumGoroutine() > before; i++ {
		if i == 200 {
			t.Fatalf("%d goroutines after Read, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReadLookups covers the file lists that Read looks up while it
// parses the status file: the file system is used by one call at a time,
// the times are those of the lists, and a cancellation, a parse error, a
// failing or a panicking lookup end Read without leaving a goroutine.
func TestReadLookups(t *testing.T) {
	ctx := context.Background()
	before := runtime.NumGoroutine()
	const n = 2500 // more lookups than the goroutine's queue holds
	fsys := bigDatabase(t, n)

	w := &watchFS{t: t, fsys: fsys}
	ps, err := Read(ctx, w)
	if err != nil || len(ps) != n {
		t.Fatalf("Read: %v, %d packages", err, len(ps))
	}
	if w.lists.Load() != n {
		t.Errorf("%d file lists looked up, want %d", w.lists.Load(), n)
	}
	for _, p := range ps {
		want := fsys["var/lib/dpkg/info/"+p.Name+".list"].ModTime.UTC()
		if !p.InstallTime.Equal(want) {
			t.Errorf("%s: InstallTime %v, want %v", p.Name, p.InstallTime, want)
		}
	}
	// The host's database, through the watching file system.
	if _, err := os.Stat("/var/lib/dpkg/status"); err == nil {
		direct, err := Read(ctx, os.DirFS("/"))
		if err != nil {
			t.Fatal(err)
		}
		watched, err := Read(ctx, &watchFS{t: t, fsys: os.DirFS("/")})
		if err != nil {
			t.Fatal(err)
		}
		sameList(t, watched, direct)
	}
	settle(t, before)

	t.Run("journal", func(t *testing.T) {
		before := runtime.NumGoroutine()
		// The journal turns bash-c3 into a Multi-Arch: same package of
		// another architecture, whose file list has another name.
		j := fstest.MapFS{}
		for k, v := range fsys {
			j[k] = v
		}
		j["var/lib/dpkg/updates/0000"] = &fstest.MapFile{Data: []byte("Package: bash-c3\nStatus: install ok installed\n" +
			"Architecture: i386\nMulti-Arch: same\nVersion: 9\nMaintainer: m\nDescription: d\n")}
		want := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		j["var/lib/dpkg/info/bash-c3:i386.list"] = &fstest.MapFile{ModTime: want}
		ps, err := Read(ctx, &watchFS{t: t, fsys: j})
		if err != nil || len(ps) != n {
			t.Fatalf("Read with a journal: %v, %d packages", err, len(ps))
		}
		found := false
		for _, p := range ps {
			if p.Name == "bash-c3" {
				found = true
				if p.Arch != "i386" || p.Version != "9" || !p.InstallTime.Equal(want) {
					t.Errorf("bash-c3 after the journal: %s %s %v, want i386 9 %v", p.Arch, p.Version, p.InstallTime, want)
				}
			}
		}
		if !found {
			t.Error("bash-c3 missing")
		}
		settle(t, before)
	})
	t.Run("cancelled", func(t *testing.T) {
		before := runtime.NumGoroutine()
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		w := &watchFS{t: t, fsys: fsys, onList: func(n int32, _ string) error {
			if n == 1 {
				cancel()
			}
			return nil
		}}
		if _, err := Read(cctx, w); !errors.Is(err, context.Canceled) {
			t.Errorf("Read with a cancelled context: %v", err)
		}
		settle(t, before)
	})
	t.Run("parse error", func(t *testing.T) {
		before := runtime.NumGoroutine()
		bad := fstest.MapFS{}
		for k, v := range fsys {
			bad[k] = v
		}
		data := string(fsys["var/lib/dpkg/status"].Data)
		cut := strings.Index(data[len(data)/2:], "\nVersion: ") + len(data)/2
		bad["var/lib/dpkg/status"] = &fstest.MapFile{Data: []byte(data[:cut] + "\nVersion: 1 2" + data[strings.Index(data[cut+1:], "\n")+cut+1:])}
		var pe *ParseError
		if _, err := Read(ctx, &watchFS{t: t, fsys: bad}); !errors.As(err, &pe) || !strings.Contains(pe.Reason, "embedded spaces") {
			t.Errorf("Read of a bad version: %v", err)
		}
		settle(t, before)
	})
	t.Run("lookup error", func(t *testing.T) {
		before := runtime.NumGoroutine()
		w := &watchFS{t: t, fsys: fsys, onList: func(_ int32, name string) error {
			if strings.Contains(name, "/bash-c3.list") {
				return &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrPermission}
			}
			return nil
		}}
		_, err := Read(ctx, w)
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "package bash-c3:amd64 file list modification time") {
			t.Errorf("Read with a failing file list: %v", err)
		}
		settle(t, before)
	})
	t.Run("lookup panic", func(t *testing.T) {
		before := runtime.NumGoroutine()
		w := &watchFS{t: t, fsys: fsys, onList: func(n int32, _ string) error {
			if n == 5 {
				panic("file system broken")
			}
			return nil
		}}
		func() {
			defer func() {
				if r := recover(); r != "file system broken" {
					t.Errorf("recovered %v, want the file system's panic", r)
				}
			}()
			Read(ctx, w)
			t.Error("Read returned")
		}()
		settle(t, before)
	})
}
