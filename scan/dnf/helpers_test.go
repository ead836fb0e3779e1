package dnf_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/repo/rpmmd"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

var update = flag.Bool("update", false, "rewrite testdata/dnf from the running testbed")

const (
	fixtureRoot = "../../testdata/dnf/testbed-root"
	recordings  = "../../testdata/dnf/testbed"
)

// nativeOpts are the options that make NativeUpdates work on a testbed
// root: the same as the testbed's DNFArgs, and -C (cache only).
func nativeOpts(t testing.TB, root string) []dnf.NativeOption {
	t.Helper()
	opts := []dnf.NativeOption{dnf.NativeInstallRoot(root), dnf.NativeReleasever("1"),
		dnf.NativeSetopt("reposdir", filepath.Join(root, "etc/yum.repos.d")), dnf.NativeCacheOnly(true)}
	cmds, err := dnf.NativeCommands(opts...)
	if err != nil {
		t.Fatal(err)
	}
	env := testbed.Env{RPMRoot: root}
	for _, a := range env.DNFArgs() {
		if !slices.Contains(cmds.Repoquery.Args, a) {
			t.Fatalf("native options %v lack the testbed's dnf argument %s", cmds.Repoquery.Args, a)
		}
	}
	return opts
}

// inventory reads the installed packages of a root from its rpm database.
func inventory(t testing.TB, root string) []patchkit.Package {
	t.Helper()
	_, pkgs, err := rpmdb.Read(t.Context(), os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// repomdDate is the newest repomd.xml date of the root's dnf cache.
func repomdDate(t testing.TB, root string) time.Time {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "var/cache/dnf/*/repodata/repomd.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cached repomd.xml under %s: %v", root, err)
	}
	var newest time.Time
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		md, err := rpmmd.ParseRepomd(f, bytes.NewReader(b), rpmmd.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if md.Generated.After(newest) {
			newest = md.Generated
		}
	}
	return newest
}

// view is what the two backends must agree on for one version.
type view struct {
	NEVRA, Repo            string
	Candidate, Security    bool
	Class, Severity        string
	Advisories, CVEs, Bugs string
	Date                   time.Time
}

func views(ps []patchkit.Patch, withDate bool) []view {
	var out []view
	for _, p := range ps {
		v := view{NEVRA: p.NEVRA(), Repo: p.Repository, Candidate: p.Candidate, Security: p.Security,
			Class: p.Classification, Severity: p.Severity, Advisories: strings.Join(p.AdvisoryIDs, ","),
			CVEs: strings.Join(p.CVEIDs, ","), Bugs: strings.Join(p.BugzillaIDs, ",")}
		if withDate {
			v.Date = p.ReleaseDate
		}
		out = append(out, v)
	}
	return out
}

// diffViews returns the differences between two lists, one line each.
func diffViews(a, b []view) string {
	var s strings.Builder
	n := max(len(a), len(b))
	for i := range n {
		var x, y view
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			fmt.Fprintf(&s, "  metadata %+v\n  native   %+v\n", x, y)
		}
	}
	return s.String()
}

// candidates returns the NEVRAs of the Candidate patches.
func candidates(ps []patchkit.Patch) []string {
	var out []string
	for _, p := range ps {
		if p.Candidate {
			out = append(out, p.NEVRA())
		}
	}
	return out
}

// dnfList runs dnf with the root's options and returns its standard output.
func dnfList(t testing.TB, root string, args ...string) string {
	t.Helper()
	r, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	env := testbed.Env{RPMRoot: root}
	c := run.Command{Path: "/usr/bin/dnf", Args: append(append([]string{"-q", "-C"}, env.DNFArgs()...), args...), OKCodes: []int{100}}
	res, err := r.Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return string(res.Stdout)
}

// fullList is dnf's own list of every upgrade version, as NEVRAs with the
// epoch, sorted: repoquery --upgrades --show-duplicates.
func fullList(t testing.TB, root string) []string {
	t.Helper()
	out := dnfList(t, root, "repoquery", "--upgrades", "--show-duplicates", "--queryformat", `%{name}-%{epoch}:%{version}-%{release}.%{arch}`)
	l := strings.Fields(out)
	slices.Sort(l)
	return l
}

func nevras(ps []patchkit.Patch) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.NEVRA())
	}
	slices.Sort(out)
	return out
}
