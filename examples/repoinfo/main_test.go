package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo/apt"
)

func runJSON(t *testing.T, args ...string) (output, int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"-json", "-cache", t.TempDir()}, args...), &out, &errb)
	var o output
	if code != 2 {
		if err := json.Unmarshal(out.Bytes(), &o); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out.String())
		}
		// The shape is exactly {"Repositories": [{Name, Packages, Advisories, Verified, Unverified, WeakChecksums, Error}]},
		// PascalCase as in every example program.
		var raw map[string][]map[string]any
		json.Unmarshal(out.Bytes(), &raw)
		if len(raw) != 1 || raw["Repositories"] == nil {
			t.Fatalf("top level %s", out.String())
		}
		for _, e := range raw["Repositories"] {
			if len(e) != 7 {
				t.Fatalf("entry keys %v", e)
			}
			for _, k := range []string{"Name", "Packages", "Advisories", "Verified", "Unverified", "WeakChecksums", "Error"} {
				if _, ok := e[k]; !ok {
					t.Fatalf("entry without %s: %v", k, e)
				}
			}
		}
	}
	return o, code, errb.String()
}

func TestAptAndRPMMD(t *testing.T) {
	fx := repotest.Fixtures(t)
	srv := repotest.Serve(t, filepath.Join(fx, "apt/v1"))
	o, code, stderr := runJSON(t, "-now", "2026-11-02T00:00:00Z",
		"-apt", srv.URL, "-suite", "stable", "-arch", "amd64", "-keyring", filepath.Join(fx, "keys/archive-a.gpg"),
		"-rpmmd", filepath.Join(fx, "rpm/updates-gz"), "-keyring", filepath.Join(fx, "keys/RPM-GPG-KEY-patchkit-test"))
	// The second -keyring wins for both; the apt repository then fails.
	if stderr != "" {
		t.Fatalf("stderr: %s", stderr)
	}
	if code != 1 || len(o.Repositories) != 2 {
		t.Fatalf("code %d %+v", code, o)
	}
	if e := o.Repositories[0]; e.Error == nil || e.Verified || e.Packages != 0 {
		t.Fatalf("apt with the wrong key: %+v", e)
	}
	if e := o.Repositories[1]; e.Error != nil || !e.Verified || e.Packages != 3 || e.Advisories != 5 || e.Name != "updates-gz" {
		t.Fatalf("rpmmd: %+v", e)
	}
	o, code, _ = runJSON(t, "-now", "2026-11-02T00:00:00Z",
		"-apt", srv.URL+"/dists/stable", "-arch", "amd64", "-keyring", filepath.Join(fx, "keys/archive-a.gpg"))
	if code != 0 || len(o.Repositories) != 1 {
		t.Fatalf("code %d %+v", code, o)
	}
	if e := o.Repositories[0]; e.Error != nil || !e.Verified || e.Packages != 4 || e.Advisories != 0 || e.Name != srv.URL+" stable" {
		t.Fatalf("apt: %+v", e)
	}
	// Past its Valid-Until: an error, no packages.
	o, code, _ = runJSON(t, "-now", "2026-12-01T00:00:00Z",
		"-apt", srv.URL, "-suite", "stable", "-arch", "amd64", "-keyring", filepath.Join(fx, "keys/archive-a.gpg"))
	if code != 1 || o.Repositories[0].Error == nil || !strings.Contains(*o.Repositories[0].Error, "no longer valid") {
		t.Fatalf("expired: %d %+v", code, o)
	}
}

