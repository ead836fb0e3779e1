package policy_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/baseline/policy"
)

// TestOverridesRoundTrip: AWS's BaselineOverride example and a policy's
// generated baseline_overrides.json read back to the same baselines.
func TestOverridesRoundTrip(t *testing.T) {
	aws, err := policy.ReadOverrides(open(t, baselineFixtures+"override/awsdocs-user-guide-baselineoverride.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.LoadQuickSetup(open(t, awsExample))
	if err != nil {
		t.Fatal(err)
	}
	generated, err := p.OverrideBaselines(testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, bs := range map[string][]baseline.Baseline{"AWS example": aws, "policy": generated} {
		var a bytes.Buffer
		if err := policy.WriteOverrides(&a, bs); err != nil {
			t.Fatal(err)
		}
		back, err := policy.ReadOverrides(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, a.String())
		}
		if !reflect.DeepEqual(back, bs) {
			t.Errorf("%s: round trip differs", name)
		}
		var b bytes.Buffer
		if err := policy.WriteOverrides(&b, back); err != nil || a.String() != b.String() {
			t.Errorf("%s: written twice differently (%v)", name, err)
		}
		if !strings.HasPrefix(a.String(), "[\n    {\n") {
			t.Errorf("%s: not a JSON array:\n%.80s", name, a.String())
		}
	}
	dup := append(aws, aws[0])
	var w bytes.Buffer
	wantField(t, policy.WriteOverrides(&w, dup), "[2].OperatingSystem", "a second baseline for AMAZON_LINUX_2 (the first is element 0); the node would fail with payload error 165")
	if w.Len() != 0 {
		t.Error("WriteOverrides wrote a refused file")
	}
	var buf bytes.Buffer
	if err := policy.WriteOverrides(&buf, dup[:0]); err != nil {
		t.Fatal(err)
	}
	_, err = policy.ReadOverrides(&buf) // an empty array holds no baseline
	if err == nil {
		t.Error("an empty override file was read")
	}
	data, _ := json.Marshal(dup)
	_, err = policy.ReadOverrides(bytes.NewReader(data))
	wantField(t, err, "[2].OperatingSystem", "a second baseline")
}
