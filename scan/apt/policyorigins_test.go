package apt

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// TestPackageFilesRecorded reads the recorded package files (apt-cache
// policy without operands) of every scenario, and checks them against
// apt's own strings of the same run: every origin apt-get -s printed is
// the origin of one of the package files.
func TestPackageFilesRecorded(t *testing.T) {
	for _, sc := range []struct{ files, aptGet string }{
		{"testbed-archives-apt-cache-policy2", "testbed-archives-apt-get"},
		{"testbed-archives-installed-apt-cache-policy2", "testbed-archives-installed-apt-get"},
		{"testbed-private-installed-apt-cache-policy2", "testbed-private-installed-apt-get"},
		{"testbed-private-allversions-apt-cache-policy2", "testbed-private-allversions-apt-get"},
		{"testbed-private-describe-apt-cache-policy2", "testbed-private-describe-apt-get"},
		{"testbed-chroot-installed-apt-cache-policy2", "testbed-chroot-installed-apt-get"},
		{"host-installed-apt-cache-policy2", "host-installed-apt-get"},
	} {
		t.Run(sc.files, func(t *testing.T) {
			rec := loadRecording(t, sc.files)
			if slices.Contains(rec.Argv, "--") {
				t.Fatalf("%v: not the call without operands", rec.Argv)
			}
			files, err := parsePackageFiles(rec.Stdout)
			if err != nil {
				t.Fatal(err)
			}
			var origins []string
			for desc, f := range files {
				if strings.HasSuffix(desc, "/var/lib/dpkg/status") {
					if f.archive != "now" {
						t.Errorf("%s: %+v", desc, f)
					}
					continue
				}
				origins = append(origins, f.origin())
			}
			sim, err := ParseSimulation(loadRecording(t, sc.aptGet).Stdout)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, a := range sim.Actions {
				for _, og := range a.Origins {
					n++
					if !slices.Contains(origins, og.Text) {
						t.Errorf("apt-get printed origin %q; the package files give %q", og.Text, origins)
					}
				}
			}
			if n == 0 {
				t.Fatal("no origin in the apt-get output")
			}
		})
	}
	// Debian's files, as this machine's apt read them.
	files, err := parsePackageFiles(loadRecording(t, "host-installed-apt-cache-policy2").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := files["http://deb.debian.org/debian-security bookworm-security/main amd64 Packages"]
	if !ok || f.origin() != "Debian-Security:12/oldstable-security" || f.site != "deb.debian.org" {
		t.Errorf("bookworm-security: %+v (listed %v)", f, ok)
	}
}

// TestKeptBackOrigin: the candidate of the package apt keeps back (qux,
// replayed from the testbed) gets the origin apt-get prints for the other
// versions of its suite, not apt-cache policy's description of its file.
// (Before: "file:/tmp/.../localrepo local/main" beside "Local:1.0/local".)
func TestKeptBackOrigin(t *testing.T) {
	inv, err := dpkg.ParseQuery(loadRecording(t, "testbed-archives-dpkg-query").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	r := run.NewReplay(loadRecording(t, "testbed-archives-apt-get"), loadRecording(t, "testbed-archives-apt-cache-policy"),
		loadRecording(t, "testbed-archives-apt-cache-policy2"))
	ps, err := NativeUpdates(t.Context(), r, inv)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]patchkit.Patch{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	if q, bar := byName["qux"], byName["bar"]; q.Repository != "Local:1.0/local" || q.Repository != bar.Repository || !q.Candidate {
		t.Errorf("qux %q, bar (from apt-get -s) %q", q.Repository, bar.Repository)
	}
	if calls := r.Calls(); len(calls) != 3 {
		t.Errorf("%d commands, want 3", len(calls))
	}
}

// TestPackageFilesErrors: the recorded package files, damaged, give an
// *OutputError naming the line; a version from a file apt does not list
// among them is an *OutputError too.
func TestPackageFilesErrors(t *testing.T) {
	out := string(loadRecording(t, "testbed-archives-apt-cache-policy2").Stdout)
	lineOf := func(s string) int {
		i := strings.Index(out, s)
		if i < 0 {
			t.Fatalf("%q not in the recording", s)
		}
		return strings.Count(out[:i], "\n") + 1
	}
	local := " 500 file:/tmp/pm-testbed/clones/"
	for _, tc := range []struct {
		name, stdout string
		line         int
		reason       string
	}{
		{"no header", strings.Replace(out, "Package files:\n", "", 1), 1, `want the "Package files:" line first`},
		{"cut short", out[:strings.Index(out, "Pinned packages:")], 0, `no "Pinned packages:" line`},
		{"no files", "Package files:\nPinned packages:\n", 2, "no package file listed"},
		{"priority not a number", strings.Replace(out, local, " high file:/tmp/pm-testbed/clones/", 1), lineOf(local), "want a package file line"},
		{"file twice", strings.Replace(out, "Pinned packages:\n", out[strings.Index(out, local):strings.Index(out, local)+strings.Index(out[strings.Index(out, local):], "\n")+1]+"Pinned packages:\n", 1),
			strings.Count(out[:strings.Index(out, "Pinned packages:")], "\n") + 1, "package file listed twice"},
		{"release first", strings.Replace(out, "Package files:\n", "Package files:\n     release a=now\n", 1), 2, "release line before the first file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.stdout == out {
				t.Fatal("the damage changed nothing")
			}
			_, err := parsePackageFiles([]byte(tc.stdout))
			var oe *OutputError
			if !errors.As(err, &oe) || !errors.Is(err, patchkit.ErrInvalid) || oe.Command != filesCmd {
				t.Fatalf("got %v, want an *OutputError", err)
			}
			if oe.Line != tc.line || !strings.Contains(oe.Reason, tc.reason) {
				t.Errorf("got %q (line %d), want line %d and %q", err, oe.Line, tc.line, tc.reason)
			}
		})
	}

	// qux's file left out of the package files.
	inv, err := dpkg.ParseQuery(loadRecording(t, "testbed-archives-dpkg-query").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	files := loadRecording(t, "testbed-archives-apt-cache-policy2")
	lines := strings.SplitAfter(out, "\n")
	var kept []string
	for i := 0; i < len(lines); i++ {
		if strings.Contains(lines[i], "localrepo local/main amd64 Packages") {
			i++ // and its release line
			continue
		}
		kept = append(kept, lines[i])
	}
	files.Stdout = []byte(strings.Join(kept, ""))
	_, err = NativeUpdates(t.Context(), run.NewReplay(loadRecording(t, "testbed-archives-apt-get"), loadRecording(t, "testbed-archives-apt-cache-policy"), files), inv)
	var oe *OutputError
	if !errors.As(err, &oe) || oe.Command != filesCmd || !strings.HasSuffix(oe.Text, "localrepo local/main amd64 Packages") || !strings.Contains(oe.Reason, "not among the package files") {
		t.Errorf("got %v, want an *OutputError about qux's file", err)
	}
}

// TestReleaseFields: a value with a comma (a label "Acme, Inc.") stays
// whole; the keys are apt's.
func TestReleaseFields(t *testing.T) {
	got := releaseFields("v=12,o=Acme, Inc.,a=stable,l=Acme, Inc. Main,c=main,b=amd64")
	want := map[string]string{"v": "12", "o": "Acme, Inc.", "a": "stable", "l": "Acme, Inc. Main", "c": "main", "b": "amd64"}
	if len(got) != len(want) {
		t.Fatalf("%q", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	if f := (packageFile{label: "Acme, Inc. Main", version: "12", archive: "stable"}); f.origin() != "Acme, Inc. Main:12/stable" {
		t.Errorf("origin %q", f.origin())
	}
	if f := (packageFile{site: "mirror.example.org"}); f.origin() != "mirror.example.org" {
		t.Errorf("origin without a Release %q", f.origin())
	}
}
