package rollout

import (
	"fmt"
	"strconv"

	"github.com/patchkit/patchkit"
)

// maxRateLen is the longest concurrency or error threshold string the API
// accepts (shapes MaxConcurrency and MaxErrors: 1 to 7 characters).
const maxRateLen = 7

// RateError reports a concurrency or error threshold that does not follow
// the API's grammar, or one that was never set. It matches
// patchkit.ErrInvalid.
type RateError struct {
	Field  string // "Concurrency" or "ErrorThreshold"
	Value  string // the string as given ("" when the field was not set)
	Reason string
}

func (e *RateError) Error() string {
	return fmt.Sprintf("rollout: invalid %s %q: %s", e.Field, e.Value, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *RateError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Concurrency is how many targets may run the operation at the same time:
// a count of at least 1, or a percentage (1% to 100%) of the target set.
// Run Command calls it MaxConcurrency, patch policies Concurrency. The zero
// value is not set; Run and Plan refuse it.
type Concurrency struct {
	n       int // the count or the percentage; 0 when not set
	percent bool
}

// ErrorThreshold is how many targets may fail before no more are started:
// a count (0 or more) or a percentage (0% to 100%) of the target set. Run
// Command calls it MaxErrors, patch policies Error threshold. With a
// threshold of E, dispatching stops when the (E+1)th error arrives. The zero
// value is not set; Run and Plan refuse it (write "0" for none allowed).
type ErrorThreshold struct {
	n       int
	percent bool
	set     bool
}

// ParseConcurrency reads a concurrency as the API writes it, matching
// ^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$ in 1 to 7 characters: "10",
// "10%", "100%". Anything else is a *RateError naming the field.
func ParseConcurrency(s string) (Concurrency, error) {
	n, pct, err := parseRate("Concurrency", s)
	if err != nil {
		return Concurrency{}, err
	}
	if n == 0 {
		reason := "must be at least 1"
		if pct {
			reason = "must be at least 1%"
		}
		return Concurrency{}, &RateError{Field: "Concurrency", Value: s, Reason: reason}
	}
	return Concurrency{n: n, percent: pct}, nil
}

// ParseErrorThreshold reads an error threshold as the API writes it,
// matching ^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$ in 1 to 7
// characters: "0", "3", "10%", "0%". Anything else is a *RateError naming
// the field.
func ParseErrorThreshold(s string) (ErrorThreshold, error) {
	n, pct, err := parseRate("ErrorThreshold", s)
	if err != nil {
		return ErrorThreshold{}, err
	}
	return ErrorThreshold{n: n, percent: pct, set: true}, nil
}

// parseRate checks the grammar both fields share: a count without a leading
// zero (a lone "0" allowed), or a percentage 0% to 100% without a leading
// zero. The callers refuse the zeros their field does not allow.
func parseRate(field, s string) (n int, percent bool, err error) {
	bad := func(reason string) (int, bool, error) {
		return 0, false, &RateError{Field: field, Value: s, Reason: reason}
	}
	switch {
	case s == "":
		return bad("empty")
	case len(s) > maxRateLen:
		return bad(fmt.Sprintf("longer than %d characters", maxRateLen))
	}
	digits := s
	if s[len(s)-1] == '%' {
		percent = true
		digits = s[:len(s)-1]
		if digits == "" {
			return bad("a percentage needs a number before %")
		}
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return bad("not a count (such as 10) or a percentage (such as 10%)")
		}
	}
	if len(digits) > 1 && digits[0] == '0' {
		return bad("leading zero")
	}
	v, convErr := strconv.Atoi(digits) // at most 7 digits: cannot overflow
	if convErr != nil {
		return bad("not a number")
	}
	if percent && v > 100 {
		return bad("a percentage above 100%")
	}
	return v, percent, nil
}

// Of is the concurrency for a set of targets: the count as given, or the
// percentage of targets rounded down but never below 1, so that a rollout
// always makes progress (1% of 50 is 1, 10% of 50 is 5, 15% of 10 is 1).
// It is 0 only for a Concurrency that is not set.
func (c Concurrency) Of(targets int) int {
	if c.n == 0 {
		return 0
	}
	if !c.percent {
		return c.n
	}
	return max(1, percentOf(c.n, targets))
}

// Of is the number of errors a set of targets may have without stopping the
// rollout: the count as given, or the percentage of targets rounded down
// (10% of 50 is 5, so the sixth error stops it; 10% of 55 is also 5; 5% of
// 10 is 0, so the first error stops it). Rounding down keeps the errors
// allowed within the percentage.
func (e ErrorThreshold) Of(targets int) int {
	if !e.percent {
		return e.n
	}
	return percentOf(e.n, targets)
}

// percentOf is floor(p * n / 100) without overflow for any n >= 0.
func percentOf(p, n int) int {
	n = max(n, 0)
	return n/100*p + n%100*p/100
}

// IsPercent reports whether the concurrency is a percentage of the targets.
func (c Concurrency) IsPercent() bool { return c.percent }

// IsPercent reports whether the threshold is a percentage of the targets.
func (e ErrorThreshold) IsPercent() bool { return e.percent }

// IsSet reports whether the concurrency holds a value (the zero value does
// not).
func (c Concurrency) IsSet() bool { return c.n != 0 }

// IsSet reports whether the threshold holds a value (the zero value does
// not).
func (e ErrorThreshold) IsSet() bool { return e.set }

// String gives the value as the API writes it ("" when not set).
func (c Concurrency) String() string { return format(c.n, c.percent, c.n != 0) }

// String gives the value as the API writes it ("" when not set).
func (e ErrorThreshold) String() string { return format(e.n, e.percent, e.set) }

func format(n int, percent, set bool) string {
	switch {
	case !set:
		return ""
	case percent:
		return strconv.Itoa(n) + "%"
	}
	return strconv.Itoa(n)
}

// MarshalText writes the value as the API does; a value that is not set is
// an error.
func (c Concurrency) MarshalText() ([]byte, error) {
	if !c.IsSet() {
		return nil, &RateError{Field: "Concurrency", Reason: "not set"}
	}
	return []byte(c.String()), nil
}

// UnmarshalText reads the value with ParseConcurrency.
func (c *Concurrency) UnmarshalText(b []byte) error {
	v, err := ParseConcurrency(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// MarshalText writes the value as the API does; a value that is not set is
// an error.
func (e ErrorThreshold) MarshalText() ([]byte, error) {
	if !e.IsSet() {
		return nil, &RateError{Field: "ErrorThreshold", Reason: "not set"}
	}
	return []byte(e.String()), nil
}

// UnmarshalText reads the value with ParseErrorThreshold.
func (e *ErrorThreshold) UnmarshalText(b []byte) error {
	v, err := ParseErrorThreshold(string(b))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// Rate is a rate control: concurrency and error threshold together.
type Rate struct {
	Concurrency    Concurrency
	ErrorThreshold ErrorThreshold
}

// ParseRate reads both strings; the error names the field that is wrong.
func ParseRate(concurrency, errorThreshold string) (Rate, error) {
	c, err := ParseConcurrency(concurrency)
	if err != nil {
		return Rate{}, err
	}
	e, err := ParseErrorThreshold(errorThreshold)
	if err != nil {
		return Rate{}, err
	}
	return Rate{Concurrency: c, ErrorThreshold: e}, nil
}

// Limits are a Rate resolved against a number of targets.
type Limits struct {
	// MaxConcurrency is the most targets that run at once (at least 1).
	MaxConcurrency int
	// MaxErrors is the errors allowed: error number MaxErrors+1 stops
	// dispatching.
	MaxErrors int
}

// Limits resolves the rate against a number of targets. A rate with a field
// not set is a *RateError.
func (r Rate) Limits(targets int) (Limits, error) {
	if err := r.check(); err != nil {
		return Limits{}, err
	}
	return Limits{MaxConcurrency: r.Concurrency.Of(targets), MaxErrors: r.ErrorThreshold.Of(targets)}, nil
}

func (r Rate) check() error {
	if !r.Concurrency.IsSet() {
		return &RateError{Field: "Concurrency", Reason: "not set"}
	}
	if !r.ErrorThreshold.IsSet() {
		return &RateError{Field: "ErrorThreshold", Reason: "not set"}
	}
	return nil
}
