package dnf_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
)

// TestRefreshDeadRepository: a refresh scan whose repositories include
// one on a closed port (its gpgkey there too), one on a host name that
// does not resolve and one whose server never answers (the HTTP client's
// Timeout ends it) reads the good repositories before and after them,
// reports each dead one UNREADABLE with the URL and the transport's error
// (not "context canceled"), and finds what the scan without the dead ones
// finds. The repositories are testdata/repo's signed rpm-md fixtures,
// served on 127.0.0.1; the gpgkey of the good ones is fetched from there.
func TestRefreshDeadRepository(t *testing.T) {
	srv := repotest.Serve(t, repotest.Fixtures(t))
	dead := repotest.DeadURL(t)
	silent := repotest.Silent(t)
	key := srv.URL + "/keys/RPM-GPG-KEY-patchkit-test"
	section := func(id, base, gpgkey string) string {
		return fmt.Sprintf("[%s]\nname=%s\nbaseurl=%s\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=%s\n\n", id, id, base, gpgkey)
	}
	good := section("pk-base", srv.URL+"/rpm/base", key) + section("pk-updates", srv.URL+"/rpm/updates-gz", key)
	withDead := section("pk-base", srv.URL+"/rpm/base", key) +
		section("pk-dead", dead+"/rpm/base", dead+"/keys/RPM-GPG-KEY-patchkit-test") +
		section("pk-nohost", "http://nonexistent.invalid/rpm/updates", key) +
		section("pk-silent", silent.URL+"/rpm/updates", key) +
		section("pk-updates", srv.URL+"/rpm/updates-gz", key)
	root := func(repoFile string) string {
		dir := t.TempDir()
		for name, data := range map[string]string{
			"etc/dnf/dnf.conf":        "[main]\ngpgcheck=True\n",
			"etc/yum.repos.d/pk.repo": repoFile,
		} {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	// pk-hello 1.0-1 and pk-lib 1:2.0-1 installed, as in the base
	// repository; kernel-pk is not.
	installed, err := rpmdb.ParseQuery([]byte("pk-hello\t(none)\t1.0\t1\tnoarch\tpk-hello-1.0-1.src.rpm\t1793491200\t(none)\t(none)\n" +
		"pk-lib\t1\t2.0\t1\tnoarch\tpk-lib-2.0-1.src.rpm\t1793491200\t(none)\t(none)\n"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1793491200, 0).Add(time.Hour) // the fixtures' revision
	scan := func(repoFile string, log *bytes.Buffer) ([]string, []repo.Status) {
		t.Helper()
		c, err := repo.NewClient(repo.WithCacheDir(t.TempDir()), repo.WithClock(func() time.Time { return now }),
			repo.WithHTTPClient(&http.Client{Timeout: time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var stages []string
		ps, sts, err := dnf.Updates(t.Context(), os.DirFS(root(repoFile)), installed,
			dnf.WithArch("x86_64"), dnf.WithNow(now), dnf.WithClient(c), dnf.WithRefresh(true),
			dnf.WithLogger(slog.New(slog.NewTextHandler(log, nil))),
			dnf.WithProgress(func(p dnf.Progress) { stages = append(stages, p.Stage+" "+p.Repo) }))
		if err != nil {
			t.Fatalf("the scan stopped: %v", err)
		}
		if !slices.Contains(stages, "repository pk-updates") {
			t.Errorf("pk-updates was not read: %v", stages)
		}
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("%s %s candidate=%v security=%v %s", p.NEVRA(), p.Repository, p.Candidate, p.Security, strings.Join(p.AdvisoryIDs, ",")))
		}
		slices.Sort(out)
		return out, sts
	}
	var log bytes.Buffer
	want, wantSts := scan(good, &log)
	if len(want) != 2 {
		t.Fatalf("without dead repositories: %d updates, want pk-hello's and pk-lib's: %v", len(want), want)
	}
	got, sts := scan(withDead, &log)
	if !slices.Equal(got, want) {
		t.Errorf("with dead repositories:\n%s\nwithout:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	byName := map[string]repo.Status{}
	for _, s := range sts {
		byName[s.Name] = s
	}
	if len(sts) != 5 {
		t.Fatalf("statuses %+v", sts)
	}
	for _, s := range wantSts {
		if byName[s.Name] != s || s.Health != repo.HealthOK || !s.Verified {
			t.Errorf("%s: %+v, without dead repositories %+v", s.Name, byName[s.Name], s)
		}
	}
	for name, want := range map[string][]string{
		"pk-dead":   {dead + "/keys/RPM-GPG-KEY-patchkit-test", "connection refused"},
		"pk-nohost": {"http://nonexistent.invalid/rpm/updates/repodata/repomd.xml", "nonexistent.invalid"},
		"pk-silent": {silent.URL + "/rpm/updates/repodata/repomd.xml", "Client.Timeout"},
	} {
		s := byName[name]
		if s.Health != repo.HealthUnreadable || s.Packages != 0 || strings.Contains(s.Reason, "context canceled") {
			t.Errorf("%s: %+v", name, s)
		}
		for _, w := range want {
			if !strings.Contains(s.Reason, w) {
				t.Errorf("%s: reason %q does not name %q", name, s.Reason, w)
			}
		}
	}
	t.Logf("statuses: %+v", sts)
	if strings.Contains(log.String(), "context canceled") {
		t.Errorf("log:\n%s", log.String())
	}
}
