// Package apt reads apt repositories: InRelease (clearsigned) or Release
// with Release.gpg, verified against the source's own keyring; the hash
// chain from the signed Release to every Packages file; freshness
// (Valid-Until, future dates, rollback); Packages files in every compression
// apt uses, streamed as records; and the host's own lists directory.
//
// Nothing is returned before it is verified: records come only from files
// whose size and SHA-256 (or SHA-512) match the signed Release, and only
// the signed part of an InRelease file is parsed.
//
// A Release is read three ways: fetched from a mirror ([Update]), from the
// client's cache ([Open]) and from an apt lists directory ([OpenLists],
// which needs only a repo.Policy, no client). All three check it with the
// same function, the way apt does at update time: InRelease, else Release
// with Release.gpg, a bad signature never passed over for another file; an
// unsigned Release only for a Trusted repository, and never after a signed
// one (a downgrade) unless AllowDowngradeToInsecure; Date, Valid-Until and
// Max-ValidTime at the policy's time; and, where an earlier Release was
// accepted (Update's previous one, the state recorded with the cache), no
// older Date and no changed Origin, Label, Suite or Codename. A lists
// directory records no earlier Release, so OpenLists has no rollback or
// downgrade check. Bad arguments (a Repo without URI, suite or components,
// a nil client) are *repo.InvalidError, matching patchkit.ErrInvalid.
package apt

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patchkit/patchkit/repo"
)

// Release is a parsed Release file (the signed text of InRelease).
type Release struct {
	Origin, Label, Suite, Version, Codename string

	Date       time.Time
	ValidUntil time.Time // zero when absent

	Architectures []string
	Components    []string
	// AcquireByHash: index files may be fetched by their hash.
	AcquireByHash bool
	NotAutomatic  bool
	// ButAutomaticUpgrades goes with NotAutomatic (backports).
	ButAutomaticUpgrades bool
	// SignedBy lists the fingerprints the Release says may sign it.
	SignedBy []string
	// NoSupportForArchAll is the No-Support-for-Architecture-all field:
	// "Packages" means the architecture indexes already hold the "all"
	// packages, and binary-all is not to be read.
	NoSupportForArchAll string

	// Files maps each listed path (relative to the Release's directory) to
	// its size and checksums.
	Files map[string]FileInfo
}

// FileInfo is one file listed in a Release file.
type FileInfo struct {
	Path   string
	Size   int64
	SHA256 string // lower-case hex, or ""
	SHA512 string
	// Weak reports that only MD5Sum or SHA1 were given, which are not
	// accepted.
	Weak bool
}

// Strong returns the strongest checksum listed: SHA512, else SHA256.
func (f FileInfo) Strong() (alg, sum string, ok bool) {
	switch {
	case f.SHA512 != "":
		return "SHA512", f.SHA512, true
	case f.SHA256 != "":
		return "SHA256", f.SHA256, true
	}
	return "", "", false
}

// Origin identifies the Release a package came from.
type Origin struct {
	Origin, Label, Suite, Codename, Version string
}

// Origin returns the Release's origin fields.
func (r *Release) OriginInfo() *Origin {
	return &Origin{Origin: r.Origin, Label: r.Label, Suite: r.Suite, Codename: r.Codename, Version: r.Version}
}

// String returns the origin as apt prints it: "Label:Version/Suite" (apt-get
// -s), e.g. "Debian-Security:12/oldstable-security".
func (o *Origin) String() string {
	if o == nil {
		return ""
	}
	s := o.Label
	if s == "" {
		s = o.Origin
	}
	s += ":"
	if o.Version != "" {
		s += o.Version + "/"
	}
	return s + o.Suite
}

