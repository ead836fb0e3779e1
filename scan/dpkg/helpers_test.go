package dpkg

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/scan/run"
)

var update = flag.Bool("update", false, "rewrite the recorded dpkg-query answers under testdata/dpkg from the real dpkg-query")

const testdata = "../../testdata/dpkg"

// stableDir is where inputs are laid out when their dpkg-query answer is
// recorded, so that recordings do not change with the temporary directory.
func stableDir(kind, name string) string {
	return filepath.Join("/tmp", "patchkit-dpkg-testdata", kind, name)
}

// layout writes an admindir for dpkg-query: the files given (relative
// names), plus empty info/ and updates/ directories unless present.
func layout(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"info", "updates"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for n, b := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// oracleFiles turns a fixture admindir into what dpkg-query can read: the
// files of status.d (which dpkg does not know) are appended to status, in
// Read's order, each after a newline; updates/ is copied.
func oracleFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(dir, "status.d"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range ents {
		if isControlFile(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "status.d", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b = withStatus(b)
		if len(status) > 0 {
			status = append(status, '\n')
		}
		status = append(status, b...)
	}
	if status != nil || len(ents) > 0 {
		files["status"] = status
	}
	ups, err := os.ReadDir(filepath.Join(dir, "updates"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range ups {
		b, err := os.ReadFile(filepath.Join(dir, "updates", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files["updates/"+e.Name()] = b
	}
	return files
}

// haveDpkgQuery reports whether the live comparisons run: dpkg-query is
// installed, or the tests run under CI, where its absence fails them.
func haveDpkgQuery() bool {
	_, err := exec.LookPath("dpkg-query")
	return err == nil || testutil.InCI()
}

// withStatus adds "Status: install ok installed" to the stanzas of a
// status.d file that have no Status field, as Read takes them.
func withStatus(b []byte) []byte {
	var out []byte
	for i, chunk := range bytes.Split(b, []byte("\n\n")) {
		if i > 0 {
			out = append(out, "\n\n"...)
		}
		has := false
		for _, l := range bytes.Split(chunk, []byte("\n")) {
			if len(l) >= 7 && strings.EqualFold(string(l[:7]), "status:") {
				has = true
			}
		}
		if !has && len(bytes.TrimSpace(chunk)) > 0 {
			out = append(out, "Status: install ok installed\n"...)
		}
		out = append(out, chunk...)
	}
	return out
}

func dpkgQueryVersion(t testing.TB) string {
	out, err := exec.Command("dpkg-query", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}

func osRelease() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return runtime.GOOS
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`) + " " + runtime.GOARCH
		}
	}
	return runtime.GOOS
}

// runDpkgQuery runs the real dpkg-query on admindir dir with QueryFormat
// and returns what it did, as a recording.
func runDpkgQuery(t testing.TB, dir, provenance string) run.Recording {
	t.Helper()
	testutil.NeedTool(t, "dpkg-query", "dpkg")
	local, err := run.NewLocal()
	if err != nil {
		t.Fatal(err)
	}
	rec := run.NewRecorder(local, func(run.Command) string { return provenance })
	c, err := QueryCommand(QueryAdmindir(dir))
	if err != nil {
		t.Fatal(err)
	}
	_, err = rec.Run(context.Background(), c)
	var ee *run.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("dpkg-query on %s: %v", dir, err)
	}
	recs := rec.Recordings()
	if len(recs) != 1 {
		t.Fatalf("dpkg-query on %s: %d recordings", dir, len(recs))
	}
	return recs[0]
}

func provenance(t testing.TB, what string) string {
	return fmt.Sprintf("%s on %s, %s\nrecorded by go test -update in scan/dpkg\ninput: %s",
		dpkgQueryVersion(t), osRelease(), time.Now().UTC().Format("2006-01-02"), what)
}

func loadRecording(t testing.TB, file string) run.Recording {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to record it)", err)
	}
	r, err := run.ParseRecording(file, b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func saveRecording(t testing.TB, file string, r run.Recording) {
	t.Helper()
	b, err := r.Format()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sameAsLive checks a live run of dpkg-query against its recording: exit
// code and standard output byte for byte, standard error once the
// temporary directory is written as the recorded one.
func sameAsLive(t testing.TB, live, rec run.Recording, liveDir, recDir string) {
	t.Helper()
	if live.Exit != rec.Exit {
		t.Errorf("dpkg-query exit %d now, %d recorded", live.Exit, rec.Exit)
	}
	if !bytes.Equal(live.Stdout, rec.Stdout) {
		t.Errorf("dpkg-query output differs from the recording:\nnow:\n%s\nrecorded:\n%s", live.Stdout, rec.Stdout)
	}
	stderr := bytes.ReplaceAll(live.Stderr, []byte(liveDir), []byte(recDir))
	if !bytes.Equal(stderr, rec.Stderr) {
		t.Errorf("dpkg-query standard error differs from the recording:\nnow:\n%s\nrecorded:\n%s", stderr, rec.Stderr)
	}
}

// key renders a package for comparison, all fields included.
func key(p patchkit.Package) string {
	t := ""
	if !p.InstallTime.IsZero() {
		t = p.InstallTime.UTC().Format(time.RFC3339)
	}
	return strings.Join([]string{p.Name, p.Arch, p.Epoch.String(), p.Version, p.Release, p.Want, string(p.State),
		p.MultiArch, p.Priority, p.Section, p.SourceName, p.SourceVersion, t, p.Scheme.String()}, "|")
}

func keys(ps []patchkit.Package) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = key(p)
	}
	slices.Sort(out)
	return out
}

// sameList fails unless ours and theirs hold the same packages; it returns
// how many.
func sameList(t testing.TB, ours, theirs []patchkit.Package) int {
	t.Helper()
	a, b := keys(ours), keys(theirs)
	if slices.Equal(a, b) {
		return len(a)
	}
	for _, k := range a {
		if !slices.Contains(b, k) {
			t.Errorf("only Read has   %s", k)
		}
	}
	for _, k := range b {
		if !slices.Contains(a, k) {
			t.Errorf("only dpkg has   %s", k)
		}
	}
	return 0
}
