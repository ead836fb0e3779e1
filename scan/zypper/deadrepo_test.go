package zypper_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"github.com/patchkit/patchkit/scan/rpmdb"
	"github.com/patchkit/patchkit/scan/zypper"
)

// TestRefreshDeadRepository: a refresh scan whose repositories include
// one on a closed port, one on a host name that does not resolve and one
// whose server never answers (the HTTP client's Timeout ends it) reads
// the good repositories before and after them, reports each dead one
// UNREADABLE with the URL and the transport's error, and finds the
// updates and patches the scan without the dead ones finds. Before, the
// first dead repository ended the whole scan with "context canceled"
// (and an HTTP client's Timeout, which matches context.DeadlineExceeded,
// would still). The repositories are testdata/repo's signed rpm-md
// fixtures served on 127.0.0.1.
func TestRefreshDeadRepository(t *testing.T) {
	srv := repotest.Serve(t, repotest.Fixtures(t))
	dead := repotest.DeadURL(t)
	silent := repotest.Silent(t)
	keyData, err := os.ReadFile(filepath.Join(repotest.Fixtures(t), "keys", "rpm.gpg"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := repo.ParseKeyring("rpm.gpg", keyData)
	if err != nil {
		t.Fatal(err)
	}
	section := func(alias, base string) string {
		return fmt.Sprintf("[%s]\nname=%s\nenabled=1\nautorefresh=1\nbaseurl=%s\ntype=rpm-md\ngpgcheck=1\n\n", alias, alias, base)
	}
	root := func(files ...string) string {
		dir := t.TempDir()
		for i, data := range files {
			p := filepath.Join(dir, "etc/zypp/repos.d", fmt.Sprintf("%d.repo", i))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	base, updates := section("pk-base", srv.URL+"/rpm/base"), section("pk-updates", srv.URL+"/rpm/updates-gz")
	// pk-hello 1.0-1 and pk-lib 1:2.0-1 installed, as in the base
	// repository; kernel-pk is not.
	installed, err := rpmdb.ParseQuery([]byte("pk-hello\t(none)\t1.0\t1\tnoarch\tpk-hello-1.0-1.src.rpm\t1793491200\t(none)\t(none)\n" +
		"pk-lib\t1\t2.0\t1\tnoarch\tpk-lib-2.0-1.src.rpm\t1793491200\t(none)\t(none)\n"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1793491200, 0).Add(time.Hour) // the fixtures' revision
	scan := func(dir string, log *bytes.Buffer) *zypper.Result {
		t.Helper()
		c, err := repo.NewClient(repo.WithCacheDir(t.TempDir()), repo.WithClock(func() time.Time { return now }),
			repo.WithHTTPClient(&http.Client{Timeout: time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var stages []string
		res, err := zypper.Read(t.Context(), os.DirFS(dir), installed,
			zypper.WithArch("x86_64"), zypper.WithNow(now), zypper.WithKeyring(kr),
			zypper.WithClient(c), zypper.WithRefresh(true),
			zypper.WithLogger(slog.New(slog.NewTextHandler(log, nil))),
			zypper.WithProgress(func(p zypper.Progress) { stages = append(stages, p.Stage+" "+p.Repository) }))
		if err != nil {
			t.Fatalf("the scan stopped: %v", err)
		}
		if !slices.Contains(stages, "refreshing pk-updates") || !slices.Contains(stages, "done ") {
			t.Errorf("progress %v", stages)
		}
		return res
	}
	var log bytes.Buffer
	want := scan(root(base, updates), &log)
	if len(want.Updates) != 2 || len(want.Patches) == 0 {
		t.Fatalf("without dead repositories: %d updates, %d patches", len(want.Updates), len(want.Patches))
	}
	// The dead repositories come between the good ones, the silent one in
	// the same file as pk-updates.
	got := scan(root(base, section("pk-dead", dead+"/rpm/base"),
		section("pk-nohost", "http://nonexistent.invalid/rpm/updates"),
		section("pk-silent", silent.URL+"/rpm/updates")+updates), &log)
	js := func(r *zypper.Result) string {
		b, err := json.Marshal(struct {
			U, P any
		}{r.Updates, r.Patches})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if a, b := js(got), js(want); a != b {
		t.Errorf("with dead repositories:\n%s\nwithout:\n%s", a, b)
	}
	byName := map[string]repo.Status{}
	for _, s := range got.Repos {
		byName[s.Name] = s
	}
	t.Logf("statuses: %+v", got.Repos)
	if len(got.Repos) != 5 {
		t.Fatalf("statuses %+v", got.Repos)
	}
	for _, s := range want.Repos {
		if byName[s.Name] != s || s.Health != repo.HealthOK || !s.Verified {
			t.Errorf("%s: %+v, without dead repositories %+v", s.Name, byName[s.Name], s)
		}
	}
	for name, want := range map[string][]string{
		"pk-dead":   {dead + "/rpm/base/repodata/repomd.xml", "connection refused"},
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
	if strings.Contains(log.String(), "context canceled") {
		t.Errorf("log:\n%s", log.String())
	}

	// The caller's cancellation still ends the scan, while a repository is
	// being fetched.
	c, err := repo.NewClient(repo.WithCacheDir(t.TempDir()), repo.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	res, err := zypper.Read(ctx, os.DirFS(root(base, section("pk-silent", silent.URL+"/rpm/updates")+updates)), installed,
		zypper.WithArch("x86_64"), zypper.WithNow(now), zypper.WithKeyring(kr), zypper.WithClient(c), zypper.WithRefresh(true))
	if !errors.Is(err, context.Canceled) || res != nil || !strings.Contains(err.Error(), silent.URL) {
		t.Errorf("cancelled: %+v, %v", res, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled after %s", d)
	}
}
