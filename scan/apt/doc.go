// Package apt finds the candidate updates of an apt system (Debian, Ubuntu,
// Raspberry Pi OS): for every installed package, every available version
// newer than the installed one, each a patchkit.Patch classified as Patch
// Manager classifies apt updates, with apt's own candidate marked. It has
// two backends that give the same candidates.
//
// Updates, the metadata backend, runs no command. It reads the root's apt
// configuration and verified lists and computes what apt computes:
//
//   - Configuration: apt.conf as apt reads it at start (the WithAptConfig
//     file first, as APT_CONFIG, then Dir::Etc::parts, then Dir::Etc::main;
//     scopes, lists, #clear, #include, comments), of which it uses Dir,
//     Dir::Etc::* and Dir::State::* (every path resolved against its
//     parents as apt's FindFile does, then inside the root),
//     APT::Default-Release, APT::Architecture(s),
//     Acquire::Check-Valid-Until and Acquire::Max-ValidTime (which apt
//     applies only where it checks Valid-Until). Sources are
//     Dir::Etc::sourcelist and the .list and .sources files of
//     Dir::Etc::sourceparts, named as apt requires.
//   - Repositories: one per URI and suite of every enabled "deb" source,
//     read from Dir::State::lists through repo/apt (InRelease or Release
//     with Release.gpg verified against the source's Signed-By keys, or
//     against Dir::Etc::trusted and trustedparts without Signed-By; each
//     Packages file, in whatever compression apt kept it, checked against
//     the signed Release before a record is read), or, with WithRefresh,
//     fetched and verified afresh through the WithClient client. The
//     architectures read are the native one (WithArch, or APT::Architecture)
//     and the foreign ones (APT::Architectures, else dpkg's arch file next
//     to Dir::State::status); a source's arch= option replaces them. A
//     repository named by two sources is read once, as apt does.
//   - Pins, as apt_preferences(5) and apt-pkg's policy: every file starts
//     at 500, dpkg's status file and NotAutomatic suites with
//     ButAutomaticUpgrades at 100, NotAutomatic suites at 1;
//     APT::Default-Release (WithDefaultRelease, or apt-get -t) pins the
//     releases it names at 990 (apt's error when no source has it is a
//     *ConfigError); then the preferences file and preferences.d in order.
//     "Package: *" records pin files (the first match wins, "never" always
//     wins); other records pin the versions they match (the first wins),
//     by name, glob or /regex/, "src:" source name, and ":arch" qualifier
//     (the native architecture without one). Pin types are version (with a
//     trailing '*' as a prefix), release (a=, n=, v=, o=, l=, c=, b=, or a
//     bare archive, codename or version), and origin (the repository's
//     host). Patterns are fnmatch(3) globs without regard to case, or
//     /POSIX regular expressions/ (Go's syntax, which agrees on the
//     expressions preferences use).
//   - The candidate is apt's GetCandidateVer: the version with the highest
//     priority, the newest among equal priorities; a version older than
//     the installed one only with a priority of 1000 or more (a downgrade,
//     so no newer version is the candidate); priorities of 0 and below
//     never. It is apt-cache policy's Candidate, which the tests compare,
//     with the priority of every version and file, on every root.
//   - Packages and architectures: apt files "all" versions under the
//     native architecture, so an installed "all" package and the native
//     package of the same name are one, and a version may move between
//     "all" and the native architecture; a foreign-architecture package
//     (Multi-Arch: same, as libc6:i386) is its own package with its own
//     candidate. Packages in config-files and not-installed states are not
//     upgraded; the others (installed, and the half-done states that apt
//     also counts as installed) are.
//
// NativeUpdates asks apt itself, through a run.Runner: apt-get -s
// dist-upgrade with Debug::NoLocking, quiet=1 and --ignore-hold
// (SimulateCommand says why each), with LC_ALL=C from the runner, and
// reads its Inst lines; packages apt keeps back (unmet dependencies,
// Ubuntu's phased updates) are looked up with one apt-cache policy call
// (with NativeInstalledVersions, in the apt-cache policy of every
// installed package that option runs).
// The output is checked against itself (the summary's counts, the
// "will be upgraded" list, the kept-back count) and against the inventory;
// a private root is named with NativeAptConfig (APT_CONFIG) or
// NativeAptOption (-o Dir=...), a chroot or a remote host with the runner.
// With NativeReadOnly apt writes nothing (no binary cache, no planner
// log). apt reads its lists as apt update stored them, without checking
// them again: NativeHealth gives the repositories' health for a native
// scan, each InRelease verified as Updates verifies it (no Packages file
// read), and leaves out the versions no OK repository offers.
//
// # The patches
//
// Every version newer than the installed one is a Patch, not only apt's
// candidate: a baseline decides per version. Candidate is set on apt's
// candidate only. Fields:
//
//   - The embedded Package is the version as its Packages stanza gives it
//     (name, epoch, version, revision, Architecture as the stanza says,
//     SourceName and SourceVersion, Section, Priority), scheme Deb.
//   - Repository is the origin string apt-get -s prints for the version:
//     for each Release offering it, "Label:" when it has a Label, then
//     "Version/Suite" or the Suite alone (the host, or "localhost",
//     without a suite), joined with ", " in the order of the sources; e.g.
//     "Debian:12.15/oldstable, Debian-Security:12/oldstable-security".
//     NativeUpdates copies it from the Inst line; for kept-back packages,
//     which apt-get does not print, it is apt-cache policy's "URI
//     suite/component" of each source.
//   - Security, with Classification "Security", when some origin offering
//     the version is a security pocket: its archive (the Release's Suite)
//     contains "security" in any case, or it comes from Debian's security
//     archive host (security.debian.org), the rule of Patch Manager's apt
//     code. Every origin read is trusted (verified, or trusted=yes).
//     apt-get -s does not print the host, so NativeUpdates takes the label
//     "Debian-Security" that Debian's security archive carries in its
//     place; on Debian 11 and later, where the security suites are named
//     *-security, the two agree. Classification is empty otherwise; apt
//     has no severity, advisory IDs or release date (ReleaseDate is zero:
//     Patch Manager does not date apt patches).
//   - Section and Priority (of Patch and of its Package) come from the
//     version's own stanza, for the baseline's SECTION and PRIORITY
//     filters. NativeUpdates leaves them empty: apt-get does not print
//     them.
//   - Product is the WithProduct (NativeProduct) value.
//   - Hold: apt's upgrade and dist-upgrade keep a held package (dpkg's
//     selection "hold") at its version, but apt install NAME still
//     installs the candidate, which apt-cache policy reports. Both backends
//     report a held package's versions as usual, Candidate on that
//     candidate, with Want "hold" on each of its patches (copied from the
//     installed package) so that a caller sees apt keeps it back.
//
// With WithInstalledVersions the installed version of each installed
// package is a Patch too, with Candidate false, when some healthy
// repository's index lists that version (the version apt-cache policy
// shows with *** has a file beside /var/lib/dpkg/status): its fields are
// those above, from the first stanza read and from every origin offering
// it, so an installed version that a security suite offers is Security. A
// baseline decides it like any other version, which is how Patch Manager
// tells an installed package the baseline approves (INSTALLED) from one it
// does not (INSTALLED_OTHER). An installed version only dpkg's status file
// has (a local .deb, a version the archive dropped) gives nothing.
// NativeUpdates reports newer versions only, unless
// NativeInstalledVersions is set: apt-get -s prints nothing about
// installed versions, so NativeUpdates then also runs one apt-cache policy
// naming every installed package (NAME:ARCH; kept-back packages are looked
// up in the same answer) and returns the installed version when a file
// beside dpkg's status file offers it, with Candidate false. Its fields
// are a kept-back candidate's (apt-cache policy's "URI suite/component"
// for Repository, Security from the suite and the host); apt-cache policy
// prints no Section, Priority or source package, so those stay empty
// unless NativeDescribe is set: then one apt-cache show of every version
// returned (newer and installed) gives them from the version's record, as
// Updates has them, which baselines that filter on PRIORITY (the
// AWS-owned Debian and Ubuntu ones) need to approve anything; and with
// NativeAllVersions the same apt-cache policy answer gives every newer
// version of the version tables, not only apt's candidate. A
// version apt lists twice in the table (the same version string with
// other contents in another repository) is offered by the files of both,
// as Updates counts it. The package's tests require the installed
// versions and their Security to be those of Updates with
// WithInstalledVersions on real roots (a private apt root, a Debian
// chroot, the machine's own lists).
//
// # Packages that are not installed
//
// With WithNotInstalled, Updates also passes to a callback every version
// the healthy repositories offer of a package (name and apt architecture)
// that is not installed, for Patch Manager's NotApplicable: what apt-cache
// policy lists for such a package, one call per version, by name, apt
// architecture and version. Each is the Patch an update of that version
// would be (the first stanza's fields, every origin offering it, Security
// from any security pocket), with Candidate false. Not installed means
// what Updates does not upgrade: no inventory entry, or dpkg's
// config-files or not-installed state (such a package held by dpkg gets
// Want "hold"). The versions are those of apt's architectures only (apt
// skips the records of other architectures when it builds its cache),
// from Packages indexes only. apt's pins do not narrow them: apt-get
// install NAME=VERSION installs a version pinned below 0, even "never"
// (the tests check this with apt), so a pin says which version apt
// prefers, not which it can install. With the callback, every record of a
// not-installed package must be a valid Debian package as those of
// installed packages must: a repository with an invalid one is
// unhealthy, for its updates too.
//
// # Repositories that cannot be trusted
//
// Updates returns one repo.Status per repository of an enabled source.
// Missing lists, a bad or missing signature (or a keyring that cannot be
// loaded), a Release past its Valid-Until or Max-ValidTime or dated in the
// future, a Packages file that is not what the Release signed, or a
// malformed record make that repository's Status unhealthy with the error
// as its reason, and it offers nothing: a scan never reports a node as
// up to date on metadata it could not verify. apt itself would still use
// lists it once accepted, so there the backends can differ, by design.
//
// # What is not modelled
//
// Phased updates (Phase-Policy) do not change apt's policy candidate
// unless APT::Get::Phase-Policy is set, which is not read. Two records
// of the same version with different contents are one version here,
// where apt may keep both. A preferences file that is not well-formed
// deb822 (a field twice in a record, a line without a colon) is refused
// with a *ConfigError, where apt reads on. Per-label
// Acquire::Max-ValidTime::LABEL and Acquire::Min-ValidTime are not read.
// A trusted=yes repository that is nevertheless signed by a key outside
// its keyring is refused, where apt takes it.
package apt
