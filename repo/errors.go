package repo

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
)

// Sentinel errors. Every error this package and its sub-packages return for
// one of these conditions matches the sentinel with errors.Is; the typed
// errors below carry the details (errors.As).
var (
	// ErrSignature: a signature is missing, bad, by a key outside the
	// repository's keyring, by an expired or revoked key, or made with a
	// weak hash; or signed data is malformed (bytes outside the signed
	// block, payload between signatures).
	ErrSignature = errors.New("signature verification failed")
	// ErrHashMismatch: a file's checksum differs from the signed one, or no
	// strong checksum is given for it.
	ErrHashMismatch = errors.New("checksum mismatch")
	// ErrWeakChecksum: a file is given only a weak checksum (SHA-1, MD5).
	// SHA-1 is accepted where the caller opted in (rpmmd's
	// Repo.AllowWeakChecksums); MD5 never is.
	ErrWeakChecksum = errors.New("only a weak checksum is given")
	// ErrSize: a file's size differs from the signed one.
	ErrSize = errors.New("size mismatch")
	// ErrTooLarge: a download or a decompressed stream is larger than its
	// limit.
	ErrTooLarge = errors.New("too large")
	// ErrExpired: the metadata is past its Valid-Until, or older than the
	// configured maximum validity.
	ErrExpired = errors.New("metadata expired")
	// ErrStale: metadata without an expiry of its own is older than the
	// configured maximum age.
	ErrStale = errors.New("metadata stale")
	// ErrRollback: the metadata is older than metadata already accepted for
	// the same repository.
	ErrRollback = errors.New("metadata older than the last accepted")
	// ErrFutureDate: the metadata is dated, or its signature made, in the
	// future, beyond the allowed clock skew.
	ErrFutureDate = errors.New("metadata dated in the future")
	// ErrDowngradeToInsecure: a repository that was signed is now served
	// without a signature.
	ErrDowngradeToInsecure = errors.New("signed repository is now unsigned")
	// ErrReleaseInfoChanged: Origin, Label, Suite or Codename differ from the
	// last accepted Release.
	ErrReleaseInfoChanged = errors.New("release information changed")
	// ErrXMLLimit: an XML document is deeper, larger or has more elements
	// than allowed, or has a document type declaration.
	ErrXMLLimit = errors.New("XML limit exceeded")
	// ErrPathTraversal: a path from metadata (location href, Filename)
	// leaves the repository.
	ErrPathTraversal = errors.New("path leaves the repository")
	// ErrTooSlow: a download fell below the minimum throughput.
	ErrTooSlow = errors.New("download too slow")
	// ErrRedirect: a redirect was refused (too many, a loop, a downgrade
	// from https, another scheme, control characters).
	ErrRedirect = errors.New("redirect refused")
	// ErrNotFound: the server has no such file (HTTP 404 or 410, or a
	// missing local file).
	ErrNotFound = errors.New("not found")
	// ErrNetwork: a request failed below HTTP: the host name did not
	// resolve, the connection was refused or broke, TLS failed, or the
	// HTTP client's own Timeout passed. The caller's cancellation is not
	// one (it matches context.Canceled or context.DeadlineExceeded only).
	ErrNetwork = errors.New("network error")
)

