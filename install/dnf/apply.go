package dnf

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
)

// Apply installs the targets in one dnf transaction, non-interactively, in
// two commands:
//
//  1. Download: `dnf -y --downloadonly upgrade -- NEVRA...` resolves the
//     transaction, downloads its packages into dnf's cache and checks their
//     signatures (importing a key only from the repository's own gpgkey
//     setting). It is not committing: cancelling ctx stops it (the runner
//     signals its process group) and nothing is installed.
//  2. Commit: `dnf -y -C upgrade -- NEVRA...` runs the same transaction
//     from the cache (the metadata and packages step 1 fetched). It is a
//     run.Command with Committing set: cancelling ctx does not interrupt
//     it, as killing rpm in its transaction leaves the package database
//     with duplicates (see Check).
//
// When ctx is cancelled between the two, the commit does not start. When
// dnf has nothing to do, the commit is not run. The Outcome is the last
// command's: its exit code and output, and the Failures parsed from it
// (ParseFailures): scriptlet failures with the package's state, rpm's
// install or erase failures, signature refusals, download errors,
// transaction check errors (file conflicts, disk space), and packages dnf
// skipped. A %post scriptlet failure leaves the package installed and dnf
// exits 0: the Outcome lists it and the error is nil. A non-zero exit is
// the runner's *run.ExitError, returned with the Outcome; a lock held
// beyond the wait is a *plan.LockedError.
func Apply(ctx context.Context, r run.Runner, targets []plan.Target, opts ...Option) (plan.Outcome, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return plan.Outcome{}, err
	}
	specs, err := targetSpecs(targets)
	if err != nil {
		return plan.Outcome{}, err
	}
	cmds := o.commands(specs)
	o.report(plan.StageDownloading)
	res, err := o.runLocked(ctx, r, o.withProgress(cmds.Download, plan.StageDownloading))
	out := outcome(cmds.Download, res)
	if err != nil {
		return out, err
	}
	if hasLine(res.Stdout, "Nothing to do.") {
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	o.report(plan.StageInstalling)
	res, err = o.runLocked(ctx, r, o.withProgress(cmds.Commit, plan.StageInstalling))
	return outcome(cmds.Commit, res), err
}

func outcome(c run.Command, res run.Result) plan.Outcome {
	return plan.Outcome{
		Command:  c.String(),
		ExitCode: res.ExitCode,
		Output:   string(res.Stdout),
		Stderr:   string(res.Stderr),
		Failures: ParseFailures(res.Stdout, res.Stderr),
	}
}

func hasLine(b []byte, line string) bool {
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimRight(l, "\r ") == line {
			return true
		}
	}
	return false
}

// failureSet collects reasons per package (name.arch, or the name alone when
// dnf gives only that).
type failureSet struct {
	order []string
	m     map[string]*failureEntry
}

type failureEntry struct {
	name, arch string
	reasons    []string
	nevras     []string // the versions named, for the state
}

func (s *failureSet) add(name, arch, nevra, reason string) {
	if s.m == nil {
		s.m = map[string]*failureEntry{}
	}
	k := name + "." + arch
	if arch == "" {
		// dnf's "Error in POSTIN scriptlet in rpm package NAME" names no
		// architecture: it belongs to the entry rpm named fully, if any.
		for _, key := range s.order {
			if e := s.m[key]; e.name == name {
				k = key
				break
			}
		}
	}
	e := s.m[k]
	if e == nil {
		e = &failureEntry{name: name, arch: arch}
		s.m[k] = e
		s.order = append(s.order, k)
	}
	if reason != "" && !slices.Contains(e.reasons, reason) {
		// rpm's own line says more than dnf's summary of it
		if !(strings.HasPrefix(reason, "Error in ") && len(e.reasons) > 0) {
			e.reasons = append(e.reasons, reason)
		}
	}
	if nevra != "" && !slices.Contains(e.nevras, nevra) {
		e.nevras = append(e.nevras, nevra)
	}
}

func (s *failureSet) addNEVRA(nevra, reason string) {
	p, err := dnfNEVRA(nevra)
	if err != nil {
		return
	}
	s.add(p.Name, p.Arch, nevraKey(p), reason)
}

