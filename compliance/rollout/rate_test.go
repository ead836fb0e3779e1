package rollout_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/compliance/rollout"
)

// The API's patterns (SSM API model, shapes MaxConcurrency and MaxErrors,
// both 1 to 7 characters).
var (
	concurrencyRE = regexp.MustCompile(`^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$`)
	errorsRE      = regexp.MustCompile(`^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$`)
)

func apiAccepts(re *regexp.Regexp, s string) bool {
	return len(s) >= 1 && len(s) <= 7 && re.MatchString(s)
}

// rateInputs lists every string of up to three characters over the
// alphabet that matters, plus longer edge cases.
func rateInputs() []string {
	alphabet := []string{"0", "1", "5", "9", "%", "-", " ", "x", "."}
	in := []string{"", "100%", "101%", "1000%", "999%", "100", "1000000", "9999999", "10000000", "1234567%",
		"123456%", "0000000", "+5", "5 ", " 5", "1e3", "0x10", "５", "10%%", "%10", "50%", "99%", "100%0"}
	var gen func(prefix string, depth int)
	gen = func(prefix string, depth int) {
		if depth == 0 {
			return
		}
		for _, a := range alphabet {
			in = append(in, prefix+a)
			gen(prefix+a, depth-1)
		}
	}
	gen("", 3)
	for _, d := range []string{"1", "10", "50", "99", "100"} {
		in = append(in, d, d+"%")
	}
	return in
}

// Both parsers accept exactly what the API's patterns accept, over every
// short string of digits, '%' and a few other characters, and the values
// they keep write back unchanged.
func TestParseAgreesWithAPIPattern(t *testing.T) {
	inputs := rateInputs()
	var accepted [2]int
	for _, s := range inputs {
		c, err := rollout.ParseConcurrency(s)
		if want := apiAccepts(concurrencyRE, s); (err == nil) != want {
			t.Errorf("ParseConcurrency(%q): err %v, API pattern accepts: %v", s, err, want)
		}
		if err == nil {
			accepted[0]++
			if c.String() != s {
				t.Errorf("ParseConcurrency(%q).String() = %q", s, c.String())
			}
		} else {
			checkRateError(t, err, "Concurrency", s)
		}
		e, err := rollout.ParseErrorThreshold(s)
		if want := apiAccepts(errorsRE, s); (err == nil) != want {
			t.Errorf("ParseErrorThreshold(%q): err %v, API pattern accepts: %v", s, err, want)
		}
		if err == nil {
			accepted[1]++
			if e.String() != s {
				t.Errorf("ParseErrorThreshold(%q).String() = %q", s, e.String())
			}
		} else {
			checkRateError(t, err, "ErrorThreshold", s)
		}
	}
	t.Logf("%d inputs: %d concurrency and %d error threshold strings accepted", len(inputs), accepted[0], accepted[1])
	if accepted[0] < 20 || accepted[1] < 20 {
		t.Fatalf("too few accepted inputs to mean anything: %v", accepted)
	}
}

func checkRateError(t *testing.T, err error, field, value string) {
	t.Helper()
	var re *rollout.RateError
	if !errors.As(err, &re) || re.Field != field || re.Value != value || re.Reason == "" {
		t.Errorf("%s %q: error %#v, want a *RateError naming the field and value", field, value, err)
		return
	}
	if !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("%s %q: error does not match patchkit.ErrInvalid", field, value)
	}
	if !strings.Contains(err.Error(), field) {
		t.Errorf("message %q does not name %s", err.Error(), field)
	}
}

func TestRateErrorReasons(t *testing.T) {
	for _, tc := range []struct {
		field, in, reason string
	}{
		{"Concurrency", "0", "at least 1"},
		{"Concurrency", "0%", "at least 1%"},
		{"Concurrency", "", "empty"},
		{"Concurrency", "12345678", "longer than 7"},
		{"Concurrency", "101%", "above 100%"},
		{"Concurrency", "05", "leading zero"},
		{"Concurrency", "%", "number before %"},
		{"ErrorThreshold", "-1", "not a count"},
		{"ErrorThreshold", "2.5%", "not a count"},
		{"ErrorThreshold", "00", "leading zero"},
	} {
		var err error
		if tc.field == "Concurrency" {
			_, err = rollout.ParseConcurrency(tc.in)
		} else {
			_, err = rollout.ParseErrorThreshold(tc.in)
		}
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s %q: error %v, want one saying %q", tc.field, tc.in, err, tc.reason)
		}
	}
	if _, err := rollout.ParseRate("5", "x"); err == nil || err.(*rollout.RateError).Field != "ErrorThreshold" {
		t.Errorf("ParseRate(5, x): %v, want the ErrorThreshold named", err)
	}
	if _, err := rollout.ParseRate("0", "1"); err == nil || err.(*rollout.RateError).Field != "Concurrency" {
		t.Errorf("ParseRate(0, 1): %v, want Concurrency named", err)
	}
}

