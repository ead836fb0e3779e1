package zypper

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/xmlscan"
)

// Limits of zypper's XML output: patch descriptions (kernel updates list
// hundreds of fixes) are the largest tokens.
var streamLimits = xmlscan.Limits{MaxDepth: 16, MaxToken: 4 << 20, MaxElements: 50_000_000}

// Stream is the output of a `zypper --xmlout` command: its messages, and
// the update list (list-updates, list-patches), search result or
// repository list (repos) it printed.
type Stream struct {
	Messages []Message `json:"Messages,omitempty"`
	// Updates are the <update> elements of <update-list>; Blocked those of
	// <blocked-update-list> (list-patches without --all when update-stack
	// patches are needed).
	Updates []Update `json:"Updates,omitempty"`
	Blocked []Update `json:"Blocked,omitempty"`
	// Solvables are the <solvable> elements of a search result.
	Solvables []Solvable `json:"Solvables,omitempty"`
	// Repos are the <repo> elements of `zypper --xmlout repos`.
	Repos []RepoEntry `json:"Repos,omitempty"`
}

// RepoEntry is one <repo> of `zypper --xmlout repos`: a configured
// repository, enabled or not.
type RepoEntry struct {
	Alias    string `json:"Alias"`
	Name     string `json:"Name"`
	Priority int    `json:"Priority"`
	Enabled  bool   `json:"Enabled"`
	Line     int    `json:"-"`
}

// Message is a <message> (Type "info", "warning", "error") or a <prompt>
// (Type "prompt", Text its question) of zypper's output.
type Message struct {
	Type string `json:"Type"`
	Text string `json:"Text"`
}

// Update is one <update> of list-updates or list-patches.
type Update struct {
	Kind       string `json:"Kind"` // "package", "patch", "pattern", "product"
	Name       string `json:"Name"`
	Edition    string `json:"Edition"`
	Arch       string `json:"Arch"`
	EditionOld string `json:"EditionOld,omitempty"`
	ArchOld    string `json:"ArchOld,omitempty"`
	// Patch attributes: status, category, severity, and the pkgmanager,
	// restart and interactive flags.
	Status      string `json:"Status,omitempty"`
	Category    string `json:"Category,omitempty"`
	Severity    string `json:"Severity,omitempty"`
	PkgManager  bool   `json:"PkgManager,omitempty"`
	Restart     bool   `json:"Restart,omitempty"`
	Interactive bool   `json:"Interactive,omitempty"`
	Summary     string `json:"Summary,omitempty"`
	// RepoAlias and RepoURL come from the XML's <source>; RepoName from a
	// table's Repository column, which shows the repository's name (its
	// alias when it has none).
	RepoAlias string    `json:"RepoAlias,omitempty"`
	RepoURL   string    `json:"RepoURL,omitempty"`
	RepoName  string    `json:"RepoName,omitempty"`
	IssueDate time.Time `json:"IssueDate,omitzero"`
	Issues    []Issue   `json:"Issues,omitempty"`
	Line      int       `json:"-"`
}

// Issue is an issue a patch fixes (a CVE, a bugzilla entry).
type Issue struct {
	Type  string `json:"Type"`
	ID    string `json:"Id"`
	Title string `json:"Title,omitempty"`
	Href  string `json:"Href,omitempty"`
}

// Solvable is one <solvable> of a search result.
type Solvable struct {
	Status  string `json:"Status"` // "installed", "other-version", "not-installed"
	Name    string `json:"Name"`
	Kind    string `json:"Kind"`
	Edition string `json:"Edition,omitempty"`
	Arch    string `json:"Arch,omitempty"`
	// Repository is the repository's name (its alias when it has none),
	// or "(System Packages)" for an installed package no repository has.
	Repository string `json:"Repository,omitempty"`
	Line       int    `json:"-"`
}

