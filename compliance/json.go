package compliance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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
// version must hold only known fields; one of a newer minor version (same
// major) may hold fields this package does not know, which are ignored; a
// newer major version is a *SchemaError.
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
	if r.Items == nil {
		r.Items = []Item{}
	}
	return r, nil
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
