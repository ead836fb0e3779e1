package patchkit

import "time"

// Patch is one candidate update as a patch baseline sees it: a package version
// that a repository (or Windows Update) offers, with every property a baseline
// filter, an approved or rejected list entry, or an approval date can look at.
//
// The embedded Package is the candidate version. JSON field names follow the
// Patch shape of the Systems Manager API where it has one.
type Patch struct {
	Package

	// Product is the Patch Manager PRODUCT the candidate is offered for: the
	// node's product on Linux and macOS ("AmazonLinux2023", "Ubuntu22.04"),
	// the Windows product for a Windows update ("WindowsServer2022").
	Product string `json:"Product,omitempty"`

	// Classification is the CLASSIFICATION value: the advisory type on rpm
	// systems ("Security", "Bugfix"), the zypper patch category on SUSE,
	// Microsoft's classification on Windows ("SecurityUpdates"), the package
	// manager on macOS. Empty when the candidate has no metadata.
	Classification string `json:"Classification,omitempty"`

	// Severity is the vendor severity ("Critical", "Important"); empty when
	// the candidate has none.
	Severity string `json:"Severity,omitempty"`

	// Priority and Section are the apt fields of the candidate version.
	Priority string `json:"Priority,omitempty"`
	Section  string `json:"Section,omitempty"`

	// AdvisoryIDs, CVEIDs and BugzillaIDs are the identifiers of the advisories
	// that ship this version and of what they fix.
	AdvisoryIDs []string `json:"AdvisoryIds,omitempty"`
	CVEIDs      []string `json:"CVEIds,omitempty"`
	BugzillaIDs []string `json:"BugzillaIds,omitempty"`

	// ReleaseDate is the date the approval delay counts from; zero when the
	// source has no date.
	ReleaseDate time.Time `json:"ReleaseDate,omitzero"`

	// Security reports whether the candidate counts as a security update for
	// approval: on rpm systems it appears in any update notice, on SUSE in any
	// patch, on apt systems it comes from a security pocket.
	Security bool `json:"Security,omitempty"`

	// Candidate is true for the version the package manager itself would
	// install for this package on request (apt's candidate after pinning,
	// dnf's and zypper's best available upgrade); every other offered
	// version is false. A baseline may approve a version that is not the
	// candidate.
	Candidate bool `json:"Candidate,omitempty"`

	// RebootSuggested is set when an advisory or zypper patch that ships
	// this version asks for a reboot after installing it.
	RebootSuggested bool `json:"RebootSuggested,omitempty"`

	// RestartSuggested is set when a zypper patch that ships this version
	// updates the package manager itself (updateinfo's restart_suggested,
	// zypper's pkgmanager flag): zypper installs it first and restarts.
	// Only the zypper backends fill it; dnf shows no such flag.
	RestartSuggested bool `json:"RestartSuggested,omitempty"`

	// Windows fields: the update ID, KB and bulletin numbers, MSRC severity,
	// product family and patch set ("OS" or "APPLICATION").
	ID            string `json:"Id,omitempty"`
	Title         string `json:"Title,omitempty"`
	KBNumber      string `json:"KbNumber,omitempty"`
	MsrcNumber    string `json:"MsrcNumber,omitempty"`
	MsrcSeverity  string `json:"MsrcSeverity,omitempty"`
	ProductFamily string `json:"ProductFamily,omitempty"`
	PatchSet      string `json:"PatchSet,omitempty"`
}
