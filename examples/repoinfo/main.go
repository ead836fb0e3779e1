// Command repoinfo reads package repositories, verifies them, and prints
// what it found: for each repository (or apt suite), the number of package
// records, the number of advisories (updateinfo entries), whether its
// metadata was signed by a key of its keyring, and the error, if any.
//
//	go run ./examples/repoinfo -apt-lists /var/lib/apt/lists   # this host's apt lists, with the keyrings its sources name
//	go run ./examples/repoinfo -apt http://deb.debian.org/debian -suite bookworm -keyring /usr/share/keyrings/debian-archive-keyring.gpg
//	go run ./examples/repoinfo -rpmmd https://mirror.example/9/BaseOS/x86_64/os -keyring RPM-GPG-KEY
//	go run ./examples/repoinfo -rpmmd ./local/repo                # a directory
//	go run ./examples/repoinfo -sources /etc/yum.repos.d/x.repo   # a sources.list, .sources or .repo file
//	go run ./examples/repoinfo -json ...                          # {"repositories": [...]}
//
// Several of -apt-lists, -apt, -rpmmd and -sources may be given together.
// -now evaluates freshness (Valid-Until, future dates) at another time, for
// reproducing a past evaluation. It exits 1 when any repository has an
// error, 2 on a usage error.
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
	"text/tabwriter"
	"time"

	"github.com/patchkit/patchkit/osdetect"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/repo/apt"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// entry is one repository or suite in the -json output.
type entry struct {
	Name       string  `json:"name"`
	Packages   int     `json:"packages"`
	Advisories int     `json:"advisories"`
	Verified   bool    `json:"verified"`
	Error      *string `json:"error"`
}

type output struct {
	Repositories []entry `json:"repositories"`
}

