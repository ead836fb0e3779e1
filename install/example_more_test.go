package install_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/compliance"
	"github.com/patchkit/patchkit/install"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/run"
)

// Patch this host with the AWS-owned baseline for its operating system,
// as AWS-RunPatchBaseline's Install does, but stop after the package
// manager's plan is checked (DryRun). Without DryRun it installs, verifies
// and reboots if needed; it must run as root. It acts on the host it runs
// on, so the example has no Output comment: go test compiles it and does
// not run it (ExampleWithHooks and ExampleDryRun run on a root).
func ExampleInstall() {
	ctx := context.Background()
	o, facts, err := scan.Host(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := run.NewLocal()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := install.Install(ctx, os.DirFS("/"), install.At(time.Now()), install.WithRunner(l),
		install.WithOS(o), install.WithHostFacts(facts), install.DryRun())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range res.Targets {
		fmt.Println("would install", t.KBID, t.Version.EVR())
	}
}

// Install on a root file system (an image, a chroot) that misses nothing
// the baseline approves: the runner is never called, and the report is an
// Install operation's.
func ExampleInstall_nothingToInstall() {
	root, err := os.MkdirTemp("", "patchkit-root")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	// A Debian 12 root: its os-release and dpkg database, and no repository.
	for dst, src := range map[string]string{
		"etc/os-release":      "../testdata/osdetect/debian-12/etc/os-release",
		"var/lib/dpkg/status": "../testdata/dpkg/db/debian-12-minbase/status",
	} {
		b, err := os.ReadFile(src)
		if err == nil {
			err = os.MkdirAll(filepath.Join(root, filepath.Dir(dst)), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(root, dst), b, 0o644)
		}
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	never := run.RunnerFunc(func(ctx context.Context, c run.Command) (run.Result, error) {
		return run.Result{}, fmt.Errorf("not expected: %v", c.Argv())
	})
	res, err := install.Install(context.Background(), os.DirFS(root), install.Root(root), install.WithRunner(never),
		install.At(time.Date(2025, 11, 24, 9, 0, 0, 0, time.UTC)), install.WithArch("x86_64"),
		install.WithRebootOption(compliance.NoReboot))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := res.Report.Summary
	fmt.Println(len(res.Targets), s.Operation, s.RebootOption, s.Status, s.InstalledOtherCount)
	// Output:
	// 0 Install NoReboot COMPLIANT 96
}

// An InstallOverrideList in the YAML form AWS-RunPatchBaseline reads; a
// malformed one is an error naming the line.
func ExampleLoadOverrideList() {
	l, err := install.LoadOverrideList(strings.NewReader(`patches:
  - id: 'kernel.x86_64'
  - id: 'dhclient*'
    title: '*4.2.5-58.amzn2'
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range l.Patches {
		fmt.Printf("line %d: %q %q\n", e.Line, e.ID, e.Title)
	}

	_, err = install.LoadOverrideList(strings.NewReader("patches:\n  - title: 'no id'\n"))
	fmt.Println(err)
	// Output:
	// line 2: "kernel.x86_64" ""
	// line 3: "dhclient*" "*4.2.5-58.amzn2"
	// install override list: line 2: entry without an id
}

func ExampleOverrideList_Matches() {
	l, err := install.LoadOverrideList(strings.NewReader("patches:\n  - id: 'dhclient*'\n    title: '*4.2.5-58.amzn2'\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, nevra := range []string{"dhclient-12:4.2.5-58.amzn2.x86_64", "dhclient-12:4.2.5-57.amzn2.x86_64", "dhcp-common-12:4.2.5-58.amzn2.x86_64"} {
		p, _ := patchkit.ParseNEVRA(nevra)
		fmt.Println(nevra, l.Matches(patchkit.OSAmazonLinux2, p))
	}
	// Output:
	// dhclient-12:4.2.5-58.amzn2.x86_64 true
	// dhclient-12:4.2.5-57.amzn2.x86_64 false
	// dhcp-common-12:4.2.5-58.amzn2.x86_64 false
}
