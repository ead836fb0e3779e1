package baseline

import (
	"encoding/json"

	"github.com/patchkit/patchkit"
)

// The camelCase shape of the baseline inside the snapshot a node downloads
// (GetDeployablePatchSnapshotForInstance), as the node-side payload reads it.

type camelFilter struct {
	Key    FilterKey `json:"key"`
	Values []string  `json:"values"`
}

type camelGroup struct {
	Filters []camelFilter `json:"filters"`
}

func (g *camelGroup) group() FilterGroup {
	var out FilterGroup
	if g == nil {
		return out
	}
	for _, f := range g.Filters {
		out.PatchFilters = append(out.PatchFilters, Filter{Key: f.Key, Values: f.Values})
	}
	return out
}

type camelRule struct {
	FilterGroup       *camelGroup              `json:"filterGroup"`
	ComplianceLevel   patchkit.ComplianceLevel `json:"complianceLevel"`
	EnableNonSecurity bool                     `json:"enableNonSecurity"`
	ApproveAfterDays  *int                     `json:"approveAfterDays"`
	ApproveUntilDate  *string                  `json:"approveUntilDate"`
}

type camelSource struct {
	Name          string   `json:"name"`
	Products      []string `json:"products"`
	Configuration string   `json:"configuration"`
}

type camelWire struct {
	AccountID       string                   `json:"accountId"`
	BaselineID      string                   `json:"baselineId"`
	Name            string                   `json:"name"`
	OperatingSystem patchkit.OperatingSystem `json:"operatingSystem"`
	GlobalFilters   *camelGroup              `json:"globalFilters"`
	ApprovalRules   *struct {
		Rules []camelRule `json:"rules"`
	} `json:"approvalRules"`
	ApprovedPatches                          []string                  `json:"approvedPatches"`
	ApprovedPatchesComplianceLevel           patchkit.ComplianceLevel  `json:"approvedPatchesComplianceLevel"`
	ApprovedPatchesEnableNonSecurity         bool                      `json:"approvedPatchesEnableNonSecurity"`
	RejectedPatches                          []string                  `json:"rejectedPatches"`
	RejectedPatchesAction                    PatchAction               `json:"rejectedPatchesAction"`
	CreatedTime                              awsTime                   `json:"createdTime"`
	ModifiedTime                             awsTime                   `json:"modifiedTime"`
	Description                              string                    `json:"description"`
	Sources                                  []camelSource             `json:"sources"`
	AvailableSecurityUpdatesComplianceStatus patchkit.ComplianceStatus `json:"availableSecurityUpdatesComplianceStatus"`
}

func (w camelWire) baseline() Baseline {
	b := Baseline{
		BaselineID: w.BaselineID, Name: w.Name, OperatingSystem: w.OperatingSystem,
		GlobalFilters:   w.GlobalFilters.group(),
		ApprovedPatches: w.ApprovedPatches, ApprovedPatchesComplianceLevel: w.ApprovedPatchesComplianceLevel,
		ApprovedPatchesEnableNonSecurity: w.ApprovedPatchesEnableNonSecurity,
		RejectedPatches:                  w.RejectedPatches, RejectedPatchesAction: w.RejectedPatchesAction,
		CreatedDate: w.CreatedTime.Time, ModifiedDate: w.ModifiedTime.Time, Description: w.Description,
		AvailableSecurityUpdatesComplianceStatus: w.AvailableSecurityUpdatesComplianceStatus,
	}
	if w.ApprovalRules != nil {
		for _, r := range w.ApprovalRules.Rules {
			b.ApprovalRules.PatchRules = append(b.ApprovalRules.PatchRules, Rule{
				PatchFilterGroup: r.FilterGroup.group(), ComplianceLevel: r.ComplianceLevel,
				EnableNonSecurity: r.EnableNonSecurity, ApproveAfterDays: r.ApproveAfterDays,
				ApproveUntilDate: r.ApproveUntilDate,
			})
		}
	}
	for _, s := range w.Sources {
		b.Sources = append(b.Sources, Source{Name: s.Name, Products: s.Products, Configuration: s.Configuration})
	}
	return b
}

// snapshotWire is the whole snapshot: the baseline and what comes with it,
// as downloaded, or with the run context the node's payload adds.
type snapshotWire struct {
	PatchBaseline            json.RawMessage `json:"patchBaseline"`
	PatchGroup               *string         `json:"patchGroup"`
	Patches                  json.RawMessage `json:"patches"`
	EnableApplicationPatches bool            `json:"enableApplicationPatches"`
	RequiredFeatures         json.RawMessage `json:"requiredFeatures"`
	Product                  string          `json:"product"`
	InstanceID               string          `json:"instanceId"`
	Region                   string          `json:"region"`
	Operation                string          `json:"operation"`
	SnapshotID               string          `json:"snapshotId"`
	InstallOverrideList      string          `json:"installOverrideList"`
	BaselineOverride         json.RawMessage `json:"baselineOverride"`
	RebootOption             string          `json:"rebootOption"`
}