func TestSourcesFiles(t *testing.T) {
	fx := repotest.Fixtures(t)
	aptSrv := repotest.Serve(t, filepath.Join(fx, "apt/v1"))
	rpmSrv := repotest.Serve(t, filepath.Join(fx, "rpm"))
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "keys"), 0o755)
	for _, k := range []string{"archive-a.gpg", "RPM-GPG-KEY-patchkit-test"} {
		data, _ := os.ReadFile(filepath.Join(fx, "keys", k))
		os.WriteFile(filepath.Join(root, "keys", k), data, 0o644)
	}
	list := filepath.Join(root, "pk.list")
	os.WriteFile(list, []byte("deb [arch=amd64 signed-by=/keys/archive-a.gpg] "+aptSrv.URL+" stable main\n"), 0o644)
	o, code, _ := runJSON(t, "-now", "2026-11-02T00:00:00Z", "-root", root, "-sources", list)
	if code != 0 || len(o.Repositories) != 1 || o.Repositories[0].Packages != 4 || !o.Repositories[0].Verified {
		t.Fatalf("list: %d %+v", code, o)
	}
	repoFile := filepath.Join(root, "pk.repo")
	os.WriteFile(repoFile, []byte("[pk]\nbaseurl="+rpmSrv.URL+"/updates-$basearch\nrepo_gpgcheck=1\ngpgkey=file:///keys/RPM-GPG-KEY-patchkit-test\n\n[off]\nbaseurl=http://127.0.0.1:1/\nenabled=0\n"), 0o644)
	o, code, _ = runJSON(t, "-now", "2026-11-02T00:00:00Z", "-root", root, "-sources", repoFile, "-vars", "basearch=bz2")
	if code != 0 || len(o.Repositories) != 1 || o.Repositories[0].Name != "pk" || o.Repositories[0].Advisories != 5 || !o.Repositories[0].Verified {
		t.Fatalf("repo: %d %+v", code, o)
	}
}

