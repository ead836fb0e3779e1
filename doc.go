// Package patchkit is an SDK for operating-system patch management with the
// semantics of AWS Systems Manager Patch Manager: which updates a patch
// baseline approves, what is missing or installed on a node, and how a
// node's compliance is reported. Agents that patch the host they run on,
// vendors that embed compliance checks, and test harnesses that evaluate
// baselines offline all import it.
//
// docs/semantics.md in the repository states the Patch Manager behaviour
// patchkit implements, the choices it made where AWS's sources are silent or
// disagree, and those sources; package documentation cites its numbered
// sections ("docs/semantics.md §7.2").
//
// This package holds the vocabulary every other package speaks, and imports
// nothing of patchkit's own:
//
//   - [Package]: one package version, with its epoch known or unknown
//     ([Epoch]), and the parsers [ParseNEVRA] and [ParseDpkg].
//   - [Advisory]: a vendor update notice (updateinfo.xml, zypper patch).
//   - [Patch]: a candidate update with every property a baseline filter
//     looks at.
//   - [OperatingSystem] and [ComplianceLevel]: Patch Manager's enumerations,
//     spelled exactly as the API spells them; unknown values are an
//     [*UnknownValueError], never a guess.
//   - [VersionScheme]: [RPM], [Deb] and [Semver] ordering, exact to rpm and
//     dpkg, without allocating.
//
// Malformed input is a typed error that matches [ErrInvalid] and says which
// field is wrong.
//
// # Packages
//
//   - osdetect: which operating system a root file system or the host is,
//     and its Patch Manager OperatingSystem and PRODUCT.
//   - repo (with repo/apt and repo/rpmmd): repository configuration and
//     metadata (apt, rpm-md), fetched with limits, verified and cached.
//   - baseline: the patch-baseline rule engine: the baseline model and its
//     JSON shapes, validation, the AWS-owned baselines, and a pure,
//     deterministic evaluation of candidate patches; schedules and their run
//     times. baseline/policy says which baseline applies to a node and
//     models Quick Setup patch policies.
//   - compliance: per-patch states, the node summary, versioned reports,
//     AWS-shaped exports and fleet aggregation; compliance/rollout runs an
//     operation over a fleet with Run Command's rate control.
//   - scan: Patch Manager's Scan of a root file system or the live host:
//     the installed inventory read from dpkg's or rpm's database (scan/dpkg,
//     scan/rpmdb), the available updates per family (scan/apt, scan/dnf,
//     scan/zypper), the pending-reboot verdict and the compliance report;
//     each also through the package manager itself via scan/run, the seam
//     for running commands.
//   - install: Patch Manager's Install operation: the approved missing
//     updates installed at exactly their versions through apt/dpkg, dnf and
//     zypper (install/apt, install/dnf, install/zypper), checked against the
//     package manager's own plan first, then verified by scanning again.
//   - examples/scanhost: the main program, built on the public API only;
//     examples/evaluate evaluates a baseline offline and examples/policyplan
//     previews a patch policy over a fleet.
//
// # Data flow
//
// osdetect tells the OS and product; scan reads the installed inventory; repo
// offers the available versions and advisories, which become candidate
// Patches; baseline evaluates them at a given time into approvals with a
// compliance level; compliance turns those into per-patch states and a node
// summary; install applies approved missing patches and rescans. Each step's
// result is a plain value that can be saved as JSON and fed back in, so a
// harness can reproduce a scan offline, byte for byte.
package patchkit
