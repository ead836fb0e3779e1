package dnf_test

import (
	"bytes"
	"fmt"
	"os"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/patchkit/patchkit/scan/dnf"
)

// The versions dnf repoquery lists, each with its repository and source
// package, from a run on the testbed's dnf root.
func ExampleParseRepoquery() {
	pkgs, err := dnf.ParseRepoquery(recording("repoquery-upgrades.txt").Stdout)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range pkgs {
		fmt.Println(p.NEVRA(), p.Repository, p.SourceName)
	}
	// Output:
	// kernel-tb-0:5.1-1.noarch tb-updates kernel-tb
	// tb-hello-0:1.1-1.noarch tb-updates tb-hello
	// tb-lib-1:2.0-2.noarch tb-updates tb-lib
	// tb-multi-0:1.1-1.noarch tb-updates tb-multi
	// tb-multi-0:1.2-1.noarch tb-updates tb-multi
	// tb-multi-0:1.3-1.noarch tb-updates tb-multi
}

func ExampleParseUpdateinfoList() {
	entries, err := dnf.ParseUpdateinfoList(recording("updateinfo-list-all-v.txt").Stdout)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Println(e.ID, e.Label, e.Package.NEVRA(), e.Installed, e.Updated.UTC().Format("2006-01-02"))
	}
	// Output:
	// TBSA-2026:0003 Critical/Sec. kernel-tb-0:5.1-1.noarch false 2026-11-03
	// TBBA-2026:0002 bugfix tb-hello-0:1.1-1.noarch false 2026-11-02
	// TBSA-2026:0001 Important/Sec. tb-lib-1:2.0-2.noarch false 2026-11-01
	// TBBA-2026:0004 bugfix tb-multi-0:1.1-1.noarch false 2026-11-04
	// TBSA-2026:0005 Moderate/Sec. tb-multi-0:1.2-1.noarch false 2026-11-05
	// TBEA-2026:0006 enhancement tb-multi-0:1.3-1.noarch false 2026-11-06
}

func ExampleParseUpdateinfoInfo() {
	infos, err := dnf.ParseUpdateinfoInfo(recording("updateinfo-info.txt").Stdout)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range infos {
		fmt.Println(a.ID, a.Type, a.Severity, a.CVEs, a.Bugs)
	}
	// Output:
	// TBSA-2026:0003 security Critical [CVE-2026-0003] []
	// TBSA-2026:0001 security Important [CVE-2026-0001] []
	// TBSA-2026:0005 security Moderate [CVE-2026-0005] []
	// TBBA-2026:0002 bugfix None [] []
	// TBBA-2026:0004 bugfix None [] []
	// TBEA-2026:0006 enhancement None [] []
}

// The keys dnf imported for a repository whose metadata it verifies
// (repo_gpgcheck), from the keybox in its cache, as an OpenPGP keyring.
func ExampleParseKeybox() {
	path := "../../testdata/dnf/testbed-root/var/cache/dnf/tb-updates-f5e7d8ad02d6d7c1/pubring/pubring.kbx"
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	keyring, err := dnf.ParseKeybox(path, data)
	if err != nil {
		fmt.Println(err)
		return
	}
	keys, err := openpgp.ReadKeyRing(bytes.NewReader(keyring))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range keys {
		for name := range k.Identities {
			fmt.Printf("%X %s\n", k.PrimaryKey.Fingerprint, name)
		}
	}
	// Output:
	// DA2F0A45C0659ADC2568ACEB27F2F623BF438946 patchkit testbed rpm signing <testbed@example.invalid>
}