// ParseStream reads the output of a `zypper --xmlout` command (name is used
// in errors). Malformed XML, a document type declaration, a limit
// exceeded, an <update> without a name, edition or kind, or a <repo>
// without an alias or with an enabled flag or priority that does not
// parse is an *OutputError; elements it does not know are skipped.
func ParseStream(name string, r io.Reader) (*Stream, error) {
	s := xmlscan.New(r, streamLimits)
	out := &Stream{}
	fail := func(line int, msg string, err error) (*Stream, error) {
		return nil, &OutputError{Source: name, Line: line, Msg: msg, Err: err}
	}
	var (
		list *[]Update // the list <update> elements go to
		cur  *Update
		text []byte
	)
	for {
		k, err := s.Next()
		if err != nil {
			var le *xmlscan.LimitError
			var se *xmlscan.SyntaxError
			switch {
			case errors.As(err, &le):
				return fail(le.Line, "XML "+le.What+" beyond the limit of "+strconv.FormatInt(le.Limit, 10), nil)
			case errors.As(err, &se):
				return fail(se.Line, "malformed XML: "+se.Msg, nil)
			}
			return fail(0, "cannot read", err)
		}
		if k == xmlscan.EOF {
			break
		}
		if k != xmlscan.StartElement {
			if k == xmlscan.EndElement {
				switch string(s.Name()) {
				case "update":
					if cur != nil && list != nil {
						*list = append(*list, *cur)
					}
					cur = nil
				case "update-list", "blocked-update-list":
					list = nil
				}
			}
			continue
		}
		el := string(s.Name())
		line := s.Line()
		attr := func(k string) string {
			v, _ := s.Attr(k)
			return string(v)
		}
		if s.Depth() == 1 {
			if el != "stream" {
				return fail(line, "root element is <"+el+">, want <stream>", nil)
			}
			continue
		}
		switch el {
		case "message":
			typ := attr("type")
			if text, err = s.ReadText(text[:0]); err != nil {
				return fail(line, "<message>", err)
			}
			out.Messages = append(out.Messages, Message{Type: typ, Text: string(text)})
		case "prompt":
			var q string
			d := s.Depth()
			for {
				k, err := s.Next()
				if err != nil {
					return fail(line, "<prompt>", err)
				}
				if k == xmlscan.EndElement && s.Depth() < d {
					break
				}
				if k == xmlscan.StartElement && string(s.Name()) == "text" {
					if text, err = s.ReadText(text[:0]); err != nil {
						return fail(line, "<prompt>", err)
					}
					q = string(text)
				}
			}
			out.Messages = append(out.Messages, Message{Type: "prompt", Text: q})
		case "update-status", "search-result", "solvable-list", "repo-list":
		case "repo":
			re := RepoEntry{Alias: attr("alias"), Name: attr("name"), Line: line}
			if re.Alias == "" {
				return fail(line, "<repo> without an alias", nil)
			}
			if re.Name == "" {
				re.Name = re.Alias
			}
			switch v := attr("enabled"); v {
			case "1":
				re.Enabled = true
			case "0":
			default:
				return fail(line, "<repo alias=\""+re.Alias+"\" enabled=\""+v+"\"> is not 0 or 1", nil)
			}
			v := attr("priority")
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1<<20 {
				return fail(line, "<repo alias=\""+re.Alias+"\" priority=\""+v+"\"> is not a priority", nil)
			}
			re.Priority = n
			out.Repos = append(out.Repos, re)
			if err := s.Skip(); err != nil {
				return fail(line, "<repo>", err)
			}
		case "update-list":
			list = &out.Updates
		case "blocked-update-list":
			list = &out.Blocked
		case "update":
			if list == nil || cur != nil {
				return fail(line, "<update> outside an update list", nil)
			}
			u := Update{Kind: attr("kind"), Name: attr("name"), Edition: attr("edition"), Arch: attr("arch"),
				EditionOld: attr("edition-old"), ArchOld: attr("arch-old"), Status: attr("status"),
				Category: attr("category"), Severity: attr("severity"), Line: line}
			for _, f := range []struct {
				k string
				v *bool
			}{{"pkgmanager", &u.PkgManager}, {"restart", &u.Restart}, {"interactive", &u.Interactive}} {
				if v, ok := s.Attr(f.k); ok {
					b, err := strconv.ParseBool(string(v))
					if err != nil {
						return fail(line, "<update "+f.k+"=\""+string(v)+"\"> is not true or false", nil)
					}
					*f.v = b
				}
			}
			if u.Name == "" || u.Kind == "" || u.Edition == "" {
				return fail(line, "<update> without a kind, name or edition", nil)
			}
			cur = &u
		case "summary":
			if cur != nil && s.Depth() == 5 {
				if text, err = s.ReadText(text[:0]); err != nil {
					return fail(line, "<summary>", err)
				}
				cur.Summary = string(text)
			} else if err := s.Skip(); err != nil {
				return fail(line, "<summary>", err)
			}
		case "source":
			if cur != nil {
				cur.RepoAlias, cur.RepoURL = attr("alias"), attr("url")
			}
		case "issue-date":
			if cur != nil {
				v := attr("time_t")
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 || n > 1<<40 {
					return fail(line, "<issue-date time_t=\""+v+"\"> is not a Unix time", nil)
				}
				if n > 0 {
					cur.IssueDate = time.Unix(n, 0).UTC()
				}
			}
		case "issue-list":
		case "issue":
			if cur == nil {
				if err := s.Skip(); err != nil {
					return fail(line, "<issue>", err)
				}
				continue
			}
			is := Issue{Type: attr("type"), ID: attr("id")}
			d := s.Depth()
			for {
				k, err := s.Next()
				if err != nil {
					return fail(line, "<issue>", err)
				}
				if k == xmlscan.EndElement && s.Depth() < d {
					break
				}
				if k == xmlscan.StartElement {
					child := string(s.Name())
					if text, err = s.ReadText(text[:0]); err != nil {
						return fail(line, "<issue>", err)
					}
					switch child {
					case "title":
						is.Title = string(text)
					case "href":
						is.Href = string(text)
					}
				}
			}
			cur.Issues = append(cur.Issues, is)
		case "solvable":
			sv := Solvable{Status: attr("status"), Name: attr("name"), Kind: attr("kind"), Edition: attr("edition"),
				Arch: attr("arch"), Repository: attr("repository"), Line: line}
			if sv.Name == "" {
				return fail(line, "<solvable> without a name", nil)
			}
			out.Solvables = append(out.Solvables, sv)
		default:
			// description, license, status-since, appletinfo, progress, ...
			if err := s.Skip(); err != nil {
				return fail(line, "<"+el+">", err)
			}
		}
	}
	return out, nil
}

