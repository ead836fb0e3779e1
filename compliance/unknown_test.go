package compliance

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// Fail closed: a repository whose metadata could not be read, verified or
// dated keeps the node from being COMPLIANT.

var scanNow = utc("2025-11-20T01:00:00Z")

// statusOf is what a scan records for a repository whose reading failed
// with err: the repository package's own errors, so the reasons are the
// words a scan reports.
func statusOf(name string, health repo.Health) repo.Status {
	var err error
	switch health {
	case repo.HealthUnsigned:
		err = &repo.SignatureError{File: name + " repomd.xml.asc", Reason: "no signature by a key of the repository's keyring", KeyIDs: []string{"D2A7F8E39B1C4F06"}}
	case repo.HealthExpired:
		err = &repo.ExpiredError{File: name + " InRelease", ValidUntil: scanNow.Add(-48 * time.Hour), Now: scanNow}
	case repo.HealthStale:
		err = &repo.StaleError{File: name + " repomd.xml", Date: scanNow.Add(-30 * 24 * time.Hour), MaxAge: 7 * 24 * time.Hour, Now: scanNow}
	case repo.HealthUnreadable:
		err = &repo.HashMismatchError{File: name + " repodata/primary.xml.gz", Algorithm: "SHA256",
			Want: strings.Repeat("ab", 32), Got: strings.Repeat("cd", 32)}
	}
	s := repo.StatusOf(name, err)
	if health == repo.HealthOK {
		s.Verified, s.Date, s.Packages = true, scanNow.Add(-6*time.Hour), 2
	}
	return s
}

// scanWith builds a Scan of the two-package node with the repositories
// given; missing says whether the openssl-libs update is still missing.
func scanWith(t *testing.T, missing bool, repos ...repo.Status) (Report, error) {
	t.Helper()
	n := newNode(t)
	if !missing {
		n.upgrade(utc("2025-11-19T00:00:00Z"))
	}
	tz := candidate(t, n.tzdata, "Bugfix", "", released, later)
	return Build(BuildInput{
		Node:       Node{InstanceID: "i-0123456789abcdef0", OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023", PatchGroup: "web"},
		BaselineID: "pb-05c9c9bf778d4c4d0", Operation: Scan, Start: scanNow, End: scanNow.Add(10 * time.Minute), LastBoot: n.lastBoot,
		Packages: []Input{
			{Installed: &n.openssl, Candidates: []Candidate{n.update}},
			{Installed: &n.tzdata, Candidates: []Candidate{tz}},
		},
		Repositories: repos,
	}, BuildOptions{})
}

func TestBuildRepositoryHealth(t *testing.T) {
	ok := statusOf("amazonlinux", repo.HealthOK)
	for _, tc := range []struct {
		name    string
		missing bool
		repos   []repo.Status
		want    patchkit.ComplianceStatus
		unknown []repo.Health
	}{
		{"no repositories", false, nil, patchkit.Compliant, nil},
		{"no repositories, missing", true, nil, patchkit.NonCompliant, nil},
		{"OK", false, []repo.Status{ok}, patchkit.Compliant, nil},
		{"OK, missing", true, []repo.Status{ok}, patchkit.NonCompliant, nil},
		{"UNSIGNED", false, []repo.Status{ok, statusOf("kernel-livepatch", repo.HealthUnsigned)}, patchkit.ComplianceUnknown, []repo.Health{repo.HealthUnsigned}},
		{"UNSIGNED, missing", true, []repo.Status{ok, statusOf("kernel-livepatch", repo.HealthUnsigned)}, patchkit.NonCompliant, []repo.Health{repo.HealthUnsigned}},
		{"EXPIRED", false, []repo.Status{statusOf("http://deb.debian.org/debian-security bookworm-security", repo.HealthExpired)}, patchkit.ComplianceUnknown, []repo.Health{repo.HealthExpired}},
		{"EXPIRED, missing", true, []repo.Status{statusOf("http://deb.debian.org/debian-security bookworm-security", repo.HealthExpired)}, patchkit.NonCompliant, []repo.Health{repo.HealthExpired}},
		{"STALE", false, []repo.Status{ok, statusOf("updates", repo.HealthStale)}, patchkit.ComplianceUnknown, []repo.Health{repo.HealthStale}},
		{"STALE, missing", true, []repo.Status{ok, statusOf("updates", repo.HealthStale)}, patchkit.NonCompliant, []repo.Health{repo.HealthStale}},
		{"UNREADABLE", false, []repo.Status{statusOf("appstream", repo.HealthUnreadable), ok}, patchkit.ComplianceUnknown, []repo.Health{repo.HealthUnreadable}},
		{"UNREADABLE, missing", true, []repo.Status{statusOf("appstream", repo.HealthUnreadable), ok}, patchkit.NonCompliant, []repo.Health{repo.HealthUnreadable}},
		{"all four", false, []repo.Status{statusOf("d", repo.HealthUnreadable), statusOf("c", repo.HealthStale),
			statusOf("b", repo.HealthExpired), statusOf("a", repo.HealthUnsigned)}, patchkit.ComplianceUnknown,
			[]repo.Health{repo.HealthUnsigned, repo.HealthExpired, repo.HealthStale, repo.HealthUnreadable}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := scanWith(t, tc.missing, tc.repos...)
			require.NoError(t, err)
			s := r.Summary
			assert.Equal(t, tc.want, s.Status)
			assert.False(t, s.Status == patchkit.Compliant && len(tc.unknown) > 0, "never COMPLIANT with a repository not OK")
			assert.Equal(t, tc.missing, s.NonCompliantSeverity != nil, "a severity only when NON_COMPLIANT")
			assert.Equal(t, len(tc.unknown), s.UnknownRepositoryCount)
			require.Len(t, s.UnknownReasons, len(tc.unknown))
			// The items keep their states whatever the repositories say.
			want := map[string]State{"openssl-libs.x86_64": Installed, "tzdata.x86_64": Installed}
			if tc.missing {
				want["openssl-libs.x86_64"] = Missing
			}
			assert.Equal(t, want, states(r))
			for _, it := range r.Items {
				assert.NotEqual(t, patchkit.ComplianceUnknown, it.Status, it.KBID)
			}
			// The reasons name each repository, its health and the error
			// that decided it, in the report's (name) order.
			j := 0
			for _, rs := range r.Repositories {
				if rs.Health == repo.HealthOK {
					continue
				}
				assert.Equal(t, tc.unknown[j], rs.Health)
				assert.Equal(t, rs.Name+": "+string(rs.Health)+": "+rs.Reason, s.UnknownReasons[j])
				assert.NotEmpty(t, rs.Reason)
				j++
			}
			// The report reads back as it was written.
			var buf bytes.Buffer
			require.NoError(t, r.WriteJSON(&buf))
			back, err := ReadJSON(&buf)
			require.NoError(t, err)
			assert.Equal(t, r, back)
		})
	}
}

