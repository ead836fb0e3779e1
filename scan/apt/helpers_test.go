package apt

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan/run"
)

var update = flag.Bool("update", false, "rewrite the recordings under testdata/apt from the real runs of the end-to-end tests")

// recDir is where recordings of real runs are kept.
const recDir = "../../testdata/apt"

// nodeArch is this machine's architecture in osdetect's vocabulary, from
// dpkg itself.
func nodeArch(t testing.TB) string {
	t.Helper()
	testutil.NeedTool(t, "dpkg", "dpkg")
	out, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatal(err)
	}
	a, ok := osdetect.ArchFromDebian(strings.TrimSpace(string(out)))
	if !ok {
		t.Fatalf("dpkg architecture %q unknown to osdetect", out)
	}
	return a
}

func newLocal(t testing.TB) *run.Local {
	t.Helper()
	l, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// chrootRunner runs every command inside root with chroot(8).
func chrootRunner(r run.Runner, root string) run.Runner {
	return run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		c2 := c
		c2.Path = "/usr/sbin/chroot"
		c2.Args = append([]string{root, c.Path}, c.Args...)
		return r.Run(ctx, c2)
	})
}

// recorder wraps r so that, with -update, the runs are saved under
// testdata/apt as SCENARIO-PROGRAM.txt when the test ends.
func recorder(t *testing.T, r run.Runner, scenario, where string) run.Runner {
	t.Helper()
	if !*update {
		return r
	}
	aptVersion := "apt (version unknown)"
	if out, err := exec.Command("apt-get", "--version").Output(); err == nil {
		aptVersion = strings.SplitN(string(out), "\n", 2)[0]
	}
	rec := run.NewRecorder(r, func(c run.Command) string {
		return fmt.Sprintf("%s on Debian 12 amd64 (this project's machine kind), %s: %s; LC_ALL=C; recorded by scan/apt's %s -update",
			aptVersion, time.Now().UTC().Format("2006-01-02"), where, t.Name())
	})
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		seen := map[string]int{}
		for _, rc := range rec.Recordings() {
			prog := filepath.Base(rc.Argv[0])
			if prog == "chroot" {
				prog = filepath.Base(rc.Argv[2])
			}
			if len(rc.Argv) > 1 && slices.Contains(rc.Argv, "policy") {
				prog += "-policy"
			}
			if slices.Contains(rc.Argv, "list") {
				prog += "-list"
			}
			seen[prog]++
			name := scenario + "-" + prog
			if seen[prog] > 1 {
				name += fmt.Sprint(seen[prog])
			}
			b, err := rc.Format()
			if err != nil {
				t.Errorf("recording %s: %v", name, err)
				continue
			}
			if err := os.WriteFile(filepath.Join(recDir, name+".txt"), b, 0o644); err != nil {
				t.Error(err)
			}
		}
	})
	return rec
}

// runOut runs c through r and returns its standard output.
func runOut(t testing.TB, r run.Runner, c run.Command) []byte {
	t.Helper()
	res, err := r.Run(t.Context(), c)
	if err != nil {
		t.Fatalf("%s: %v", c, err)
	}
	return res.Stdout
}

// aptCachePolicy asks apt-cache policy about every package in one call.
func aptCachePolicy(t testing.TB, r run.Runner, env, args []string, names []string) []CachePolicy {
	t.Helper()
	args = append(append([]string{"-o", "quiet=1"}, args...), "policy")
	out := runOut(t, r, run.Command{Path: "/usr/bin/apt-cache", Args: args, Operands: names, Env: env})
	pols, err := ParseCachePolicy(out)
	if err != nil {
		t.Fatal(err)
	}
	return pols
}

// aptName is how apt names an entry: qualified only for a foreign
// architecture.
func aptName(e *pkgEntry, native string) string {
	if e.arch == native {
		return e.name
	}
	return e.name + ":" + e.arch
}

// policyNames are the operands for apt-cache policy: every installed
// package the metadata backend considered.
func policyNames(st *scanState) []string {
	var names []string
	for _, e := range st.entries {
		names = append(names, aptName(e, st.pol.native))
	}
	return names
}

// comparePolicy checks the metadata backend's view of every installed
// package against apt-cache policy: the installed version, the candidate,
// every version with its priority, and every file offering it with the
// file's priority. It returns the number of packages compared.
func comparePolicy(t testing.TB, st *scanState, pols []CachePolicy) int {
	t.Helper()
	byName := map[string]CachePolicy{}
	for _, p := range pols {
		n := p.Name
		if p.Qualifier != "" {
			n += ":" + p.Qualifier
		}
		byName[n] = p
	}
	n := 0
	for _, e := range st.entries {
		name := aptName(e, st.pol.native)
		cp, ok := byName[name]
		if !ok {
			t.Errorf("%s: apt-cache policy does not know it", name)
			continue
		}
		n++
		if cp.Installed != e.installed.EVR() {
			t.Errorf("%s: apt says %q is installed, the inventory %q", name, cp.Installed, e.installed.EVR())
		}
		cand := ""
		if e.cand != nil {
			cand = e.cand.ver
		}
		if cand != cp.Candidate {
			t.Errorf("%s: candidate %q, apt-cache policy says %q", name, cand, cp.Candidate)
		}
		var ours []string
		for _, v := range e.versions {
			ours = append(ours, describeVersion(st, v))
		}
		var theirs []string
		for _, v := range cp.Versions {
			var srcs []string
			for _, s := range v.Sources {
				srcs = append(srcs, fmt.Sprintf("%d %s", s.Priority, s.Desc))
			}
			slices.Sort(srcs)
			theirs = append(theirs, fmt.Sprintf("%s %d [%s]", v.Version, v.Priority, strings.Join(srcs, "; ")))
		}
		if !slices.Equal(ours, theirs) {
			t.Errorf("%s: version table differs\n ours: %q\napt's: %q", name, ours, theirs)
		}
	}
	return n
}

