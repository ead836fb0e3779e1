package scan

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan/run"
)

// frenchRunner is a runner as an embedder might write one (an SSH or
// container exec would do the same): it runs each command in the
// caller's own environment, here a French one (LANG=C.UTF-8,
// LANGUAGE=fr: apt, dnf and zypper, whose French catalogues Debian ships,
// then speak French), with only the command's own Env on top. It sets no
// locale of its own, so the parsed result is the C locale's only if each
// command carries it (row F2).
type frenchRunner struct{ commands int }

func (f *frenchRunner) Run(ctx context.Context, c run.Command) (run.Result, error) {
	if err := c.Check(); err != nil {
		return run.Result{}, err
	}
	argv := c.Argv()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var env []string
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); k != "LC_ALL" && k != "LANG" && k != "LANGUAGE" && !strings.HasPrefix(k, "LC_") {
			env = append(env, e)
		}
	}
	cmd.Env = append(append(env, "LANG=C.UTF-8", "LANGUAGE=fr"), c.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	f.commands++
	res := run.Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	case err != nil:
		return res, err
	}
	if !c.OK(res.ExitCode) {
		return res, run.NewExitError(c, res)
	}
	return res, nil
}

// TestFrenchRunnerSpeaksFrench: the runner above does make the package
// managers translate, so the tests below would see a command that lacks
// the C locale.
func TestFrenchRunnerSpeaksFrench(t *testing.T) {
	aptGet := testutil.NeedTool(t, "apt-get", "apt")
	f := &frenchRunner{}
	res, err := f.Run(context.Background(), run.Command{Path: aptGet, Args: []string{"-s", "-o", "Debug::NoLocking=1", "install"},
		Operands: []string{"tb-no-such-package"}})
	require.Error(t, err)
	assert.Contains(t, string(res.Stderr), "Impossible de trouver le paquet")
	res, err = f.Run(context.Background(), run.Command{Path: aptGet, Args: []string{"-s", "-o", "Debug::NoLocking=1", "install"},
		Operands: []string{"tb-no-such-package"}, Env: run.CLocale()})
	require.Error(t, err)
	assert.Contains(t, string(res.Stderr), "Unable to locate package")
}

// TestTestbedScanNativeForeignLocale: a native Scan through a runner that
// sets no locale, in a French environment, gives what it gives through
// run.Local, on each family's testbed root: every command carries the C
// locale itself.
func TestTestbedScanNativeForeignLocale(t *testing.T) {
	env := testbed.NeedChroot(t)
	for _, tc := range []struct {
		name, tool, pkg, release string
		root                     func(t *testing.T) string
	}{
		{"apt", "apt-get", "apt", "", func(t *testing.T) string { return env.DebChroot }},
		{"dnf", "dnf", "dnf", "amzn-2023", func(t *testing.T) string { return env.Clone(t).RPMRoot }},
		{"zypper", "zypper", "zypper", "sles-15.6", func(t *testing.T) string { return env.Clone(t).ZyppRoot }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testutil.NeedTool(t, tc.tool, tc.pkg)
			root := tc.root(t)
			t.Parallel()
			var o osdetect.OS
			if tc.release != "" {
				o = releaseOS(t, tc.release)
			} else {
				var err error
				o, err = osdetect.DetectFS(os.DirFS(root))
				require.NoError(t, err)
			}
			at := scanAt(t)
			opts := []ScanOption{At(at), WithOS(o), WithArch("x86_64")}
			l, err := run.NewLocal()
			require.NoError(t, err)
			want, err := Scan(context.Background(), os.DirFS(root), append(opts, WithRunner(l, root))...)
			require.NoError(t, err)
			require.NotEmpty(t, want.Candidates)
			f := &frenchRunner{}
			got, err := Scan(context.Background(), os.DirFS(root), append(opts, WithRunner(f, root))...)
			require.NoError(t, err)
			assert.NotZero(t, f.commands)
			assert.Equal(t, want.Candidates, got.Candidates)
			assert.Equal(t, want.Repositories, got.Repositories)
			assert.Equal(t, want.Report, got.Report)
		})
	}
}
