package dnf

import (
	"strconv"
	"strings"

	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// unbuffered makes dnf (Python) write its output as it goes: dnf flushes
// each progress line's text itself but prints the newline after it
// through Python's buffer, which, on a pipe, would hold a line back until
// the next one.
const unbuffered = "PYTHONUNBUFFERED=1"

// progressParser reads one dnf run's standard output as it streams
// (run.Command.OnLine) and reports each package once, as dnf reports it
// without a terminal:
//
//   - the download run: "(2/4): tb-lib-2.0-2.noarch.rpm  1.2 MB/s | 6.0 kB
//     00:00" as each file is fetched (the file name, cut by dnf to its
//     80-column line; a lone file has no "(N/T): "), and "[SKIPPED]
//     FILE: Already downloaded" for one in the cache, after "Downloading
//     Packages:" and before the rule over dnf's "Total" line. Total is
//     the Transaction Summary's Install, Upgrade, Downgrade and Reinstall
//     count, which dnf's "(N/T)" repeats;
//   - the commit: "  Upgrading        : tb-lib-1:2.0-2.noarch    2/8" once
//     rpm has written a package's files (Installing, Upgrading,
//     Downgrading, Reinstalling, Erasing; dnf cuts a long NEVRA to its
//     column). Its "2/8" counts rpm's transaction elements, the versions
//     replaced ("Cleanup") and the checks ("Verifying") among them, so
//     Total is the sum of the Transaction Summary's Install, Upgrade,
//     Remove, Downgrade and Reinstall counts instead.
//
// A line that does not read as one of these gives no event.
type progressParser struct {
	c        *plan.Counter
	download bool
	// where in dnf's output the line is
	downloading bool // after "Downloading Packages:"
	counted     bool // a "(N/T): " line came
	summary     int  // 0 before "Transaction Summary", 1 at its rule, 2 in its counts, 3 after
	sum         int  // the packages the summary counted so far
}

// withProgress gives c an OnLine that reports the packages of stage's run
// to the WithProgress callback, when there is one, and makes dnf write
// its lines as they happen.
func (o *options) withProgress(c run.Command, stage string) run.Command {
	if o.progress != nil {
		p := &progressParser{c: plan.NewCounter(stage, o.progress), download: stage == plan.StageDownloading}
		c.OnLine = p.line
		c.Env = append(c.Env[:len(c.Env):len(c.Env)], unbuffered)
	}
	return c
}

// commitActions are dnf's words for an element that installs or removes a
// package of the transaction (dnf.transaction.ACTIONS), not one that
// cleans up a replaced version, runs a scriptlet or verifies.
var commitActions = map[string]bool{
	"Installing": true, "Upgrading": true, "Downgrading": true, "Reinstalling": true, "Erasing": true,
}

// line is the run.Command.OnLine of the run.
func (p *progressParser) line(l run.Line) {
	if l.Stream != run.Stdout || l.Truncated {
		return
	}
	t := strings.TrimRight(l.Text, "\r ")
	if p.countSummary(t) {
		return
	}
	if p.download {
		p.downloadLine(t)
		return
	}
	// "  Upgrading        : tb-lib-1:2.0-2.noarch                 2/8"
	if !strings.HasPrefix(t, "  ") {
		return
	}
	action, rest, ok := strings.Cut(strings.TrimSpace(t), ": ")
	if !ok || !commitActions[strings.TrimSpace(action)] {
		return
	}
	f := strings.Fields(rest)
	if len(f) != 2 || !isCount(f[1]) {
		return
	}
	p.c.Start(f[0], f[0])
}

// countSummary reads the Transaction Summary's counts ("Upgrade  4
// Packages") into the commit's Total; it reports whether t was part of
// the summary.
func (p *progressParser) countSummary(t string) bool {
	switch {
	case t == "Transaction Summary":
		p.summary, p.sum = 1, 0
		return true
	case p.summary == 1:
		p.summary = 2 // the rule under the heading
		return true
	case p.summary == 2:
		f := strings.Fields(t)
		if len(f) != 3 || (f[2] != "Package" && f[2] != "Packages") {
			p.summary = 3
			return false
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return true
		}
		switch f[0] {
		case "Install", "Upgrade", "Downgrade", "Reinstall":
			p.sum += n
			p.c.SetTotal(p.sum)
		case "Remove":
			if !p.download { // a removal has no file to fetch
				p.sum += n
				p.c.SetTotal(p.sum)
			}
		}
		return true
	}
	return false
}

// downloadLine reads a line of the download run.
func (p *progressParser) downloadLine(t string) {
	if t == "Downloading Packages:" {
		p.downloading = true
		return
	}
	if !p.downloading {
		return
	}
	if strings.HasPrefix(t, "-----") {
		// the rule above the "Total" line: the files are done (a key
		// download may follow in the same form)
		p.downloading = false
		return
	}
	if rest, ok := strings.CutPrefix(t, "[SKIPPED] "); ok {
		if file, _, ok := strings.Cut(rest, ": "); ok {
			p.c.Start(file, file)
		}
		return
	}
	// "(2/4): FILE   RATE | SIZE   TIME", or "FILE   RATE | SIZE   TIME"
	text, stats, ok := strings.Cut(t, "B/s | ")
	if !ok || !strings.Contains(stats, "B") {
		return
	}
	f := strings.Fields(text)
	if len(f) < 2 {
		return
	}
	if n, total, ok := fileCount(f[0]); ok && len(f) >= 3 {
		p.counted = true
		p.c.SetTotal(total)
		p.c.Start(strconv.Itoa(n), f[1])
		return
	}
	// A lone file has no count.
	if !p.counted && f[0] != "Total" {
		p.c.SetTotal(1)
		p.c.Start(f[0], f[0])
	}
}

// fileCount reads "(2/4):".
func fileCount(s string) (n, total int, ok bool) {
	s, ok = strings.CutPrefix(s, "(")
	if !ok {
		return 0, 0, false
	}
	s, ok = strings.CutSuffix(s, "):")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, false
	}
	n, err1 := strconv.Atoi(a)
	total, err2 := strconv.Atoi(b)
	return n, total, err1 == nil && err2 == nil && n > 0 && total >= n
}

// isCount reports whether s is "N/M".
func isCount(s string) bool {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return false
	}
	_, err1 := strconv.Atoi(a)
	_, err2 := strconv.Atoi(b)
	return err1 == nil && err2 == nil
}
