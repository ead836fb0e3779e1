package rollout_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/compliance/rollout"
)

// Concurrency strings follow the API's grammar; a percentage is of the
// target set, rounded down but at least 1.
func ExampleParseConcurrency() {
	for _, s := range []string{"10", "10%", "1%", "0", "150%"} {
		c, err := rollout.ParseConcurrency(s)
		if err != nil {
			fmt.Println(err, errors.Is(err, patchkit.ErrInvalid))
			continue
		}
		fmt.Printf("%s of 50 targets: %d at once\n", c, c.Of(50))
	}
	// Output:
	// 10 of 50 targets: 10 at once
	// 10% of 50 targets: 5 at once
	// 1% of 50 targets: 1 at once
	// rollout: invalid Concurrency "0": must be at least 1 true
	// rollout: invalid Concurrency "150%": a percentage above 100% true
}

// The documented examples: with a threshold of E errors, error number E+1
// stops the rollout.
func ExampleParseErrorThreshold() {
	for _, s := range []string{"0", "3", "10%"} {
		e, err := rollout.ParseErrorThreshold(s)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s over 50 targets: %d errors allowed, error %d stops dispatching\n", e, e.Of(50), e.Of(50)+1)
	}
	// Output:
	// 0 over 50 targets: 0 errors allowed, error 1 stops dispatching
	// 3 over 50 targets: 3 errors allowed, error 4 stops dispatching
	// 10% over 50 targets: 5 errors allowed, error 6 stops dispatching
}

// Rounding of percentages: down, so the errors allowed never exceed the
// percentage; concurrency at least 1.
func ExampleErrorThreshold_Of() {
	e, _ := rollout.ParseErrorThreshold("10%")
	c, _ := rollout.ParseConcurrency("10%")
	for _, n := range []int{5, 50, 59, 60} {
		fmt.Printf("10%% of %d: %d errors allowed, %d at once\n", n, e.Of(n), c.Of(n))
	}
	// Output:
	// 10% of 5: 0 errors allowed, 1 at once
	// 10% of 50: 5 errors allowed, 5 at once
	// 10% of 59: 5 errors allowed, 5 at once
	// 10% of 60: 6 errors allowed, 6 at once
}

// A patch policy's RateControlConcurrency and RateControlErrorThreshold,
// resolved for a fleet of 120 nodes.
func ExampleParseRate() {
	rate, err := rollout.ParseRate("5", "0%")
	if err != nil {
		fmt.Println(err)
		return
	}
	lim, err := rate.Limits(120)
	fmt.Printf("%+v %v\n", lim, err)
	_, err = rollout.ParseRate("5", "2.5%")
	fmt.Println(err)
	// Output:
	// {MaxConcurrency:5 MaxErrors:0} <nil>
	// rollout: invalid ErrorThreshold "2.5%": not a count (such as 10) or a percentage (such as 10%)
}

func ExampleRate_Limits() {
	rate, _ := rollout.ParseRate("10%", "2%")
	for _, n := range []int{10, 250, 1000} {
		lim, _ := rate.Limits(n)
		fmt.Printf("%d nodes: %d at once, stop at error %d\n", n, lim.MaxConcurrency, lim.MaxErrors+1)
	}
	// Output:
	// 10 nodes: 1 at once, stop at error 1
	// 250 nodes: 25 at once, stop at error 6
	// 1000 nodes: 100 at once, stop at error 21
}

// The waves of a rollout over 20 nodes at concurrency 5, if all succeed:
// ramp-up 1, 2, 4, then 5 at a time.
func ExamplePlan() {
	nodes := make([]string, 20)
	for i := range nodes {
		nodes[i] = fmt.Sprintf("node-%02d", i+1)
	}
	waves, err := rollout.Plan(nodes, rollout.Rate{Concurrency: mustParseC("5"), ErrorThreshold: mustParseE("1")})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, w := range waves {
		fmt.Println("wave", i+1, w.Targets)
	}
	// Output:
	// wave 1 [node-01]
	// wave 2 [node-02 node-03]
	// wave 3 [node-04 node-05 node-06 node-07]
	// wave 4 [node-08 node-09 node-10 node-11 node-12]
	// wave 5 [node-13 node-14 node-15 node-16 node-17]
	// wave 6 [node-18 node-19 node-20]
}

func mustParseC(s string) rollout.Concurrency {
	c, err := rollout.ParseConcurrency(s)
	if err != nil {
		panic(err)
	}
	return c
}

func mustParseE(s string) rollout.ErrorThreshold {
	e, err := rollout.ParseErrorThreshold(s)
	if err != nil {
		panic(err)
	}
	return e
}

