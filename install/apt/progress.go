package apt

import (
	"strconv"
	"strings"

	"github.com/patchkit/patchkit/install/plan"
	scanapt "github.com/patchkit/patchkit/scan/apt"
	"github.com/patchkit/patchkit/scan/run"
)

// progressParser reads one apt-get run's standard output as it streams
// (run.Command.OnLine) and reports each package once, as apt or dpkg
// starts on it (package doc, "Progress"):
//
//   - the download run: "Get:N URI SUITE/COMPONENT ARCH NAME ARCH VERSION
//     [SIZE]" (or "Get:N URI ./ NAME VERSION [SIZE]" from a flat
//     repository), as apt starts fetching each archive. Total is the
//     number of packages apt's summary installs when its "Need to get N
//     B of archives." says every archive is fetched; when some are in the
//     cache already ("Need to get 0 B/3248 B"), apt does not say how many
//     it fetches and Total stays 0.
//   - the commit: dpkg's "Preparing to unpack .../NAME_VERSION_ARCH.deb
//     ...", which it prints before it runs the package's preinst, for each
//     archive; "Setting up NAME (VERSION) ..." for a package dpkg only
//     configures (one an earlier run left unpacked); "Removing NAME
//     (VERSION) ...". Total is the summary's count: "4 upgraded, 1 newly
//     installed, 0 to remove and 2 not upgraded." adds up the upgraded,
//     newly installed, reinstalled, downgraded and removed packages.
//
// These are dpkg's and apt's own messages in the C locale, which the
// runner sets. apt's machine-readable status lines (APT::Status-Fd) are
// not used: apt marks the descriptor they go to close-on-exec for dpkg,
// so with standard output or error as that descriptor, dpkg and the
// maintainer scripts lose it, and a script under "set -e" that prints to
// it fails (apt 2.6: "echo: I/O error", the package left half-configured);
// another descriptor would need every run.Runner to pass it. A line that
// is not one of these gives no event.
type progressParser struct {
	c        *plan.Counter
	download bool
	// summary is the download's count of the summary line, until the
	// "Need to get" line says whether it is the number of archives
	summary int
	// unpacked are the names of the packages whose archive dpkg unpacked
	unpacked map[string]bool
}

// withProgress gives c an OnLine that reports the packages of stage's run
// to the WithProgress callback, when there is one.
func (o *options) withProgress(c run.Command, stage string) run.Command {
	if o.progress != nil {
		p := &progressParser{c: plan.NewCounter(stage, o.progress), download: stage == plan.StageDownloading, unpacked: map[string]bool{}}
		c.OnLine = p.line
	}
	return c
}

// line is the run.Command.OnLine of the run.
func (p *progressParser) line(l run.Line) {
	if l.Stream != run.Stdout || l.Truncated {
		return
	}
	t := strings.TrimRight(l.Text, "\r")
	if p.download {
		p.downloadLine(t)
		return
	}
	switch {
	case strings.HasPrefix(t, "Preparing to unpack ") && strings.HasSuffix(t, ".deb ..."):
		// Preparing to unpack .../tb-lib_1%3a2.0-2_all.deb ...
		file := strings.TrimSuffix(strings.TrimPrefix(t, "Preparing to unpack "), " ...")
		base := file[strings.LastIndexByte(file, '/')+1:]
		name, _, ok := strings.Cut(base, "_")
		if !ok || name == "" {
			return
		}
		p.unpacked[name] = true
		p.c.Start("unpack "+file, name)
	case strings.HasPrefix(t, "Setting up "):
		name, ok := packageWord(strings.TrimPrefix(t, "Setting up "))
		if bare, _, _ := strings.Cut(name, ":"); ok && !p.unpacked[bare] {
			p.c.Start("configure "+name, name)
		}
	case strings.HasPrefix(t, "Removing "):
		if name, ok := packageWord(strings.TrimPrefix(t, "Removing ")); ok {
			p.c.Start("remove "+name, name)
		}
	default:
		if sum, ok := scanapt.ParseSummary(t); ok {
			p.c.SetTotal(sum.Installs() + sum.Remove)
		}
	}
}

// packageWord reads "NAME (VERSION) ...", NAME perhaps with ":ARCH".
func packageWord(s string) (string, bool) {
	name, rest, ok := strings.Cut(s, " (")
	if !ok || name == "" || strings.ContainsAny(name, " /") || !strings.HasSuffix(rest, ") ...") {
		return "", false
	}
	return name, true
}

// downloadLine reads a line of the download run.
func (p *progressParser) downloadLine(t string) {
	if sum, ok := scanapt.ParseSummary(t); ok {
		p.summary = sum.Installs()
		return
	}
	if rest, ok := strings.CutPrefix(t, "Need to get "); ok {
		// "Need to get 3248 B of archives.": every archive is fetched;
		// "Need to get 0 B/3248 B of archives.": some are cached
		if strings.HasSuffix(rest, " of archives.") && !strings.Contains(rest, "/") {
			p.c.SetTotal(p.summary)
		}
		return
	}
	// Get:2 http://host suite/main amd64 tb-kernel all 1.1-1 [908 B]
	// Get:1 http://host ./ tb-fail 1.1-1 [884 B] (a flat repository)
	if !strings.HasPrefix(t, "Get:") || !strings.HasSuffix(t, "]") {
		return
	}
	f := strings.Fields(t)
	num := strings.TrimPrefix(f[0], "Get:")
	if _, err := strconv.Atoi(num); err != nil || len(f) < 6 {
		return
	}
	name := f[3]
	if !strings.HasSuffix(f[2], "/") {
		if len(f) < 8 {
			return
		}
		name = f[4] // after the index's architecture
	}
	p.c.Start(num, name)
}
