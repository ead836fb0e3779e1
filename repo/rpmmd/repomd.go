package rpmmd

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit/internal/xmlscan"
	"github.com/patchkit/patchkit/repo"
)

// Repomd is a parsed repomd.xml.
type Repomd struct {
	Revision string
	// Data maps each data type ("primary", "updateinfo", "filelists",
	// "primary_zck", ...) to its entry.
	Data map[string]Data
	// Generated is the newest timestamp of the data entries (or the
	// revision, when it is a Unix time and no entry has one): when the
	// metadata was made.
	Generated time.Time
}

// Data is one <data> entry of repomd.xml.
type Data struct {
	Type         string
	Location     string // location href, checked to stay inside the repository
	Checksum     Checksum
	OpenChecksum Checksum
	Size         int64 // 0 when not given
	OpenSize     int64
	Timestamp    time.Time
}

// Checksum is an rpm-md checksum.
type Checksum struct {
	Type  string // as written: "sha256", "sha512", "sha", "sha1", "md5", ...
	Value string // lower-case hex
}

// Algorithm returns the checksum's algorithm in the form repocache.Expect takes
// ("SHA256", "SHA512"), or "" when it is weak (sha1, md5) or unknown.
func (c Checksum) Algorithm() string {
	switch strings.ToLower(c.Type) {
	case "sha256":
		if len(c.Value) == 64 && isHex(c.Value) {
			return "SHA256"
		}
	case "sha512":
		if len(c.Value) == 128 && isHex(c.Value) {
			return "SHA512"
		}
	}
	return ""
}

// SHA1 reports whether the checksum is a SHA-1 one ("sha", as createrepo
// and SUSE wrote it until about 2012, or "sha1"): weak, accepted only with
// Repo.AllowWeakChecksums.
func (c Checksum) SHA1() bool {
	switch strings.ToLower(c.Type) {
	case "sha", "sha1":
		return len(c.Value) == 40 && isHex(c.Value)
	}
	return false
}

// algorithm is Algorithm, or "SHA1" for a SHA-1 checksum when weak ones are
// accepted.
func (c Checksum) algorithm(allowWeak bool) string {
	if a := c.Algorithm(); a != "" {
		return a
	}
	if allowWeak && c.SHA1() {
		return "SHA1"
	}
	return ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ParseRepomd reads repomd.xml. A location href that leaves the repository
// (absolute, "..", encoded, a URL, xml:base) is a *repo.PathError.
func ParseRepomd(name string, r io.Reader, lim Limits) (*Repomd, error) {
	s := xmlscan.New(r, lim.scan(100_000))
	md := &Repomd{Data: map[string]Data{}}
	var (
		cur    *Data
		inData bool
		field  string
		text   []byte
		rootOK bool
	)
	for {
		k, err := s.Next()
		if err != nil {
			return nil, xmlErr(name, err)
		}
		if k == xmlscan.EOF {
			break
		}
		switch k {
		case xmlscan.StartElement:
			el := string(s.Name())
			d := s.Depth()
			switch {
			case d == 1:
				if el != "repomd" {
					return nil, &repo.SyntaxError{File: name, Line: s.Line(), Msg: "root element is <" + el + ">, want <repomd>"}
				}
				rootOK = true
			case d == 2 && el == "revision":
				field, text = "revision", text[:0]
			case d == 2 && el == "data":
				typ, _ := s.Attr("type")
				if len(typ) == 0 {
					return nil, &repo.SyntaxError{File: name, Line: s.Line(), Msg: "<data> without a type"}
				}
				cur, inData = &Data{Type: string(typ)}, true
			case d == 3 && inData:
				switch el {
				case "location":
					if _, ok := s.Attr("xml:base"); ok {
						return nil, &repo.PathError{File: name, Line: s.Line(), Path: cur.Type, Reason: "xml:base points outside the repository"}
					}
					href, _ := s.Attr("href")
					h := string(href)
					if reason := repo.CheckRelPath(h); reason != "" {
						return nil, &repo.PathError{File: name, Line: s.Line(), Path: h, Reason: reason}
					}
					cur.Location = h
				case "checksum", "open-checksum":
					t, _ := s.Attr("type")
					field, text = el+"\x00"+string(t), text[:0]
				case "size", "open-size", "timestamp":
					field, text = el, text[:0]
				}
			}
		case xmlscan.Text:
			if field != "" {
				text = append(text, s.Text()...)
			}
		case xmlscan.EndElement:
			el := string(s.Name())
			if field != "" {
				v := strings.TrimSpace(string(text))
				f, typ, _ := strings.Cut(field, "\x00")
				line := s.Line()
				num := func() (int64, error) {
					n, err := strconv.ParseInt(v, 10, 64)
					if err != nil || n < 0 {
						return 0, &repo.SyntaxError{File: name, Line: line, Msg: "<" + f + "> is not a non-negative integer: " + strconv.Quote(v)}
					}
					return n, nil
				}
				var err error
				switch f {
				case "revision":
					md.Revision = v
				case "checksum":
					cur.Checksum = Checksum{Type: typ, Value: strings.ToLower(v)}
				case "open-checksum":
					cur.OpenChecksum = Checksum{Type: typ, Value: strings.ToLower(v)}
				case "size":
					cur.Size, err = num()
				case "open-size":
					cur.OpenSize, err = num()
				case "timestamp":
					// Unix seconds; decimals ("1227279057.0", as
					// SUSE's and yum's tools of 2008-2009 wrote them)
					// are read too.
					t, ok := parseUnix(v)
					if !ok {
						err = &repo.SyntaxError{File: name, Line: line, Msg: "<timestamp> is not a Unix time: " + strconv.Quote(v)}
					}
					cur.Timestamp = t
				}
				if err != nil {
					return nil, err
				}
				field = ""
			}
			if el == "data" && inData && s.Depth() == 1 {
				if cur.Location == "" {
					return nil, &repo.SyntaxError{File: name, Line: s.Line(), Msg: "<data type=\"" + cur.Type + "\"> without a location"}
				}
				if _, dup := md.Data[cur.Type]; dup {
					return nil, &repo.SyntaxError{File: name, Line: s.Line(), Msg: "<data type=\"" + cur.Type + "\"> given twice"}
				}
				if cur.Timestamp.After(md.Generated) {
					md.Generated = cur.Timestamp
				}
				md.Data[cur.Type] = *cur
				cur, inData = nil, false
			}
		}
	}
	if !rootOK {
		return nil, &repo.SyntaxError{File: name, Msg: "no <repomd> element"}
	}
	if md.Generated.IsZero() {
		if t, ok := parseUnix(md.Revision); ok && t.Unix() > 0 {
			md.Generated = t
		}
	}
	return md, nil
}
