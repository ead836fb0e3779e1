package zypper

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/patchkit/patchkit/internal/rpmheader"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/rpmdb"
)

// rpmdbInfo is what the metadata backend reads of a root's rpm database
// besides the installed packages (which the caller gives).
type rpmdbInfo struct {
	// keyring holds the keys of the gpg-pubkey headers: the keys zypper
	// trusts (libzypp keeps its trusted keyring in step with them).
	keyring *repo.Keyring
	// db is the database read; empty when the root has none.
	db string
	// problems are gpg-pubkey headers whose key could not be read; their
	// keys are not trusted.
	problems []error
	// provides are the capabilities the installed packages of the asked
	// names provide, by package name.
	provides map[string][]string
}

// readRPMDB reads the root's rpm database once: the imported keys when
// keys is set, and the provides of the packages whose names are in
// provNames. A root without an rpm database yields nothing and db "".
func readRPMDB(ctx context.Context, fsys fs.FS, keys bool, provNames map[string]bool) (rpmdbInfo, error) {
	db, err := rpmdb.Find(fsys)
	if errors.Is(err, rpmdb.ErrNoDatabase) {
		return rpmdbInfo{}, nil
	}
	if err != nil {
		return rpmdbInfo{}, err
	}
	out := rpmdbInfo{db: db.Path, provides: map[string][]string{}}
	var flds rpmheader.Fields
	visit := func(where string, blob []byte) error {
		if err := rpmheader.Parse(blob, &flds); err != nil {
			return &rpmdb.DatabaseError{File: db.Path, Format: db.Format, Err: fmt.Errorf("header %s: %w", where, err)}
		}
		n := string(flds.Name)
		if provNames[n] {
			out.provides[n] = appendUnique(out.provides[n], rpmheader.Strings(blob, rpmheader.TagProvideName)...)
		}
		if !keys || n != "gpg-pubkey" {
			return nil
		}
		name := "rpmdb gpg-pubkey-" + string(flds.Version) + "-" + string(flds.Release)
		desc := rpmheader.Strings(blob, rpmheader.TagDescription)
		if len(desc) == 0 {
			out.problems = append(out.problems, fmt.Errorf("%s: no key in its Description", name))
			return nil
		}
		kr, err := repo.ParseKeyring(name, []byte(desc[0]))
		if err != nil {
			out.problems = append(out.problems, err)
			return nil
		}
		out.keyring = out.keyring.Merge(kr)
		return nil
	}
	if err := rpmdb.Headers(ctx, fsys, db, visit); err != nil {
		return out, err
	}
	return out, nil
}
