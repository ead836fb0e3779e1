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
// ([Client.CacheDir]) keeps, per repository, content-addressed verified
// files and a manifest that is replaced atomically; the format packages
// update it in one step, so that an update that fails for any reason
// leaves the cache as it was and no temporary file behind, and updates of
// one repository wait for each other, also across processes sharing the
// directory.
//
// # Verification
//
// Each format has one verification function, and every path to a
// repository's metadata goes through it: an update over the network, an
// open of the cache, and (for apt) a read of the host's lists directory.
// So a rule (the signature, the keyring, the dates, a downgrade to
// unsigned, a repository trusted without a signature, SHA-1) holds the same
// on every path. The clock, the limits and the weak-digest rule are one
// [Policy], which a Client builds from its options ([Client.Policy]) and
// which the offline readers, such as repo/apt.OpenLists, take directly.
//
// Signatures are OpenPGP (github.com/ProtonMail/go-crypto): clearsigned
// files are split strictly ([SplitClearSigned]) so that nothing outside the
// signed block is ever parsed, detached signature files must hold nothing
// but signatures, the signing key must belong to the repository's own
// [Keyring] and be valid now (not expired, not revoked), and SHA-1
// signatures are refused unless the policy allows them ([WithWeakDigests]).
// Decompression is bounded in output and in the window a stream may ask
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
// ...) carry the details. Malformed input ([*SyntaxError]) and a bad
// option, argument or precondition ([*InvalidError]: an option given a
// value it does not take, a repository without a URI, a nil client) match
// patchkit.ErrInvalid.
package repo
