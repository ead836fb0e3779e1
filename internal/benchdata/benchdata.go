// Package benchdata prepares the large real inputs that benchmarks read
// from the shared data directory beside the repository (../shared/data),
// which they skip without; no test needs it.
package benchdata

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/repo/rpmmd"
)

// Primary is a real rpm-md repository's primary.xml.gz made into a
// repository of one data file, with an inventory to scan against it.
type Primary struct {
	// Gz is the compressed primary and Size the size of its XML.
	Gz   []byte
	Size int64
	// Location is Gz's path inside the repository
	// ("repodata/SHA256-primary.xml.gz") and Repomd a repomd.xml naming
	// it with its checksums (unsigned).
	Location, Repomd string
	// Installed holds one package of every tenth binary name, at version
	// 0-0 of its architecture, so that each has upgrades.
	Installed []patchkit.Package
}

// CentOSAppStream reads CentOS Stream 9 AppStream's primary (17,649
// packages, 52 MB of XML) from ../shared/data, up from dir, the calling
// package's directory relative to the module root ("scan/dnf"); the
// benchmark is skipped without it.
func CentOSAppStream(tb testing.TB, dir string) Primary {
	tb.Helper()
	up := ".."
	for d := filepath.Clean(dir); d != "."; d = filepath.Dir(d) {
		up = filepath.Join(up, "..")
	}
	path := filepath.Join(up, "shared/data/centos-stream9-appstream-primary.xml.gz")
	gz, err := os.ReadFile(path)
	if err != nil {
		tb.Skip("no "+path+":", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	var inv []patchkit.Package
	seen := map[string]bool{}
	n := 0
	for p, err := range rpmmd.ParsePrimary("primary", bytes.NewReader(raw), rpmmd.Limits{}) {
		if err != nil {
			tb.Fatal(err)
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
	return Primary{Gz: gz, Size: int64(len(raw)), Location: loc, Repomd: repomd, Installed: inv}
}
