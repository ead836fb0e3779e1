package compliance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// node is an Amazon Linux 2023 node with two packages: openssl-libs, which
// has an approved security update, and tzdata, which is up to date.
type node struct {
	t        *testing.T
	openssl  patchkit.Package // installed
	tzdata   patchkit.Package
	update   Candidate
	lastBoot time.Time
}

func newNode(t *testing.T) *node {
	n := &node{t: t, openssl: rpmPkg("openssl-libs", "3.0.8", "1.amzn2023.0.10"), tzdata: rpmPkg("tzdata", "2025b", "1.amzn2023.0.1"),
		lastBoot: utc("2025-11-01T00:00:00Z")}
	n.openssl.InstallTime = utc("2025-10-01T10:00:00Z")
	n.tzdata.InstallTime = utc("2025-10-01T10:00:00Z")
	n.update = candidate(t, rpmPkg("openssl-libs", "3.0.8", "1.amzn2023.0.14"), "Security", "Critical", released, later, "CVE-2025-1002")
	return n
}

// upgrade installs the update (what the package manager would do).
func (n *node) upgrade(at time.Time) {
	n.openssl = n.update.Patch.Package
	n.openssl.InstallTime = at
}

func (n *node) report(op Operation, opt RebootOption, start time.Time, prev, before *Report, o BuildOptions) Report {
	n.t.Helper()
	tz := candidate(n.t, n.tzdata, "Bugfix", "", released, later)
	r, err := Build(BuildInput{
		Node:       Node{InstanceID: "i-0123456789abcdef0", Hostname: "web-1", OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023", PatchGroup: "web"},
		BaselineID: "pb-05c9c9bf778d4c4d0", Operation: op, RebootOption: opt, Start: start, End: start.Add(10 * time.Minute),
		RejectedPatchesAction: baseline.AllowAsDependency, LastBoot: n.lastBoot,
		Packages: []Input{
			{Installed: &n.openssl, Candidates: []Candidate{n.update}},
			{Installed: &n.tzdata, Candidates: []Candidate{tz}},
		},
		Previous: prev, BeforeInstall: before,
	}, o)
	require.NoError(n.t, err)
	return r
}

func states(r Report) map[string]State {
	out := map[string]State{}
	for _, it := range r.Items {
		out[it.KBID] = it.State
	}
	return out
}

// TestNoRebootSequence: Install with NoReboot, Scan before the reboot,
// reboot, Scan (docs/semantics.md §10.5).
func TestNoRebootSequence(t *testing.T) {
	n := newNode(t)
	t0 := utc("2025-11-20T01:00:00Z")
	scan0 := n.report(Scan, RebootIfNeeded, t0, nil, nil, BuildOptions{})
	assert.Equal(t, map[string]State{"openssl-libs.x86_64": Missing, "tzdata.x86_64": Installed}, states(scan0))
	assert.Equal(t, patchkit.NonCompliant, scan0.Summary.Status)

	// Install with NoReboot: the upgrade is pending reboot.
	t1 := utc("2025-11-20T02:00:00Z")
	before := n.report(Scan, NoReboot, t1, &scan0, nil, BuildOptions{})
	n.upgrade(t1.Add(5 * time.Minute))
	inst := n.report(Install, NoReboot, t1, &scan0, &before, BuildOptions{})
	assert.Equal(t, map[string]State{"openssl-libs.x86_64": InstalledPendingReboot, "tzdata.x86_64": Installed}, states(inst))
	assert.Equal(t, patchkit.NonCompliant, inst.Summary.Status)
	assert.Equal(t, 1, inst.Summary.InstalledPendingRebootCount)
	assert.Equal(t, inst.OperationEndTime, inst.Summary.LastNoRebootInstallOperationTime)

	// Scan before the reboot: still pending.
	scan1 := n.report(Scan, RebootIfNeeded, utc("2025-11-20T03:00:00Z"), &inst, nil, BuildOptions{})
	assert.Equal(t, InstalledPendingReboot, states(scan1)["openssl-libs.x86_64"])
	assert.Equal(t, inst.Summary.LastNoRebootInstallOperationTime, scan1.Summary.LastNoRebootInstallOperationTime)

	// Reboot, then Scan: installed, compliant.
	n.lastBoot = utc("2025-11-20T04:00:00Z")
	scan2 := n.report(Scan, RebootIfNeeded, utc("2025-11-20T05:00:00Z"), &scan1, nil, BuildOptions{})
	assert.Equal(t, map[string]State{"openssl-libs.x86_64": Installed, "tzdata.x86_64": Installed}, states(scan2))
	assert.Equal(t, patchkit.Compliant, scan2.Summary.Status)
	assert.Nil(t, scan2.Summary.NonCompliantSeverity)

	// An Install with RebootIfNeeded that finds pending patches reboots:
	// nothing stays pending.
	n.lastBoot = utc("2025-11-01T00:00:00Z")
	again := n.report(Install, RebootIfNeeded, utc("2025-11-20T06:00:00Z"), &scan1, &scan1, BuildOptions{})
	assert.Equal(t, Installed, states(again)["openssl-libs.x86_64"])
	assert.Equal(t, patchkit.Compliant, again.Summary.Status)
}

func TestInstallFailedAndRebootIfNeeded(t *testing.T) {
	n := newNode(t)
	t0 := utc("2025-11-20T01:00:00Z")
	scan0 := n.report(Scan, RebootIfNeeded, t0, nil, nil, BuildOptions{})
	// The install did not get the package there: Failed.
	failed := n.report(Install, RebootIfNeeded, t0.Add(time.Hour), &scan0, &scan0, BuildOptions{})
	assert.Equal(t, Failed, states(failed)["openssl-libs.x86_64"])
	assert.Equal(t, 1, failed.Summary.FailedCount)
	assert.Equal(t, 0, failed.Summary.MissingCount)
	// RebootIfNeeded with an upgrade: the node reboots, nothing is pending.
	n.upgrade(t0.Add(2 * time.Hour))
	ok := n.report(Install, RebootIfNeeded, t0.Add(2*time.Hour), &failed, &failed, BuildOptions{})
	assert.Equal(t, Installed, states(ok)["openssl-libs.x86_64"])
	assert.True(t, ok.Summary.LastNoRebootInstallOperationTime.IsZero())
	// A Scan after an earlier-than-ever NoReboot install: nothing to track.
	scan := n.report(Scan, NoReboot, t0.Add(3*time.Hour), &ok, nil, BuildOptions{})
	assert.Equal(t, Installed, states(scan)["openssl-libs.x86_64"])
	// Current documentation: a package installed outside Patch Manager since
	// the last boot is pending too, when asked for.
	out := n.report(Scan, RebootIfNeeded, t0.Add(3*time.Hour), &ok, nil, BuildOptions{PendingRebootForOutsideInstalls: true})
	assert.Equal(t, InstalledPendingReboot, states(out)["openssl-libs.x86_64"])
	assert.Equal(t, Installed, states(out)["tzdata.x86_64"], "installed before the last boot")
}

func TestCorruptRebootState(t *testing.T) {
	n := newNode(t)
	prev := n.report(Scan, RebootIfNeeded, utc("2025-11-20T01:00:00Z"), nil, nil, BuildOptions{})
	prev.Summary.LastNoRebootInstallOperationTime = utc("2030-01-01T00:00:00Z")
	_, err := Build(BuildInput{Operation: Scan, RebootOption: RebootIfNeeded, Start: utc("2025-11-21T00:00:00Z"),
		End: utc("2025-11-21T00:10:00Z"), Previous: &prev}, BuildOptions{})
	assert.ErrorIs(t, err, ErrCorruptState)
	_, err = Build(BuildInput{Operation: "Patch", RebootOption: RebootIfNeeded}, BuildOptions{})
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
}

// TestCounters follows docs/semantics.md §9.4: over non-compliant items, Critical
// counts the CRITICAL level, Security the Security classification (both may
// count one item), Other the rest; the node's severity is the highest level,
// at least INFORMATIONAL.
func TestCounters(t *testing.T) {
	item := func(state State, class string, level patchkit.ComplianceLevel) Item {
		it := Item{KBID: class + state.String() + level.String(), State: state, Classification: class, ComplianceLevel: level, Status: patchkit.Compliant}
		if state.NonCompliantState(false) {
			it.Status = patchkit.NonCompliant
		}
		return it
	}
	r := Report{Items: []Item{
		item(Missing, "Security", patchkit.ComplianceCritical), // critical and security
		item(Missing, "Bugfix", patchkit.ComplianceCritical),   // critical
		item(Failed, "security", patchkit.ComplianceMedium),    // security
		item(InstalledRejected, "", patchkit.ComplianceUnspecified),
		item(InstalledPendingReboot, "Enhancement", patchkit.ComplianceLow),
		item(Installed, "Security", patchkit.ComplianceCritical),
		item(NotApplicable, "Security", patchkit.ComplianceCritical),
		item(InstalledOther, "", patchkit.ComplianceUnspecified),
	}}
	s := summarize(&r, false, BuildOptions{})
	assert.Equal(t, 2, s.CriticalNonCompliantCount)
	assert.Equal(t, 2, s.SecurityNonCompliantCount)
	assert.Equal(t, 2, s.OtherNonCompliantCount)
	assert.Equal(t, 2, s.MissingCount)
	assert.Equal(t, 1, s.FailedCount)
	assert.Equal(t, 1, s.InstalledRejectedCount)
	assert.Equal(t, 1, s.InstalledPendingRebootCount)
	assert.Equal(t, 1, s.InstalledCount)
	assert.Equal(t, 1, s.NotApplicableCount)
	assert.Equal(t, 1, s.InstalledOtherCount)
	assert.Equal(t, patchkit.NonCompliant, s.Status)
	assert.Equal(t, patchkit.ComplianceCritical, *s.NonCompliantSeverity)

	// All non-compliant items UNSPECIFIED: the node is INFORMATIONAL.
	r = Report{Items: []Item{item(Missing, "Bugfix", patchkit.ComplianceUnspecified)}}
	s = summarize(&r, false, BuildOptions{})
	assert.Equal(t, patchkit.ComplianceInformational, *s.NonCompliantSeverity)
	s = summarize(&r, false, BuildOptions{UnspecifiedNodeSeverity: true})
	assert.Equal(t, patchkit.ComplianceUnspecified, *s.NonCompliantSeverity)

	// AvailableSecurityUpdate: always counted; security and non-compliant only
	// when the baseline says so; never critical.
	asu := Item{KBID: "KB1", State: AvailableSecurityUpdate, Classification: "SecurityUpdates", Status: patchkit.NonCompliant}
	r = Report{Items: []Item{asu}}
	s = summarize(&r, true, BuildOptions{})
	assert.Equal(t, 1, s.AvailableSecurityUpdateCount)
	assert.Equal(t, 1, s.SecurityNonCompliantCount)
	assert.Equal(t, 0, s.CriticalNonCompliantCount)
	asu.Status = patchkit.Compliant
	r = Report{Items: []Item{asu}}
	s = summarize(&r, false, BuildOptions{})
	assert.Equal(t, 1, s.AvailableSecurityUpdateCount)
	assert.Equal(t, 0, s.SecurityNonCompliantCount)
	assert.Equal(t, patchkit.Compliant, s.Status)
}

func TestReportJSON(t *testing.T) {
	n := newNode(t)
	r := n.report(Scan, RebootIfNeeded, utc("2025-11-20T01:00:00Z"), nil, nil, BuildOptions{})
	var buf bytes.Buffer
	require.NoError(t, r.WriteJSON(&buf))
	back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, r, back)
	for _, k := range []string{`"SchemaVersion": "1.1"`, `"State": "Missing"`, `"KBId": "openssl-libs.x86_64"`, `"CriticalNonCompliantCount": 0`} {
		assert.Contains(t, buf.String(), k)
	}
	// Both spellings of a state are read.
	api := strings.Replace(buf.String(), `"State": "Missing"`, `"State": "MISSING"`, 1)
	back, err = ReadJSON(strings.NewReader(api))
	require.NoError(t, err)
	assert.Equal(t, r, back)

	var se *SchemaError
	for in, reason := range map[string]string{
		strings.Replace(buf.String(), `"1.1"`, `"2.0"`, 1): "written by a newer patchkit",
		strings.Replace(buf.String(), `"1.1"`, `"one"`, 1): "not MAJOR.MINOR",
		`{"Items": []}`: "missing",
	} {
		_, err := ReadJSON(strings.NewReader(in))
		require.ErrorAs(t, err, &se)
		assert.Equal(t, reason, se.Reason)
		assert.ErrorIs(t, err, patchkit.ErrInvalid)
	}
	// A newer minor version may add fields; this version may not.
	extra := strings.Replace(buf.String(), `"SchemaVersion": "1.1",`, `"SchemaVersion": "1.7", "Future": true,`, 1)
	_, err = ReadJSON(strings.NewReader(extra))
	assert.NoError(t, err)
	for _, v := range []string{"1.1", "1.0"} {
		_, err = ReadJSON(strings.NewReader(strings.Replace(extra, `"1.7"`, `"`+v+`"`, 1)))
		assert.ErrorContains(t, err, `unknown field "Future"`, v)
	}
}

