// Package debrepo builds small apt repositories of test packages and adds
// them to Debian roots, for the end-to-end tests of install/apt and install
// on the testbed (internal/testbed). Only tests import it.
//
// A test describes its packages (Package: a name, a version, optional
// maintainer scripts, control fields and files), Build turns them into
// .deb archives with dpkg-deb, indexes them with apt-ftparchive, signs the
// Release with a throwaway gpg key and serves the repository on loopback;
// Root.AddRepo makes a root's apt trust that key (signed-by) and fetch the
// index, and Root.Install installs the base versions a test starts from.
//
// The archives are built with fixed times (SOURCE_DATE_EPOCH), so the same
// Package is the same bytes in every run and recorded sizes stay true.
package debrepo

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/testutil"
)

// Package is a package a test builds with dpkg-deb (Architecture: all).
type Package struct {
	Name, Version string
	// Control holds extra control fields ("Depends: x", "Installed-Size: 20000").
	Control []string
	// Preinst and Postinst are maintainer scripts: the body after "#!/bin/sh".
	Preinst, Postinst string
	// Files are extra files: path in the package -> content. Every package
	// also ships /usr/share/testbed/NAME.txt holding "NAME VERSION".
	Files map[string][]byte
}

// FileName is the archive's name as apt-ftparchive indexes it (the
// version without its epoch).
func (p Package) FileName() string {
	_, v, ok := strings.Cut(p.Version, ":")
	if !ok {
		v = p.Version
	}
	return p.Name + "_" + v + "_all.deb"
}

// Signing says how a repository is signed.
type Signing int

const (
	SignedGood     Signing = iota // InRelease signed with the key Repo.Keyring holds, which AddRepo trusts
	SignedNone                    // no InRelease, no Release.gpg
	SignedWrongKey                // InRelease signed with a second key that nothing trusts
)

// Repo is an apt repository served on loopback by an httptest server until
// the test ends: a flat one ("deb URL/ ./") from Build, or one suite of a
// Debian-style archive ("deb URL SUITE main") from BuildSuite.
type Repo struct {
	// Dir holds the repository: pool/*.deb, and Packages, Release and
	// InRelease at the top (flat) or under dists/SUITE.
	Dir string
	// Suite is BuildSuite's suite; empty for a flat repository.
	Suite string
	// Keyring is the exported public key of the trusted signer (signed-by).
	Keyring string
	// URL is the server's address, http://127.0.0.1:PORT.
	URL string
	// SlowDebs, when set, makes every request for a .deb hang until the
	// client goes away (or 30 s), after closing DebRequested once: a test
	// can act while apt downloads.
	SlowDebs     atomic.Bool
	DebRequested chan struct{}
	once         sync.Once
}

// Build builds pkgs with dpkg-deb, indexes them with apt-ftparchive as a
// flat repository, signs the Release as sign says with throwaway gpg keys
// and serves the repository. Everything goes when the test ends. A missing
// tool skips the test (fails it under CI).
func Build(t testing.TB, pkgs []Package, sign Signing) *Repo {
	t.Helper()
	return build(t, pkgs, sign, "")
}

// BuildSuite is Build for one suite of a Debian-style archive: the index
// is dists/SUITE/main/binary-amd64/Packages, and the signed Release names
// the suite (Suite and Codename), the component main and the architecture
// amd64.
func BuildSuite(t testing.TB, pkgs []Package, sign Signing, suite string) *Repo {
	t.Helper()
	if suite == "" || strings.ContainsAny(suite, "/ ") {
		t.Fatalf("debrepo.BuildSuite: %q is not a suite name", suite)
	}
	return build(t, pkgs, sign, suite)
}

