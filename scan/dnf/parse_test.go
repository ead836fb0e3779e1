package dnf_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dnf"
)

// checkUpdateRow is an independent reading of a check-update row, for
// comparison: "name.arch  evr  repo" on one line, or the name alone with
// the rest on the next, indented line.
var checkUpdateRow = regexp.MustCompile(`^(\S+)\.(\S+)\s+(\S+)\s+(\S+)\s*$`)

// countRows counts the rows of a check-update table before its
// "Obsoleting Packages" section, with a regular expression over the text
// with wrapped rows joined.
func countRows(text string) int {
	text, _, _ = strings.Cut(text, "Obsoleting Packages")
	text = regexp.MustCompile(`\n\s{10,}`).ReplaceAllString(text, " ")
	n := 0
	for _, l := range strings.Split(text, "\n") {
		if checkUpdateRow.MatchString(l) {
			n++
		}
	}
	return n
}

// TestParseCheckUpdateOsconfig parses yum 3 (CentOS 7, RHEL 7) and dnf 4
// (Oracle Linux 8) check-update output captured by osconfig's test suite.
func TestParseCheckUpdateOsconfig(t *testing.T) {
	for _, tc := range []struct {
		file       string
		obsoleting int
		probe      string // a row that must be there: name.arch evr repo
		wrapped    string
		pair       string // by -> obsoleted
	}{
		{"centos-7-1.yum-check-update.stdout", 1, "bind-export-libs.x86_64 32:9.11.4-26.P2.el7_9.16 updates",
			"google-compute-engine-oslogin.x86_64 1:20240415.00-g1.el7 google-compute-engine",
			"google-cloud-cli-0:519.0.0-1.x86_64 -> google-cloud-sdk-0:455.0.0-1.x86_64 @google-cloud-sdk"},
		{"rhel-7-1.yum-check-update.stdout", 1, "redhat-release-server.x86_64 0:7.9-12.el7_9 rhui-rhel-7-server-rhui-rpms",
			"redhat-support-lib-python.noarch 0:0.14.0-1.el7_9 rhui-rhel-7-server-rhui-rpms",
			"google-cloud-cli-0:519.0.0-1.x86_64 -> google-cloud-sdk-0:455.0.0-1.x86_64 @google-cloud-sdk"},
		{"oracle-linux-8.yum-check-update.stdout", 7, "iwl5000-firmware.noarch 999:8.83.5.1_1-999.39.el8 ol8_baseos_latest",
			"microcode_ctl.x86_64 4:20250211-1.0.1.el8_10 ol8_baseos_latest",
			"kernel-headers-0:4.18.0-553.50.1.el8_10.x86_64 -> kernel-headers-0:4.18.0-553.45.1.el8_10.x86_64 @System"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("../../testdata/dnf/osconfig", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			cu, err := dnf.ParseCheckUpdate(b)
			if err != nil {
				t.Fatal(err)
			}
			if want := countRows(string(b)); len(cu.Updates) != want || want == 0 {
				t.Errorf("%d updates, the regular expression counts %d", len(cu.Updates), want)
			}
			rows := map[string]bool{}
			for _, u := range cu.Updates {
				rows[u.QualifiedName()+" "+u.EVR()+" "+u.Repository] = true
			}
			for _, want := range []string{tc.probe, tc.wrapped} {
				if !rows[want] {
					t.Errorf("no row %q", want)
				}
			}
			if len(cu.Obsoleting) != tc.obsoleting {
				t.Errorf("%d obsoleting pairs, want %d", len(cu.Obsoleting), tc.obsoleting)
			}
			last := cu.Obsoleting[len(cu.Obsoleting)-1]
			if got := last.By.NEVRA() + " -> " + last.Obsoletes.NEVRA() + " " + last.Obsoletes.Repository; got != tc.pair {
				t.Errorf("last obsoleting pair %q, want %q", got, tc.pair)
			}
		})
	}
}

