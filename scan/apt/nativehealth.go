package apt

import (
	"context"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	aptrepo "github.com/patchkit/patchkit/repo/apt"
)

// NativeHealth is the repository health that a native scan (NativeUpdates)
// reports, taken from what apt itself reads: the root's apt configuration
// and enabled sources (as Updates reads them) and each repository's
// InRelease (or Release and Release.gpg) in the lists directory, verified
// as Updates verifies it: signed by a key the source trusts (unless
// trusted=yes), within its Valid-Until and Acquire::Max-ValidTime, and not
// dated in the future, at WithNow's instant. It reads no package list
// (apt reads them): the Packages files are not hashed or parsed, so
// Status.Packages is 0, and a list damaged after apt stored it is found by
// Updates and not here. It returns one repo.Status per enabled repository,
// in the sources' order, and ps, the versions NativeUpdates returned, less
// those that no OK repository offers: Updates offers nothing of a
// repository that is not OK, and neither does a native scan (apt's own
// choice among the versions left is not made again).
//
// A version's repositories are read from its Repository as NativeUpdates
// writes it: apt's origins ("Label:Version/Suite", each matched to the
// repositories whose Release gives that origin); apt-cache policy's
// "URI suite/component", which NativeUpdates wrote before for the versions
// apt-cache policy gave, is matched too (by URI and suite). An origin that no
// enabled repository gives offers nothing; when the Release of every
// repository was read (so the origin cannot be one of theirs: apt was
// configured otherwise) it gets a status of its own, HealthUnreadable, as
// its health is unknown. A version without any origin is kept.
//
// The options are Updates' (WithArch and WithNow are required; those
// about packages have no effect). A malformed configuration is an error, as
// it is for Updates.
func NativeHealth(ctx context.Context, fsys fs.FS, ps []patchkit.Patch, opts ...Option) ([]patchkit.Patch, []repo.Status, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := loadAptConfig(ctx, fsys, o.aptConfig)
	if err != nil {
		return nil, nil, err
	}
	native := o.debArch
	if v, ok := cfg.get("apt::architecture"); ok && v != "" {
		native = v
	}
	archs, err := architectures(fsys, cfg, native)
	if err != nil {
		return nil, nil, err
	}
	srcs, err := loadSources(ctx, fsys, cfg)
	if err != nil {
		return nil, nil, err
	}
	specs := reposOf(ctx, fsys, cfg, srcs, archs)
	lists := subRoot{root: fsys, dir: rel(cfg.file("dir::state::lists"))}
	verify := repo.DefaultPolicy()
	verify.Now = func() time.Time { return o.now }

	statuses := make([]repo.Status, len(specs))
	origins := make([]string, len(specs)) // each repository's origin, as apt prints it
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for i, sp := range specs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			statuses[i], origins[i] = releaseHealth(ctx, verify, lists, sp)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	byOrigin := map[string][]int{}
	byName := map[string]int{}
	// A repository whose Release was not read or not accepted has no
	// known origin: an origin no other repository gives may be its own.
	unread := false
	for i, st := range statuses {
		if st.Health != repo.HealthOK {
			o.logger.Warn("apt repository not OK", "repository", st.Name, "health", st.Health, "reason", st.Reason)
		}
		if origins[i] != "" {
			byOrigin[origins[i]] = append(byOrigin[origins[i]], i)
		} else {
			unread = true
		}
		byName[st.Name] = i
	}
	unknown := map[string]bool{}
	kept := make([]patchkit.Patch, 0, len(ps))
	for _, p := range ps {
		if p.Repository == "" {
			kept = append(kept, p)
			continue
		}
		ok := false
		for _, og := range strings.Split(p.Repository, ", ") {
			idx, found := byOrigin[og]
			if !found {
				if i, f := byName[policyRepoName(og)]; f {
					idx, found = []int{i}, true
				}
			}
			if !found {
				if !unknown[og] && (!unread || policyRepoName(og) != "") {
					unknown[og] = true
					err := fmt.Errorf("apt offers %s %s from it, and no enabled repository of the root's sources gives that origin, so its metadata was not checked: %w",
						p.QualifiedName(), p.EVR(), repo.ErrNotFound)
					statuses = append(statuses, repo.StatusOf(og, err))
				}
				continue
			}
			for _, i := range idx {
				ok = ok || statuses[i].Health == repo.HealthOK
			}
		}
		if !ok {
			o.logger.Warn("version offered by no repository that is OK; left out", "package", p.QualifiedName(), "version", p.EVR(), "repository", p.Repository)
			continue
		}
		kept = append(kept, p)
	}
	return kept, statuses, nil
}

// releaseHealth verifies one repository's Release in the lists directory
// and returns its status and its origin (relStr), "" when the Release
// could not be read.
func releaseHealth(ctx context.Context, verify repo.Policy, lists fs.FS, sp repoSpec) (repo.Status, string) {
	name := sp.repo.Name()
	if sp.err != nil {
		return repo.StatusOf(name, sp.err), ""
	}
	snap, err := aptrepo.OpenLists(ctx, verify, lists, sp.repo)
	if err != nil {
		return repo.StatusOf(name, err), ""
	}
	rel := snap.Release
	st := repo.Status{Name: name, Health: repo.HealthOK, Verified: snap.Verified, Date: rel.Date}
	return st, relStr(rel.Label, rel.Version, rel.Suite, siteOf(sp.repo.URI))
}

// policyRepoName turns apt-cache policy's description of a Packages file
// as NativeUpdates keeps it ("URI suite/component") into the name of its
// repository ("URI suite"); "" when it is not one.
func policyRepoName(desc string) string {
	s := PolicySource{Desc: desc}
	uri, dist := s.URI(), s.Dist()
	// A URI has a scheme; an origin's label ("My Label:stable") has no
	// ':' before its first space.
	if !strings.Contains(uri, ":") || dist == "" {
		return ""
	}
	return strings.TrimRight(uri, "/") + " " + dist
}
