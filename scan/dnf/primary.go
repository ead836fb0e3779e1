package dnf

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/patchkit/patchkit/internal/xmlscan"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// pkgKey names one package version of one repository's primary.
type pkgKey struct {
	name, arch string
	epoch      uint32
	ver, rel   string
}

// depEntry is an rpm dependency entry of primary.xml (<rpm:entry>), as
// written.
type depEntry struct {
	name, flags, epoch, ver, rel string
}

// extra is what the scan takes from a primary record beyond what
// rpmmd.Package carries: the build time (the release date of a version no
// update notice ships), the obsoletes entries that name an installed
// package, and whether it provides one of the installonly capabilities.
type extra struct {
	buildTime   time.Time
	obsoletes   []depEntry
	installOnly bool
}

// primaryExtras reads the <time build>, <rpm:provides> and <rpm:obsoletes>
// of every package of a primary.xml stream, keeping what concerns the
// installed names: build times and installonly provides of packages whose
// name is installed, and obsoletes entries that name an installed package.
// rpmmd.ParsePrimary reads the same stream for the records themselves and
// is the judge of their validity; this reader only fails on malformed XML.
// When times is not nil, the build time of every rpm record (Unix seconds,
// 0 when it has none) is appended to it in document order, the order in
// which rpmmd.ParsePrimary yields the records.
func primaryExtras(ctx context.Context, name string, r io.Reader, lim rpmmd.Limits, installed map[string]bool, installOnly map[string]bool, times *[]int64) (map[pkgKey]extra, error) {
	xl := xmlscan.Limits{MaxDepth: lim.MaxDepth, MaxToken: lim.MaxToken, MaxElements: lim.MaxElements}
	if xl.MaxElements <= 0 {
		xl.MaxElements = 1 << 31
	}
	s := xmlscan.New(r, xl)
	out := map[pkgKey]extra{}
	var (
		key    pkgKey
		ex     extra
		inPkg  bool
		field  byte // 'n' name, 'a' arch
		text   []byte
		depTyp byte // 'p' provides, 'o' obsoletes
		count  int
	)
	fail := func(err error) (map[pkgKey]extra, error) {
		var le *xmlscan.LimitError
		if errors.As(err, &le) {
			return nil, &repo.XMLLimitError{File: name, Line: le.Line, What: le.What, Limit: le.Limit}
		}
		var se *xmlscan.SyntaxError
		if errors.As(err, &se) {
			return nil, &repo.SyntaxError{File: name, Line: se.Line, Msg: se.Msg}
		}
		if err == io.ErrUnexpectedEOF {
			return nil, &repo.SyntaxError{File: name, Msg: "unexpected end of document"}
		}
		return nil, err
	}
	for {
		k, err := s.Next()
		if err != nil {
			return fail(err)
		}
		if k == xmlscan.EOF {
			return out, nil
		}
		switch k {
		case xmlscan.StartElement:
			d := s.Depth()
			el := s.Name()
			switch {
			case d == 2:
				inPkg = string(el) == "package"
				if !inPkg {
					if err := s.Skip(); err != nil {
						return fail(err)
					}
					continue
				}
				if typ, _ := s.Attr("type"); string(typ) != "rpm" {
					inPkg = false
					if err := s.Skip(); err != nil {
						return fail(err)
					}
					continue
				}
				key, ex = pkgKey{}, extra{}
				if count++; count%4096 == 0 {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
				}
			case !inPkg:
			case d == 3:
				switch string(el) {
				case "name":
					field, text = 'n', text[:0]
				case "arch":
					field, text = 'a', text[:0]
				case "version":
					if v, ok := s.Attr("epoch"); ok && len(v) > 0 {
						if e, err := strconv.ParseUint(string(v), 10, 32); err == nil {
							key.epoch = uint32(e)
						}
					}
					v, _ := s.Attr("ver")
					key.ver = string(v)
					rel, _ := s.Attr("rel")
					key.rel = string(rel)
				case "time":
					if b, ok := s.Attr("build"); ok {
						if n, err := strconv.ParseInt(string(b), 10, 64); err == nil && n > 0 && n < 1<<40 {
							ex.buildTime = time.Unix(n, 0).UTC()
						}
					}
				case "format":
				default:
					if err := s.Skip(); err != nil {
						return fail(err)
					}
				}
			case d == 4:
				switch string(el) {
				case "rpm:provides":
					depTyp = 'p'
				case "rpm:obsoletes":
					depTyp = 'o'
				default:
					if err := s.Skip(); err != nil {
						return fail(err)
					}
				}
			case d == 5 && depTyp != 0 && string(el) == "rpm:entry":
				n, _ := s.Attr("name")
				switch depTyp {
				case 'p':
					if len(installOnly) > 0 && installOnly[string(n)] {
						ex.installOnly = true
					}
				case 'o':
					if installed[string(n)] {
						get := func(a string) string { v, _ := s.Attr(a); return string(v) }
						ex.obsoletes = append(ex.obsoletes, depEntry{name: string(n), flags: get("flags"),
							epoch: get("epoch"), ver: get("ver"), rel: get("rel")})
					}
				}
			}
		case xmlscan.Text:
			if field != 0 {
				text = append(text, s.Text()...)
			}
		case xmlscan.EndElement:
			d := s.Depth()
			if field != 0 {
				t := string(trimSpace(text))
				if field == 'n' {
					key.name = t
				} else {
					key.arch = t
				}
				field = 0
				continue
			}
			if d == 3 && depTyp != 0 {
				depTyp = 0
			}
			if d == 1 && inPkg {
				inPkg = false
				if times != nil {
					var bt int64
					if !ex.buildTime.IsZero() {
						bt = ex.buildTime.Unix()
					}
					*times = append(*times, bt)
				}
				keep := installed[key.name] && (!ex.buildTime.IsZero() || ex.installOnly)
				if keep || len(ex.obsoletes) > 0 {
					out[key] = ex
				}
			}
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
