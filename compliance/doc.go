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
// # States (section 6.2 of the semantics)
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
// # Pending reboot (section 7.3)
//
// What an Install with NoReboot installed is InstalledPendingReboot, and so
// is what an earlier NoReboot Install left pending, for as long as the node
// has not booted since; LastNoRebootInstallOperationTime carries this from
// report to report. An Install with RebootIfNeeded that installs something
// or finds pending patches reboots the node, so nothing stays pending.
//
// # Open questions and the behaviour chosen
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
// A Report is written with SchemaVersion "1.0". Reading refuses a missing or
// malformed version and a newer major version; a newer minor version may add
// fields, which are ignored. Field by field: see the Report, Node, Item and
// Summary types; the names follow InstancePatchState and
// PatchComplianceData where those have the field.
package compliance
