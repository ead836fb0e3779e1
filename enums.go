package patchkit

import "strconv"

// OperatingSystem is a value of Patch Manager's OperatingSystem enumeration,
// spelled exactly as the API spells it.
type OperatingSystem string

// All values of the API's OperatingSystem enumeration.
const (
	OSWindows               OperatingSystem = "WINDOWS"
	OSAmazonLinux           OperatingSystem = "AMAZON_LINUX"
	OSAmazonLinux2          OperatingSystem = "AMAZON_LINUX_2"
	OSAmazonLinux2022       OperatingSystem = "AMAZON_LINUX_2022"
	OSAmazonLinux2023       OperatingSystem = "AMAZON_LINUX_2023"
	OSUbuntu                OperatingSystem = "UBUNTU"
	OSRedhatEnterpriseLinux OperatingSystem = "REDHAT_ENTERPRISE_LINUX"
	OSSUSE                  OperatingSystem = "SUSE"
	OSCentOS                OperatingSystem = "CENTOS"
	OSOracleLinux           OperatingSystem = "ORACLE_LINUX"
	OSDebian                OperatingSystem = "DEBIAN"
	OSMacOS                 OperatingSystem = "MACOS"
	OSRaspbian              OperatingSystem = "RASPBIAN"
	OSRockyLinux            OperatingSystem = "ROCKY_LINUX"
	OSAlmaLinux             OperatingSystem = "ALMA_LINUX"
)

// OperatingSystems lists every OperatingSystem value in the API's order.
func OperatingSystems() []OperatingSystem {
	return []OperatingSystem{
		OSWindows, OSAmazonLinux, OSAmazonLinux2, OSAmazonLinux2022, OSUbuntu,
		OSRedhatEnterpriseLinux, OSSUSE, OSCentOS, OSOracleLinux, OSDebian,
		OSMacOS, OSRaspbian, OSRockyLinux, OSAlmaLinux, OSAmazonLinux2023,
	}
}

// ParseOperatingSystem returns the OperatingSystem spelled s, or an
// *UnknownValueError. Spellings are exact: "ubuntu" is not UBUNTU.
func ParseOperatingSystem(s string) (OperatingSystem, error) {
	o := OperatingSystem(s)
	if o.Valid() {
		return o, nil
	}
	return "", &UnknownValueError{Type: "OperatingSystem", Value: s}
}

// Valid reports whether o is one of the enumeration's values.
func (o OperatingSystem) Valid() bool {
	switch o {
	case OSWindows, OSAmazonLinux, OSAmazonLinux2, OSAmazonLinux2022, OSAmazonLinux2023,
		OSUbuntu, OSRedhatEnterpriseLinux, OSSUSE, OSCentOS, OSOracleLinux, OSDebian,
		OSMacOS, OSRaspbian, OSRockyLinux, OSAlmaLinux:
		return true
	}
	return false
}

// UnmarshalText accepts only the enumeration's values.
func (o *OperatingSystem) UnmarshalText(b []byte) error {
	v, err := ParseOperatingSystem(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}

// ComplianceLevel is Patch Manager's PatchComplianceLevel. Levels are ordered:
// ComplianceUnspecified (the zero value) < ComplianceInformational <
// ComplianceLow < ComplianceMedium < ComplianceHigh < ComplianceCritical, so the
// highest of several levels is the largest value.
type ComplianceLevel uint8

// The compliance levels, lowest first.
const (
	ComplianceUnspecified ComplianceLevel = iota
	ComplianceInformational
	ComplianceLow
	ComplianceMedium
	ComplianceHigh
	ComplianceCritical
)

var complianceNames = [...]string{"UNSPECIFIED", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// ComplianceLevels lists every level, lowest first.
func ComplianceLevels() []ComplianceLevel {
	return []ComplianceLevel{ComplianceUnspecified, ComplianceInformational, ComplianceLow,
		ComplianceMedium, ComplianceHigh, ComplianceCritical}
}

// String returns the API spelling, e.g. "CRITICAL".
func (l ComplianceLevel) String() string {
	if int(l) < len(complianceNames) {
		return complianceNames[l]
	}
	return "ComplianceLevel(" + strconv.Itoa(int(l)) + ")"
}

// ParseComplianceLevel returns the level spelled s ("CRITICAL", ...), or an
// *UnknownValueError.
func ParseComplianceLevel(s string) (ComplianceLevel, error) {
	for i, n := range complianceNames {
		if n == s {
			return ComplianceLevel(i), nil
		}
	}
	return 0, &UnknownValueError{Type: "ComplianceLevel", Value: s}
}

// MarshalText writes the API spelling.
func (l ComplianceLevel) MarshalText() ([]byte, error) {
	if int(l) >= len(complianceNames) {
		return nil, &UnknownValueError{Type: "ComplianceLevel", Value: l.String()}
	}
	return []byte(complianceNames[l]), nil
}

// UnmarshalText accepts only the API spellings.
func (l *ComplianceLevel) UnmarshalText(b []byte) error {
	v, err := ParseComplianceLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// ComplianceStatus is a node's or an item's compliance, and what a baseline
// makes of available security updates. COMPLIANT and NON_COMPLIANT are the
// AWS API's ComplianceStatus (and PatchComplianceStatus, the same two
// values); ComplianceUnknown is patchkit's own addition, which no AWS API
// has.
type ComplianceStatus string

// The ComplianceStatus values.
const (
	Compliant    ComplianceStatus = "COMPLIANT"
	NonCompliant ComplianceStatus = "NON_COMPLIANT"
	// ComplianceUnknown is not an AWS value: patchkit reports it for a node
	// whose compliance cannot be decided, because the metadata of a
	// repository it uses could not be read, verified or dated. It is never
	// a patch's status nor a baseline's
	// AvailableSecurityUpdatesComplianceStatus, and where an AWS shape is
	// written it must be mapped to one of the two AWS values or left out.
	ComplianceUnknown ComplianceStatus = "UNKNOWN"
)

// UnmarshalText accepts COMPLIANT, NON_COMPLIANT and UNKNOWN. Callers that
// take an AWS field (a baseline's AvailableSecurityUpdatesComplianceStatus)
// check that the value is one of the two AWS values.
func (s *ComplianceStatus) UnmarshalText(b []byte) error {
	switch v := ComplianceStatus(b); v {
	case Compliant, NonCompliant, ComplianceUnknown:
		*s = v
		return nil
	}
	return &UnknownValueError{Type: "ComplianceStatus", Value: string(b)}
}
