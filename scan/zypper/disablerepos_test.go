package zypper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// TestNativeDisableReposNoneLeft: with every enabled repository left out,
// NativeUpdates and NativePatches list the repositories (the recorded
// `zypper repos` of the testbed scenario) and ask nothing more: no
// version, no patch, no error; the log says so.
func TestNativeDisableReposNoneLeft(t *testing.T) {
	m, _, rp := loadScenario(t, "testbed")
	ctx := t.Context()
	installed, err := rpmdb.Query(ctx, rp, rpmdb.WithRoot(m.Root))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	opts := []NativeOption{NativeRoot(m.Root), NativeDisableRepos("tb-updates"), NativeDisableRepos("tb-base", "tb-updates"),
		NativeInstalledVersions(true), NativeAllVersions(true), NativeLogger(slog.New(slog.NewTextHandler(&logs, nil)))}
	n := len(rp.Calls())
	ps, err := NativeUpdates(ctx, rp, installed, opts...)
	if err != nil || len(ps) != 0 {
		t.Fatalf("NativeUpdates: %v, %v", ps, err)
	}
	patches, err := NativePatches(ctx, rp, opts...)
	if err != nil || len(patches) != 0 {
		t.Fatalf("NativePatches: %v, %v", patches, err)
	}
	for _, c := range rp.Calls()[n:] {
		if !slices.Contains(c.Args, "repos") {
			t.Errorf("ran %s", c)
		}
	}
	if len(rp.Calls())-n != 2 || !strings.Contains(logs.String(), "no enabled repository is left") {
		t.Errorf("%d commands; log %q", len(rp.Calls())-n, logs.String())
	}
	var oe *OptionError
	if _, err := NativeUpdates(ctx, rp, installed, NativeRoot(m.Root), NativeDisableRepos("")); !errors.As(err, &oe) || oe.Option != "NativeDisableRepos" {
		t.Errorf("an empty alias: %v", err)
	}
}

// TestNativeDisableReposUnknownAlias: an alias no enabled repository has
// changes nothing but the log: on the unsigned scenario, leaving out
// tb-unsigned and tb-nosuch runs the recorded commands restricted to
// tb-base and tb-updates.
func TestNativeDisableReposUnknownAlias(t *testing.T) {
	m, _, rp := loadScenario(t, "unsigned")
	ctx := t.Context()
	installed, err := rpmdb.Query(ctx, rp, rpmdb.WithRoot(m.Root))
	if err != nil {
		t.Fatal(err)
	}
	want, err := NativeUpdates(ctx, rp, installed, NativeRoot(m.Root), NativeDisableRepos("tb-unsigned"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	got, err := NativeUpdates(ctx, rp, installed, NativeRoot(m.Root), NativeDisableRepos("tb-nosuch", "tb-unsigned"),
		NativeLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) == 0 {
		t.Errorf("with an unknown alias %v\nwithout %v", got, want)
	}
	if !strings.Contains(logs.String(), "alias=tb-nosuch") {
		t.Errorf("log %q does not name tb-nosuch", logs.String())
	}
	for _, c := range rp.Calls() {
		if slices.Contains(c.Args, "list-updates") && !slices.Contains(c.Args, "-r") {
			continue // the unrestricted run of the recording, not asked for here
		}
		if slices.Contains(c.Args, "tb-unsigned") || slices.Contains(c.Args, "tb-nosuch") {
			t.Errorf("%s names a repository left out", c)
		}
	}
}

// installedFrom lists the installed versions (Candidate false) of name
// that ps holds, as "EVR repository".
func installedFrom(ps []patchkit.Patch, name string) []string {
	var out []string
	for _, p := range ps {
		if p.Name == name && !p.Candidate {
			out = append(out, p.EVR()+" "+p.Repository)
		}
	}
	return out
}

// TestTestbedZypperNativeDisableReposSharedName: two enabled repositories
// named alike (tb-same, addrepo -n tb-base -p 50, holds tb-multi 1.0-1,
// the installed version): zypper search names both tb-base, so
// NativeInstalledVersions searches each by itself (--repo ALIAS). With one
// of them left out the name is no longer shared: the restricted searches
// (-r) say which repository has the installed version, and no search of
// the repository left out is made.
func TestTestbedZypperNativeDisableReposSharedName(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "zypper", "zypper")
	c := env.Clone(t)
	t.Parallel()
	root := c.ZyppRoot
	dir := filepath.Join(filepath.Dir(root), "same")
	mkrepo(t, dir, testbedRPM(env, "base", "tb-multi-1.0-1.noarch.rpm"))
	zypperSetup(t, root, "addrepo", "-G", "-p", "50", "-n", "tb-base", "file://"+dir, "tb-same")
	zypperSetup(t, root, "refresh", "tb-same")
	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	installed, err := rpmdb.Query(ctx, local, rpmdb.WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range []struct {
		disable     string
		multi, base []string
	}{
		// all three: tb-same has the better priority
		{"", []string{"0:1.0-1 tb-same"}, []string{"0:1.0-1 tb-base"}},
		{"tb-same", []string{"0:1.0-1 tb-base"}, []string{"0:1.0-1 tb-base"}},
		// tb-hello 1.0-1 is in tb-base alone
		{"tb-base", []string{"0:1.0-1 tb-same"}, nil},
	} {
		name := "every repository"
		if cs.disable != "" {
			name = "without " + cs.disable
		}
		t.Run(name, func(t *testing.T) {
			var searched []string
			r := runFunc(func(c run.Command) { searched = append(searched, c.String()) }, local)
			opts := []NativeOption{NativeRoot(root), NativeInstalledVersions(true)}
			if cs.disable != "" {
				opts = append(opts, NativeDisableRepos(cs.disable))
			}
			ps, err := NativeUpdates(ctx, r, installed, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := installedFrom(ps, "tb-multi"); !slices.Equal(got, cs.multi) {
				t.Errorf("installed tb-multi %v, want %v", got, cs.multi)
			}
			if got := installedFrom(ps, "tb-hello"); !slices.Equal(got, cs.base) {
				t.Errorf("installed tb-hello %v, want %v", got, cs.base)
			}
			bySelf := 0
			for _, s := range searched {
				if strings.Contains(s, " --repo ") {
					bySelf++
				}
				if cs.disable != "" && strings.Contains(s, " "+cs.disable+" ") {
					t.Errorf("%s names %s, left out", s, cs.disable)
				}
			}
			if (bySelf > 0) != (cs.disable == "") {
				t.Errorf("%d searches of one repository by itself: %q", bySelf, searched)
			}
		})
	}
}

// runFunc is a runner that passes each command to seen, then to r.
func runFunc(seen func(run.Command), r run.Runner) run.Runner { return seenRunner{seen, r} }

type seenRunner struct {
	seen func(run.Command)
	r    run.Runner
}

func (s seenRunner) Run(ctx context.Context, c run.Command) (run.Result, error) {
	s.seen(c)
	return s.r.Run(ctx, c)
}
