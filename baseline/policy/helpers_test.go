package policy_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
	"github.com/patchkit/patchkit/baseline/policy"
)

const (
	fixtures         = "../../testdata/policy/"
	baselineFixtures = "../../testdata/baseline/"
	awsExample       = fixtures + "awsdocs-quick-setup-api-patch-policy.json"
)

func open(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// wantField checks that err is invalid input naming path, with a reason
// containing want.
func wantField(t *testing.T, err error, path, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %s: …%s…", path, want)
	}
	if !errors.Is(err, patchkit.ErrInvalid) {
		t.Errorf("%v does not match patchkit.ErrInvalid", err)
	}
	var ve *policy.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Errors {
			if fe.Path == path && strings.Contains(fe.Reason, want) {
				return
			}
		}
	}
	var fe *baseline.FieldError
	if errors.As(err, &fe) && fe.Path == path && strings.Contains(fe.Reason, want) {
		return
	}
	t.Errorf("error %q: no field %s with …%s…", err, path, want)
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
