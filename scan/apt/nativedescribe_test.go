package apt

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/run"
)

// bothBackends reads the inventory through rec, and returns it with what
// the metadata backend (with mopts) and NativeUpdates through rec (with
// nopts) give for it.
func bothBackends(t *testing.T, rt root, rec run.Runner, mopts []Option, nopts ...NativeOption) (inv []patchkit.Package, meta, native []patchkit.Patch) {
	t.Helper()
	ctx := t.Context()
	inv, err := dpkg.Query(ctx, rec, rt.dpkgQuery...)
	if err != nil {
		t.Fatal(err)
	}
	opts := append([]Option{WithArch(nodeArch(t)), WithNow(time.Now())}, mopts...)
	if meta, _, err = Updates(ctx, rt.fsys, inv, append(opts, rt.mopts...)...); err != nil {
		t.Fatal(err)
	}
	if native, err = NativeUpdates(ctx, rec, inv, append(slices.Clone(rt.nopts), nopts...)...); err != nil {
		t.Fatal(err)
	}
	return inv, meta, native
}

// compareDescribe runs NativeUpdates with NativeInstalledVersions and
// NativeDescribe through rec, and the metadata backend with
// WithInstalledVersions, and requires every version both return (newer and
// installed ones) to carry the same Section, Priority and source package;
// every native version must have a record. It returns how many versions
// it compared.
func compareDescribe(t *testing.T, rt root, rec run.Runner) int {
	t.Helper()
	native := debArchOf(t)
	_, meta, got := bothBackends(t, rt, rec, []Option{WithInstalledVersions(true)}, NativeInstalledVersions(true), NativeDescribe(true))
	byKey := map[string]patchkit.Patch{}
	for _, p := range meta {
		byKey[p.Name+":"+aptArch(p.Arch, native)+"="+p.EVR()] = p
	}
	n := 0
	for _, p := range got {
		if p.Priority == "" || p.Section == "" || p.Package.Priority != p.Priority || p.Package.Section != p.Section || p.SourceName == "" {
			t.Errorf("%s %s: section %q, priority %q, source %q", p.QualifiedName(), p.EVR(), p.Section, p.Priority, p.SourceName)
		}
		m, ok := byKey[p.Name+":"+aptArch(p.Arch, native)+"="+p.EVR()]
		if !ok {
			continue // a version the metadata backend refuses (an unhealthy repository)
		}
		n++
		if p.Section != m.Section || p.Priority != m.Priority || p.SourceName != m.SourceName || p.SourceVersion != m.SourceVersion {
			t.Errorf("%s %s: native %q %q %s %s, files %q %q %s %s", p.QualifiedName(), p.EVR(),
				p.Section, p.Priority, p.SourceName, p.SourceVersion, m.Section, m.Priority, m.SourceName, m.SourceVersion)
		}
		// One spelling of the origins, apt-get's, whether apt-get -s or
		// apt-cache policy gave the version.
		if a, b := slices.Sorted(slices.Values(strings.Split(p.Repository, ", "))), slices.Sorted(slices.Values(strings.Split(m.Repository, ", "))); !slices.Equal(a, b) {
			t.Errorf("%s %s: Repository %q natively, %q from the files", p.QualifiedName(), p.EVR(), p.Repository, m.Repository)
		}
	}
	if n == 0 {
		t.Fatal("no version to compare")
	}
	return n
}

// TestTestbedAptNativeDescribe: on the testbed's private root and its
// Debian chroot, the native backend's versions carry the Section, Priority
// and source package of the metadata backend's, from apt-cache show.
func TestTestbedAptNativeDescribe(t *testing.T) {
	env := testbed.Need(t)
	testutil.NeedTool(t, "apt-get", "apt")
	l := newLocal(t)
	n := compareDescribe(t, root{
		fsys:      os.DirFS("/"),
		mopts:     []Option{WithAptConfig(env.AptConfig)},
		nopts:     []NativeOption{NativeAptConfig(env.AptConfig)},
		r:         l,
		dpkgQuery: []dpkg.QueryOption{dpkg.QueryAdmindir(env.AptRoot() + "/var/lib/dpkg")},
	}, recorder(t, l, "testbed-private-describe", "host apt on the testbed's private root (APT_CONFIG)"))
	if n != 9 {
		t.Errorf("%d versions compared on the private root, want the 4 updates and 5 installed versions", n)
	}
	if env.DebChroot == "" {
		return
	}
	r := chrootRunner(newLocal(t), env.DebChroot)
	n = compareDescribe(t, root{fsys: os.DirFS(env.DebChroot), r: r}, r)
	t.Logf("%d versions compared in the chroot", n)
}

// The recorded private-root run, replayed: the fields come from apt-cache
// show's records; a version without a record, a record not asked for and
// a record that does not parse are *OutputErrors naming apt-cache show.
func TestReplayAptNativeDescribe(t *testing.T) {
	get, pol, show := loadRecording(t, "testbed-private-describe-apt-get"), loadRecording(t, "testbed-private-describe-apt-cache-policy"),
		loadRecording(t, "testbed-private-describe-apt-cache")
	files := loadRecording(t, "testbed-private-describe-apt-cache-policy2")
	inv, err := dpkg.ParseQuery(loadRecording(t, "testbed-private-describe-dpkg-query").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	// APT_CONFIG is in the environment, which a replay does not match.
	opts := []NativeOption{NativeInstalledVersions(true), NativeDescribe(true)}
	ps, err := NativeUpdates(context.Background(), run.NewReplay(get, pol, files, show), inv, opts...)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range ps {
		if p.Name == "tb-lib" && p.EVR() == "1:2.0-2" {
			found = true
			if p.Section != "misc" || p.Priority != "optional" || p.SourceName != "tb-lib" || !p.Security {
				t.Errorf("tb-lib 1:2.0-2: %+v", p)
			}
		}
	}
	if !found {
		t.Fatal("no tb-lib 1:2.0-2")
	}

	stanzas := strings.SplitAfter(string(show.Stdout), "\n\n")
	for _, tc := range []struct {
		name, stdout, want string
	}{
		{"a record missing", strings.Join(stanzas[1:], ""), "no record of"},
		{"a record not asked for", string(show.Stdout) + strings.Replace(stanzas[0], "Version: ", "Version: 9", 1), "not asked for"},
		{"no Version", strings.Replace(string(show.Stdout), "Version: ", "Versio: ", 1), "Version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := show
			bad.Stdout = []byte(tc.stdout)
			_, err := NativeUpdates(context.Background(), run.NewReplay(get, pol, files, bad), inv, opts...)
			var oe *OutputError
			if !errors.As(err, &oe) || oe.Command != showCmd || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want an *OutputError of %s saying %q", err, showCmd, tc.want)
			}
		})
	}
}
