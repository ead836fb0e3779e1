// Command scanhost scans this host, or a root file system, with patchkit:
// the operating system, its Patch Manager OperatingSystem and PRODUCT, and
// every installed package.
//
//	go run ./examples/scanhost                   # this host, human-readable
//	go run ./examples/scanhost -json             # for machines
//	go run ./examples/scanhost -root /mnt/image  # a root file system instead of the host
//	go run ./examples/scanhost -query            # ask dpkg-query or rpm instead of reading the database
//
// The inventory is read from the package database (dpkg's status, the rpm
// database in any of its formats) unless -query asks the package manager
// itself. In -json, "Installed" holds every package as patchkit.Package
// JSON, each with its State.
//
// Exit codes: 0 success; 1 the system cannot be identified, is not
// supported, or its package database cannot be read (after printing what
// was learnt); 2 usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/scan"
	"github.com/patchkit/patchkit/scan/run"
)

func main() {
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// report is the -json output.
type report struct {
	OS              osdetect.OS              `json:"OS"`
	OperatingSystem patchkit.OperatingSystem `json:"OperatingSystem,omitempty"`
	Product         string                   `json:"Product,omitempty"`
	// Inventory says where the inventory came from; Installed holds it.
	Inventory *inventoryInfo     `json:"Inventory,omitempty"`
	Installed []patchkit.Package `json:"Installed"`
	Error     string             `json:"Error,omitempty"`
}

type inventoryInfo struct {
	Backend scan.Backend `json:"Backend"`
	Source  string       `json:"Source"`
	Arch    string       `json:"Arch,omitempty"`
	Count   int          `json:"Count"`
	Notes   []string     `json:"Notes,omitempty"`
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("scanhost", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "print JSON")
	root := fl.String("root", "", "inspect this root file system instead of the running host")
	query := fl.Bool("query", false, "ask the package manager (dpkg-query, rpm) instead of reading its database")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "scanhost: unexpected argument %q\n", fl.Arg(0))
		return 2
	}

	var (
		o   osdetect.OS
		err error
	)
	fsys := os.DirFS("/")
	if *root != "" {
		abs, aerr := filepath.Abs(*root)
		if aerr != nil {
			fmt.Fprintln(stderr, "scanhost:", aerr)
			return 2
		}
		*root = abs
		fsys = os.DirFS(abs)
		o, err = osdetect.DetectFS(fsys)
	} else {
		o, err = osdetect.Detect(ctx)
	}
	r := report{OS: o, OperatingSystem: o.OperatingSystem(), Product: o.Product(), Installed: []patchkit.Package{}}
	var unsupported *osdetect.UnsupportedError
	if o.ID != "" && (err == nil || errors.As(err, &unsupported)) && o.PackageManager != "" {
		inv, ierr := inventory(ctx, fsys, o, *root, *query)
		if ierr == nil {
			r.Inventory = &inventoryInfo{Backend: inv.Backend, Source: inv.Source, Arch: inv.Arch, Count: len(inv.Packages), Notes: inv.Notes}
			r.Installed = inv.Packages
		} else if !errors.Is(ierr, scan.ErrUnsupported) || err == nil {
			err = errors.Join(err, ierr)
		}
	}
	if err != nil {
		r.Error = err.Error()
	}

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(stderr, "scanhost:", err)
			return 1
		}
	} else if o.ID != "" {
		printText(stdout, r)
	}
	if err != nil {
		fmt.Fprintln(stderr, "scanhost:", err)
		if errors.Is(err, osdetect.ErrUnknownOS) {
			fmt.Fprintln(stderr, "scanhost: no os-release, release file or SystemVersion.plist was found")
		}
		return 1
	}
	return 0
}

func inventory(ctx context.Context, fsys iofs.FS, o osdetect.OS, root string, query bool) (scan.Inventory, error) {
	if !query {
		return scan.ReadInventory(ctx, fsys, o)
	}
	l, err := run.NewLocal()
	if err != nil {
		return scan.Inventory{}, err
	}
	var opts []scan.Option
	if root != "" {
		opts = append(opts, scan.WithRootDir(root))
	}
	return scan.QueryInventory(ctx, l, o, opts...)
}

func printText(w io.Writer, r report) {
	o := r.OS
	name := o.PrettyName
	if name == "" {
		name = strings.TrimSpace(o.Name + " " + o.Version)
	}
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-17s %s\n", k+":", v)
		}
	}
	line("Operating system", name)
	line("ID", o.ID)
	version := o.Major
	if o.Minor != "" {
		version += "." + o.Minor
	}
	if o.Codename != "" {
		version = strings.TrimSpace(version + " (" + o.Codename + ")")
	}
	line("Version", version)
	line("Build", o.Build)
	pm := "not supported by Patch Manager"
	if r.OperatingSystem != "" {
		pm = string(r.OperatingSystem)
		if r.Product != "" {
			pm += ", product " + r.Product
		} else {
			pm += ", product unknown (no version)"
		}
	}
	line("Patch Manager", pm)
	if o.Family != "" {
		line("Family", fmt.Sprintf("%s (package manager %s)", o.Family, o.PackageManager))
	}
	line("Architecture", o.Arch)
	line("Kernel", o.KernelRelease)
	line("Sources", strings.Join(o.Sources, ", "))
	if inv := r.Inventory; inv != nil {
		src := inv.Source
		if inv.Count == 0 && len(inv.Notes) > 0 {
			src = "no package database"
		}
		line("Inventory", fmt.Sprintf("%s, %s", inv.Backend, src))
		if inv.Arch != "" && inv.Arch != o.Arch {
			line("Inventory arch", inv.Arch)
		}
		line("Installed", countStates(r.Installed))
		for _, n := range inv.Notes {
			line("Note", n)
		}
		// The packages dpkg left in the middle of an operation deserve a
		// line each: they are not plainly installed.
		for _, p := range r.Installed {
			if p.State != patchkit.StateInstalled && p.State != patchkit.StateConfigFiles {
				line("Not configured", fmt.Sprintf("%s %s (%s)", p.QualifiedName(), p.EVR(), p.State))
			}
		}
	}
}

// countStates says how many packages there are, by state: "712 packages
// (709 installed, 3 config-files)".
func countStates(pkgs []patchkit.Package) string {
	n := map[patchkit.InstallState]int{}
	for _, p := range pkgs {
		n[p.State]++
	}
	var parts []string
	for _, st := range []patchkit.InstallState{patchkit.StateInstalled, patchkit.StateTriggersPending,
		patchkit.StateTriggersAwaited, patchkit.StateHalfConfigured, patchkit.StateUnpacked,
		patchkit.StateHalfInstalled, patchkit.StateConfigFiles, patchkit.StateNotInstalled} {
		if n[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
		}
	}
	s := fmt.Sprintf("%d packages", len(pkgs))
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}
