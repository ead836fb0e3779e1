package policy_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline/policy"
)

func seed(f *testing.F, names ...string) {
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzLoaders feeds the same bytes to every loader: none may panic, every
// refusal is invalid input, and what one accepts writes back to something it
// reads again.
func FuzzLoaders(f *testing.F) {
	seed(f, awsExample, fixtures+"awscli-describe-patch-groups.json", fixtures+"awscli-describe-patch-groups-old.json",
		fixtures+"awscli-get-default-patch-baseline-amazon-linux.json", fixtures+"awscli-get-default-patch-baseline-old.json",
		baselineFixtures+"aws/describe-patch-baselines.json", baselineFixtures+"override/awsdocs-user-guide-baselineoverride.json",
		baselineFixtures+"custom/awsdocs-userguide-get-patch-baseline-output.json")
	f.Add([]byte(`{"PatchGroups":{"Mappings":[{"PatchGroup":"web","BaselineIdentity":{"BaselineId":"pb-0c7e89f711c3095f4","OperatingSystem":"UBUNTU","DefaultBaseline":true}}]},"DefaultBaselines":[{"BaselineId":"pb-0c7e89f711c3095f4","OperatingSystem":"UBUNTU"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(what string, err error) bool {
			if err != nil && !errors.Is(err, patchkit.ErrInvalid) {
				t.Fatalf("%s: %v is not invalid input", what, err)
			}
			return err == nil
		}
		if p, err := policy.LoadQuickSetup(bytes.NewReader(data)); check("LoadQuickSetup", err) {
			m, err := p.Parameters()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := policy.ParseParameters(m); err != nil {
				t.Fatalf("Parameters of an accepted policy are refused: %v", err)
			}
		}
		r := policy.NewRegistry()
		check("ReadPatchGroups", r.ReadPatchGroups(bytes.NewReader(data)))
		check("ReadDefaultBaseline", r.ReadDefaultBaseline(bytes.NewReader(data)))
		check("ReadBaselineIdentities", r.ReadBaselineIdentities(bytes.NewReader(data)))
		check("ReadBaselines", r.ReadBaselines(bytes.NewReader(data)))
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := policy.ReadRegistry(&buf); err != nil {
			t.Fatalf("a registry built from accepted input does not read back: %v\n%s", err, buf.String())
		}
		buf.Reset()
		if err := r.WriteBaselineIdentities(&buf); err != nil {
			t.Fatal(err)
		}
		if err := policy.NewRegistry().ReadBaselineIdentities(&buf); err != nil {
			t.Fatalf("written identities do not read back: %v", err)
		}
		if r2, err := policy.ReadRegistry(bytes.NewReader(data)); check("ReadRegistry", err) {
			buf.Reset()
			if err := r2.WriteJSON(&buf); err != nil {
				t.Fatal(err)
			}
			if _, err := policy.ReadRegistry(&buf); err != nil {
				t.Fatalf("written registry does not read back: %v", err)
			}
		}
		if bs, err := policy.ReadOverrides(bytes.NewReader(data)); check("ReadOverrides", err) {
			buf.Reset()
			if err := policy.WriteOverrides(&buf, bs); err != nil {
				t.Fatal(err)
			}
			if _, err := policy.ReadOverrides(&buf); err != nil {
				t.Fatalf("written overrides do not read back: %v", err)
			}
		}
	})
}