// SyntaxError reports malformed input at a file and line. It matches
// patchkit.ErrInvalid.
type SyntaxError struct {
	File string // the file name as given; may be empty
	Line int    // 1-based; 0 when unknown
	Msg  string
	Err  error // an underlying error, if any
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *SyntaxError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Unwrap returns the underlying error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// InvalidError reports a bad option or argument, or a call whose
// preconditions do not hold (a repository without a URI or suite, a nil
// client). It matches patchkit.ErrInvalid, like every other input error of
// this package and its sub-packages.
type InvalidError struct {
	Func   string // the function or option, e.g. "repo.WithMaxRedirects", "apt.Update"
	Reason string
}

func (e *InvalidError) Error() string { return e.Func + ": " + e.Reason }

// Is reports whether target is patchkit.ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == patchkit.ErrInvalid }

// SignatureError reports a failed signature check.
type SignatureError struct {
	File   string   // the signed file (InRelease, Release.gpg, repomd.xml.asc)
	KeyIDs []string // issuer key IDs (16 hex digits) of the signatures found
	Reason string
	Err    error // the OpenPGP library's error, if any
}

func (e *SignatureError) Error() string {
	s := e.File + ": " + e.Reason
	if len(e.KeyIDs) > 0 {
		s += " (key " + strings.Join(e.KeyIDs, ", ") + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is ErrSignature.
func (e *SignatureError) Is(target error) bool { return target == ErrSignature }

// Unwrap returns the underlying error.
func (e *SignatureError) Unwrap() error { return e.Err }

// HashMismatchError reports a checksum that differs from the signed one.
type HashMismatchError struct {
	File      string
	Algorithm string // "SHA256", "SHA512", ...
	Want, Got string // hex; Want empty when no strong checksum is known
}

func (e *HashMismatchError) Error() string {
	if e.Want == "" {
		return fmt.Sprintf("%s: no strong checksum (SHA256 or SHA512) is given for it", e.File)
	}
	return fmt.Sprintf("%s: %s is %s, want %s", e.File, e.Algorithm, e.Got, e.Want)
}

// Is reports whether target is ErrHashMismatch.
func (e *HashMismatchError) Is(target error) bool { return target == ErrHashMismatch }

// WeakChecksumError reports a file whose only checksum is weak. It matches
// ErrWeakChecksum and ErrHashMismatch.
type WeakChecksumError struct {
	File string
	Type string // the checksum type as written ("sha", "sha1", "md5")
	// OptIn says how to accept the checksum; empty when it is never
	// accepted (MD5).
	OptIn string
}

func (e *WeakChecksumError) Error() string {
	s := fmt.Sprintf("%s: only a weak checksum (%s) is given for it", e.File, e.Type)
	if e.OptIn == "" {
		return s + ", which is never accepted"
	}
	return s + "; to accept SHA-1 checksums, " + e.OptIn
}

// Is reports whether target is ErrWeakChecksum or ErrHashMismatch.
func (e *WeakChecksumError) Is(target error) bool {
	return target == ErrWeakChecksum || target == ErrHashMismatch
}

// SizeError reports a size that differs from the signed one.
type SizeError struct {
	File      string
	Want, Got int64 // Got is a lower bound when the file was cut off at Want+1
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%s: has unexpected size (%d != %d)", e.File, e.Got, e.Want)
}

// Is reports whether target is ErrSize.
func (e *SizeError) Is(target error) bool { return target == ErrSize }

// TooLargeError reports data beyond a limit; reading stopped at Limit+1.
type TooLargeError struct {
	File  string
	What  string // "download", "decompressed data", "LZMA2 dictionary", ...
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: %s is larger than the limit of %d bytes", e.File, e.What, e.Limit)
}

// Is reports whether target is ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ExpiredError reports metadata past its validity.
type ExpiredError struct {
	File       string
	ValidUntil time.Time
	Now        time.Time
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("%s: is no longer valid (valid until %s, now %s)", e.File,
		e.ValidUntil.UTC().Format(time.RFC1123), e.Now.UTC().Format(time.RFC1123))
}

// Is reports whether target is ErrExpired.
func (e *ExpiredError) Is(target error) bool { return target == ErrExpired }

// StaleError reports metadata older than the allowed age.
type StaleError struct {
	File   string
	Date   time.Time
	MaxAge time.Duration
	Now    time.Time
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("%s: generated %s, more than %s before %s", e.File,
		e.Date.UTC().Format(time.RFC3339), e.MaxAge, e.Now.UTC().Format(time.RFC3339))
}

// Is reports whether target is ErrStale.
func (e *StaleError) Is(target error) bool { return target == ErrStale }

// RollbackError reports metadata older than the metadata last accepted for
// the repository. The cache keeps the accepted metadata.
type RollbackError struct {
	File     string
	Date     time.Time // of the offered metadata
	Accepted time.Time // of the metadata last accepted
}

func (e *RollbackError) Error() string {
	return fmt.Sprintf("%s: dated %s, older than the accepted %s", e.File,
		e.Date.UTC().Format(time.RFC3339), e.Accepted.UTC().Format(time.RFC3339))
}

// Is reports whether target is ErrRollback.
func (e *RollbackError) Is(target error) bool { return target == ErrRollback }

// FutureDateError reports metadata dated in the future.
type FutureDateError struct {
	File string
	Date time.Time
	Now  time.Time
}

func (e *FutureDateError) Error() string {
	return fmt.Sprintf("%s: dated %s, in the future (now %s)", e.File,
		e.Date.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
}

// Is reports whether target is ErrFutureDate.
func (e *FutureDateError) Is(target error) bool { return target == ErrFutureDate }

// FutureSignatureError reports a signature made further after the
// verifying clock than the allowed skew (VerifyOptions.MaxFutureSkew,
// Policy.MaxFutureSkew): the clock is behind, or the signature is
// misdated. Its key is not checked (it is not yet valid at the clock's
// time). It matches ErrFutureDate and ErrSignature; HealthOf makes it
// HealthExpired, as metadata dated in the future is.
type FutureSignatureError struct {
	File    string   // the signature file (or the clearsigned file)
	KeyIDs  []string // issuer key IDs (16 hex digits) of the signatures found
	Made    time.Time
	Now     time.Time
	MaxSkew time.Duration
}

func (e *FutureSignatureError) Error() string {
	s := fmt.Sprintf("%s: signature made %s in the future of the scan's clock (made %s, clock %s, allowed skew %s): the clock is behind or the signature is misdated",
		e.File, e.Made.Sub(e.Now), e.Made.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339), e.MaxSkew)
	if len(e.KeyIDs) > 0 {
		s += " (key " + strings.Join(e.KeyIDs, ", ") + ")"
	}
	return s
}

// Is reports whether target is ErrFutureDate or ErrSignature.
func (e *FutureSignatureError) Is(target error) bool {
	return target == ErrFutureDate || target == ErrSignature
}

// DowngradeError reports a signed repository served without a signature.
type DowngradeError struct {
	Repository string
}

func (e *DowngradeError) Error() string {
	return e.Repository + ": was signed, is now served without a signature; keeping the signed metadata"
}

// Is reports whether target is ErrDowngradeToInsecure.
func (e *DowngradeError) Is(target error) bool { return target == ErrDowngradeToInsecure }

// ReleaseInfoChangedError reports a changed Origin, Label, Suite or Codename.
type ReleaseInfoChangedError struct {
	Repository string
	Field      string
	Old, New   string
}

func (e *ReleaseInfoChangedError) Error() string {
	return fmt.Sprintf("%s: changed its %s value from %q to %q", e.Repository, e.Field, e.Old, e.New)
}

// Is reports whether target is ErrReleaseInfoChanged.
func (e *ReleaseInfoChangedError) Is(target error) bool { return target == ErrReleaseInfoChanged }

// XMLLimitError reports an XML document beyond a limit.
type XMLLimitError struct {
	File  string
	Line  int
	What  string // "depth", "token size", "element count", "document type declaration", ...
	Limit int64
}

func (e *XMLLimitError) Error() string {
	if e.Limit > 0 {
		return fmt.Sprintf("%s:%d: XML %s beyond the limit of %d", e.File, e.Line, e.What, e.Limit)
	}
	return fmt.Sprintf("%s:%d: XML %s not accepted", e.File, e.Line, e.What)
}

// Is reports whether target is ErrXMLLimit.
func (e *XMLLimitError) Is(target error) bool { return target == ErrXMLLimit }

// PathError reports a path from metadata that leaves the repository.
type PathError struct {
	File   string // the metadata file
	Line   int
	Path   string // the offending path as given
	Reason string
}

func (e *PathError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return fmt.Sprintf("%s: path %q rejected: %s", loc, e.Path, e.Reason)
}

// Is reports whether target is ErrPathTraversal.
func (e *PathError) Is(target error) bool { return target == ErrPathTraversal }

// SlowError reports a download below the minimum throughput.
type SlowError struct {
	URL      string
	Bytes    int64         // received in the window
	Window   time.Duration // the measuring window
	MinBytes int64         // needed in the window
}

func (e *SlowError) Error() string {
	return fmt.Sprintf("%s: %d bytes in %s, below the minimum of %d", e.URL, e.Bytes, e.Window, e.MinBytes)
}

// Is reports whether target is ErrTooSlow.
func (e *SlowError) Is(target error) bool { return target == ErrTooSlow }

// RedirectError reports a refused redirect.
type RedirectError struct {
	From, To string
	Reason   string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("redirect from %s to %q refused: %s", e.From, e.To, e.Reason)
}

// Is reports whether target is ErrRedirect.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirect }

// HTTPError reports an unexpected HTTP status. 404 and 410 match ErrNotFound.
type HTTPError struct {
	URL        string
	StatusCode int
	Status     string
}

func (e *HTTPError) Error() string { return e.URL + ": " + e.Status }

// Is reports whether target is ErrNotFound for 404 and 410.
func (e *HTTPError) Is(target error) bool {
	return target == ErrNotFound && (e.StatusCode == 404 || e.StatusCode == 410)
}

// NetworkError reports a request that failed below HTTP, naming the URL
// (after redirects) it was for. Err is the transport's error (a
// *net.OpError, *net.DNSError, a TLS error, io.ErrUnexpectedEOF for a cut
// body, ...); an HTTP client's own Timeout also matches
// context.DeadlineExceeded through it, which is not the caller's context
// ending: callers that stop on cancellation test their context.
type NetworkError struct {
	URL string
	Err error
}

func (e *NetworkError) Error() string { return e.URL + ": " + e.Err.Error() }

// Is reports whether target is ErrNetwork.
func (e *NetworkError) Is(target error) bool { return target == ErrNetwork }

// Unwrap returns the transport's error.
func (e *NetworkError) Unwrap() error { return e.Err }
