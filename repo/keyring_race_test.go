package repo_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/patchkit/patchkit/internal/repotest"
	"github.com/patchkit/patchkit/repo"
)

// TestKeyringConcurrentVerify: one keyring, and keyrings merged from or
// filtered out of it (which share its keys), verify from many goroutines
// at once; run with -race.
func TestKeyringConcurrentVerify(t *testing.T) {
	fx := repotest.Fixtures(t)
	keyData, err := os.ReadFile(filepath.Join(fx, "keys/archive-a.gpg"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := repo.ParseKeyring("archive-a.gpg", keyData)
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(filepath.Join(fx, "apt/v1/dists/stable/InRelease"))
	if err != nil {
		t.Fatal(err)
	}
	other := kr.Merge(nil)
	filtered := kr.Filter(kr.Fingerprints())
	opt := repo.VerifyOptions{Now: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for i := range 24 {
		k := []*repo.Keyring{kr, other, filtered}[i%3]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := repo.VerifyClearSigned("InRelease", in, k, opt); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
