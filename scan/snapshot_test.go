package scan

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// TestSnapshotFreezesApprovals: the AWS-owned Amazon Linux 2023 baseline
// approves a security update 7 days after its release. A snapshot taken 6
// days after release keeps it unapproved when nodes evaluate it later; a
// saved and loaded snapshot decides the same.
func TestSnapshotFreezesApprovals(t *testing.T) {
	b, err := baseline.Predefined(patchkit.OSAmazonLinux2023)
	require.NoError(t, err)
	release := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	p := patchkit.Patch{
		Package: patchkit.Package{Name: "openssl-libs", Epoch: patchkit.EpochOf(1), Version: "3.0.8", Release: "1.amzn2023.0.14",
			Arch: "x86_64", Scheme: patchkit.RPM},
		Product: "AmazonLinux2023", Classification: "Security", Severity: "Important", Security: true, ReleaseDate: release,
	}
	node := baseline.Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"}

	id := NewSnapshotID()
	s, err := NewSnapshot(id, b, "web", release.Add(6*24*time.Hour))
	require.NoError(t, err)
	d, err := s.Decide(node, []patchkit.Patch{p})
	require.NoError(t, err)
	assert.False(t, d[0].Approved, "too new at the snapshot's instant")

	// The baseline itself, evaluated later, approves it.
	c, err := baseline.Compile(b)
	require.NoError(t, err)
	d, err = BaselineAt{Compiled: c, At: release.Add(30 * 24 * time.Hour)}.Decide(node, []patchkit.Patch{p})
	require.NoError(t, err)
	assert.True(t, d[0].Approved)

	var buf bytes.Buffer
	require.NoError(t, s.WriteJSON(&buf))
	assert.Contains(t, buf.String(), `"SnapshotId": "`+id+`"`)
	loaded, err := LoadSnapshot(&buf)
	require.NoError(t, err)
	assert.Equal(t, s.CreatedTime, loaded.CreatedTime)
	d, err = loaded.Decide(node, []patchkit.Patch{p})
	require.NoError(t, err)
	assert.False(t, d[0].Approved)
	assert.Equal(t, b.BaselineID, loaded.Definition().BaselineID)
}

func TestSnapshotErrors(t *testing.T) {
	b, err := baseline.Predefined(patchkit.OSAmazonLinux2023)
	require.NoError(t, err)
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"", "not-a-guid", "12345678-1234-1234-1234-1234567890123"} {
		_, err := NewSnapshot(id, b, "", now)
		var ie *InputError
		require.ErrorAs(t, err, &ie, id)
		assert.Equal(t, "SnapshotId", ie.Field)
	}
	_, err = NewSnapshot(NewSnapshotID(), b, "", time.Time{})
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
	_, err = LoadSnapshot(strings.NewReader(`{"SnapshotId": "x", "Bogus": 1}`))
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, NewSnapshotID())
}
