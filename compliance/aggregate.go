package compliance

import (
	"iter"
	"sort"

	"github.com/patchkit/patchkit"
)

// GroupState is DescribePatchGroupState for a set of nodes: how many there
// are and how many have at least one patch in each state or class.
type GroupState struct {
	Instances                                   int `json:"Instances"`
	InstancesWithInstalledPatches               int `json:"InstancesWithInstalledPatches"`
	InstancesWithInstalledOtherPatches          int `json:"InstancesWithInstalledOtherPatches"`
	InstancesWithInstalledPendingRebootPatches  int `json:"InstancesWithInstalledPendingRebootPatches"`
	InstancesWithInstalledRejectedPatches       int `json:"InstancesWithInstalledRejectedPatches"`
	InstancesWithMissingPatches                 int `json:"InstancesWithMissingPatches"`
	InstancesWithFailedPatches                  int `json:"InstancesWithFailedPatches"`
	InstancesWithNotApplicablePatches           int `json:"InstancesWithNotApplicablePatches"`
	InstancesWithUnreportedNotApplicablePatches int `json:"InstancesWithUnreportedNotApplicablePatches"`
	InstancesWithCriticalNonCompliantPatches    int `json:"InstancesWithCriticalNonCompliantPatches"`
	InstancesWithSecurityNonCompliantPatches    int `json:"InstancesWithSecurityNonCompliantPatches"`
	InstancesWithOtherNonCompliantPatches       int `json:"InstancesWithOtherNonCompliantPatches"`
	InstancesWithAvailableSecurityUpdates       int `json:"InstancesWithAvailableSecurityUpdates"`

	// patchkit additions: nodes by status (UnknownInstances also counts a
	// report without a status, which is never taken for compliant), and
	// the nodes with at least one repository whose Health is not OK,
	// whatever their status.
	CompliantInstances               int `json:"CompliantInstances"`
	NonCompliantInstances            int `json:"NonCompliantInstances"`
	UnknownInstances                 int `json:"UnknownInstances"`
	InstancesWithUnknownRepositories int `json:"InstancesWithUnknownRepositories"`
}

func (g *GroupState) add(s *Summary) {
	g.Instances++
	count := func(n int, dst *int) {
		if n > 0 {
			*dst++
		}
	}
	count(s.InstalledCount, &g.InstancesWithInstalledPatches)
	count(s.InstalledOtherCount, &g.InstancesWithInstalledOtherPatches)
	count(s.InstalledPendingRebootCount, &g.InstancesWithInstalledPendingRebootPatches)
	count(s.InstalledRejectedCount, &g.InstancesWithInstalledRejectedPatches)
	count(s.MissingCount, &g.InstancesWithMissingPatches)
	count(s.FailedCount, &g.InstancesWithFailedPatches)
	count(s.NotApplicableCount, &g.InstancesWithNotApplicablePatches)
	count(s.UnreportedNotApplicableCount, &g.InstancesWithUnreportedNotApplicablePatches)
	count(s.CriticalNonCompliantCount, &g.InstancesWithCriticalNonCompliantPatches)
	count(s.SecurityNonCompliantCount, &g.InstancesWithSecurityNonCompliantPatches)
	count(s.OtherNonCompliantCount, &g.InstancesWithOtherNonCompliantPatches)
	count(s.AvailableSecurityUpdateCount, &g.InstancesWithAvailableSecurityUpdates)
	count(s.UnknownRepositoryCount, &g.InstancesWithUnknownRepositories)
	switch s.Status {
	case patchkit.Compliant:
		g.CompliantInstances++
	case patchkit.NonCompliant:
		g.NonCompliantInstances++
	default:
		g.UnknownInstances++
	}
}

// PatchCount is a patch and the number of nodes that miss it.
type PatchCount struct {
	KBID           string                   `json:"KBId"`
	Classification string                   `json:"Classification,omitempty"`
	Severity       string                   `json:"Severity,omitempty"`
	Level          patchkit.ComplianceLevel `json:"ComplianceLevel"`
	Nodes          int                      `json:"Nodes"`
}

