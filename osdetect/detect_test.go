//go:build linux

package osdetect

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testutil"
)

// TestDetectLiveHost compares Detect with what the host's own tools say.
func TestDetectLiveHost(t *testing.T) {
	uname := testutil.NeedTool(t, "uname", "coreutils")
	o, err := Detect(context.Background())
	require.NoError(t, err)

	out := func(args ...string) string {
		b, err := exec.Command(uname, args...).Output()
		require.NoError(t, err)
		return strings.TrimSpace(string(b))
	}
	assert.Equal(t, out("-m"), o.Arch)
	assert.Equal(t, out("-r"), o.KernelRelease)

	fromFS, err := DetectFS(os.DirFS("/"))
	require.NoError(t, err)
	assert.Equal(t, fromFS.ID, o.ID)
	assert.Equal(t, fromFS.Product(), o.Product())
	assert.NotEmpty(t, o.ID)
	assert.NotEmpty(t, o.PackageManager)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Detect(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}
