package repo_test

import (
	"fmt"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// A scan through the package manager leaves the repositories that are not
// OK out (NotOK), then keeps only the versions an OK repository offers
// (Keep); a version from a repository the root does not enable gets that
// repository a status of its own, UNREADABLE.
func ExampleHealthReport() {
	statuses := []repo.Status{
		{Name: "tb-base", Health: repo.HealthOK},
		{Name: "tb-updates", Health: repo.HealthStale, Reason: "repomd.xml is 31 days old"},
	}
	h := &repo.HealthReport{Repos: statuses}
	fmt.Println("leave out:", h.NotOK())
	pkg := func(name, release, from string) patchkit.Patch {
		return patchkit.Patch{Package: patchkit.Package{Name: name, Epoch: patchkit.EpochOf(0), Version: "1.1",
			Release: release, Arch: "noarch", Scheme: patchkit.RPM, Repository: from}}
	}
	kept, all := h.Keep([]patchkit.Patch{
		pkg("tb-hello", "1", "tb-base"),
		pkg("tb-lib", "2", "tb-updates"),
		pkg("tb-extra", "1", "tb-testing"),
	})
	for _, p := range kept {
		fmt.Println("kept:", p.NEVRA(), "from", p.Repository)
	}
	for _, s := range all {
		fmt.Println(s.Name, s.Health)
	}
	// Output:
	// leave out: [tb-updates]
	// kept: tb-hello-0:1.1-1.noarch from tb-base
	// tb-base OK
	// tb-updates STALE
	// tb-testing UNREADABLE
}
