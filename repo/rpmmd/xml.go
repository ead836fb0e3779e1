// Package rpmmd reads rpm-md repositories (dnf, yum, zypper): repomd.xml
// with its detached signature, and the primary and updateinfo files it
// names, each checked against its checksum, size, open-checksum and
// open-size before a record of it is returned.
//
// The XML files are read with a purpose-built streaming scanner that
// refuses document type declarations and bounds depth, token size and
// element counts; records are streamed as iterators.
package rpmmd

import (
	"errors"
	"io"
	"strconv"
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

// parseTime reads the date forms rpm-md files use: Unix seconds
// ("1700000000"), "2006-01-02 15:04:05", "2006-01-02", and RFC 3339. All
// are taken as UTC.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
