package compliance

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/repo"
)

// SchemaVersion is the version of the Report JSON this package writes. A
// report with a newer major version is refused when read. Version 1.1 added
// Report.Repositories, Summary.UnknownRepositoryCount and
// Summary.UnknownReasons and the status UNKNOWN; see the package
// documentation.
const SchemaVersion = "1.1"

// Node identifies the node a report is about.
type Node struct {
	InstanceID      string                   `json:"InstanceId,omitempty"`
	Hostname        string                   `json:"Hostname,omitempty"`
	OperatingSystem patchkit.OperatingSystem `json:"OperatingSystem"`
	Product         string                   `json:"Product,omitempty"`
	PatchGroup      string                   `json:"PatchGroup"`
}

// Report is one node's patch compliance after an operation: the items and
// the summary, with what produced them.
type Report struct {
	SchemaVersion string       `json:"SchemaVersion"`
	Node          Node         `json:"Node"`
	BaselineID    string       `json:"BaselineId"`
	SnapshotID    string       `json:"SnapshotId,omitempty"`
	Operation     Operation    `json:"Operation"`
	RebootOption  RebootOption `json:"RebootOption,omitempty"`
	// OperationStartTime and OperationEndTime bound the operation.
	OperationStartTime time.Time `json:"OperationStartTime"`
	OperationEndTime   time.Time `json:"OperationEndTime"`
	// LastBootTime is when the node last booted, as the operation saw it.
	LastBootTime time.Time `json:"LastBootTime,omitzero"`
	// Repositories are the enabled repositories the operation read, sorted
	// by name, each with its Health; absent when the report has none (as on
	// Windows, or from a producer that does not say). Since schema 1.1.
	Repositories []repo.Status `json:"Repositories,omitempty"`
	Items        []Item        `json:"Items"`
	Summary      Summary       `json:"Summary"`
}

// Summary is the node's InstancePatchState, with its compliance status and
// severity.
type Summary struct {
	InstancePatchState

	// Status is NON_COMPLIANT when any item is Missing, Failed,
	// InstalledRejected, InstalledPendingReboot or (baseline permitting)
	// AvailableSecurityUpdate; otherwise UNKNOWN (patchkit's own value) when
	// any repository's Health is not OK, since what that repository offers
	// may be missing; otherwise COMPLIANT. A node is never COMPLIANT while
	// a repository is not OK.
	Status patchkit.ComplianceStatus `json:"Status"`
	// NonCompliantSeverity is the highest compliance level among the
	// non-compliant items, at least INFORMATIONAL; absent unless
	// NON_COMPLIANT.
	NonCompliantSeverity *patchkit.ComplianceLevel `json:"NonCompliantSeverity,omitempty"`
	// UnknownRepositoryCount counts the repositories whose Health is not
	// OK, whatever the Status; absent when none. Since schema 1.1.
	UnknownRepositoryCount int `json:"UnknownRepositoryCount,omitempty"`
	// UnknownReasons says why, one line per such repository in the order
	// of Report.Repositories: "NAME: HEALTH: REASON". Since schema 1.1.
	UnknownReasons []string `json:"UnknownReasons,omitempty"`
}

// BuildInput is everything a report is made from.
type BuildInput struct {
	Node                                     Node
	BaselineID, SnapshotID                   string
	RejectedPatchesAction                    baseline.PatchAction
	AvailableSecurityUpdatesComplianceStatus patchkit.ComplianceStatus
	Operation                                Operation
	// RebootOption is required for an Install; a Scan may leave it empty.
	RebootOption RebootOption
	Start, End   time.Time
	// LastBoot is when the node last booted.
	LastBoot time.Time
	// Packages are the (name, arch) inputs: installed version, candidates
	// with decisions. Their OperatingSystem, RejectedPatchesAction,
	// Operation and AvailableSecurityNonCompliant may be left empty: they
	// are taken from BuildInput, and a value that contradicts it is an
	// *InputError.
	Packages []Input
	// Previous is the node's last report, if any: it carries the
	// pending-reboot bookkeeping across operations.
	Previous *Report
	// BeforeInstall is, for an Install, the scan taken before it: what was
	// installed then tells what this operation installed.
	BeforeInstall *Report
	// Repositories are the enabled repositories the operation read the
	// candidates from, one Status each (names unique; a Health other than
	// OK needs its Reason). Any Health other than OK keeps the node from
	// being COMPLIANT. Leave it empty when there are none (Windows).
	Repositories []repo.Status
}

