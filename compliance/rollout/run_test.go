package rollout_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/compliance/rollout"
)

// The documented examples, over 50 targets at concurrency 5 with the
// running target dispatched first released first. Read the logs as: Dn
// target n dispatched; Rn, Fn its result succeeded or failed; Sa-b targets
// a to b skipped. A completion's dispatches come right before its result.
// Ramp-up: D0; its completion allows 2 (D1 D2), the next 3, 4, then 5 at
// once; from then on each completion dispatches one more.
func TestDocumentedExamples(t *testing.T) {
	reps := fleetReports(t)
	for _, tc := range []struct {
		name, conc, errs string
		failing          []int
		want             string
		errorsSeen       int
	}{
		{
			// "0": the first error stops dispatching; 8 to 11 were
			// already running and finish.
			name: "0", conc: "5", errs: "0", failing: []int{7, 30},
			want: "D0 D1 D2 R0 D3 D4 R1 D5 D6 R2 D7 D8 R3 D9 R4 D10 R5 D11 R6 F7 " +
				"R8 R9 R10 R11 S12-49",
			errorsSeen: 1,
		},
		{
			// "3": the fourth error (target 13) stops it; 15 was already
			// running and fails as well; 20 is never dispatched.
			name: "3", conc: "5", errs: "3", failing: []int{2, 5, 9, 13, 15, 20},
			want: "D0 D1 D2 R0 D3 D4 R1 D5 D6 F2 D7 D8 R3 D9 R4 D10 F5 D11 R6 D12 R7 D13 R8 " +
				"D14 F9 D15 R10 D16 R11 D17 R12 F13 R14 F15 R16 R17 S18-49",
			errorsSeen: 5,
		},
		{
			// "10%" of 50 is 5 errors allowed: the sixth (target 23)
			// stops it; 27 was running and fails too. Concurrency 10%
			// of 50 is 5.
			name: "10%", conc: "10%", errs: "10%", failing: []int{3, 7, 11, 15, 19, 23, 27, 31},
			want: "D0 D1 D2 R0 D3 D4 R1 D5 D6 R2 D7 D8 F3 D9 R4 D10 R5 D11 R6 D12 F7 D13 R8 " +
				"D14 R9 D15 R10 D16 F11 D17 R12 D18 R13 D19 R14 D20 F15 D21 R16 D22 R17 D23 R18 " +
				"D24 F19 D25 R20 D26 R21 D27 R22 F23 R24 R25 R26 F27 S28-49",
			errorsSeen: 7,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			s := newSim(reps, script(50, tc.failing...))
			rate := mustRate(t, tc.conc, tc.errs)
			tr := drive(t, context.Background(), s, rate, fifo, nil)
			if got := tr.String(); got != tc.want {
				t.Errorf("log\n got %s\nwant %s", got, tc.want)
			}
			lim, _ := rate.Limits(50)
			errorsSeen, _ := checkRun(t, s, lim, tr, false)
			if errorsSeen != tc.errorsSeen {
				t.Errorf("%d errors reported, want %d", errorsSeen, tc.errorsSeen)
			}
			noLeak(t, base)
		})
	}
}

// With concurrency 1 the error threshold is a hard cap: exactly E+1
// targets fail and the run stops at the (E+1)th failing target.
func TestConcurrencyOneIsHardCap(t *testing.T) {
	reps := fleetReports(t)
	failing := []int{4, 9, 10, 17, 22, 23, 31, 40, 41, 42}
	for _, tc := range []struct {
		errs   string
		stopAt int // the failing target that stops the run, -1 for none
	}{
		{"0", 4}, {"3", 17}, {"10%", 23}, {"18%", 42}, {"9", 42}, {"20%", -1}, {"100%", -1}, {"10", -1},
	} {
		s := newSim(reps, script(50, failing...))
		rate := mustRate(t, "1", tc.errs)
		tr := drive(t, context.Background(), s, rate, fifo, nil)
		lim, _ := rate.Limits(50)
		errorsSeen, skipped := checkRun(t, s, lim, tr, false)
		if tc.stopAt < 0 {
			if errorsSeen != len(failing) || skipped != 0 {
				t.Errorf("%s: %d errors, %d skipped, want all %d errors and none skipped", tc.errs, errorsSeen, skipped, len(failing))
			}
			continue
		}
		if errorsSeen != lim.MaxErrors+1 || skipped != 49-tc.stopAt || len(tr.dispatches) != tc.stopAt+1 {
			t.Errorf("%s: %d errors, %d dispatched, %d skipped; want %d errors, stop at target %d",
				tc.errs, errorsSeen, len(tr.dispatches), skipped, lim.MaxErrors+1, tc.stopAt)
		}
	}
}