// ParseRelease parses the text of a Release file (for InRelease, only the
// verified signed text). name is used in errors.
func ParseRelease(name string, content []byte) (*Release, error) {
	var (
		para  repo.Paragraph
		count int
	)
	for p, err := range repo.ParseDeb822(name, bytes.NewReader(content), repo.Deb822Options{MaxLine: repo.DefaultMaxLine}) {
		if err != nil {
			return nil, err
		}
		count++
		if count > 1 {
			return nil, &repo.SyntaxError{File: name, Line: p.Line, Msg: "more than one paragraph in a Release file"}
		}
		para = p
	}
	if count == 0 {
		return nil, &repo.SyntaxError{File: name, Line: 1, Msg: "empty Release file"}
	}
	r := &Release{Files: make(map[string]FileInfo, 64)}
	for _, f := range para.Fields {
		bad := func(msg string) (*Release, error) {
			return nil, &repo.SyntaxError{File: name, Line: f.Line, Msg: f.Name + ": " + msg}
		}
		switch strings.ToLower(f.Name) {
		case "origin":
			r.Origin = f.Value
		case "label":
			r.Label = f.Value
		case "suite":
			r.Suite = f.Value
		case "version":
			r.Version = f.Value
		case "codename":
			r.Codename = f.Value
		case "date":
			t, err := ParseDate(f.Value)
			if err != nil {
				return bad(err.Error())
			}
			r.Date = t
		case "valid-until":
			t, err := ParseDate(f.Value)
			if err != nil {
				return bad(err.Error())
			}
			r.ValidUntil = t
		case "architectures":
			r.Architectures = strings.Fields(f.Value)
		case "components":
			r.Components = strings.Fields(f.Value)
		case "acquire-by-hash":
			r.AcquireByHash = strings.EqualFold(f.Value, "yes")
		case "notautomatic":
			r.NotAutomatic = strings.EqualFold(f.Value, "yes")
		case "butautomaticupgrades":
			r.ButAutomaticUpgrades = strings.EqualFold(f.Value, "yes")
		case "no-support-for-architecture-all":
			r.NoSupportForArchAll = f.Value
		case "signed-by":
			r.SignedBy = strings.FieldsFunc(f.Value, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' })
		case "md5sum", "sha1", "sha256", "sha512":
			alg := strings.ToLower(f.Name)
			first, rest, _ := strings.Cut(f.Value, "\n")
			if strings.TrimSpace(first) != "" {
				return bad("checksum list must start on the next line")
			}
			for i := 0; rest != ""; i++ {
				var l string
				l, rest, _ = strings.Cut(rest, "\n")
				sum, sizeText, p, n := fields3(l)
				if n == 0 {
					continue
				}
				if n != 3 {
					return nil, &repo.SyntaxError{File: name, Line: f.Line + 1 + i, Msg: f.Name + ": want \"checksum size path\""}
				}
				size, err := strconv.ParseInt(sizeText, 10, 64)
				if err != nil || size < 0 {
					return nil, &repo.SyntaxError{File: name, Line: f.Line + 1 + i, Msg: f.Name + ": invalid size " + strconv.Quote(sizeText)}
				}
				if !isHex(sum, alg) {
					// Upper-case hex is read too.
					sum = strings.ToLower(sum)
				}
				if !isHex(sum, alg) {
					return nil, &repo.SyntaxError{File: name, Line: f.Line + 1 + i, Msg: f.Name + ": invalid checksum"}
				}
				fi, seen := r.Files[p]
				if seen && fi.Size != size {
					return nil, &repo.SyntaxError{File: name, Line: f.Line + 1 + i, Msg: "sizes of " + p + " differ between checksum lists"}
				}
				fi.Path, fi.Size = p, size
				switch alg {
				case "sha256":
					fi.SHA256 = sum
				case "sha512":
					fi.SHA512 = sum
				}
				fi.Weak = fi.SHA256 == "" && fi.SHA512 == ""
				r.Files[p] = fi
			}
		}
	}
	if r.Date.IsZero() {
		return nil, &repo.SyntaxError{File: name, Line: para.Line, Msg: "no Date field"}
	}
	return r, nil
}

func isHex(s, alg string) bool {
	want := 0
	switch alg {
	case "md5sum":
		want = 32
	case "sha1":
		want = 40
	case "sha256":
		want = 64
	case "sha512":
		want = 128
	}
	if len(s) != want {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// fields3 splits l at white space as strings.Fields does, and returns the
// first three fields and their number, counted up to 4.
func fields3(l string) (a, b, c string, n int) {
	for i := 0; i < len(l); i++ {
		if l[i] >= utf8.RuneSelf {
			f := strings.Fields(l)
			f = append(f, "", "", "")
			return f[0], f[1], f[2], min(len(f)-3, 4)
		}
	}
	var out [3]string
	i := 0
	for n < 4 {
		for i < len(l) && asciiSpace(l[i]) {
			i++
		}
		if i == len(l) {
			break
		}
		j := i
		for j < len(l) && !asciiSpace(l[j]) {
			j++
		}
		if n < 3 {
			out[n] = l[i:j]
		}
		n++
		i = j
	}
	return out[0], out[1], out[2], n
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// ParseDate parses a Release date as apt writes and reads it (RFC 1123 in
// UTC: "Sat, 11 Jul 2026 10:16:37 UTC"; GMT, Z or a numeric offset are
// accepted, other zone names are not, since they are ambiguous).
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	layouts := []string{
		"Mon, _2 Jan 2006 15:04:05 -0700",
		"Mon, _2 Jan 2006 15:04:05 MST",
		"_2 Jan 2006 15:04:05 -0700",
		"_2 Jan 2006 15:04:05 MST",
	}
	for _, l := range layouts {
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		if strings.Contains(l, "MST") {
			zone, _ := t.Zone()
			switch zone {
			case "UTC", "GMT", "Z":
			default:
				return time.Time{}, &repo.SyntaxError{Msg: "date " + strconv.Quote(s) + " is not in UTC"}
			}
		}
		return t.UTC(), nil
	}
	return time.Time{}, &repo.SyntaxError{Msg: "unreadable date " + strconv.Quote(s)}
}
