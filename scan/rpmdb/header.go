package rpmdb

import (
	"errors"
	"fmt"

	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/rpmheader"
)

// HeaderError reports a header blob that is not a well-formed rpm header.
// Where says which record of the database it is (its header instance or
// position).
type HeaderError struct {
	Where  string
	Reason string
}

func (e *HeaderError) Error() string {
	return fmt.Sprintf("rpmdb: header %s: %s", e.Where, e.Reason)
}

// Is reports whether target is ErrCorrupt.
func (e *HeaderError) Is(target error) bool { return target == ErrCorrupt }

// parseHeader reads a header blob, with where in the error.
func parseHeader(where string, blob []byte, f *rpmheader.Fields) error {
	if err := rpmheader.Parse(blob, f); err != nil {
		var he *rpmheader.Error
		if errors.As(err, &he) {
			return &HeaderError{Where: where, Reason: he.Reason}
		}
		return err
	}
	return nil
}

// interner keeps one copy of strings that repeat across packages (arch,
// vendor, install times aside).
type interner map[string]string

func (in interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

// toPackage converts header fields to a patchkit.Package. A header without
// an Epoch tag keeps its epoch unknown: rpm prints no epoch for it (%{EPOCH}
// is "(none)") and orders it as epoch 0.
func toPackage(f *rpmheader.Fields, in interner) patchkit.Package {
	p := patchkit.Package{
		Name:            string(f.Name),
		Version:         string(f.Version),
		Release:         string(f.Release),
		Arch:            in.get(f.Arch),
		Scheme:          patchkit.RPM,
		Vendor:          in.get(f.Vendor),
		ModularityLabel: in.get(f.ModularityLabel),
		State:           patchkit.StateInstalled,
	}
	if f.Epoch >= 0 {
		p.Epoch = patchkit.EpochOf(uint32(f.Epoch))
	}
	if f.InstallTime >= 0 {
		p.InstallTime = time.Unix(f.InstallTime, 0).UTC()
	}
	p.SourceName, p.SourceVersion = splitSourceRPM(string(f.SourceRPM))
	return p
}

// splitSourceRPM splits "bash-5.1.8-9.el9.src.rpm" into "bash" and
// "5.1.8-9.el9". It returns empty strings for a name that is not of that
// shape (gpg-pubkey has none; "(none)").
func splitSourceRPM(s string) (name, version string) {
	s, ok := strings.CutSuffix(s, ".src.rpm")
	if !ok {
		if s, ok = strings.CutSuffix(s, ".nosrc.rpm"); !ok {
			return "", ""
		}
	}
	r := strings.LastIndexByte(s, '-')
	if r <= 0 {
		return "", ""
	}
	v := strings.LastIndexByte(s[:r], '-')
	if v <= 0 {
		return "", ""
	}
	return s[:v], s[v+1:]
}

// isPseudo reports whether a header is one of rpm's pseudo-packages: the
// imported OpenPGP keys (gpg-pubkey), which rpm -qa lists but are not
// software.
func isPseudo(name []byte) bool { return string(name) == "gpg-pubkey" }
