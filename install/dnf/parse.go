package dnf

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
)

// OutputError reports a line of dnf's or rpm's output that does not have
// the shape its parser expects.
type OutputError struct {
	Command string // "plan", "size query", "check", ...
	Line    int    // 1-based; 0 when the problem is not one line
	Text    string // the line, cut to 200 bytes
	Reason  string
}

func (e *OutputError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("install/dnf: %s output: %s", e.Command, e.Reason)
	}
	return fmt.Sprintf("install/dnf: %s output, line %d: %s: %q", e.Command, e.Line, e.Reason, e.Text)
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *OutputError) Is(target error) bool { return target == patchkit.ErrInvalid }

func outErr(cmd string, line int, text, reason string) *OutputError {
	if len(text) > 200 {
		text = text[:200]
	}
	return &OutputError{Command: cmd, Line: line, Text: text, Reason: reason}
}

// InconsistentError reports parts of dnf's output that contradict each
// other: a table row without its depsolve line, a summary count that does
// not match the table, a total that does not match the packages' sizes.
type InconsistentError struct {
	Command string
	Reason  string
}

func (e *InconsistentError) Error() string {
	return "install/dnf: " + e.Command + " output is inconsistent: " + e.Reason
}

// Is reports whether target is patchkit.ErrInvalid.
func (e *InconsistentError) Is(target error) bool { return target == patchkit.ErrInvalid }

// Transaction is dnf's plan as `dnf -v --assumeno upgrade` prints it.
type Transaction struct {
	// Actions are what the transaction does to each package, sorted by
	// name, architecture and kind. A new package's Repository is the
	// repository the table names; a removed one's is "@System" or
	// "@<repository it came from>" when the table says.
	Actions []plan.Action
	// Skipped are the packages dnf leaves out of the transaction ("Skipping
	// packages with broken dependencies", "... with conflicts").
	Skipped []Skipped
	// Summary holds the counts of the Transaction Summary: "Install",
	// "Upgrade", "Remove", "Downgrade", "Skip".
	Summary map[string]int
	// dnf's own totals as it prints them (rounded: "24 k" is 24576), in
	// bytes; -1 when it does not print one. TotalSize counts every package
	// the transaction installs, TotalDownloadSize those not already in its
	// cache; InstalledSize is printed only for a transaction that only
	// installs, FreedSpace for one that only removes.
	TotalSize, TotalDownloadSize, InstalledSize, FreedSpace int64
	// NothingToDo is set when dnf has nothing to do ("Nothing to do.").
	NothingToDo bool

	units map[string]int64 // the unit each total was printed in
}

// Skipped is a package dnf leaves out of its transaction, with the table
// section that says why.
type Skipped struct {
	Package patchkit.Package
	Reason  string
}

// depsolve line kinds ("---> Package NAME.ARCH EVR will be ...").
const (
	dsInstalled   = "installed"
	dsUpgrade     = "an upgrade"
	dsUpgraded    = "upgraded"
	dsErased      = "erased"
	dsReinstalled = "reinstalled"
	dsDowngrade   = "a downgrade"
	dsObsoleting  = "obsoleting"
	dsObsoleted   = "obsoleted"
)

// record is one package of the transaction as the depsolve lines give it,
// with the kind of table section it must appear in.
type record struct {
	section string // "install", "upgrade", "remove", "reinstall", "downgrade"
	pkg     patchkit.Package
	from    *patchkit.Package // the version it upgrades (same name)
	other   *patchkit.Package // an installed package of another name it upgrades (obsoletes)
	line    int
	matched bool
}

// tableRow is one package row of dnf's table.
type tableRow struct {
	section string // the section header without the colon
	tokens  []string
	line    int
	replace []string // "name.arch evr" of "replacing" lines under it
}

// sectionKind maps a header of dnf's table to the kind of depsolve record
// its rows must match; "skip" sections list packages left out.
func sectionKind(header string) (string, bool) {
	switch header {
	case "Installing", "Installing dependencies", "Installing weak dependencies",
		"Installing group/module packages", "Installing group packages":
		return "install", true
	case "Upgrading":
		return "upgrade", true
	case "Reinstalling":
		return "reinstall", true
	case "Removing", "Removing dependent packages", "Removing unused dependencies":
		return "remove", true
	case "Downgrading":
		return "downgrade", true
	case "Skipping packages with conflicts", "Skipping packages with broken dependencies",
		"Skipping packages with broken dependencies or part of a group":
		return "skip", true
	}
	return "", false
}

