// Command repoinfo reads package repositories, verifies them, and prints
// what it found: for each repository (or apt suite), the number of package
// records, the number of advisories (updateinfo entries), whether its
// metadata was signed by a key of its keyring, and the error, if any.
//
//	go run ./examples/repoinfo -apt-lists /var/lib/apt/lists   # this host's apt lists, with the keyrings its sources name
//	go run ./examples/repoinfo -apt http://deb.debian.org/debian -suite bookworm -keyring /usr/share/keyrings/debian-archive-keyring.gpg
//	go run ./examples/repoinfo -rpmmd https://mirror.example/9/BaseOS/x86_64/os -keyring RPM-GPG-KEY
//	go run ./examples/repoinfo -rpmmd ./local/repo                # a directory
//	go run ./examples/repoinfo -apt ./local/debian -suite stable  # a directory
//	go run ./examples/repoinfo -sources /etc/yum.repos.d/x.repo   # a sources.list, .sources or .repo file
//	go run ./examples/repoinfo -sources /etc/apt/sources.list.d   # every such file of a directory
//	go run ./examples/repoinfo -json ...                          # {"Repositories": [{"Name": ..., ...}]}
//	go run ./examples/repoinfo -rpmmd ./old/repo -allow-weak-checksums -allow-unverified
//
// Several of -apt-lists, -apt, -rpmmd and -sources may be given together.
// Where a repository is expected (-apt, -rpmmd) a local directory does as
// well as a URL. -now evaluates freshness (Valid-Until, future dates) at
// another time, for reproducing a past evaluation: RFC 3339, a date
// YYYY-MM-DD meaning 00:00 UTC, or "now".
//
// A repository read without checking a signature (an rpm-md repository
// without -keyring, an apt one marked trusted) is never shown as a plain
// success: its entry says why it is unverified, a warning goes to stderr,
// and the exit code is 1 unless -allow-unverified accepts it. Repositories
// that give only SHA-1 checksums (rpm-md of about 2008-2012) are refused
// unless -allow-weak-checksums accepts them.
//
// Exit codes are those of every example program (see the README): 0
// success, 1 failure (any repository has an error or, without
// -allow-unverified, is unverified; or a file named cannot be read), 2
// usage.
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

// Exit codes, as in every example program.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// maxSourcesFile bounds a -sources file, as repo.LoadAptSources does.
const maxSourcesFile = 16 << 20

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// entry is one repository or suite in the -json output.
type entry struct {
	Name       string `json:"Name"`
	Packages   int    `json:"Packages"`
	Advisories int    `json:"Advisories"`
	Verified   bool   `json:"Verified"`
	// Unverified says why the repository's signature was not checked;
	// null when Verified or when reading failed.
	Unverified *string `json:"Unverified"`
	// WeakChecksums: some metadata was checked only against SHA-1
	// (accepted by -allow-weak-checksums).
	WeakChecksums bool    `json:"WeakChecksums"`
	Error         *string `json:"Error"`
}

type output struct {
	Repositories []entry `json:"Repositories"`
}

