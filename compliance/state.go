package compliance

import (
	"strconv"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/enum"
)

// State is a per-patch compliance state (PatchComplianceDataState). It reads
// both the API's spelling ("INSTALLED_OTHER") and the one
// describe-instance-patches returns ("InstalledOther"), and writes the
// latter.
type State uint8

// The states. The zero value is not a state.
const (
	Installed State = iota + 1
	InstalledOther
	InstalledPendingReboot
	InstalledRejected
	Missing
	Failed
	NotApplicable
	AvailableSecurityUpdate
)

var stateNames = [...][2]string{
	{"", ""},
	{"Installed", "INSTALLED"},
	{"InstalledOther", "INSTALLED_OTHER"},
	{"InstalledPendingReboot", "INSTALLED_PENDING_REBOOT"},
	{"InstalledRejected", "INSTALLED_REJECTED"},
	{"Missing", "MISSING"},
	{"Failed", "FAILED"},
	{"NotApplicable", "NOT_APPLICABLE"},
	{"AvailableSecurityUpdate", "AVAILABLE_SECURITY_UPDATE"},
}

// States lists every state.
func States() []State {
	return []State{Installed, InstalledOther, InstalledPendingReboot, InstalledRejected, Missing, Failed,
		NotApplicable, AvailableSecurityUpdate}
}

// String returns the spelling describe-instance-patches uses ("Installed").
func (s State) String() string {
	if s > 0 && int(s) < len(stateNames) {
		return stateNames[s][0]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// APIName returns the API enumeration's spelling ("INSTALLED").
func (s State) APIName() string {
	if s > 0 && int(s) < len(stateNames) {
		return stateNames[s][1]
	}
	return s.String()
}

// ParseState accepts either spelling of a state.
func ParseState(v string) (State, error) {
	for i, n := range stateNames {
		if i > 0 && (n[0] == v || n[1] == v) {
			return State(i), nil
		}
	}
	return 0, &patchkit.UnknownValueError{Type: "PatchComplianceDataState", Value: v}
}

// MarshalText writes the CamelCase spelling.
func (s State) MarshalText() ([]byte, error) {
	if s == 0 || int(s) >= len(stateNames) {
		return nil, &patchkit.UnknownValueError{Type: "PatchComplianceDataState", Value: s.String()}
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads either spelling.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// NonCompliantState reports whether a patch in state s makes the node
// non-compliant. AvailableSecurityUpdate does when the baseline's
// AvailableSecurityUpdatesComplianceStatus is NON_COMPLIANT
// (availableSecurityNonCompliant).
func (s State) NonCompliantState(availableSecurityNonCompliant bool) bool {
	switch s {
	case Missing, Failed, InstalledRejected, InstalledPendingReboot:
		return true
	case AvailableSecurityUpdate:
		return availableSecurityNonCompliant
	}
	return false
}

// Operation is PatchOperationType.
type Operation string

// The operations.
const (
	Scan    Operation = "Scan"
	Install Operation = "Install"
)

// UnmarshalText accepts only Scan and Install.
func (o *Operation) UnmarshalText(b []byte) error {
	return enum.Set(o, "PatchOperationType", string(b), Scan, Install)
}

// RebootOption is the RebootOption of an operation.
type RebootOption string

// The reboot options.
const (
	RebootIfNeeded RebootOption = "RebootIfNeeded"
	NoReboot       RebootOption = "NoReboot"
)

// UnmarshalText accepts only RebootIfNeeded and NoReboot.
func (r *RebootOption) UnmarshalText(b []byte) error {
	return enum.Set(r, "RebootOption", string(b), RebootIfNeeded, NoReboot)
}
