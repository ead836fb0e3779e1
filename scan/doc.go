// Package scan tells what is installed on a node: the first half of Patch
// Manager's Scan operation.
//
// The inventory comes from one of two sources that must agree:
//
//   - ReadInventory reads the package database of a root file system
//     offline, through io/fs: an image, a chroot, a fixture directory, or
//     os.DirFS("/") for the running host. Nothing is executed.
//   - QueryInventory asks the package manager itself (dpkg-query -W, rpm -qa)
//     through a run.Runner: the live host with run.NewLocal, or whatever an
//     embedder injects (sudo, SSH, a container, a recording).
//
// The backend is chosen from the detected operating system by a plain
// switch on its package manager (BackendFor): dpkg for apt systems (package
// scan/dpkg), the rpm database for dnf, yum and zypper systems (package
// scan/rpmdb, which reads rpm's sqlite, BerkeleyDB and NDB formats without
// cgo). There is no registry and no package-level state.
//
// Every package is a patchkit.Package with its own State: dpkg keeps
// packages half-installed, unpacked, half-configured, awaiting triggers or
// with only configuration files left, and the inventory says so instead of
// reporting them as installed. The same name in two architectures
// (multi-arch) and several installed versions of one name (installonly
// kernels) are separate entries. An rpm header without an Epoch tag keeps
// its epoch unknown, as rpm prints it; rpm orders it as epoch 0.
//
// Host facts are inputs: the inventory reports the node's architecture as
// the package manager's own package shows it (Inventory.Arch), and nothing
// falls back to the architecture or clock of the process.
package scan
