package compliance

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// Rendering: plain-text tables for terminals and self-contained HTML pages
// (inline CSS and SVG, no scripts, no external assets) in the manner of the
// Patch Manager compliance dashboard. The output is a pure function of the
// Fleet or Report: map keys are sorted and times are printed in UTC, so
// equal inputs render to equal bytes.

// ErrNilReport is returned when a nil *Report is rendered.
var ErrNilReport = errors.New("compliance: nil report")

// RenderError reports a rendering that could not be written.
type RenderError struct {
	// Format is "text" or "html".
	Format string
	Err    error
}

func (e *RenderError) Error() string {
	return "compliance: rendering " + e.Format + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *RenderError) Unwrap() error { return e.Err }

// The colours of the pictures: compliant and non-compliant are the AWS
// console's success green and error red; unknown is a dark amber, its own
// colour. White text on each of the three has a contrast of at least 5:1
// (WCAG AA asks 4.5:1), and so has each as text on white.
const (
	colorCompliant    = "#1d8102"
	colorNonCompliant = "#d13212"
	colorUnknown      = "#8d6605"
	colorBar          = "#0073bb"
	colorEmpty        = "#d5dbdb"
)

// severityColor is the colour of a compliance level in the charts.
func severityColor(l patchkit.ComplianceLevel) string {
	switch l {
	case patchkit.ComplianceCritical:
		return "#8b1a10"
	case patchkit.ComplianceHigh:
		return "#ec7211"
	case patchkit.ComplianceMedium:
		return "#f2a900"
	case patchkit.ComplianceLow:
		return "#0a4a74"
	case patchkit.ComplianceInformational:
		return "#687078"
	}
	return "#aab7b8"
}

// stateColor is the colour of a state in the charts.
func stateColor(s State) string {
	switch s {
	case Installed:
		return colorCompliant
	case InstalledOther:
		return "#6aaf35"
	case InstalledPendingReboot:
		return "#ec7211"
	case InstalledRejected:
		return "#8c4fff"
	case Missing:
		return colorNonCompliant
	case Failed:
		return "#8b1a10"
	case AvailableSecurityUpdate:
		return "#f2a900"
	}
	return "#aab7b8"
}

// severityOrder is the order of the severity charts and tables, highest
// first, as the console lists them.
func severityOrder() []patchkit.ComplianceLevel {
	return []patchkit.ComplianceLevel{patchkit.ComplianceCritical, patchkit.ComplianceHigh, patchkit.ComplianceMedium,
		patchkit.ComplianceLow, patchkit.ComplianceInformational, patchkit.ComplianceUnspecified}
}

// ---------------------------------------------------------------------------
// Text

// cell makes a value safe for a tab-separated, line-oriented table: control
// characters (tabs, newlines, terminal escapes) and invalid UTF-8 are shown
// escaped, and an empty value is "-".
func cell(s string) string {
	if s == "" {
		return "-"
	}
	clean := true
	for i, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// row writes one tab-separated table row.
func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(w, "\t")
		}
		io.WriteString(w, c)
	}
	io.WriteString(w, "\n")
}

func itoa(n int) string { return strconv.Itoa(n) }

