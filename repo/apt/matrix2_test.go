package apt

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo"
)

// listsFS lays out fixture v1 as apt keeps it in /var/lib/apt/lists, the
// Packages file lz4-compressed as on hosts with Acquire::GzipIndexes.
func listsFS(t *testing.T, uri string) fstest.MapFS {
	t.Helper()
	prefix := ListsFileName(distBase(uri, "stable"))
	in, err := os.ReadFile(fixture(t, "v1/dists/stable/InRelease"))
	if err != nil {
		t.Fatal(err)
	}
	lz, err := os.ReadFile(fixture(t, "v1/dists/stable/main/binary-amd64/Packages.lz4"))
	if err != nil {
		t.Fatal(err)
	}
	return fstest.MapFS{
		prefix + "InRelease":                      {Data: in},
		prefix + "main_binary-amd64_Packages.lz4": {Data: lz},
	}
}

func TestOpenListsLZ4(t *testing.T) {
	uri := "http://deb.example.invalid/debian"
	lists := listsFS(t, uri)
	c, _, _ := newClient(t, d1.Add(time.Hour))
	r := Repo{URI: uri, Suite: "stable", Components: []string{"main"}, Keyring: keyring(t, "archive-a.gpg")}
	snap, err := OpenLists(context.Background(), c.Policy(), lists, r)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(collect(t, snap)); len(got) != 4 || snap.Repo.Architectures[0] != "amd64" {
		t.Fatalf("%v %v", got, snap.Repo.Architectures)
	}
	// A tampered stored list is refused before any record is returned.
	other, _ := os.ReadFile(fixture(t, "v2/dists/stable/main/binary-amd64/Packages.lz4"))
	prefix := ListsFileName(distBase(uri, "stable"))
	lists[prefix+"main_binary-amd64_Packages.lz4"] = &fstest.MapFile{Data: other}
	snap, err = OpenLists(context.Background(), c.Policy(), lists, r)
	if err != nil {
		t.Fatal(err)
	}
	got := repotest.Drain(snap.Packages(context.Background()))
	n, last := got.N, got.Last()
	if n != 0 || !(errors.Is(last, repo.ErrHashMismatch) || errors.Is(last, repo.ErrSize)) {
		t.Fatalf("%d records, error %v", n, last)
	}
}

func TestListsFileName(t *testing.T) {
	for in, want := range map[string]string{
		"http://deb.debian.org/debian/dists/bookworm/":         "deb.debian.org_debian_dists_bookworm_",
		"http://user:pw@127.0.0.1:8080/a_b/dists/x~y/":         "127.0.0.1:8080_a%5fb_dists_x%7ey_",
		"https://deb.nodesource.com/node_20.x/dists/nodistro/": "deb.nodesource.com_node%5f20.x_dists_nodistro_",
	} {
		if got := ListsFileName(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// faultyFS fails reads of one file with EIO after n bytes.
type faultyFS struct {
	fs.FS
	name string
	n    int
}

func (f faultyFS) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil || name != f.name {
		return file, err
	}
	return &faultyFile{File: file, left: f.n}, nil
}

type faultyFile struct {
	fs.File
	left int
}

func (f *faultyFile) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, &fs.PathError{Op: "read", Path: "InRelease", Err: syscall.EIO}
	}
	if len(p) > f.left {
		p = p[:f.left]
	}
	n, err := f.File.Read(p)
	f.left -= n
	return n, err
}

// A6: an I/O error at any point while the InRelease is read is an error,
// never a verified Release: from a lists directory (EIO after n bytes) and
// over HTTP (the connection dropped after n bytes).
func TestMatrixA6VerifierReadErrors(t *testing.T) {
	uri := "http://deb.example.invalid/debian"
	lists := listsFS(t, uri)
	name := ListsFileName(distBase(uri, "stable")) + "InRelease"
	size := len(lists[name].Data)
	c, dir, _ := newClient(t, d1.Add(time.Hour))
	r := Repo{URI: uri, Suite: "stable", Components: []string{"main"}, Keyring: keyring(t, "archive-a.gpg")}
	step := max(1, size/300)
	for n := 0; n < size; n += step {
		snap, err := OpenLists(context.Background(), c.Policy(), faultyFS{FS: lists, name: name, n: n}, r)
		if err == nil || snap != nil {
			t.Fatalf("EIO after %d of %d bytes: verified", n, size)
		}
		if !errors.Is(err, syscall.EIO) {
			t.Fatalf("EIO after %d bytes: %v", n, err)
		}
	}
	srv := repotest.Serve(t, fixture(t, "v1"))
	in, _ := os.ReadFile(fixture(t, "v1/dists/stable/InRelease"))
	hr := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
	for n := 0; n < len(in); n += max(1, len(in)/60) {
		srv.Handle("/dists/stable/InRelease", func(w http.ResponseWriter, req *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(in)))
			w.Write(in[:n])
			panic(http.ErrAbortHandler) // drop the connection
		})
		snap, err := Update(context.Background(), c, hr)
		if err == nil || snap != nil {
			t.Fatalf("connection dropped after %d bytes: verified", n)
		}
	}
	if files := repotest.Files(t, dir); len(files) != 0 {
		t.Fatalf("cache holds %v", files)
	}
}

