// Command scanhost prints what patchkit knows about this host: the operating
// system, its Patch Manager OperatingSystem and PRODUCT, the package manager,
// the architecture and the running kernel.
//
//	go run ./examples/scanhost          # human-readable
//	go run ./examples/scanhost -json    # for machines
//	go run ./examples/scanhost -root /mnt/image   # a root file system instead of the host
//
// It exits 1 when the system cannot be identified or is not supported,
// after printing whatever was learnt.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/osdetect"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// report is the -json output.
type report struct {
	OS              osdetect.OS              `json:"OS"`
	OperatingSystem patchkit.OperatingSystem `json:"OperatingSystem,omitempty"`
	Product         string                   `json:"Product,omitempty"`
	Error           string                   `json:"Error,omitempty"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scanhost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	root := fs.String("root", "", "inspect this root file system instead of the running host")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scanhost: unexpected argument %q\n", fs.Arg(0))
		return 2
	}

	var o osdetect.OS
	var err error
	if *root != "" {
		o, err = osdetect.DetectFS(os.DirFS(*root))
	} else {
		o, err = osdetect.Detect(ctx)
	}
	r := report{OS: o, OperatingSystem: o.OperatingSystem(), Product: o.Product()}
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
}
