package plan_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// TestLockedErrorMatchesBoth: a *LockedError (an install's lock held
// beyond the wait) matches plan.ErrLocked and run.ErrLocked, which scan/run
// documents as the same condition (the package manager's lock is held by
// another process); wrapped too. (Before: plan.ErrLocked only.)
func TestLockedErrorMatchesBoth(t *testing.T) {
	err := fmt.Errorf("install/apt: %w", &plan.LockedError{Tool: "dpkg", Path: "/var/lib/dpkg/lock-frontend", PID: 4242, Holder: "unattended-upgr", Waited: "10s"})
	if !errors.Is(err, plan.ErrLocked) || !errors.Is(err, run.ErrLocked) {
		t.Fatalf("%v: plan.ErrLocked %v, run.ErrLocked %v", err, errors.Is(err, plan.ErrLocked), errors.Is(err, run.ErrLocked))
	}
	if want := "install/apt: dpkg is locked (/var/lib/dpkg/lock-frontend) by process 4242 (unattended-upgr) after waiting 10s"; err.Error() != want {
		t.Fatalf("%q, want %q", err, want)
	}
	for _, other := range []error{plan.ErrNeedsRepair, plan.ErrPlanRefused, plan.ErrInsufficientSpace, run.ErrNotFound, run.ErrOutputTooLarge} {
		if errors.Is(err, other) {
			t.Errorf("matches %v", other)
		}
	}
}