// Percentages resolve against the target set: the documented 10% of 50 is
// 5 errors allowed (the sixth stops the rollout); the rest are this
// package's rounding (down, concurrency at least 1).
func TestOf(t *testing.T) {
	for _, tc := range []struct {
		conc, errs string
		targets    int
		c, e       int
	}{
		{"10%", "10%", 50, 5, 5}, // the documented example
		{"10%", "10%", 55, 5, 5},
		{"10%", "10%", 59, 5, 5},
		{"10%", "10%", 60, 6, 6},
		{"1%", "1%", 50, 1, 0},
		{"15%", "15%", 10, 1, 1},
		{"5%", "5%", 10, 1, 0},
		{"100%", "100%", 37, 37, 37},
		{"100%", "0%", 0, 1, 0},
		{"50", "0", 10, 50, 0},
		{"3", "3", 1000, 3, 3},
		{"99%", "99%", 1_000_000_007, 990_000_006, 990_000_006},
	} {
		r, err := rollout.ParseRate(tc.conc, tc.errs)
		if err != nil {
			t.Fatal(err)
		}
		lim, err := r.Limits(tc.targets)
		if err != nil {
			t.Fatal(err)
		}
		if lim.MaxConcurrency != tc.c || lim.MaxErrors != tc.e {
			t.Errorf("(%s, %s) of %d targets: %+v, want concurrency %d, errors %d", tc.conc, tc.errs, tc.targets, lim, tc.c, tc.e)
		}
	}
}

func TestUnsetRate(t *testing.T) {
	c, _ := rollout.ParseConcurrency("5")
	e, _ := rollout.ParseErrorThreshold("0")
	for _, tc := range []struct {
		rate  rollout.Rate
		field string
	}{
		{rollout.Rate{}, "Concurrency"},
		{rollout.Rate{ErrorThreshold: e}, "Concurrency"},
		{rollout.Rate{Concurrency: c}, "ErrorThreshold"},
	} {
		_, err := tc.rate.Limits(10)
		var re *rollout.RateError
		if !errors.As(err, &re) || re.Field != tc.field || !errors.Is(err, patchkit.ErrInvalid) {
			t.Errorf("Limits of %+v: %v, want a *RateError for %s", tc.rate, err, tc.field)
		}
		if _, err := rollout.Plan([]int{1}, tc.rate); !errors.As(err, &re) || re.Field != tc.field {
			t.Errorf("Plan with %+v: %v", tc.rate, err)
		}
	}
	if c.IsPercent() || !c.IsSet() || (rollout.Concurrency{}).IsSet() || (rollout.ErrorThreshold{}).IsSet() {
		t.Error("IsSet/IsPercent wrong")
	}
	if _, err := (rollout.Concurrency{}).MarshalText(); err == nil {
		t.Error("an unset concurrency marshalled")
	}
	if _, err := (rollout.ErrorThreshold{}).MarshalText(); err == nil {
		t.Error("an unset error threshold marshalled")
	}
}

func TestRateJSON(t *testing.T) {
	type policy struct {
		Concurrency    rollout.Concurrency
		ErrorThreshold rollout.ErrorThreshold
	}
	var p policy
	if err := json.Unmarshal([]byte(`{"Concurrency":"10%","ErrorThreshold":"0"}`), &p); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"Concurrency":"10%","ErrorThreshold":"0"}` {
		t.Errorf("round trip: %s", out)
	}
	err = json.Unmarshal([]byte(`{"Concurrency":"10%","ErrorThreshold":"101%"}`), &p)
	var re *rollout.RateError
	if !errors.As(err, &re) || re.Field != "ErrorThreshold" {
		t.Errorf("bad threshold in JSON: %v", err)
	}
	err = json.Unmarshal([]byte(`{"Concurrency":"0"}`), &p)
	if !errors.As(err, &re) || re.Field != "Concurrency" {
		t.Errorf("bad concurrency in JSON: %v", err)
	}
}
