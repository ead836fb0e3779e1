package dnf

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patchkit/patchkit"
)

// OutputError reports a line of a package manager's output that does not
// have the shape its parser expects.
type OutputError struct {
	Command string // "repoquery", "check-update", "updateinfo list", "updateinfo info"
	Line    int    // 1-based
	Text    string // the line, cut to 200 bytes
	Reason  string
}

func (e *OutputError) Error() string {
	return fmt.Sprintf("dnf %s output, line %d: %s: %q", e.Command, e.Line, e.Reason, e.Text)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *OutputError) Is(target error) bool { return target == patchkit.ErrInvalid }

func outErr(cmd string, line int, text, reason string) *OutputError {
	if len(text) > 200 {
		text = text[:200]
	}
	return &OutputError{Command: cmd, Line: line, Text: text, Reason: reason}
}

// lines calls fn for every line of out (without its newline), numbered
// from 1. A line longer than 1 MiB is an error.
func lines(cmd string, out []byte, fn func(n int, l string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(n, strings.TrimRight(sc.Text(), "\r")); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return outErr(cmd, n+1, "", "cannot read line: "+err.Error())
	}
	return nil
}

// QueryFormat is the repoquery --queryformat NativeUpdates passes: seven
// fields separated by tabs (dnf turns the two characters \t into a tab),
// none of which can hold white space.
const QueryFormat = `%{name}\t%{epoch}\t%{version}\t%{release}\t%{arch}\t%{repoid}\t%{sourcerpm}`

// ParseRepoquery parses the output of dnf repoquery with QueryFormat: one
// package per line, with its repository and source package. Every line
// must have exactly seven fields that follow rpm's grammar.
func ParseRepoquery(out []byte) ([]patchkit.Package, error) {
	const cmd = "repoquery"
	var pkgs []patchkit.Package
	err := lines(cmd, out, func(n int, l string) error {
		if l == "" {
			return nil
		}
		f := strings.Split(l, "\t")
		if len(f) != 7 {
			return outErr(cmd, n, l, fmt.Sprintf("%d tab-separated fields, want 7", len(f)))
		}
		p, err := rpmFields(f[0], f[1], f[2], f[3], f[4])
		if err != nil {
			return outErr(cmd, n, l, err.Error())
		}
		if f[5] == "" || strings.ContainsAny(f[5], " \t") {
			return outErr(cmd, n, l, "empty or malformed repository ID")
		}
		p.Repository = f[5]
		if src, ok := strings.CutSuffix(f[6], ".src.rpm"); ok {
			if sp, err := patchkit.ParseNEVR(src); err == nil {
				p.SourceName, p.SourceVersion = sp.Name, sp.Version+"-"+sp.Release
			}
		}
		pkgs = append(pkgs, p)
		return nil
	})
	return pkgs, err
}

// rpmFields builds a package from separate name, epoch, version, release
// and arch fields, checking each against rpm's grammar.
func rpmFields(name, epoch, version, release, arch string) (patchkit.Package, error) {
	if err := patchkit.ValidateName(patchkit.RPM, name); err != nil {
		return patchkit.Package{}, err
	}
	if err := patchkit.ValidateArch(patchkit.RPM, arch); err != nil {
		return patchkit.Package{}, err
	}
	e, err := strconv.ParseUint(epoch, 10, 32)
	if err != nil {
		return patchkit.Package{}, fmt.Errorf("epoch %q is not a number", epoch)
	}
	p := patchkit.Package{Name: name, Epoch: patchkit.EpochOf(uint32(e)), Version: version, Release: release, Arch: arch, Scheme: patchkit.RPM}
	// ParseNEVRA checks version and release the way rpm names them.
	if _, err := patchkit.ParseNEVRA(p.NEVRA()); err != nil {
		return patchkit.Package{}, err
	}
	return p, nil
}

