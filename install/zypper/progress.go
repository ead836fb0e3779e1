package zypper

import (
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// progressParser reads one zypper run's --xmlout stream as it arrives
// (run.Command.OnLine) and reports each package once, from zypper's own
// counts, which each line carries:
//
//   - the download run: the messages `Retrieving package
//     tb-lib-1:2.0-2.noarch (3/3), 6.0 KiB ...` as each package is
//     fetched, and `In cache tb-lib-2.0-2.noarch.rpm (3/3), ...` for one
//     zypper already has (reported without ".rpm");
//   - the commit (and Repair's): the progress elements of rpm's work,
//     `<progress id="install-resolvable" name="(1/3) Installing:
//     kernel-tb-5.1-1.noarch"/>`, and "remove-resolvable" ("(1/1)
//     Removing tb-slow-1.0-1.noarch") for a package removed; zypper
//     repeats an element as its value grows, and the package is reported
//     at the first.
//
// zypper writes each of these elements on one line; a line that is not
// one of them (or not well-formed XML by itself) gives no event.
type progressParser struct {
	c        *plan.Counter
	download bool
}

// withProgress gives c an OnLine that reports the packages of stage's run
// to the WithProgress callback, when there is one.
func (o *options) withProgress(c run.Command, stage string) run.Command {
	if o.progress != nil {
		p := &progressParser{c: plan.NewCounter(stage, o.progress), download: stage == plan.StageDownloading}
		c.OnLine = p.line
	}
	return c
}

// xmlLine is the part of a one-line element that the parser reads.
type xmlLine struct {
	ID   string `xml:"id,attr"`
	Name string `xml:"name,attr"`
	Text string `xml:",chardata"`
}

// line is the run.Command.OnLine of the run.
func (p *progressParser) line(l run.Line) {
	if l.Stream != run.Stdout || l.Truncated {
		return
	}
	t := strings.TrimSpace(l.Text)
	var pkg string
	var n, total int
	var ok bool
	switch {
	case p.download && strings.HasPrefix(t, `<message type="info">`) && strings.HasSuffix(t, "</message>"):
		var e xmlLine
		if xml.Unmarshal([]byte(t), &e) != nil {
			return
		}
		for _, prefix := range []string{"Retrieving package ", "In cache "} {
			if rest, found := strings.CutPrefix(e.Text, prefix); found {
				pkg, n, total, ok = countedName(rest)
				// the file's name when cached: NAME-VERSION-RELEASE.ARCH.rpm
				pkg = strings.TrimSuffix(pkg, ".rpm")
				break
			}
		}
	case !p.download && strings.HasPrefix(t, "<progress ") && strings.HasSuffix(t, "/>"):
		var e xmlLine
		if xml.Unmarshal([]byte(t), &e) != nil || e.ID != "install-resolvable" && e.ID != "remove-resolvable" {
			return
		}
		// "(1/3) Installing: kernel-tb-5.1-1.noarch", "(1/1) Removing
		// tb-slow-1.0-1.noarch"
		f := strings.Fields(e.Name)
		if len(f) != 3 {
			return
		}
		n, total, ok = parenCount(f[0])
		pkg = f[2]
	}
	if !ok || pkg == "" {
		return
	}
	p.c.SetTotal(total)
	p.c.Start(strconv.Itoa(n)+" "+pkg, pkg)
}

// countedName reads "NAME (N/T), SIZE ..." (or "NAME (N/T)"); NAME may be
// a file name.
func countedName(s string) (pkg string, n, total int, ok bool) {
	name, rest, found := strings.Cut(s, " (")
	if !found {
		return "", 0, 0, false
	}
	count, _, found := strings.Cut(rest, ")")
	if !found {
		return "", 0, 0, false
	}
	n, total, ok = parenCount("(" + count + ")")
	return name, n, total, ok
}

// parenCount reads "(N/T)".
func parenCount(s string) (n, total int, ok bool) {
	s, ok1 := strings.CutPrefix(s, "(")
	s, ok2 := strings.CutSuffix(s, ")")
	a, b, ok3 := strings.Cut(s, "/")
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, false
	}
	n, err1 := strconv.Atoi(a)
	total, err2 := strconv.Atoi(b)
	return n, total, err1 == nil && err2 == nil && n > 0 && total >= n
}
