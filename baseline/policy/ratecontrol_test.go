package policy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/baseline/policy"
)

func TestRateControlGrammar(t *testing.T) {
	// The API's examples and the documented values: "0", "3", "10%" as
	// error thresholds; "5" and "0%" from AWS's patch-policy example.
	for _, c := range []struct {
		s                   string
		concurrency, errors bool
	}{
		{"1", true, true}, {"5", true, true}, {"50", true, true}, {"1000000", true, true},
		{"0", false, true}, {"3", true, true}, {"10%", true, true}, {"0%", false, true},
		{"1%", true, true}, {"9%", true, true}, {"99%", true, true}, {"100%", true, true},
		{"101%", false, false}, {"100%%", false, false}, {"010", false, false}, {"00", false, false},
		{"05%", false, false}, {"", false, false}, {"%", false, false}, {"10000000", false, false},
		{"-1", false, false}, {"1.5", false, false}, {" 5", false, false}, {"5 ", false, false},
		{"1000%", false, false}, {"ten", false, false}, {"٣", false, false},
	} {
		errC := policy.ValidateConcurrency(c.s)
		errE := policy.ValidateErrorThreshold(c.s)
		if (errC == nil) != c.concurrency {
			t.Errorf("ValidateConcurrency(%q) = %v, want valid %v", c.s, errC, c.concurrency)
		}
		if (errE == nil) != c.errors {
			t.Errorf("ValidateErrorThreshold(%q) = %v, want valid %v", c.s, errE, c.errors)
		}
		for _, err := range []error{errC, errE} {
			var fe *baseline.FieldError
			if err != nil && (!errors.Is(err, patchkit.ErrInvalid) || !errors.As(err, &fe) || !strings.Contains(err.Error(), `"`+c.s+`"`)) {
				t.Errorf("%q: error %v is not a FieldError quoting the value", c.s, err)
			}
		}
	}
}