// ParseListPatches reads the output of `zypper --xmlout list-patches
// [--all]` into patches (Packages empty: list-patches does not name them).
// A patch with an unknown status is an *OutputError.
func ParseListPatches(name string, r io.Reader) ([]Patch, error) {
	st, err := ParseStream(name, r)
	if err != nil {
		return nil, err
	}
	var out []Patch
	for _, l := range [][]Update{st.Updates, st.Blocked} {
		for _, u := range l {
			if u.Kind != "patch" {
				continue
			}
			p, err := patchOfUpdate(name, u)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

func patchOfUpdate(name string, u Update) (Patch, error) {
	stat := Status(u.Status)
	switch stat {
	case StatusNeeded, StatusOptional, StatusUnwanted, StatusApplied, StatusNotNeeded, StatusRetracted, StatusUndetermined:
	default:
		return Patch{}, &OutputError{Source: name, Line: u.Line, Msg: "patch " + u.Name + " has an unknown status " + strconv.Quote(u.Status)}
	}
	p := Patch{Name: u.Name, Repository: u.RepoAlias, Category: strings.ToLower(u.Category),
		Severity: normSeverity(u.Severity), Status: stat, Date: u.IssueDate, RebootSuggested: u.Restart,
		RestartSuggested: u.PkgManager, Interactive: u.Interactive, Summary: u.Summary}
	for _, is := range u.Issues {
		switch strings.ToLower(is.Type) {
		case "cve":
			p.CVEIDs = appendUnique(p.CVEIDs, is.ID)
		case "bugzilla":
			p.BugzillaIDs = appendUnique(p.BugzillaIDs, is.ID)
		}
	}
	return p, nil
}

// ParseListUpdates reads the output of `zypper --xmlout list-updates`: the
// package updates it lists, each as a patchkit.Package (Repository is the
// repository alias). Updates of other kinds are left out.
func ParseListUpdates(name string, r io.Reader) ([]patchkit.Package, error) {
	st, err := ParseStream(name, r)
	if err != nil {
		return nil, err
	}
	var out []patchkit.Package
	for _, u := range st.Updates {
		if u.Kind != "package" {
			continue
		}
		p, err := packageOf(u.Name, u.Edition, u.Arch)
		if err != nil {
			return nil, &OutputError{Source: name, Line: u.Line, Msg: "update " + u.Name, Err: err}
		}
		p.Repository = u.RepoAlias
		out = append(out, p)
	}
	return out, nil
}

func packageOf(name, ed, arch string) (patchkit.Package, error) {
	if err := patchkit.ValidateName(patchkit.RPM, name); err != nil {
		return patchkit.Package{}, err
	}
	if arch == "" {
		return patchkit.Package{}, errors.New("no arch")
	}
	if err := patchkit.ValidateArch(patchkit.RPM, arch); err != nil {
		return patchkit.Package{}, err
	}
	p, err := parseEdition(ed)
	if err != nil {
		return patchkit.Package{}, err
	}
	p.Name, p.Arch = name, arch
	return p, nil
}

// ParseInfoPatches reads the output of `zypper --xmlout info -t patch
// NAME...`: for each patch its name and repository and, from its
// Conflicts, the packages it names (libsolv writes an entry of
// architecture A as two conflicts, NAME.A and NAME.noarch; the second is
// folded back into the first). Other fields are left empty.
func ParseInfoPatches(name string, r io.Reader) ([]Patch, error) {
	st, err := ParseStream(name, r)
	if err != nil {
		return nil, err
	}
	return infoPatches(name, st)
}

// parseInfoBlock reads one "Field : value" block of zypper info; nil when
// it is not a patch's.
func parseInfoBlock(name, text string) (*Patch, error) {
	var p Patch
	var conflicts []string
	inConflicts := false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), 4<<20)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			if inConflicts {
				if c := strings.TrimSpace(l); c != "" {
					conflicts = append(conflicts, c)
				}
			}
			continue
		}
		inConflicts = false
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "Repository":
			p.Repository = v
		case "Name":
			p.Name = v
		case "Category":
			p.Category = strings.ToLower(v)
		case "Conflicts":
			inConflicts = true
			if !(strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]")) && v != "" {
				conflicts = append(conflicts, v)
			}
		}
	}
	if p.Name == "" || p.Category == "" {
		return nil, nil // not a patch
	}
	pkgs, err := packagesOfConflicts(conflicts)
	if err != nil {
		return nil, &OutputError{Source: name, Msg: "patch " + p.Name + ": conflicts", Err: err}
	}
	p.Packages = pkgs
	return &p, nil
}