// Fleet is the aggregate of many nodes' reports.
type Fleet struct {
	Overall GroupState `json:"Overall"`
	// Groups is per patch group ("" for nodes in none).
	Groups map[string]GroupState `json:"Groups"`
	// TopMissing are the patches missing (or failed) on the most nodes, most
	// first, ties by KBID.
	TopMissing []PatchCount `json:"TopMissing"`
	// NonCompliantItemsByLevel and NonCompliantItemsByClassification count
	// the non-compliant items over all nodes.
	NonCompliantItemsByLevel          map[string]int `json:"NonCompliantItemsByLevel"`
	NonCompliantItemsByClassification map[string]int `json:"NonCompliantItemsByClassification"`
	// NonCompliantNodesBySeverity counts the non-compliant nodes by their
	// NonCompliantSeverity.
	NonCompliantNodesBySeverity map[string]int `json:"NonCompliantNodesBySeverity"`
	// NodesByRepositoryHealth counts, for each repository Health other than
	// OK ("EXPIRED", ...), the nodes with at least one repository in it,
	// whatever their status.
	NodesByRepositoryHealth map[string]int `json:"NodesByRepositoryHealth"`
}

// DefaultTopMissing is how many patches Aggregate lists in TopMissing.
const DefaultTopMissing = 20

// Aggregate folds reports into a Fleet, one report at a time: memory grows
// with the number of distinct patches and patch groups, not with the number
// of reports. It stops at the first error the sequence yields.
func Aggregate(reports iter.Seq2[*Report, error], top int) (Fleet, error) {
	f := Fleet{Groups: map[string]GroupState{}, NonCompliantItemsByLevel: map[string]int{},
		NonCompliantItemsByClassification: map[string]int{}, NonCompliantNodesBySeverity: map[string]int{},
		NodesByRepositoryHealth: map[string]int{}}
	miss := map[string]*PatchCount{}
	var levelCount [patchkit.ComplianceCritical + 1]int
	healths := unknownHealths()
	seen := make([]bool, len(healths)) // per report: the healths counted
	for r, err := range reports {
		if err != nil {
			return Fleet{}, err
		}
		s := &r.Summary
		f.Overall.add(s)
		g := f.Groups[r.Node.PatchGroup]
		g.add(s)
		f.Groups[r.Node.PatchGroup] = g
		if s.Status == patchkit.NonCompliant && s.NonCompliantSeverity != nil {
			f.NonCompliantNodesBySeverity[s.NonCompliantSeverity.String()]++
		}
		clear(seen)
		for _, rs := range r.Repositories {
			for i, h := range healths {
				if rs.Health == h && !seen[i] {
					seen[i] = true
					f.NodesByRepositoryHealth[string(h)]++
				}
			}
		}
		for i := range r.Items {
			it := &r.Items[i]
			if it.Status != patchkit.NonCompliant {
				continue
			}
			if it.ComplianceLevel <= patchkit.ComplianceCritical {
				levelCount[it.ComplianceLevel]++
			}
			f.NonCompliantItemsByClassification[it.Classification]++
			if it.State != Missing && it.State != Failed {
				continue
			}
			pc := miss[it.KBID]
			if pc == nil {
				pc = &PatchCount{KBID: it.KBID, Classification: it.Classification, Severity: it.Severity, Level: it.ComplianceLevel}
				miss[it.KBID] = pc
			}
			pc.Nodes++
			pc.Level = max(pc.Level, it.ComplianceLevel)
		}
	}
	for l, n := range levelCount {
		if n > 0 {
			f.NonCompliantItemsByLevel[patchkit.ComplianceLevel(l).String()] = n
		}
	}
	all := make([]PatchCount, 0, len(miss))
	for _, pc := range miss {
		all = append(all, *pc)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Nodes != all[j].Nodes {
			return all[i].Nodes > all[j].Nodes
		}
		return all[i].KBID < all[j].KBID
	})
	if top <= 0 {
		top = DefaultTopMissing
	}
	f.TopMissing = all[:min(top, len(all))]
	return f, nil
}
