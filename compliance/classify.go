package compliance

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// Item is one patch compliance item: the fields of a Patch Manager
// compliance item and of describe-instance-patches' PatchComplianceData,
// plus what patchkit knows besides (versions, the baseline's reason).
type Item struct {
	// KBID identifies the patch: name.arch on rpm and apt systems, the name
	// on macOS, the KB number on Windows.
	KBID string `json:"KBId"`
	// Title is name.arch:epoch:version-release (rpm), name.arch:version
	// (apt), name.version (macOS) or the update's title (Windows), for the
	// installed version when the state is an installed one and for the
	// candidate version otherwise.
	Title          string `json:"Title"`
	Classification string `json:"Classification,omitempty"`
	// Severity is the vendor's severity ("Important"); on apt systems the
	// candidate's priority.
	Severity string `json:"Severity,omitempty"`
	// ComplianceLevel is the baseline's level for the approved candidate.
	ComplianceLevel patchkit.ComplianceLevel `json:"ComplianceLevel"`
	State           State                    `json:"State"`
	// Status is COMPLIANT or NON_COMPLIANT, as the state decides; never
	// UNKNOWN, which is a node's status only.
	Status patchkit.ComplianceStatus `json:"Status"`
	// InstalledTime is set for the installed states.
	InstalledTime time.Time `json:"InstalledTime,omitzero"`
	// CVEIDs are the CVEs fixed by moving to the candidate, for Missing and
	// Failed.
	CVEIDs []string `json:"CVEIds,omitempty"`

	Name             string `json:"Name"`
	Arch             string `json:"Arch,omitempty"`
	InstalledVersion string `json:"InstalledVersion,omitempty"`
	// InstallState is the installed version's state when it is not
	// plainly installed (dpkg's half-configured, unpacked,
	// triggers-pending, ...). A version the package manager left half-done
	// does not count as installed: the item is Missing (Failed after an
	// Install) even at the approved version.
	InstallState     patchkit.InstallState `json:"InstallState,omitempty"`
	CandidateVersion string                `json:"CandidateVersion,omitempty"`
	AdvisoryIDs      []string              `json:"AdvisoryIds,omitempty"`
	Reason           baseline.Reason       `json:"Reason,omitempty"`
}

// Candidate is one available version of a package with the baseline's
// decision on it.
type Candidate struct {
	Patch    patchkit.Patch    `json:"Patch"`
	Decision baseline.Decision `json:"Decision"`
}

// Input is everything the state of one (name, arch) depends on.
type Input struct {
	OperatingSystem patchkit.OperatingSystem
	// Installed is the installed version, or nil.
	Installed *patchkit.Package
	// InstalledRejected says the installed version matches RejectedPatches.
	InstalledRejected bool
	// Candidates are the versions the enabled repositories offer (or the
	// update on Windows), each with its decision.
	Candidates []Candidate
	// RejectedPatchesAction is the baseline's.
	RejectedPatchesAction baseline.PatchAction
	// Applicable says, on Windows, that Windows Update finds the update
	// applicable to the node (so that not installed means missing, not "not
	// applicable").
	Applicable bool
	// AvailableSecurityNonCompliant is the baseline's
	// AvailableSecurityUpdatesComplianceStatus == NON_COMPLIANT (Windows).
	AvailableSecurityNonCompliant bool
	Operation                     Operation
	// OutsideOverrideList marks, for an Install run with an
	// InstallOverrideList, a package the list does not name: the run did
	// not try to install it, so what is missing stays Missing instead of
	// Failed (docs/semantics.md §10.1).
	OutsideOverrideList bool
}

// ClassifyOptions choose the other side of the open questions; see the
// package documentation and docs/semantics.md §12.
type ClassifyOptions struct {
	// RejectedAlwaysInstalledRejected reports an installed rejected package
	// as InstalledRejected even with ALLOW_AS_DEPENDENCY, as the 2021 dnf and
	// zypper payloads did. By default it is InstalledOther, as the API says.
	RejectedAlwaysInstalledRejected bool
}

// ErrVersionOrder is returned when an installed and a candidate version
// cannot be ordered (different schemes, or one epoch unknown).
var ErrVersionOrder = errors.New("compliance: versions cannot be ordered")

