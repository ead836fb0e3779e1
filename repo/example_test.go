package repo_test

import (
	"context"
	"fmt"
	"strings"
	"testing/fstest"

	"github.com/patchkit/patchkit/repo"
)

func ExampleParseSourcesList() {
	srcs, err := repo.ParseSourcesList("sources.list", strings.NewReader(
		"deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main contrib\n"+
			"deb http://deb.debian.org/debian\n"))
	for _, s := range srcs {
		fmt.Println(s.URIs[0], s.Suites[0], s.Components, s.Architectures, s.SignedBy)
	}
	fmt.Println(err)
	// Output:
	// http://deb.debian.org/debian bookworm [main contrib] [amd64] [/usr/share/keyrings/debian-archive-keyring.gpg]
	// sources.list:2: want a URI and a suite
}

func ExampleParseDeb822Sources() {
	srcs, _ := repo.ParseDeb822Sources("debian.sources", strings.NewReader(`Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`))
	fmt.Println(srcs[0].Suites, srcs[0].Enabled)
	// Output: [bookworm bookworm-updates] true
}

func ExampleParseRepoFile() {
	repos, _ := repo.ParseRepoFile("centos.repo", strings.NewReader(`[baseos]
name=CentOS Stream $releasever - BaseOS
baseurl=https://mirror.example/$releasever-stream/BaseOS/$basearch/os/
gpgcheck=1
metadata_expire=6h
`), repo.DNF, repo.Vars{"releasever": "9", "basearch": "x86_64"})
	r := repos[0]
	fmt.Println(r.ID, r.BaseURLs[0], r.GPGCheck, r.RepoGPGCheck, r.MetadataExpire)
	// Output: baseos https://mirror.example/9-stream/BaseOS/x86_64/os/ true false 6h0m0s
}

func ExampleLoadAptSources() {
	root := fstest.MapFS{
		"etc/apt/sources.list":            {Data: []byte("deb http://deb.debian.org/debian bookworm main\n")},
		"etc/apt/sources.list.d/bad.list": {Data: []byte("deb http://broken.example\n")},
	}
	srcs, err := repo.LoadAptSources(context.Background(), root)
	fmt.Println(len(srcs), srcs[0].File, err)
	// Output: 1 /etc/apt/sources.list /etc/apt/sources.list.d/bad.list:1: want a URI and a suite
}
