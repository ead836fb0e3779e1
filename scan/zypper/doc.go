// Package zypper finds the available updates and patches of SUSE systems
// (SUSE Linux Enterprise, openSUSE Leap), classified as AWS Systems Manager
// Patch Manager classifies them, in two ways that agree: from the root's
// repository configuration and the metadata libzypp cached (the metadata
// backend: Updates, Patches, Read) and by asking zypper (the native
// backend: NativeUpdates, NativePatches).
//
// # Metadata backend
//
// It reads, from the root given as an fs.FS and without running anything:
//
//   - etc/zypp/zypp.conf, [main]: configdir, reposdir, cachedir,
//     metadatadir, locksfile.path, locksfile.apply, gpgcheck,
//     repo_gpgcheck, multiversion, and arch (which overrides WithArch, as
//     it does for zypper). `zypper --root` applies the root's zypp.conf
//     for what libzypp calls the target's settings (multiversion among
//     them, as the testbed shows) and its own for the rest.
//   - the enabled repositories of reposdir (*.repo; $releasever,
//     $basearch, $arch substituted), in zypper's order: priority (lower
//     number first, default 99), then alias.
//   - for each, repomd.xml, repomd.xml.asc, primary and updateinfo under
//     metadatadir/ALIAS/repodata (var/cache/zypp/raw), where zypper refresh
//     left them; or, with WithClient, the repository client's verified
//     cache (rpmmd.Open), refreshed first with WithRefresh (rpmmd.Update).
//     susetags (yast2) repositories are not read.
//   - the locks file (etc/zypp/locks).
//   - the keys imported into the rpm database (gpg-pubkey headers).
//
// The cache is read as zypper left it: autorefresh and the refresh delay are
// zypper's business (WithRefresh fetches instead). zypp.conf's solver
// settings (solver.onlyRequires and the like) decide what is installed
// beside an update, not which version is the candidate, and are not read.
//
// A malformed .repo file, zypp.conf or locks file, or a lock this package
// cannot evaluate, is an error and no result: a scan does not guess what
// zypper would make of it.
//
// # Trust and freshness (fail closed)
//
// A repository that checks signatures (gpgcheck on, the default, with
// repo_gpgcheck following it unless set; zypp.conf sets the defaults) is
// used only when repomd.xml carries a detached signature that verifies
// against a trusted key. Trusted keys are the keys imported into the root's
// rpm database, which is what libzypp trusts; WithKeyring replaces them.
// Neither the repository's repomd.xml.key, nor its gpgkey= URLs, nor the
// files under usr/lib/rpm/gnupg/keys or etc/pki are trusted by themselves:
// zypper asks before it imports any of them (and refuses in
// --non-interactive mode), and SUSE's own build keys are imported into the
// rpm database when the system is installed. A repository without a
// signature, with a bad one, or signed by a key that is not trusted gets
// repo.HealthUnsigned and offers nothing. This is stricter than zypper in
// one place: zypper keeps using metadata it once accepted (after
// --no-gpg-checks or a key trusted "temporarily"), which this package
// rejects. Repositories with gpgcheck off are read without a check
// (Status.Verified false).
//
// rpm-md has no expiry. Metadata whose repomd.xml is older than the maximum
// age (DefaultMaxAge, a week, by the newest data timestamp; WithMaxAge,
// WithRepoMaxAge) is repo.HealthStale, metadata dated more than ten minutes
// after the caller's now is repo.HealthExpired, and metadata that is not
// cached, fails its checksums or sizes, or does not parse is
// repo.HealthUnreadable. None of their packages are offered, and the
// repository's Status says why. A distribution's pool repository never
// changes after the release, so a scan that keeps it must give it a longer
// age (WithRepoMaxAge) or accept the stale verdict.
//
// # Candidates
//
// For every installed package (name, arch; several installed versions of
// one package, kernels, are judged by the newest) the backend returns every
// available version newer than it, in an architecture installable on the
// node (libzypp's compatibility table) and either the installed one or
// noarch on one side (libsolv's update policy), from any healthy enabled
// repository: one patchkit.Patch per (name, arch, version), whose
// Repository is the best repository holding that version. Exactly one of
// them, zypper's own choice, has Candidate=true: among the versions at or
// above the installed one that are not locked, those of the repositories
// with the best priority, then the highest version; ties go to the
// installed architecture, then the first repository in zypper's order.
// This is zypper's behaviour as observed on the testbed: a repository of
// better priority that holds only the installed version stops every update
// of that package from other repositories, and one that holds only older
// versions does not. A package whose installed version is locked has no
// candidate; a locked version is never the candidate; both are still
// listed (as `zypper list-updates --all` lists them). Versions are
// compared as rpm compares them, an unknown epoch being 0. Different
// package names are never offered (no obsoletes), and source packages are
// ignored.
//
// With WithInstalledVersions the installed versions are listed too: each
// installed package (each installed kernel) whose name, edition and
// architecture a healthy repository has is a Patch with Candidate=false,
// from the best repository that has it and classified as a newer version
// would be (below). A baseline decides it like any other version, which is
// how Patch Manager tells an installed package the baseline approves
// (INSTALLED) from one it does not (INSTALLED_OTHER). An installed version
// that no healthy repository has gives nothing.
//
// Not modelled: vendor stickiness (solver.allowVendorChange, the vendor is
// not read from primary.xml), retracted patches and packages (rpmmd does not
// carry an update's status), and the package dependencies that can keep
// zypper from installing a candidate.
//
// # Packages that are not installed
//
// With WithNotInstalled, Updates also passes to a callback every version
// that the healthy enabled repositories offer of a package, by name and
// architecture, that is not installed: what Patch Manager counts as
// NotApplicable when the baseline approves it. The rules, as zypper
// applies them on the testbed:
//
//   - Installed is the inventory given to Updates, by name and
//     architecture. A version of another architecture of an installed name
//     is passed on (zypper would install it, `zypper install NAME.ARCH`,
//     in place of the installed one: an architecture change, which `zypper
//     search` shows as "other-version"), unless Updates returns it (a newer
//     version to or from noarch). Older versions of such an architecture
//     are passed on too (zypper installs them with --oldpackage).
//   - Only the architectures installable on the node (those of the
//     candidates, zypp.conf's arch included) and never a source package;
//     unhealthy repositories offer nothing, and their patches classify
//     nothing.
//   - Locks: zypper refuses to install a locked version of a package that
//     is not installed (`zypper addlock NAME`, then `zypper install
//     --dry-run NAME` answers "remove lock to allow installation", exit
//     4) and marks it locked in `zypper search -s`; a lock restricted to
//     one repository (`addlock -r`) leaves the same version of the other
//     repositories installable, and `zypper install` takes it from them.
//     So a version that every repository holding it locks is left out
//     (and logged), and a version locked in some repositories comes from
//     the others. Locks of installed packages only (install_status:
//     installed) do not apply; zypp.conf's locksfile.apply = no turns
//     locks off, as for updates.
//   - One call per version (name, architecture, epoch, version, release).
//     A version that several repositories offer comes from the first of
//     them in zypper's order (priority, then alias) that does not lock
//     it, the repository `zypper install NAME-VERSION` takes it from, and
//     is classified by the patches of every healthy repository that name
//     it, with the rules below, exactly as an update; Candidate is false.
//   - The calls come after every repository has been read and everything
//     that can fail has been done, in the caller's goroutine, ordered by
//     name, architecture and version (rpm's order). When Updates returns
//     an error, none was made.
//
// Without the option, the packages of primary.xml whose names are not
// installed are dropped as they stream past; with it, each package of an
// installable architecture whose name and architecture are not installed
// is kept as a small record (its strings shared with the parser's) until
// every repository is read, and becomes a patchkit.Patch only when it is
// passed on. The native backend has no counterpart.
//
// # Patches and classification (SUSE semantics)
//
// Every update of a healthy repository's updateinfo is a zypper patch
// (Patch). Its date is the later of updateinfo's issued and updated dates
// (libsolv keeps that as the patch's time; zypper shows it as "Created On"
// and issue-date, and Patch Manager reads it). Its status is computed from
// the installed packages as libsolv's trivial-installable check does: needed
// when an installed version of a package it names, in an architecture its
// entry covers (an entry with an architecture covers that one and noarch; a
// noarch entry covers all), is lower than the entry's version; applied when
// some package of a name it lists is installed and none is lower; not
// needed when none is installed. An old version of a multiversion package
// (zypp.conf multiversion: a name, or provides:CAPABILITY, which is looked
// up in the rpm database) does not count when another installed version is
// at or above the entry's; any other package installed twice does, as
// zypper shows on the testbed. A needed patch is "unwanted" when it is
// locked, and "optional" when its category is optional, feature or
// enhancement, unless WithOptionalPatches.
//
// A version named by any patch (same name and version, an entry whose
// architecture covers it) is Security=true, the semantics Patch Manager
// applies to SUSE. It takes the patch's category as Classification
// (patchkit.AdvisoryType.Classification: "Security", "Recommended",
// "Optional", "Feature", "Document", "Yast", and for Red Hat-style
// repositories "Bugfix", "Enhancement"), its severity ("Critical",
// "Important", "Moderate", "Low"; "none" is no severity), its date as
// ReleaseDate, its reboot flag as RebootSuggested and its package-manager
// flag as RestartSuggested (updateinfo's reboot_suggested, at the update
// or a package level, and restart_suggested inside a package, as libsolv
// reads it; both backends carry them), its ID in AdvisoryIDs and its CVE
// and bugzilla references. When several patches name one
// version the security category wins, then the highest severity, then the
// earliest date, then the ID: the winner gives Classification and
// ReleaseDate; Severity is the highest; the IDs are the sorted union; a
// reboot or restart asked by any counts. A version no patch names has no
// classification and Security=false.
//
// # Native backend
//
// NativeUpdates runs, through a run.Runner, `zypper --non-interactive
// --xmlout --no-refresh [--root DIR] list-updates` (zypper's candidates),
// `list-patches --all` (categories, severities, flags, statuses) and `info
// -t patch NAME...` for the patches whose status is needed, optional,
// unwanted or retracted (their conflicts name their packages), with
// LC_ALL=C, and classifies each candidate with the same rules. Exit codes
// 100 and 101 are outcomes; 106 (repositories skipped) returns what zypper
// found with a *ReposSkippedError. The XML is read with a bounded
// streaming scanner (no DTDs, limits on depth, token size and element
// count); ParseStream, ParseListUpdates, ParseListPatches and
// ParseInfoPatches read it, and ParseListUpdatesTable and
// ParseListPatchesTable read the tables zypper prints without --xmlout.
// By default NativeUpdates reports newer versions only (what list-updates
// lists). Unless NativeRefresh, NativeUpdates and NativePatches run zypper
// with ZYPP_LOGFILE=/dev/null (zypper otherwise appends its debug log to
// /var/log/zypper.log of the host it runs on, --root or not) and
// ZYPP_READONLY_HACK=1 (libzypp then takes no zypp lock, whose pid file
// run/zypp.pid it rewrites otherwise). What zypper changes whatever it is
// told: its solv cache of the installed packages (var/cache/zypp/solv/
// @System), rebuilt whenever the rpm database changed since zypper last
// read it, as any zypper command rebuilds it; the modification time of the
// rpm database's sqlite shared-memory file (rpmdb.sqlite-shm); and a
// private directory under /var/tmp that it removes. NativeHealth gives the
// repositories' health for a native scan: each raw cache checked as
// Updates checks it (signature, date) with the presence and size of its
// data files (no package list read), leaving out the versions of
// repositories that are not OK. A native scan judges first
// (NativeRepoHealth) and asks zypper with those repositories left out
// (NativeDisableRepos: every query restricted to the others with -r
// ALIAS, which loads those alone), so that zypper chooses, attributes and
// classifies among the healthy ones as Updates does; RepoHealth.Keep is
// the last guard.
//
// NativeInstalledVersions is the native counterpart of
// WithInstalledVersions. NativeUpdates then also runs `repos` (each
// repository's alias, name, priority and enabled flag) and `search -s -t
// package --installed-only` (every installed version with the
// repositories that have it, "(System Packages)" when none does), asks
// `info -t patch` about every patch that is not not-needed (the patches
// naming an installed version are applied ones), and returns each
// installed version of the inventory that an enabled repository has as a
// Patch with Candidate=false, from the best such repository (priority,
// then alias), classified by the patches that name it with the rules
// above: the same fields as for a candidate (zypper has no section or
// priority). The commands are bounded whatever the number of packages:
// two more, one more per repository whose name another enabled
// repository shares (below), and one info per 500 patch names. What
// zypper does not tell plainly: search names a repository by its name,
// not its alias, so each enabled repository whose name another shares is
// searched by itself (`search -s -t package --installed-only --repo
// ALIAS`); and zypper lists an installed version under a repository when
// libzypp finds the two packages identical, a test that may look beyond
// the name, edition and architecture the metadata backend compares. As
// for candidates, zypper uses every repository it has metadata for,
// including those the metadata backend refuses (unsigned, stale). An
// installed version that no enabled repository has gives nothing.
//
// NativeAllVersions is the native counterpart of the newer versions
// Updates returns beside its candidates: NativeUpdates then also runs
// `repos` (once, shared with NativeInstalledVersions) and `search -s
// --match-exact -t package -- NAME...` over the inventory's names (one
// run per 64 KiB of names, and one more per run for each enabled
// repository whose name another shares, with --repo ALIAS), and returns
// every version newer than the newest installed one of an architecture it
// may update (the same, or to or from noarch) that zypper's candidate is
// not, with Candidate=false, from the best repository that has it,
// classified by the patches that name it. A baseline that approves an
// older newer version while the newest is not approved then finds it
// Missing. libzypp's pool holds only the architectures the node accepts,
// so search never shows the others; a locked version is returned, as
// Updates returns it, and is never the candidate.
package zypper
