package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/run"
)

// obsoleteSpec is a tiny package; pobs adds an Obsoletes tag.
const obsoleteSpec = `Name: %{pname}
Version: %{pver}
Release: 1
Summary: patchkit obsoletes test package
License: MIT
BuildArch: noarch
%{?pobs:Obsoletes: %{pobs}}
%description
A patchkit obsoletes test package.
%install
mkdir -p %{buildroot}/usr/share/pk-obs
echo "%{pname} %{pver}" > %{buildroot}/usr/share/pk-obs/%{pname}.txt
%files
/usr/share/pk-obs/%{pname}.txt
`

// obsoleteRoot builds pk-old 1.0-1 and pk-new 1.0-1 (Obsoletes: pk-old <
// 2.0) with rpmbuild, installs pk-old into a fresh dnf root and serves
// pk-new from a file repository that dnf has cached.
func obsoleteRoot(t *testing.T) string {
	t.Helper()
	testbed.Need(t) // the machine setup: rpm's own database in /var/lib/rpm
	rb := testutil.NeedTool(t, "rpmbuild", "rpm")
	testutil.NeedTool(t, "createrepo_c", "createrepo-c")
	testutil.NeedTool(t, "dnf", "dnf")
	dir := t.TempDir()
	spec := filepath.Join(dir, "pk.spec")
	require.NoError(t, os.WriteFile(spec, []byte(obsoleteSpec), 0o644))
	for _, b := range []struct{ name, obs string }{{"pk-old", ""}, {"pk-new", "pk-old < 2.0"}} {
		args := []string{"-bb", "--quiet", "--define", "_topdir " + filepath.Join(dir, "top"), "--define", "pname " + b.name,
			"--define", "pver 1.0", "--define", "_buildhost testbed.invalid"}
		if b.obs != "" {
			args = append(args, "--define", "pobs "+b.obs)
		}
		testutil.Run(t, "", nil, rb, append(args, spec)...)
	}
	rpms := filepath.Join(dir, "top/RPMS/noarch")
	repoDir := filepath.Join(dir, "repo")
	require.NoError(t, os.MkdirAll(repoDir, 0o755))
	b, err := os.ReadFile(filepath.Join(rpms, "pk-new-1.0-1.noarch.rpm"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(repoDir, "pk-new-1.0-1.noarch.rpm"), b, 0o644))
	testutil.Run(t, "", nil, "createrepo_c", "-q", repoDir)
	root := filepath.Join(dir, "root")
	for f, body := range map[string]string{
		"etc/dnf/dnf.conf":         "[main]\ngpgcheck=0\nskip_if_unavailable=False\n",
		"etc/yum.repos.d/obs.repo": "[pk-obs]\nname=patchkit obsoletes test\nbaseurl=file://" + repoDir + "\ngpgcheck=0\n",
	} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, f), []byte(body), 0o644))
	}
	testutil.Run(t, "", nil, "rpm", "--root", root, "-i", "--nodeps", filepath.Join(rpms, "pk-old-1.0-1.noarch.rpm"))
	env := testbed.Env{RPMRoot: root}
	testutil.Run(t, "", nil, "dnf", append(append([]string{"-q", "-y"}, env.DNFArgs()...), "makecache")...)
	return root
}

// TestTestbedDnfScanObsoletes: a package that obsoletes an installed one of
// another name is recorded in Result.Obsoletes (and its JSON) as dnf
// check-update lists it under "Obsoleting Packages", and never offered:
// no candidate, no item. The scan's progress events count the
// repositories, and its logger receives the backend's record of the
// obsolete.
func TestTestbedDnfScanObsoletes(t *testing.T) {
	root := obsoleteRoot(t)
	var (
		mu     sync.Mutex
		events []ProgressEvent
		logs   bytes.Buffer
	)
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	res, err := Scan(context.Background(), os.DirFS(root), At(scanAt(t)), WithOS(releaseOS(t, "almalinux-9.4")),
		WithLogger(logger), WithProgress(func(e ProgressEvent) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		}))
	require.NoError(t, err)

	require.Len(t, res.Obsoletes, 1)
	ob := res.Obsoletes[0]
	assert.Equal(t, "pk-new-0:1.0-1.noarch", ob.By.NEVRA())
	assert.Equal(t, "pk-obs", ob.By.Repository)
	assert.Equal(t, "pk-old < 2.0", ob.Entry)
	assert.Equal(t, "pk-old", ob.Installed.Name)
	for _, c := range res.Candidates {
		assert.NotEqual(t, "pk-new", c.Patch.Name, "an obsoleting package is never a candidate")
	}
	for _, it := range res.Report.Items {
		assert.NotEqual(t, "pk-new", it.Name, "an obsoleting package is never an item: %+v", it)
	}
	j, err := json.Marshal(res)
	require.NoError(t, err)
	var back struct{ Obsoletes []dnf.Obsolete }
	require.NoError(t, json.Unmarshal(j, &back))
	assert.Equal(t, res.Obsoletes, back.Obsoletes)

	// dnf itself: check-update's "Obsoleting Packages" pairs the same two.
	r, err := run.NewLocal()
	require.NoError(t, err)
	env := testbed.Env{RPMRoot: root}
	out, err := r.Run(context.Background(), run.Command{Path: "/usr/bin/dnf", Args: append(append([]string{"-q", "-C"}, env.DNFArgs()...), "check-update"),
		OKCodes: []int{100}})
	require.NoError(t, err)
	cu, err := dnf.ParseCheckUpdate(out.Stdout)
	require.NoError(t, err)
	require.Len(t, cu.Obsoleting, 1, "%s", out.Stdout)
	assert.Equal(t, ob.By.Name+"."+ob.By.Arch+" "+ob.By.Version+"-"+ob.By.Release, cu.Obsoleting[0].By.Name+"."+cu.Obsoleting[0].By.Arch+" "+cu.Obsoleting[0].By.Version+"-"+cu.Obsoleting[0].By.Release)
	assert.Equal(t, ob.Installed.NEVRA(), cu.Obsoleting[0].Obsoletes.NEVRA())

	// Progress: every step starts and ends in order, and the repositories
	// are counted, the last event of the count at Total.
	var steps []string
	var counted []ProgressEvent
	for _, e := range events {
		if e.Total > 0 {
			counted = append(counted, e)
			assert.Equal(t, "updates", e.Step)
			assert.LessOrEqual(t, e.N, e.Total)
			continue
		}
		if e.Done {
			steps = append(steps, e.Step+" end")
		} else {
			steps = append(steps, e.Step+" start")
		}
	}
	assert.Equal(t, []string{"detect start", "detect end", "inventory start", "inventory end", "updates start", "updates end",
		"reboot start", "reboot end", "assess start", "assess end"}, steps)
	require.NotEmpty(t, counted)
	assert.Equal(t, 1, counted[0].Total, "one enabled repository")
	assert.Contains(t, counted, ProgressEvent{Step: "updates", Detail: "pk-obs", N: 0, Total: 1})
	last := counted[len(counted)-1]
	assert.Equal(t, last.Total, last.N)

	// The logger: the backend's record of the obsolete.
	assert.Contains(t, logs.String(), `"msg":"available package obsoletes an installed one; not offered"`)
	assert.Contains(t, logs.String(), `"by":"pk-new-0:1.0-1.noarch"`)
	assert.True(t, strings.Count(logs.String(), "\n") >= 1)
}