func TestBuildRepositoriesInput(t *testing.T) {
	// Sorted by name, dates in UTC, the caller's slice left alone.
	est := time.FixedZone("EST", -5*3600)
	in := []repo.Status{
		{Name: "updates", Health: repo.HealthOK, Date: time.Date(2025, 11, 19, 20, 0, 0, 0, est)},
		statusOf("appstream", repo.HealthStale),
		{Name: "baseos", Health: repo.HealthOK},
	}
	orig := append([]repo.Status(nil), in...)
	r, err := scanWith(t, false, in...)
	require.NoError(t, err)
	assert.Equal(t, orig, in)
	var names []string
	for _, rs := range r.Repositories {
		names = append(names, rs.Name)
	}
	assert.Equal(t, []string{"appstream", "baseos", "updates"}, names)
	assert.Equal(t, time.UTC, r.Repositories[2].Date.Location())
	assert.True(t, r.Repositories[2].Date.Equal(in[0].Date))
	assert.True(t, r.Repositories[1].Date.IsZero())
	// The same repositories in another order make the same report.
	again, err := scanWith(t, false, in[2], in[0], in[1])
	require.NoError(t, err)
	assert.Equal(t, r, again)

	for _, tc := range []struct {
		repos []repo.Status
		field string
	}{
		{[]repo.Status{{Health: repo.HealthOK}}, "Repositories[0].Name"},
		{[]repo.Status{{Name: "a", Health: repo.HealthOK}, {Name: "b"}}, "Repositories[1].Health"},
		{[]repo.Status{{Name: "a", Health: "FINE"}}, "Repositories[0].Health"},
		{[]repo.Status{{Name: "a", Health: repo.HealthExpired}}, "Repositories[0].Reason"},
		{[]repo.Status{{Name: "a", Health: repo.HealthOK, Packages: -1}}, "Repositories[0].Packages"},
		{[]repo.Status{{Name: "a", Health: repo.HealthOK}, statusOf("b", repo.HealthStale), statusOf("a", repo.HealthUnreadable)}, "Repositories[2].Name"},
	} {
		_, err := scanWith(t, false, tc.repos...)
		var ie *InputError
		require.ErrorAs(t, err, &ie, tc.field)
		assert.Equal(t, tc.field, ie.Field)
		assert.ErrorIs(t, err, patchkit.ErrInvalid)
	}

	// UNKNOWN is no baseline's AvailableSecurityUpdatesComplianceStatus.
	_, err = Build(BuildInput{Operation: Scan, Start: scanNow, End: scanNow, AvailableSecurityUpdatesComplianceStatus: patchkit.ComplianceUnknown}, BuildOptions{})
	var ie *InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "AvailableSecurityUpdatesComplianceStatus", ie.Field)
}

