// Package dnf finds the candidate updates of a dnf or yum system (RHEL and
// its rebuilds, Fedora, CentOS Stream, Amazon Linux 2 and 2023, Oracle
// Linux): every available version newer than an installed one that dnf
// would install when asked, each a patchkit.Patch classified from the
// repositories' update notices, with dnf's own upgrade choice marked.
//
// There are two backends, which agree on the same root:
//
//   - Updates (and Check, which also returns what it noticed) reads the
//     root's configuration and the repository metadata dnf keeps in its
//     cache, offline, through io/fs; with WithRefresh it fetches fresh,
//     verified metadata through a repo.Client (repo/rpmmd.Update) instead.
//     No command runs.
//   - NativeUpdates asks dnf itself through a run.Runner: repoquery
//     --upgrades with a tab-separated query format, check-update, and
//     updateinfo list and info, with LC_ALL=C and TZ=UTC, no terminal.
//
// # What is read
//
// The [main] section of etc/dnf/dnf.conf (etc/yum.conf with WithFlavor(YUM)):
// cachedir, reposdir, excludepkgs (exclude), includepkgs, installonlypkgs,
// gpgcheck, repo_gpgcheck, varsdir; the variable files of etc/dnf/vars and
// etc/yum/vars ($releasever, $awsregion, ...); the repositories of dnf.conf
// and of the .repo files of reposdir (repo.ParseRepoFile, with $basearch and
// $arch from WithArch). Only enabled repositories are read, each once. A
// configuration dnf could not read (a malformed line, a repository defined
// twice) is an error naming the file and line, never a repository left out.
//
// For each enabled repository, dnf's cache directory
// <cachedir>/<id>-<hash>, where hash is the first 8 bytes of the SHA-256 of
// the metalink, else the mirror list, else the first base URL, in hex (as
// libdnf names it): repodata/repomd.xml, then the primary.xml and
// updateinfo.xml it names. When no directory has that name and exactly one
// cache directory of the ID exists (dnf ran with another $releasever), that
// one is read and Report.Notes says so. yum 3 (Amazon Linux 2, RHEL 7)
// keeps each repository in <cachedir>/<id>, cachedir being
// /var/cache/yum/$basearch/$releasever by default, with the downloaded
// files beside repomd.xml under their base names; it downloads the sqlite
// primary_db instead of primary.xml, and that is read when it is there
// (through internal/sqlite: the packages, provides and obsoletes tables).
//
// # Fail closed
//
// Every enabled repository has one repo.Status, and only HealthOK
// repositories contribute packages or notices:
//
//   - UNSIGNED: repo_gpgcheck is set (on the repository, or in [main]) and
//     repomd.xml.asc is missing, does not verify at the caller's time, or no
//     key is available. The keys are those dnf trusts for the repository's
//     metadata: the gpgkey files inside the root (file: URLs), the keys dnf
//     imported into the repository's keyring in its cache directory
//     (pubring/pubring.kbx, a GnuPG keybox, or pubring.gpg; yum's gpgdir),
//     http and https gpgkey URLs when a client is given (WithClient), and
//     the caller's WithKeyring. The gpg-pubkey entries of the rpm database
//     sign packages, not repository metadata, and are not used. Without
//     repo_gpgcheck the signature is not checked, as dnf does not check it,
//     and Status.Verified is false.
//   - STALE: rpm-md has no expiry of its own; metadata generated (repomd's
//     newest timestamp, else its revision) more than DefaultMaxAge (7 days,
//     WithMaxAge) before the caller's time is stale. metadata_expire only
//     says when dnf fetches again and is not a validity.
//   - EXPIRED: repomd.xml dated, or its repomd.xml.asc signature made,
//     more than DefaultMaxFutureSkew (WithMaxFutureSkew) after the caller's
//     time. A signature made within the skew after it (a clock a little
//     behind the repository's) is checked, with its key, as of the time it
//     was made.
//   - UNREADABLE: not cached, a data file whose size or checksum (SHA-256 or
//     SHA-512; weaker ones are refused) differs from repomd.xml's, a
//     decompressed size or checksum that differs, malformed XML, a record
//     rpmmd refuses (including an update notice of an unknown type or with
//     an unreadable date: a notice that cannot be read could make a version
//     security, so the repository is not used).
//
// # Which versions are offered (libdnf's rules, checked with dnf 4.14)
//
// A version of a healthy repository is offered when its architecture is
// one the node installs (libsolv's policy for WithArch: x86_64 takes
// x86_64, the 32-bit x86 architectures and noarch; aarch64 takes aarch64
// and noarch), no excludepkgs of [main] or of its repository matches it,
// it matches an includepkgs of [main] or of its repository when either has
// includes (the two lists are a union, as dnf applies them), and it
// upgrades the installed packages of its name: every installed package of
// that name whose architecture is the same, or where either is noarch,
// is older, and there is one (libdnf's what_upgrades). So an i686 package
// of a multilib pair upgrades only the i686 one, a package may move to or
// from noarch, an i686 package never becomes x86_64, and a version between
// two installed kernels is not offered. excludepkgs patterns match a
// package's name, name.arch, name-version, name-version-release and
// name-[epoch:]version-release.arch, with globs. Excluded installed
// packages still count as installed, as in dnf. Report.Excluded lists
// the newer versions that excludes or includes hide.
//
// Every such version is a Patch, also one a repository of lower priority
// offers (dnf installs it when asked for that version). One NEVRA offered
// by several repositories is one Patch, from the repository dnf would take
// it from: best priority (lowest number), then lowest cost, then
// configuration order.
//
// Candidate is set, per name and architecture, on the newest offered
// version from the repositories of the best priority among all the
// non-excluded versions of that name (libdnf's upgrades_by_priority, then
// latest per architecture: what dnf check-update lists). With a
// repository of better priority that has only the installed version, no
// version is the candidate, as dnf upgrades nothing.
//
// With WithInstalledVersions the installed versions are listed too: every
// installed package (each installed kernel) whose exact NEVRA a healthy
// repository offers, installable on the node and not excluded, is a Patch
// with Candidate false, from the repository dnf would take it from and
// classified and dated as a newer version would be (below). A baseline
// decides it like any other version, which is how Patch Manager tells an
// installed package that the baseline approves (INSTALLED) from one it
// does not (INSTALLED_OTHER). An installed version that no healthy
// repository offers gives nothing.
//
// # Versions of packages that are not installed
//
// With WithNotInstalled, every version the healthy repositories offer of
// a (name, arch) pair that is not installed is passed to a function, for
// Patch Manager's NotApplicable: a pair is installed when the inventory
// has a package of that name and architecture whose files are present.
// The versions are those dnf would install on the node when asked for
// them (dnf install name-version-release.arch), which is what dnf
// repoquery --available lists less the installed pairs and the versions
// Updates returns: architectures the
// node installs (the policy above: an x86_64 node takes the i686 build of
// a package installed as x86_64, never an aarch64 one), never a source
// package; excludepkgs and includepkgs applied as for an upgrade, since
// dnf removes the packages they hide from everything it offers, install
// included ("All matches were filtered out by exclude filtering"); every
// repository priority, as dnf installs a version of a repository of worse
// priority when asked for it. A version of an installed name in another
// architecture is passed unless it upgrades the installed package (a move
// to or from noarch that Updates returns), so an older noarch build of a
// package installed as x86_64 is passed. A version two repositories offer
// is passed once, from the repository dnf would take it from (priority,
// cost, configuration order, as for updates), classified and dated as an
// update. A package that obsoletes an installed one is passed like any
// other. Module streams are not applied (see below).
//
// This reads every package record of every repository instead of those of
// installed names, and every update notice: the records kept are reduced
// to name, architecture, version, source rpm, build time and repository
// (rpmmd's parser interns versions, releases, architectures and source
// rpm names), their build times are read beside them in document order
// rather than by key, and the versions are passed one at a time from one
// sorted list, without a second copy. Without the option nothing more is
// read or kept.
//
// Installonly packages (dnf's default: kernel, kernel-PAE and the providers
// of installonlypkg(kernel), installonlypkg(kernel-module),
// installonlypkg(vm), multiversion(kernel); plus what installonlypkgs of
// [main] adds to it, as dnf 4 reads the option: an empty value or one that
// begins with a comma empties the list first; plus WithInstallOnly) are offered like any other: a newer version than
// all installed ones, which dnf installs beside them. Report.InstallOnly
// names them. Obsoletes are never turned into an install: an available
// package whose Obsoletes names an installed package of another name is
// recorded in Report.Obsoletes (passed to WithObsoletes, and logged), not
// offered.
//
// Module streams are not applied: a repository with module metadata gets a
// note that versions of streams that are not enabled may be offered.
//
// # Classification (Patch Manager's rules for yum and dnf systems)
//
// A version is Security when any update notice of a healthy repository
// ships it (name, epoch, version, release and architecture; a notice
// without an epoch means 0), whatever the notice's type. Classification is
// the notice type's ("Security", "Bugfix", "Enhancement", ...); Severity,
// advisory IDs, CVE and bugzilla IDs carry over. Several notices for one
// version: the union of their IDs (sorted), the highest-ranked type
// (security, bugfix, enhancement, recommended, newpackage, optional,
// feature, document, yast), the highest severity (Critical, Important,
// Moderate or Medium, Low, then any other spelling such as "None"),
// RebootSuggested when any suggests a reboot, and the earliest date.
//
// With WithRefresh a repository that has only a metalink (Fedora's
// default) cannot be fetched (repo/rpmmd reads base URLs and mirror lists)
// and is UNREADABLE; its cache can still be read.
//
// ReleaseDate: on Amazon Linux 2 and 2023 (WithDateRule(UpdatedFirst), or
// WithOS) the notice's updated date, else its issued date; on the other
// distributions its issued date, else its updated date; without a notice,
// the package's build time from primary.xml; zero when none is known. In
// refresh mode rpmmd's snapshot does not expose primary.xml, so build
// times and obsoletes are not read then (Report.Notes says so).
//
// # The native backend
//
// NativeUpdates runs dnf 4 (Fedora, RHEL and its rebuilds 8 and later,
// CentOS Stream, Amazon Linux 2023, Oracle Linux 8 and later; their yum is
// the same program). yum 3 systems (Amazon Linux 2; RHEL, CentOS and
// Oracle Linux 7) have no /usr/bin/dnf, so the runner fails with
// run.ErrNotFound, and yum 3's own commands (yum check-update, yum
// updateinfo, yum-utils' repoquery --pkgnarrow=updates) print other forms
// that this package does not read: there is no yum 3 where patchkit is
// tested. Scan such a system with the metadata backend, which reads
// etc/yum.conf and the repodata yum caches under var/cache/yum (fresh
// after yum makecache, or fetched with WithRefresh) and applies the same
// rules; scan.Scan refuses a native scan of a yum system up front.
//
// repoquery --upgrades lists every upgrade version but ignores repository
// priorities, so dnf's own choice (Candidate) comes from check-update, which
// applies them; --latest-limit 1 would name the wrong version behind a
// repository of better priority. dnf's queries also list versions of
// architectures the node cannot install (its solver refuses them later);
// NativeArch leaves them out. updateinfo runs with --disableexcludes=all,
// because includepkgs in [main] hides installed packages from updateinfo
// (not from check-update), and notices are only looked up for the versions
// the other commands list. dnf 4 prints one date per notice, the later of
// issued and updated (libsolv keeps one), and not reboot_suggested: the
// native ReleaseDate is that date and RebootSuggested stays false. The
// outputs are parsed strictly: a line that does not have the expected
// shape is an *OutputError naming the command and line, and outputs that
// contradict each other are an *InconsistentError.
//
// Every dnf command, a query too, appends to dnf's logs (dnf.log,
// dnf.librepo.log, dnf.rpm.log, hawkey.log under logdir, /var/log, which
// --installroot moves into the root): NativeLogDir or NativePrivateLogs
// send them elsewhere. What dnf changes whatever it is told: the modification
// time of its cache directory (it creates and removes its metadata lock
// there), of each repository's keyring directory in the cache (gpg locks
// it while librepo verifies repomd.xml), and of the rpm database's sqlite
// shared-memory file (rpmdb.sqlite-shm, written on every read of a
// database in WAL mode); no file's content. NativeHealth gives the
// repositories' health for a native scan: each cached repomd.xml checked
// as Updates checks it (signature, date) with the presence and size of
// its data files (no package list read), leaving out the versions of
// repositories that are not OK. A native scan judges first
// (NativeRepoHealth) and runs dnf with those repositories disabled
// (NativeDisableRepos), so that dnf chooses, attributes and classifies
// among the healthy ones as Updates does; RepoHealth.Keep is the last
// guard. (dnf 4.14 run from its cache refuses a repository whose cached
// repomd.xml no longer verifies, "Cache-only enabled but no cache", and
// deletes that cached metadata: disabled, the repository is left alone.)
//
// NativeInstalledVersions is the native counterpart of
// WithInstalledVersions, so that a scan through dnf tells INSTALLED from
// INSTALLED_OTHER too. It adds one dnf run, repoquery --available with
// QueryFormat and every installed NEVRA (epoch written out) as operands
// after "--", validated as rpm writes them (an installed package without
// an architecture, gpg-pubkey, is not asked about), and runs updateinfo
// list and info with --all, whose output has the notices of the installed
// versions beside those of newer ones. An installed version that
// repoquery --available lists, in an architecture the node installs
// (NativeArch), is a Patch with Candidate false, classified as a newer
// version is (Security, Classification, Severity, advisory, CVE and
// bugzilla IDs). dnf applies excludepkgs and includepkgs to the available
// packages, so a hidden installed version gives nothing, as in the
// metadata backend. What dnf does not tell: the notice's issued date
// apart from its updated date and reboot_suggested (as above); a build
// time to the second, so a version without a notice has no ReleaseDate
// (the metadata backend takes its build time), as for newer versions; and
// repository priorities and costs, so an installed version several
// enabled repositories offer is reported from the first in repoquery's
// sorted output rather than from the one dnf would reinstall it from.
// There is no native counterpart to WithNotInstalled.
package dnf
