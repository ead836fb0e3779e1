// Package compliance is Patch Manager's compliance model: the per-patch
// states, the compliance items, the node summary (InstancePatchState) with
// its status and severity, versioned JSON reports saved atomically, exports
// in the shapes of describe-instance-patches and
// describe-instance-patch-states, and fleet aggregation.
//
// Everything is a pure function of plain values: [Classify] decides one
// package's state from its installed version and its candidates with the
// baseline's decisions; [Build] assembles a node's report, including the
// pending-reboot bookkeeping that carries over from the previous report;
// [Aggregate] folds a stream of reports.
//
// # States (docs/semantics.md §9.2)
//
// Per (name, arch), with I the installed version and A the candidates the
// baseline approves:
//
//   - I and no A: InstalledOther, or InstalledRejected when I is in
//     RejectedPatches and RejectedPatchesAction is BLOCK.
//   - I older than the newest of A: Missing after a Scan, Failed after an
//     Install.
//   - otherwise I: Installed, with the classification, severity and level of
//     the newest approved candidate.
//   - no I but some A: NotApplicable (on Windows, Missing when Windows Update
//     finds the update applicable); nothing: not reported.
//   - Windows: an applicable security update that is not approved is
//     AvailableSecurityUpdate, non-compliant when the baseline's
//     AvailableSecurityUpdatesComplianceStatus is NON_COMPLIANT.
//
// # Pending reboot (docs/semantics.md §10.5)
//
// What an Install with NoReboot installed is InstalledPendingReboot, and so
// is what an earlier NoReboot Install left pending, for as long as the node
// has not booted since; LastNoRebootInstallOperationTime carries this from
// report to report. An Install with RebootIfNeeded that installs something
// or finds pending patches reboots the node, so nothing stays pending.
//
// # Repositories that are not OK: the status UNKNOWN
//
// A scan reads candidates from the enabled repositories; when one's
// metadata is unsigned where a signature is expected, expired, stale or
// unreadable (its repo.Status.Health is not OK), the scan does not know
// what that repository offers, and a missing patch may hide there. Such a
// node is never COMPLIANT: BuildInput.Repositories gives each repository's
// health; Summary.Status is NON_COMPLIANT when an item says so, as always,
// and otherwise UNKNOWN (patchkit.ComplianceUnknown, patchkit's own value,
// which no AWS API has) while any repository is not OK.
// Summary.UnknownRepositoryCount and Summary.UnknownReasons ("NAME: HEALTH:
// REASON") say which and why, whatever the status; Report.Repositories
// keeps every repository's status. Items keep their per-patch states and
// their status is COMPLIANT or NON_COMPLIANT, never UNKNOWN. The text and
// HTML renderings show the status in its own colour and list the
// repositories that are not OK; the fleet counts unknown nodes apart
// (GroupState.UnknownInstances: never compliant, and also every report
// without a status) and the nodes with repositories not OK by health.
//
// Where an AWS shape is written, UNKNOWN does not appear: the
// describe-instance-patch-states entry (InstancePatchState) has no status
// field, so an UNKNOWN node's entry shows its counts only, which may all be
// zero; the describe-instance-patches entries carry the items' states.
// Callers that publish a node's compliance to AWS (put-compliance-items)
// should send the items, whose statuses are AWS values, and treat an UNKNOWN
// node as they would a failed scan.
//
// # Open questions and the behaviour chosen
//
// The numbers are those of the open questions in docs/semantics.md §12.
//
//   - 4: an installed rejected package with ALLOW_AS_DEPENDENCY is
//     InstalledOther, as the API says;
//     ClassifyOptions.RejectedAlwaysInstalledRejected gives the 2021 dnf and
//     zypper behaviour.
//   - 5: only what Patch Manager installed with NoReboot is pending, as the
//     2023 documentation and the payload say;
//     BuildOptions.PendingRebootForOutsideInstalls also marks what anyone
//     installed after the last boot, as the current documentation allows.
//   - 12: UnreportedNotApplicableCount is 0: every NotApplicable patch is in
//     the report. (AWS shows -1 on Linux; its rule is not documented.)
//   - 15: a non-compliant node whose items are all UNSPECIFIED has severity
//     INFORMATIONAL, as the payload reports;
//     BuildOptions.UnspecifiedNodeSeverity reports UNSPECIFIED.
//
// # Report JSON
//
// A Report is written with SchemaVersion "1.1". Reading refuses a missing or
// malformed version and a newer major version; a newer minor version may add
// fields, which are ignored; a report of this or an older version may hold
// only its version's fields. Field by field: see the Report, Node, Item and
// Summary types; the names follow InstancePatchState and
// PatchComplianceData where those have the field.
//
// Versions: 1.0 is the first. 1.1 adds Report.Repositories,
// Summary.UnknownRepositoryCount, Summary.UnknownReasons and the status
// UNKNOWN; the fields are left out when empty, so a 1.0 report reads and
// writes back unchanged, and a 1.0 report holding any of them is refused.
// A 1.0 reader ignores the new fields of a 1.1 report and refuses its
// UNKNOWN status, so it never takes an UNKNOWN node for a COMPLIANT one.
// Reading checks that a report's status agrees with its repositories and
// items (see ReadJSON): a report that says COMPLIANT while a repository is
// not OK is refused.
package compliance
