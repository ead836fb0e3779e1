// Package dnf installs approved updates on a dnf system (RHEL and its
// rebuilds, Fedora, CentOS Stream, Amazon Linux 2023, Oracle Linux 8 and
// later; yum on EL8 and later is dnf), on the live system or on a root
// directory through dnf's --installroot (WithInstallRoot). It is the dnf
// executor of package install: Plan asks dnf for its plan without changing
// anything, Apply runs the transaction, Check and CheckNative detect an
// interrupted earlier transaction, Repair cleans it up when asked. Every
// command goes through a run.Runner, so the same code runs locally, over
// SSH or from recordings.
//
// # What runs
//
// Targets are installed packages to move to exactly one version each. Each
// becomes one operand after "--", its full NEVRA
// name-epoch:version-release.arch built from a name, architecture, epoch,
// version and release that each passed rpm's grammar (a target that would
// read as an option, a path, a URL, a glob or two packages is a
// *TargetError before anything runs). The epoch is always written ("0:"
// when the target's is unknown: dnf would match a NEVRA without an epoch
// against every epoch). The command is always `upgrade`, never `install`,
// which does nothing for a package that is installed (osconfig#441).
//
// Every dnf command gets --setopt=exit_on_lock=True (dnf otherwise waits
// for another dnf's lock without end) and --setopt=skip_if_unavailable=False
// (an unreachable repository, or metadata whose signature does not verify,
// is an error rather than a warning; the host's dnf.conf on Debian says
// True). With WithInstallRoot, --setopt=reposdir=ROOT/etc/yum.repos.d too,
// so the host's repositories are never used for a root. Nothing that
// weakens dnf's checks is passed: --nogpgcheck only with
// AllowUnauthenticated, and WithSetopt refuses gpgcheck, repo_gpgcheck,
// localpkg_gpgcheck, sslverify, skip_if_unavailable and the options the
// executor sets itself. The runner gives dnf LC_ALL=C and no terminal
// (standard input is /dev/null): dnf then prints its table at the widths
// its values need, without wrapping rows (it fits the table to a terminal
// only when it has one; ParsePlan reads both).
//
// # Plan
//
// `dnf -v --assumeno upgrade -- NEVRA...` prints dnf's plan and exits 1
// ("Operation aborted."), or 0 with "Nothing to do.". -v adds one
// depsolve line per package ("---> Package tb-lib.noarch 1:2.0-2 will be
// an upgrade"), which gives each package's whole version and the version
// it replaces; the table gives the reason (Installing, Installing
// dependencies, Upgrading, Removing...) and the repository. ParsePlan
// reads both and checks them against each other and against the
// Transaction Summary. An installonly package (a kernel) is an Install
// beside the installed versions, and installonly_limit shows as a Remove
// of the oldest. The sizes come from dnf's metadata and the rpm database,
// exactly (see Plan), and are checked against dnf's rounded totals. A
// target that dnf does not plan at its version is an *UnplannedError.
//
// # Apply
//
// Two commands: `dnf -y --downloadonly upgrade` downloads and checks
// signatures and can be cancelled; `dnf -y -C upgrade` commits from the
// cache and is never interrupted (run.Command.Committing). dnf imports a
// missing package key only from the repository's own gpgkey setting (-y
// answers its question); a package signed by any other key, or not signed,
// is refused ("GPG check FAILED") before rpm extracts anything. The
// Outcome's Failures are parsed from dnf's and rpm's output
// (ParseFailures): scriptlet failures with the package's state
// afterwards (a failing %post leaves it installed and dnf exits 0; a
// failing %pre leaves the old version and dnf exits 1), signature
// refusals, download errors, file conflicts, missing disk space and
// skipped packages.
//
// # Locks
//
// dnf keeps its locks as pid files (RPMDB: var/lib/dnf/rpmdb_lock.pid,
// metadata: var/cache/dnf/metadata_lock.pid, download:
// var/cache/dnf/download_lock.pid, under the root); a file naming a live
// process other than itself is a held lock, and with exit_on_lock=True dnf
// exits 200 printing "RPMDB already locked by PID" and the holder's name.
// Every command is run again once a second while it exits 200, for up to
// WithLockWait (DefaultLockWait, 10 minutes), then the *plan.LockedError
// names the holder's pid and program and the lock file. No lock file is
// ever touched. Plan needs the metadata lock only; the commit needs the
// RPMDB lock. Two limits of dnf itself: a process that keeps the pid file
// flock(2)ed (dnf holds the flock only while it reads or writes the file)
// makes dnf wait without end even with exit_on_lock; and rpm's own
// transaction lock (var/lib/rpm/.rpm.lock, held by a running rpm command)
// is waited for by rpm inside the commit, which is not interrupted.
//
// # Interrupted transactions
//
// rpm writes the new version's header into its database before it erases
// the old one; a dnf or rpm killed in between leaves both versions of the
// package installed ("duplicates"), and rpm has no rollback. Check finds
// them in the inventory read from the rpm database (scan/rpmdb), leaving
// out installonly packages: dnf's default names, the kernel packages that
// provide installonlypkg(kernel) on Fedora, RHEL, Oracle Linux and Amazon
// Linux (recognised by name, as patchkit.Package carries no provides), the
// root's installonlypkgs and WithInstallOnly's. CheckNative asks `dnf
// check --duplicates`, which applies the provides itself. Repair runs what
// dnf documents for them, `dnf remove --duplicates`: it reinstalls the
// newest version (downloading it) and removes the older ones.
package dnf
