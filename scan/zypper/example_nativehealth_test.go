package zypper_test

import (
	"context"
	"fmt"
	"os"

	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/zypper"
)

// A native scan's repository health: zypper uses the metadata it cached
// for tb-unsigned, a repository whose repomd.xml has no signature (it was
// refreshed with --no-gpg-checks), and offers tb-multi 1.3-1 from it.
// NativeHealth judges the raw cache as Updates does (signature, date, data
// files present at their size; no package list read), reports
// tb-unsigned UNSIGNED, and leaves out what zypper shows from it (zypper
// names one repository per version: tb-updates has 1.3-1 too, which the
// native scan then misses). Replayed from zypper's recorded answers.
func ExampleNativeHealth() {
	r := loadDir("../../testdata/zypper/scenarios/unsigned")
	ctx := context.Background()
	installed, err := rpmdb.Query(ctx, r.replay, rpmdb.WithRoot(r.root))
	if err != nil {
		panic(err)
	}
	updates, err := zypper.NativeUpdates(ctx, r.replay, installed, zypper.NativeRoot(r.root))
	if err != nil {
		panic(err)
	}
	kept, statuses, err := zypper.NativeHealth(ctx, os.DirFS("../../testdata/zypper/scenarios/unsigned/root"), updates,
		zypper.WithArch("x86_64"), zypper.WithNow(r.now), zypper.WithKeyring(r.keys))
	if err != nil {
		panic(err)
	}
	for _, s := range statuses {
		fmt.Println(s.Name, s.Health, "verified:", s.Verified)
	}
	for _, p := range updates {
		fmt.Println("zypper:", p.Name, p.EVR(), p.Repository)
	}
	for _, p := range kept {
		fmt.Println("kept:", p.Name, p.EVR(), p.Repository)
	}
	// Output:
	// tb-base OK verified: true
	// tb-unsigned UNSIGNED verified: false
	// tb-updates OK verified: true
	// zypper: kernel-tb 0:5.1-1 tb-updates
	// zypper: tb-hello 0:1.1-1 tb-updates
	// zypper: tb-lib 1:2.0-2 tb-updates
	// zypper: tb-multi 0:1.3-1 tb-unsigned
	// kept: kernel-tb 0:5.1-1 tb-updates
	// kept: tb-hello 0:1.1-1 tb-updates
	// kept: tb-lib 1:2.0-2 tb-updates
}