type config struct {
	root, aptLists, aptURL, suite, components, arch, keyring, rpmmdURL, repoID, sources, cache, now, vars string
	zypper, jsonOut, trusted                                                                              bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("repoinfo", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var c config
	fl.StringVar(&c.aptLists, "apt-lists", "", "an apt lists directory (such as /var/lib/apt/lists) to read offline")
	fl.StringVar(&c.root, "root", "/", "the root whose etc/apt configuration and keyrings -apt-lists and -sources use")
	fl.StringVar(&c.aptURL, "apt", "", "an apt repository base URL (or a URL ending in /dists/SUITE)")
	fl.StringVar(&c.suite, "suite", "", "the suite of -apt")
	fl.StringVar(&c.components, "components", "main", "comma-separated components of -apt")
	fl.StringVar(&c.arch, "arch", "", "comma-separated Debian architectures (default: what the lists hold; for -apt, this host's)")
	fl.StringVar(&c.keyring, "keyring", "", "key file (binary or armoured) for -apt or -rpmmd")
	fl.BoolVar(&c.trusted, "trusted", false, "accept an unsigned -apt repository (like [trusted=yes])")
	fl.StringVar(&c.rpmmdURL, "rpmmd", "", "an rpm-md repository base URL or directory")
	fl.StringVar(&c.repoID, "id", "", "the repository ID of -rpmmd (default: the last path element)")
	fl.StringVar(&c.sources, "sources", "", "a sources.list, deb822 .sources or .repo file whose repositories to read")
	fl.BoolVar(&c.zypper, "zypper", false, "read a -sources .repo file with zypper's defaults")
	fl.StringVar(&c.vars, "vars", "", "variables for .repo files, e.g. releasever=9,basearch=x86_64")
	fl.StringVar(&c.cache, "cache", "", "cache directory (default: a temporary one)")
	fl.StringVar(&c.now, "now", "", "evaluate freshness at this time (RFC 3339) instead of now")
	fl.BoolVar(&c.jsonOut, "json", false, "print JSON")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 || (c.aptLists == "" && c.aptURL == "" && c.rpmmdURL == "" && c.sources == "") {
		fmt.Fprintln(stderr, "repoinfo: give -apt-lists, -apt, -rpmmd or -sources (see -h)")
		return 2
	}
	opts := []repo.Option{}
	if c.cache != "" {
		opts = append(opts, repo.WithCacheDir(c.cache))
	}
	if c.now != "" {
		t, err := time.Parse(time.RFC3339, c.now)
		if err != nil {
			fmt.Fprintln(stderr, "repoinfo: -now:", err)
			return 2
		}
		opts = append(opts, repo.WithClock(func() time.Time { return t }))
	}
	client, err := repo.NewClient(opts...)
	if err != nil {
		fmt.Fprintln(stderr, "repoinfo:", err)
		return 2
	}
	defer client.Close()
	rootFS := os.DirFS(c.root)
	var out output
	add := func(e entry, err error) {
		if err != nil {
			s := err.Error()
			e.Error = &s
		}
		out.Repositories = append(out.Repositories, e)
	}
	kr, err := loadKeyring(c.keyring)
	if err != nil {
		fmt.Fprintln(stderr, "repoinfo:", err)
		return 2
	}
	if c.aptLists != "" {
		srcs, err := repo.LoadAptSources(ctx, rootFS)
		if err != nil {
			add(entry{Name: filepath.Join(c.root, "etc/apt")}, err)
		}
		for _, s := range srcs {
			repos, err := apt.ReposFromSource(ctx, rootFS, s)
			if err != nil {
				add(entry{Name: fmt.Sprintf("%s:%d", s.File, s.Line)}, err)
				continue
			}
			for _, r := range repos {
				if c.arch != "" {
					r.Architectures = split(c.arch)
				}
				snap, err := apt.OpenLists(ctx, client, os.DirFS(c.aptLists), r)
				add(aptEntry(ctx, r, snap, err))
			}
		}
	}
	if c.aptURL != "" {
		u, suite := c.aptURL, c.suite
		if i := strings.Index(u, "/dists/"); i >= 0 && suite == "" {
			u, suite = u[:i], strings.Trim(u[i+len("/dists/"):], "/")
		}
		if suite == "" {
			fmt.Fprintln(stderr, "repoinfo: -apt needs -suite")
			return 2
		}
		archs := split(c.arch)
		if len(archs) == 0 {
			// A remote repository says nothing about the system it is
			// for: take this host's architecture, explicitly.
			host, err := osdetect.Detect(ctx)
			d, ok := osdetect.DebianArch(host.Arch)
			if err != nil || !ok {
				fmt.Fprintf(stderr, "repoinfo: -apt needs -arch: this host's architecture %q has no Debian name (%v)\n", host.Arch, err)
				return 2
			}
			archs = []string{d}
		}
		r := apt.Repo{URI: u, Suite: suite, Components: split(c.components), Architectures: archs, Keyring: kr, Trusted: c.trusted}
		snap, err := apt.Update(ctx, client, r)
		add(aptEntry(ctx, r, snap, err))
	}
	if c.rpmmdURL != "" {
		id := c.repoID
		if id == "" {
			id = filepath.Base(strings.TrimRight(c.rpmmdURL, "/"))
		}
		r := rpmmd.Repo{ID: id, BaseURLs: []string{c.rpmmdURL}, Keyring: kr, RequireSignature: kr != nil}
		snap, err := rpmmd.Update(ctx, client, r)
		add(rpmEntry(ctx, r.ID, snap, err))
	}
	if c.sources != "" {
		if err := readSources(ctx, client, rootFS, c, add); err != nil {
			fmt.Fprintln(stderr, "repoinfo:", err)
			return 2
		}
	}
	if c.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if out.Repositories == nil {
			out.Repositories = []entry{}
		}
		enc.Encode(out)
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REPOSITORY\tPACKAGES\tADVISORIES\tVERIFIED\tERROR")
		for _, e := range out.Repositories {
			msg := ""
			if e.Error != nil {
				msg = *e.Error
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%v\t%s\n", e.Name, e.Packages, e.Advisories, e.Verified, msg)
		}
		tw.Flush()
	}
	for _, e := range out.Repositories {
		if e.Error != nil {
			return 1
		}
	}
	return 0
}

func split(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

func loadKeyring(path string) (*repo.Keyring, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return repo.ParseKeyring(path, data)
}

func aptEntry(ctx context.Context, r apt.Repo, snap *apt.Snapshot, err error) (entry, error) {
	e := entry{Name: r.Name()}
	if err != nil {
		return e, err
	}
	e.Verified = snap.Verified
	var errs []error
	for _, perr := range snap.Packages(ctx) {
		if perr != nil {
			errs = append(errs, perr)
			continue
		}
		e.Packages++
	}
	return e, errors.Join(errs...)
}

func rpmEntry(ctx context.Context, id string, snap *rpmmd.Snapshot, err error) (entry, error) {
	e := entry{Name: id}
	if err != nil {
		return e, err
	}
	e.Verified = snap.Verified
	var errs []error
	for _, perr := range snap.Packages(ctx) {
		if perr != nil {
			errs = append(errs, perr)
			continue
		}
		e.Packages++
	}
	for _, aerr := range snap.Advisories(ctx) {
		if aerr != nil {
			errs = append(errs, aerr)
			continue
		}
		e.Advisories++
	}
	return e, errors.Join(errs...)
}

func readSources(ctx context.Context, client *repo.Client, rootFS iofs.FS, c config, add func(entry, error)) error {
	data, err := os.ReadFile(c.sources)
	if err != nil {
		return err
	}
	name := c.sources
	switch {
	case strings.HasSuffix(name, ".repo"):
		vars := repo.Vars{}
		for _, kv := range split(c.vars) {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
		flavor := repo.DNF
		if c.zypper {
			flavor = repo.Zypper
		}
		cfgs, err := repo.ParseRepoFile(name, strings.NewReader(string(data)), flavor, vars)
		if err != nil {
			add(entry{Name: name}, err)
		}
		for _, cfg := range cfgs {
			if !cfg.Enabled {
				continue
			}
			r, err := rpmmd.FromConfig(ctx, client, rootFS, cfg)
			if err != nil {
				add(entry{Name: cfg.ID}, err)
				continue
			}
			snap, err := rpmmd.Update(ctx, client, r)
			add(rpmEntry(ctx, r.ID, snap, err))
		}
	default:
		var srcs []repo.AptSource
		if strings.HasSuffix(name, ".sources") {
			srcs, err = repo.ParseDeb822Sources(name, strings.NewReader(string(data)))
		} else {
			srcs, err = repo.ParseSourcesList(name, strings.NewReader(string(data)))
		}
		if err != nil {
			add(entry{Name: name}, err)
		}
		for _, s := range srcs {
			repos, err := apt.ReposFromSource(ctx, rootFS, s)
			if err != nil {
				add(entry{Name: fmt.Sprintf("%s:%d", s.File, s.Line)}, err)
				continue
			}
			for _, r := range repos {
				if c.arch != "" {
					r.Architectures = split(c.arch)
				}
				snap, err := apt.Update(ctx, client, r)
				add(aptEntry(ctx, r, snap, err))
			}
		}
	}
	return nil
}
