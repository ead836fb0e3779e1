package baseline

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
)

// realNames returns real package names: the CentOS Stream 9 sample and the
// Debian 12 dpkg listing of testdata (see testdata/SOURCES.md).
func realNames(tb testing.TB) []string {
	var names []string
	seen := map[string]bool{}
	for _, src := range []struct {
		file string
		sep  string
	}{{"../testdata/versions/rpm-nevra-sample.tsv", "\t"}, {"../testdata/dpkg/dpkg-query-W-bookworm.tsv", "\t"}} {
		f, err := os.Open(filepath.FromSlash(src.file))
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			n, _, _ := strings.Cut(sc.Text(), src.sep)
			n, _, _ = strings.Cut(n, ":")
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		f.Close()
	}
	return names
}

// benchBaseline is an Amazon Linux 2023 baseline with 10 rules and 200
// approved and rejected entries of every kind a baseline holds: package
// names, name patterns, suffix patterns, name.arch, full NEVRAs,
// version-release forms, and advisory, CVE and Bugzilla IDs. 200 entries
// are more than the API allows (50 + 50), so it is compiled without
// validation.
func benchBaseline(tb testing.TB, names []string) *Compiled {
	r := rand.New(rand.NewPCG(3, 4))
	classes := []string{"Security", "Bugfix", "Enhancement", "Newpackage", "Recommended"}
	sevs := []string{"Critical", "Important", "Medium", "Low"}
	var rules []Rule
	for i := 0; i < 10; i++ {
		rules = append(rules, Rule{
			PatchFilterGroup: FilterGroup{PatchFilters: []Filter{
				{Key: KeyClassification, Values: []string{classes[i%len(classes)], classes[(i+1)%len(classes)]}},
				{Key: KeySeverity, Values: []string{sevs[i%len(sevs)], sevs[(i+2)%len(sevs)]}},
				{Key: KeyProduct, Values: []string{"AmazonLinux2023", "AmazonLinux2*"}},
			}},
			ComplianceLevel:   patchkit.ComplianceLevel(i % 6),
			ApproveAfterDays:  days(i * 3),
			EnableNonSecurity: i%3 == 0,
		})
	}
	name := func() string { return names[r.IntN(len(names))] }
	entry := func(approved bool, i int) string {
		switch i % 10 {
		case 0, 1:
			return name()
		case 2:
			n := name()
			return n[:min(len(n), 3+r.IntN(4))] + "*"
		case 3:
			return name() + ".x86_64"
		case 4:
			return fmt.Sprintf("%s-1.%d-%d.amzn2023.x86_64", name(), r.IntN(10), r.IntN(6))
		case 5:
			return fmt.Sprintf("1.%d-%d.amzn2023", r.IntN(10), r.IntN(6))
		case 6:
			if approved {
				return fmt.Sprintf("ALAS2023-2025-%d", r.IntN(2000))
			}
			return "*-" + []string{"debuginfo", "devel", "doc", "static"}[r.IntN(4)]
		case 7:
			if approved {
				return fmt.Sprintf("CVE-2025-%d", 1000+r.IntN(3000))
			}
			return name() + "-1.*"
		case 8:
			if approved {
				return fmt.Sprintf("%d", 2000000+r.IntN(100000))
			}
			return fmt.Sprintf("%s-0:1.%d-*", name(), r.IntN(10))
		}
		return fmt.Sprintf("%s.x86_64:0:1.%d-*", name(), r.IntN(10))
	}
	var approved, rejected []string
	for i := 0; i < 100; i++ {
		approved = append(approved, entry(true, i))
		rejected = append(rejected, entry(false, i))
	}
	b := Baseline{Name: "bench", OperatingSystem: patchkit.OSAmazonLinux2023,
		GlobalFilters: FilterGroup{PatchFilters: []Filter{{Key: KeyProduct, Values: []string{"*"}}}},
		ApprovalRules: RuleGroup{PatchRules: rules}, ApprovedPatches: approved, RejectedPatches: rejected,
		ApprovedPatchesComplianceLevel: patchkit.ComplianceHigh}
	b.normalize()
	return compile(b, options{})
}

