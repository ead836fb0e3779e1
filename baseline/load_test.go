package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
)

const fixtures = "../testdata/baseline"

func loadFile(t *testing.T, path string, opts ...Option) []Baseline {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	bs, err := Load(f, opts...)
	require.NoError(t, err, path)
	return bs
}

// roundTrip writes b in the GetPatchBaseline shape and reads it back.
func roundTrip(t *testing.T, b Baseline) Baseline {
	t.Helper()
	data, err := json.Marshal(b)
	require.NoError(t, err)
	back, err := Load(bytes.NewReader(data))
	require.NoError(t, err, string(data))
	require.Len(t, back, 1)
	return back[0]
}

// TestPredefinedMatchesAWS compares every predefined baseline with AWS's own
// get-patch-baseline output.
func TestPredefinedMatchesAWS(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "aws", "AWS-*.json"))
	require.NoError(t, err)
	require.Len(t, files, 17)
	var names []string
	for _, f := range files {
		got := loadFile(t, f)
		require.Len(t, got, 1)
		want, err := PredefinedByName(got[0].Name)
		require.NoError(t, err)
		assert.Equal(t, want, got[0], f)
		assert.Equal(t, got[0], roundTrip(t, got[0]), "load, write, load")
		names = append(names, got[0].Name)
	}
	assert.ElementsMatch(t, PredefinedNames(), names)

	// The Oracle Linux baseline before AWS re-created it on 2025-12-10.
	old := loadFile(t, filepath.Join(fixtures, "aws", "history", "AWS-OracleLinuxDefaultPatchBaseline.0a7b070.json"))
	want, err := PredefinedByName("AWS-OracleLinuxDefaultPatchBaseline", AsOf(time.Date(2025, 12, 9, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	assert.Equal(t, want, old[0])
	cur, err := Predefined(patchkit.OSOracleLinux)
	require.NoError(t, err)
	assert.NotEqual(t, cur, old[0])

	// Every OperatingSystem has a default; Windows' is AWS-DefaultPatchBaseline.
	for _, o := range patchkit.OperatingSystems() {
		b, err := Predefined(o)
		require.NoError(t, err, o)
		assert.Equal(t, o, b.OperatingSystem)
	}
	w, _ := Predefined(patchkit.OSWindows)
	assert.Equal(t, "AWS-DefaultPatchBaseline", w.Name)
	_, err = PredefinedByName("AWS-NoSuchBaseline")
	var ue *UnknownBaselineError
	assert.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
}

// TestLoadShapes reads every real baseline document of testdata: AWS
// documentation examples, a BaselineOverride file and node snapshots.
func TestLoadShapes(t *testing.T) {
	for _, dir := range []string{"custom", "override", "snapshot"} {
		files, err := filepath.Glob(filepath.Join(fixtures, dir, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, files, dir)
		for _, f := range files {
			bs := loadFile(t, f)
			require.NotEmpty(t, bs, f)
			for _, b := range bs {
				assert.Equal(t, b, roundTrip(t, b), f)
			}
		}
	}
	ov := loadFile(t, filepath.Join(fixtures, "override", "awsdocs-user-guide-baselineoverride.json"))
	require.Len(t, ov, 2)
	assert.Equal(t, patchkit.OSAmazonLinux2, ov[0].OperatingSystem)
	assert.Equal(t, 0, *ov[0].ApprovalRules.PatchRules[0].ApproveAfterDays)
	assert.Equal(t, "2021-01-06", *ov[1].ApprovalRules.PatchRules[0].ApproveUntilDate)
	assert.Equal(t, []string{"open-ssl*"}, ov[1].ApprovedPatches)

	// The snapshot a node downloads holds the Ubuntu default baseline.
	snaps, err := filepath.Glob(filepath.Join(fixtures, "snapshot", "*.json"))
	require.NoError(t, err)
	ubuntu, _ := PredefinedByName("AWS-UbuntuDefaultPatchBaseline")
	for _, f := range snaps {
		got := loadFile(t, f)[0]
		assert.Equal(t, "pb-0c7e89f711c3095f4", got.BaselineID, f)
		got.BaselineID = ubuntu.BaselineID
		assert.Equal(t, ubuntu, got, f)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := map[string]string{
		"":                                  "no baseline in the input",
		"[]":                                "no baseline in the input",
		"42":                                "not a JSON object or array",
		`{"Name": 5}`:                       "cannot unmarshal number",
		`{"Nmae": "x"}`:                     `unknown field "Nmae"`,
		`{"OperatingSystem": "LINUX"}`:      `unknown OperatingSystem "LINUX"`,
		`{"RejectedPatchesAction": "DENY"}`: `unknown PatchAction "DENY"`,
		`{"GlobalFilters": {"PatchFilters": [{"Key": "COLOR", "Values": ["x"]}]}}`: `unknown PatchFilterKey "COLOR"`,
		`{"ApprovedPatchesComplianceLevel": "Severe"}`:                             `unknown ComplianceLevel "Severe"`,
		`{"CreatedDate": "yesterday"}`:                                             `timestamp "yesterday"`,
		`{"patchBaseline": {"name": "x"}, "extra": 1}`:                             `unknown field "extra"`,
		`{"Name": "abc"} {"Name": "def"}`:                                          "after top-level value",
		`[{"Name": "ok-name", "OperatingSystem": "UBUNTU"}, {"Name": "x"}]`:        "element 1",
	}
	for in, want := range cases {
		_, err := Load(strings.NewReader(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
		assert.ErrorIs(t, err, patchkit.ErrInvalid, in)
	}
	// Unknown fields are accepted when asked for.
	bs, err := Load(strings.NewReader(`{"Name": "abc", "OperatingSystem": "DEBIAN", "Color": "blue"}`), AllowUnknownFields())
	require.NoError(t, err)
	assert.Equal(t, patchkit.OSDebian, bs[0].OperatingSystem)
	// Defaults of the API.
	bs, err = Load(strings.NewReader(`{}`))
	require.NoError(t, err)
	assert.Equal(t, patchkit.OSWindows, bs[0].OperatingSystem)
	assert.Equal(t, AllowAsDependency, bs[0].RejectedPatchesAction)
	assert.Equal(t, []string{}, bs[0].ApprovedPatches)
	// Epoch-second timestamps, as the raw API and snapshots carry them.
	bs, err = Load(strings.NewReader(`{"CreatedDate": 1525194800.068}`))
	require.NoError(t, err)
	assert.Equal(t, time.Date(2018, 5, 1, 17, 13, 20, 68e6, time.UTC), bs[0].CreatedDate)
}

func TestValidate(t *testing.T) {
	in := `{
  "Name": "x",
  "BaselineId": "pb-short",
  "OperatingSystem": "AMAZON_LINUX_2023",
  "GlobalFilters": {"PatchFilters": [
    {"Key": "PRIORITY", "Values": ["Required"]},
    {"Key": "CLASSIFICATION", "Values": []},
    {"Key": "SEVERITY", "Values": ["Severe", "*"]},
    {"Key": "PRODUCT", "Values": ["AmazonLinux2023"]},
    {"Key": "PRODUCT", "Values": ["` + strings.Repeat("p", 65) + `"]}
  ]},
  "ApprovalRules": {"PatchRules": [
    {"PatchFilterGroup": {"PatchFilters": []}, "ApproveAfterDays": 7},
    {"PatchFilterGroup": {"PatchFilters": []}, "ApproveAfterDays": 7},
    {"PatchFilterGroup": {"PatchFilters": []}, "ApproveAfterDays": 400},
    {"PatchFilterGroup": {"PatchFilters": []}, "ApproveUntilDate": "2025-02-30"},
    {"PatchFilterGroup": {"PatchFilters": []}, "ApproveUntilDate": "2025-01-01", "ApproveAfterDays": 1},
    {"PatchFilterGroup": {"PatchFilters": []}}
  ]},
  "ApprovedPatches": ["` + strings.Repeat("a", 101) + `"],
  "Sources": [{"Name": "s", "Products": [], "Configuration": ""}],
  "AvailableSecurityUpdatesComplianceStatus": "COMPLIANT"
}`
	_, err := Load(strings.NewReader(in))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	var got []string
	for _, fe := range ve.Errors {
		got = append(got, fe.Error())
	}
	assert.Equal(t, []string{
		"BaselineId: must be 20 to 128 letters, digits or _-:/",
		"Name: must be 3 to 128 letters, digits or _-.",
		"GlobalFilters.PatchFilters: 5 filters, at most 4",
		"GlobalFilters.PatchFilters[0].Key: PRIORITY is not a filter key for this operating system",
		"GlobalFilters.PatchFilters[1].Values: 0 values, 1 to 20 allowed",
		`GlobalFilters.PatchFilters[2].Values[0]: "Severe" is not a SEVERITY value for this operating system (known: Critical, Important, Medium, Moderate, Low, None)`,
		"GlobalFilters.PatchFilters[4].Key: PRODUCT appears twice in the group",
		"GlobalFilters.PatchFilters[4].Values[0]: 65 characters, 1 to 64 allowed",
		"ApprovalRules.PatchRules[2].ApproveAfterDays: 400 is outside 0..360",
		`ApprovalRules.PatchRules[3].ApproveUntilDate: "2025-02-30" is not a date in the form YYYY-MM-DD`,
		"ApprovalRules.PatchRules[4]: has both ApproveAfterDays and ApproveUntilDate; a rule takes one of them",
		"ApprovalRules.PatchRules[5]: has neither ApproveAfterDays nor ApproveUntilDate; the API requires one",
		"ApprovedPatches[0]: 101 characters, 1 to 100 allowed",
		"Sources[0].Name: must be 3 to 50 letters, digits or _-.",
		"Sources[0].Products: 0 products, 1 to 20 allowed",
		"Sources[0].Configuration: 0 characters, 1 to 1024 allowed",
		"AvailableSecurityUpdatesComplianceStatus: applies to Windows only",
	}, got)
	var fe *FieldError
	assert.True(t, errors.As(err, &fe))
	assert.ErrorIs(t, err, patchkit.ErrInvalid)

	// Options widen what is accepted.
	ok := `{"Name": "ext", "OperatingSystem": "REDHAT_ENTERPRISE_LINUX",
	  "ApprovalRules": {"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [
	    {"Key": "NAME", "Values": ["kernel*"]}, {"Key": "SEVERITY", "Values": ["Urgent"]}]}}]}}`
	_, err = Load(strings.NewReader(ok))
	require.Error(t, err)
	_, err = Load(strings.NewReader(ok), AllowExtendedFilterKeys(), AllowUnknownFilterValues(), UndatedRulesApproveImmediately())
	assert.NoError(t, err)

	// Rules on apt systems need no date; macOS lists take no patterns.
	_, err = Load(strings.NewReader(`{"Name": "apt", "OperatingSystem": "UBUNTU", "ApprovalRules": {"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["Required"]}]}}]}}`))
	assert.NoError(t, err)
	_, err = Load(strings.NewReader(`{"Name": "mac", "OperatingSystem": "MACOS", "RejectedPatches": ["XProtect*"]}`))
	assert.ErrorContains(t, err, "RejectedPatches[0]: wildcards are not supported on this operating system")
}

// TestLoadErrorPosition: an unknown field is reported with the input's
// name (an *os.File's), the array element, and the byte position and line
// of the field's name; the error is a *LoadError matching
// patchkit.ErrInvalid. (Before: "baseline: json: unknown field", with
// neither the input nor a position.)
func TestLoadErrorPosition(t *testing.T) {
	doc := "[\n" +
		`  {"Name": "ok-name", "OperatingSystem": "UBUNTU"},` + "\n" +
		`  {"Name": "bad-name", "OperatingSystem": "UBUNTU",` + "\n" +
		`   "ApprovalRules": {"PatchRules": [{"PatchFilterGroup": {"PatchFilters": []}, "ApproveAfterDays": 1, "ApproveAftreDays": 2}]}}` + "\n]\n"
	path := filepath.Join(t.TempDir(), "overrides.json")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = Load(f)
	var le *LoadError
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, patchkit.ErrInvalid)
	field := strings.Index(doc, `"ApproveAftreDays"`)
	assert.Equal(t, path, le.Name)
	assert.Equal(t, 1, le.Index)
	assert.Equal(t, int64(field+1), le.Offset)
	assert.Equal(t, 4, le.Line)
	assert.Equal(t, fmt.Sprintf(`baseline: %s: element 1: at byte %d (line 4): json: unknown field "ApproveAftreDays"`, path, field+1), err.Error())

	for _, tc := range []struct{ doc, field string }{
		{"\n\n  {\"Name\": \"abc\", \"Nmae\": \"x\"}", `"Nmae"`},
		// Inside a snapshot's patchBaseline, and in the snapshot itself.
		{`{"patchBaseline": {"name": "x", "globalFilters": {"filters": [{"key": "PRODUCT", "values": ["a"], "vaules": 1}]}}}`, `"vaules"`},
		{`{"patchBaseline": {"name": "x"}, "extra": 1}`, `"extra"`},
		// A field another object has is still unknown where it is.
		{`{"Name": "abc", "GlobalFilters": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["x"]}], "Values": ["y"]}}`, `"Values": ["y"]`},
	} {
		_, err := Load(strings.NewReader(tc.doc))
		var le *LoadError
		require.ErrorAs(t, err, &le, tc.doc)
		want := strings.Index(tc.doc, tc.field) + 1
		assert.Equal(t, "", le.Name, tc.doc)
		assert.Equal(t, int64(want), le.Offset, tc.doc)
		assert.Equal(t, 1+strings.Count(tc.doc[:want-1], "\n"), le.Line, tc.doc)
		assert.ErrorIs(t, err, patchkit.ErrInvalid, tc.doc)
	}
	// With AllowUnknownFields nothing is reported.
	_, err = Load(strings.NewReader(`{"Name": "abc", "OperatingSystem": "UBUNTU", "Nmae": "x"}`), AllowUnknownFields())
	assert.NoError(t, err)
}
