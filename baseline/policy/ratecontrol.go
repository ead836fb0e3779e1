package policy

import (
	"fmt"

	"github.com/patchkit/patchkit/baseline"
)

// ValidateConcurrency checks a concurrency (a patch policy's
// RateControlConcurrency, an association's or a command's MaxConcurrency)
// with the API's grammar: 1 to 7 characters, an integer from 1, or a
// percentage from 1% to 100% (^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$).
func ValidateConcurrency(s string) error {
	return rateControl("concurrency", s, false)
}

// ValidateErrorThreshold checks an error threshold (RateControlErrorThreshold,
// MaxErrors): 1 to 7 characters, an integer from 0, or a percentage from 0%
// to 100% (^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$).
func ValidateErrorThreshold(s string) error {
	return rateControl("error threshold", s, true)
}

func rateControl(what, s string, zero bool) error {
	fail := func(reason string) error {
		return &baseline.FieldError{Path: what, Reason: fmt.Sprintf("%q %s", s, reason)}
	}
	if n := len(s); n < 1 || n > 7 {
		return fail(fmt.Sprintf("has %d characters, 1 to 7 allowed", n))
	}
	digits, pct := s, false
	if s[len(s)-1] == '%' {
		digits, pct = s[:len(s)-1], true
	}
	if digits == "" {
		return fail("has no number")
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return fail("is not a count or a percentage")
		}
	}
	if len(digits) > 1 && digits[0] == '0' {
		return fail("has a leading zero")
	}
	if digits == "0" && !zero {
		return fail("is zero; at least 1 or 1% is needed")
	}
	if pct && (len(digits) > 3 || len(digits) == 3 && digits != "100") {
		return fail("is more than 100%")
	}
	return nil
}
