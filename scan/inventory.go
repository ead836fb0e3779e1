package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan/dpkg"
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/run"
)

// Backend is the package-manager family that reads a node's inventory.
type Backend string

// The backends.
const (
	// Dpkg reads dpkg's database (Debian, Ubuntu, Raspberry Pi OS).
	Dpkg Backend = "dpkg"
	// RPM reads the rpm database (dnf and yum distributions, SUSE).
	RPM Backend = "rpm"
)

// ErrUnsupported is matched by the error for an operating system whose
// package manager patchkit has no backend for (Windows and macOS so far).
var ErrUnsupported = errors.New("scan: no backend for this operating system")

// UnsupportedError names the operating system and package manager that have
// no backend, or (Reason set) the way of scanning that has none.
type UnsupportedError struct {
	OS             string
	PackageManager osdetect.PackageManager
	Reason         string
}

func (e *UnsupportedError) Error() string {
	pm := string(e.PackageManager)
	if pm == "" {
		pm = "no known package manager"
	}
	if e.Reason != "" {
		return fmt.Sprintf("scan: %s (%s): %s", e.OS, pm, e.Reason)
	}
	return fmt.Sprintf("scan: %s (%s): no inventory backend", e.OS, pm)
}

// Is reports whether target is ErrUnsupported.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// BackendFor returns the backend for an operating system, chosen by its
// package manager.
func BackendFor(o osdetect.OS) (Backend, error) {
	switch o.PackageManager {
	case osdetect.APT:
		return Dpkg, nil
	case osdetect.DNF, osdetect.YUM, osdetect.Zypper:
		return RPM, nil
	}
	return "", &UnsupportedError{OS: o.ID, PackageManager: o.PackageManager}
}

// Inventory is what is installed on a node.
type Inventory struct {
	Backend Backend `json:"Backend"`
	// Source says what was read: the database file inside the root
	// ("var/lib/dpkg/status", "usr/lib/sysimage/rpm/rpmdb.sqlite" with its
	// format) or the command that was run.
	Source string `json:"Source"`
	// Arch is the node's native architecture in osdetect's vocabulary, as
	// the inventory shows it (the architecture of dpkg's or rpm's own
	// package); empty when it does not say.
	Arch string `json:"Arch,omitempty"`
	// Packages are sorted by name, architecture and version. Each carries
	// its State: only StateInstalled is plainly installed.
	Packages []patchkit.Package `json:"Packages"`
	// Notes say what the reader noticed without failing: no package
	// database in the root, further database files it did not read.
	Notes []string `json:"Notes,omitempty"`
}

// Option configures ReadInventory and QueryInventory.
type Option func(*options) error

type options struct {
	rootDir  string
	admindir string
	rpmOpts  []rpmdb.Option
}

// WithRootDir makes QueryInventory ask the package manager about the root
// directory dir instead of the live system (dpkg-query --admindir
// dir/var/lib/dpkg, rpm --root dir). dir must be absolute.
func WithRootDir(dir string) Option {
	return func(o *options) error {
		if !strings.HasPrefix(dir, "/") {
			return &InputError{Field: "WithRootDir", Reason: fmt.Sprintf("%q is not an absolute path", dir)}
		}
		o.rootDir = dir
		return nil
	}
}

// WithAdmindir sets where ReadInventory finds dpkg's database inside the
// root (default var/lib/dpkg), as dpkg's --admindir does.
func WithAdmindir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return &InputError{Field: "WithAdmindir", Reason: "empty"}
		}
		o.admindir = strings.Trim(dir, "/")
		if o.admindir == "" {
			o.admindir = "."
		}
		return nil
	}
}

// WithRPMOptions passes options to the rpm database reader.
func WithRPMOptions(opts ...rpmdb.Option) Option {
	return func(o *options) error { o.rpmOpts = append(o.rpmOpts, opts...); return nil }
}

