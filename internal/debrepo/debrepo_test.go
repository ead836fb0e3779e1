package debrepo

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testutil"
)

func TestFileName(t *testing.T) {
	assert.Equal(t, "tb-lib_2.0-2_all.deb", Package{Name: "tb-lib", Version: "1:2.0-2"}.FileName(), "apt-ftparchive drops the epoch")
	assert.Equal(t, "tb-a_1.0-1_all.deb", Package{Name: "tb-a", Version: "1.0-1"}.FileName())
}

// TestBuild builds a repository of two packages and checks it as apt
// would read it: the index lists both archives with their control fields,
// the archives hold the scripts and files asked for, InRelease verifies
// with Keyring (and only when signed by the trusted key), and the server
// serves it.
func TestBuild(t *testing.T) {
	gpgv := testutil.NeedTool(t, "gpgv", "gpgv")
	pkgs := []Package{
		{Name: "tb-a", Version: "1.0-1"},
		{Name: "tb-a", Version: "1:1.1-1", Control: []string{"Depends: tb-b"}, Postinst: "exit 29",
			Files: map[string][]byte{"etc/tb-a.conf": []byte("x\n")}},
	}
	repo := Build(t, pkgs, SignedGood)

	idx, err := os.ReadFile(filepath.Join(repo.Dir, "Packages"))
	require.NoError(t, err)
	for _, want := range []string{"Filename: pool/tb-a_1.0-1_all.deb", "Filename: pool/tb-a_1.1-1_all.deb", "Version: 1:1.1-1", "Depends: tb-b"} {
		assert.Contains(t, string(idx), want)
	}
	deb := filepath.Join(repo.Dir, "pool", "tb-a_1.1-1_all.deb")
	out, err := exec.Command("dpkg-deb", "--ctrl-tarfile", deb).Output()
	require.NoError(t, err)
	assert.Contains(t, string(out), "./postinst")
	contents, err := exec.Command("dpkg-deb", "-c", deb).Output()
	require.NoError(t, err)
	assert.Contains(t, string(contents), "./etc/tb-a.conf")
	assert.Contains(t, string(contents), "./usr/share/testbed/tb-a.txt")
	// the same package is the same bytes when built again
	again := filepath.Join(t.TempDir(), "again.deb")
	BuildDeb(t, t.TempDir(), pkgs[1], again)
	a, err := os.ReadFile(deb)
	require.NoError(t, err)
	b, err := os.ReadFile(again)
	require.NoError(t, err)
	assert.Equal(t, a, b)

	verify := func(r *Repo) error {
		return exec.Command(gpgv, "--keyring", r.Keyring, filepath.Join(r.Dir, "InRelease")).Run()
	}
	require.NoError(t, verify(repo))

	resp, err := http.Get(repo.URL + "/Packages")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, idx, body)

	suite := BuildSuite(t, pkgs, SignedGood, "tb-suite")
	assert.Equal(t, "tb-suite", suite.Suite)
	dists := filepath.Join(suite.Dir, "dists", "tb-suite")
	sidx, err := os.ReadFile(filepath.Join(dists, "main/binary-amd64/Packages"))
	require.NoError(t, err)
	assert.Equal(t, idx, sidx, "the same index, where a suite's is")
	rel, err := os.ReadFile(filepath.Join(dists, "Release"))
	require.NoError(t, err)
	for _, want := range []string{"Suite: tb-suite\n", "Codename: tb-suite\n", "Components: main\n", "Architectures: amd64\n", " main/binary-amd64/Packages\n"} {
		assert.Contains(t, string(rel), want)
	}
	require.NoError(t, exec.Command(gpgv, "--keyring", suite.Keyring, filepath.Join(dists, "InRelease")).Run())

	unsigned := Build(t, pkgs[:1], SignedNone)
	_, err = os.Stat(filepath.Join(unsigned.Dir, "InRelease"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	wrong := Build(t, pkgs[:1], SignedWrongKey)
	assert.Error(t, verify(wrong), "signed by a key Keyring does not hold")

	// SlowDebs holds .deb requests until the client goes away.
	repo.SlowDebs.Store(true)
	client := &http.Client{Timeout: 300 * time.Millisecond}
	_, err = client.Get(repo.URL + "/pool/tb-a_1.0-1_all.deb")
	assert.Error(t, err)
	select {
	case <-repo.DebRequested:
	default:
		t.Error("DebRequested not closed")
	}
}

// TestRootCommand: a private root's commands carry its APT_CONFIG; a
// chroot's run under chroot(8).
func TestRootCommand(t *testing.T) {
	c := Root{Dir: "/srv/p", AptConfig: "/srv/p/apt.conf"}.Command("/usr/bin/apt-get", "-s", "upgrade")
	assert.Equal(t, []string{"/usr/bin/apt-get", "-s", "upgrade"}, c.Args)
	assert.Contains(t, c.Env, "APT_CONFIG=/srv/p/apt.conf")
	assert.Contains(t, c.Env, "LC_ALL=C")
	c = Root{Dir: "/srv/c"}.Command("/usr/bin/apt-get", "update")
	assert.Equal(t, []string{"chroot", "/srv/c", "/usr/bin/apt-get", "update"}, c.Args)
	for _, e := range c.Env {
		assert.False(t, strings.HasPrefix(e, "APT_CONFIG=/srv"), e)
	}
	assert.Contains(t, c.Env, "DEBIAN_FRONTEND=noninteractive")
}

// TestDropDebianArchive: the Debian archive's sources, lists and apt's
// caches go; the testbed's sources and lists stay.
func TestDropDebianArchive(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"etc/apt/sources.list":                                             "# Debian\ndeb http://deb.debian.org/debian bookworm main\n\ndeb http://deb.debian.org/debian-security bookworm-security main\n",
		"etc/apt/sources.list.d/testbed.list":                              "deb http://127.0.0.1:18080 testbed main\n",
		"var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease": "x",
		"var/lib/apt/lists/127.0.0.1:18080_dists_testbed_InRelease":        "x",
		"var/cache/apt/pkgcache.bin":                                       "x",
		"var/cache/apt/srcpkgcache.bin":                                    "x",
	}
	for rel, data := range files {
		writeFile(t, filepath.Join(dir, rel), data)
	}
	Root{Dir: dir}.DropDebianArchive(t)
	for rel := range files {
		_, err := os.Stat(filepath.Join(dir, rel))
		if strings.Contains(rel, "testbed") || strings.Contains(rel, "127.0.0.1") {
			assert.NoError(t, err, rel)
		} else {
			assert.ErrorIs(t, err, os.ErrNotExist, rel)
		}
	}
}
