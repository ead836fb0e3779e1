package compliance

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Update is the -update flag, for the external tests (package
// compliance_test) of the same test binary.
var Update = update

// TestGoldenSequence keeps the complete reports of the NoReboot sequence
// (Scan, Install with NoReboot, Scan before the reboot, reboot, Scan) and of
// a failed Install as golden JSON files; TestNoRebootSequence and
// TestInstallFailedAndRebootIfNeeded assert the facts they must show.
func TestGoldenSequence(t *testing.T) {
	n := newNode(t)
	t0 := utc("2025-11-20T01:00:00Z")
	scan0 := n.report(Scan, RebootIfNeeded, t0, nil, nil, BuildOptions{})
	failed := n.report(Install, RebootIfNeeded, t0.Add(30*time.Minute), &scan0, &scan0, BuildOptions{})
	t1 := utc("2025-11-20T02:00:00Z")
	n.upgrade(t1.Add(5 * time.Minute))
	inst := n.report(Install, NoReboot, t1, &failed, &failed, BuildOptions{})
	scan1 := n.report(Scan, RebootIfNeeded, utc("2025-11-20T03:00:00Z"), &inst, nil, BuildOptions{})
	n.lastBoot = utc("2025-11-20T04:00:00Z")
	scan2 := n.report(Scan, RebootIfNeeded, utc("2025-11-20T05:00:00Z"), &scan1, nil, BuildOptions{})
	for name, r := range map[string]*Report{"1-scan": &scan0, "2-install-failed": &failed, "3-install-noreboot": &inst,
		"4-scan-before-reboot": &scan1, "5-scan-after-reboot": &scan2} {
		var buf bytes.Buffer
		require.NoError(t, r.WriteJSON(&buf))
		path := filepath.Join("testdata", "golden", "sequence-"+name+".json")
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, string(want), buf.String(), "%s differs; check and rerun with -update", name)
		back, err := LoadFile(path)
		require.NoError(t, err)
		assert.Equal(t, *r, back)
	}
	assert.Equal(t, Failed, states(failed)["openssl-libs.x86_64"])
	assert.Equal(t, InstalledPendingReboot, states(inst)["openssl-libs.x86_64"])
	assert.Equal(t, InstalledPendingReboot, states(scan1)["openssl-libs.x86_64"])
	assert.Equal(t, Installed, states(scan2)["openssl-libs.x86_64"])
}