func buildOptions(opts []Option) (options, error) {
	o := options{admindir: "var/lib/dpkg"}
	for i, opt := range opts {
		if opt == nil {
			return o, &InputError{Field: fmt.Sprintf("Option %d", i), Reason: "nil option"}
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// ReadInventory reads the installed packages of the root file system fsys
// (an image, a chroot, a fixture, or os.DirFS("/") for the live host)
// offline, from the package database of the backend o calls for. A root
// with an operating system but no package database has an empty inventory
// (with a note), not an error; a damaged database is an error and no
// inventory.
func ReadInventory(ctx context.Context, fsys fs.FS, o osdetect.OS, opts ...Option) (Inventory, error) {
	if ctx == nil || fsys == nil {
		return Inventory{}, &InputError{Field: "ReadInventory", Reason: "nil context or file system"}
	}
	b, err := BackendFor(o)
	if err != nil {
		return Inventory{}, err
	}
	op, err := buildOptions(opts)
	if err != nil {
		return Inventory{}, err
	}
	inv := Inventory{Backend: b, Packages: []patchkit.Package{}}
	switch b {
	case Dpkg:
		adm := op.admindir
		pkgs, err := dpkg.Read(ctx, fsys, dpkg.WithAdmindir(adm))
		inv.Source = adm
		if errors.Is(err, dpkg.ErrNoDatabase) {
			inv.Notes = append(inv.Notes, "no dpkg database: "+adm+" does not exist")
			return inv, nil
		}
		if err != nil {
			return Inventory{}, err
		}
		inv.Packages = pkgs
	case RPM:
		db, pkgs, err := rpmdb.Read(ctx, fsys, op.rpmOpts...)
		if errors.Is(err, rpmdb.ErrNoDatabase) {
			inv.Notes = append(inv.Notes, "no rpm database in usr/lib/sysimage/rpm or var/lib/rpm")
			return inv, nil
		}
		if err != nil {
			return Inventory{}, err
		}
		inv.Source = db.Path + " (" + string(db.Format) + ")"
		for _, other := range db.Others {
			inv.Notes = append(inv.Notes, "not read: "+other+" (rpm reads only "+db.Path+")")
		}
		inv.Packages = pkgs
	}
	finish(&inv)
	return inv, nil
}

// QueryInventory asks the package manager itself, through r: dpkg-query -W
// or rpm -qa with a query format. It is the second source for the live host
// (or, with WithRootDir, a root) and should agree with ReadInventory.
func QueryInventory(ctx context.Context, r run.Runner, o osdetect.OS, opts ...Option) (Inventory, error) {
	if ctx == nil || r == nil {
		return Inventory{}, &InputError{Field: "QueryInventory", Reason: "nil context or runner"}
	}
	b, err := BackendFor(o)
	if err != nil {
		return Inventory{}, err
	}
	op, err := buildOptions(opts)
	if err != nil {
		return Inventory{}, err
	}
	var (
		c     run.Command
		query func() ([]patchkit.Package, error)
	)
	switch b {
	case Dpkg:
		var qo []dpkg.QueryOption
		if op.rootDir != "" {
			qo = append(qo, dpkg.QueryAdmindir(strings.TrimRight(op.rootDir, "/")+"/var/lib/dpkg"))
		}
		c, err = dpkg.QueryCommand(qo...)
		query = func() ([]patchkit.Package, error) { return dpkg.Query(ctx, r, qo...) }
	case RPM:
		var qo []rpmdb.QueryOption
		if op.rootDir != "" {
			qo = append(qo, rpmdb.WithRoot(op.rootDir))
		}
		c, err = rpmdb.QueryCommand(qo...)
		query = func() ([]patchkit.Package, error) { return rpmdb.Query(ctx, r, qo...) }
	}
	if err != nil {
		return Inventory{}, err
	}
	inv := Inventory{Backend: b, Source: c.String()}
	if inv.Packages, err = query(); err != nil {
		return Inventory{}, err
	}
	if inv.Packages == nil {
		inv.Packages = []patchkit.Package{}
	}
	finish(&inv)
	return inv, nil
}

// finish sorts the packages and learns the native architecture.
func finish(inv *Inventory) {
	slices.SortStableFunc(inv.Packages, comparePackages)
	inv.Arch = nativeArch(inv.Backend, inv.Packages)
}

// comparePackages orders by name, architecture, then version (versions that
// cannot be ordered, one epoch unknown, by their text).
func comparePackages(a, b patchkit.Package) int {
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Arch, b.Arch); c != 0 {
		return c
	}
	if c, err := a.CompareVersion(b); err == nil {
		return c
	}
	return cmp.Compare(a.EVR(), b.EVR())
}

// nativeArch is the architecture of the package manager's own package:
// dpkg's Architecture is the system's native one by definition; rpm is built
// for the machine it manages.
func nativeArch(b Backend, pkgs []patchkit.Package) string {
	own, from := "dpkg", osdetect.ArchFromDebian
	if b == RPM {
		own, from = "rpm", osdetect.ArchFromRPM
	}
	for _, p := range pkgs {
		if p.Name == own && p.State.FilesPresent() {
			if a, ok := from(p.Arch); ok {
				return a
			}
		}
	}
	return ""
}