// TestReadJSONStatusChecks: a report read may not claim more than its
// repositories allow; each way of tampering is an *InputError naming the
// field.
func TestReadJSONStatusChecks(t *testing.T) {
	unknown, err := scanWith(t, false, statusOf("amazonlinux", repo.HealthOK), statusOf("kernel-livepatch", repo.HealthExpired))
	require.NoError(t, err)
	require.Equal(t, patchkit.ComplianceUnknown, unknown.Summary.Status)
	missing, err := scanWith(t, true, statusOf("kernel-livepatch", repo.HealthExpired))
	require.NoError(t, err)
	clean, err := scanWith(t, false, statusOf("amazonlinux", repo.HealthOK))
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		base   Report
		tamper func(*Report)
		field  string
	}{
		{"COMPLIANT with an expired repository", unknown, func(r *Report) {
			r.Summary.Status = patchkit.Compliant
		}, "Summary.Status"},
		{"COMPLIANT, the count and reasons dropped too", unknown, func(r *Report) {
			r.Summary.Status, r.Summary.UnknownRepositoryCount, r.Summary.UnknownReasons = patchkit.Compliant, 0, nil
		}, "Summary.UnknownRepositoryCount"},
		{"everything made OK but the health", unknown, func(r *Report) {
			r.Summary.Status, r.Summary.UnknownRepositoryCount, r.Summary.UnknownReasons = patchkit.Compliant, 0, nil
			r.Repositories[1].Reason = ""
		}, "Repositories[1].Reason"},
		{"UNKNOWN with every repository OK", clean, func(r *Report) {
			r.Summary.Status = patchkit.ComplianceUnknown
		}, "Summary.Status"},
		{"UNKNOWN with a missing patch", missing, func(r *Report) {
			r.Summary.Status, r.Summary.NonCompliantSeverity = patchkit.ComplianceUnknown, nil
		}, "Summary.Status"},
		{"COMPLIANT with a missing patch", clean, func(r *Report) {
			r.Items[0].Status = patchkit.NonCompliant
		}, "Summary.Status"},
		{"an item UNKNOWN", unknown, func(r *Report) {
			r.Items[1].Status = patchkit.ComplianceUnknown
		}, "Items[1].Status"},
		{"reasons changed", unknown, func(r *Report) {
			r.Summary.UnknownReasons[0] = "kernel-livepatch: EXPIRED: fine really"
		}, "Summary.UnknownReasons"},
		{"a health no scan writes", clean, func(r *Report) {
			r.Repositories[0].Health = "GOOD"
		}, "Repositories[0].Health"},
		{"no status", clean, func(r *Report) {
			r.Summary.Status = ""
		}, "Summary.Status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.base
			r.Items = append([]Item(nil), r.Items...)
			r.Repositories = append([]repo.Status(nil), r.Repositories...)
			r.Summary.UnknownReasons = append([]string(nil), r.Summary.UnknownReasons...)
			tc.tamper(&r)
			data, err := json.Marshal(&r)
			require.NoError(t, err)
			// An empty status is not a value JSON can hold: leave the
			// field out instead.
			data = bytes.Replace(data, []byte(`,"Status":""`), nil, 1)
			_, err = ReadJSON(bytes.NewReader(data))
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.field, ie.Field)
			assert.ErrorIs(t, err, patchkit.ErrInvalid)
		})
	}
	// Untampered, all three read.
	for _, r := range []Report{unknown, missing, clean} {
		data, err := json.Marshal(&r)
		require.NoError(t, err)
		_, err = ReadJSON(bytes.NewReader(data))
		require.NoError(t, err)
	}
	// A health value JSON holds that repo does not know is refused too.
	var buf bytes.Buffer
	require.NoError(t, clean.WriteJSON(&buf))
	_, err = ReadJSON(strings.NewReader(strings.Replace(buf.String(), `"Health": "OK"`, `"Health": "ok"`, 1)))
	var ie *InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "Repositories[0].Health", ie.Field)
}

