package dpkg

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/patchkit/patchkit"
)

// TestNilArgumentsAndBadOptions: nil arguments and options, and options
// with bad values, give an *OptionError matching patchkit.ErrInvalid, never
// a panic.
func TestNilArgumentsAndBadOptions(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{"var/lib/dpkg/status": {Data: []byte{}}}
	fn := func(patchkit.Package) error { return nil }
	for name, f := range map[string]func() error{
		"Read nil ctx":           func() error { _, err := Read(nil, fsys); return err }, //nolint:staticcheck
		"Read nil fsys":          func() error { _, err := Read(ctx, nil); return err },
		"Read nil option":        func() error { _, err := Read(ctx, fsys, nil); return err },
		"WithMaxLine(-1)":        func() error { _, err := Read(ctx, fsys, WithMaxLine(-1)); return err },
		"ParseStatus nil fn":     func() error { return ParseStatus(ctx, "s", strings.NewReader(""), nil) },
		"ParseStatus nil reader": func() error { return ParseStatus(ctx, "s", nil, fn) },
		"ParseStatus nil option": func() error { return ParseStatus(ctx, "s", strings.NewReader(""), fn, nil) },
		"QueryCommand nil":       func() error { _, err := QueryCommand(nil); return err },
		"QueryProgram(rel)":      func() error { _, err := QueryCommand(QueryProgram("dpkg-query")); return err },
		"QueryAdmindir(rel)":     func() error { _, err := QueryCommand(QueryAdmindir("var/lib/dpkg")); return err },
		"Query nil runner":       func() error { _, err := Query(ctx, nil); return err },
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic: %v", r)
					}
				}()
				err = f()
			}()
			var oe *OptionError
			if !errors.Is(err, patchkit.ErrInvalid) || !errors.As(err, &oe) {
				t.Fatalf("%T %v, want an *OptionError matching patchkit.ErrInvalid", err, err)
			}
		})
	}
}
