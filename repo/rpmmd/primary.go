package rpmmd

import (
	"bytes"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/xmlscan"
	"github.com/patchkit/patchkit/repo"
)

// Package is one <package type="rpm"> of primary.xml.
type Package struct {
	Name    string `json:"Name"`
	Arch    string `json:"Arch"`
	Epoch   uint32 `json:"Epoch"`
	Version string `json:"Version"`
	Release string `json:"Release"`
	// SourceRPM is the source rpm's file name ("bash-5.1.8-9.el9.src.rpm");
	// empty for source packages.
	SourceRPM string `json:"SourceRPM,omitempty"`
	// Location is the package file's path inside the repository, checked
	// to stay inside it.
	Location string `json:"Location"`
	// BaseURL is the location's xml:base (createrepo_c --baseurl, and
	// repositories that point at a package pool elsewhere): where the
	// package file is downloaded from, instead of the repository. It is
	// recorded as written; patchkit downloads no package. Empty when not
	// given.
	BaseURL  string   `json:"BaseURL,omitempty"`
	Checksum Checksum `json:"Checksum"`
	Line     int      `json:"-"`
}

// EVR returns epoch:version-release as rpm writes it.
func (p Package) EVR() string {
	return strconv.FormatUint(uint64(p.Epoch), 10) + ":" + p.Version + "-" + p.Release
}

// ToPatchkit returns the record as a patchkit.Package (scheme RPM, epoch
// known), with Repository set to repoID and the source name and version
// taken from the source rpm's file name.
func (p Package) ToPatchkit(repoID string) patchkit.Package {
	q := patchkit.Package{Name: p.Name, Epoch: patchkit.EpochOf(p.Epoch), Version: p.Version, Release: p.Release,
		Arch: p.Arch, Scheme: patchkit.RPM, Repository: repoID}
	if s, ok := strings.CutSuffix(p.SourceRPM, ".rpm"); ok {
		if sp, err := patchkit.ParseNEVRA(s); err == nil {
			q.SourceName = sp.Name
			q.SourceVersion = sp.Version + "-" + sp.Release
		}
	}
	return q
}

// ParsePrimary streams the packages of a primary.xml document. A package
// whose location href leaves the repository, whose xml:base holds a control
// character, or that lacks its name, arch or version, yields an error
// (*repo.PathError, *repo.SyntaxError) in its place and the iteration goes
// on; malformed XML, a limit (a
// *repo.XMLLimitError) or a package count other than the <metadata
// packages="N"> attribute ends it with an error.
func ParsePrimary(name string, r io.Reader, lim Limits) iter.Seq2[Package, error] {
	return func(yield func(Package, error) bool) {
		s := xmlscan.New(r, lim.scan(1<<31))
		in := make(interner, 4096).get
		var (
			cur      Package
			inPkg    bool
			skipPkg  bool
			field    byte // 'n' name, 'a' arch, 's' sourcerpm, 'c' checksum
			text     []byte
			declared = int64(-1)
			count    int64
			bad      string
			seenVer  bool
		)
		for {
			k, err := s.Next()
			if err != nil {
				yield(Package{}, xmlErr(name, err))
				return
			}
			if k == xmlscan.EOF {
				break
			}
			switch k {
			case xmlscan.StartElement:
				n := s.Name()
				d := s.Depth()
				if d == 1 {
					if string(n) != "metadata" {
						yield(Package{}, &repo.SyntaxError{File: name, Line: s.Line(), Msg: "root element is <" + string(n) + ">, want <metadata>"})
						return
					}
					if v, ok := s.Attr("packages"); ok {
						if declared, err = strconv.ParseInt(string(v), 10, 64); err != nil || declared < 0 {
							yield(Package{}, &repo.SyntaxError{File: name, Line: s.Line(), Msg: "packages attribute is not a count"})
							return
						}
					}
					continue
				}
				if d == 2 {
					if string(n) != "package" {
						if err := s.Skip(); err != nil {
							yield(Package{}, xmlErr(name, err))
							return
						}
						continue
					}
					count++
					typ, _ := s.Attr("type")
					skipPkg = string(typ) != "rpm"
					cur, inPkg, bad, seenVer = Package{Line: s.Line()}, true, "", false
					if skipPkg {
						// Not an rpm (e.g. a delta); counted, not returned.
						if err := s.Skip(); err != nil {
							yield(Package{}, xmlErr(name, err))
							return
						}
						inPkg = false
					}
					continue
				}
				if !inPkg {
					continue
				}
				if d == 3 {
					switch string(n) {
					case "name":
						field, text = 'n', text[:0]
					case "arch":
						field, text = 'a', text[:0]
					case "version":
						seenVer = true
						if v, ok := s.Attr("epoch"); ok && len(v) > 0 {
							e, err := strconv.ParseUint(string(v), 10, 32)
							if err != nil {
								bad = "invalid epoch " + strconv.Quote(string(v))
							}
							cur.Epoch = uint32(e)
						}
						v, _ := s.Attr("ver")
						cur.Version = in(v)
						rel, _ := s.Attr("rel")
						cur.Release = in(rel)
					case "checksum":
						t, _ := s.Attr("type")
						cur.Checksum.Type = in(t)
						field, text = 'c', text[:0]
					case "location":
						if b, ok := s.Attr("xml:base"); ok {
							if hasControl(b) {
								bad = "xml:base of the location holds a control character"
							}
							cur.BaseURL = string(b)
						}
						h, _ := s.Attr("href")
						cur.Location = string(h)
					case "format":
					default:
						if err := s.Skip(); err != nil {
							yield(Package{}, xmlErr(name, err))
							return
						}
					}
					continue
				}
				if d == 4 && string(n) == "rpm:sourcerpm" {
					field, text = 's', text[:0]
					continue
				}
				if d >= 4 {
					if err := s.Skip(); err != nil {
						yield(Package{}, xmlErr(name, err))
						return
					}
				}
			case xmlscan.Text:
				if field != 0 {
					text = append(text, s.Text()...)
				}
			case xmlscan.EndElement:
				if field != 0 {
					t := bytes.TrimSpace(text)
					switch field {
					case 'n':
						cur.Name = string(t)
					case 'a':
						cur.Arch = in(t)
					case 's':
						cur.SourceRPM = in(t)
					case 'c':
						cur.Checksum.Value = string(t)
					}
					field = 0
					continue
				}
				if inPkg && s.Depth() == 1 {
					inPkg = false
					var perr error
					switch {
					case bad != "":
						perr = &repo.SyntaxError{File: name, Line: cur.Line, Msg: bad}
					case cur.Name == "" || cur.Arch == "" || !seenVer || cur.Version == "":
						perr = &repo.SyntaxError{File: name, Line: cur.Line, Msg: "package without name, arch or version"}
					default:
						if reason := repo.CheckRelPath(cur.Location); reason != "" {
							perr = &repo.PathError{File: name, Line: cur.Line, Path: cur.Location, Reason: reason}
						}
					}
					if perr != nil {
						if !yield(Package{}, perr) {
							return
						}
						continue
					}
					if !yield(cur, nil) {
						return
					}
				}
			}
		}
		if declared >= 0 && declared != count {
			yield(Package{}, &repo.SyntaxError{File: name, Msg: "declares " + strconv.FormatInt(declared, 10) + " packages, has " + strconv.FormatInt(count, 10)})
		}
	}
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}
