package dnf_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/run"
)

// dnf appends to its logs (dnf.log, hawkey.log, ...) on every command, a
// query too. NativePrivateLogs gives them a directory of their own, made
// through the runner (mktemp) and removed when the commands are done, so
// that a scan leaves no trace in the node's /var/log. Here mktemp and rm
// run on this machine, and the dnf commands replay what dnf printed for
// the testbed root (testdata/dnf/testbed), recorded without the logdir
// setting, which the runner therefore drops before it replays them. The
// directory mktemp made is shown as /LOGDIR; dnf's logdir climbs out of
// the install root to it.
func ExampleNativePrivateLogs() {
	var recs []run.Recording
	for _, name := range []string{"repoquery-upgrades.txt", "check-update.txt", "updateinfo-list.txt", "updateinfo-info.txt"} {
		data, err := os.ReadFile("../../testdata/dnf/testbed/" + name)
		if err != nil {
			fmt.Println(err)
			return
		}
		rec, err := run.ParseRecording(name, data)
		if err != nil {
			fmt.Println(err)
			return
		}
		recs = append(recs, rec)
	}
	var root string
	for _, a := range recs[0].Argv {
		if v, ok := strings.CutPrefix(a, "--installroot="); ok {
			root = v
		}
	}
	local, err := run.NewLocal()
	if err != nil {
		fmt.Println(err)
		return
	}
	replay := run.NewReplay(recs...)
	var logDir string
	r := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		switch c.Path {
		case "/usr/bin/mktemp":
			res, err := local.Run(ctx, c)
			logDir = strings.TrimSpace(string(res.Stdout))
			fmt.Println(c)
			return res, err
		case "/usr/bin/rm":
			fmt.Println(strings.ReplaceAll(c.String(), logDir, "/LOGDIR"))
			return local.Run(ctx, c)
		}
		i := slices.IndexFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--setopt=logdir=") })
		sub := slices.IndexFunc(c.Args, func(a string) bool { return a == "repoquery" || a == "check-update" || a == "updateinfo" })
		fmt.Println(c.Path, c.Args[sub], strings.ReplaceAll(c.Args[i], logDir, "/LOGDIR"))
		c.Args = slices.Delete(slices.Clone(c.Args), i, i+1)
		return replay.Run(ctx, c)
	})
	patches, err := dnf.NativeUpdates(context.Background(), r, apiInventory(),
		dnf.NativeInstallRoot(root), dnf.NativeReleasever("1"), dnf.NativeSetopt("reposdir", root+"/etc/yum.repos.d"),
		dnf.NativeCacheOnly(true), dnf.NativeArch("x86_64"), dnf.NativePrivateLogs(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = os.Stat(logDir)
	fmt.Println(len(patches), "patches; log directory removed:", os.IsNotExist(err))
	// Output:
	// /usr/bin/mktemp -d -t patchkit-dnf-logs.XXXXXXXXXX
	// /usr/bin/dnf repoquery --setopt=logdir=../../../../../LOGDIR
	// /usr/bin/dnf check-update --setopt=logdir=../../../../../LOGDIR
	// /usr/bin/dnf updateinfo --setopt=logdir=../../../../../LOGDIR
	// /usr/bin/dnf updateinfo --setopt=logdir=../../../../../LOGDIR
	// /usr/bin/rm -r -f -- /LOGDIR
	// 6 patches; log directory removed: true
}
