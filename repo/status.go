package repo

import (
	"errors"
	"time"
)

// Health says whether a repository's metadata can be trusted for a scan.
// Only HealthOK metadata may make a node compliant: a scan that could not
// read, verify or date a repository's metadata does not know what that
// repository offers, and says so.
type Health string

// The health values.
const (
	// HealthOK: read, verified as configured, and fresh.
	HealthOK Health = "OK"
	// HealthUnsigned: a signature was expected and is missing or bad, or
	// the metadata was read without a keyring where one is configured.
	HealthUnsigned Health = "UNSIGNED"
	// HealthExpired: past its Valid-Until or the configured maximum
	// validity, or dated or signed in the future (beyond the allowed
	// clock skew), or older than what was accepted before.
	HealthExpired Health = "EXPIRED"
	// HealthStale: metadata without an expiry of its own (rpm-md) is older
	// than the maximum age.
	HealthStale Health = "STALE"
	// HealthUnreadable: missing, damaged, failing its checksums or limits,
	// or not cached.
	HealthUnreadable Health = "UNREADABLE"
)

// Status is what a scan knows about one enabled repository.
type Status struct {
	// Name identifies the repository as its package manager names it: a
	// dnf or zypper repository ID, or apt's "URI suite" ("http://deb.debian.org/debian bookworm-security").
	Name string `json:"Name"`
	// Health and, unless HealthOK, Reason: the error that decided it.
	Health Health `json:"Health"`
	Reason string `json:"Reason,omitempty"`
	// Verified is true when the metadata's signature was checked against
	// the repository's keys.
	Verified bool `json:"Verified"`
	// Date is when the metadata was generated (Release Date, repomd
	// revision or newest timestamp); zero when unknown.
	Date time.Time `json:"Date,omitzero"`
	// Packages counts the package versions read from it.
	Packages int `json:"Packages"`
}

// HealthOf maps an error from reading a repository's metadata to its
// health: nil is HealthOK.
func HealthOf(err error) Health {
	switch {
	case err == nil:
		return HealthOK
	case errors.Is(err, ErrFutureDate):
		// Before ErrSignature: a signature made in the future of the
		// clock (FutureSignatureError) is the clock's fault, as a date is.
		return HealthExpired
	case errors.Is(err, ErrSignature), errors.Is(err, ErrDowngradeToInsecure):
		return HealthUnsigned
	case errors.Is(err, ErrExpired), errors.Is(err, ErrRollback),
		errors.Is(err, ErrReleaseInfoChanged):
		return HealthExpired
	case errors.Is(err, ErrStale):
		return HealthStale
	}
	return HealthUnreadable
}

// StatusOf builds the Status of the repository name from the error reading
// it gave (nil for success).
func StatusOf(name string, err error) Status {
	s := Status{Name: name, Health: HealthOf(err)}
	if err != nil {
		s.Reason = err.Error()
	}
	return s
}
