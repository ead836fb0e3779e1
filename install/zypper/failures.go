package zypper

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/install/plan"
	"github.com/patchkit/patchkit/scan/run"
	scanzypper "github.com/patchkit/patchkit/scan/zypper"
)

var (
	// zypper (libzypp's ZYppFactory): "System management is locked by
	// the application with pid 21463 (zypper)."
	lockedRE = regexp.MustCompile(`locked by the application with pid (\d+) \(([^)\n]*)\)`)
	// rpm: "warning: %post(tb-fail-1.1-1.noarch) scriptlet failed, exit
	// status 29", "error: %prein(x-1-1.noarch) scriptlet failed, signal 9"
	scriptletRE = regexp.MustCompile(`(?m)^(warning|error): %([a-z]+)\(([^()\s]+)\) scriptlet failed, ((?:exit status|signal) -?\d+)`)
	// zypper: "Installation of tb-prefail-1.1-1.noarch failed:",
	// "Removal of x-1-1.noarch failed:"
	commitFailedRE = regexp.MustCompile(`(?m)^(Installation|Removal) of (\S+) failed:`)
	// zypper: "tb-evil-1.1-1.noarch (tbx): Signature verification failed
	// [4-Signatures public key is not available]"
	signatureRE = regexp.MustCompile(`(?m)^(\S+) \(([^)\n]*)\): Signature verification failed \[([^\]\n]*)\]`)
	// zypper: "Skipping repository 'x' because of the above error."
	skippedRE = regexp.MustCompile(`(?m)^Skipping repository '([^'\n]+)' because of the above error\.`)
)

// noise are lines of rpm's output that carry no information: Debian's rpm
// prints them on every install (testbed pitfall 7).
var noise = []string{
	"rpm: RPM should not be used directly install RPM packages, use Alien instead!",
	"rpm: However assuming you know what you are doing...",
}

// cleanLines returns the lines of text without Debian rpm's noise, zypper's
// "Error: Subprocess failed. Error: RPM failed:" lead-in, and blank lines.
func cleanLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		l = strings.TrimPrefix(l, "Error: Subprocess failed. Error: RPM failed:")
		for _, n := range noise {
			l = strings.ReplaceAll(l, n, "")
		}
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// failures reads the packages zypper or rpm reported failing from zypper's
// messages and standard error: a failed scriptlet (the package's state
// follows from rpm's level: a warning leaves it installed, an error means
// rpm did not install or remove it), an install or removal zypper reports
// failed, a package whose signature zypper could not verify (not
// installed). One Failure per package, reasons joined.
func failures(texts []string) []plan.Failure {
	var out []plan.Failure
	idx := map[string]int{}
	add := func(nevra, reason string) {
		p, err := patchkit.ParseNEVRA(nevra)
		name, arch := nevra, ""
		if err == nil {
			name, arch = p.Name, p.Arch
		}
		k := name + "." + arch
		if i, ok := idx[k]; ok {
			if !strings.Contains(out[i].Reason, reason) {
				out[i].Reason += "; " + reason
			}
			return
		}
		idx[k] = len(out)
		out = append(out, plan.Failure{Name: name, Arch: arch, Reason: reason})
	}
	for _, t := range texts {
		// most messages are progress; the regular expressions run only
		// on those that can match
		if !strings.Contains(t, " failed") {
			continue
		}
		if m := commitFailedRE.FindStringSubmatch(t); m != nil {
			var detail []string
			for _, l := range cleanLines(t[len(m[0]):]) {
				if strings.HasPrefix(l, "error:") || strings.HasPrefix(l, "warning:") {
					detail = append(detail, l)
				}
			}
			if len(detail) == 0 {
				detail = cleanLines(t[len(m[0]):])
			}
			state := "not installed"
			if m[1] == "Removal" {
				state = "not removed"
			}
			r := strings.ToLower(m[1]) + " failed"
			if len(detail) > 0 {
				r += ": " + strings.Join(detail, "; ")
			}
			add(m[2], r+" (state: "+state+")")
			continue
		}
		for _, m := range scriptletRE.FindAllStringSubmatch(t, -1) {
			state := "installed; rpm keeps a package whose %" + m[2] + " scriptlet fails"
			if m[1] == "error" {
				state = "not changed: rpm stops at a failing %" + m[2] + " scriptlet"
			}
			add(m[3], "%"+m[2]+" scriptlet failed, "+m[4]+" (state: "+state+")")
		}
		for _, m := range signatureRE.FindAllStringSubmatch(t, -1) {
			add(m[1], "signature verification failed: "+m[3]+" (repository "+m[2]+"; state: not installed, the package was not extracted)")
		}
	}
	return out
}

// runError turns the error of running c into this package's errors: exit
// 7 (or zypper's lock message) is a *plan.LockedError naming the holder,
// exit 4 with solver problems a *ProblemError, exit 104 a
// *NotFoundError; anything else is returned as it is.
func (o *options) runError(c run.Command, res run.Result, err error) error {
	var ee *run.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	out, _ := ParseOutput(c.String(), bytes.NewReader(res.Stdout))
	var texts []string
	if out != nil {
		texts = out.texts("error", "warning", "info")
	}
	texts = append(texts, string(res.Stderr))
	if ee.Code == 7 || ee.Locked || lockedRE.MatchString(strings.Join(texts, "\n")) {
		le := &plan.LockedError{Tool: "zypper", Path: o.lockFile(), Waited: o.lockTimeout.String()}
		if m := lockedRE.FindStringSubmatch(strings.Join(texts, "\n")); m != nil {
			le.PID, _ = strconv.Atoi(m[1])
			le.Holder = m[2]
		}
		return le
	}
	switch {
	case ee.Code == 4 && out != nil && len(out.Problems) > 0:
		return &ProblemError{Command: c.String(), Problems: out.Problems, Err: ee}
	case ee.Code == 104:
		nf := &NotFoundError{Command: c.String(), Err: ee}
		if out != nil {
			nf.Messages = out.texts("error")
			nf.SkippedRepos = skippedRepos(out.texts())
		}
		return nf
	}
	return err
}

// reposSkipped builds the error of exit 106: the repositories zypper
// skipped and its error messages.
func reposSkipped(c run.Command, out *Output, stderr []byte) error {
	e := &scanzypper.ReposSkippedError{Command: c.String()}
	e.Repos = skippedRepos(append(out.texts(), string(stderr)))
	e.Messages = out.texts("error")
	return e
}

// skippedRepos returns the aliases of zypper's "Skipping repository"
// messages.
func skippedRepos(texts []string) []string {
	var out []string
	for _, t := range texts {
		if !strings.Contains(t, "Skipping repository") {
			continue
		}
		for _, m := range skippedRE.FindAllStringSubmatch(t, -1) {
			if !containsString(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	return out
}