func TestExports(t *testing.T) {
	n := newNode(t)
	r := n.report(Scan, RebootIfNeeded, utc("2025-11-20T01:00:00Z"), nil, nil, BuildOptions{})
	na := r.Items[0]
	na.KBID, na.State, na.Status = "zlib.x86_64", NotApplicable, patchkit.Compliant
	other := r.Items[1]
	other.KBID, other.State = "vim.x86_64", InstalledOther
	r.Items = append(r.Items, na, other)
	ps := r.InstancePatches()
	require.Len(t, ps.Patches, 3, "Linux lists no NotApplicable items")
	assert.Equal(t, "CVE-2025-1002", ps.Patches[0].CVEIDs)
	assert.Equal(t, "Security", ps.Patches[0].Classification)
	assert.Empty(t, ps.Patches[2].Classification, "InstalledOther items carry no classification")
	b, err := json.Marshal(ps)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"State":"Missing"`)
	st := InstancePatchStates(&r)
	require.Len(t, st.InstancePatchStates, 1)
	assert.Equal(t, "i-0123456789abcdef0", st.InstancePatchStates[0].InstanceID)
	assert.Equal(t, 1, st.InstancePatchStates[0].MissingCount)
	assert.Equal(t, Scan, st.InstancePatchStates[0].Operation)
}

// TestSaveSurvivesKill kills a process that keeps saving reports, many
// times, at points spread over a save; the file on disk must always be a
// complete report, the old one or the new one.
func TestSaveSurvivesKill(t *testing.T) {
	if os.Getenv("PATCHKIT_SAVE_CHILD") != "" {
		saveForever(t, os.Getenv("PATCHKIT_SAVE_CHILD"))
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	n := newNode(t)
	good := n.report(Scan, RebootIfNeeded, utc("2025-11-20T01:00:00Z"), nil, nil, BuildOptions{})
	require.NoError(t, good.SaveFile(path))
	// The child says "start" before its first save and "saved NS" after
	// each (NS: how long the save took). Each kill lands at a point spread
	// over one save: during the first save (the old report must be there,
	// whole, or the new one if the save won the race) or during the second
	// (the first save's report must be there, whole).
	sawNew, kills := 0, 0
	var saveTime time.Duration
	for i := 0; i < 10; i++ {
		kills++
		require.NoError(t, good.SaveFile(path))
		cmd := exec.Command(os.Args[0], "-test.run=^TestSaveSurvivesKill$")
		cmd.Env = append(os.Environ(), "PATCHKIT_SAVE_CHILD="+path)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		lines := bufio.NewScanner(stdout)
		next := func() string {
			if !lines.Scan() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("the saving child ended early: %v", lines.Err())
			}
			return lines.Text()
		}
		require.Equal(t, "start", next())
		if i%2 == 1 {
			ns, ok := strings.CutPrefix(next(), "saved ")
			require.True(t, ok, "the child's line after a save")
			d, err := strconv.ParseInt(ns, 10, 64)
			require.NoError(t, err)
			saveTime = time.Duration(d)
		}
		time.Sleep(saveTime * time.Duration(i/2) / 5)
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()
		got, err := LoadFile(path)
		require.NoError(t, err, "after kill %d the report must be whole", i)
		assert.True(t, got.Summary.InstanceID == good.Summary.InstanceID)
		assert.True(t, len(got.Items) == len(good.Items) || len(got.Items) == saveChildItems, "old or new, never a part: %d items", len(got.Items))
		if len(got.Items) == saveChildItems {
			sawNew++
		} else {
			assert.Zero(t, i%2, "kill %d came after a save finished, yet the old report is there", i)
		}
		// Killed writers leave only their temporary files behind.
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			assert.True(t, e.Name() == "report.json" || strings.HasPrefix(e.Name(), ".tmp-report.json-"), e.Name())
		}
	}
	assert.GreaterOrEqual(t, sawNew, 5, "the kills after a finished save")
	t.Logf("%d of %d kills found the new report, the others the old one", sawNew, kills)
	// A failed save (directory not writable) leaves the old report.
	if os.Geteuid() != 0 {
		require.NoError(t, os.Chmod(dir, 0o500))
		defer os.Chmod(dir, 0o700)
		assert.Error(t, good.SaveFile(path))
		_, err := LoadFile(path)
		assert.NoError(t, err)
	}
	// Writing to a path whose directory does not exist fails cleanly.
	assert.Error(t, good.SaveFile(filepath.Join(dir, "missing", "report.json")))
}

// saveChildItems is the size of the report the child of TestSaveSurvivesKill
// saves: about 300 kB of JSON, big enough that a save (encode, write, sync,
// rename) takes tens of milliseconds, a few hundred under -race, for kills
// to land inside it.
const saveChildItems = 1000

// saveForever is the child of TestSaveSurvivesKill: it saves a big report
// over and over until it is killed.
func saveForever(t *testing.T, path string) {
	n := newNode(t)
	r := n.report(Scan, RebootIfNeeded, utc("2025-11-20T01:00:00Z"), nil, nil, BuildOptions{})
	it := r.Items[0]
	r.Items = r.Items[:0]
	for i := 0; i < saveChildItems; i++ {
		r.Items = append(r.Items, it)
	}
	fmt.Println("start")
	for {
		start := time.Now()
		if err := r.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		fmt.Println("saved", time.Since(start).Nanoseconds())
	}
}

// TestBuildInputs: a Scan needs no RebootOption, an Install does, and a
// package input that contradicts the node-wide facts is an error naming
// it, never silently overwritten.
func TestBuildInputs(t *testing.T) {
	start, end := utc("2025-11-21T00:00:00Z"), utc("2025-11-21T00:10:00Z")
	node := Node{InstanceID: "i-1", OperatingSystem: patchkit.OSAmazonLinux2023}
	r, err := Build(BuildInput{Node: node, Operation: Scan, Start: start, End: end}, BuildOptions{})
	require.NoError(t, err)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "RebootOption")

	_, err = Build(BuildInput{Node: node, Operation: Install, Start: start, End: end}, BuildOptions{})
	var ie *InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "RebootOption", ie.Field)
	assert.ErrorIs(t, err, patchkit.ErrInvalid)

	pkg := func() Input {
		p := patchkit.Package{Name: "zlib", Version: "1.2", Release: "1", Arch: "x86_64", Scheme: patchkit.RPM, Epoch: patchkit.EpochOf(0)}
		return Input{Installed: &p}
	}
	for _, tc := range []struct {
		field string
		set   func(*Input)
	}{
		{"Packages[1].OperatingSystem", func(in *Input) { in.OperatingSystem = patchkit.OSRedhatEnterpriseLinux }},
		{"Packages[1].RejectedPatchesAction", func(in *Input) { in.RejectedPatchesAction = baseline.Block }},
		{"Packages[1].Operation", func(in *Input) { in.Operation = Install }},
		{"Packages[1].AvailableSecurityNonCompliant", func(in *Input) { in.AvailableSecurityNonCompliant = true }},
	} {
		ok, bad := pkg(), pkg()
		ok.OperatingSystem = patchkit.OSAmazonLinux2023 // agreeing is fine
		tc.set(&bad)
		_, err := Build(BuildInput{Node: node, Operation: Scan, Start: start, End: end, RejectedPatchesAction: baseline.AllowAsDependency,
			Packages: []Input{ok, bad}}, BuildOptions{})
		require.ErrorAs(t, err, &ie, tc.field)
		assert.Equal(t, tc.field, ie.Field)
	}
}
