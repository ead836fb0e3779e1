package dnf_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/dnf"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// The commands the executor runs for an image mounted at /srv/image,
// before anything runs: every operand a full NEVRA after "--".
func ExampleNewCommands() {
	lib := patchkit.Package{Name: "openssl-libs", Epoch: patchkit.EpochOf(1), Version: "3.0.7", Release: "27.el9", Arch: "x86_64", Scheme: patchkit.RPM}
	c, err := dnf.NewCommands([]plan.Target{{Version: lib}}, dnf.WithInstallRoot("/srv/image"), dnf.WithReleasever("9"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Plan.String())
	fmt.Println(c.Download.String())
	fmt.Println(c.Commit.String())
	fmt.Println("committing:", c.Commit.Committing)
	// Output:
	// /usr/bin/dnf -v --assumeno --installroot=/srv/image --releasever=9 --setopt=reposdir=/srv/image/etc/yum.repos.d --setopt=exit_on_lock=True --setopt=skip_if_unavailable=False upgrade -- openssl-libs-1:3.0.7-27.el9.x86_64
	// /usr/bin/dnf -y --downloadonly --installroot=/srv/image --releasever=9 --setopt=reposdir=/srv/image/etc/yum.repos.d --setopt=exit_on_lock=True --setopt=skip_if_unavailable=False upgrade -- openssl-libs-1:3.0.7-27.el9.x86_64
	// /usr/bin/dnf -y -C --installroot=/srv/image --releasever=9 --setopt=reposdir=/srv/image/etc/yum.repos.d --setopt=exit_on_lock=True --setopt=skip_if_unavailable=False upgrade -- openssl-libs-1:3.0.7-27.el9.x86_64
	// committing: true
}

// exampleRecordings reads a set of recordings of real dnf runs on the
// testbed (testdata/install/dnf) and the root they ran on.
func exampleRecordings(name string, n int) ([]run.Recording, string, error) {
	var recs []run.Recording
	for i := 1; i <= n; i++ {
		files, _ := filepath.Glob(filepath.Join("../../testdata/install/dnf", fmt.Sprintf("%s-%d-*.txt", name, i)))
		if len(files) != 1 {
			return nil, "", fmt.Errorf("recording %s-%d: %d files", name, i, len(files))
		}
		data, err := os.ReadFile(files[0])
		if err != nil {
			return nil, "", err
		}
		r, err := run.ParseRecording(files[0], data)
		if err != nil {
			return nil, "", err
		}
		recs = append(recs, r)
	}
	for _, a := range recs[0].Argv {
		if root, ok := strings.CutPrefix(a, "--installroot="); ok {
			return recs, root, nil
		}
	}
	return nil, "", errors.New("no root")
}

// Plan tb-dep 1.1, whose new version requires a package that is not
// installed: dnf's plan installs tb-newdep too, and the sizes are the
// packages' own. The runner here answers from recordings of real runs on
// the testbed; on a host it is run.NewLocal().
func ExamplePlan() {
	recs, root, err := exampleRecordings("newdep", 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	target := plan.Target{Version: patchkit.Package{Name: "tb-dep", Epoch: patchkit.EpochOf(0), Version: "1.1", Release: "1", Arch: "noarch", Scheme: patchkit.RPM}}
	p, err := dnf.Plan(context.Background(), run.NewReplay(recs...), []plan.Target{target},
		dnf.WithInstallRoot(root), dnf.WithReleasever("1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range p.Actions {
		fmt.Println(a, "from", a.Package.Repository)
	}
	fmt.Println("download", p.DownloadSize, "bytes; installed size grows by", p.InstalledSizeChange, "bytes")
	// Output:
	// upgrade tb-dep.noarch 0:1.0-1 -> 0:1.1-1 from tb-extra
	// install tb-newdep.noarch 0:1.0-1 from tb-extra
	// download 12299 bytes; installed size grows by 16 bytes
}

// Apply two updates, one of whose %pre scriptlet fails: rpm skips that
// package and installs the other; dnf exits 1 and the Outcome says which
// package failed, why, and in which state it is. Replayed from the
// testbed.
func ExampleApply() {
	recs, root, err := exampleRecordings("scriptlet", 4)
	if err != nil {
		fmt.Println(err)
		return
	}
	mk := func(name, v string) plan.Target {
		return plan.Target{Version: patchkit.Package{Name: name, Epoch: patchkit.EpochOf(0), Version: v, Release: "1", Arch: "noarch", Scheme: patchkit.RPM}}
	}
	out, err := dnf.Apply(context.Background(), run.NewReplay(recs[2:]...), []plan.Target{mk("tb-prefail", "1.1"), mk("tb-hello", "1.1")},
		dnf.WithInstallRoot(root), dnf.WithReleasever("1"))
	var ee *run.ExitError
	fmt.Println("exit", out.ExitCode, errors.As(err, &ee))
	for _, f := range out.Failures {
		fmt.Printf("%s.%s: %s\n", f.Name, f.Arch, f.Reason)
	}
	// Output:
	// exit 1 true
	// tb-prefail.noarch: %prein scriptlet failed, exit status 7; rpm: install failed; not installed
}

// Check an rpm database left by a dnf killed in its transaction: tb-dep is
// installed in two versions; the kernels are installonly and are not
// duplicates.
func ExampleCheck() {
	pkg := func(name, v, r string) patchkit.Package {
		return patchkit.Package{Name: name, Epoch: patchkit.EpochOf(0), Version: v, Release: r, Arch: "x86_64", Scheme: patchkit.RPM}
	}
	installed := []patchkit.Package{
		pkg("tb-dep", "1.0", "1"), pkg("tb-dep", "1.1", "1"),
		pkg("kernel-core", "5.14.0", "427.el9"), pkg("kernel-core", "5.14.0", "503.el9"),
	}
	root := fstest.MapFS{"etc/dnf/dnf.conf": {Data: []byte("[main]\ngpgcheck=1\n")}}
	err := dnf.Check(context.Background(), root, installed, dnf.WithInstallRoot("/srv/image"))
	var re *plan.RepairError
	if errors.As(err, &re) {
		fmt.Println(re.Packages)
		fmt.Println(re.Repair)
	}
	// Output:
	// [tb-dep.x86_64 0:1.0-1 0:1.1-1]
	// /usr/bin/dnf -y --installroot=/srv/image --setopt=reposdir=/srv/image/etc/yum.repos.d --setopt=exit_on_lock=True --setopt=skip_if_unavailable=False remove --duplicates
}
