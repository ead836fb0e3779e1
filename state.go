package patchkit

// InstallState is a package manager's own state of an installed package.
// rpm knows only one (an rpm database entry is installed); dpkg records the
// others while it works on a package, and keeps them when it is interrupted
// or a maintainer script fails. Only StateInstalled is plainly installed.
type InstallState string

// The states, spelled as dpkg spells them in its status file.
const (
	// StateInstalled: unpacked and configured.
	StateInstalled InstallState = "installed"
	// StateTriggersPending: installed, but triggers it is interested in
	// have fired and not run yet.
	StateTriggersPending InstallState = "triggers-pending"
	// StateTriggersAwaited: installed, waiting for another package to
	// process its triggers.
	StateTriggersAwaited InstallState = "triggers-awaited"
	// StateHalfConfigured: unpacked; configuration started and did not
	// finish (a failed postinst).
	StateHalfConfigured InstallState = "half-configured"
	// StateUnpacked: unpacked, not configured.
	StateUnpacked InstallState = "unpacked"
	// StateHalfInstalled: installation or removal started and did not
	// finish.
	StateHalfInstalled InstallState = "half-installed"
	// StateConfigFiles: removed; only its configuration files remain.
	StateConfigFiles InstallState = "config-files"
	// StateNotInstalled: known to the database, not on the system.
	StateNotInstalled InstallState = "not-installed"
)

// Valid reports whether s is one of the states.
func (s InstallState) Valid() bool {
	switch s {
	case StateInstalled, StateTriggersPending, StateTriggersAwaited, StateHalfConfigured,
		StateUnpacked, StateHalfInstalled, StateConfigFiles, StateNotInstalled:
		return true
	}
	return false
}

// FilesPresent reports whether the package's files are on the system in
// this state (everything from unpacked on): its version is the one a scan
// compares against, even when configuration did not finish.
func (s InstallState) FilesPresent() bool {
	switch s {
	case StateInstalled, StateTriggersPending, StateTriggersAwaited, StateHalfConfigured, StateUnpacked:
		return true
	}
	return false
}

// NeedsRepair reports whether the package manager left this package in the
// middle of an operation (dpkg --configure -a or a reinstall finishes it).
func (s InstallState) NeedsRepair() bool {
	switch s {
	case StateHalfConfigured, StateUnpacked, StateHalfInstalled:
		return true
	}
	return false
}
