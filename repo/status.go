package repo

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/patchkit/patchkit"
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

// HealthReport is the health of the repositories a scan through the
// package manager reads, judged from the root's files before the package
// manager is asked (the dnf and zypper families' NativeRepoHealth): which
// repositories to leave out (NotOK), and which of the versions the package
// manager then names to keep (Keep).
type HealthReport struct {
	// Repos has one status per repository the root's configuration
	// enables, in its order.
	Repos []Status
	// Unknown gives the reason of a repository a version names that Repos
	// lacks (nil: a generic reason matching ErrNotFound).
	Unknown func(patchkit.Patch) error
	// Logger is told each version Keep leaves out (nil: silent).
	Logger *slog.Logger
}

// NotOK returns the names of the repositories that are not HealthOK, in
// their order: those the package manager is asked without.
func (h *HealthReport) NotOK() []string {
	var out []string
	for _, s := range h.Repos {
		if s.Health != HealthOK {
			out = append(out, s.Name)
		}
	}
	return out
}

// Keep returns the versions of ps whose Repository names a repository that
// is HealthOK, and a copy of Repos with one more for each repository a
// version names that Repos lacks: HealthUnreadable, with Unknown's reason
// for the first such version (its metadata was not checked). h is not
// changed.
func (h *HealthReport) Keep(ps []patchkit.Patch) ([]patchkit.Patch, []Status) {
	logger := h.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	statuses := slices.Clone(h.Repos)
	health := make(map[string]Health, len(statuses))
	for _, s := range statuses {
		health[s.Name] = s.Health
	}
	kept := make([]patchkit.Patch, 0, len(ps))
	for _, p := range ps {
		hl, known := health[p.Repository]
		if !known {
			var err error
			if h.Unknown != nil {
				err = h.Unknown(p)
			}
			if err == nil {
				err = fmt.Errorf("%s is offered from it, and no repository of that name is enabled, so its metadata was not checked: %w", p.NEVRA(), ErrNotFound)
			}
			statuses = append(statuses, StatusOf(p.Repository, err))
			hl = HealthUnreadable
			health[p.Repository] = hl
		}
		if hl != HealthOK {
			logger.Warn("version offered by a repository that is not OK; left out", "package", p.NEVRA(), "repository", p.Repository, "health", hl)
			continue
		}
		kept = append(kept, p)
	}
	return kept, statuses
}
