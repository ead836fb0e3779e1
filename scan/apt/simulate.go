package apt

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
)

// ActionKind is what apt-get -s says it would do to a package.
type ActionKind string

// The action kinds, as apt-get -s spells them.
const (
	ActionInstall ActionKind = "Inst"
	ActionConfig  ActionKind = "Conf"
	ActionRemove  ActionKind = "Remv"
	ActionPurge   ActionKind = "Purg"
)

// Action is one line of apt-get -s output:
//
//	Inst NAME[:ARCH] [OLD] (NEW ORIGIN[, ORIGIN...] [ARCH])[ [BROKEN...]...]
//	Conf NAME[:ARCH] (NEW ORIGIN[, ORIGIN...] [ARCH])
//	Remv NAME[:ARCH] [OLD]
type Action struct {
	Kind ActionKind
	// Name is the package name and Qualifier the architecture apt writes
	// after a colon for a package of a foreign architecture ("" for the
	// native one and "all").
	Name, Qualifier string
	// Old is the installed version (empty for a new install).
	Old string
	// New is the version installed or configured, with its origins and
	// architecture (empty for Remv and Purg).
	New     string
	Origins []Origin
	Arch    string
	Line    int // in the output, 1-based
}

// Upgrade reports whether the action installs a newer version of an
// installed package.
func (a Action) Upgrade() bool {
	return a.Kind == ActionInstall && a.Old != "" && patchkit.Deb.Compare(a.New, a.Old) > 0
}

// Summary is apt-get's closing line: "N upgraded, N newly installed,
// [N reinstalled, ][N downgraded, ]N to remove and N not upgraded."
type Summary struct {
	Upgraded, NewlyInstalled, Reinstalled, Downgraded, Remove, NotUpgraded int
	Line                                                                   int
}

// Simulation is what apt-get -s printed, read.
type Simulation struct {
	Actions []Action
	// Sections are the package lists apt-get prints before acting, by
	// their heading without the colon ("The following packages have been
	// kept back"), names as printed.
	Sections map[string][]string
	// KeptBack lists the packages apt keeps at their installed version
	// although a newer candidate exists: the "kept back" list and, on
	// Ubuntu, the list of upgrades deferred by phasing.
	KeptBack []string
	// Summary is nil when the output has none (apt-get -qq).
	Summary *Summary
}

const simCmd = "apt-get -s"

// Headings of the sections that hold packages not upgraded.
var keptBackHeadings = []string{
	"The following packages have been kept back",
	"The following upgrades have been deferred due to phasing",
}

// ParseSimulation reads the standard output of apt-get -s (upgrade,
// dist-upgrade, install) with LC_ALL=C: the Inst, Conf, Remv and Purg
// lines, the package lists, and the summary line. Other lines (progress,
// notes) are not data and are passed over. A line that starts like an
// action or a summary but does not follow the format is an *OutputError
// with its line number.
func ParseSimulation(out []byte) (*Simulation, error) {
	sim := &Simulation{Sections: map[string][]string{}}
	section := ""
	lineNo := 0
	for line := range bytes.Lines(out) {
		lineNo++
		text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		if strings.IndexByte(text, 0) >= 0 {
			return nil, outputErr(simCmd, lineNo, text, "NUL byte")
		}
		if section != "" {
			if strings.HasPrefix(text, "  ") {
				sim.Sections[section] = append(sim.Sections[section], strings.Fields(text)...)
				continue
			}
			section = ""
		}
		switch {
		case isActionLine(text):
			if len(text) < 6 {
				return nil, outputErr(simCmd, lineNo, text, "action without a package")
			}
			a, reason := parseAction(text)
			if reason != "" {
				return nil, outputErr(simCmd, lineNo, text, reason)
			}
			a.Line = lineNo
			sim.Actions = append(sim.Actions, a)
		case strings.HasSuffix(text, ":") && !strings.HasPrefix(text, " ") && strings.Contains(text, "packages") ||
			strings.HasPrefix(text, "The following ") && strings.HasSuffix(text, ":"):
			section = strings.TrimSuffix(text, ":")
			if _, dup := sim.Sections[section]; dup {
				return nil, outputErr(simCmd, lineNo, text, "package list printed twice")
			}
			sim.Sections[section] = []string{}
		case isSummary(text):
			if sim.Summary != nil {
				return nil, outputErr(simCmd, lineNo, text, "second summary line")
			}
			s, reason := parseSummary(text)
			if reason != "" {
				return nil, outputErr(simCmd, lineNo, text, reason)
			}
			s.Line = lineNo
			sim.Summary = s
		}
	}
	for _, h := range keptBackHeadings {
		sim.KeptBack = append(sim.KeptBack, sim.Sections[h]...)
	}
	return sim, nil
}

func isActionLine(s string) bool {
	if len(s) < 4 || len(s) > 4 && s[4] != ' ' {
		return false
	}
	switch s[:4] {
	case "Inst", "Conf", "Remv", "Purg":
		return true
	}
	return false
}

// ParseSummary reads apt-get's summary line, "4 upgraded, 1 newly
// installed, 0 to remove and 2 not upgraded." (with "N reinstalled" and
// "N downgraded" where apt prints them); ok is false for any other line.
func ParseSummary(line string) (s Summary, ok bool) {
	if !isSummary(line) {
		return Summary{}, false
	}
	sum, msg := parseSummary(line)
	if msg != "" {
		return Summary{}, false
	}
	return *sum, true
}

