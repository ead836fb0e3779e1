package repo_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/patchkit/patchkit/repo"
)

// The signed test archive and its keys (testdata/SOURCES.md).
const (
	apiReleaseDir = "../testdata/repo/apt/v1/dists/stable/"
	apiKeysDir    = "../testdata/repo/keys/"
)

// apt's per-source options, from either syntax: the one-line form's
// [key=value] and a deb822 file's extra fields, keys in lower case.
// BoolOption gives the default for an option that is absent or not a
// boolean ("maybe").
func ExampleAptSource_Option() {
	one, err := repo.ParseSourcesList("sources.list", strings.NewReader(
		"deb [arch=amd64 check-valid-until=no trusted=yes] http://snapshot.debian.org/archive/debian/20251101T000000Z bookworm main\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	deb822, err := repo.ParseDeb822Sources("debian.sources", strings.NewReader(`Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Check-Valid-Until: no
Allow-Downgrade-To-Insecure: maybe
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range append(one, deb822...) {
		v, ok := s.Option("check-valid-until")
		fmt.Printf("%s:%d check-valid-until=%q %v trusted=%v allow-downgrade-to-insecure=%v\n", s.File, s.Line, v, ok,
			s.BoolOption("trusted", false), s.BoolOption("allow-downgrade-to-insecure", false))
	}
	// Output:
	// sources.list:1 check-valid-until="no" true trusted=true allow-downgrade-to-insecure=false
	// debian.sources:1 check-valid-until="no" true trusted=false allow-downgrade-to-insecure=false
}

// Sources that trust keys of two archives verify with the keys merged: the
// InRelease of the test archive is signed by archive-a's key only.
func ExampleKeyring_Merge() {
	var rings []*repo.Keyring
	for _, name := range []string{"archive-a.gpg", "archive-b.gpg"} {
		data, err := os.ReadFile(apiKeysDir + name)
		if err != nil {
			fmt.Println(err)
			return
		}
		k, err := repo.ParseKeyring(name, data)
		if err != nil {
			fmt.Println(err)
			return
		}
		rings = append(rings, k)
	}
	both := rings[0].Merge(rings[1])
	fmt.Println(rings[0].Len(), rings[1].Len(), both.Len())

	inRelease, err := os.ReadFile(apiReleaseDir + "InRelease")
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := repo.VerifyOptions{Now: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	for _, k := range []*repo.Keyring{rings[1], both} {
		_, v, err := repo.VerifyClearSigned("InRelease", inRelease, k, opts)
		if err != nil {
			fmt.Println(errors.Is(err, repo.ErrSignature), err)
			continue
		}
		fmt.Println(v.Signers)
	}
	// Output:
	// 1 1 2
	// true InRelease: signed by a key outside the repository's keyring (key 451287EA0A8B8A24)
	// [9D32E9CC911D338EF0BD086A451287EA0A8B8A24]
}

// Fields are looked up without regard to case, as apt does; Get tells an
// absent field from an empty one.
func ExampleParagraph_Get() {
	f, err := os.Open(apiReleaseDir + "Release")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	for p, err := range repo.ParseDeb822("Release", f, repo.Deb822Options{}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, name := range []string{"Suite", "valid-until", "NotAutomatic"} {
			v, ok := p.Get(name)
			fmt.Printf("%s: %q %v\n", name, v, ok)
		}
	}
	// Output:
	// Suite: "stable" true
	// valid-until: "Sun, 15 Nov 2026 00:00:00 UTC" true
	// NotAutomatic: "" false
}

// dnf substitutes its variables in .repo values; ParseRepoFile does it
// for every value, Expand does it for one string.
func ExampleVars_Expand() {
	vars := repo.Vars{"releasever": "9", "basearch": "aarch64", "contentdir": "centos"}
	fmt.Println(vars.Expand("https://mirror.stream.centos.org/$releasever-stream/BaseOS/${basearch}/os/"))
	fmt.Println(vars.Expand("https://mirrors.example/$contentdir/$infra/$releasever_major"))
	// Output:
	// https://mirror.stream.centos.org/9-stream/BaseOS/aarch64/os/
	// https://mirrors.example/centos/$infra/9
}

// A Policy fixes the clock of every check; VerifyOptions hands its
// instant and its digest rule to a signature check.
func ExamplePolicy_VerifyOptions() {
	pol := repo.DefaultPolicy()
	pol.Now = func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }
	opts := pol.VerifyOptions(pol.Time())
	fmt.Println(opts.Now.Format(time.DateOnly), opts.AllowWeakDigest)

	data, err := os.ReadFile(apiKeysDir + "archive-a.gpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	kr, err := repo.ParseKeyring("archive-a.gpg", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	rel, err := os.ReadFile(apiReleaseDir + "Release")
	if err != nil {
		fmt.Println(err)
		return
	}
	sig, err := os.ReadFile(apiReleaseDir + "Release.gpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := repo.VerifyDetached("Release.gpg", rel, sig, kr, opts)
	fmt.Println(v.Signers, err)
	// Output:
	// 2026-11-02 false
	// [9D32E9CC911D338EF0BD086A451287EA0A8B8A24] <nil>
}
