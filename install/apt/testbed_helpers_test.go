//go:build linux

package apt

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/debrepo"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	scanapt "github.com/patchkit/patchkit/scan/apt"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// writeFile writes a file of a test, making its directory.
func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// randomBytes are n bytes xz cannot shrink, the same in every run.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{'p', 'a', 't', 'c', 'h', 'k', 'i', 't'})
	_, _ = rng.Read(b)
	return b
}

// testRoot is a Debian root a test may change: a copy of the testbed's
// private apt root, or a copy of its Debian chroot. The embedded
// debrepo.Root runs the root's apt (Command, Run, AddRepo, Install).
type testRoot struct {
	debrepo.Root
	t    *testing.T
	opts []Option
}

// privateRoot clones the testbed's private apt root (host apt with
// APT_CONFIG; dpkg runs with --root and --force-script-chrootless, so
// maintainer scripts see the root as $DPKG_ROOT).
func privateRoot(t *testing.T) *testRoot {
	t.Helper()
	testutil.NeedTool(t, "apt-get", "apt")
	env := testbed.Need(t)
	c := env.Clone(t)
	return &testRoot{Root: debrepo.Root{Dir: c.AptRoot(), AptConfig: c.AptConfig}, t: t, opts: []Option{AptConfig(c.AptConfig)}}
}

// chrootRoot copies the testbed's Debian chroot (its own mounts left
// out), mounts proc in the copy, and removes it all when the test ends.
func chrootRoot(t *testing.T) *testRoot {
	t.Helper()
	testutil.NeedTool(t, "chroot", "coreutils")
	root := testbed.NeedChroot(t).CopyChroot(t)
	return &testRoot{Root: debrepo.Root{Dir: root}, t: t, opts: []Option{Chroot(root)}}
}

// run runs the root's program prog; failure ends the test.
func (r *testRoot) run(prog string, args ...string) string {
	r.t.Helper()
	return r.Run(r.t, prog, args...)
}

// path returns the host path of a path inside the root.
func (r *testRoot) path(p string) string { return filepath.Join(r.Dir, p) }

// aptEnv is the APT_CONFIG entry of a private root's processes (apt-get,
// its methods, dpkg and the maintainer scripts inherit it).
func (r *testRoot) aptEnv() string { return "APT_CONFIG=" + r.AptConfig }

// inventory reads the root's dpkg database.
func (r *testRoot) inventory() []patchkit.Package {
	r.t.Helper()
	inv, err := dpkg.Read(r.t.Context(), os.DirFS(r.Dir))
	if err != nil {
		r.t.Fatal(err)
	}
	return inv
}

// pkg returns the installed package name (any architecture), or fails.
func (r *testRoot) pkg(inv []patchkit.Package, name string) patchkit.Package {
	r.t.Helper()
	for _, p := range inv {
		if p.Name == name {
			return p
		}
	}
	r.t.Fatalf("%s is not installed in %s", name, r.Dir)
	return patchkit.Package{}
}

// rebootRequired is where the root's maintainer scripts ask for a reboot,
// inside the root: a Debian system's /var/run is a link to /run, which
// must not be followed from outside (it is absolute).
func (r *testRoot) rebootRequired() string {
	if r.Chroot() {
		return "run/reboot-required"
	}
	return "var/run/reboot-required"
}

// mustInventory reads the dpkg database of the root dir.
func mustInventory(tb testing.TB, dir string) []patchkit.Package {
	tb.Helper()
	inv, err := dpkg.Read(context.Background(), os.DirFS(dir))
	if err != nil {
		tb.Fatal(err)
	}
	return inv
}

// fsys is the root as Check reads it.
func (r *testRoot) fsys() fs.FS { return os.DirFS(r.Dir) }

// pendingUpgrades asks the root's apt for every upgrade it would make
// (apt-get -s dist-upgrade, read by scan/apt) and returns them as targets
// at apt's candidate versions.
func pendingUpgrades(t *testing.T, r *testRoot) []plan.Target {
	t.Helper()
	sim, err := scanapt.ParseSimulation([]byte(r.run("/usr/bin/apt-get", "-s", "dist-upgrade")))
	if err != nil {
		t.Fatal(err)
	}
	inv := r.inventory()
	var out []plan.Target
	for _, a := range sim.Actions {
		if !a.Upgrade() {
			continue
		}
		for _, p := range inv {
			if p.Name == a.Name && (a.Qualifier == "" || a.Qualifier == p.Arch) && p.EVR() == a.Old {
				v, err := patchkit.ParseDpkg(p.Name+":"+p.Arch, a.New)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, plan.Target{Version: v, Installed: p})
			}
		}
	}
	return out
}

// weakening are the apt-get and dpkg options that lower a check; a command
// carries one only when the test opted in by name.
var weakening = []string{
	"--allow-unauthenticated", "--allow-downgrades", "--allow-remove-essential", "--allow-change-held-packages",
	"--force-yes", "--allow-insecure-repositories", "--allow-releaseinfo-change",
	"--no-gpg-checks", "--nogpgcheck", "--gpg-auto-import-keys",
}