// Thousands of targets with failures, unreachable targets, missing reports
// and panics drawn from a seeded source, released in a random order: the
// rules checkRun lists hold for every rate.
func TestRandomFailures(t *testing.T) {
	reps := fleetReports(t)
	const n = 3000
	rates := [][2]string{{"1", "0"}, {"50", "3"}, {"10%", "10%"}, {"7%", "2%"}, {"100%", "100%"}, {"3", "1%"}, {"64", "0%"}}
	stops, completions := 0, 0
	for seed := uint64(1); seed <= 3; seed++ {
		for _, rc := range rates {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			pFail := []float64{0.003, 0.01, 0.05}[seed-1]
			out := make([]outcome, n)
			for i := range out {
				switch x := rng.Float64(); {
				case x < pFail*0.7:
					out[i] = fail
				case x < pFail*0.8:
					out[i] = noReport
				case x < pFail*0.9:
					out[i] = panics
				case x < pFail*1.5:
					out[i] = undeliverable
				}
			}
			s := newSim(reps, out)
			rate := mustRate(t, rc[0], rc[1])
			pick := func(inflight []int) []int {
				k := rng.IntN(len(inflight))
				return inflight[k : k+1]
			}
			tr := drive(t, context.Background(), s, rate, pick, nil)
			lim, _ := rate.Limits(n)
			errorsSeen, skipped := checkRun(t, s, lim, tr, false)
			if skipped > 0 {
				stops++
			} else {
				completions++
			}
			t.Logf("seed %d rate %v: %d dispatched, %d errors, %d skipped", seed, rc, len(tr.dispatches), errorsSeen, skipped)
		}
	}
	// The scripts must exercise both endings, or the test proves little.
	if stops == 0 || completions == 0 {
		t.Fatalf("%d runs stopped, %d completed: the scripts do not cover both", stops, completions)
	}
}

// Executors that run free (no releases, just yielding the processor) on
// thousands of targets: the same rules hold, run under -race.
func TestFreeRunning(t *testing.T) {
	reps := fleetReports(t)
	base := runtime.NumGoroutine()
	const n = 4000
	for _, rc := range [][2]string{{"32", "1%"}, {"100%", "100%"}, {"2%", "0"}} {
		rng := rand.New(rand.NewPCG(7, 7))
		out := make([]outcome, n)
		for i := range out {
			if rng.Float64() < 0.02 {
				out[i] = fail
			}
		}
		s := newSim(reps, out)
		s.free = true
		rate := mustRate(t, rc[0], rc[1])
		tr := drive(t, context.Background(), s, rate, nil, nil)
		lim, _ := rate.Limits(n)
		errorsSeen, skipped := checkRun(t, s, lim, tr, false)
		t.Logf("rate %v: %d dispatched, %d errors, %d skipped, at most %d running", rc, len(tr.dispatches), errorsSeen, skipped, s.maxLive.Load())
	}
	noLeak(t, base)
}

// Releasing every running target at once, round after round, makes the
// rollout run in the waves Plan predicts.
func TestWavesMatchPlan(t *testing.T) {
	reps := fleetReports(t)
	for _, tc := range []struct {
		n    int
		conc string
	}{{3000, "50"}, {3000, "7%"}, {200, "1"}, {1000, "100%"}, {1, "10"}, {2, "2"}, {129, "64"}} {
		s := newSim(reps, make([]outcome, tc.n))
		rate := mustRate(t, tc.conc, "0")
		tr := drive(t, context.Background(), s, rate, all, nil)
		waveOf := wavesOf(tr)
		targets := make([]int, tc.n)
		for i := range targets {
			targets[i] = i
		}
		waves, err := rollout.Plan(targets, rate)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for w, wave := range waves {
			for k, i := range wave.Targets {
				if i != wave.First+k || waveOf[i] != w {
					t.Fatalf("n=%d %s: target %d ran in wave %d, Plan says %d", tc.n, tc.conc, i, waveOf[i], w)
				}
				got++
			}
		}
		if got != tc.n {
			t.Fatalf("Plan covers %d of %d targets", got, tc.n)
		}
		lim, _ := rate.Limits(tc.n)
		checkRun(t, s, lim, tr, false)
	}
}