func TestAptListsAndTable(t *testing.T) {
	fx := repotest.Fixtures(t)
	root := t.TempDir()
	uri := "http://deb.example.invalid/debian"
	os.MkdirAll(filepath.Join(root, "etc/apt/sources.list.d"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/share/keyrings"), 0o755)
	os.MkdirAll(filepath.Join(root, "lists"), 0o755)
	key, _ := os.ReadFile(filepath.Join(fx, "keys/archive-a.gpg"))
	os.WriteFile(filepath.Join(root, "usr/share/keyrings/pk.gpg"), key, 0o644)
	os.WriteFile(filepath.Join(root, "etc/apt/sources.list.d/pk.sources"),
		[]byte("Types: deb\nURIs: "+uri+"\nSuites: stable\nComponents: main\nSigned-By: /usr/share/keyrings/pk.gpg\n"), 0o644)
	prefix := apt.ListsFileName(uri + "/dists/stable/")
	in, _ := os.ReadFile(filepath.Join(fx, "apt/v1/dists/stable/InRelease"))
	lz, _ := os.ReadFile(filepath.Join(fx, "apt/v1/dists/stable/main/binary-amd64/Packages.lz4"))
	os.WriteFile(filepath.Join(root, "lists", prefix+"InRelease"), in, 0o644)
	os.WriteFile(filepath.Join(root, "lists", prefix+"main_binary-amd64_Packages.lz4"), lz, 0o644)
	o, code, _ := runJSON(t, "-now", "2026-11-02T00:00:00Z", "-root", root, "-apt-lists", filepath.Join(root, "lists"))
	if code != 0 || len(o.Repositories) != 1 || o.Repositories[0].Packages != 4 || !o.Repositories[0].Verified || o.Repositories[0].Name != uri+" stable" {
		t.Fatalf("%d %+v", code, o)
	}
	var out bytes.Buffer
	code = run(context.Background(), []string{"-now", "2026-11-02T00:00:00Z", "-root", root, "-apt-lists", filepath.Join(root, "lists")}, &out, &bytes.Buffer{})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "REPOSITORY") || !strings.Contains(lines[1], " 4 ") || strings.Fields(lines[1])[4] != "yes" {
		t.Fatalf("table:\n%s", out.String())
	}
}

func TestUsage(t *testing.T) {
	for want, args := range map[string][]string{
		"give -apt-lists, -apt, -rpmmd or -sources":                   {},
		"-apt needs -suite":                                           {"-apt", "http://x.invalid/"},
		`-now: "yesterday" is neither RFC 3339, YYYY-MM-DD nor "now"`: {"-now", "yesterday", "-apt-lists", "/x"},
		`unexpected argument "stray"`:                                 {"-apt-lists", "/x", "stray"},
		"flag provided but not defined: -nope":                        {"-nope"},
	} {
		var errb bytes.Buffer
		if code := run(context.Background(), args, &bytes.Buffer{}, &errb); code != 2 || !strings.Contains(errb.String(), want) {
			t.Errorf("%v: exit %d, %s", args, code, errb.String())
		}
	}
}

// TestDirectories: a directory does where a repository is expected (-apt,
// -rpmmd), and a directory of sources files where one is (-sources); a
// path that is not a directory says so.
func TestDirectories(t *testing.T) {
	fx := repotest.Fixtures(t)
	o, code, stderr := runJSON(t, "-now", "2026-11-02", "-apt", filepath.Join(fx, "apt/v1"), "-suite", "stable", "-arch", "amd64",
		"-keyring", filepath.Join(fx, "keys/archive-a.gpg"))
	if code != 0 || stderr != "" || len(o.Repositories) != 1 || o.Repositories[0].Packages != 4 || !o.Repositories[0].Verified ||
		!strings.HasPrefix(o.Repositories[0].Name, "file:///") {
		t.Fatalf("-apt DIR: %d %s %+v", code, stderr, o)
	}
	o, code, _ = runJSON(t, "-now", "2026-11-02", "-apt", filepath.Join(fx, "apt/v1/dists/stable"), "-arch", "amd64",
		"-keyring", filepath.Join(fx, "keys/archive-a.gpg"))
	if code != 0 || len(o.Repositories) != 1 || o.Repositories[0].Packages != 4 || !strings.HasSuffix(o.Repositories[0].Name, "/apt/v1 stable") {
		t.Fatalf("-apt DIR/dists/SUITE: %d %+v", code, o)
	}
	for _, flag := range []string{"-apt", "-rpmmd"} {
		o, code, _ = runJSON(t, flag, filepath.Join(fx, "keys/archive-a.gpg"), "-suite", "stable", "-arch", "amd64")
		if code != 1 || len(o.Repositories) != 1 || o.Repositories[0].Error == nil || !strings.Contains(*o.Repositories[0].Error, "archive-a.gpg is not a directory: a repository is a URL or a directory") {
			t.Fatalf("%s FILE: %d %+v", flag, code, o)
		}
		o, code, _ = runJSON(t, flag, filepath.Join(fx, "no-such-dir"), "-suite", "stable", "-arch", "amd64")
		if code != 1 || len(o.Repositories) != 1 || o.Repositories[0].Error == nil || !strings.Contains(*o.Repositories[0].Error, "no-such-dir: no such file or directory") {
			t.Fatalf("%s missing: %d %+v", flag, code, o)
		}
	}

	// -sources DIR: the .list and .repo files in name order; a note for the rest.
	aptSrv := repotest.Serve(t, filepath.Join(fx, "apt/v1"))
	rpmSrv := repotest.Serve(t, filepath.Join(fx, "rpm"))
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "keys"), 0o755)
	for _, k := range []string{"archive-a.gpg", "RPM-GPG-KEY-patchkit-test"} {
		data, _ := os.ReadFile(filepath.Join(fx, "keys", k))
		os.WriteFile(filepath.Join(root, "keys", k), data, 0o644)
	}
	dir := filepath.Join(root, "sources.d")
	os.MkdirAll(filepath.Join(dir, "subdir.list"), 0o755)
	os.WriteFile(filepath.Join(dir, "b.list"), []byte("deb [arch=amd64 signed-by=/keys/archive-a.gpg] "+aptSrv.URL+" stable main\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "a.repo"), []byte("[pk]\nbaseurl="+rpmSrv.URL+"/updates-$basearch\nrepo_gpgcheck=1\ngpgkey=file:///keys/RPM-GPG-KEY-patchkit-test\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.list.save"), []byte("deb http://127.0.0.1:1/ stable main\n"), 0o644)
	o, code, stderr = runJSON(t, "-now", "2026-11-02T00:00:00Z", "-root", root, "-sources", dir, "-vars", "basearch=bz2")
	if code != 0 || len(o.Repositories) != 2 || o.Repositories[0].Name != "pk" || o.Repositories[0].Advisories != 5 ||
		o.Repositories[1].Packages != 4 || !o.Repositories[1].Verified {
		t.Fatalf("-sources DIR: %d %+v", code, o)
	}
	if want := "repoinfo: -sources: ignoring " + filepath.Join(dir, "b.list.save") + ": not a .list, .sources or .repo file\n"; stderr != want {
		t.Fatalf("stderr %q, want %q", stderr, want)
	}
	empty := t.TempDir()
	o, code, _ = runJSON(t, "-sources", empty)
	if code != 1 || len(o.Repositories) != 1 || o.Repositories[0].Error == nil || *o.Repositories[0].Error != empty+" holds no .list, .sources or .repo file" {
		t.Fatalf("-sources EMPTY: %d %+v", code, o)
	}
}

// TestBoundedReads: a keyring or a sources file that is a device never
// ending is read up to its limit and refused, exit 1.
func TestBoundedReads(t *testing.T) {
	var errb bytes.Buffer
	code := run(context.Background(), []string{"-cache", t.TempDir(), "-rpmmd", t.TempDir(), "-keyring", "/dev/zero"}, &bytes.Buffer{}, &errb)
	if code != 1 || errb.String() != "repoinfo: /dev/zero: larger than 10485760 bytes\n" {
		t.Fatalf("-keyring /dev/zero: %d %q", code, errb.String())
	}
	o, code, _ := runJSON(t, "-sources", "/dev/zero")
	if code != 1 || len(o.Repositories) != 1 || *o.Repositories[0].Error != "/dev/zero: larger than 16777216 bytes" {
		t.Fatalf("-sources /dev/zero: %d %+v", code, o)
	}
	// A line longer than apt's configuration parser takes says so.
	dir := t.TempDir()
	for _, name := range []string{"long.list", "long.sources"} {
		long := filepath.Join(dir, name)
		os.WriteFile(long, []byte("# the next line is too long\n# "+strings.Repeat("x", 2<<20)+"\n"), 0o644)
		o, code, _ = runJSON(t, "-sources", long)
		if code != 1 || len(o.Repositories) != 1 || o.Repositories[0].Error == nil ||
			*o.Repositories[0].Error != long+":2: line longer than the limit of 1048576 bytes" {
			t.Fatalf("long line: %d %+v", code, o)
		}
	}
}

// TestUnverifiedAndWeak: an rpm-md repository read without a keyring is
// never a plain success, and one that gives only SHA-1 checksums is refused
// with the flag that accepts it named; both opt-ins work.
func TestUnverifiedAndWeak(t *testing.T) {
	fx := repotest.Fixtures(t)
	o, code, stderr := runJSON(t, "-rpmmd", filepath.Join(fx, "rpm/updates-gz"))
	if code != 1 || len(o.Repositories) != 1 {
		t.Fatalf("code %d %+v", code, o)
	}
	e := o.Repositories[0]
	if e.Error != nil || e.Verified || e.Unverified == nil || !strings.Contains(*e.Unverified, "no keyring") || e.Packages != 3 {
		t.Fatalf("unverified: %+v", e)
	}
	if !strings.Contains(stderr, "NOT VERIFIED") || !strings.Contains(stderr, "-allow-unverified") {
		t.Fatalf("stderr: %s", stderr)
	}
	if _, code, _ := runJSON(t, "-rpmmd", filepath.Join(fx, "rpm/updates-gz"), "-allow-unverified"); code != 0 {
		t.Fatalf("-allow-unverified: code %d", code)
	}
	// The text table shows it too.
	var out, errb bytes.Buffer
	run(context.Background(), []string{"-cache", t.TempDir(), "-rpmmd", filepath.Join(fx, "rpm/updates-gz")}, &out, &errb)
	if !strings.Contains(out.String(), "NO") {
		t.Fatalf("table: %s", out.String())
	}

	old := filepath.Join(fx, "rpm-old/sha-baseurl")
	o, code, stderr = runJSON(t, "-rpmmd", old, "-allow-unverified")
	if code != 1 || o.Repositories[0].Error == nil || !strings.Contains(*o.Repositories[0].Error, "weak checksum") {
		t.Fatalf("weak: %d %+v", code, o)
	}
	if !strings.Contains(stderr, "-allow-weak-checksums") {
		t.Fatalf("stderr: %s", stderr)
	}
	o, code, _ = runJSON(t, "-rpmmd", old, "-allow-unverified", "-allow-weak-checksums")
	if e := o.Repositories[0]; code != 0 || e.Error != nil || !e.WeakChecksums || e.Packages == 0 {
		t.Fatalf("weak accepted: %d %+v", code, o)
	}
}