// ParsePlan parses the standard output of `dnf -v --assumeno upgrade ...`
// run with LC_ALL=C and without a terminal (dnf 4): the depsolve lines of
// -v ("---> Package tb-lib.noarch 1:2.0-2 will be an upgrade"), which give
// every package with its whole version and the version it replaces; the
// table, whose sections give the reason (Installing, Installing
// dependencies, Upgrading, Removing, Skipping ...), the repository and
// the "replacing" lines of obsoleted packages, and whose columns may
// overflow onto the next line when a value is wider than its column; the
// Transaction Summary's counts; and the totals ("Total size", "Total
// download size", "Installed size", "Freed space"). The parts are checked
// against each other: every table row has its depsolve line and the other
// way round, and the summary counts the rows. Lines before the table that
// are not depsolve lines (dnf's -v log) are not read. A line that does
// not have its expected shape is an *OutputError; parts that disagree are
// an *InconsistentError.
func ParsePlan(stdout []byte) (*Transaction, error) {
	const cmd = "plan"
	tx := &Transaction{Summary: map[string]int{}, units: map[string]int64{}, TotalSize: -1, TotalDownloadSize: -1, InstalledSize: -1, FreedSpace: -1}
	var (
		recs      []*record
		obsoleted []patchkit.Package
		pendingUD *patchkit.Package
		pendLine  int
		rows      []*tableRow
		cur       *tableRow
		section   string
		state     = 0 // 0 before the table, 1 header, 2 body, 3 summary, 4 after
		summaryOK bool
	)
	lines := strings.Split(string(stdout), "\n")
	for i, raw := range lines {
		n := i + 1
		l := strings.TrimRight(raw, "\r")
		if len(l) > 1<<20 {
			return nil, outErr(cmd, n, l, "line longer than 1 MiB")
		}
		if rest, ok := strings.CutPrefix(l, "---> Package "); ok {
			if state != 0 {
				return nil, outErr(cmd, n, l, "depsolve line after the table")
			}
			p, kind, err := parseDepsolve(rest)
			if err != nil {
				return nil, outErr(cmd, n, l, err.Error())
			}
			if pendingUD != nil && kind != dsUpgrade {
				return nil, outErr(cmd, pendLine, lines[pendLine-1], "an upgraded package not followed by its upgrade")
			}
			switch kind {
			case dsUpgraded:
				pendingUD, pendLine = &p, n
			case dsUpgrade:
				r := &record{section: "upgrade", pkg: p, line: n}
				switch {
				case pendingUD == nil:
					// an installonly package: dnf installs it beside the
					// installed versions and lists it under Installing
					r.section = "install"
				case pendingUD.Name == p.Name:
					r.from = pendingUD
				default:
					r.other = pendingUD
				}
				recs = append(recs, r)
				pendingUD = nil
			case dsInstalled:
				recs = append(recs, &record{section: "install", pkg: p, line: n})
			case dsErased:
				recs = append(recs, &record{section: "remove", pkg: p, line: n})
			case dsReinstalled:
				recs = append(recs, &record{section: "reinstall", pkg: p, line: n})
			case dsDowngrade:
				recs = append(recs, &record{section: "downgrade", pkg: p, line: n})
			case dsObsoleted:
				obsoleted = append(obsoleted, p)
			case dsObsoleting:
				// informational; the package has its own line
			}
			continue
		}
		switch state {
		case 0:
			switch {
			case l == "Nothing to do.":
				tx.NothingToDo = true
			case isRule(l):
				state = 1
			}
		case 1: // the column header, one or two lines (it overflows too)
			if isRule(l) {
				state = 2
			}
		case 2:
			switch {
			case l == "":
				state = 3
				cur = nil
			case isRule(l):
				return nil, outErr(cmd, n, l, "rule inside the table")
			case strings.HasPrefix(l, "     replacing  "):
				if cur == nil {
					return nil, outErr(cmd, n, l, "replacing line without a package row")
				}
				cur.replace = append(cur.replace, strings.TrimSpace(strings.TrimPrefix(l, "     replacing  ")))
			case strings.HasPrefix(l, "(add ") && strings.HasSuffix(l, "):") && strings.HasPrefix(section, "Skipping packages with conflicts"):
				// the second line of the conflicts header
			case l[0] != ' ':
				h, ok := strings.CutSuffix(l, ":")
				if _, known := sectionKind(h); !ok || !known {
					return nil, outErr(cmd, n, l, "unknown table section (patchkit applies package transactions only)")
				}
				section, cur = h, nil
			case len(l) > 1 && l[1] != ' ':
				if section == "" {
					return nil, outErr(cmd, n, l, "package row before any section")
				}
				cur = &tableRow{section: section, tokens: strings.Fields(l), line: n}
				rows = append(rows, cur)
			default: // an overflowed column continues on this line
				if cur == nil {
					return nil, outErr(cmd, n, l, "continuation line without a package row")
				}
				cur.tokens = append(cur.tokens, strings.Fields(l)...)
			}
		case 3:
			switch {
			case l == "" || l == "Transaction Summary":
			case isRule(l):
				summaryOK = true
			case l == "Nothing to do." && summaryOK:
				// only skipped packages
				tx.NothingToDo = true
				state = 4
			case strings.HasPrefix(l, "Total size: "), strings.HasPrefix(l, "Total download size: "),
				strings.HasPrefix(l, "Installed size: "), strings.HasPrefix(l, "Freed space: "):
				state = 4
				if err := readTotal(tx, l); err != nil {
					return nil, outErr(cmd, n, l, err.Error())
				}
			default:
				f := strings.Fields(l)
				if !summaryOK || len(f) != 3 || (f[2] != "Package" && f[2] != "Packages") {
					return nil, outErr(cmd, n, l, "not a Transaction Summary line")
				}
				c, err := strconv.Atoi(f[1])
				if err != nil || c < 0 {
					return nil, outErr(cmd, n, l, "count is not a number")
				}
				switch f[0] {
				case "Install", "Upgrade", "Remove", "Downgrade", "Skip", "Reinstall":
				default:
					return nil, outErr(cmd, n, l, "unknown summary action")
				}
				if _, dup := tx.Summary[f[0]]; dup {
					return nil, outErr(cmd, n, l, "summary action given twice")
				}
				tx.Summary[f[0]] = c
			}
		case 4:
			if strings.HasPrefix(l, "Total size: ") || strings.HasPrefix(l, "Total download size: ") ||
				strings.HasPrefix(l, "Installed size: ") || strings.HasPrefix(l, "Freed space: ") {
				if err := readTotal(tx, l); err != nil {
					return nil, outErr(cmd, n, l, err.Error())
				}
			}
		}
	}
	if pendingUD != nil {
		return nil, outErr(cmd, pendLine, lines[pendLine-1], "an upgraded package not followed by its upgrade")
	}
	switch {
	case state == 1 || state == 2:
		return nil, &OutputError{Command: cmd, Reason: "the table does not end"}
	case state == 0 && len(recs) > 0:
		return nil, &InconsistentError{Command: cmd, Reason: fmt.Sprintf("%d depsolve lines and no table", len(recs))}
	case state == 0 && !tx.NothingToDo:
		return nil, &OutputError{Command: cmd, Reason: "neither a transaction table nor \"Nothing to do.\""}
	case state >= 3 && !summaryOK:
		return nil, &OutputError{Command: cmd, Reason: "no Transaction Summary after the table"}
	}
	if err := tx.join(recs, obsoleted, rows); err != nil {
		return nil, err
	}
	return tx, nil
}