// wavesOf gives the wave of each target when the test releases every
// running target together, round after round, each round once the one
// before has been yielded: round r releases exactly wave r. Target 0 is
// wave 0; a target dispatched after completion number k belongs to the
// wave after the one that completion was part of.
func wavesOf(tr *trace) []int {
	waveOf := make([]int, len(tr.dispatches))
	var sizes []int
	wave, end := 0, 0 // end: the completions that close waves before wave
	for _, d := range tr.dispatches {
		for d.Completed > end {
			end += sizes[wave]
			wave++
		}
		if wave == len(sizes) {
			sizes = append(sizes, 0)
		}
		sizes[wave]++
		waveOf[d.Index] = wave
	}
	return waveOf
}

func TestCancel(t *testing.T) {
	reps := fleetReports(t)
	base := runtime.NumGoroutine()
	const n = 2000
	cause := errors.New("maintenance window closed")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	s := newSim(reps, make([]outcome, n))
	rate := mustRate(t, "10", "0")
	var logAtCancel int
	tr := drive(t, ctx, s, rate, fifo, func(tr *trace, r rollout.Result[int]) bool {
		if len(tr.results) == 100 {
			cancel(cause)
			logAtCancel = len(tr.log)
		}
		return true
	})
	lim, _ := rate.Limits(n)
	checkRun(t, s, lim, tr, true)
	for _, e := range tr.log[logAtCancel:] {
		if strings.HasPrefix(e, "D") {
			t.Fatalf("%s after the cancellation", e)
		}
	}
	running, never := 0, 0
	for _, r := range tr.results[100:] {
		if r.Status != rollout.Cancelled {
			t.Fatalf("target %d after the cancellation: %v", r.Index, r.Status)
		}
		if r.Dispatched {
			running++
			if !errors.Is(r.Err, context.Canceled) || s.ctxErr[r.Index] != cause {
				t.Errorf("running target %d: error %v, executor saw cause %v", r.Index, r.Err, s.ctxErr[r.Index])
			}
		} else {
			never++
			if r.Err != cause {
				t.Errorf("undispatched target %d: error %v, want the cause", r.Index, r.Err)
			}
		}
	}
	if running != 10 || never != n-110 {
		t.Errorf("%d running targets cancelled, %d never dispatched; want 10 and %d", running, never, n-110)
	}
	noLeak(t, base)

	// Cancelled before the start: nothing runs, every target is reported.
	s = newSim(reps, make([]outcome, 50))
	tr = drive(t, ctx, s, rate, fifo, nil)
	if len(tr.dispatches) != 0 || len(tr.results) != 50 || tr.String() != "c0-49" {
		t.Errorf("cancelled context: %d dispatched, log %s", len(tr.dispatches), tr)
	}
	noLeak(t, base)
}

// Leaving the loop early cancels the running executors and waits for
// them: no goroutine is left and no executor is called afterwards.
func TestBreak(t *testing.T) {
	reps := fleetReports(t)
	base := runtime.NumGoroutine()
	s := newSim(reps, make([]outcome, 1000))
	tr := drive(t, context.Background(), s, mustRate(t, "20", "0"), fifo, func(tr *trace, r rollout.Result[int]) bool {
		return len(tr.results) < 300
	})
	noLeak(t, base)
	calls := 0
	for i := range s.calls {
		calls += int(s.calls[i].Load())
	}
	if len(tr.results) != 300 || calls != len(tr.dispatches) || calls != 320 {
		t.Errorf("%d results, %d dispatched, %d calls; want 300, 320, 320", len(tr.results), len(tr.dispatches), calls)
	}
	stopped := 0
	for i, err := range s.ctxErr {
		if err != nil {
			stopped++
			if i < 300 {
				t.Errorf("target %d finished but saw %v", i, err)
			}
		}
	}
	if stopped != 20 {
		t.Errorf("%d running executors saw their context end, want 20", stopped)
	}
}