func benchCandidates(names []string, n int) []patchkit.Patch {
	r := rand.New(rand.NewPCG(1, 2))
	classes := []string{"Security", "Bugfix", "Enhancement", "Newpackage", ""}
	sevs := []string{"Critical", "Important", "Medium", "Low", ""}
	release := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	out := make([]patchkit.Patch, n)
	for i := range out {
		p := patchkit.Patch{Package: patchkit.Package{Name: names[r.IntN(len(names))], Epoch: patchkit.EpochOf(0),
			Version: fmt.Sprintf("1.%d", r.IntN(10)), Release: fmt.Sprintf("%d.amzn2023", r.IntN(6)),
			Arch: "x86_64", Scheme: patchkit.RPM}}
		if c := classes[r.IntN(len(classes))]; c != "" {
			p.Classification, p.Severity, p.Security = c, sevs[r.IntN(len(sevs))], true
			p.AdvisoryIDs = []string{fmt.Sprintf("ALAS2023-2025-%d", r.IntN(2000))}
			p.CVEIDs = []string{fmt.Sprintf("CVE-2025-%d", 1000+r.IntN(3000))}
			p.BugzillaIDs = []string{fmt.Sprintf("%d", 2000000+r.IntN(100000))}
		}
		p.ReleaseDate = release.Add(time.Duration(r.IntN(40*24)) * time.Hour)
		out[i] = p
	}
	return out
}

// BenchmarkEvaluate100k evaluates 100,000 candidates against a baseline with
// 10 rules and 200 approved and rejected entries.
func BenchmarkEvaluate100k(b *testing.B) {
	names := realNames(b)
	c := benchBaseline(b, names)
	cands := benchCandidates(names, 100_000)
	node := Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"}
	now := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	var approved, rejected int
	for b.Loop() {
		ds, err := c.Evaluate(node, cands, now)
		if err != nil {
			b.Fatal(err)
		}
		approved, rejected = 0, 0
		for _, d := range ds {
			if d.Approved {
				approved++
			}
			if d.Reason == ReasonRejectedList {
				rejected++
			}
		}
	}
	b.ReportMetric(float64(approved), "approved")
	b.ReportMetric(float64(rejected), "rejected")
}

// TestBenchBaselineAgreesWithPlainMatcher checks the benchmark's decisions
// on the lists against the plain matcher, so the benchmark measures the
// right answers.
func TestBenchBaselineAgreesWithPlainMatcher(t *testing.T) {
	names := realNames(t)
	c := benchBaseline(t, names)
	cands := benchCandidates(names, 20_000)
	ds, err := c.Evaluate(Node{OperatingSystem: patchkit.OSAmazonLinux2023, Product: "AmazonLinux2023"}, cands, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	rejected, listed := 0, 0
	for i := range cands {
		want := naiveMatch(c.b.RejectedPatches, kindRPM, false, &cands[i]) >= 0
		if got := ds[i].Reason == ReasonRejectedList; got != want {
			t.Fatalf("%s: rejected %v, plain matcher says %v", cands[i].NEVRA(), got, want)
		}
		if want {
			rejected++
			continue
		}
		if naiveMatch(c.b.ApprovedPatches, kindRPM, true, &cands[i]) >= 0 && cands[i].Security {
			listed++
			if ds[i].Reason != ReasonApprovedList {
				t.Fatalf("%s: %s, plain matcher finds it in the approved list", cands[i].NEVRA(), ds[i].Reason)
			}
		}
	}
	if rejected == 0 || listed == 0 {
		t.Fatalf("the benchmark exercises nothing: %d rejected, %d approved by the list", rejected, listed)
	}
}
