package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/compliance/rollout"
)

// The tests drive Run with a simulated fleet: target i is the int i, and its
// executor blocks until the test releases it, then returns what the test
// scripted for it. Releasing one target at a time makes the run
// deterministic: the dispatcher can only take in the completion the test
// allowed, and it dispatches new targets before it yields that
// completion's Result, so the loop body sees every dispatch the completion
// caused.

// fleetReports are the twelve schema 1.0 reports in the compliance
// package's test data, read through the public API; simulated targets
// return them in turn.
func fleetReports(t testing.TB) []*compliance.Report {
	t.Helper()
	f, err := os.Open("../testdata/schema-1.0/fleet.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var reps []*compliance.Report
	for r, err := range compliance.Reports(f) {
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, r)
	}
	if len(reps) != 12 {
		t.Fatalf("fleet.jsonl: %d reports, want 12", len(reps))
	}
	return reps
}

type outcome uint8

const (
	succeed outcome = iota
	fail
	undeliverable
	noReport
	panics
)

type sim struct {
	reports  []*compliance.Report
	outcomes []outcome
	release  []chan struct{}
	calls    []atomic.Int32
	// ctxErr records, per target, the context's cause when its executor
	// gave up waiting (nil when released).
	ctxErr []error

	live, maxLive atomic.Int64
	// free makes executors return at once, without waiting for a release.
	free bool
}

var errScripted = errors.New("scripted failure")

func newSim(reps []*compliance.Report, outcomes []outcome) *sim {
	s := &sim{reports: reps, outcomes: outcomes, release: make([]chan struct{}, len(outcomes)),
		calls: make([]atomic.Int32, len(outcomes)), ctxErr: make([]error, len(outcomes))}
	for i := range s.release {
		s.release[i] = make(chan struct{}, 1)
	}
	return s
}

func (s *sim) exec(ctx context.Context, i int) (*compliance.Report, error) {
	s.calls[i].Add(1)
	n := s.live.Add(1)
	for m := s.maxLive.Load(); n > m && !s.maxLive.CompareAndSwap(m, n); m = s.maxLive.Load() {
	}
	defer s.live.Add(-1)
	if s.free {
		runtime.Gosched()
	} else {
		select {
		case <-s.release[i]:
		case <-ctx.Done():
			s.ctxErr[i] = context.Cause(ctx)
			return nil, ctx.Err()
		}
	}
	switch s.outcomes[i] {
	case fail:
		return nil, fmt.Errorf("target %d: %w", i, errScripted)
	case undeliverable:
		return nil, fmt.Errorf("target %d: agent offline: %w", i, rollout.ErrUndeliverable)
	case noReport:
		return nil, nil
	case panics:
		panic(fmt.Sprintf("target %d exploded", i))
	}
	return s.reports[i%len(s.reports)], nil
}

// trace is what one run produced.
type trace struct {
	dispatches []rollout.Dispatch
	results    []rollout.Result[int]
	log        []string // "D3" dispatch, then a result: R succeeded, F failed, U undeliverable, C cancelled, S skipped
}

func (tr *trace) String() string { return compress(tr.log) }

// compress writes runs of S (or of undispatched C) tokens as "S12-49".
func compress(log []string) string {
	var out []string
	for i := 0; i < len(log); {
		j := i
		if k := log[i][0]; k == 'S' || k == 'c' {
			for j+1 < len(log) && log[j+1][0] == k {
				j++
			}
			if j > i {
				out = append(out, log[i]+"-"+log[j][1:])
				i = j + 1
				continue
			}
		}
		out = append(out, log[i])
		i++
	}
	return strings.Join(out, " ")
}

var statusLetter = map[rollout.Status]string{rollout.Succeeded: "R", rollout.Failed: "F",
	rollout.Undeliverable: "U", rollout.Cancelled: "C", rollout.Skipped: "S"}

// policy picks which targets to release once nothing released is left
// running; inflight lists the targets running, in dispatch order.
type policy func(inflight []int) []int

func fifo(inflight []int) []int { return inflight[:1] }

func all(inflight []int) []int { return append([]int(nil), inflight...) }