// guard wraps r and fails the test when a command carries a weakening
// option the test did not allow, a -o option patchkit does not set, a
// dpkg option other than --force-confdef/--force-confold, or an operand
// not after "--"; and when a committing install lacks --no-remove (unless
// allowed) or the non-interactive environment.
func guard(t *testing.T, r run.Runner, allowed ...string) run.Runner {
	return run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		argv := c.Argv()
		args := c.Args
		if filepath.Base(c.Path) == "chroot" {
			args = args[2:]
		}
		for i, a := range args {
			if slices.Contains(weakening, a) && !slices.Contains(allowed, a) {
				t.Errorf("F4: %s carries %s without an opt-in", c, a)
			}
			if a == "-o" && i+1 < len(args) {
				k, v, _ := strings.Cut(args[i+1], "=")
				switch k {
				case "quiet", "APT::Get::Show-Upgraded", "DPkg::Lock::Timeout", "Dpkg::Use-Pty":
				case "Dpkg::Options::":
					if v != "--force-confdef" && v != "--force-confold" {
						t.Errorf("F4: %s passes dpkg %s", c, v)
					}
				default:
					t.Errorf("F4: %s sets apt option %s", c, args[i+1])
				}
			}
			if strings.HasPrefix(a, "--force-") && a != "--force-confdef" && a != "--force-confold" &&
				!slices.Contains([]string{"--force-script-chrootless", "--force-not-root"}, a) {
				t.Errorf("F4: %s passes %s", c, a)
			}
		}
		if len(c.Operands) > 0 {
			if i := slices.Index(argv, "--"); i < 0 || i != len(argv)-len(c.Operands)-1 {
				t.Errorf("F1: %s: operands not after \"--\"", c)
			}
		}
		if slices.Contains(args, "install") {
			if !slices.Contains(c.Env, "DEBIAN_FRONTEND=noninteractive") || !slices.Contains(c.Env, "LC_ALL=C") {
				t.Errorf("%s: environment %v is not non-interactive C", c, c.Env)
			}
			if slices.Contains(args, "-y") && !slices.Contains(args, "--no-remove") && !slices.Contains(allowed, "removals") {
				t.Errorf("%s lacks --no-remove", c)
			}
		}
		return r.Run(ctx, c)
	})
}

// newRunner is the runner of a testbed test: local processes (SIGKILL 5 s
// after SIGTERM), every command checked by guard, and, with -update, the
// runs recorded as testdata/install/apt/SCENARIO-NN-PROGRAM.txt.
func newRunner(t *testing.T, scenario, where string, allowed ...string) run.Runner {
	t.Helper()
	l, err := run.NewLocal(run.WithWaitDelay(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var r run.Runner = l
	if *update && scenario != "" {
		r = recorder(t, r, scenario, where)
	}
	return guard(t, r, allowed...)
}

func recorder(t *testing.T, r run.Runner, scenario, where string) run.Runner {
	t.Helper()
	version := func(prog string) string {
		out, err := exec.Command(prog, "--version").Output()
		if err != nil {
			return prog + " (version unknown)"
		}
		return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	tools := version("apt-get") + ", " + version("dpkg")
	rec := run.NewRecorder(r, func(c run.Command) string {
		return fmt.Sprintf("%s on Debian 12 amd64 (this project's machine kind), %s: %s; LC_ALL=C; recorded by install/apt's %s -update",
			tools, time.Now().UTC().Format("2006-01-02"), where, t.Name())
	})
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		old, _ := filepath.Glob(filepath.Join(recDir, scenario+"-[0-9][0-9]-*.txt"))
		for _, f := range old {
			_ = os.Remove(f)
		}
		if err := os.MkdirAll(recDir, 0o755); err != nil {
			t.Error(err)
			return
		}
		for i, rc := range rec.Recordings() {
			prog := filepath.Base(rc.Argv[0])
			if prog == "chroot" {
				prog = filepath.Base(rc.Argv[2])
			}
			b, err := rc.Format()
			if err != nil {
				t.Errorf("recording %d of %s: %v", i, scenario, err)
				continue
			}
			name := fmt.Sprintf("%s-%02d-%s.txt", scenario, i+1, prog)
			if err := os.WriteFile(filepath.Join(recDir, name), b, 0o644); err != nil {
				t.Error(err)
			}
		}
	})
	return rec
}

// processesWithEnv lists the processes whose environment holds entry
// (APT_CONFIG=... of one clone: apt-get, its methods, dpkg and the
// maintainer scripts inherit it).
func processesWithEnv(entry string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(b), "\x00") {
			if kv == entry {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// waitFor polls cond every 20 ms up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// holdLock takes a write lock (fcntl, as apt and dpkg do) on each file
// and keeps it until release is called. The holder is this test process.
func holdLock(t *testing.T, paths ...string) (release func()) {
	t.Helper()
	var files []*os.File
	for _, p := range paths {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0}
		if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
			t.Fatalf("locking %s: %v", p, err)
		}
		files = append(files, f)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			for _, f := range files {
				f.Close()
			}
		})
	}
	t.Cleanup(release)
	return release
}
