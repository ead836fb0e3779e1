// Package repo is patchkit's access to package repositories: their
// configuration, fetching with limits, signature and hash-chain
// verification, freshness, and a local cache. The formats live in the
// sub-packages: repo/apt (InRelease/Release, Packages, the host's apt lists)
// and repo/rpmmd (repomd.xml, primary.xml, updateinfo.xml).
//
// # Configuration
//
//   - apt: one-line sources.list files ([ParseSourcesList]) and deb822
//     .sources files ([ParseDeb822Sources]), read together from a root file
//     system by [LoadAptSources]; [AptKeyring] loads the keyring a source's
//     Signed-By names (files, fingerprints or an inline key).
//   - dnf/yum and zypper .repo files ([ParseRepoFile], [LoadRPMRepos]) with
//     $releasever/$basearch/$arch substitution ([Vars]).
//
// A malformed line is a [*SyntaxError] with its file and line (matching
// patchkit.ErrInvalid); one bad file or section does not hide the good
// ones: the parsers return what they could read together with the errors.
//
// # Fetching and the cache
//
// A [Client] fetches http, https and file URLs with the context's deadline,
// a size limit per file (a larger body fails at limit+1), a
// minimum-throughput guard, a redirect limit, and no redirect from https to
// http or to URLs with control characters. It never asks the server to
// compress, so sizes and hashes are of the bytes as published. Its cache
// keeps, per repository, content-addressed verified files and a manifest
// that is replaced atomically; an update that fails for any reason leaves
// the cache as it was and no temporary file behind ([Client.Begin]).
//
// # Verification
//
// Signatures are OpenPGP (github.com/ProtonMail/go-crypto): clearsigned
// files are split strictly ([SplitClearSigned]) so that nothing outside the
// signed block is ever parsed, detached signature files must hold nothing
// but signatures, the signing key must belong to the repository's own
// [Keyring] and be valid now (not expired, not revoked), and SHA-1
// signatures are refused unless [WithWeakDigests] is given. Decompression
// ([Decompress]) is bounded in output and in the window a stream may ask
// for.
//
// # Errors
//
// Every failure is a typed error that matches a sentinel with errors.Is:
// [ErrSignature], [ErrHashMismatch], [ErrSize], [ErrTooLarge],
// [ErrExpired], [ErrStale], [ErrRollback], [ErrFutureDate],
// [ErrDowngradeToInsecure], [ErrReleaseInfoChanged], [ErrXMLLimit],
// [ErrPathTraversal], [ErrTooSlow], [ErrRedirect], [ErrNotFound]; the
// corresponding types ([*SignatureError] with the key IDs, [*SizeError],
// ...) carry the details.
package repo
