package patchkit

import (
	"strings"
	"time"
)

// AdvisoryType is the kind of an update advisory (an updateinfo.xml notice
// type or a zypper patch category), in lower case.
type AdvisoryType string

// Advisory types. The first four are the rpm-md notice types; the others are
// the SUSE patch categories, which SUSE repositories put in the same field.
const (
	AdvisorySecurity    AdvisoryType = "security"
	AdvisoryBugfix      AdvisoryType = "bugfix"
	AdvisoryEnhancement AdvisoryType = "enhancement"
	AdvisoryNewPackage  AdvisoryType = "newpackage"
	AdvisoryRecommended AdvisoryType = "recommended"
	AdvisoryOptional    AdvisoryType = "optional"
	AdvisoryFeature     AdvisoryType = "feature"
	AdvisoryDocument    AdvisoryType = "document"
	AdvisoryYaST        AdvisoryType = "yast"
)

var advisoryClassification = map[AdvisoryType]string{
	AdvisorySecurity:    "Security",
	AdvisoryBugfix:      "Bugfix",
	AdvisoryEnhancement: "Enhancement",
	AdvisoryNewPackage:  "Newpackage",
	AdvisoryRecommended: "Recommended",
	AdvisoryOptional:    "Optional",
	AdvisoryFeature:     "Feature",
	AdvisoryDocument:    "Document",
	AdvisoryYaST:        "Yast",
}

// ParseAdvisoryType returns the type spelled s, ignoring case ("Security" and
// "security" are the same type), or an *UnknownValueError.
func ParseAdvisoryType(s string) (AdvisoryType, error) {
	t := AdvisoryType(strings.ToLower(s))
	if _, ok := advisoryClassification[t]; ok {
		return t, nil
	}
	return "", &UnknownValueError{Type: "AdvisoryType", Value: s}
}

// Classification returns the Patch Manager CLASSIFICATION value for the type:
// "Security", "Bugfix", "Enhancement", "Newpackage", "Recommended", ...
func (t AdvisoryType) Classification() string { return advisoryClassification[t] }

// UnmarshalText accepts the known types in any case.
func (t *AdvisoryType) UnmarshalText(b []byte) error {
	v, err := ParseAdvisoryType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Advisory is a vendor update notice: an updateinfo.xml update (Amazon Linux,
// RHEL and rebuilds, Fedora, SUSE) or a zypper patch.
type Advisory struct {
	ID    string       `json:"Id"`
	Type  AdvisoryType `json:"Type"`
	Title string       `json:"Title,omitempty"`
	// Severity is the vendor's severity as written ("Critical", "Important",
	// "Moderate", "Low", ...); empty when the advisory has none.
	Severity string `json:"Severity,omitempty"`
	// Issued and Updated are the advisory's dates; zero when absent.
	Issued  time.Time `json:"Issued,omitzero"`
	Updated time.Time `json:"Updated,omitzero"`

	CVEIDs          []string `json:"CVEIds,omitempty"`
	BugzillaIDs     []string `json:"BugzillaIds,omitempty"`
	RebootSuggested bool     `json:"RebootSuggested,omitempty"`
	// RestartSuggested is updateinfo's restart_suggested: SUSE sets it on
	// updates of the package manager itself, which zypper installs first
	// and then restarts (libzypp's Patch::restartSuggested, zypper's
	// pkgmanager flag).
	RestartSuggested bool      `json:"RestartSuggested,omitempty"`
	Packages         []Package `json:"Packages,omitempty"`

	// Repository is the repository whose metadata carried the advisory.
	Repository string `json:"Repository,omitempty"`
}
