package compliance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/atomicfile"
)

// maxReport bounds what ReadJSON reads: a node has a few thousand packages.
const maxReport = 256 << 20

// SchemaError reports a report whose SchemaVersion this package cannot
// read: missing, malformed, or of a newer major version.
type SchemaError struct {
	Version string
	Reason  string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("compliance: report schema version %q: %s (this package reads %s)", e.Version, e.Reason, SchemaVersion)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *SchemaError) Is(target error) bool { return target == patchkit.ErrInvalid }

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadJSON reads a report written by WriteJSON. A report of this schema
// version or an older one must hold only the fields of its version; one of
// a newer minor version (same major) may hold fields this package does not
// know, which are ignored; a newer major version is a *SchemaError.
//
// The report must agree with itself where the status is concerned, or
// ReadJSON returns an *InputError naming the field: a Summary.Status of
// COMPLIANT, NON_COMPLIANT or UNKNOWN; never COMPLIANT while a repository's
// Health is not OK; UNKNOWN only with such a repository and no
// non-compliant item; UnknownRepositoryCount and UnknownReasons as the
// repositories give them; no item with the status UNKNOWN; repositories
// as Build accepts them.
func ReadJSON(rd io.Reader) (Report, error) {
	data, err := io.ReadAll(io.LimitReader(rd, maxReport+1))
	if err != nil {
		return Report{}, err
	}
	if len(data) > maxReport {
		return Report{}, fmt.Errorf("compliance: report larger than %d bytes", maxReport)
	}
	var head struct {
		SchemaVersion *string `json:"SchemaVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Report{}, fmt.Errorf("compliance: report: %w", err)
	}
	if head.SchemaVersion == nil {
		return Report{}, &SchemaError{Reason: "missing"}
	}
	v := *head.SchemaVersion
	major, minor, err := parseSchema(v)
	if err != nil {
		return Report{}, &SchemaError{Version: v, Reason: err.Error()}
	}
	ourMajor, ourMinor, _ := parseSchema(SchemaVersion)
	if major > ourMajor {
		return Report{}, &SchemaError{Version: v, Reason: "written by a newer patchkit"}
	}
	if major < 1 {
		return Report{}, &SchemaError{Version: v, Reason: "no such version"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if minor <= ourMinor {
		dec.DisallowUnknownFields()
	}
	var r Report
	if err := dec.Decode(&r); err != nil {
		return Report{}, fmt.Errorf("compliance: report: %w", err)
	}
	if major == 1 && minor == 0 {
		// Schema 1.0 had no repositories and no UNKNOWN.
		switch {
		case r.Repositories != nil:
			return Report{}, &SchemaError{Version: v, Reason: "Repositories is a field of schema 1.1"}
		case r.Summary.UnknownRepositoryCount != 0 || r.Summary.UnknownReasons != nil:
			return Report{}, &SchemaError{Version: v, Reason: "UnknownRepositoryCount and UnknownReasons are fields of schema 1.1"}
		case r.Summary.Status == patchkit.ComplianceUnknown:
			return Report{}, &SchemaError{Version: v, Reason: "the status UNKNOWN is of schema 1.1"}
		}
	}
	if err := checkStatus(&r); err != nil {
		return Report{}, err
	}
	if r.Items == nil {
		r.Items = []Item{}
	}
	return r, nil
}

// checkStatus checks that a report read agrees with itself on the node's
// status: nothing read may say COMPLIANT where a repository was not OK.
func checkStatus(r *Report) error {
	if _, err := checkRepositories("Repositories", r.Repositories); err != nil {
		return err
	}
	nonCompliant := false
	for i := range r.Items {
		switch r.Items[i].Status {
		case patchkit.NonCompliant:
			nonCompliant = true
		case patchkit.ComplianceUnknown:
			return &InputError{Field: fmt.Sprintf("Items[%d].Status", i), Reason: "UNKNOWN is a node's status, never an item's"}
		}
	}
	s := &r.Summary
	n, reasons := unknownRepositories(r.Repositories)
	switch {
	case s.UnknownRepositoryCount != n:
		return &InputError{Field: "Summary.UnknownRepositoryCount", Reason: fmt.Sprintf("%d, but %s not OK", s.UnknownRepositoryCount, repositoriesAre(n))}
	case !slices.Equal(s.UnknownReasons, reasons):
		return &InputError{Field: "Summary.UnknownReasons", Reason: "differ from the repositories' health and reasons"}
	}
	switch s.Status {
	case patchkit.Compliant:
		if n > 0 {
			return &InputError{Field: "Summary.Status", Reason: fmt.Sprintf("COMPLIANT, but %s not OK", repositoriesAre(n))}
		}
		if nonCompliant {
			return &InputError{Field: "Summary.Status", Reason: "COMPLIANT, but an item is NON_COMPLIANT"}
		}
	case patchkit.NonCompliant:
	case patchkit.ComplianceUnknown:
		if n == 0 {
			return &InputError{Field: "Summary.Status", Reason: "UNKNOWN, but every repository is OK"}
		}
		if nonCompliant {
			return &InputError{Field: "Summary.Status", Reason: "UNKNOWN, but an item is NON_COMPLIANT"}
		}
	case "":
		return &InputError{Field: "Summary.Status", Reason: "missing"}
	}
	return nil
}

func parseSchema(v string) (int, int, error) {
	a, b, ok := strings.Cut(v, ".")
	if !ok {
		return 0, 0, errors.New("not MAJOR.MINOR")
	}
	major, err1 := strconv.Atoi(a)
	minor, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || major < 0 || minor < 0 {
		return 0, 0, errors.New("not MAJOR.MINOR")
	}
	return major, minor, nil
}

// SaveFile writes the report to path atomically: a reader sees the previous
// report or the complete new one, never a part; on error the previous file
// is left as it was.
func (r *Report) SaveFile(path string) error {
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := r.WriteJSON(f); err != nil {
		return err
	}
	return f.Commit()
}

// LoadFile reads a report saved with SaveFile.
func LoadFile(path string) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	r, err := ReadJSON(f)
	if err != nil {
		return Report{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// repositoriesAre is "1 repository is", "2 repositories are".
func repositoriesAre(n int) string {
	if n == 1 {
		return "1 repository is"
	}
	return strconv.Itoa(n) + " repositories are"
}
