package compliance

import (
	"time"

	"github.com/patchkit/patchkit"
)

// PatchComplianceData is one entry of describe-instance-patches. Its states
// are the items' own; no item is UNKNOWN.
type PatchComplianceData struct {
	Title          string    `json:"Title"`
	KBID           string    `json:"KBId"`
	Classification string    `json:"Classification"`
	Severity       string    `json:"Severity"`
	State          State     `json:"State"`
	InstalledTime  time.Time `json:"InstalledTime"`
	CVEIDs         string    `json:"CVEIds,omitempty"`
}

// DescribeInstancePatches is the output of "aws ssm describe-instance-patches".
type DescribeInstancePatches struct {
	Patches []PatchComplianceData `json:"Patches"`
}

// InstancePatches returns the items as describe-instance-patches lists them:
// on Linux and macOS without the NotApplicable ones (Patch Manager only
// counts those), InstalledOther and NotApplicable items without
// classification and severity, CVE IDs comma-joined for Missing and Failed.
func (r *Report) InstancePatches() DescribeInstancePatches {
	out := DescribeInstancePatches{Patches: []PatchComplianceData{}}
	for _, it := range r.Items {
		if it.State == NotApplicable && r.Node.OperatingSystem != patchkit.OSWindows {
			continue
		}
		p := PatchComplianceData{Title: it.Title, KBID: it.KBID, State: it.State, InstalledTime: it.InstalledTime}
		if it.State != InstalledOther && it.State != NotApplicable {
			p.Classification, p.Severity = it.Classification, it.Severity
		}
		if it.State == Missing || it.State == Failed {
			for i, c := range it.CVEIDs {
				if i > 0 {
					p.CVEIDs += ","
				}
				p.CVEIDs += c
			}
		}
		out.Patches = append(out.Patches, p)
	}
	return out
}

// InstancePatchState is one entry of describe-instance-patch-states, and the
// core of a report's Summary. Like AWS's, it has no status: the Summary's
// Status (COMPLIANT, NON_COMPLIANT or patchkit's UNKNOWN) and its
// repository fields stay out of it, so the entry of an UNKNOWN node shows
// only its counts.
type InstancePatchState struct {
	InstanceID                       string       `json:"InstanceId"`
	PatchGroup                       string       `json:"PatchGroup"`
	BaselineID                       string       `json:"BaselineId"`
	SnapshotID                       string       `json:"SnapshotId,omitempty"`
	InstallOverrideList              string       `json:"InstallOverrideList,omitempty"`
	OwnerInformation                 string       `json:"OwnerInformation,omitempty"`
	InstalledCount                   int          `json:"InstalledCount"`
	InstalledOtherCount              int          `json:"InstalledOtherCount"`
	InstalledPendingRebootCount      int          `json:"InstalledPendingRebootCount"`
	InstalledRejectedCount           int          `json:"InstalledRejectedCount"`
	MissingCount                     int          `json:"MissingCount"`
	FailedCount                      int          `json:"FailedCount"`
	UnreportedNotApplicableCount     int          `json:"UnreportedNotApplicableCount"`
	NotApplicableCount               int          `json:"NotApplicableCount"`
	AvailableSecurityUpdateCount     int          `json:"AvailableSecurityUpdateCount"`
	OperationStartTime               time.Time    `json:"OperationStartTime"`
	OperationEndTime                 time.Time    `json:"OperationEndTime"`
	Operation                        Operation    `json:"Operation"`
	LastNoRebootInstallOperationTime time.Time    `json:"LastNoRebootInstallOperationTime,omitzero"`
	RebootOption                     RebootOption `json:"RebootOption,omitempty"`
	CriticalNonCompliantCount        int          `json:"CriticalNonCompliantCount"`
	SecurityNonCompliantCount        int          `json:"SecurityNonCompliantCount"`
	OtherNonCompliantCount           int          `json:"OtherNonCompliantCount"`
}

// DescribeInstancePatchStates is the output of
// "aws ssm describe-instance-patch-states".
type DescribeInstancePatchStates struct {
	InstancePatchStates []InstancePatchState `json:"InstancePatchStates"`
}

// InstancePatchStates returns the summaries of reports as
// describe-instance-patch-states does. An UNKNOWN node's entry looks like
// that of a node with nothing missing: read the Summary's Status before
// taking an entry for compliance.
func InstancePatchStates(reports ...*Report) DescribeInstancePatchStates {
	out := DescribeInstancePatchStates{InstancePatchStates: []InstancePatchState{}}
	for _, r := range reports {
		out.InstancePatchStates = append(out.InstancePatchStates, r.Summary.InstancePatchState)
	}
	return out
}
