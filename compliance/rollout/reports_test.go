package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"testing"

	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/compliance/rollout"
)

// seqOf yields reports as compliance.Aggregate reads them.
func seqOf(reps []*compliance.Report) iter.Seq2[*compliance.Report, error] {
	return func(yield func(*compliance.Report, error) bool) {
		for _, r := range reps {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// A fake fleet whose nodes return the twelve reports of the compliance
// test data: aggregating the rollout's results gives exactly the fleet
// compliance.Aggregate makes of the file itself.
func TestReportsAggregateFleet(t *testing.T) {
	reps := fleetReports(t)
	byID := map[string]*compliance.Report{}
	var ids []string
	for _, r := range reps {
		byID[r.Node.InstanceID] = r
		ids = append(ids, r.Node.InstanceID)
	}
	f, err := os.Open("../testdata/schema-1.0/fleet.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := compliance.Aggregate(compliance.Reports(f), 10)
	if err != nil {
		t.Fatal(err)
	}
	if want.Overall.Instances != 12 {
		t.Fatalf("the file aggregates to %d instances", want.Overall.Instances)
	}
	exec := func(ctx context.Context, id string) (*compliance.Report, error) { return byID[id], nil }
	seq, err := rollout.Run(context.Background(), ids, mustRate(t, "25%", "0"), exec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := compliance.Aggregate(rollout.Reports(seq, nil), 10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("aggregate of the rollout\n%+v\nwant\n%+v", got, want)
	}

	// Two nodes fail without a report: they go to the callback, the fleet
	// is the other ten.
	failing := map[string]bool{ids[3]: true, ids[7]: true}
	exec = func(ctx context.Context, id string) (*compliance.Report, error) {
		if failing[id] {
			return nil, errors.New("ssh: connection refused")
		}
		return byID[id], nil
	}
	seq, err = rollout.Run(context.Background(), ids, mustRate(t, "3", "2"), exec)
	if err != nil {
		t.Fatal(err)
	}
	var missed []string
	got, err = compliance.Aggregate(rollout.Reports(seq, func(r rollout.Result[string]) {
		missed = append(missed, fmt.Sprintf("%s %v", r.Target, r.Status))
	}), 10)
	if err != nil {
		t.Fatal(err)
	}
	var rest []*compliance.Report
	for _, r := range reps {
		if !failing[r.Node.InstanceID] {
			rest = append(rest, r)
		}
	}
	want, _ = compliance.Aggregate(seqOf(rest), 10)
	if !reflect.DeepEqual(got, want) || len(missed) != 2 || got.Overall.Instances != 10 {
		t.Errorf("with two failures: %d instances, missed %v", got.Overall.Instances, missed)
	}
}

// A failed Install still reports its packages: the report is aggregated
// although the target counts as an error.
func TestReportsFailedWithReport(t *testing.T) {
	failed, err := compliance.LoadFile("../testdata/golden/sequence-2-install-failed.json")
	if err != nil {
		t.Fatal(err)
	}
	scan, err := compliance.LoadFile("../testdata/golden/sequence-1-scan.json")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(ctx context.Context, i int) (*compliance.Report, error) {
		if i == 0 {
			return &failed, errors.New("install: 1 package failed")
		}
		return &scan, nil
	}
	seq, err := rollout.Run(context.Background(), []int{0, 1, 2}, mustRate(t, "1", "0"), exec)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []rollout.Status
	results := func(yield func(rollout.Result[int]) bool) {
		for r := range seq {
			statuses = append(statuses, r.Status)
			if !yield(r) {
				return
			}
		}
	}
	var skipped int
	fleet, err := compliance.Aggregate(rollout.Reports(results, func(r rollout.Result[int]) { skipped++ }), 10)
	if err != nil {
		t.Fatal(err)
	}
	// Threshold 0: the failed Install stops the rollout; targets 1 and 2
	// are skipped, and only the failed report is aggregated.
	if fleet.Overall.Instances != 1 || fleet.Overall.InstancesWithFailedPatches != 1 || skipped != 2 ||
		!reflect.DeepEqual(statuses, []rollout.Status{rollout.Failed, rollout.Skipped, rollout.Skipped}) {
		t.Errorf("instances %d, with failed patches %d, skipped %d, statuses %v",
			fleet.Overall.Instances, fleet.Overall.InstancesWithFailedPatches, skipped, statuses)
	}
}

// Without a callback, the first result without a report ends the
// aggregation with an error naming the target; the rollout's loop ends
// with it and leaves no goroutine behind.
func TestReportsStrict(t *testing.T) {
	reps := fleetReports(t)
	base := runtime.NumGoroutine()
	out := make([]outcome, 500)
	out[40] = undeliverable
	s := newSim(reps, out)
	s.free = true
	targets := make([]int, len(out))
	for i := range targets {
		targets[i] = i
	}
	seq, err := rollout.Run(context.Background(), targets, mustRate(t, "1", "0"), s.exec)
	if err != nil {
		t.Fatal(err)
	}
	_, err = compliance.Aggregate(rollout.Reports(seq, nil), 10)
	var nr *rollout.NoReportError
	if !errors.As(err, &nr) || nr.Index != 40 || nr.Status != rollout.Undeliverable || !errors.Is(err, rollout.ErrUndeliverable) {
		t.Fatalf("error %v, want a *NoReportError for target 40", err)
	}
	noLeak(t, base)
	calls := 0
	for i := range s.calls {
		calls += int(s.calls[i].Load())
	}
	if calls != 42 { // concurrency 1: target 41 was dispatched before 40's result was yielded
		t.Errorf("%d executors called, want 42", calls)
	}
}

// Thousands of simulated nodes returning the twelve reports in turn, with
// random failures: the aggregate is the one of the reports of the targets
// that succeeded, in whatever order they completed.
func TestReportsThousands(t *testing.T) {
	reps := fleetReports(t)
	const n = 3000
	rng := rand.New(rand.NewPCG(42, 42))
	out := make([]outcome, n)
	var expect []*compliance.Report
	for i := range out {
		if rng.Float64() < 0.03 {
			out[i] = fail
			continue
		}
		expect = append(expect, reps[i%len(reps)])
	}
	s := newSim(reps, out)
	s.free = true
	targets := make([]int, n)
	for i := range targets {
		targets[i] = i
	}
	seq, err := rollout.Run(context.Background(), targets, mustRate(t, "5%", "100%"), s.exec)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	got, err := compliance.Aggregate(rollout.Reports(seq, func(r rollout.Result[int]) {
		if r.Status != rollout.Failed || !errors.Is(r.Err, errScripted) {
			t.Errorf("target %d: %v %v", r.Index, r.Status, r.Err)
		}
		failed++
	}), 10)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := compliance.Aggregate(seqOf(expect), 10)
	if !reflect.DeepEqual(got, want) || failed != n-len(expect) {
		t.Errorf("aggregate of %d instances (%d failed), want %d", got.Overall.Instances, failed, want.Overall.Instances)
	}
	t.Logf("%d targets: %d reports aggregated, %d failed", n, got.Overall.Instances, failed)
}
