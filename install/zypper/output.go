package zypper

import (
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/internal/xmlscan"
	scanzypper "github.com/patchkit/patchkit/scan/zypper"
)

// Limits of zypper's XML output: descriptions of solvables and rpm's
// output inside messages are the largest tokens.
var outputLimits = xmlscan.Limits{MaxDepth: 16, MaxToken: 4 << 20, MaxElements: 10_000_000}

// Output is what a `zypper --xmlout` install, verify or patch command
// printed: its messages and prompts, the solver's problems, and its install
// summaries.
type Output struct {
	// Messages are the <message> elements (Type "info", "warning",
	// "error") and the <prompt> questions (Type "prompt"), in order,
	// wherever they occur (zypper nests some in <fileconflict-summary>).
	Messages []scanzypper.Message `json:"Messages,omitempty"`
	// Problems are the descriptions of prompts that report solver
	// problems ("Problem: nothing provides ..." with the solutions).
	Problems []string `json:"Problems,omitempty"`
	// Summaries are the <install-summary> elements; zypper prints one per
	// transaction it resolves.
	Summaries []Summary `json:"Summaries,omitempty"`
}

// Summary is one <install-summary>.
type Summary struct {
	// DownloadSize is the bytes still to download (download-size, cached
	// packages excluded); SpaceUsageDiff the change of installed size in
	// bytes (space-usage-diff). Sized says zypper printed both; when it
	// did not they are 0.
	DownloadSize   int64      `json:"DownloadSize"`
	SpaceUsageDiff int64      `json:"SpaceUsageDiff"`
	Sized          bool       `json:"Sized"`
	Solvables      []Solvable `json:"Solvables"`
}

// Solvable is one <solvable> of an install summary.
type Solvable struct {
	// Group is the element it is listed in: "to-upgrade", "to-install",
	// "to-remove", "to-downgrade", "to-reinstall", "to-change-arch",
	// "to-change-vendor", "to-upgrade-change-arch",
	// "to-downgrade-change-arch".
	Group string `json:"Group"`
	// Kind is "package", "patch", "pattern", "product" or "srcpackage"
	// (zypper 1.14 writes it as type=, the schema as kind=).
	Kind       string `json:"Kind"`
	Name       string `json:"Name"`
	Edition    string `json:"Edition"`
	Arch       string `json:"Arch"`
	EditionOld string `json:"EditionOld,omitempty"`
	ArchOld    string `json:"ArchOld,omitempty"`
	Line       int    `json:"-"`
}

// summaryGroups are the groups of zypper's install summary (zypper's
// Summary::dumpAsXmlTo and xmlout.rnc). "_unsupported" lists packages
// already listed elsewhere, for their support status.
var summaryGroups = map[string]bool{
	"to-upgrade": true, "to-downgrade": true, "to-install": true, "to-reinstall": true, "to-remove": true,
	"to-change-arch": true, "to-change-vendor": true, "to-upgrade-change-arch": true,
	"to-downgrade-change-arch": true, "_unsupported": true,
}

