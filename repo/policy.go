package repo

import (
	"time"
)

// Default limits of a Policy.
const (
	// DefaultMaxFutureSkew is how far in the future a metadata date may be
	// (apt's Max-FutureTime).
	DefaultMaxFutureSkew = 10 * time.Second
	// DefaultMaxFileSize bounds files whose size is not signed and every
	// decompressed stream.
	DefaultMaxFileSize = 2 << 30
)

// Policy is what every verification of repository metadata applies, the
// same on every path (an update over the network, an open of the cache, a
// read of the host's apt lists): the clock that decides freshness and key
// validity, the size limit, the allowed clock skew and whether SHA-1
// signatures are accepted. A Client builds one from its options
// ([Client.Policy]); the offline readers, such as repo/apt.OpenLists, take
// one directly, so that reading metadata already on disk needs no network
// client.
//
// The zero Policy reads the system clock, allows no clock skew, limits
// files to DefaultMaxFileSize and refuses SHA-1 signatures;
// [DefaultPolicy] gives the Client's defaults.
type Policy struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxFutureSkew is how far in the future a metadata date may be, and
	// a signature's creation time (VerifyOptions.MaxFutureSkew).
	MaxFutureSkew time.Duration
	// MaxFileSize limits files whose size is not signed and decompressed
	// streams; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// AllowWeakDigests accepts SHA-1 signatures on metadata (MD5 and
	// RIPEMD-160 never are).
	AllowWeakDigests bool
}

// DefaultPolicy returns the policy of a Client made without options: the
// system clock, DefaultMaxFutureSkew, DefaultMaxFileSize, no SHA-1
// signatures.
func DefaultPolicy() Policy {
	return Policy{Now: time.Now, MaxFutureSkew: DefaultMaxFutureSkew, MaxFileSize: DefaultMaxFileSize}
}

// Validate reports a policy that cannot be applied (a negative skew or
// size) as an *InvalidError.
func (p Policy) Validate() error {
	switch {
	case p.MaxFutureSkew < 0:
		return &InvalidError{Func: "repo.Policy", Reason: "negative MaxFutureSkew"}
	case p.MaxFileSize < 0:
		return &InvalidError{Func: "repo.Policy", Reason: "negative MaxFileSize"}
	}
	return nil
}

// Time returns the policy's current time. A verification reads it once and
// uses that instant for every check it makes.
func (p Policy) Time() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// FileLimit returns MaxFileSize, or DefaultMaxFileSize when it is 0.
func (p Policy) FileLimit() int64 {
	if p.MaxFileSize <= 0 {
		return DefaultMaxFileSize
	}
	return p.MaxFileSize
}

// VerifyOptions returns the signature options at the instant now, with
// the policy's MaxFutureSkew and weak-digest rule.
func (p Policy) VerifyOptions(now time.Time) VerifyOptions {
	return VerifyOptions{Now: now, MaxFutureSkew: p.MaxFutureSkew, AllowWeakDigest: p.AllowWeakDigests}
}