func groupLabel(g string) string {
	if g == "" {
		return "(no patch group)"
	}
	return g
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func percent(part, whole int) string {
	if whole == 0 {
		return "-"
	}
	return strconv.Itoa(int(math.Floor(float64(part)*100/float64(whole)))) + "%"
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func newTable(buf *bytes.Buffer) *tabwriter.Writer {
	return tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
}

func writeOut(w io.Writer, format string, buf *bytes.Buffer) error {
	if _, err := w.Write(buf.Bytes()); err != nil {
		return &RenderError{Format: format, Err: err}
	}
	return nil
}

func groupRow(tw io.Writer, label string, g *GroupState) {
	row(tw, cell(label), itoa(g.Instances), itoa(g.CompliantInstances), itoa(g.NonCompliantInstances),
		itoa(g.UnknownInstances), itoa(g.InstancesWithMissingPatches), itoa(g.InstancesWithFailedPatches),
		itoa(g.InstancesWithInstalledPendingRebootPatches), itoa(g.InstancesWithCriticalNonCompliantPatches),
		itoa(g.InstancesWithSecurityNonCompliantPatches), itoa(g.InstancesWithOtherNonCompliantPatches),
		itoa(g.InstancesWithUnknownRepositories))
}

// WriteText writes the fleet as plain-text tables for a terminal: the nodes
// compliant, non-compliant and unknown, one row per patch group and the
// total, the non-compliant nodes by severity, the nodes with repositories
// that are not OK by health, the non-compliant patches by compliance level
// and classification, and the top missing patches.
func (f Fleet) WriteText(w io.Writer) error {
	var buf bytes.Buffer
	o := &f.Overall
	fmt.Fprintf(&buf, "Nodes: %d  compliant: %d  non-compliant: %d  unknown: %d  (%s compliant)\n\n",
		o.Instances, o.CompliantInstances, o.NonCompliantInstances, o.UnknownInstances, percent(o.CompliantInstances, o.Instances))

	tw := newTable(&buf)
	row(tw, "PATCH GROUP", "INSTANCES", "COMPLIANT", "NON-COMPLIANT", "UNKNOWN", "WITH MISSING", "WITH FAILED",
		"PENDING REBOOT", "CRITICAL NC", "SECURITY NC", "OTHER NC", "REPOS NOT OK")
	for _, k := range sortedKeys(f.Groups) {
		g := f.Groups[k]
		groupRow(tw, groupLabel(k), &g)
	}
	groupRow(tw, "TOTAL", o)
	tw.Flush()

	buf.WriteString("\nNon-compliant nodes by severity\n")
	tw = newTable(&buf)
	row(tw, "SEVERITY", "NODES")
	for _, l := range severityOrder() {
		row(tw, l.String(), itoa(f.NonCompliantNodesBySeverity[l.String()]))
	}
	tw.Flush()

	buf.WriteString("\nNodes with repositories not OK, by health\n")
	tw = newTable(&buf)
	row(tw, "HEALTH", "NODES")
	for _, h := range unknownHealths() {
		row(tw, string(h), itoa(f.NodesByRepositoryHealth[string(h)]))
	}
	tw.Flush()

	buf.WriteString("\nNon-compliant patches by compliance level\n")
	tw = newTable(&buf)
	row(tw, "LEVEL", "PATCHES")
	for _, l := range severityOrder() {
		row(tw, l.String(), itoa(f.NonCompliantItemsByLevel[l.String()]))
	}
	tw.Flush()

	if len(f.NonCompliantItemsByClassification) > 0 {
		buf.WriteString("\nNon-compliant patches by classification\n")
		tw = newTable(&buf)
		row(tw, "CLASSIFICATION", "PATCHES")
		for _, k := range sortedKeys(f.NonCompliantItemsByClassification) {
			label := "(none)"
			if k != "" {
				label = cell(k)
			}
			row(tw, label, itoa(f.NonCompliantItemsByClassification[k]))
		}
		tw.Flush()
	}

	buf.WriteString("\nTop missing patches\n")
	if len(f.TopMissing) == 0 {
		buf.WriteString("(none)\n")
	} else {
		tw = newTable(&buf)
		row(tw, "#", "KBID", "NODES", "CLASSIFICATION", "SEVERITY", "LEVEL")
		for i, p := range f.TopMissing {
			row(tw, itoa(i+1), cell(p.KBID), itoa(p.Nodes), cell(p.Classification), cell(p.Severity), p.Level.String())
		}
		tw.Flush()
	}
	return writeOut(w, "text", &buf)
}

// stateCounts returns the summary's count for every state, in States order.
func stateCounts(s *Summary) []int {
	return []int{s.InstalledCount, s.InstalledOtherCount, s.InstalledPendingRebootCount, s.InstalledRejectedCount,
		s.MissingCount, s.FailedCount, s.NotApplicableCount, s.AvailableSecurityUpdateCount}
}

func nodeSeverity(s *Summary) string {
	if s.NonCompliantSeverity == nil {
		return ""
	}
	return s.NonCompliantSeverity.String()
}

// repositoriesLine sums up a report's repositories ("3, 1 not OK"), or is
// empty when the report has none.
func repositoriesLine(r *Report) string {
	if len(r.Repositories) == 0 {
		return ""
	}
	n, _ := unknownRepositories(r.Repositories)
	if n == 0 {
		return itoa(len(r.Repositories)) + ", all OK"
	}
	return itoa(len(r.Repositories)) + ", " + itoa(n) + " not OK"
}

// unknownRepositoryList returns the report's repositories whose Health is
// not OK.
func unknownRepositoryList(r *Report) []repo.Status {
	var out []repo.Status
	for _, rs := range r.Repositories {
		if rs.Health != repo.HealthOK {
			out = append(out, rs)
		}
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// fleetSubtitle is the fleet page's line under its title: "Patch
// compliance of 13 nodes in 4 patch groups, 1 in none", in the singular
// where a count is 1 ("of 1 node in 1 patch group"), and "of 2 nodes, in
// no patch group" when no node has one.
func fleetSubtitle(nodes, groups, ungrouped int) string {
	s := "Patch compliance of " + counted(nodes, "node", "nodes")
	if groups == 0 {
		if nodes > 0 {
			s += ", in no patch group"
		}
		return s
	}
	s += " in " + counted(groups, "patch group", "patch groups")
	if ungrouped > 0 {
		s += ", " + itoa(ungrouped) + " in none"
	}
	return s
}

// counted is "1 node", "0 nodes", "2 nodes".
func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return itoa(n) + " " + many
}

// unknownNodesNote is what the fleet page says of the nodes with
// repositories that are not OK.
const unknownNodesNote = "A scan that could not trust a repository's metadata does not know what that repository offers: " +
	"its node is UNKNOWN, never COMPLIANT, unless it misses a patch, when it is NON_COMPLIANT. " +
	"The chart counts, for each health, the nodes with at least one repository in it, whatever their status."

// healthMeaning says what a repository Health other than OK means.
func healthMeaning(h repo.Health) string {
	switch h {
	case repo.HealthUnsigned:
		return "a signature was expected and is missing or bad"
	case repo.HealthExpired:
		return "past its validity, dated in the future, or older than metadata accepted before"
	case repo.HealthStale:
		return "metadata without an expiry of its own is older than the maximum age"
	case repo.HealthUnreadable:
		return "missing, damaged, failing its checksums or limits, or not cached"
	}
	return ""
}

// unknownRepositoriesNote is what the renderings say above the list of
// repositories that are not OK.
const unknownRepositoriesNote = "their metadata could not be read, verified or dated, so what they offer is unknown; " +
	"the node is not reported COMPLIANT while any is listed"

// WriteText writes the report as plain text for a terminal: the node and
// the operation, the status and severity, the counts by state, the
// repositories that are not OK with their health and reason, then one row
// per item.
func (r *Report) WriteText(w io.Writer) error {
	if r == nil {
		return &RenderError{Format: "text", Err: ErrNilReport}
	}
	var buf bytes.Buffer
	s := &r.Summary
	tw := newTable(&buf)
	operation := string(r.Operation)
	if r.RebootOption != "" {
		operation += " (" + string(r.RebootOption) + ")"
	}
	head := [][2]string{
		{"Instance", r.Node.InstanceID},
		{"Hostname", r.Node.Hostname},
		{"Operating system", string(r.Node.OperatingSystem)},
		{"Product", r.Node.Product},
		{"Patch group", r.Node.PatchGroup},
		{"Baseline", r.BaselineID},
		{"Snapshot", r.SnapshotID},
		{"Operation", operation},
		{"Started", formatTime(r.OperationStartTime)},
		{"Ended", formatTime(r.OperationEndTime)},
		{"Last boot", formatTime(r.LastBootTime)},
		{"Last NoReboot install", formatTime(s.LastNoRebootInstallOperationTime)},
		{"Status", string(s.Status)},
		{"Severity", nodeSeverity(s)},
	}
	if line := repositoriesLine(r); line != "" {
		head = append(head, [2]string{"Repositories", line})
	}
	for _, h := range head {
		row(tw, h[0]+":", cell(h[1]))
	}
	var counts []string
	for i, n := range stateCounts(s) {
		counts = append(counts, States()[i].String()+" "+itoa(n))
	}
	row(tw, "Counts:", strings.Join(counts, ", "))
	row(tw, "Non-compliant:", fmt.Sprintf("critical %d, security %d, other %d",
		s.CriticalNonCompliantCount, s.SecurityNonCompliantCount, s.OtherNonCompliantCount))
	tw.Flush()

	if bad := unknownRepositoryList(r); len(bad) > 0 {
		buf.WriteString("\nRepositories not OK: " + unknownRepositoriesNote + ".\n")
		tw = newTable(&buf)
		row(tw, "REPOSITORY", "HEALTH", "VERIFIED", "METADATA DATE", "REASON")
		for _, rs := range bad {
			row(tw, cell(rs.Name), cell(string(rs.Health)), yesNo(rs.Verified), cell(formatTime(rs.Date)), cell(rs.Reason))
		}
		tw.Flush()
	}

	buf.WriteString("\n")
	if len(r.Items) == 0 {
		buf.WriteString("(no items)\n")
		return writeOut(w, "text", &buf)
	}
	tw = newTable(&buf)
	row(tw, "KBID", "STATE", "CLASSIFICATION", "SEVERITY", "LEVEL", "INSTALLED", "CANDIDATE", "CVES")
	for i := range r.Items {
		it := &r.Items[i]
		row(tw, cell(it.KBID), it.State.String(), cell(it.Classification), cell(it.Severity),
			it.ComplianceLevel.String(), cell(it.InstalledVersion), cell(it.CandidateVersion),
			cell(strings.Join(it.CVEIDs, ",")))
	}
	tw.Flush()
	return writeOut(w, "text", &buf)
}

// ---------------------------------------------------------------------------
// SVG charts: the geometry is computed here, the template only places it.

// fnum formats a coordinate with two decimals at most, the same on every
// platform.
func fnum(x float64) string {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// truncate shortens a label to n runes with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

type donutSegment struct {
	Color, Dash, Offset, Title string
}

type legendEntry struct {
	Color, Label string
	Value        int
}

// donut is a ring chart of the compliant and non-compliant nodes.
type donut struct {
	ID, Label      string
	Size, C, R     int
	Stroke         int
	Segments       []donutSegment
	Center, Below  string
	Legend         []legendEntry
	Empty          bool
	EmptyRingColor string
}

func newDonut(id, label string, parts []legendEntry) donut {
	d := donut{ID: id, Label: label, Size: 200, C: 100, R: 72, Stroke: 30, Legend: parts, EmptyRingColor: colorEmpty}
	total := 0
	for _, p := range parts {
		total += p.Value
	}
	circ := 2 * math.Pi * float64(d.R)
	if total == 0 {
		d.Empty = true
		d.Center, d.Below = "0", "nodes"
		return d
	}
	start := 0.0
	for _, p := range parts {
		if p.Value == 0 {
			continue
		}
		l := circ * float64(p.Value) / float64(total)
		d.Segments = append(d.Segments, donutSegment{
			Color: p.Color, Dash: fnum(l) + " " + fnum(circ-l), Offset: fnum(-start),
			Title: p.Label + ": " + itoa(p.Value),
		})
		start += l
	}
	d.Center = percent(parts[0].Value, total)
	d.Below = strings.ToLower(parts[0].Label)
	return d
}

type barItem struct {
	Label, FullLabel, Value, Color string
	X, Y, W, H                     int
	LabelX, LabelY, ValueX, ValueY int
}

// barChart is a vertical (columns) or horizontal bar chart.
type barChart struct {
	ID, Label     string
	Width, Height int
	Horizontal    bool
	// AxisX1.. is the base line.
	AxisX1, AxisY1, AxisX2, AxisY2 int
	Bars                           []barItem
	Empty                          string
}

type barInput struct {
	Label, Color string
	Value        int
}

// newColumns lays out a vertical bar chart: one column per input, the value
// above it and the label below.
func newColumns(id, label string, in []barInput) barChart {
	const slot, barW, top, plotH, left = 96, 56, 28, 170, 10
	c := barChart{ID: id, Label: label, Width: left*2 + slot*len(in), Height: top + plotH + 34}
	base := top + plotH
	c.AxisX1, c.AxisY1, c.AxisX2, c.AxisY2 = left, base, left+slot*len(in), base
	maxV := 1
	for _, b := range in {
		maxV = max(maxV, b.Value)
	}
	for i, b := range in {
		h := int(math.Round(float64(plotH) * float64(b.Value) / float64(maxV)))
		if b.Value > 0 {
			h = max(h, 2)
		}
		x := left + i*slot + (slot-barW)/2
		c.Bars = append(c.Bars, barItem{
			Label: truncate(b.Label, 14), FullLabel: b.Label, Value: itoa(b.Value), Color: b.Color,
			X: x, Y: base - h, W: barW, H: h,
			LabelX: x + barW/2, LabelY: base + 18, ValueX: x + barW/2, ValueY: base - h - 6,
		})
	}
	return c
}

// newRows lays out a horizontal bar chart: one row per input, the label on
// the left and the value after the bar.
func newRows(id, label string, in []barInput) barChart {
	const labelW, plotW, rowH, barH, top = 190, 260, 28, 18, 8
	c := barChart{ID: id, Label: label, Horizontal: true, Width: labelW + plotW + 50, Height: top*2 + rowH*len(in)}
	c.AxisX1, c.AxisY1, c.AxisX2, c.AxisY2 = labelW, top, labelW, top+rowH*len(in)
	maxV := 1
	for _, b := range in {
		maxV = max(maxV, b.Value)
	}
	for i, b := range in {
		w := int(math.Round(float64(plotW) * float64(b.Value) / float64(maxV)))
		if b.Value > 0 {
			w = max(w, 2)
		}
		y := top + i*rowH + (rowH-barH)/2
		c.Bars = append(c.Bars, barItem{
			Label: truncate(b.Label, 28), FullLabel: b.Label, Value: itoa(b.Value), Color: b.Color,
			X: labelW, Y: y, W: w, H: barH,
			LabelX: labelW - 8, LabelY: y + barH - 4, ValueX: labelW + w + 6, ValueY: y + barH - 4,
		})
	}
	if len(in) == 0 {
		c.Height = 40
		c.Empty = "nothing to show"
	}
	return c
}

func severityBars(counts map[string]int) []barInput {
	var in []barInput
	for _, l := range severityOrder() {
		in = append(in, barInput{Label: l.String(), Color: severityColor(l), Value: counts[l.String()]})
	}
	return in
}

// ---------------------------------------------------------------------------
// HTML

// chartTopMissing is how many patches the top-missing chart shows; the
// table lists all of Fleet.TopMissing.
const chartTopMissing = 10

type kv struct{ Key, Value string }

type groupView struct {
	Name string
	GroupState
}

type fleetView struct {
	Title          string
	Subtitle       string
	NamedGroups    int
	Ungrouped      int
	Overall        GroupState
	Percent        string
	Compliance     donut
	Severity       barChart
	RepoHealth     barChart
	HealthMeanings []kv
	Levels         barChart
	Missing        barChart
	Groups         []groupView
	TopMissing     []PatchCount
	Classification []kv
}

type itemView struct {
	Item
	NonCompliant bool
}

// repoView is a repository that is not OK, as the node page lists it.
type repoView struct {
	Name, Health, Verified, Date, Reason string
}

type nodeView struct {
	Title         string
	Head          []kv
	Status        string
	StatusClass   string
	Repositories  []repoView
	RepoCount     int
	Severity      string
	SeverityColor string
	Critical      int
	Security      int
	Other         int
	States        barChart
	Levels        barChart
	Items         []itemView
}

// pageCSS is the style of both pages. It is a constant: nothing
// user-supplied goes into it.
const pageCSS = `
*{box-sizing:border-box}
body{margin:0;font-family:"Amazon Ember","Helvetica Neue",Roboto,Arial,sans-serif;font-size:14px;color:#16191f;background:#f2f3f3}
header{background:#232f3e;color:#fff;padding:16px 28px}
header h1{margin:0;font-size:22px;font-weight:700}
header p{margin:4px 0 0;color:#d5dbdb}
main{padding:20px 28px}
main>section.card{margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:16px;margin-bottom:16px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 1px rgba(0,28,36,.3),1px 1px 1px rgba(0,28,36,.15);padding:16px 20px}
.card h2{margin:0 0 12px;font-size:16px}
.grow{flex:1 1 560px}
.stat{min-width:160px}
.stat .n{font-size:32px;font-weight:700}
.stat .l{color:#545b64}
.n.ok{color:#1d8102}
.n.nc{color:#d13212}
.n.unk{color:#8d6605}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:700;font-size:13px}
.badge.ok{background:#1d8102;color:#fff}
.badge.nc{background:#d13212;color:#fff}
.badge.unk{background:#8d6605;color:#fff}
section.unk{box-shadow:inset 4px 0 0 #8d6605,0 1px 1px rgba(0,28,36,.3)}
section.unk p{margin:0 0 12px;color:#545b64}
td.health{color:#8d6605;font-weight:700;white-space:nowrap}
.split{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.split>div{flex:1 1 320px;max-width:720px}
.split p{margin:0 0 12px;color:#545b64}
td.reason{font-family:Menlo,Consolas,monospace;font-size:12px;word-break:break-word}
.legend{list-style:none;padding:0;margin:8px 0 0}
.legend li{margin:4px 0}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eaeded;vertical-align:top}
th{background:#fafafa;color:#545b64;font-weight:700}
.scroll{overflow-x:auto}
td.num,th.num{text-align:right}
tr.item.nc td{background:#fdf3f1}
tr.item.nc td:first-child{box-shadow:inset 4px 0 0 #d13212}
td.kb{white-space:nowrap}
td.ver,td.cve{font-family:Menlo,Consolas,monospace;font-size:12px}
td.cve span{white-space:nowrap}
dl.head{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.head dt{color:#545b64}
dl.head dd{margin:0;word-break:break-all}
svg text{font-family:inherit;fill:#16191f}
svg .lbl{font-size:12px}
svg .val{font-size:12px;font-weight:700}
svg .big{font-size:30px;font-weight:700}
svg .small{font-size:12px;fill:#545b64}
footer{color:#687078;font-size:12px;padding:0 28px 20px}
`

// The templates. They are parsed for each page: parsing takes well under a
// millisecond and keeps the package free of global state.
const chartTemplates = `
{{define "donut"}}<svg id="{{.ID}}" class="chart donut" role="img" aria-label="{{.Label}}" width="{{.Size}}" height="{{.Size}}" viewBox="0 0 {{.Size}} {{.Size}}" xmlns="http://www.w3.org/2000/svg">
<circle cx="{{.C}}" cy="{{.C}}" r="{{.R}}" fill="none" stroke="{{.EmptyRingColor}}" stroke-width="{{.Stroke}}"/>
{{- range .Segments}}
<circle class="seg" cx="{{$.C}}" cy="{{$.C}}" r="{{$.R}}" fill="none" stroke="{{.Color}}" stroke-width="{{$.Stroke}}" stroke-dasharray="{{.Dash}}" stroke-dashoffset="{{.Offset}}" transform="rotate(-90 {{$.C}} {{$.C}})"><title>{{.Title}}</title></circle>
{{- end}}
<text class="big" x="{{.C}}" y="{{.C}}" text-anchor="middle">{{.Center}}</text>
<text class="small" x="{{.C}}" y="{{.C}}" dy="22" text-anchor="middle">{{.Below}}</text>
</svg>
<ul class="legend">{{range .Legend}}<li><span class="sw" style="background:{{.Color}}"></span>{{.Label}}: <b>{{.Value}}</b></li>{{end}}</ul>{{end}}

{{define "bars"}}<svg id="{{.ID}}" class="chart bars" role="img" aria-label="{{.Label}}" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" xmlns="http://www.w3.org/2000/svg">
{{- if .Empty}}
<text class="small" x="8" y="24">{{.Empty}}</text>
{{- else}}
{{- range .Bars}}
<g class="bar"><title>{{.FullLabel}}: {{.Value}}</title>
<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Color}}"/>
{{- if $.Horizontal}}
<text class="lbl" x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="end">{{.Label}}</text>
<text class="val" x="{{.ValueX}}" y="{{.ValueY}}">{{.Value}}</text>
{{- else}}
<text class="lbl" x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="middle">{{.Label}}</text>
<text class="val" x="{{.ValueX}}" y="{{.ValueY}}" text-anchor="middle">{{.Value}}</text>
{{- end}}
</g>
{{- end}}
<line x1="{{.AxisX1}}" y1="{{.AxisY1}}" x2="{{.AxisX2}}" y2="{{.AxisY2}}" stroke="#879596" stroke-width="1"/>
{{- end}}
</svg>{{end}}

{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="patchkit compliance">
<title>{{.Title}}</title>
<style>` + pageCSS + `</style>
</head>{{end}}
`

const fleetTemplate = `{{template "head" .}}
<body>
<header><h1>{{.Title}}</h1><p>{{.Subtitle}}</p></header>
<main>
<div class="cards">
<div class="card stat"><div class="n">{{.Overall.Instances}}</div><div class="l">Nodes</div></div>
<div class="card stat"><div class="n ok">{{.Overall.CompliantInstances}}</div><div class="l">Compliant nodes</div></div>
<div class="card stat"><div class="n nc">{{.Overall.NonCompliantInstances}}</div><div class="l">Non-compliant nodes</div></div>
<div class="card stat"><div class="n unk">{{.Overall.UnknownInstances}}</div><div class="l">Unknown nodes</div></div>
<div class="card stat"><div class="n">{{.Percent}}</div><div class="l">Compliant</div></div>
</div>
<div class="cards">
<section class="card" id="compliance-summary"><h2>Compliance summary</h2>{{template "donut" .Compliance}}</section>
<section class="card grow" id="severity"><h2>Non-compliant nodes by severity</h2>{{template "bars" .Severity}}</section>
</div>
<section class="card" id="repository-health"><h2>Nodes with repositories not OK</h2><div class="split">{{template "bars" .RepoHealth}}
<div><p>` + unknownNodesNote + `</p><dl class="head">
{{- range .HealthMeanings}}
<dt>{{.Key}}</dt><dd>{{.Value}}</dd>
{{- end}}
</dl></div></div></section>
<div class="cards">
<section class="card grow" id="top-missing-chart"><h2>Top missing patches</h2>{{template "bars" .Missing}}</section>
<section class="card grow" id="levels"><h2>Non-compliant patches by compliance level</h2>{{template "bars" .Levels}}
{{- if .Classification}}
<div class="scroll"><table id="classifications"><thead><tr><th>Classification</th><th class="num">Non-compliant patches</th></tr></thead><tbody>
{{- range .Classification}}
<tr><td>{{if .Key}}{{.Key}}{{else}}(none){{end}}</td><td class="num">{{.Value}}</td></tr>
{{- end}}
</tbody></table></div>
{{- end}}</section>
</div>
<section class="card" id="groups"><h2>Patch groups</h2>
<div class="scroll"><table><thead><tr><th>Patch group</th><th class="num">Instances</th><th class="num">Compliant</th><th class="num">Non-compliant</th><th class="num">Unknown</th><th class="num">With missing</th><th class="num">With failed</th><th class="num">Pending reboot</th><th class="num">Critical non-compliant</th><th class="num">Security non-compliant</th><th class="num">Other non-compliant</th><th class="num">With repositories not OK</th></tr></thead>
<tbody>
{{- range .Groups}}
<tr class="group"><td>{{.Name}}</td><td class="num">{{.Instances}}</td><td class="num">{{.CompliantInstances}}</td><td class="num">{{.NonCompliantInstances}}</td><td class="num">{{.UnknownInstances}}</td><td class="num">{{.InstancesWithMissingPatches}}</td><td class="num">{{.InstancesWithFailedPatches}}</td><td class="num">{{.InstancesWithInstalledPendingRebootPatches}}</td><td class="num">{{.InstancesWithCriticalNonCompliantPatches}}</td><td class="num">{{.InstancesWithSecurityNonCompliantPatches}}</td><td class="num">{{.InstancesWithOtherNonCompliantPatches}}</td><td class="num">{{.InstancesWithUnknownRepositories}}</td></tr>
{{- end}}
{{- with .Overall}}
<tr class="total"><th>Total</th><th class="num">{{.Instances}}</th><th class="num">{{.CompliantInstances}}</th><th class="num">{{.NonCompliantInstances}}</th><th class="num">{{.UnknownInstances}}</th><th class="num">{{.InstancesWithMissingPatches}}</th><th class="num">{{.InstancesWithFailedPatches}}</th><th class="num">{{.InstancesWithInstalledPendingRebootPatches}}</th><th class="num">{{.InstancesWithCriticalNonCompliantPatches}}</th><th class="num">{{.InstancesWithSecurityNonCompliantPatches}}</th><th class="num">{{.InstancesWithOtherNonCompliantPatches}}</th><th class="num">{{.InstancesWithUnknownRepositories}}</th></tr>
{{- end}}
</tbody></table></div></section>
<section class="card" id="top-missing"><h2>Missing patches by number of nodes</h2>
{{- if .TopMissing}}
<div class="scroll"><table><thead><tr><th class="num">#</th><th>KB ID</th><th class="num">Nodes</th><th>Classification</th><th>Severity</th><th>Compliance level</th></tr></thead><tbody>
{{- range $i, $p := .TopMissing}}
<tr class="missing"><td class="num">{{inc $i}}</td><td>{{$p.KBID}}</td><td class="num">{{$p.Nodes}}</td><td>{{$p.Classification}}</td><td>{{$p.Severity}}</td><td>{{$p.Level}}</td></tr>
{{- end}}
</tbody></table></div>
{{- else}}<p>No node misses a patch.</p>{{end}}
</section>
</main>
<footer>Generated by patchkit from the nodes' compliance reports.</footer>
</body>
</html>
`

const nodeTemplate = `{{template "head" .}}
<body>
<header><h1>{{.Title}}</h1><p>Patch compliance of one node</p></header>
<main>
<div class="cards">
<section class="card stat" id="status"><h2>Status</h2><span class="badge {{.StatusClass}}">{{.Status}}</span></section>
<section class="card stat" id="node-severity"><h2>Severity</h2>{{if .Severity}}<span class="badge" style="background:{{.SeverityColor}}">{{.Severity}}</span>{{else}}<span class="l">none</span>{{end}}</section>
<div class="card stat"><div class="n">{{.Critical}}</div><div class="l">Critical non-compliant</div></div>
<div class="card stat"><div class="n">{{.Security}}</div><div class="l">Security non-compliant</div></div>
<div class="card stat"><div class="n">{{.Other}}</div><div class="l">Other non-compliant</div></div>
</div>
{{- if .Repositories}}
<section class="card unk" id="repositories"><h2>Repositories not OK ({{len .Repositories}} of {{.RepoCount}})</h2>
<p>` + "The scan could not trust these repositories: " + unknownRepositoriesNote + `.</p>
<div class="scroll"><table><thead><tr><th>Repository</th><th>Health</th><th>Signature verified</th><th>Metadata date</th><th>Reason</th></tr></thead><tbody>
{{- range .Repositories}}
<tr class="repo"><td>{{.Name}}</td><td class="health">{{.Health}}</td><td>{{.Verified}}</td><td>{{if .Date}}{{.Date}}{{else}}-{{end}}</td><td class="reason">{{.Reason}}</td></tr>
{{- end}}
</tbody></table></div></section>
{{- end}}
<div class="cards">
<section class="card grow" id="node"><h2>Node</h2><dl class="head">
{{- range .Head}}
<dt>{{.Key}}</dt><dd>{{if .Value}}{{.Value}}{{else}}-{{end}}</dd>
{{- end}}
</dl></section>
<section class="card grow" id="states"><h2>Patches by state</h2>{{template "bars" .States}}</section>
</div>
<div class="cards">
<section class="card grow" id="levels"><h2>Non-compliant patches by compliance level</h2>{{template "bars" .Levels}}</section>
</div>
<section class="card" id="items"><h2>Patches ({{len .Items}})</h2>
{{- if .Items}}
<div class="scroll"><table><thead><tr><th>KB ID</th><th>State</th><th>Classification</th><th>Severity</th><th>Compliance level</th><th>Installed version</th><th>Candidate version</th><th>CVEs</th></tr></thead><tbody>
{{- range .Items}}
<tr class="item{{if .NonCompliant}} nc{{end}}"><td class="kb" title="{{.Title}}">{{.KBID}}</td><td>{{.State}}</td><td>{{.Classification}}</td><td>{{.Severity}}</td><td>{{.ComplianceLevel}}</td><td class="ver">{{.InstalledVersion}}</td><td class="ver">{{.CandidateVersion}}</td><td class="cve">{{range $i, $c := .CVEIDs}}{{if $i}}, {{end}}<span>{{$c}}</span>{{end}}</td></tr>
{{- end}}
</tbody></table></div>
{{- else}}<p>The report has no items.</p>{{end}}
</section>
</main>
<footer>Generated by patchkit from the node's compliance report.</footer>
</body>
</html>
`

func parsePage(page string) (*template.Template, error) {
	t := template.New("page").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }})
	if _, err := t.Parse(chartTemplates); err != nil {
		return nil, err
	}
	return t.Parse(page)
}

func renderHTML(w io.Writer, page string, data any) error {
	t, err := parsePage(page)
	if err != nil {
		return &RenderError{Format: "html", Err: err}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "page", data); err != nil {
		return &RenderError{Format: "html", Err: err}
	}
	return writeOut(w, "html", &buf)
}

// WriteHTML writes the fleet as one self-contained HTML page titled title,
// in the manner of the Patch Manager dashboard: the compliant,
// non-compliant and unknown nodes (a ring chart), the non-compliant nodes
// by severity, the nodes with repositories that are not OK by health and
// the non-compliant patches by compliance level (bar charts), the patch
// groups, and the most-missing patches (a bar chart and a table). The page
// has inline CSS and SVG, no scripts and no external references; everything
// from the reports is escaped.
func (f Fleet) WriteHTML(w io.Writer, title string) error {
	if title == "" {
		title = "Patch compliance"
	}
	o := f.Overall
	v := fleetView{Title: title, Overall: o, Percent: percent(o.CompliantInstances, o.Instances)}
	v.Compliance = newDonut("chart-compliance", "Compliant, non-compliant and unknown nodes", []legendEntry{
		{Color: colorCompliant, Label: "Compliant", Value: o.CompliantInstances},
		{Color: colorNonCompliant, Label: "Non-compliant", Value: o.NonCompliantInstances},
		{Color: colorUnknown, Label: "Unknown", Value: o.UnknownInstances},
	})
	v.Severity = newColumns("chart-severity", "Non-compliant nodes by severity", severityBars(f.NonCompliantNodesBySeverity))
	var health []barInput
	for _, h := range unknownHealths() {
		health = append(health, barInput{Label: string(h), Color: colorUnknown, Value: f.NodesByRepositoryHealth[string(h)]})
	}
	v.RepoHealth = newColumns("chart-repository-health", "Nodes with repositories not OK, by health", health)
	for _, h := range unknownHealths() {
		v.HealthMeanings = append(v.HealthMeanings, kv{string(h), healthMeaning(h)})
	}
	v.Levels = newColumns("chart-levels", "Non-compliant patches by compliance level", severityBars(f.NonCompliantItemsByLevel))
	var miss []barInput
	for _, p := range f.TopMissing[:min(chartTopMissing, len(f.TopMissing))] {
		miss = append(miss, barInput{Label: p.KBID, Color: colorBar, Value: p.Nodes})
	}
	v.Missing = newRows("chart-top-missing", "Top missing patches", miss)
	for _, k := range sortedKeys(f.Groups) {
		v.Groups = append(v.Groups, groupView{Name: groupLabel(k), GroupState: f.Groups[k]})
		if k == "" {
			v.Ungrouped = f.Groups[k].Instances
		} else {
			v.NamedGroups++
		}
	}
	v.Subtitle = fleetSubtitle(v.Overall.Instances, v.NamedGroups, v.Ungrouped)
	v.TopMissing = f.TopMissing
	for _, k := range sortedKeys(f.NonCompliantItemsByClassification) {
		v.Classification = append(v.Classification, kv{k, itoa(f.NonCompliantItemsByClassification[k])})
	}
	return renderHTML(w, fleetTemplate, v)
}

// WriteHTML writes the report as one self-contained HTML page: the node's
// status and severity, the repositories that are not OK with their health
// and reason, its patches by state and its non-compliant patches by
// compliance level (bar charts), the node and the operation, and the items. The page has inline CSS and SVG, no scripts and no external
// references; everything from the report is escaped.
func (r *Report) WriteHTML(w io.Writer) error {
	if r == nil {
		return &RenderError{Format: "html", Err: ErrNilReport}
	}
	s := &r.Summary
	name := r.Node.Hostname
	if name == "" {
		name = r.Node.InstanceID
	}
	v := nodeView{Title: "Patch compliance: " + name, Status: string(s.Status), StatusClass: "ok",
		Severity: nodeSeverity(s), Critical: s.CriticalNonCompliantCount, Security: s.SecurityNonCompliantCount,
		Other: s.OtherNonCompliantCount}
	if name == "" {
		v.Title = "Patch compliance"
	}
	switch s.Status {
	case patchkit.Compliant:
	case patchkit.NonCompliant:
		v.StatusClass = "nc"
	default:
		// UNKNOWN, or no status at all: never shown as compliant.
		v.StatusClass = "unk"
		v.Status = string(patchkit.ComplianceUnknown)
	}
	v.RepoCount = len(r.Repositories)
	for _, rs := range unknownRepositoryList(r) {
		v.Repositories = append(v.Repositories, repoView{Name: rs.Name, Health: string(rs.Health),
			Verified: yesNo(rs.Verified), Date: formatTime(rs.Date), Reason: rs.Reason})
	}
	if s.NonCompliantSeverity != nil {
		v.SeverityColor = severityColor(*s.NonCompliantSeverity)
	}
	operation := string(r.Operation)
	if r.RebootOption != "" {
		operation += " (" + string(r.RebootOption) + ")"
	}
	v.Head = []kv{
		{"Instance", r.Node.InstanceID}, {"Hostname", r.Node.Hostname},
		{"Operating system", string(r.Node.OperatingSystem)}, {"Product", r.Node.Product},
		{"Patch group", r.Node.PatchGroup}, {"Baseline", r.BaselineID}, {"Snapshot", r.SnapshotID},
		{"Operation", operation}, {"Started", formatTime(r.OperationStartTime)},
		{"Ended", formatTime(r.OperationEndTime)}, {"Last boot", formatTime(r.LastBootTime)},
		{"Last NoReboot install", formatTime(s.LastNoRebootInstallOperationTime)},
	}
	if line := repositoriesLine(r); line != "" {
		v.Head = append(v.Head, kv{"Repositories", line})
	}
	var states []barInput
	for i, n := range stateCounts(s) {
		st := States()[i]
		states = append(states, barInput{Label: st.String(), Color: stateColor(st), Value: n})
	}
	v.States = newRows("chart-states", "Patches by state", states)
	levels := map[string]int{}
	for i := range r.Items {
		it := &r.Items[i]
		v.Items = append(v.Items, itemView{Item: *it, NonCompliant: it.Status == patchkit.NonCompliant})
		if it.Status == patchkit.NonCompliant {
			levels[it.ComplianceLevel.String()]++
		}
	}
	v.Levels = newColumns("chart-levels", "Non-compliant patches by compliance level", severityBars(levels))
	return renderHTML(w, nodeTemplate, v)
}
