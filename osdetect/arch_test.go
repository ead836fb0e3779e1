package osdetect

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchkit/patchkit/internal/testutil"
)

func TestArchVocabulary(t *testing.T) {
	for _, tc := range []struct{ in, norm, deb, rpm string }{
		{"x86_64", "x86_64", "amd64", "x86_64"},
		{"AMD64", "x86_64", "amd64", "x86_64"}, // Windows PROCESSOR_ARCHITECTURE
		{"ARM64", "aarch64", "arm64", "aarch64"},
		{"arm64", "aarch64", "arm64", "aarch64"}, // macOS uname -m
		{"aarch64", "aarch64", "arm64", "aarch64"},
		{"x86", "i686", "i386", "i386"},
		{"i686", "i686", "i386", "i386"},
		{"armv7l", "armv7l", "armhf", "armhfp"},
		{"ppc64le", "ppc64le", "ppc64el", "ppc64le"},
		{"s390x", "s390x", "s390x", "s390x"},
		{"riscv64", "riscv64", "riscv64", "riscv64"},
		{"loong64", "loongarch64", "loong64", "loongarch64"},
	} {
		assert.Equal(t, tc.norm, NormalizeArch(tc.in), tc.in)
		d, ok := DebianArch(tc.in)
		assert.True(t, ok, tc.in)
		assert.Equal(t, tc.deb, d, tc.in)
		r, ok := RPMArch(tc.in)
		assert.True(t, ok, tc.in)
		assert.Equal(t, tc.rpm, r, tc.in)
		back, ok := ArchFromDebian(d)
		assert.True(t, ok, d)
		if tc.norm != "i686" && tc.norm != "armv7l" {
			assert.Equal(t, tc.norm, back, d)
		}
		back, ok = ArchFromRPM(r)
		assert.True(t, ok, r)
		d2, _ := DebianArch(back)
		assert.Equal(t, tc.deb, d2, "rpm %s and back", r)
	}
	for _, s := range []string{"all", "noarch", "src", "sparc64", ""} {
		_, ok := ArchFromDebian(s)
		assert.False(t, ok, s)
		_, ok = ArchFromRPM(s)
		assert.False(t, ok, s)
	}
}

// TestArchAgreesWithTools: on this host, the detected architecture is what
// dpkg and rpm call their own.
func TestArchAgreesWithTools(t *testing.T) {
	o, err := Detect(context.Background())
	require.NoError(t, err)
	dpkg := testutil.NeedTool(t, "dpkg", "dpkg")
	out, err := exec.Command(dpkg, "--print-architecture").Output()
	require.NoError(t, err)
	d, ok := DebianArch(o.Arch)
	require.True(t, ok, o.Arch)
	assert.Equal(t, strings.TrimSpace(string(out)), d)

	rpm := testutil.NeedTool(t, "rpm", "rpm")
	out, err = exec.Command(rpm, "--eval", "%{_arch}").Output()
	require.NoError(t, err)
	back, ok := ArchFromRPM(strings.TrimSpace(string(out)))
	require.True(t, ok)
	assert.Equal(t, o.Arch, back)
}