// ParseOutput reads the standard output of a `zypper --xmlout` command
// (name is used in errors). Malformed XML, a document type declaration, a
// limit exceeded, an install summary with an unknown group, a size that is
// not a number, or a solvable without a name or edition is an
// *OutputError. Elements it does not know are read through (their
// messages are kept) and otherwise ignored.
func ParseOutput(name string, r io.Reader) (*Output, error) {
	s := xmlscan.New(r, outputLimits)
	out := &Output{}
	fail := func(line int, msg string, err error) (*Output, error) {
		var le *xmlscan.LimitError
		var se *xmlscan.SyntaxError
		switch {
		case errors.As(err, &le):
			return nil, &OutputError{Source: name, Line: le.Line, Msg: "XML " + le.What + " beyond the limit of " + strconv.FormatInt(le.Limit, 10) + " in " + msg}
		case errors.As(err, &se):
			return nil, &OutputError{Source: name, Line: se.Line, Msg: "malformed XML in " + msg + ": " + se.Msg}
		}
		return nil, &OutputError{Source: name, Line: line, Msg: msg, Err: err}
	}
	var (
		text  []byte
		sum   *Summary
		group string
	)
	for {
		k, err := s.Next()
		if err != nil {
			return fail(s.Line(), "the stream", err)
		}
		if k == xmlscan.EOF {
			break
		}
		if k == xmlscan.EndElement {
			switch string(s.Name()) {
			case "install-summary":
				if sum != nil {
					out.Summaries = append(out.Summaries, *sum)
				}
				sum, group = nil, ""
			default:
				if summaryGroups[string(s.Name())] {
					group = ""
				}
			}
			continue
		}
		if k != xmlscan.StartElement {
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
		switch {
		case el == "message":
			typ := attr("type")
			if text, err = s.ReadText(text[:0]); err != nil {
				return fail(line, "<message>", err)
			}
			out.Messages = append(out.Messages, scanzypper.Message{Type: typ, Text: string(text)})
		case el == "prompt":
			var q, desc string
			d := s.Depth()
			for {
				k, err := s.Next()
				if err != nil {
					return fail(line, "<prompt>", err)
				}
				if k == xmlscan.EOF {
					return fail(line, "<prompt> not closed", nil)
				}
				if k == xmlscan.EndElement && s.Depth() < d {
					break
				}
				if k != xmlscan.StartElement {
					continue
				}
				switch string(s.Name()) {
				case "text":
					if text, err = s.ReadText(text[:0]); err != nil {
						return fail(line, "<prompt>", err)
					}
					q = string(text)
				case "description":
					if text, err = s.ReadText(text[:0]); err != nil {
						return fail(line, "<prompt>", err)
					}
					desc = string(text)
				default:
					if err := s.Skip(); err != nil {
						return fail(line, "<prompt>", err)
					}
				}
			}
			out.Messages = append(out.Messages, scanzypper.Message{Type: "prompt", Text: q})
			if strings.HasPrefix(strings.TrimSpace(desc), "Problem") {
				out.Problems = append(out.Problems, strings.TrimSpace(desc))
			}
		case el == "install-summary":
			if sum != nil {
				return fail(line, "<install-summary> inside another", nil)
			}
			sum = &Summary{}
			n := 0
			for _, f := range []struct {
				k string
				v *int64
			}{{"download-size", &sum.DownloadSize}, {"space-usage-diff", &sum.SpaceUsageDiff}} {
				v, ok := s.Attr(f.k)
				if !ok {
					continue
				}
				x, err := strconv.ParseInt(string(v), 10, 64)
				if err != nil {
					return fail(line, "<install-summary "+f.k+"=\""+string(v)+"\"> is not a number", nil)
				}
				*f.v = x
				n++
			}
			sum.Sized = n == 2
			if !sum.Sized {
				sum.DownloadSize, sum.SpaceUsageDiff = 0, 0
			}
		case sum != nil && group == "" && s.Depth() == 3:
			if !summaryGroups[el] {
				return fail(line, "unknown install summary group <"+el+">", nil)
			}
			group = el
		case el == "solvable" && group != "":
			sv := Solvable{Group: group, Kind: attr("type"), Name: attr("name"), Edition: attr("edition"), Arch: attr("arch"),
				EditionOld: attr("edition-old"), ArchOld: attr("arch-old"), Line: line}
			if sv.Kind == "" {
				sv.Kind = attr("kind")
			}
			if sv.Name == "" || sv.Edition == "" || sv.Kind == "" {
				return fail(line, "<solvable> without a kind, name or edition", nil)
			}
			if err := s.Skip(); err != nil {
				return fail(line, "<solvable>", err)
			}
			sum.Solvables = append(sum.Solvables, sv)
		case sum != nil:
			// anything else inside the summary
			if err := s.Skip(); err != nil {
				return fail(line, "<"+el+">", err)
			}
		default:
			// progress, download, fileconflict-summary, ...: read through,
			// so that the messages inside are kept
		}
	}
	return out, nil
}

// Actions turns the install summaries' package entries into plan actions,
// in zypper's order: upgrades, downgrades, new installs, reinstalls,
// removals. Patches, patterns and products are left out (libzypp derives
// them from metadata; the packages they change are listed). An entry of
// to-change-vendor repeats one listed elsewhere and adds nothing; one of
// to-change-arch at the same edition is a package replaced by its build for
// another architecture, an Install of the new architecture and a Remove of
// the old. An upgrade to another architecture is an Upgrade of the new one
// (plan.Action does not carry the old architecture).
func (o *Output) Actions() ([]plan.Action, error) {
	var out []plan.Action
	seen := map[string]bool{}
	add := func(a plan.Action) {
		k := string(a.Kind) + " " + a.Package.NEVRA()
		if !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	for _, sum := range o.Summaries {
		for _, sv := range sum.Solvables {
			if sv.Kind != "package" {
				continue
			}
			p, err := packageOf(sv.Name, sv.Edition, sv.Arch)
			if err != nil {
				return nil, &OutputError{Source: "install summary", Line: sv.Line, Msg: sv.Group + " " + sv.Name, Err: err}
			}
			var old patchkit.Package
			if sv.EditionOld != "" {
				oa := sv.ArchOld
				if oa == "" {
					oa = sv.Arch
				}
				if old, err = packageOf(sv.Name, sv.EditionOld, oa); err != nil {
					return nil, &OutputError{Source: "install summary", Line: sv.Line, Msg: sv.Group + " " + sv.Name + " (old)", Err: err}
				}
			}
			switch sv.Group {
			case "to-upgrade", "to-upgrade-change-arch":
				add(plan.Action{Kind: plan.Upgrade, Package: p, From: old.EVR()})
			case "to-downgrade", "to-downgrade-change-arch":
				add(plan.Action{Kind: plan.Downgrade, Package: p, From: old.EVR()})
			case "to-install":
				add(plan.Action{Kind: plan.Install, Package: p})
			case "to-reinstall":
				from := p.EVR()
				if old.Name != "" {
					from = old.EVR()
				}
				add(plan.Action{Kind: plan.Reinstall, Package: p, From: from})
			case "to-remove":
				add(plan.Action{Kind: plan.Remove, Package: p})
			case "to-change-arch":
				if old.Name == "" || sv.EditionOld != sv.Edition {
					continue // listed as an upgrade or downgrade too
				}
				add(plan.Action{Kind: plan.Install, Package: p})
				add(plan.Action{Kind: plan.Remove, Package: old})
			}
		}
	}
	return out, nil
}

// sizes returns the summed download size and installed size change of the
// summaries that give them, -1 and -1 when none does.
func (o *Output) sizes() (download, installed int64) {
	sized := false
	for _, s := range o.Summaries {
		if s.Sized {
			download += s.DownloadSize
			installed += s.SpaceUsageDiff
			sized = true
		}
	}
	if !sized {
		return -1, -1
	}
	return download, installed
}

// plan builds the plan.Plan of the output (Command and Output are the
// caller's).
func (o *Output) plan() (plan.Plan, error) {
	acts, err := o.Actions()
	if err != nil {
		return plan.Plan{}, err
	}
	p := plan.Plan{Actions: acts}
	p.DownloadSize, p.InstalledSizeChange = o.sizes()
	return p, nil
}

// texts returns the text of the messages of the given types (all when
// none given).
func (o *Output) texts(types ...string) []string {
	var out []string
	for _, m := range o.Messages {
		if len(types) == 0 || containsString(types, m.Type) {
			out = append(out, m.Text)
		}
	}
	return out
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// packageOf builds the package of a summary entry: libzypp prints the
// edition [epoch:]version-release and leaves out epoch 0, which rpm then
// has.
func packageOf(name, edition, arch string) (patchkit.Package, error) {
	if err := patchkit.ValidateArch(patchkit.RPM, arch); err != nil {
		return patchkit.Package{}, err
	}
	p, err := patchkit.ParseNEVR(name + "-" + edition)
	if err != nil {
		return patchkit.Package{}, err
	}
	if p.Name != name {
		return patchkit.Package{}, errors.New("edition " + strconv.Quote(edition) + " is not [epoch:]version-release")
	}
	if !p.Epoch.Known() {
		p.Epoch = patchkit.EpochOf(0)
	}
	p.Arch = arch
	return p, nil
}
