package rpmmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
)

// TestE2ECreaterepo builds a repository at run time with rpmbuild,
// createrepo_c, modifyrepo_c (xz) and gpg, and reads it over HTTP: the
// package and the advisory come back, verified, and a repomd.xml changed
// after signing is refused.
func TestE2ECreaterepo(t *testing.T) {
	rpmbuild := testutil.NeedTool(t, "rpmbuild", "rpm")
	createrepo := testutil.NeedTool(t, "createrepo_c", "createrepo-c")
	modifyrepo := testutil.NeedTool(t, "modifyrepo_c", "createrepo-c")
	gpg := testutil.NeedTool(t, "gpg", "gnupg")
	w := t.TempDir()
	spec := filepath.Join(w, "e2e.spec")
	os.WriteFile(spec, []byte("Name: e2e-rpm\nVersion: 4.2\nRelease: 7\nEpoch: 3\nSummary: e2e\nLicense: MIT\nBuildArch: noarch\n%description\ne2e\n%files\n"), 0o644)
	testutil.Run(t, "", nil, rpmbuild, "-bb", "--quiet", "--define", "_topdir "+filepath.Join(w, "top"), spec)
	repoDir := filepath.Join(w, "repo")
	os.MkdirAll(repoDir, 0o755)
	rpms, _ := filepath.Glob(filepath.Join(w, "top/RPMS/noarch/*.rpm"))
	if len(rpms) != 1 {
		t.Fatalf("rpms %v", rpms)
	}
	data, _ := os.ReadFile(rpms[0])
	os.WriteFile(filepath.Join(repoDir, filepath.Base(rpms[0])), data, 0o644)
	testutil.Run(t, "", nil, createrepo, "-q", "--no-database", "--general-compress-type", "xz", repoDir)
	ui := filepath.Join(w, "updateinfo.xml")
	os.WriteFile(ui, []byte(`<?xml version="1.0"?><updates><update type="security" status="final" from="e2e"><id>E2E-2026:1</id><severity>Low</severity><issued date="2026-01-02 03:04:05"/><references><reference type="cve" id="CVE-2026-4242" href="https://e2e.invalid"/></references><pkglist><collection><package name="e2e-rpm" epoch="3" version="4.2" release="7" arch="noarch"><filename>e2e-rpm-4.2-7.noarch.rpm</filename></package></collection></pkglist></update></updates>`), 0o644)
	testutil.Run(t, "", nil, modifyrepo, "--mdtype=updateinfo", "--compress-type", "xz", ui, filepath.Join(repoDir, "repodata"))
	gnupg := filepath.Join(w, "gnupg")
	os.Mkdir(gnupg, 0o700)
	env := []string{"GNUPGHOME=" + gnupg}
	testutil.Run(t, "", env, gpg, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "E2E RPM <e2e@example.invalid>", "rsa2048", "sign", "never")
	md := filepath.Join(repoDir, "repodata/repomd.xml")
	testutil.Run(t, "", env, gpg, "--batch", "--yes", "--armor", "--detach-sign", "-o", md+".asc", md)
	key := testutil.Run(t, "", env, gpg, "--batch", "--armor", "--export")
	kr, err := repo.ParseKeyring("e2e", []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	srv := repotest.Serve(t, repoDir)
	c, err := repo.NewClient(repo.WithCacheDir(filepath.Join(w, "cache")), repo.WithClock(func() time.Time { return time.Now().Add(time.Minute) }))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := Repo{ID: "e2e", BaseURLs: []string{srv.URL}, Keyring: kr, RequireSignature: true}
	snap, err := Update(context.Background(), c, r)
	if err != nil || !snap.Verified {
		t.Fatalf("update: %v", err)
	}
	var pkgs []string
	for p, err := range snap.Packages(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p.Name+"-"+p.EVR()+"."+p.Arch+" "+p.Location+" "+p.SourceRPM)
	}
	if !slices.Equal(pkgs, []string{"e2e-rpm-3:4.2-7.noarch e2e-rpm-4.2-7.noarch.rpm e2e-rpm-4.2-7.src.rpm"}) {
		t.Fatalf("packages %v", pkgs)
	}
	n := 0
	for a, err := range snap.Advisories(context.Background()) {
		if err != nil || a.ID != "E2E-2026:1" || !slices.Equal(a.CVEIDs, []string{"CVE-2026-4242"}) {
			t.Fatalf("advisory %+v %v", a, err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d advisories", n)
	}
	// repomd.xml changed after signing: refused, the cache keeps the good one.
	orig, _ := os.ReadFile(md)
	srv.Bytes("/repodata/repomd.xml", []byte(strings.Replace(string(orig), "<revision>", "<revision>1", 1)))
	if _, err := Update(context.Background(), c, r); !errors.Is(err, repo.ErrSignature) {
		t.Fatalf("tampered repomd: %v", err)
	}
	if _, err := Open(context.Background(), c, r); err != nil {
		t.Fatalf("cached: %v", err)
	}
}