// Installs is how many packages the run installs: all it changes but the
// removed.
func (s Summary) Installs() int { return s.Upgraded + s.NewlyInstalled + s.Reinstalled + s.Downgraded }

func isSummary(s string) bool {
	return strings.Contains(s, " upgraded, ") && strings.Contains(s, " newly installed, ")
}

// parseSummary reads "N upgraded, N newly installed, [N reinstalled, ]
// [N downgraded, ]N to remove and N not upgraded."
func parseSummary(s string) (*Summary, string) {
	body, ok := strings.CutSuffix(s, ".")
	if !ok {
		return nil, "summary line does not end with '.'"
	}
	head, tail, ok := strings.Cut(body, " to remove and ")
	if !ok {
		return nil, "summary line without \"to remove and\""
	}
	sum := &Summary{}
	var err string
	num := func(t, unit string) int {
		v, ok := strings.CutSuffix(t, " "+unit)
		if !ok {
			err = "summary clause " + quote(t) + " is not \"N " + unit + "\""
			return 0
		}
		n, e := strconv.Atoi(v)
		if e != nil || n < 0 {
			err = "summary count " + quote(v) + " is not a number"
		}
		return n
	}
	sum.NotUpgraded = num(tail, "not upgraded")
	parts := strings.Split(head, ", ")
	if len(parts) < 3 {
		return nil, "summary line has too few clauses"
	}
	sum.Upgraded = num(parts[0], "upgraded")
	sum.NewlyInstalled = num(parts[1], "newly installed")
	for _, p := range parts[2 : len(parts)-1] {
		switch {
		case strings.HasSuffix(p, " reinstalled"):
			sum.Reinstalled = num(p, "reinstalled")
		case strings.HasSuffix(p, " downgraded"):
			sum.Downgraded = num(p, "downgraded")
		default:
			err = "unknown summary clause " + quote(p)
		}
	}
	if v, e := strconv.Atoi(parts[len(parts)-1]); e != nil || v < 0 {
		err = "summary count " + quote(parts[len(parts)-1]) + " before \"to remove\" is not a number"
	} else {
		sum.Remove = v
	}
	if err != "" {
		return nil, err
	}
	return sum, ""
}

// parseAction reads one action line; the reason is "" when it is well formed.
func parseAction(s string) (Action, string) {
	a := Action{Kind: ActionKind(s[:4])}
	rest := s[5:]
	sp := strings.IndexByte(rest, ' ')
	name := rest
	if sp >= 0 {
		name, rest = rest[:sp], rest[sp+1:]
	} else {
		rest = ""
	}
	a.Name = name
	if i := strings.IndexByte(name, ':'); i >= 0 {
		a.Name, a.Qualifier = name[:i], name[i+1:]
		if err := patchkit.ValidateArch(patchkit.Deb, a.Qualifier); err != nil {
			return a, "invalid architecture qualifier " + quote(a.Qualifier)
		}
	}
	if err := patchkit.ValidateName(patchkit.Deb, a.Name); err != nil {
		return a, "invalid package name " + quote(a.Name)
	}
	// [OLD]
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return a, "installed version without ']'"
		}
		a.Old = rest[1:end]
		if err := patchkit.Deb.Validate(a.Old); err != nil {
			return a, "invalid installed version " + quote(a.Old)
		}
		rest = strings.TrimPrefix(rest[end+1:], " ")
	}
	switch a.Kind {
	case ActionRemove, ActionPurge:
		if a.Old == "" {
			return a, "removal without the installed version"
		}
		return a, checkTrailer(rest)
	case ActionConfig:
		if a.Old != "" {
			return a, "Conf line with an installed version"
		}
	}
	if !strings.HasPrefix(rest, "(") {
		return a, "want \"(VERSION ORIGINS [ARCH])\""
	}
	end := strings.Index(rest, "])")
	if end < 0 {
		return a, "version group without \"[ARCH])\""
	}
	group := rest[1:end] // "NEW ORIGINS [ARCH"
	trailer := strings.TrimPrefix(rest[end+2:], " ")
	lb := strings.LastIndexByte(group, '[')
	if lb < 0 {
		return a, "version group without an architecture"
	}
	a.Arch = group[lb+1:]
	if err := patchkit.ValidateArch(patchkit.Deb, a.Arch); err != nil {
		return a, "invalid architecture " + quote(a.Arch)
	}
	head := strings.TrimSuffix(group[:lb], " ")
	ver, origins, _ := strings.Cut(head, " ")
	a.New = ver
	if err := patchkit.Deb.Validate(a.New); err != nil {
		return a, "invalid version " + quote(a.New)
	}
	if origins != "" {
		for _, o := range strings.Split(origins, ", ") {
			if o == "" {
				return a, "empty origin"
			}
			a.Origins = append(a.Origins, parseOrigin(o))
		}
	}
	return a, checkTrailer(trailer)
}

// checkTrailer accepts what apt-get -s prints after an action: nothing, or
// bracketed lists of packages whose dependencies the step leaves broken
// ("[libfoo:amd64 on libbar:amd64] [libfoo:amd64 ]", "[]").
func checkTrailer(t string) string {
	for t != "" {
		if t[0] != '[' {
			return "unexpected text after the action: " + quote(t)
		}
		end := strings.IndexByte(t, ']')
		if end < 0 {
			return "bracket without ']' after the action"
		}
		t = strings.TrimPrefix(t[end+1:], " ")
	}
	return ""
}
