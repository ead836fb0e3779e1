package apt

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
)

const hostLists = "/var/lib/apt/lists"

// hostRepos returns the host's configured Debian repositories, or skips.
func hostRepos(t testing.TB) []Repo {
	t.Helper()
	if _, err := os.Stat(hostLists + "/deb.debian.org_debian_dists_bookworm_InRelease"); err != nil {
		t.Skip("no bookworm lists in " + hostLists + " (run apt-get update)")
	}
	srcs, err := repo.LoadAptSources(context.Background(), os.DirFS("/"))
	if err != nil {
		t.Logf("sources: %v", err)
	}
	var out []Repo
	for _, s := range srcs {
		rs, err := ReposFromSource(context.Background(), os.DirFS("/"), s)
		if err != nil {
			t.Logf("source %s:%d: %v", s.File, s.Line, err)
			continue
		}
		for _, r := range rs {
			if strings.Contains(r.URI, "debian.org") {
				out = append(out, r)
			}
		}
	}
	if len(out) == 0 {
		t.Skip("no deb.debian.org sources configured")
	}
	return out
}

// TestHostLists reads the real Debian lists of this machine, verified with
// the keyrings the sources name, and checks the package count of each
// Packages file against the number of "Package:" lines apt's own
// decompressor (apt-helper cat-file) sees.
func TestHostLists(t *testing.T) {
	repos := hostRepos(t)
	pol := repo.DefaultPolicy()
	helper := "/usr/lib/apt/apt-helper"
	for _, r := range repos {
		snap, err := OpenLists(context.Background(), pol, os.DirFS(hostLists), r)
		if err != nil {
			if errors.Is(err, repo.ErrExpired) {
				t.Logf("%s: %v (host lists are old)", r.Name(), err)
				continue
			}
			t.Fatalf("%s: %v", r.Name(), err)
		}
		if !snap.Verified || len(snap.Signers) == 0 {
			t.Fatalf("%s: not verified", r.Name())
		}
		n := 0
		for p, err := range snap.Packages(context.Background()) {
			if err != nil {
				t.Fatalf("%s: %v", r.Name(), err)
			}
			if p.Origin == nil || p.Origin.Codename == "" {
				t.Fatalf("%s: record without origin: %+v", r.Name(), p)
			}
			n++
		}
		want := 0
		if _, err := os.Stat(helper); err == nil {
			for _, ix := range snap.Indexes {
				base := strings.TrimSuffix(ix.Path, extOf(ix.Path))
				file := findListsFile(os.DirFS(hostLists), ListsFileName(listsBase(r.URI, r.Suite))+strings.ReplaceAll(base, "/", "_"))
				out, err := exec.Command(helper, "cat-file", hostLists+"/"+file).Output()
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range strings.Split(string(out), "\n") {
					if strings.HasPrefix(l, "Package:") {
						want++
					}
				}
			}
			if n != want {
				t.Errorf("%s: %d records, apt-helper sees %d stanzas", r.Name(), n, want)
			}
		} else if testutil.InCI() {
			t.Fatal("apt-helper missing")
		}
		t.Logf("%s: %d packages from %d index files, signed by %v", r.Name(), n, len(snap.Indexes), snap.Signers)
	}
}
