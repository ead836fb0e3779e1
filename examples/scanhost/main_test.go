package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScanhostRoot(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-root", "../../testdata/osdetect/rhel-9.0"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Equal(t, `Operating system: Red Hat Enterprise Linux 9.0 (Plow)
ID:               rhel
Version:          9.0
Patch Manager:    REDHAT_ENTERPRISE_LINUX, product RedhatEnterpriseLinux9.0
Family:           rhel (package manager dnf)
Sources:          usr/lib/os-release, etc/redhat-release
`, out.String())

	out.Reset()
	code = run(context.Background(), []string{"-json", "-root", "../../testdata/osdetect/ubuntu-24.04"}, &out, &errOut)
	require.Equal(t, 0, code)
	var r report
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.Equal(t, "Ubuntu24.04", r.Product)
	assert.Equal(t, "UBUNTU", string(r.OperatingSystem))
	assert.Equal(t, "noble", r.OS.Codename)
}

func TestScanhostErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-root", "../../testdata/osdetect/odd-arch"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, out.String(), "not supported by Patch Manager")
	assert.Contains(t, errOut.String(), "is not a supported operating system")

	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"-root", t.TempDir()}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "no os-release")

	assert.Equal(t, 2, run(context.Background(), []string{"-bogus"}, &out, &errOut))
	assert.Equal(t, 2, run(context.Background(), []string{"extra"}, &out, &errOut))
}

// TestScanhostLiveHost runs the main job on this machine.
func TestScanhostLiveHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the live test checks a Linux host")
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-json"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	var r report
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.NotEmpty(t, r.OS.ID)
	assert.NotEmpty(t, r.OS.KernelRelease)
	assert.NotEmpty(t, r.OS.Arch)
}