type config struct {
	root, aptLists, aptURL, suite, components, arch, keyring, rpmmdURL, repoID, sources, cache, now, vars string
	zypper, jsonOut, trusted, allowWeak, allowUnverified                                                  bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("repoinfo", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var c config
	fl.StringVar(&c.aptLists, "apt-lists", "", "an apt lists directory (such as /var/lib/apt/lists) to read offline")
	fl.StringVar(&c.root, "root", "/", "the root whose etc/apt configuration and keyrings -apt-lists and -sources use")
	fl.StringVar(&c.aptURL, "apt", "", "an apt repository base URL or directory (or one ending in /dists/SUITE)")
	fl.StringVar(&c.suite, "suite", "", "the suite of -apt")
	fl.StringVar(&c.components, "components", "main", "comma-separated components of -apt")
	fl.StringVar(&c.arch, "arch", "", "comma-separated Debian architectures (default: what the lists hold; for -apt, this host's)")
	fl.StringVar(&c.keyring, "keyring", "", "key file (binary or armoured) for -apt or -rpmmd")
	fl.BoolVar(&c.trusted, "trusted", false, "accept an unsigned -apt repository (like [trusted=yes])")
	fl.StringVar(&c.rpmmdURL, "rpmmd", "", "an rpm-md repository base URL or directory")
	fl.StringVar(&c.repoID, "id", "", "the repository ID of -rpmmd (default: the last path element)")
	fl.StringVar(&c.sources, "sources", "", "a sources.list, deb822 .sources or .repo file whose repositories to read, or a directory of them")
	fl.BoolVar(&c.zypper, "zypper", false, "read a -sources .repo file with zypper's defaults")
	fl.StringVar(&c.vars, "vars", "", "variables for .repo files, e.g. releasever=9,basearch=x86_64")
	fl.StringVar(&c.cache, "cache", "", "cache directory (default: a temporary one)")
	fl.StringVar(&c.now, "now", "now", `evaluate freshness at this time: RFC 3339, YYYY-MM-DD (00:00 UTC) or "now"`)
	fl.BoolVar(&c.allowWeak, "allow-weak-checksums", false, "accept rpm-md metadata checked only against SHA-1 checksums (older repositories)")
	fl.BoolVar(&c.allowUnverified, "allow-unverified", false, "exit 0 even when a repository was read without verifying a signature")
	fl.BoolVar(&c.jsonOut, "json", false, "print JSON")
	if err := fl.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "repoinfo: "+format+"\n", a...)
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "repoinfo:", err)
		return exitFailure
	}
	switch {
	case fl.NArg() > 0:
		return usage("unexpected argument %q", fl.Arg(0))
	case c.aptLists == "" && c.aptURL == "" && c.rpmmdURL == "" && c.sources == "":
		return usage("give -apt-lists, -apt, -rpmmd or -sources (see -h)")
	}
	opts := []repo.Option{}
	if c.cache != "" {
		opts = append(opts, repo.WithCacheDir(c.cache))
	}
	if c.now != "now" {
		t, err := parseNow(c.now)
		if err != nil {
			return usage("-now: %v", err)
		}
		opts = append(opts, repo.WithClock(func() time.Time { return t }))
	}
	var (
		aptURI, suite string
		aptErr        error
	)
	if c.aptURL != "" {
		aptURI, aptErr = repoURL(c.aptURL)
		if aptErr != nil {
			aptURI = c.aptURL
		}
		suite = c.suite
		if i := strings.Index(aptURI, "/dists/"); i >= 0 && suite == "" {
			aptURI, suite = aptURI[:i], strings.Trim(aptURI[i+len("/dists/"):], "/")
		}
		if suite == "" {
			return usage("-apt needs -suite")
		}
	}
	client, err := repo.NewClient(opts...)
	if err != nil {
		return fail(err)
	}
	defer client.Close()
	rootFS := os.DirFS(c.root)
	var out output
	weakRefused := false
	add := func(e entry, err error) {
		if err != nil {
			s := err.Error()
			e.Error = &s
			weakRefused = weakRefused || errors.As(err, new(*repo.WeakChecksumError))
		}
		out.Repositories = append(out.Repositories, e)
	}
	kr, err := loadKeyring(c.keyring)
	if err != nil {
		return fail(err)
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
				snap, err := apt.OpenLists(ctx, client.Policy(), os.DirFS(c.aptLists), r)
				add(aptEntry(ctx, r, snap, err))
			}
		}
	}
	if c.aptURL != "" && aptErr != nil {
		add(entry{Name: c.aptURL}, aptErr)
	} else if c.aptURL != "" {
		archs := split(c.arch)
		if len(archs) == 0 {
			// A remote repository says nothing about the system it is
			// for: take this host's architecture, explicitly.
			host, err := osdetect.Detect(ctx)
			d, ok := osdetect.DebianArch(host.Arch)
			if err != nil || !ok {
				return usage("-apt needs -arch: this host's architecture %q has no Debian name (%v)", host.Arch, err)
			}
			archs = []string{d}
		}
		r := apt.Repo{URI: aptURI, Suite: suite, Components: split(c.components), Architectures: archs, Keyring: kr, Trusted: c.trusted}
		snap, err := apt.Update(ctx, client, r)
		add(aptEntry(ctx, r, snap, err))
	}
	if c.rpmmdURL != "" {
		id := c.repoID
		if id == "" {
			id = filepath.Base(strings.TrimRight(c.rpmmdURL, "/"))
		}
		if u, err := repoURL(c.rpmmdURL); err != nil {
			add(entry{Name: id}, err)
		} else {
			r := rpmmd.Repo{ID: id, BaseURLs: []string{u}, Keyring: kr, RequireSignature: kr != nil, AllowWeakChecksums: c.allowWeak}
			snap, err := rpmmd.Update(ctx, client, r)
			add(rpmEntry(ctx, r.ID, snap, err))
		}
	}
	if c.sources != "" {
		files, err := sourcesFiles(c.sources, stderr)
		if err != nil {
			add(entry{Name: c.sources}, err)
		}
		for _, f := range files {
			readSources(ctx, client, rootFS, c, f, add)
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
			verified := "yes"
			switch {
			case e.Unverified != nil:
				verified = "NO"
			case !e.Verified:
				verified = "-"
			case e.WeakChecksums:
				verified = "yes (SHA-1)"
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", e.Name, e.Packages, e.Advisories, verified, msg)
		}
		tw.Flush()
	}
	code := exitOK
	for _, e := range out.Repositories {
		if e.Error != nil {
			code = exitFailure
		}
		if e.Unverified != nil {
			fmt.Fprintf(stderr, "repoinfo: warning: %s is NOT VERIFIED: %s\n", e.Name, *e.Unverified)
			if !c.allowUnverified {
				code = exitFailure
			}
		}
	}
	if weakRefused && !c.allowWeak {
		fmt.Fprintln(stderr, "repoinfo: give -allow-weak-checksums to accept SHA-1 checksums")
	}
	if code != exitOK && !c.allowUnverified {
		for _, e := range out.Repositories {
			if e.Unverified != nil {
				fmt.Fprintln(stderr, "repoinfo: give -keyring to verify, or -allow-unverified to accept unverified repositories")
				break
			}
		}
	}
	return code
}

