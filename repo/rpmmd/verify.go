package rpmmd

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/patchkit/patchkit/internal/repocache"
	"github.com/patchkit/patchkit/repo"
)

// A repomd.xml comes from a mirror during Update or from the client's
// cache in Open; both are file sources (repocache.Source) giving
// "repomd.xml" and "repomd.xml.asc", and verifyRepomd is the only code that
// decides whether what one of them holds is accepted.

// verifiedRepomd is a repomd.xml that verifyRepomd accepted.
type verifiedRepomd struct {
	md   *Repomd
	data []byte
	// v is the signature check; nil for an unsigned repomd.xml (no
	// keyring, or no signature and none required).
	v *repo.Verified
	// files are the source's files it was read from: "repomd.xml" and,
	// when signed, "repomd.xml.asc".
	files []string
}

// accepted is what was accepted before for the repository.
type accepted struct {
	Generated time.Time `json:"Generated"`
	Signed    bool      `json:"Signed"`
}

// verifyRepomd reads and checks a repomd.xml from src, the same way for
// every source, at the instant now:
//
//   - with r.RequireSignature, a keyring is needed and repomd.xml.asc must
//     be there; with a keyring, a repomd.xml.asc that is there must verify
//     against it (pol's weak-digest rule, keys valid at now);
//   - a repository accepted signed before (prev.Signed) that now comes
//     without a verified signature is refused with a *repo.DowngradeError
//     unless r.AllowDowngradeToInsecure;
//   - repomd.xml must parse within r.Limits and name primary data;
//   - a Generated date beyond pol.MaxFutureSkew is a
//     *repo.FutureDateError, one older than r.MaxAge a *repo.StaleError,
//     and one older than prev's a *repo.RollbackError.
func verifyRepomd(ctx context.Context, src repocache.Source, r Repo, pol repo.Policy, now time.Time, prev *accepted) (*verifiedRepomd, error) {
	mdFile, sigFile := r.ID+" repomd.xml", r.ID+" repomd.xml.asc"
	if r.RequireSignature && r.Keyring.Len() == 0 {
		return nil, &repo.SignatureError{File: mdFile, Reason: "repo_gpgcheck is set but no key is given"}
	}
	data, err := src.Read(ctx, "repomd.xml", repo.MaxReleaseSize)
	if err != nil {
		return nil, err
	}
	out := &verifiedRepomd{data: data, files: []string{"repomd.xml"}}
	if r.Keyring.Len() > 0 {
		sig, err := src.Read(ctx, "repomd.xml.asc", repo.MaxSignatureSize)
		switch {
		case err == nil:
			if out.v, err = repo.VerifyDetached(sigFile, data, sig, r.Keyring, pol.VerifyOptions(now)); err != nil {
				return nil, err
			}
			out.files = append(out.files, "repomd.xml.asc")
		case !errors.Is(err, repo.ErrNotFound):
			return nil, err
		}
	}
	if out.v == nil {
		if prev != nil && prev.Signed && !r.AllowDowngradeToInsecure {
			return nil, &repo.DowngradeError{Repository: r.ID}
		}
		if r.RequireSignature {
			return nil, &repo.SignatureError{File: sigFile, Reason: "repomd.xml is not signed"}
		}
	}
	if out.md, err = ParseRepomd(mdFile, bytes.NewReader(data), r.Limits); err != nil {
		return nil, err
	}
	md := out.md
	if _, ok := md.Data["primary"]; !ok {
		return nil, &repo.SyntaxError{File: mdFile, Msg: "no primary data"}
	}
	if md.Generated.After(now.Add(pol.MaxFutureSkew)) {
		return nil, &repo.FutureDateError{File: mdFile, Date: md.Generated, Now: now}
	}
	if r.MaxAge > 0 && now.Sub(md.Generated) > r.MaxAge {
		return nil, &repo.StaleError{File: mdFile, Date: md.Generated, MaxAge: r.MaxAge, Now: now}
	}
	if prev != nil && md.Generated.Before(prev.Generated) {
		return nil, &repo.RollbackError{File: mdFile, Date: md.Generated, Accepted: prev.Generated}
	}
	return out, nil
}
