package dpkg

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
)

// opaqueFS hides the type of the file system it wraps, so that Read asks
// it for every file list instead of looking them up in the directory
// itself (hostDir), and uses it one call at a time.
type opaqueFS struct{ fsys fs.FS }

func (o opaqueFS) Open(name string) (fs.File, error) { return o.fsys.Open(name) }
func (o opaqueFS) Lstat(name string) (fs.FileInfo, error) {
	return o.fsys.(fs.ReadLinkFS).Lstat(name)
}
func (o opaqueFS) ReadLink(name string) (string, error) {
	return o.fsys.(fs.ReadLinkFS).ReadLink(name)
}

// TestDirectLookups covers the file lists that Read looks up in the info
// directory itself when the file system is an os.DirFS: regular lists,
// missing ones, symbolic links (resolved inside the root), a list that is
// a directory, a name the kernel refuses, both info database formats, and
// an info directory that is itself a link. Each root is also read through
// a file system that hides its type: the answers, and the errors, must be
// the same.
func TestDirectLookups(t *testing.T) {
	stanza := func(name, arch, ma string) string {
		s := "Package: " + name + "\nStatus: install ok installed\nArchitecture: " + arch + "\nVersion: 1\n"
		if ma != "" {
			s += "Multi-Arch: " + ma + "\n"
		}
		return s + hdr
	}
	base := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	touch := func(t *testing.T, p string, tm time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("/.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, tm, tm); err != nil {
			t.Fatal(err)
		}
	}
	// root makes a root with the database at var/lib/dpkg, or with info
	// elsewhere behind a link when linkedInfo.
	root := func(t *testing.T, format string, linkedInfo bool) (string, map[string]time.Time) {
		dir := t.TempDir()
		adm := filepath.Join(dir, "var", "lib", "dpkg")
		info := filepath.Join(adm, "info")
		if linkedInfo {
			info = filepath.Join(dir, "srv", "dpkg-info")
			if err := os.MkdirAll(info, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(adm, 0o755); err != nil {
				t.Fatal(err)
			}
			// An absolute link: it names a directory of the root.
			if err := os.Symlink("/srv/dpkg-info", filepath.Join(adm, "info")); err != nil {
				t.Fatal(err)
			}
		}
		status := stanza("plain", "amd64", "") + "\n" +
			stanza("missing", "amd64", "") + "\n" +
			stanza("linked", "all", "foreign") + "\n" +
			stanza("relinked", "amd64", "") + "\n" +
			stanza("dangling", "amd64", "") + "\n" +
			stanza("dirlist", "amd64", "") + "\n" +
			stanza("same", "amd64", "same") + "\n" +
			stanza("same", "i386", "same") + "\n"
		if err := os.MkdirAll(adm, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(adm, "status"), []byte(status), 0o644); err != nil {
			t.Fatal(err)
		}
		if format != "" {
			touch(t, filepath.Join(info, "format"), base)
			if err := os.WriteFile(filepath.Join(info, "format"), []byte(format+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]time.Time{}
		touch(t, filepath.Join(info, "plain.list"), base.Add(time.Hour))
		want["plain:amd64"] = base.Add(time.Hour)
		want["missing:amd64"] = time.Time{}
		// linked.list -> /opt/lists/linked (absolute: inside the root).
		touch(t, filepath.Join(dir, "opt", "lists", "linked"), base.Add(2*time.Hour))
		if err := os.Symlink("/opt/lists/linked", filepath.Join(info, "linked.list")); err != nil {
			t.Fatal(err)
		}
		want["linked:all"] = base.Add(2 * time.Hour)
		// relinked.list -> plain.list (relative).
		if err := os.Symlink("plain.list", filepath.Join(info, "relinked.list")); err != nil {
			t.Fatal(err)
		}
		want["relinked:amd64"] = base.Add(time.Hour)
		// dangling.list -> a file that is not there: no list.
		if err := os.Symlink("/nowhere/dangling", filepath.Join(info, "dangling.list")); err != nil {
			t.Fatal(err)
		}
		want["dangling:amd64"] = time.Time{}
		// dirlist.list is a directory: its time, as dpkg-query prints it.
		if err := os.MkdirAll(filepath.Join(info, "dirlist.list"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(info, "dirlist.list"), base.Add(3*time.Hour), base.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		want["dirlist:amd64"] = base.Add(3 * time.Hour)
		if format == "1" {
			touch(t, filepath.Join(info, "same:amd64.list"), base.Add(4*time.Hour))
			touch(t, filepath.Join(info, "same:i386.list"), base.Add(5*time.Hour))
			want["same:amd64"], want["same:i386"] = base.Add(4*time.Hour), base.Add(5*time.Hour)
		} else {
			touch(t, filepath.Join(info, "same.list"), base.Add(6*time.Hour))
			want["same:amd64"], want["same:i386"] = base.Add(6*time.Hour), base.Add(6*time.Hour)
		}
		return dir, want
	}
	for _, c := range []struct {
		name       string
		format     string
		linkedInfo bool
	}{{"format-1", "1", false}, {"format-0", "", false}, {"linked-info", "1", true}} {
		t.Run(c.name, func(t *testing.T) {
			dir, want := root(t, c.format, c.linkedInfo)
			direct, err := Read(context.Background(), os.DirFS(dir))
			if err != nil {
				t.Fatal(err)
			}
			asked, err := Read(context.Background(), opaqueFS{os.DirFS(dir)})
			if err != nil {
				t.Fatal(err)
			}
			if len(direct) != len(want) || len(asked) != len(want) {
				t.Fatalf("%d and %d packages, want %d", len(direct), len(asked), len(want))
			}
			for i, p := range direct {
				k := describeP(p)
				if w, ok := want[k]; !ok || !p.InstallTime.Equal(w) {
					t.Errorf("%s: InstallTime %v, want %v", k, p.InstallTime, w)
				}
				if q := asked[i]; describeP(q) != k || !q.InstallTime.Equal(p.InstallTime) || q.InstallTime.Location() != p.InstallTime.Location() {
					t.Errorf("%s: %v directly, %s %v through the file system", k, p.InstallTime, describeP(q), q.InstallTime)
				}
			}
		})
	}
	t.Run("name-too-long", func(t *testing.T) {
		// The kernel refuses a name longer than 255 bytes: both ways
		// fail with the file system's error.
		long := strings.Repeat("a", 300)
		dir := t.TempDir()
		layout(t, filepath.Join(dir, "var", "lib", "dpkg"), map[string][]byte{
			"status": []byte(stanza(long, "amd64", "")),
		})
		_, derr := Read(context.Background(), os.DirFS(dir))
		_, aerr := Read(context.Background(), opaqueFS{os.DirFS(dir)})
		if derr == nil || aerr == nil || derr.Error() != aerr.Error() {
			t.Fatalf("directly: %v\nthrough the file system: %v", derr, aerr)
		}
		if !strings.Contains(derr.Error(), "file list modification time") || !strings.Contains(derr.Error(), "file name too long") {
			t.Errorf("error: %v", derr)
		}
	})
}

// TestDependencyOK checks the one-pass check of relationship fields: on
// every relationship value of the committed databases and of the host's
// it must answer as dependencyProblem does whenever it accepts a value,
// and it must accept the forms dpkg writes.
func TestDependencyOK(t *testing.T) {
	values := map[string]int{}
	var files [][]byte
	for _, b := range statusFiles(t) {
		files = append(files, b)
	}
	if b, err := os.ReadFile("/var/lib/dpkg/status"); err == nil {
		files = append(files, b)
	}
	for _, b := range files {
		var cur []byte
		fid := fUser
		flush := func() {
			if fid != fUser {
				values[string(bytes.TrimSpace(cur))] = fid
			}
		}
		for _, l := range bytes.Split(b, []byte("\n")) {
			if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') {
				cur = append(append(cur, '\n'), l...)
				continue
			}
			flush()
			name, val, _ := bytes.Cut(l, []byte(":"))
			switch fid = fieldID(bytes.TrimSpace(name)); fid {
			case fReplaces, fProvides, fDepends, fPreDepends, fRecommends, fSuggests, fBreaks,
				fConflicts, fEnhances, fRecommended, fOptional:
				cur = append([]byte(nil), val...)
			default:
				fid = fUser
			}
		}
		flush()
	}
	// Forms dpkg writes, and some it does not.
	for _, v := range []string{"a", "a, b", "a (>= 1.0), b:any | c (<< 2), d:amd64", "e (= 1:2-3)",
		"f (>> 1.0~rc1+dfsg-2ubuntu0.1)", "g (<= 2)", "h | i | j", "k,\n l", "m:any (>= 1:0)",
		"n (< 1)", "o (> 1)", "p (>= 1.0-)", "q (<> 1)", "r,", "s [amd64]", "t (1.0)", "u ( >= 1 )",
		"v  | w", "x (>= 99999999999:1)", "y (>= :1)", "z (>= 1:)", "A (>= -1)", "-b", "b:"} {
		values[v] = fDepends
		values[v+", c"] = fBreaks
	}
	accepted := 0
	for v, fid := range values {
		problem := dependencyProblem(fid, []byte(v))
		if dependencyOK(fid, []byte(v)) {
			accepted++
			if problem != "" {
				t.Errorf("%s: %q accepted, dependencyProblem says %s", fieldNames[fid], v, problem)
			}
		}
	}
	for _, v := range []string{"a", "a, b", "a (>= 1.0), b:any | c (<< 2), d:amd64", "e (= 1:2-3)", "m:any (>= 1:0)", "k,\n l"} {
		if !dependencyOK(fDepends, []byte(v)) {
			t.Errorf("%q: not accepted", v)
		}
	}
	if accepted < len(values)/2 {
		t.Errorf("%d of %d values accepted", accepted, len(values))
	}
	t.Logf("%d of %d relationship values accepted in one pass", accepted, len(values))
}

// FuzzDependencyOK checks that the one-pass check never accepts a value
// that dependencyProblem refuses.
func FuzzDependencyOK(f *testing.F) {
	for _, s := range []string{"a (>= 1.0), b:any | c (<< 2), d:amd64", "e (= 1:2-3)", "libc6 (>= 2.34)",
		"a | b", "a (>= 1.0-)", "x:y:z", "a (>= 1:2:3)", "a (=1)", "a,  b"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, noAlt bool) {
		fid := fDepends
		if noAlt {
			fid = fBreaks
		}
		if dependencyOK(fid, []byte(s)) {
			if r := dependencyProblem(fid, []byte(s)); r != "" {
				t.Errorf("%q accepted, dependencyProblem says %s", s, r)
			}
		}
	})
}

// TestStanzaOrder reads databases whose stanzas are not in order of their
// names, as dpkg writes them: the list and the complaints about duplicate
// packages must not depend on the order.
func TestStanzaOrder(t *testing.T) {
	parse := func(stanzas []string) ([]patchkit.Package, error) {
		var ps []patchkit.Package
		err := ParseStatus(context.Background(), "status", strings.NewReader(strings.Join(stanzas, "\n\n")+"\n"),
			func(p patchkit.Package) error { ps = append(ps, p); return nil })
		slices.SortFunc(ps, func(a, b patchkit.Package) int { return strings.Compare(describeP(a), describeP(b)) })
		return ps, err
	}
	// testbed-states has packages in two architectures.
	for _, db := range []string{"testbed-states", "debian-12-minbase"} {
		b, err := os.ReadFile(filepath.Join(testdata, "db", db, "status"))
		if err != nil {
			t.Fatal(err)
		}
		stanzas := strings.Split(strings.TrimSpace(string(b)), "\n\n")
		if len(stanzas) < 10 {
			t.Fatalf("%s: %d stanzas", db, len(stanzas))
		}
		want, err := parse(stanzas)
		if err != nil {
			t.Fatal(err)
		}
		reversed := slices.Clone(stanzas)
		slices.Reverse(reversed)
		rotated := append(slices.Clone(stanzas[len(stanzas)/2:]), stanzas[:len(stanzas)/2]...)
		for name, order := range map[string][]string{"reversed": reversed, "rotated": rotated} {
			got, err := parse(order)
			if err != nil {
				t.Fatalf("%s %s: %v", db, name, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: %d packages, want %d", db, name, len(got), len(want))
			}
			// A stanza repeated after others: the same complaint as
			// when it is repeated at once.
			for _, i := range []int{1, len(order) - 2} {
				_, err = parse(append(slices.Clone(order), order[i]))
				_, near := parse(append(slices.Clone(order[:i+1]), order[i]))
				if err == nil || near == nil || errorReason(err) != errorReason(near) {
					t.Errorf("%s %s, stanza %d repeated at the end: %v; repeated at once: %v", db, name, i, err, near)
				}
			}
		}
	}
	// An awaited trigger naming a package that sorts before the last one
	// read: it is found among those read so far.
	awaited := "Package: lib\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 1\n\n" +
		"Package: lib\nStatus: install ok installed\nArchitecture: i386\nMulti-Arch: same\nVersion: 1\n\n" +
		"Package: m\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\n" +
		"Package: zz\nStatus: install ok triggers-awaited\nTriggers-Awaited: lib\nArchitecture: amd64\nVersion: 1\n"
	var pe *ParseError
	err := ParseStatus(context.Background(), "status", strings.NewReader(awaited), func(patchkit.Package) error { return nil })
	if !errors.As(err, &pe) || pe.Line != 18 || !strings.Contains(pe.Reason, "ambiguous package name") {
		t.Errorf("awaited trigger of a package with two instances: %v", err)
	}
}

// errorReason is the reason of a *ParseError, without its line.
func errorReason(err error) string {
	var pe *ParseError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	return pe.Field + ": " + pe.Reason
}

// TestReadLeavesNoGoroutine reads this machine's database and checks that
// Read leaves nothing running.
func TestReadLeavesNoGoroutine(t *testing.T) {
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		t.Skip("this machine has no dpkg database")
	}
	before := runtime.NumGoroutine()
	for range 3 {
		if _, err := Read(context.Background(), os.DirFS("/")); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, before)
}

// TestDirectMatchesFileSystem reads mutated databases (a fixed, seeded
// set, as TestMutations makes them) through an os.DirFS, where Read looks
// the file lists up in the info directory and uses the file system from
// two goroutines, and through a file system that hides its type, where it
// does neither: the packages, install times and errors must be the same.
// A third of them get a bad relationship field, which the one-pass check
// passes to dependencyProblem.
func TestDirectMatchesFileSystem(t *testing.T) {
	var seeds [][]byte
	for _, n := range []string{"testbed-states/status", "debian-12-minbase/status", "trivy-third-party/status"} {
		b, err := os.ReadFile(filepath.Join(testdata, "db", n))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 12000 {
			b = b[:bytes.LastIndex(b[:12000], []byte("\n\n"))+2]
		}
		seeds = append(seeds, b)
	}
	for _, c := range malformedCases {
		if c.updates == nil {
			seeds = append(seeds, []byte(c.status))
		}
	}
	badDeps := []string{"Depends: a (<> 1)\n", "Depends: a,\n", "Breaks: a | b\n", "Depends: a (>= 1.0-)\n",
		"Pre-Depends: a [amd64]\n", "Depends: a (>= 1:)\n", "Provides: -a\n"}
	n := 400
	if testing.Short() {
		n = 100
	}
	dir := t.TempDir()
	layout(t, dir, nil)
	if err := os.WriteFile(filepath.Join(dir, "info", "format"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	same, refused, deferred := 0, 0, 0
	for i := 0; i < n; i++ {
		r := rand.New(rand.NewSource(int64(i)))
		b := append([]byte(nil), seeds[r.Intn(len(seeds))]...)
		if i%3 == 0 {
			// A bad relationship field at a line boundary.
			lines := bytes.SplitAfter(b, []byte("\n"))
			k := r.Intn(len(lines))
			lines[k] = append([]byte(badDeps[r.Intn(len(badDeps))]), lines[k]...)
			b = bytes.Join(lines, nil)
			deferred++
		}
		if i%4 != 1 {
			b = mutate(r, b)
		}
		if err := os.WriteFile(filepath.Join(dir, "status"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		// A file list for some of the packages.
		for _, m := range regexp.MustCompile(`(?m)^Package: ([a-z0-9.+-]+)$`).FindAllSubmatch(b, -1) {
			if r.Intn(2) == 0 {
				p := filepath.Join(dir, "info", string(m[1])+".list")
				tm := time.Unix(int64(1.6e9+r.Intn(1e8)), 0)
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, tm, tm); err != nil {
					t.Fatal(err)
				}
			}
		}
		direct, derr := Read(context.Background(), os.DirFS(dir), WithAdmindir("."))
		asked, aerr := Read(context.Background(), opaqueFS{os.DirFS(dir)}, WithAdmindir("."))
		switch {
		case derr != nil || aerr != nil:
			if derr == nil || aerr == nil || derr.Error() != aerr.Error() {
				t.Errorf("mutation %d:\n%q\ndirectly: %v\nthrough the file system: %v", i, b, derr, aerr)
			}
			refused++
		case !slices.EqualFunc(direct, asked, func(a, b patchkit.Package) bool { return a == b }):
			t.Errorf("mutation %d:\n%q\ndirectly: %v\nthrough the file system: %v", i, b, direct, asked)
		default:
			same++
		}
	}
	t.Logf("%d databases: %d listed alike, %d refused alike; %d with a bad relationship field added", n, same, refused, deferred)
	if same == 0 || refused == 0 {
		t.Error("the mutations should give both lists and refusals")
	}
}

// versionSamples are versions as dpkg writes them and forms it does not.
var versionSamples = []string{"1", "1.0", "1.0-1", "1:2.3-4", "2:1.2.3+dfsg-1~deb12u1", "10:1", "0:1.0-0",
	"01:1", "1:", ":1", "1-", "-1", "1:-1", "1:a", "a", "1.0-1-2", "1:2:3-4", "1-2:3", "1.0-a:b", " 1.0",
	"1.0 ", "1 0", "1234567890:1", "123456789:1", "4294967296:1", "1.0~rc1+git20200101.abc-0ubuntu1",
	"1_0", "1.0-1_2", "1:2.0-a:b", "1:2.0:1-3", "2.36-9+deb12u4", "1:1.2.13.dfsg-1", "7.88.1-10+deb12u15"}

// TestQuickVersion checks the one-pass split of versions against dpkg's
// parseversion as splitVersion does it: where it answers, it must give
// the same version.
func TestQuickVersion(t *testing.T) {
	quick := 0
	for _, s := range versionSamples {
		if checkQuickVersion(t, s) {
			quick++
		}
	}
	for _, s := range []string{"1", "1.0-1", "1:2.3-4", "2:1.2.3+dfsg-1~deb12u1", "7.88.1-10+deb12u15"} {
		if _, ok := quickVersion(s); !ok {
			t.Errorf("%q not split in one pass", s)
		}
	}
	t.Logf("%d of %d split in one pass", quick, len(versionSamples))
}

func checkQuickVersion(t *testing.T, s string) bool {
	v, ok := quickVersion(s)
	if !ok {
		return false
	}
	w, level, reason := splitParseVersion(s)
	if level != verOK || v != w || v.String() != w.String() {
		t.Errorf("%q: one pass %+v, parseversion %+v (%d %s)", s, v, w, level, reason)
	}
	return true
}

// FuzzQuickVersion checks the one-pass split on any string.
func FuzzQuickVersion(f *testing.F) {
	for _, s := range versionSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkQuickVersion(t, s) })
}

// TestPrefetchHelp covers the end of a Read whose lookup goroutine lags:
// the batches it has not taken are looked up by Read's own goroutine,
// through the info directory's twin handle, and what that cannot answer
// is left for the file system.
func TestPrefetchHelp(t *testing.T) {
	dir := t.TempDir()
	layout(t, dir, map[string][]byte{"info/format": []byte("1\n")})
	tm := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, n := range []string{"a", "b:amd64"} {
		p := filepath.Join(dir, "info", n+".list")
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, tm, tm); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.list", filepath.Join(dir, "info", "c.list")); err != nil {
		t.Fatal(err)
	}
	fsys := os.DirFS(dir)
	it, err := newInfoTimes(fsys, ".", ".")
	if err != nil {
		t.Fatal(err)
	}
	defer it.close()
	if runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") && it.helper == nil {
		t.Fatal("no direct lookups in an os.DirFS")
	}
	a := &entry{name: "a", arch: "amd64"}
	b := &entry{name: "b", arch: "amd64", multiArch: maSame}
	c := &entry{name: "c", arch: "amd64"}
	d := &entry{name: "d", arch: "amd64"}
	// A goroutine that has found the info directory and ended without
	// taking the two batches.
	pf := &prefetch{ctx: context.Background(), fsys: fsys, shared: true, started: true, it: it,
		ch: make(chan []*entry, 4), done: make(chan struct{}), ready: make(chan struct{})}
	pf.ch <- []*entry{a, b}
	pf.ch <- []*entry{c, d}
	close(pf.ready)
	close(pf.done)
	pf.wait(false)
	if it.helper != nil {
		if a.list != listFound || a.listMod != tm.Unix() || b.list != listFound || d.list != listMissing {
			t.Errorf("after help: a %d %d, b %d, d %d", a.list, a.listMod, b.list, d.list)
		}
		if c.list != listUnknown {
			t.Errorf("a link was looked up directly: %d", c.list)
		}
	}
	for _, e := range []*entry{a, b, c} {
		if got, err := it.time(e); err != nil || !got.Equal(tm) {
			t.Errorf("%s: %v %v, want %v", e.name, got, err, tm)
		}
	}
	if got, err := it.time(d); err != nil || !got.IsZero() {
		t.Errorf("d: %v %v, want no time", got, err)
	}
}
