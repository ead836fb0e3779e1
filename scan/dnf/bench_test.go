package dnf_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/testbed"
	"github.com/patchkit/patchkit/internal/testutil"
	"github.com/patchkit/patchkit/repo/rpmmd"
	"github.com/patchkit/patchkit/scan/dnf"
	"github.com/patchkit/patchkit/scan/rpmdb"
)

// dnfCheckUpdate runs dnf -q -C check-update on root, whole process, and
// returns how long it took.
func dnfCheckUpdate(b *testing.B, root string) time.Duration {
	env := testbed.Env{RPMRoot: root}
	start := time.Now()
	err := exec.Command("dnf", append(append([]string{"-q", "-C"}, env.DNFArgs()...), "check-update")...).Run()
	d := time.Since(start)
	if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 100) {
		b.Fatal(err)
	}
	return d
}

// BenchmarkTestbedDnfScan compares, in one run, the metadata backend on
// the testbed's dnf root (alone, and with reading the rpm database, as
// dnf does) with dnf -C check-update as a whole process on a copy of the
// root. The ratio metric is the backend's time per operation over the
// median of seven dnf runs made just before.
func BenchmarkTestbedDnfScan(b *testing.B) {
	env := testbed.Need(b)
	testutil.NeedTool(b, "dnf", "dnf")
	c := env.Clone(b)
	var runs []time.Duration
	for range 7 {
		runs = append(runs, dnfCheckUpdate(b, c.RPMRoot))
	}
	slices.Sort(runs)
	median := runs[len(runs)/2]
	fsys := os.DirFS(env.RPMRoot)
	inv := inventory(b, env.RPMRoot)
	now := repomdDate(b, env.RPMRoot).Add(time.Hour)
	ratio := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(time.Since(start))/float64(b.N)/float64(median), "x-dnf")
	}
	b.Run("metadata", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, err := dnf.Check(context.Background(), fsys, inv, dnf.WithArch("x86_64"), dnf.WithNow(now)); err != nil {
				b.Fatal(err)
			}
		}
		ratio(b, start)
	})
	b.Run("metadata+rpmdb", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			_, pkgs, err := rpmdb.Read(context.Background(), fsys)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := dnf.Check(context.Background(), fsys, pkgs, dnf.WithArch("x86_64"), dnf.WithNow(now)); err != nil {
				b.Fatal(err)
			}
		}
		ratio(b, start)
	})
	b.Run("dnf-check-update", func(b *testing.B) {
		for b.Loop() {
			dnfCheckUpdate(b, c.RPMRoot)
		}
	})
}

// BenchmarkLargePrimary runs the metadata backend over a root whose one
// repository is CentOS Stream 9 AppStream (17,649 packages, 52 MB of
// primary.xml), with one installed package of every tenth name at version
// 0, so that each of them has upgrades. It reads ../shared/data and skips
// without it. The root (configuration and repomd.xml) is made here; no
// signature is required.
func BenchmarkLargePrimary(b *testing.B) {
	gz, err := os.ReadFile("../../../shared/data/centos-stream9-appstream-primary.xml.gz")
	if err != nil {
		b.Skip("no ../shared/data/centos-stream9-appstream-primary.xml.gz:", err)
	}
	raw, err := decompressGzip(gz)
	if err != nil {
		b.Fatal(err)
	}
	var inv []patchkit.Package
	seen := map[string]bool{}
	n := 0
	for p, err := range rpmmd.ParsePrimary("primary", bytes.NewReader(raw), rpmmd.Limits{}) {
		if err != nil {
			b.Fatal(err)
		}
		if seen[p.Name] || p.Arch == "src" {
			continue
		}
		seen[p.Name] = true
		if n++; n%10 == 0 {
			inv = append(inv, patchkit.Package{Name: p.Name, Epoch: patchkit.EpochOf(0), Version: "0", Release: "0", Arch: p.Arch,
				Scheme: patchkit.RPM, State: patchkit.StateInstalled})
		}
	}
	sumGz, sumRaw := sha256.Sum256(gz), sha256.Sum256(raw)
	loc := "repodata/" + hex.EncodeToString(sumGz[:]) + "-primary.xml.gz"
	repomd := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1700000000</revision>
<data type="primary"><checksum type="sha256">%x</checksum><open-checksum type="sha256">%x</open-checksum><location href="%s"/><timestamp>1700000000</timestamp><size>%d</size><open-size>%d</open-size></data>
</repomd>
`, sumGz, sumRaw, loc, len(gz), len(raw))
	url := "https://mirror.example.invalid/9-stream/AppStream/x86_64/os/"
	urlSum := sha256.Sum256([]byte(url))
	dir := "var/cache/dnf/appstream-" + hex.EncodeToString(urlSum[:8]) + "/"
	fsys := fstest.MapFS{
		"etc/dnf/dnf.conf":            {Data: []byte("[main]\ngpgcheck=1\n")},
		"etc/yum.repos.d/centos.repo": {Data: []byte("[appstream]\nname=AppStream\nbaseurl=" + url + "\n")},
		dir + "repodata/repomd.xml":   {Data: []byte(repomd)},
		dir + loc:                     {Data: gz},
	}
	now := time.Unix(1700000000, 0).Add(time.Hour)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for b.Loop() {
		rep, err := dnf.Check(context.Background(), fsys, inv, dnf.WithArch("x86_64"), dnf.WithNow(now))
		if err != nil || rep.Repos[0].Packages != 17649 || len(rep.Patches) < len(inv) {
			b.Fatalf("%v: %+v, %d patches for %d installed", err, rep.Repos, len(rep.Patches), len(inv))
		}
	}
}

func decompressGzip(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