// BuildOptions choose the other side of the open questions; see the package
// documentation and docs/semantics.md §12.
type BuildOptions struct {
	ClassifyOptions
	// PendingRebootForOutsideInstalls also marks InstalledPendingReboot the
	// packages installed (by anyone) after the last boot, as the current
	// documentation allows; by default only what Patch Manager installed
	// with NoReboot is pending, as the 2023 documentation and the payload
	// do.
	PendingRebootForOutsideInstalls bool
	// UnspecifiedNodeSeverity reports a node whose non-compliant items are
	// all UNSPECIFIED with severity UNSPECIFIED instead of INFORMATIONAL.
	UnspecifiedNodeSeverity bool
}

// InputError reports a field that is missing, out of range or contradicts
// another: of a BuildInput given to Build, or of a report ReadJSON reads.
type InputError struct {
	Field  string // "RebootOption", "Packages[3].OperatingSystem", "Summary.Status"
	Reason string
}

func (e *InputError) Error() string { return "compliance: " + e.Field + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *InputError) Is(target error) bool { return target == patchkit.ErrInvalid }

// ErrCorruptState is returned when the pending-reboot bookkeeping of the
// previous report cannot be true (a LastNoRebootInstallOperationTime before
// 1970 or after this operation), as the payload treats it.
var ErrCorruptState = errors.New("compliance: previous report's reboot bookkeeping is corrupt")

// Build classifies every package and assembles the report: the items in
// KBID order, the pending-reboot bookkeeping of docs/semantics.md §10.5 and
// the summary.
func Build(in BuildInput, o BuildOptions) (Report, error) {
	switch in.Operation {
	case Scan, Install:
	default:
		return Report{}, &patchkit.UnknownValueError{Type: "PatchOperationType", Value: string(in.Operation)}
	}
	switch in.RebootOption {
	case RebootIfNeeded, NoReboot:
	case "":
		if in.Operation == Install {
			return Report{}, &InputError{Field: "RebootOption", Reason: "required for an Install (RebootIfNeeded or NoReboot)"}
		}
	default:
		return Report{}, &patchkit.UnknownValueError{Type: "RebootOption", Value: string(in.RebootOption)}
	}
	if in.End.Before(in.Start) {
		return Report{}, fmt.Errorf("compliance: operation ends (%s) before it starts (%s)", in.End, in.Start)
	}
	switch in.AvailableSecurityUpdatesComplianceStatus {
	case "", patchkit.Compliant, patchkit.NonCompliant:
	default:
		return Report{}, &InputError{Field: "AvailableSecurityUpdatesComplianceStatus",
			Reason: fmt.Sprintf("%q, but a baseline's is COMPLIANT or NON_COMPLIANT", in.AvailableSecurityUpdatesComplianceStatus)}
	}
	repos, err := checkRepositories("Repositories", in.Repositories)
	if err != nil {
		return Report{}, err
	}
	rep := Report{
		SchemaVersion: SchemaVersion, Node: in.Node, BaselineID: in.BaselineID, SnapshotID: in.SnapshotID,
		Operation: in.Operation, RebootOption: in.RebootOption,
		OperationStartTime: in.Start.UTC(), OperationEndTime: in.End.UTC(), LastBootTime: in.LastBoot.UTC(),
		Repositories: repos, Items: []Item{},
	}
	asuNonCompliant := in.AvailableSecurityUpdatesComplianceStatus == patchkit.NonCompliant
	for i, p := range in.Packages {
		// The node-wide facts come from BuildInput; a package that says
		// otherwise is a contradiction, not something to overwrite.
		field := func(name string) string { return fmt.Sprintf("Packages[%d].%s", i, name) }
		switch {
		case p.OperatingSystem != "" && p.OperatingSystem != in.Node.OperatingSystem:
			return Report{}, &InputError{Field: field("OperatingSystem"), Reason: fmt.Sprintf("%s, but the node is %s", p.OperatingSystem, in.Node.OperatingSystem)}
		case p.RejectedPatchesAction != "" && p.RejectedPatchesAction != in.RejectedPatchesAction:
			return Report{}, &InputError{Field: field("RejectedPatchesAction"), Reason: fmt.Sprintf("%s, but the baseline's is %q", p.RejectedPatchesAction, in.RejectedPatchesAction)}
		case p.Operation != "" && p.Operation != in.Operation:
			return Report{}, &InputError{Field: field("Operation"), Reason: fmt.Sprintf("%s, but the operation is %s", p.Operation, in.Operation)}
		case p.AvailableSecurityNonCompliant && !asuNonCompliant:
			return Report{}, &InputError{Field: field("AvailableSecurityNonCompliant"), Reason: "set, but the baseline's AvailableSecurityUpdatesComplianceStatus is not NON_COMPLIANT"}
		}
		p.OperatingSystem = in.Node.OperatingSystem
		p.RejectedPatchesAction = in.RejectedPatchesAction
		p.AvailableSecurityNonCompliant = asuNonCompliant
		p.Operation = in.Operation
		it, ok, err := Classify(p, o.ClassifyOptions)
		if err != nil {
			return Report{}, err
		}
		if ok {
			rep.Items = append(rep.Items, it)
		}
	}
	sort.SliceStable(rep.Items, func(i, j int) bool { return rep.Items[i].KBID < rep.Items[j].KBID })

	lastNoReboot, err := rebootBookkeeping(&rep, in, o)
	if err != nil {
		return Report{}, err
	}
	rep.Summary = summarize(&rep, asuNonCompliant, o)
	rep.Summary.LastNoRebootInstallOperationTime = lastNoReboot
	return rep, nil
}

