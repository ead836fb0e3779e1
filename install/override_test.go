package install

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
)

// The example of the AWS-RunPatchBaseline documentation.
const docExample = `patches:
    -
        id: '{windows-kb-or-linux-package}'
        title: '{optional-title}'
    -
        id: 'kernel.x86_64'
    -
        id: 'dhclient*'
        title: '*4.2.5-58.amzn2'
`

func TestLoadOverrideList(t *testing.T) {
	l, err := LoadOverrideList(strings.NewReader(docExample))
	require.NoError(t, err)
	require.Len(t, l.Patches, 3)
	assert.Equal(t, OverrideEntry{ID: "kernel.x86_64", Line: 6}, l.Patches[1])
	assert.Equal(t, "*4.2.5-58.amzn2", l.Patches[2].Title)

	for _, tc := range []struct {
		in   string
		line int
	}{
		{"patches: [", 1},
		{"- id: x\n", 1},
		{"other: 1\n", 1},
		{"patches:\n  id: x\n", 2},
		{"patches:\n  - title: only\n", 2},
		{"patches:\n  - id: ''\n", 2},
		{"patches:\n  - id: ~\n", 2},
		{"patches:\n  - 'kernel'\n", 2},
		{"patches:\n  - id: [a, b]\n", 2},
	} {
		_, err := LoadOverrideList(strings.NewReader(tc.in))
		var oe *OverrideListError
		require.ErrorAs(t, err, &oe, "%q", tc.in)
		assert.Equal(t, tc.line, oe.Line, "%q: %v", tc.in, err)
		assert.ErrorIs(t, err, patchkit.ErrInvalid)
	}
	_, err = LoadOverrideList(strings.NewReader("patches:\n" + strings.Repeat("  - id: x\n", 120000)))
	assert.Error(t, err, "over 1 MiB")
}

func TestOverrideListMatches(t *testing.T) {
	l, err := LoadOverrideList(strings.NewReader(docExample))
	require.NoError(t, err)
	kernel := patchkit.Package{Name: "kernel", Epoch: patchkit.EpochOf(0), Version: "4.14.355", Release: "280.714.amzn2", Arch: "x86_64", Scheme: patchkit.RPM}
	dhclient := patchkit.Package{Name: "dhclient", Epoch: patchkit.EpochOf(12), Version: "4.2.5", Release: "58.amzn2", Arch: "x86_64", Scheme: patchkit.RPM}
	older := dhclient
	older.Release = "57.amzn2"
	assert.True(t, l.Matches(patchkit.OSAmazonLinux2, kernel))
	assert.True(t, l.Matches(patchkit.OSAmazonLinux2, dhclient), "id and title both match")
	assert.False(t, l.Matches(patchkit.OSAmazonLinux2, older), "the title does not")
	kernel.Arch = "aarch64"
	assert.False(t, l.Matches(patchkit.OSAmazonLinux2, kernel))
}
