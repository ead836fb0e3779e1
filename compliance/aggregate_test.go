package compliance

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
)

func seq(rs ...*Report) iter.Seq2[*Report, error] {
	return func(yield func(*Report, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func TestAggregate(t *testing.T) {
	n := newNode(t)
	missing := n.report(Scan, RebootIfNeeded, utc("2025-11-20T01:00:00Z"), nil, nil, BuildOptions{})
	missing.Node.PatchGroup = "web"
	n2 := newNode(t)
	n2.upgrade(utc("2025-11-19T00:00:00Z"))
	clean := n2.report(Scan, RebootIfNeeded, utc("2025-11-20T01:00:00Z"), nil, nil, BuildOptions{})
	clean.Node.PatchGroup = "db"
	clean.Summary.PatchGroup = "db"
	f, err := Aggregate(seq(&missing, &clean, &missing), 5)
	require.NoError(t, err)
	assert.Equal(t, 3, f.Overall.Instances)
	assert.Equal(t, 2, f.Overall.NonCompliantInstances)
	assert.Equal(t, 1, f.Overall.CompliantInstances)
	assert.Equal(t, 2, f.Overall.InstancesWithMissingPatches)
	assert.Equal(t, 3, f.Overall.InstancesWithInstalledPatches)
	assert.Equal(t, 2, f.Groups["web"].Instances)
	assert.Equal(t, 1, f.Groups["db"].CompliantInstances)
	require.Len(t, f.TopMissing, 1)
	assert.Equal(t, PatchCount{KBID: "openssl-libs.x86_64", Classification: "Security", Severity: "Critical",
		Level: patchkit.ComplianceUnspecified, Nodes: 2}, f.TopMissing[0])
	assert.Equal(t, map[string]int{"INFORMATIONAL": 2}, f.NonCompliantNodesBySeverity)
	assert.Equal(t, map[string]int{"UNSPECIFIED": 2}, f.NonCompliantItemsByLevel)
	assert.Equal(t, map[string]int{"Security": 2}, f.NonCompliantItemsByClassification)

	// From a stream of JSON reports.
	var buf bytes.Buffer
	for _, r := range []*Report{&missing, &clean} {
		require.NoError(t, r.WriteJSON(&buf))
	}
	f2, err := Aggregate(Reports(&buf), 0)
	require.NoError(t, err)
	assert.Equal(t, 2, f2.Overall.Instances)
	_, err = Aggregate(Reports(strings.NewReader(`{"SchemaVersion": "9.0"}`)), 0)
	var se *SchemaError
	assert.ErrorAs(t, err, &se)
	boom := errors.New("read failed")
	_, err = Aggregate(func(yield func(*Report, error) bool) { yield(nil, boom) }, 0)
	assert.ErrorIs(t, err, boom)
}

// BenchmarkAggregate100k folds 100,000 node reports of 50 items each,
// produced one at a time as a reader of report files would.
func BenchmarkAggregate100k(b *testing.B) {
	levels := patchkit.ComplianceLevels()
	classes := []string{"Security", "Bugfix", "Enhancement", ""}
	states := []State{Installed, Installed, Installed, InstalledOther, Missing, Missing, Failed, InstalledPendingReboot, NotApplicable}
	base := make([]Item, 50)
	for i := range base {
		base[i] = Item{KBID: fmt.Sprintf("pkg%d.x86_64", i), Title: fmt.Sprintf("pkg%d.x86_64:0:1.0-%d", i, i), Name: fmt.Sprintf("pkg%d", i), Arch: "x86_64"}
	}
	reports := func(yield func(*Report, error) bool) {
		r := &Report{SchemaVersion: SchemaVersion, Items: make([]Item, 50)}
		for n := 0; n < 100_000; n++ {
			r.Node = Node{InstanceID: fmt.Sprintf("i-%017x", n), PatchGroup: []string{"web", "db", "batch", ""}[n%4]}
			copy(r.Items, base)
			for i := range r.Items {
				it := &r.Items[i]
				it.State = states[(n+i*7)%len(states)]
				it.Classification = classes[(n+i)%len(classes)]
				it.ComplianceLevel = levels[(n*3+i)%len(levels)]
				it.KBID = base[(n+i*13)%len(base)].KBID
				it.Status = patchkit.Compliant
				if it.State.NonCompliantState(false) {
					it.Status = patchkit.NonCompliant
				}
			}
			r.Summary = summarize(r, false, BuildOptions{})
			if !yield(r, nil) {
				return
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		f, err := Aggregate(reports, 20)
		if err != nil {
			b.Fatal(err)
		}
		if f.Overall.Instances != 100_000 {
			b.Fatal(f.Overall.Instances)
		}
	}
}
