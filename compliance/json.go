package compliance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/atomicfile"
)

// MaxReportSize bounds one report that ReadJSON and Reports read, in bytes:
// a node has a few thousand packages, a report of them a few megabytes (an
// item takes about a kilobyte), so the limit leaves room for ten times
// more. Neither holds more than this much of a report in memory before it
// fails with a *StreamError.
const MaxReportSize = 64 << 20

// StreamError reports input that is not a report, or not one this package
// reads: a report larger than MaxReportSize, bytes other than a JSON object
// where a report should start, or an input that ends inside a report.
// Offset is the byte of the input where the report (or the stray byte)
// starts.
type StreamError struct {
	Offset int64
	Reason string
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("compliance: byte %d: %s", e.Offset, e.Reason)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *StreamError) Is(target error) bool { return target == patchkit.ErrInvalid }

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
//
// A report larger than MaxReportSize is a *StreamError; ReadJSON stops
// reading one byte after the limit.
func ReadJSON(rd io.Reader) (Report, error) { return readLimited(rd, MaxReportSize) }

// readLimited is ReadJSON with a limit of its own, for the tests.
func readLimited(rd io.Reader, limit int) (Report, error) {
	data, err := io.ReadAll(io.LimitReader(rd, int64(limit)+1))
	if err != nil {
		return Report{}, err
	}
	if len(data) > limit {
		return Report{}, &StreamError{Reason: tooLarge(limit)}
	}
	return readJSON(data)
}

func tooLarge(limit int) string { return fmt.Sprintf("report larger than %d bytes", limit) }

// readJSON is ReadJSON of a report in memory. The report does not keep
// data.
func readJSON(data []byte) (Report, error) {
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
	if err := checkPresent(&r); err != nil {
		return Report{}, err
	}
	if err := checkStatus(&r); err != nil {
		return Report{}, err
	}
	if r.Items == nil {
		r.Items = []Item{}
	}
	return r, nil
}

// Reports reads a stream of JSON reports (one after another, as JSON Lines
// or concatenated, with white space or nothing between them) one at a time,
// each by ReadJSON's rules. Each yielded report is valid until the next is
// read. It holds at most one report's bytes in memory: a report larger than
// MaxReportSize stops the stream with a *StreamError once that many bytes
// of it have been read, as does anything but a JSON object where a report
// should start and an input that ends inside a report. Every error ends the
// iteration.
func Reports(r io.Reader) iter.Seq2[*Report, error] { return reports(r, MaxReportSize) }

// reports is Reports with a limit of its own, for the tests.
func reports(r io.Reader, limit int) iter.Seq2[*Report, error] {
	return func(yield func(*Report, error) bool) {
		s := reportStream{br: bufio.NewReaderSize(r, 64<<10), limit: limit}
		for {
			data, err := s.next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			rep, err := readJSON(data)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(&rep, nil) {
				return
			}
		}
	}
}

// reportStream splits a stream into the bytes of one JSON object after
// another, never holding more than limit bytes of one. It finds an
// object's end by counting brackets outside strings; whether the bytes are
// valid JSON is left to the decoder.
type reportStream struct {
	br    *bufio.Reader
	off   int64 // bytes of the input consumed
	limit int
	buf   []byte // the current object, reused for the next
}

// next returns the next object's bytes, valid until the following call,
// or io.EOF when only white space is left.
func (s *reportStream) next() ([]byte, error) {
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return nil, err
		}
		s.off++
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if c != '{' {
			return nil, &StreamError{Offset: s.off - 1, Reason: fmt.Sprintf("a report is a JSON object, not something starting with %q", c)}
		}
		break
	}
	start := s.off - 1
	s.buf = append(s.buf[:0], '{')
	depth, inString, escaped := 1, false, false
	for {
		chunk, err := s.br.Peek(max(s.br.Buffered(), 1))
		if len(chunk) == 0 {
			if errors.Is(err, io.EOF) {
				// A syntax error before the end says more than the end.
				var se *json.SyntaxError
				if err := json.Unmarshal(s.buf, new(json.RawMessage)); errors.As(err, &se) && se.Offset < int64(len(s.buf)) {
					return nil, fmt.Errorf("compliance: report: %w", err)
				}
				return nil, &StreamError{Offset: start, Reason: "the input ends inside a report"}
			}
			return nil, err
		}
		end, i := -1, 0
		if escaped {
			escaped, i = false, 1
		}
		for i < len(chunk) && end < 0 {
			if inString {
				// Most of a report is strings: jump to the next quote or
				// backslash.
				j := bytes.IndexByte(chunk[i:], '"')
				if k := bytes.IndexByte(chunk[i:], '\\'); k >= 0 && (j < 0 || k < j) {
					i += k + 2
					if i > len(chunk) {
						escaped = true
					}
					continue
				}
				if j < 0 {
					i = len(chunk)
					break
				}
				inString, i = false, i+j+1
				continue
			}
			switch chunk[i] {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					end = i + 1
				}
			}
			i++
		}
		n := len(chunk)
		if end >= 0 {
			n = end
		}
		if len(s.buf)+n > s.limit {
			return nil, &StreamError{Offset: start, Reason: tooLarge(s.limit)}
		}
		s.buf = grow(s.buf, n, s.limit)
		s.buf = append(s.buf, chunk[:n]...)
		s.br.Discard(n)
		s.off += int64(n)
		if end >= 0 {
			return s.buf, nil
		}
	}
}

// grow makes room for n more bytes in b, doubling its capacity up to limit,
// so that the bytes allocated for a report stay below twice the limit.
func grow(b []byte, n, limit int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	c := min(max(2*cap(b), len(b)+n, 64<<10), limit)
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

// checkPresent refuses a report without a field every report has and
// whose empty value no report holds: such a report could not be written
// back as it was read.
func checkPresent(r *Report) error {
	missing := func(field string) error { return &InputError{Field: field, Reason: "missing"} }
	switch {
	case r.Node.OperatingSystem == "":
		return missing("Node.OperatingSystem")
	case r.Operation == "":
		return missing("Operation")
	case r.Summary.Operation == "":
		return missing("Summary.Operation")
	}
	for i := range r.Items {
		switch {
		case r.Items[i].State == 0:
			return missing(fmt.Sprintf("Items[%d].State", i))
		case r.Items[i].Status == "":
			return missing(fmt.Sprintf("Items[%d].Status", i))
		}
	}
	return nil
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
