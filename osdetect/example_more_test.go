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
	// amd64 x86_64
	// AMD64 x86_64
	// x86_64 x86_64
	// arm64 aarch64
	// 386 i686
	// loong64 loongarch64
	// riscv64 riscv64
}

func ExampleArchFromDebian() {
	for _, d := range []string{"amd64", "arm64", "armhf", "all"} {
		a, ok := osdetect.ArchFromDebian(d)
		fmt.Println(d, a, ok)
	}
	// Output:
	// amd64 x86_64 true
	// arm64 aarch64 true
	// armhf armv7l true
	// all  false
}

func ExampleDebianArch() {
	for _, a := range []string{"x86_64", "aarch64", "s390x", "sparc64"} {
		d, ok := osdetect.DebianArch(a)
		fmt.Println(a, d, ok)
	}
	// Output:
	// x86_64 amd64 true
	// aarch64 arm64 true
	// s390x s390x true
	// sparc64  false
}

func ExampleArchFromRPM() {
	for _, r := range []string{"x86_64", "i686", "armv7hl", "noarch", "src"} {
		a, ok := osdetect.ArchFromRPM(r)
		fmt.Println(r, a, ok)
	}
	// Output:
	// x86_64 x86_64 true
	// i686 i686 true
	// armv7hl armv7l true
	// noarch  false
	// src  false
}

// RPMArch gives $basearch, the name repository paths use.
func ExampleRPMArch() {
	for _, a := range []string{"x86_64", "i686", "armv7l", "aarch64", "mips"} {
		b, ok := osdetect.RPMArch(osdetect.NormalizeArch(a))
		fmt.Println(a, b, ok)
	}
	// Output:
	// x86_64 x86_64 true
	// i686 i386 true
	// armv7l armhfp true
	// aarch64 aarch64 true
	// mips  false
}
