package dnf_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/scan/dnf"
)

// TestOptionErrorsAreInvalid: every option error matches both dnf.ErrOption
// and patchkit.ErrInvalid, including nil functions and loggers.
func TestOptionErrorsAreInvalid(t *testing.T) {
	base := []dnf.Option{dnf.WithArch("x86_64"), dnf.WithNow(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))}
	for name, opts := range map[string][]dnf.Option{
		"missing WithArch":   {dnf.WithNow(time.Now())},
		"WithArch(bad)":      {dnf.WithArch("pdp11"), dnf.WithNow(time.Now())},
		"nil option":         append(base, nil),
		"WithLogger(nil)":    append(base, dnf.WithLogger(nil)),
		"WithProgress(nil)":  append(base, dnf.WithProgress(nil)),
		"WithObsoletes(nil)": append(base, dnf.WithObsoletes(nil)),
		"WithMaxAge(-1)":     append(base, dnf.WithMaxAge(-1)),
		"WithRefresh alone":  append(base, dnf.WithRefresh(true)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := dnf.Check(context.Background(), fstest.MapFS{}, nil, opts...)
			var oe *dnf.OptionError
			if !errors.As(err, &oe) || !errors.Is(err, dnf.ErrOption) || !errors.Is(err, patchkit.ErrInvalid) {
				t.Fatalf("%T %v: want a *dnf.OptionError matching dnf.ErrOption and patchkit.ErrInvalid", err, err)
			}
		})
	}
}
