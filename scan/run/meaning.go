package run

import (
	"path"
	"strings"
)

// NewExitError builds the *ExitError for command c that exited with res,
// with the meaning its program documents for the code and whether it means
// the package manager's lock is held (from the code where the program has
// one for it, else from the program's own lock message on standard error).
// Runner implementations other than Local use it so that callers see the
// same errors whichever runner ran the command.
func NewExitError(c Command, res Result) *ExitError {
	m, locked := Meaning(path.Base(c.Path), res.ExitCode, res.Stderr)
	return &ExitError{Command: c.String(), Code: res.ExitCode, Meaning: m, Locked: locked, Result: res}
}

// Meaning returns what program's exit code documents, and whether it means
// a held lock. Programs: apt-get, apt, apt-cache, dpkg, dpkg-query, rpm,
// dnf, yum, zypper. stderr is consulted for tools that report a lock with
// their generic error code (apt and dpkg).
func Meaning(program string, code int, stderr []byte) (meaning string, locked bool) {
	switch program {
	case "apt-get", "apt", "apt-cache", "apt-mark":
		if aptLocked(stderr) {
			return "locked: another process holds the apt or dpkg lock", true
		}
		if code == 100 {
			return "apt error", false
		}
	case "dpkg":
		if dpkgLocked(stderr) {
			return "locked: another process holds the dpkg lock", true
		}
		switch code {
		case 1:
			return "dpkg: the operation failed or the answer is false", false
		case 2:
			return "dpkg: fatal or unrecoverable error", false
		}
	case "dpkg-query":
		switch code {
		case 1:
			return "dpkg-query: a queried package was not found", false
		case 2:
			return "dpkg-query: fatal or unrecoverable error", false
		}
	case "rpm":
		if code > 0 {
			return "rpm: the operation failed (the code counts failed packages or queries, at most 255)", false
		}
	case "dnf", "yum", "dnf-3":
		switch code {
		case 1:
			return "dnf: error", false
		case 3:
			return "dnf: a transaction failed (some operations succeeded)", false
		case 100:
			return "dnf: updates are available", false
		case 200:
			return "locked: another dnf holds the lock (exit_on_lock)", true
		}
	case "zypper":
		if m := zypperMeaning(code); m != "" {
			return m, code == 7
		}
	}
	return "", false
}

// zypperMeaning returns what zypper(8) documents for an exit code (EXIT
// CODES), or "".
func zypperMeaning(code int) string {
	switch code {
	case 1:
		return "zypper: unexpected situation (ZYPPER_EXIT_ERR_BUG)"
	case 2:
		return "zypper: syntax error (ZYPPER_EXIT_ERR_SYNTAX)"
	case 3:
		return "zypper: invalid arguments (ZYPPER_EXIT_ERR_INVALID_ARGS)"
	case 4:
		return "zypper: problem reported by libzypp (ZYPPER_EXIT_ERR_ZYPP)"
	case 5:
		return "zypper: insufficient privileges (ZYPPER_EXIT_ERR_PRIVILEGES)"
	case 6:
		return "zypper: no repositories defined (ZYPPER_EXIT_NO_REPOS)"
	case 7:
		return "locked: the zypp lock is held by another process (ZYPPER_EXIT_ZYPP_LOCKED)"
	case 8:
		return "zypper: error during commit (ZYPPER_EXIT_ERR_COMMIT)"
	case 100:
		return "zypper: updates are needed (ZYPPER_EXIT_INF_UPDATE_NEEDED)"
	case 101:
		return "zypper: security updates are needed (ZYPPER_EXIT_INF_SEC_UPDATE_NEEDED)"
	case 102:
		return "zypper: a reboot is needed (ZYPPER_EXIT_INF_REBOOT_NEEDED)"
	case 103:
		return "zypper: zypper itself was updated; run it again (ZYPPER_EXIT_INF_RESTART_NEEDED)"
	case 104:
		return "zypper: a requested capability was not found (ZYPPER_EXIT_INF_CAP_NOT_FOUND)"
	case 105:
		return "zypper: interrupted by a signal (ZYPPER_EXIT_ON_SIGNAL)"
	case 106:
		return "zypper: some repositories were skipped (ZYPPER_EXIT_INF_REPOS_SKIPPED)"
	case 107:
		return "zypper: installed, but an rpm scriptlet failed (ZYPPER_EXIT_INF_RPM_SCRIPT_FAILED)"
	}
	return ""
}

func aptLocked(stderr []byte) bool {
	s := string(stderr)
	return strings.Contains(s, "Could not get lock") ||
		strings.Contains(s, "Unable to acquire the dpkg frontend lock") ||
		strings.Contains(s, "Unable to lock the administration directory") ||
		strings.Contains(s, "Unable to lock directory")
}

func dpkgLocked(stderr []byte) bool {
	s := string(stderr)
	return strings.Contains(s, "dpkg frontend lock was locked by another process") ||
		strings.Contains(s, "dpkg status database is locked by another process") ||
		strings.Contains(s, "dpkg frontend lock is locked by another process")
}
