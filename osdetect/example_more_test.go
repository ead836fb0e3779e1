package osdetect_test

import (
	"fmt"

	"github.com/patchkit/patchkit/osdetect"
)

// NormalizeArch maps what Go (GOARCH), Windows (PROCESSOR_ARCHITECTURE)
// and uname call a machine to one vocabulary, uname's. Debian's and rpm's
// names have their own functions, ArchFromDebian and ArchFromRPM.
func ExampleNormalizeArch() {
	for _, s := range []string{"amd64", "AMD64", "x86_64", "arm64", "386", "loong64", "riscv64"} {
		fmt.Println(s, osdetect.NormalizeArch(s))
	}
	// Output:
}

func ExampleArchFromDebian() {
	for _, d := range []string{"amd64", "arm64", "armhf", "all"} {
		a, ok := osdetect.ArchFromDebian(d)
		fmt.Println(d, a, ok)
	}
	// Output:
}

func ExampleDebianArch() {
	for _, a := range []string{"x86_64", "aarch64", "s390x", "sparc64"} {
		d, ok := osdetect.DebianArch(a)
		fmt.Println(a, d, ok)
	}
	// Output:
}

func ExampleArchFromRPM() {
	for _, r := range []string{"x86_64", "i686", "armv7hl", "noarch", "src"} {
		a, ok := osdetect.ArchFromRPM(r)
		fmt.Println(r, a, ok)
	}
	// Output:
}

// RPMArch gives $basearch, the name repository paths use.
func ExampleRPMArch() {
	for _, a := range []string{"x86_64", "i686", "armv7l", "aarch64", "mips"} {
		b, ok := osdetect.RPMArch(osdetect.NormalizeArch(a))
		fmt.Println(a, b, ok)
	}
	// Output:
}
