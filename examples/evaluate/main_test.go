package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const td = "../../testdata/baseline/"

func TestEvaluateTable(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-predefined", "AWS-AmazonLinux2DefaultPatchBaseline", "-candidates", td + "candidates/rpm.json",
		"-product", "AmazonLinux2", "-now", "2025-11-24T00:00:00Z"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 10)
	assert.Contains(t, lines[0], "AWS-AmazonLinux2DefaultPatchBaseline (AMAZON_LINUX_2) for AMAZON_LINUX_2 AmazonLinux2 at 2025-11-24T00:00:00Z")
	assert.Regexp(t, `^sec-critical 0:1.0-2.el9 x86_64\s+true\s+APPROVED\s+Rule\s+UNSPECIFIED\s+2025-11-23T00:00:00Z\s+0\s*$`, lines[2])
	assert.Regexp(t, `^sec-moderate .*false\s+-\s+Filter\s+UNSPECIFIED\s*$`, lines[4])
	assert.Regexp(t, `^bugfix-nosev .*true\s+APPROVED\s+Rule\s+UNSPECIFIED\s+2025-11-23T00:00:00Z\s+1\s*$`, lines[6])
}

func TestEvaluateJSONAndOverride(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-baseline", td + "override/awsdocs-user-guide-baselineoverride.json", "-os", "CENTOS",
		"-candidates", td + "candidates/rpm.json", "-now", "2021-02-01", "-format", "json"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	var res []result
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	require.Len(t, res, 8)
	// The candidates were released in 2025, after the rule's 2021-01-06 cut-off.
	for _, r := range res {
		assert.False(t, r.Decision.Approved, r.Patch.Name)
		assert.Equal(t, "PastUntilDate", r.Decision.Reason.String(), r.Patch.Name)
	}
}

func TestEvaluateErrors(t *testing.T) {
	cases := map[string][]string{
		"give exactly one of -baseline and -predefined": {"-candidates", "x", "-now", "now"},
		"-candidates is required":                       {"-predefined", "AWS-DefaultPatchBaseline", "-now", "now"},
		"-now: required":                                {"-predefined", "AWS-DefaultPatchBaseline", "-candidates", td + "candidates/windows.json"},
		`-now: "tomorrow" is neither`:                   {"-predefined", "AWS-DefaultPatchBaseline", "-candidates", td + "candidates/windows.json", "-now", "tomorrow"},
		"no predefined baseline named AWS-Nope":         {"-predefined", "AWS-Nope", "-candidates", td + "candidates/windows.json", "-now", "now"},
		"holds 2 baselines; pick one with -os":          {"-baseline", td + "override/awsdocs-user-guide-baselineoverride.json", "-candidates", td + "candidates/rpm.json", "-now", "now"},
		"has no baseline for UBUNTU":                    {"-baseline", td + "override/awsdocs-user-guide-baselineoverride.json", "-os", "UBUNTU", "-candidates", td + "candidates/rpm.json", "-now", "now"},
		`-os: unknown OperatingSystem "ubuntu"`:         {"-predefined", "AWS-UbuntuDefaultPatchBaseline", "-os", "ubuntu", "-candidates", td + "candidates/apt.json", "-now", "now"},
		"-format must be table or json":                 {"-predefined", "AWS-UbuntuDefaultPatchBaseline", "-candidates", td + "candidates/apt.json", "-now", "now", "-format", "yaml"},
		`unknown field "Colour"`:                        {"-predefined", "AWS-UbuntuDefaultPatchBaseline", "-candidates", "testdata/bad-candidates.json", "-now", "now"},
	}
	for want, args := range cases {
		var out, errOut bytes.Buffer
		assert.Equal(t, 1, run(args, &out, &errOut), want)
		assert.Contains(t, errOut.String(), want)
	}
}
