package apt_test

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
	"github.com/patchkit/patchkit/scan/apt"
	"github.com/patchkit/patchkit/scan/dpkg"
)

// TestRefreshDeadRepository: a refresh scan whose sources include a
// repository on a closed port, one on a host name that does not resolve
// and one whose server never answers (the HTTP client's Timeout ends it)
// reads the good repositories around them, reports each dead one
// UNREADABLE with the URL and the transport's error (not "context
// canceled"), and finds what the scan without the dead ones finds. The
// repositories are testdata/repo's signed apt fixtures v1 and v2, served
// on 127.0.0.1.
func TestRefreshDeadRepository(t *testing.T) {
	fx := repotest.Fixtures(t)
	srv := repotest.Serve(t, fx)
	dead := repotest.DeadURL(t)
	silent := repotest.Silent(t)
	key, err := os.ReadFile(filepath.Join(fx, "keys", "archive-a.gpg"))
	if err != nil {
		t.Fatal(err)
	}
	// pk-lib 1:2.0-1 installed, as v1 has it; v2 has 1:2.0-2.
	const status = "Package: pk-lib\nStatus: install ok installed\nPriority: optional\nSection: libs\n" +
		"Maintainer: patchkit test <test@example.invalid>\nArchitecture: amd64\nVersion: 1:2.0-1\n" +
		"Description: patchkit test library\n"
	deb := func(uri string) string {
		return fmt.Sprintf("deb [signed-by=/etc/apt/keyrings/archive-a.gpg arch=amd64] %s stable main\n", uri)
	}
	root := func(sources string) string {
		dir := t.TempDir()
		for name, data := range map[string]string{
			"etc/apt/sources.list":           sources,
			"etc/apt/keyrings/archive-a.gpg": string(key),
			"var/lib/dpkg/status":            status,
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
	now := time.Date(2026, 11, 8, 1, 0, 0, 0, time.UTC) // v2's Date + 1 h; v1 is valid until 15 November
	scan := func(dir string, log *bytes.Buffer) ([]string, []repo.Status) {
		t.Helper()
		inv, err := dpkg.Read(t.Context(), os.DirFS(dir))
		if err != nil {
			t.Fatal(err)
		}
		c, err := repo.NewClient(repo.WithCacheDir(t.TempDir()), repo.WithClock(func() time.Time { return now }),
			repo.WithHTTPClient(&http.Client{Timeout: time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ps, sts, err := apt.Updates(t.Context(), os.DirFS(dir), inv,
			apt.WithArch("x86_64"), apt.WithNow(now), apt.WithClient(c), apt.WithRefresh(true),
			apt.WithLogger(slog.New(slog.NewTextHandler(log, nil))))
		if err != nil {
			t.Fatalf("the scan stopped: %v", err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("%s %s candidate=%v %s", p.Name, p.EVR(), p.Candidate, p.Repository))
		}
		slices.Sort(out)
		return out, sts
	}
	v1, v2 := srv.URL+"/apt/v1", srv.URL+"/apt/v2"
	var log bytes.Buffer
	want, wantSts := scan(root(deb(v1)+deb(v2)), &log)
	if len(want) != 1 || !strings.HasPrefix(want[0], "pk-lib 1:2.0-2 candidate=true") {
		t.Fatalf("without dead repositories: %v", want)
	}
	got, sts := scan(root(deb(v1)+deb(dead+"/debian")+deb("http://nonexistent.invalid/debian")+deb(silent.URL+"/debian")+deb(v2)), &log)
	if !slices.Equal(got, want) {
		t.Errorf("with dead repositories:\n%s\nwithout:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("statuses: %+v", sts)
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
		dead + "/debian stable":                    {dead + "/debian/dists/stable/InRelease", "connection refused"},
		"http://nonexistent.invalid/debian stable": {"http://nonexistent.invalid/debian/dists/stable/InRelease", "nonexistent.invalid"},
		silent.URL + "/debian stable":              {silent.URL + "/debian/dists/stable/InRelease", "Client.Timeout"},
	} {
		s, ok := byName[name]
		if !ok || s.Health != repo.HealthUnreadable || s.Packages != 0 || strings.Contains(s.Reason, "context canceled") {
			t.Errorf("%s: %+v", name, s)
		}
		for _, w := range want {
			if !strings.Contains(s.Reason, w) {
				t.Errorf("%s: reason %q does not name %q", name, s.Reason, w)
			}
		}
	}
	if strings.Contains(log.String(), "context canceled") {
		t.Errorf("log:\n%s", log.String())
	}
}
