package dnf_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/run"
)

// archSpec builds one tiny package per target architecture; its one file
// is named after the architecture, so that multilib pairs install side by
// side as real ones do.
const archSpec = `Name: %{pname}
Version: %{pver}
Release: 1
Summary: patchkit architecture test package
License: MIT
%{?pobs:Obsoletes: %{pobs}}
%description
A patchkit architecture test package.
%install
mkdir -p %{buildroot}/usr/share/pk-arch
echo "%{pname} %{pver} %{_target_cpu}" > %{buildroot}/usr/share/pk-arch/%{pname}-%{_target_cpu}.txt
%files
/usr/share/pk-arch/%{pname}-%{_target_cpu}.txt
`

// TestTestbedDnfScanArch builds packages for several architectures with
// rpmbuild, serves them from a file URL to a fresh dnf root on the
// testbed machine, and checks both backends against real dnf: a multilib
// pair upgrades each architecture on its own, an installed package may
// move to noarch and back, an i686 package does not become x86_64, an
// aarch64 package is not offered on x86_64, an obsoleting package is
// recorded and not offered, and a version without a notice dates from its
// build time. WithNotInstalled passes what dnf lists as available of the
// (name, arch) pairs that are not installed, less the aarch64 builds and
// the upgrades.
func TestTestbedDnfScanArch(t *testing.T) {
	testutil.Slow(t, "builds fourteen packages with rpmbuild and scans them with dnf")
	testbed.Need(t) // the machine setup: rpm's database in /var/lib/rpm
	testutil.NeedTool(t, "dnf", "dnf")
	testutil.NeedTool(t, "rpmbuild", "rpm")
	testutil.NeedTool(t, "createrepo_c", "createrepo-c")
	dir := t.TempDir()
	spec := filepath.Join(dir, "pk.spec")
	if err := os.WriteFile(spec, []byte(archSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(name, ver, targets, obsoletes string) {
		args := []string{"-bb", "--quiet", "--define", "_topdir " + filepath.Join(dir, "top"), "--define", "pname " + name,
			"--define", "pver " + ver, "--target", targets}
		if obsoletes != "" {
			args = append(args, "--define", "pobs "+obsoletes)
		}
		if out, err := exec.Command("rpmbuild", append(args, spec)...).CombinedOutput(); err != nil {
			t.Fatalf("rpmbuild %s %s: %v\n%s", name, ver, err, out)
		}
	}
	build("pk-ml", "1.0", "x86_64,i686", "")
	build("pk-ml", "1.1", "x86_64,i686", "")
	build("pk-na", "1.0", "x86_64", "")
	build("pk-na", "2.0", "noarch", "")
	build("pk-ia", "1.0", "i686", "")
	build("pk-ia", "1.1", "x86_64,i686", "")
	build("pk-aa", "1.0", "noarch", "")
	build("pk-aa", "1.1", "x86_64,aarch64", "")
	build("pk-old", "1.0", "noarch", "")
	build("pk-new", "1.0", "noarch", "pk-old < 2.0")
	build("pk-na", "0.9", "noarch", "")
	build("pk-32", "1.0", "i686", "")
	build("pk-arm", "1.0", "aarch64", "")
	build("pk-old", "0.5", "aarch64", "")
	rpms := func(pat string) []string {
		m, err := filepath.Glob(filepath.Join(dir, "top/RPMS/*", pat))
		if err != nil || len(m) == 0 {
			t.Fatalf("no %s built: %v", pat, err)
		}
		return m
	}
	repoDir := filepath.Join(dir, "repo")
	if err := os.MkdirAll(repoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, pat := range []string{"pk-ml-1.1-*", "pk-na-2.0-*", "pk-ia-1.1-*", "pk-aa-1.1-*", "pk-new-*",
		"pk-ml-1.0-*", "pk-na-0.9-*", "pk-32-*", "pk-arm-*", "pk-old-0.5-*"} {
		for _, p := range rpms(pat) {
			if err := exec.Command("cp", p, repoDir).Run(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out, err := exec.Command("createrepo_c", "-q", repoDir).CombinedOutput(); err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
	root := filepath.Join(dir, "root")
	for f, body := range map[string]string{
		"etc/dnf/dnf.conf":          "[main]\ngpgcheck=0\nskip_if_unavailable=False\n",
		"etc/yum.repos.d/arch.repo": "[pk-arch]\nname=patchkit architecture test\nbaseurl=file://" + repoDir + "\ngpgcheck=0\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var base []string
	for _, pat := range []string{"pk-ml-1.0-*", "pk-na-1.0-*", "pk-ia-1.0-*", "pk-aa-1.0-*", "pk-old-1.0-*"} {
		base = append(base, rpms(pat)...)
	}
	if out, err := exec.Command("rpm", append([]string{"--root", root, "-i", "--nodeps"}, base...)...).CombinedOutput(); err != nil {
		t.Fatalf("rpm -i: %v\n%s", err, out)
	}
	env := testbed.Env{RPMRoot: root}
	if out, err := exec.Command("dnf", append(append([]string{"-q", "-y"}, env.DNFArgs()...), "makecache")...).CombinedOutput(); err != nil {
		t.Fatalf("dnf makecache: %v\n%s", err, out)
	}

	inv := inventory(t, root)
	now := repomdDate(t, root).Add(time.Hour)
	var notInst []patchkit.Patch
	rep, err := dnf.Check(t.Context(), os.DirFS(root), inv, dnf.WithArch("x86_64"), dnf.WithNow(now),
		dnf.WithNotInstalled(func(p patchkit.Patch) { notInst = append(notInst, p) }))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Repos) != 1 || rep.Repos[0].Health != repo.HealthOK || rep.Repos[0].Verified {
		t.Fatalf("repositories %+v, want one, OK and not verified (no repo_gpgcheck)", rep.Repos)
	}
	r, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	// dnf's queries list pk-aa's aarch64 build as an upgrade (its solver
	// then refuses it); NativeArch leaves it out.
	native, err := dnf.NativeUpdates(t.Context(), r, inv, append(nativeOpts(t, root), dnf.NativeArch("x86_64"))...)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffViews(views(rep.Patches, false), views(native, false)); d != "" {
		t.Fatalf("the backends disagree:\n%s", d)
	}
	full := slices.DeleteFunc(fullList(t, root), func(s string) bool { return strings.HasSuffix(s, ".aarch64") })
	if got := nevras(rep.Patches); !slices.Equal(got, full) {
		t.Fatalf("metadata backend lists %v, dnf repoquery --upgrades --show-duplicates (aarch64 left out) %v", got, full)
	}
	out, _ := exec.Command("dnf", append(append([]string{"-C", "--assumeno"}, env.DNFArgs()...), "install", "pk-aa-1.1-1.aarch64")...).CombinedOutput()
	if !strings.Contains(string(out), "does not have a compatible architecture") {
		t.Fatalf("dnf install pk-aa-1.1-1.aarch64 did not refuse the architecture:\n%s", out)
	}
	want := []string{"pk-aa-0:1.1-1.x86_64", "pk-ia-0:1.1-1.i686", "pk-ml-0:1.1-1.i686", "pk-ml-0:1.1-1.x86_64", "pk-na-0:2.0-1.noarch"}
	if got := candidates(rep.Patches); !slices.Equal(got, want) {
		t.Fatalf("candidates %v, want %v", got, want)
	}
	// Without notices, a version dates from its build time, which rpm
	// reports for the package file.
	for _, p := range rep.Patches {
		if p.Security || p.Classification != "" {
			t.Errorf("%s has no notice but is classified: %+v", p.NEVRA(), p)
		}
		f := filepath.Join(repoDir, p.Name+"-"+p.Version+"-"+p.Release+"."+p.Arch+".rpm")
		out, err := exec.Command("rpm", "-qp", "--qf", "%{BUILDTIME}", f).Output()
		if err != nil {
			t.Fatal(err)
		}
		bt, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if !p.ReleaseDate.Equal(time.Unix(bt, 0)) {
			t.Errorf("%s: release date %v, rpm's build time %v", p.NEVRA(), p.ReleaseDate, time.Unix(bt, 0).UTC())
		}
	}
	if len(rep.Obsoletes) != 1 || rep.Obsoletes[0].By.Name != "pk-new" || rep.Obsoletes[0].Installed.Name != "pk-old" || rep.Obsoletes[0].Entry != "pk-old < 2.0" {
		t.Fatalf("obsoletes %+v, want pk-new obsoleting pk-old", rep.Obsoletes)
	}
	out = []byte(dnfList(t, root, "check-update"))
	cu, err := dnf.ParseCheckUpdate(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(cu.Obsoleting) != 1 || cu.Obsoleting[0].By.Name != "pk-new" || cu.Obsoleting[0].Obsoletes.Name != "pk-old" {
		t.Fatalf("dnf check-update obsoleting %+v, want pk-new obsoleting pk-old:\n%s", cu.Obsoleting, out)
	}
	// Not installed: dnf's available list less the aarch64 builds, the
	// installed (name, arch) pairs and the versions offered as upgrades.
	// An i686 package beside nothing, an x86_64 build of a name installed
	// as i686, an older noarch build of a name installed as x86_64 and a
	// package that obsoletes an installed one are passed; the installed
	// pk-ml 1.0 builds, the aarch64 ones and pk-aa's move from noarch to
	// x86_64 (an upgrade) are not, nor pk-old's older aarch64 build.
	avail := slices.DeleteFunc(parseAvail(t, dnfList(t, root, "repoquery", "--available", "--queryformat", availQF)),
		func(a availLine) bool { return strings.HasSuffix(a.nameArch, ".aarch64") })
	if g, w := withRepos(notInst), expectNotInstalled(avail, installedPairs(t, root), rep.Patches); !slices.Equal(g, w) {
		t.Fatalf("passed to fn %q\ndnf repoquery --available (aarch64 left out) less the installed pairs and Updates' versions %q", g, w)
	}
	wantNI := []string{"pk-32-0:1.0-1.i686 pk-arch", "pk-ia-0:1.1-1.x86_64 pk-arch", "pk-na-0:0.9-1.noarch pk-arch", "pk-new-0:1.0-1.noarch pk-arch"}
	if g := withRepos(notInst); !slices.Equal(g, wantNI) {
		t.Fatalf("passed to fn %q, want %q", g, wantNI)
	}
	checkOrder(t, notInst)
	built := map[string]string{}
	for _, a := range avail {
		built[a.nevra] = a.built
	}
	for _, p := range notInst {
		if p.Candidate || p.Security || p.ReleaseDate.Local().Format("2006-01-02 15:04") != built[p.NEVRA()] {
			t.Errorf("%s: %+v, want no candidate, no notice, dated %s (dnf's build time)", p.NEVRA(), p, built[p.NEVRA()])
		}
	}
	out, _ = exec.Command("dnf", append(append([]string{"-C", "--assumeno"}, env.DNFArgs()...), "install", "pk-arm")...).CombinedOutput()
	if !strings.Contains(string(out), "does not have a compatible architecture") {
		t.Fatalf("dnf install pk-arm did not refuse the architecture:\n%s", out)
	}
	t.Logf("agreement: %d versions, %d candidates across x86_64, i686 and noarch; 1 obsoletes recorded; %d versions of (name, arch) pairs not installed",
		len(rep.Patches), len(want), len(notInst))
}