// packagesOfConflicts turns a patch's conflicts ("tb-lib.x86_64 <
// 1:2.0-2") back into the package entries of its updateinfo.
func packagesOfConflicts(conflicts []string) ([]patchkit.Package, error) {
	type ent struct {
		p      patchkit.Package
		noarch bool // written as NAME.noarch
	}
	var ents []ent
	for _, c := range conflicts {
		f := strings.Fields(c)
		if len(f) != 3 || f[1] != "<" {
			return nil, errors.New("conflict " + strconv.Quote(c) + " is not NAME[.ARCH] < EDITION")
		}
		n, arch := f[0], ""
		if i := strings.LastIndexByte(n, '.'); i > 0 && knownArch(n[i+1:]) {
			n, arch = n[:i], n[i+1:]
		}
		p, err := parseEdition(f[2])
		if err != nil {
			return nil, errors.New("conflict " + strconv.Quote(c) + ": " + err.Error())
		}
		if err := patchkit.ValidateName(patchkit.RPM, n); err != nil {
			return nil, err
		}
		p.Name, p.Arch = n, arch
		ents = append(ents, ent{p: p, noarch: arch == "noarch"})
	}
	var out []patchkit.Package
	for i, e := range ents {
		if e.noarch {
			paired := false
			for j, o := range ents {
				if j != i && !o.noarch && o.p.Arch != "" && o.p.Name == e.p.Name && cmpEVR(o.p, e.p) == 0 {
					paired = true
				}
			}
			if paired {
				continue
			}
		}
		out = append(out, e.p)
	}
	return out, nil
}