// problems returns dnf's explanation of the packages it cannot install, as
// it prints it on standard error, one line each (" Problem: package A
// requires B, but none of the providers can be installed", "  - ...").
func problems(stderr []byte) []string {
	var out []string
	for _, l := range strings.Split(string(stderr), "\n") {
		l = strings.TrimRight(l, "\r ")
		if strings.HasPrefix(l, " Problem") || strings.HasPrefix(l, "  - ") && len(out) > 0 {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

func isRule(l string) bool {
	return len(l) >= 10 && strings.Trim(l, "=") == ""
}

// parseDepsolve reads "NAME.ARCH EVR will be KIND".
func parseDepsolve(s string) (patchkit.Package, string, error) {
	na, rest, ok := strings.Cut(s, " ")
	if !ok {
		return patchkit.Package{}, "", fmt.Errorf("no version")
	}
	evr, kind, ok := strings.Cut(rest, " will be ")
	if !ok {
		return patchkit.Package{}, "", fmt.Errorf("no \"will be\"")
	}
	switch kind {
	case dsInstalled, dsUpgrade, dsUpgraded, dsErased, dsReinstalled, dsDowngrade, dsObsoleting, dsObsoleted:
	default:
		return patchkit.Package{}, "", fmt.Errorf("unknown action %q", kind)
	}
	p, err := nameArchEVR(na, evr)
	return p, kind, err
}

// nameArchEVR builds a package from "name.arch" and "[epoch:]version-release"
// as dnf prints them: the epoch only when it is not 0.
func nameArchEVR(na, evr string) (patchkit.Package, error) {
	dot := strings.LastIndexByte(na, '.')
	if dot <= 0 {
		return patchkit.Package{}, fmt.Errorf("%q is not name.arch", na)
	}
	return dnfNEVRA(na[:dot] + "-" + evr + na[dot:])
}

// dnfNEVRA reads a NEVRA as dnf prints it (no epoch means 0).
func dnfNEVRA(s string) (patchkit.Package, error) {
	p, err := patchkit.ParseNEVRA(s)
	if err != nil {
		return p, err
	}
	if !p.Epoch.Known() {
		p.Epoch = patchkit.EpochOf(0)
	}
	return p, nil
}

// readTotal reads one of dnf's total lines into tx.
func readTotal(tx *Transaction, l string) error {
	k, v, _ := strings.Cut(l, ": ")
	n, unit, err := parseHumanSize(v)
	if err != nil {
		return err
	}
	var dst *int64
	switch k {
	case "Total size":
		dst = &tx.TotalSize
	case "Total download size":
		dst = &tx.TotalDownloadSize
	case "Installed size":
		dst = &tx.InstalledSize
	case "Freed space":
		dst = &tx.FreedSpace
	}
	if *dst != -1 {
		return fmt.Errorf("%s given twice", k)
	}
	*dst = n
	tx.units[k] = unit
	return nil
}

// parseHumanSize reads a size as dnf's format_number writes it: a number
// ("659", "6.0", "24"), a space, and a 1024-based unit letter or a space
// for bytes ("24 k" is 24576). It returns the bytes and the size of one
// unit, which bounds the rounding.
func parseHumanSize(s string) (int64, int64, error) {
	num, unit, _ := strings.Cut(strings.TrimRight(s, " "), " ")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, 0, fmt.Errorf("size %q is not a number", s)
	}
	mult := int64(1)
	if unit != "" {
		i := strings.Index("kMGTPE", unit)
		if len(unit) != 1 || i < 0 {
			return 0, 0, fmt.Errorf("size %q has an unknown unit", s)
		}
		for range i + 1 {
			mult *= 1024
		}
	}
	v := f * float64(mult)
	if v > math.MaxInt64/2 {
		return 0, 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(math.Round(v)), mult, nil
}

// join matches the depsolve records with the table rows and the summary,
// and builds the actions.
func (tx *Transaction) join(recs []*record, obsoleted []patchkit.Package, rows []*tableRow) error {
	const cmd = "plan"
	counts := map[string]int{}
	type key struct{ name, arch, evr string }
	byKey := map[key][]*record{}
	for _, r := range recs {
		k := key{r.pkg.Name, r.pkg.Arch, r.pkg.EVR()}
		byKey[k] = append(byKey[k], r)
	}
	removed := map[string]plan.Action{}
	addRemove := func(p patchkit.Package) {
		if _, dup := removed[p.NEVRA()]; !dup {
			removed[p.NEVRA()] = plan.Action{Kind: plan.Remove, Package: p}
		}
	}
	for _, o := range obsoleted {
		addRemove(o)
	}
	repoOf := map[*record]string{}
	for _, row := range rows {
		kind, _ := sectionKind(row.section)
		t := row.tokens
		if len(t) != 5 && len(t) != 6 {
			return outErr(cmd, row.line, strings.Join(t, " "), fmt.Sprintf("%d fields in a package row, want name, arch, version, repository and size", len(t)))
		}
		if _, _, err := parseHumanSize(strings.Join(t[4:], " ")); err != nil {
			return outErr(cmd, row.line, strings.Join(t, " "), err.Error())
		}
		p, err := nameArchEVR(t[0]+"."+t[1], t[2])
		if err != nil {
			return outErr(cmd, row.line, strings.Join(t, " "), err.Error())
		}
		if strings.ContainsFunc(t[3], func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return outErr(cmd, row.line, strings.Join(t, " "), "control character in the repository")
		}
		p.Repository = t[3]
		switch kind {
		case "skip":
			counts["Skip"]++
			tx.Skipped = append(tx.Skipped, Skipped{Package: p, Reason: strings.ToLower(row.section[:1]) + row.section[1:]})
			continue
		case "install":
			counts["Install"]++
		case "upgrade":
			counts["Upgrade"]++
		case "remove":
			counts["Remove"]++
		case "downgrade":
			counts["Downgrade"]++
		}
		var match *record
		for _, r := range byKey[key{p.Name, p.Arch, p.EVR()}] {
			if !r.matched && r.section == kind {
				match = r
				break
			}
		}
		if match == nil {
			return &InconsistentError{Command: cmd, Reason: fmt.Sprintf("table row %s (%s, line %d) has no depsolve line", p.NEVRA(), row.section, row.line)}
		}
		match.matched = true
		repoOf[match] = p.Repository
		for _, rep := range row.replace {
			na, evr, ok := strings.Cut(rep, " ")
			if !ok {
				return outErr(cmd, row.line, rep, "replacing line is not name.arch version")
			}
			o, err := nameArchEVR(na, evr)
			if err != nil {
				return outErr(cmd, row.line, rep, err.Error())
			}
			addRemove(o)
		}
	}
	for _, r := range recs {
		if !r.matched {
			return &InconsistentError{Command: cmd, Reason: fmt.Sprintf("depsolve line %d (%s %s) has no table row", r.line, r.section, r.pkg.NEVRA())}
		}
	}
	for _, k := range []string{"Install", "Upgrade", "Remove", "Downgrade", "Skip"} {
		if counts[k] != tx.Summary[k] {
			return &InconsistentError{Command: cmd, Reason: fmt.Sprintf("the table has %d %s rows, the summary says %d", counts[k], k, tx.Summary[k])}
		}
	}
	for _, r := range recs {
		p := r.pkg
		p.Repository = repoOf[r]
		switch r.section {
		case "install":
			tx.Actions = append(tx.Actions, plan.Action{Kind: plan.Install, Package: p})
		case "upgrade":
			if r.other != nil {
				// dnf upgrades an installed package of another name into
				// this one (Obsoletes): the other name is removed.
				tx.Actions = append(tx.Actions, plan.Action{Kind: plan.Install, Package: p})
				addRemove(*r.other)
				continue
			}
			tx.Actions = append(tx.Actions, plan.Action{Kind: plan.Upgrade, Package: p, From: r.from.EVR()})
		case "remove":
			delete(removed, p.NEVRA())
			tx.Actions = append(tx.Actions, plan.Action{Kind: plan.Remove, Package: p})
		case "reinstall":
			tx.Actions = append(tx.Actions, plan.Action{Kind: plan.Reinstall, Package: p, From: p.EVR()})
		case "downgrade":
			tx.Actions = append(tx.Actions, plan.Action{Kind: plan.Downgrade, Package: p})
		}
	}
	for _, a := range removed {
		tx.Actions = append(tx.Actions, a)
	}
	slices.SortFunc(tx.Actions, func(a, b plan.Action) int {
		return cmp.Or(cmp.Compare(a.Package.Name, b.Package.Name), cmp.Compare(a.Package.Arch, b.Package.Arch),
			cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), cmp.Compare(a.Package.EVR(), b.Package.EVR()))
	})
	return nil
}

func kindOrder(k plan.ActionKind) int {
	return slices.Index([]plan.ActionKind{plan.Upgrade, plan.Install, plan.Reinstall, plan.Downgrade, plan.Remove}, k)
}
