package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/internal/decompress"
)

func TestScanhostRoot(t *testing.T) {
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"-now", "2026-11-30", "-root", "../../testdata/osdetect/rhel-9.0"}, &out, &errOut)
	require.Equal(t, exitCompliant, code, errOut.String())
	assert.Equal(t, `Operating system: Red Hat Enterprise Linux 9.0 (Plow)
Patch Manager:    REDHAT_ENTERPRISE_LINUX, product RedhatEnterpriseLinux9.0
Family:           rhel (package manager dnf)
Inventory:        rpm, no package database
Installed:        0 packages
Note:             no rpm database in usr/lib/sysimage/rpm or var/lib/rpm
Baseline:         arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0cbb3a633de00f07c
Status:           COMPLIANT
Counts:           Missing 0, Failed 0, InstalledPendingReboot 0, InstalledRejected 0, Installed 0, InstalledOther 0, NotApplicable 0
Non-compliant:    critical 0, security 0, other 0
Candidates:       0 newer versions available, 0 approved
Repositories:     0, 0 OK
Reboot:           no
`, out.String())

	out.Reset()
	code = runMain(context.Background(), []string{"-json", "-now", "2026-11-30", "-root", "../../testdata/osdetect/ubuntu-24.04"}, &out, &errOut)
	require.Equal(t, exitCompliant, code, errOut.String())
	var r output
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.Equal(t, "Ubuntu24.04", r.Product)
	assert.Equal(t, "UBUNTU", string(r.OperatingSystem))
	assert.Equal(t, "noble", r.OS.Codename)
	require.NotNil(t, r.Report)
	assert.Equal(t, patchkit.Compliant, r.Report.Summary.Status)
	for _, k := range []string{`"OS":`, `"Installed": []`, `"Candidates": []`, `"Reboot":`, `"Report":`} {
		assert.Contains(t, out.String(), k)
	}
}

func TestScanhostErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"-root", "../../testdata/osdetect/odd-arch"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, out.String(), "not supported by Patch Manager")
	assert.Contains(t, errOut.String(), "is not a supported operating system")

	out.Reset()
	errOut.Reset()
	code = runMain(context.Background(), []string{"-root", t.TempDir()}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "no os-release")

	assert.Equal(t, 2, runMain(context.Background(), []string{"-bogus"}, &out, &errOut))
	assert.Equal(t, 2, runMain(context.Background(), []string{"extra"}, &out, &errOut))
}

// TestScanhostLiveHost runs the main job on this machine.
func TestScanhostLiveHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the live test checks a Linux host")
	}
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"-json"}, &out, &errOut)
	require.Contains(t, []int{exitCompliant, exitNonCompliant, exitUnknown}, code, errOut.String())
	var r output
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.NotEmpty(t, r.OS.ID)
	assert.NotEmpty(t, r.OS.KernelRelease)
	assert.NotEmpty(t, r.OS.Arch)
}

// mkroot copies the release files of an osdetect fixture into a new root
// and adds files (path in the root -> content).
func mkroot(t *testing.T, osFixture string, files map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join("../../testdata/osdetect", osFixture)
	require.NoError(t, filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = b
		return nil
	}))
	for rel, b := range files {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(rel)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, rel), b, 0o644))
	}
	return root
}

func unzstd(t *testing.T, path string) []byte {
	t.Helper()
	b, err := decompress.ReadFile(path, decompress.Zstd, decompress.Limits{Output: 64 << 20})
	require.NoError(t, err)
	return b
}

// TestScanhostInventory: the main job reports every installed package of
// a root, in JSON as patchkit.Package values.
func TestScanhostInventory(t *testing.T) {
	rocky := unzstd(t, "../../testdata/rpmdb/sqlite/rockylinux-9.2/rpmdb.sqlite.zst")
	root := mkroot(t, "rocky-9.3", map[string][]byte{"var/lib/rpm/rpmdb.sqlite": rocky})
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"-json", "-root", root}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	var r struct {
		Inventory struct{ Backend, Source, Arch string }
		Installed []patchkit.Package
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.Equal(t, "rpm", r.Inventory.Backend)
	assert.Equal(t, "var/lib/rpm/rpmdb.sqlite (sqlite)", r.Inventory.Source)
	assert.Equal(t, "x86_64", r.Inventory.Arch)
	require.Len(t, r.Installed, 141)
	for _, p := range r.Installed {
		assert.Equal(t, patchkit.RPM, p.Scheme)
		assert.Equal(t, patchkit.StateInstalled, p.State)
		assert.NotEmpty(t, p.Version)
	}
	// The raw JSON holds Package fields by their names.
	assert.Contains(t, out.String(), `"Installed": [`)
	assert.Contains(t, out.String(), `"Vendor": "Rocky Enterprise Software Foundation"`)

	out.Reset()
	code = runMain(context.Background(), []string{"-root", root}, &out, &errOut)
	require.Equal(t, 0, code)
	assert.Contains(t, out.String(), "Installed:        141 packages (141 installed)\n")

	// A Debian root with a real dpkg status (made by mmdebstrap).
	status, err := os.ReadFile("../../testdata/dpkg/db/debian-12-minbase/status")
	require.NoError(t, err)
	root = mkroot(t, "debian-12", map[string][]byte{"var/lib/dpkg/status": status})
	out.Reset()
	code = runMain(context.Background(), []string{"-root", root}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "Inventory:        dpkg, var/lib/dpkg\n")
	assert.Regexp(t, `Installed: +\d+ packages \(\d+ installed\)`, out.String())

	// An unreadable database: its error and exit 1.
	root = mkroot(t, "rocky-9.3", map[string][]byte{"var/lib/rpm/rpmdb.sqlite": rocky[:len(rocky)/2]})
	out.Reset()
	errOut.Reset()
	code = runMain(context.Background(), []string{"-json", "-root", root}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.True(t, strings.Contains(errOut.String(), "rpmdb: var/lib/rpm/rpmdb.sqlite (sqlite)"), errOut.String())
	assert.Contains(t, out.String(), `"Error": "rpmdb:`)
}