// A panic is its target's error: it counts against the threshold, and the
// other targets go on.
func TestPanic(t *testing.T) {
	reps := fleetReports(t)
	base := runtime.NumGoroutine()
	out := make([]outcome, 100)
	out[10], out[20], out[30] = panics, panics, panics
	s := newSim(reps, out)
	tr := drive(t, context.Background(), s, mustRate(t, "4", "1"), fifo, nil)
	lim := rollout.Limits{MaxConcurrency: 4, MaxErrors: 1}
	errorsSeen, skipped := checkRun(t, s, lim, tr, false)
	if errorsSeen != 2 || skipped != 100-len(tr.dispatches) || len(tr.dispatches) != 24 {
		t.Errorf("%d errors, %d dispatched, %d skipped", errorsSeen, len(tr.dispatches), skipped)
	}
	for _, r := range tr.results {
		if r.Index != 10 && r.Index != 20 {
			continue
		}
		var pe *rollout.PanicError
		if !errors.As(r.Err, &pe) || pe.Value != "target "+strconv.Itoa(r.Index)+" exploded" || !strings.Contains(string(pe.Stack), "sim).exec") {
			t.Errorf("target %d: %v", r.Index, r.Err)
		}
	}
	noLeak(t, base)
}

// Unreachable targets do not count as errors; a target without report
// does; the rollout goes on past the former with threshold 0.
func TestUndeliverableAndNoReport(t *testing.T) {
	reps := fleetReports(t)
	out := make([]outcome, 30)
	out[2], out[3], out[5] = undeliverable, undeliverable, undeliverable
	out[12] = noReport
	s := newSim(reps, out)
	tr := drive(t, context.Background(), s, mustRate(t, "1", "0"), fifo, nil)
	want := "D0 D1 R0 D2 R1 D3 U2 D4 U3 D5 R4 D6 U5 D7 R6 D8 R7 D9 R8 D10 R9 D11 R10 D12 R11 F12 S13-29"
	if tr.String() != want {
		t.Errorf("log\n got %s\nwant %s", tr, want)
	}
	for _, r := range tr.results {
		if r.Index == 12 && !errors.Is(r.Err, rollout.ErrNoReport) {
			t.Errorf("target 12: %v", r.Err)
		}
		if r.Status == rollout.Undeliverable && !errors.Is(r.Err, rollout.ErrUndeliverable) {
			t.Errorf("target %d: %v", r.Index, r.Err)
		}
	}
}

// An error that matches context.Canceled while the rollout's own context is
// live is the executor's failure, not a cancellation.
func TestExecutorOwnCancellationIsFailure(t *testing.T) {
	targets := []int{0, 1, 2}
	seq, err := rollout.Run(context.Background(), targets, mustRate(t, "1", "100%"),
		func(ctx context.Context, i int) (*compliance.Report, error) {
			if i == 1 {
				return nil, context.DeadlineExceeded // its own timeout
			}
			return &compliance.Report{}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for r := range seq {
		got = append(got, r.Status.String())
	}
	if strings.Join(got, " ") != "Succeeded Failed Succeeded" {
		t.Errorf("statuses %v", got)
	}
}

func TestRunRefuses(t *testing.T) {
	exec := func(ctx context.Context, i int) (*compliance.Report, error) { return nil, nil }
	if _, err := rollout.Run(context.Background(), []int{1}, rollout.Rate{}, exec); err == nil {
		t.Error("unset rate accepted")
	}
	if _, err := rollout.Run[int](context.Background(), []int{1}, mustRate(t, "1", "0"), nil); err == nil {
		t.Error("nil executor accepted")
	}
	if _, err := rollout.Run(context.Background(), []int{1}, mustRate(t, "1", "0"), exec, nil); err == nil {
		t.Error("nil option accepted")
	}
	if _, err := rollout.Run(context.Background(), []int{1}, mustRate(t, "1", "0"), exec, rollout.OnDispatch(nil)); err == nil {
		t.Error("nil OnDispatch accepted")
	}
	seq, err := rollout.Run(context.Background(), nil, mustRate(t, "1", "0"), exec)
	if err != nil {
		t.Fatal(err)
	}
	for r := range seq {
		t.Errorf("result for no targets: %+v", r)
	}
	if s := rollout.Status(0).String(); s != "Status(0)" {
		t.Errorf("Status(0) = %s", s)
	}
}