func build(t testing.TB, pkgs []Package, sign Signing, suite string) *Repo {
	t.Helper()
	testutil.NeedTool(t, "dpkg-deb", "dpkg")
	testutil.NeedTool(t, "apt-ftparchive", "apt-utils")
	testutil.NeedTool(t, "gpg", "gpg")
	dir := t.TempDir()
	repo := &Repo{Dir: filepath.Join(dir, "repo"), Suite: suite, DebRequested: make(chan struct{})}
	pool := filepath.Join(repo.Dir, "pool")
	mkdir(t, pool)
	for _, p := range pkgs {
		BuildDeb(t, filepath.Join(dir, "build"), p, filepath.Join(pool, p.FileName()))
	}
	// The Release sits beside the index (flat) or in dists/SUITE.
	top, index, name := repo.Dir, "Packages", "test"
	if suite != "" {
		top, index, name = filepath.Join(repo.Dir, "dists", suite), "main/binary-amd64/Packages", suite
	}
	writeFile(t, filepath.Join(top, index), testutil.Run(t, repo.Dir, nil, "apt-ftparchive", "packages", "pool"))
	args := []string{"-o", "APT::FTPArchive::Release::Origin=patchkit-test", "-o", "APT::FTPArchive::Release::Label=patchkit-test",
		"-o", "APT::FTPArchive::Release::Suite=" + name, "-o", "APT::FTPArchive::Release::Codename=" + name}
	if suite != "" {
		args = append(args, "-o", "APT::FTPArchive::Release::Components=main", "-o", "APT::FTPArchive::Release::Architectures=amd64")
	}
	release := testutil.Run(t, top, nil, "apt-ftparchive", append(args, "release", ".")...)
	writeFile(t, filepath.Join(top, "Release"), release)

	gnupg := filepath.Join(dir, "g")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	genv := []string{"GNUPGHOME=" + gnupg}
	t.Cleanup(func() { _ = exec.Command("gpgconf", "--homedir", gnupg, "--kill", "all").Run() })
	testutil.Run(t, "", genv, "gpg", "--batch", "--passphrase", "", "--quick-gen-key", "patchkit test repository <trusted@example.invalid>", "ed25519", "sign", "never")
	repo.Keyring = filepath.Join(dir, "trusted.gpg")
	writeFile(t, repo.Keyring, testutil.Run(t, "", genv, "gpg", "--batch", "--export", "trusted@example.invalid"))
	signer := "trusted@example.invalid"
	if sign == SignedWrongKey {
		testutil.Run(t, "", genv, "gpg", "--batch", "--passphrase", "", "--quick-gen-key", "patchkit test other key <other@example.invalid>", "ed25519", "sign", "never")
		signer = "other@example.invalid"
	}
	if sign != SignedNone {
		testutil.Run(t, top, genv, "gpg", "--batch", "--yes", "--local-user", signer, "--clearsign", "-o", "InRelease", "Release")
	}

	files := http.FileServer(http.Dir(repo.Dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if repo.SlowDebs.Load() && strings.HasSuffix(r.URL.Path, ".deb") {
			repo.once.Do(func() { close(repo.DebRequested) })
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	repo.URL = srv.URL
	return repo
}

// BuildDeb writes the package's tree under work and builds it into the
// archive out.
func BuildDeb(t testing.TB, work string, p Package, out string) {
	t.Helper()
	d := filepath.Join(work, p.Name+"_"+p.Version)
	files := map[string][]byte{"usr/share/testbed/" + p.Name + ".txt": []byte(p.Name + " " + p.Version + "\n")}
	for k, v := range p.Files {
		files[k] = v
	}
	for rel, data := range files {
		writeFile(t, filepath.Join(d, rel), string(data))
	}
	control := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: patchkit test <test@example.invalid>\nSection: misc\nPriority: optional\n", p.Name, p.Version)
	for _, f := range p.Control {
		control += f + "\n"
	}
	control += "Description: patchkit test package " + p.Name + "\n"
	writeFile(t, filepath.Join(d, "DEBIAN/control"), control)
	for name, body := range map[string]string{"preinst": p.Preinst, "postinst": p.Postinst} {
		if body == "" {
			continue
		}
		f := filepath.Join(d, "DEBIAN", name)
		writeFile(t, f, "#!/bin/sh\n"+body+"\n")
		if err := os.Chmod(f, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// fixed times in the archive: the same package is the same bytes in
	// every run
	testutil.Run(t, "", []string{"SOURCE_DATE_EPOCH=1764460800"}, "dpkg-deb", "--root-owner-group", "-Zxz", "--build", d, out)
}

// Root is a Debian root that a test's apt acts on: the testbed's private
// root (host apt and dpkg through APT_CONFIG; maintainer scripts see the
// root as $DPKG_ROOT), or a chroot, whose own apt-get runs under
// chroot(8).
type Root struct {
	// Dir is the root: dpkg's database is Dir/var/lib/dpkg.
	Dir string
	// AptConfig is the APT_CONFIG file of a private root; empty for a
	// chroot.
	AptConfig string
}

// Chroot reports whether apt runs inside the root with chroot(8).
func (r Root) Chroot() bool { return r.AptConfig == "" }

// Command returns an exec.Cmd running the root's program prog (an absolute
// path inside a chroot), in the C locale, non-interactively.
func (r Root) Command(prog string, args ...string) *exec.Cmd {
	var c *exec.Cmd
	if r.Chroot() {
		c = exec.Command("chroot", append([]string{r.Dir, prog}, args...)...)
	} else {
		c = exec.Command(prog, args...)
	}
	c.Env = append(os.Environ(), "LC_ALL=C", "LANGUAGE=", "DEBIAN_FRONTEND=noninteractive")
	if !r.Chroot() {
		c.Env = append(c.Env, "APT_CONFIG="+r.AptConfig)
	}
	return c
}

// Run runs the root's program prog and returns its combined output; a
// failure ends the test.
func (r Root) Run(t testing.TB, prog string, args ...string) string {
	t.Helper()
	out, err := r.Command(prog, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", prog, args, err, out)
	}
	return string(out)
}

// AddRepo makes the root's apt use repo (flat or a suite), trusting its key with signed-by
// (the key and the source list named after name), and fetches its index
// only (apt-get update of that one source). With insecure, apt is told to
// accept an unsigned index (--allow-insecure-repositories), as an
// administrator might have done. It returns apt-get update's output.
func (r Root) AddRepo(t testing.TB, repo *Repo, name string, insecure bool) (string, error) {
	t.Helper()
	key := "/usr/share/keyrings/" + name + ".gpg"
	list := "/etc/apt/sources.list.d/" + name + ".list"
	hostKey, hostList := filepath.Join(r.Dir, key), filepath.Join(r.Dir, list)
	if !r.Chroot() {
		// host apt reads the paths as they are
		key, list = filepath.Join(r.Dir, "etc/apt", name+".gpg"), hostList
		hostKey = key
	}
	kb, err := os.ReadFile(repo.Keyring)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, hostKey, string(kb))
	line := fmt.Sprintf("deb [signed-by=%s] %s/ ./\n", key, repo.URL)
	if repo.Suite != "" {
		line = fmt.Sprintf("deb [signed-by=%s] %s %s main\n", key, repo.URL, repo.Suite)
	}
	writeFile(t, hostList, line)
	args := []string{"update", "-q", "--error-on=any", "-o", "Dir::Etc::sourcelist=" + list, "-o", "Dir::Etc::sourceparts=-", "-o", "APT::Get::List-Cleanup=0"}
	if insecure {
		args = append(args, "--allow-insecure-repositories")
	}
	out, err := r.Command("/usr/bin/apt-get", args...).CombinedOutput()
	return string(out), err
}

// Install installs packages (NAME=VERSION) the plain way, to set a test
// up; a failure ends the test.
func (r Root) Install(t testing.TB, specs ...string) {
	t.Helper()
	r.Run(t, "/usr/bin/apt-get", append([]string{"install", "-y", "-q", "-o", "Dpkg::Use-Pty=0", "--"}, specs...)...)
}

// DropDebianArchive removes the Debian archive from a chroot's apt: its
// sources (etc/apt/sources.list, which must name nothing else), the lists
// apt fetched from deb.debian.org, and apt's binary caches built from
// them. What is left are the testbed's own repositories (sources.list.d):
// with some 65,000 Debian packages gone, each apt run in the testbed's
// chroot takes a few tens of milliseconds instead of about a second. Only
// for a copy (internal/testbed CopyChroot) that the test owns.
func (r Root) DropDebianArchive(t testing.TB) {
	t.Helper()
	if !r.Chroot() {
		t.Fatal("debrepo: DropDebianArchive is for a chroot")
	}
	sources := filepath.Join(r.Dir, "etc/apt/sources.list")
	b, err := os.ReadFile(sources)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") && !strings.Contains(line, "://deb.debian.org/") {
			t.Fatalf("debrepo: %s:%d names more than the Debian archive: %q", sources, i+1, line)
		}
	}
	lists, err := filepath.Glob(filepath.Join(r.Dir, "var/lib/apt/lists/deb.debian.org_*"))
	if err != nil {
		t.Fatal(err)
	}
	caches, err := filepath.Glob(filepath.Join(r.Dir, "var/cache/apt/*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(append([]string{sources}, lists...), caches...) {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
}

func mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	mkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
