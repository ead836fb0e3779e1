package repo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// An unknown RepoFlavor is refused by both readers of .repo files with an
// *InvalidError matching patchkit.ErrInvalid, and nothing is returned; a
// nil reader or file system too. The two flavors read the same file.
func TestRepoFlavorChecked(t *testing.T) {
	const file = "[base]\nbaseurl=http://example.invalid/base\n"
	fsys := fstest.MapFS{"etc/yum.repos.d/base.repo": {Data: []byte(file)}}
	for _, f := range []repo.RepoFlavor{repo.DNF, repo.Zypper} {
		if rs, err := repo.ParseRepoFile("base.repo", strings.NewReader(file), f, nil); err != nil || len(rs) != 1 {
			t.Errorf("flavor %d: %v %v", f, rs, err)
		}
		if rs, err := repo.LoadRPMRepos(context.Background(), fsys, f, nil, "etc/yum.repos.d"); err != nil || len(rs) != 1 {
			t.Errorf("flavor %d: %v %v", f, rs, err)
		}
	}
	refused := func(what string, rs []repo.RPMRepo, err error, reason string) {
		t.Helper()
		var ie *repo.InvalidError
		if !errors.As(err, &ie) || !errors.Is(err, patchkit.ErrInvalid) || !strings.Contains(ie.Reason, reason) || rs != nil {
			t.Errorf("%s: %v, %v", what, rs, err)
		}
	}
	for _, f := range []repo.RepoFlavor{-1, 2, 99} {
		rs, err := repo.ParseRepoFile("base.repo", strings.NewReader(file), f, nil)
		refused("ParseRepoFile", rs, err, "unknown RepoFlavor")
		rs, err = repo.LoadRPMRepos(context.Background(), fsys, f, nil, "etc/yum.repos.d")
		refused("LoadRPMRepos", rs, err, "unknown RepoFlavor")
	}
	rs, err := repo.ParseRepoFile("base.repo", nil, repo.DNF, nil)
	refused("ParseRepoFile nil reader", rs, err, "nil reader")
	rs, err = repo.LoadRPMRepos(context.Background(), nil, repo.DNF, nil, "etc/yum.repos.d")
	refused("LoadRPMRepos nil fsys", rs, err, "nil file system")
}