// drive runs the rollout, releasing targets as pick says, and calls body
// (if not nil) after each Result; body returning false leaves the loop.
func drive(t testing.TB, ctx context.Context, s *sim, rate rollout.Rate, pick policy,
	body func(tr *trace, r rollout.Result[int]) bool) *trace {
	t.Helper()
	tr := &trace{}
	targets := make([]int, len(s.outcomes))
	for i := range targets {
		targets[i] = i
	}
	var inflight []int
	outstanding := 0
	seq, err := rollout.Run(ctx, targets, rate, s.exec, rollout.OnDispatch(func(d rollout.Dispatch) {
		tr.dispatches = append(tr.dispatches, d)
		tr.log = append(tr.log, fmt.Sprintf("D%d", d.Index))
		inflight = append(inflight, d.Index)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !s.free && len(targets) > 0 {
		s.release[0] <- struct{}{} // the first dispatch is always target 0
		outstanding = 1
	}
	for r := range seq {
		tr.results = append(tr.results, r)
		letter := statusLetter[r.Status]
		if r.Status == rollout.Cancelled && !r.Dispatched {
			letter = "c"
		}
		tr.log = append(tr.log, fmt.Sprintf("%s%d", letter, r.Index))
		if r.Dispatched {
			for k, i := range inflight {
				if i == r.Index {
					inflight = append(inflight[:k], inflight[k+1:]...)
					break
				}
			}
			outstanding--
		}
		if body != nil && !body(tr, r) {
			break
		}
		if !s.free && outstanding <= 0 && len(inflight) > 0 && ctx.Err() == nil {
			rel := pick(inflight)
			for _, i := range rel {
				s.release[i] <- struct{}{}
			}
			outstanding = len(rel)
		}
	}
	return tr
}

// checkRun checks the rules every run must keep, whatever the completion
// order: one result per target; targets dispatched in slice order; the
// ramp-up allowance min(MaxConcurrency, 1 + completions) filled after
// every completion until the stop and never exceeded (also measured by the
// executors themselves); no dispatch once error MaxErrors+1 was taken in;
// every target never dispatched reported, Skipped with the error that
// stopped the run; and each dispatched target's status is its script's.
func checkRun(t *testing.T, s *sim, lim rollout.Limits, tr *trace, cancelled bool) (errorsSeen, skipped int) {
	t.Helper()
	n := len(s.outcomes)
	if len(tr.results) != n {
		t.Fatalf("%d results for %d targets", len(tr.results), n)
	}
	seen := make([]bool, n)
	for _, r := range tr.results {
		if seen[r.Index] {
			t.Fatalf("target %d reported twice", r.Index)
		}
		seen[r.Index] = true
		if r.Target != r.Index {
			t.Fatalf("result %d carries target %d", r.Index, r.Target)
		}
	}
	D := len(tr.dispatches)
	for k, d := range tr.dispatches {
		if d.Index != k {
			t.Fatalf("dispatch %d was target %d: not in slice order", k, d.Index)
		}
		if d.InFlight > lim.MaxConcurrency || d.Window > lim.MaxConcurrency || d.InFlight > d.Window {
			t.Fatalf("dispatch %+v over the limit %d", d, lim.MaxConcurrency)
		}
		if want := min(lim.MaxConcurrency, 1+d.Completed); d.Window != want {
			t.Fatalf("dispatch %+v: window %d, want %d", d, d.Window, want)
		}
	}
	if m := s.maxLive.Load(); m > int64(lim.MaxConcurrency) {
		t.Fatalf("executors saw %d running at once, limit %d", m, lim.MaxConcurrency)
	}
	// failuresBefore[k]: failures among the first k results taken in.
	failuresBefore := make([]int, n+1)
	stopAt := 0 // 1-based position of error MaxErrors+1, 0 if none
	for k, r := range tr.results {
		failuresBefore[k+1] = failuresBefore[k]
		if r.Status == rollout.Failed {
			failuresBefore[k+1]++
			errorsSeen++
			if failuresBefore[k+1] == lim.MaxErrors+1 {
				stopAt = k + 1
			}
		}
	}
	for _, d := range tr.dispatches {
		if failuresBefore[d.Completed] != d.Errors {
			t.Fatalf("dispatch %+v: %d failures had been yielded", d, failuresBefore[d.Completed])
		}
		if d.Errors > lim.MaxErrors {
			t.Fatalf("target %d dispatched after error %d (threshold %d)", d.Index, d.Errors, lim.MaxErrors)
		}
		if stopAt > 0 && d.Completed >= stopAt {
			t.Fatalf("target %d dispatched after the stop (completion %d, stop at %d)", d.Index, d.Completed, stopAt)
		}
	}
	if !cancelled {
		// Work conservation: after k completions (before the stop),
		// exactly min(n, k + allowance) targets have been dispatched.
		dispatchedBy := make([]int, D+1)
		for _, d := range tr.dispatches {
			dispatchedBy[d.Completed]++
		}
		sum := 0
		last := D
		if stopAt > 0 {
			last = stopAt - 1
		}
		for k := 0; k <= min(last, D); k++ {
			sum += dispatchedBy[k]
			if want := min(n, k+min(lim.MaxConcurrency, 1+k)); sum != want {
				t.Fatalf("after %d completions %d dispatched, want %d", k, sum, want)
			}
		}
		if stopAt == 0 && D != n {
			t.Fatalf("no stop, but %d of %d targets dispatched", D, n)
		}
	}
	var stopIndex int
	if stopAt > 0 {
		stopIndex = tr.results[stopAt-1].Index
	}
	for _, r := range tr.results {
		if r.Index < D {
			if !r.Dispatched || s.calls[r.Index].Load() != 1 {
				t.Fatalf("target %d dispatched but result says %v, %d calls", r.Index, r.Dispatched, s.calls[r.Index].Load())
			}
			if cancelled && r.Status == rollout.Cancelled {
				continue
			}
			want := map[outcome]rollout.Status{succeed: rollout.Succeeded, fail: rollout.Failed,
				undeliverable: rollout.Undeliverable, noReport: rollout.Failed, panics: rollout.Failed}[s.outcomes[r.Index]]
			if r.Status != want {
				t.Fatalf("target %d: %v (%v), scripted %d", r.Index, r.Status, r.Err, s.outcomes[r.Index])
			}
			continue
		}
		if r.Dispatched || s.calls[r.Index].Load() != 0 {
			t.Fatalf("target %d never dispatched, yet result says %v, %d calls", r.Index, r.Dispatched, s.calls[r.Index].Load())
		}
		if cancelled && r.Status == rollout.Cancelled {
			continue
		}
		skipped++
		var te *rollout.ThresholdError
		if r.Status != rollout.Skipped || !errors.As(r.Err, &te) || te.Index != stopIndex || te.MaxErrors != lim.MaxErrors {
			t.Fatalf("undispatched target %d: %v %v, want Skipped by error at target %d", r.Index, r.Status, r.Err, stopIndex)
		}
	}
	return errorsSeen, skipped
}

// noLeak waits for the goroutine count to come back to base: an executor
// goroutine may still be exiting when the loop has ended (it has sent its
// completion and marked itself done). The wait yields the processor first,
// then sleeps briefly, for at most two seconds in all; a goroutine left
// running is found either way.
func noLeak(t *testing.T, base int) {
	t.Helper()
	// The executors' goroutines end soon after Run returns, but on a loaded
	// machine under the race detector "soon" has taken more than 2 s, so the
	// wait is generous: a real leak never ends.
	var n int
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		if n = runtime.NumGoroutine(); n <= base || time.Now().After(deadline) {
			break
		}
		if i < 10000 {
			runtime.Gosched()
		} else {
			time.Sleep(time.Millisecond)
		}
	}
	if n <= base {
		return
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("%d goroutines, %d before the run:\n%s", n, base, buf[:runtime.Stack(buf, true)])
}

func mustRate(t testing.TB, c, e string) rollout.Rate {
	t.Helper()
	r, err := rollout.ParseRate(c, e)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func script(n int, failing ...int) []outcome {
	o := make([]outcome, n)
	for _, i := range failing {
		o[i] = fail
	}
	return o
}
