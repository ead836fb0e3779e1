package osdetect

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/patchkit/patchkit"
)

// releasePaths are the paths DetectFS reads.
var releasePaths = append(append(append([]string{}, osReleaseFiles...), legacyReleaseFiles...),
	"etc/SuSE-release", "etc/lsb-release", "etc/debian_version", "etc/rpi-issue", plistPath)

// fixtureRoots loads every fixture directory of testdata/osdetect as a
// MapFS, in name order.
func fixtureRoots(tb testing.TB) []fstest.MapFS {
	entries, err := os.ReadDir(fixtures)
	if err != nil {
		tb.Fatal(err)
	}
	var roots []fstest.MapFS
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(fixtures, e.Name())
		root := fstest.MapFS{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			root[filepath.ToSlash(rel)] = &fstest.MapFile{Data: b}
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
		roots = append(roots, root)
	}
	return roots
}

// FuzzDetectFS replaces, or adds, one release file of a fixture root with
// the fuzzer's bytes. Whatever the bytes, DetectFS must return one of its
// documented errors, and every fact it returns must come from a file of the
// root: nothing is guessed.
func FuzzDetectFS(f *testing.F) {
	roots := fixtureRoots(f)
	for i, root := range roots {
		for j, p := range releasePaths {
			if mf, ok := root[p]; ok {
				f.Add(uint8(i), uint8(j), mf.Data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, rootIdx, pathIdx uint8, data []byte) {
		fsys := fstest.MapFS{}
		for k, v := range roots[int(rootIdx)%len(roots)] {
			fsys[k] = v
		}
		fsys[releasePaths[int(pathIdx)%len(releasePaths)]] = &fstest.MapFile{Data: data}

		o, err := DetectFS(fsys)
		again, err2 := DetectFS(fsys)
		if !reflect.DeepEqual(o, again) || errString(err) != errString(err2) {
			t.Fatalf("not deterministic: %+v %v / %+v %v", o, err, again, err2)
		}
		var ue *UnsupportedError
		switch {
		case err == nil, errors.As(err, &ue):
			if len(o.Sources) == 0 {
				t.Fatalf("an answer without a source: %+v", o)
			}
		case errors.Is(err, ErrUnknownOS):
			if len(o.Ignored) != 0 {
				t.Fatalf("ErrUnknownOS with ignored files: %v", o.Ignored)
			}
			fallthrough
		default:
			if !errors.Is(err, ErrUnknownOS) {
				checkParseErrors(t, err)
			}
			if o.ID != "" || len(o.Sources) != 0 {
				t.Fatalf("facts with an error: %+v, %v", o, err)
			}
		}
		content := func(name string) []byte {
			mf, ok := fsys[name]
			if !ok {
				t.Fatalf("%s is not a file of the root", name)
			}
			return mf.Data
		}
		// The sources as text without shell quoting, which os-release's
		// values may be split by ("1"'2').
		unquote := strings.NewReplacer(`"`, "", "'", "", `\`, "")
		var all [][]byte
		for _, s := range o.Sources {
			all = append(all, []byte(unquote.Replace(string(content(s)))))
		}
		for _, v := range []string{o.Major, o.Minor} {
			if v == "" {
				continue
			}
			if !isNumber(v) {
				t.Fatalf("version part %q is not a number", v)
			}
			found := false
			for _, c := range all {
				found = found || bytes.Contains(c, []byte(v))
			}
			if !found {
				t.Fatalf("version part %q is in none of %v", v, o.Sources)
			}
		}
		if o.ID != strings.ToLower(o.ID) {
			t.Fatalf("ID %q is not lower case", o.ID)
		}
		for _, c := range o.Conflicts {
			if c.File != o.Sources[0] {
				t.Fatalf("conflict %v is not with the deciding file %s", c, o.Sources[0])
			}
			content(c.OtherAt)
		}
		for _, p := range o.Ignored {
			if p.Line < 0 || p.Line > bytes.Count(content(p.File), []byte("\n"))+1 {
				t.Fatalf("ignored %v: line out of range", p)
			}
		}
	})
}

// checkParseErrors checks that err is one *ParseError or a join of them.
func checkParseErrors(t *testing.T, err error) {
	t.Helper()
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			checkParseErrors(t, e)
		}
		return
	}
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, patchkit.ErrInvalid) {
		t.Fatalf("error %T %v is not a *ParseError", err, err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
