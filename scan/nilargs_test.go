package scan

import (
	"context"
	"errors"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan/run"
)

// TestNilArguments: a nil context, file system, runner or option, and the
// options that take a value and are given nil, are refused up front with
// an error matching patchkit.ErrInvalid, never a nil-pointer panic.
func TestNilArguments(t *testing.T) {
	ctx := context.Background()
	at := At(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	fsys := fstest.MapFS{}
	//nolint:staticcheck // a nil context is the case under test
	cases := map[string]func() error{
		"Scan nil ctx":        func() error { _, err := Scan(nil, fsys, at); return err }, //nolint:staticcheck
		"Scan nil fsys":       func() error { _, err := Scan(ctx, nil, at); return err },
		"Scan nil option":     func() error { _, err := Scan(ctx, fsys, nil); return err },
		"Scan nil option 2":   func() error { _, err := Scan(ctx, fsys, at, nil); return err },
		"WithLogger(nil)":     func() error { _, err := Scan(ctx, fsys, at, WithLogger(nil)); return err },
		"WithProgress(nil)":   func() error { _, err := Scan(ctx, fsys, at, WithProgress(nil)); return err },
		"WithPrevious(nil)":   func() error { _, err := Scan(ctx, fsys, at, WithPrevious(nil)); return err },
		"WithSnapshot(nil)":   func() error { _, err := Scan(ctx, fsys, at, WithSnapshot(nil)); return err },
		"WithRunner(nil)":     func() error { _, err := Scan(ctx, fsys, at, WithRunner(nil, "")); return err },
		"WithRefresh(nil)":    func() error { _, err := Scan(ctx, fsys, at, WithRefresh(nil)); return err },
		"ReadInventory nil":   func() error { _, err := ReadInventory(ctx, nil, osdetect.OS{}); return err },
		"ReadInventory opt":   func() error { _, err := ReadInventory(ctx, fsys, debianOS, nil); return err },
		"QueryInventory nil":  func() error { _, err := QueryInventory(ctx, nil, debianOS); return err },
		"WithRootDir(rel)":    func() error { _, err := QueryInventory(ctx, neverRun{}, debianOS, WithRootDir("rel")); return err },
		"WithAdmindir(empty)": func() error { _, err := ReadInventory(ctx, fsys, debianOS, WithAdmindir("")); return err },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = f() })
			assert.ErrorIs(t, err, patchkit.ErrInvalid)
			var ie *InputError
			assert.True(t, errors.As(err, &ie), "%T %v", err, err)
		})
	}
	// The rpm reader the inventory calls refuses a nil option too.
	_, err := ReadInventory(ctx, os.DirFS("."), fedoraOS, WithRPMOptions(nil))
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
}

// neverRun is a runner that must not be called.
type neverRun struct{}

func (neverRun) Run(context.Context, run.Command) (run.Result, error) {
	panic("neverRun: called")
}

// TestNativeScanOfYum3Refused: a native scan of a yum 3 system (Amazon
// Linux 2's real os-release) is refused before anything runs, with the
// way to scan it instead; the scan from its files is not refused.
func TestNativeScanOfYum3Refused(t *testing.T) {
	ctx := context.Background()
	fsys := os.DirFS("../testdata/osdetect/amzn-2")
	at := At(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	_, err := Scan(ctx, fsys, at, WithRunner(neverRun{}, ""))
	var ue *UnsupportedError
	require.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.Equal(t, osdetect.YUM, ue.PackageManager)
	assert.Contains(t, err.Error(), "without WithRunner")
	res, err := Scan(ctx, fsys, at)
	require.NoError(t, err, "the files of a root without an rpm database give an empty inventory")
	assert.Equal(t, "amzn", res.OS.ID)
}
