package main

import (
	"net"
	"strings"
	"testing"
)

// TestNetworkErrors: a repository on a closed port or on a host name that
// does not resolve is reported with the URL and the transport's error,
// not "context canceled" (what the client's error was before); the run
// reports both and exits 1.
func TestNetworkErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	o, code, stderr := runJSON(t, "-apt", dead+"/debian", "-suite", "stable", "-arch", "amd64",
		"-rpmmd", "http://nonexistent.invalid/repo", "-allow-unverified")
	if code != 1 || len(o.Repositories) != 2 || stderr != "" {
		t.Fatalf("code %d, stderr %q, %+v", code, stderr, o)
	}
	for i, want := range [][]string{
		{dead + "/debian/dists/stable/InRelease", "connection refused"},
		{"http://nonexistent.invalid/repo/repodata/repomd.xml", "nonexistent.invalid"},
	} {
		e := o.Repositories[i]
		if e.Error == nil || strings.Contains(*e.Error, "context canceled") {
			t.Errorf("%s: %+v", e.Name, e)
			continue
		}
		for _, w := range want {
			if !strings.Contains(*e.Error, w) {
				t.Errorf("%s: error %q does not name %q", e.Name, *e.Error, w)
			}
		}
	}
}
