package apt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
)

// TestE2EFlatRepoAgreesWithApt builds a flat repository at run time with
// dpkg-deb, dpkg-scanpackages, apt-ftparchive and gpg, reads it with
// Update, and compares the records with what apt itself reads from it
// (apt-get update into a private state directory, then apt-cache
// dumpavail).
func TestE2EFlatRepoAgreesWithApt(t *testing.T) {
	dpkgDeb := testutil.NeedTool(t, "dpkg-deb", "dpkg")
	scan := testutil.NeedTool(t, "dpkg-scanpackages", "dpkg-dev")
	ftp := testutil.NeedTool(t, "apt-ftparchive", "apt-utils")
	gpg := testutil.NeedTool(t, "gpg", "gnupg")
	aptGet := testutil.NeedTool(t, "apt-get", "apt")
	aptCache := testutil.NeedTool(t, "apt-cache", "apt")
	w := t.TempDir()
	repoDir := filepath.Join(w, "repo")
	os.MkdirAll(repoDir, 0o755)
	for _, p := range []struct{ name, version, arch string }{{"e2e-a", "1.0-1", "amd64"}, {"e2e-b", "2:0.5~rc1-3", "all"}, {"e2e-c", "7", "amd64"}} {
		d := filepath.Join(w, "build", p.name)
		os.MkdirAll(filepath.Join(d, "DEBIAN"), 0o755)
		os.WriteFile(filepath.Join(d, "DEBIAN/control"), []byte(fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: e2e <e2e@example.invalid>\nSection: misc\nPriority: optional\nDescription: e2e\n", p.name, p.version, p.arch)), 0o644)
		testutil.Run(t, w, nil, dpkgDeb, "--root-owner-group", "--build", d, filepath.Join(repoDir, p.name+".deb"))
	}
	pk := testutil.Run(t, repoDir, nil, scan, "--multiversion", ".")
	os.WriteFile(filepath.Join(repoDir, "Packages"), []byte(pk), 0o644)
	testutil.Run(t, repoDir, nil, "gzip", "-9k", "Packages")
	rel := testutil.Run(t, repoDir, nil, ftp, "-o", "APT::FTPArchive::Release::Origin=E2E", "-o", "APT::FTPArchive::Release::Suite=e2e", "release", ".")
	os.WriteFile(filepath.Join(w, "Release"), []byte(rel), 0o644)
	os.Rename(filepath.Join(w, "Release"), filepath.Join(repoDir, "Release"))
	gnupg := filepath.Join(w, "gnupg")
	os.Mkdir(gnupg, 0o700)
	env := []string{"GNUPGHOME=" + gnupg}
	testutil.Run(t, w, env, gpg, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "E2E <e2e@example.invalid>", "ed25519", "sign", "never")
	testutil.Run(t, w, env, gpg, "--batch", "--yes", "--clearsign", "-o", filepath.Join(repoDir, "InRelease"), filepath.Join(repoDir, "Release"))
	keyring := filepath.Join(w, "e2e.gpg")
	key := testutil.Run(t, w, env, gpg, "--batch", "--export")
	os.WriteFile(keyring, []byte(key), 0o644)

	srv := repotest.Serve(t, repoDir)
	kr, err := repo.ParseKeyring(keyring, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.NewClient(repo.WithCacheDir(filepath.Join(w, "cache")))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snap, err := Update(context.Background(), c, Repo{URI: srv.URL, Suite: "./", Keyring: kr, Architectures: []string{"amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for p, err := range snap.Packages(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		ours = append(ours, p.Package+" "+p.Version+" "+p.Architecture)
	}

	// apt, in a private state directory.
	a := filepath.Join(w, "apt")
	for _, d := range []string{"etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d", "var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "var/lib/dpkg", "var/log/apt"} {
		os.MkdirAll(filepath.Join(a, d), 0o755)
	}
	os.WriteFile(filepath.Join(a, "var/lib/dpkg/status"), nil, 0o644)
	os.WriteFile(filepath.Join(a, "etc/apt/sources.list"), []byte("deb [signed-by="+keyring+"] "+srv.URL+" ./\n"), 0o644)
	conf := filepath.Join(a, "apt.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("Dir %q;\nDir::Etc::main \"/dev/null\";\nDir::Etc::parts %q;\nDir::State::status %q;\nAcquire::Languages \"none\";\nAPT::Architecture \"amd64\";\nAPT::Architectures { \"amd64\"; };\nDir::Cache::pkgcache \"\";\nDir::Cache::srcpkgcache \"\";\n",
		a+"/", a+"/etc/apt/apt.conf.d", a+"/var/lib/dpkg/status")), 0o644)
	aenv := []string{"APT_CONFIG=" + conf, "LC_ALL=C"}
	testutil.Run(t, w, aenv, aptGet, "update", "-qq", "--error-on=any")
	dump := testutil.Run(t, w, aenv, aptCache, "dumpavail")
	var theirs []string
	for _, st := range strings.Split(strings.TrimSpace(dump), "\n\n") {
		f := map[string]string{}
		for _, l := range strings.Split(st, "\n") {
			if k, v, ok := strings.Cut(l, ": "); ok {
				f[k] = v
			}
		}
		theirs = append(theirs, f["Package"]+" "+f["Version"]+" "+f["Architecture"])
	}
	slices.Sort(ours)
	slices.Sort(theirs)
	if !slices.Equal(ours, theirs) || len(ours) != 3 {
		t.Fatalf("patchkit %v\napt      %v", ours, theirs)
	}
}
