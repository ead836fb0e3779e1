package rpmdb

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/patchkit/patchkit"
)

// TestNilArgumentsAndBadOptions: nil arguments and options, and options
// with bad values, give an *OptionError matching patchkit.ErrInvalid, never
// a panic.
func TestNilArgumentsAndBadOptions(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{}
	db := Database{Format: SQLite, Path: "var/lib/rpm/rpmdb.sqlite", Resolved: "var/lib/rpm/rpmdb.sqlite"}
	visit := func(string, []byte) error { return nil }
	for name, f := range map[string]func() error{
		"Read nil option":         func() error { _, _, err := Read(ctx, fsys, nil); return err },
		"Read nil ctx":            func() error { _, _, err := Read(nil, fsys); return err }, //nolint:staticcheck
		"Read nil fsys":           func() error { _, _, err := Read(ctx, nil); return err },
		"Find nil fsys":           func() error { _, err := Find(nil); return err },
		"ReadDatabase nil fsys":   func() error { _, err := ReadDatabase(ctx, nil, db); return err },
		"ReadDatabase nil option": func() error { _, err := ReadDatabase(ctx, fsys, db, nil); return err },
		"Headers nil visit":       func() error { return Headers(ctx, fsys, db, nil) },
		"Headers nil option":      func() error { return Headers(ctx, fsys, db, visit, nil) },
		"WithMaxSize(0)":          func() error { _, _, err := Read(ctx, fsys, WithMaxSize(0)); return err },
		"QueryCommand nil":        func() error { _, err := QueryCommand(nil); return err },
		"WithRPM(rel)":            func() error { _, err := QueryCommand(WithRPM("rpm")); return err },
		"WithDefine(bad)":         func() error { _, err := QueryCommand(WithDefine("a b", "1")); return err },
		"Query nil runner":        func() error { _, err := Query(ctx, nil); return err },
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
