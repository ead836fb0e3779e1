// Package rpmmd reads rpm-md repositories (dnf, yum, zypper): repomd.xml
// with its detached signature, and the primary and updateinfo files it
// names, each checked against its checksum, size, open-checksum and
// open-size before a record of it is returned.
//
// The XML files are read with a purpose-built streaming scanner that
// refuses document type declarations and bounds depth, token size and
// element counts; records are streamed as iterators.
//
// A repomd.xml is read two ways, fetched from a mirror ([Update]) and from
// the client's cache ([Open]), and checked by the same function on both:
// the signature whenever a keyring is given (and its presence with
// RequireSignature), no unsigned repomd.xml after a signed one unless
// AllowDowngradeToInsecure, primary data named, a Generated date neither
// beyond the policy's clock skew nor older than MaxAge, and not older than
// the one accepted before (Update's previous one, the state recorded with
// the cache). Bad arguments (a Repo without an ID, a nil client, a
// metalink-only configuration) are *repo.InvalidError, matching
// patchkit.ErrInvalid.
package rpmmd

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit/internal/xmlscan"
	"github.com/patchkit/patchkit/repo"
)

// Limits bound the XML files. Zero fields take the defaults.
type Limits struct {
	MaxDepth    int   // default 64
	MaxToken    int   // largest tag or text run, default 1 MiB
	MaxElements int64 // default: repomd 100,000; primary and updateinfo 1<<31
	// MaxPerRecord bounds the references and packages of one advisory
	// (default 100,000).
	MaxPerRecord int
}

func (l Limits) scan(defElements int64) xmlscan.Limits {
	x := xmlscan.Limits{MaxDepth: l.MaxDepth, MaxToken: l.MaxToken, MaxElements: l.MaxElements}
	if x.MaxElements <= 0 {
		x.MaxElements = defElements
	}
	return x
}

// interner gives one string per distinct value of the names, versions and
// other repeated text of a file.
type interner map[string]string

func (m interner) get(b []byte) string {
	if v, ok := m[string(b)]; ok {
		return v
	}
	v := string(b)
	m[v] = v
	return v
}

// xmlErr turns a scanner error into the repo error types.
func xmlErr(file string, err error) error {
	var le *xmlscan.LimitError
	if errors.As(err, &le) {
		return &repo.XMLLimitError{File: file, Line: le.Line, What: le.What, Limit: le.Limit}
	}
	var se *xmlscan.SyntaxError
	if errors.As(err, &se) {
		if se.Msg == "document type declarations are not accepted" {
			return &repo.XMLLimitError{File: file, Line: se.Line, What: "document type declaration"}
		}
		return &repo.SyntaxError{File: file, Line: se.Line, Msg: se.Msg}
	}
	if err == io.ErrUnexpectedEOF {
		return &repo.SyntaxError{File: file, Msg: "unexpected end of document"}
	}
	return err
}

// parseUnix reads Unix seconds, as an integer ("1700000000") or a decimal
// ("1227279057.0", "1257935775.25"): digits only, at most one point, within
// 0..2^40 seconds.
func parseUnix(s string) (time.Time, bool) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || len(whole) > 13 || (hasPoint && (frac == "" || len(frac) > 9)) {
		return time.Time{}, false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return time.Time{}, false
			}
		}
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || n > 1<<40 {
		return time.Time{}, false
	}
	var nsec int64
	if hasPoint {
		f, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		nsec = f
	}
	return time.Unix(n, nsec).UTC(), true
}

// parseTime reads the date forms rpm-md files use: Unix seconds
// ("1700000000", or a decimal: "1227279057.0"), "2006-01-02 15:04:05",
// "2006-01-02", and RFC 3339. All are taken as UTC.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if s[0] >= '0' && s[0] <= '9' && !strings.Contains(s, "-") {
		return parseUnix(s)
	}
	for _, l := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