// Classify decides the state of one (name, arch), as docs/semantics.md §9.2
// describes. It returns ok false when the package is not reported
// at all (not installed and nothing approved).
func Classify(in Input, o ClassifyOptions) (item Item, ok bool, err error) {
	var best *Candidate
	for i := range in.Candidates {
		c := &in.Candidates[i]
		if !c.Decision.Approved {
			continue
		}
		if best == nil {
			best = c
			continue
		}
		cmp, err := compare(&c.Patch.Package, &best.Patch.Package)
		if err != nil {
			return Item{}, false, err
		}
		if cmp > 0 || cmp == 0 && c.Decision.ComplianceLevel > best.Decision.ComplianceLevel {
			best = c
		}
	}

	switch {
	case in.Installed == nil && best != nil && in.Applicable:
		// Windows: the update applies but is not installed.
		item = newItem(in, &best.Patch.Package, best)
		item.State = Missing
		if in.Operation == Install && !in.OutsideOverrideList {
			item.State = Failed
		}
		item.CVEIDs = best.Patch.CVEIDs
	case in.Installed == nil && best != nil:
		item = newItem(in, &best.Patch.Package, best)
		item.State = NotApplicable
	case in.Installed == nil:
		if !in.Applicable {
			return Item{}, false, nil
		}
		// A security update that applies but is not approved.
		for i := range in.Candidates {
			if c := &in.Candidates[i]; isSecurityUpdate(&c.Patch) && c.Decision.Status != baseline.ExplicitRejected {
				item = newItem(in, &c.Patch.Package, c)
				item.State = AvailableSecurityUpdate
				item.ComplianceLevel = patchkit.ComplianceUnspecified
				item.Reason = c.Decision.Reason
				break
			}
		}
		if item.State == 0 {
			return Item{}, false, nil
		}
	case best == nil:
		item = newItem(in, in.Installed, nil)
		item.State = InstalledOther
		if in.InstalledRejected && (in.RejectedPatchesAction == baseline.Block || o.RejectedAlwaysInstalledRejected) {
			item.State = InstalledRejected
			item.Reason = baseline.ReasonRejectedList
		}
	default:
		cmp, err := compare(in.Installed, &best.Patch.Package)
		if err != nil {
			return Item{}, false, err
		}
		if cmp < 0 || in.Installed.State.NeedsRepair() {
			// Older than the approved version, or the package manager
			// left it half-done (a maintainer script failed): the
			// approved version is not installed.
			item = newItem(in, &best.Patch.Package, best)
			item.State = Missing
			if in.Operation == Install && !in.OutsideOverrideList {
				item.State = Failed
			}
			item.CVEIDs = fixedCVEs(in, best)
		} else {
			item = newItem(in, in.Installed, best)
			item.State = Installed
		}
	}
	if in.Installed != nil {
		item.InstalledVersion = in.Installed.EVR()
		if st := in.Installed.State; st != "" && st != patchkit.StateInstalled {
			item.InstallState = st
		}
		switch item.State {
		case Installed, InstalledOther, InstalledRejected, InstalledPendingReboot:
			item.InstalledTime = in.Installed.InstallTime
		}
	}
	item.Status = patchkit.Compliant
	if item.State.NonCompliantState(in.AvailableSecurityNonCompliant) {
		item.Status = patchkit.NonCompliant
	}
	return item, true, nil
}

// newItem fills the identity from pkg and the metadata from the candidate.
func newItem(in Input, pkg *patchkit.Package, c *Candidate) Item {
	it := Item{Name: pkg.Name, Arch: pkg.Arch}
	it.KBID, it.Title = identify(in.OperatingSystem, pkg, c)
	if c != nil {
		p := &c.Patch
		it.Classification = p.Classification
		it.Severity = p.Severity
		if p.Scheme == patchkit.Deb || p.Priority != "" && p.Severity == "" {
			it.Severity = p.Priority
		}
		it.ComplianceLevel = c.Decision.ComplianceLevel
		it.CandidateVersion = p.EVR()
		it.AdvisoryIDs = p.AdvisoryIDs
		it.Reason = c.Decision.Reason
	}
	return it
}

// identify returns KBID and Title as docs/semantics.md §9.3 gives them per
// OS.
func identify(os patchkit.OperatingSystem, pkg *patchkit.Package, c *Candidate) (string, string) {
	switch {
	case os == patchkit.OSWindows:
		kb, title := pkg.Name, pkg.Name
		if c != nil {
			if c.Patch.KBNumber != "" {
				kb = c.Patch.KBNumber
			}
			if c.Patch.Title != "" {
				title = c.Patch.Title
			}
		}
		return kb, title
	case os == patchkit.OSMacOS:
		return pkg.Name, pkg.Name + "." + pkg.Version
	}
	kb := pkg.Name
	if pkg.Arch != "" {
		kb += "." + pkg.Arch
	}
	if pkg.Scheme == patchkit.Deb {
		return kb, kb + ":" + pkg.EVR()
	}
	epoch := "0"
	if e, ok := pkg.Epoch.Value(); ok {
		epoch = fmt.Sprint(e)
	}
	v := pkg.Version
	if pkg.Release != "" {
		v += "-" + pkg.Release
	}
	return kb, kb + ":" + epoch + ":" + v
}

func isSecurityUpdate(p *patchkit.Patch) bool {
	return p.Security || strings.EqualFold(p.Classification, "SecurityUpdates")
}

// fixedCVEs collects the CVEs of every candidate newer than the installed
// version, up to the one to be installed, approved or not: moving to the
// target brings the fixes of every version in between.
func fixedCVEs(in Input, best *Candidate) []string {
	seen := map[string]bool{}
	var out []string
	for i := range in.Candidates {
		c := &in.Candidates[i]
		if cmp, err := compare(&c.Patch.Package, in.Installed); err != nil || cmp <= 0 {
			continue
		}
		if cmp, err := compare(&c.Patch.Package, &best.Patch.Package); err != nil || cmp > 0 {
			continue
		}
		for _, id := range c.Patch.CVEIDs {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// compare orders two versions of one package. Packages without a version
// scheme (a Windows update, a macOS installer) are the same version when
// their versions are equal and otherwise the candidate is the newer.
func compare(a, b *patchkit.Package) (int, error) {
	if a.Scheme == 0 || b.Scheme == 0 {
		if a.Scheme != b.Scheme {
			return 0, fmt.Errorf("%w: %s %q has no version scheme and %q has %s", ErrVersionOrder, a.Name, a.EVR(), b.EVR(), max(a.Scheme, b.Scheme))
		}
		if a.EVR() == b.EVR() {
			return 0, nil
		}
		return -1, nil
	}
	c, err := a.CompareVersion(*b)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %s and %s: %v", ErrVersionOrder, a.Name, a.EVR(), b.EVR(), err)
	}
	return c, nil
}
