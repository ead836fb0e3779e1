package plan_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/patchkit/patchkit/install/plan"
)

// TestCounter: each package once, N from 1; Total as the package manager
// said, raised to N when more packages come than it said, 0 while it has
// not said; a nil report is allowed.
func TestCounter(t *testing.T) {
	var got []plan.Progress
	c := plan.NewCounter("installing", func(p plan.Progress) { got = append(got, p) })
	c.Start("a", "a-1.0")
	c.SetTotal(2)
	c.Start("b", "b-1.0")
	if c.Start("a", "a-1.0") {
		t.Error("a counted twice")
	}
	c.Start("c", "c-1.0")
	c.SetTotal(1) // below the packages started: raised to them
	c.Start("d", "d-1.0")
	want := []plan.Progress{
		{Stage: "installing", N: 1, Package: "a-1.0"},
		{Stage: "installing", N: 2, Total: 2, Package: "b-1.0"},
		{Stage: "installing", N: 3, Total: 3, Package: "c-1.0"},
		{Stage: "installing", N: 4, Total: 4, Package: "d-1.0"},
	}
	if !slices.Equal(got, want) || c.N() != 4 {
		t.Errorf("got %+v (N %d)\nwant %+v", got, c.N(), want)
	}
	quiet := plan.NewCounter("downloading", nil)
	if !quiet.Start("x", "x") || quiet.N() != 1 {
		t.Error("a counter without a report still counts")
	}
}

// A family executor turns its package manager's lines into Progress
// events with a Counter: here zypper's "(N/T) Installing: NAME" lines,
// one repeated as its value grows.
func ExampleCounter() {
	c := plan.NewCounter(plan.StageInstalling, func(p plan.Progress) {
		fmt.Printf("%s %d/%d %s\n", p.Stage, p.N, p.Total, p.Package)
	})
	for _, l := range []struct {
		n, total int
		pkg      string
	}{{1, 2, "tb-newdep-1.0-1.noarch"}, {1, 2, "tb-newdep-1.0-1.noarch"}, {2, 2, "tb-dep-1.1-1.noarch"}} {
		c.SetTotal(l.total)
		c.Start(fmt.Sprint(l.n, l.pkg), l.pkg)
	}
	// Output:
	// installing 1/2 tb-newdep-1.0-1.noarch
	// installing 2/2 tb-dep-1.1-1.noarch
}
