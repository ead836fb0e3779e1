package install

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testutil"
)

// rpmSpec is a package the testbed tests build with rpmbuild: noarch,
// release 1, shipping /usr/share/testbed/NAME.txt ("NAME VERSION").
type rpmSpec struct {
	name, version string
	requires      []string
	// post is a %post scriptlet, run by /bin/sh inside the root, which
	// shellSpec's package provides (the testbed's rpm roots have no shell).
	post string
	// shell makes the package the roots' /bin/sh: this machine's dash and
	// the C library it needs, providing /bin/sh (x86_64).
	shell bool
	// pad adds /usr/share/testbed/NAME.pad, that many zero bytes: a
	// package that needs room on disk but downloads small.
	pad int
}

// shellSpec is tb-sh 1.0, the /bin/sh of scriptlets in a root.
var shellSpec = rpmSpec{name: "tb-sh", version: "1.0", shell: true}

func (s rpmSpec) text() string {
	var b strings.Builder
	arch := "noarch"
	if s.shell {
		arch = "x86_64"
	}
	fmt.Fprintf(&b, "Name: %s\nVersion: %s\nRelease: 1\nSummary: patchkit install test package %s\nLicense: MIT\nBuildArch: %s\n",
		s.name, s.version, s.name, arch)
	for _, r := range s.requires {
		fmt.Fprintf(&b, "Requires: %s\n", r)
	}
	if s.shell {
		b.WriteString("AutoReqProv: no\nProvides: /bin/sh\n%description\nThis machine's dash and C library, as /bin/sh.\n%install\n" +
			"mkdir -p %{buildroot}/bin %{buildroot}/lib64 %{buildroot}/lib/x86_64-linux-gnu\ncp /bin/dash %{buildroot}/bin/sh\n" +
			"cp -L /lib64/ld-linux-x86-64.so.2 %{buildroot}/lib64/\ncp -L /lib/x86_64-linux-gnu/libc.so.6 %{buildroot}/lib/x86_64-linux-gnu/\n" +
			"%files\n/bin/sh\n/lib64/ld-linux-x86-64.so.2\n/lib/x86_64-linux-gnu/libc.so.6\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%%description\nA patchkit install test package: one text file.\n%%install\nmkdir -p %%{buildroot}/usr/share/testbed\n"+
		"echo '%s %s' > %%{buildroot}/usr/share/testbed/%s.txt\n", s.name, s.version, s.name)
	if s.pad > 0 {
		fmt.Fprintf(&b, "head -c %d /dev/zero > %%{buildroot}/usr/share/testbed/%s.pad\n", s.pad, s.name)
	}
	if s.post != "" {
		fmt.Fprintf(&b, "%%post\n%s\n", s.post)
	}
	fmt.Fprintf(&b, "%%files\n/usr/share/testbed/%s.txt\n", s.name)
	if s.pad > 0 {
		fmt.Fprintf(&b, "/usr/share/testbed/%s.pad\n", s.name)
	}
	return b.String()
}

// buildRPMs builds the packages with one rpmbuild run (unsigned) and
// returns their files by NAME-VERSION.
func buildRPMs(t *testing.T, specs ...rpmSpec) map[string]string {
	t.Helper()
	rpmbuild := testutil.NeedTool(t, "rpmbuild", "rpm")
	work := t.TempDir()
	var files []string
	for _, s := range specs {
		if s.shell {
			testutil.NeedTool(t, "dash", "dash")
		}
		f := filepath.Join(work, s.name+"-"+s.version+".spec")
		require.NoError(t, os.WriteFile(f, []byte(s.text()), 0o644))
		files = append(files, f)
	}
	top := filepath.Join(work, "top")
	args := []string{"-bb", "--quiet", "--define", "_topdir " + top, "--define", "_source_date_epoch_from_changelog 0",
		// rpmbuild would look the host name up, strip and compress hard:
		// seconds this test does not need
		"--define", "_buildhost testbed.invalid", "--define", "debug_package %{nil}", "--define", "__strip /bin/true",
		"--define", "_binary_payload w1.gzdio"}
	out, err := exec.CommandContext(t.Context(), rpmbuild, append(args, files...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	built := map[string]string{}
	for _, s := range specs {
		arch := "noarch"
		if s.shell {
			arch = "x86_64"
		}
		built[s.name+"-"+s.version] = filepath.Join(top, "RPMS", arch, s.name+"-"+s.version+"-1."+arch+".rpm")
	}
	return built
}

// rpmRepo copies the package files into a new repository directory,
// indexes it with createrepo_c and returns it.
func rpmRepo(t *testing.T, files ...string) string {
	t.Helper()
	createrepo := testutil.NeedTool(t, "createrepo_c", "createrepo-c")
	dir := filepath.Join(t.TempDir(), "repo")
	require.NoError(t, os.Mkdir(dir, 0o755))
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644))
	}
	out, err := exec.CommandContext(t.Context(), createrepo, "--quiet", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return dir
}

// rpmInstall installs package files into the root with rpm, to set a test
// up.
func rpmInstall(t *testing.T, root string, files ...string) {
	t.Helper()
	rpm := testutil.NeedTool(t, "rpm", "rpm")
	out, err := exec.CommandContext(t.Context(), rpm, append([]string{"--root", root, "-i"}, files...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
}
