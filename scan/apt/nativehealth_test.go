package apt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// testbedSuites are in-memory repositories with the testbed's URI, suites
// and labels (their Releases give the origins apt printed in the
// recordings), trusted=yes and dated 2025-11-01.
func testbedSuites(names ...string) []memSuite {
	labels := map[string]string{"testbed": "Testbed", "testbed-updates": "Testbed", "testbed-security": "Testbed-Security"}
	var out []memSuite
	for _, n := range names {
		out = append(out, memSuite{uri: "http://127.0.0.1:18080", suite: n, label: labels[n],
			packages: map[string][]string{"amd64": {stanza("tb-hello", "1.0-1", "all")}}})
	}
	return out
}

// replayedAllVersions is what apt printed for the testbed's private root
// (every newer version), through NativeUpdates: each version with apt's
// origins ("Testbed:testbed-updates"), apt-get's for its candidates and
// those of apt-cache policy's package files for the others.
func replayedAllVersions(t *testing.T) []patchkit.Patch {
	t.Helper()
	replay := run.NewReplay(loadRecording(t, "testbed-private-allversions-apt-get"),
		loadRecording(t, "testbed-private-allversions-apt-cache-policy"), loadRecording(t, "testbed-private-allversions-apt-cache-policy2"),
		loadRecording(t, "testbed-private-allversions-apt-cache"))
	inv, err := dpkg.ParseQuery(loadRecording(t, "testbed-private-allversions-dpkg-query").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := NativeUpdates(context.Background(), replay, inv, NativeAllVersions(true), NativeDescribe(true))
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func versionsOf(ps []patchkit.Patch) []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s %s", p.Name, p.EVR()))
	}
	slices.Sort(out)
	return out
}

// TestNativeHealth: NativeHealth gives each repository the status Updates
// gives it, and keeps of apt's versions those that some OK repository
// offers, whether their Repository is apt's origins (as NativeUpdates
// writes it) or apt-cache policy's "URI suite/component" (as it wrote it
// for versions that apt-cache policy gave before).
func TestNativeHealth(t *testing.T) {
	native := replayedAllVersions(t)
	all := versionsOf(native)
	if len(all) != 6 {
		t.Fatalf("replayed versions %v", all)
	}
	day := time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC)
	inv := []patchkit.Package{{Name: "tb-hello", Version: "1.0", Release: "1", Arch: "all", Scheme: patchkit.Deb, Epoch: patchkit.EpochOf(0)}}
	for _, tc := range []struct {
		name     string
		suites   []memSuite
		drop     string // a list file removed
		now      time.Time
		unhealth map[string]repo.Health // by suite
		kept     []string
	}{
		{"fresh", testbedSuites("testbed", "testbed-updates", "testbed-security"), "", day, nil, all},
		{"updates not fetched", testbedSuites("testbed", "testbed-updates", "testbed-security"), "testbed-updates", day,
			map[string]repo.Health{"testbed-updates": repo.HealthUnreadable},
			[]string{"tb-kernel 1.1-1", "tb-lib 1:2.0-2", "tb-multi 1.2-1"}},
		{"dated in the future", testbedSuites("testbed", "testbed-updates", "testbed-security"), "", day.Add(-48 * time.Hour),
			map[string]repo.Health{"testbed": repo.HealthExpired, "testbed-updates": repo.HealthExpired, "testbed-security": repo.HealthExpired}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := memRoot(tc.suites, nil)
			if tc.drop != "" {
				for _, s := range tc.suites {
					if s.suite == tc.drop {
						delete(fsys, s.listsPrefix()+"Release")
					}
				}
			}
			opts := []Option{WithArch("x86_64"), WithNow(tc.now)}
			_, want, err := Updates(context.Background(), fsys, inv, opts...)
			if err != nil {
				t.Fatal(err)
			}
			kept, sts, err := NativeHealth(context.Background(), fsys, native, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if len(sts) != len(want) {
				t.Fatalf("natively %+v, from the files %+v", sts, want)
			}
			for i, s := range sts {
				w := want[i]
				w.Packages = 0
				if s != w {
					t.Errorf("natively %+v\nfrom the files %+v", s, w)
				}
				suite := s.Name[strings.LastIndexByte(s.Name, ' ')+1:]
				wh := tc.unhealth[suite]
				if wh == "" {
					wh = repo.HealthOK
				}
				if s.Health != wh {
					t.Errorf("%s: %s, want %s", s.Name, s.Health, wh)
				}
			}
			if got := versionsOf(kept); !slices.Equal(got, tc.kept) {
				t.Errorf("kept %v, want %v", got, tc.kept)
			}
		})
	}

	// The versions apt-cache policy gave (Candidate false), spelt as
	// apt-cache policy describes their files.
	legacy := slices.Clone(native)
	policyForm := map[string]string{"Testbed:testbed-updates": "http://127.0.0.1:18080 testbed-updates/main",
		"Testbed-Security:testbed-security": "http://127.0.0.1:18080 testbed-security/main"}
	for i, p := range legacy {
		if p.Repository == "" || strings.Contains(p.Repository, ", ") {
			t.Fatalf("%s %s: Repository %q", p.Name, p.EVR(), p.Repository)
		}
		if !p.Candidate {
			if legacy[i].Repository = policyForm[p.Repository]; legacy[i].Repository == "" {
				t.Fatalf("%s %s: Repository %q", p.Name, p.EVR(), p.Repository)
			}
		}
	}

	// Sources without testbed-security: its origins, in either form, are
	// repositories of unknown health, and the versions only it offers are
	// left out.
	fsys := memRoot(testbedSuites("testbed", "testbed-updates"), nil)
	for _, tc := range []struct {
		name      string
		ps        []patchkit.Patch
		wantNames []string
	}{
		{"apt's origins", native, []string{"http://127.0.0.1:18080 testbed OK", "http://127.0.0.1:18080 testbed-updates OK",
			"Testbed-Security:testbed-security UNREADABLE"}},
		{"apt-cache policy's files", legacy, []string{"http://127.0.0.1:18080 testbed OK", "http://127.0.0.1:18080 testbed-updates OK",
			"Testbed-Security:testbed-security UNREADABLE", "http://127.0.0.1:18080 testbed-security/main UNREADABLE"}},
	} {
		kept, sts, err := NativeHealth(context.Background(), fsys, tc.ps, WithArch("x86_64"), WithNow(day))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range sts {
			names = append(names, fmt.Sprintf("%s %s", s.Name, s.Health))
			if s.Health != repo.HealthOK && !strings.Contains(s.Reason, "no enabled repository of the root's sources gives that origin") {
				t.Errorf("%s: %s: reason %q", tc.name, s.Name, s.Reason)
			}
		}
		if !slices.Equal(names, tc.wantNames) {
			t.Errorf("%s: statuses %q, want %q", tc.name, names, tc.wantNames)
		}
		if got, want := versionsOf(kept), []string{"tb-hello 1.1-1", "tb-multi 1.1-1", "tb-multi 1.3-1"}; !slices.Equal(got, want) {
			t.Errorf("%s: kept %v, want %v", tc.name, got, want)
		}
	}

	// Its options are Updates'.
	var oe *OptionError
	if _, _, err := NativeHealth(context.Background(), fsys, native, WithNow(day)); !errors.As(err, &oe) || oe.Option != "WithArch" {
		t.Errorf("no architecture: %v", err)
	}
}

