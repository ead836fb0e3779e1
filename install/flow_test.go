package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/run"
)

// pendingRoot is a Debian 12 root (a real minbase dpkg database, no apt
// lists: nothing to install) and a previous report that has bash installed
// by a NoReboot Install after the last boot: a reboot is pending.
func pendingRoot(t *testing.T) (string, *compliance.Report, time.Time, time.Time) {
	t.Helper()
	root := t.TempDir()
	for dst, src := range map[string]string{
		"etc/os-release":      "../testdata/osdetect/debian-12/etc/os-release",
		"var/lib/dpkg/status": "../testdata/dpkg/db/debian-12-minbase/status",
	} {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(dst)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, dst), b, 0o644))
	}
	at := time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)
	boot := at.Add(-48 * time.Hour)
	s, err := scan.Scan(context.Background(), os.DirFS(root), scan.At(at.Add(-24*time.Hour)), scan.WithArch("x86_64"))
	require.NoError(t, err)
	prev := s.Report
	n := 0
	for i := range prev.Items {
		if prev.Items[i].Name == "bash" {
			prev.Items[i].State = compliance.InstalledPendingReboot
			n++
		}
	}
	require.Equal(t, 1, n, "the minbase database has bash")
	prev.Summary.InstalledPendingRebootCount = 1
	prev.Summary.LastNoRebootInstallOperationTime = at.Add(-24 * time.Hour)
	return root, &prev, at, boot
}

// neverRunner fails every command: the flows below must not run the
// package manager (nothing to install) nor reboot through it.
var neverRunner = run.RunnerFunc(func(_ context.Context, c run.Command) (run.Result, error) {
	return run.Result{}, fmt.Errorf("not expected: %v", c.Argv())
})

// recordedHooks records the hooks' order.
func recordedHooks(calls *[]string) Hooks {
	return Hooks{
		PreInstall: func(_ context.Context, p plan.Plan) error {
			*calls = append(*calls, fmt.Sprintf("pre %d", len(p.Actions)))
			return nil
		},
		PostInstall: func(_ context.Context, o plan.Outcome) error {
			*calls = append(*calls, fmt.Sprintf("post %q", o.Command))
			return nil
		},
		OnExit: func(_ context.Context, r Result) error {
			*calls = append(*calls, fmt.Sprintf("exit rebooted=%v needed=%v dry=%v", r.Rebooted, r.RebootNeeded, r.DryRun))
			return nil
		},
	}
}

// TestInstallFlowPendingReboot follows AWS-RunPatchBaselineWithHooks with
// nothing missing and a reboot pending: under RebootIfNeeded the pre- and
// post-install hooks run, the node reboots, then the on-exit hook; under
// NoReboot, in a dry run, and on a root without a rebooter, nothing
// reboots and RebootNeeded says a reboot is due.
func TestInstallFlowPendingReboot(t *testing.T) {
	ctx := context.Background()
	root, prev, at, boot := pendingRoot(t)
	common := func(extra ...Option) []Option {
		return append([]Option{WithRunner(neverRunner), At(at), WithArch("x86_64"), WithPrevious(prev),
			WithHostFacts(scan.HostFacts{BootTime: boot})}, extra...)
	}

	t.Run("RebootIfNeeded", func(t *testing.T) {
		var calls []string
		reb := &recordingRebooter{}
		res, err := Install(ctx, os.DirFS(root), common(Root(root), WithRebooter(reb), WithHooks(recordedHooks(&calls)))...)
		require.NoError(t, err)
		assert.Equal(t, 1, reb.n)
		assert.True(t, res.Rebooted)
		assert.False(t, res.RebootNeeded)
		assert.Equal(t, []string{"pre 0", `post ""`, "exit rebooted=true needed=false dry=false"}, calls)
		require.NotNil(t, res.After, "the flow went through the verifying scan")
	})
	t.Run("DryRun", func(t *testing.T) {
		var calls []string
		reb := &recordingRebooter{}
		res, err := Install(ctx, os.DirFS(root), common(Root(root), WithRebooter(reb), WithHooks(recordedHooks(&calls)), DryRun())...)
		require.NoError(t, err)
		assert.Zero(t, reb.n, "a dry run never reboots")
		assert.True(t, res.DryRun)
		assert.True(t, res.RebootNeeded, "it says the run would reboot")
		assert.Equal(t, []string{"exit rebooted=false needed=true dry=true"}, calls)
	})
	t.Run("NoReboot", func(t *testing.T) {
		var calls []string
		reb := &recordingRebooter{}
		res, err := Install(ctx, os.DirFS(root), common(Root(root), WithRebooter(reb), WithHooks(recordedHooks(&calls)),
			WithRebootOption(compliance.NoReboot))...)
		require.NoError(t, err)
		assert.Zero(t, reb.n)
		assert.True(t, res.RebootNeeded)
		assert.Equal(t, []string{"exit rebooted=false needed=true dry=false"}, calls, "straight to the on-exit hook")
		assert.Equal(t, 1, res.Report.Summary.InstalledPendingRebootCount)
	})
	t.Run("RootWithoutRebooter", func(t *testing.T) {
		// neverRunner would fail the SystemRebooter's shutdown: a root is
		// not this host, so the default does not reboot.
		res, err := Install(ctx, os.DirFS(root), common(Root(root))...)
		require.NoError(t, err)
		assert.False(t, res.Rebooted)
		assert.True(t, res.RebootNeeded)
	})
	t.Run("HookErrorStops", func(t *testing.T) {
		reb := &recordingRebooter{}
		_, err := Install(ctx, os.DirFS(root), common(Root(root), WithRebooter(reb), WithHooks(Hooks{
			PreInstall: func(context.Context, plan.Plan) error { return fmt.Errorf("maintenance freeze") },
		}))...)
		require.ErrorContains(t, err, "pre-install hook: maintenance freeze")
		assert.Zero(t, reb.n)
	})
}

// TestInstallOneOperationPerNode: Install refuses to start while another
// patchkit operation holds the node, before it scans or runs anything.
func TestInstallOneOperationPerNode(t *testing.T) {
	root, prev, at, _ := pendingRoot(t)
	unlock, err := lockNode(root)
	require.NoError(t, err)
	_, err = Install(context.Background(), os.DirFS(root), Root(root), WithRunner(neverRunner), At(at), WithPrevious(prev))
	require.ErrorIs(t, err, ErrBusy)
	unlock()
	_, err = Install(context.Background(), os.DirFS(root), Root(root), WithRunner(neverRunner), At(at), WithPrevious(prev),
		WithRebooter(&recordingRebooter{}))
	require.NoError(t, err, "free again once the other operation ends")
}

// TestSystemRebooter: the default rebooter schedules the reboot a minute
// ahead through the runner, as a committing command (never killed).
func TestSystemRebooter(t *testing.T) {
	var got []run.Command
	r := run.RunnerFunc(func(_ context.Context, c run.Command) (run.Result, error) {
		got = append(got, c)
		return run.Result{}, nil
	})
	require.NoError(t, SystemRebooter{Runner: r}.Reboot(context.Background()))
	require.Len(t, got, 1)
	assert.Equal(t, []string{"/sbin/shutdown", "-r", "+1"}, got[0].Argv())
	assert.True(t, got[0].Committing)
}
