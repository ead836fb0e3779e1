package compliance_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/repo"
)

// update is -update (defined in golden_test.go): rewrite the golden files in
// testdata/.
var update = compliance.Update

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to create it", t.Name())
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the output (go test -update rewrites it); got:\n%s", path, got)
	}
}

func render(t *testing.T, write func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, write(&buf))
	// Rendering is deterministic: a second rendering is the same bytes.
	var again bytes.Buffer
	require.NoError(t, write(&again))
	require.Equal(t, buf.String(), again.String())
	return buf.Bytes()
}

func TestFleetGolden(t *testing.T) {
	f := fixtureAggregate(t, fixtureFleet(t))
	golden(t, "fleet.txt", render(t, func(b *bytes.Buffer) error { return f.WriteText(b) }))
	golden(t, "fleet.html", render(t, func(b *bytes.Buffer) error { return f.WriteHTML(b, "Patch compliance: example fleet") }))
}

func TestNodeGolden(t *testing.T) {
	r := fixtureNode(t)
	golden(t, "node.txt", render(t, func(b *bytes.Buffer) error { return r.WriteText(b) }))
	golden(t, "node.html", render(t, func(b *bytes.Buffer) error { return r.WriteHTML(b) }))
}

// TestNodeUnknownGolden: a node whose amazonlinux repository could not be
// read is UNKNOWN, in its own colour, and both renderings list the
// repository with its health and reason.
func TestNodeUnknownGolden(t *testing.T) {
	r := fixtureUnknownNode(t)
	require.Equal(t, patchkit.ComplianceUnknown, r.Summary.Status)
	text := render(t, func(b *bytes.Buffer) error { return r.WriteText(b) })
	page := render(t, func(b *bytes.Buffer) error { return r.WriteHTML(b) })
	golden(t, "node-unknown.txt", text)
	golden(t, "node-unknown.html", page)

	assert.Contains(t, string(text), "\nStatus:                 UNKNOWN\n")
	assert.Contains(t, string(text), "\nRepositories:           2, 1 not OK\n")
	assert.Regexp(t, `\namazonlinux +UNREADABLE +no +- +amazonlinux repodata/primary.xml.gz: has unexpected size \(1048576 != 41822512\)\n`, string(text))
	assert.NotContains(t, string(text), "kernel-livepatch", "only the repositories that are not OK are listed")
	assert.Contains(t, string(page), `<span class="badge unk">UNKNOWN</span>`)
	assert.Contains(t, string(page), `<section class="card unk" id="repositories"><h2>Repositories not OK (1 of 2)</h2>`)
	assert.Equal(t, 1, strings.Count(string(page), `<tr class="repo">`))
	assert.Contains(t, string(page), `<td class="health">UNREADABLE</td>`)
	assert.NotContains(t, string(page), "badge ok")

	// The other pages have no such section.
	var ok bytes.Buffer
	require.NoError(t, fixtureNode(t).WriteHTML(&ok))
	assert.NotContains(t, ok.String(), `id="repositories"`)
	assert.Contains(t, ok.String(), "<dt>Repositories</dt><dd>2, all OK</dd>")
}

// hostile returns a report whose every free-text field tries to break out
// of the page.
func hostile(t *testing.T) *compliance.Report {
	t.Helper()
	r := *fixtureNode(t)
	r.Node.Hostname = "<script>alert(1)</script>"
	r.Node.InstanceID = `"><img src=x onerror=alert(2)>`
	r.Node.PatchGroup = "</title><script>alert(3)</script>"
	r.BaselineID = "javascript:alert(4)"
	r.Items = append([]compliance.Item(nil), r.Items...)
	r.Items[0].KBID = "<svg onload=alert(5)>"
	r.Items[0].Title = `" onmouseover="alert(6)`
	r.Items[0].Classification = "</td></tr></table><script>alert(7)</script>"
	r.Items[0].CVEIDs = []string{"<iframe src=//evil>"}
	r.Items[0].Status = patchkit.NonCompliant
	r.Items[0].State = compliance.Missing
	r.Repositories = []repo.Status{{Name: "<script>alert(9)</script>", Health: repo.HealthUnsigned,
		Reason: `<img src=x onerror=alert(10)>`}}
	return &r
}

func assertInert(t *testing.T, page string) {
	t.Helper()
	lower := strings.ToLower(page)
	for _, bad := range []string{"<script", "<img", "<iframe", "<svg onload", `" onmouseover`} {
		assert.NotContains(t, lower, bad)
	}
	head, _, ok := strings.Cut(lower, "</head>")
	require.True(t, ok)
	assert.Equal(t, 1, strings.Count(head, "<title>"))
}

