package policy_test

import (
	"fmt"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline/policy"
)

// BenchmarkResolve resolves a fleet's worth of nodes: through a patch
// policy (AWS-owned and custom selections), a patch group, and the
// defaults.
func BenchmarkResolve(b *testing.B) {
	r := testRegistry(b)
	p, err := policy.LoadQuickSetup(open(b, awsExample))
	if err != nil {
		b.Fatal(err)
	}
	nodes := []policy.Node{
		{OperatingSystem: patchkit.OSAlmaLinux, Tags: map[string]string{"Patch": "true"}},
		{OperatingSystem: patchkit.OSUbuntu, Tags: map[string]string{"Patch": "true"}},
		{OperatingSystem: patchkit.OSUbuntu, Tags: map[string]string{"PatchGroup": "web"}},
		{OperatingSystem: patchkit.OSDebian},
	}
	for i, n := range nodes {
		b.Run(fmt.Sprint(i), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := policy.Resolve(n, r, policy.Sources{Policy: p}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
