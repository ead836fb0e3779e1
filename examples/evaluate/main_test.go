package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

const td = "../../testdata/baseline/"

func TestEvaluateTable(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-predefined", "AWS-AmazonLinux2DefaultPatchBaseline", "-candidates", td + "candidates/rpm.json",
		"-product", "AmazonLinux2", "-now", "2025-11-24T00:00:00Z"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Empty(t, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 13)
	assert.Equal(t, "# AWS-AmazonLinux2DefaultPatchBaseline (AMAZON_LINUX_2) for AMAZON_LINUX_2 AmazonLinux2 at 2025-11-24T00:00:00Z", lines[0])
	assert.Equal(t, "# global filters: PRODUCT=*", lines[1])
	assert.Equal(t, "# rule 1: CLASSIFICATION=Security SEVERITY=Critical,Important, approved 7 days after release, compliance level UNSPECIFIED", lines[2])
	assert.Equal(t, "# rule 2: CLASSIFICATION=Bugfix, approved 7 days after release, compliance level UNSPECIFIED", lines[3])
	assert.Regexp(t, `^PATCH\s+APPROVED\s+STATUS\s+REASON\s+LEVEL\s+APPROVAL DATE\s+WHY$`, lines[4])
	assert.Regexp(t, `^sec-critical 0:1.0-2.el9 x86_64\s+true\s+APPROVED\s+Rule\s+UNSPECIFIED\s+2025-11-23T00:00:00Z\s+approved by rule 1$`, lines[5])
	assert.Regexp(t, `^sec-moderate .*false\s+-\s+Filter\s+UNSPECIFIED\s+rule 1: SEVERITY=Critical,Important fails on Moderate; rule 2: CLASSIFICATION=Bugfix fails on Security$`, lines[7])
	assert.Regexp(t, `^bugfix-nosev .*true\s+APPROVED\s+Rule\s+UNSPECIFIED\s+2025-11-23T00:00:00Z\s+approved by rule 2$`, lines[9])
	assert.Regexp(t, `^no-notice .*rule 1: CLASSIFICATION=Security fails: the patch has no CLASSIFICATION; rule 2: CLASSIFICATION=Bugfix fails: the patch has no CLASSIFICATION$`, lines[12])
}

func evaluateJSON(t *testing.T, args ...string) ([]result, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append(args, "-format", "json"), &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	var res []result
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	return res, errOut.String()
}

func TestEvaluateJSONAndOverride(t *testing.T) {
	res, _ := evaluateJSON(t, "-baseline", td+"override/awsdocs-user-guide-baselineoverride.json", "-os", "CENTOS",
		"-candidates", td+"candidates/rpm.json", "-now", "2021-02-01")
	require.Len(t, res, 8)
	// The candidates were released in 2025, after the rule's 2021-01-06 cut-off.
	for _, r := range res {
		assert.False(t, r.Decision.Approved, r.Patch.Name)
		assert.Equal(t, "PastUntilDate", r.Decision.Reason.String(), r.Patch.Name)
		assert.Equal(t, "rule 1: released after its ApproveUntilDate 2021-01-06", r.Explanation, r.Patch.Name)
	}
}

// TestEvaluateExplainsEveryRejection: for every AWS-owned baseline and
// every set of candidates of its kind, each candidate not approved says
// why; a candidate no rule's filters select names, for every rule, a filter
// of that rule and the patch's value, and the filter does fail on it: with
// the rule alone in the baseline, the library names the same key.
func TestEvaluateExplainsEveryRejection(t *testing.T) {
	files := map[string]string{"rpm packages": "rpm.json", "deb packages": "apt.json", "Windows updates": "windows.json", "macOS updates": "macos.json"}
	now := "2025-11-24T00:00:00Z"
	at, _ := time.Parse(time.RFC3339, now)
	checked := 0
	for _, name := range baseline.PredefinedNames() {
		b, err := baseline.PredefinedByName(name)
		require.NoError(t, err)
		cands := files[osKind(b.OperatingSystem)]
		if b.OperatingSystem == patchkit.OSSUSE {
			cands = "suse.json"
		}
		res, warn := evaluateJSON(t, "-predefined", name, "-candidates", td+"candidates/"+cands, "-now", now, "-product", "AnyProduct")
		assert.Empty(t, warn, name)
		patches := make([]patchkit.Patch, len(res))
		for i := range res {
			patches[i] = res[i].Patch
		}
		for _, r := range res {
			what := name + " " + r.Patch.Name
			require.NotEmpty(t, r.Explanation, what)
			assert.NotRegexp(t, `\brule 0\b`, r.Explanation, what)
			if r.Decision.Reason != baseline.ReasonFilter {
				continue
			}
			rules := b.ApprovalRules.PatchRules
			require.Len(t, r.FailedFilters, len(rules), what)
			for i, f := range r.FailedFilters {
				require.Equal(t, i+1, f.Rule, what)
				assert.Contains(t, r.Explanation, "rule "+string(rune('1'+i))+": "+string(f.Key)+"=", what)
				one := b
				one.ApprovalRules.PatchRules = rules[i : i+1]
				ds, err := baseline.Evaluate(one, baseline.Node{OperatingSystem: b.OperatingSystem, Product: "AnyProduct"}, patches, at)
				require.NoError(t, err)
				for j := range res {
					if res[j].Patch.Name == r.Patch.Name {
						assert.Equal(t, ds[j].FilterKey, f.Key, what)
					}
				}
				if f.Key == baseline.KeyPatchSet && !slices.ContainsFunc(rules[i].PatchFilterGroup.PatchFilters, func(x baseline.Filter) bool { return x.Key == baseline.KeyPatchSet }) {
					assert.Equal(t, []string{"OS"}, f.Values, what)
				}
				checked++
			}
		}
	}
	assert.Greater(t, checked, 40)
}

