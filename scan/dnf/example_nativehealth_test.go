package dnf_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// A native scan's repository health: dnf -C uses whatever metadata it
// cached, however old, so NativeHealth judges the cache as Updates does
// (repomd.xml's signature and date, its data files present at their size;
// no package list read) and leaves out what a repository that is not OK
// offers. Here what dnf printed for the recorded testbed root (replayed),
// judged an hour after the metadata was made, then nine days after (the
// default maximum age is a week).
func ExampleNativeHealth() {
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
	var root string
	for _, a := range recs[1].Argv {
		if v, ok := strings.CutPrefix(a, "--installroot="); ok {
			root = v
		}
	}
	patches, err := dnf.NativeUpdates(context.Background(), run.NewReplay(recs[1:]...), installed, dnf.NativeInstallRoot(root),
		dnf.NativeReleasever("1"), dnf.NativeSetopt("reposdir", root+"/etc/yum.repos.d"), dnf.NativeCacheOnly(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	made := time.Date(2026, 11, 30, 18, 32, 37, 0, time.UTC) // the fixture's repomd.xml
	for _, at := range []time.Time{made.Add(time.Hour), made.Add(9 * 24 * time.Hour)} {
		kept, statuses, err := dnf.NativeHealth(context.Background(), os.DirFS("../../testdata/dnf/testbed-root"), patches,
			dnf.WithArch("x86_64"), dnf.WithNow(at))
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, s := range statuses {
			fmt.Println(s.Name, s.Health)
		}
		fmt.Println(len(kept), "of", len(patches), "versions kept")
	}
	// Output:
	// tb-base OK
	// tb-updates OK
	// 6 of 6 versions kept
	// tb-base STALE
	// tb-updates STALE
	// 0 of 6 versions kept
}

// NativeLogDir sends dnf's logs to a directory of the host: with an
// install root, which dnf puts in front of logdir, the value climbs out of
// the root first.
func ExampleNativeLogDir() {
	cmds, err := dnf.NativeCommands(dnf.NativeInstallRoot("/srv/roots/el9"), dnf.NativeLogDir("/tmp/scan-logs"), dnf.NativeCacheOnly(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cmds.CheckUpdate)
	// Output:
	// /usr/bin/dnf -q --installroot=/srv/roots/el9 --setopt=logdir=../../../tmp/scan-logs -C check-update
}