// TestReadSchema10 reads reports written by the 1.0 writer (the files as
// they were committed before 1.1): they load, say nothing of repositories,
// and write back byte for byte; what 1.0 could not say is refused in a
// report that claims 1.0.
func TestReadSchema10(t *testing.T) {
	path := "testdata/schema-1.0/sequence-3-install-noreboot.json"
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	r, err := LoadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "1.0", r.SchemaVersion)
	assert.Nil(t, r.Repositories)
	assert.Equal(t, patchkit.NonCompliant, r.Summary.Status)
	assert.Equal(t, 1, r.Summary.InstalledPendingRebootCount)
	assert.Zero(t, r.Summary.UnknownRepositoryCount)
	var buf bytes.Buffer
	require.NoError(t, r.WriteJSON(&buf))
	assert.Equal(t, string(data), buf.String())

	// The same report as the 1.1 writer makes it differs only in its
	// version.
	current, err := LoadFile("testdata/golden/sequence-3-install-noreboot.json")
	require.NoError(t, err)
	current.SchemaVersion = "1.0"
	assert.Equal(t, r, current)

	var se *SchemaError
	withRepos := strings.Replace(string(data), `"Items": [`, `"Repositories": [{"Name": "amazonlinux", "Health": "OK", "Verified": false, "Packages": 1}], "Items": [`, 1)
	_, err = ReadJSON(strings.NewReader(withRepos))
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Reason, "Repositories")
	_, err = ReadJSON(strings.NewReader(strings.Replace(withRepos, `"1.0"`, `"1.1"`, 1)))
	assert.NoError(t, err, "the same content as 1.1")
	unknown := strings.Replace(string(data), `"Status": "NON_COMPLIANT",
    "NonCompliantSeverity": "INFORMATIONAL"`, `"Status": "UNKNOWN"`, 1)
	require.NotEqual(t, string(data), unknown)
	_, err = ReadJSON(strings.NewReader(unknown))
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Reason, "UNKNOWN")
}

// TestAggregateSchema10: the fleet of reports the 1.0 writer made
// aggregates as the same nodes written by 1.1 do; a fleet mixing both with
// an UNKNOWN node counts it apart.
func TestAggregateSchema10(t *testing.T) {
	old, err := os.ReadFile("testdata/schema-1.0/fleet.jsonl")
	require.NoError(t, err)
	cur, err := os.ReadFile("../examples/fleetreport/testdata/fleet.jsonl")
	require.NoError(t, err)
	oldLines := strings.SplitAfter(strings.TrimSpace(string(old)), "\n")
	curLines := strings.SplitAfter(strings.TrimSpace(string(cur)), "\n")
	require.Len(t, curLines, len(oldLines)+1, "1.1 has web-prod-5 besides")

	fromOld, err := Aggregate(Reports(strings.NewReader(string(old))), 0)
	require.NoError(t, err)
	fromCur, err := Aggregate(Reports(strings.NewReader(strings.Join(curLines[:len(oldLines)], ""))), 0)
	require.NoError(t, err)
	assert.Equal(t, fromOld, fromCur)
	assert.Zero(t, fromOld.Overall.UnknownInstances)

	// Old and new reports in one stream, with the UNKNOWN node last.
	mixed, err := Aggregate(Reports(strings.NewReader(string(old)+curLines[len(curLines)-1])), 0)
	require.NoError(t, err)
	assert.Equal(t, fromOld.Overall.Instances+1, mixed.Overall.Instances)
	assert.Equal(t, 1, mixed.Overall.UnknownInstances)
	assert.Equal(t, 1, mixed.Overall.InstancesWithUnknownRepositories)
	assert.Equal(t, fromOld.Overall.CompliantInstances, mixed.Overall.CompliantInstances)
	assert.Equal(t, fromOld.Overall.NonCompliantInstances, mixed.Overall.NonCompliantInstances)
	assert.Equal(t, map[string]int{"UNREADABLE": 1}, mixed.NodesByRepositoryHealth)
}