// parseDNFNEVRA reads a NEVRA as dnf prints it: the epoch only when it is
// not 0, so an absent epoch is 0.
func parseDNFNEVRA(s string) (patchkit.Package, error) {
	p, err := patchkit.ParseNEVRA(s)
	if err != nil {
		return p, err
	}
	if !p.Epoch.Known() {
		p.Epoch = patchkit.EpochOf(0)
	}
	return p, nil
}

// parseNameArchEVR reads check-update's "name.arch" and "[epoch:]version-release".
func parseNameArchEVR(na, evr string) (patchkit.Package, error) {
	dot := strings.LastIndexByte(na, '.')
	if dot <= 0 {
		return patchkit.Package{}, fmt.Errorf("%q is not name.arch", na)
	}
	return parseDNFNEVRA(na[:dot] + "-" + evr + na[dot:])
}

// CheckUpdate is what dnf (or yum) check-update lists.
type CheckUpdate struct {
	// Updates are the package manager's upgrade choices, with Repository
	// set: one per name and architecture (dnf may list one per repository
	// when two offer the same newest version).
	Updates []patchkit.Package
	// Obsoleting pairs an available package with an installed one it
	// obsoletes (the "Obsoleting Packages" section).
	Obsoleting []ObsoletingPair
}

// ObsoletingPair is one entry of check-update's "Obsoleting Packages".
type ObsoletingPair struct {
	By        patchkit.Package // available, Repository set
	Obsoletes patchkit.Package // installed, Repository "@System" or "@repo"
}