func isInstalledState(s State) bool {
	return s == Installed || s == InstalledOther || s == InstalledRejected || s == InstalledPendingReboot
}

// rebootBookkeeping applies docs/semantics.md §10.5: what this operation installed with
// NoReboot, and what an earlier NoReboot install left pending before the
// node rebooted, is InstalledPendingReboot. It returns the new
// LastNoRebootInstallOperationTime.
func rebootBookkeeping(rep *Report, in BuildInput, o BuildOptions) (time.Time, error) {
	var last time.Time
	prevPending := map[string]bool{} // titles
	if in.Previous != nil {
		last = in.Previous.Summary.LastNoRebootInstallOperationTime
		if !last.IsZero() && (last.Before(time.Unix(0, 0)) || last.After(in.End)) {
			return time.Time{}, fmt.Errorf("%w: LastNoRebootInstallOperationTime %s", ErrCorruptState, last.Format(time.RFC3339))
		}
		for _, it := range in.Previous.Items {
			if it.State == InstalledPendingReboot {
				prevPending[it.Title] = true
			}
		}
	}
	// What this operation installed: installed now, not installed before.
	newly := map[string]bool{}
	if in.Operation == Install {
		before := map[string]bool{}
		if in.BeforeInstall != nil {
			for _, it := range in.BeforeInstall.Items {
				if isInstalledState(it.State) {
					before[it.Title] = true
				}
			}
		}
		for _, it := range rep.Items {
			if isInstalledState(it.State) && !before[it.Title] {
				newly[it.Title] = true
			}
		}
	}
	noRebootInstall := in.Operation == Install && in.RebootOption == NoReboot
	// An Install with RebootIfNeeded reboots when it installed something or
	// finds patches pending: then nothing stays pending.
	willReboot := in.Operation == Install && in.RebootOption == RebootIfNeeded && (len(newly) > 0 || len(prevPending) > 0)
	track := !willReboot && (!last.IsZero() || noRebootInstall)

	pending := map[string]bool{}
	if track {
		for t := range newly {
			pending[t] = true
		}
		if !in.LastBoot.IsZero() && in.LastBoot.Before(last) {
			for t := range prevPending {
				pending[t] = true
			}
		}
	}
	for i := range rep.Items {
		it := &rep.Items[i]
		if !isInstalledState(it.State) {
			continue
		}
		outside := o.PendingRebootForOutsideInstalls && !in.LastBoot.IsZero() && !willReboot &&
			!it.InstalledTime.IsZero() && it.InstalledTime.After(in.LastBoot)
		if pending[it.Title] || outside {
			it.State = InstalledPendingReboot
			it.Status = patchkit.NonCompliant
		}
	}
	if noRebootInstall {
		last = in.End.UTC()
	}
	return last, nil
}