// nevraKey spells a version one way whichever way dnf printed it.
func nevraKey(p patchkit.Package) string {
	p.Repository = ""
	return p.NEVRA()
}

// ParseFailures reads the packages a dnf transaction failed on from its
// standard output and standard error (LC_ALL=C), each with dnf's or rpm's
// reason and, where the output tells it, the package's state afterwards:
//
//   - rpm's scriptlet lines, "warning: %post(NEVRA) scriptlet failed, exit
//     status 29" (a failing %post, %postun, %posttrans or trigger leaves the
//     package installed) and "error: %prein(NEVRA) scriptlet failed, exit
//     status 7" (a failing %pre or %preun makes rpm skip that package),
//     "error: NEVRA: install failed", and dnf's "Error in PREIN scriptlet in
//     rpm package NAME";
//   - signature refusals: "... Failing package is: NEVRA" (a key that is
//     not the repository's), "Package FILE.rpm is not signed", "Public key
//     for FILE.rpm is not installed" or "not trusted";
//   - "Error downloading packages:" followed by "NEVRA: reason" lines;
//   - transaction check errors: a file conflict ("file F from install of
//     NEVRA conflicts with file from package P") or missing disk space
//     ("installing package NEVRA needs 12MB more space on the /
//     filesystem");
//   - dependency problems ("nothing provides X needed by NEVRA") and dnf's
//     "Skipped:" list;
//   - dnf's closing lists: a package under "Failed:" is not installed, one
//     under "Installed:", "Upgraded:", "Reinstalled:" or "Downgraded:" is.
//
// The state is appended to the reason ("; installed", "; not installed"),
// and when the transaction never reached rpm ("; not installed: the
// transaction did not run"). Failures are sorted by name and architecture.
func ParseFailures(stdout, stderr []byte) []plan.Failure {
	var fs failureSet
	lines := append(strings.Split(string(stdout), "\n"), strings.Split(string(stderr), "\n")...)
	installed := map[string]bool{}
	failed := map[string]bool{}
	ran := false
	list := "" // the closing list being read
	downloading := false
	prev := ""
	for _, raw := range lines {
		l := strings.TrimRight(raw, "\r ")
		t := strings.TrimSpace(l)
		if l == "Running transaction" {
			ran = true
		}
		// dnf's closing lists
		if list != "" {
			if strings.HasPrefix(l, "  ") && t != "" {
				for _, f := range strings.Fields(t) {
					p, err := dnfNEVRA(f)
					if err != nil {
						continue
					}
					switch list {
					case "Failed":
						failed[nevraKey(p)] = true
						fs.add(p.Name, p.Arch, nevraKey(p), "")
					case "Skipped":
						failed[nevraKey(p)] = true
						fs.add(p.Name, p.Arch, nevraKey(p), "skipped by dnf")
					default:
						installed[nevraKey(p)] = true
					}
				}
				prev = l
				continue
			}
			list = ""
		}
		switch l {
		case "Installed:", "Upgraded:", "Reinstalled:", "Downgraded:", "Removed:", "Failed:", "Skipped:", "Obsoleted:":
			list = strings.TrimSuffix(l, ":")
			if list == "Removed" || list == "Obsoleted" {
				list = "Other"
			}
			prev = l
			continue
		}
		if downloading {
			if strings.HasPrefix(l, "  ") {
				if n, reason, ok := strings.Cut(t, ": "); ok {
					fs.addNEVRA(n, "download failed: "+reason)
				}
				prev = l
				continue
			}
			downloading = false
		}
		switch {
		case l == "Error downloading packages:":
			downloading = true
		case strings.HasPrefix(t, "warning: %") || strings.HasPrefix(t, "error: %"):
			// warning: %post(tb-fail-1.1-1.noarch) scriptlet failed, exit status 29
			_, rest, _ := strings.Cut(t, "%")
			kind, rest, ok1 := strings.Cut(rest, "(")
			nevra, how, ok2 := strings.Cut(rest, ") scriptlet failed, ")
			if ok1 && ok2 {
				fs.addNEVRA(nevra, "%"+kind+" scriptlet failed, "+how)
			}
		case strings.HasPrefix(t, "error: ") && (strings.HasSuffix(t, ": install failed") || strings.HasSuffix(t, ": erase failed")):
			body := strings.TrimPrefix(t, "error: ")
			i := strings.LastIndex(body, ": ")
			fs.addNEVRA(body[:i], "rpm: "+body[i+2:])
		case strings.HasPrefix(t, "Error in ") && strings.Contains(t, " scriptlet in rpm package "):
			what, name, _ := strings.Cut(strings.TrimPrefix(t, "Error in "), " in rpm package ")
			if patchkit.ValidateName(patchkit.RPM, name) == nil {
				fs.add(name, "", "", "Error in "+what)
			}
		case strings.Contains(t, ". Failing package is: "):
			msg, nevra, _ := strings.Cut(t, ". Failing package is: ")
			msg = strings.TrimSuffix(msg, ".")
			if strings.HasPrefix(msg, "Check that the correct key URLs") && strings.HasSuffix(strings.TrimSpace(prev), "for this package.") {
				msg = strings.TrimSpace(prev) + " " + msg
			}
			fs.addNEVRA(strings.TrimSpace(nevra), "GPG check FAILED: "+msg)
		case signatureLine(t) != "":
			file := signatureLine(t)
			fs.addNEVRA(strings.TrimSuffix(file, ".rpm"), "GPG check FAILED: "+t)
		case strings.Contains(t, " from install of ") && strings.Contains(t, " conflicts with "):
			// file /x from install of A-1-1.noarch conflicts with file from package B-1-1.noarch
			_, rest, _ := strings.Cut(t, " from install of ")
			nevra, _, _ := strings.Cut(rest, " ")
			fs.addNEVRA(nevra, t)
		case strings.HasPrefix(t, "installing package ") && strings.Contains(t, " more space on the "):
			rest := strings.TrimPrefix(t, "installing package ")
			nevra, need, _ := strings.Cut(rest, " ")
			fs.addNEVRA(nevra, need)
		case strings.HasPrefix(t, "- ") && strings.Contains(t, " needed by "):
			// - nothing provides /bin/sh needed by tb-fail-1.1-1.noarch
			i := strings.LastIndex(t, " needed by ")
			if f := strings.Fields(t[i+len(" needed by "):]); len(f) > 0 {
				fs.addNEVRA(f[0], strings.TrimPrefix(t[:i], "- "))
			}
		}
		prev = l
	}
	var out []plan.Failure
	for _, k := range fs.order {
		e := fs.m[k]
		reason := strings.Join(e.reasons, "; ")
		if reason == "" {
			reason = "dnf lists it as failed"
		}
		state := ""
		for _, n := range e.nevras {
			switch {
			case failed[n]:
				state = "not installed"
			case installed[n] && state == "":
				state = "installed"
			}
		}
		if state == "" && !ran {
			state = "not installed: the transaction did not run"
		}
		if state != "" {
			reason += "; " + state
		}
		out = append(out, plan.Failure{Name: e.name, Arch: e.arch, Reason: printable(reason)})
	}
	slices.SortFunc(out, func(a, b plan.Failure) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Arch, b.Arch))
	})
	return out
}

// printable writes control characters of dnf's text (a file name in a
// conflict, say) as \xNN, so that a reason cannot forge lines of a log or
// report.
func printable(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "\\x%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// signatureLine returns the package file a signature message of dnf names
// ("Package F.rpm is not signed", "Public key for F.rpm is not installed",
// "Public key for F.rpm is not trusted", "Problem opening package F.rpm"),
// or "".
func signatureLine(t string) string {
	for _, p := range []struct{ pre, post string }{
		{"Package ", " is not signed"},
		{"Public key for ", " is not installed"},
		{"Public key for ", " is not trusted"},
		{"Problem opening package ", ""},
	} {
		rest, ok := strings.CutPrefix(t, p.pre)
		if !ok {
			continue
		}
		file, ok := strings.CutSuffix(rest, p.post)
		if ok && strings.HasSuffix(file, ".rpm") && !strings.ContainsAny(file, " /") {
			return file
		}
	}
	return ""
}
