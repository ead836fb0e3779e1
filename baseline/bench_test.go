package baseline

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
)

// benchBaseline is an Amazon Linux 2023 baseline with 10 rules and 200
// approved and rejected entries of every kind: names, name patterns,
// versioned forms, bare versions and advisory, CVE and Bugzilla IDs. 200
// entries are more than the API allows (50 + 50), so the benchmark compiles
// without validation.
func benchBaseline() *Compiled {
	classes := []string{"Security", "Bugfix", "Enhancement", "Newpackage", "Recommended"}
	sevs := []string{"Critical", "Important", "Medium", "Low"}
	var rules []Rule
	for i := 0; i < 10; i++ {
		rules = append(rules, Rule{
			PatchFilterGroup: FilterGroup{PatchFilters: []Filter{
				{Key: KeyClassification, Values: []string{classes[i%len(classes)], classes[(i+1)%len(classes)]}},
				{Key: KeySeverity, Values: []string{sevs[i%len(sevs)]}},
				{Key: KeyProduct, Values: []string{"AmazonLinux2023", "AmazonLinux2*"}},
			}},
			ComplianceLevel:   patchkit.ComplianceLevel(i % 6),
			ApproveAfterDays:  days(i * 3),
			EnableNonSecurity: i%3 == 0,
		})
	}
	var approved, rejected []string
	for i := 0; i < 100; i++ {
		var e string
		switch i % 10 {
		case 0:
			e = fmt.Sprintf("pkg%d", i*37)
		case 1:
			e = fmt.Sprintf("pkg%d*", i*41)
		case 2:
			e = fmt.Sprintf("pkg%d-1.%d-%d.amzn2023", i*13, i%7, i%5)
		case 3:
			e = fmt.Sprintf("pkg%d.x86_64", i*17)
		case 4:
			e = fmt.Sprintf("ALAS2023-2025-%d", i*11)
		case 5:
			e = fmt.Sprintf("CVE-2025-%d", 1000+i)
		case 6:
			e = fmt.Sprintf("%d", 2000000+i)
		case 7:
			e = fmt.Sprintf("pkg%d-0:1.%d-1.amzn2023.x86_64", i*19, i%7)
		case 8:
			e = fmt.Sprintf("lib%d-*", i)
		case 9:
			e = fmt.Sprintf("*-debuginfo-%d", i)
		}
		approved = append(approved, e)
		rejected = append(rejected, fmt.Sprintf("pkg%d-%d*", i*29, i%3), fmt.Sprintf("rej%d", i))[:len(rejected)+1]
	}
	b := Baseline{Name: "bench", OperatingSystem: patchkit.OSAmazonLinux2023,
		GlobalFilters: FilterGroup{PatchFilters: []Filter{{Key: KeyProduct, Values: []string{"*"}}}},
		ApprovalRules: RuleGroup{PatchRules: rules}, ApprovedPatches: approved, RejectedPatches: rejected,
		ApprovedPatchesComplianceLevel: patchkit.ComplianceHigh}
	b.normalize()
	return compile(b, options{})
}

func benchCandidates(n int) []patchkit.Patch {
	r := rand.New(rand.NewPCG(1, 2))
	classes := []string{"Security", "Bugfix", "Enhancement", "Newpackage", ""}
	sevs := []string{"Critical", "Important", "Medium", "Low", ""}
	release := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	out := make([]patchkit.Patch, n)
	for i := range out {
		name := fmt.Sprintf("pkg%d", r.IntN(20000))
		if i%7 == 0 {
			name = fmt.Sprintf("lib%d-devel", r.IntN(200))
		}
		p := patchkit.Patch{Package: patchkit.Package{Name: name, Epoch: patchkit.EpochOf(0),
			Version: fmt.Sprintf("1.%d", r.IntN(10)), Release: fmt.Sprintf("%d.amzn2023", r.IntN(6)),
			Arch: "x86_64", Scheme: patchkit.RPM}}
		c := classes[r.IntN(len(classes))]
		if c != "" {
			p.Classification, p.Severity, p.Security = c, sevs[r.IntN(len(sevs))], true
			p.AdvisoryIDs = []string{fmt.Sprintf("ALAS2023-2025-%d", r.IntN(2000))}
			p.CVEIDs = []string{fmt.Sprintf("CVE-2025-%d", 1000+r.IntN(300))}
		}
		p.ReleaseDate = release.Add(time.Duration(r.IntN(40*24)) * time.Hour)
		out[i] = p
	}
	return out
}

// BenchmarkEvaluate100k evaluates 100,000 candidates against a baseline with
// 10 rules and 200 approved and rejected entries.
func BenchmarkEvaluate100k(b *testing.B) {
	c := benchBaseline()
	cands := benchCandidates(100_000)
	node := Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"}
	now := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	var approved int
	for b.Loop() {
		ds, err := c.Evaluate(node, cands, now)
		if err != nil {
			b.Fatal(err)
		}
		approved = 0
		for _, d := range ds {
			if d.Approved {
				approved++
			}
		}
	}
	b.ReportMetric(float64(approved), "approved")
}
