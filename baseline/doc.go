// Package baseline is Patch Manager's patch-baseline rule engine: the
// baseline model and its JSON shapes, validation with the API's limits, the
// AWS-owned (predefined) baselines, and the evaluation that decides which
// candidate patches a baseline approves, why, at which compliance level and
// from when.
//
// Evaluation is pure and deterministic: [Evaluate] and [Compiled.Evaluate]
// take the baseline, the node (operating system and product), the candidate
// patches and the instant now, and read no clock and no file. A baseline is
// compiled once ([Compile]); its list entries are never parsed again per
// candidate.
//
// # Semantics
//
//   - A RejectedPatches entry wins over everything.
//   - An ApprovedPatches entry approves a patch with
//     ApprovedPatchesComplianceLevel, without date test and regardless of the
//     global filters; on Linux (except SUSE) a non-security patch only with
//     ApprovedPatchesEnableNonSecurity.
//   - Otherwise the global filters must all pass, and then any rule approves
//     when all its filters pass (values OR'ed, compared without regard to
//     case; "*" matches everything, even a patch without the property; a
//     value ending in "*" matches by prefix), its date test passes and, on
//     Linux except SUSE, the patch is a security patch or the rule has
//     EnableNonSecurity. PRODUCT is matched against the node's product.
//   - The compliance level is the highest of the approved list (when it
//     approves) and of every rule that approves.
//   - ApproveAfterDays N: released on UTC day D, approved from 00:00 UTC of
//     day D+N. ApproveUntilDate D: approved when released before 00:00 UTC of
//     the day after D. A patch without a release date counts as released on
//     1970-01-01 and passes every date test. Ubuntu, Debian and Raspberry Pi
//     OS have no release dates: their rules approve at once.
//   - On Windows a rule without a PATCH_SET filter (and no global one) covers
//     operating-system patches only.
//   - Approved and rejected entries match as docs/semantics.md §6
//     describes: on rpm systems the forms name, name.arch, name-version,
//     name-version-release, name-version-release.arch, version,
//     version-release, epoch:version-release, name-epoch:version-release,
//     name-epoch:version-release.arch, epoch:name-version-release.arch and
//     name.arch:epoch:version-release (epoch 0 when unknown), compared
//     without regard to case; an entry with "*", "?" or "[...]" is a shell
//     pattern; approved entries that are Bugzilla IDs (digits), CVE IDs or
//     advisory IDs match the patch's IDs exactly and with case. On apt
//     systems an entry names a package; on SUSE a zypper patch name or an
//     rpm file name (name-version-release.arch.rpm); on macOS a package name
//     (no patterns); on Windows a KB number or a bulletin ID.
//
// [ValidateSchedule] checks the cron, rate and at expressions of
// maintenance windows and associations (docs/semantics.md §11), the
// schedules patch operations run on; [ParseSchedule] reads one into a
// [Schedule] that gives its run times ([Schedule.Next], [Schedule.Runs]) in
// a time zone from a given instant, with daylight-saving changes handled as
// §11.1 says, and a [Window] adds a maintenance window's duration and
// cutoff. Nothing here reads a clock: the instant is always a parameter.
//
// # Open questions and the behaviour chosen
//
// Where Patch Manager's sources disagree or are silent (docs/semantics.md
// §12, whose question numbers the list keeps), the default follows the
// current AWS documentation and an Option gives the other behaviour:
//
//  1. ApproveAfterDays compares UTC calendar days; [ExactInstants] compares
//     instants (release < now − N×24h), as the 2021 node payload did.
//  2. Which advisory date feeds ApproveAfterDays on dnf systems is decided
//     where candidates are built (Patch.ReleaseDate); this package uses
//     the date it is given.
//  3. A patch without a severity passes a SEVERITY filter (the filter is
//     ignored for it); [MissingSeverityFails] makes it fail.
//  4. and 5. (INSTALLED_REJECTED, INSTALLED_PENDING_REBOOT) belong to the
//     compliance package.
//  6. The approved list bypasses the global filters on every OS;
//     [AptGlobalFiltersBeforeApprovedList] applies them first on apt systems.
//  7. CLASSIFICATION, SEVERITY, PRIORITY, MSRC_SEVERITY and PATCH_SET values
//     are checked against the lists patchkit knows (without regard to case);
//     [AllowUnknownFilterValues] accepts others. PRODUCT, SECTION and
//     PRODUCT_FAMILY take any value.
//  8. Filter keys beyond those DescribePatchProperties documents for the OS
//     are a validation error; [AllowExtendedFilterKeys] accepts and evaluates
//     them.
//  9. AvailableSecurityUpdatesComplianceStatus is kept as given (empty when
//     absent); what it means for compliance is decided in the compliance
//     package.
//  10. SUSE list entries match patch names and rpm file names, as documented;
//     [SUSEPackageForms] adds the rpm package forms.
//  11. macOS patches are not gated on security (how macOS classes an update
//     as security is not documented); their rules use Patch.ReleaseDate.
//  14. A rule with both ApproveAfterDays and ApproveUntilDate is invalid;
//     a rule with neither is invalid except on apt systems, where dates are
//     not used; [UndatedRulesApproveImmediately] accepts it everywhere as
//     zero days.
//  16. Predefined(WINDOWS) is AWS-DefaultPatchBaseline, the documented
//     default.
//
// Questions 12, 13 and 15 concern reporting and scheduling, not baselines.
package baseline
