package zypper

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// TestParseOutputErrors: output that is not what zypper writes is an
// *OutputError naming the line, never a partial plan.
func TestParseOutputErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int
		msg  string
	}{
		{"<stream>\n<install-summary download-size=\"x\">", 2, "is not a number"},
		{"<stream>\n<install-summary>\n<to-frobnicate>\n", 3, "unknown install summary group"},
		{"<stream>\n<install-summary>\n<to-upgrade>\n<solvable type=\"package\" name=\"a\"/>", 4, "without a kind, name or edition"},
		{"<update-status>\n</update-status>", 1, "root element"},
		{"<stream>\n<message type=\"info\">unclosed\n</stream>", 3, "malformed XML"},
		{"<!DOCTYPE stream [<!ENTITY x \"y\">]><stream/>", 1, "malformed XML"},
		{"<stream>\n<install-summary>\n<install-summary>", 3, "inside another"},
		{"<stream><prompt id=\"1\"><text>x</text>", 1, ""},
	} {
		_, err := ParseOutput("test", strings.NewReader(tc.in))
		var oe *OutputError
		if !errors.As(err, &oe) || !errors.Is(err, patchkit.ErrInvalid) || (tc.line > 0 && oe.Line != tc.line) || !strings.Contains(oe.Msg, tc.msg) {
			t.Errorf("%q: %v", tc.in, err)
		}
	}
	// a solvable whose edition is not version-release
	o, err := ParseOutput("test", strings.NewReader(`<stream><install-summary><to-install><solvable type="package" name="a" edition="1" arch="noarch"/></to-install></install-summary></stream>`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Actions(); !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("edition without release: %v", err)
	}
}

// TestActionsOfSummaryGroups reads an install summary with every group
// zypper's Summary::dumpAsXmlTo writes, in its format (zypper 1.14 writes
// type=, the schema kind=). This summary is written for the test, not
// recorded: the testbed has no vendor or architecture changes.
func TestActionsOfSummaryGroups(t *testing.T) {
	const in = `<?xml version='1.0'?>
<stream>
<install-summary download-size="100" space-usage-diff="-5">
<to-upgrade>
<solvable type="package" name="a" edition="1:2-1" arch="x86_64" edition-old="1:1-1" arch-old="noarch" summary="a"/>
<solvable type="product" name="SLES" edition="15.6-0" arch="x86_64" edition-old="15.5-0" arch-old="x86_64"/>
</to-upgrade>
<to-downgrade>
<solvable kind="package" name="b" edition="1-1" arch="noarch" edition-old="2-1" arch-old="noarch">
<description>b</description></solvable>
</to-downgrade>
<to-install>
<solvable type="package" name="c" edition="3-1" arch="noarch"/>
<solvable type="patch" name="SUSE-2024-1" edition="1" arch="noarch"/>
</to-install>
<to-reinstall>
<solvable type="package" name="d" edition="4-1" arch="noarch" edition-old="4-1" arch-old="noarch"/>
</to-reinstall>
<to-remove>
<solvable type="package" name="e" edition="5-1" arch="noarch"/>
</to-remove>
<to-change-arch>
<solvable type="package" name="a" edition="1:2-1" arch="x86_64" edition-old="1:1-1" arch-old="noarch"/>
<solvable type="package" name="f" edition="6-1" arch="x86_64" edition-old="6-1" arch-old="i586"/>
</to-change-arch>
<to-change-vendor>
<solvable type="package" name="d" edition="4-1" arch="noarch" edition-old="4-1" arch-old="noarch"/>
</to-change-vendor>
</install-summary>
<install-summary download-size="1" space-usage-diff="2"/>
</stream>
`
	o, err := ParseOutput("test", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	p, err := o.plan()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Actions {
		got = append(got, a.String())
	}
	want := []string{
		"upgrade a.x86_64 1:1-1 -> 1:2-1",
		"downgrade b.noarch 0:2-1 -> 0:1-1",
		"install c.noarch 0:3-1",
		"reinstall d.noarch 0:4-1 -> 0:4-1",
		"remove e.noarch 0:5-1",
		"install f.x86_64 0:6-1",
		"remove f.i586 0:6-1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("actions\n got %q\nwant %q", got, want)
	}
	if p.DownloadSize != 101 || p.InstalledSizeChange != -3 {
		t.Errorf("sizes %d %d", p.DownloadSize, p.InstalledSizeChange)
	}
	o, _ = ParseOutput("test", strings.NewReader(`<stream><install-summary/></stream>`))
	if p, _ := o.plan(); p.DownloadSize != -1 || p.InstalledSizeChange != -1 {
		t.Errorf("sizes without attributes: %d %d", p.DownloadSize, p.InstalledSizeChange)
	}
}

// TestFailures reads rpm's and zypper's failure lines in their other
// forms: a scriptlet killed by a signal, a failing %preun of the old
// version, a removal zypper reports failed; other messages name nothing.
func TestFailures(t *testing.T) {
	got := failures([]string{
		"Additional rpm output:\nwarning: %postun(x-1:1.0-1.x86_64) scriptlet failed, signal 9\n",
		"Removal of y-2-1.noarch failed:\nError: Subprocess failed. Error: RPM failed: error: %preun(y-2-1.noarch) scriptlet failed, exit status 1\n",
		"Additional rpm output:\nwarning: %postun(x-1:1.0-1.x86_64) scriptlet failed, signal 9\n",
		"Problem occurred during or after installation or removal of packages:\nInstallation has been aborted as directed.",
		"System management is locked by the application with pid 1 (zypper).",
	})
	want := []plan.Failure{
		{Name: "x", Arch: "x86_64", Reason: "%postun scriptlet failed, signal 9 (state: installed; rpm keeps a package whose %postun scriptlet fails)"},
		{Name: "y", Arch: "noarch", Reason: "removal failed: error: %preun(y-2-1.noarch) scriptlet failed, exit status 1 (state: not removed)"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("failures\n got %+v\nwant %+v", got, want)
	}
}

// FuzzParseOutput: no input makes the parser panic or return a plan with
// an error; errors are typed.
func FuzzParseOutput(f *testing.F) {
	recs, err := run.LoadRecordings(os.DirFS(recordDir), "*/*.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range recs {
		f.Add(r.Stdout)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseOutput("fuzz", strings.NewReader(string(b)))
		if err != nil {
			var oe *OutputError
			if !errors.As(err, &oe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if _, err := o.plan(); err != nil && !errors.Is(err, patchkit.ErrInvalid) {
			t.Fatalf("untyped error %v", err)
		}
		failures(o.texts())
	})
}
