package apt

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// newerViews describes the versions newer than the installed ones, for
// comparing the two backends: name, apt architecture, version, Security,
// Section and Priority.
func newerViews(ps []patchkit.Patch, inv []patchkit.Package, native string) []string {
	cur := map[string]string{}
	for _, p := range inv {
		if p.State.FilesPresent() {
			cur[p.Name+":"+aptArch(p.Arch, native)] = p.EVR()
		}
	}
	var out []string
	for _, p := range ps {
		k := p.Name + ":" + aptArch(p.Arch, native)
		if c, ok := cur[k]; ok && patchkit.Deb.Compare(p.EVR(), c) <= 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s=%s sec=%v %s/%s", k, p.EVR(), p.Security, p.Section, p.Priority))
	}
	slices.Sort(out)
	return out
}

// compareAllVersions requires NativeUpdates with NativeAllVersions and
// NativeDescribe to give exactly the newer versions the metadata backend
// gives, with the same Security, Section and Priority; it returns them.
func compareAllVersions(t *testing.T, rt root, rec run.Runner) []string {
	t.Helper()
	native := debArchOf(t)
	inv, meta, got := bothBackends(t, rt, rec, nil, NativeAllVersions(true), NativeDescribe(true))
	want, have := newerViews(meta, inv, native), newerViews(got, inv, native)
	if !slices.Equal(want, have) {
		t.Errorf("newer versions:\n native %q\n files  %q", have, want)
	}
	return have
}

// TestTestbedAptNativeAllVersions: on the testbed's private root and its
// Debian chroot, the native backend with NativeAllVersions gives every
// newer version the metadata backend gives (tb-multi's 1.1-1, 1.2-1 and
// 1.3-1, not only apt's candidate), alike.
func TestTestbedAptNativeAllVersions(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "apt-get", "apt")
	l := newLocal(t)
	got := compareAllVersions(t, root{
		fsys:      os.DirFS("/"),
		mopts:     []Option{WithAptConfig(env.AptConfig)},
		nopts:     []NativeOption{NativeAptConfig(env.AptConfig)},
		r:         l,
		dpkgQuery: []dpkg.QueryOption{dpkg.QueryAdmindir(env.AptRoot() + "/var/lib/dpkg")},
	}, recorder(t, l, "testbed-private-allversions", "host apt on the testbed's private root (APT_CONFIG)"))
	want := []string{
		"tb-hello:amd64=1.1-1 sec=false misc/optional", "tb-kernel:amd64=1.1-1 sec=true misc/optional",
		"tb-lib:amd64=1:2.0-2 sec=true misc/optional", "tb-multi:amd64=1.1-1 sec=false misc/optional",
		"tb-multi:amd64=1.2-1 sec=true misc/optional", "tb-multi:amd64=1.3-1 sec=false misc/optional",
	}
	if !slices.Equal(got, want) {
		t.Errorf("private root: %q", got)
	}
	if env.DebChroot == "" {
		return
	}
	r := chrootRunner(newLocal(t), env.DebChroot)
	got = compareAllVersions(t, root{fsys: os.DirFS(env.DebChroot), r: r}, r)
	t.Logf("%d newer versions in the chroot", len(got))
}

// The recorded private-root run, replayed: tb-multi's three newer
// versions, apt's candidate among them, and the others Candidate false,
// each with the origin apt-get prints for its suite.
func TestReplayAptNativeAllVersions(t *testing.T) {
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
	var multi []string
	for _, p := range ps {
		if p.Name == "tb-multi" {
			multi = append(multi, fmt.Sprintf("%s candidate=%v security=%v %s", p.EVR(), p.Candidate, p.Security, p.Repository))
		}
	}
	want := []string{
		"1.1-1 candidate=false security=false Testbed:testbed-updates",
		"1.2-1 candidate=false security=true Testbed-Security:testbed-security",
		"1.3-1 candidate=true security=false Testbed:testbed-updates",
	}
	if !slices.Equal(multi, want) {
		t.Errorf("tb-multi: %q", multi)
	}
}
