// Package progresstest holds what the install executors' tests share to
// watch an Apply's progress: a log of the plan.Progress events, safe for
// the runner's goroutine and the test's, and a check of a stage's
// per-package events.
package progresstest

import (
	"slices"
	"sync"
	"testing"

	"github.com/patchkit/patchkit/install/plan"
)

// Log keeps the Progress events of a run. Its zero value is ready; Add is
// the callback to pass to the executor's WithProgress.
type Log struct {
	mu     sync.Mutex
	events []plan.Progress
}

// Add records p.
func (l *Log) Add(p plan.Progress) {
	l.mu.Lock()
	l.events = append(l.events, p)
	l.mu.Unlock()
}

// Events returns a copy of the events recorded so far.
func (l *Log) Events() []plan.Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// PackageEvents returns the packages of stage's per-package events (those
// with N set), in order, and fails the test unless N goes 1, 2, ... with
// Total total in each.
func PackageEvents(t testing.TB, events []plan.Progress, stage string, total int) []string {
	t.Helper()
	var names []string
	for _, e := range events {
		if e.Stage != stage || e.N == 0 {
			continue
		}
		names = append(names, e.Package)
		if e.N != len(names) || e.Total != total {
			t.Errorf("%s event %d: %+v, want N %d of %d", stage, len(names), e, len(names), total)
		}
	}
	return names
}
