package dpkg

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/run"
)

// TestHostDatabase compares Read of this machine's database with Query
// running the real dpkg-query, install times included.
func TestHostDatabase(t *testing.T) {
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil && !testutil.InCI() {
		t.Skip("this machine has no dpkg database")
	}
	testutil.NeedTool(t, "dpkg-query", "dpkg")
	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	// Read and dpkg-query must see the same database: retry when a package
	// manager changed it in between.
	for try := 0; ; try++ {
		ours, err := Read(context.Background(), os.DirFS("/"))
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := Query(context.Background(), local)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Read(context.Background(), os.DirFS("/"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(keys(ours), "\n") != strings.Join(keys(again), "\n") && try < 3 {
			continue
		}
		n := sameList(t, ours, theirs)
		if n == 0 {
			t.Fatal("no packages")
		}
		withTime := 0
		for _, p := range ours {
			if !p.InstallTime.IsZero() {
				withTime++
			}
		}
		t.Logf("Read agrees with dpkg-query on this host: %d packages, %d with an install time", n, withTime)
		return
	}
}

// TestInstallTimes lays out file lists with known times in a copy of the
// testbed database (which has Multi-Arch: same packages in two
// architectures) and checks Read against them and against dpkg-query, for
// both info database formats.
func TestInstallTimes(t *testing.T) {
	status, err := os.ReadFile(filepath.Join(testdata, "db", "testbed-states", "status"))
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, format := range []string{"1", ""} {
		t.Run("format="+format, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string][]byte{"status": status}
			if format != "" {
				files["info/format"] = []byte(format + "\n")
			}
			layout(t, dir, files)
			ours0, err := Read(context.Background(), os.DirFS(dir), WithAdmindir("."))
			if err != nil {
				t.Fatal(err)
			}
			fileTime := map[string]time.Time{} // list file -> its time
			pkgFile := map[string]string{}     // name:arch -> its list file
			for i, p := range ours0 {
				n := p.Name
				if p.MultiArch == "same" && format == "1" {
					n += ":" + p.Arch
				}
				tm := base.Add(time.Duration(i)*time.Hour + 500*time.Millisecond)
				f := filepath.Join(dir, "info", n+".list")
				if err := os.WriteFile(f, []byte("/.\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(f, tm, tm); err != nil {
					t.Fatal(err)
				}
				fileTime[n] = tm.Truncate(time.Second)
				pkgFile[describeP(p)] = n
			}
			ours, err := Read(context.Background(), os.DirFS(dir), WithAdmindir("."))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ours {
				if w := fileTime[pkgFile[describeP(p)]]; w.IsZero() || !p.InstallTime.Equal(w) {
					t.Errorf("%s: InstallTime %v, want %v", describeP(p), p.InstallTime, w)
				}
			}
			if haveDpkgQuery() {
				local, err := run.NewLocal()
				if err != nil {
					t.Fatal(err)
				}
				theirs, err := Query(context.Background(), local, QueryAdmindir(dir))
				if err != nil {
					t.Fatal(err)
				}
				sameList(t, ours, theirs)
			}
		})
	}
}

func describeP(p patchkit.Package) string { return p.Name + ":" + p.Arch }

// TestMutations writes mutated copies of fixture databases (a fixed,
// seeded set) and checks that Read and the real dpkg-query agree on each:
// both refuse it, or both list the same packages, or Read refuses it as
// stricter.
func TestMutations(t *testing.T) {
	if !haveDpkgQuery() {
		t.Skip("dpkg-query is not installed")
	}
	testutil.NeedTool(t, "dpkg-query", "dpkg")
	var seeds [][]byte
	for _, n := range []string{"testbed-states/status", "trivy-corrupsed/status", "trivy-third-party/status", "debian-13-minbase/status"} {
		b, err := os.ReadFile(filepath.Join(testdata, "db", n))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 8000 {
			b = b[:bytes.LastIndex(b[:8000], []byte("\n\n"))+2]
		}
		seeds = append(seeds, b)
	}
	for _, c := range malformedCases {
		switch c.name {
		case "ok-two", "all-states", "source-forms", "priority-forms", "depends-ok", "conffiles-ok",
			"multi-arch-two-instances", "not-installed-entries", "obsolete-revision":
			seeds = append(seeds, []byte(c.status))
		}
	}
	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	n := 400
	if testing.Short() {
		n = 100
	}
	agree, refuse, stricter, tabs := 0, 0, 0, 0
	dir := t.TempDir()
	layout(t, dir, nil)
	for i := 0; i < n; i++ {
		r := rand.New(rand.NewSource(int64(i)))
		b := mutate(r, append([]byte(nil), seeds[r.Intn(len(seeds))]...))
		if err := os.WriteFile(filepath.Join(dir, "status"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		ours, rerr := Read(context.Background(), os.DirFS(dir), WithAdmindir("."))
		theirs, qerr := Query(context.Background(), local, QueryAdmindir(dir))
		var pe *ParseError
		var ee *run.ExitError
		var qe *QueryError
		switch {
		case errors.As(qerr, &qe):
			tabs++ // a tab in a free-text value: dpkg-query's output is ambiguous
		case qerr != nil && !errors.As(qerr, &ee):
			t.Fatal(qerr)
		case rerr != nil && qerr != nil:
			// Read may stop at an earlier, stricter complaint.
			if !errors.As(rerr, &pe) {
				t.Errorf("mutation %d: both refuse, Read with %v", i, rerr)
			}
			refuse++
		case rerr != nil && errors.As(rerr, &pe) && pe.Stricter:
			stricter++
		case rerr != nil || qerr != nil:
			t.Errorf("mutation %d:\n%q\nRead: %v\ndpkg-query: %v", i, b, rerr, qerr)
		default:
			if t.Failed() {
				break
			}
			if sameList(t, ours, theirs); t.Failed() {
				t.Errorf("mutation %d:\n%q", i, b)
			}
			agree++
		}
	}
	t.Logf("%d mutations: %d listed alike, %d refused by both, %d refused by Read only (stricter), %d with a tab in a free-text value",
		n, agree, refuse, stricter, tabs)
}

var mutationPieces = []string{" ", "\t", "\n", "\n\n", ":", "\r", "(", ")", ",", "|", "-", "a", "Z", "1", "0",
	" (", ">= ", "\n ", "\n .", "Package: q\n", "Status: install ok installed\n", "Multi-Arch: same\n",
	"Architecture: i386\n", "Version: 1:2-3\n", "Source: x (1.0)\n", "Triggers-Pending: t\n",
	"Triggers-Awaited: p\n", "Config-Version: 1\n", "Revision: 2\n", "Status: install ok triggers-pending\n",
	"Status: deinstall ok config-files\n", "Status: install reinstreq half-installed\n",
	"Conffiles:\n /etc/a 123\n", "obsolete", "remove-on-upgrade", " /", "./", "~", "+", ".", "_",
	"Priority: Extra\n", "Class: x\n", "Depends: a (>= 1) | b:any, c\n", "Provides: a (= 1)\n",
	"Breaks: a | b\n", "X: y\n", "#", "\v", "\f"}

// mutate applies a few random edits: insertions of pieces that matter to
// dpkg's grammar, deletions, swapped and repeated lines.
func mutate(r *rand.Rand, b []byte) []byte {
	for range 1 + r.Intn(4) {
		pos := r.Intn(len(b) + 1)
		switch r.Intn(6) {
		case 0, 1, 2:
			ins := mutationPieces[r.Intn(len(mutationPieces))]
			b = append(b[:pos], append([]byte(ins), b[pos:]...)...)
		case 3:
			if pos < len(b) {
				l := min(1+r.Intn(8), len(b)-pos)
				b = append(b[:pos], b[pos+l:]...)
			}
		case 4:
			lines := bytes.SplitAfter(b, []byte("\n"))
			i, j := r.Intn(len(lines)), r.Intn(len(lines))
			lines[i], lines[j] = lines[j], lines[i]
			b = bytes.Join(lines, nil)
		case 5:
			lines := bytes.SplitAfter(b, []byte("\n"))
			i := r.Intn(len(lines))
			b = bytes.Join(append(lines[:i+1:i+1], lines[i:]...), nil)
		}
	}
	return b
}

// TestParseStatusMatchesRead checks that streaming a status file gives the
// packages Read gives (without install times).
func TestParseStatusMatchesRead(t *testing.T) {
	for _, n := range []string{"debian-12-minbase", "debian-13-minbase", "trivy-valid"} {
		dir := filepath.Join(testdata, "db", n)
		ours, err := Read(context.Background(), os.DirFS(dir), WithAdmindir("."))
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(dir, "status"))
		if err != nil {
			t.Fatal(err)
		}
		var streamed []patchkit.Package
		err = ParseStatus(context.Background(), "status", f, func(p patchkit.Package) error {
			streamed = append(streamed, p)
			return nil
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		sameList(t, ours, streamed)
	}
	// A callback error stops the parse and is returned as is.
	stop := errors.New("enough")
	calls := 0
	err := ParseStatus(context.Background(), "s", strings.NewReader(okP+"\n"+okQ), func(patchkit.Package) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("ParseStatus = %v after %d calls, want the callback's error after 1", err, calls)
	}
	// A cancelled context stops a long parse.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	long := strings.Repeat(okP+"\n", 1)
	for i := range 200 {
		long += strings.Replace(okQ, "Package: q", "Package: q"+string(rune('a'+i%26))+strings.Repeat("x", i), 1) + "\n"
	}
	if err := ParseStatus(ctx, "s", strings.NewReader(long), func(patchkit.Package) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("ParseStatus with a cancelled context = %v", err)
	}
}

// TestWithMaxLine checks the line bound and its typed error.
func TestWithMaxLine(t *testing.T) {
	in := st("Version: 1\nX-Long: " + strings.Repeat("b", 500) + "\n")
	err := ParseStatus(context.Background(), "status", strings.NewReader(in), func(patchkit.Package) error { return nil }, WithMaxLine(200))
	var pe *ParseError
	if !errors.As(err, &pe) || !pe.Stricter || pe.Line != 7 || !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("long line: %v", err)
	}
	if err := ParseStatus(context.Background(), "status", strings.NewReader(in), func(patchkit.Package) error { return nil }, WithMaxLine(600)); err != nil {
		t.Errorf("within the bound: %v", err)
	}
	if err := ParseStatus(context.Background(), "s", strings.NewReader(""), nil, WithMaxLine(10)); err == nil {
		t.Error("WithMaxLine(10) accepted")
	}
}

// TestReadRoots covers the layouts of a root: a missing database, a
// database without a status file, status.d beside control files, an
// admindir reached through a symbolic link that points inside the root.
func TestReadRoots(t *testing.T) {
	ctx := context.Background()
	empty := t.TempDir()
	if _, err := Read(ctx, os.DirFS(empty)); !errors.Is(err, ErrNoDatabase) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("root without a database: %v", err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "var/lib/dpkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if ps, err := Read(ctx, os.DirFS(root)); err != nil || len(ps) != 0 {
		t.Errorf("database without status: %v, %d packages", err, len(ps))
	}
	// Distroless: status.d with md5sums and a maintainer script.
	ps, err := Read(ctx, os.DirFS(filepath.Join(testdata, "db", "syft-distroless")), WithAdmindir("/"))
	if err != nil || len(ps) != 1 || ps[0].Name != "libsqlite3-0" {
		t.Errorf("distroless: %v %v", err, ps)
	}
	// The admindir as an absolute symbolic link inside the root.
	link := t.TempDir()
	if err := os.MkdirAll(filepath.Join(link, "srv/db"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(testdata, "db", "debian-12-minbase", "status"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(link, "srv/db/status"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(link, "var/lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/srv/db", filepath.Join(link, "var/lib/dpkg")); err != nil {
		t.Fatal(err)
	}
	ps, err = Read(ctx, os.DirFS(link))
	if err != nil || len(ps) != 96 {
		t.Errorf("admindir through a link: %v, %d packages", err, len(ps))
	}
	// A status that is a directory.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "var/lib/dpkg/status"), 0o755); err != nil {
		t.Fatal(err)
	}
	var pe *ParseError
	if _, err := Read(ctx, os.DirFS(dir)); !errors.As(err, &pe) {
		t.Errorf("status directory: %v", err)
	}
}

// TestParseQueryErrors feeds output that does not follow QueryFormat.
func TestParseQueryErrors(t *testing.T) {
	good := "p\tamd64\t1.0-1\tinstall\tok\tinstalled\tno\toptional\tadmin\tp\t1.0-1\t1700000000\n"
	if ps, err := ParseQuery([]byte(good)); err != nil || len(ps) != 1 || ps[0].InstallTime.Unix() != 1700000000 || ps[0].EVR() != "1.0-1" {
		t.Fatalf("good record: %v %v", ps, err)
	}
	for _, bad := range []string{
		"p\tamd64\n",
		strings.TrimSuffix(good, "\n"),
		strings.Replace(good, "installed", "sleeping", 1),
		strings.Replace(good, "install\t", "keep\t", 1),
		strings.Replace(good, "\tok\t", "\tbad\t", 1),
		strings.Replace(good, "\tno\t", "\tmaybe\t", 1),
		strings.Replace(good, "1700000000", "-5", 1),
		strings.Replace(good, "1700000000", "x", 1),
		strings.Replace(good, "admin", "ad\tmin", 1),
		strings.Replace(good, "p\tamd64\t1.0-1", "p\tamd64\t1.0-", 1),
		strings.Replace(good, "p\tamd64", "-p\tamd64", 1),
	} {
		var qe *QueryError
		if _, err := ParseQuery([]byte(bad)); !errors.As(err, &qe) || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("ParseQuery(%q) = %v", bad, err)
		}
	}
}

// TestQueryCommand checks the argument vector.
func TestQueryCommand(t *testing.T) {
	c, err := QueryCommand(QueryAdmindir("/srv/root/var/lib/dpkg"), QueryProgram("/opt/dpkg/bin/dpkg-query"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	want := "/opt/dpkg/bin/dpkg-query --admindir=/srv/root/var/lib/dpkg --show --showformat=" + QueryFormat
	if strings.Join(c.Argv(), " ") != want {
		t.Errorf("argv %q", c.Argv())
	}
	for _, o := range []QueryOption{QueryAdmindir("relative"), QueryProgram("dpkg-query")} {
		if _, err := QueryCommand(o); err == nil {
			t.Error("relative path accepted")
		}
	}
}
