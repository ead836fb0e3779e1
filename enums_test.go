package patchkit

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOperatingSystem(t *testing.T) {
	api := []string{"WINDOWS", "AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "UBUNTU",
		"REDHAT_ENTERPRISE_LINUX", "SUSE", "CENTOS", "ORACLE_LINUX", "DEBIAN", "MACOS", "RASPBIAN",
		"ROCKY_LINUX", "ALMA_LINUX", "AMAZON_LINUX_2023"}
	var got []string
	for _, o := range OperatingSystems() {
		got = append(got, string(o))
		p, err := ParseOperatingSystem(string(o))
		require.NoError(t, err)
		assert.Equal(t, o, p)
	}
	assert.Equal(t, api, got)
	for _, bad := range []string{"", "ubuntu", "Ubuntu", "AMAZON_LINUX_2024", "WINDOWS "} {
		_, err := ParseOperatingSystem(bad)
		var ue *UnknownValueError
		require.ErrorAs(t, err, &ue, bad)
		assert.Equal(t, "OperatingSystem", ue.Type)
		assert.Equal(t, bad, ue.Value)
	}
	var s struct{ OS OperatingSystem }
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"OS":"LINUX"}`), &s), ErrInvalid)
	require.NoError(t, json.Unmarshal([]byte(`{"OS":"DEBIAN"}`), &s))
	assert.Equal(t, OSDebian, s.OS)
}

func TestComplianceLevel(t *testing.T) {
	levels := ComplianceLevels()
	assert.True(t, slices.IsSorted(levels))
	var names []string
	for _, l := range levels {
		names = append(names, l.String())
		b, err := json.Marshal(l)
		require.NoError(t, err)
		var back ComplianceLevel
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, l, back)
	}
	assert.Equal(t, []string{"UNSPECIFIED", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}, names)
	assert.Equal(t, ComplianceCritical, max(ComplianceLow, ComplianceCritical, ComplianceUnspecified))
	var l ComplianceLevel
	assert.ErrorIs(t, json.Unmarshal([]byte(`"critical"`), &l), ErrInvalid)
	assert.ErrorIs(t, json.Unmarshal([]byte(`"SEVERE"`), &l), ErrInvalid)
	_, err := ComplianceLevel(9).MarshalText()
	assert.Error(t, err)
}

func TestComplianceStatus(t *testing.T) {
	for _, v := range []ComplianceStatus{Compliant, NonCompliant, ComplianceUnknown} {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var back ComplianceStatus
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, v, back)
	}
	assert.Equal(t, "UNKNOWN", string(ComplianceUnknown))
	for _, bad := range []string{`""`, `"compliant"`, `"Unknown"`, `"INSUFFICIENT_DATA"`} {
		var s ComplianceStatus
		err := json.Unmarshal([]byte(bad), &s)
		var ue *UnknownValueError
		require.ErrorAs(t, err, &ue, bad)
		assert.Equal(t, "ComplianceStatus", ue.Type)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.Empty(t, s)
	}
}
