package rpmmd

import (
	"bytes"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/xmlscan"
	"github.com/patchkit/patchkit/repo"
)

// ParseUpdateinfo streams the <update> entries of an updateinfo.xml as
// advisories, in the forms of Amazon Linux, RHEL and its rebuilds, Fedora
// and SUSE: id, type, title, severity, issued and updated dates (Unix
// seconds or "YYYY-MM-DD hh:mm:ss"), CVE and bugzilla references, packages
// (with their epoch known only when written), reboot_suggested at the
// update or the package level, and restart_suggested at the package level
// (libsolv reads both flags inside <package> only and sets them on the
// update; a reboot written on the update itself, as createrepo_c and Pulp
// can write it, is counted too, a restart is not, so that the flag zypper
// shows and the one read here agree). Repository is set to repoID on each.
//
// An update without an id, with an unknown type or an unreadable date
// yields a *repo.SyntaxError in its place and the iteration goes on;
// malformed XML or a limit ends it.
func ParseUpdateinfo(name string, r io.Reader, repoID string, lim Limits) iter.Seq2[patchkit.Advisory, error] {
	maxPer := lim.MaxPerRecord
	if maxPer <= 0 {
		maxPer = 100_000
	}
	return func(yield func(patchkit.Advisory, error) bool) {
		s := xmlscan.New(r, lim.scan(1<<31))
		in := interner{}.get
		var (
			a       patchkit.Advisory
			inUpd   bool
			bad     string
			line    int
			field   string
			text    []byte
			typ     string
			pkg     *patchkit.Package
			nPkgRef int
		)
		fail := func(msg string) {
			if bad == "" {
				bad = msg
			}
		}
		for {
			k, err := s.Next()
			if err != nil {
				yield(patchkit.Advisory{}, xmlErr(name, err))
				return
			}
			if k == xmlscan.EOF {
				return
			}
			switch k {
			case xmlscan.StartElement:
				el := string(s.Name())
				d := s.Depth()
				if d == 1 {
					if el != "updates" {
						yield(patchkit.Advisory{}, &repo.SyntaxError{File: name, Line: s.Line(), Msg: "root element is <" + el + ">, want <updates>"})
						return
					}
					continue
				}
				if d == 2 {
					if el != "update" {
						if err := s.Skip(); err != nil {
							yield(patchkit.Advisory{}, xmlErr(name, err))
							return
						}
						continue
					}
					inUpd, bad, line, nPkgRef = true, "", s.Line(), 0
					a = patchkit.Advisory{Repository: repoID}
					t, _ := s.Attr("type")
					typ = string(t)
					continue
				}
				if !inUpd {
					continue
				}
				switch el {
				case "id", "title", "severity", "reboot_suggested", "release", "summary", "description", "rights", "solution", "filename", "name", "sum", "restart_suggested", "relogin_suggested":
					if d == 3 || el == "reboot_suggested" || el == "restart_suggested" {
						field, text = el, text[:0]
					}
				case "issued", "updated":
					if d == 3 {
						v, _ := s.Attr("date")
						t, ok := parseTime(strings.TrimSpace(string(v)))
						if !ok && len(v) > 0 {
							fail("<" + el + "> date " + strconv.Quote(string(v)) + " is not a date")
						}
						if el == "issued" {
							a.Issued = t
						} else {
							a.Updated = t
						}
					}
				case "reference":
					nPkgRef++
					if nPkgRef > maxPer {
						yield(patchkit.Advisory{}, &repo.XMLLimitError{File: name, Line: s.Line(), What: "references and packages of one update", Limit: int64(maxPer)})
						return
					}
					rt, _ := s.Attr("type")
					id, _ := s.Attr("id")
					rid := strings.TrimSpace(string(id))
					switch strings.ToLower(string(rt)) {
					case "cve":
						if rid == "" {
							if t, ok := s.Attr("title"); ok && strings.HasPrefix(string(t), "CVE-") {
								rid = string(t)
							}
						}
						if rid != "" && !slices.Contains(a.CVEIDs, rid) {
							a.CVEIDs = append(a.CVEIDs, in([]byte(rid)))
						}
					case "bugzilla":
						if rid != "" && !slices.Contains(a.BugzillaIDs, rid) {
							a.BugzillaIDs = append(a.BugzillaIDs, rid)
						}
					}
				case "package":
					nPkgRef++
					if nPkgRef > maxPer {
						yield(patchkit.Advisory{}, &repo.XMLLimitError{File: name, Line: s.Line(), What: "references and packages of one update", Limit: int64(maxPer)})
						return
					}
					p := patchkit.Package{Scheme: patchkit.RPM, Repository: repoID}
					get := func(k string) string {
						v, _ := s.Attr(k)
						return in(v)
					}
					p.Name, p.Version, p.Release, p.Arch = get("name"), get("version"), get("release"), get("arch")
					if e, ok := s.Attr("epoch"); ok && len(e) > 0 {
						n, err := strconv.ParseUint(string(e), 10, 32)
						if err != nil {
							fail("package epoch " + strconv.Quote(string(e)) + " is not a number")
						}
						p.Epoch = patchkit.EpochOf(uint32(n))
					}
					if src := get("src"); src != "" {
						if sp, err := patchkit.ParseNEVRA(strings.TrimSuffix(src, ".rpm")); err == nil {
							p.SourceName, p.SourceVersion = sp.Name, sp.Version+"-"+sp.Release
						}
					}
					if p.Name == "" || p.Version == "" {
						fail("package without name or version")
					}
					a.Packages = append(a.Packages, p)
					pkg = &a.Packages[len(a.Packages)-1]
				}
			case xmlscan.Text:
				if field != "" {
					text = append(text, s.Text()...)
				}
			case xmlscan.EndElement:
				el := string(s.Name())
				if field != "" && el == field {
					v := string(bytes.TrimSpace(text))
					switch field {
					case "id":
						a.ID = v
					case "title":
						a.Title = v
					case "severity":
						a.Severity = v
					case "reboot_suggested", "restart_suggested":
						// libsolv's rule: a value starting with T, t or 1.
						// A reboot counts at either level (see
						// ParseUpdateinfo); a restart inside a package only,
						// as libsolv reads it.
						if len(v) > 0 && (v[0] == 'T' || v[0] == 't' || v[0] == '1') {
							if field == "reboot_suggested" {
								a.RebootSuggested = true
							} else if pkg != nil {
								a.RestartSuggested = true
							}
						}
					}
					field = ""
					continue
				}
				if el == "package" {
					pkg = nil
				}
				if el == "update" && s.Depth() == 1 && inUpd {
					inUpd = false
					_ = pkg
					var perr error
					switch {
					case bad != "":
						perr = &repo.SyntaxError{File: name, Line: line, Msg: bad}
					case a.ID == "":
						perr = &repo.SyntaxError{File: name, Line: line, Msg: "update without an id"}
					default:
						t, err := patchkit.ParseAdvisoryType(typ)
						if err != nil {
							perr = &repo.SyntaxError{File: name, Line: line, Msg: "update " + a.ID + ": type " + strconv.Quote(typ), Err: err}
						}
						a.Type = t
					}
					if perr != nil {
						if !yield(patchkit.Advisory{}, perr) {
							return
						}
						continue
					}
					if !yield(a, nil) {
						return
					}
				}
			}
		}
	}
}
