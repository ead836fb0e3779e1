package apt

import (
	"context"
	"errors"
	"time"

	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/repo"
)

// The three places a Release comes from (a mirror during Update, the
// client's cache in Open, the host's lists directory in OpenLists) are
// file sources (repocache.Source) giving "InRelease", "Release" and
// "Release.gpg"; verifyRelease is the only code that decides whether what
// one of them holds is accepted.

// verifiedRelease is a Release that verifyRelease accepted.
type verifiedRelease struct {
	rel *Release
	// v is the signature check; nil for an unsigned Release accepted
	// because the repository is Trusted.
	v *repo.Verified
	// files are the source's files it was read from: "InRelease", or
	// "Release" and, when signed, "Release.gpg".
	files []string
}

// accepted is what was accepted before for the repository: the Release
// date, its release information and whether it was signed.
type accepted struct {
	Date   time.Time
	Info   Origin
	Signed bool
}

// verifyRelease reads and checks a Release from src, the same way for
// every source, at the instant now:
//
//   - InRelease when the source has it (its signature must verify against
//     r.Keyring; a bad one is never passed over for Release), else Release
//     with Release.gpg (which must verify when present);
//   - with neither signature file, or with no Release at all, a
//     repository accepted signed before (prev.Signed) is refused with a
//     *repo.DowngradeError unless r.AllowDowngradeToInsecure, even when
//     Trusted, as apt does; otherwise an unsigned Release is accepted only
//     for a Trusted repository;
//   - signatures are checked with pol's weak-digest rule, keys valid at now;
//   - freshness at now: a Date beyond pol.MaxFutureSkew, Valid-Until
//     (unless r.IgnoreValidUntil) and r.MaxValidTime;
//   - against prev, when given: a Date older than the accepted one is a
//     *repo.RollbackError, and changed Origin, Label, Suite or Codename a
//     *repo.ReleaseInfoChangedError unless r.AllowReleaseInfoChange.
func verifyRelease(ctx context.Context, src repocache.Source, r Repo, pol repo.Policy, now time.Time, prev *accepted) (*verifiedRelease, error) {
	name := r.Name()
	downgrade := prev != nil && prev.Signed && !r.AllowDowngradeToInsecure
	opt := pol.VerifyOptions(now)
	var out verifiedRelease
	data, err := src.Read(ctx, "InRelease", repo.MaxReleaseSize)
	switch {
	case err == nil:
		content, v, err := repo.VerifyClearSigned(name+" InRelease", data, r.Keyring, opt)
		if err != nil {
			return nil, err
		}
		if out.rel, err = ParseRelease(name+" InRelease", content); err != nil {
			return nil, err
		}
		out.v, out.files = v, []string{"InRelease"}
	case !errors.Is(err, repo.ErrNotFound):
		return nil, err
	default:
		data, err := src.Read(ctx, "Release", repo.MaxReleaseSize)
		if err != nil {
			if downgrade && errors.Is(err, repo.ErrNotFound) {
				// apt: "no longer has a Release file".
				return nil, &repo.DowngradeError{Repository: name}
			}
			return nil, err
		}
		out.files = []string{"Release"}
		sig, err := src.Read(ctx, "Release.gpg", repo.MaxSignatureSize)
		switch {
		case err == nil:
			if out.v, err = repo.VerifyDetached(name+" Release.gpg", data, sig, r.Keyring, opt); err != nil {
				return nil, err
			}
			out.files = append(out.files, "Release.gpg")
		case !errors.Is(err, repo.ErrNotFound):
			return nil, err
		case downgrade:
			return nil, &repo.DowngradeError{Repository: name}
		case !r.Trusted:
			return nil, &repo.SignatureError{File: name + " Release", Reason: "repository is not signed (no InRelease, no Release.gpg)"}
		}
		if out.rel, err = ParseRelease(name+" Release", data); err != nil {
			return nil, err
		}
	}
	relFile := name + " Release"
	if err := out.rel.CheckFreshness(relFile, now, pol.MaxFutureSkew, r.IgnoreValidUntil, r.MaxValidTime); err != nil {
		return nil, err
	}
	if prev != nil {
		if out.rel.Date.Before(prev.Date) {
			return nil, &repo.RollbackError{File: relFile, Date: out.rel.Date, Accepted: prev.Date}
		}
		if !r.AllowReleaseInfoChange {
			if err := checkInfo(name, &prev.Info, out.rel.OriginInfo()); err != nil {
				return nil, err
			}
		}
	}
	return &out, nil
}