func TestAggregateUnknown(t *testing.T) {
	build := func(group string, missing bool, repos ...repo.Status) *Report {
		r, err := scanWith(t, missing, repos...)
		require.NoError(t, err)
		r.Node.PatchGroup, r.Summary.PatchGroup = group, group
		return &r
	}
	ok := statusOf("amazonlinux", repo.HealthOK)
	reports := []*Report{
		build("web", false, ok), // compliant
		build("web", true, ok),  // non-compliant
		build("web", false, ok, statusOf("updates", repo.HealthStale)),                                                               // unknown
		build("db", true, statusOf("updates", repo.HealthExpired)),                                                                   // non-compliant, expired
		build("db", false, statusOf("a", repo.HealthExpired), statusOf("b", repo.HealthExpired), statusOf("c", repo.HealthUnsigned)), // unknown
		{SchemaVersion: SchemaVersion, Node: Node{PatchGroup: "db"}},                                                                 // no status at all
	}
	f, err := Aggregate(seq(reports...), 0)
	require.NoError(t, err)
	o := f.Overall
	assert.Equal(t, 6, o.Instances)
	assert.Equal(t, 1, o.CompliantInstances)
	assert.Equal(t, 2, o.NonCompliantInstances)
	assert.Equal(t, 3, o.UnknownInstances, "two UNKNOWN and one without a status, never compliant")
	assert.Equal(t, 3, o.InstancesWithUnknownRepositories)
	assert.Equal(t, o.Instances, o.CompliantInstances+o.NonCompliantInstances+o.UnknownInstances)
	assert.Equal(t, 1, f.Groups["web"].UnknownInstances)
	assert.Equal(t, 2, f.Groups["db"].UnknownInstances)
	assert.Equal(t, 2, f.Groups["db"].InstancesWithUnknownRepositories)
	// Nodes per health: the node with two expired repositories counts once.
	assert.Equal(t, map[string]int{"STALE": 1, "EXPIRED": 2, "UNSIGNED": 1}, f.NodesByRepositoryHealth)
	// The severity figures are the non-compliant nodes' only.
	n := 0
	for _, c := range f.NonCompliantNodesBySeverity {
		n += c
	}
	assert.Equal(t, 2, n)

	var text bytes.Buffer
	require.NoError(t, f.WriteText(&text))
	assert.Contains(t, text.String(), "Nodes: 6  compliant: 1  non-compliant: 2  unknown: 3  (16% compliant)\n")
	assert.Regexp(t, `\nEXPIRED +2\n`, text.String())
	var page bytes.Buffer
	require.NoError(t, f.WriteHTML(&page, "t"))
	assert.Contains(t, page.String(), `<div class="n unk">3</div><div class="l">Unknown nodes</div>`)
	assert.Contains(t, page.String(), `stroke="#8d6605"`, "the ring's unknown segment")
	assert.Contains(t, page.String(), "<title>EXPIRED: 2</title>")
}

// TestBadgeContrast: white text on the status badges, and the badge colours
// as text on white, reach WCAG AA's 4.5:1 for normal text.
func TestBadgeContrast(t *testing.T) {
	lum := func(hex string) float64 {
		var c [3]float64
		for i := range c {
			var v int
			for _, d := range hex[1+2*i : 3+2*i] {
				v = v*16 + strings.IndexRune("0123456789abcdef", d)
			}
			x := float64(v) / 255
			if x <= 0.04045 {
				c[i] = x / 12.92
			} else {
				c[i] = math.Pow((x+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
	}
	for _, c := range []string{colorCompliant, colorNonCompliant, colorUnknown} {
		ratio := 1.05 / (lum(c) + 0.05)
		assert.GreaterOrEqual(t, ratio, 4.5, c)
		t.Logf("%s: %.2f:1 against white", c, ratio)
	}
	assert.Less(t, 1.05/(lum("#f2a900")+0.05), 4.5, "the check can fail: amber is too light for white text")
	// The unknown colour is not one of the others.
	for _, c := range []string{colorCompliant, colorNonCompliant, colorBar, colorEmpty, "#687078", "#f2a900", "#ec7211"} {
		assert.NotEqual(t, c, colorUnknown)
	}
}
