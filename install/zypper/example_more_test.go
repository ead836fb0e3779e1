package zypper_test

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/patchkit/patchkit/install/zypper"
	"github.com/patchkit/patchkit/scan/run"
)

// After an upgrade of tb-slow was killed in its %post, two versions of it
// are installed; zypper verify proposes removing the older one. Nothing
// changes: VerifyPlan runs zypper with --dry-run. Replayed from the
// testbed.
func ExampleVerifyPlan() {
	r, root := replay("repair")
	p, err := zypper.VerifyPlan(context.Background(), r, zypper.WithRoot(root))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range p.Actions {
		fmt.Println(a.Kind, a.Package.NEVRA())
	}
	// Output:
	// remove tb-slow-0:1.0-1.noarch
}

// The package changes of the install summary of a real
// `zypper --xmlout install` of the testbed's security updates.
func ExampleOutput_Actions() {
	data, err := os.ReadFile("../../testdata/install/zypper/happy/02-zypper-install-dry-run.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := run.ParseRecording("happy dry run", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := zypper.ParseOutput("happy dry run", bytes.NewReader(rec.Stdout))
	if err != nil {
		fmt.Println(err)
		return
	}
	acts, err := out.Actions()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range acts {
		fmt.Println(a)
	}
	// Output:
	// upgrade kernel-tb.noarch 0:5.0-1 -> 0:5.1-1
	// upgrade tb-hello.noarch 0:1.0-1 -> 0:1.1-1
	// upgrade tb-lib.noarch 1:2.0-1 -> 1:2.0-2
}
