package dnf_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// A native scan judges the repositories before dnf is asked and disables
// those that are not OK, so that dnf chooses, attributes and classifies
// among the others as the metadata backend does. Here a copy of the
// recorded testbed root whose tb-updates lacks its cached repomd.xml.asc
// (repo_gpgcheck is on): tb-updates is UNSIGNED, and dnf is to be run with
// --disablerepo=tb-updates. Keep is the last guard: of what dnf answered
// when asked about every repository (recorded, replayed here) it leaves
// out what dnf attributes to tb-updates.
func ExampleNativeRepoHealth() {
	src := os.DirFS("../../testdata/dnf/testbed-root")
	root := fstest.MapFS{}
	err := fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(name, "var/cache/dnf/tb-updates-") && strings.HasSuffix(name, "/repomd.xml.asc") {
			return nil // the copy lacks it
		}
		b, err := fs.ReadFile(src, name)
		root[name] = &fstest.MapFile{Data: b, Mode: 0o644}
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	made := time.Date(2026, 11, 30, 18, 32, 37, 0, time.UTC) // the fixture's repomd.xml
	h, err := dnf.NativeRepoHealth(ctx, root, dnf.WithArch("x86_64"), dnf.WithNow(made.Add(time.Hour)))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range h.Repos {
		fmt.Println(s.Name, s.Health)
	}
	cmds, err := dnf.NativeCommands(dnf.NativeInstallRoot("/srv/roots/el9"), dnf.NativeCacheOnly(true), dnf.NativeDisableRepos(h.NotOK()...))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cmds.CheckUpdate)

	var recs []run.Recording
	for _, name := range []string{"rpm-qa.txt", "repoquery-upgrades.txt", "check-update.txt", "updateinfo-list.txt", "updateinfo-info.txt"} {
		b, err := os.ReadFile("../../testdata/dnf/testbed/" + name)
		if err != nil {
			fmt.Println(err)
			return
		}
		r, err := run.ParseRecording(name, b)
		if err != nil {
			fmt.Println(err)
			return
		}
		recs = append(recs, r)
	}
	installed, err := rpmdb.ParseQuery(recs[0].Stdout)
	if err != nil {
		fmt.Println(err)
		return
	}
	var rootDir string
	for _, a := range recs[1].Argv {
		if v, ok := strings.CutPrefix(a, "--installroot="); ok {
			rootDir = v
		}
	}
	asked, err := dnf.NativeUpdates(ctx, run.NewReplay(recs[1:]...), installed, dnf.NativeInstallRoot(rootDir),
		dnf.NativeReleasever("1"), dnf.NativeSetopt("reposdir", rootDir+"/etc/yum.repos.d"), dnf.NativeCacheOnly(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	kept, statuses := h.Keep(asked)
	fmt.Println(len(kept), "of", len(asked), "versions kept;", len(statuses), "repositories")
	// Output:
	// tb-base OK
	// tb-updates UNSIGNED
	// /usr/bin/dnf -q --installroot=/srv/roots/el9 --disablerepo=tb-updates -C check-update
	// 0 of 6 versions kept; 2 repositories
}