// TestEvaluateExplainsLists: global filters, the approved and rejected
// lists, and a non-security patch the approved list names.
func TestEvaluateExplainsLists(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "baseline.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"Name": "lists", "OperatingSystem": "AMAZON_LINUX_2023",
		"GlobalFilters": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["AmazonLinux2023"]}]},
		"ApprovalRules": {"PatchRules": [
			{"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]}, "ApproveAfterDays": 7},
			{"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Bugfix"]}]}, "ApproveAfterDays": 0}]},
		"ApprovedPatches": ["enhancement", "sec-low"], "RejectedPatches": ["sec-moderate"]}`), 0o644))
	cands := filepath.Join(dir, "candidates.json")
	require.NoError(t, os.WriteFile(cands, []byte(`[
		{"Name": "sec-critical", "Version": "1.0", "Release": "2", "Arch": "x86_64", "Scheme": "rpm", "Classification": "Security", "Security": true, "ReleaseDate": "2025-11-20T12:00:00Z"},
		{"Name": "sec-moderate", "Version": "1.0", "Release": "2", "Arch": "x86_64", "Scheme": "rpm", "Classification": "Security", "Security": true, "ReleaseDate": "2025-11-01T12:00:00Z"},
		{"Name": "sec-low", "Version": "1.0", "Release": "2", "Arch": "x86_64", "Scheme": "rpm", "Classification": "Security", "Security": true, "ReleaseDate": "2025-11-01T12:00:00Z"},
		{"Name": "enhancement", "Version": "1.0", "Release": "2", "Arch": "x86_64", "Scheme": "rpm", "Classification": "Enhancement"},
		{"Name": "bugfix", "Version": "1.0", "Release": "2", "Arch": "x86_64", "Scheme": "rpm", "Classification": "Bugfix"},
		{"Name": "other", "Version": "1.0", "Release": "2", "Arch": "x86_64", "Scheme": "rpm", "Classification": "Security", "Security": true, "Product": "AmazonLinux2"}]`), 0o644))
	res, _ := evaluateJSON(t, "-baseline", file, "-candidates", cands, "-now", "2025-11-24", "-product", "AmazonLinux2023")
	want := map[string]string{
		"sec-critical": "rule 1: waits until 2025-11-27T00:00:00Z; rule 2: CLASSIFICATION=Bugfix fails on Security",
		"sec-moderate": `rejected list entry "sec-moderate"`,
		"sec-low":      `approved list entry "sec-low"; also approved by rule 1`,
		"enhancement":  "an approved list entry matches, but the patch is not a security update and ApprovedPatchesEnableNonSecurity is off; rule 1: CLASSIFICATION=Security fails on Enhancement; rule 2: CLASSIFICATION=Bugfix fails on Enhancement",
		"bugfix":       "rule 1: CLASSIFICATION=Security fails on Bugfix; rule 2: matches, but the patch is not a security update and the rule does not enable non-security updates",
		"other":        "global filter PRODUCT=AmazonLinux2023 fails on AmazonLinux2",
	}
	require.Len(t, res, len(want))
	for _, r := range res {
		assert.Equal(t, want[r.Patch.Name], r.Explanation, r.Patch.Name)
	}
	assert.Equal(t, []failedFilter{{Rule: 0, Key: "PRODUCT", Values: []string{"AmazonLinux2023"}, PatchValue: "AmazonLinux2"}}, res[5].FailedFilters)
}

// TestEvaluateWarnsOfOtherSystems: candidates of another kind of system
// than the baseline's are evaluated, with a warning.
func TestEvaluateWarnsOfOtherSystems(t *testing.T) {
	_, warn := evaluateJSON(t, "-predefined", "AWS-UbuntuDefaultPatchBaseline", "-candidates", td+"candidates/rpm.json", "-now", "now")
	assert.Equal(t, "evaluate: warning: AWS-UbuntuDefaultPatchBaseline is a baseline for UBUNTU (deb packages), but 8 of the 8 candidates are rpm packages (the first: sec-critical)\n", warn)
	_, warn = evaluateJSON(t, "-predefined", "AWS-AmazonLinux2023DefaultPatchBaseline", "-candidates", td+"candidates/windows.json", "-now", "now")
	assert.Contains(t, warn, "are Windows updates (the first: KB5046616)")
	_, warn = evaluateJSON(t, "-predefined", "AWS-DebianDefaultPatchBaseline", "-candidates", td+"candidates/apt.json", "-now", "now")
	assert.Empty(t, warn)
}

func TestEvaluateErrors(t *testing.T) {
	usage := map[string][]string{
		"give exactly one of -baseline and -predefined": {"-candidates", "x", "-now", "now"},
		"-candidates is required":                       {"-predefined", "AWS-DefaultPatchBaseline", "-now", "now"},
		"-now is required":                              {"-predefined", "AWS-DefaultPatchBaseline", "-candidates", td + "candidates/windows.json"},
		`-now: "tomorrow" is neither`:                   {"-predefined", "AWS-DefaultPatchBaseline", "-candidates", td + "candidates/windows.json", "-now", "tomorrow"},
		`-os: unknown OperatingSystem "ubuntu"`:         {"-predefined", "AWS-UbuntuDefaultPatchBaseline", "-os", "ubuntu", "-candidates", td + "candidates/apt.json", "-now", "now"},
		"-format must be table or json":                 {"-predefined", "AWS-UbuntuDefaultPatchBaseline", "-candidates", td + "candidates/apt.json", "-now", "now", "-format", "yaml"},
		`unexpected argument "stray"`:                   {"-predefined", "AWS-UbuntuDefaultPatchBaseline", "-candidates", td + "candidates/apt.json", "-now", "now", "stray"},
		"flag provided but not defined: -nope":          {"-nope"},
	}
	for want, args := range usage {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, run(args, &out, &errOut), want)
		assert.Contains(t, errOut.String(), want)
	}
	failure := map[string][]string{
		"no predefined baseline named AWS-Nope (valid names: AWS-DefaultPatchBaseline, AWS-WindowsPredefinedPatchBaseline-OS, ": {"-predefined", "AWS-Nope", "-candidates", td + "candidates/windows.json", "-now", "now"},
		"holds 2 baselines; pick one with -os": {"-baseline", td + "override/awsdocs-user-guide-baselineoverride.json", "-candidates", td + "candidates/rpm.json", "-now", "now"},
		"has no baseline for UBUNTU":           {"-baseline", td + "override/awsdocs-user-guide-baselineoverride.json", "-os", "UBUNTU", "-candidates", td + "candidates/rpm.json", "-now", "now"},
		`testdata/bad-candidates.json: candidate 1 (from byte 1): json: unknown field "Colour"`: {"-predefined", "AWS-UbuntuDefaultPatchBaseline", "-candidates", "testdata/bad-candidates.json", "-now", "now"},
		`/dev/zero: larger than 33554432 bytes`:                                                 {"-predefined", "AWS-UbuntuDefaultPatchBaseline", "-candidates", "/dev/zero", "-now", "now"},
		"no-such-file.json: no such file or directory":                                          {"-predefined", "AWS-UbuntuDefaultPatchBaseline", "-candidates", "no-such-file.json", "-now", "now"},
	}
	for want, args := range failure {
		var out, errOut bytes.Buffer
		assert.Equal(t, 1, run(args, &out, &errOut), want)
		assert.Contains(t, errOut.String(), want)
		assert.Empty(t, out.String(), want)
	}
}

// endless is a JSON array that never ends: its head, then filler forever.
// It counts what was read from it.
type endless struct {
	head  string
	block []byte
	read  int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	if int64(len(e.head)) > e.read {
		n = copy(p, e.head[e.read:])
	}
	for n < len(p) {
		at := (e.read + int64(n) - int64(len(e.head))) % int64(len(e.block))
		n += copy(p[n:], e.block[at:])
	}
	e.read += int64(n)
	return n, nil
}

// TestCandidatesBounded: a candidates file larger than the limit fails
// with the limit named, having read no more than the limit (and one
// buffer), whatever it holds.
func TestCandidatesBounded(t *testing.T) {
	const limit = 1 << 20
	for _, e := range []*endless{
		{head: `[{"Name": "`, block: bytes.Repeat([]byte("a"), 4096)},
		{head: `[`, block: bytes.Repeat([]byte(`{"Name": "x", "Version": "1"}, `), 100)},
		{head: ``, block: bytes.Repeat([]byte(" "), 4096)},
	} {
		_, err := decodeCandidates("endless.json", e, limit)
		require.EqualError(t, err, "endless.json: larger than 1048576 bytes", e.head)
		assert.LessOrEqual(t, e.read, int64(limit), e.head)
	}
	_, err := decodeCandidates("two.json", strings.NewReader("[] []"), limit)
	assert.EqualError(t, err, "two.json: data after the array, which ends at byte 2")
	_, err = decodeCandidates("short.json", strings.NewReader(`[{"Name": "x"}`), limit)
	assert.EqualError(t, err, "short.json: the file ends (at byte 14) inside the JSON array")
	_, err = decodeCandidates("empty.json", strings.NewReader(""), limit)
	assert.EqualError(t, err, "empty.json: the file is empty, not a JSON array")
}
