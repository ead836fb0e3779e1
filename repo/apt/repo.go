package apt

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo"
)

// Repo is one apt repository: a base URI and a suite, with the components
// and architectures to read and the keyring that may sign it.
type Repo struct {
	URI string
	// Mirrors are other base URIs serving the same archive, tried in order
	// when a file cannot be had or verified from URI. Every response is
	// verified on its own.
	Mirrors []string
	// Suite is the distribution ("bookworm", "stable-security"), or a flat
	// repository's path ending in "/" ("./").
	Suite      string
	Components []string
	// Architectures to read; "all" is added when the Release offers it
	// separately (Architectures has "all", and No-Support-for-Architecture-all
	// is not "Packages").
	// Required, except for a flat repository and for lists that hold the
	// architectures (OpenLists then reads those present).
	Architectures []string
	// Keyring holds the only keys that may sign the Release.
	Keyring *repo.Keyring

	// Trusted accepts an unsigned repository (apt's [trusted=yes]); its
	// snapshot says Verified false. A signed repository is still verified.
	Trusted bool
	// IgnoreValidUntil skips the Valid-Until check (check-valid-until=no).
	IgnoreValidUntil bool
	// MaxValidTime, when positive, treats a Release older than this as
	// expired (apt's Max-ValidTime); the earlier of this and Valid-Until
	// wins.
	MaxValidTime time.Duration
	// AllowReleaseInfoChange accepts a change of Origin, Label, Suite or
	// Codename (apt --allow-releaseinfo-change).
	AllowReleaseInfoChange bool
	// AllowDowngradeToInsecure accepts an unsigned Release after a signed
	// one (with Trusted).
	AllowDowngradeToInsecure bool
}

// Name returns "URI suite" as apt prints repositories.
func (r Repo) Name() string { return strings.TrimRight(r.URI, "/") + " " + r.Suite }

// Flat reports whether the repository is a flat one (suite ends in "/").
func (r Repo) Flat() bool { return strings.HasSuffix(r.Suite, "/") }

// noArchitectures is the error for a repository read without saying which
// architectures: the architecture is a fact of the system being scanned,
// never the one of the machine patchkit runs on.
func noArchitectures(r Repo) error {
	return &patchkit.ParseError{Kind: "apt repository", Input: r.Name(), Field: "Architectures",
		Reason: "empty: name the architectures to read (dpkg's names, e.g. amd64; osdetect.DebianArch maps OS.Arch)"}
}

// ReposFromSource expands an enabled "deb" source into its repositories
// (one per URI and suite), with the keyring its Signed-By names read from
// fsys (the root the configuration came from) and its options applied.
// deb-src entries and disabled sources give none.
func ReposFromSource(ctx context.Context, fsys fs.FS, src repo.AptSource) ([]Repo, error) {
	if !src.Enabled {
		return nil, nil
	}
	isDeb := false
	for _, t := range src.Types {
		if t == "deb" {
			isDeb = true
		}
	}
	if !isDeb {
		return nil, nil
	}
	var kr *repo.Keyring
	trusted := src.BoolOption("trusted", false)
	k, err := repo.AptKeyring(ctx, fsys, src)
	if err != nil {
		if !trusted {
			return nil, fmt.Errorf("%s:%d: %w", src.File, src.Line, err)
		}
	} else {
		kr = k
	}
	var out []Repo
	for _, u := range src.URIs {
		for _, s := range src.Suites {
			out = append(out, Repo{
				URI:              u,
				Suite:            s,
				Components:       src.Components,
				Architectures:    src.Architectures,
				Keyring:          kr,
				Trusted:          trusted,
				IgnoreValidUntil: !src.BoolOption("check-valid-until", true),
			})
		}
	}
	return out, nil
}

// CheckFreshness applies apt's date rules to a Release at now: a Date more
// than maxFuture ahead is a *repo.FutureDateError; a Valid-Until in the past
// (unless ignoreValidUntil), or a Date older than maxValid (when positive),
// is a *repo.ExpiredError.
func (r *Release) CheckFreshness(file string, now time.Time, maxFuture time.Duration, ignoreValidUntil bool, maxValid time.Duration) error {
	if r.Date.After(now.Add(maxFuture)) {
		return &repo.FutureDateError{File: file, Date: r.Date, Now: now}
	}
	until := time.Time{}
	if !ignoreValidUntil && !r.ValidUntil.IsZero() {
		until = r.ValidUntil
	}
	if maxValid > 0 {
		if t := r.Date.Add(maxValid); until.IsZero() || t.Before(until) {
			until = t
		}
	}
	if !until.IsZero() && now.After(until) {
		return &repo.ExpiredError{File: file, ValidUntil: until, Now: now}
	}
	return nil
}

// checkInfo compares the release information with the accepted one.
func checkInfo(name string, old, cur *Origin) error {
	if old == nil {
		return nil
	}
	for _, f := range []struct{ field, a, b string }{
		{"Origin", old.Origin, cur.Origin},
		{"Label", old.Label, cur.Label},
		{"Suite", old.Suite, cur.Suite},
		{"Codename", old.Codename, cur.Codename},
	} {
		if f.a != f.b {
			return &repo.ReleaseInfoChangedError{Repository: name, Field: f.field, Old: f.a, New: f.b}
		}
	}
	return nil
}

var errNoIndex = errors.New("no such index in the Release")
