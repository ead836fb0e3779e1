package apt

import (
	"errors"
	"flag"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

var update = flag.Bool("update", false, "rewrite the recordings under testdata/install/apt from the real runs of the end-to-end tests")

// recDir is where recordings of real runs are kept.
const recDir = "../../testdata/install/apt"

// target is the upgrade of the installed package name to version.
func target(t testing.TB, inv []patchkit.Package, name, version string) plan.Target {
	t.Helper()
	for _, p := range inv {
		if p.Name == name {
			v, err := patchkit.ParseDpkg(p.Name+":"+p.Arch, version)
			if err != nil {
				t.Fatal(err)
			}
			return plan.Target{Version: v, Installed: p, KBID: p.Name + "." + p.Arch}
		}
	}
	t.Fatalf("%s is not installed", name)
	return plan.Target{}
}

// exitError returns the *run.ExitError in err's chain, or fails.
func exitError(t *testing.T, err error) *run.ExitError {
	t.Helper()
	var ee *run.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("want a *run.ExitError, got %T %v", err, err)
	}
	return ee
}