// C2: an endless InRelease is cut at 10 MB + 1 with ErrTooLarge, without
// holding more than that in memory, and the cache is untouched.
func TestMatrixC2EndlessInRelease(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	srv.Handle("/dists/stable/InRelease", func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		for i := 0; i < 2048; i++ { // at most 128 MiB
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	})
	c, dir, _ := newClient(t, d1.Add(time.Hour), repo.WithMinThroughput(1000, 5*time.Second))
	// The heap is sampled while the update runs; its peak above the
	// starting point stands for the RSS bound of the matrix (64 MiB).
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
		}
	}()
	start := time.Now()
	snap, err := Update(context.Background(), c, testRepo(srv.URL, keyring(t, "archive-a.gpg")))
	elapsed := time.Since(start)
	close(stop)
	<-done
	var te *repo.TooLargeError
	if !errors.As(err, &te) || te.Limit != repo.MaxReleaseSize || snap != nil {
		t.Fatalf("got %v", err)
	}
	if p := peak.Load(); p > before.HeapAlloc && p-before.HeapAlloc > 64<<20 {
		t.Fatalf("heap grew by %d bytes", p-before.HeapAlloc)
	}
	if elapsed > 10*time.Second {
		t.Fatalf("took %s", elapsed)
	}
	if files := repotest.Files(t, dir); len(files) != 0 {
		t.Fatalf("cache holds %v", files)
	}
}

// The fixtures verify with gpgv as apt reads it (apt's gpgv method counts a
// signature as good only on GOODSIG without EXPKEYSIG, REVKEYSIG, BADSIG or
// ERRSIG), so the signatures the tests accept or refuse are the ones apt
// accepts or refuses.
func TestFixturesAgreeWithGpgv(t *testing.T) {
	gpgv := testutil.NeedTool(t, "gpgv", "gpgv")
	for _, tc := range []struct {
		file, key string
		ok        bool
	}{
		{"apt/v1/dists/stable/InRelease", "archive-a.gpg", true},
		{"apt/signatures/InRelease.keyB", "archive-a.gpg", false},
		{"apt/signatures/InRelease.revoked", "revoked.gpg", false},
		{"apt/signatures/InRelease.expired", "expired.gpg", false},
		{"apt/signatures/InRelease.rsa-sha256", "rpm.gpg", true},
	} {
		cmd := exec.Command(gpgv, "--status-fd", "1", "--keyring", repotest.Fixtures(t)+"/keys/"+tc.key, repotest.Fixtures(t)+"/"+tc.file)
		out, _ := cmd.Output()
		s := string(out)
		good := strings.Contains(s, "[GNUPG:] GOODSIG ")
		for _, bad := range []string{"BADSIG", "EXPKEYSIG", "REVKEYSIG", "ERRSIG", "NO_PUBKEY"} {
			if strings.Contains(s, "[GNUPG:] "+bad+" ") {
				good = false
			}
		}
		if good != tc.ok {
			t.Errorf("%s with %s: good=%v, want %v\n%s", tc.file, tc.key, good, tc.ok, out)
		}
	}
}

// E1 and E2 through Update: a refused redirect of InRelease and an index
// trickling below the minimum throughput fail with their typed errors, and
// the cache keeps the previous snapshot.
func TestMatrixE1E2CacheKept(t *testing.T) {
	srv := repotest.Serve(t, fixture(t, "v1"))
	c, dir, _ := newClient(t, d2.Add(time.Hour), repo.WithMinThroughput(1000, 300*time.Millisecond))
	r := testRepo(srv.URL, keyring(t, "archive-a.gpg"))
	if _, err := Update(context.Background(), c, r); err != nil {
		t.Fatal(err)
	}
	before := repotest.TreeHash(t, dir)
	srv.Handle("/dists/stable/InRelease", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/dists/stable/InRelease%0aSHA256-Hash:%20x", http.StatusFound)
	})
	if snap, err := Update(context.Background(), c, r); !errors.Is(err, repo.ErrRedirect) || snap != nil {
		t.Fatalf("redirect: %v", err)
	}
	if repotest.TreeHash(t, dir) != before {
		t.Fatal("cache changed after a refused redirect")
	}
	srv.Reset()
	srv.SetRoot(fixture(t, "v2"))
	rel, _ := os.ReadFile(fixture(t, "v2/dists/stable/Release"))
	r2, _ := ParseRelease("Release", rel)
	fi := r2.Files["main/binary-amd64/Packages.zst"]
	srv.Handle("/dists/stable/main/binary-amd64/by-hash/SHA256/"+fi.SHA256, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", strconv.FormatInt(fi.Size, 10))
		for i := 0; i < 100; i++ {
			if _, err := w.Write([]byte{0}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-req.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	if snap, err := Update(context.Background(), c, r); !errors.Is(err, repo.ErrTooSlow) || snap != nil {
		t.Fatalf("slow index: %v", err)
	}
	if repotest.TreeHash(t, dir) != before {
		t.Fatal("cache changed after a slow download")
	}
}
