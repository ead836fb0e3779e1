package repo

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestHealthOf(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		err  error
		want Health
	}{
		{nil, HealthOK},
		{&SignatureError{File: "InRelease", Reason: "bad signature"}, HealthUnsigned},
		{fmt.Errorf("wrapped: %w", &DowngradeError{Repository: "r"}), HealthUnsigned},
		{&ExpiredError{File: "Release", ValidUntil: now}, HealthExpired},
		{&FutureDateError{File: "Release", Date: now}, HealthExpired},
		{&RollbackError{File: "Release"}, HealthExpired},
		{&StaleError{File: "repomd.xml", Date: now, MaxAge: time.Hour, Now: now}, HealthStale},
		{&HashMismatchError{File: "Packages"}, HealthUnreadable},
		{errors.New("connection refused"), HealthUnreadable},
	} {
		if got := HealthOf(tc.err); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
		s := StatusOf("r", tc.err)
		if (s.Reason == "") != (tc.err == nil) {
			t.Errorf("%v: reason %q", tc.err, s.Reason)
		}
	}
}