// summarize counts the items (docs/semantics.md §9.4) and derives the node's
// status and severity (§9.5).
func summarize(rep *Report, asuNonCompliant bool, o BuildOptions) Summary {
	s := Summary{Status: patchkit.Compliant, InstancePatchState: InstancePatchState{
		InstanceID: rep.Node.InstanceID, PatchGroup: rep.Node.PatchGroup, BaselineID: rep.BaselineID,
		SnapshotID: rep.SnapshotID, OperationStartTime: rep.OperationStartTime, OperationEndTime: rep.OperationEndTime,
		Operation: rep.Operation, RebootOption: rep.RebootOption,
	}}
	severity := patchkit.ComplianceInformational
	if o.UnspecifiedNodeSeverity {
		severity = patchkit.ComplianceUnspecified
	}
	for i := range rep.Items {
		it := &rep.Items[i]
		switch it.State {
		case Installed:
			s.InstalledCount++
		case InstalledOther:
			s.InstalledOtherCount++
		case InstalledPendingReboot:
			s.InstalledPendingRebootCount++
		case InstalledRejected:
			s.InstalledRejectedCount++
		case Missing:
			s.MissingCount++
		case Failed:
			s.FailedCount++
		case NotApplicable:
			s.NotApplicableCount++
		case AvailableSecurityUpdate:
			s.AvailableSecurityUpdateCount++
		}
		if it.Status != patchkit.NonCompliant {
			continue
		}
		s.Status = patchkit.NonCompliant
		severity = max(severity, it.ComplianceLevel)
		critical := it.ComplianceLevel == patchkit.ComplianceCritical
		security := strings.EqualFold(it.Classification, "Security") || strings.EqualFold(it.Classification, "SecurityUpdates") ||
			it.State == AvailableSecurityUpdate
		if critical {
			s.CriticalNonCompliantCount++
		}
		if security {
			s.SecurityNonCompliantCount++
		}
		if !critical && !security {
			s.OtherNonCompliantCount++
		}
	}
	if s.Status == patchkit.NonCompliant {
		s.NonCompliantSeverity = &severity
	}
	s.UnknownRepositoryCount, s.UnknownReasons = unknownRepositories(rep.Repositories)
	if s.UnknownRepositoryCount > 0 && s.Status == patchkit.Compliant {
		s.Status = patchkit.ComplianceUnknown
	}
	return s
}

// healthKnown reports whether h is one of repo's Health values.
func healthKnown(h repo.Health) bool {
	switch h {
	case repo.HealthOK, repo.HealthUnsigned, repo.HealthExpired, repo.HealthStale, repo.HealthUnreadable:
		return true
	}
	return false
}

// unknownHealths are the Health values other than OK, in the order the
// renderings list them.
func unknownHealths() []repo.Health {
	return []repo.Health{repo.HealthUnsigned, repo.HealthExpired, repo.HealthStale, repo.HealthUnreadable}
}

// checkRepositories checks the repositories of a BuildInput or a report
// (field names the list) and returns a copy sorted by name with dates in
// UTC: every name given once, every Health known, a reason for every Health
// other than OK.
func checkRepositories(field string, in []repo.Status) ([]repo.Status, error) {
	if len(in) == 0 {
		return nil, nil
	}
	seen := make(map[string]int, len(in))
	for i, r := range in {
		at := func(name string) string { return fmt.Sprintf("%s[%d].%s", field, i, name) }
		switch {
		case r.Name == "":
			return nil, &InputError{Field: at("Name"), Reason: "missing"}
		case !healthKnown(r.Health):
			return nil, &InputError{Field: at("Health"), Reason: fmt.Sprintf("%q is not OK, UNSIGNED, EXPIRED, STALE or UNREADABLE", r.Health)}
		case r.Health != repo.HealthOK && r.Reason == "":
			return nil, &InputError{Field: at("Reason"), Reason: "missing, and needed for Health " + string(r.Health)}
		case r.Packages < 0:
			return nil, &InputError{Field: at("Packages"), Reason: fmt.Sprintf("%d is negative", r.Packages)}
		}
		if j, dup := seen[r.Name]; dup {
			return nil, &InputError{Field: at("Name"), Reason: fmt.Sprintf("%q is also %s[%d]", r.Name, field, j)}
		}
		seen[r.Name] = i
	}
	out := make([]repo.Status, len(in))
	copy(out, in)
	for i := range out {
		if !out[i].Date.IsZero() {
			out[i].Date = out[i].Date.UTC()
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// unknownRepositories counts the repositories whose Health is not OK and
// says why, in their order.
func unknownRepositories(repos []repo.Status) (int, []string) {
	var reasons []string
	for _, r := range repos {
		if r.Health != repo.HealthOK {
			reasons = append(reasons, r.Name+": "+string(r.Health)+": "+r.Reason)
		}
	}
	return len(reasons), reasons
}