// parseNow reads a -now value: an RFC 3339 instant, a date (YYYY-MM-DD,
// 00:00 UTC) or "now" (the system clock). Every example program that takes
// -now has this same function, so that they all read it alike; a test in
// examples/evaluate checks that the copies do not drift apart.
func parseNow(s string) (time.Time, error) {
	if s == "now" {
		return time.Now().UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf(`%q is neither RFC 3339, YYYY-MM-DD nor "now"`, s)
}

func split(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

func loadKeyring(path string) (*repo.Keyring, error) {
	if path == "" {
		return nil, nil
	}
	data, err := readFile(path, repo.MaxKeyringSize)
	if err != nil {
		return nil, err
	}
	return repo.ParseKeyring(path, data)
}

// readFile reads at most limit bytes of the file name and fails, naming
// it, if there are more: whatever the file is (a device, a pipe), no more
// than the limit is held.
func readFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, limit)
	}
	return data, nil
}

// repoURL takes a repository's URL as it is and turns a local directory
// into a file URL.
func repoURL(s string) (string, error) {
	if strings.Contains(s, "://") {
		return s, nil
	}
	fi, err := os.Stat(s)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory: a repository is a URL or a directory", s)
	}
	return rpmmd.BaseURL(s), nil
}

// isSourcesFile reports whether apt or dnf/zypper read a file of this name
// from a configuration directory.
func isSourcesFile(name string) bool {
	return strings.HasSuffix(name, ".list") || strings.HasSuffix(name, ".sources") || strings.HasSuffix(name, ".repo")
}

// sourcesFiles is the -sources file, or the .list, .sources and .repo
// files of the -sources directory in name order; the other files of the
// directory are named on stderr, as apt names the files it ignores.
func sourcesFiles(name string, stderr io.Writer) ([]string, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{name}, nil
	}
	des, err := os.ReadDir(name)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range des {
		switch {
		case de.IsDir():
		case isSourcesFile(de.Name()):
			out = append(out, filepath.Join(name, de.Name()))
		default:
			fmt.Fprintf(stderr, "repoinfo: -sources: ignoring %s: not a .list, .sources or .repo file\n", filepath.Join(name, de.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no .list, .sources or .repo file", name)
	}
	return out, nil
}

func aptEntry(ctx context.Context, r apt.Repo, snap *apt.Snapshot, err error) (entry, error) {
	e := entry{Name: r.Name()}
	if err != nil {
		return e, err
	}
	e.Verified = snap.Verified
	if !snap.Verified {
		why := "trusted=yes: the repository's signature was not checked"
		e.Unverified = &why
	}
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
	e.WeakChecksums = snap.WeakChecksums
	if !snap.Verified {
		why := snap.Unverified
		if why == "" {
			why = "repomd.xml was not verified"
		}
		e.Unverified = &why
	}
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

// readSources reads the repositories of one sources.list, .sources or .repo
// file.
func readSources(ctx context.Context, client *repo.Client, rootFS iofs.FS, c config, name string, add func(entry, error)) {
	data, err := readFile(name, maxSourcesFile)
	if err != nil {
		add(entry{Name: name}, err)
		return
	}
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
			r.AllowWeakChecksums = c.allowWeak
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
}
