package zypper_test

import (
	"context"
	"fmt"

	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/zypper"
)

// With NativeAllVersions, NativeUpdates also returns every other newer
// version an enabled repository offers (Candidate false), each classified
// by the patches that name it: on the testbed, tb-multi 1.2-1, a security
// fix behind the enhancement 1.3-1 that zypper would install. Replayed
// from zypper's recorded answers on the testbed root.
func ExampleNativeAllVersions() {
	r := loadDir("../../testdata/zypper/scenarios/testbed")
	ctx := context.Background()
	installed, err := rpmdb.Query(ctx, r.replay, rpmdb.WithRoot(r.root))
	if err != nil {
		panic(err)
	}
	updates, err := zypper.NativeUpdates(ctx, r.replay, installed, zypper.NativeRoot(r.root), zypper.NativeAllVersions(true))
	if err != nil {
		panic(err)
	}
	for _, p := range updates {
		fmt.Printf("%s %s candidate=%v %s %q %q %v\n", p.Name, p.EVR(), p.Candidate, p.Repository, p.Classification, p.Severity, p.AdvisoryIDs)
	}
	// Output:
	// kernel-tb 0:5.1-1 candidate=true tb-updates "Security" "Critical" [TBSA-2026:0003]
	// tb-hello 0:1.1-1 candidate=true tb-updates "Bugfix" "" [TBBA-2026:0002]
	// tb-lib 1:2.0-2 candidate=true tb-updates "Security" "Important" [TBSA-2026:0001]
	// tb-multi 0:1.3-1 candidate=true tb-updates "Enhancement" "" [TBEA-2026:0006]
	// tb-multi 0:1.2-1 candidate=false tb-updates "Security" "Moderate" [TBSA-2026:0005]
	// tb-multi 0:1.1-1 candidate=false tb-updates "Bugfix" "" [TBBA-2026:0004]
}
