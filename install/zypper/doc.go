// Package zypper installs updates on SUSE systems (SUSE Linux Enterprise,
// openSUSE Leap) through zypper, with the semantics of AWS Systems Manager
// Patch Manager's Install operation: each approved version exactly, as an
// upgrade of the installed package, in one transaction, non-interactively,
// never weakening zypper's checks unless the caller opts in by name. It is
// the zypper executor of package install; install/plan holds the values
// it shares with the apt and dnf executors.
//
// Everything runs through a run.Runner (run.NewLocal for this machine),
// either on the live system or, with WithRoot, on a root directory
// (zypper --root DIR: its repositories, rpm database and zypp lock).
//
// # Commands
//
// Every command follows scan/zypper's conventions: an absolute program
// path, `--non-interactive --xmlout`, `--no-refresh` unless WithRefresh,
// `--root DIR` when given, the operands after "--", LC_ALL=C, and the lock
// bound as ZYPP_LOCK_TIMEOUT in zypper's environment (WithLockTimeout,
// default DefaultLockTimeout; libzypp's own default is to fail at once).
//
//   - Plan: `install --dry-run --no-force-resolution --no-recommends --
//     OPERANDS`.
//   - Apply: `install --download-only ...` (cancellable), then `install
//     ...` as a committing command (never signalled once started).
//   - VerifyPlan and Repair: `verify --dry-run --no-recommends`, `verify
//     --no-recommends`.
//   - for targets from SUSE patches, first `list-patches --all`.
//
// An operand is NAME.ARCH=[EPOCH:]VERSION-RELEASE for a package
// (tb-lib.noarch=1:2.0-2: libzypp matches a version with an epoch only
// when the epoch is written), or patch:ID for a target whose Advisory names
// a SUSE patch. Every part is checked against rpm's grammar before any
// command is built (*TargetError): a name, architecture, version or patch
// name that zypper could read as an option, a file or URL, a glob, a
// capability expression (tb-lib>=1) or a resolvable kind is refused.
//
// --no-force-resolution makes a solver problem an error (*ProblemError)
// rather than a solution that removes packages; --no-recommends keeps
// packages that a new version only recommends out (Patch Manager installs
// a package not asked for only as a dependency; WithRecommends lets them
// in). The options that weaken zypper's checks or widen what it may do are
// each behind a named opt-in and absent otherwise: AllowDowngrades
// (--oldpackage), AllowUnauthenticated (--no-gpg-checks), AllowKeyImport
// (--gpg-auto-import-keys), AgreeWithLicenses (--auto-agree-with-licenses)
// and AllowInteractivePatches.
//
// # Patches and interactivity
//
// `zypper patch --non-interactive` skips patches zypper flags interactive
// (a message, a licence, and, counted as interactive, a suggested reboot)
// unless given --with-interactive. `zypper patch` cannot be limited to
// named patches, so a target's patch is installed with `zypper install
// patch:ID`, which does not skip interactive patches; this package makes
// the check instead: unless AllowInteractivePatches, a target whose patch
// `list-patches` flags interactive or reboot-suggesting is an
// *InteractivePatchError before anything is installed.
//
// # Plans
//
// Plan parses zypper's <install-summary> (ParseOutput, Output.Actions):
// to-upgrade, to-downgrade, to-install, to-reinstall and to-remove become
// plan actions of packages; patches, patterns and products are left out
// (libzypp derives them from the packages). to-change-vendor repeats
// entries listed elsewhere; a to-change-arch entry at the same version is
// an Install of the new architecture and a Remove of the old. The plan's
// DownloadSize is zypper's download-size (bytes not yet in its cache), and
// InstalledSizeChange its space-usage-diff.
//
// WithPlan gives Apply the plan the caller approved: the transaction of
// the download phase must do exactly its actions, else a
// *plan.RefusedError and nothing is committed. The download and the commit
// resolve against the same cached metadata (--no-refresh), so the commit
// does what the download phase showed.
//
// # Outcomes and exit codes
//
// zypper's exit codes (zypper(8), EXIT CODES) are read as:
//
//	0    done
//	102  done; a reboot is needed (Outcome.RebootRequired): a patch that
//	     suggests one was installed. zypper install of a package named in
//	     etc/zypp/needreboot exits 0 although libzypp then creates
//	     run/reboot-needed, which the scan's reboot check reads
//	103  done, but zypper itself was updated and the rest needs another run
//	     (the Outcome carries the code; a rescan shows what is left)
//	106  done, but some repositories were skipped: the Outcome with a
//	     *scanzypper.ReposSkippedError
//	107  done, but an rpm scriptlet failed: Outcome.Failures names the package
//	7    the zypp lock is held beyond the bound: *plan.LockedError with the
//	     holder's PID and name, from zypper's "locked by the application with
//	     pid N (NAME)"; the lock file is never touched
//	4    a solver problem: *ProblemError with zypper's problem text
//	104  a target not found: *NotFoundError (with the repositories zypper
//	     skipped, e.g. one whose signing key it declined)
//	8    the commit failed (a failing %pre, a package whose signature does not
//	     verify): the Outcome with its Failures, and the *run.ExitError
//
// libzypp hands each package to rpm on its own and, with
// --non-interactive, aborts the transaction at the first package that
// fails; the packages before it stay installed.
//
// Failures are read from zypper's messages: rpm's "%post(NEVRA) scriptlet
// failed, exit status N" (a warning: the package is installed), "%prein"
// and other errors (the package is not changed), zypper's "Installation of
// NEVRA failed" and "NEVRA (REPO): Signature verification failed [...]" (the
// package is not installed and nothing of it is extracted). Each Failure's
// Reason ends with the package's state. Debian's rpm prints two lines of
// noise on every install (testbed pitfall 7); they are dropped.
//
// # Interrupted transactions
//
// Check reads the root, not zypper: a package installed in two versions of
// one architecture that the root's multiversion setting does not allow is
// what an upgrade killed between rpm adding the new header and removing the
// old one leaves (rpm -U per package). The result is a *plan.RepairError
// whose repair is `zypper verify`, which removes the older version. Repair
// runs it only when called; VerifyPlan shows first what it will do. A
// transaction killed before rpm added the new version leaves nothing to
// repair: the old version is still the only one, and the next scan reports
// the update as missing.
//
// # Known limits
//
// A package installed side by side (a kernel) left twice by an interrupted
// transaction cannot be told from a normal second kernel. Repair does not
// run again the new version's scriptlets that were interrupted. Plan and
// Apply do not use `zypper patch`: a caller that wants every needed patch
// installs them as targets. Signatures of packages are checked by zypper
// as the repository asks: with gpgcheck on and signed metadata, libzypp
// accepts a package whose checksum the signed metadata lists even when the
// package's own signature is from an unknown key, unless the repository
// (or zypp.conf) sets pkg_gpgcheck=1.
package zypper
