package dnf_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/run"
)

// replayedNative is what dnf printed for the fixture root, through
// NativeUpdates.
func replayedNative(t *testing.T) []patchkit.Patch {
	t.Helper()
	var recs []run.Recording
	for _, n := range []string{"repoquery-upgrades.txt", "check-update.txt", "updateinfo-list.txt", "updateinfo-info.txt"} {
		recs = append(recs, loadRecording(t, n))
	}
	ps, err := dnf.NativeUpdates(context.Background(), run.NewReplay(recs...), fixtureInventory(t), nativeOpts(t, recordedRoot(t, recs[0]))...)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 {
		t.Fatal("no upgrades replayed")
	}
	return ps
}

// TestNativeHealthAgreesWithCheck damages the recorded root as
// TestCheckDamaged does: NativeHealth, which reads no package list, gives
// each repository the status Check gives it (health, reason, verified,
// date), and keeps of dnf's versions those Check offers too; except for a
// data file changed at its right size, which only Check, reading it, finds.
func TestNativeHealthAgreesWithCheck(t *testing.T) {
	inv := fixtureInventory(t)
	native := replayedNative(t)
	for _, tc := range []struct {
		name     string
		damage   func(t *testing.T, fsys fstest.MapFS)
		opts     []dnf.Option
		unhealth map[string]repo.Health // the repositories not OK
		notRead  bool                   // only reading the data finds it
	}{
		{"fresh", func(*testing.T, fstest.MapFS) {}, nil, nil, false},
		{"stale", func(*testing.T, fstest.MapFS) {}, []dnf.Option{dnf.WithNow(fixtureNow(t).Add(8 * 24 * time.Hour))},
			map[string]repo.Health{"tb-base": repo.HealthStale, "tb-updates": repo.HealthStale}, false},
		{"stale by a shorter maximum age", func(*testing.T, fstest.MapFS) {}, []dnf.Option{dnf.WithMaxAge(time.Minute)},
			map[string]repo.Health{"tb-base": repo.HealthStale, "tb-updates": repo.HealthStale}, false},
		{"dated in the future", func(t *testing.T, fsys fstest.MapFS) {
			fsys["etc/yum.repos.d/testbed.repo"].Data = bytes.ReplaceAll(fsys["etc/yum.repos.d/testbed.repo"].Data, []byte("repo_gpgcheck=1"), []byte("repo_gpgcheck=0"))
		}, []dnf.Option{dnf.WithNow(fixtureNow(t).Add(-3 * time.Hour))},
			map[string]repo.Health{"tb-base": repo.HealthExpired, "tb-updates": repo.HealthExpired}, false},
		{"signature missing", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "tb-updates", "repomd.xml.asc"))
		}, nil, map[string]repo.Health{"tb-updates": repo.HealthUnsigned}, false},
		{"repomd changed after signing", func(t *testing.T, fsys fstest.MapFS) {
			p := cached(t, fsys, "tb-base", "repomd.xml")
			fsys[p].Data = bytes.Replace(fsys[p].Data, []byte("<revision>"), []byte("<revision>1"), 1)
		}, nil, map[string]repo.Health{"tb-base": repo.HealthUnsigned}, false},
		{"no key", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "tb-updates", "pubring.kbx"))
		}, nil, map[string]repo.Health{"tb-updates": repo.HealthUnsigned}, false},
		{"another key trusted instead", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "tb-updates", "pubring.kbx"))
		}, []dnf.Option{dnf.WithKeyring(otherKey(t))}, map[string]repo.Health{"tb-updates": repo.HealthUnsigned}, false},
		{"primary truncated", func(t *testing.T, fsys fstest.MapFS) {
			p := cached(t, fsys, "tb-updates", "primary.xml.gz")
			fsys[p].Data = fsys[p].Data[:100]
		}, nil, map[string]repo.Health{"tb-updates": repo.HealthUnreadable}, false},
		{"updateinfo not cached", func(t *testing.T, fsys fstest.MapFS) {
			delete(fsys, cached(t, fsys, "updateinfo.xml.gz"))
		}, nil, map[string]repo.Health{"tb-updates": repo.HealthUnreadable}, false},
		{"no cache at all", func(t *testing.T, fsys fstest.MapFS) {
			for p := range fsys {
				if strings.Contains(p, "/tb-updates-") {
					delete(fsys, p)
				}
			}
		}, nil, map[string]repo.Health{"tb-updates": repo.HealthUnreadable}, false},
		{"primary changed at its size", func(t *testing.T, fsys fstest.MapFS) {
			p := cached(t, fsys, "tb-updates", "primary.xml.gz")
			d := bytes.Clone(fsys[p].Data)
			d[len(d)-1] ^= 1
			fsys[p].Data = d
		}, nil, map[string]repo.Health{"tb-updates": repo.HealthUnreadable}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fixtureFS(t)
			tc.damage(t, fsys)
			opts := append([]dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(fixtureNow(t))}, tc.opts...)
			rep, err := dnf.Check(context.Background(), fsys, inv, opts...)
			if err != nil {
				t.Fatal(err)
			}
			kept, sts, err := dnf.NativeHealth(context.Background(), fsys, native, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if len(sts) != len(rep.Repos) {
				t.Fatalf("NativeHealth %+v, Check %+v", sts, rep.Repos)
			}
			for i, s := range sts {
				want := rep.Repos[i]
				if s.Packages != 0 || want.Packages == 0 && want.Health == repo.HealthOK {
					t.Errorf("%s: %d packages natively (none are read), %d from the files", s.Name, s.Packages, want.Packages)
				}
				if tc.notRead && tc.unhealth[s.Name] != "" {
					// Reading the file finds the damage; its size does not.
					if s.Health != repo.HealthOK || want.Health != tc.unhealth[s.Name] {
						t.Errorf("%s: natively %s, from the files %s", s.Name, s.Health, want.Health)
					}
					continue
				}
				want.Packages = 0
				if s != want {
					t.Errorf("natively %+v\nfrom the files %+v", s, want)
				}
				if h := tc.unhealth[s.Name]; s.Health != cmpHealth(h) {
					t.Errorf("%s: %s, want %s", s.Name, s.Health, cmpHealth(h))
				}
			}
			// What is kept is what the files offer (the fixture's backends
			// agree when nothing is damaged).
			if !tc.notRead && !slices.Equal(nevras(kept), nevras(rep.Patches)) {
				t.Errorf("kept %v, the files offer %v", nevras(kept), nevras(rep.Patches))
			}
			for _, p := range kept {
				if tc.unhealth[p.Repository] != "" && !tc.notRead {
					t.Errorf("%s kept from %s, which is %s", p.NEVRA(), p.Repository, tc.unhealth[p.Repository])
				}
			}
		})
	}
}