// One node at a time with threshold 0: the first failure stops the
// rollout, and the nodes never reached are reported as Skipped.
func ExampleRun() {
	nodes := []string{"web-1", "web-2", "web-3", "web-4", "web-5"}
	scan := func(ctx context.Context, node string) (*compliance.Report, error) {
		if node == "web-3" {
			return nil, errors.New("dnf: cannot download repomd.xml")
		}
		return &compliance.Report{Node: compliance.Node{InstanceID: node}}, nil
	}
	rate, _ := rollout.ParseRate("1", "0")
	results, err := rollout.Run(context.Background(), nodes, rate, scan)
	if err != nil {
		fmt.Println(err)
		return
	}
	for r := range results {
		fmt.Println(r.Index, r.Target, r.Status, r.Dispatched)
	}
	// Output:
	// 0 web-1 Succeeded true
	// 1 web-2 Succeeded true
	// 2 web-3 Failed true
	// 3 web-4 Skipped false
	// 4 web-5 Skipped false
}

// Progress reporting: OnDispatch is called as each node is handed to the
// executor.
func ExampleOnDispatch() {
	nodes := []string{"db-1", "db-2", "db-3", "db-4"}
	exec := func(ctx context.Context, node string) (*compliance.Report, error) {
		return &compliance.Report{Node: compliance.Node{InstanceID: node}}, nil
	}
	rate, _ := rollout.ParseRate("50%", "0")
	dispatched, maxInFlight := 0, 0
	results, err := rollout.Run(context.Background(), nodes, rate, exec, rollout.OnDispatch(func(d rollout.Dispatch) {
		dispatched++
		maxInFlight = max(maxInFlight, d.InFlight)
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	done := 0
	for range results {
		done++
	}
	fmt.Println(dispatched, "dispatched,", done, "done, at most", maxInFlight <= 2, "two at once")
	// Output:
	// 4 dispatched, 4 done, at most true two at once
}

// A fake fleet feeding compliance.Aggregate: twelve nodes serve the reports
// saved in the compliance package's test data; one does not answer.
func ExampleReports() {
	f, err := os.Open("../testdata/schema-1.0/fleet.jsonl")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	saved := map[string]*compliance.Report{}
	var nodes []string
	for r, err := range compliance.Reports(f) {
		if err != nil {
			fmt.Println(err)
			return
		}
		saved[r.Node.InstanceID] = r
		nodes = append(nodes, r.Node.InstanceID)
	}
	scan := func(ctx context.Context, id string) (*compliance.Report, error) {
		if id == "i-0c3d9e8f7a6b50042" {
			return nil, fmt.Errorf("%s: SSM agent not connected: %w", id, rollout.ErrUndeliverable)
		}
		return saved[id], nil
	}
	rate, _ := rollout.ParseRate("25%", "10%")
	results, err := rollout.Run(context.Background(), nodes, rate, scan)
	if err != nil {
		fmt.Println(err)
		return
	}
	fleet, err := compliance.Aggregate(rollout.Reports(results, func(r rollout.Result[string]) {
		fmt.Println("no report:", r.Target, r.Status)
	}), 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	o := fleet.Overall
	fmt.Println(o.Instances, "nodes:", o.CompliantInstances, "compliant,", o.NonCompliantInstances, "non-compliant,", o.UnknownInstances, "unknown")
	fmt.Println("prod:", fleet.Groups["prod"].Instances, "dev:", fleet.Groups["dev"].Instances)
	// Output:
	// no report: i-0c3d9e8f7a6b50042 Undeliverable
	// 11 nodes: 3 compliant, 8 non-compliant, 0 unknown
	// prod: 5 dev: 2
}

// Rate controls read from and written to JSON as the API writes them; a
// bad value names its field.
func ExampleConcurrency_UnmarshalText() {
	var policy struct {
		Concurrency    rollout.Concurrency
		ErrorThreshold rollout.ErrorThreshold
	}
	err := json.Unmarshal([]byte(`{"Concurrency": "10%", "ErrorThreshold": "2"}`), &policy)
	fmt.Println(policy.Concurrency, policy.ErrorThreshold, err)
	out, _ := json.Marshal(policy)
	fmt.Println(string(out))
	err = json.Unmarshal([]byte(`{"Concurrency": "0%"}`), &policy)
	fmt.Println(err)
	// Output:
	// 10% 2 <nil>
	// {"Concurrency":"10%","ErrorThreshold":"2"}
	// rollout: invalid Concurrency "0%": must be at least 1%
}