// TestNativeReadOnly: with NativeReadOnly every command tells apt to keep
// its binary caches in memory and to write no planner log; without it the
// commands are those of the recordings.
func TestNativeReadOnly(t *testing.T) {
	ro := []string{"-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=", "-o", "Dir::Log::Planner="}
	c, err := SimulateCommand(NativeReadOnly(true))
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(c.Args, ro[1]); i < 1 || !slices.Equal(c.Args[i-1:i-1+len(ro)], ro) {
		t.Errorf("read-only simulation %v", c.Args)
	}
	c, err = SimulateCommand()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(c.Args, ro[1]) || !slices.Equal(c.Argv(), loadRecording(t, "testbed-private-apt-get").Argv) {
		t.Errorf("default simulation %v", c.Argv())
	}
	// Every command NativeUpdates runs carries them.
	var calls []run.Command
	replay := run.NewReplay(loadRecording(t, "testbed-private-allversions-apt-get"),
		loadRecording(t, "testbed-private-allversions-apt-cache-policy"), loadRecording(t, "testbed-private-allversions-apt-cache-policy2"),
		loadRecording(t, "testbed-private-allversions-apt-cache"))
	strip := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		calls = append(calls, c)
		i := slices.Index(c.Args, ro[1])
		if i < 1 || !slices.Equal(c.Args[i-1:i-1+len(ro)], ro) {
			return run.Result{}, fmt.Errorf("%v is not read-only", c.Argv())
		}
		c.Args = slices.Delete(slices.Clone(c.Args), i-1, i-1+len(ro))
		return replay.Run(ctx, c)
	})
	inv, err := dpkg.ParseQuery(loadRecording(t, "testbed-private-allversions-dpkg-query").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := NativeUpdates(context.Background(), strip, inv, NativeAllVersions(true), NativeDescribe(true), NativeReadOnly(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 4 || !slices.Equal(versionsOf(ps), versionsOf(replayedAllVersions(t))) {
		t.Errorf("%d commands, versions %v", len(calls), versionsOf(ps))
	}
}

// BenchmarkNativeHealthHost is what a native scan of this machine adds for
// the health of its repositories: its apt configuration and sources read,
// and every InRelease of its lists verified (no Packages file is read).
// The same iteration times apt-get -s dist-upgrade, the native scan's
// first command, for scale.
func BenchmarkNativeHealthHost(b *testing.B) {
	aptGet, err := exec.LookPath("apt-get")
	if err != nil {
		b.Skip("apt-get not installed")
	}
	arch := nodeArch(b)
	var ours, theirs time.Duration
	repos := 0
	for b.Loop() {
		start := time.Now()
		_, sts, err := NativeHealth(context.Background(), os.DirFS("/"), nil, WithArch(arch), WithNow(time.Now()))
		ours += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		repos = len(sts)
		cmd := exec.Command(aptGet, "-s", "-o", "Debug::NoLocking=1", "-o", "Dir::Log::Planner=", "dist-upgrade")
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		start = time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		theirs += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(ours.Microseconds())/n/1000, "health-ms/op")
	b.ReportMetric(float64(theirs.Microseconds())/n/1000, "apt-get-s-ms/op")
	b.ReportMetric(float64(repos), "repositories")
}