func TestHTMLEscaping(t *testing.T) {
	r := hostile(t)
	var page bytes.Buffer
	require.NoError(t, r.WriteHTML(&page))
	out := page.String()
	assertInert(t, out)
	assert.Contains(t, out, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Contains(t, out, "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;")
	assert.Contains(t, out, "&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;")
	assert.Contains(t, out, "&lt;svg onload=alert(5)&gt;")
	assert.Contains(t, out, `title="&#34; onmouseover=&#34;alert(6)"`)
	assert.Contains(t, out, "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;alert(7)&lt;/script&gt;")
	assert.Contains(t, out, "&lt;iframe src=//evil&gt;")
	assert.Contains(t, out, "<tr class=\"repo\"><td>&lt;script&gt;alert(9)&lt;/script&gt;</td>")
	assert.Contains(t, out, "<td class=\"reason\">&lt;img src=x onerror=alert(10)&gt;</td>")

	// The fleet page: patch group names, patch IDs (in the table and the
	// chart) and the title.
	f := fixtureAggregate(t, []*compliance.Report{r})
	page.Reset()
	require.NoError(t, f.WriteHTML(&page, "<script>alert(8)</script>"))
	out = page.String()
	assertInert(t, out)
	assert.Contains(t, out, "<title>&lt;script&gt;alert(8)&lt;/script&gt;</title>")
	assert.Contains(t, out, "<h1>&lt;script&gt;alert(8)&lt;/script&gt;</h1>")
	assert.Contains(t, out, "<td>&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;</td>")
	assert.Equal(t, 3, strings.Count(out, "&lt;svg onload=alert(5)&gt;"), "table, chart label and chart title")
}

// failingWriter fails every write.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestRenderErrors(t *testing.T) {
	diskFull := errors.New("disk full")
	w := failingWriter{diskFull}
	f := fixtureAggregate(t, fixtureFleet(t))
	r := fixtureNode(t)
	for name, err := range map[string]error{
		"fleet text": f.WriteText(w), "fleet html": f.WriteHTML(w, "x"),
		"node text": r.WriteText(w), "node html": r.WriteHTML(w),
	} {
		var re *compliance.RenderError
		require.ErrorAs(t, err, &re, name)
		assert.ErrorIs(t, err, diskFull, name)
		assert.Equal(t, strings.Fields(name)[1], re.Format, name)
		assert.Contains(t, err.Error(), "disk full", name)
	}

	var nilReport *compliance.Report
	var buf bytes.Buffer
	assert.ErrorIs(t, nilReport.WriteText(&buf), compliance.ErrNilReport)
	assert.ErrorIs(t, nilReport.WriteHTML(&buf), compliance.ErrNilReport)
	assert.Zero(t, buf.Len())
}

func TestTextControlCharacters(t *testing.T) {
	r := *fixtureNode(t)
	r.Node.Hostname = "evil\x1b[31mred\tcol\nline\xff"
	r.Items = append([]compliance.Item(nil), r.Items...)
	r.Items[0].KBID = "kb\twith\ttabs"
	r.Repositories = append([]repo.Status(nil), r.Repositories...)
	r.Repositories[0].Health = repo.HealthUnreadable
	r.Repositories[0].Reason = "line one\nFAKE-REPO  OK  yes\x1b[2J"
	var buf bytes.Buffer
	require.NoError(t, r.WriteText(&buf))
	out := buf.String()
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\t")
	assert.Contains(t, out, `evil\x1b[31mred\tcol\nline\xff`)
	assert.Contains(t, out, `kb\twith\ttabs`)
	assert.Contains(t, out, `line one\nFAKE-REPO  OK  yes\x1b[2J`)
	// One line per header field, a blank line, the repositories' heading,
	// column heads and one line, a blank line, the column heads and one
	// line per item: nothing was split.
	assert.Equal(t, 17+1+3+1+1+len(r.Items), strings.Count(out, "\n"))

	f := fixtureAggregate(t, []*compliance.Report{&r})
	f.Groups["grp\nsplit"] = f.Groups["prod"]
	buf.Reset()
	require.NoError(t, f.WriteText(&buf))
	assert.Contains(t, buf.String(), `grp\nsplit`)
	assert.NotContains(t, buf.String(), "\t")
}

func TestRenderEmpty(t *testing.T) {
	empty, err := compliance.Aggregate(func(func(*compliance.Report, error) bool) {}, 0)
	require.NoError(t, err)
	for name, f := range map[string]compliance.Fleet{"aggregate of nothing": empty, "zero Fleet": {}} {
		var text, page bytes.Buffer
		require.NoError(t, f.WriteText(&text), name)
		assert.Contains(t, text.String(), "Nodes: 0  compliant: 0  non-compliant: 0  unknown: 0  (- compliant)", name)
		assert.Contains(t, text.String(), "Top missing patches\n(none)\n", name)
		require.NoError(t, f.WriteHTML(&page, ""), name)
		assert.Contains(t, page.String(), "<title>Patch compliance</title>", name)
		assert.NotContains(t, page.String(), `class="seg"`, name)
		assert.Contains(t, page.String(), "No node misses a patch.", name)
		assert.Contains(t, page.String(), `<text class="small" x="8" y="24">nothing to show</text>`, name)
	}

	r := compliance.Report{Node: compliance.Node{InstanceID: "i-1"}, Summary: compliance.Summary{Status: patchkit.Compliant}}
	var text, page bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	assert.Contains(t, text.String(), "(no items)")
	assert.Contains(t, text.String(), "Severity:               -\n")
	require.NoError(t, r.WriteHTML(&page))
	assert.Contains(t, page.String(), "<title>Patch compliance: i-1</title>")
	assert.Contains(t, page.String(), `<span class="badge ok">COMPLIANT</span>`)
	assert.Contains(t, page.String(), "The report has no items.")

	// A report without a status is never shown as compliant.
	r.Summary.Status = ""
	page.Reset()
	require.NoError(t, r.WriteHTML(&page))
	assert.Contains(t, page.String(), `<span class="badge unk">UNKNOWN</span>`)
	assert.NotContains(t, page.String(), "badge ok")
}

