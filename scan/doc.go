// Package scan performs Patch Manager's Scan operation: what is installed
// on a node, what its repositories offer, what the baseline approves, and
// the compliance report that follows. It never changes the node.
//
// # The operation
//
// Scan runs every step on a root file system (an image, a chroot, a
// fixture, or os.DirFS("/") with Host's facts for the live host):
//
//   - the operating system (osdetect) decides the family backend by a plain
//     switch: dpkg and apt (scan/dpkg, scan/apt), the rpm database and dnf
//     (scan/rpmdb, scan/dnf), the rpm database and zypper (scan/zypper);
//   - the installed inventory (ReadInventory, or QueryInventory through a
//     run.Runner);
//   - every available version newer than an installed one, with its
//     classification, from the root's verified repository metadata (or
//     fresh metadata with WithRefresh, or the package manager itself with
//     WithRunner), and each repository's health (repo.Status);
//   - from the metadata, the versions of packages that are not installed at
//     all, of which the baseline's approved ones make their package
//     NotApplicable, as Patch Manager counts them on Linux (the package
//     manager itself does not list them, so scans through WithRunner find
//     none);
//   - the pending-reboot verdict (PendingReboot) from independent signals;
//   - the baseline's decision on every version, or a Snapshot's frozen
//     approvals, and the compliance report (Assess, the pure middle).
//
// Every intermediate value is plain data that can be saved as JSON: an
// Assessment fed back to Assess gives the same report bytes, which is what
// lets a harness evaluate baselines offline. Scan reads no clock: the
// operation's instant is an input (At), as are the node's architecture
// where the inventory does not tell it and the live host's boot time and
// kernel (HostFacts).
//
// A repository whose metadata cannot be read, verified or dated is reported
// with its health and offers nothing; the report is then never COMPLIANT
// (compliance's UNKNOWN). Scans through the package manager (WithRunner)
// judge the same stored metadata the package manager reads (apt's
// InRelease files, dnf's cached repomd.xml, zypper's raw cache; the
// families' NativeHealth) and fail closed in the same way.
//
// A Scan writes nothing to the node, through the package manager either:
// apt runs without its binary caches and planner log, dnf logs into a
// private directory removed afterwards, zypper logs to /dev/null in its
// read-only mode. What the tools change whatever they are told (the
// timestamp of the rpm database's SQLite -shm file, of dnf's cache and key
// directories, zypper's rebuilt solv cache of the installed system) is
// listed in the family packages' documentation.
//
// # The inventory
//
// Every package is a patchkit.Package with its own State: dpkg keeps
// packages half-installed, unpacked, half-configured, awaiting triggers or
// with only configuration files left, and the inventory says so instead of
// reporting them as installed. The same name in two architectures
// (multi-arch) and several installed versions of one name (installonly
// kernels) are separate entries. An rpm header without an Epoch tag keeps
// its epoch unknown, as rpm prints it; rpm orders it as epoch 0, and so
// does Assess.
package scan