func describeVersion(st *scanState, v *version) string {
	var srcs []string
	for _, fi := range v.files {
		f := st.pol.files[fi]
		srcs = append(srcs, fmt.Sprintf("%d %s", f.prio, f.desc))
	}
	slices.Sort(srcs)
	return fmt.Sprintf("%s %d [%s]", v.ver, v.prio, strings.Join(srcs, "; "))
}

// candidateKey identifies a candidate: name, apt architecture and version.
func candidateKey(p patchkit.Patch, native string) string {
	return p.Name + ":" + aptArch(p.Arch, native) + "=" + p.EVR()
}

// compareBackends requires the same candidates from both backends, with
// the same security classification, and the same origin string where the
// native backend has apt-get's (not for kept-back packages). It returns
// the number of candidates that agree.
func compareBackends(t testing.TB, meta, native []patchkit.Patch, nativeArch string) int {
	t.Helper()
	m := map[string]patchkit.Patch{}
	for _, p := range meta {
		if p.Candidate {
			m[candidateKey(p, nativeArch)] = p
		}
	}
	agree := 0
	seen := map[string]bool{}
	for _, p := range native {
		k := candidateKey(p, nativeArch)
		seen[k] = true
		q, ok := m[k]
		if !ok {
			t.Errorf("apt-get -s upgrades %s (%s); the metadata backend has no such candidate", k, p.Repository)
			continue
		}
		ok = true
		if p.Security != q.Security || p.Classification != q.Classification {
			t.Errorf("%s: security %v/%q natively, %v/%q from metadata", k, p.Security, p.Classification, q.Security, q.Classification)
			ok = false
		}
		if p.Repository != q.Repository { // kept-back packages too: apt-get's origin form throughout
			t.Errorf("%s: origin %q natively, %q from metadata", k, p.Repository, q.Repository)
			ok = false
		}
		if p.Want != q.Want {
			t.Errorf("%s: Want %q natively, %q from metadata", k, p.Want, q.Want)
			ok = false
		}
		if ok {
			agree++
		}
	}
	var missing []string
	for k := range m {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	slices.Sort(missing)
	for _, k := range missing {
		t.Errorf("the metadata backend's candidate %s is not upgraded by apt-get -s", k)
	}
	return agree
}

// sortPatches orders patches by name, architecture and version.
func sortPatches(ps []patchkit.Patch) {
	slices.SortFunc(ps, func(a, b patchkit.Patch) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Arch, b.Arch), patchkit.Deb.Compare(a.EVR(), b.EVR()))
	})
}

// upgradable is one line of apt list --upgradable.
type upgradable struct {
	name, archives, version, arch, old string
}

// parseAptList reads apt list --upgradable:
// "NAME/ARCHIVE[,ARCHIVE...] VERSION ARCH [upgradable from: OLD]".
func parseAptList(t testing.TB, out []byte) []upgradable {
	t.Helper()
	var res []upgradable
	for i, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "Listing..." || line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 6 || f[3] != "[upgradable" || f[4] != "from:" || !strings.HasSuffix(f[5], "]") {
			t.Fatalf("apt list line %d: %q", i+1, line)
		}
		name, archives, ok := strings.Cut(f[0], "/")
		if !ok {
			t.Fatalf("apt list line %d: %q", i+1, line)
		}
		res = append(res, upgradable{name: name, archives: archives, version: f[1], arch: f[2], old: strings.TrimSuffix(f[5], "]")})
	}
	return res
}

// compareAptList checks the native backend's result against apt list
// --upgradable, which lists every package whose candidate is newer than
// the installed version (held ones too): the same packages and versions,
// and Security where some archive of the candidate is a security suite.
func compareAptList(t testing.TB, out []byte, native []patchkit.Patch, nativeArch string) {
	t.Helper()
	list := parseAptList(t, out)
	want := map[string]upgradable{}
	for _, u := range list {
		want[u.name+":"+aptArch(u.arch, nativeArch)+"="+u.version] = u
	}
	if len(native) != len(list) {
		t.Errorf("apt list --upgradable lists %d packages, the native backend %d", len(list), len(native))
	}
	for _, p := range native {
		k := candidateKey(p, nativeArch)
		u, ok := want[k]
		if !ok {
			t.Errorf("%s: not in apt list --upgradable", k)
			continue
		}
		if sec := containsFold(u.archives, "security"); sec != p.Security {
			t.Errorf("%s: archives %q, Security %v", k, u.archives, p.Security)
		}
	}
}