func cmpHealth(h repo.Health) repo.Health {
	if h == "" {
		return repo.HealthOK
	}
	return h
}

// TestNativeHealthUnknownRepository: a version from a repository the
// root's configuration does not enable is left out, and the repository
// gets a status of its own saying its health is unknown.
func TestNativeHealthUnknownRepository(t *testing.T) {
	native := replayedNative(t)
	moved := slices.Clone(native)
	moved[0].Repository = "tb-elsewhere"
	kept, sts, err := dnf.NativeHealth(context.Background(), os.DirFS(fixtureRoot), moved, dnf.WithArch("x86_64"), dnf.WithNow(fixtureNow(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != len(native)-1 || slices.ContainsFunc(kept, func(p patchkit.Patch) bool { return p.Repository == "tb-elsewhere" }) {
		t.Fatalf("kept %v", nevras(kept))
	}
	if len(sts) != 3 || sts[2].Name != "tb-elsewhere" || sts[2].Health != repo.HealthUnreadable ||
		!strings.Contains(sts[2].Reason, "no .repo file of the root enables it") || !strings.Contains(sts[2].Reason, moved[0].NEVRA()) {
		t.Fatalf("statuses %+v", sts)
	}
	// Its options are Updates' and checked alike; a bad configuration is
	// an error, not a status.
	if _, _, err := dnf.NativeHealth(context.Background(), os.DirFS(fixtureRoot), native, dnf.WithNow(fixtureNow(t))); !errors.Is(err, dnf.ErrOption) {
		t.Errorf("no architecture: %v", err)
	}
	fsys := fixtureFS(t)
	fsys["etc/dnf/dnf.conf"].Data = append(bytes.Clone(fsys["etc/dnf/dnf.conf"].Data), "no equals sign\n"...)
	_, _, err = dnf.NativeHealth(context.Background(), fsys, native, dnf.WithArch("x86_64"), dnf.WithNow(fixtureNow(t)))
	var se *repo.SyntaxError
	if !errors.As(err, &se) || se.File != "/etc/dnf/dnf.conf" || se.Line == 0 {
		t.Errorf("malformed dnf.conf: %v", err)
	}
}

// TestNativeLogDir: dnf's logdir names the host's directory, climbing out
// of the install root that dnf puts in front of it.
func TestNativeLogDir(t *testing.T) {
	for _, tc := range []struct {
		root, dir, want string
	}{
		{"", "/tmp/logs", "/tmp/logs"},
		{"/", "/tmp/logs", "/tmp/logs"},
		{"/srv/roots/el9", "/tmp/logs", "../../../tmp/logs"},
		{"/srv/roots/el9/", "/var/tmp/x", "../../../var/tmp/x"},
	} {
		opts := []dnf.NativeOption{dnf.NativeLogDir(tc.dir)}
		if tc.root != "" {
			opts = append(opts, dnf.NativeInstallRoot(tc.root))
		}
		cmds, err := dnf.NativeCommands(opts...)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(cmds.CheckUpdate.Args, "--setopt=logdir="+tc.want) {
			t.Errorf("root %q: %v", tc.root, cmds.CheckUpdate.Args)
		}
		if tc.root != "" {
			// Joined to the root as dnf joins it, it is the directory.
			if got := path.Join(tc.root, tc.want); got != tc.dir {
				t.Errorf("root %q: logdir resolves to %s", tc.root, got)
			}
		}
	}
	for _, bad := range []string{"", "logs", "/", "/tmp/../logs", "/tmp/a b", "/tmp/a,b", "/tmp/$x"} {
		if _, err := dnf.NativeCommands(dnf.NativeLogDir(bad)); !errors.Is(err, dnf.ErrOption) {
			t.Errorf("NativeLogDir(%q): %v", bad, err)
		}
	}
}

// TestNativePrivateLogs replays the recorded dnf run with a private log
// directory that mktemp really makes and rm really removes: every dnf
// command names it, and it is gone afterwards, after a failure too.
func TestNativePrivateLogs(t *testing.T) {
	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	var recs []run.Recording
	for _, n := range []string{"repoquery-upgrades.txt", "check-update.txt", "updateinfo-list.txt", "updateinfo-info.txt"} {
		recs = append(recs, loadRecording(t, n))
	}
	root := recordedRoot(t, recs[0])
	depth := strings.Count(strings.Trim(root, "/"), "/") + 1
	runner := func(fail string) (run.Runner, *[]string, *string) {
		var calls []string
		var dir string
		replay := run.NewReplay(recs...)
		return run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
			calls = append(calls, path.Base(c.Path))
			switch c.Path {
			case "/usr/bin/mktemp", "/usr/bin/rm":
				res, err := local.Run(ctx, c)
				if c.Path == "/usr/bin/mktemp" {
					dir = strings.TrimSpace(string(res.Stdout))
				}
				return res, err
			}
			// The recordings were made without the option: every dnf
			// command must carry it, and is answered without it.
			want := "--setopt=logdir=" + strings.Repeat("../", depth) + strings.TrimPrefix(dir, "/")
			i := slices.Index(c.Args, want)
			if dir == "" || i < 0 {
				return run.Result{}, fmt.Errorf("%v lacks %s", c.Argv(), want)
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return run.Result{}, fmt.Errorf("the log directory is not there during the run: %v", err)
			}
			if slices.Contains(c.Args, fail) {
				return run.Result{}, errors.New("dnf failed")
			}
			c.Args = slices.Delete(slices.Clone(c.Args), i, i+1)
			return replay.Run(ctx, c)
		}), &calls, &dir
	}
	opts := append(nativeOpts(t, root), dnf.NativePrivateLogs(true))
	r, calls, dir := runner("")
	got, err := dnf.NativeUpdates(context.Background(), r, fixtureInventory(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(nevras(got), nevras(replayedNative(t))) {
		t.Errorf("with private logs %v", nevras(got))
	}
	if want := []string{"mktemp", "dnf", "dnf", "dnf", "dnf", "rm"}; !slices.Equal(*calls, want) {
		t.Errorf("commands %v, want %v", *calls, want)
	}
	if !strings.HasPrefix(path.Base(*dir), "patchkit-dnf-logs.") {
		t.Errorf("directory %q", *dir)
	}
	if _, err := os.Stat(*dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there: %v", *dir, err)
	}

	r, calls, dir = runner("check-update")
	if _, err := dnf.NativeUpdates(context.Background(), r, fixtureInventory(t), opts...); err == nil || !strings.Contains(err.Error(), "dnf failed") {
		t.Fatalf("a failing dnf: %v", err)
	}
	if (*calls)[len(*calls)-1] != "rm" {
		t.Errorf("commands %v: the directory is not removed after a failure", *calls)
	}
	if _, err := os.Stat(*dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there after a failure: %v", *dir, err)
	}
}

// BenchmarkNativeHealth is what a native scan of the recorded root adds
// for the health of its two repositories (their repomd.xml read, its
// signature verified, the data files' sizes checked).
func BenchmarkNativeHealth(b *testing.B) {
	fsys := os.DirFS(fixtureRoot)
	now := fixtureNow(b)
	for b.Loop() {
		if _, _, err := dnf.NativeHealth(context.Background(), fsys, nil, dnf.WithArch("x86_64"), dnf.WithNow(now)); err != nil {
			b.Fatal(err)
		}
	}
}
