// Package apt installs approved updates on a Debian-family root through
// apt-get and dpkg, with Patch Manager's Install semantics: each target is
// moved to exactly its version, only as an upgrade of the installed
// package (apt-get install --only-upgrade NAME:ARCH=VERSION), in one
// transaction, without a question asked and without a weakening flag the
// caller did not name.
//
// # Roots
//
// The root is the live system (no option), a Debian tree entered with
// chroot(8) (Chroot: `chroot DIR /usr/bin/apt-get ...`, so that apt, dpkg
// and the maintainer scripts are the tree's own and see it as /), or a
// private apt root named by an APT_CONFIG file (AptConfig), whose
// DPkg::Options point dpkg at the root.
//
// # The four calls
//
// Plan asks apt for its plan without changing anything (apt-get -s, and
// --print-uris for the sizes) and returns it parsed: the actions, what
// must be downloaded, how the installed size changes. The caller checks it
// (package install refuses a plan that removes a package, pulls in a
// package not asked for, or needs more disk space than is free).
//
// Apply runs the transaction: a cancellable download (--download-only),
// then the commit, which is never signalled. It returns the outcome with
// the packages dpkg or apt reported failing on, a *plan.LockedError when
// a lock stays held beyond LockTimeout, or a *plan.RepairError when an
// earlier dpkg run was interrupted.
//
// Check reads the root's dpkg database for what an interrupted run left
// (the journal in var/lib/dpkg/updates, packages half-installed, unpacked,
// half-configured, or with triggers pending) and Repair runs
// `dpkg --configure -a`, only when the caller asks.
//
// # Commands
//
// Every program is run through a run.Runner by absolute path, with its
// options first and the targets after "--", each built from a name,
// architecture and version checked against dpkg's grammar (TargetError
// otherwise, before anything runs): nothing a caller passes can become an
// option, a file, a release or a pattern. The environment is LC_ALL=C,
// DEBIAN_FRONTEND=noninteractive, NEEDRESTART_MODE=a,
// APT_LISTCHANGES_FRONTEND=none and UCF_FORCE_CONFFOLD=1; dpkg keeps a
// changed configuration file (--force-confdef --force-confold). New
// Recommends of an upgraded package are not installed
// (--no-install-recommends): only the dependencies apt requires.
//
// # Progress
//
// With WithProgress, Apply reports each of its runs as it starts and,
// when the runner streams output (run.Command.OnLine), each package as apt
// or dpkg starts on it: the archives apt fetches ("Get:N ..."), then the
// packages dpkg unpacks ("Preparing to unpack .../NAME_VERSION_ARCH.deb
// ...", before the package's preinst runs), configures without unpacking,
// or removes, counted against apt's summary ("4 upgraded, 1 newly
// installed, ..."). dpkg unpacks every package before it configures them,
// so the count reaches the total when the last package is unpacked; the
// configuration that follows is part of the same step. These are apt's
// and dpkg's messages in the C locale. apt's status lines
// (-o APT::Status-Fd=N) are not asked for: apt makes that descriptor
// close-on-exec in dpkg, so standard output or error as the descriptor
// would be closed for dpkg and the maintainer scripts (a script under
// "set -e" that prints to it fails, and the package is left
// half-configured), and a descriptor of its own would need every runner to
// pass one.
//
// Note that apt-get's --assume-no is not a dry run: apt asks no question
// when it installs exactly what was named, and installs. Plan uses -s and
// --print-uris, which never install.
package apt
