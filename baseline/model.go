package baseline

import (
	"strconv"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/enum"
)

// Baseline is a Patch Manager patch baseline with every field of the API's
// PatchBaseline. json.Marshal writes the shape of "aws ssm
// get-patch-baseline"; Load reads that shape, the CreatePatchBaseline
// request, a BaselineOverride file and the camelCase snapshot a node
// receives.
type Baseline struct {
	BaselineID      string                   `json:"BaselineId,omitempty"`
	Name            string                   `json:"Name,omitempty"`
	OperatingSystem patchkit.OperatingSystem `json:"OperatingSystem"`
	// GlobalFilters must all pass before any rule can approve a patch.
	GlobalFilters FilterGroup `json:"GlobalFilters"`
	ApprovalRules RuleGroup   `json:"ApprovalRules"`

	ApprovedPatches                  []string                 `json:"ApprovedPatches"`
	ApprovedPatchesComplianceLevel   patchkit.ComplianceLevel `json:"ApprovedPatchesComplianceLevel"`
	ApprovedPatchesEnableNonSecurity bool                     `json:"ApprovedPatchesEnableNonSecurity"`
	RejectedPatches                  []string                 `json:"RejectedPatches"`
	RejectedPatchesAction            PatchAction              `json:"RejectedPatchesAction"`

	PatchGroups  []string  `json:"PatchGroups"`
	CreatedDate  time.Time `json:"CreatedDate,omitzero"`
	ModifiedDate time.Time `json:"ModifiedDate,omitzero"`
	Description  string    `json:"Description,omitempty"`
	Sources      []Source  `json:"Sources"`

	// AvailableSecurityUpdatesComplianceStatus (Windows only) says whether a
	// security update that is available but not approved makes the node
	// non-compliant. Empty when the baseline does not set it.
	AvailableSecurityUpdatesComplianceStatus patchkit.ComplianceStatus `json:"AvailableSecurityUpdatesComplianceStatus,omitempty"`
}

// FilterGroup is a PatchFilterGroup: its filters are AND'ed.
type FilterGroup struct {
	PatchFilters []Filter `json:"PatchFilters"`
}

// Filter is a PatchFilter: the patch property named by Key must equal one of
// Values (OR'ed, compared without regard to case). "*" matches every patch,
// including one that lacks the property; a value ending in "*" matches by
// prefix.
type Filter struct {
	Key    FilterKey `json:"Key"`
	Values []string  `json:"Values"`
}

// RuleGroup is a PatchRuleGroup: a patch is approved by rules when any rule
// approves it.
type RuleGroup struct {
	PatchRules []Rule `json:"PatchRules"`
}

// Rule is a PatchRule.
type Rule struct {
	PatchFilterGroup FilterGroup              `json:"PatchFilterGroup"`
	ComplianceLevel  patchkit.ComplianceLevel `json:"ComplianceLevel"`
	// ApproveAfterDays (0..360) delays approval after the release date;
	// ApproveUntilDate ("YYYY-MM-DD") approves what was released on or before
	// that UTC day. nil when absent.
	ApproveAfterDays  *int    `json:"ApproveAfterDays,omitempty"`
	ApproveUntilDate  *string `json:"ApproveUntilDate,omitempty"`
	EnableNonSecurity bool    `json:"EnableNonSecurity"`
}

// Source is a PatchSource: an alternative repository for the products it
// names (Linux only).
type Source struct {
	Name          string   `json:"Name"`
	Products      []string `json:"Products"`
	Configuration string   `json:"Configuration"`
}

// FilterKey is a value of the API's PatchFilterKey enumeration.
type FilterKey string

// The PatchFilterKey values.
const (
	KeyArch           FilterKey = "ARCH"
	KeyAdvisoryID     FilterKey = "ADVISORY_ID"
	KeyBugzillaID     FilterKey = "BUGZILLA_ID"
	KeyPatchSet       FilterKey = "PATCH_SET"
	KeyProduct        FilterKey = "PRODUCT"
	KeyProductFamily  FilterKey = "PRODUCT_FAMILY"
	KeyClassification FilterKey = "CLASSIFICATION"
	KeyCVEID          FilterKey = "CVE_ID"
	KeyEpoch          FilterKey = "EPOCH"
	KeyMsrcSeverity   FilterKey = "MSRC_SEVERITY"
	KeyName           FilterKey = "NAME"
	KeyPatchID        FilterKey = "PATCH_ID"
	KeySection        FilterKey = "SECTION"
	KeyPriority       FilterKey = "PRIORITY"
	KeyRepository     FilterKey = "REPOSITORY"
	KeyRelease        FilterKey = "RELEASE"
	KeySeverity       FilterKey = "SEVERITY"
	KeySecurity       FilterKey = "SECURITY"
	KeyVersion        FilterKey = "VERSION"
)

var allKeys = []FilterKey{KeyArch, KeyAdvisoryID, KeyBugzillaID, KeyPatchSet, KeyProduct, KeyProductFamily,
	KeyClassification, KeyCVEID, KeyEpoch, KeyMsrcSeverity, KeyName, KeyPatchID, KeySection, KeyPriority,
	KeyRepository, KeyRelease, KeySeverity, KeySecurity, KeyVersion}

// UnmarshalText accepts only the enumeration's values.
func (k *FilterKey) UnmarshalText(b []byte) error {
	return enum.Set(k, "PatchFilterKey", string(b), allKeys...)
}

// PatchAction is RejectedPatchesAction.
type PatchAction string

// The PatchAction values.
const (
	AllowAsDependency PatchAction = "ALLOW_AS_DEPENDENCY"
	Block             PatchAction = "BLOCK"
)

// UnmarshalText accepts only the enumeration's values.
func (a *PatchAction) UnmarshalText(b []byte) error {
	return enum.Set(a, "PatchAction", string(b), AllowAsDependency, Block)
}

// DeploymentStatus is PatchDeploymentStatus, the status
// DescribeEffectivePatchesForPatchBaseline gives a patch. The zero value
// means the baseline does not select the patch at all.
type DeploymentStatus uint8

// The PatchDeploymentStatus values.
const (
	Approved DeploymentStatus = iota + 1
	PendingApproval
	ExplicitApproved
	ExplicitRejected
)

var deploymentNames = [...]string{"", "APPROVED", "PENDING_APPROVAL", "EXPLICIT_APPROVED", "EXPLICIT_REJECTED"}

// String returns the API spelling ("APPROVED", ...), or "" for none.
func (s DeploymentStatus) String() string {
	if int(s) < len(deploymentNames) {
		return deploymentNames[s]
	}
	return "DeploymentStatus(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText writes the API spelling.
func (s DeploymentStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts the API spellings.
func (s *DeploymentStatus) UnmarshalText(b []byte) error {
	for i, n := range deploymentNames {
		if i > 0 && n == string(b) {
			*s = DeploymentStatus(i)
			return nil
		}
	}
	return &patchkit.UnknownValueError{Type: "PatchDeploymentStatus", Value: string(b)}
}