// noise reports lines that dnf and yum print around their tables when not
// run with -q (or with -v): the metadata age, dnf's verbose header, yum's
// plugin and mirror lines, subscription-manager's and dnf's running-kernel
// messages.
func noise(l string) bool {
	if strings.Contains(l, ": using metadata from ") && !strings.HasPrefix(l, " ") {
		return true // "<repo>: using metadata from <date>." (-v)
	}
	for _, p := range []string{
		"DNF version: ", "cachedir: ", "User-Agent: ", "repo: using cache for: ",
		"Last metadata expiration check:", "Loaded plugins:", "Loading mirror speeds", " * ",
		"Security: ", "Updating Subscription Management repositories.", "Unable to read consumer identity",
		"This system is not registered", "Determining fastest mirrors",
	} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// ParseCheckUpdate parses the table of dnf check-update (dnf 4) and yum
// check-update (yum 3): "name.arch  [epoch:]version-release  repository"
// rows, a name too long for its column alone on a line with the rest on
// the next, indented, and the "Obsoleting Packages" section whose indented
// rows are the installed packages obsoleted by the row above.
func ParseCheckUpdate(out []byte) (*CheckUpdate, error) {
	const cmd = "check-update"
	cu := &CheckUpdate{}
	var (
		obsoleting bool
		pending    string // a name.arch waiting for its continuation line
		pendLine   int
		lastBy     *patchkit.Package
	)
	err := lines(cmd, out, func(n int, l string) error {
		if pending != "" {
			f := strings.Fields(l)
			if len(f) != 2 || l == "" || (l[0] != ' ' && l[0] != '\t') {
				return outErr(cmd, n, l, "want the version and repository of "+pending+" (line "+strconv.Itoa(pendLine)+")")
			}
			na := pending
			pending = ""
			return addRow(cu, cmd, n, l, na, f[0], f[1], obsoleting, false, &lastBy)
		}
		if strings.TrimSpace(l) == "" || noise(l) {
			return nil
		}
		if strings.TrimSpace(l) == "Obsoleting Packages" {
			obsoleting = true
			lastBy = nil
			return nil
		}
		indented := l[0] == ' ' || l[0] == '\t'
		f := strings.Fields(l)
		switch {
		case len(f) == 1 && !indented:
			pending, pendLine = f[0], n
			return nil
		case len(f) == 3:
			return addRow(cu, cmd, n, l, f[0], f[1], f[2], obsoleting, indented, &lastBy)
		}
		return outErr(cmd, n, l, "not a check-update row")
	})
	if err == nil && pending != "" {
		err = outErr(cmd, pendLine, pending, "the output ends before the version of this package")
	}
	if err != nil {
		return nil, err
	}
	return cu, nil
}

func addRow(cu *CheckUpdate, cmd string, n int, l, na, evr, repoID string, obsoleting, indented bool, lastBy **patchkit.Package) error {
	p, err := parseNameArchEVR(na, evr)
	if err != nil {
		return outErr(cmd, n, l, err.Error())
	}
	p.Repository = repoID
	switch {
	case !obsoleting && indented:
		return outErr(cmd, n, l, "indented row outside the Obsoleting Packages section")
	case !obsoleting:
		cu.Updates = append(cu.Updates, p)
	case !indented:
		cp := p
		*lastBy = &cp
	default:
		if *lastBy == nil {
			return outErr(cmd, n, l, "an obsoleted package without the package that obsoletes it")
		}
		cu.Obsoleting = append(cu.Obsoleting, ObsoletingPair{By: **lastBy, Obsoletes: p})
	}
	return nil
}

// UpdateinfoEntry is one line of dnf updateinfo list: an advisory and one
// package version it ships.
type UpdateinfoEntry struct {
	ID string
	// Label is dnf's column: "Critical/Sec." (and Important, Moderate,
	// Low, Unknown) for security notices, else the type: "bugfix",
	// "enhancement", "newpackage", "unknown".
	Label   string
	Package patchkit.Package
	// Installed is set for dnf's "i" mark (with --all).
	Installed bool
	// Updated is the date dnf prints with -v; zero otherwise.
	Updated time.Time
}

// dnfTime is how dnf 4 prints an advisory date (Python's str of a datetime).
const dnfTime = "2006-01-02 15:04:05"

func validLabel(s string) bool {
	switch s {
	case "bugfix", "enhancement", "newpackage", "unknown", "security":
		return true
	}
	return strings.HasSuffix(s, "/Sec.") && len(s) > len("/Sec.")
}

// ParseUpdateinfoList parses dnf updateinfo list (dnf 4; also with --all,
// whose "i" marks installed versions, and -v, which adds the date):
// "ID LABEL NEVRA [DATE TIME]" per line.
func ParseUpdateinfoList(out []byte) ([]UpdateinfoEntry, error) {
	const cmd = "updateinfo list"
	var es []UpdateinfoEntry
	err := lines(cmd, out, func(n int, l string) error {
		if strings.TrimSpace(l) == "" || noise(l) {
			return nil
		}
		f := strings.Fields(l)
		var e UpdateinfoEntry
		if len(f) > 0 && f[0] == "i" && strings.HasPrefix(l, "i ") {
			e.Installed = true
			f = f[1:]
		}
		switch len(f) {
		case 3:
		case 5:
			t, err := time.Parse(dnfTime, f[3]+" "+f[4])
			if err != nil {
				return outErr(cmd, n, l, "date "+strconv.Quote(f[3]+" "+f[4])+" is not "+dnfTime)
			}
			e.Updated = t
		default:
			return outErr(cmd, n, l, fmt.Sprintf("%d fields, want ID, type and package (and a date)", len(f)))
		}
		e.ID, e.Label = f[0], f[1]
		if !validLabel(e.Label) {
			return outErr(cmd, n, l, "unknown type label "+strconv.Quote(e.Label))
		}
		p, err := parseDNFNEVRA(f[2])
		if err != nil {
			return outErr(cmd, n, l, err.Error())
		}
		e.Package = p
		es = append(es, e)
		return nil
	})
	return es, err
}

// UpdateinfoInfo is one advisory of dnf updateinfo info.
type UpdateinfoInfo struct {
	Title string
	ID    string
	// Type is dnf's label: "security", "bugfix", "enhancement",
	// "newpackage" or "unknown".
	Type string
	// Updated is the date dnf shows, the later of the notice's issued and
	// updated dates (libsolv keeps one), in the zone dnf ran in.
	Updated     time.Time
	Bugs        []string // bugzilla IDs (dnf prints "ID - title")
	CVEs        []string
	Description string
	Severity    string
	Files       []string // with -v
	Installed   string   // "true" or "false" with --all
}

var infoLabels = map[string]bool{"Update ID": true, "Type": true, "Updated": true, "Bugs": true, "CVEs": true,
	"Description": true, "Severity": true, "Rights": true, "Files": true, "Installed": true}

// ParseUpdateinfoInfo parses dnf updateinfo info (dnf 4): blocks of a rule
// of '=', the title, another rule, then "Label: value" lines with the
// labels right-aligned and continuation lines whose label is empty.
func ParseUpdateinfoInfo(out []byte) ([]UpdateinfoInfo, error) {
	const cmd = "updateinfo info"
	var (
		infos []UpdateinfoInfo
		cur   *UpdateinfoInfo
		state int // 0 between blocks, 1 after the first rule, 2 after the title, 3 in the fields
		label string
	)
	isRule := func(l string) bool { return len(l) >= 20 && strings.Trim(l, "=") == "" }
	err := lines(cmd, out, func(n int, l string) error {
		switch state {
		case 0:
			if strings.TrimSpace(l) == "" || noise(l) {
				return nil
			}
			if !isRule(l) {
				return outErr(cmd, n, l, "want a rule of '=' before an advisory")
			}
			state = 1
			return nil
		case 1:
			infos = append(infos, UpdateinfoInfo{Title: strings.TrimSpace(l)})
			cur = &infos[len(infos)-1]
			state = 2
			return nil
		case 2:
			if !isRule(l) {
				return outErr(cmd, n, l, "want a rule of '=' after the title")
			}
			state, label = 3, ""
			return nil
		}
		if isRule(l) {
			state = 1
			return finishInfo(cmd, n, cur)
		}
		if strings.TrimSpace(l) == "" {
			state = 0
			return finishInfo(cmd, n, cur)
		}
		i := strings.Index(l, ": ")
		key := ""
		if i < 0 && strings.HasSuffix(l, ":") {
			i = len(l) - 1
		}
		if i >= 0 {
			key = strings.TrimSpace(l[:i])
		}
		if i < 0 || (key != "" && !infoLabels[key]) || strings.TrimLeft(l[:i], " ") != key {
			return outErr(cmd, n, l, "not a \"Label: value\" line")
		}
		val := ""
		if i+2 <= len(l) {
			val = l[i+2:]
		}
		cont := key == ""
		if cont {
			if label == "" {
				return outErr(cmd, n, l, "continuation line without a label above it")
			}
			key = label
		} else {
			label = key
		}
		switch key {
		case "Update ID":
			cur.ID = strings.TrimSpace(val)
		case "Type":
			cur.Type = strings.TrimSpace(val)
		case "Updated":
			t, err := time.Parse(dnfTime, strings.TrimSpace(val))
			if err != nil {
				return outErr(cmd, n, l, "date is not "+dnfTime)
			}
			cur.Updated = t
		case "Bugs":
			id, _, _ := strings.Cut(val, " - ")
			if id = strings.TrimSpace(id); id != "" {
				cur.Bugs = append(cur.Bugs, id)
			}
		case "CVEs":
			if v := strings.TrimSpace(val); v != "" {
				cur.CVEs = append(cur.CVEs, v)
			}
		case "Description":
			if cont {
				cur.Description += "\n"
			}
			cur.Description += val
		case "Severity":
			cur.Severity = strings.TrimSpace(val)
		case "Files":
			if v := strings.TrimSpace(val); v != "" {
				cur.Files = append(cur.Files, v)
			}
		case "Installed":
			cur.Installed = strings.TrimSpace(val)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch state {
	case 1, 2:
		return nil, outErr(cmd, 0, "", "the output ends inside an advisory's title")
	case 3:
		if err := finishInfo(cmd, 0, cur); err != nil {
			return nil, err
		}
	}
	return infos, nil
}

func finishInfo(cmd string, n int, cur *UpdateinfoInfo) error {
	if cur.ID == "" || cur.Type == "" {
		return outErr(cmd, n, cur.Title, "advisory without an Update ID or Type")
	}
	cur.Description = strings.TrimRight(cur.Description, "\n")
	return nil
}
