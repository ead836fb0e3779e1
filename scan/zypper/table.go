package zypper

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// maxTableLine bounds one line of a zypper table (summaries can be long).
const maxTableLine = 1 << 20

// ParseListUpdatesTable reads the table `zypper list-updates` prints
// without --xmlout (columns S, Repository, Name, Current Version, Available
// Version, Arch; Repository may be absent), as captured from runs in the
// C locale. Each row is an Update of kind package with RepoName set.
func ParseListUpdatesTable(name string, r io.Reader) ([]Update, error) {
	return parseTable(name, r, "package", func(u *Update, col, v string) {
		switch col {
		case "Repository":
			u.RepoName = v
		case "Name":
			u.Name = v
		case "Current Version":
			u.EditionOld = v
		case "Available Version":
			u.Edition = v
		case "Arch":
			u.Arch = v
		}
	}, []string{"Name", "Available Version", "Arch"})
}

// ParseListPatchesTable reads the table `zypper list-patches` prints
// without --xmlout (columns Repository, Name, Category, Severity,
// Interactive, Status, optionally Since, Summary). Each row is an Update of
// kind patch: Status as the XML spells it ("not needed" becomes
// "not-needed"), Restart for "reboot" in Interactive, PkgManager for
// "restart", Interactive for reboot, message or licence.
func ParseListPatchesTable(name string, r io.Reader) ([]Update, error) {
	return parseTable(name, r, "patch", func(u *Update, col, v string) {
		switch col {
		case "Repository":
			u.RepoName = v
		case "Name", "Patch":
			u.Name = v
		case "Category":
			u.Category = v
		case "Severity":
			u.Severity = v
		case "Status":
			u.Status = strings.ReplaceAll(v, " ", "-")
		case "Interactive":
			for _, f := range strings.Split(v, ",") {
				switch strings.TrimSpace(f) {
				case "reboot":
					u.Restart, u.Interactive = true, true
				case "message", "licence", "license":
					u.Interactive = true
				case "restart":
					u.PkgManager = true
				}
			}
		case "Summary":
			u.Summary = v
		}
	}, []string{"Name", "Category", "Status"})
}

// parseTable reads a zypper table: a header row of column names separated
// by '|', a separator row of '-' and '+', then one row per entry, ending at
// the first empty line. Lines before the header that are not part of it
// (blank lines, "Loading repository data...") are skipped. The last column
// takes the rest of the line.
func parseTable(name string, r io.Reader, kind string, set func(*Update, string, string), required []string) ([]Update, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxTableLine)
	fail := func(line int, msg string) ([]Update, error) {
		return nil, &OutputError{Source: name, Line: line, Msg: msg}
	}
	var (
		cols  []string
		out   []Update
		state int // 0 before the header, 1 after it, 2 in the rows
		n     int
	)
	for sc.Scan() {
		n++
		l := strings.TrimRight(sc.Text(), "\r")
		switch state {
		case 0:
			if !strings.Contains(l, "|") {
				continue
			}
			for _, c := range strings.Split(l, "|") {
				cols = append(cols, strings.TrimSpace(c))
			}
			for _, want := range required {
				found := false
				for _, c := range cols {
					found = found || c == want || (want == "Name" && c == "Patch")
				}
				if !found {
					return fail(n, "table header has no "+strconv.Quote(want)+" column")
				}
			}
			state = 1
		case 1:
			if strings.Trim(l, "-+") != "" {
				return fail(n, "want the separator row under the header")
			}
			state = 2
		case 2:
			if strings.TrimSpace(l) == "" {
				return out, nil
			}
			f := strings.SplitN(l, "|", len(cols))
			if len(f) != len(cols) {
				return fail(n, "row has "+strconv.Itoa(len(f))+" columns, the header "+strconv.Itoa(len(cols)))
			}
			u := Update{Kind: kind, Line: n}
			for i, c := range cols {
				set(&u, c, strings.TrimSpace(f[i]))
			}
			if u.Name == "" {
				return fail(n, "row without a name")
			}
			out = append(out, u)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &OutputError{Source: name, Line: n + 1, Msg: "cannot read", Err: err}
	}
	if state == 1 {
		return fail(n, "table ends after its header")
	}
	return out, nil
}