func TestHTMLChartGeometry(t *testing.T) {
	// All compliant: one segment, the whole ring.
	f := compliance.Fleet{Overall: compliance.GroupState{Instances: 3, CompliantInstances: 3}}
	f.TopMissing = []compliance.PatchCount{
		{KBID: "a-very-long-package-name-that-goes-on-and-on.x86_64", Nodes: 4},
		{KBID: "short.noarch", Nodes: 1},
	}
	var page bytes.Buffer
	require.NoError(t, f.WriteHTML(&page, "t"))
	out := page.String()
	assert.Equal(t, 1, strings.Count(out, `class="seg"`))
	assert.Contains(t, out, `stroke="#1d8102" stroke-width="30" stroke-dasharray="452.39 0" stroke-dashoffset="0"`)
	assert.Contains(t, out, `<text class="big" x="100" y="100" text-anchor="middle">100%</text>`)
	// The long label is cut in the chart, whole in its tooltip and table;
	// bars scale to the largest value.
	assert.Contains(t, out, ">a-very-long-package-name-th…</text>")
	assert.Contains(t, out, "<title>a-very-long-package-name-that-goes-on-and-on.x86_64: 4</title>")
	assert.Contains(t, out, `<rect x="190" y="13" width="260" height="18" fill="#0073bb"/>`)
	assert.Contains(t, out, `<rect x="190" y="41" width="65" height="18" fill="#0073bb"/>`)
}

// TestExampleReports keeps the reports examples/fleetreport reads in step
// with the fixtures: the fleet as JSON Lines, web-prod-1 and web-prod-5 (the
// UNKNOWN node) as indented reports. -update rewrites them.
func TestExampleReports(t *testing.T) {
	var lines bytes.Buffer
	for _, r := range fixtureFleet(t) {
		data, err := json.Marshal(r)
		require.NoError(t, err)
		lines.Write(data)
		lines.WriteByte('\n')
	}
	var node, unknown bytes.Buffer
	require.NoError(t, fixtureNode(t).WriteJSON(&node))
	require.NoError(t, fixtureUnknownNode(t).WriteJSON(&unknown))
	for name, got := range map[string][]byte{"fleet.jsonl": lines.Bytes(), "web-prod-1.json": node.Bytes(), "web-prod-5.json": unknown.Bytes()} {
		path := filepath.Join("..", "examples", "fleetreport", "testdata", name)
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, got, 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s is stale: go test ./compliance -run TestExampleReports -update", path)
	}
}

// TestFleetSubtitle: the fleet page's subtitle counts nodes and patch
// groups in the singular where a count is 1. (Before: "Patch compliance of
// 1 nodes in 1 patch groups".) The text rendering has no such sentence:
// its counts are table cells under headings.
func TestFleetSubtitle(t *testing.T) {
	for _, tc := range []struct {
		reports []*compliance.Report
		want    string
	}{
		{[]*compliance.Report{exampleReport("i-1", "web", false)}, "Patch compliance of 1 node in 1 patch group"},
		{[]*compliance.Report{exampleReport("i-1", "web", false), exampleReport("i-2", "web", true)}, "Patch compliance of 2 nodes in 1 patch group"},
		{[]*compliance.Report{exampleReport("i-1", "web", false), exampleReport("i-2", "db", true), exampleReport("i-3", "", true)},
			"Patch compliance of 3 nodes in 2 patch groups, 1 in none"},
		{[]*compliance.Report{exampleReport("i-1", "", false)}, "Patch compliance of 1 node, in no patch group"},
		{nil, "Patch compliance of 0 nodes"},
	} {
		f, err := compliance.Aggregate(func(yield func(*compliance.Report, error) bool) {
			for _, r := range tc.reports {
				if !yield(r, nil) {
					return
				}
			}
		}, 0)
		require.NoError(t, err)
		page := string(render(t, func(b *bytes.Buffer) error { return f.WriteHTML(b, "t") }))
		assert.Contains(t, page, "<header><h1>t</h1><p>"+tc.want+"</p></header>")
		text := string(render(t, func(b *bytes.Buffer) error { return f.WriteText(b) }))
		assert.Contains(t, text, fmt.Sprintf("Nodes: %d  compliant:", len(tc.reports)))
	}
}
