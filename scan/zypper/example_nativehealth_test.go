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
// names one repository per version: tb-updates has 1.3-1 too, which is
// then missed; NativeRepoHealth's example does not miss it). Replayed from
// zypper's recorded answers.
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

// A native scan judges the repositories before zypper is asked and leaves
// out those that are not OK: zypper then works with the others alone
// (`zypper repos` lists them, and every query is restricted to them with
// -r ALIAS), so it chooses, attributes and classifies among the healthy
// repositories as the metadata backend does. On the same recorded root as
// NativeHealth's example, tb-unsigned is left out and tb-multi 1.3-1 comes
// from tb-updates, which has it too; Keep, the last guard, has nothing to
// leave out. Replayed from zypper's recorded answers.
func ExampleNativeRepoHealth() {
	r := loadDir("../../testdata/zypper/scenarios/unsigned")
	ctx := context.Background()
	installed, err := rpmdb.Query(ctx, r.replay, rpmdb.WithRoot(r.root))
	if err != nil {
		panic(err)
	}
	h, err := zypper.NativeRepoHealth(ctx, os.DirFS("../../testdata/zypper/scenarios/unsigned/root"),
		zypper.WithArch("x86_64"), zypper.WithNow(r.now), zypper.WithKeyring(r.keys))
	if err != nil {
		panic(err)
	}
	fmt.Println("not OK:", h.NotOK())
	updates, err := zypper.NativeUpdates(ctx, r.replay, installed, zypper.NativeRoot(r.root), zypper.NativeDisableRepos(h.NotOK()...))
	if err != nil {
		panic(err)
	}
	kept, statuses := h.Keep(updates)
	for _, p := range kept {
		fmt.Println("kept:", p.Name, p.EVR(), p.Repository)
	}
	fmt.Println(len(kept), "of", len(updates), "kept;", len(statuses), "repositories")
	// Output:
	// not OK: [tb-unsigned]
	// kept: kernel-tb 0:5.1-1 tb-updates
	// kept: tb-hello 0:1.1-1 tb-updates
	// kept: tb-lib 1:2.0-2 tb-updates
	// kept: tb-multi 0:1.3-1 tb-updates
	// 4 of 4 kept; 3 repositories
}