// TestParseRecordings parses what dnf printed on the testbed, in every
// variant recorded.
func TestParseRecordings(t *testing.T) {
	want := []string{"kernel-tb-0:5.1-1.noarch", "tb-hello-0:1.1-1.noarch", "tb-lib-1:2.0-2.noarch", "tb-multi-0:1.3-1.noarch"}
	for _, name := range []string{"check-update.txt", "check-update-verbose.txt"} {
		cu, err := dnf.ParseCheckUpdate(loadRecording(t, name).Stdout)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range cu.Updates {
			got = append(got, u.NEVRA())
			if u.Repository != "tb-updates" {
				t.Errorf("%s: %s from %q", name, u.NEVRA(), u.Repository)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	rec := loadRecording(t, "check-update-priority.txt")
	if cu, err := dnf.ParseCheckUpdate(rec.Stdout); err != nil || len(cu.Updates) != 0 || rec.Exit != 0 {
		t.Errorf("priority: %+v %v (exit %d), want nothing and exit 0", cu, err, rec.Exit)
	}

	rows, err := dnf.ParseRepoquery(loadRecording(t, "repoquery-upgrades.txt").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.NEVRA()+" "+r.Repository+" "+r.SourceName+" "+r.SourceVersion)
	}
	dups := strings.Fields(string(loadRecording(t, "repoquery-show-duplicates.txt").Stdout))
	if len(got) != len(dups) || !strings.HasPrefix(got[1], "tb-hello-0:1.1-1.noarch tb-updates tb-hello 1.1-1") {
		t.Errorf("repoquery rows %q; --show-duplicates lists %d", got, len(dups))
	}

	for _, name := range []string{"updateinfo-list.txt", "updateinfo-list-all-v.txt"} {
		es, err := dnf.ParseUpdateinfoList(loadRecording(t, name).Stdout)
		if err != nil {
			t.Fatal(err)
		}
		verbose := strings.Contains(name, "-v")
		var s []string
		for _, e := range es {
			s = append(s, e.ID+" "+e.Label+" "+e.Package.NEVRA())
			if e.Installed || e.Updated.IsZero() == verbose {
				t.Errorf("%s: %+v", name, e)
			}
		}
		if len(s) != 6 || s[2] != "TBSA-2026:0001 Important/Sec. tb-lib-1:2.0-2.noarch" || s[4] != "TBSA-2026:0005 Moderate/Sec. tb-multi-0:1.2-1.noarch" {
			t.Errorf("%s: %q", name, s)
		}
		if verbose && !es[0].Updated.Equal(time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: date %v", name, es[0].Updated)
		}
	}
	for _, name := range []string{"updateinfo-info.txt", "updateinfo-info-all-v.txt"} {
		infos, err := dnf.ParseUpdateinfoInfo(loadRecording(t, name).Stdout)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 6 {
			t.Fatalf("%s: %d advisories, want 6", name, len(infos))
		}
		k := infos[0]
		if k.ID != "TBSA-2026:0003" || k.Type != "security" || k.Severity != "Critical" || !slices.Equal(k.CVEs, []string{"CVE-2026-0003"}) ||
			k.Title != "Critical: kernel-tb security update" || k.Description != "Critical: kernel-tb security update." ||
			!k.Updated.Equal(time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: first advisory %+v", name, k)
		}
		if strings.Contains(name, "-v") != (len(k.Files) == 1 && k.Files[0] == "kernel-tb-5.1-1.noarch.rpm" && k.Installed == "false") {
			t.Errorf("%s: files %q installed %q", name, k.Files, k.Installed)
		}
		if b := infos[3]; b.Type != "bugfix" || b.Severity != "None" || len(b.CVEs) != 0 {
			t.Errorf("%s: %+v", name, b)
		}
	}
}

// TestParseErrors: malformed output is an error that names the line.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parse func([]byte) error
		in    string
		line  int
	}{
		{"repoquery: six fields", func(b []byte) error { _, err := dnf.ParseRepoquery(b); return err },
			"a\t0\t1\t1\tnoarch\tr\ta-1-1.src.rpm\nb\t0\t1\t1\tnoarch\tr\n", 2},
		{"repoquery: bad epoch", func(b []byte) error { _, err := dnf.ParseRepoquery(b); return err },
			"a\tx\t1\t1\tnoarch\tr\ta-1-1.src.rpm\n", 1},
		{"repoquery: bad name", func(b []byte) error { _, err := dnf.ParseRepoquery(b); return err },
			"-a\t0\t1\t1\tnoarch\tr\ta-1-1.src.rpm\n", 1},
		{"repoquery: a stray message", func(b []byte) error { _, err := dnf.ParseRepoquery(b); return err },
			"a\t0\t1\t1\tnoarch\tr\ta-1-1.src.rpm\nFailed to load plugin foo\n", 2},
		{"check-update: four fields", func(b []byte) error { _, err := dnf.ParseCheckUpdate(b); return err },
			"\nfoo.x86_64  1.0-1  repo  extra\n", 2},
		{"check-update: no arch", func(b []byte) error { _, err := dnf.ParseCheckUpdate(b); return err },
			"foo  1.0-1  repo\n", 1},
		{"check-update: wrapped name at the end", func(b []byte) error { _, err := dnf.ParseCheckUpdate(b); return err },
			"foo.x86_64 1.0-1 repo\nvery-long-name.x86_64\n", 2},
		{"check-update: continuation not indented", func(b []byte) error { _, err := dnf.ParseCheckUpdate(b); return err },
			"very-long-name.x86_64\n1.0-1 repo\n", 2},
		{"check-update: obsoleted without obsoleter", func(b []byte) error { _, err := dnf.ParseCheckUpdate(b); return err },
			"Obsoleting Packages\n    old.x86_64 1.0-1 @System\n", 2},
		{"check-update: indented row in the table", func(b []byte) error { _, err := dnf.ParseCheckUpdate(b); return err },
			"    old.x86_64 1.0-1 @System\n", 1},
		{"updateinfo list: unknown label", func(b []byte) error { _, err := dnf.ParseUpdateinfoList(b); return err },
			"X-1 bugfix a-1-1.noarch\nX-2 weird a-2-1.noarch\n", 2},
		{"updateinfo list: bad date", func(b []byte) error { _, err := dnf.ParseUpdateinfoList(b); return err },
			"X-1 bugfix a-1-1.noarch 2026-13-01 00:00:00\n", 1},
		{"updateinfo list: no arch", func(b []byte) error { _, err := dnf.ParseUpdateinfoList(b); return err },
			"X-1 bugfix a-1-1\n", 1},
		{"updateinfo info: no rule", func(b []byte) error { _, err := dnf.ParseUpdateinfoInfo(b); return err },
			"  Update ID: X-1\n", 1},
		{"updateinfo info: unknown label", func(b []byte) error { _, err := dnf.ParseUpdateinfoInfo(b); return err },
			strings.Repeat("=", 79) + "\n  t\n" + strings.Repeat("=", 79) + "\n  Update ID: X-1\n       Type: bugfix\n     Colour: red\n", 6},
		{"updateinfo info: no ID", func(b []byte) error { _, err := dnf.ParseUpdateinfoInfo(b); return err },
			strings.Repeat("=", 79) + "\n  t\n" + strings.Repeat("=", 79) + "\n       Type: bugfix\n\n", 5},
		{"updateinfo info: bad date", func(b []byte) error { _, err := dnf.ParseUpdateinfoInfo(b); return err },
			strings.Repeat("=", 79) + "\n  t\n" + strings.Repeat("=", 79) + "\n  Update ID: X-1\n    Updated: yesterday\n", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse([]byte(tc.in))
			var oe *dnf.OutputError
			if !errors.As(err, &oe) || !errors.Is(err, patchkit.ErrInvalid) {
				t.Fatalf("error %v, want an *OutputError", err)
			}
			if oe.Line != tc.line {
				t.Fatalf("error %v names line %d, want %d", err, oe.Line, tc.line)
			}
		})
	}
}
